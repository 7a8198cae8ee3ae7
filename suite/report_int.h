/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by report.c (the verdict store, the text rendering and
 * the dispatch of report_render()) and report_ci.c (the JSON, JUnit XML
 * and TAP renderings for CI). Not for other modules.
 */
#ifndef SOCKSPEC_REPORT_INT_H
#define SOCKSPEC_REPORT_INT_H

#include <stddef.h>

#include "report.h"
#include "strbuf.h"

/* s, or "" when s is NULL. */
const char *report_nz(const char *s);

/* Length of the first line of s, its LF and a CR before it excluded. */
size_t report_first_line_len(const char *s);

/* v itself, or VERDICT_ERROR when v is out of range: a corrupt verdict is
 * a runner bug and must never pass a CI run. */
enum verdict report_verdict_known(enum verdict v);

/* 1 for a fail or an error (out-of-range verdicts included), else 0. */
int report_verdict_failed(enum verdict v);

/* pass + fail + skip + error. */
unsigned report_summary_total(const struct report_summary *s);

/* Append the whole report r to sb as JSON, JUnit XML or TAP 13. */
void report_ci_json(struct strbuf *sb, const struct report *r);
void report_ci_junit(struct strbuf *sb, const struct report *r);
void report_ci_tap(struct strbuf *sb, const struct report *r);

#endif
