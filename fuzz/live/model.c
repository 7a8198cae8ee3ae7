/* SPDX-License-Identifier: MIT */
/*
 * model: the reference's replies to one connection, and the comparison
 * of a real server's bytes with them (see model.h).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define MODEL_SHOW 64 /* bytes of context shown in a difference */

static const struct model_profile profiles[] = {
    {"echo-once", &proto_echo, PROTO_FRAMING_STREAM, SCHED_ONCE,
     "{bin}/ref-echo --mode once -b {addr}"},
    {"echo-iterative", &proto_echo, PROTO_FRAMING_STREAM, SCHED_SEQUENTIAL,
     "{bin}/ref-echo --mode iterative -b {addr}"},
    {"echo-threaded", &proto_echo, PROTO_FRAMING_STREAM, SCHED_CONCURRENT,
     "{bin}/ref-echo --mode threaded -b {addr}"},
    {"udp-echo", &proto_echo, PROTO_FRAMING_DATAGRAM, SCHED_CONCURRENT,
     "{bin}/ref-udp-echo -b {addr}"},
    {"hello", &proto_hello, PROTO_FRAMING_LINE, SCHED_CONCURRENT,
     "{bin}/ref-hello --delay 0 -b {addr}"},
    {"timestamp", &proto_timestamp, PROTO_FRAMING_LINE, SCHED_SEQUENTIAL,
     "{bin}/ref-timestamp -b {addr}"},
    {"timestamp-udp", &proto_timestamp, PROTO_FRAMING_DATAGRAM, SCHED_CONCURRENT,
     "{bin}/ref-timestamp --udp -b {addr}"},
    {"accept-close", &proto_silent, PROTO_FRAMING_STREAM, SCHED_ONCE,
     "{bin}/ref-accept-close -b {addr}"},
    {"ok-iterative", &proto_ok, PROTO_FRAMING_LINE, SCHED_SEQUENTIAL,
     "{bin}/ref-ok --mode iterative -b {addr}"},
    {"ok-threaded", &proto_ok_welcome, PROTO_FRAMING_LINE, SCHED_CONCURRENT,
     "{bin}/ref-ok --mode threaded -b {addr}"},
};

const struct model_profile *model_profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const struct model_profile *model_profile_all(size_t *n)
{
	*n = sizeof(profiles) / sizeof(profiles[0]);
	return profiles;
}

int model_grow(uint8_t **buf, size_t *cap, size_t need, size_t first)
{
	size_t more = *cap ? *cap : first;
	uint8_t *bigger;

	if (need <= *cap)
		return 0;
	while (more < need)
		more *= 2;
	bigger = realloc(*buf, more);
	if (!bigger)
		return -1;
	*buf = bigger;
	*cap = more;
	return 0;
}

static int reserve(struct model_conn *m, size_t more)
{
	return model_grow(&m->want, &m->want_cap, m->want_len + more, 256);
}

int model_push_offset(size_t **list, size_t *n, size_t *cap, size_t value)
{
	if (*n == *cap) {
		size_t more = *cap ? 2 * *cap : 16;
		size_t *bigger = realloc(*list, more * sizeof(*bigger));

		if (!bigger)
			return -1;
		*list = bigger;
		*cap = more;
	}
	(*list)[(*n)++] = value;
	return 0;
}

static int add_stamp(struct model_conn *m, size_t at, time_t lo)
{
	if (m->nstamps == m->stamps_cap) {
		size_t cap = m->stamps_cap ? 2 * m->stamps_cap : 16;
		size_t *at_bigger = realloc(m->stamps, cap * sizeof(*at_bigger));
		time_t *lo_bigger;

		if (!at_bigger)
			return -1;
		m->stamps = at_bigger;
		lo_bigger = realloc(m->stamp_lo, cap * sizeof(*lo_bigger));
		if (!lo_bigger)
			return -1;
		m->stamp_lo = lo_bigger;
		m->stamps_cap = cap;
	}
	m->stamps[m->nstamps] = at;
	m->stamp_lo[m->nstamps++] = lo;
	return 0;
}

