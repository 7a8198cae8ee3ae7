/* SPDX-License-Identifier: MIT */
/*
 * report_fixture: what the report tests (test_report.c for the store and
 * the text rendering, test_report_ci.c for JSON, JUnit XML and TAP)
 * share: the fixtures they render and assertions that print both sides
 * when they fail. Every function fails the running cmocka test instead of
 * returning an error.
 */
#ifndef SOCKSPEC_TESTS_REPORT_FIXTURE_H
#define SOCKSPEC_TESTS_REPORT_FIXTURE_H

#include "render.h"

/* Every kind of byte sequence an escaper must handle, in one string:
 * quote, backslash, LF, CR, TAB, C0 control 0x01, DEL, a stray 0xff,
 * "é" (well-formed), U+009B CSI (C1 control), U+FFFE (noncharacter),
 * an encoded surrogate (ill-formed), an overlong '/' (ill-formed),
 * U+1F600 (4 bytes, well-formed), XML specials, '#', and a truncated
 * 3-byte sequence at the very end. */
#define NASTY                                                                                      \
	"q\"b\\s\n\r\t\x01\x7f\xff"                                                                \
	"e\xc3\xa9 \xc2\x9b\xef\xbf\xbe\xed\xa0\x80\xc0\xaf\xf0\x9f\x98\x80<&>'#\xe2\x82"

/* report_add_case() with the fields given in order. */
struct report_case *add_case(struct report_run *run, const char *id, const char *family,
                             const char *description, enum verdict v, uint64_t duration_ms,
                             const char *message, const char *file, unsigned line,
                             const char *timeline, const char *output);

/* Two runs, one case of each verdict in the first. The caller frees it
 * with report_free(). */
struct report *small_fixture(void);

/* The wire log of the failing hello case of issue 11 (framing/crlf). */
extern const char fixture_crlf_timeline[];

/* One run holding one case of verdict v. The caller frees it with
 * report_free(). */
struct report *one_case(enum verdict v, const char *id, const char *message, const char *timeline,
                        const char *output);

/* Renders r, checking the returned length against the string. The caller
 * frees the result. */
char *render(const struct report *r, enum report_format fmt, int color, int verbose);

/* Asserts that needle occurs in haystack, printing both when not. */
void assert_contains(const char *haystack, const char *needle);

/* Asserts that r renders as exactly want. */
void assert_rendered(const struct report *r, enum report_format fmt, int color, int verbose,
                     const char *want);

#endif
