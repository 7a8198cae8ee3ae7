/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of report (report.h): the verdict store, the exit status
 * rules, and every rendering compared byte for byte against a small
 * fixture of two runs (one case of each verdict). Separate tests feed
 * strings holding quotes, newlines, control bytes, C1 controls,
 * noncharacters and ill-formed UTF-8 to each format's escaper and pin the
 * exact escaped bytes. When REPORT_DUMP_DIR is set, one more test writes
 * a hostile fixture in all four formats to that directory (report.txt,
 * report.json, report.xml, report.tap) for check_report.py, which checks
 * them with real JSON and XML parsers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Every kind of byte sequence an escaper must handle, in one string:
 * quote, backslash, LF, CR, TAB, C0 control 0x01, DEL, a stray 0xff,
 * "é" (well-formed), U+009B CSI (C1 control), U+FFFE (noncharacter),
 * an encoded surrogate (ill-formed), an overlong '/' (ill-formed),
 * U+1F600 (4 bytes, well-formed), XML specials, '#', and a truncated
 * 3-byte sequence at the very end. */
#define NASTY                                                                                      \
	"q\"b\\s\n\r\t\x01\x7f\xff"                                                                \
	"e\xc3\xa9 \xc2\x9b\xef\xbf\xbe\xed\xa0\x80\xc0\xaf\xf0\x9f\x98\x80<&>'#\xe2\x82"

/* Two runs, one case of each verdict in the first. */
static struct report *small_fixture(void)
{
	struct report *r = report_new("0.1.0");
	struct report_run *run;

	assert_non_null(r);
	run = report_add_run(r, "echo-threaded", "./ref-echo -p 0", "line");
	assert_non_null(run);
	assert_non_null(report_add_case(
	    run, "basic/echo-one-line", "basic", "one line comes back", VERDICT_PASS, 3, "",
	    "echo-threaded/basic/echo-one-line.case", 0, "> hello\n< hello\n", ""));
	assert_non_null(report_add_case(
	    run, "partial-recv/one-byte-writes", "partial-recv", "a line sent byte by byte",
	    VERDICT_FAIL, 12, "expected \"hello\\n\", got \"he\"\nconnection closed early",
	    "echo-threaded/partial-recv/one-byte-writes.case", 7, "> h\n> e\n< he\n",
	    "warn: \x01odd\xff byte\n"));
	assert_non_null(report_add_case(
	    run, "reuse/so-reuseport", "reuse", "two listeners share a port", VERDICT_SKIP, 0,
	    "needs SO_REUSEPORT", "echo-threaded/reuse/so-reuseport.case", 0, "", ""));
	assert_non_null(report_add_case(run, "limits/many-conns", "limits", "1000 idle connections",
					VERDICT_ERROR, 5, "runner: fd limit <1024> & 'ulimit -n'",
					"echo-threaded/limits/many-conns.case", 3,
					"> connect x1000\n", ""));
	run = report_add_run(r, "echo-forked", "connect 127.0.0.1:7", "chunk");
	assert_non_null(run);
	assert_non_null(report_add_case(run, "basic/echo-one-line", "basic", "one line comes back",
					VERDICT_PASS, 4, "", "echo-forked/basic/echo-one-line.case",
					0, "", ""));
	assert_non_null(report_add_case(run, "framing/crlf", "framing", "CR LF ends a line",
					VERDICT_SKIP, 0, "chunk framing has no lines",
					"echo-forked/framing/crlf.case", 0, "", ""));
	return r;
}

/* One run holding one case of verdict v. */
static struct report *one_case(enum verdict v, const char *id, const char *message,
			       const char *timeline, const char *output)
{
	struct report *r = report_new("0.1.0");
	struct report_run *run;

	assert_non_null(r);
	run = report_add_run(r, "p", "t", "line");
	assert_non_null(run);
	assert_non_null(
	    report_add_case(run, id, "fam", "d", v, 1, message, "f.case", 2, timeline, output));
	return r;
}

