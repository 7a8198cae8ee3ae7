/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of report (report.h, render.h), part one: the verdict store, the exit
 * status rules, format and verdict names, and the text rendering compared
 * byte for byte against a small fixture of two runs (one case of each
 * verdict), including how it escapes a hostile case id. Under ASan an
 * allocation limit drives the out-of-memory paths. The CI formats are in
 * test_report_ci.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_fixture.h"

static void test_report_new_is_empty(void **state)
{
	struct report *r = report_new(NULL);
	struct report_summary s;

	(void)state;
	assert_non_null(r);
	assert_string_equal(r->version, "");
	assert_int_equal(r->nruns, 0);
	report_summarize(r, NULL, &s);
	assert_int_equal(s.pass + s.fail + s.skip + s.error, 0);
	report_free(r);
	report_free(NULL);
}

static void test_report_add_copies_strings_and_null_becomes_empty(void **state)
{
	char profile[] = "echo", id[] = "basic/x";
	struct report *r = report_new("1.2.3");
	struct report_run *run;
	struct report_case *c;

	(void)state;
	run = report_add_run(r, profile, NULL, "line");
	assert_non_null(run);
	c = add_case(run, id, NULL, NULL, VERDICT_FAIL, 9, NULL, NULL, 4, NULL, NULL);
	assert_non_null(c);
	profile[0] = 'X';
	id[0] = 'X';
	assert_string_equal(run->profile, "echo");
	assert_string_equal(run->target, "");
	assert_string_equal(c->id, "basic/x");
	assert_string_equal(c->family, "");
	assert_string_equal(c->description, "");
	assert_string_equal(c->message, "");
	assert_string_equal(c->file, "");
	assert_string_equal(c->timeline, "");
	assert_string_equal(c->output, "");
	assert_int_equal(c->verdict, VERDICT_FAIL);
	assert_int_equal(c->duration_ms, 9);
	assert_int_equal(c->line, 4);
	assert_null(report_add_run(NULL, "a", "b", "c"));
	assert_null(add_case(NULL, "a", "b", "c", VERDICT_PASS, 0, "", "", 0, "", ""));
	report_free(r);
}

static void test_report_many_runs_and_cases_grow(void **state)
{
	struct report *r = report_new("v");
	struct report_summary s;
	char id[32];
	size_t i, j;

	(void)state;
	for (i = 0; i < 20; i++) {
		struct report_run *run = report_add_run(r, "p", "t", "chunk");

		assert_non_null(run);
		for (j = 0; j < 50; j++) {
			snprintf(id, sizeof(id), "f/c%zu", j);
			assert_non_null(add_case(run, id, "f", "", (enum verdict)(j % 4), j, "", "",
			                         0, "", ""));
		}
	}
	assert_int_equal(r->nruns, 20);
	assert_int_equal(r->runs[19].ncases, 50);
	assert_string_equal(r->runs[7].cases[49].id, "f/c49");
	report_summarize(r, NULL, &s);
	assert_int_equal(s.pass, 20 * 13);
	assert_int_equal(s.fail, 20 * 13);
	assert_int_equal(s.skip, 20 * 12);
	assert_int_equal(s.error, 20 * 12);
	report_free(r);
}

static void test_report_summarize_per_run_and_total(void **state)
{
	struct report *r = small_fixture();
	struct report_summary s;

	(void)state;
	report_summarize(r, &r->runs[0], &s);
	assert_int_equal(s.pass, 1);
	assert_int_equal(s.fail, 1);
	assert_int_equal(s.skip, 1);
	assert_int_equal(s.error, 1);
	report_summarize(r, &r->runs[1], &s);
	assert_int_equal(s.pass, 1);
	assert_int_equal(s.fail, 0);
	assert_int_equal(s.skip, 1);
	assert_int_equal(s.error, 0);
	report_summarize(r, NULL, &s);
	assert_int_equal(s.pass, 2);
	assert_int_equal(s.fail, 1);
	assert_int_equal(s.skip, 2);
	assert_int_equal(s.error, 1);
	report_free(r);
}

