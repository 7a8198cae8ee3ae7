/* SPDX-License-Identifier: MIT */
/* Readable renderings of raw bytes for messages (see escape.h). */
#include "escape.h"

#include <stdio.h>
#include <string.h>

/* Appends text to out at *pos without overflowing cap. */
static void put(char *out, size_t cap, size_t *pos, const char *text)
{
	size_t n = strlen(text);

	if (*pos + 1 >= cap)
		return;
	if (n > cap - 1 - *pos)
		n = cap - 1 - *pos;
	memcpy(out + *pos, text, n);
	*pos += n;
	out[*pos] = '\0';
}

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

char *escape_quote(const uint8_t *data, size_t len, size_t show, char *out, size_t cap)
{
	char buf[32];
	size_t pos = 0, i;

	if (cap == 0)
		return out;
	out[0] = '\0';
	put(out, cap, &pos, "\"");
	for (i = 0; i < len && i < show; i++) {
		escape_byte(data[i], buf);
		put(out, cap, &pos, buf);
	}
	put(out, cap, &pos, len > show ? "...\"" : "\"");
	if (len > show) {
		snprintf(buf, sizeof(buf), " (%zu bytes)", len);
		put(out, cap, &pos, buf);
	}
	return out;
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

char *escape_hexdump(const uint8_t *data, size_t len, size_t show, const char *indent, char *out,
                     size_t cap)
{
	char line[128], *p;
	size_t pos = 0, n = len < show ? len : show;

	if (cap == 0)
		return out;
	out[0] = '\0';
	for (size_t off = 0; off < n; off += 16) {
		size_t row = n - off < 16 ? n - off : 16;
		p = line + snprintf(line, sizeof(line), "%s%06zx ", indent, off);
		for (size_t i = 0; i < 16; i++)
			p += i < row ? sprintf(p, " %02x", data[off + i]) : sprintf(p, "   ");
		p += sprintf(p, "  |");
		for (size_t i = 0; i < row; i++) {
			uint8_t c = data[off + i];
			*p++ = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
		}
		strcpy(p, "|\n");
		put(out, cap, &pos, line);
	}
	return out;
}
