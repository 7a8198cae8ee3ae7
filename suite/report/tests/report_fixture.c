/* SPDX-License-Identifier: MIT */
/*
 * The fixtures and assertions of report_fixture.h, shared by the report
 * tests. Built into each report test program, never into sockspec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "report_fixture.h"

/* Two runs, one case of each verdict in the first. */
struct report_case *add_case(struct report_run *run, const char *id, const char *family,
                             const char *description, enum verdict v, uint64_t duration_ms,
                             const char *message, const char *file, unsigned line,
                             const char *timeline, const char *output)
{
	const struct report_entry e = {.id = id,
	                               .family = family,
	                               .description = description,
	                               .verdict = v,
	                               .duration_ms = duration_ms,
	                               .message = message,
	                               .file = file,
	                               .line = line,
	                               .timeline = timeline,
	                               .output = output};

	return report_add_case(run, &e);
}

struct report *small_fixture(void)
{
	struct report *r = report_new("0.1.0");
	struct report_run *run;

	assert_non_null(r);
	assert_int_equal(report_set_start(r, 7, "2026-12-03T13:05:00Z", "ci-host"), 0);
	report_set_duration(r, 1234);
	run = report_add_run(r, "echo-threaded", "./ref-echo -p 0", "line");
	assert_non_null(run);
	assert_int_equal(report_run_set_start(run, "2026-12-03T13:05:00Z"), 0);
	report_run_set_duration(run, 1000);
	assert_non_null(add_case(run, "basic/echo-one-line", "basic", "one line comes back",
	                         VERDICT_PASS, 3, "", "echo-threaded/basic/echo-one-line.case", 0,
	                         "> hello\n< hello\n", ""));
	assert_non_null(add_case(run, "partial-recv/one-byte-writes", "partial-recv",
	                         "a line sent byte by byte", VERDICT_FAIL, 12,
	                         "expected \"hello\\n\", got \"he\"\nconnection closed early",
	                         "echo-threaded/partial-recv/one-byte-writes.case", 7,
	                         "> h\n> e\n< he\n", "warn: \x01odd\xff byte\n"));
	assert_non_null(add_case(run, "reuse/so-reuseport", "reuse", "two listeners share a port",
	                         VERDICT_SKIP, 0, "needs SO_REUSEPORT",
	                         "echo-threaded/reuse/so-reuseport.case", 0, "", ""));
	assert_non_null(add_case(run, "limits/many-conns", "limits", "1000 idle connections",
	                         VERDICT_ERROR, 5, "runner: fd limit <1024> & 'ulimit -n'",
	                         "echo-threaded/limits/many-conns.case", 3, "> connect x1000\n",
	                         ""));
	run = report_add_run(r, "echo-forked", "connect 127.0.0.1:7", "chunk");
	assert_non_null(run);
	assert_int_equal(report_run_set_start(run, "2026-12-03T13:05:01Z"), 0);
	report_run_set_duration(run, 234);
	assert_non_null(add_case(run, "basic/echo-one-line", "basic", "one line comes back",
	                         VERDICT_PASS, 4, "", "echo-forked/basic/echo-one-line.case", 0, "",
	                         ""));
	assert_non_null(add_case(run, "framing/crlf", "framing", "CR LF ends a line", VERDICT_SKIP,
	                         0, "chunk framing has no lines", "echo-forked/framing/crlf.case",
	                         0, "", ""));
	return r;
}

/* One run holding one case of verdict v. */
struct report *one_case(enum verdict v, const char *id, const char *message, const char *timeline,
                        const char *output)
{
	struct report *r = report_new("0.1.0");
	struct report_run *run;

	assert_non_null(r);
	run = report_add_run(r, "p", "t", "line");
	assert_non_null(run);
	assert_non_null(
	    add_case(run, id, "fam", "d", v, 1, message, "f.case", 2, timeline, output));
	return r;
}

/* Renders r, checking the returned length against the string. */
char *render(const struct report *r, enum report_format fmt, int color, int verbose)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(report_render(r, fmt, color, verbose, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(len, strlen(out));
	return out;
}

/* Asserts that needle occurs in haystack, printing both when not. */
void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find\n%s\nin\n%s", needle, haystack);
}

void assert_rendered(const struct report *r, enum report_format fmt, int color, int verbose,
                     const char *want)
{
	char *got = render(r, fmt, color, verbose);

	assert_string_equal(got, want);
	free(got);
}

/* The failing hello case of the issue, as the wire log holds it. */
const char fixture_crlf_timeline[] = "+0.1ms c1 connect\n"
                                     "+0.1ms c1 connected\n"
                                     "+0.8ms c1 read 9 \"Welcome!\\n\"\n"
                                     "+0.9ms c1 write 7 \"alice\\r\\n\"\n"
                                     "+1001.7ms c1 read 15 \"Hello, alice\\r!\\n\"\n"
                                     "+1001.9ms runner FAIL\n"
                                     "+1001.9ms c2 close\n";
