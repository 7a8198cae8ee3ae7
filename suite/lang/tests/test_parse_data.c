/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the values statements carry (parse_data.h, and the
 * string escapes and durations of lex.h) and of plan.c: strings, hex and
 * range terms and their repeats, ${i} placeholders, escapes, durations,
 * size and nesting limits, then the rendering of a plan_bytes for an
 * index, length saturation, and family names. Every DATA is checked piece
 * by piece and as the exact bytes it renders to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_check.h"

/* ---- data ---- */

static void test_parse_data_terms_concatenate(void **state)
{
	struct plan *p;
	const struct plan_bytes *d;

	(void)state;
	/* "ab" then bytes 41 42, then 0x30..0x33, then "-" ten times. */
	p = parse_ok(HDR "connect c\nwrite c \"ab\" hex \"41 42\" range 48 51 \"-\" * 10\n");
	d = &p->stmts[1].data;
	assert_int_equal(d->nsegs, 4);
	assert_seg(&d->segs[0], PLAN_SEG_BYTES, LIT("ab"), 1);
	assert_seg(&d->segs[1], PLAN_SEG_BYTES, LIT("AB"), 1);
	assert_seg(&d->segs[2], PLAN_SEG_BYTES, LIT("0123"), 1);
	assert_seg(&d->segs[3], PLAN_SEG_BYTES, LIT("-"), 10);
	assert_rendered(d, 0, LIT("abAB0123----------"));
	plan_free(p);
}

static void test_parse_data_hex_and_range_forms(void **state)
{
	uint8_t all[512];
	struct plan *p;
	size_t i;

	(void)state;
	for (i = 0; i < 512; i++)
		all[i] = (uint8_t)i;
	/* hex: upper and lower case, blanks (space, tab) between pairs, none
	 * at all, and an empty string; range over all bytes, twice. */
	p = parse_ok(HDR "connect c\n"
	                 "write c hex \"DEADbeef\t00  0a\" hex \"\"\n"
	                 "write c range 0 255 * 2\n"
	                 "write c range 7 7\n");
	assert_int_equal(p->stmts[1].data.nsegs, 2);
	assert_rendered(&p->stmts[1].data, 0, LIT("\xde\xad\xbe\xef\x00\x0a"));
	assert_seg(&p->stmts[1].data.segs[1], PLAN_SEG_BYTES, NULL, 0, 1);
	assert_seg(&p->stmts[2].data.segs[0], PLAN_SEG_BYTES, all, 256, 2);
	assert_rendered(&p->stmts[2].data, 0, all, 512);
	assert_rendered(&p->stmts[3].data, 0, LIT("\x07"));
	plan_free(p);
}

static void test_parse_data_repeat_over_index_expands(void **state)
{
	struct plan *p;
	const struct plan_bytes *d;

	(void)state;
	/* A repeated group that holds ${i} is copied: a plan_seg can only
	 * repeat a single piece. */
	p = parse_ok(HDR "repeat 2\n connect c\n write c \"<\" \"a${i}\" * 3 \">\"\nend\n");
	d = &p->stmts[0].body[1].data;
	assert_int_equal(d->nsegs, 8);
	assert_seg(&d->segs[0], PLAN_SEG_BYTES, LIT("<"), 1);
	assert_seg(&d->segs[1], PLAN_SEG_BYTES, LIT("a"), 1);
	assert_seg(&d->segs[2], PLAN_SEG_INDEX, NULL, 0, 1);
	assert_seg(&d->segs[5], PLAN_SEG_BYTES, LIT("a"), 1);
	assert_seg(&d->segs[6], PLAN_SEG_INDEX, NULL, 0, 1);
	assert_seg(&d->segs[7], PLAN_SEG_BYTES, LIT(">"), 1);
	assert_rendered(d, 12, LIT("<a12a12a12>"));
	plan_free(p);
}

