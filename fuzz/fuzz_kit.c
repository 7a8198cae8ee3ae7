/* SPDX-License-Identifier: MIT */
/*
 * The harnesses' shared parts (see fuzz_kit.h). kit_serve() mirrors the
 * reference session's loop (session.c: feed_lines() and answer()) without
 * its socket: push a read into the framer, answer every complete line,
 * stop on PROTO_CLOSE, after a one-shot reply, or on an over-long line.
 */
#include "fuzz_kit.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define EMPTY_DATAGRAMS_MAX 64 /* so a cut list of zeros still ends */

/* Every input allocates and frees a framer buffer of up to 64 KiB; keep
 * glibc from giving that memory back to the kernel and faulting it in
 * again each time (harmless under ASan, whose allocator ignores it). */
__attribute__((constructor)) static void keep_freed_memory(void)
{
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
}

KIT_UNTRACED
int kit_input_parse(const uint8_t *buf, size_t size, struct kit_input *in)
{
	size_t n;

	if (size < KIT_HEADER)
		return -1;
	in->flags = buf[0];
	in->arg = buf[1];
	in->word = (uint32_t)buf[2] | (uint32_t)buf[3] << 8 | (uint32_t)buf[4] << 16 |
	           (uint32_t)buf[5] << 24;
	n = buf[6] % KIT_CUTS_MAX;
	if (n > size - KIT_HEADER)
		n = size - KIT_HEADER;
	in->cuts = buf + KIT_HEADER;
	in->ncuts = n;
	in->data = buf + KIT_HEADER + n;
	in->len = size - KIT_HEADER - n;
	return 0;
}

KIT_UNTRACED
size_t kit_cut_next(struct kit_cutter *c, size_t left)
{
	size_t size;

	if (c->cuts == NULL || c->n == 0)
		return left;
	size = c->cuts[c->i++ % c->n];
	if (!c->datagrams)
		size++;
	else if (size == 0 && ++c->empties > EMPTY_DATAGRAMS_MAX)
		size = left;
	return size < left ? size : left;
}

KIT_UNTRACED
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 1024 / size;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (p == NULL)
		abort();
	*cap = n;
	return p;
}

KIT_UNTRACED
void kit_replies_add(struct kit_replies *r, const void *bytes, size_t len)
{
	r->ends = grow(r->ends, &r->ncap, r->n + 1, sizeof(*r->ends));
	r->ends[r->n++] = r->len;
	kit_replies_extend(r, bytes, len);
}

KIT_UNTRACED
void kit_replies_extend(struct kit_replies *r, const void *bytes, size_t len)
{
	if (r->n == 0)
		abort();
	r->bytes = grow(r->bytes, &r->cap, r->len + len + 1, 1);
	if (len > 0)
		memcpy(r->bytes + r->len, bytes, len);
	r->len += len;
	r->ends[r->n - 1] = r->len;
}

