/* SPDX-License-Identifier: MIT */
/*
 * lex: the case-language lexer. The language is line-oriented, so the
 * lexer hands the parser one statement line at a time: the tokens of the
 * next line that holds any, each with its 1-based line and byte column
 * and a pointer into the caller's buffer (tokens own no memory). Strings
 * are validated here but decoded lazily, piece by piece, with
 * lex_string_next(), so the parser can build data without a second
 * escape decoder. It also offers a cursor over one line's tokens, with
 * the typed reads (integers, durations, names) and the error messages that
 * parse.c and parse_data.c share, so every message has the same shape.
 * Pure: no I/O, no globals, any bytes accepted.
 */
#ifndef SOCKSPEC_LEX_H
#define SOCKSPEC_LEX_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define LEX_DURATION_MAX_MS 3600000u /* durations are at most one hour */
#define LEX_SHOWN_MAX       200      /* lex_describe() never needs more */

enum lex_kind {
	LEX_WORD,     /* [A-Za-z_][A-Za-z0-9_./-]* */
	LEX_INT,      /* [0-9]+, value in .value */
	LEX_DURATION, /* 250ms, 1.5s, 1min; milliseconds in .value */
	LEX_STRING,   /* "...", text includes both quotes */
	LEX_STAR,     /* * */
	LEX_LE,       /* <= */
	LEX_PLUS,     /* + */
	LEX_VAR,      /* ${NAME} outside a string: a capture variable's value */
};

struct lex_token {
	enum lex_kind kind;  /* see above */
	unsigned line, col;  /* where the token starts, 1-based (col in bytes) */
	const uint8_t *text; /* source bytes of the token, inside the lexed buffer */
	size_t len;          /* bytes at text */
	uint64_t value;      /* INT: the number; DURATION: milliseconds */
};

/* One decoded piece of a string: a byte or the ${i} placeholder. */
enum lex_piece_kind {
	LEX_PIECE_BYTE,  /* .byte holds one decoded byte */
	LEX_PIECE_INDEX, /* ${i} */
	LEX_PIECE_VAR,   /* ${NAME}: a capture variable, its name at .name_at */
	LEX_PIECE_END,   /* the closing quote: no more pieces */
};

struct lex_piece {
	enum lex_piece_kind kind; /* see above */
	uint8_t byte;             /* BYTE: the decoded byte */
	size_t at;                /* offset in the token text where the piece starts */
	size_t name_at, name_len; /* VAR: the name's offset in the token text, its bytes */
};

#define LEX_VAR_NAME_MAX 31 /* bytes of a variable name */

/* Length of the ${NAME} (NAME: a letter or _, then letters, digits or _,
 * at most LEX_VAR_NAME_MAX bytes) starting at s[0..n) with s[0] == '$',
 * or 0 when there is none. */
size_t lex_var_len(const uint8_t *s, size_t n);

/* Lexer state over one buffer. Fields are private to lex.c. */
struct lex {
	const char *name;       /* file name for messages */
	const uint8_t *buf;     /* the whole input */
	size_t len;             /* bytes at buf */
	size_t pos;             /* start of the next unread line */
	unsigned line;          /* number of the next unread line */
	struct lex_token *toks; /* tokens of the current line (owned) */
	size_t ntoks, cap;      /* used and allocated entries of toks */
};

/* Prepares lx to read buf (len bytes, need not be NUL-terminated) of the
 * file called name; both must outlive lx. Never fails; release with
 * lex_free(). */
void lex_init(struct lex *lx, const char *name, const uint8_t *buf, size_t len);

/* Releases the token array; lx may be passed to lex_init() again. */
void lex_free(struct lex *lx);

/* Reads the next line that holds at least one token (blank and
 * comment-only lines are skipped). Returns 1 and points *toks / *ntoks at
 * its tokens (owned by lx, valid until the next call), 0 at the end of the
 * input, or -1 with "NAME:LINE:COL: message" in err on a lexical error or
 * when memory ran out. */
int lex_next_line(struct lex *lx, const struct lex_token **toks, size_t *ntoks, char *err,
                  size_t errlen);

/* Steps through a LEX_STRING token produced by lex_next_line(): fills
 * *piece with the piece starting at *pos (begin with *pos = 0) and
 * advances *pos. Returns LEX_PIECE_END at the closing quote. The token
 * was validated when it was lexed, so this cannot fail. */
enum lex_piece_kind lex_string_next(const struct lex_token *t, size_t *pos,
                                    struct lex_piece *piece);

/* Writes a printable rendering of t into out (always NUL-terminated when
 * outlen > 0): words and numbers in double quotes, strings as written;
 * bytes outside printable ASCII as \xHH; long tokens cut with "...". */
void lex_describe(const struct lex_token *t, char *out, size_t outlen);

/* A cursor over the tokens of one line, plus the error context that the
 * parsers report through. Filled by the parser; tokens owned by the lex. */
struct lex_cursor {
	const struct lex_token *toks; /* tokens of the line */
	size_t ntoks;                 /* entries in toks */
	size_t at;                    /* index of the next unread token */
	const char *name;             /* file name for messages */
	char *err;                    /* caller's error buffer */
	size_t errlen;                /* its size */
};

/* The next unread token, or NULL at the end of the line. */
const struct lex_token *lex_peek(const struct lex_cursor *c);

/* Like lex_peek(), and moves past the token. */
const struct lex_token *lex_take(struct lex_cursor *c);

/* Whether t (may be NULL) is the word w. */
int lex_is_word(const struct lex_token *t, const char *w);

/* Formats "NAME:LINE:COL: message" into the cursor's error buffer.
 * Always returns -1, so callers can `return lex_fail(...)`. */
int lex_fail(const struct lex_cursor *c, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reports that `what` was expected: "expected WHAT, got X" at the next
 * token, or "expected WHAT after X" just past the last token when the
 * line has ended. Returns -1. */
int lex_fail_expected(const struct lex_cursor *c, const char *what);

/* Takes an integer in min..max into *v. A missing or non-integer token is
 * reported with lex_fail_expected(what); one out of range as
 * "LABEL N is out of range MIN..MAX" (or "must be at least" / "is too
 * large" when max is unbounded, >= LONG_MAX). Returns 0 or -1. */
int lex_take_int(struct lex_cursor *c, const char *what, const char *label, uint64_t min,
                 uint64_t max, uint64_t *v);

/* Takes a duration into *ms; a bare integer gets a hint to add a unit.
 * Returns 0 or -1. */
int lex_take_duration(struct lex_cursor *c, uint64_t *ms);

/* Takes a name (a connection or snapshot name: `what`): a word of a
 * lowercase letter, then lowercase letters, digits or _, shorter than
 * outlen bytes and not one of the NULL-terminated `reserved` words. Copies
 * it NUL-terminated into out and points *tok at its token. Returns 0 or
 * -1. */
int lex_take_name(struct lex_cursor *c, const char *what, const char *const *reserved, char *out,
                  size_t outlen, const struct lex_token **tok);

/* Checks that the statement begun by keyword kw has ended: returns 0 at
 * the end of the line, else -1 with `unexpected "X" after the KW
 * statement`. */
int lex_take_end(struct lex_cursor *c, const struct lex_token *kw);

/* Formats "NAME:LINE:COL: message" into err (when err and errlen > 0).
 * Shared with the parser so every message has the same shape. */
void lex_error(char *err, size_t errlen, const char *name, unsigned line, unsigned col,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* lex_error() with a va_list. */
void lex_verror(char *err, size_t errlen, const char *name, unsigned line, unsigned col,
                const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

#endif
