/* SPDX-License-Identifier: MIT */
/*
 * Signals, the watchdog and the last resort of a run (see guard.h). The
 * signal and watchdog callbacks run on the loop, stop its current turn
 * and ask the run to end its case; the last resort is a thread asleep
 * until the hard deadline, so it works even if the loop does not.
 */
#define _GNU_SOURCE
#include "guard.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sweep.h"

static const int guarded[3] = {SIGINT, SIGTERM, SIGHUP};

static void say(const char *text)
{
	ssize_t n = write(STDERR_FILENO, text, strlen(text));

	(void)n; /* nothing more can be done about stderr */
}

static void *last_resort(void *arg)
{
	struct timespec at = *(const struct timespec *)arg;

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
	say("sockspec: the run did not end after its watchdog: killing what it started\n");
	sweep_kill_all();
	_exit(GUARD_HARD_EXIT);
	return NULL;
}

static void stop_run(struct guard *g)
{
	uv_stop(g->loop);
	if (g->on_stop)
		g->on_stop(g->arg);
}

static void on_signal(uv_signal_t *h, int signo)
{
	struct guard *g = h->data;
	char text[96];

	if (g->signo || g->expired) { /* the second one: no more waiting */
		snprintf(text, sizeof(text), "sockspec: %s again: stopping at once\n",
		         sigabbrev_np(signo) ? sigabbrev_np(signo) : "signal");
		say(text);
		sweep_kill_all();
		_exit(128 + signo);
	}
	g->signo = signo;
	stop_run(g);
}

static void on_watchdog(uv_timer_t *h)
{
	struct guard *g = h->data;

	if (g->signo)
		return;
	g->expired = 1;
	stop_run(g);
}

static int start_thread(struct guard *g, uint64_t ms, char *err, size_t errlen)
{
	struct timespec *at = &g->hard_at;
	pthread_attr_t attr;
	int rc;

	(void)clock_gettime(CLOCK_MONOTONIC, at);
	at->tv_sec += (time_t)(ms / 1000);
	at->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (at->tv_nsec >= 1000000000L) {
		at->tv_sec++;
		at->tv_nsec -= 1000000000L;
	}
	if ((rc = pthread_attr_init(&attr)) == 0) {
		(void)pthread_attr_setstacksize(&attr, 256 * 1024);
		rc = pthread_create(&g->last_resort, &attr, last_resort, at);
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		return -1;
	}
	g->have_thread = 1;
	return 0;
}

int guard_start(struct guard *g, uv_loop_t *loop, uint64_t budget_ms, char *err, size_t errlen)
{
	int rc = 0;

	memset(g, 0, sizeof(*g));
	g->loop = loop;
	g->budget_ms = budget_ms + GUARD_SLACK_MS;
	for (int i = 0; i < 3 && rc == 0; i++) {
		rc = uv_signal_init(loop, &g->sigs[i]);
		if (rc == 0) {
			g->sigs[i].data = g;
			g->open++;
			rc = uv_signal_start(&g->sigs[i], on_signal, guarded[i]);
		}
	}
	if (rc == 0 && (rc = uv_timer_init(loop, &g->watchdog)) == 0) {
		g->watchdog.data = g;
		g->open++;
		uv_unref((uv_handle_t *)&g->watchdog); /* it alone keeps no loop alive */
		rc = uv_timer_start(&g->watchdog, on_watchdog, g->budget_ms, 0);
	}
	if (rc < 0) {
		snprintf(err, errlen, "guarding the run: %s", uv_strerror(rc));
		guard_close(g);
		return -1;
	}
	if (start_thread(g, g->budget_ms + GUARD_HARD_MS, err, errlen) < 0) {
		guard_close(g);
		return -1;
	}
	return 0;
}

int guard_stopped(const struct guard *g)
{
	return g->signo != 0 || g->expired;
}

const char *guard_reason(const struct guard *g, char *buf, size_t cap)
{
	if (g->signo)
		snprintf(buf, cap, "interrupted by SIG%s: the run stopped here",
		         sigabbrev_np(g->signo) ? sigabbrev_np(g->signo) : "?");
	else if (g->expired)
		snprintf(
		    buf, cap,
		    "stopped by the run's watchdog after %llu ms (its cases' timeouts plus %d s)",
		    (unsigned long long)g->budget_ms, GUARD_SLACK_MS / 1000);
	else
		snprintf(buf, cap, "not stopped");
	return buf;
}

int guard_exit_status(const struct guard *g)
{
	return g->signo ? 128 + g->signo : 0;
}

void guard_hold(struct guard *g)
{
	(void)uv_timer_stop(&g->watchdog);
	if (g->have_thread) {
		(void)pthread_cancel(g->last_resort);
		(void)pthread_join(g->last_resort, NULL);
		g->have_thread = 0;
	}
}

int guard_resume(struct guard *g, char *err, size_t errlen)
{
	int rc = uv_timer_start(&g->watchdog, on_watchdog, g->budget_ms, 0);

	if (rc < 0) {
		snprintf(err, errlen, "uv_timer_start: %s", uv_strerror(rc));
		return -1;
	}
	return start_thread(g, g->budget_ms + GUARD_HARD_MS, err, errlen);
}

static void on_closed(uv_handle_t *h)
{
	struct guard *g = h->data;

	g->open--;
}

void guard_close(struct guard *g)
{
	if (g->have_thread) {
		(void)pthread_cancel(g->last_resort);
		(void)pthread_join(g->last_resort, NULL);
		g->have_thread = 0;
	}
	for (int i = 0; i < 3; i++)
		if (g->sigs[i].data && !uv_is_closing((uv_handle_t *)&g->sigs[i]))
			uv_close((uv_handle_t *)&g->sigs[i], on_closed);
	if (g->watchdog.data && !uv_is_closing((uv_handle_t *)&g->watchdog))
		uv_close((uv_handle_t *)&g->watchdog, on_closed);
}
