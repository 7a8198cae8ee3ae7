/* SPDX-License-Identifier: MIT */
/*
 * run: one run = one set of cases against one target. The cases are
 * parsed and selected first (run_set_*), so that a broken case file, a
 * --case glob that matches nothing and the run's time budget are known
 * before any target starts. Then for every case: skip it (not
 * applicable), or start a fresh instance of a launched target, carry
 * the case out with the engine, stop the instance, sweep what it left
 * behind, and append the verdict to the report. Every wait has the
 * case's deadline — its timeout, armed before the target starts and
 * covering the stop — and ends early when the guard stops the run.
 */
#ifndef SOCKSPEC_RUN_H
#define SOCKSPEC_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cases.h"
#include "guard.h"
#include "plan.h"
#include "render.h"

#define RUN_KILL_MS 1000 /* after the deadline: for a SIGKILLed target to be reaped */
#define RUN_STOP_MS 500  /* grace of the target stop when the run is interrupted */

struct run_opts {
	const char *name;     /* run name in the report: the profile, or the --cases path */
	const char *command;  /* launched target template, {bin}/{framing} already replaced */
	const char *connect;  /* or: external target address */
	int socktype;         /* SOCK_STREAM, SOCK_DGRAM, or 0 (--cases: either) */
	int family;           /* AF_INET, AF_INET6 or AF_UNIX */
	const char *framing;  /* "line" or "chunk" */
	double timeout_scale; /* --timeout-scale */
	uint64_t seed;        /* --seed */
	int verbose;          /* -v: timelines of every case */
	int color;            /* ANSI colours in progress output */
	void (*progress)(const char *text, void *arg); /* live per-case text, or NULL */
	void *progress_arg;

	/* put before case file names in the report (bundled cases:
	 * "suite/cases/", where a user finds them), or NULL */
	const char *case_dir;

	unsigned repeat; /* --repeat: attempts of every case, ids suffixed " #N"; 0, 1: once */
	int fail_fast;   /* -x: stop after the first case that fails or errors */
	unsigned jobs;   /* -j: cases at once, in worker processes (jobs.h); 0, 1: here */
	const char *const *worker_argv; /* -j: the workers' command line */
	int gate_fd; /* a -j worker's gate (--worker-gate, jobs.h); 0: none (never stdin) */
	void (*on_start)(const char *id, void *arg); /* a case starts (progress_arg), or NULL */
	uv_loop_t *loop;                             /* the invocation's loop */
	struct guard *guard;                         /* stops the run on a signal or the watchdog */
};

/* The cases of one run, parsed and selected. */
struct run_set {
	struct case_set files;   /* the case files (owned) */
	struct plan **plans;     /* one per file (owned) */
	unsigned char *selected; /* per file: --case/--exclude let it run */
};

#define RUN_OK        0 /* cases ran (or were skipped); see the report */
#define RUN_FAILED    1 /* the run could not be set up: err says why */
#define RUN_BAD_CASES 2 /* a case file did not parse: err says where */
#define RUN_STOPPED   3 /* the guard stopped the run; the report has what ran */
#define RUN_HALTED    4 /* -x: a case failed, the rest was not run */
#define RUN_DEAD      5 /* cases ran, and then the target could not be used any more */

/* Takes files over and parses every one. Returns RUN_OK, or
 * RUN_BAD_CASES / RUN_FAILED with err filled (rs is then freed). */
int run_set_load(struct run_set *rs, struct case_set *files, char *err, size_t errlen);

/* Selects the cases: all, or those matching a glob of only (when it has
 * any) and none of exclude (NULL-terminated lists). hits[i] is set when
 * only[i] matched a case. Returns the number selected. */
size_t run_set_select(struct run_set *rs, const char *const *only, const char *const *exclude,
                      unsigned char *hits);

/* The sum of the selected cases' timeouts, scaled. */
uint64_t run_set_budget(const struct run_set *rs, double scale);

void run_set_free(struct run_set *rs);

/* Runs the selected cases of rs under o, appending a run to r. Returns
 * RUN_OK, RUN_FAILED (err filled), RUN_STOPPED, RUN_HALTED or RUN_DEAD (the
 * target never became ready or could not be stopped: the later cases are
 * errors). */
int run_cases(struct report *r, const struct run_set *rs, const struct run_opts *o, char *err,
              size_t errlen);

/* Now (CLOCK_REALTIME) as an ISO 8601 UTC stamp into out; "" if the
 * clock cannot be read. */
void run_stamp(char out[REPORT_ISO8601_MAX]);

#endif
