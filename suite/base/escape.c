/* SPDX-License-Identifier: MIT */
/* Readable renderings of raw bytes for messages (see escape.h). */
#include "escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void escape_byte(uint8_t c, char buf[8])
{
	switch (c) {
	case '\n':
		strcpy(buf, "\\n");
		break;
	case '\r':
		strcpy(buf, "\\r");
		break;
	case '\t':
		strcpy(buf, "\\t");
		break;
	case '\\':
		strcpy(buf, "\\\\");
		break;
	case '"':
		strcpy(buf, "\\\"");
		break;
	default:
		if (c >= 0x20 && c < 0x7f) {
			buf[0] = (char)c;
			buf[1] = '\0';
		} else {
			snprintf(buf, 8, "\\x%02x", c);
		}
	}
}

void escape_quote_sb(struct strbuf *sb, const uint8_t *data, size_t len, size_t show)
{
	char buf[8];

	strbuf_putc(sb, '"');
	for (size_t i = 0; i < len && i < show; i++) {
		escape_byte(data[i], buf);
		strbuf_puts(sb, buf);
	}
	strbuf_puts(sb, len > show ? "...\"" : "\"");
	if (len > show)
		strbuf_printf(sb, " (%zu bytes)", len);
}

/* Copies what sb holds into out (cap bytes, NUL-terminated, cut short
 * if need be) and frees sb. */
static char *to_fixed(struct strbuf *sb, char *out, size_t cap)
{
	size_t n = sb->oom || !sb->buf ? 0 : sb->len;

	if (cap == 0) {
		free(sb->buf);
		return out;
	}
	if (n > cap - 1)
		n = cap - 1;
	if (n)
		memcpy(out, sb->buf, n);
	out[n] = '\0';
	free(sb->buf);
	return out;
}

char *escape_quote(const uint8_t *data, size_t len, size_t show, char *out, size_t cap)
{
	struct strbuf sb = {NULL, 0, 0, 0};

	escape_quote_sb(&sb, data, len, show);
	return to_fixed(&sb, out, cap);
}

int escape_is_binary(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];
		if (!(c >= 0x20 && c < 0x7f) && c != '\n' && c != '\r' && c != '\t')
			return 1;
	}
	return 0;
}

void escape_hexdump_sb(struct strbuf *sb, const uint8_t *data, size_t len, size_t show,
                       const char *indent)
{
	size_t n = len < show ? len : show;

	for (size_t off = 0; off < n; off += 16) {
		size_t row = n - off < 16 ? n - off : 16;
		strbuf_printf(sb, "%s%06zx ", indent, off);
		for (size_t i = 0; i < 16; i++)
			if (i < row)
				strbuf_printf(sb, " %02x", data[off + i]);
			else
				strbuf_puts(sb, "   ");
		strbuf_puts(sb, "  |");
		for (size_t i = 0; i < row; i++) {
			uint8_t c = data[off + i];
			strbuf_putc(sb, (c >= 0x20 && c < 0x7f) ? (char)c : '.');
		}
		strbuf_puts(sb, "|\n");
	}
}

char *escape_hexdump(const uint8_t *data, size_t len, size_t show, const char *indent, char *out,
                     size_t cap)
{
	struct strbuf sb = {NULL, 0, 0, 0};

	escape_hexdump_sb(&sb, data, len, show, indent);
	return to_fixed(&sb, out, cap);
}
