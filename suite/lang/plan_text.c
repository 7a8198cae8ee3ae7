/* SPDX-License-Identifier: MIT */
/*
 * Writing a plan back as case text (see plan_text.h). Every piece of a
 * DATA becomes one term ("bytes" * N, or "${i}" * N), which the parser
 * turns back into exactly that piece; a regex stays one string, as the
 * language requires. Bytes other than printable ASCII, and the three the
 * language reserves (" \ $), are written \xHH. Durations are written in
 * ms, so no rounding can creep in.
 */
#include "plan_text.h"

#include <inttypes.h>
#include <string.h>

/* The bytes of a string literal, without the quotes. */
static void put_string_body(struct strbuf *sb, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\' && s[i] != '$')
			strbuf_putc(sb, (char)s[i]);
		else
			strbuf_printf(sb, "\\x%02x", s[i]);
	}
}

static void put_string(struct strbuf *sb, const uint8_t *s, size_t n)
{
	strbuf_putc(sb, '"');
	put_string_body(sb, s, n);
	strbuf_putc(sb, '"');
}

/* DATA: one term per piece. */
static void put_data(struct strbuf *sb, const struct plan_bytes *b)
{
	size_t i;

	for (i = 0; i < b->nsegs; i++) {
		const struct plan_seg *s = &b->segs[i];

		strbuf_putc(sb, ' ');
		if (s->kind == PLAN_SEG_INDEX)
			strbuf_puts(sb, "\"${i}\"");
		else if (s->kind == PLAN_SEG_VAR)
			strbuf_printf(sb, "\"${%.*s}\"", (int)s->len, (const char *)s->bytes);
		else
			put_string(sb, s->bytes, s->len);
		if (s->repeat != 1)
			strbuf_printf(sb, " * %zu", s->repeat);
	}
}

/* A regex pattern: its pieces in one string. */
static void put_regex(struct strbuf *sb, const struct plan_bytes *b)
{
	size_t i;

	strbuf_puts(sb, " \"");
	for (i = 0; i < b->nsegs; i++) {
		if (b->segs[i].kind == PLAN_SEG_INDEX)
			strbuf_puts(sb, "${i}");
		else if (b->segs[i].kind == PLAN_SEG_VAR)
			strbuf_printf(sb, "${%.*s}", (int)b->segs[i].len,
			              (const char *)b->segs[i].bytes);
		else
			put_string_body(sb, b->segs[i].bytes, b->segs[i].len);
	}
	strbuf_putc(sb, '"');
}

static void put_limit(struct strbuf *sb, const struct plan_stmt *st)
{
	if (st->within_name[0] != '\0')
		strbuf_printf(sb, " %s * %ld + %" PRIu64 "ms", st->within_name, st->within_mul,
		              st->ms);
	else
		strbuf_printf(sb, " %" PRIu64 "ms", st->ms);
}

static void put_within(struct strbuf *sb, const struct plan_stmt *st)
{
	strbuf_puts(sb, " within");
	put_limit(sb, st);
}

static void put_split(struct strbuf *sb, const struct plan_stmt *st)
{
	switch (st->split.kind) {
	case PLAN_SPLIT_ONCE:
		break;
	case PLAN_SPLIT_SIZE:
		strbuf_printf(sb, " split %zu", st->split.size);
		break;
	case PLAN_SPLIT_RANDOM:
		strbuf_puts(sb, " split random");
		if (st->split.size != 0)
			strbuf_printf(sb, " max %zu", st->split.size);
		break;
	}
	if (st->gap_ms != 0)
		strbuf_printf(sb, " gap %" PRIu64 "ms", st->gap_ms);
}

static void put_connect(struct strbuf *sb, const struct plan_stmt *st)
{
	strbuf_printf(sb, "connect %s", st->conn);
	if (st->transport != PLAN_TRANSPORT_DEFAULT)
		strbuf_printf(sb, " %s", plan_transport_name(st->transport));
	if (st->rcvbuf != 0)
		strbuf_printf(sb, " rcvbuf %d", st->rcvbuf);
}

static void put_exit(struct strbuf *sb, const struct plan_stmt *st)
{
	if (st->status == PLAN_EXIT_NONZERO)
		strbuf_puts(sb, "expect exit nonzero");
	else
		strbuf_printf(sb, "expect exit %d", st->status);
	if (st->signo != 0)
		strbuf_printf(sb, " or %s", plan_signal_name(st->signo));
	put_within(sb, st);
}

static void put_stmts(struct strbuf *sb, const struct plan_stmt *stmts, size_t n, unsigned depth);

