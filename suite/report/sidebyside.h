/* SPDX-License-Identifier: MIT */
/*
 * sidebyside: the bytes of a failed expectation (struct report_bytes)
 * as two aligned columns for a terminal, expected on the left, received
 * on the right. Rows cover the same byte offsets on both sides, so a
 * row's offset is valid for both; a row ends after an LF of the
 * expected bytes (of the received ones past the expected end), at 32
 * bytes, or before a column would grow past its width. The first
 * differing byte is marked with a caret under each column, and the
 * view is windowed around it: two rows before, two after, the rest
 * counted ("... N bytes more"). A pattern is shown as the case file
 * writes it (a case-file string, its LF as \n), beside the received
 * bytes, with no caret: a regex has no byte to point at. Every byte is
 * escaped C-style: no control byte or escape sequence of the data
 * reaches the terminal. Pure.
 */
#ifndef SOCKSPEC_SIDEBYSIDE_H
#define SOCKSPEC_SIDEBYSIDE_H

#include <stddef.h>

#include "report.h"
#include "strbuf.h"

#define SIDEBYSIDE_ROW_BYTES 32 /* bytes in a row, at most */
#define SIDEBYSIDE_CELL      38 /* escaped characters in a cell, quotes excluded, at most */
#define SIDEBYSIDE_CONTEXT   2  /* rows shown before and after the first difference */
#define SIDEBYSIDE_ROWS      5  /* rows of received bytes shown beside a pattern */

/* Appends the view of b to sb, each line behind indent spaces and
 * ending in LF, with no trailing white space. Appends nothing when b is
 * not shown. */
void sidebyside_render(struct strbuf *sb, const struct report_bytes *b, size_t indent);

#endif
