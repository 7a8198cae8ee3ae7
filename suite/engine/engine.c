/* SPDX-License-Identifier: MIT */
/*
 * The exchange engine. A fiber is a tiny interpreter over a list of
 * statements: it runs them in order until one has to wait (a connect,
 * a write, an expectation, a timer, the target), and the callback that
 * ends the wait resumes it. `parallel N` starts N child fibers at once
 * and `repeat N` one after another; the parent resumes when they are
 * all done. The first failure decides the verdict and tears the case
 * down; engine_run() returns once every handle of the case is closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static void fiber_run(struct fiber *f);

uint64_t engine_ms(const struct engine *e, uint64_t ms)
{
	double scaled = (double)ms * e->env->timeout_scale;

	return scaled < 1 && ms > 0 ? 1 : (uint64_t)(scaled + 0.5);
}

void engine_log(struct engine *e, const char *who, const char *event, const uint8_t *data,
                size_t len)
{
	wire_log(&e->wire, uv_hrtime(), who, event, data, len);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct engine *e = h->data;

	e->handles--;
}

static void fiber_close_timer(struct fiber *f)
{
	if (!f->timer_open)
		return;
	f->timer_open = 0;
	uv_timer_stop(&f->timer);
	f->timer.data = f->eng;
	uv_close((uv_handle_t *)&f->timer, on_handle_closed);
}

/* Decides the verdict (first call wins) and tears the case down. */
static void engine_finish(struct engine *e)
{
	if (e->finished)
		return;
	e->finished = 1;
	uv_timer_stop(&e->case_timer);
	for (struct fiber *f = e->fibers; f; f = f->all_next)
		fiber_close_timer(f);
	conn_close_all(e);
	target_on_exit(e->env->target, NULL, NULL);
}

void engine_fail(struct engine *e, const struct plan_stmt *s, enum verdict v, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	int n;

	if (e->finished)
		return;
	n = s ? snprintf(text, sizeof(text), "%s:%u: ", e->env->file, s->line) : 0;
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	e->verdict = v;
	e->line = s ? s->line : 0;
	free(e->message);
	e->message = strdup(text);
	engine_log(e, "runner", v == VERDICT_FAIL ? "FAIL" : "ERROR", NULL, 0);
	engine_finish(e);
}

static void on_fiber_timer(uv_timer_t *t)
{
	(void)t;
}

void fiber_wait_timer(struct fiber *f, uint64_t ms, uv_timer_cb cb)
{
	if (!f->timer_open) {
		uv_timer_init(f->eng->loop, &f->timer);
		f->timer_open = 1;
		f->eng->handles++;
	}
	f->timer.data = f;
	uv_timer_start(&f->timer, cb ? cb : on_fiber_timer, ms, 0);
}

void fiber_stop_timer(struct fiber *f)
{
	if (f->timer_open)
		uv_timer_stop(&f->timer);
}

const char *fiber_who(struct fiber *f, const struct plan_stmt *s, char *buf, size_t cap)
{
	if (f->parent)
		snprintf(buf, cap, "%s#%ld", s->conn, f->index);
	else
		snprintf(buf, cap, "%s", s->conn);
	return buf;
}

struct conn *fiber_lookup(struct fiber *f, const struct plan_stmt *s)
{
	for (struct fiber *g = f; g; g = g->parent)
		for (struct binding *b = g->names; b; b = b->next)
			if (strcmp(b->name, s->conn) == 0)
				return b->conn;
	return NULL;
}

static struct fiber *fiber_new(struct engine *e, struct fiber *parent,
                               const struct plan_stmt *stmts, size_t n, long index)
{
	struct fiber *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->eng = e;
	f->parent = parent;
	f->stmts = stmts;
	f->n = n;
	f->index = index;
	f->all_next = e->fibers;
	e->fibers = f;
	return f;
}

/* A child instance of a block is over: close what it opened. */
static void fiber_end(struct fiber *f)
{
	f->done = 1;
	fiber_close_timer(f);
	for (struct binding *b = f->names; b; b = b->next)
		if (b->conn && f->parent)
			conn_close(b->conn, 0);
}

