/* SPDX-License-Identifier: MIT */
/*
 * Fibers (see fiber.h). Each fiber has one timer, opened with it and
 * closed when it ends; a child fiber is freed by that close callback, so
 * freeing never happens under a fiber's own feet. Every statement ends
 * in op_done() (go on) or op_fail() (the engine ends the case); a step
 * that completes at once sets `wake` instead of recursing.
 */
#include "fiber.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "conn.h"
#include "diagnose.h"
#include "expect.h"
#include "server.h"

/* A connection name bound in a fiber. */
struct binding {
	struct binding *next;     /* older bindings */
	char name[PLAN_NAME_MAX]; /* name in the case file */
	struct conn *conn;        /* current connection of that name */
};

struct fiber {
	struct op op;                        /* the statement in flight (first: op is the fiber) */
	struct fiber *parent;                /* block statement waiting for us; NULL: root */
	struct fiber *prev, *next;           /* ctx->fibers */
	const struct plan_stmt *stmts;       /* statements to run */
	size_t n, pc;                        /* count, next to run */
	struct binding *names;               /* connections named in this fiber */
	uv_timer_t timer;                    /* deadlines and sleeps of its statements */
	op_cb timer_cb;                      /* what the timer calls */
	void (*root_done)(struct casectx *); /* root: ran to its end */
	int done;                            /* ran to its end */
	int in_run;                          /* fiber_run() is on the stack for it */
	int wake;                            /* its statement ended while in_run */
	uint64_t start_delay;                /* ms to wait before its first statement */
};

static void fiber_run(struct fiber *f);

static struct fiber *fiber_of(struct op *op)
{
	return (struct fiber *)op; /* op is the first member */
}

/* ---- the timer and the life of a fiber ---- */

static void on_timer(uv_timer_t *t)
{
	struct fiber *f = t->data;
	op_cb cb = f->timer_cb;

	f->timer_cb = NULL;
	if (cb && !f->op.ctx->finished)
		cb(&f->op);
}

void fiber_op_timer(struct op *op, uint64_t ms, op_cb cb)
{
	struct fiber *f = fiber_of(op);

	f->timer_cb = cb;
	(void)uv_timer_start(&f->timer, on_timer, ms, 0);
}

void fiber_op_stop_timer(struct op *op)
{
	struct fiber *f = fiber_of(op);

	f->timer_cb = NULL;
	(void)uv_timer_stop(&f->timer);
}

/* Releases what the statement in flight holds (the case ended under it). */
static void release_op(struct op *op)
{
	if (!op->stmt)
		return;
	if (op->stmt->op == PLAN_WRITE || op->stmt->op == PLAN_SEND) {
		free(op->u.write.buf);
		op->u.write.buf = NULL;
	} else if (op->stmt->op >= PLAN_EXPECT_BYTES && op->stmt->op <= PLAN_EXPECT_NO_DATAGRAM) {
		expect_release(op);
	}
}

static void fiber_free(struct fiber *f)
{
	struct casectx *ctx = f->op.ctx;
	struct binding *b;

	if (f->prev)
		f->prev->next = f->next;
	else
		ctx->fibers = f->next;
	if (f->next)
		f->next->prev = f->prev;
	while ((b = f->names)) {
		f->names = b->next;
		free(b);
	}
	release_op(&f->op);
	free(f);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct fiber *f = h->data;

	f->op.ctx->handles--;
	if (f->done && f->parent)
		fiber_free(f); /* a child that ended; the rest go with the case */
}

static void close_timer(struct fiber *f)
{
	if (uv_is_closing((uv_handle_t *)&f->timer))
		return;
	f->timer_cb = NULL;
	uv_close((uv_handle_t *)&f->timer, on_timer_closed);
}

static struct fiber *fiber_new(struct casectx *ctx, struct fiber *parent,
                               const struct plan_stmt *stmts, size_t n, long index)
{
	struct fiber *f = calloc(1, sizeof(*f));

	if (!f || uv_timer_init(ctx->loop, &f->timer) < 0) {
		free(f);
		return NULL;
	}
	f->timer.data = f;
	ctx->handles++;
	f->op.ctx = ctx;
	f->op.index = index;
	f->op.nested = parent != NULL;
	f->parent = parent;
	f->stmts = stmts;
	f->n = n;
	f->next = ctx->fibers;
	if (ctx->fibers)
		ctx->fibers->prev = f;
	ctx->fibers = f;
	return f;
}

/* ---- connections by name ---- */