/* parallel, repeat and measure, with their bodies. */
static void put_block(struct strbuf *sb, const struct plan_stmt *st, unsigned depth)
{
	if (st->op == PLAN_MEASURE) {
		strbuf_printf(sb, "measure %s\n", st->snapshot);
	} else if (st->op == PLAN_REPEAT) {
		strbuf_printf(sb, "repeat %ld\n", st->count);
	} else {
		strbuf_printf(sb, "parallel %ld", st->count);
		if (st->stagger_ms != 0)
			strbuf_printf(sb, " stagger %" PRIu64 "ms", st->stagger_ms);
		if (st->ms != 0 || st->within_name[0] != '\0')
			put_within(sb, st);
		strbuf_putc(sb, '\n');
	}
	put_stmts(sb, st->body, st->nbody, depth + 1);
	strbuf_pad(sb, 2 * depth);
	strbuf_puts(sb, "end");
}

/* "expect NAME KIND": KIND for the expectations on a connection. */
static void put_expect_conn(struct strbuf *sb, const struct plan_stmt *st, const char *kind)
{
	strbuf_printf(sb, "expect %s%s", st->conn, kind);
}

/* One statement, without its indentation and line end. */
static void put_stmt(struct strbuf *sb, const struct plan_stmt *st, unsigned depth)
{
	switch (st->op) {
	case PLAN_CONNECT:
		put_connect(sb, st);
		return;
	case PLAN_WRITE:
		strbuf_printf(sb, "write %s", st->conn);
		put_data(sb, &st->data);
		put_split(sb, st);
		return;
	case PLAN_SEND:
		strbuf_printf(sb, "send %s", st->conn);
		put_data(sb, &st->data);
		return;
	case PLAN_SHUTDOWN:
		strbuf_printf(sb, "shutdown %s", st->conn);
		return;
	case PLAN_CLOSE:
		strbuf_printf(sb, "close %s", st->conn);
		return;
	case PLAN_RESET:
		strbuf_printf(sb, "reset %s", st->conn);
		return;
	case PLAN_PAUSE:
		strbuf_printf(sb, "pause %s", st->conn);
		return;
	case PLAN_RESUME:
		strbuf_printf(sb, "resume %s", st->conn);
		return;
	case PLAN_EXPECT_BYTES:
	case PLAN_EXPECT_LINE:
	case PLAN_EXPECT_TIMESTAMP:
	case PLAN_EXPECT_DATAGRAM:
	case PLAN_EXPECT_DATAGRAM_TIMESTAMP:
		put_expect_conn(sb, st,
		                st->op == PLAN_EXPECT_BYTES       ? ""
		                : st->op == PLAN_EXPECT_LINE      ? " line"
		                : st->op == PLAN_EXPECT_TIMESTAMP ? " timestamp"
		                : st->op == PLAN_EXPECT_DATAGRAM  ? " datagram"
		                                                  : " datagram timestamp");
		put_data(sb, &st->data);
		put_within(sb, st);
		return;
	case PLAN_EXPECT_REGEX:
		put_expect_conn(sb, st, " regex");
		put_regex(sb, &st->data);
		put_within(sb, st);
		return;
	case PLAN_EXPECT_NOTHING:
	case PLAN_EXPECT_NO_DATAGRAM:
		put_expect_conn(sb, st,
		                st->op == PLAN_EXPECT_NOTHING ? " nothing" : " no-datagram");
		strbuf_printf(sb, " for %" PRIu64 "ms", st->ms);
		return;
	case PLAN_EXPECT_EOF:
	case PLAN_EXPECT_RESET:
	case PLAN_EXPECT_CLOSED:
	case PLAN_EXPECT_REFUSED:
		put_expect_conn(sb, st,
		                st->op == PLAN_EXPECT_EOF      ? " eof"
		                : st->op == PLAN_EXPECT_RESET  ? " reset"
		                : st->op == PLAN_EXPECT_CLOSED ? " closed"
		                                               : " refused");
		put_within(sb, st);
		return;
	case PLAN_EXPECT_ANY:
		put_expect_conn(sb, st, " any");
		if (st->prefix != 0)
			strbuf_puts(sb, st->prefix == 1 ? " u8" : st->prefix == 2 ? " u16be" : " u32be");
		else if (st->var[0] != '\0')
			strbuf_printf(sb, " ${%s}", st->var);
		else
			strbuf_printf(sb, " %ld", st->count);
		put_within(sb, st);
		return;
	case PLAN_SLEEP:
		strbuf_printf(sb, "sleep %" PRIu64 "ms", st->ms);
		return;
	case PLAN_PARALLEL:
	case PLAN_REPEAT:
	case PLAN_MEASURE:
		put_block(sb, st, depth);
		return;
	case PLAN_RESTART:
		strbuf_puts(sb, "restart");
		return;
	case PLAN_SIGNAL:
		strbuf_printf(sb, "signal %s", plan_signal_name(st->signo));
		return;
	case PLAN_EXPECT_EXIT:
		put_exit(sb, st);
		return;
	case PLAN_EXPECT_SECOND_FAILS:
		strbuf_puts(sb, "expect second-instance fails");
		put_within(sb, st);
		return;
	case PLAN_SNAPSHOT:
		strbuf_printf(sb, "snapshot %s", st->snapshot);
		return;
	case PLAN_EXPECT_COUNT:
		strbuf_printf(sb, "expect %s <= %s", plan_resource_name(st->resource),
		              st->snapshot);
		if (st->slack != 0)
			strbuf_printf(sb, " + %ld", st->slack);
		put_within(sb, st);
		return;
	}
}