static int block_start_child(struct fiber *f, long index)
{
	const struct plan_stmt *s = f->cur;
	struct fiber *child = fiber_new(f->eng, f, s->body, s->nbody, index);

	if (!child) {
		engine_fail(f->eng, s, VERDICT_ERROR, "out of memory");
		return -1;
	}
	f->blk_live++;
	fiber_run(child);
	return 0;
}

static void block_child_done(struct fiber *f)
{
	f->blk_live--;
	if (f->eng->finished)
		return;
	if (f->cur->op == PLAN_REPEAT && f->blk_next < f->cur->count) {
		block_start_child(f, f->blk_next++);
		return;
	}
	if (f->blk_live == 0 && f->blk_next >= f->cur->count) {
		fiber_stop_timer(f);
		fiber_resume(f);
	}
}

static void on_block_timeout(uv_timer_t *t)
{
	struct fiber *f = t->data;

	engine_fail(f->eng, f->cur, VERDICT_FAIL,
	            "parallel %ld: %ld of %ld instances not done within %llu ms "
	            "(are clients served one at a time?)",
	            f->cur->count, f->blk_live, f->cur->count,
	            (unsigned long long)engine_ms(f->eng, f->cur->ms));
}

static enum step step_block(struct fiber *f, const struct plan_stmt *s)
{
	f->blk_live = 0;
	if (s->op == PLAN_REPEAT) {
		f->blk_next = 1;
		block_start_child(f, 0);
	} else {
		if (s->ms > 0)
			fiber_wait_timer(f, engine_ms(f->eng, s->ms), on_block_timeout);
		for (f->blk_next = 0; f->blk_next < s->count && !f->eng->finished;)
			if (block_start_child(f, f->blk_next++) < 0)
				break;
	}
	if (f->eng->finished)
		return STEP_STOP;
	return f->blk_live == 0 ? STEP_NEXT : STEP_WAIT;
}

static void on_sleep(uv_timer_t *t)
{
	fiber_resume(t->data);
}

/* ---- the target ---- */

static void target_op_done(struct engine *e)
{
	e->target_ops--;
}

static void on_restarted(struct target *t, int status, void *arg);

static void on_target_exit(struct target *t, int status, void *arg)
{
	struct engine *e = arg;
	int code = -1, signo = 0;

	(void)status;
	if (e->finished || e->exit_expected)
		return;
	target_exit_info(t, &code, &signo);
	engine_log(e, "target", "exited unexpectedly", NULL, 0);
	if (signo)
		engine_fail(e, e->root->pc < e->root->n ? &e->root->stmts[e->root->pc] : NULL,
		            VERDICT_FAIL, "the target died of signal %d (%s) during the case",
		            signo, strsignal(signo));
	else
		engine_fail(e, e->root->pc < e->root->n ? &e->root->stmts[e->root->pc] : NULL,
		            VERDICT_FAIL, "the target exited with status %d during the case", code);
}

static void watch_exit(struct engine *e)
{
	if (target_launched(e->env->target))
		target_on_exit(e->env->target, on_target_exit, e);
}

static void on_restarted(struct target *t, int status, void *arg)
{
	struct fiber *f = arg;
	struct engine *e = f->eng;
	size_t n = 0;
	const char *err = target_stderr(t, &n);

	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r'))
		n--;
	target_op_done(e);
	if (e->finished)
		return;
	e->exit_expected = 0;
	if (status < 0) {
		engine_fail(e, f->cur, VERDICT_FAIL,
		            "restart on the same address: the new instance %s%s%.*s",
		            status == -ETIMEDOUT ? "did not become ready in time"
		            : status == -ECHILD  ? "exited before it was ready"
		                                 : strerror(-status),
		            n ? "; its stderr: " : "", (int)(n > 300 ? 300 : n), err);
		return;
	}
	engine_log(e, "target", "restarted", NULL, 0);
	watch_exit(e);
	fiber_resume(f);
}

