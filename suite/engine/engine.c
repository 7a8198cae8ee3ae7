/* SPDX-License-Identifier: MIT */
/*
 * One case, from its first statement to its verdict (see engine.h). The
 * engine owns the verdict: the first failure wins and tears the case
 * down (fibers' timers, connections, whatever the target was asked to
 * do), and so does the case deadline, armed before the first statement.
 * It also watches the target: a launched target that exits when the
 * case did not ask for it fails the case.
 */
#define _GNU_SOURCE
#include "engine.h"

#include <assert.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "fiber.h"
#include "op.h"
#include "scale.h"

#define CLOSE_TURNS 100 /* loop turns that closing the case's handles may take */

struct engine {
	struct casectx ctx;           /* first: a casectx is its engine */
	const struct plan *plan;      /* the case */
	const struct engine_env *env; /* where and how */
	uint64_t t0_ns;               /* start of the case */
	uv_timer_t case_timer;        /* the case deadline */
	struct fiber *root;           /* runs plan->stmts */
	enum verdict verdict;         /* PASS until something fails */
	char *message;                /* failure message (owned) */
	unsigned line;                /* failing line */
	int death_told;               /* the message already says how the target died */
};

static struct engine *engine_of(struct casectx *ctx)
{
	return (struct engine *)ctx;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct engine *e = h->data;

	e->ctx.handles--;
}

/* The verdict is decided: tear the case down and stop the loop turn. */
static void finish(struct engine *e)
{
	if (e->ctx.finished)
		return;
	e->ctx.finished = 1;
	(void)uv_timer_stop(&e->case_timer);
	fiber_close_all(&e->ctx);
	conn_close_all(&e->ctx);
	target_on_exit(e->env->target, NULL, NULL);
	target_cancel(e->env->target);
	uv_stop(e->ctx.loop);
}

static void engine_failed(struct casectx *ctx, const struct plan_stmt *at, enum verdict v,
                          struct strbuf *msg)
{
	struct engine *e = engine_of(ctx);
	struct strbuf text = {NULL, 0, 0, 0};

	if (ctx->finished) {
		strbuf_release(msg);
		return;
	}
	if (at)
		strbuf_printf(&text, "%s:%u: ", e->env->file, at->line);
	strbuf_puts(&text, msg->oom ? "out of memory building the message" : strbuf_text(msg));
	strbuf_release(msg);
	e->verdict = v;
	e->line = at ? at->line : 0;
	free(e->message);
	e->message = NULL;
	if (strbuf_finish(&text, &e->message, NULL) < 0)
		e->message = NULL;
	op_log(ctx, "runner", v == VERDICT_FAIL ? "FAIL" : "ERROR", NULL, 0);
	finish(e);
}

static const struct op_host engine_host = {
    .done = fiber_op_done,
    .failed = engine_failed,
    .timer = fiber_op_timer,
    .stop_timer = fiber_op_stop_timer,
};

