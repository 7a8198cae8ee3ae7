/* SPDX-License-Identifier: MIT */
/*
 * run: one run = one set of cases against one target. For every case it
 * decides skip (not applicable) or runs it: start a fresh instance of a
 * launched target, wait until it is ready, carry the case out with the
 * engine, stop the instance, and append the verdict to the report.
 */
#ifndef SOCKSPEC_RUN_H
#define SOCKSPEC_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cases.h"
#include "render.h"

struct run_opts {
	const char *name;           /* run name in the report: the profile, or the --cases path */
	const char *command;        /* launched target template, {bin}/{framing} already replaced */
	const char *connect;        /* or: external target address */
	int socktype;               /* SOCK_STREAM or SOCK_DGRAM */
	int family;                 /* AF_INET, AF_INET6 or AF_UNIX */
	const char *framing;        /* "line" or "chunk" */
	const char *const *only;    /* --case globs (NULL-terminated; empty: all) */
	const char *const *exclude; /* --exclude globs (NULL-terminated) */
	double timeout_scale;       /* --timeout-scale */
	uint64_t seed;              /* --seed */
	int verbose;                /* -v: timelines of every case */
	int color;                  /* ANSI colours in progress output */
	void (*progress)(const char *text, void *arg); /* live per-case text, or NULL */
	void *progress_arg;
};

#define RUN_OK        0 /* cases ran (or were skipped); see the report */
#define RUN_BAD_CASES 2 /* a case file did not parse: err says where */
#define RUN_FAILED    1 /* the run could not be set up: err says why */

/* Runs the cases of `set` under o and appends a run to r. Returns RUN_OK,
 * RUN_BAD_CASES or RUN_FAILED with err (errlen bytes) filled. */
int run_cases(struct report *r, const struct case_set *set, const struct run_opts *o, char *err,
              size_t errlen);

#endif
