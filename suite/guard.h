/* SPDX-License-Identifier: MIT */
/*
 * guard: what makes a sockspec run end by itself, and end clean, when
 * others run it unattended. SIGINT, SIGTERM and SIGHUP stop the run: the
 * case in progress ends as an error, its target is stopped and the
 * report of what ran is written (exit 128 + the signal); a second signal
 * kills every process the run started and exits at once. A watchdog
 * stops the run the same way once its budget (the sum of its cases'
 * timeouts plus GUARD_SLACK_MS) is spent; a last-resort thread, which
 * needs no event loop, kills what the run started and exits
 * GUARD_HARD_EXIT a little later if even that did not end it.
 */
#ifndef SOCKSPEC_GUARD_H
#define SOCKSPEC_GUARD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#define GUARD_SLACK_MS  5000 /* the watchdog's allowance beyond the cases' timeouts */
#define GUARD_HARD_MS   4000 /* after the watchdog: the last resort */
#define GUARD_HARD_EXIT 3    /* exit status of the last resort */

struct guard {
	uv_loop_t *loop;            /* the run's loop */
	uv_signal_t sigs[3];        /* SIGINT, SIGTERM, SIGHUP */
	uv_timer_t watchdog;        /* the run's budget */
	uint64_t budget_ms;         /* that budget */
	int signo;                  /* the signal that stopped the run; 0: none */
	int expired;                /* the watchdog stopped the run */
	void (*on_stop)(void *arg); /* the run's "end the case in progress now" */
	void *arg;                  /* its argument */
	pthread_t last_resort;      /* sleeps until the hard deadline */
	struct timespec hard_at;    /* that deadline (CLOCK_MONOTONIC); the thread reads it */
	int have_thread;            /* last_resort runs */
	int open;                   /* handles not yet closed */
};

/* Starts guarding a run of budget_ms (plus GUARD_SLACK_MS) on loop.
 * Returns 0, or -1 with err filled. */
int guard_start(struct guard *g, uv_loop_t *loop, uint64_t budget_ms, char *err, size_t errlen);

/* 1 once a signal or the watchdog stopped the run. */
int guard_stopped(const struct guard *g);

/* Why the run was stopped, for the case in progress: "interrupted by
 * SIGINT" or "stopped by the run's watchdog after N ms". */
const char *guard_reason(const struct guard *g, char *buf, size_t cap);

/* 128 + the signal that stopped the run, or 0. */
int guard_exit_status(const struct guard *g);

/* A -j worker waiting at its gate (jobs.h) waits for other cases, not
 * for its own: guard_hold stops the watchdog and the last resort (the
 * signals still stop the run; the parent's deadline bounds the wait),
 * guard_resume starts both again with the whole budget from now.
 * guard_resume returns 0, or -1 with err filled ("pthread_create: ..."). */
void guard_hold(struct guard *g);
int guard_resume(struct guard *g, char *err, size_t errlen);

/* Stops guarding: signals get their default action back, the thread
 * ends. The handles close on the next loop turns. */
void guard_close(struct guard *g);

#endif
