/* SPDX-License-Identifier: MIT */
/*
 * report: the verdict store. It holds the runs of one sockspec
 * invocation and the verdict of every case, copies every string it is
 * given and counts verdicts; it knows nothing of output formats (the
 * renderers of render.h read it). Pure: no I/O.
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
	char *started; /* ISO 8601 UTC start of the run */
	uint64_t duration_ms; /* wall time of the run */
	struct report_case *cases; /* owned array */
	size_t ncases, cap;
};

struct report {
	char *version;           /* sockspec version */
	uint64_t seed; /* --seed, or the one drawn from the clock */
	char *started; /* ISO 8601 UTC start of the invocation, "2026-12-03T13:05:00Z" */
	uint64_t duration_ms; /* wall time of the invocation */
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

/* A case's verdict as the runner hands it over. */
struct report_entry {
	const char *id;          /* "partial-recv/one-byte-writes" */
	const char *family;      /* "partial-recv" */
	const char *description; /* one line from the case header */
	enum verdict verdict;    /* the verdict */
	uint64_t duration_ms;    /* wall time of the case */
	const char *message;     /* why it failed / was skipped / errored */
	const char *file;        /* case file name */
	unsigned line;           /* line of the failing statement; 0 when none */
	const char *timeline;    /* wire log of the exchange */
	const char *output;      /* target stdout/stderr excerpt */
};

/* Appends a case (strings copied; NULL strings become ""). Returns it,
 * or NULL. Valid until the next report_add_case() on the same run. */
struct report_case *report_add_case(struct report_run *run, const struct report_entry *e);

/* Counts verdicts of one run, or of all runs when run is NULL. */
void report_summarize(const struct report *r, const struct report_run *run,
                      struct report_summary *out);

/* 0 when at least one case ran (pass or fail or error) and none failed
 * or errored; 1 otherwise (no case run at all is a failure). */
int report_exit_status(const struct report *r);

/* s, or "" when s is NULL. */
const char *report_nz(const char *s);

/* Length of the first line of s, its LF and a CR before it excluded. */
size_t report_first_line_len(const char *s);

/* "pass", "fail", "skip", "error". */
const char *report_verdict_name(enum verdict v);

/* v itself, or VERDICT_ERROR when v is out of range: a corrupt verdict is
 * a runner bug and must never pass a CI run. */
enum verdict report_verdict_known(enum verdict v);

/* 1 for a fail or an error (out-of-range verdicts included), else 0. */
int report_verdict_failed(enum verdict v);

/* pass + fail + skip + error. */
unsigned report_summary_total(const struct report_summary *s);

#endif