static void test_report_exit_status_empty_is_failure(void **state)
{
	struct report *r = report_new("v");

	(void)state;
	assert_int_equal(report_exit_status(r), 1);
	assert_non_null(report_add_run(r, "p", "t", "line"));
	assert_int_equal(report_exit_status(r), 1); /* a run without cases */
	assert_int_equal(report_exit_status(NULL), 1);
	report_free(r);
}

static void test_report_exit_status_all_skip_is_failure(void **state)
{
	struct report *r = one_case(VERDICT_SKIP, "a/b", "no", "", "");

	(void)state;
	assert_non_null(add_case(&r->runs[0], "a/c", "a", "", VERDICT_SKIP, 0, "", "", 0, "", ""));
	assert_int_equal(report_exit_status(r), 1);
	report_free(r);
}

static void test_report_exit_status_pass_only_is_success(void **state)
{
	struct report *r = one_case(VERDICT_PASS, "a/b", "", "", "");

	(void)state;
	assert_int_equal(report_exit_status(r), 0);
	/* Skips beside a pass do not fail the run. */
	assert_non_null(add_case(&r->runs[0], "a/c", "a", "", VERDICT_SKIP, 0, "", "", 0, "", ""));
	assert_int_equal(report_exit_status(r), 0);
	report_free(r);
}

static void test_report_exit_status_with_fail_is_failure(void **state)
{
	struct report *r = one_case(VERDICT_PASS, "a/b", "", "", "");

	(void)state;
	assert_non_null(add_case(&r->runs[0], "a/c", "a", "", VERDICT_FAIL, 0, "x", "", 0, "", ""));
	assert_int_equal(report_exit_status(r), 1);
	report_free(r);
	r = one_case(VERDICT_FAIL, "a/b", "x", "", "");
	assert_int_equal(report_exit_status(r), 1);
	report_free(r);
}

static void test_report_exit_status_with_error_is_failure(void **state)
{
	struct report *r = one_case(VERDICT_PASS, "a/b", "", "", "");

	(void)state;
	assert_non_null(report_add_run(r, "q", "t", "line"));
	assert_non_null(
	    add_case(&r->runs[1], "a/c", "a", "", VERDICT_ERROR, 0, "x", "", 0, "", ""));
	assert_int_equal(report_exit_status(r), 1);
	report_free(r);
	r = one_case(VERDICT_ERROR, "a/b", "x", "", "");
	assert_int_equal(report_exit_status(r), 1);
	report_free(r);
}

static void test_report_format_parse_names(void **state)
{
	enum report_format f = REPORT_TAP;

	(void)state;
	assert_int_equal(report_format_parse("text", &f), 0);
	assert_int_equal(f, REPORT_TEXT);
	assert_int_equal(report_format_parse("json", &f), 0);
	assert_int_equal(f, REPORT_JSON);
	assert_int_equal(report_format_parse("junit", &f), 0);
	assert_int_equal(f, REPORT_JUNIT);
	assert_int_equal(report_format_parse("tap", &f), 0);
	assert_int_equal(f, REPORT_TAP);
	f = REPORT_JSON;
	assert_int_equal(report_format_parse("JSON", &f), -1);
	assert_int_equal(report_format_parse("xml", &f), -1);
	assert_int_equal(report_format_parse("", &f), -1);
	assert_int_equal(report_format_parse("tap ", &f), -1);
	assert_int_equal(report_format_parse(NULL, &f), -1);
	assert_int_equal(f, REPORT_JSON);
}

static void test_report_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(report_verdict_name(VERDICT_PASS), "pass");
	assert_string_equal(report_verdict_name(VERDICT_FAIL), "fail");
	assert_string_equal(report_verdict_name(VERDICT_SKIP), "skip");
	assert_string_equal(report_verdict_name(VERDICT_ERROR), "error");
	/* A corrupt verdict is reported as an error, never as a pass. */
	assert_string_equal(report_verdict_name((enum verdict)7), "error");
}

static void test_report_render_rejects_bad_arguments(void **state)
{
	struct report *r = small_fixture();
	char *out = (char *)"untouched";
	size_t len = 5;

	(void)state;
	assert_int_equal(report_render(r, (enum report_format)9, 0, 0, &out, &len), -1);
	assert_null(out);
	assert_int_equal(report_render(NULL, REPORT_TEXT, 0, 0, &out, &len), -1);
	assert_int_equal(report_render(r, REPORT_TEXT, 0, 0, NULL, &len), -1);
	assert_null(report_render_case(&r->runs[0], NULL, 0, 0));
	report_free(r);
}