static void test_parse_string_escapes(void **state)
{
	struct plan *p;

	(void)state;
	/* Every escape, a raw tab, raw bytes >= 0x80 (invalid UTF-8 too). */
	p = parse_ok(HDR "connect c\n"
	                 "write c \"\\n\\r\\t\\0\\a\\b\\f\\v\\e\\\\\\\"\\'\\$\\x00\\xfF\\x41x\"\n"
	                 "write c \"a\tb\xc3\xa9\xff\xfe\"\n");
	assert_rendered(&p->stmts[1].data, 0,
	                LIT("\n\r\t\0\a\b\f\v\x1b\\\"'$\x00\xff"
	                    "Ax"));
	assert_rendered(&p->stmts[2].data, 0, LIT("a\tb\xc3\xa9\xff\xfe"));
	plan_free(p);
}

static void test_parse_durations_round_to_ms(void **state)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} cases[] = {
	    {"0ms", 0},
	    {"250ms", 250},
	    {"2s", 2000},
	    {"1.5s", 1500},
	    {"1min", 60000},
	    {"1.25min", 75000},
	    {"0.0005s", 1},
	    {"0.0004999s", 0},
	    {"1.2345s", 1235},
	    {"0.5ms", 1},
	    {"0.49ms", 0},
	    {"60min", 3600000},
	    {"3600s", 3600000},
	    {"3599999.4ms", 3599999},
	    {"007s", 7000},
	    {"0.00000000000000000000000000001min", 0},
	    {"59.999999999min", 3600000},
	};
	char src[128];
	struct plan *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(src, sizeof(src), HDR "sleep %s\n", cases[i].text);
		p = parse_ok(src);
		if (p->stmts[0].ms != cases[i].ms)
			print_message("%s\n", cases[i].text);
		assert_int_equal(p->stmts[0].ms, cases[i].ms);
		plan_free(p);
	}
}

static void test_parse_data_size_limits(void **state)
{
	struct plan *p;

	(void)state;
	/* Exactly 64 MiB is allowed; ${i} counts as 20 bytes. */
	p = parse_ok(HDR "connect c\nwrite c \"x\" * 67108864\n");
	assert_int_equal(plan_bytes_len(&p->stmts[1].data, 0), 67108864);
	plan_free(p);
	p = parse_ok(HDR "repeat 1\n connect c\n write c \"${i}\" * 3355443\nend\n");
	plan_free(p);
	parse_fails(HDR "connect c\nwrite c \"x\" * 67108865\n", NAME ":3:15: data too long");
	parse_fails(HDR "connect c\nwrite c \"xy\" * 33554432 \"z\"\n",
	            NAME ":3:25: data too long");
	parse_fails(HDR "repeat 1\n connect c\n write c \"${i}\" * 3355444\nend\n",
	            NAME ":4:19: data too long");
	parse_fails(HDR "connect c\nwrite c \"x\" * 18446744073709551615\n",
	            NAME ":3:15: data too long");
	parse_fails(HDR "repeat 1\n connect c\n write c \"a${i}\" * 40000\nend\n",
	            NAME ":4:20: data too complex: more than 65536 pieces");
	/* An empty piece may repeat without bound: it is still empty. */
	p = parse_ok(HDR "connect c\nwrite c \"\" * 18446744073709551615\n");
	assert_rendered(&p->stmts[1].data, 0, "", 0);
	plan_free(p);
}

static void test_parse_regex_compiled_only_without_index(void **state)
{
	struct plan *p;

	(void)state;
	/* "(" alone does not compile, but with ${i} it is checked at run time. */
	p = parse_ok(HDR "repeat 2\n connect c\n expect c regex \"${i}(\"\nend\n");
	assert_int_equal(p->stmts[0].body[1].op, PLAN_EXPECT_REGEX);
	assert_int_equal(p->stmts[0].body[1].data.nsegs, 2);
	plan_free(p);
	p = parse_ok(HDR "connect c\nexpect c regex \"\"\n");
	assert_seg(&p->stmts[1].data.segs[0], PLAN_SEG_BYTES, NULL, 0, 1);
	plan_free(p);
}

static void test_parse_nesting_depth_limit(void **state)
{
	char src[1024];
	size_t o, i;
	struct plan *p;

	(void)state;
	o = (size_t)snprintf(src, sizeof(src), HDR);
	for (i = 0; i < 16; i++)
		o += (size_t)snprintf(src + o, sizeof(src) - o, "repeat 2\n");
	for (i = 0; i < 16; i++)
		o += (size_t)snprintf(src + o, sizeof(src) - o, "end\n");
	p = parse_ok(src);
	plan_free(p);
	o = (size_t)snprintf(src, sizeof(src), HDR);
	for (i = 0; i < 17; i++)
		o += (size_t)snprintf(src + o, sizeof(src) - o, " parallel 2\n");
	parse_fails(src, NAME ":18:2: blocks nested too deeply (at most 16 levels)");
}

