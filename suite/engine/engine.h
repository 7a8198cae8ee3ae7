/* SPDX-License-Identifier: MIT */
/*
 * engine: carries out one case (a struct plan) against a started target
 * on a libuv loop, and returns its verdict, a message naming the case
 * file line, and the timeline. Statements run in order; a `parallel`
 * block runs its body as N concurrent instances, each a small
 * interpreter ("fiber", fiber.h) of its own. The first failure ends the
 * case; so does its deadline.
 */
#ifndef SOCKSPEC_ENGINE_H
#define SOCKSPEC_ENGINE_H

#include <stdint.h>
#include <uv.h>

#include "plan.h"
#include "report.h"
#include "target.h"

struct engine;

struct engine_env {
	uv_loop_t *loop;               /* loop the target lives on */
	struct target *target;         /* started (launched) or external */
	const char *file;              /* case file name, for messages */
	enum plan_transport transport; /* what `connect NAME` alone means: TCP, UDP or UNIX */
	double timeout_scale;          /* multiplies every timeout and duration in the case */
	uint64_t seed;                 /* random splits */
	uint64_t deadline;      /* uv_now() by which the case must end; 0: its timeout from now */
	struct engine *running; /* set by engine_run() while it runs the case */
};

struct engine_result {
	enum verdict verdict; /* PASS, FAIL or ERROR */
	char *message;        /* "FILE:LINE: ..." or "" (owned) */
	unsigned line;        /* failing statement's line, 0 if none */
	uint64_t duration_ms; /* wall time of the case */
	char *timeline;       /* wire log (owned) */

	struct report_bytes bytes; /* the failed expectation's bytes (owned); .shown 0: none */
};

/* Runs p to its end, a failure or its deadline, closes every connection
 * it opened, cancels what it asked of the target, and returns once
 * nothing of the case is left on the loop. Returns 0 with *out filled
 * (free with engine_result_free), or -1 if memory ran out before
 * anything could run. */
int engine_run(const struct plan *p, struct engine_env *env, struct engine_result *out);

/* Ends the case engine_run() is running on env (if any) with an error
 * verdict and msg, at the statement the case is at: the run is being
 * stopped. Call it from a callback on the loop. */
void engine_abort(struct engine_env *env, const char *msg);

void engine_result_free(struct engine_result *r);

#endif
