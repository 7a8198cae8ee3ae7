/* SPDX-License-Identifier: MIT */
/*
 * render: a report (the verdict store of report.h) as text for people,
 * or as JSON, JUnit XML or TAP 13 for CI; one renderer per format, each
 * in its own file. Rendering is pure: it builds a string, the caller
 * decides where it goes.
 */
#ifndef SOCKSPEC_RENDER_H
#define SOCKSPEC_RENDER_H

#include <stddef.h>

#include "report.h"

enum report_format {
	REPORT_TEXT,
	REPORT_JSON,
	REPORT_JUNIT,
	REPORT_TAP,
	REPORT_HTML,
};

/* "text", "json", "junit", "tap", "html" -> format; 0 or -1. */
int report_format_parse(const char *name, enum report_format *out);

/* Renders the whole report as a NUL-terminated malloc'd string (*out,
 * length in *len). color: ANSI colours (text only). verbose: text shows
 * the timeline of every case, not only failed ones. Returns 0 or -1. */
int report_render(const struct report *r, enum report_format fmt, int color, int verbose,
                  char **out, size_t *len);

/* The text block for one finished case (its verdict line, and for a
 * failure the message, the target output and, when verbose, the
 * timeline), for live progress. Returns a malloc'd string or NULL. */
char *report_render_case(const struct report_run *run, const struct report_case *c, int color,
                         int verbose);

/* The summary table and the closing "N passed, N failed, ..." line
 * alone (what follows live per-case output), never coloured. Returns a
 * malloc'd string or NULL. */
char *report_render_summary(const struct report *r);

/* The first line of the text report ("sockspec VERSION: seed N (repeat
 * with --seed N), started TIME"), for live progress. Returns a malloc'd
 * string or NULL. */
char *report_render_header(const struct report *r);

#endif
