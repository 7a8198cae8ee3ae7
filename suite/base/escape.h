/* SPDX-License-Identifier: MIT */
/*
 * escape: bytes made readable for verdict messages and the wire log:
 * C-style escapes in double quotes ("h\x00i\n"), shortened with a byte
 * count when long, and a hex dump for binary data. Pure.
 */
#ifndef SOCKSPEC_ESCAPE_H
#define SOCKSPEC_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Writes data as a quoted C string into out (cap bytes, always
 * NUL-terminated). At most `show` input bytes are escaped; a longer
 * input ends in `..." (N bytes)`. Returns out. */
char *escape_quote(const uint8_t *data, size_t len, size_t show, char *out, size_t cap);

/* Appends data to sb as escape_quote() writes it, never cut short. */
void escape_quote_sb(struct strbuf *sb, const uint8_t *data, size_t len, size_t show);

/* 1 when data has bytes other than printable ASCII, \n, \r and \t. */
int escape_is_binary(const uint8_t *data, size_t len);

/* Writes a hex dump of the first `show` bytes (16 per line: offset, hex,
 * ASCII), each line prefixed by `indent`, into out (cap bytes, always
 * NUL-terminated). Returns out. */
char *escape_hexdump(const uint8_t *data, size_t len, size_t show, const char *indent, char *out,
                     size_t cap);

/* Appends the hex dump escape_hexdump() writes to sb, never cut short. */
void escape_hexdump_sb(struct strbuf *sb, const uint8_t *data, size_t len, size_t show,
                       const char *indent);

#endif
