/* SPDX-License-Identifier: MIT */
/*
 * cases: where case files come from: the set embedded in the binary at
 * build time (suite/cases/PROFILE/FAMILY/NAME.case, see embed.cmake), or
 * files and directories named with --cases. Files are only read here;
 * parse.c turns them into plans.
 */
#ifndef SOCKSPEC_CASES_H
#define SOCKSPEC_CASES_H

#include <stddef.h>
#include <stdint.h>

/* One embedded file (generated table). */
struct embedded_case {
	const char *path;          /* "echo-threaded/basic/one-message.case" */
	const unsigned char *data; /* its bytes */
	size_t len;                /* byte count */
};

extern const struct embedded_case embedded_cases[];
extern const size_t embedded_case_count;

struct case_file {
	char *name;    /* name for messages, e.g. "echo-threaded/basic/one-message.case" */
	uint8_t *data; /* contents (owned) */
	size_t len;    /* bytes */
};

struct case_set {
	struct case_file *files; /* sorted by name (owned) */
	size_t n;                /* entries */
	int own;                 /* read by cases_load(): the user's suite, own families allowed */
};

/* The embedded files of one profile. Returns 0 (possibly n == 0) or -1. */
int cases_embedded(const char *profile, struct case_set *out);

/* Reads PATH: a .case file, or a directory searched recursively for
 * *.case. Returns 0, or -1 with err ("opendir(x): No such file ...").
 * A directory without case files is an error too. */
int cases_load(const char *path, struct case_set *out, char *err, size_t errlen);

void cases_free(struct case_set *s);

#endif