static void fail_at_root(struct engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fails the case at the statement the root fiber is at. */
static void fail_at_root(struct engine *e, const char *fmt, ...)
{
	struct strbuf msg = {NULL, 0, 0, 0};
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	engine_failed(&e->ctx, fiber_current(e->root), VERDICT_FAIL, &msg);
}

static void on_target_exit(struct target *t, int status, void *arg)
{
	struct engine *e = arg;
	int code = -1, signo = 0;

	(void)status;
	if (e->ctx.finished || e->ctx.exit_expected)
		return;
	if (fiber_exit_ahead(e->root)) {
		/* A server that closes, then exits, may exit before the case
		 * has seen the close: the `expect exit` to come judges it. */
		op_log(&e->ctx, "target", "exited (an expect exit is to come)", NULL, 0);
		return;
	}
	target_exit_info(t, &code, &signo);
	op_log(&e->ctx, "target", "exited unexpectedly", NULL, 0);
	e->death_told = 1;
	if (signo)
		fail_at_root(e, "the target died of signal %d (%s) during the case", signo,
		             strsignal(signo));
	else
		fail_at_root(e, "the target exited with status %d during the case", code);
}

static void on_case_timeout(uv_timer_t *t)
{
	struct engine *e = t->data;

	fail_at_root(e, "the case did not finish within its timeout of %llu ms",
	             (unsigned long long)scale_ms(e->plan->timeout_ms, e->env->timeout_scale));
}

static void root_done(struct casectx *ctx)
{
	finish(engine_of(ctx));
}

/* A failure while the target had died on its own: say so. */
static void note_target_death(struct engine *e)
{
	int code = -1, signo = 0;
	char *more;

	if (e->verdict == VERDICT_PASS || e->ctx.exit_expected || e->death_told ||
	    !target_launched(e->env->target) || !target_exit_info(e->env->target, &code, &signo) ||
	    !e->message)
		return;
	if (signo && asprintf(&more, "%s (the target died of signal %d, %s)", e->message, signo,
	                      strsignal(signo)) < 0)
		return;
	if (!signo &&
	    asprintf(&more, "%s (the target exited with status %d)", e->message, code) < 0)
		return;
	free(e->message);
	e->message = more;
}

/* Seeds the random splits: the run's seed, mixed with the case id so
 * that every case has splits of its own. */
static void seed_splits(struct engine *e)
{
	uint64_t seed = e->env->seed;

	for (const char *c = e->plan->id; *c; c++)
		seed = seed * 1099511628211ULL ^ (uint8_t)*c;
	split_rng_seed(&e->ctx.rng, seed);
}

static void start(struct engine *e)
{
	uint64_t now = uv_now(e->ctx.loop), deadline = e->env->deadline;

	if (!deadline)
		deadline = now + scale_ms(e->plan->timeout_ms, e->env->timeout_scale);
	(void)uv_timer_init(e->ctx.loop, &e->case_timer);
	e->case_timer.data = e;
	e->ctx.handles++;
	(void)uv_timer_start(&e->case_timer, on_case_timeout, deadline > now ? deadline - now : 0,
	                     0);
	if (target_launched(e->env->target))
		target_on_exit(e->env->target, on_target_exit, e);
	e->root = fiber_start(&e->ctx, e->plan->stmts, e->plan->nstmts, root_done);
	if (!e->root) {
		struct strbuf msg = {NULL, 0, 0, 0};
		strbuf_puts(&msg, "out of memory");
		engine_failed(&e->ctx, NULL, VERDICT_ERROR, &msg);
	}
}

int engine_run(const struct plan *p, struct engine_env *env, struct engine_result *out)
{
	struct engine *e = calloc(1, sizeof(*e));

	memset(out, 0, sizeof(*out));
	if (!e || wire_init(&e->ctx.wire, uv_hrtime()) < 0) {
		free(e);
		return -1;
	}
	e->plan = p;
	e->env = env;
	e->ctx.loop = env->loop;
	e->ctx.target = env->target;
	e->ctx.scale = env->timeout_scale;
	e->ctx.transport = env->transport;
	e->ctx.host = &engine_host;
	e->t0_ns = e->ctx.wire.t0_ns;
	e->verdict = VERDICT_PASS;
	seed_splits(e);
	env->running = e;
	start(e);
	/* The case timer is armed until the end: this loop cannot hang. */
	while (!e->ctx.finished)
		uv_run(e->ctx.loop, UV_RUN_DEFAULT);
	env->running = NULL;
	uv_close((uv_handle_t *)&e->case_timer, on_handle_closed);
	for (int turn = 0; e->ctx.handles > 0 && turn < CLOSE_TURNS; turn++)
		uv_run(e->ctx.loop, UV_RUN_NOWAIT); /* close callbacks run every turn */
	assert(e->ctx.handles == 0);
	note_target_death(e);
	out->verdict = e->verdict;
	out->message = e->message ? e->message : strdup("");
	e->message = NULL;
	out->line = e->line;
	out->duration_ms = (uv_hrtime() - e->t0_ns) / 1000000;
	out->timeline = wire_take(&e->ctx.wire);
	out->bytes = e->ctx.failed_bytes;
	fiber_free_all(&e->ctx);
	conn_free_all(&e->ctx);
	wire_free(&e->ctx.wire);
	plan_vars_free(&e->ctx.vars);
	free(e->message);
	free(e);
	return out->message && out->timeline ? 0 : -1;
}

void engine_abort(struct engine_env *env, const char *msg)
{
	struct engine *e = env->running;
	struct strbuf sb = {NULL, 0, 0, 0};

	if (!e || e->ctx.finished)
		return;
	strbuf_puts(&sb, msg);
	engine_failed(&e->ctx, fiber_current(e->root), VERDICT_ERROR, &sb);
}

void engine_result_free(struct engine_result *r)
{
	free(r->message);
	free(r->timeline);
	free(r->bytes.expected);
	free(r->bytes.received);
	memset(r, 0, sizeof(*r));
}
