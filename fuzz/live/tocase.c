/* SPDX-License-Identifier: MIT */
/*
 * tocase: schedules written as case files (see tocase.h).
 */
#include "tocase.h"

#include <stdlib.h>
#include <string.h>

#define STAMP_TAIL 2 /* "] " after a stamp, before the data */

/* Where a case is in writing: the model of each connection and how
 * many of its owed bytes are expected already. */
struct writer {
	const struct model_profile *p;
	struct strbuf *out;
	struct model_conn m[SCHED_RAW_MAX + SCHED_SLOTS];
	size_t said[SCHED_RAW_MAX + SCHED_SLOTS];    /* bytes of want expected so far */
	size_t stamped[SCHED_RAW_MAX + SCHED_SLOTS]; /* stamps expected so far */
	size_t dgrams[SCHED_RAW_MAX + SCHED_SLOTS];  /* datagrams expected so far */
	int ended[SCHED_RAW_MAX + SCHED_SLOTS];      /* the end was expected */
	int failed;                                  /* memory ran out */
};

void tocase_quote(struct strbuf *out, const uint8_t *data, size_t len)
{
	size_t i;

	strbuf_putc(out, '"');
	for (i = 0; i < len; i++) {
		uint8_t b = data[i];

		if (b == '"' || b == '\\' || b == '$') {
			strbuf_putc(out, '\\');
			strbuf_putc(out, (char)b);
		} else if (b == '\n') {
			strbuf_puts(out, "\\n");
		} else if (b == '\r') {
			strbuf_puts(out, "\\r");
		} else if (b == '\t' || (b >= 0x20 && b < 0x7f)) {
			strbuf_putc(out, (char)b);
		} else {
			strbuf_printf(out, "\\x%02x", b);
		}
	}
	strbuf_putc(out, '"');
}

/* The family a person would file the schedule under. */
static const char *family_of(const struct model_profile *p, const struct sched *s)
{
	size_t i;
	int ends = 0, pieces = 0;

	for (i = 0; i < s->n; i++) {
		const struct sched_step *st = &s->steps[i];

		ends |= st->kind == SCHED_SHUTDOWN || st->kind == SCHED_RESET ||
		        st->kind == SCHED_CLOSE;
		pieces |= st->kind == SCHED_WRITE && st->piece && st->piece < st->len;
	}
	if (s->nconn > 1 && p->mode == SCHED_CONCURRENT)
		return "concurrency";
	if (ends)
		return "exit";
	return pieces && p->framing != PROTO_FRAMING_DATAGRAM ? "partial-recv" : "basic";
}

/* The end of reply k of a stamped stream: the next stamp's reply start. */
static size_t stamped_end(const struct model_conn *m, size_t k)
{
	return k + 1 < m->nstamps ? m->stamps[k + 1] - m->stamp_at : m->want_len;
}

/* Expectations for the bytes owed on connection k and not yet expected. */
static void expect_owed(struct writer *w, unsigned k)
{
	struct model_conn *m = &w->m[k];
	struct strbuf *out = w->out;

	if (m->p->framing == PROTO_FRAMING_DATAGRAM) {
		for (; w->dgrams[k] < m->nends; w->dgrams[k]++) {
			size_t d = w->dgrams[k], from = d ? m->ends[d - 1] : 0;
			int stamp = w->stamped[k] < m->nstamps;

			strbuf_printf(out, "expect c%u datagram %s", k + 1,
			              stamp ? "timestamp " : "");
			if (stamp)
				from = m->stamps[w->stamped[k]++] + PROTO_CTIME_LEN + STAMP_TAIL;
			tocase_quote(out, m->want + from, m->ends[d] - from);
			strbuf_puts(out, " within 2s\n");
		}
		return;
	}
	while (w->said[k] < m->want_len) {
		size_t from = w->said[k], to = m->want_len;

		if (w->stamped[k] < m->nstamps && from == m->stamps[w->stamped[k]] - m->stamp_at) {
			from = m->stamps[w->stamped[k]] + PROTO_CTIME_LEN + STAMP_TAIL;
			to = stamped_end(m, w->stamped[k]++);
			strbuf_printf(out, "expect c%u timestamp ", k + 1);
		} else {
			if (w->stamped[k] < m->nstamps)
				to = m->stamps[w->stamped[k]] - m->stamp_at;
			strbuf_printf(out, "expect c%u ", k + 1);
		}
		tocase_quote(out, m->want + from, to - from);
		strbuf_puts(out, " within 2s\n");
		w->said[k] = to;
	}
}

