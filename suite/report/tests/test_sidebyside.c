/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of sidebyside (sidebyside.h): expected and received bytes
 * in two columns, compared byte for byte: the caret under the first
 * difference (also where one side ended), rows that end after an LF of
 * the expected bytes, long data windowed around the difference, control
 * bytes escaped, a pattern shown as the case file writes it, and the
 * view inside a failed case of the text report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "sidebyside.h"

/* A view of expected e and received r, both whole (from offset 0). */
static struct report_bytes whole(const char *e, size_t elen, const char *r, size_t rlen,
                                 uint64_t diff)
{
	return (struct report_bytes){.shown = 1,
	                             .diff = diff,
	                             .expected = (uint8_t *)e,
	                             .expected_len = elen,
	                             .expected_total = elen,
	                             .received = (uint8_t *)r,
	                             .received_len = rlen,
	                             .received_total = rlen};
}

static void assert_view(const struct report_bytes *b, const char *want)
{
	struct strbuf sb = {NULL, 0, 0, 0};

	sidebyside_render(&sb, b, 4);
	assert_false(sb.oom);
	assert_string_equal(strbuf_text(&sb), want);
	strbuf_release(&sb);
}

static void test_sidebyside_marks_first_difference(void **state)
{
	/* "Hello, alice!\n" expected, "Hello, alice\r!\n" came: byte 12. */
	struct report_bytes b = whole("Hello, alice!\n", 14, "Hello, alice\r!\n", 15, 12);

	(void)state;
	assert_view(&b, "    side by side, first difference at byte 12:\n"
	                "    offset  expected (14 bytes)  received (15 bytes)\n"
	                "         0  \"Hello, alice!\\n\"    \"Hello, alice\\r!\"\n"
	                "                         ^                    ^\n"
	                "        14                       \"\\n\"\n");
}

static void test_sidebyside_caret_where_received_ended(void **state)
{
	/* One byte came, then EOF: the caret stands under its closing quote. */
	struct report_bytes b = whole("hello, world\n", 13, "h", 1, 1);

	(void)state;
	assert_view(&b, "    side by side, first difference at byte 1:\n"
	                "    offset  expected (13 bytes)  received (1 byte)\n"
	                "         0  \"hello, world\\n\"     \"h\"\n"
	                "              ^                    ^\n");
}

static void test_sidebyside_caret_under_empty_cell(void **state)
{
	/* Received ended at the start of a row: "" marks where. */
	struct report_bytes b = whole("a\nb\n", 4, "a\n", 2, 2);

	(void)state;
	assert_view(&b, "    side by side, first difference at byte 2:\n"
	                "    offset  expected (4 bytes)  received (2 bytes)\n"
	                "         0  \"a\\n\"               \"a\\n\"\n"
	                "         2  \"b\\n\"               \"\"\n"
	                "             ^                   ^\n");
}

static void test_sidebyside_rows_end_after_expected_lf(void **state)
{
	struct report_bytes b = whole("OK...hi\nOK...asd\n", 17, "OK...MOK...ichael\n", 18, 5);

	(void)state;
	assert_view(&b, "    side by side, first difference at byte 5:\n"
	                "    offset  expected (17 bytes)  received (18 bytes)\n"
	                "         0  \"OK...hi\\n\"          \"OK...MOK\"\n"
	                "                  ^                    ^\n"
	                "         8  \"OK...asd\\n\"         \"...ichael\"\n"
	                "        17                       \"\\n\"\n");
}

static void test_sidebyside_long_data_windowed(void **state)
{
	/* Windows of 236 bytes from offset 86 of 1000 expected and 1200
	 * received bytes, 'b' for 'a' at byte 150: two rows of 32 bytes on
	 * each side of the difference, the rest counted. */
	char e[236], r[236];
	struct report_bytes b;

	(void)state;
	memset(e, 'a', sizeof(e));
	memset(r, 'a', sizeof(r));
	r[150 - 86] = 'b';
	b = (struct report_bytes){.shown = 1,
	                          .from = 86,
	                          .diff = 150,
	                          .expected = (uint8_t *)e,
	                          .expected_len = sizeof(e),
	                          .expected_total = 1000,
	                          .received = (uint8_t *)r,
	                          .received_len = sizeof(r),
	                          .received_total = 1200};
	assert_view(&b, "    side by side, first difference at byte 150:\n"
	                "    offset  expected (1000 bytes)               received (1200 bytes)\n"
	                "            ... 86 bytes before, the same on both sides\n"
	                "        86  \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"  "
	                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
	                "       118  \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"  "
	                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
	                "       150  \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"  "
	                "\"baaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
	                "             ^                                   ^\n"
	                "       182  \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"  "
	                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
	                "       214  \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"  "
	                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
	                "            ... 754 bytes more                  ... 954 bytes more\n");
}

