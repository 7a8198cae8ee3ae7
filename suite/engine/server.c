/* SPDX-License-Identifier: MIT */
/*
 * Statements about the server under test (see server.h). Restarts and
 * second instances complete through target callbacks; resource counts
 * are polled from /proc every POLL_MS until they are back within bounds
 * or the statement's deadline passes.
 */
#define _GNU_SOURCE
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define POLL_MS 20 /* /proc polling period, not scaled */

static const char *const resource_names[] = {"fds", "threads", "children", "KiB of rss",
                                             "memory mappings"};

static void on_restarted(struct target *t, int status, void *arg)
{
	struct op *op = arg;
	size_t n = 0;
	const char *err = target_stderr(t, &n);

	if (op->ctx->finished)
		return;
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r'))
		n--;
	op->ctx->exit_expected = 0;
	if (status < 0) {
		op_fail(op, VERDICT_FAIL, "restart on the same address: the new instance %s%s%.*s",
		        status == -ETIMEDOUT ? "did not become ready in time"
		        : status == -ECHILD  ? "exited before it was ready"
		                             : strerror(-status),
		        n ? "; its stderr: " : "", (int)(n > 300 ? 300 : n), err);
		return;
	}
	op_log(op->ctx, "target", "restarted", NULL, 0);
	op_done(op);
}

static void on_exit_expected(struct target *t, int status, void *arg)
{
	struct op *op = arg;
	int code = -1, signo = 0, want = op->stmt->status;
	const char *what = want == PLAN_EXIT_NONZERO ? "non-zero" : "0";
	char alt[96] = "";

	(void)status;
	if (op->ctx->finished)
		return;
	if (op->stmt->signo)
		snprintf(alt, sizeof(alt), " (or to be ended by signal %d, %s)", op->stmt->signo,
		         strsignal(op->stmt->signo));
	op_stop_timer(op);
	target_exit_info(t, &code, &signo);
	op_log(op->ctx, "target", "exited", NULL, 0);
	if (want == PLAN_EXIT_NONZERO ? (signo != 0 || code != 0) : (signo == 0 && code == want)) {
		op_done(op);
	} else if (op->stmt->signo &&
	           (signo == op->stmt->signo || (signo == 0 && code == 128 + op->stmt->signo))) {
		op_done(op); /* ended by the signal it was sent, as a shell would report */
	} else if (signo) {
		op_fail(op, VERDICT_FAIL,
		        "expected the target to exit with %s%s, it died of signal %d (%s)",
		        want == PLAN_EXIT_NONZERO ? "a non-zero status" : "status 0", alt, signo,
		        strsignal(signo));
	} else {
		op_fail(op, VERDICT_FAIL,
		        "expected the target to exit with status %s%s, it exited with %d", what,
		        alt, code);
	}
}

static void on_exit_timeout(struct op *op)
{
	op_fail(op, VERDICT_FAIL, "the target was still running %llu ms later",
	        (unsigned long long)op_within(op));
}

static void on_second(struct target *t, int status, void *arg)
{
	struct op *op = arg;

	if (op->ctx->finished)
		return;
	if (status == 0) {
		op_log(op->ctx, "second-instance", target_second_report(t), NULL, 0);
		op_done(op);
		return;
	}
	op_fail(op, VERDICT_FAIL,
	        "a second instance on the same address should have failed, but: %s",
	        target_second_report(t));
}

static const struct snapshot *find_snapshot(const struct casectx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nsnaps; i++)
		if (strcmp(ctx->snaps[i].name, name) == 0)
			return &ctx->snaps[i];
	return NULL;
}

static long pick(const struct target_counts *c, enum plan_resource r)
{
	return r == PLAN_RES_FDS       ? c->fds
	       : r == PLAN_RES_THREADS ? c->threads
	       : r == PLAN_RES_RSS     ? c->rss_kib
	       : r == PLAN_RES_MAPS    ? c->mappings
	                               : c->children;
}

static void snapshot(struct op *op)
{
	struct casectx *ctx = op->ctx;
	struct snapshot *snap = (struct snapshot *)find_snapshot(ctx, op->stmt->snapshot);
	int rc;

	if (!snap && ctx->nsnaps == OP_SNAP_MAX) {
		op_fail(op, VERDICT_ERROR, "too many snapshots");
		return;
	}
	if (!snap)
		snap = &ctx->snaps[ctx->nsnaps++];
	snprintf(snap->name, sizeof(snap->name), "%s", op->stmt->snapshot);
	rc = target_counts(ctx->target, &snap->counts);
	if (rc < 0)
		op_fail(op, VERDICT_FAIL, "snapshot: reading /proc: %s", strerror(-rc));
	else
		op_done(op);
}