static void on_exit_expected(struct target *t, int status, void *arg)
{
	struct fiber *f = arg;
	struct engine *e = f->eng;
	int code = -1, signo = 0, want = f->cur->status;

	(void)status;
	if (e->finished)
		return;
	fiber_stop_timer(f);
	target_exit_info(t, &code, &signo);
	engine_log(e, "target", "exited", NULL, 0);
	if (want == PLAN_EXIT_NONZERO ? (signo == 0 && code == 0) : (signo != 0 || code != want)) {
		if (signo)
			engine_fail(
			    e, f->cur, VERDICT_FAIL,
			    "expected the target to exit with %s, it died of signal %d (%s)",
			    want == PLAN_EXIT_NONZERO ? "a non-zero status" : "status 0", signo,
			    strsignal(signo));
		else
			engine_fail(e, f->cur, VERDICT_FAIL,
			            "expected the target to exit with status %s, it exited with %d",
			            want == PLAN_EXIT_NONZERO ? "non-zero" : "0", code);
		return;
	}
	fiber_resume(f);
}

static void on_exit_timeout(uv_timer_t *t)
{
	struct fiber *f = t->data;

	engine_fail(f->eng, f->cur, VERDICT_FAIL, "the target was still running %llu ms later",
	            (unsigned long long)engine_ms(f->eng, f->cur->ms));
}

static void on_second(struct target *t, int status, void *arg)
{
	struct fiber *f = arg;

	target_op_done(f->eng);
	if (f->eng->finished)
		return;
	if (status == 0) {
		engine_log(f->eng, "second-instance", target_second_report(t), NULL, 0);
		fiber_resume(f);
		return;
	}
	engine_fail(f->eng, f->cur, VERDICT_FAIL,
	            "a second instance on the same address should have failed, but: %s",
	            target_second_report(t));
}

static int find_snapshot(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->nsnaps; i++)
		if (strcmp(e->snaps[i].name, name) == 0)
			return (int)i;
	return -1;
}

static long pick(const struct target_counts *c, enum plan_resource r)
{
	return r == PLAN_RES_FDS ? c->fds : r == PLAN_RES_THREADS ? c->threads : c->children;
}

static const char *const resource_names[] = {"fds", "threads", "children"};

static void poll_count(uv_timer_t *t);

/* Reads /proc; 1 when within bounds, 0 not yet, -1 failed. */
static int count_ok(struct fiber *f)
{
	const struct plan_stmt *s = f->cur;
	struct target_counts now;
	int i = find_snapshot(f->eng, s->snapshot), rc = target_counts(f->eng->env->target, &now);

	if (rc < 0) {
		engine_fail(f->eng, s, VERDICT_FAIL, "reading the target's %s from /proc: %s",
		            resource_names[s->resource], strerror(-rc));
		return -1;
	}
	f->count_seen = pick(&now, s->resource);
	return f->count_seen <= pick(&f->eng->snaps[i].counts, s->resource) + s->slack;
}

static void poll_count(uv_timer_t *t)
{
	struct fiber *f = t->data;
	const struct plan_stmt *s = f->cur;
	uint64_t waited = (uv_hrtime() - f->wait_start_ns) / 1000000;
	int ok = count_ok(f);

	if (ok < 0)
		return;
	if (ok) {
		fiber_resume(f);
		return;
	}
	if (waited >= engine_ms(f->eng, s->ms)) {
		int i = find_snapshot(f->eng, s->snapshot);
		engine_fail(f->eng, s, VERDICT_FAIL,
		            "the target has %ld %s, expected at most %ld (snapshot %s) + %ld "
		            "within %llu ms: a leak?",
		            f->count_seen, resource_names[s->resource],
		            pick(&f->eng->snaps[i].counts, s->resource), s->snapshot, s->slack,
		            (unsigned long long)engine_ms(f->eng, s->ms));
		return;
	}
	fiber_wait_timer(f, 20, poll_count);
}

static enum step step_target(struct fiber *f, const struct plan_stmt *s)
{
	struct engine *e = f->eng;
	struct target *t = e->env->target;
	int rc = 0;