static const char small_text[] = "sockspec 0.1.0: seed 7 (repeat with --seed 7), started "
                                 "2026-12-03T13:05:00Z\n"
                                 "== echo-threaded (line framing): ./ref-echo -p 0\n"
                                 "PASS  basic/echo-one-line  3 ms\n"
                                 "FAIL  partial-recv/one-byte-writes  12 ms\n"
                                 "    expected \"hello\\n\", got \"he\"\n"
                                 "    connection closed early\n"
                                 "    target output:\n"
                                 "        warn: \\x01odd\\xff byte\n"
                                 "    timeline:\n"
                                 "        > h\n"
                                 "        > e\n"
                                 "        < he\n"
                                 "SKIP  reuse/so-reuseport  0 ms - needs SO_REUSEPORT\n"
                                 "ERROR limits/many-conns  5 ms\n"
                                 "    runner: fd limit <1024> & 'ulimit -n'\n"
                                 "    timeline:\n"
                                 "        > connect x1000\n"
                                 "\n"
                                 "== echo-forked (chunk framing): connect 127.0.0.1:7\n"
                                 "PASS  basic/echo-one-line  4 ms\n"
                                 "SKIP  framing/crlf  0 ms - chunk framing has no lines\n"
                                 "\n"
                                 "profile              basic  partial-recv  framing  "
                                 "concurrency  exit  reuse  limits  resources  total\n"
                                 "echo-threaded          1/1           0/1        -  "
                                 "          -     -      -     0/1          -    1/3\n"
                                 "echo-forked (chunk)    1/1             -        -  "
                                 "          -     -      -       -          -    1/1\n"
                                 "duration 1.234 s\n"
                                 "2 passed, 1 failed, 2 skipped, 1 errors\n";

static void test_report_text_exact(void **state)
{
	struct report *r = small_fixture();

	(void)state;
	assert_rendered(r, REPORT_TEXT, 0, 0, small_text);
	report_free(r);
}

static void test_report_text_verbose_shows_every_timeline(void **state)
{
	struct report *r = small_fixture();
	char *out = render(r, REPORT_TEXT, 0, 1);

	(void)state;
	assert_contains(out, "PASS  basic/echo-one-line  3 ms\n"
	                     "    timeline:\n"
	                     "        > hello\n"
	                     "        < hello\n"
	                     "FAIL  ");
	/* The pass of the second run has no timeline: no empty heading. */
	assert_contains(out, "PASS  basic/echo-one-line  4 ms\nSKIP  ");
	free(out);
	report_free(r);
}

static void test_report_text_single_run_has_no_total_row(void **state)
{
	struct report *r = one_case(VERDICT_PASS, "a/b", "", "", "");

	(void)state;
	assert_rendered(r, REPORT_TEXT, 0, 0,
	                "sockspec 0.1.0: seed 0 (repeat with --seed 0)\n"
	                "== p (line framing): t\n"
	                "PASS  a/b  1 ms\n"
	                "\n"
	                "profile  pass  fail  skip  error  total\n"
	                "p           1     0     0      0      1\n"
	                "duration 0.000 s\n"
	                "1 passed, 0 failed, 0 skipped, 0 errors\n");
	report_free(r);
}

static void test_report_text_empty_report_is_summary_line(void **state)
{
	struct report *r = report_new("v");

	(void)state;
	assert_rendered(r, REPORT_TEXT, 1, 1,
	                "sockspec v: seed 0 (repeat with --seed 0)\n"
	                "duration 0.000 s\n"
	                "0 passed, 0 failed, 0 skipped, 0 errors\n");
	report_free(r);
}

static void test_report_text_color_off_has_no_escape_byte(void **state)
{
	/* The target's own colour codes must not leak through either. */
	struct report *r = one_case(VERDICT_FAIL, "a/\x1b[2Jb", "\x1b[31mred\x1b[0m\r\n",
	                            "\x1b]0;title\x07", "\x1b[1mbold\n");
	char *out = render(r, REPORT_TEXT, 0, 1);
	char *block = report_render_case(&r->runs[0], &r->runs[0].cases[0], 0, 1);

	(void)state;
	assert_null(strchr(out, '\x1b'));
	assert_non_null(block);
	assert_string_equal(block, "FAIL  a/\\x1b[2Jb  1 ms\n"
	                           "    \\x1b[31mred\\x1b[0m\n"
	                           "    target output:\n"
	                           "        \\x1b[1mbold\n"
	                           "    timeline:\n"
	                           "        \\x1b]0;title\\x07\n");
	free(block);
	free(out);
	report_free(r);
}

