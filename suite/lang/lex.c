/* SPDX-License-Identifier: MIT */
/*
 * The case-language lexer (see lex.h and LANGUAGE.md). It cuts the input
 * into lines (LF, with an optional CR before it), drops comments and
 * indentation, and turns each line into tokens: words, integers,
 * durations, strings and the symbols * <= +. Every byte is checked here,
 * so the parser only ever sees well-formed tokens; string escapes are
 * decoded by one stepping function used both to validate a string while
 * lexing and to decode it later, so the two can never disagree.
 */
#include "lex.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX      512 /* one formatted message before the NAME:LINE:COL prefix */
#define DESCRIBE_MAX 40  /* token bytes shown in a message before "..." */

/* Outcome of one string step. */
enum step_rc {
	STEP_OK,           /* *piece filled */
	STEP_BAD,          /* error at byte offset err->at, message in err->msg */
	STEP_UNTERMINATED, /* the line ended before the closing quote */
};

struct step_err {
	size_t at;    /* offset of the offending byte, relative to the step input */
	char msg[96]; /* what is wrong there */
};

void lex_verror(char *err, size_t errlen, const char *name, unsigned line, unsigned col,
                const char *fmt, va_list ap)
{
	char msg[MSG_MAX];

	if (err == NULL || errlen == 0)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(err, errlen, "%s:%u:%u: %s", name ? name : "<input>", line, col, msg);
}

void lex_error(char *err, size_t errlen, const char *name, unsigned line, unsigned col,
               const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lex_verror(err, errlen, name, line, col, fmt, ap);
	va_end(ap);
}

void lex_init(struct lex *lx, const char *name, const uint8_t *buf, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->name = name;
	lx->buf = buf;
	lx->len = buf ? len : 0;
	lx->line = 1;
}

void lex_free(struct lex *lx)
{
	free(lx->toks);
	lx->toks = NULL;
	lx->ntoks = 0;
	lx->cap = 0;
}