static void test_sidebyside_escapes_control_bytes(void **state)
{
	/* A target's colour codes, NUL and non-UTF-8 bytes stay escaped. */
	struct report_bytes b = whole("\x1b[31m\x00\xff ok\n", 11, "\x1b[32m\x00\xfe ok\n", 11, 3);
	struct strbuf sb = {NULL, 0, 0, 0};

	(void)state;
	assert_view(&b, "    side by side, first difference at byte 3:\n"
	                "    offset  expected (11 bytes)      received (11 bytes)\n"
	                "         0  \"\\x1b[31m\\x00\\xff ok\\n\"  \"\\x1b[32m\\x00\\xfe ok\\n\"\n"
	                "                   ^                        ^\n");
	sidebyside_render(&sb, &b, 0);
	for (size_t i = 0; i < sb.len; i++)
		assert_true(sb.buf[i] == '\n' || (sb.buf[i] >= 0x20 && sb.buf[i] < 0x7f));
	strbuf_release(&sb);
}

static void test_sidebyside_pattern_as_written(void **state)
{
	/* The pattern ^\+PONG\r\n$ LF [a-z]{2}, as PCRE2 got it: written as
	 * the case file does, its LF as \n, in one row; the received bytes
	 * in rows beside it, no caret. */
	static const char pat[] = "^\\+PONG\\r\\n$\n[a-z]{2}";
	static const char got[] = "+PONG\r\nsecond line here that is long enough to wrap around "
	                          "the column\n";
	struct report_bytes b = whole(pat, sizeof(pat) - 1, got, sizeof(got) - 1, 0);

	(void)state;
	b.pattern = 1;
	assert_view(&b, "    side by side, the pattern as the case file writes it:\n"
	                "    offset  expected (pattern)            received (70 bytes)\n"
	                "         0  \"^\\\\+PONG\\\\r\\\\n\\$\\n[a-z]{2}\"  \"+PONG\\r\\n\"\n"
	                "         7                                \"second line here that "
	                "is long en\"\n"
	                "        39                                \"ough to wrap around the "
	                "column\\n\"\n");
}

static void test_sidebyside_not_shown_appends_nothing(void **state)
{
	struct report_bytes b = whole("a", 1, "b", 1, 0);
	struct strbuf sb = {NULL, 0, 0, 0};

	(void)state;
	b.shown = 0;
	sidebyside_render(&sb, &b, 4);
	sidebyside_render(&sb, NULL, 4);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
}

static void test_sidebyside_in_failed_case_of_text_report(void **state)
{
	struct report_bytes b = whole("hi\n", 3, "ho\n", 3, 1);
	const struct report_entry e = {.id = "basic/one",
	                               .family = "basic",
	                               .verdict = VERDICT_FAIL,
	                               .duration_ms = 2,
	                               .message = "x.case:3: expected \"hi\\n\", got \"ho\\n\"",
	                               .file = "x.case",
	                               .line = 3,
	                               .bytes = &b};
	struct report *r = report_new("v");
	struct report_run *run = report_add_run(r, "p", "t", "line");
	struct report_case *c = report_add_case(run, &e);
	char *block;

	(void)state;
	assert_non_null(c);
	assert_ptr_not_equal(c->bytes.expected, b.expected); /* copied */
	block = report_render_case(run, c, 0, 0);
	assert_non_null(block);
	assert_string_equal(block, "FAIL  basic/one  2 ms\n"
	                           "    x.case:3: expected \"hi\\n\", got \"ho\\n\"\n"
	                           "    side by side, first difference at byte 1:\n"
	                           "    offset  expected (3 bytes)  received (3 bytes)\n"
	                           "         0  \"hi\\n\"              \"ho\\n\"\n"
	                           "              ^                   ^\n");
	free(block);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sidebyside_marks_first_difference),
	    cmocka_unit_test(test_sidebyside_caret_where_received_ended),
	    cmocka_unit_test(test_sidebyside_caret_under_empty_cell),
	    cmocka_unit_test(test_sidebyside_rows_end_after_expected_lf),
	    cmocka_unit_test(test_sidebyside_long_data_windowed),
	    cmocka_unit_test(test_sidebyside_escapes_control_bytes),
	    cmocka_unit_test(test_sidebyside_pattern_as_written),
	    cmocka_unit_test(test_sidebyside_not_shown_appends_nothing),
	    cmocka_unit_test(test_sidebyside_in_failed_case_of_text_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
