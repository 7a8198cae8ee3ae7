/* SPDX-License-Identifier: MIT */
/*
 * rerun: which cases failed in an earlier JSON report, for
 * --rerun-failed (pytest --lf). A report is a sockspec report when its
 * top level says "tool": "sockspec" and has "runs", each with "profile",
 * "framing" and "cases" (each with "id" and "verdict"); keys it does not
 * know are ignored, so reports of newer versions read the same. Pure.
 */
#ifndef SOCKSPEC_RERUN_H
#define SOCKSPEC_RERUN_H

#include <stddef.h>

struct rerun_run {
	char *profile; /* the run's name: a profile, or the --cases path */
	char *framing; /* "line" or "chunk" */
	char **ids;    /* the ids that failed or errored, without a " #N" attempt suffix */
	size_t nids;
};

struct rerun_set {
	struct rerun_run *runs; /* the runs of the report, in its order */
	size_t nruns;
	size_t failed; /* failed ids over all runs */
};

/* Reads the JSON report of len bytes at text. Returns 0 and fills *out
 * (free it with rerun_free), or -1 with err: "not JSON: line 1, column
 * 3: ..." or "not a sockspec report: ...". */
int rerun_parse(const char *text, size_t len, struct rerun_set *out, char *err, size_t errlen);

/* 1 when the case id of the run (profile, framing) failed in the report. */
int rerun_wanted(const struct rerun_set *s, const char *profile, const char *framing,
                 const char *id);

/* The length of id without an attempt suffix " #N" (--repeat). */
size_t rerun_base_len(const char *id);

void rerun_free(struct rerun_set *s);

#endif