/* ---- plan.c ---- */

static void test_parse_plan_bytes_render_index_and_repeat(void **state)
{
	uint8_t ab[] = {'a', 'b'}, z[] = {'z'}, nul[] = {0, 0xff};
	struct plan_seg segs[] = {
	    {PLAN_SEG_BYTES, ab, 2, 2},   /* "abab" */
	    {PLAN_SEG_INDEX, NULL, 0, 3}, /* the index three times */
	    {PLAN_SEG_BYTES, NULL, 0, 5}, /* nothing, five times */
	    {PLAN_SEG_BYTES, z, 1, 1},    /* "z" */
	    {PLAN_SEG_INDEX, NULL, 0, 1}, /* the index once more */
	    {PLAN_SEG_BYTES, nul, 2, 1},  /* NUL and 0xff, kept */
	};
	struct plan_bytes b = {segs, sizeof(segs) / sizeof(segs[0])};
	struct plan_bytes empty = {NULL, 0};
	char want[128];
	int n;

	(void)state;
	assert_rendered(&b, 42, LIT("abab424242z42\0\xff"));
	assert_rendered(&b, 0, LIT("abab000z0\0\xff"));
	assert_rendered(&b, -7, LIT("abab-7-7-7z-7\0\xff"));
	n = snprintf(want, sizeof(want), "abab%ld%ld%ldz%ld", LONG_MIN, LONG_MIN, LONG_MIN,
	             LONG_MIN);
	memcpy(want + n, "\0\xff", 2);
	assert_rendered(&b, LONG_MIN, want, (size_t)n + 2);
	n = snprintf(want, sizeof(want), "abab%ld%ld%ldz%ld", LONG_MAX, LONG_MAX, LONG_MAX,
	             LONG_MAX);
	memcpy(want + n, "\0\xff", 2);
	assert_rendered(&b, LONG_MAX, want, (size_t)n + 2);
	/* Nothing to render still yields a buffer the caller frees. */
	assert_rendered(&empty, 1, "", 0);
	assert_int_equal(plan_bytes_len(NULL, 1), 0);
}

/* A cursor read in pieces of every size from 1 to 17, and skipped in
 * steps, gives exactly the rendered bytes. */
static void test_parse_plan_cursor_matches_render(void **state)
{
	uint8_t ab[] = {'a', 'b', 'c'}, nul[] = {0, 0xff};
	struct plan_seg segs[] = {
	    {PLAN_SEG_BYTES, ab, 3, 7},   /* "abc" seven times */
	    {PLAN_SEG_INDEX, NULL, 0, 2}, /* the index twice */
	    {PLAN_SEG_BYTES, NULL, 0, 9}, /* nothing, nine times */
	    {PLAN_SEG_BYTES, nul, 2, 3},  /* NUL 0xff three times */
	};
	struct plan_bytes b = {segs, sizeof(segs) / sizeof(segs[0])};
	struct plan_cursor c;
	uint8_t *whole = NULL, got[64];
	size_t len = 0;

	(void)state;
	assert_int_equal(plan_bytes_render(&b, -123, &whole, &len), 0);
	assert_int_equal(len, 21 + 8 + 6); /* "abc"x7, "-123"x2, NUL 0xff x3 */
	for (size_t piece = 1; piece <= 17; piece++) {
		size_t at = 0, n;
		plan_cursor_init(&c, &b, -123);
		while ((n = plan_cursor_read(&c, got, piece)) > 0) {
			assert_true(n == piece || at + n == len);
			assert_memory_equal(got, whole + at, n);
			at += n;
			assert_int_equal(c.pos, at);
		}
		assert_int_equal(at, len);
	}
	for (size_t step = 1; step < len; step++) {
		plan_cursor_init(&c, &b, -123);
		assert_int_equal(plan_cursor_skip(&c, step), step);
		assert_int_equal(plan_cursor_read(&c, got, sizeof(got)), len - step);
		assert_memory_equal(got, whole + step, len - step);
	}
	plan_cursor_init(&c, &b, -123);
	assert_int_equal(plan_cursor_skip(&c, 1000), len); /* stops at the end */
	assert_int_equal(plan_cursor_read(&c, got, 1), 0);
	free(whole);
}

