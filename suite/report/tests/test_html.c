/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the HTML rendering (render_html.c, render_seq.c): the
 * page fetches nothing, every byte from a case or a server is escaped,
 * the run's metadata shows when it is set, the filters carry each case's
 * verdict and family, and a failed case's sequence diagram has its
 * lanes, its arrows, the quoted reply marked and the red verdict rule.
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
#include "strbuf.h"

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void assert_lacks(const char *haystack, const char *needle)
{
	const char *p = strstr(haystack, needle);

	if (p)
		fail_msg("did not expect \"%s\" at offset %zu of\n%s", needle,
		         (size_t)(p - haystack), haystack);
}

/* The failing hello case of the issue. */
static const char crlf_message[] = "hello/framing/crlf.case:15: connection c1: expected \"Hello, "
                                   "alice!\\n\" within 2s, got \"Hello, alice\\r!\\n\" (differs "
                                   "at byte 12)";

static void test_html_fetches_nothing_and_escapes_everything(void **state)
{
	struct report *r =
	    one_case(VERDICT_FAIL, NASTY, NASTY, "+1.0ms c1 " NASTY "\n" NASTY, NASTY "\n" NASTY);
	static const char *const never[] = {
	    "src=", "http://",  "https://",     "@import",  "url(",     "\x01", "\x7f", "\xff",
	    "\r",   "\xc2\x9b", "\xef\xbf\xbe", "\xc0\xaf", "\xed\xa0", "<&>",  "'#"};
	char *out;

	(void)state;
	assert_non_null(report_add_run(r, NASTY, NASTY, NASTY));
	out = render(r, REPORT_HTML, 0, 0);
	for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++)
		assert_lacks(out, never[k]);
	assert_contains(out,
	                "q&quot;b\\s\\n\\r\\t\\x01\\x7f\\xffe\xc3\xa9 \\xc2\\x9b\\xef\\xbf\\xbe"
	                "\\xed\\xa0\\x80\\xc0\\xaf\xf0\x9f\x98\x80&lt;&amp;&gt;&apos;#\\xe2\\x82");
	/* in a <pre>, LF and TAB stay, CR is shown */
	assert_contains(out, "<pre class=\"output\">q&quot;b\\s\n\\r\t\\x01");
	assert_int_equal(count(out, "<svg"), 1);
	assert_int_equal(count(out, "<script>"), 1);
	free(out);
	report_free(r);
}

static void test_html_metadata_when_set(void **state)
{
	struct report *r = report_new("0.1.0");
	struct report_run *run;
	char *out;

	(void)state;
	assert_non_null(r);
	run = report_add_run(r, "echo-threaded", "./ref-echo -p 0", "line");
	assert_non_null(run);
	out = render(r, REPORT_HTML, 0, 0);
	assert_contains(out, "<dt>version</dt><dd>sockspec 0.1.0</dd>\n</dl>");
	assert_lacks(out, "<dt>seed");
	assert_lacks(out, "<dt>started");
	assert_lacks(out, "<dt>duration");
	assert_contains(out, "<tr><th>profile</th><th>framing</th><th>target</th><th>pass</th>");
	free(out);
	assert_int_equal(report_set_start(r, 4242, "2026-12-03T13:05:00Z", "ci-host"), 0);
	report_set_duration(r, 1500);
	assert_int_equal(report_run_set_start(&r->runs[0], "2026-12-03T13:05:01Z"), 0);
	report_run_set_duration(&r->runs[0], 999);
	out = render(r, REPORT_HTML, 0, 0);
	assert_contains(out, "<dt>version</dt><dd>sockspec 0.1.0</dd>\n<dt>seed</dt><dd>4242</dd>\n"
	                     "<dt>started</dt><dd>2026-12-03T13:05:00Z</dd>\n"
	                     "<dt>duration</dt><dd>1.500 s</dd>\n</dl>");
	assert_contains(out, "<th>target</th><th>started</th><th>duration</th><th>pass</th>");
	assert_contains(out, "<td>line</td><td><code>./ref-echo -p 0</code></td>"
	                     "<td>2026-12-03T13:05:01Z</td><td class=\"n\">999 ms</td>"
	                     "<td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">0</td>"
	                     "<td class=\"n\">0</td><td class=\"n\">0</td></tr>");
	free(out);
	report_free(r);
}

static void test_html_summary_and_filters(void **state)
{
	struct report *r = small_fixture();
	char *out;

	(void)state;
	/* a suite's own family comes after the bundled ones, in their order */
	assert_non_null(add_case(&r->runs[1], "ping/pong", "ping", "", VERDICT_PASS, 1, "",
	                         "p.case", 0, "", ""));
	out = render(r, REPORT_HTML, 0, 0);
	assert_contains(out, "<tr><th>profile</th><th>basic</th><th>partial-recv</th>"
	                     "<th>framing</th><th>reuse</th><th>limits</th><th>ping</th></tr>");
	/* passed/judged: skips are not judged */
	assert_contains(out, "<tr><td>echo-threaded</td><td class=\"n ok\">1/1</td>"
	                     "<td class=\"n bad\">0/1</td><td class=\"n\">-</td>"
	                     "<td class=\"n\">-</td><td class=\"n bad\">0/1</td>"
	                     "<td class=\"n\">-</td></tr>");
	assert_contains(out, "<tr><td>echo-forked (chunk)</td>");
	assert_contains(out, "<option value=\"\">all</option><option value=\"basic\">basic</option>"
	                     "<option value=\"partial-recv\">partial-recv</option>");
	assert_contains(out, "<form id=\"filters\" hidden>");
	assert_contains(out, "<tr data-verdict=\"fail\" data-family=\"partial-recv\"><td class=\"v "
	                     "fail\">FAIL</td><td class=\"id\"><a href=\"#case-0-1\">"
	                     "partial-recv/one-byte-writes</a></td><td class=\"n\">12 ms</td>"
	                     "<td>expected &quot;hello\\n&quot;, got &quot;he&quot;</td></tr>");
	assert_contains(out, "<section class=\"failure\" id=\"case-0-3\" data-verdict=\"error\" "
	                     "data-family=\"limits\">");
	/* one diagram per failed or errored case, none for the others */
	assert_int_equal(count(out, "<svg"), 2);
	assert_int_equal(count(out, "<g class=\"fail\">"), 2);
	assert_int_equal(count(out, "<section class=\"failure\""), 2);
	free(out);
	report_free(r);
}