	switch (s->op) {
	case PLAN_RESTART:
		e->exit_expected = 1;
		engine_log(e, "target", "restart", NULL, 0);
		rc = target_restart(t, on_restarted, f);
		break;
	case PLAN_SIGNAL:
		engine_log(e, "target", strsignal(s->signo), NULL, 0);
		rc = target_signal(t, s->signo);
		return rc < 0 ? (engine_fail(e, s, VERDICT_FAIL, "signal %d: %s", s->signo,
		                             strerror(-rc)),
		                 STEP_STOP)
		              : STEP_NEXT;
	case PLAN_EXPECT_EXIT:
		e->exit_expected = 1;
		fiber_wait_timer(f, engine_ms(e, s->ms), on_exit_timeout);
		target_on_exit(t, on_exit_expected, f);
		return STEP_WAIT;
	case PLAN_EXPECT_SECOND_FAILS:
		rc = target_second_instance(t, s->ms, on_second, f);
		break;
	case PLAN_SNAPSHOT: {
		size_t i = e->nsnaps;
		if (find_snapshot(e, s->snapshot) >= 0)
			i = (size_t)find_snapshot(e, s->snapshot);
		else if (e->nsnaps < ENGINE_SNAP_MAX)
			e->nsnaps++;
		else
			return engine_fail(e, s, VERDICT_ERROR, "too many snapshots"), STEP_STOP;
		snprintf(e->snaps[i].name, sizeof(e->snaps[i].name), "%s", s->snapshot);
		rc = target_counts(t, &e->snaps[i].counts);
		if (rc < 0)
			return engine_fail(e, s, VERDICT_FAIL, "snapshot: reading /proc: %s",
			                   strerror(-rc)),
			       STEP_STOP;
		return STEP_NEXT;
	}
	case PLAN_EXPECT_COUNT:
		if (find_snapshot(e, s->snapshot) < 0)
			return engine_fail(e, s, VERDICT_ERROR, "no snapshot named %s",
			                   s->snapshot),
			       STEP_STOP;
		rc = count_ok(f);
		if (rc != 0)
			return rc > 0 ? STEP_NEXT : STEP_STOP;
		fiber_wait_timer(f, 20, poll_count);
		return STEP_WAIT;
	default:
		break;
	}
	if (rc < 0) {
		engine_fail(e, s, VERDICT_ERROR, "target: %s", strerror(-rc));
		return STEP_STOP;
	}
	e->target_ops++;
	return STEP_WAIT;
}

/* ---- the fiber loop ---- */

static enum step step(struct fiber *f, const struct plan_stmt *s)
{
	struct conn *c;

	switch (s->op) {
	case PLAN_CONNECT:
		return conn_connect(f, s);
	case PLAN_WRITE:
		return conn_write(f, s);
	case PLAN_SEND:
		return conn_send(f, s);
	case PLAN_SHUTDOWN:
		return conn_shutdown(f, s);
	case PLAN_CLOSE:
	case PLAN_RESET:
	case PLAN_PAUSE:
	case PLAN_RESUME:
		if (!(c = fiber_lookup(f, s))) {
			engine_fail(f->eng, s, VERDICT_ERROR, "unknown connection %s", s->conn);
			return STEP_STOP;
		}
		if (s->op == PLAN_CLOSE || s->op == PLAN_RESET)
			conn_close(c, s->op == PLAN_RESET);
		else
			conn_pause(c, s->op == PLAN_PAUSE);
		return STEP_NEXT;
	case PLAN_SLEEP:
		fiber_wait_timer(f, engine_ms(f->eng, s->ms), on_sleep);
		return STEP_WAIT;
	case PLAN_PARALLEL:
	case PLAN_REPEAT:
		return step_block(f, s);
	case PLAN_RESTART:
	case PLAN_SIGNAL:
	case PLAN_EXPECT_EXIT:
	case PLAN_EXPECT_SECOND_FAILS:
	case PLAN_SNAPSHOT:
	case PLAN_EXPECT_COUNT:
		return step_target(f, s);
	default:
		return expect_start(f, s);
	}
}

static void fiber_complete(struct fiber *f)
{
	struct engine *e = f->eng;

	fiber_end(f);
	if (f->parent) {
		block_child_done(f->parent);
		return;
	}
	/* The root ran to its end: PASS, unless a write failed unexplained. */
	for (struct conn *c = e->conns; c; c = c->next)
		if (c->write_err && !c->write_err_explained) {
			engine_fail(e, c->write_err_stmt, VERDICT_FAIL,
			            "write on %s failed: %s after %zu of %zu bytes", c->name,
			            uv_strerror(c->write_err), c->write_err_at, c->write_err_of);
			return;
		}
	engine_finish(e);
}

