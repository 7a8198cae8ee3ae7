/* SPDX-License-Identifier: MIT */
/*
 * Tests of the pure helpers the engine relies on: the matchers of
 * match.c (exact bytes, PCRE2 regex, timestamps), the write splitter of
 * split.c and the message escaping of escape.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "match.h"
#include "split.h"

#define B(s) ((const uint8_t *)(s))

static void test_match_bytes_prefix_needs_more(void **state)
{
	size_t used = 99;

	(void)state;
	assert_int_equal(match_bytes(B("hel"), 3, B("hello\n"), 6, &used), MATCH_NEED_MORE);
	assert_int_equal(match_bytes(B(""), 0, B("hello\n"), 6, &used), MATCH_NEED_MORE);
	assert_int_equal(used, 99);
}

static void test_match_bytes_exact_and_extra(void **state)
{
	size_t used = 0;

	(void)state;
	assert_int_equal(match_bytes(B("hello\n"), 6, B("hello\n"), 6, &used), MATCH_OK);
	assert_int_equal(used, 6);
	/* "hello\nmore": the expectation takes only its own bytes */
	assert_int_equal(match_bytes(B("hello\nmore"), 10, B("hello\n"), 6, &used), MATCH_OK);
	assert_int_equal(used, 6);
}

static void test_match_bytes_mismatch_early(void **state)
{
	size_t used = 0;

	(void)state;
	/* "hx": wrong at byte 1, fails before the rest arrives */
	assert_int_equal(match_bytes(B("hx"), 2, B("hello\n"), 6, &used), MATCH_MISMATCH);
	/* binary: 00 01 vs 00 02 */
	assert_int_equal(match_bytes(B("\x00\x01"), 2, B("\x00\x02"), 2, &used), MATCH_MISMATCH);
}

/* "hello" then LF (expect line) fed in pieces of every size: the same
 * verdicts and counts however the bytes arrive. */
static void test_match_known_chunking(void **state)
{
	uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
	struct plan_seg seg = {PLAN_SEG_BYTES, hello, 5, 3};
	struct plan_bytes b = {&seg, 1};
	const char *stream = "hellohellohello\nnext";
	struct match_known m;
	size_t used;

	(void)state;
	for (size_t piece = 1; piece <= 20; piece++) {
		size_t at = 0, n;
		enum match_result r = MATCH_NEED_MORE;
		match_known_init(&m, &b, 0, 1);
		assert_int_equal(m.total, 16);
		while (r == MATCH_NEED_MORE) {
			n = strlen(stream) - at < piece ? strlen(stream) - at : piece;
			r = match_known_feed(&m, B(stream + at), n, &used);
			at += used;
		}
		assert_int_equal(r, MATCH_OK);
		assert_int_equal(at, 16); /* "next" is not the expectation's */
		assert_int_equal(m.matched, 16);
		assert_int_equal(m.tail_len, 16);
		assert_memory_equal(m.tail, "hellohellohello\n", 16);
	}
}

static void test_match_known_mismatch_position(void **state)
{
	uint8_t x[] = {'x'};
	struct plan_seg seg = {PLAN_SEG_BYTES, x, 1, 100};
	struct plan_bytes b = {&seg, 1};
	struct match_known m;
	uint8_t got[100], want[8];
	size_t used = 0;

	(void)state;
	memset(got, 'x', sizeof(got));
	got[70] = 'y';
	match_known_init(&m, &b, 0, 0);
	assert_int_equal(match_known_feed(&m, got, 50, &used), MATCH_NEED_MORE);
	assert_int_equal(used, 50);
	assert_int_equal(match_known_feed(&m, got + 50, 50, &used), MATCH_MISMATCH);
	assert_int_equal(used, 20);
	assert_int_equal(m.matched, 70);
	assert_int_equal(m.tail_len, MATCH_TAIL);
	/* The expected bytes around the difference, for the message. */
	assert_int_equal(match_known_expected(&m, 96, want, sizeof(want)), 4);
	assert_memory_equal(want, "xxxx", 4);
	assert_int_equal(match_known_expected(&m, 100, want, sizeof(want)), 0);
}

