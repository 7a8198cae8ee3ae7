/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of report (render.h), part two: the CI renderings (JSON,
 * JUnit XML, TAP 13) compared byte for byte against the small fixture of
 * report_fixture.c, and strings holding quotes, newlines, control bytes,
 * C1 controls, noncharacters and ill-formed UTF-8 fed to each format's
 * escaper with the exact escaped bytes pinned. When REPORT_DUMP_DIR is
 * set, one more test writes a hostile fixture in all four formats to that
 * directory (report.txt, report.json, report.xml, report.tap) for
 * check_report.py, which checks them with real JSON and XML parsers (the
 * report_formats ctest entry).
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

static void test_report_json_exact(void **state)
{
	struct report *r = small_fixture();

	(void)state;
	assert_rendered(
	    r, REPORT_JSON, 1, 1,
	    "{\"tool\":\"sockspec\",\"version\":\"0.1.0\",\"seed\":7,"
	    "\"started\":\"2026-12-03T13:05:00Z\",\"duration_ms\":1234,\"runs\":["
	    "{\"profile\":\"echo-threaded\",\"target\":\"./ref-echo -p 0\",\"framing\":\"line\","
	    "\"started\":\"2026-12-03T13:05:00Z\",\"duration_ms\":1000,\"cases\":["
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
	    "\"started\":\"2026-12-03T13:05:01Z\",\"duration_ms\":234,\"cases\":["
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
	                "{\"tool\":\"sockspec\",\"version\":\"0.1.0\",\"seed\":0,"
	                "\"started\":\"\",\"duration_ms\":0,\"runs\":[],"
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
    "time=\"1.234\" timestamp=\"2026-12-03T13:05:00Z\">\n"
    "  <testsuite name=\"echo-threaded\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" "
    "time=\"1.000\" timestamp=\"2026-12-03T13:05:00Z\" hostname=\"ci-host\">\n"
    "    <properties>\n"
    "      <property name=\"version\" value=\"0.1.0\"/>\n"
    "      <property name=\"seed\" value=\"7\"/>\n"
    "      <property name=\"target\" value=\"./ref-echo -p 0\"/>\n"
    "      <property name=\"framing\" value=\"line\"/>\n"
    "    </properties>\n"
    "    <testcase name=\"basic/echo-one-line\" classname=\"echo-threaded\" "
    "file=\"echo-threaded/basic/echo-one-line.case\" line=\"1\" time=\"0.003\"/>\n"
    "    <testcase name=\"partial-recv/one-byte-writes\" classname=\"echo-threaded\" "
    "file=\"echo-threaded/partial-recv/one-byte-writes.case\" line=\"7\" time=\"0.012\">\n"
    "      <failure message=\"expected &quot;hello\\n&quot;, got &quot;he&quot;\" "
    "type=\"fail\">expected &quot;hello\\n&quot;, got &quot;he&quot;\n"
    "connection closed early\n"
    "echo-threaded/partial-recv/one-byte-writes.case:7</failure>\n"
    "      <system-out>timeline:\n"
    "&gt; h\n"
    "&gt; e\n"
    "&lt; he\n"
    "target output:\n"
    "warn: \\x01odd\\xff byte\n"
    "</system-out>\n"
    "    </testcase>\n"
    "    <testcase name=\"reuse/so-reuseport\" classname=\"echo-threaded\" "
    "file=\"echo-threaded/reuse/so-reuseport.case\" line=\"1\" time=\"0.000\">\n"
    "      <skipped message=\"needs SO_REUSEPORT\"/>\n"
    "    </testcase>\n"
    "    <testcase name=\"limits/many-conns\" classname=\"echo-threaded\" "
    "file=\"echo-threaded/limits/many-conns.case\" line=\"3\" time=\"0.005\">\n"
    "      <error message=\"runner: fd limit &lt;1024&gt; &amp; &apos;ulimit -n&apos;\" "
    "type=\"error\">runner: fd limit &lt;1024&gt; &amp; &apos;ulimit -n&apos;\n"
    "echo-threaded/limits/many-conns.case:3</error>\n"
    "      <system-out>timeline:\n"
    "&gt; connect x1000\n"
    "</system-out>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"echo-forked (chunk)\" tests=\"2\" failures=\"0\" errors=\"0\" "
    "skipped=\"1\" time=\"0.234\" timestamp=\"2026-12-03T13:05:01Z\" hostname=\"ci-host\">\n"
    "    <properties>\n"
    "      <property name=\"version\" value=\"0.1.0\"/>\n"
    "      <property name=\"seed\" value=\"7\"/>\n"
    "      <property name=\"target\" value=\"connect 127.0.0.1:7\"/>\n"
    "      <property name=\"framing\" value=\"chunk\"/>\n"
    "    </properties>\n"
    "    <testcase name=\"basic/echo-one-line\" classname=\"echo-forked\" "
    "file=\"echo-forked/basic/echo-one-line.case\" line=\"1\" time=\"0.004\"/>\n"
    "    <testcase name=\"framing/crlf\" classname=\"echo-forked\" "
    "file=\"echo-forked/framing/crlf.case\" line=\"1\" time=\"0.000\">\n"
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
	assert_contains(
	    out, " name=\"q&quot;b\\s&#10;&#13;&#9;\\x01\\x7f\\xff"
	         "e\xc3\xa9 \xc2\x9b\\xef\\xbf\\xbe\\xed\\xa0\\x80\\xc0\\xaf"
	         "\xf0\x9f\x98\x80&lt;&amp;&gt;&apos;#\\xe2\\x82\" classname=\"p\" file=\"f.case\" "
	         "line=\"2\" time=\"0.001\">");
	/* The message attribute holds the first line only. */
	assert_contains(out, "<error message=\"q&quot;b\\s\" type=\"error\">");
	/* Element text: LF and TAB raw, CR as a reference. */
	assert_contains(out, "type=\"error\">q&quot;b\\s\n&#13;\t\\x01\\x7f\\xff"
	                     "e\xc3\xa9 \xc2\x9b\\xef\\xbf\\xbe\\xed\\xa0\\x80\\xc0\\xaf"
	                     "\xf0\x9f\x98\x80&lt;&amp;&gt;&apos;#\\xe2\\x82\nf.case:2</error>\n");
	/* Empty timeline and output: no empty elements. */
	assert_null(strstr(out, "<system-out>"));
	free(out);
	report_free(r);
}

static const char small_tap[] =
    "TAP version 13\n"
    "1..6\n"
    "# tool: sockspec\n"
    "# version: 0.1.0\n"
    "# seed: 7\n"
    "# started: 2026-12-03T13:05:00Z\n"
    "# profile: echo-threaded\n"
    "# target: ./ref-echo -p 0\n"
    "# framing: line\n"
    "# run_started: 2026-12-03T13:05:00Z\n"
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
    "# run_duration_ms: 1000\n"
    "# profile: echo-forked\n"
    "# target: connect 127.0.0.1:7\n"
    "# framing: chunk\n"
    "# run_started: 2026-12-03T13:05:01Z\n"
    "ok 5 - echo-forked basic/echo-one-line\n"
    "ok 6 - echo-forked framing/crlf # SKIP chunk framing has no lines\n"
    "# run_duration_ms: 234\n"
    "# duration_ms: 1234\n";

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
	assert_rendered(r, REPORT_TAP, 0, 0,
	                "TAP version 13\n1..0\n# tool: sockspec\n# version: v\n# seed: 0\n"
	                "# started: \n# duration_ms: 0\n");
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
	char *out = render(r, REPORT_TAP, 0, 0);

	(void)state;
	assert_contains(out, "\nok 1 - p a/\\#b # SKIP no #6 C:\\x\\x01\n# run_duration_ms: 0\n");
	free(out);
	report_free(r);
}