/* Where the stamp sits in a reply: the first byte that differs between
 * the replies to one message at two times that differ in every field. */
static size_t find_stamp(const struct proto_handler *proto, enum proto_framing framing)
{
	struct tm a = {.tm_year = 101, .tm_mon = 0, .tm_mday = 1, .tm_wday = 1};
	struct tm b = {.tm_year = 112,
	               .tm_mon = 1,
	               .tm_mday = 22,
	               .tm_hour = 11,
	               .tm_min = 11,
	               .tm_sec = 11,
	               .tm_wday = 3};
	uint8_t ra[PROTO_OVERHEAD + 1], rb[PROTO_OVERHEAD + 1];
	struct proto_msg m = {
	    .data = (const uint8_t *)"x", .len = 1, .framing = framing, .now = &a};
	size_t na = 0, nb = 0, i;

	proto->message(&m, ra, sizeof(ra), &na);
	m.now = &b;
	proto->message(&m, rb, sizeof(rb), &nb);
	for (i = 0; i < na && i < nb && ra[i] == rb[i]; i++)
		;
	return i;
}

int model_open(struct model_conn *m, const struct model_profile *p)
{
	const struct proto_handler *proto = p->proto;
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	m->p = p;
	if (proto->flags & PROTO_SILENT) {
		m->closes = 1;
		return 0;
	}
	if (proto->flags & PROTO_NEEDS_TIME)
		m->stamp_at = find_stamp(proto, p->framing);
	if (p->framing == PROTO_FRAMING_LINE) {
		if (frame_init(&m->frame, SCHED_CONN_BYTES) < 0)
			return -1;
		m->framing_ready = 1;
	}
	if (!proto->welcome)
		return 0;
	if (reserve(m, PROTO_OVERHEAD) < 0)
		return -1;
	if (proto->welcome(p->framing, m->want, m->want_cap, &n) < 0)
		return -1;
	m->want_len = n;
	return 0;
}

void model_free(struct model_conn *m)
{
	if (m->framing_ready)
		frame_free(&m->frame);
	free(m->want);
	free(m->ends);
	free(m->stamps);
	free(m->stamp_lo);
	memset(m, 0, sizeof(*m));
}

/* The reference's reply to one message. */
static int answer(struct model_conn *m, const uint8_t *msg, size_t len, time_t now)
{
	const struct proto_handler *proto = m->p->proto;
	struct tm tm;
	struct proto_msg pm = {.data = msg, .len = len, .framing = m->p->framing, .now = &tm};
	size_t start = m->want_len, n = 0;
	int rc;

	localtime_r(&now, &tm);
	if (reserve(m, len + PROTO_OVERHEAD) < 0)
		return -1;
	rc = proto->message(&pm, m->want + start, m->want_cap - start, &n);
	if (rc < 0)
		return -1;
	if (rc == PROTO_CLOSE) {
		m->closes = 1;
		return 0;
	}
	m->want_len += n;
	if ((proto->flags & PROTO_NEEDS_TIME) && add_stamp(m, start + m->stamp_at, now - 2) < 0)
		return -1;
	if (m->p->framing == PROTO_FRAMING_DATAGRAM &&
	    model_push_offset(&m->ends, &m->nends, &m->ends_cap, m->want_len) < 0)
		return -1;
	if (proto->flags & PROTO_ONE_SHOT)
		m->closes = 1;
	return 0;
}

int model_write(struct model_conn *m, const uint8_t *data, size_t len, time_t now)
{
	const uint8_t *line;
	size_t line_len, took;
	int rc;

	if (m->closes || m->client_eof) {
		m->after_close |= m->closes;
		return 0;
	}
	if (m->p->framing != PROTO_FRAMING_LINE)
		return len || m->p->framing == PROTO_FRAMING_DATAGRAM ? answer(m, data, len, now)
		                                                      : 0;
	while (len && !m->closes) {
		took = frame_push(&m->frame, data, len);
		data += took;
		len -= took;
		while (!m->closes && (rc = frame_next(&m->frame, &line, &line_len)) == 1)
			if (answer(m, line, line_len, now) < 0)
				return -1;
		if (!m->closes && rc == FRAME_TOO_LONG)
			m->closes = 1;
	}
	/* Bytes past the message that ended the connection: the server may
	 * close with them unread, and a close with unread input is a reset. */
	if (m->closes && (len || m->frame.len > m->frame.start))
		m->after_close = 1;
	return 0;
}

