/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of frame (frame.h): line reassembly must give the same
 * lines, the same FRAME_TOO_LONG verdict and the same pending tail
 * however a byte stream is cut into chunks. A helper feeds a buffer to a
 * fresh framer in a given chunking (pushing, draining with frame_next(),
 * pushing again what frame_push() did not take) and records every line;
 * the tests compare that record across every 1-, 2- and 3-way split and
 * against the exact expected lines. They also pin the length limit, its
 * stickiness, binary transparency and the fixed memory bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define MAX_LINES 32  /* most lines one fixture produces */
#define LINE_CAP  300 /* longest line content one fixture produces */

/* What one run of a framer over a chunked buffer produced. */
struct collected {
	uint8_t lines[MAX_LINES][LINE_CAP]; /* copies of each line's content */
	size_t lens[MAX_LINES];             /* length of each line */
	size_t count;                       /* number of lines returned */
	int status;                         /* 0, or FRAME_TOO_LONG once reported */
	size_t pending;                     /* frame_pending() after the last chunk */
	size_t pushed;                      /* total bytes frame_push() accepted */
};

/* One expected line: content bytes and length (content may hold NUL). */
struct want_line {
	const char *data; /* content, terminator excluded */
	size_t len;       /* bytes at data */
};

#define LIT(s) s, sizeof(s) - 1 /* string literal as (bytes, length) */

/* Pushes one chunk, draining lines between pushes, until the chunk is
 * consumed or the framer reports FRAME_TOO_LONG. */
static void feed_chunk(struct frame *f, const uint8_t *data, size_t len, struct collected *c)
{
	size_t off = 0;

	while (c->status == 0) {
		const uint8_t *line;
		size_t line_len, took;
		int rc, got = 0;

		took = frame_push(f, data + off, len - off);
		assert_true(took <= len - off);
		assert_true(f->len <= f->cap);
		off += took;
		c->pushed += took;
		while ((rc = frame_next(f, &line, &line_len)) == 1) {
			assert_true(c->count < MAX_LINES);
			assert_true(line_len <= LINE_CAP);
			memcpy(c->lines[c->count], line, line_len);
			c->lens[c->count++] = line_len;
			got = 1;
		}
		if (rc == FRAME_TOO_LONG) {
			c->status = FRAME_TOO_LONG;
			return;
		}
		assert_int_equal(rc, 0);
		if (off == len)
			return;
		/* frame_push() may take nothing only when frame_next() had work. */
		assert_true(took > 0 || got);
	}
}

/* Runs a fresh framer over buf cut at the ncuts offsets in cuts
 * (ascending, each in [0, len]; equal offsets give empty chunks). */
static void run_split(const uint8_t *buf, size_t len, const size_t *cuts, size_t ncuts,
                      size_t max_line, struct collected *c)
{
	struct frame f;
	size_t i, from = 0;

	memset(c, 0, sizeof(*c));
	assert_int_equal(frame_init(&f, max_line), 0);
	for (i = 0; i <= ncuts && c->status == 0; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		assert_true(from <= to && to <= len);
		feed_chunk(&f, buf + from, to - from, c);
		from = to;
	}
	c->pending = frame_pending(&f);
	if (c->status == FRAME_TOO_LONG) {
		const uint8_t *line;
		size_t line_len;
		/* Sticky: the stream stays dead whatever comes next. */
		assert_int_equal(frame_push(&f, (const uint8_t *)"\n", 1), 0);
		assert_int_equal(frame_next(&f, &line, &line_len), FRAME_TOO_LONG);
		assert_int_equal(frame_next(&f, &line, &line_len), FRAME_TOO_LONG);
	}
	frame_free(&f);
}

/* Runs buf in chunks of at most step bytes. */
static void run_steps(const uint8_t *buf, size_t len, size_t step, size_t max_line,
                      struct collected *c)
{
	size_t cuts[512], n = 0, at;

	for (at = step; at < len; at += step) {
		assert_true(n < sizeof(cuts) / sizeof(cuts[0]));
		cuts[n++] = at;
	}
	run_split(buf, len, cuts, n, max_line, c);
}

static void assert_same(const struct collected *a, const struct collected *b)
{
	size_t i;

	assert_int_equal(a->count, b->count);
	for (i = 0; i < a->count; i++) {
		assert_int_equal(a->lens[i], b->lens[i]);
		assert_memory_equal(a->lines[i], b->lines[i], a->lens[i]);
	}
	assert_int_equal(a->status, b->status);
	if (a->status == 0)
		assert_int_equal(a->pending, b->pending);
}

static void assert_lines(const struct collected *c, const struct want_line *want, size_t n,
                         int status)
{
	size_t i;

	assert_int_equal(c->count, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(c->lens[i], want[i].len);
		assert_memory_equal(c->lines[i], want[i].data, want[i].len);
	}
	assert_int_equal(c->status, status);
}

