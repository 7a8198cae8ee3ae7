/* SPDX-License-Identifier: MIT */
/*
 * Expectations on a connection: exact bytes, a line, a regex, a
 * timestamped reply, nothing, EOF, reset, close, a datagram or none.
 * Each is checked when it starts and again after every read, so a
 * mismatch fails as soon as it is certain and a match passes at once;
 * a timer bounds the wait. Failure messages say what was expected, what
 * arrived (escaped, with a hex dump for binary data), and when.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "escape.h"

#define SHOW          64 /* bytes quoted in a message */
#define DUMP          96 /* bytes hex-dumped in a message */
#define STAMP_SLACK_S 2  /* PROTOCOLS.md: within 2 s of the truth */

enum eval {
	EV_OK,      /* satisfied */
	EV_PENDING, /* wait for more */
	EV_FAILED,  /* engine_fail() was called */
};

static const char *dur(uint64_t ms, char *buf, size_t cap)
{
	if (ms % 1000 == 0)
		snprintf(buf, cap, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, cap, "%llums", (unsigned long long)ms);
	return buf;
}

/* First offset where a and b differ (within the shorter length). */
static size_t diff_at(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

/* Quotes up to SHOW bytes of data from around offset `at`: "h\x00i"...
 * (N bytes, from byte K), and adds a hex dump to *dump when binary. */
static void describe(const uint8_t *data, size_t len, size_t at, const char *label, char *out,
                     size_t cap, char *dump, size_t dumpcap)
{
	char q[SHOW * 4 + 8], from[48] = "";
	size_t start = at > 16 ? at - 16 : 0, n = len - start < SHOW ? len - start : SHOW;
	size_t used = strlen(dump), row = start & ~(size_t)15;

	if (len == 0) {
		snprintf(out, cap, "nothing");
		return;
	}
	escape_quote(data + start, n, n, q, sizeof(q));
	if (start > 0)
		snprintf(from, sizeof(from), ", from byte %zu", start);
	if (start > 0 || n < len - start)
		snprintf(out, cap, "%s%s (%zu bytes%s)", q, n < len - start ? "..." : "", len,
		         from);
	else
		snprintf(out, cap, "%s", q);
	if (escape_is_binary(data, len) && used + 64 < dumpcap) {
		snprintf(dump + used, dumpcap - used, "\n    %s\n", label);
		used = strlen(dump);
		escape_hexdump(data + row, len - row, DUMP, "        ", dump + used,
		               dumpcap - used);
	}
}

/* Fails the expectation: "connection c1: expected WANT within D, got ...",
 * hex dumps of binary data after the sentence. */
static enum eval fail(struct fiber *f, const char *why)
{
	struct conn *c = f->xconn;
	const struct plan_stmt *s = f->cur;
	char want[SHOW * 4 + 160], got[SHOW * 4 + 96], end[256], d[32], dump[2048] = "";
	size_t at = f->want ? diff_at(c->rx, c->rx_len, f->want, f->want_len) : 0;
	const char *verb =
	    s->op == PLAN_EXPECT_NOTHING || s->op == PLAN_EXPECT_NO_DATAGRAM ? "for" : "within";

	switch (s->op) {
	case PLAN_EXPECT_REGEX:
		snprintf(want, sizeof(want), "a match for /%.*s%s/",
		         (int)(f->want_len > SHOW ? SHOW : f->want_len), f->want,
		         f->want_len > SHOW ? "..." : "");
		break;
	case PLAN_EXPECT_TIMESTAMP:
		describe(f->want, f->want_len, 0, "expected after the time:", got, sizeof(got),
		         dump, sizeof(dump));
		snprintf(want, sizeof(want), "\"[CTIME] \" then %s", got);
		break;
	case PLAN_EXPECT_NOTHING:
		snprintf(want, sizeof(want), "nothing");
		break;
	case PLAN_EXPECT_EOF:
		snprintf(want, sizeof(want), "EOF");
		break;
	case PLAN_EXPECT_RESET:
		snprintf(want, sizeof(want), "a reset");
		break;
	case PLAN_EXPECT_CLOSED:
		snprintf(want, sizeof(want), "EOF or a reset");
		break;
	case PLAN_EXPECT_NO_DATAGRAM:
		snprintf(want, sizeof(want), "no datagram");
		break;
	default:
		describe(f->want, f->want_len, at, "expected:", want, sizeof(want), dump,
		         sizeof(dump));
	}
	describe(c->rx, c->rx_len, at, "received:", got, sizeof(got), dump, sizeof(dump));
	conn_status_text(c, end, sizeof(end));
	engine_fail(f->eng, s, VERDICT_FAIL, "connection %s: expected %s %s %s, got %s%s%s%s%s%s",
	            c->name, want, verb, dur(engine_ms(f->eng, s->ms), d, sizeof(d)), got, end,
	            why ? " (" : "", why ? why : "", why ? ")" : "", dump);
	return EV_FAILED;
}

static int ended(const struct conn *c)
{
	return c->eof || c->reset || c->read_err;
}

static enum eval take(struct fiber *f, size_t n)
{
	conn_consume(f->xconn, n);
	return EV_OK;
}

static enum eval eval_bytes(struct fiber *f)
{
	struct conn *c = f->xconn;
	size_t used = 0;
	char why[160];
	enum match_result r;

	if (f->cur->op == PLAN_EXPECT_REGEX)
		r = match_regex(f->re, c->rx, c->rx_len, ended(c), &used);
	else if (f->cur->op == PLAN_EXPECT_TIMESTAMP)
		r = match_timestamp(c->rx, c->rx_len, f->want, f->want_len, time(NULL),
		                    STAMP_SLACK_S, &used, why, sizeof(why));
	else
		r = match_bytes(c->rx, c->rx_len, f->want, f->want_len, &used);
	if (r == MATCH_OK)
		return take(f, used);
	if (r == MATCH_MISMATCH) {
		if (f->cur->op == PLAN_EXPECT_TIMESTAMP)
			return fail(f, why);
		if (f->cur->op == PLAN_EXPECT_REGEX)
			return fail(f, "no match");
		snprintf(why, sizeof(why), "differs at byte %zu",
		         diff_at(c->rx, c->rx_len, f->want, f->want_len));
		return fail(f, why);
	}
	return ended(c) ? fail(f, NULL) : EV_PENDING;
}

static enum eval eval_end(struct fiber *f)
{
	struct conn *c = f->xconn;
	enum plan_op op = f->cur->op;

	if (c->rx_len > 0)
		return fail(f, NULL);
	if (!ended(c))
		return EV_PENDING;
	if ((op == PLAN_EXPECT_EOF && !c->eof) || (op == PLAN_EXPECT_RESET && !c->reset))
		return fail(f, NULL);
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

static enum eval eval_datagram(struct fiber *f)
{
	struct conn *c = f->xconn;
	struct dgram *d = c->dq;
	const struct addr *server = target_addr(f->eng->env->target);
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
	if (c->rx)
		memcpy(c->rx, d->data, d->len);
	addr_from_sockaddr(&a, (struct sockaddr *)&d->from, sizeof(d->from));
	addr_format(&a, from, sizeof(from));
	addr_format(server, want, sizeof(want));
	from_ok = same_addr(&d->from, server);
	free(d);
	if (f->cur->op == PLAN_EXPECT_NO_DATAGRAM)
		return fail(f, NULL);
	if (c->rx_len != f->want_len || (c->rx_len && memcmp(c->rx, f->want, c->rx_len) != 0)) {
		snprintf(why, sizeof(why), "a datagram of %zu bytes, expected %zu", c->rx_len,
		         f->want_len);
		return fail(f, why);
	}
	if (!from_ok) {
		snprintf(why, sizeof(why), "it came from %s, not from %s where it was sent", from,
		         want);
		return fail(f, why);
	}
	c->rx_len = 0;
	return EV_OK;
}

static enum eval evaluate(struct fiber *f)
{
	struct conn *c = f->xconn;

	switch (f->cur->op) {
	case PLAN_EXPECT_NOTHING:
		return c->rx_len > 0 || ended(c) ? fail(f, NULL) : EV_PENDING;
	case PLAN_EXPECT_EOF:
	case PLAN_EXPECT_RESET:
	case PLAN_EXPECT_CLOSED:
		return eval_end(f);
	case PLAN_EXPECT_DATAGRAM:
	case PLAN_EXPECT_NO_DATAGRAM:
		return eval_datagram(f);
	default:
		return eval_bytes(f);
	}
}

void expect_cleanup(struct fiber *f)
{
	if (f->xconn)
		f->xconn->waiter = NULL;
	f->xconn = NULL;
	free(f->want);
	f->want = NULL;
	f->want_len = 0;
	match_regex_free(f->re);
	f->re = NULL;
	fiber_stop_timer(f);
}

static void on_expect_timer(uv_timer_t *t)
{
	struct fiber *f = t->data;
	enum plan_op op = f->cur->op;

	if (op == PLAN_EXPECT_NOTHING || op == PLAN_EXPECT_NO_DATAGRAM) {
		expect_cleanup(f);
		fiber_resume(f); /* quiet for the whole time: as expected */
		return;
	}
	fail(f, NULL);
}

void expect_check(struct fiber *f)
{
	enum eval r;

	if (!f->xconn || f->eng->finished)
		return;
	r = evaluate(f);
	if (r == EV_OK) {
		expect_cleanup(f);
		fiber_resume(f);
	}
}

/* Renders what the statement expects into f->want (and f->re). */
static int prepare(struct fiber *f, const struct plan_stmt *s)
{
	char err[256];

	if (plan_bytes_render(&s->data, f->index, &f->want, &f->want_len) < 0)
		return engine_fail(f->eng, s, VERDICT_ERROR, "out of memory"), -1;
	if (s->op == PLAN_EXPECT_LINE) {
		uint8_t *grown = realloc(f->want, f->want_len + 1);
		if (!grown)
			return engine_fail(f->eng, s, VERDICT_ERROR, "out of memory"), -1;
		f->want = grown;
		f->want[f->want_len++] = '\n';
	}
	if (s->op == PLAN_EXPECT_REGEX &&
	    match_regex_compile(f->want, f->want_len, &f->re, err, sizeof(err)) < 0)
		return engine_fail(f->eng, s, VERDICT_ERROR, "%s", err), -1;
	return 0;
}

enum step expect_start(struct fiber *f, const struct plan_stmt *s)
{
	struct conn *c = fiber_lookup(f, s);
	int dgram = s->op == PLAN_EXPECT_DATAGRAM || s->op == PLAN_EXPECT_NO_DATAGRAM;
	enum eval r;

	if (!c) {
		engine_fail(f->eng, s, VERDICT_ERROR, "unknown connection %s", s->conn);
		return STEP_STOP;
	}
	if (dgram != (c->transport == PLAN_TRANSPORT_UDP)) {
		engine_fail(f->eng, s, VERDICT_ERROR, "connection %s is %s: use %s", c->name,
		            dgram ? "a stream" : "udp", dgram ? "expect DATA" : "expect datagram");
		return STEP_STOP;
	}
	if (prepare(f, s) < 0)
		return STEP_STOP;
	f->xconn = c;
	c->waiter = f;
	r = evaluate(f);
	if (r == EV_OK) {
		expect_cleanup(f);
		return STEP_NEXT;
	}
	if (r == EV_FAILED)
		return STEP_STOP;
	fiber_wait_timer(f, engine_ms(f->eng, s->ms), on_expect_timer);
	return STEP_WAIT;
}