static void test_report_text_color_on_wraps_verdict_word(void **state)
{
	struct report *r = small_fixture();
	char *out = render(r, REPORT_TEXT, 1, 0);

	(void)state;
	assert_non_null(strchr(out, '\x1b'));
	assert_contains(out, "\n\x1b[32mPASS\x1b[0m  basic/echo-one-line  3 ms\n");
	assert_contains(out, "\n\x1b[31mFAIL\x1b[0m  partial-recv/one-byte-writes  12 ms\n");
	assert_contains(out,
	                "\n\x1b[33mSKIP\x1b[0m  reuse/so-reuseport  0 ms - needs SO_REUSEPORT\n");
	assert_contains(out, "\n\x1b[35mERROR\x1b[0m limits/many-conns  5 ms\n");
	/* The line CI tooling reads stays plain. */
	assert_contains(out, "\n2 passed, 1 failed, 2 skipped, 1 errors\n");
	free(out);
	report_free(r);
}

static void test_report_render_case_blocks(void **state)
{
	struct report *r = small_fixture();
	const struct report_run *run = &r->runs[0];
	char *pass = report_render_case(run, &run->cases[0], 0, 0);
	char *fail = report_render_case(run, &run->cases[1], 0, 0);
	char *skip = report_render_case(run, &run->cases[2], 0, 0);

	(void)state;
	assert_string_equal(pass, "PASS  basic/echo-one-line  3 ms\n");
	assert_string_equal(fail, "FAIL  partial-recv/one-byte-writes  12 ms\n"
	                          "    expected \"hello\\n\", got \"he\"\n"
	                          "    connection closed early\n"
	                          "    target output:\n"
	                          "        warn: \\x01odd\\xff byte\n"
	                          "    timeline:\n"
	                          "        > h\n"
	                          "        > e\n"
	                          "        < he\n");
	assert_string_equal(skip, "SKIP  reuse/so-reuseport  0 ms - needs SO_REUSEPORT\n");
	free(pass);
	free(fail);
	free(skip);
	report_free(r);
}

static void test_report_text_multiline_skip_reason(void **state)
{
	struct report *r = one_case(VERDICT_SKIP, "a/b", "no IPv6\r\nsee host config\n", "", "");
	char *out = report_render_case(&r->runs[0], &r->runs[0].cases[0], 0, 0);

	(void)state;
	assert_string_equal(out, "SKIP  a/b  1 ms - no IPv6\n"
	                         "    see host config\n");
	free(out);
	report_free(r);
}

static void test_report_text_output_keeps_last_20_lines(void **state)
{
	char output[400] = "", line[16];
	struct report *r;
	char *out;
	int i;

	(void)state;
	for (i = 1; i <= 25; i++) {
		snprintf(line, sizeof(line), "line %d\n", i);
		strcat(output, line);
	}
	r = one_case(VERDICT_ERROR, "a/b", "boom", "", output);
	out = report_render_case(&r->runs[0], &r->runs[0].cases[0], 0, 0);
	assert_contains(out, "ERROR a/b  1 ms\n"
	                     "    boom\n"
	                     "    target output:\n"
	                     "        ... (5 earlier lines not shown)\n"
	                     "        line 6\n"
	                     "        line 7\n");
	assert_contains(out, "        line 25\n");
	assert_null(strstr(out, "line 5\n"));
	free(out);
	report_free(r);
}

static void test_report_text_escapes_single_line_id(void **state)
{
	struct report *r = one_case(VERDICT_PASS, NASTY, "", "", "");
	char *out = report_render_case(&r->runs[0], &r->runs[0].cases[0], 0, 0);

	(void)state;
	assert_string_equal(out, "PASS  q\"b\\s\\x0a\\x0d\t\\x01\\x7f\\xff"
	                         "e\xc3\xa9 \\xc2\\x9b\xef\xbf\xbe\\xed\\xa0\\x80\\xc0\\xaf"
	                         "\xf0\x9f\x98\x80<&>'#\\xe2\\x82  1 ms\n");
	free(out);
	report_free(r);
}

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#ifdef HAVE_ASAN
#define ALLOC_LIMIT (1u << 20) /* max_allocation_size_mb=1 below */