/* "alpha\n" "be\r\n" "ta\n" "\n" "gam\rma\r\n" "cr\r\r\n" then the partial
 * "del": lines alpha, be, ta, (empty), gam<CR>ma, cr<CR>; 3 bytes pending. */
static const uint8_t multi[] = "alpha\nbe\r\nta\n\ngam\rma\r\ncr\r\r\ndel";
static const struct want_line multi_lines[] = {
    {LIT("alpha")}, {LIT("be")}, {LIT("ta")}, {LIT("")}, {LIT("gam\rma")}, {LIT("cr\r")},
};
#define MULTI_LEN     (sizeof(multi) - 1)
#define MULTI_NLINES  (sizeof(multi_lines) / sizeof(multi_lines[0]))
#define MULTI_PENDING 3
#define MULTI_MAX     16 /* smaller than the buffer: forces partial pushes */

static void test_frame_one_chunk_gives_expected_lines(void **state)
{
	struct collected c;
	struct frame f;
	const uint8_t *line;
	size_t len;

	(void)state;
	run_split(multi, MULTI_LEN, NULL, 0, MULTI_MAX, &c);
	assert_lines(&c, multi_lines, MULTI_NLINES, 0);
	assert_int_equal(c.pending, MULTI_PENDING);
	assert_int_equal(c.pushed, MULTI_LEN);

	/* The partial tail is held, not lost: an LF completes it. */
	assert_int_equal(frame_init(&f, MULTI_MAX), 0);
	assert_int_equal(frame_push(&f, (const uint8_t *)"del", 3), 3);
	assert_int_equal(frame_next(&f, &line, &len), 0);
	assert_int_equal(frame_pending(&f), 3);
	assert_int_equal(frame_push(&f, (const uint8_t *)"\n", 1), 1);
	assert_int_equal(frame_next(&f, &line, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(line, "del", 3);
	assert_int_equal(frame_pending(&f), 0);
	assert_int_equal(frame_next(&f, &line, &len), 0);
	frame_free(&f);
}

static void test_frame_bytewise_matches_one_chunk(void **state)
{
	struct collected whole, bytes;

	(void)state;
	run_split(multi, MULTI_LEN, NULL, 0, MULTI_MAX, &whole);
	run_steps(multi, MULTI_LEN, 1, MULTI_MAX, &bytes);
	assert_same(&whole, &bytes);
	assert_lines(&bytes, multi_lines, MULTI_NLINES, 0);
	assert_int_equal(bytes.pending, MULTI_PENDING);
}

static void test_frame_every_two_way_split_same_lines(void **state)
{
	struct collected c;
	size_t i;

	(void)state;
	for (i = 0; i <= MULTI_LEN; i++) {
		run_split(multi, MULTI_LEN, &i, 1, MULTI_MAX, &c);
		assert_lines(&c, multi_lines, MULTI_NLINES, 0);
		assert_int_equal(c.pending, MULTI_PENDING);
		assert_int_equal(c.pushed, MULTI_LEN);
	}
}

static void test_frame_every_three_way_split_same_lines(void **state)
{
	/* "ab\r\n" "\n" "c\rd\n" then partial "e": lines ab, (empty), c<CR>d. */
	static const uint8_t buf[] = "ab\r\n\nc\rd\ne";
	static const struct want_line want[] = {{LIT("ab")}, {LIT("")}, {LIT("c\rd")}};
	const size_t len = sizeof(buf) - 1;
	struct collected c;
	size_t cuts[2];

	(void)state;
	for (cuts[0] = 0; cuts[0] <= len; cuts[0]++) {
		for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++) {
			run_split(buf, len, cuts, 2, 4, &c);
			assert_lines(&c, want, 3, 0);
			assert_int_equal(c.pending, 1);
		}
	}
}

static void test_frame_too_long_same_point_every_split(void **state)
{
	/* "ok\n" then a 9-byte line "123456789\n" (max 8) then "after\n":
	 * line ok, then FRAME_TOO_LONG; "after" is never returned. */
	static const uint8_t lf[] = "ok\n123456789\nafter\n";
	/* The same with CR LF terminators. */
	static const uint8_t crlf[] = "ok\r\n123456789\r\nafter\r\n";
	static const struct want_line want[] = {{LIT("ok")}};
	const uint8_t *bufs[] = {lf, crlf};
	const size_t lens[] = {sizeof(lf) - 1, sizeof(crlf) - 1};
	struct collected c;
	size_t b, cuts[2];

	(void)state;
	for (b = 0; b < 2; b++) {
		run_steps(bufs[b], lens[b], 1, 8, &c);
		assert_lines(&c, want, 1, FRAME_TOO_LONG);
		for (cuts[0] = 0; cuts[0] <= lens[b]; cuts[0]++) {
			for (cuts[1] = cuts[0]; cuts[1] <= lens[b]; cuts[1]++) {
				run_split(bufs[b], lens[b], cuts, 2, 8, &c);
				assert_lines(&c, want, 1, FRAME_TOO_LONG);
			}
		}
	}
}

static void test_frame_too_long_is_sticky(void **state)
{
	/* "123456789\n": 9 bytes of content, max 8. */
	static const uint8_t too_long[] = "123456789\n";
	struct frame f;
	const uint8_t *line;
	size_t len;

	(void)state;
	assert_int_equal(frame_init(&f, 8), 0);
	assert_int_equal(frame_push(&f, too_long, sizeof(too_long) - 1), 10);
	assert_int_equal(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	/* A valid short line afterwards does not revive the stream. */
	assert_int_equal(frame_push(&f, (const uint8_t *)"ok\n", 3), 0);
	assert_int_equal(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	assert_int_equal(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	frame_free(&f);
}

static void test_frame_exactly_max_line_accepted(void **state)
{
	/* "12345678\r\n" "abcdefgh\n" then partial "x": two 8-byte lines (max 8). */
	static const uint8_t buf[] = "12345678\r\nabcdefgh\nx";
	static const struct want_line want[] = {{LIT("12345678")}, {LIT("abcdefgh")}};
	const size_t len = sizeof(buf) - 1;
	struct collected c;
	size_t cuts[2];

	(void)state;
	for (cuts[0] = 0; cuts[0] <= len; cuts[0]++) {
		for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++) {
			run_split(buf, len, cuts, 2, 8, &c);
			assert_lines(&c, want, 2, 0);
			assert_int_equal(c.pending, 1);
		}
	}
}

static void test_frame_unterminated_run_too_long_without_lf(void **state)
{
	/* "12345678\r": could still end an 8-byte line, so no verdict yet. */
	static const uint8_t maybe[] = "12345678\r";
	/* "0123456789": 10 bytes, no LF; content already exceeds 8. */
	static const uint8_t run[] = "0123456789";
	struct frame f;
	const uint8_t *line;
	size_t len;

	(void)state;
	assert_int_equal(frame_init(&f, 8), 0);
	assert_int_equal(frame_push(&f, maybe, 9), 9);
	assert_int_equal(frame_next(&f, &line, &len), 0);
	assert_int_equal(frame_pending(&f), 9);
	assert_int_equal(frame_push(&f, (const uint8_t *)"\n", 1), 1);
	assert_int_equal(frame_next(&f, &line, &len), 1);
	assert_int_equal(len, 8);
	assert_memory_equal(line, "12345678", 8);
	frame_free(&f);

	assert_int_equal(frame_init(&f, 8), 0);
	assert_int_equal(frame_push(&f, run, 10), 10);
	assert_int_equal(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	frame_free(&f);
}

static void test_frame_binary_bytes_pass_through(void **state)
{
	static const uint8_t line2[] = {0x00, 0xff, 0x00}; /* NUL, 0xFF, NUL */
	uint8_t buf[2 + 128 + 2 + 3 + 1];
	struct collected whole, bytes;
	size_t i, n = 0;

	(void)state;
	/* Line 1: 0x00 'a' then every byte 0x80..0xFF, LF.
	 * Line 2: 0x00 0xFF 0x00 (NUL, 0xFF, NUL), LF. */
	buf[n++] = 0x00;
	buf[n++] = 'a';
	for (i = 0x80; i <= 0xff; i++)
		buf[n++] = (uint8_t)i;
	buf[n++] = '\n';
	buf[n++] = 0x00;
	buf[n++] = 0xff;
	buf[n++] = 0x00;
	buf[n++] = '\n';
	assert_int_equal(n, sizeof(buf) - 1);

	run_split(buf, n, NULL, 0, 256, &whole);
	run_steps(buf, n, 1, 256, &bytes);
	assert_same(&whole, &bytes);
	assert_int_equal(whole.count, 2);
	assert_int_equal(whole.lens[0], 130);
	assert_memory_equal(whole.lines[0], buf, 130);
	assert_int_equal(whole.lens[1], 3);
	assert_memory_equal(whole.lines[1], line2, 3);
	assert_int_equal(whole.pending, 0);
}

static void test_frame_push_never_exceeds_cap(void **state)
{
	const size_t mib = 1024 * 1024, max = 64;
	uint8_t *big = malloc(mib);
	struct frame f;
	const uint8_t *line;
	size_t len, took, total = 0;
	int rc = 0, rounds = 0;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', mib); /* 1 MiB of 'x', no LF anywhere */
	assert_int_equal(frame_init(&f, max), 0);
	assert_int_equal(f.cap, max + 2);
	do {
		took = frame_push(&f, big + total, mib - total);
		assert_true(took <= f.cap);
		assert_true(f.len <= f.cap);
		total += took;
		rc = frame_next(&f, &line, &len);
		rounds++;
	} while (took > 0 && rc == 0 && rounds < 1000);
	assert_int_equal(rc, FRAME_TOO_LONG);
	assert_true(total <= max + 2);
	assert_int_equal(frame_push(&f, big, mib), 0);
	assert_true(f.len <= f.cap);
	frame_free(&f);

	/* The helper's accounting agrees on a 1 MiB run. */
	{
		struct collected *c = malloc(sizeof(*c));
		assert_non_null(c);
		run_split(big, mib, NULL, 0, max, c);
		assert_int_equal(c->count, 0);
		assert_int_equal(c->status, FRAME_TOO_LONG);
		assert_true(c->pushed <= max + 2);
		free(c);
	}
	free(big);
}

static void test_frame_init_rejects_zero_max_line(void **state)
{
	struct frame f;
	const uint8_t *line;
	size_t len;

	(void)state;
	assert_int_equal(frame_init(&f, 0), -1);
	assert_null(f.buf);
	/* An unusable framer accepts nothing and yields nothing. */
	assert_int_equal(frame_push(&f, (const uint8_t *)"a\n", 2), 0);
	assert_int_equal(frame_next(&f, &line, &len), 0);
	frame_free(&f);
	/* max_line + 2 must not overflow. */
	assert_int_equal(frame_init(&f, SIZE_MAX), -1);
	assert_int_equal(frame_init(&f, SIZE_MAX - 1), -1);
	frame_free(&f);
	assert_int_equal(frame_init(&f, 1), 0);
	assert_int_equal(f.cap, 3);
	frame_free(&f);
}

static void test_frame_reinit_after_free(void **state)
{
	struct frame f;
	const uint8_t *line;
	size_t len;

	(void)state;
	assert_int_equal(frame_init(&f, 4), 0);
	/* "abcdef\n": too long for max 4. */
	assert_int_equal(frame_push(&f, (const uint8_t *)"abcdef\n", 7), 6);
	assert_int_equal(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	frame_free(&f);
	assert_null(f.buf);
	assert_int_equal(f.too_long, 0);

	/* The same struct, initialised again, is a fresh stream. */
	assert_int_equal(frame_init(&f, 8), 0);
	assert_int_equal(frame_pending(&f), 0);
	assert_int_equal(frame_push(&f, (const uint8_t *)"abcdef\n", 7), 7);
	assert_int_equal(frame_next(&f, &line, &len), 1);
	assert_int_equal(len, 6);
	assert_memory_equal(line, "abcdef", 6);
	assert_int_equal(frame_next(&f, &line, &len), 0);
	frame_free(&f);
}

static void test_frame_empty_framer_has_nothing(void **state)
{
	struct frame f;
	const uint8_t *line = NULL;
	size_t len = 77;

	(void)state;
	assert_int_equal(frame_init(&f, FRAME_MAX_LINE_DEFAULT), 0);
	assert_int_equal(frame_next(&f, &line, &len), 0);
	assert_null(line);
	assert_int_equal(len, 77);
	assert_int_equal(frame_push(&f, (const uint8_t *)"", 0), 0);
	assert_int_equal(frame_pending(&f), 0);
	/* "\n" "\r\n": two empty lines. */
	assert_int_equal(frame_push(&f, (const uint8_t *)"\n\r\n", 3), 3);
	assert_int_equal(frame_next(&f, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(frame_next(&f, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(frame_next(&f, &line, &len), 0);
	frame_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_one_chunk_gives_expected_lines),
	    cmocka_unit_test(test_frame_bytewise_matches_one_chunk),
	    cmocka_unit_test(test_frame_every_two_way_split_same_lines),
	    cmocka_unit_test(test_frame_every_three_way_split_same_lines),
	    cmocka_unit_test(test_frame_too_long_same_point_every_split),
	    cmocka_unit_test(test_frame_too_long_is_sticky),
	    cmocka_unit_test(test_frame_exactly_max_line_accepted),
	    cmocka_unit_test(test_frame_unterminated_run_too_long_without_lf),
	    cmocka_unit_test(test_frame_binary_bytes_pass_through),
	    cmocka_unit_test(test_frame_push_never_exceeds_cap),
	    cmocka_unit_test(test_frame_init_rejects_zero_max_line),
	    cmocka_unit_test(test_frame_reinit_after_free),
	    cmocka_unit_test(test_frame_empty_framer_has_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
