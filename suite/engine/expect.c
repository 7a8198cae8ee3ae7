/* SPDX-License-Identifier: MIT */
/*
 * Expectations on a connection (see expect.h). Known bytes (expect DATA,
 * expect line DATA) are matched in the connection as they arrive
 * (conn_match_known()); the other kinds look at what is buffered.
 */
#define _GNU_SOURCE
#include "expect.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "diagnose.h"
#include "escape.h"

#define SHOW          64 /* bytes quoted in a message */
#define DUMP          96 /* bytes hex-dumped in a message */
#define STAMP_SLACK_S 2  /* timestamps: within 2 s of the truth */

#define KEEP_BEFORE 64  /* bytes the report keeps before the first difference */
#define KEEP        512 /* bytes the report keeps of each side, at most */

enum eval {
	EV_OK,      /* satisfied */
	EV_PENDING, /* wait for more */
	EV_FAILED,  /* op_fail() was called */
};

/* Bytes a message shows: received ones (the last matched bytes no longer
 * buffered, then the buffer) or expected ones. */
struct shown {
	uint64_t len;                    /* bytes in all */
	int binary;                      /* a hex dump is shown too */
	const uint8_t *head, *body;      /* memory: head bytes, then body bytes */
	size_t head_len, body_len;       /* their counts */
	uint64_t base;                   /* stream offset of head[0] */
	const struct match_known *known; /* or the expected known bytes */
};

static size_t shown_copy(const struct shown *s, uint64_t from, uint8_t *out, size_t n)
{
	size_t k = 0;

	if (s->known)
		return match_known_expected(s->known, from, out, n);
	while (k < n && from + k < s->base + s->head_len + s->body_len) {
		uint64_t at = from + k - s->base;
		out[k++] = at < s->head_len ? s->head[at] : s->body[at - s->head_len];
	}
	return k;
}

static int known_binary(const struct match_known *m)
{
	uint8_t buf[4096];
	uint64_t at = 0;
	size_t n;

	while ((n = match_known_expected(m, at, buf, sizeof(buf))) > 0) {
		if (escape_is_binary(buf, n))
			return 1;
		at += n;
	}
	return 0;
}

static struct shown shown_mem(const uint8_t *data, size_t len)
{
	struct shown s = {.len = len, .head = data, .head_len = len};

	s.binary = escape_is_binary(data, len);
	return s;
}

/* What c received since the expectation began. */
static struct shown shown_received(const struct conn *c)
{
	struct shown s = {.body = c->rx, .body_len = c->rx_len, .base = c->dropped};
	uint64_t tail_start = c->known.matched - c->known.tail_len;

	if (c->known_at && c->dropped > 0 && tail_start < c->dropped) {
		s.head = c->known.tail;
		s.head_len = (size_t)(c->dropped - tail_start);
		s.base = tail_start;
	}
	s.len = c->dropped + c->rx_len;
	s.binary = escape_is_binary(s.head, s.head_len) || escape_is_binary(c->rx, c->rx_len);
	return s;
}

/* Quotes up to SHOW bytes from around offset `at`: "h\x00i"... (N bytes,
 * from byte K), and adds a hex dump to dump when binary. */
static void describe(struct strbuf *out, struct strbuf *dump, const struct shown *s, uint64_t at,
                     const char *label)
{
	uint8_t win[SHOW > DUMP ? SHOW : DUMP];
	uint64_t start = at > 16 ? at - 16 : 0, row = start & ~(uint64_t)15;
	size_t n, k;

	if (s->len == 0) {
		strbuf_puts(out, "nothing");
		return;
	}
	n = s->len - start < SHOW ? (size_t)(s->len - start) : SHOW;
	k = shown_copy(s, start, win, n);
	escape_quote_sb(out, win, k, k);
	if (start > 0 || n < s->len - start) {
		strbuf_printf(out, "%s (%llu bytes", n < s->len - start ? "..." : "",
		              (unsigned long long)s->len);
		if (start > 0)
			strbuf_printf(out, ", from byte %llu", (unsigned long long)start);
		strbuf_putc(out, ')');
	}
	if (s->binary) {
		strbuf_printf(dump, "\n    %s\n", label);
		k = shown_copy(s, row, win, DUMP);
		escape_hexdump_sb(dump, win, k, DUMP, "        ");
	}
}