/* Renders r, checking the returned length against the string. */
static char *render(const struct report *r, enum report_format fmt, int color, int verbose)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(report_render(r, fmt, color, verbose, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(len, strlen(out));
	return out;
}

/* Asserts that needle occurs in haystack, printing both when not. */
static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find\n%s\nin\n%s", needle, haystack);
}

static void assert_rendered(const struct report *r, enum report_format fmt, int color, int verbose,
			    const char *want)
{
	char *got = render(r, fmt, color, verbose);

	assert_string_equal(got, want);
	free(got);
}

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
	c = report_add_case(run, id, NULL, NULL, VERDICT_FAIL, 9, NULL, NULL, 4, NULL, NULL);
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
	assert_null(report_add_case(NULL, "a", "b", "c", VERDICT_PASS, 0, "", "", 0, "", ""));
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
			assert_non_null(report_add_case(run, id, "f", "", (enum verdict)(j % 4), j,
							"", "", 0, "", ""));
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
	assert_non_null(
	    report_add_case(&r->runs[0], "a/c", "a", "", VERDICT_SKIP, 0, "", "", 0, "", ""));
	assert_int_equal(report_exit_status(r), 1);
	report_free(r);
}

static void test_report_exit_status_pass_only_is_success(void **state)
{
	struct report *r = one_case(VERDICT_PASS, "a/b", "", "", "");

	(void)state;
	assert_int_equal(report_exit_status(r), 0);
	/* Skips beside a pass do not fail the run. */
	assert_non_null(
	    report_add_case(&r->runs[0], "a/c", "a", "", VERDICT_SKIP, 0, "", "", 0, "", ""));
	assert_int_equal(report_exit_status(r), 0);
	report_free(r);
}

static void test_report_exit_status_with_fail_is_failure(void **state)
{
	struct report *r = one_case(VERDICT_PASS, "a/b", "", "", "");

	(void)state;
	assert_non_null(
	    report_add_case(&r->runs[0], "a/c", "a", "", VERDICT_FAIL, 0, "x", "", 0, "", ""));
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
	    report_add_case(&r->runs[1], "a/c", "a", "", VERDICT_ERROR, 0, "x", "", 0, "", ""));
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

static const char small_text[] = "== echo-threaded (line framing): ./ref-echo -p 0\n"
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
				 "profile        pass  fail  skip  error  total\n"
				 "echo-threaded     1     1     1      1      4\n"
				 "echo-forked       1     0     1      0      2\n"
				 "total             2     1     2      1      6\n"
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
			"== p (line framing): t\n"
			"PASS  a/b  1 ms\n"
			"\n"
			"profile  pass  fail  skip  error  total\n"
			"p           1     0     0      0      1\n"
			"1 passed, 0 failed, 0 skipped, 0 errors\n");
	report_free(r);
}