/* Expectations for what is owed, then the server's end when it owes one. */
static void expect_all(struct writer *w, unsigned k)
{
	struct model_conn *m = &w->m[k];

	expect_owed(w, k);
	if (m->p->framing == PROTO_FRAMING_DATAGRAM || !model_ends(m) || w->ended[k])
		return;
	strbuf_printf(w->out, "expect c%u %s within 2s\n", k + 1,
	              m->after_close ? "closed" : "eof");
	w->ended[k] = 1;
}

static void write_step(struct writer *w, const struct sched_step *s)
{
	struct model_conn *m = &w->m[s->conn];
	size_t done = 0, piece = s->piece && s->piece < s->len ? s->piece : s->len, gaps = 0;
	int dgram = w->p->framing == PROTO_FRAMING_DATAGRAM;

	do {
		size_t n = s->len - done < piece ? s->len - done : piece;

		strbuf_printf(w->out, "%s c%u ", dgram ? "send" : "write", s->conn + 1);
		tocase_quote(w->out, s->data + done, n);
		strbuf_putc(w->out, '\n');
		if (model_write(m, s->data + done, n, 0) < 0)
			w->failed = 1;
		done += n;
		if (s->gap && done < s->len && gaps++ < SCHED_GAPS_MAX)
			strbuf_puts(w->out, "sleep 5ms\n");
	} while (done < s->len);
}

static void one_step(struct writer *w, const struct sched_step *s)
{
	unsigned k = s->conn;
	struct model_conn *m = &w->m[k];

	switch (s->kind) {
	case SCHED_OPEN:
		/* The greeting is expected at once: the server then reads, so
		 * the pieces of a write reach it as separate reads. */
		strbuf_printf(w->out, "connect c%u%s\n", k + 1,
		              w->p->framing == PROTO_FRAMING_DATAGRAM ? " udp" : "");
		if (model_open(m, w->p) < 0)
			w->failed = 1;
		expect_owed(w, k);
		break;
	case SCHED_WRITE:
		write_step(w, s);
		break;
	case SCHED_WAIT:
		expect_all(w, k);
		break;
	case SCHED_SHUTDOWN:
		strbuf_printf(w->out, "shutdown c%u\n", k + 1);
		model_shutdown(m);
		break;
	case SCHED_RESET:
	case SCHED_CLOSE:
		strbuf_printf(w->out, "%s c%u\n", s->kind == SCHED_RESET ? "reset" : "close",
		              k + 1);
		break;
	case SCHED_FINISH:
		if (w->p->framing != PROTO_FRAMING_DATAGRAM && !m->client_eof) {
			strbuf_printf(w->out, "shutdown c%u\n", k + 1);
			model_shutdown(m);
		}
		expect_all(w, k);
		strbuf_printf(w->out, "close c%u\n", k + 1);
		break;
	}
}

/* The end of the case: the server must have lived through it. A once
 * server must exit 0; any other must still answer a new client. */
static void probe(struct writer *w, unsigned k)
{
	static const char line[] = "probe\n";
	struct sched_step steps[] = {
	    {.kind = SCHED_OPEN, .conn = k},
	    {.kind = SCHED_WRITE,
	     .conn = k,
	     .data = (const uint8_t *)line,
	     .len = sizeof(line) - 1},
	    {.kind = SCHED_FINISH, .conn = k},
	};
	size_t i;

	if (w->p->mode == SCHED_ONCE) {
		strbuf_puts(w->out, "# a server of this profile exits 0 after its connection\n"
		                    "expect exit 0 within 2s\n");
		return;
	}
	strbuf_puts(w->out, "# the server lived through it: a new client is served\nsleep 100ms\n");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		one_step(w, &steps[i]);
}

int tocase_write(const struct model_profile *p, const struct sched *s,
                 const struct tocase_info *info, struct strbuf *out)
{
	struct writer *w = calloc(1, sizeof(*w));
	size_t i;
	int rc;

	if (!w)
		return -1;
	w->p = p;
	w->out = out;
	strbuf_printf(out,
	              "# Found by sockspec-fuzz --profile %s in %s: the schedule it played,\n"
	              "# with the reference's replies as the expectations.\n"
	              "case %s/%s\n"
	              "description \"a schedule sockspec-fuzz found (profile %s)\"\n",
	              p->name, info->origin, family_of(p, s), info->name, p->name);
	if (p->framing == PROTO_FRAMING_LINE)
		strbuf_puts(out, "requires framing line\n");
	strbuf_puts(out, "timeout 60s\n\n");
	for (i = 0; i < s->n; i++)
		one_step(w, &s->steps[i]);
	probe(w, s->nconn);
	for (i = 0; i <= s->nconn; i++)
		model_free(&w->m[i]);
	rc = w->failed ? -1 : 0;
	free(w);
	return rc;
}
