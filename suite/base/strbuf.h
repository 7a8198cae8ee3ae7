/* SPDX-License-Identifier: MIT */
/*
 * strbuf: a growable NUL-terminated string that the report renderers
 * append to, and escaped appends that keep any input bytes valid in the
 * output format. Allocation failure is sticky: once an append fails every
 * later one is a no-op, so formatting code reads straight through and the
 * failure is checked once, at the end (strbuf_finish()). Pure: no I/O, no
 * globals.
 */
#ifndef SOCKSPEC_STRBUF_H
#define SOCKSPEC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define STRBUF_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define STRBUF_PRINTF_LIKE(f, a)
#endif

/* A growable NUL-terminated string; oom is sticky. Start it as
 * {NULL, 0, 0, 0}. */
struct strbuf {
	char *buf;  /* NULL until the first append */
	size_t len; /* bytes in buf, NUL excluded */
	size_t cap; /* bytes allocated */
	int oom;    /* an allocation failed: every later append is a no-op */
};

/* How one output format writes the characters of a string. A character
 * is an ASCII byte, a well-formed multi-byte UTF-8 sequence, or a byte
 * that belongs to no well-formed sequence ("bad"). */
struct strbuf_escaper {
	const char *backslashed; /* ASCII bytes written as a backslash and themselves */
	unsigned flags;          /* STRBUF_ESC_* */
};

#define STRBUF_ESC_RAW_LF  0x001 /* LF passes raw */
#define STRBUF_ESC_RAW_TAB 0x002 /* TAB passes raw */
#define STRBUF_ESC_C       0x004 /* LF, CR, TAB as \n \r \t */
#define STRBUF_ESC_XML     0x008 /* & < > " ' CR LF TAB as XML references */
#define STRBUF_ESC_CTL_U   0x010 /* other controls as \u00NN; without it \xNN */
#define STRBUF_ESC_BAD_U   0x020 /* bad bytes as \u00NN; without it \xNN */
#define STRBUF_ESC_NO_C1   0x040 /* U+0080..U+009F are escaped too */
#define STRBUF_ESC_NO_FFFF 0x080 /* U+FFFE and U+FFFF are escaped too */
#define STRBUF_ESC_CP_U    0x100 /* escaped code points as \uNNNN; without it their bytes as bad */

/* Appends the n bytes at s, unescaped. */
void strbuf_putn(struct strbuf *sb, const char *s, size_t n);

/* Appends the string s, unescaped. */
void strbuf_puts(struct strbuf *sb, const char *s);

/* Appends the byte c. */
void strbuf_putc(struct strbuf *sb, char c);

/* Appends n spaces. */
void strbuf_pad(struct strbuf *sb, size_t n);

/* Appends printf-style formatted text. */
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) STRBUF_PRINTF_LIKE(2, 3);

/* The same with a va_list. */
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) STRBUF_PRINTF_LIKE(2, 0);

/* The text so far: "" when empty or after an allocation failure. */
const char *strbuf_text(const struct strbuf *sb);

/* Frees the text; sb is empty and usable again. */
void strbuf_release(struct strbuf *sb);

/* Appends the n bytes at str, each character written as e says. */
void strbuf_put_escaped(struct strbuf *sb, const char *str, size_t n,
                        const struct strbuf_escaper *e);

/* Appends the string s (NULL is ""), written as e says. */
void strbuf_put_str(struct strbuf *sb, const char *s, const struct strbuf_escaper *e);

/* Hands the string over (*out, caller frees; *len when len is not NULL),
 * an empty string if nothing was appended; sb is left empty. Returns 0,
 * or -1 when memory ran out on the way: then the buffer is freed and
 * *out left alone. */
int strbuf_finish(struct strbuf *sb, char **out, size_t *len);

#endif