void model_shutdown(struct model_conn *m)
{
	m->client_eof = 1;
}

int model_ends(const struct model_conn *m)
{
	return m->closes || m->client_eof;
}

/* 1 when the 24 bytes at s are the ctime() of a second in [lo, hi]. */
static int stamp_fits(const uint8_t *s, time_t lo, time_t hi)
{
	char text[PROTO_CTIME_LEN + 1];
	struct tm tm;
	time_t t;

	for (t = hi; t >= lo; t--) {
		localtime_r(&t, &tm);
		if (proto_ctime(&tm, text, sizeof(text)) == PROTO_CTIME_LEN &&
		    memcmp(s, text, PROTO_CTIME_LEN) == 0)
			return 1;
	}
	return 0;
}

static void describe(const struct model_conn *m, const struct model_got *got, size_t at,
                     const char *what, struct strbuf *why)
{
	size_t from = at > 16 ? at - 16 : 0;
	size_t want_n = m->want_len > from ? m->want_len - from : 0;
	size_t got_n = got->len > from ? got->len - from : 0;

	strbuf_printf(why, "%s at byte %zu of the replies: expected ", what, at);
	escape_quote_sb(why, want_n ? m->want + from : (const uint8_t *)"",
	                want_n < MODEL_SHOW ? want_n : MODEL_SHOW, MODEL_SHOW);
	strbuf_printf(why, "%s, got ", want_n > MODEL_SHOW ? "..." : "");
	escape_quote_sb(why, got_n ? got->bytes + from : (const uint8_t *)"",
	                got_n < MODEL_SHOW ? got_n : MODEL_SHOW, MODEL_SHOW);
	strbuf_printf(why, "%s (from byte %zu)", got_n > MODEL_SHOW ? "..." : "", from);
}

enum model_verdict model_check(const struct model_conn *m, const struct model_got *got, time_t hi,
                               struct strbuf *why)
{
	size_t n = got->len < m->want_len ? got->len : m->want_len, i = 0, k = 0, d;

	while (i < n) {
		if (k < m->nstamps && i == m->stamps[k]) {
			if (got->len < i + PROTO_CTIME_LEN)
				break; /* the stamp is not all there yet */
			if (!stamp_fits(got->bytes + i, m->stamp_lo[k], hi + 1)) {
				describe(m, got, i, "a wrong time stamp", why);
				return MODEL_DIFFERS;
			}
			i += PROTO_CTIME_LEN;
			k++;
			continue;
		}
		if (got->bytes[i] != m->want[i]) {
			describe(m, got, i, "a wrong byte", why);
			return MODEL_DIFFERS;
		}
		i++;
	}
	if (got->len > m->want_len) {
		describe(m, got, m->want_len, "bytes beyond what is owed", why);
		return MODEL_DIFFERS;
	}
	if (m->p->framing == PROTO_FRAMING_DATAGRAM) {
		for (d = 0; d < got->nends; d++)
			if (d >= m->nends || got->ends[d] != m->ends[d]) {
				size_t at = d ? got->ends[d - 1] : 0;
				strbuf_printf(why, "datagram %zu has %zu bytes, expected ", d + 1,
				              got->ends[d] - at);
				if (d < m->nends)
					strbuf_printf(why, "%zu: ", m->ends[d] - at);
				else
					strbuf_puts(why, "none: ");
				describe(m, got, at, "a wrong datagram", why);
				return MODEL_DIFFERS;
			}
	}
	return got->len == m->want_len ? MODEL_ALL : MODEL_SHORT;
}
