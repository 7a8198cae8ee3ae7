/* SPDX-License-Identifier: MIT */
/*
 * profile: the ten protocols of PROTOCOLS.md as the runner knows them:
 * name, transport, and the command that starts the bundled reference
 * server (the embedded default target). Their case files are embedded
 * in the binary from suite/cases/PROFILE/ (cases.c).
 */
#ifndef SOCKSPEC_PROFILE_H
#define SOCKSPEC_PROFILE_H

#include <stddef.h>

struct profile {
	const char *name;    /* "echo-threaded" */
	const char *seeds;   /* the seed documents that teach it: "000, 004" */
	const char *summary; /* one line for `sockspec list` */
	const char *command; /* reference server; {bin} is the runner's own directory */
	int socktype;        /* SOCK_STREAM or SOCK_DGRAM */
	int chunk;           /* has a chunk framing (the seeds' own clients) besides line */
};

/* The profile called name, or NULL. */
const struct profile *profile_find(const char *name);

/* All profiles, *n of them, in PROTOCOLS.md order. */
const struct profile *profile_all(size_t *n);

#endif
