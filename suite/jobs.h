/* SPDX-License-Identifier: MIT */
/*
 * jobs: the cases of one run carried out in parallel (-j N). Each case
 * runs in a worker: this very binary started again as `sockspec run ...
 * --case ID --format json --worker PID`, in its own session, which runs
 * that one case against its own fresh target on its own port (portlock
 * keeps the ports apart) under its own guard, writes its report as JSON
 * on a pipe and exits; it dies with the parent (PR_SET_PDEATHSIG). The
 * parent reads the verdicts back (json_read) and hands them over in the
 * case order, so the report is the one -j 1 makes. Cases that measure
 * timing or load have their exchanges alone (jobs_alone(), the gate
 * below), and start first (in case order with -x). When the run is stopped
 * (a signal, the watchdog) or -x saw a failure, nothing more is started; on a stop the running
 * workers get the same signal (SIGTERM for the watchdog; they stop their targets and report), and
 * SIGKILL to their session at their deadline.
 */
#ifndef SOCKSPEC_JOBS_H
#define SOCKSPEC_JOBS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "guard.h"
#include "report.h"

#define JOBS_MAX 64 /* -j at most */
/* A worker's exit status when its target never became ready or could not
 * be stopped: the cases not started yet end as errors at once, as they
 * do one by one, instead of each waiting out its own readiness. */
#define JOBS_DEAD_EXIT 4
/* The gate: a socketpair end, the worker's fd JOBS_GATE_FD (--worker-gate).
 * Once its target is ready the worker writes JOBS_GATE_READY and waits
 * (not counted against the case's timeout) for JOBS_GATE_GO; after the
 * exchange, before stopping its target, it writes JOBS_GATE_DONE. An end
 * of file instead of the go: the parent gave the case up (-x) or is
 * gone; the worker stops its target and exits. The parent grants the go
 * so that the exchange of a case that must run alone has no other
 * exchange beside it, while targets start and stop in the other slots. */
#define JOBS_GATE_FD    3
#define JOBS_GATE_READY 'r'
#define JOBS_GATE_GO    'g'
#define JOBS_GATE_DONE  'd'

/* One case (one attempt of it) to carry out. */
struct jobs_case {
	const char *id;     /* the case id, as --case gets it (no attempt suffix) */
	const char *family; /* its family */
	uint64_t timeout;   /* its timeout, scaled (ms) */
	int local;          /* not for a worker (a skip): done() gets NULL for it */
};

/* How to run them. */
struct jobs_cfg {
	uv_loop_t *loop;         /* the run's loop */
	struct guard *guard;     /* stops the run */
	unsigned jobs;           /* workers at once, 2..JOBS_MAX */
	int fail_fast;           /* -x: start nothing after a failed case */
	const char *const *argv; /* the worker command line, without --case ID (NULL-ended) */
	/* Case i finished: e is its verdict as the worker reported it (NULL
	 * for a local case). Called in case order, once for each case that
	 * ran. */
	void (*done)(size_t i, const struct report_entry *e, void *arg);
	void (*started)(size_t i, void *arg); /* case i started, or NULL */
	void *arg;
};

/* 1 when a case's exchange must run with no other exchange beside it: the families
 * concurrency and resources and the case limits/connect-burst measure
 * timing or load, which other cases on the same cores would skew. */
int jobs_alone(const char *id, const char *family);

/* Runs the n cases. Returns 0, 1 when -x stopped it, or -1 with err
 * filled (memory ran out). The guard's stop ends it too (0: the caller
 * asks the guard). */
int jobs_run(const struct jobs_cfg *cfg, const struct jobs_case *cases, size_t n, char *err,
             size_t errlen);

#endif
