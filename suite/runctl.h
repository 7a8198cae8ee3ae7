/* SPDX-License-Identifier: MIT */
/*
 * runctl: the parts of `sockspec run` that control which cases run and
 * how, beside runcmd.c's options: --rerun-failed (the cases that failed
 * in an earlier JSON report), the notes under the summary (-x stopped
 * the runs; --repeat found flaky cases) and the command line of a -j
 * worker (jobs.h).
 */
#ifndef SOCKSPEC_RUNCTL_H
#define SOCKSPEC_RUNCTL_H

#include <stddef.h>

#include "report.h"
#include "run.h"
#include "strbuf.h"

/* One run of the invocation, as --rerun-failed sees it. */
struct runctl_run {
	struct run_set *set; /* its cases; selected[] is narrowed */
	const char *name;    /* the run's name: a profile, or the --cases path */
	const char *framing; /* "line" or "chunk" */
	int idle;            /* not run (--all: a profile without cases) */
};

#define RUNCTL_GO      0  /* cases are selected: run them */
#define RUNCTL_NOTHING 1  /* the report has no failure: err says so; run nothing, exit 0 */
#define RUNCTL_BAD     -1 /* err: "cannot read F: ...", "F: not JSON: ...", "none of ..." */

/* Narrows the selection of every run to the cases that failed or
 * errored in the JSON report at path, matched by run name and framing.
 * Returns RUNCTL_GO, RUNCTL_NOTHING or RUNCTL_BAD (err filled; also when
 * none of the report's failures is among the selected cases). */
int runctl_select_failed(struct runctl_run *runs, size_t n, const char *path, char *err,
                         size_t errlen);

/* Appends what the summary does not say: "stopped after the first
 * failure (-x): ..." when halted, and under --repeat (repeat > 1) a
 * "flaky: PROFILE ID: passed K of N attempts" line for each case whose
 * attempts both passed and failed (its attempts are next to each other
 * in the report). */
void runctl_notes(const struct report *r, int halted, unsigned repeat, struct strbuf *sb);

/* The command line of a -j worker: this binary, the same run (profile
 * or --cases path, framing, timeout scale, seed, address family,
 * --target template), its report as JSON on stdout, --worker with our
 * pid; jobs.c adds --case. */
struct runctl_worker {
	const char *argv[24]; /* NULL-terminated; points into the fields below and the arguments */
	char scale[32], seed[32], pid[24];
};

void runctl_worker_line(struct runctl_worker *w, const char *name, int profile, const char *framing,
                        const struct run_opts *o, const char *target);

#endif