/* First offset where a and b differ (within the shorter length). */
static size_t diff_at(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

static int known_kind(enum plan_op op)
{
	return op == PLAN_EXPECT_BYTES || op == PLAN_EXPECT_LINE;
}

/* What expect NAME any wanted, for the message. */
static void describe_any(struct op *op, struct strbuf *sb)
{
	const struct op_expect *x = &op->u.expect;

	if (x->any_prefix > 0)
		strbuf_printf(sb, "a %u-byte length prefix", x->any_prefix);
	else
		strbuf_printf(sb, "%llu more byte%s (%llu of any value in all)",
		              (unsigned long long)x->any_left, x->any_left == 1 ? "" : "s",
		              (unsigned long long)x->any_total);
}

/* What the statement wanted, for the message. */
static void describe_want(struct op *op, struct strbuf *sb, struct strbuf *dump, uint64_t at)
{
	const struct op_expect *x = &op->u.expect;
	struct shown s;

	switch (op->stmt->op) {
	case PLAN_EXPECT_REGEX:
		strbuf_printf(sb, "a match for /%.*s%s/",
		              (int)(x->want_len > SHOW ? SHOW : x->want_len), (const char *)x->want,
		              x->want_len > SHOW ? "..." : "");
		return;
	case PLAN_EXPECT_TIMESTAMP:
		strbuf_puts(sb, "\"[CTIME] \" then ");
		s = shown_mem(x->want, x->want_len);
		describe(sb, dump, &s, 0, "expected after the time:");
		return;
	case PLAN_EXPECT_NOTHING:
		strbuf_puts(sb, "nothing");
		return;
	case PLAN_EXPECT_EOF:
		strbuf_puts(sb, "EOF");
		return;
	case PLAN_EXPECT_RESET:
		strbuf_puts(sb, "a reset");
		return;
	case PLAN_EXPECT_CLOSED:
		strbuf_puts(sb, "EOF or a reset");
		return;
	case PLAN_EXPECT_NO_DATAGRAM:
		strbuf_puts(sb, "no datagram");
		return;
	case PLAN_EXPECT_ANY:
		describe_any(op, sb);
		return;
	case PLAN_EXPECT_BYTES:
	case PLAN_EXPECT_LINE:
		s = (struct shown){.len = op->conn->known.total, .known = &op->conn->known};
		s.binary = known_binary(&op->conn->known);
		describe(sb, dump, &s, at, "expected:");
		return;
	case PLAN_EXPECT_DATAGRAM:
		if (x->want_len == 0) { /* "expected nothing" would read as no datagram */
			strbuf_puts(sb, "an empty datagram");
			return;
		}
		s = shown_mem(x->want, x->want_len);
		describe(sb, dump, &s, at, "expected:");
		return;
	case PLAN_EXPECT_DATAGRAM_TIMESTAMP:
		strbuf_puts(sb, "a datagram \"[CTIME] \" then ");
		s = shown_mem(x->want, x->want_len);
		describe(sb, dump, &s, 0, "expected after the time:");
		return;
	case PLAN_EXPECT_REFUSED:
	case PLAN_CONNECT:
	case PLAN_WRITE:
	case PLAN_SEND:
	case PLAN_SHUTDOWN:
	case PLAN_CLOSE:
	case PLAN_RESET:
	case PLAN_PAUSE:
	case PLAN_RESUME:
	case PLAN_SLEEP:
	case PLAN_PARALLEL:
	case PLAN_REPEAT:
	case PLAN_MEASURE:
	case PLAN_RESTART:
	case PLAN_SIGNAL:
	case PLAN_EXPECT_EXIT:
	case PLAN_EXPECT_SECOND_FAILS:
	case PLAN_SNAPSHOT:
	case PLAN_EXPECT_COUNT:
		break;
	}
	assert(!"not an expectation on a connection");
}

static const char *dur(uint64_t ms, char *buf, size_t cap)
{
	if (ms % 1000 == 0)
		snprintf(buf, cap, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, cap, "%llums", (unsigned long long)ms);
	return buf;
}

/* n bytes of s from offset `from` into a new buffer (*out, *len);
 * -1 when memory ran out. */
static int keep_window(const struct shown *s, uint64_t from, size_t n, uint8_t **out, size_t *len)
{
	*out = malloc(n ? n : 1);
	if (!*out)
		return -1;
	*len = shown_copy(s, from, *out, n);
	return 0;
}

static size_t keep_len(uint64_t total, uint64_t from)
{
	return from >= total ? 0 : total - from < KEEP ? (size_t)(total - from) : KEEP;
}

/* Keeps what a failed expectation of bytes compared, for the report's
 * side-by-side view (struct report_bytes): windows of both sides around
 * the first difference `at`, or the pattern and the received bytes. */
static void keep_bytes(struct op *op, uint64_t at, const struct shown *got)
{
	struct report_bytes *b = &op->ctx->failed_bytes;
	const struct op_expect *x = &op->u.expect;
	enum plan_op kind = op->stmt->op;
	struct shown want;
	uint64_t from = got->base;

	if (op->ctx->finished || b->shown || got->len == 0)
		return;
	if (known_kind(kind))
		want = (struct shown){.len = op->conn->known.total, .known = &op->conn->known};
	else if (kind == PLAN_EXPECT_REGEX || kind == PLAN_EXPECT_DATAGRAM)
		want = shown_mem(x->want, x->want_len);
	else
		return;
	if (kind == PLAN_EXPECT_DATAGRAM && got->len == want.len && at == want.len)
		return; /* the same bytes, from the wrong sender */
	if (kind != PLAN_EXPECT_REGEX && at > from + KEEP_BEFORE)
		from = at - KEEP_BEFORE;
	*b = (struct report_bytes){.shown = 1,
	                           .pattern = kind == PLAN_EXPECT_REGEX,
	                           .from = from,
	                           .diff = at,
	                           .expected_total = want.len,
	                           .received_total = got->len};
	if (keep_window(&want, b->pattern ? 0 : from, keep_len(want.len, b->pattern ? 0 : from),
	                &b->expected, &b->expected_len) < 0 ||
	    keep_window(got, from, keep_len(got->len, from), &b->received, &b->received_len) < 0) {
		free(b->expected);
		memset(b, 0, sizeof(*b)); /* the message alone, then */
	}
}

/* Fails the expectation: "connection c1: expected WANT within D, got
 * ...", hex dumps of binary data after the sentence. */
static enum eval fail(struct op *op, const char *why)
{
	struct conn *c = op->conn;
	const struct op_expect *x = &op->u.expect;
	enum plan_op kind = op->stmt->op;
	struct strbuf msg = {NULL, 0, 0, 0}, dump = {NULL, 0, 0, 0};
	uint64_t at =
	    known_kind(kind) ? c->known.matched : diff_at(c->rx, c->rx_len, x->want, x->want_len);
	struct shown got = shown_received(c);
	char d[32], short_of[96];

	strbuf_printf(&msg, "connection %s: expected ", c->name);
	describe_want(op, &msg, &dump, at);
	strbuf_printf(&msg, " %s %s, got ",
	              kind == PLAN_EXPECT_NOTHING || kind == PLAN_EXPECT_NO_DATAGRAM ? "for"
	                                                                             : "within",
	              dur(op_within(op), d, sizeof(d)));
	describe(&msg, &dump, &got, at, "received:");
	keep_bytes(op, at, &got);
	conn_status(c, &msg);
	if (!why && known_kind(kind) && c->known.matched > 0 && c->known.matched < c->known.total) {
		snprintf(short_of, sizeof(short_of),
		         "the reply stopped short: %llu of %llu bytes arrived",
		         (unsigned long long)c->known.matched, (unsigned long long)c->known.total);
		why = short_of;
	}
	if (c->connect_ns && c->connected_ns)
		diagnose_connect(&msg, (c->connected_ns - c->connect_ns) / 1000000,
		                 target_listen_backlog(op->ctx->target));
	if (why)
		strbuf_printf(&msg, " (%s)", why);
	strbuf_puts(&msg, strbuf_text(&dump));
	strbuf_release(&dump);
	op_fail_sb(op, VERDICT_FAIL, &msg);
	return EV_FAILED;
}

static enum eval eval_known(struct op *op)
{
	struct conn *c = op->conn;
	char why[64];

	switch (conn_match_known(c)) {
	case MATCH_OK:
		conn_forget_known(c);
		return EV_OK;
	case MATCH_MISMATCH:
		snprintf(why, sizeof(why), "differs at byte %llu",
		         (unsigned long long)c->known.matched);
		return fail(op, why);
	case MATCH_NEED_MORE:
		break;
	}
	return conn_ended(c) ? fail(op, NULL) : EV_PENDING;
}

static enum eval eval_buffered(struct op *op)
{
	struct conn *c = op->conn;
	struct op_expect *x = &op->u.expect;
	size_t used = 0;
	char why[160];
	enum match_result r;

	if (op->stmt->op == PLAN_EXPECT_REGEX)
		r = match_regex(x->re, c->rx, c->rx_len, conn_ended(c), &used);
	else
		r = match_timestamp(c->rx, c->rx_len, x->want, x->want_len, time(NULL),
		                    STAMP_SLACK_S, &used, why, sizeof(why));
	if (r == MATCH_OK) {
		if (op->stmt->op == PLAN_EXPECT_REGEX && capture_groups(op, x->re, c->rx) < 0)
			return EV_FAILED;
		conn_consume(c, used);
		return EV_OK;
	}
	if (r == MATCH_MISMATCH)
		return fail(op, op->stmt->op == PLAN_EXPECT_REGEX ? "no match" : why);
	return conn_ended(c) ? fail(op, NULL) : EV_PENDING;
}

/* expect NAME any: so many bytes, whatever they are, read as they come
 * (never buffered whole), after their length prefix if it has one. */
static enum eval eval_any(struct op *op)
{
	struct conn *c = op->conn;
	struct op_expect *x = &op->u.expect;
	size_t n;
	unsigned i;

	if (x->any_prefix > 0) {
		if (c->rx_len < x->any_prefix)
			return conn_ended(c) ? fail(op, NULL) : EV_PENDING;
		for (i = 0; i < x->any_prefix; i++)
			x->any_total = x->any_total << 8 | c->rx[i];
		conn_consume(c, x->any_prefix);
		x->any_prefix = 0;
		x->any_left = x->any_total;
	}
	n = c->rx_len < x->any_left ? c->rx_len : (size_t)x->any_left;
	if (n > 0) {
		conn_consume(c, n);
		x->any_left -= n;
	}
	if (x->any_left == 0)
		return EV_OK;
	return conn_ended(c) ? fail(op, NULL) : EV_PENDING;
}

static enum eval eval_end(struct op *op)
{
	struct conn *c = op->conn;
	enum plan_op kind = op->stmt->op;

	if (c->rx_len > 0)
		return fail(op, NULL);
	if (!conn_ended(c))
		return EV_PENDING;
	if ((kind == PLAN_EXPECT_EOF && !c->eof) || (kind == PLAN_EXPECT_RESET && !c->reset))
		return fail(op, NULL);
	c->write_err_explained = 1;
	return EV_OK;
}

static int same_addr(const struct sockaddr_storage *a, const struct addr *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)&b->ss;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)&b->ss;

	if (a->ss_family != b->ss.ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

static enum eval eval_datagram(struct op *op)
{
	struct conn *c = op->conn;
	const struct op_expect *x = &op->u.expect;
	struct dgram *d = c->dq;
	const struct addr *server = target_addr(op->ctx->target);
	char why[512], from[ADDR_TEXT_MAX], want[ADDR_TEXT_MAX];
	struct addr a;
	int from_ok;

	if (!d)
		return EV_PENDING;
	c->dq = d->next;
	if (!c->dq)
		c->dq_tail = NULL;
	c->dq_count--;
	/* Present the datagram as the received bytes for the message. */
	free(c->rx);
	c->rx = malloc(d->len ? d->len : 1);
	c->rx_len = c->rx ? d->len : 0;
	c->rx_cap = c->rx_len;
	if (c->rx)
		memcpy(c->rx, d->data, d->len);
	addr_from_sockaddr(&a, (struct sockaddr *)&d->from, sizeof(d->from));
	addr_format(&a, from, sizeof(from));
	addr_format(server, want, sizeof(want));
	from_ok = same_addr(&d->from, server);
	free(d);
	if (op->stmt->op == PLAN_EXPECT_NO_DATAGRAM)
		return fail(op, NULL);
	if (op->stmt->op == PLAN_EXPECT_DATAGRAM_TIMESTAMP) {
		size_t used = 0;
		enum match_result r =
		    match_timestamp(c->rx, c->rx_len, x->want, x->want_len, time(NULL),
		                    STAMP_SLACK_S, &used, why, sizeof(why));
		if (r == MATCH_NEED_MORE || (r == MATCH_OK && used != c->rx_len))
			snprintf(why, sizeof(why),
			         "a datagram of %zu bytes, expected \"[CTIME] \" and %zu",
			         c->rx_len, x->want_len);
		if (r != MATCH_OK || used != c->rx_len)
			return fail(op, why);
	} else if (c->rx_len != x->want_len ||
	           (c->rx_len && memcmp(c->rx, x->want, c->rx_len) != 0)) {
		snprintf(why, sizeof(why), "a datagram of %zu bytes, expected %zu", c->rx_len,
		         x->want_len);
		return fail(op, why);
	}
	if (!from_ok) {
		snprintf(why, sizeof(why), "it came from %s, not from %s where it was sent", from,
		         want);
		return fail(op, why);
	}
	c->rx_len = 0;
	return EV_OK;
}

static enum eval evaluate(struct op *op)
{
	struct conn *c = op->conn;

	switch (op->stmt->op) {
	case PLAN_EXPECT_BYTES:
	case PLAN_EXPECT_LINE:
		return eval_known(op);
	case PLAN_EXPECT_REGEX:
	case PLAN_EXPECT_TIMESTAMP:
		return eval_buffered(op);
	case PLAN_EXPECT_NOTHING:
		return c->rx_len > 0 || conn_ended(c) ? fail(op, NULL) : EV_PENDING;
	case PLAN_EXPECT_EOF:
	case PLAN_EXPECT_RESET:
	case PLAN_EXPECT_CLOSED:
		return eval_end(op);
	case PLAN_EXPECT_DATAGRAM:
	case PLAN_EXPECT_DATAGRAM_TIMESTAMP:
	case PLAN_EXPECT_NO_DATAGRAM:
		return eval_datagram(op);
	case PLAN_EXPECT_ANY:
		return eval_any(op);
	case PLAN_EXPECT_REFUSED:
	case PLAN_CONNECT:
	case PLAN_WRITE:
	case PLAN_SEND:
	case PLAN_SHUTDOWN:
	case PLAN_CLOSE:
	case PLAN_RESET:
	case PLAN_PAUSE:
	case PLAN_RESUME:
	case PLAN_SLEEP:
	case PLAN_PARALLEL:
	case PLAN_REPEAT:
	case PLAN_MEASURE:
	case PLAN_RESTART:
	case PLAN_SIGNAL:
	case PLAN_EXPECT_EXIT:
	case PLAN_EXPECT_SECOND_FAILS:
	case PLAN_SNAPSHOT:
	case PLAN_EXPECT_COUNT:
		break;
	}
	assert(!"not an expectation on a connection");
	return EV_FAILED;
}

void expect_release(struct op *op)
{
	struct op_expect *x = &op->u.expect;

	if (op->conn && op->conn->reader == op)
		op->conn->reader = NULL;
	free(x->want);
	x->want = NULL;
	x->want_len = 0;
	match_regex_free(x->re);
	x->re = NULL;
}

/* The expectation is over, one way or the other. */
static void settle(struct op *op, enum eval r)
{
	if (r == EV_PENDING)
		return;
	if (op->conn->known_at == op->stmt && r == EV_FAILED)
		conn_forget_known(op->conn);
	expect_release(op);
	if (r == EV_OK)
		op_done(op);
}

static void on_input(struct op *op)
{
	if (!op->ctx->finished)
		settle(op, evaluate(op));
}

static void on_deadline(struct op *op)
{
	enum plan_op kind = op->stmt->op;

	/* Quiet for the whole time is what these two wanted. */
	settle(op, kind == PLAN_EXPECT_NOTHING || kind == PLAN_EXPECT_NO_DATAGRAM ? EV_OK
	                                                                          : fail(op, NULL));
}

/* Renders what a buffered or datagram expectation needs. */
static int prepare(struct op *op)
{
	const struct plan_stmt *s = op->stmt;
	struct op_expect *x = &op->u.expect;
	char err[256];

	memset(x, 0, sizeof(*x));
	if (known_kind(s->op)) {
		conn_expect_known(op->conn, s, op->index, s->op == PLAN_EXPECT_LINE);
		return 0;
	}
	if (s->op == PLAN_EXPECT_ANY) {
		x->any_prefix = s->prefix;
		x->any_total = (uint64_t)s->count;
		if (s->var[0] != '\0' && capture_count(op, &x->any_total) < 0)
			return -1;
		x->any_left = x->any_total;
		return 0;
	}
	if (plan_bytes_render_vars(&s->data, op->index, &op->ctx->vars, &x->want, &x->want_len) < 0)
		return op_fail(op, VERDICT_ERROR, "out of memory"), -1;
	if (s->op == PLAN_EXPECT_REGEX &&
	    match_regex_compile(x->want, x->want_len, &x->re, err, sizeof(err)) < 0)
		return op_fail(op, VERDICT_ERROR, "%s", err), -1;
	return 0;
}

void expect_start(struct op *op, struct conn *c)
{
	enum plan_op kind = op->stmt->op;
	int dgram = kind == PLAN_EXPECT_DATAGRAM || kind == PLAN_EXPECT_DATAGRAM_TIMESTAMP ||
	            kind == PLAN_EXPECT_NO_DATAGRAM;
	char addr[ADDR_TEXT_MAX];
	enum eval r;

	op->conn = c;
	if (kind == PLAN_EXPECT_REFUSED) { /* settled by the connect before it */
		addr_format(target_addr(op->ctx->target), addr, sizeof(addr));
		if (c->refused)
			op_done(op);
		else
			op_fail(op, VERDICT_FAIL,
			        "connection %s: expected the connection to %s to be refused, "
			        "it was accepted (the server still listens)",
			        c->name, addr);
		return;
	}
	if (dgram != (c->transport == PLAN_TRANSPORT_UDP)) {
		op_fail(op, VERDICT_ERROR, "connection %s is %s: use %s", c->name,
		        dgram ? "a stream" : "udp", dgram ? "expect DATA" : "expect datagram");
		return;
	}
	if (prepare(op) < 0) {
		expect_release(op);
		return;
	}
	c->reader = op;
	c->on_input = on_input;
	r = evaluate(op);
	if (r == EV_PENDING)
		op_after(op, op_within(op), on_deadline);
	settle(op, r);
}