static struct binding *own_binding(struct fiber *f, const char *name)
{
	for (struct binding *b = f->names; b; b = b->next)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

/* The connection a statement names; the parser guarantees there is one. */
static struct conn *lookup(struct fiber *f, const struct plan_stmt *s)
{
	for (struct fiber *g = f; g; g = g->parent) {
		struct binding *b = own_binding(g, s->conn);
		if (b)
			return b->conn;
	}
	assert(!"a statement names a connection that was never made");
	return NULL;
}

/* A write on c failed and nothing explained it (no expect eof, reset
 * or closed after it): the case fails there. Returns 1 if so. */
static int unexplained_write(struct casectx *ctx, struct conn *c)
{
	struct strbuf msg = {NULL, 0, 0, 0};

	if (!c->write_err || c->write_err_explained)
		return 0;
	strbuf_printf(&msg, "write on %s failed: %s after %llu of %llu bytes", c->name,
	              uv_strerror(c->write_err), (unsigned long long)c->write_err_at,
	              (unsigned long long)c->write_err_of);
	ctx->host->failed(ctx, c->write_err_stmt, VERDICT_FAIL, &msg);
	return 1;
}

/* The next statement of this fiber on the connection of the current
 * one, unless a block comes first; NULL if none. */
static const struct plan_stmt *next_on_conn(const struct fiber *f)
{
	for (size_t i = f->pc + 1; i < f->n; i++) {
		const struct plan_stmt *s = &f->stmts[i];
		if (s->op == PLAN_PARALLEL || s->op == PLAN_REPEAT || s->op == PLAN_MEASURE)
			return NULL;
		if (strcmp(s->conn, f->op.stmt->conn) == 0)
			return s;
	}
	return NULL;
}

static void step_connect(struct fiber *f)
{
	struct op *op = &f->op;
	const struct plan_stmt *s = op->stmt, *next;
	const struct addr *to = target_addr(op->ctx->target);
	enum plan_transport tr = s->transport ? s->transport : op->ctx->transport;
	int unix_target = addr_family(to) == AF_UNIX;
	struct binding *b = own_binding(f, s->conn);
	char name[CONN_NAME_MAX];
	struct conn *c;

	if ((tr == PLAN_TRANSPORT_UNIX) != unix_target ||
	    (tr == PLAN_TRANSPORT_UDP && unix_target)) {
		op_fail(op, VERDICT_ERROR, "connect %s: a %s connection cannot reach %s", s->conn,
		        tr == PLAN_TRANSPORT_UDP    ? "udp"
		        : tr == PLAN_TRANSPORT_UNIX ? "unix"
		                                    : "tcp",
		        unix_target ? "a unix socket target" : "an inet target");
		return;
	}
	if (b && unexplained_write(op->ctx, b->conn))
		return;
	if (op->nested)
		snprintf(name, sizeof(name), "%s#%ld", s->conn, op->index);
	else
		snprintf(name, sizeof(name), "%s", s->conn);
	if (!b && (b = calloc(1, sizeof(*b)))) {
		snprintf(b->name, sizeof(b->name), "%s", s->conn);
		b->next = f->names;
		f->names = b;
	} else if (b) {
		conn_release(b->conn);
		b->conn = NULL;
	}
	if (!b || !(c = conn_new(op->ctx, name, tr))) {
		op_fail(op, VERDICT_ERROR, "out of memory");
		return;
	}
	b->conn = c;
	c->rcvbuf = s->rcvbuf;
	next = next_on_conn(f);
	c->refusal_expected = next && next->op == PLAN_EXPECT_REFUSED;
	conn_connect(op, c, to);
}

/* ---- statements ---- */

/* When the next statement on this connection expects known bytes, they
 * are matched while the write still goes on: the echo of a large write
 * then never fills the runner's buffer. */
static void look_ahead(struct fiber *f, struct conn *c)
{
	const struct plan_stmt *s = next_on_conn(f);

	if (s && (s->op == PLAN_EXPECT_BYTES || s->op == PLAN_EXPECT_LINE))
		conn_expect_known(c, s, f->op.index, s->op == PLAN_EXPECT_LINE);
}

static void on_sleep(struct op *op)
{
	op_done(op);
}

static void step_stream(struct fiber *f)
{
	struct op *op = &f->op;
	const struct plan_stmt *s = op->stmt;
	struct conn *c = lookup(f, s);

	if (c->transport == PLAN_TRANSPORT_UDP || c->closed) {
		op_fail(op, VERDICT_ERROR, "%s %s: the connection is %s",
		        s->op == PLAN_WRITE ? "write" : "shutdown", c->name,
		        c->closed ? "closed" : "udp (use send)");
		return;
	}
	if (s->op == PLAN_SHUTDOWN) {
		conn_shutdown(op, c);
		return;
	}
	look_ahead(f, c);
	conn_write(op, c);
}

static void step_send(struct fiber *f)
{
	struct op *op = &f->op;
	struct conn *c = lookup(f, op->stmt);

	if (c->transport != PLAN_TRANSPORT_UDP || c->closed) {
		op_fail(op, VERDICT_ERROR, "send %s: not an open udp connection", c->name);
		return;
	}
	conn_send(op, c, target_addr(op->ctx->target));
}

/* ---- blocks ---- */

/* The limit of a parallel block passed: what its instances show. */
static void on_block_timeout(struct op *op)
{
	struct fiber *f = fiber_of(op);
	const struct op_block *b = &op->u.block;
	struct diag_block d = {.count = op->stmt->count,
	                       .live = b->live,
	                       .done = b->done,
	                       .done_span_ms = (b->last_done_ns - b->first_done_ns) / 1000000,
	                       .backlog = target_listen_backlog(op->ctx->target),
	                       .limit_ms = op_within(op)};
	struct strbuf msg = {NULL, 0, 0, 0};
	uint64_t now = uv_hrtime();

	for (struct fiber *g = op->ctx->fibers; g; g = g->next) {
		if (g->parent != f || g->done)
			continue;
		for (struct binding *n = g->names; n; n = n->next) {
			const struct conn *c = n->conn;
			uint64_t took =
			    c && c->connect_ns
			        ? (c->connected_ns ? c->connected_ns : now) - c->connect_ns
			        : 0;
			if (!c || c->transport == PLAN_TRANSPORT_UDP)
				continue;
			d.slow_connects += took / 1000000 >= DIAG_SLOW_CONNECT_MS;
			/* waiting: nothing since it connected, or since its last write */
			d.waiting += c->connected_ns && !conn_ended(c) &&
			             (!c->first_rx_ns || c->last_rx_ns < c->last_write_ns);
		}
	}
	diagnose_parallel(&msg, &d);
	op_fail_sb(op, VERDICT_FAIL, &msg);
}

/* Every instance ended: a measure block records how long it took. */
static void block_end(struct fiber *f)
{
	struct op *op = &f->op;
	uint64_t ms = (uv_hrtime() - op->started_ns) / 1000000;

	if (op->stmt->op == PLAN_MEASURE) {
		if (op_measured(op->ctx, op->stmt->snapshot, ms) < 0) {
			op_fail(op, VERDICT_ERROR, "more than %d measured durations",
			        OP_MEASURE_MAX);
			return;
		}
		op_log(op->ctx, "runner", "measured", (const uint8_t *)op->stmt->snapshot,
		       strlen(op->stmt->snapshot));
	}
	op_done(op);
}

/* Starts instances: every one of a parallel block, the next one of a
 * repeat block (and the one after, while instances end at once). */
static void block_fill(struct fiber *f)
{
	struct op *op = &f->op;
	struct op_block *b = &op->u.block;
	int parallel = op->stmt->op == PLAN_PARALLEL;

	b->pumping = 1;
	while (!op->ctx->finished && b->next < op->stmt->count && (parallel || b->live == 0)) {
		struct fiber *child =
		    fiber_new(op->ctx, f, op->stmt->body, op->stmt->nbody, b->next++);
		if (!child) {
			op_fail(op, VERDICT_ERROR, "out of memory");
			break;
		}
		b->live++;
		if (parallel)
			child->start_delay =
			    op_ms(op->ctx, op->stmt->stagger_ms * (uint64_t)child->op.index);
		fiber_run(child);
	}
	b->pumping = 0;
	if (!op->ctx->finished && b->live == 0 && b->next >= op->stmt->count)
		block_end(f);
}

static void step_block(struct fiber *f)
{
	struct op *op = &f->op;

	if (op->stmt->op == PLAN_PARALLEL && (op->stmt->ms > 0 || op->stmt->within_name[0]))
		op_after(op, op_within(op), on_block_timeout);
	block_fill(f);
}

static void block_child_done(struct fiber *f)
{
	struct op_block *b = &f->op.u.block;

	b->last_done_ns = uv_hrtime();
	if (b->done++ == 0)
		b->first_done_ns = b->last_done_ns;
	b->live--;
	if (!f->op.ctx->finished && !b->pumping)
		block_fill(f);
}

/* ---- the interpreter ---- */

static void step(struct fiber *f)
{
	struct op *op = &f->op;
	const struct plan_stmt *s = op->stmt;
	struct conn *c;

	if (capture_unset(op))
		return;
	switch (s->op) {
	case PLAN_CONNECT:
		step_connect(f);
		return;
	case PLAN_WRITE:
	case PLAN_SHUTDOWN:
		step_stream(f);
		return;
	case PLAN_SEND:
		step_send(f);
		return;
	case PLAN_CLOSE:
	case PLAN_RESET:
		conn_close(lookup(f, s), s->op == PLAN_RESET);
		op_done(op);
		return;
	case PLAN_PAUSE:
	case PLAN_RESUME:
		conn_pause(lookup(f, s), s->op == PLAN_PAUSE);
		op_done(op);
		return;
	case PLAN_EXPECT_BYTES:
	case PLAN_EXPECT_LINE:
	case PLAN_EXPECT_REGEX:
	case PLAN_EXPECT_TIMESTAMP:
	case PLAN_EXPECT_NOTHING:
	case PLAN_EXPECT_EOF:
	case PLAN_EXPECT_RESET:
	case PLAN_EXPECT_CLOSED:
	case PLAN_EXPECT_REFUSED:
	case PLAN_EXPECT_DATAGRAM:
	case PLAN_EXPECT_DATAGRAM_TIMESTAMP:
	case PLAN_EXPECT_NO_DATAGRAM:
	case PLAN_EXPECT_ANY:
		c = lookup(f, s);
		expect_start(op, c);
		return;
	case PLAN_SLEEP:
		op_after(op, op_ms(op->ctx, s->ms), on_sleep);
		return;
	case PLAN_PARALLEL:
	case PLAN_REPEAT:
	case PLAN_MEASURE:
		step_block(f);
		return;
	case PLAN_RESTART:
	case PLAN_SIGNAL:
	case PLAN_EXPECT_EXIT:
	case PLAN_EXPECT_SECOND_FAILS:
	case PLAN_SNAPSHOT:
	case PLAN_EXPECT_COUNT:
		server_step(op);
		return;
	}
	assert(!"unknown statement kind");
}

/* The fiber ran to its end. A child closes what it opened and tells its
 * parent; the root checks for failed writes nothing explained. */
static void fiber_complete(struct fiber *f)
{
	struct casectx *ctx = f->op.ctx;

	f->done = 1;
	f->op.stmt = NULL;
	if (!f->parent) {
		for (struct conn *c = ctx->conns; c; c = c->next)
			if (!c->released && unexplained_write(ctx, c))
				return;
		f->root_done(ctx);
		return;
	}
	for (struct binding *b = f->names; b; b = b->next) {
		if (unexplained_write(ctx, b->conn))
			return;
		conn_release(b->conn);
		b->conn = NULL;
	}
	close_timer(f); /* frees it */
	block_child_done(f->parent);
}

static void on_start_delay(struct op *op)
{
	fiber_run(fiber_of(op));
}

static void fiber_run(struct fiber *f)
{
	struct op *op = &f->op;

	if (f->in_run) {
		f->wake = 1;
		return;
	}
	if (f->start_delay) { /* a staggered instance of a parallel block */
		fiber_op_timer(op, f->start_delay, on_start_delay);
		f->start_delay = 0;
		return;
	}
	f->in_run = 1;
	while (!op->ctx->finished && f->pc < f->n) {
		op->stmt = &f->stmts[f->pc];
		op->started_ns = uv_hrtime();
		op->conn = NULL;
		memset(&op->u, 0, sizeof(op->u));
		f->wake = 0;
		step(f);
		if (!f->wake)
			break; /* waiting, or the case is over */
		f->pc++;
	}
	f->in_run = 0;
	if (!op->ctx->finished && f->pc >= f->n && !f->done)
		fiber_complete(f);
}

void fiber_op_done(struct op *op)
{
	struct fiber *f = fiber_of(op);

	fiber_op_stop_timer(op);
	if (f->in_run) {
		f->wake = 1;
		return;
	}
	if (op->ctx->finished)
		return;
	f->pc++;
	fiber_run(f);
}

struct fiber *fiber_start(struct casectx *ctx, const struct plan_stmt *stmts, size_t n,
                          void (*done)(struct casectx *ctx))
{
	struct fiber *root = fiber_new(ctx, NULL, stmts, n, 0);

	if (!root)
		return NULL;
	root->root_done = done;
	fiber_run(root);
	return root;
}

int fiber_exit_ahead(const struct fiber *root)
{
	for (size_t i = root ? root->pc : 0; root && i < root->n; i++)
		if (root->stmts[i].op == PLAN_EXPECT_EXIT)
			return 1;
	return 0;
}

const struct plan_stmt *fiber_current(const struct fiber *root)
{
	return root && root->pc < root->n ? &root->stmts[root->pc] : NULL;
}

void fiber_close_all(struct casectx *ctx)
{
	for (struct fiber *f = ctx->fibers; f; f = f->next)
		close_timer(f);
}

void fiber_free_all(struct casectx *ctx)
{
	while (ctx->fibers)
		fiber_free(ctx->fibers);
}