static void put_stmts(struct strbuf *sb, const struct plan_stmt *stmts, size_t n, unsigned depth)
{
	size_t i;

	for (i = 0; i < n; i++) {
		strbuf_pad(sb, 2 * depth);
		put_stmt(sb, &stmts[i], depth);
		strbuf_putc(sb, '\n');
	}
}

void plan_text_write(const struct plan *p, struct strbuf *sb)
{
	strbuf_printf(sb, "case %s\n", p->id);
	if (p->description[0] != '\0') {
		strbuf_puts(sb, "description ");
		put_string(sb, (const uint8_t *)p->description, strlen(p->description));
		strbuf_putc(sb, '\n');
	}
	if (p->requires & PLAN_REQ_LAUNCHED)
		strbuf_puts(sb, "requires launched\n");
	if (p->framing != PLAN_FRAMING_ANY)
		strbuf_printf(sb, "requires framing %s\n",
		              p->framing == PLAN_FRAMING_LINE ? "line" : "chunk");
	if (p->timeout_ms != PLAN_TIMEOUT_DEFAULT_MS)
		strbuf_printf(sb, "timeout %" PRIu64 "ms\n", p->timeout_ms);
	put_stmts(sb, p->stmts, p->nstmts, 0);
}

static int bytes_equal(const struct plan_bytes *a, const struct plan_bytes *b)
{
	size_t i;

	if (a->nsegs != b->nsegs)
		return 0;
	for (i = 0; i < a->nsegs; i++) {
		const struct plan_seg *x = &a->segs[i], *y = &b->segs[i];

		if (x->kind != y->kind || x->len != y->len || x->repeat != y->repeat ||
		    (x->len > 0 && memcmp(x->bytes, y->bytes, x->len) != 0))
			return 0;
	}
	return 1;
}

static int stmts_equal(const struct plan_stmt *a, const struct plan_stmt *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct plan_stmt *x = &a[i], *y = &b[i];

		if (x->op != y->op || strcmp(x->conn, y->conn) != 0 ||
		    x->transport != y->transport || x->rcvbuf != y->rcvbuf ||
		    !bytes_equal(&x->data, &y->data) || x->split.kind != y->split.kind ||
		    x->split.size != y->split.size || x->gap_ms != y->gap_ms || x->ms != y->ms ||
		    strcmp(x->within_name, y->within_name) != 0 || x->within_mul != y->within_mul ||
		    x->stagger_ms != y->stagger_ms || x->signo != y->signo ||
		    x->status != y->status || x->count != y->count || x->nbody != y->nbody ||
		    strcmp(x->snapshot, y->snapshot) != 0 || x->resource != y->resource ||
		    x->slack != y->slack || strcmp(x->var, y->var) != 0 || x->prefix != y->prefix ||
		    !stmts_equal(x->body, y->body, x->nbody))
			return 0;
	}
	return 1;
}

int plan_text_equal(const struct plan *a, const struct plan *b)
{
	return strcmp(a->id, b->id) == 0 && a->family == b->family &&
	       strcmp(a->family_name, b->family_name) == 0 &&
	       strcmp(a->description, b->description) == 0 && a->requires == b->requires &&
	       a->framing == b->framing && a->timeout_ms == b->timeout_ms &&
	       a->nstmts == b->nstmts && stmts_equal(a->stmts, b->stmts, a->nstmts);
}
