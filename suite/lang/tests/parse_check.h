/* SPDX-License-Identifier: MIT */
/*
 * parse_check: what the parser tests (test_parse.c for statements,
 * test_parse_data.c for DATA and plan rendering, test_parse_errors.c for
 * error messages and malformed input) share: parsing a case that must
 * succeed or must fail with an exact message, and checking the pieces and
 * rendered bytes of a DATA. Every function fails the running cmocka test
 * instead of returning an error.
 */
#ifndef SOCKSPEC_TESTS_PARSE_CHECK_H
#define SOCKSPEC_TESTS_PARSE_CHECK_H

#include <stddef.h>

#include "parse.h"
#include "plan.h"

#define NAME "t.case"
#define HDR  "case basic/x\n" /* the smallest valid header */

#define LIT(s) s, sizeof(s) - 1 /* string literal as (bytes, length) */

/* Parses n bytes (as file NAME) that must be valid; returns the plan,
 * which the caller frees with plan_free(). */
struct plan *parse_ok_n(const void *src, size_t n);

/* parse_ok_n() of a NUL-terminated case. */
struct plan *parse_ok(const char *src);

/* Parses n bytes that must fail with exactly `want`. */
void parse_fails_n(const void *src, size_t n, const char *want);

/* parse_fails_n() of a NUL-terminated case. */
void parse_fails(const char *src, const char *want);

/* Asserts one piece of a DATA: its kind, bytes, length and repeat count
 * (an index piece, and an empty one, hold no bytes). */
void assert_seg(const struct plan_seg *s, enum plan_seg_kind kind, const void *bytes, size_t len,
                size_t repeat);

/* Renders b with `index` and compares with want[0..len). */
void assert_rendered(const struct plan_bytes *b, long index, const void *want, size_t len);

#endif