static void test_match_known_empty_and_lf_only(void **state)
{
	struct plan_bytes none = {NULL, 0};
	struct match_known m;
	uint8_t want[2];
	size_t used = 9;

	(void)state;
	match_known_init(&m, &none, 0, 0);
	assert_int_equal(match_known_feed(&m, B("abc"), 3, &used), MATCH_OK);
	assert_int_equal(used, 0);
	match_known_init(&m, &none, 0, 1); /* expect line "" */
	assert_int_equal(match_known_feed(&m, B("\r\n"), 2, &used), MATCH_MISMATCH);
	assert_int_equal(used, 0);
	assert_int_equal(match_known_expected(&m, 0, want, sizeof(want)), 1);
	assert_int_equal(want[0], '\n');
	match_known_init(&m, &none, 0, 1);
	assert_int_equal(match_known_feed(&m, B("\n"), 1, &used), MATCH_OK);
	assert_int_equal(used, 1);
}

static void test_match_regex_anchored_partial(void **state)
{
	struct match_regex *re = NULL;
	char err[256];
	size_t used = 0;

	(void)state;
	const char *pat = "OK\\.\\.\\.[a-z]+\n"; /* OK\.\.\.[a-z]+ then LF */

	assert_int_equal(match_regex_compile(B(pat), strlen(pat), &re, err, sizeof(err)), 0);
	assert_int_equal(match_regex(re, B("OK.."), 4, 0, &used), MATCH_NEED_MORE);
	assert_int_equal(match_regex(re, B("OK...abc\nrest"), 13, 0, &used), MATCH_OK);
	assert_int_equal(used, 9);
	/* anchored: a match later in the buffer does not count */
	assert_int_equal(match_regex(re, B("xOK...abc\n"), 10, 0, &used), MATCH_MISMATCH);
	/* nothing received yet: wait (PCRE2 gives no partial on "") */
	assert_int_equal(match_regex(re, B(""), 0, 0, &used), MATCH_NEED_MORE);
	/* at EOF a partial match is a mismatch */
	assert_int_equal(match_regex(re, B("OK..."), 5, 1, &used), MATCH_MISMATCH);
	match_regex_free(re);
}

static void test_match_regex_binary_safe(void **state)
{
	struct match_regex *re = NULL;
	char err[256];
	size_t used = 0;

	(void)state;
	/* pattern "a\x00b" (a NUL in the middle) as a literal */
	assert_int_equal(match_regex_compile(B("a\\x00b"), 6, &re, err, sizeof(err)), 0);
	assert_int_equal(match_regex(re, B("a\0b"), 3, 0, &used), MATCH_OK);
	assert_int_equal(used, 3);
	match_regex_free(re);
}

static void test_match_regex_compile_error(void **state)
{
	struct match_regex *re = (struct match_regex *)1;
	char err[256];

	(void)state;
	assert_int_equal(match_regex_compile(B("a(b"), 3, &re, err, sizeof(err)), -1);
	assert_null(re);
	assert_string_equal(err, "regex error at offset 3: missing closing parenthesis");
}

/* ctime() text for t, without the newline. */
static void ctime_of(time_t t, char out[32])
{
	ctime_r(&t, out);
	out[24] = '\0';
}

