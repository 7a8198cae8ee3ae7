/* SPDX-License-Identifier: MIT */
/*
 * parse: the case-language parser (lexer in lex.c). Bytes of a .case file
 * in, a struct plan out. Pure: no I/O, no globals; every error is
 * reported as "NAME:LINE:COL: message" and leaves nothing allocated.
 * The language is documented in suite/LANGUAGE.md.
 */
#ifndef SOCKSPEC_PARSE_H
#define SOCKSPEC_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#define PARSE_ERR_MAX 512 /* error buffer size that always suffices */

/* Parses buf (len bytes, need not be NUL-terminated) of the case file
 * called `name` (used only in messages). On success returns 0 and *out
 * (free with plan_free()). On error returns -1 and fills err with
 * "NAME:LINE:COL: message"; *out is left NULL. */
int parse_case(const char *name, const uint8_t *buf, size_t len, struct plan **out, char *err,
               size_t errlen);

/* parse_case() flags. OWN_FAMILIES: a case of the user's own suite
 * (--cases, check) may name a family of its own; without it only the
 * eight bundled families are known (the embedded cases). */
#define PARSE_OWN_FAMILIES 0x1u

/* parse_case() with PARSE_* flags. */
int parse_case_opts(const char *name, const uint8_t *buf, size_t len, unsigned flags,
                    struct plan **out, char *err, size_t errlen);

#endif