/* The failed case's expected and received bytes: NASTY against NASTY
 * with its 8th byte changed (run 0), or a pattern beside it (run 1). */
static void hostile_bytes(struct report_case *c, size_t run)
{
	static const char nasty[] = NASTY;
	struct report_bytes *b = &c->bytes;

	*b = (struct report_bytes){.shown = 1,
	                           .pattern = run == 1,
	                           .diff = 7,
	                           .expected_len = sizeof(nasty) - 1,
	                           .expected_total = sizeof(nasty) - 1,
	                           .received_len = sizeof(nasty) - 1,
	                           .received_total = sizeof(nasty) + 99};
	b->expected = malloc(b->expected_len);
	b->received = malloc(b->received_len);
	assert_non_null(b->expected);
	assert_non_null(b->received);
	memcpy(b->expected, nasty, b->expected_len);
	memcpy(b->received, nasty, b->received_len);
	b->received[7] = '\x1b';
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
	assert_int_equal(
	    report_set_start(r, 18446744073709551615ULL, "2026-12-03T13:05:00Z", "host " NASTY), 0);
	report_set_duration(r, 2003);
	for (i = 0; i < 2; i++) {
		struct report_run *run =
		    report_add_run(r, profiles[i], "./t --x='" NASTY "'", i ? "chunk" : "line");

		assert_non_null(run);
		assert_int_equal(report_run_set_start(run, "2026-12-03T13:05:01Z"), 0);
		report_run_set_duration(run, 1000 * i + 6);
		for (v = 0; v < 4; v++) {
			snprintf(id, sizeof(id), "fam%zu/case#%zu \x01\xff", v, i);
			assert_non_null(add_case(run, id, "fam", NASTY, (enum verdict)v,
			                         1000 * i + v, v ? NASTY : "", "x.case",
			                         (unsigned)v, NASTY, NASTY "\n" NASTY));
			if (v == VERDICT_FAIL)
				hostile_bytes(&run->cases[run->ncases - 1], i);
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
	    cmocka_unit_test(test_report_dump_files_for_checker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
