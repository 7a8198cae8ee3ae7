/* SPDX-License-Identifier: MIT */
/*
 * Tests of base/: the one --timeout-scale (validation and scaling) and
 * the growable-string forms of the escapes that every message uses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "scale.h"
#include "strbuf.h"

static void test_scale_parse_range(void **state)
{
	double x = -1;

	(void)state;
	assert_int_equal(scale_parse("2", &x), 0);
	assert_true(x == 2.0);
	assert_int_equal(scale_parse("0.01", &x), 0);
	assert_int_equal(scale_parse("1000", &x), 0);
	x = 7;
	assert_int_equal(scale_parse("1e-300", &x), -1); /* too small to mean anything */
	assert_int_equal(scale_parse("0", &x), -1);
	assert_int_equal(scale_parse("-1", &x), -1);
	assert_int_equal(scale_parse("1000.5", &x), -1);
	assert_int_equal(scale_parse("nan", &x), -1);
	assert_int_equal(scale_parse("inf", &x), -1);
	assert_int_equal(scale_parse("2x", &x), -1);
	assert_int_equal(scale_parse("", &x), -1);
	assert_true(x == 7); /* untouched on error */
	assert_false(scale_valid(NAN));
}

static void test_scale_ms_rounds_and_bounds(void **state)
{
	(void)state;
	assert_int_equal(scale_ms(0, 5), 0);
	assert_int_equal(scale_ms(1, 0.01), 1); /* a wait stays a wait */
	assert_int_equal(scale_ms(2000, 0.3), 600);
	assert_int_equal(scale_ms(10, 1.25), 13); /* 12.5 rounds up */
	assert_int_equal(scale_ms(UINT64_MAX / 2, 1000), SCALE_MS_MAX);
}

static void test_strbuf_grows_without_limit(void **state)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char *path = malloc(5001), *out = NULL;

	(void)state;
	memset(path, 'p', 5000);
	path[5000] = '\0';
	strbuf_printf(&sb, "%s:%u: ", path, 12u);
	strbuf_puts(&sb, "end");
	assert_int_equal(sb.len, 5000 + 5 + 3);
	assert_string_equal(strbuf_text(&sb) + 5000, ":12: end");
	assert_int_equal(strbuf_finish(&sb, &out, NULL), 0);
	free(out);
	free(path);
	strbuf_release(&sb);
	assert_string_equal(strbuf_text(&sb), "");
}

static void test_escape_into_strbuf(void **state)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char fixed[8];

	(void)state;
	escape_quote_sb(&sb, (const uint8_t *)"a\0\"\n", 4, 4);
	assert_string_equal(strbuf_text(&sb), "\"a\\x00\\\"\\n\"");
	strbuf_release(&sb);
	escape_quote_sb(&sb, (const uint8_t *)"abcdef", 6, 2);
	assert_string_equal(strbuf_text(&sb), "\"ab...\" (6 bytes)");
	strbuf_release(&sb);
	/* The fixed-buffer form is the same text, cut to fit. */
	assert_string_equal(escape_quote((const uint8_t *)"abcdef", 6, 2, fixed, sizeof(fixed)),
	                    "\"ab...\"");
	/* offset, 3 bytes in hex, 13 empty columns of 3, the ASCII column */
	escape_hexdump_sb(&sb, (const uint8_t *)"AB\x01", 3, 16, "  ");
	assert_string_equal(strbuf_text(&sb), "  000000  41 42 01"
	                                      "                                       "
	                                      "  |AB.|\n");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scale_parse_range),
	    cmocka_unit_test(test_scale_ms_rounds_and_bounds),
	    cmocka_unit_test(test_strbuf_grows_without_limit),
	    cmocka_unit_test(test_escape_into_strbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