static void test_html_sequence_diagram(void **state)
{
	struct report *r = one_case(VERDICT_FAIL, "framing/crlf", crlf_message, fixture_crlf_timeline, "");
	char *out = render(r, REPORT_HTML, 0, 0);

	(void)state;
	assert_int_equal(count(out, "<svg"), 1);
	/* two client lanes and the server: c1 at x=180, c2 140 px right */
	assert_contains(out, "<text x=\"180\" y=\"26\" text-anchor=\"middle\">c1</text>");
	assert_contains(out, "<text x=\"320\" y=\"26\" text-anchor=\"middle\">c2</text>");
	assert_int_equal(count(out, "text-anchor=\"middle\">server</text>"), 1);
	/* time goes down: a row per event, the pause before the reply marked */
	assert_contains(out, ">+0.8ms</text>\n<g class=\"recv\"><title>c1 read 9 bytes: "
	                     "&quot;Welcome!\\n&quot;</title>");
	assert_contains(out, ">&quot;alice\\r\\n&quot; 7 B</text>");
	assert_contains(out, "&#8942; 1000.8 ms</text>");
	/* the reply the message quotes is the hot arrow; c1 gets the cross */
	assert_contains(out, "<g class=\"hot\"><title>c1 read 15 bytes: "
	                     "&quot;Hello, alice\\r!\\n&quot;</title>");
	assert_int_equal(count(out, "class=\"hot\""), 1);
	assert_contains(out, "<path class=\"x\" d=\"M173 ");
	assert_contains(out, ">FAIL at f.case:2</text>");
	assert_contains(out, "<text class=\"m\" x=\"120\" ");
	assert_contains(out,
	                ">hello/framing/crlf.case:15: connection c1: expected &quot;Hello, "
	                "alice!\\n&quot; within 2s, got &quot;Hello, alice\\r!\\n&quot;</text>");
	assert_contains(out, ">(differs at byte 12)</text>");
	assert_contains(out, "<g class=\"mark end\"><rect x=\"315\" ");
	free(out);
	report_free(r);
}

/* Many connections share the last lane; a long timeline keeps its start
 * and its end, where the failure is. */
static void test_html_big_timeline(void **state)
{
	struct strbuf tl = {NULL, 0, 0, 0};
	struct report *r;
	char *out;

	(void)state;
	for (int i = 0; i < 300; i++)
		strbuf_printf(&tl, "+%d.0ms c%d connect\n", i, i % 10);
	strbuf_puts(&tl, "+400.0ms runner FAIL\n");
	assert_false(tl.oom);
	r = one_case(VERDICT_FAIL, "x/y", "connection c7: expected EOF", tl.buf, "");
	out = render(r, REPORT_HTML, 0, 0);
	assert_contains(out, ">+5 more</text>");
	assert_contains(out, "&#8942; 201 events not drawn (the whole timeline is below)");
	assert_contains(out, ">+29.0ms</text>");
	assert_lacks(out, ">+30.0ms</text>");
	assert_contains(out, ">+231.0ms</text>");
	/* c7 is drawn on the shared lane, named */
	assert_contains(out, ">c7: connect</text>");
	assert_contains(out, ">FAIL at f.case:2</text>");
	free(out);
	strbuf_release(&tl);
	report_free(r);
}

/* Only the server and the runner in the log: the server lane alone, the
 * target's events on it, no cross (no connection to blame). */
static void test_html_diagram_without_connections(void **state)
{
	struct report *r = one_case(VERDICT_FAIL, "exit/sigterm", "the target was still running",
	                            "+5.0ms target Terminated\n"
	                            "+6.0ms second-instance bind(127.0.0.1:5): Address in use\n"
	                            "+2005.0ms runner FAIL\n",
	                            "");
	char *out = render(r, REPORT_HTML, 0, 0);

	(void)state;
	assert_int_equal(count(out, "<g class=\"lane\">"), 1);
	assert_contains(out,
	                "<g class=\"lane\"><rect x=\"280\" y=\"8\" width=\"120\" height=\"26\" "
	                "rx=\"4\"/><text x=\"340\" y=\"26\" text-anchor=\"middle\">server</text>");
	assert_contains(out,
	                "<g class=\"mark target\"><rect x=\"335\" y=\"51\" width=\"10\" "
	                "height=\"10\" rx=\"2\"/><text x=\"349\" y=\"60\">Terminated</text></g>");
	assert_contains(out, ">second-instance: bind(127.0.0.1:5): Address in use</text>");
	assert_contains(out, "&#8942; 1999.0 ms</text>");
	assert_contains(out, ">FAIL at f.case:2</text>");
	assert_lacks(out, "class=\"x\"");
	free(out);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html_fetches_nothing_and_escapes_everything),
	    cmocka_unit_test(test_html_metadata_when_set),
	    cmocka_unit_test(test_html_summary_and_filters),
	    cmocka_unit_test(test_html_sequence_diagram),
	    cmocka_unit_test(test_html_big_timeline),
	    cmocka_unit_test(test_html_diagram_without_connections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
