/* SPDX-License-Identifier: MIT */
/*
 * The growable string of strbuf.h and its escaped appends. Report strings
 * come from case files and from whatever the target printed, so they may
 * hold any byte: an escaper walks them character by character (ASCII
 * bytes, well-formed multi-byte UTF-8 per RFC 3629, and bytes that are
 * not UTF-8 at all) and writes each one as its format allows, so that
 * every result stays valid of its kind. Which format wants what is
 * decided by the flags of each struct strbuf_escaper, defined next to
 * the renderer that uses it.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct strbuf *sb, size_t more)
{
	size_t need, cap;
	char *p;

	if (sb->oom)
		return -1;
	if (more > SIZE_MAX - sb->len - 1)
		goto fail;
	need = sb->len + more + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(sb->buf, cap);
	if (!p)
		goto fail;
	sb->buf = p;
	sb->cap = cap;
	return 0;
fail:
	sb->oom = 1;
	return -1;
}

void strbuf_putn(struct strbuf *sb, const char *s, size_t n)
{
	if (reserve(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_putn(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_putn(sb, &c, 1);
}

void strbuf_pad(struct strbuf *sb, size_t n)
{
	while (n-- > 0)
		strbuf_putc(sb, ' ');
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0) {
		sb->oom = 1;
	} else if (reserve(sb, (size_t)n) == 0) {
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, again);
		sb->len += (size_t)n;
	}
	va_end(again);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

const char *strbuf_text(const struct strbuf *sb)
{
	return sb->buf && !sb->oom ? sb->buf : "";
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = 0;
}

/* Hands the string over (*out, *len), or frees it and returns -1 when
 * memory ran out on the way. */
int strbuf_finish(struct strbuf *sb, char **out, size_t *len)
{
	if (!sb->buf)
		strbuf_putn(sb, "", 0);
	if (sb->oom) {
		strbuf_release(sb);
		return -1;
	}
	*out = sb->buf;
	if (len)
		*len = sb->len;
	sb->buf = NULL; /* handed over: sb is empty again */
	sb->len = sb->cap = 0;
	return 0;
}

/* Length (1 to 4) of the well-formed UTF-8 sequence at s[0..n), or 0 when
 * s[0] starts none: stray continuation bytes, overlong forms, surrogates
 * and code points past U+10FFFF are all ill-formed (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Code point of a well-formed sequence of k bytes. */
static unsigned long utf8_decode(const unsigned char *s, size_t k)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	unsigned long cp = s[0] & lead_mask[k];
	size_t i;

	for (i = 1; i < k; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

static void put_bad(struct strbuf *sb, unsigned char c, const struct strbuf_escaper *e)
{
	strbuf_printf(sb, e->flags & STRBUF_ESC_BAD_U ? "\\u%04x" : "\\x%02x", c);
}

/* The XML reference for c, or NULL when c needs none. */
static const char *xml_reference(unsigned char c)
{
	static const char chars[] = "&<>\"'\r\n\t";
	static const char *const refs[] = {"&amp;",  "&lt;",  "&gt;",  "&quot;",
	                                   "&apos;", "&#13;", "&#10;", "&#9;"};
	const char *hit = c ? strchr(chars, c) : NULL;

	return hit ? refs[hit - chars] : NULL;
}

static void put_ascii(struct strbuf *sb, unsigned char c, const struct strbuf_escaper *e)
{
	const char *ref;

	if ((c == '\n' && e->flags & STRBUF_ESC_RAW_LF) ||
	    (c == '\t' && e->flags & STRBUF_ESC_RAW_TAB))
		strbuf_putc(sb, (char)c);
	else if (c && strchr(e->backslashed, c))
		strbuf_printf(sb, "\\%c", c);
	else if (e->flags & STRBUF_ESC_C && (c == '\n' || c == '\r' || c == '\t'))
		strbuf_printf(sb, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
	else if (e->flags & STRBUF_ESC_XML && (ref = xml_reference(c)) != NULL)
		strbuf_puts(sb, ref);
	else if (c < 0x20 || c == 0x7f)
		strbuf_printf(sb, e->flags & STRBUF_ESC_CTL_U ? "\\u%04x" : "\\x%02x", c);
	else
		strbuf_putc(sb, (char)c);
}

static void put_multi(struct strbuf *sb, const unsigned char *s, size_t k,
                      const struct strbuf_escaper *e)
{
	unsigned long cp = utf8_decode(s, k);
	size_t i;

	if (!((e->flags & STRBUF_ESC_NO_C1 && cp < 0xa0) ||
	      (e->flags & STRBUF_ESC_NO_FFFF && (cp == 0xfffe || cp == 0xffff))))
		strbuf_putn(sb, (const char *)s, k);
	else if (e->flags & STRBUF_ESC_CP_U)
		strbuf_printf(sb, "\\u%04lx", cp);
	else
		for (i = 0; i < k; i++)
			put_bad(sb, s[i], e);
}

void strbuf_put_escaped(struct strbuf *sb, const char *str, size_t n,
                        const struct strbuf_escaper *e)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;

	while (i < n && !sb->oom) {
		k = utf8_len(s + i, n - i);
		if (k == 0)
			put_bad(sb, s[i], e);
		else if (k == 1)
			put_ascii(sb, s[i], e);
		else
			put_multi(sb, s + i, k, e);
		i += k ? k : 1;
	}
}

void strbuf_put_str(struct strbuf *sb, const char *s, const struct strbuf_escaper *e)
{
	if (!s)
		s = "";
	strbuf_put_escaped(sb, s, strlen(s), e);
}
