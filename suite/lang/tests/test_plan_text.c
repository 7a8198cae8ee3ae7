/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of plan_text (plan_text.h): the exact text written for a
 * plan, and the round trip parse -> write -> parse giving an equal plan,
 * for every bundled case file and for inputs that stress the writer
 * (bytes the language must escape, ${i} pieces, measured limits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "parse_check.h"
#include "plan_text.h"

/* The text written for p; the caller frees it. */
static char *written(const struct plan *p)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char *text = NULL;

	plan_text_write(p, &sb);
	assert_int_equal(strbuf_finish(&sb, &text, NULL), 0);
	return text;
}

/* Parses src, writes it, parses that, and checks the two plans are
 * equal and the second text is the first one again. */
static void assert_round_trip(const char *name, const void *src, size_t n)
{
	char err[PARSE_ERR_MAX], *text, *again;
	struct plan *a = NULL, *b = NULL;

	if (parse_case(name, src, n, &a, err, sizeof(err)) != 0)
		fail_msg("%s does not parse: %s", name, err);
	text = written(a);
	if (parse_case(name, (const uint8_t *)text, strlen(text), &b, err, sizeof(err)) != 0)
		fail_msg("the text written for %s does not parse: %s\n%s", name, err, text);
	if (!plan_text_equal(a, b))
		fail_msg("the text written for %s parses to another plan:\n%s", name, text);
	again = written(b);
	assert_string_equal(again, text);
	free(again);
	free(text);
	plan_free(a);
	plan_free(b);
}

/* src must be written exactly as want, and survive the round trip. */
static void assert_written(const char *src, const char *want)
{
	struct plan *p = parse_ok(src);
	char *text = written(p);

	assert_string_equal(text, want);
	free(text);
	plan_free(p);
	assert_round_trip(NAME, src, strlen(src));
}

static void test_plan_text_every_bundled_case(void **state)
{
	size_t i;

	(void)state;
	assert_true(embedded_case_count > 100);
	for (i = 0; i < embedded_case_count; i++)
		assert_round_trip(embedded_cases[i].path, embedded_cases[i].data,
		                  embedded_cases[i].len);
}

static void test_plan_text_exact_text(void **state)
{
	static const char src[] =
	    "case framing/x\n"
	    "description \"a \\\"quoted\\\" \\$5 caf\\xc3\\xa9\"\n"
	    "timeout 1.5s\n"
	    "connect c1 rcvbuf 4096\n"
	    "write c1 \"hi\\n\" * 3 hex \"00 ff\" split random max 7 gap 5ms\n"
	    "expect c1 line range 65 67 within 2s\n"
	    "parallel 3 stagger 10ms within 1min\n"
	    "  connect c\n"
	    "  write c \"n${i}\\r\\n\"\n"
	    "  expect c regex \"^n${i}\\$\" within 250ms\n"
	    "end\n"
	    "expect c1 nothing for 1s\n";
	static const char want[] =
	    "case framing/x\n"
	    "description \"a \\x22quoted\\x22 \\x245 caf\\xc3\\xa9\"\n"
	    "timeout 1500ms\n"
	    "connect c1 rcvbuf 4096\n"
	    "write c1 \"hi\\x0a\" * 3 \"\\x00\\xff\" split random max 7 gap 5ms\n"
	    "expect c1 line \"ABC\" within 2000ms\n"
	    "parallel 3 stagger 10ms within 60000ms\n"
	    "  connect c\n"
	    "  write c \"n\" \"${i}\" \"\\x0d\\x0a\"\n"
	    "  expect c regex \"^n${i}\\x24\" within 250ms\n"
	    "end\n"
	    "expect c1 nothing for 1000ms\n";

	(void)state;
	assert_written(src, want);
}

static void test_plan_text_server_statements(void **state)
{
	static const char src[] = "case exit/x\n"
	                          "requires framing chunk\n"
	                          "snapshot base\n"
	                          "measure lat\n"
	                          "  connect u udp\n"
	                          "  send u \"\" * 4 \"${i}\" * 2\n"
	                          "  expect u datagram timestamp \"\" within 1s\n"
	                          "  expect u no-datagram for 0ms\n"
	                          "end\n"
	                          "repeat 2\n"
	                          "  connect t unix\n"
	                          "  shutdown t\n"
	                          "  expect t eof within lat * 3 + 20ms\n"
	                          "end\n"
	                          "signal SIGUSR2\n"
	                          "expect exit 3 or INT within lat * 2\n"
	                          "expect mappings <= base + 256\n"
	                          "restart\n"
	                          "expect second-instance fails\n";
	static const char want[] = "case exit/x\n"
	                           "requires launched\n"
	                           "requires framing chunk\n"
	                           "snapshot base\n"
	                           "measure lat\n"
	                           "  connect u udp\n"
	                           "  send u \"\" * 4 \"${i}\" * 2\n"
	                           "  expect u datagram timestamp \"\" within 1000ms\n"
	                           "  expect u no-datagram for 0ms\n"
	                           "end\n"
	                           "repeat 2\n"
	                           "  connect t unix\n"
	                           "  shutdown t\n"
	                           "  expect t eof within lat * 3 + 20ms\n"
	                           "end\n"
	                           "signal USR2\n"
	                           "expect exit 3 or INT within lat * 2 + 0ms\n"
	                           "expect mappings <= base + 256 within 2000ms\n"
	                           "restart\n"
	                           "expect second-instance fails within 2000ms\n";

	(void)state;
	assert_written(src, want);
}

static void test_plan_text_equal_sees_every_difference(void **state)
{
	static const char *const others[] = {
	    HDR "connect c1\nwrite c1 \"ab\" split 2\n",
	    HDR "connect c1\nwrite c1 \"ab\" gap 1ms\n",
	    HDR "connect c1\nwrite c1 \"a\" \"b\"\n",
	    HDR "connect c1\nwrite c1 \"ab\" * 1 \"\"\n",
	    HDR "connect c2\nwrite c2 \"ab\"\n",
	    HDR "connect c1 tcp\nwrite c1 \"ab\"\n",
	    HDR "connect c1\nwrite c1 \"aB\"\n",
	    "case basic/y\nconnect c1\nwrite c1 \"ab\"\n",
	    HDR "timeout 9s\nconnect c1\nwrite c1 \"ab\"\n",
	    HDR "connect c1\nwrite c1 \"ab\"\nclose c1\n",
	};
	struct plan *base = parse_ok(HDR "connect c1\nwrite c1 \"ab\"\n"), *same, *other;
	size_t i;

	(void)state;
	same = parse_ok("\n\n" HDR "  connect   c1\nwrite c1 \"a\\x62\" # same\n");
	assert_true(plan_text_equal(base, same));
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		other = parse_ok(others[i]);
		if (plan_text_equal(base, other))
			fail_msg("equal to the base plan: %s", others[i]);
		plan_free(other);
	}
	plan_free(same);
	plan_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_text_every_bundled_case),
	    cmocka_unit_test(test_plan_text_exact_text),
	    cmocka_unit_test(test_plan_text_server_statements),
	    cmocka_unit_test(test_plan_text_equal_sees_every_difference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