/* Reads /proc; 1 when within bounds, 0 not yet, -1 failed. */
static int count_ok(struct op *op, const struct snapshot *base)
{
	const struct plan_stmt *s = op->stmt;
	struct target_counts now;
	int rc = target_counts(op->ctx->target, &now);

	if (rc < 0) {
		op_fail(op, VERDICT_FAIL, "reading the target's %s from /proc: %s",
		        resource_names[s->resource], strerror(-rc));
		return -1;
	}
	op->u.count_seen = pick(&now, s->resource);
	return op->u.count_seen <= pick(&base->counts, s->resource) + s->slack;
}

static void poll_count(struct op *op)
{
	const struct plan_stmt *s = op->stmt;
	const struct snapshot *base = find_snapshot(op->ctx, s->snapshot);
	uint64_t waited = (uv_hrtime() - op->started_ns) / 1000000;
	int ok;

	assert(base); /* the parser wants the snapshot taken first */
	ok = count_ok(op, base);
	if (ok > 0)
		op_done(op);
	else if (ok == 0 && waited >= op_within(op))
		op_fail(op, VERDICT_FAIL,
		        "the target has %ld %s, expected at most %ld (snapshot %s) + %ld "
		        "within %llu ms: a leak?",
		        op->u.count_seen, resource_names[s->resource],
		        pick(&base->counts, s->resource), s->snapshot, s->slack,
		        (unsigned long long)op_within(op));
	else if (ok == 0)
		op_after(op, POLL_MS, poll_count);
}

static void target_error(struct op *op, int rc)
{
	if (rc < 0)
		op_fail(op, VERDICT_ERROR, "target: %s", strerror(-rc));
}

void server_step(struct op *op)
{
	struct casectx *ctx = op->ctx;
	const struct plan_stmt *s = op->stmt;
	int rc;

	switch (s->op) {
	case PLAN_RESTART:
		ctx->exit_expected = 1;
		op_log(ctx, "target", "restart", NULL, 0);
		target_error(op, target_restart(ctx->target, on_restarted, op));
		return;
	case PLAN_SIGNAL:
		op_log(ctx, "target", strsignal(s->signo), NULL, 0);
		rc = target_signal(ctx->target, s->signo);
		if (rc < 0)
			op_fail(op, VERDICT_FAIL, "signal %d: %s", s->signo, strerror(-rc));
		else
			op_done(op);
		return;
	case PLAN_EXPECT_EXIT:
		ctx->exit_expected = 1;
		op_after(op, op_within(op), on_exit_timeout);
		target_on_exit(ctx->target, on_exit_expected, op);
		return;
	case PLAN_EXPECT_SECOND_FAILS:
		target_error(op, target_second_instance(ctx->target, s->ms, on_second, op));
		return;
	case PLAN_SNAPSHOT:
		snapshot(op);
		return;
	case PLAN_EXPECT_COUNT:
		poll_count(op);
		return;
	case PLAN_CONNECT:
	case PLAN_WRITE:
	case PLAN_SEND:
	case PLAN_SHUTDOWN:
	case PLAN_CLOSE:
	case PLAN_RESET:
	case PLAN_PAUSE:
	case PLAN_RESUME:
	case PLAN_EXPECT_BYTES:
	case PLAN_EXPECT_LINE:
	case PLAN_EXPECT_REGEX:
	case PLAN_EXPECT_ANY:
	case PLAN_EXPECT_TIMESTAMP:
	case PLAN_EXPECT_NOTHING:
	case PLAN_EXPECT_EOF:
	case PLAN_EXPECT_RESET:
	case PLAN_EXPECT_CLOSED:
	case PLAN_EXPECT_REFUSED:
	case PLAN_EXPECT_DATAGRAM:
	case PLAN_EXPECT_DATAGRAM_TIMESTAMP:
	case PLAN_EXPECT_NO_DATAGRAM:
	case PLAN_SLEEP:
	case PLAN_PARALLEL:
	case PLAN_REPEAT:
	case PLAN_MEASURE:
		break;
	}
	assert(!"not a statement about the server");
}
