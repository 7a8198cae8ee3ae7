/* SPDX-License-Identifier: MIT */
/*
 * live: sockspec-fuzz, the live fuzzer. libFuzzer mutates inputs; each
 * input is a schedule (schedule.h) played against a running server over
 * loopback, and the replies are judged by the reference model
 * (model.h). This header is what the parts of the driver share: the
 * options (opts.c), the run state, and the findings that end a run.
 */
#ifndef SOCKSPEC_LIVE_H
#define SOCKSPEC_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "conn.h"
#include "model.h"
#include "schedule.h"
#include "target.h"

#define LIVE_TIMEOUT_MS  1000 /* default: how long a reply owed may take */
#define LIVE_GROWTH      64   /* fds or threads above the baseline that count as growth */
#define LIVE_COUNT_EVERY 256  /* inputs between two resource counts */

/* What the user asked for. */
struct live_opts {
	const struct model_profile *profile; /* --profile */
	char *command;               /* --target, {bin} filled in (owned); NULL: --connect */
	const char *connect;         /* --connect ADDR */
	uint64_t timeout_ms;         /* --timeout-ms */
	int family;                  /* AF_INET, AF_INET6 (--ipv6) or AF_UNIX (--unix) */
	const char *case_out;        /* --minimize-to-case FILE */
	const char *artifact;        /* ... its artifact */
	int quiet;                   /* --quiet: no per-finding schedule dump */
	const char *corpus;          /* the first corpus directory, or NULL */
	const char *artifact_prefix; /* libFuzzer's -artifact_prefix=, seen on the way */
};

/* Parses and removes sockspec-fuzz's own options from argv (libFuzzer's
 * flags and corpus directories stay). Returns 0, 1 after --help (printed),
 * or -1 with err filled ("--profile: no profile \"x\"; sockspec-fuzz
 * --help lists them"). */
int live_opts_parse(int *argc, char ***argv, struct live_opts *o, char *err, size_t errlen);

/* The usage text. */
const char *live_usage(void);

/* Turns an artifact into a case file (--minimize-to-case). Returns 0 or
 * -1 with err filled. */
int live_write_case(const struct live_opts *o, char *err, size_t errlen);

#endif
