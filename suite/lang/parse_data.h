/* SPDX-License-Identifier: MIT */
/*
 * parse_data: the DATA part of the case language (strings, hex "..",
 * range A B, each optionally repeated with "* N") and the pattern of
 * "expect NAME regex", turned into a struct plan_bytes; also the one-line
 * text of a description. Split from the
 * statement parser (parse.c) because building bytes is a job of its own:
 * escapes, ${i} placeholders, size limits and PCRE2 checking. Pure: no
 * I/O, no globals.
 */
#ifndef SOCKSPEC_PARSE_DATA_H
#define SOCKSPEC_PARSE_DATA_H

#include <stdint.h>

#include "lex.h"
#include "plan.h"

#define PARSE_DATA_MAX         ((uint64_t)64 << 20) /* rendered bytes of one DATA */
#define PARSE_DATA_INDEX_WIDTH 20                   /* longest rendering of ${i} */
#define PARSE_DATA_SEGS_MAX    65536                /* pieces of one DATA */

/* Parses DATA at the cursor into out, which must be empty (zeroed); stops
 * at the first token that cannot continue it. index_ok says whether ${i}
 * may appear (inside a parallel or repeat body). Returns 0, or -1 with the
 * message in the cursor's error buffer. Either way the pieces already in
 * out belong to the caller, who releases them with the plan (plan_free()). */
int parse_data_bytes(struct lex_cursor *c, int index_ok, struct plan_bytes *out);

/* Names of the capture variables a ${NAME} may use: those an earlier
 * statement of the case defines. */
struct parse_data_vars {
	const char (*v)[PLAN_NAME_MAX]; /* the names */
	size_t n;                       /* entries in v */
};

/* The named groups of a regex, as "expect NAME regex" defines them. */
struct parse_data_groups {
	char v[PLAN_VARS_MAX][PLAN_NAME_MAX]; /* the names, in pattern order */
	size_t n;                             /* entries in v */
};

/* parse_data_bytes() where ${NAME} may use the variables in vars (NULL:
 * none). Also takes the length prefixes "u8", "u16be" and "u32be"
 * before a term: its rendered length, in 1, 2 or 4 big-endian bytes. */
int parse_data_bytes_vars(struct lex_cursor *c, int index_ok, const struct parse_data_vars *vars,
                          struct plan_bytes *out);

/* Parses the single string of "expect NAME regex STRING" into out (empty
 * on entry; ownership as for parse_data_bytes()). A pattern without ${i}
 * is compiled with PCRE2 now, so a bad one is reported at its column with
 * PCRE2's message. Returns 0 or -1. */
int parse_data_regex(struct lex_cursor *c, int index_ok, struct plan_bytes *out);

/* parse_data_regex() where ${NAME} may use vars (NULL: none), and which
 * fills groups (may be NULL) with the pattern's named groups, "(?<NAME>",
 * "(?'NAME'" or "(?P<NAME>": the variables the statement captures. */
int parse_data_regex_vars(struct lex_cursor *c, int index_ok, const struct parse_data_vars *vars,
                          struct plan_bytes *out, struct parse_data_groups *groups);

/* Parses one string that must be a single line of text (`what`, e.g.
 * "description", names it in messages): no ${i}, no byte below 0x20. Returns 0 with a new
 * NUL-terminated copy in *out (the caller frees it), or -1 with *out NULL. */
int parse_data_text(struct lex_cursor *c, const char *what, char **out);

#endif