/* Read by the ASan runtime at start-up: an allocation over 1 MiB returns
 * NULL instead of aborting. That drives report's out-of-memory paths
 * deterministically, and LeakSanitizer checks at exit that they released
 * everything they had taken. ASan prints a WARNING for each refused
 * allocation; those are expected. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=1";
}

static char huge[ALLOC_LIMIT + 16]; /* a string too long to copy */
#endif

static void test_report_out_of_memory_is_reported(void **state)
{
#ifdef HAVE_ASAN
	struct report *r = report_new("v");
	struct report_run *run;
	char *message, *out = (char *)"untouched";
	size_t i, len = 0;

	(void)state;
	memset(huge, 'x', sizeof(huge) - 1);
	assert_null(report_new(huge));
	run = report_add_run(r, "p", "t", "line");
	assert_non_null(run);
	assert_null(report_add_run(r, "p", huge, "line"));
	assert_null(add_case(run, "a/b", "a", "d", VERDICT_FAIL, 1, "m", "f", 1, "t", huge));
	assert_int_equal(r->nruns, 1);
	assert_int_equal(run->ncases, 0);
	/* 300000 control bytes grow to 1.2 MB as text \xNN escapes and to
	 * 1.8 MB as JSON \u00NN escapes: both renderings run out. */
	message = malloc(300001);
	assert_non_null(message);
	memset(message, '\x01', 300000);
	message[300000] = '\0';
	assert_non_null(add_case(run, "a/b", "a", "d", VERDICT_FAIL, 1, message, "f", 1, "", ""));
	free(message);
	assert_int_equal(report_render(r, REPORT_JSON, 0, 0, &out, &len), -1);
	assert_null(out);
	assert_null(report_render_case(run, &run->cases[0], 0, 0));
	/* The case array itself outgrows the limit. */
	for (i = 1; add_case(run, "c/d", "c", "", VERDICT_PASS, 0, "", "", 0, "", ""); i++)
		assert_true(i < ALLOC_LIMIT);
	assert_int_equal(run->ncases, i);
	assert_string_equal(run->cases[i - 1].id, "c/d");
	report_free(r);
#else
	(void)state;
	skip(); /* needs ASan's allocation limit */
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_new_is_empty),
	    cmocka_unit_test(test_report_add_copies_strings_and_null_becomes_empty),
	    cmocka_unit_test(test_report_many_runs_and_cases_grow),
	    cmocka_unit_test(test_report_summarize_per_run_and_total),
	    cmocka_unit_test(test_report_exit_status_empty_is_failure),
	    cmocka_unit_test(test_report_exit_status_all_skip_is_failure),
	    cmocka_unit_test(test_report_exit_status_pass_only_is_success),
	    cmocka_unit_test(test_report_exit_status_with_fail_is_failure),
	    cmocka_unit_test(test_report_exit_status_with_error_is_failure),
	    cmocka_unit_test(test_report_format_parse_names),
	    cmocka_unit_test(test_report_verdict_names),
	    cmocka_unit_test(test_report_render_rejects_bad_arguments),
	    cmocka_unit_test(test_report_text_exact),
	    cmocka_unit_test(test_report_text_verbose_shows_every_timeline),
	    cmocka_unit_test(test_report_text_single_run_has_no_total_row),
	    cmocka_unit_test(test_report_text_empty_report_is_summary_line),
	    cmocka_unit_test(test_report_text_color_off_has_no_escape_byte),
	    cmocka_unit_test(test_report_text_color_on_wraps_verdict_word),
	    cmocka_unit_test(test_report_render_case_blocks),
	    cmocka_unit_test(test_report_text_multiline_skip_reason),
	    cmocka_unit_test(test_report_text_output_keeps_last_20_lines),
	    cmocka_unit_test(test_report_text_escapes_single_line_id),
	    cmocka_unit_test(test_report_out_of_memory_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