static void test_report_text_empty_report_is_summary_line(void **state)
{
	struct report *r = report_new("v");

	(void)state;
	assert_rendered(r, REPORT_TEXT, 1, 1, "0 passed, 0 failed, 0 skipped, 0 errors\n");
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

static void test_report_json_exact(void **state)
{
	struct report *r = small_fixture();

	(void)state;
	assert_rendered(
	    r, REPORT_JSON, 1, 1,
	    "{\"tool\":\"sockspec\",\"version\":\"0.1.0\",\"runs\":["
	    "{\"profile\":\"echo-threaded\",\"target\":\"./ref-echo -p 0\",\"framing\":\"line\","
	    "\"cases\":["
	    "{\"id\":\"basic/echo-one-line\",\"family\":\"basic\","
	    "\"description\":\"one line comes back\",\"verdict\":\"pass\",\"duration_ms\":3,"
	    "\"message\":\"\",\"line\":0,\"file\":\"echo-threaded/basic/echo-one-line.case\"},"
	    "{\"id\":\"partial-recv/one-byte-writes\",\"family\":\"partial-recv\","
	    "\"description\":\"a line sent byte by byte\",\"verdict\":\"fail\",\"duration_ms\":12,"
	    "\"message\":\"expected \\\"hello\\\\n\\\", got \\\"he\\\"\\nconnection closed early\","
	    "\"line\":7,\"file\":\"echo-threaded/partial-recv/one-byte-writes.case\","
	    "\"timeline\":\"> h\\n> e\\n< he\\n\",\"output\":\"warn: \\u0001odd\\u00ff byte\\n\"},"
	    "{\"id\":\"reuse/so-reuseport\",\"family\":\"reuse\","
	    "\"description\":\"two listeners share a port\",\"verdict\":\"skip\",\"duration_ms\":0,"
	    "\"message\":\"needs SO_REUSEPORT\",\"line\":0,"
	    "\"file\":\"echo-threaded/reuse/so-reuseport.case\"},"
	    "{\"id\":\"limits/many-conns\",\"family\":\"limits\","
	    "\"description\":\"1000 idle connections\",\"verdict\":\"error\",\"duration_ms\":5,"
	    "\"message\":\"runner: fd limit <1024> & 'ulimit -n'\",\"line\":3,"
	    "\"file\":\"echo-threaded/limits/many-conns.case\","
	    "\"timeline\":\"> connect x1000\\n\",\"output\":\"\"}],"
	    "\"summary\":{\"pass\":1,\"fail\":1,\"skip\":1,\"error\":1}},"
	    "{\"profile\":\"echo-forked\",\"target\":\"connect 127.0.0.1:7\",\"framing\":\"chunk\","
	    "\"cases\":["
	    "{\"id\":\"basic/echo-one-line\",\"family\":\"basic\","
	    "\"description\":\"one line comes back\",\"verdict\":\"pass\",\"duration_ms\":4,"
	    "\"message\":\"\",\"line\":0,\"file\":\"echo-forked/basic/echo-one-line.case\"},"
	    "{\"id\":\"framing/crlf\",\"family\":\"framing\","
	    "\"description\":\"CR LF ends a line\",\"verdict\":\"skip\",\"duration_ms\":0,"
	    "\"message\":\"chunk framing has no lines\",\"line\":0,"
	    "\"file\":\"echo-forked/framing/crlf.case\"}],"
	    "\"summary\":{\"pass\":1,\"fail\":0,\"skip\":1,\"error\":0}}],"
	    "\"summary\":{\"pass\":2,\"fail\":1,\"skip\":2,\"error\":1}}\n");
	report_free(r);
}

static void test_report_json_empty_report(void **state)
{
	struct report *r = report_new("0.1.0");

	(void)state;
	assert_rendered(r, REPORT_JSON, 0, 0,
			"{\"tool\":\"sockspec\",\"version\":\"0.1.0\",\"runs\":[],"
			"\"summary\":{\"pass\":0,\"fail\":0,\"skip\":0,\"error\":0}}\n");
	report_free(r);
}

static void test_report_json_escapes_every_byte_kind(void **state)
{
	struct report *r = one_case(VERDICT_FAIL, "a/b", NASTY, "", "");
	char *out = render(r, REPORT_JSON, 0, 0);

	(void)state;
	/* Multi-byte UTF-8 passes raw (JSON allows C1 and noncharacters);
	 * bytes of no well-formed sequence become \u00NN. */
	assert_contains(out, "\"message\":\"q\\\"b\\\\s\\n\\r\\t\\u0001\\u007f\\u00ff"
			     "e\xc3\xa9 \xc2\x9b\xef\xbf\xbe\\u00ed\\u00a0\\u0080\\u00c0\\u00af"
			     "\xf0\x9f\x98\x80<&>'#\\u00e2\\u0082\",\"line\":2,");
	free(out);
	report_free(r);
}

static void test_report_json_utf8_boundaries(void **state)
{
	/* Each piece is one boundary of RFC 3629: overlong 3-byte, U+0800,
	 * overlong 4-byte, past U+10FFFF, U+10FFFF, U+D7FF, overlong 2-byte,
	 * U+0080, a byte that never leads, a stray continuation, and a lead
	 * byte whose second byte is ASCII. */
	struct report *r =
	    one_case(VERDICT_FAIL, "a/b",
		     "\xe0\x80\xaf|\xe0\xa0\x80|\xf0\x8f\xbf\xbf|\xf4\x90\x80\x80|"
		     "\xf4\x8f\xbf\xbf|\xed\x9f\xbf|\xc1\xbf|\xc2\x80|\xf5|\x80|\xe2("
		     "\xa1",
		     "", "");
	char *out = render(r, REPORT_JSON, 0, 0);

	(void)state;
	assert_contains(out, "\"message\":\"\\u00e0\\u0080\\u00af|\xe0\xa0\x80|"
			     "\\u00f0\\u008f\\u00bf\\u00bf|\\u00f4\\u0090\\u0080\\u0080|"
			     "\xf4\x8f\xbf\xbf|\xed\x9f\xbf|\\u00c1\\u00bf|\xc2\x80|\\u00f5|"
			     "\\u0080|\\u00e2(\\u00a1\",");
	free(out);
	report_free(r);
}

static const char small_junit[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"sockspec\" tests=\"6\" failures=\"1\" errors=\"1\" skipped=\"2\" "
    "time=\"0.024\">\n"
    "  <testsuite name=\"echo-threaded\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" "
    "time=\"0.020\">\n"
    "    <testcase classname=\"echo-threaded.basic\" name=\"basic/echo-one-line\" "
    "time=\"0.003\"/>\n"
    "    <testcase classname=\"echo-threaded.partial-recv\" name=\"partial-recv/one-byte-writes\" "
    "time=\"0.012\">\n"
    "      <failure message=\"expected &quot;hello\\n&quot;, got &quot;he&quot;\" "
    "type=\"fail\">expected &quot;hello\\n&quot;, got &quot;he&quot;\n"
    "connection closed early\n"
    "echo-threaded/partial-recv/one-byte-writes.case:7</failure>\n"
    "      <system-out>&gt; h\n"
    "&gt; e\n"
    "&lt; he\n"
    "</system-out>\n"
    "      <system-err>warn: \\x01odd\\xff byte\n"
    "</system-err>\n"
    "    </testcase>\n"
    "    <testcase classname=\"echo-threaded.reuse\" name=\"reuse/so-reuseport\" "
    "time=\"0.000\">\n"
    "      <skipped message=\"needs SO_REUSEPORT\"/>\n"
    "    </testcase>\n"
    "    <testcase classname=\"echo-threaded.limits\" name=\"limits/many-conns\" "
    "time=\"0.005\">\n"
    "      <error message=\"runner: fd limit &lt;1024&gt; &amp; &apos;ulimit -n&apos;\" "
    "type=\"error\">runner: fd limit &lt;1024&gt; &amp; &apos;ulimit -n&apos;\n"
    "echo-threaded/limits/many-conns.case:3</error>\n"
    "      <system-out>&gt; connect x1000\n"
    "</system-out>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"echo-forked\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"1\" "
    "time=\"0.004\">\n"
    "    <testcase classname=\"echo-forked.basic\" name=\"basic/echo-one-line\" "
    "time=\"0.004\"/>\n"
    "    <testcase classname=\"echo-forked.framing\" name=\"framing/crlf\" time=\"0.000\">\n"
    "      <skipped message=\"chunk framing has no lines\"/>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "</testsuites>\n";

static void test_report_junit_exact(void **state)
{
	struct report *r = small_fixture();

	(void)state;
	assert_rendered(r, REPORT_JUNIT, 1, 1, small_junit);
	report_free(r);
}

static void test_report_junit_escapes_every_byte_kind(void **state)
{
	struct report *r = one_case(VERDICT_ERROR, NASTY, NASTY, "", "");
	char *out = render(r, REPORT_JUNIT, 0, 0);

	(void)state;
	/* Attribute: LF, CR and TAB as references; C0, DEL, U+FFFE and
	 * ill-formed bytes as visible \xNN; C1 is legal XML 1.0. */
	assert_contains(out, " name=\"q&quot;b\\s&#10;&#13;&#9;\\x01\\x7f\\xff"
			     "e\xc3\xa9 \xc2\x9b\\xef\\xbf\\xbe\\xed\\xa0\\x80\\xc0\\xaf"
			     "\xf0\x9f\x98\x80&lt;&amp;&gt;&apos;#\\xe2\\x82\" time=\"0.001\">");
	/* The message attribute holds the first line only. */
	assert_contains(out, "<error message=\"q&quot;b\\s\" type=\"error\">");
	/* Element text: LF and TAB raw, CR as a reference. */
	assert_contains(out, "type=\"error\">q&quot;b\\s\n&#13;\t\\x01\\x7f\\xff"
			     "e\xc3\xa9 \xc2\x9b\\xef\\xbf\\xbe\\xed\\xa0\\x80\\xc0\\xaf"
			     "\xf0\x9f\x98\x80&lt;&amp;&gt;&apos;#\\xe2\\x82\nf.case:2</error>\n");
	/* Empty timeline and output: no empty elements. */
	assert_null(strstr(out, "<system-out>"));
	assert_null(strstr(out, "<system-err>"));
	free(out);
	report_free(r);
}

static const char small_tap[] =
    "TAP version 13\n"
    "1..6\n"
    "ok 1 - echo-threaded basic/echo-one-line\n"
    "not ok 2 - echo-threaded partial-recv/one-byte-writes\n"
    "  ---\n"
    "  message: \"expected \\\"hello\\\\n\\\", got \\\"he\\\"\\nconnection "
    "closed early\"\n"
    "  severity: fail\n"
    "  file: \"echo-threaded/partial-recv/one-byte-writes.case\"\n"
    "  line: 7\n"
    "  duration_ms: 12\n"
    "  ...\n"
    "ok 3 - echo-threaded reuse/so-reuseport # SKIP needs SO_REUSEPORT\n"
    "not ok 4 - echo-threaded limits/many-conns\n"
    "  ---\n"
    "  message: \"runner: fd limit <1024> & 'ulimit -n'\"\n"
    "  severity: error\n"
    "  file: \"echo-threaded/limits/many-conns.case\"\n"
    "  line: 3\n"
    "  duration_ms: 5\n"
    "  ...\n"
    "ok 5 - echo-forked basic/echo-one-line\n"
    "ok 6 - echo-forked framing/crlf # SKIP chunk framing has no lines\n";

static void test_report_tap_exact(void **state)
{
	struct report *r = small_fixture();

	(void)state;
	assert_rendered(r, REPORT_TAP, 1, 1, small_tap);
	report_free(r);
}

static void test_report_tap_empty_plan(void **state)
{
	struct report *r = report_new("v");

	(void)state;
	assert_rendered(r, REPORT_TAP, 0, 0, "TAP version 13\n1..0\n");
	report_free(r);
}

static void test_report_tap_escapes_every_byte_kind(void **state)
{
	struct report *r = one_case(VERDICT_FAIL, NASTY, NASTY, "", "");
	char *out = render(r, REPORT_TAP, 0, 0);

	(void)state;
	/* Test line: one line, '#' and '\' escaped so no directive starts. */
	assert_contains(out, "not ok 1 - p q\"b\\\\s\\x0a\\x0d\\x09\\x01\\x7f\\xff"
			     "e\xc3\xa9 \\xc2\\x9b\xef\xbf\xbe\\xed\\xa0\\x80\\xc0\\xaf"
			     "\xf0\x9f\x98\x80<&>'\\#\\xe2\\x82\n");
	/* YAML: \xNN and \uNNNN are escapes of the double-quoted style. */
	assert_contains(out, "  message: \"q\\\"b\\\\s\\n\\r\\t\\x01\\x7f\\xff"
			     "e\xc3\xa9 \\u009b\\ufffe\\xed\\xa0\\x80\\xc0\\xaf"
			     "\xf0\x9f\x98\x80<&>'#\\xe2\\x82\"\n"
			     "  severity: fail\n"
			     "  file: \"f.case\"\n"
			     "  line: 2\n"
			     "  duration_ms: 1\n"
			     "  ...\n");
	free(out);
	report_free(r);
}

static void test_report_tap_skip_reason_is_first_line(void **state)
{
	/* The reason runs to the end of the line: '#' and '\' stay as they
	 * are there, unlike in the description. */
	struct report *r = one_case(VERDICT_SKIP, "a/#b", "no #6 C:\\x\x01\nmore", "", "");

	(void)state;
	assert_rendered(r, REPORT_TAP, 0, 0,
			"TAP version 13\n1..1\nok 1 - p a/\\#b # SKIP no #6 C:\\x\\x01\n");
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
	assert_null(report_add_case(run, "a/b", "a", "d", VERDICT_FAIL, 1, "m", "f", 1, "t", huge));
	assert_int_equal(r->nruns, 1);
	assert_int_equal(run->ncases, 0);
	/* 300000 control bytes grow to 1.2 MB as text \xNN escapes and to
	 * 1.8 MB as JSON \u00NN escapes: both renderings run out. */
	message = malloc(300001);
	assert_non_null(message);
	memset(message, '\x01', 300000);
	message[300000] = '\0';
	assert_non_null(
	    report_add_case(run, "a/b", "a", "d", VERDICT_FAIL, 1, message, "f", 1, "", ""));
	free(message);
	assert_int_equal(report_render(r, REPORT_JSON, 0, 0, &out, &len), -1);
	assert_null(out);
	assert_null(report_render_case(run, &run->cases[0], 0, 0));
	/* The case array itself outgrows the limit. */
	for (i = 1; report_add_case(run, "c/d", "c", "", VERDICT_PASS, 0, "", "", 0, "", ""); i++)
		assert_true(i < ALLOC_LIMIT);
	assert_int_equal(run->ncases, i);
	assert_string_equal(run->cases[i - 1].id, "c/d");
	report_free(r);
#else
	(void)state;
	skip(); /* needs ASan's allocation limit */
#endif
}

/* A fixture with every verdict in both runs and hostile bytes in every
 * field, for check_report.py. */
static struct report *hostile_fixture(void)
{
	static const char *const profiles[] = {"echo-threaded", "echo \"forked\" <&>"};
	struct report *r = report_new("0.1.0-\xff");
	char id[64];
	size_t i, v;

	assert_non_null(r);
	for (i = 0; i < 2; i++) {
		struct report_run *run =
		    report_add_run(r, profiles[i], "./t --x='" NASTY "'", "line");

		assert_non_null(run);
		for (v = 0; v < 4; v++) {
			snprintf(id, sizeof(id), "fam%zu/case#%zu \x01\xff", v, i);
			assert_non_null(report_add_case(run, id, "fam", NASTY, (enum verdict)v,
							1000 * i + v, v ? NASTY : "", "x.case",
							(unsigned)v, NASTY, NASTY "\n" NASTY));
		}
	}
	return r;
}

static void dump(const char *dir, const char *name, const struct report *r, enum report_format fmt)
{
	char path[4096];
	char *out = render(r, fmt, 0, 0);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		fail_msg("fopen(%s) failed", path);
	assert_int_equal(fwrite(out, 1, strlen(out), f), strlen(out));
	assert_int_equal(fclose(f), 0);
	free(out);
}

static void test_report_dump_files_for_checker(void **state)
{
	const char *dir = getenv("REPORT_DUMP_DIR");
	struct report *r;

	(void)state;
	if (!dir || !*dir)
		return;
	r = hostile_fixture();
	dump(dir, "report.txt", r, REPORT_TEXT);
	dump(dir, "report.json", r, REPORT_JSON);
	dump(dir, "report.xml", r, REPORT_JUNIT);
	dump(dir, "report.tap", r, REPORT_TAP);
	report_free(r);
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
	    cmocka_unit_test(test_report_json_exact),
	    cmocka_unit_test(test_report_json_empty_report),
	    cmocka_unit_test(test_report_json_escapes_every_byte_kind),
	    cmocka_unit_test(test_report_json_utf8_boundaries),
	    cmocka_unit_test(test_report_junit_exact),
	    cmocka_unit_test(test_report_junit_escapes_every_byte_kind),
	    cmocka_unit_test(test_report_tap_exact),
	    cmocka_unit_test(test_report_tap_empty_plan),
	    cmocka_unit_test(test_report_tap_escapes_every_byte_kind),
	    cmocka_unit_test(test_report_tap_skip_reason_is_first_line),
	    cmocka_unit_test(test_report_out_of_memory_is_reported),
	    cmocka_unit_test(test_report_dump_files_for_checker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