static void test_match_timestamp_accepts_now(void **state)
{
	time_t now = time(NULL);
	char stamp[32], reply[64];
	size_t used = 0;
	char why[160] = "";

	(void)state;
	ctime_of(now - 1, stamp);
	snprintf(reply, sizeof(reply), "[%s] hi\nnext", stamp);
	assert_int_equal(
	    match_timestamp(B(reply), strlen(reply), B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	    MATCH_OK);
	assert_int_equal(used, 27 + 3);
	/* only part of the stamp so far */
	assert_int_equal(
	    match_timestamp(B(reply), 10, B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	    MATCH_NEED_MORE);
}

static void test_match_timestamp_rejects_skew_and_format(void **state)
{
	time_t now = time(NULL);
	char stamp[32], reply[64], why[160];
	size_t used = 0;

	(void)state;
	ctime_of(now - 10, stamp);
	snprintf(reply, sizeof(reply), "[%s] hi\n", stamp);
	assert_int_equal(
	    match_timestamp(B(reply), strlen(reply), B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	    MATCH_MISMATCH);
	assert_string_equal(why, "the time is -10 s off the runner's clock (allowed: 2 s)");
	/* ISO format instead of ctime(): the shape fails at its first digit,
	 * even before a whole stamp's worth of bytes has arrived */
	snprintf(reply, sizeof(reply), "[2026-11-21 10:00:00] \n");
	assert_int_equal(
	    match_timestamp(B(reply), strlen(reply), B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	    MATCH_MISMATCH);
	assert_string_equal(why, "expected \"[CTIME] \" at the start, as ctime() prints it "
	                         "(\"[Sat Nov  1 10:00:00 2026] \"): byte 1 differs");
	/* the right shape, but no such date */
	snprintf(reply, sizeof(reply), "[Sat Nov 31 10:00:00 2026] hi\n");
	assert_int_equal(
	    match_timestamp(B(reply), strlen(reply), B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	    MATCH_MISMATCH);
	assert_string_equal(why,
	                    "the time is not in ctime() format (\"Sat Nov 21 10:00:00 2026\")");
	/* a day padded with 0 is not ctime()'s */
	snprintf(reply, sizeof(reply), "[Sun Nov 01 10:00:00 2026] hi\n");
	assert_int_equal(
	    match_timestamp(B(reply), strlen(reply), B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	    MATCH_MISMATCH);
	assert_string_equal(why, "expected \"[CTIME] \" at the start, as ctime() prints it "
	                         "(\"[Sat Nov  1 10:00:00 2026] \"): byte 9 differs");
	/* a prefix of the right shape waits for more */
	assert_int_equal(
	    match_timestamp(B("[Sun Nov  1 1"), 13, B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	    MATCH_NEED_MORE);
	/* no bracket at all fails at the first byte */
	assert_int_equal(match_timestamp(B("hi"), 2, B("hi\n"), 3, now, 2, &used, why, sizeof(why)),
	                 MATCH_MISMATCH);
	assert_string_equal(why, "expected \"[CTIME] \" at the start, as ctime() prints it "
	                         "(\"[Sat Nov  1 10:00:00 2026] \"): byte 0 differs");
}

static void test_match_parse_ctime_weekday_checked(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(match_parse_ctime(B("Sat Nov 21 10:00:00 2026"), &t), 0);
	/* 21 Nov 2026 is a Saturday, not a Monday */
	assert_int_equal(match_parse_ctime(B("Mon Nov 21 10:00:00 2026"), &t), -1);
	assert_int_equal(match_parse_ctime(B("Sun Nov  1 10:00:00 2026"), &t), 0);
	assert_int_equal(match_parse_ctime(B("Sun Nov  1 1:00:00 2026 "), &t), -1);
}

static void test_split_sizes(void **state)
{
	struct plan_split once = {PLAN_SPLIT_ONCE, 0}, one = {PLAN_SPLIT_SIZE, 1},
	                  four = {PLAN_SPLIT_SIZE, 4};
	struct split_rng r;

	(void)state;
	split_rng_seed(&r, 1);
	assert_int_equal(split_next(&once, 10, &r), 10);
	assert_int_equal(split_next(&one, 10, &r), 1);
	assert_int_equal(split_next(&four, 10, &r), 4);
	assert_int_equal(split_next(&four, 3, &r), 3);
	assert_int_equal(split_next(&four, 0, &r), 0);
}

static void test_split_random_reproducible_and_bounded(void **state)
{
	struct plan_split rnd = {PLAN_SPLIT_RANDOM, 7};
	struct split_rng a, b;
	size_t left = 1000, pieces = 0, sizes_seen[8] = {0};

	(void)state;
	split_rng_seed(&a, 42);
	split_rng_seed(&b, 42);
	while (left > 0) {
		size_t n = split_next(&rnd, left, &a);
		assert_int_equal(n, split_next(&rnd, left, &b)); /* same seed, same cuts */
		assert_true(n >= 1 && n <= 7);
		sizes_seen[n]++;
		left -= n;
		pieces++;
	}
	for (int k = 1; k <= 7; k++)
		assert_true(sizes_seen[k] > 0); /* every size occurs */
	split_rng_seed(&b, 43);
	split_rng_seed(&a, 42);
	assert_int_not_equal(split_rng_next(&a), split_rng_next(&b));
}

static void test_escape_quote_and_hexdump(void **state)
{
	char out[256];

	(void)state;
	/* bytes: h \0 i \n \xff " */
	assert_string_equal(escape_quote(B("h\0i\n\xff\""), 6, 64, out, sizeof(out)),
	                    "\"h\\x00i\\n\\xff\\\"\"");
	assert_string_equal(escape_quote(B("abcdef"), 6, 3, out, sizeof(out)),
	                    "\"abc...\" (6 bytes)");
	assert_int_equal(escape_is_binary(B("text\r\n\t"), 7), 0);
	assert_int_equal(escape_is_binary(B("a\0"), 2), 1);
	assert_string_equal(escape_hexdump(B("AB\x00"), 3, 64, "  ", out, sizeof(out)),
	                    "  000000  41 42 00"
	                    "                                       " /* 13 empty columns */
	                    "  |AB.|\n");
}

/* One named group as match_regex_groups() reports it, into a fixed table. */
struct seen_groups {
	char text[128]; /* "name=value;" or "name unset;" for each, in order */
};

static int see_group(void *arg, const char *name, const uint8_t *value, size_t len, int set)
{
	struct seen_groups *g = arg;
	size_t used = strlen(g->text);

	if (set)
		snprintf(g->text + used, sizeof(g->text) - used, "%s=%.*s;", name, (int)len,
		         (const char *)value);
	else
		snprintf(g->text + used, sizeof(g->text) - used, "%s unset;", name);
	return 0;
}

static void test_match_regex_groups(void **state)
{
	static const uint8_t got[] = "$12\r\nyy rest";
	struct seen_groups g = {{0}};
	struct match_regex *re = NULL;
	char err[256];
	size_t used = 0;
	/* \$(?<len>[0-9]+)\r\n(?<x>x)?(?<ys>y+) */
	static const char pattern[] = "\\$(?<len>[0-9]+)\r\n(?<x>x)?(?<ys>y+)";

	assert_int_equal(
	    match_regex_compile((const uint8_t *)pattern, strlen(pattern), &re, err, sizeof(err)),
	    0);
	(void)state;
	assert_int_equal(match_regex(re, got, sizeof(got) - 1, 0, &used), MATCH_OK);
	assert_int_equal(used, 7);
	assert_int_equal(match_regex_groups(re, got, see_group, &g), 0);
	/* PCRE2's name table is sorted by name */
	assert_string_equal(g.text, "len=12;x unset;ys=yy;");
	match_regex_free(re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_bytes_prefix_needs_more),
	    cmocka_unit_test(test_match_bytes_exact_and_extra),
	    cmocka_unit_test(test_match_bytes_mismatch_early),
	    cmocka_unit_test(test_match_known_chunking),
	    cmocka_unit_test(test_match_known_mismatch_position),
	    cmocka_unit_test(test_match_known_empty_and_lf_only),
	    cmocka_unit_test(test_match_regex_anchored_partial),
	    cmocka_unit_test(test_match_regex_binary_safe),
	    cmocka_unit_test(test_match_regex_compile_error),
	    cmocka_unit_test(test_match_timestamp_accepts_now),
	    cmocka_unit_test(test_match_timestamp_rejects_skew_and_format),
	    cmocka_unit_test(test_match_parse_ctime_weekday_checked),
	    cmocka_unit_test(test_split_sizes),
	    cmocka_unit_test(test_split_random_reproducible_and_bounded),
	    cmocka_unit_test(test_escape_quote_and_hexdump),
	    cmocka_unit_test(test_match_regex_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
