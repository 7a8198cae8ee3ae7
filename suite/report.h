/* SPDX-License-Identifier: MIT */
/*
 * report: verdicts of a run and their rendering as text (for people),
 * JSON, JUnit XML and TAP 13 (for CI). Rendering is pure: it builds a
 * string; the caller decides where it goes.
 */
#ifndef SOCKSPEC_REPORT_H
#define SOCKSPEC_REPORT_H

#include <stddef.h>
#include <stdint.h>

enum verdict {
	VERDICT_PASS,  /* the target behaved */
	VERDICT_FAIL,  /* the target misbehaved */
	VERDICT_SKIP,  /* not applicable; message says why */
	VERDICT_ERROR, /* the runner could not carry the case out */
};

enum report_format {
	REPORT_TEXT,
	REPORT_JSON,
	REPORT_JUNIT,
	REPORT_TAP,
};

struct report_case {
	char *id;          /* "partial-recv/one-byte-writes" */
	char *family;      /* "partial-recv" */
	char *description; /* one line from the case header */
	enum verdict verdict;
	uint64_t duration_ms;
	char *message;  /* why it failed / was skipped / errored; "" on pass */
	char *file;     /* case file name, e.g. "echo-threaded/partial-recv/one-byte-writes.case" */
	unsigned line;  /* line of the failing statement; 0 when none */
	char *timeline; /* wire log of the exchange; "" when not kept */
	char *output;   /* target stdout/stderr excerpt for a failure; "" when none */
};

struct report_run {
	char *profile;             /* "echo-threaded" */
	char *target;              /* command line or "connect ADDR" */
	char *framing;             /* "line" or "chunk" */
	struct report_case *cases; /* owned array */
	size_t ncases, cap;
};

struct report {
	char *version;           /* sockspec version */
	struct report_run *runs; /* owned array */
	size_t nruns, cap;
};

struct report_summary {
	unsigned pass, fail, skip, error;
};

/* A new empty report; NULL if memory ran out. */
struct report *report_new(const char *version);

/* Releases everything. NULL is a no-op. */
void report_free(struct report *r);

/* Appends a run (strings copied). Returns it, or NULL (no memory). The
 * pointer is valid until the next report_add_run(). */
struct report_run *report_add_run(struct report *r, const char *profile, const char *target,
                                  const char *framing);

/* Appends a case (strings copied; NULL strings become ""). Returns it,
 * or NULL. Valid until the next report_add_case() on the same run. */
struct report_case *report_add_case(struct report_run *run, const char *id, const char *family,
                                    const char *description, enum verdict v, uint64_t duration_ms,
                                    const char *message, const char *file, unsigned line,
                                    const char *timeline, const char *output);

/* Counts verdicts of one run, or of all runs when run is NULL. */
void report_summarize(const struct report *r, const struct report_run *run,
                      struct report_summary *out);

/* 0 when at least one case ran (pass or fail or error) and none failed
 * or errored; 1 otherwise (no case run at all is a failure). */
int report_exit_status(const struct report *r);

/* "text", "json", "junit", "tap" -> format; 0 or -1. */
int report_format_parse(const char *name, enum report_format *out);

/* "pass", "fail", "skip", "error". */
const char *report_verdict_name(enum verdict v);

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

#endif