static void fiber_run(struct fiber *f)
{
	enum step r;

	if (f->in_run) {
		f->wake = 1;
		return;
	}
	f->in_run = 1;
	while (!f->eng->finished && f->pc < f->n) {
		f->cur = &f->stmts[f->pc];
		f->wake = 0;
		f->wait_start_ns = uv_hrtime();
		r = step(f, f->cur);
		if (r == STEP_STOP)
			break;
		if (r == STEP_WAIT && !f->wake) {
			f->in_run = 0;
			return;
		}
		f->pc++;
	}
	f->in_run = 0;
	if (!f->eng->finished && f->pc >= f->n && !f->done)
		fiber_complete(f);
}

void fiber_resume(struct fiber *f)
{
	if (f->in_run) {
		f->wake = 1;
		return;
	}
	if (f->eng->finished)
		return;
	f->pc++;
	fiber_run(f);
}

/* ---- one case ---- */

static void on_case_timeout(uv_timer_t *t)
{
	struct engine *e = t->data;
	const struct plan_stmt *s = e->root->pc < e->root->n ? &e->root->stmts[e->root->pc] : NULL;

	engine_fail(e, s, VERDICT_FAIL, "the case did not finish within its timeout of %llu ms",
	            (unsigned long long)engine_ms(e, e->plan->timeout_ms));
}

static void engine_free(struct engine *e)
{
	struct fiber *f;
	struct binding *b;

	while ((f = e->fibers)) {
		e->fibers = f->all_next;
		while ((b = f->names)) {
			f->names = b->next;
			free(b);
		}
		free(f->wbuf);
		free(f->want);
		match_regex_free(f->re);
		free(f);
	}
	conn_free_all(e);
	wire_free(&e->wire);
	free(e->message);
	free(e);
}

/* A failure while the target had died on its own: say so. */
static void note_target_death(struct engine *e)
{
	int code = -1, signo = 0;
	char *more;

	if (e->verdict == VERDICT_PASS || e->exit_expected || !target_launched(e->env->target) ||
	    !target_exit_info(e->env->target, &code, &signo) || !e->message)
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

int engine_run(const struct plan *p, const struct engine_env *env, struct engine_result *out)
{
	struct engine *e = calloc(1, sizeof(*e));
	uint64_t seed = env->seed;

	memset(out, 0, sizeof(*out));
	if (!e || wire_init(&e->wire, uv_hrtime()) < 0) {
		free(e);
		return -1;
	}
	e->plan = p;
	e->env = env;
	e->loop = env->loop;
	e->t0_ns = e->wire.t0_ns;
	e->verdict = VERDICT_PASS;
	for (const char *c = p->id; *c; c++) /* each case its own splits */
		seed = seed * 1099511628211ULL ^ (uint8_t)*c;
	split_rng_seed(&e->rng, seed);
	uv_timer_init(e->loop, &e->case_timer);
	e->case_timer.data = e;
	e->handles++;
	uv_timer_start(&e->case_timer, on_case_timeout, engine_ms(e, p->timeout_ms), 0);
	watch_exit(e);
	e->root = fiber_new(e, NULL, p->stmts, p->nstmts, 0);
	if (!e->root)
		engine_fail(e, NULL, VERDICT_ERROR, "out of memory");
	else
		fiber_run(e->root);
	while (!e->finished)
		uv_run(e->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&e->case_timer, on_handle_closed);
	while (e->handles > 0 || e->target_ops > 0)
		uv_run(e->loop, UV_RUN_ONCE);
	note_target_death(e);
	out->verdict = e->verdict;
	out->message = e->message ? e->message : strdup("");
	e->message = NULL;
	out->line = e->line;
	out->duration_ms = (uv_hrtime() - e->t0_ns) / 1000000;
	out->timeline = wire_take(&e->wire);
	engine_free(e);
	return out->message && out->timeline ? 0 : -1;
}

void engine_result_free(struct engine_result *r)
{
	free(r->message);
	free(r->timeline);
	memset(r, 0, sizeof(*r));
}