static int is_alpha(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_word_char(uint8_t c)
{
	return is_alpha(c) || is_digit(c) || c == '.' || c == '/' || c == '-';
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Byte an escape letter stands for, or -1 when it is not a simple escape. */
static int simple_escape(uint8_t c)
{
	static const char from[] = "nrt0abfve\\\"'$";
	static const uint8_t to[] = {'\n', '\r', '\t', 0,   0x07, 0x08, 0x0c,
	                             0x0b, 0x1b, '\\', '"', '\'', '$'};
	const char *p = c ? strchr(from, c) : NULL;

	return p ? to[p - from] : -1;
}

/* Decodes the escape at s[i] == '\\'. */
static enum step_rc step_escape(const uint8_t *s, size_t n, size_t i, size_t *pos,
                                struct lex_piece *pc, struct step_err *e)
{
	int hi, lo, v;

	if (i + 1 >= n)
		return STEP_UNTERMINATED;
	e->at = i;
	v = simple_escape(s[i + 1]);
	if (v >= 0) {
		pc->byte = (uint8_t)v;
		*pos = i + 2;
		return STEP_OK;
	}
	if (s[i + 1] == 'x') {
		hi = i + 2 < n ? hex_value(s[i + 2]) : -1;
		lo = i + 3 < n ? hex_value(s[i + 3]) : -1;
		if (hi < 0 || lo < 0) {
			snprintf(e->msg, sizeof(e->msg), "\\x needs exactly two hex digits");
			return STEP_BAD;
		}
		pc->byte = (uint8_t)(hi << 4 | lo);
		*pos = i + 4;
		return STEP_OK;
	}
	if (s[i + 1] > 0x20 && s[i + 1] < 0x7f)
		snprintf(e->msg, sizeof(e->msg), "unknown escape \"\\%c\"", s[i + 1]);
	else
		snprintf(e->msg, sizeof(e->msg), "unknown escape: \"\\\" followed by byte 0x%02x",
		         s[i + 1]);
	return STEP_BAD;
}

size_t lex_var_len(const uint8_t *s, size_t n)
{
	size_t j = 2;

	if (n < 4 || s[0] != '$' || s[1] != '{' || !is_alpha(s[2]))
		return 0;
	while (j < n && j - 2 < LEX_VAR_NAME_MAX + 1 && (is_alpha(s[j]) || is_digit(s[j])))
		j++;
	if (j >= n || s[j] != '}' || j - 2 > LEX_VAR_NAME_MAX)
		return 0;
	return j + 1;
}

/* One piece of a string. s[0..n) is what follows the opening quote up to
 * the end of the line; *pos indexes s. */
static enum step_rc string_step(const uint8_t *s, size_t n, size_t *pos, struct lex_piece *pc,
                                struct step_err *e)
{
	size_t i = *pos;
	uint8_t c;

	if (i >= n)
		return STEP_UNTERMINATED;
	c = s[i];
	pc->at = i;
	pc->kind = LEX_PIECE_BYTE;
	if (c == '"') {
		pc->kind = LEX_PIECE_END;
		*pos = i + 1;
		return STEP_OK;
	}
	if (c == '\\')
		return step_escape(s, n, i, pos, pc, e);
	if (c == '$') {
		if (i + 3 < n && s[i + 1] == '{' && s[i + 2] == 'i' && s[i + 3] == '}') {
			pc->kind = LEX_PIECE_INDEX;
			*pos = i + 4;
			return STEP_OK;
		}
		if (lex_var_len(s + i, n - i) > 0) {
			pc->kind = LEX_PIECE_VAR;
			pc->name_at = i + 2;
			pc->name_len = lex_var_len(s + i, n - i) - 3;
			*pos = i + pc->name_len + 3;
			return STEP_OK;
		}
		e->at = i;
		snprintf(e->msg, sizeof(e->msg),
		         "\"$\" must start ${i} or ${NAME} (write \\$ for a dollar sign)");
		return STEP_BAD;
	}
	if ((c < 0x20 && c != '\t') || c == 0x7f) {
		e->at = i;
		snprintf(e->msg, sizeof(e->msg), "control byte 0x%02x in a string (write \\x%02x)",
		         c, c);
		return STEP_BAD;
	}
	pc->byte = c;
	*pos = i + 1;
	return STEP_OK;
}

enum lex_piece_kind lex_string_next(const struct lex_token *t, size_t *pos, struct lex_piece *piece)
{
	struct step_err e;

	memset(piece, 0, sizeof(*piece));
	piece->kind = LEX_PIECE_END;
	if (t->kind != LEX_STRING || t->len < 2 ||
	    string_step(t->text + 1, t->len - 1, pos, piece, &e) != STEP_OK) {
		piece->kind = LEX_PIECE_END;
		return LEX_PIECE_END;
	}
	piece->at += 1;
	if (piece->kind == LEX_PIECE_VAR)
		piece->name_at += 1;
	return piece->kind;
}

static void describe_bytes(const uint8_t *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0, i;

	for (i = 0; i < n && i < DESCRIBE_MAX && o + 5 < outlen; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f)
			out[o++] = (char)s[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", s[i]);
	}
	if (i < n && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

void lex_describe(const struct lex_token *t, char *out, size_t outlen)
{
	char inner[DESCRIBE_MAX * 4 + 8];

	if (outlen == 0)
		return;
	if (t->kind == LEX_STRING && t->len >= 2)
		describe_bytes(t->text + 1, t->len - 2, inner, sizeof(inner));
	else
		describe_bytes(t->text, t->len, inner, sizeof(inner));
	snprintf(out, outlen, "\"%s\"", inner);
}

/* A byte that is not allowed where it stands, for a message: "X" or
 * byte 0xHH. `what` prefixes the printable form ("character "). */
static void describe_char(uint8_t c, const char *what, char *out, size_t outlen)
{
	if (c == '"')
		snprintf(out, outlen, "%s'\"'", what);
	else if (c > 0x20 && c < 0x7f)
		snprintf(out, outlen, "%s\"%c\"", what, c);
	else
		snprintf(out, outlen, "byte 0x%02x", c);
}

/* Milliseconds of the fraction digits f[0..n) times unit, rounded to the
 * nearest (halves up). Exact for any number of digits: the digits are
 * multiplied by the unit from the right, like long multiplication. */
static uint64_t fraction_ms(const uint8_t *f, size_t n, uint64_t unit)
{
	uint64_t carry = 0, t, first = 0;
	size_t k;

	for (k = n; k-- > 0;) {
		t = (uint64_t)(f[k] - '0') * unit + carry;
		carry = t / 10;
		if (k == 0)
			first = t % 10;
	}
	return carry + (first >= 5);
}

static int unit_ms(const uint8_t *u, size_t n, uint64_t *unit)
{
	if (n == 2 && memcmp(u, "ms", 2) == 0)
		*unit = 1;
	else if (n == 1 && u[0] == 's')
		*unit = 1000;
	else if (n == 3 && memcmp(u, "min", 3) == 0)
		*unit = 60000;
	else
		return -1;
	return 0;
}

/* Classifies the number-like run t->text[0..t->len) as an integer or a
 * duration; on error returns -1 with a message in msg. */
static int classify_number(struct lex_token *t, char *msg, size_t msglen)
{
	const uint8_t *s = t->text;
	size_t n = t->len, i = 0, frac = 0, nfrac = 0, k;
	uint64_t v = 0, unit;
	int big = 0;
	char shown[DESCRIBE_MAX * 4 + 8];

	lex_describe(t, shown, sizeof(shown));
	for (; i < n && is_digit(s[i]); i++) {
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			big = 1;
		else
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		frac = ++i;
		for (; i < n && is_digit(s[i]); i++)
			nfrac++;
		if (nfrac == 0)
			goto bad;
	}
	if (i == n && frac == 0) {
		if (big) {
			snprintf(msg, msglen, "integer %s is too large", shown);
			return -1;
		}
		t->kind = LEX_INT;
		t->value = v;
		return 0;
	}
	if (i == n) {
		snprintf(msg, msglen, "%s needs a unit: ms, s or min", shown);
		return -1;
	}
	if (unit_ms(s + i, n - i, &unit) < 0) {
		for (k = i; k < n && is_alpha(s[k]) && s[k] != '_'; k++)
			;
		if (k < n)
			goto bad;
		snprintf(msg, msglen, "unknown unit \"%.*s\" in %s: use ms, s or min",
		         (int)(n - i > 16 ? 16 : n - i), (const char *)s + i, shown);
		return -1;
	}
	if (big || v > LEX_DURATION_MAX_MS ||
	    v * unit + fraction_ms(s + frac, nfrac, unit) > LEX_DURATION_MAX_MS) {
		snprintf(msg, msglen, "duration %s is longer than 1 hour", shown);
		return -1;
	}
	t->kind = LEX_DURATION;
	t->value = v * unit + fraction_ms(s + frac, nfrac, unit);
	return 0;
bad:
	snprintf(msg, msglen, "bad number %s", shown);
	return -1;
}

static unsigned clamp_col(size_t off)
{
	return off >= (size_t)UINT32_MAX ? UINT32_MAX : (unsigned)(off + 1);
}

static int push_token(struct lex *lx, const struct lex_token *t)
{
	struct lex_token *grown;
	size_t cap;

	if (lx->ntoks == lx->cap) {
		cap = lx->cap ? lx->cap * 2 : 16;
		grown = realloc(lx->toks, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		lx->toks = grown;
		lx->cap = cap;
	}
	lx->toks[lx->ntoks++] = *t;
	return 0;
}

/* Where one line's bytes are, for the token scanners. */
struct line_view {
	const uint8_t *s; /* first byte of the line */
	size_t n;         /* bytes up to the end of the line (CR LF excluded) */
	unsigned line;    /* its number */
};

/* Scans a string starting at v->s[i] == '"'; sets *end past the closing
 * quote. On error fills msg and *errat (offset in the line). */
static int scan_string(const struct line_view *v, size_t i, size_t *end, size_t *errat, char *msg,
                       size_t msglen)
{
	const uint8_t *s = v->s + i + 1;
	size_t n = v->n - i - 1, pos = 0;
	struct lex_piece pc;
	struct step_err e;
	enum step_rc rc;

	for (;;) {
		rc = string_step(s, n, &pos, &pc, &e);
		if (rc == STEP_UNTERMINATED) {
			*errat = i;
			snprintf(msg, msglen, "unterminated string");
			return -1;
		}
		if (rc == STEP_BAD) {
			*errat = i + 1 + e.at;
			snprintf(msg, msglen, "%s", e.msg);
			return -1;
		}
		if (pc.kind == LEX_PIECE_END)
			break;
	}
	*end = i + 1 + pos;
	return 0;
}

/* Scans one token at v->s[i] (not a blank, not '#'); fills *t and *end.
 * On error fills msg and *errat. */
static int scan_token(const struct line_view *v, size_t i, struct lex_token *t, size_t *end,
                      size_t *errat, char *msg, size_t msglen)
{
	const uint8_t *s = v->s;
	uint8_t c = s[i];
	size_t j = i + 1;
	char shown[24];

	*errat = i;
	t->line = v->line;
	t->col = clamp_col(i);
	t->text = s + i;
	t->value = 0;
	if (is_alpha(c)) {
		while (j < v->n && is_word_char(s[j]))
			j++;
		t->kind = LEX_WORD;
	} else if (is_digit(c)) {
		while (j < v->n && (is_word_char(s[j]) && s[j] != '/' && s[j] != '-'))
			j++;
		t->len = j - i;
		t->kind = LEX_INT;
		if (classify_number(t, msg, msglen) < 0)
			return -1;
	} else if (c == '"') {
		if (scan_string(v, i, &j, errat, msg, msglen) < 0)
			return -1;
		t->kind = LEX_STRING;
	} else if (c == '$' && lex_var_len(s + i, v->n - i) > 0) {
		t->kind = LEX_VAR;
		j = i + lex_var_len(s + i, v->n - i);
	} else if (c == '*' || c == '+') {
		t->kind = c == '*' ? LEX_STAR : LEX_PLUS;
	} else if (c == '<' && j < v->n && s[j] == '=') {
		t->kind = LEX_LE;
		j++;
	} else {
		describe_char(c, "character ", shown, sizeof(shown));
		snprintf(msg, msglen, "unexpected %s", shown);
		return -1;
	}
	t->len = j - i;
	*end = j;
	return 0;
}

static int can_start_token(uint8_t c)
{
	return is_alpha(c) || is_digit(c) || c == '"' || c == '*' || c == '<' || c == '+' ||
	       c == '$';
}

/* Tokenizes one line into lx->toks. */
static int lex_line(struct lex *lx, const struct line_view *v, char *err, size_t errlen)
{
	struct lex_token t;
	size_t i = 0, end, errat;
	char msg[MSG_MAX], shown[24];

	lx->ntoks = 0;
	for (;;) {
		while (i < v->n && (v->s[i] == ' ' || v->s[i] == '\t'))
			i++;
		if (i >= v->n || v->s[i] == '#')
			return 0;
		if (scan_token(v, i, &t, &end, &errat, msg, sizeof(msg)) < 0)
			goto fail;
		if (end < v->n && v->s[end] != ' ' && v->s[end] != '\t' && v->s[end] != '#') {
			errat = end;
			describe_char(v->s[end], can_start_token(v->s[end]) ? "" : "character ",
			              shown, sizeof(shown));
			snprintf(msg, sizeof(msg), "%s %s",
			         can_start_token(v->s[end]) ? "missing space before" : "unexpected",
			         shown);
			goto fail;
		}
		if (push_token(lx, &t) < 0) {
			snprintf(msg, sizeof(msg), "out of memory");
			goto fail;
		}
		i = end;
	}
fail:
	lex_error(err, errlen, lx->name, v->line, clamp_col(errat), "%s", msg);
	return -1;
}

int lex_next_line(struct lex *lx, const struct lex_token **toks, size_t *ntoks, char *err,
                  size_t errlen)
{
	struct line_view v;
	const uint8_t *nl;
	size_t rest;

	*toks = NULL;
	*ntoks = 0;
	while (lx->pos < lx->len) {
		rest = lx->len - lx->pos;
		v.s = lx->buf + lx->pos;
		nl = memchr(v.s, '\n', rest);
		v.n = nl ? (size_t)(nl - v.s) : rest;
		lx->pos += nl ? v.n + 1 : v.n;
		if (v.n > 0 && v.s[v.n - 1] == '\r')
			v.n--;
		v.line = lx->line++;
		if (lex_line(lx, &v, err, errlen) < 0)
			return -1;
		if (lx->ntoks > 0) {
			*toks = lx->toks;
			*ntoks = lx->ntoks;
			return 1;
		}
	}
	return 0;
}

/* ---- the token cursor ---- */

const struct lex_token *lex_peek(const struct lex_cursor *c)
{
	return c->at < c->ntoks ? &c->toks[c->at] : NULL;
}

const struct lex_token *lex_take(struct lex_cursor *c)
{
	return c->at < c->ntoks ? &c->toks[c->at++] : NULL;
}

int lex_is_word(const struct lex_token *t, const char *w)
{
	return t != NULL && t->kind == LEX_WORD && strlen(w) == t->len &&
	       memcmp(t->text, w, t->len) == 0;
}

int lex_fail(const struct lex_cursor *c, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lex_verror(c->err, c->errlen, c->name, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

int lex_fail_expected(const struct lex_cursor *c, const char *what)
{
	const struct lex_token *t = lex_peek(c), *prev;
	char shown[LEX_SHOWN_MAX];

	if (t != NULL) {
		lex_describe(t, shown, sizeof(shown));
		return lex_fail(c, t->line, t->col, "expected %s, got %s", what, shown);
	}
	if (c->ntoks == 0)
		return lex_fail(c, 1, 1, "expected %s", what);
	prev = &c->toks[c->at > 0 ? c->at - 1 : 0];
	lex_describe(prev, shown, sizeof(shown));
	return lex_fail(c, prev->line, clamp_col((size_t)prev->col - 1 + prev->len),
	                "expected %s after %s", what, shown);
}

int lex_take_int(struct lex_cursor *c, const char *what, const char *label, uint64_t min,
                 uint64_t max, uint64_t *v)
{
	const struct lex_token *t = lex_peek(c);

	if (t == NULL || t->kind != LEX_INT)
		return lex_fail_expected(c, what);
	lex_take(c);
	*v = t->value;
	if (*v >= min && *v <= max)
		return 0;
	if (max >= (uint64_t)LONG_MAX && *v < min)
		return lex_fail(c, t->line, t->col, "%s must be at least %" PRIu64, label, min);
	if (max >= (uint64_t)LONG_MAX)
		return lex_fail(c, t->line, t->col, "%s %" PRIu64 " is too large", label, *v);
	return lex_fail(c, t->line, t->col, "%s %" PRIu64 " is out of range %" PRIu64 "..%" PRIu64,
	                label, *v, min, max);
}

int lex_take_duration(struct lex_cursor *c, uint64_t *ms)
{
	const struct lex_token *t = lex_peek(c);
	char shown[LEX_SHOWN_MAX];

	if (t != NULL && t->kind == LEX_INT) {
		lex_describe(t, shown, sizeof(shown));
		return lex_fail(c, t->line, t->col,
		                "%s is not a duration: add a unit (ms, s or min)", shown);
	}
	if (t == NULL || t->kind != LEX_DURATION)
		return lex_fail_expected(c, "a duration (like 250ms, 2s or 1min)");
	lex_take(c);
	*ms = t->value;
	return 0;
}

int lex_take_name(struct lex_cursor *c, const char *what, const char *const *reserved, char *out,
                  size_t outlen, const struct lex_token **tok)
{
	const struct lex_token *t = lex_peek(c);
	char expected[64], shown[LEX_SHOWN_MAX];
	size_t i;

	snprintf(expected, sizeof(expected), "a %s name", what);
	if (t == NULL || t->kind != LEX_WORD)
		return lex_fail_expected(c, expected);
	lex_take(c);
	*tok = t;
	lex_describe(t, shown, sizeof(shown));
	for (i = 0; i < t->len; i++) {
		uint8_t ch = t->text[i];

		if (!((ch >= 'a' && ch <= 'z') || (i > 0 && (is_digit(ch) || ch == '_'))))
			return lex_fail(c, t->line, t->col,
			                "bad %s name %s: use a lowercase letter, then lowercase "
			                "letters, digits or _",
			                what, shown);
	}
	if (t->len >= outlen)
		return lex_fail(c, t->line, t->col, "%s name %s is longer than %zu bytes", what,
		                shown, outlen - 1);
	for (i = 0; reserved != NULL && reserved[i] != NULL; i++)
		if (lex_is_word(t, reserved[i]))
			return lex_fail(c, t->line, t->col, "%s is a reserved word, not a %s name",
			                shown, what);
	memcpy(out, t->text, t->len);
	out[t->len] = '\0';
	return 0;
}

int lex_take_end(struct lex_cursor *c, const struct lex_token *kw)
{
	const struct lex_token *t = lex_peek(c);
	char shown[LEX_SHOWN_MAX];

	if (t == NULL)
		return 0;
	lex_describe(t, shown, sizeof(shown));
	return lex_fail(c, t->line, t->col, "unexpected %s after the %.*s statement", shown,
	                (int)kw->len, (const char *)kw->text);
}
