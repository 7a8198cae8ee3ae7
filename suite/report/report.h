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

/* The bytes of a failed expectation of bytes, for a side-by-side view:
 * a window of what was expected and one of what arrived, both starting
 * at offset `from` of the expected data (a pattern: as written, from 0).
 * Filled by the engine where it composes the failure message. */
struct report_bytes {
	int shown;               /* 1: the failure was an expectation of bytes */
	int pattern;             /* expected is a regex, as the case file writes it */
	uint64_t from;           /* offset of expected[0] and received[0] */
	uint64_t diff;           /* offset of the first byte that differs (pattern: unused) */
	uint8_t *expected;       /* window of the expected bytes (or the pattern) */
	size_t expected_len;     /* its bytes */
	uint64_t expected_total; /* bytes expected in all */
	uint8_t *received;       /* window of the received bytes */
	size_t received_len;     /* its bytes */
	uint64_t received_total; /* bytes received in all */
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

	struct report_bytes bytes; /* the failed expectation's bytes (owned); .shown 0: none */
};

struct report_run {
	char *profile;             /* "echo-threaded" */
	char *target;              /* command line or "connect ADDR" */
	char *framing;             /* "line" or "chunk" */
	struct report_case *cases; /* owned array */
	size_t ncases, cap;
	char *started; /* ISO 8601 UTC start of the run */
	uint64_t duration_ms; /* wall time of the run */
};

struct report {
	char *version;           /* sockspec version */
	char *hostname;          /* the machine that ran it, for JUnit; "" when unknown */
	struct report_run *runs; /* owned array */
	size_t nruns, cap;
	uint64_t seed; /* --seed, or the one drawn from the clock */
	char *started; /* ISO 8601 UTC start of the invocation, "2026-12-03T13:05:00Z" */
	uint64_t duration_ms; /* wall time of the invocation */
};

struct report_summary {
	unsigned pass, fail, skip, error;
};

/* A new empty report; NULL if memory ran out. */
struct report *report_new(const char *version);

/* Releases everything. NULL is a no-op. */
void report_free(struct report *r);

/* The invocation's seed, its start (ISO 8601 UTC, see report_iso8601())
 * and the machine's name (strings copied; NULL is ""). The caller reads
 * the clock. Returns 0 or -1 (no memory; the old values stay). */
int report_set_start(struct report *r, uint64_t seed, const char *started, const char *hostname);

/* The invocation's wall time. */
void report_set_duration(struct report *r, uint64_t duration_ms);

/* The run's start (ISO 8601 UTC, copied). Returns 0 or -1 (no memory). */
int report_run_set_start(struct report_run *run, const char *started);

/* The run's wall time. */
void report_run_set_duration(struct report_run *run, uint64_t duration_ms);

#define REPORT_ISO8601_MAX 32 /* bytes report_iso8601() needs, NUL included */

/* secs since the epoch as "2026-12-03T13:05:00Z" into out (cap bytes,
 * at least REPORT_ISO8601_MAX). Returns out ("" when secs is out of
 * range). Pure: the caller reads the clock. */
char *report_iso8601(int64_t secs, char *out, size_t cap);

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

	const struct report_bytes *bytes; /* the failed expectation's bytes, or NULL */
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