/* Skipping whole repetitions does not walk them: 64 MiB at once. */
static void test_parse_plan_cursor_skips_repetitions(void **state)
{
	uint8_t x[] = {'x', 'y'};
	struct plan_seg segs[] = {{PLAN_SEG_BYTES, x, 2, (size_t)32 << 20}};
	struct plan_bytes b = {segs, 1};
	struct plan_cursor c;
	uint8_t got[4];

	(void)state;
	plan_cursor_init(&c, &b, 0);
	assert_int_equal(plan_cursor_skip(&c, ((uint64_t)64 << 20) - 3), ((uint64_t)64 << 20) - 3);
	assert_int_equal(plan_cursor_read(&c, got, sizeof(got)), 3);
	assert_memory_equal(got, "yxy", 3);
}

static void test_parse_plan_bytes_len_saturates(void **state)
{
	uint8_t x[] = {'x'};
	struct plan_seg segs[] = {{PLAN_SEG_BYTES, x, 1, SIZE_MAX}, {PLAN_SEG_BYTES, x, 1, 1}};
	struct plan_bytes b = {segs, 2};
	uint8_t *out = (uint8_t *)x;
	size_t len = 99;

	(void)state;
	/* Too long to exist: the length saturates and rendering refuses. */
	assert_int_equal(plan_bytes_len(&b, 0), SIZE_MAX);
	assert_int_equal(plan_bytes_render(&b, 0, &out, &len), -1);
	assert_null(out);
	assert_int_equal(len, 0);
}

static void test_parse_plan_family_names(void **state)
{
	enum plan_family f, got;
	const char *name;

	(void)state;
	for (f = 0; f < PLAN_FAMILY_COUNT; f++) {
		name = plan_family_name(f);
		assert_non_null(name);
		assert_int_equal(plan_family_parse(name, strlen(name), &got), 0);
		assert_int_equal(got, f);
	}
	assert_string_equal(plan_family_name(PLAN_FAMILY_PARTIAL_RECV), "partial-recv");
	assert_null(plan_family_name(PLAN_FAMILY_COUNT));
	assert_null(plan_family_name((enum plan_family) - 1));
	got = PLAN_FAMILY_LIMITS;
	assert_int_equal(plan_family_parse("basics", 6, &got), -1);
	assert_int_equal(plan_family_parse("basic", 4, &got), -1);
	assert_int_equal(plan_family_parse("", 0, &got), -1);
	assert_int_equal(plan_family_parse(NULL, 0, &got), -1);
	assert_int_equal(got, PLAN_FAMILY_LIMITS);
	/* The length counts, not a terminating NUL. */
	assert_int_equal(plan_family_parse("exit/x", 4, &got), 0);
	assert_int_equal(got, PLAN_FAMILY_EXIT);
}

static void test_parse_plan_free_null(void **state)
{
	(void)state;
	plan_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_data_terms_concatenate),
	    cmocka_unit_test(test_parse_data_hex_and_range_forms),
	    cmocka_unit_test(test_parse_data_repeat_over_index_expands),
	    cmocka_unit_test(test_parse_string_escapes),
	    cmocka_unit_test(test_parse_durations_round_to_ms),
	    cmocka_unit_test(test_parse_data_size_limits),
	    cmocka_unit_test(test_parse_regex_compiled_only_without_index),
	    cmocka_unit_test(test_parse_nesting_depth_limit),
	    cmocka_unit_test(test_parse_plan_bytes_render_index_and_repeat),
	    cmocka_unit_test(test_parse_plan_bytes_len_saturates),
	    cmocka_unit_test(test_parse_plan_cursor_matches_render),
	    cmocka_unit_test(test_parse_plan_cursor_skips_repetitions),
	    cmocka_unit_test(test_parse_plan_family_names),
	    cmocka_unit_test(test_parse_plan_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
