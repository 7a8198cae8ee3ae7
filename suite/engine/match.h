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

enum match_result {
	MATCH_NEED_MORE, /* consistent so far; wait for more bytes */
	MATCH_OK,        /* satisfied; *consumed bytes belong to it */
	MATCH_MISMATCH,  /* can never be satisfied */
};

#define MATCH_STAMP_LEN 27 /* "[Sat Nov 21 10:00:00 2026] " */

/* want must be the next bytes of got. */
enum match_result match_bytes(const uint8_t *got, size_t got_len, const uint8_t *want,
                              size_t want_len, size_t *consumed);

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