KIT_UNTRACED
int kit_replies_equal(const struct kit_replies *a, const struct kit_replies *b)
{
	return a->n == b->n && a->len == b->len &&
	       (a->n == 0 || memcmp(a->ends, b->ends, a->n * sizeof(*a->ends)) == 0) &&
	       (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
}

KIT_UNTRACED
const uint8_t *kit_reply(const struct kit_replies *r, size_t k, size_t *len)
{
	size_t start = k == 0 ? 0 : r->ends[k - 1];

	*len = r->ends[k] - start;
	return r->bytes + start;
}

KIT_UNTRACED
void kit_replies_free(struct kit_replies *r)
{
	free(r->bytes);
	free(r->ends);
	memset(r, 0, sizeof(*r));
}

/* Answers one message into reply (room for the longest message +
 * PROTO_OVERHEAD); returns 1 when the connection ends after it. */
KIT_UNTRACED
static int answer(const struct kit_session *s, const uint8_t *msg, size_t len, uint8_t *reply,
                  struct kit_replies *out)
{
	struct proto_msg m = {msg, len, s->framing, s->now};
	size_t cap = len + PROTO_OVERHEAD, n = 0;
	int rc;

	if (s->proto == NULL) {
		kit_replies_add(out, msg, len);
		return 0;
	}
	rc = s->proto->message(&m, reply, cap, &n);
	if (rc == PROTO_ERR_SPACE || n > cap)
		kit_fail("kit_serve", "a reply overflowed message + PROTO_OVERHEAD", out, NULL);
	if (rc != PROTO_CLOSE)
		kit_replies_add(out, reply, n);
	return rc == PROTO_CLOSE || (s->proto->flags & PROTO_ONE_SHOT);
}

/* LINE framing: every complete line of every piece. */
KIT_UNTRACED
static enum kit_end serve_lines(const struct kit_session *s, const uint8_t *data, size_t len,
                                struct kit_cutter *c, uint8_t *reply, struct kit_replies *out)
{
	enum kit_end end = KIT_END_EOF;
	const uint8_t *line;
	size_t off = 0, line_len;
	struct frame f;
	int rc;

	if (frame_init(&f, s->max_line) < 0)
		abort();
	while (off < len && end == KIT_END_EOF) {
		size_t piece = kit_cut_next(c, len - off), took;

		do {
			took = frame_push(&f, data + off, piece);
			off += took;
			piece -= took;
			if (frame_pending(&f) > s->max_line + 2)
				kit_fail("kit_serve", "the framer holds more than max_line + 2",
				         out, NULL);
			while ((rc = frame_next(&f, &line, &line_len)) == 1) {
				if (line_len > s->max_line || memchr(line, '\n', line_len))
					kit_fail("kit_serve", "a line holds LF or exceeds max_line",
					         out, NULL);
				if (answer(s, line, line_len, reply, out)) {
					end = KIT_END_CLOSE;
					break;
				}
			}
			if (rc == FRAME_TOO_LONG) {
				end = KIT_END_TOO_LONG;
				/* frame.h: sticky, every later call says the same */
				if (frame_next(&f, &line, &line_len) != FRAME_TOO_LONG ||
				    frame_push(&f, data, len) != 0)
					kit_fail("kit_serve",
					         "the framer forgot that a line was too long", out,
					         NULL);
			} else if (end == KIT_END_EOF && took == 0 && piece > 0)
				kit_fail("kit_serve",
				         "frame_push took nothing with no line pending", out, NULL);
		} while (piece > 0 && end == KIT_END_EOF);
	}
	frame_free(&f);
	return end;
}

KIT_UNTRACED
enum kit_end kit_serve(const struct kit_session *s, const uint8_t *data, size_t len,
                       struct kit_cutter *c, struct kit_replies *out)
{
	uint8_t *reply = s->proto ? malloc(len + PROTO_OVERHEAD) : NULL;
	enum kit_end end = KIT_END_EOF;
	size_t off = 0, n = 0;

	if (s->proto && reply == NULL)
		abort();
	if (s->proto && s->proto->welcome) {
		if (s->proto->welcome(s->framing, reply, PROTO_OVERHEAD, &n) != PROTO_REPLY)
			kit_fail("kit_serve", "a greeting overflowed PROTO_OVERHEAD", out, NULL);
		kit_replies_add(out, reply, n);
	}
	if (s->framing == PROTO_FRAMING_LINE)
		end = serve_lines(s, data, len, c, reply, out);
	while (s->framing != PROTO_FRAMING_LINE && off < len && end == KIT_END_EOF) {
		size_t piece = kit_cut_next(c, len - off);

		if (answer(s, data + off, piece, reply, out))
			end = KIT_END_CLOSE;
		off += piece;
	}
	free(reply);
	return end;
}

KIT_UNTRACED
enum kit_end kit_model_lines(const uint8_t *data, size_t len, size_t max_line,
                             struct kit_replies *lines)
{
	size_t start = 0, i, content;

	for (i = 0; i < len; i++) {
		const uint8_t *lf = memchr(data + i, '\n', len - i);

		if (lf == NULL)
			break;
		i = (size_t)(lf - data);
		content = i - start;
		if (content > 0 && data[i - 1] == '\r')
			content--;
		if (content > max_line)
			return KIT_END_TOO_LONG;
		kit_replies_add(lines, data + start, content);
		start = i + 1;
	}
	return len - start > max_line + 1 ? KIT_END_TOO_LONG : KIT_END_EOF;
}

KIT_UNTRACED
enum kit_verdict kit_model_echo(const uint8_t *msg, size_t len, enum proto_framing framing,
                                const void *arg, struct kit_replies *out)
{
	(void)framing;
	(void)arg;
	kit_replies_add(out, msg, len);
	return KIT_GO_ON;
}

/* The model's side of kit_check_handler(). */
KIT_UNTRACED
static enum kit_end model_serve(const struct kit_check *k, const struct kit_input *in,
                                struct kit_replies *out)
{
	struct kit_cutter c = {in->cuts, in->ncuts, 0, k->datagrams, 0};
	struct kit_replies lines = {0};
	enum kit_verdict v = KIT_GO_ON;
	enum kit_end framer;
	size_t off = 0, i, n;
	const uint8_t *msg;

	if (k->greeting)
		kit_replies_add(out, k->greeting, strlen(k->greeting));
	if (k->session.framing == PROTO_FRAMING_LINE) {
		framer = kit_model_lines(in->data, in->len, k->session.max_line, &lines);
		for (i = 0; i < lines.n && v == KIT_GO_ON; i++) {
			msg = kit_reply(&lines, i, &n);
			v = k->model(msg, n, k->session.framing, k->model_arg, out);
		}
		kit_replies_free(&lines);
		return v != KIT_GO_ON ? KIT_END_CLOSE : framer;
	}
	while (off < in->len && v == KIT_GO_ON) {
		n = kit_cut_next(&c, in->len - off);
		v = k->model(in->data + off, n, k->session.framing, k->model_arg, out);
		off += n;
	}
	return v != KIT_GO_ON ? KIT_END_CLOSE : KIT_END_EOF;
}

/* The reply bytes end to end, as one reply: what a stream peer sees. */
KIT_UNTRACED
static void joined(const struct kit_replies *r, struct kit_replies *out)
{
	kit_replies_add(out, r->bytes, r->len);
}

KIT_UNTRACED
void kit_check_handler(const struct kit_check *k, const struct kit_input *in)
{
	struct kit_cutter cut = {in->cuts, in->ncuts, 0, k->datagrams, 0};
	struct kit_cutter whole = {NULL, 0, 0, 0, 0};
	struct kit_replies got = {0}, want = {0}, other = {0}, a = {0}, b = {0};
	enum kit_end end = kit_serve(&k->session, in->data, in->len, &cut, &got);
	enum kit_end model_end = model_serve(k, in, &want);
	int stream =
	    k->session.framing == PROTO_FRAMING_LINE || k->session.framing == PROTO_FRAMING_STREAM;

	if (!kit_replies_equal(&got, &want))
		kit_fail(k->harness, "the replies differ from the model's", &got, &want);
	if (end != model_end)
		kit_fail(k->harness, "the connection ended otherwise than the model's", &got,
		         &want);
	if (stream) {
		if (kit_serve(&k->session, in->data, in->len, &whole, &other) != end)
			kit_fail(k->harness,
			         "the stream in one piece ended the connection otherwise", &got,
			         &other);
		joined(&got, &a);
		joined(&other, &b);
		if (!kit_replies_equal(&a, &b))
			kit_fail(k->harness, "the stream in one piece gave other reply bytes", &a,
			         &b);
		kit_replies_free(&other);
		kit_replies_free(&a);
		kit_replies_free(&b);
	}
	kit_replies_free(&got);
	kit_replies_free(&want);
}

KIT_UNTRACED
static void show(const char *label, const struct kit_replies *r)
{
	size_t k, n, i;
	const uint8_t *b;

	if (r == NULL)
		return;
	fprintf(stderr, "  %s: %zu replies\n", label, r->n);
	for (k = 0; k < r->n && k < 20; k++) {
		b = kit_reply(r, k, &n);
		fprintf(stderr, "    [%zu] \"", k);
		for (i = 0; i < n && i < 80; i++)
			fprintf(stderr,
			        b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' ? "%c" : "\\x%02x",
			        b[i]);
		fprintf(stderr, "\"%s\n", n > 80 ? " ..." : "");
	}
}

KIT_UNTRACED
void kit_fail(const char *harness, const char *what, const struct kit_replies *got,
              const struct kit_replies *want)
{
	fprintf(stderr, "fuzz property failed (%s): %s\n", harness, what);
	show("got", got);
	show("want", want);
	abort();
}

void kit_fail_text(const char *harness, const char *what, const char *text)
{
	fprintf(stderr, "fuzz property failed (%s): %s\n  on: \"%s\"\n", harness, what, text);
	abort();
}
