/* SPDX-License-Identifier: MIT */
/*
 * The parse and DATA assertions of parse_check.h, shared by the parser
 * tests. Built into each parser test program, never into sockspec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parse_check.h"

/* Parses n bytes that must be valid; returns the plan. */
struct plan *parse_ok_n(const void *src, size_t n)
{
	struct plan *p = (struct plan *)&p; /* must be overwritten */
	char err[PARSE_ERR_MAX] = "unset";
	int rc = parse_case(NAME, src, n, &p, err, sizeof(err));

	if (rc != 0)
		print_message("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	assert_string_equal(err, "");
	return p;
}

struct plan *parse_ok(const char *src)
{
	return parse_ok_n(src, strlen(src));
}

/* Parses n bytes that must fail with exactly `want`. */
void parse_fails_n(const void *src, size_t n, const char *want)
{
	struct plan *p = (struct plan *)&p;
	char err[PARSE_ERR_MAX] = "";
	int rc = parse_case(NAME, src, n, &p, err, sizeof(err));

	if (rc != -1 || strcmp(err, want) != 0)
		print_message("input: %.*s\n", (int)n, (const char *)src);
	assert_int_equal(rc, -1);
	assert_null(p);
	assert_string_equal(err, want);
}

void parse_fails(const char *src, const char *want)
{
	parse_fails_n(src, strlen(src), want);
}

void assert_seg(const struct plan_seg *s, enum plan_seg_kind kind, const void *bytes, size_t len,
                size_t repeat)
{
	assert_int_equal(s->kind, kind);
	assert_int_equal(s->len, len);
	assert_int_equal(s->repeat, repeat);
	if (len > 0)
		assert_memory_equal(s->bytes, bytes, len);
	if (kind == PLAN_SEG_INDEX || len == 0)
		assert_null(s->bytes);
}

/* Renders b with `index` and compares with want[0..len). */
void assert_rendered(const struct plan_bytes *b, long index, const void *want, size_t len)
{
	uint8_t *out = NULL;
	size_t got = 12345;

	assert_int_equal(plan_bytes_len(b, index), len);
	assert_int_equal(plan_bytes_render(b, index, &out, &got), 0);
	assert_non_null(out);
	assert_int_equal(got, len);
	if (len > 0)
		assert_memory_equal(out, want, len);
	free(out);
}
