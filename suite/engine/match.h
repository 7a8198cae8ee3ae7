/* SPDX-License-Identifier: MIT */
/*
 * match: decides whether the bytes received so far satisfy an
 * expectation, cannot yet tell (more may come), or can never satisfy
 * it. Exact bytes, a PCRE2 regex anchored at the start of the received
 * bytes (binary-safe), and the timestamp profile's "[CTIME] DATA". Pure:
 * the clock reading is an argument.
 */
#ifndef SOCKSPEC_MATCH_H
#define SOCKSPEC_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "plan.h"

enum match_result {
	MATCH_NEED_MORE, /* consistent so far; wait for more bytes */
	MATCH_OK,        /* satisfied; *consumed bytes belong to it */
	MATCH_MISMATCH,  /* can never be satisfied */
};

#define MATCH_STAMP_LEN 27 /* "[Sat Nov 21 10:00:00 2026] " */

/* want must be the next bytes of got. */
enum match_result match_bytes(const uint8_t *got, size_t got_len, const uint8_t *want,
                              size_t want_len, size_t *consumed);

#define MATCH_TAIL 32 /* matched bytes kept for messages */

/* Known expected bytes (expect DATA, expect line DATA) compared with a
 * stream as it arrives. Only a position in the expected data is kept,
 * never a copy of it nor of the bytes that matched (but the last
 * MATCH_TAIL of them, for messages), so expectations of any size the
 * language allows take constant memory. */
struct match_known {
	struct plan_cursor start; /* the start of the data */
	struct plan_cursor want;  /* the next expected byte of the data */
	uint64_t data_len;        /* bytes of the data */
	uint64_t total;           /* bytes expected in all: the data, and LF for a line */
	uint64_t matched;         /* bytes matched so far */
	uint8_t tail[MATCH_TAIL]; /* the last matched bytes, oldest first */
	size_t tail_len;          /* bytes in tail */
};

/* Expects data b rendered with `index` for ${i}, then LF when lf. */
void match_known_init_vars(struct match_known *m, const struct plan_bytes *b, long index,
                           const struct plan_vars *vars, int lf);
void match_known_init(struct match_known *m, const struct plan_bytes *b, long index, int lf);

/* Compares got[0..n) with the next expected bytes and moves past those
 * that match. MATCH_OK: complete, *used bytes of got belonged to it;
 * MATCH_NEED_MORE: all n bytes matched, more are expected;
 * MATCH_MISMATCH: got[*used] differs from expected byte m->matched. */
enum match_result match_known_feed(struct match_known *m, const uint8_t *got, size_t n,
                                   size_t *used);

/* Copies expected bytes [from, from + n) into out, for messages; returns
 * how many there were. */
size_t match_known_expected(const struct match_known *m, uint64_t from, uint8_t *out, size_t n);

struct match_regex;

/* Compiles a PCRE2 pattern (len bytes, may hold NUL). Returns 0, or -1
 * with PCRE2's message and the offset in err. Free with match_regex_free. */
int match_regex_compile(const uint8_t *pattern, size_t len, struct match_regex **out, char *err,
                        size_t errlen);
void match_regex_free(struct match_regex *re);

/* The pattern must match at the start of got. A match that more bytes
 * could extend still counts (partial-soft); a partial match waits for
 * more unless eof says no more will come. */
enum match_result match_regex(const struct match_regex *re, const uint8_t *got, size_t got_len,
                              int eof, size_t *consumed);

/* The named groups of the last match of re against got (the subject
 * match_regex() was given): fn(arg, name, value, len, set) for each,
 * set 0 when the group took no part in the match. Returns 0, or the
 * first nonzero value fn returned. */
typedef int (*match_group_fn)(void *arg, const char *name, const uint8_t *value, size_t len,
                              int set);
int match_regex_groups(const struct match_regex *re, const uint8_t *got, match_group_fn fn,
                       void *arg);

/* got must start with "[CTIME] " followed by want, CTIME in ctime()
 * format, naming a local time within tolerance_s seconds of now. On
 * MATCH_MISMATCH, why (whylen bytes) says what is wrong. */
enum match_result match_timestamp(const uint8_t *got, size_t got_len, const uint8_t *want,
                                  size_t want_len, time_t now, int tolerance_s, size_t *consumed,
                                  char *why, size_t whylen);

/* Parses a 24-byte ctime() string (no newline) as local time. Returns 0
 * and *out, or -1 if it is not in ctime() format. */
int match_parse_ctime(const uint8_t *text, time_t *out);

#endif
