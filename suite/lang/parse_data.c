/* SPDX-License-Identifier: MIT */
/*
 * DATA and regex patterns (see parse_data.h). Every term appends pieces
 * (struct plan_seg) straight into the caller's plan_bytes, keeping nsegs
 * in step with what is allocated, so a failure at any point leaves
 * something plan_free() can release. Sizes are checked before anything is
 * allocated: the rendered length (with ${i} counted at its widest) and the
 * number of pieces, which "* N" over a string holding ${i} multiplies,
 * since a plan_seg can repeat one piece but not a group of them.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "parse_data.h"

#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A DATA being built: the target plus running totals. */
struct data_build {
	struct lex_cursor *c; /* tokens and error context */
	int index_ok;         /* ${i} allowed */
	struct plan_bytes *b; /* target (pieces owned by the caller's plan) */
	size_t cap;           /* allocated entries of b->segs */
	uint64_t total;       /* rendered length, ${i} counted as PARSE_DATA_INDEX_WIDTH */
	const struct parse_data_vars *vars; /* variables ${NAME} may use (NULL: none) */
};

#define fail_tok(d, t, ...) lex_fail((d)->c, (t)->line, (t)->col, __VA_ARGS__)

static uint64_t seg_width(const struct plan_seg *s)
{
	return s->kind == PLAN_SEG_INDEX ? PARSE_DATA_INDEX_WIDTH
	       : s->kind == PLAN_SEG_VAR ? 0 /* a captured value: its size is known when run */
	                                 : s->len;
}

static int push_copy_kind(struct data_build *d, const struct lex_token *at, enum plan_seg_kind kind,
                          const uint8_t *buf, size_t n);

/* Whether a ${NAME} may use the variable name[0..len). */
static int var_known(const struct parse_data_vars *vars, const uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; vars != NULL && i < vars->n; i++)
		if (strlen(vars->v[i]) == len && memcmp(vars->v[i], name, len) == 0)
			return 1;
	return 0;
}

/* A ${NAME} piece of string t: checked, then appended (its name as bytes). */
static int push_var(struct data_build *d, const struct lex_token *t, const struct lex_piece *pc)
{
	const uint8_t *name = t->text + pc->name_at;

	if (!var_known(d->vars, name, pc->name_len))
		return lex_fail(d->c, t->line, t->col + (unsigned)pc->at,
		                "unknown variable \"%.*s\": capture it first with a named group, "
		                "like regex \"(?<%.*s>[0-9]+)\"",
		                (int)pc->name_len, (const char *)name, (int)pc->name_len,
		                (const char *)name);
	return push_copy_kind(d, t, PLAN_SEG_VAR, name, pc->name_len);
}

/* Appends a piece; takes ownership of bytes even on failure. */
static int seg_push(struct data_build *d, const struct lex_token *at, enum plan_seg_kind kind,
                    uint8_t *bytes, size_t len)
{
	struct plan_seg *grown;
	size_t cap;

	if (d->b->nsegs >= PARSE_DATA_SEGS_MAX) {
		free(bytes);
		return fail_tok(d, at, "data too complex: more than %d pieces",
		                PARSE_DATA_SEGS_MAX);
	}
	if (d->b->nsegs == d->cap) {
		cap = d->cap ? d->cap * 2 : 4;
		grown = realloc(d->b->segs, cap * sizeof(*grown));
		if (grown == NULL) {
			free(bytes);
			return fail_tok(d, at, "out of memory");
		}
		d->b->segs = grown;
		d->cap = cap;
	}
	d->b->segs[d->b->nsegs] = (struct plan_seg){kind, bytes, len, 1};
	d->total += seg_width(&d->b->segs[d->b->nsegs++]);
	return 0;
}

/* Appends a copy of buf[0..n) as a piece of that kind. */
static int push_copy_kind(struct data_build *d, const struct lex_token *at, enum plan_seg_kind kind,
                          const uint8_t *buf, size_t n)
{
	uint8_t *copy = NULL;

	if (n > 0) {
		copy = malloc(n);
		if (copy == NULL)
			return fail_tok(d, at, "out of memory");
		memcpy(copy, buf, n);
	}
	return seg_push(d, at, kind, copy, n);
}

/* Appends a copy of buf[0..n) as a BYTES piece. */
static int push_copy(struct data_build *d, const struct lex_token *at, const uint8_t *buf, size_t n)
{
	return push_copy_kind(d, at, PLAN_SEG_BYTES, buf, n);
}

/* A string term: bytes, cut into pieces at every ${i}. */
static int term_string(struct data_build *d, const struct lex_token *t)
{
	struct lex_piece pc;
	size_t pos = 0, n = 0, first = d->b->nsegs;
	uint8_t *buf = malloc(t->len);
	int rc = -1;

	if (buf == NULL)
		return fail_tok(d, t, "out of memory");
	while (lex_string_next(t, &pos, &pc) != LEX_PIECE_END) {
		if (pc.kind == LEX_PIECE_BYTE) {
			buf[n++] = pc.byte;
			continue;
		}
		if (pc.kind == LEX_PIECE_VAR) {
			if ((n > 0 && push_copy(d, t, buf, n) < 0) || push_var(d, t, &pc) < 0)
				goto out;
			n = 0;
			continue;
		}
		if (!d->index_ok) {
			lex_fail(d->c, t->line, t->col + (unsigned)pc.at,
			         "${i} outside parallel/repeat");
			goto out;
		}
		if ((n > 0 && push_copy(d, t, buf, n) < 0) ||
		    seg_push(d, t, PLAN_SEG_INDEX, NULL, 0) < 0)
			goto out;
		n = 0;
	}
	if ((n > 0 || d->b->nsegs == first) && push_copy(d, t, buf, n) < 0)
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* hex "0a 0b": pairs of hex digits, blanks between pairs. */
static int term_hex(struct data_build *d, const struct lex_token *t)
{
	struct lex_piece pc;
	size_t pos = 0, n = 0;
	uint8_t *buf = malloc(t->len);
	unsigned half_col = 0;
	int hi = -1, v;

	if (buf == NULL)
		return fail_tok(d, t, "out of memory");
	while (lex_string_next(t, &pos, &pc) != LEX_PIECE_END) {
		unsigned col = t->col + (unsigned)pc.at;

		if (pc.kind == LEX_PIECE_INDEX || pc.kind == LEX_PIECE_VAR) {
			lex_fail(d->c, t->line, col, "%s is not allowed in hex data",
			         pc.kind == LEX_PIECE_INDEX ? "${i}" : "a variable");
			goto fail;
		}
		v = hex_digit(pc.byte);
		if (v < 0 && (pc.byte == ' ' || pc.byte == '\t')) {
			if (hi >= 0)
				goto odd;
			continue;
		}
		if (v < 0) {
			if (pc.byte > 0x20 && pc.byte < 0x7f)
				lex_fail(d->c, t->line, col, "bad hex digit \"%c\"", pc.byte);
			else
				lex_fail(d->c, t->line, col, "bad hex digit: byte 0x%02x", pc.byte);
			goto fail;
		}
		if (hi < 0) {
			hi = v;
			half_col = col;
		} else {
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto odd;
	v = push_copy(d, t, buf, n);
	free(buf);
	return v;
odd:
	lex_fail(d->c, t->line, half_col, "odd hex digit: hex bytes need two digits each");
fail:
	free(buf);
	return -1;
}

/* range A B: the bytes A, A+1, ..., B. */
static int term_range(struct data_build *d, const struct lex_token *kw)
{
	const struct lex_token *bt;
	uint8_t buf[256];
	uint64_t a, b, i;

	if (lex_take_int(d->c, "a byte value (0 to 255)", "byte", 0, 255, &a) < 0)
		return -1;
	bt = lex_peek(d->c);
	if (lex_take_int(d->c, "a byte value (0 to 255)", "byte", 0, 255, &b) < 0)
		return -1;
	if (a > b)
		return fail_tok(
		    d, bt, "range %" PRIu64 " %" PRIu64 " is backwards: A must not exceed B", a, b);
	for (i = a; i <= b; i++)
		buf[i - a] = (uint8_t)i;
	return push_copy(d, kw, buf, (size_t)(b - a + 1));
}

/* "* N" after the term whose pieces start at `first`. */
static int term_repeat(struct data_build *d, size_t first, uint64_t before)
{
	const struct lex_token *nt = lex_peek(d->c);
	uint64_t n, width = d->total - before, i;
	size_t k, nterm = d->b->nsegs - first;
	struct plan_seg *s;

	if (lex_take_int(d->c, "a repeat count", "repeat count", 1, SIZE_MAX, &n) < 0)
		return -1;
	if (width != 0 && n > (PARSE_DATA_MAX - before) / width)
		return fail_tok(d, nt, "data too long");
	if (nterm == 1) {
		d->b->segs[first].repeat = (size_t)n;
		d->total = before + width * n;
		return 0;
	}
	if (n > PARSE_DATA_SEGS_MAX || (uint64_t)first + (uint64_t)nterm * n > PARSE_DATA_SEGS_MAX)
		return fail_tok(d, nt, "data too complex: more than %d pieces",
		                PARSE_DATA_SEGS_MAX);
	for (i = 1; i < n; i++) {
		for (k = 0; k < nterm; k++) {
			s = &d->b->segs[first + k];
			if (s->kind == PLAN_SEG_INDEX ? seg_push(d, nt, PLAN_SEG_INDEX, NULL, 0)
			                              : push_copy(d, nt, s->bytes, s->len))
				return -1;
		}
	}
	return 0;
}

static int parse_term(struct data_build *d);

/* u8|u16be|u32be TERM ["* N"]: the term's length in `width` big-endian
 * bytes, then the term. Its length must be known when the case is read. */
static int term_prefix(struct data_build *d, const struct lex_token *kw, unsigned width)
{
	const struct lex_token *t = lex_peek(d->c);
	uint64_t before, len, max = width == 4 ? UINT32_MAX : ((uint64_t)1 << (8 * width)) - 1;
	size_t at = d->b->nsegs, first, i;
	uint8_t be[4] = {0};
	int rc;

	if (t == NULL || lex_is_word(t, "u8") || lex_is_word(t, "u16be") || lex_is_word(t, "u32be"))
		return lex_fail_expected(d->c, "a string, hex \"...\" or range A B to measure");
	if (push_copy(d, kw, be, width) < 0) /* filled in below */
		return -1;
	first = d->b->nsegs;
	before = d->total;
	rc = parse_term(d);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return lex_fail_expected(d->c, "a string, hex \"...\" or range A B to measure");
	if (lex_peek(d->c) != NULL && lex_peek(d->c)->kind == LEX_STAR) {
		lex_take(d->c);
		if (term_repeat(d, first, before) < 0)
			return -1;
	}
	for (i = first; i < d->b->nsegs; i++)
		if (d->b->segs[i].kind != PLAN_SEG_BYTES)
			return fail_tok(d, kw, "%.*s needs data of a known length: no ${...} in it",
			                (int)kw->len, (const char *)kw->text);
	len = d->total - before;
	if (len > max)
		return fail_tok(
		    d, kw, "%.*s cannot hold a length of %" PRIu64 " bytes (at most %" PRIu64 ")",
		    (int)kw->len, (const char *)kw->text, len, max);
	for (i = 0; i < width; i++)
		d->b->segs[at].bytes[i] = (uint8_t)(len >> (8 * (width - 1 - i)));
	return 0;
}

/* One term at the cursor (which holds a string, hex or range); 1 when
 * the cursor holds none. */
static int parse_term(struct data_build *d)
{
	const struct lex_token *t = lex_peek(d->c);

	if (lex_is_word(t, "u8") || lex_is_word(t, "u16be") || lex_is_word(t, "u32be"))
		return term_prefix(d, lex_take(d->c), t->len == 2 ? 1 : t->text[1] == '1' ? 2 : 4);
	if (t->kind == LEX_STRING)
		return term_string(d, lex_take(d->c));
	if (lex_is_word(t, "range"))
		return term_range(d, lex_take(d->c));
	if (!lex_is_word(t, "hex"))
		return 1;
	lex_take(d->c);
	if (lex_peek(d->c) == NULL || lex_peek(d->c)->kind != LEX_STRING)
		return lex_fail_expected(d->c, "a string of hex digits");
	return term_hex(d, lex_take(d->c));
}

int parse_data_bytes(struct lex_cursor *c, int index_ok, struct plan_bytes *out)
{
	return parse_data_bytes_vars(c, index_ok, NULL, out);
}

int parse_data_bytes_vars(struct lex_cursor *c, int index_ok, const struct parse_data_vars *vars,
                          struct plan_bytes *out)
{
	struct data_build d = {c, index_ok, out, out->nsegs, 0, vars};
	const struct lex_token *t;
	int prefixed;
	uint64_t before;
	size_t first;
	int rc, terms = 0;

	while ((t = lex_peek(c)) != NULL) {
		first = out->nsegs;
		before = d.total;
		prefixed =
		    lex_is_word(t, "u8") || lex_is_word(t, "u16be") || lex_is_word(t, "u32be");
		rc = parse_term(&d);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
		if (d.total > PARSE_DATA_MAX)
			return lex_fail(c, t->line, t->col, "data too long");
		if (!prefixed && lex_peek(c) != NULL && lex_peek(c)->kind == LEX_STAR) {
			lex_take(c);
			if (term_repeat(&d, first, before) < 0)
				return -1;
		}
		terms++;
	}
	if (terms == 0)
		return lex_fail_expected(c, "data (a string, hex \"...\" or range A B)");
	return 0;
}

int parse_data_text(struct lex_cursor *c, const char *what, char **out)
{
	const struct lex_token *t = lex_peek(c);
	struct lex_piece pc;
	size_t pos = 0, n = 0;
	char *text;

	*out = NULL;
	if (t == NULL || t->kind != LEX_STRING)
		return lex_fail_expected(c, "a string");
	lex_take(c);
	text = malloc(t->len);
	if (text == NULL)
		return lex_fail(c, t->line, t->col, "out of memory");
	while (lex_string_next(t, &pos, &pc) != LEX_PIECE_END) {
		unsigned col = t->col + (unsigned)pc.at;

		if (pc.kind == LEX_PIECE_INDEX || pc.byte < 0x20) {
			if (pc.kind == LEX_PIECE_INDEX)
				lex_fail(c, t->line, col, "${i} outside parallel/repeat");
			else
				lex_fail(c, t->line, col,
				         "control byte 0x%02x in %s: it must be one line", pc.byte,
				         what);
			free(text);
			return -1;
		}
		text[n++] = (char)pc.byte;
	}
	text[n] = '\0';
	*out = text;
	return 0;
}

/* Whether string t holds a ${NAME}. */
static int string_has_var(const struct lex_token *t)
{
	struct lex_piece pc;
	size_t pos = 0;
	enum lex_piece_kind k;

	while ((k = lex_string_next(t, &pos, &pc)) != LEX_PIECE_END)
		if (k == LEX_PIECE_VAR)
			return 1;
	return 0;
}

/* Column of the byte at decoded offset `off` of string t (the closing
 * quote when off is its length): PCRE2 reports offsets in the decoded
 * pattern, the user reads columns in the escaped source. */
static unsigned decoded_col(const struct lex_token *t, size_t off)
{
	struct lex_piece pc;
	size_t pos = 0, n = 0;

	while (lex_string_next(t, &pos, &pc) != LEX_PIECE_END && n < off)
		n++;
	return t->col + (unsigned)pc.at;
}

int parse_data_regex(struct lex_cursor *c, int index_ok, struct plan_bytes *out)
{
	struct data_build d = {c, index_ok, out, out->nsegs, 0, NULL};
	const struct lex_token *t = lex_peek(c);
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *code;
	int errcode;
	size_t i;

	if (t == NULL || t->kind != LEX_STRING)
		return lex_fail_expected(c, "a regex string");
	lex_take(c);
	if (term_string(&d, t) < 0)
		return -1;
	for (i = 0; i < out->nsegs; i++)
		if (out->segs[i].kind == PLAN_SEG_INDEX)
			return 0; /* compiled at run time, once ${i} is known */
	code = pcre2_compile(out->segs[0].bytes ? out->segs[0].bytes : (PCRE2_SPTR) "",
	                     out->segs[0].len, 0, &errcode, &off, NULL);
	if (code != NULL) {
		pcre2_code_free(code);
		return 0;
	}
	if (pcre2_get_error_message(errcode, msg, sizeof(msg) / sizeof(msg[0])) < 0)
		snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", errcode);
	return lex_fail(c, t->line, decoded_col(t, off), "bad regex: %s", (const char *)msg);
}

/* Length of the group name at s[0..n) (after "(?<", "(?'" or "(?P<"),
 * ended by `close`; 0 when it is not one. */
static size_t group_name(const uint8_t *s, size_t n, uint8_t close)
{
	size_t j = 0;

	if (n == 0 || (!((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z') && s[0] != '_'))
		return 0;
	while (j < n && (((s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z') ||
	                 (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
		j++;
	return j < n && s[j] == close ? j : 0;
}

/* Fills groups with the named groups of the pattern's BYTES pieces. */
static int regex_groups(struct lex_cursor *c, const struct lex_token *t,
                        const struct plan_bytes *pat, struct parse_data_groups *groups)
{
	size_t i, k, skip, len, g;

	groups->n = 0;
	for (i = 0; i < pat->nsegs; i++) {
		const uint8_t *s = pat->segs[i].bytes;
		size_t n = pat->segs[i].kind == PLAN_SEG_BYTES ? pat->segs[i].len : 0;

		for (k = 0; k < n; k++) {
			if (s[k] == '\\') {
				k++;
				continue;
			}
			if (s[k] != '(' || k + 3 >= n || s[k + 1] != '?')
				continue;
			skip = s[k + 2] == 'P' && s[k + 3] == '<'    ? 4
			       : s[k + 2] == '<' || s[k + 2] == '\'' ? 3
			                                             : 0;
			len = skip ? group_name(s + k + skip, n - k - skip,
			                        s[k + skip - 1] == '<' ? '>' : '\'')
			           : 0;
			if (len == 0)
				continue;
			if (len == 1 && s[k + skip] == 'i')
				return lex_fail(
				    c, t->line, t->col,
				    "group name \"i\" is taken by ${i}: choose another");
			if (len >= PLAN_NAME_MAX)
				return lex_fail(c, t->line, t->col,
				                "group name \"%.*s\" is longer than %d bytes",
				                (int)len, (const char *)s + k + skip,
				                PLAN_NAME_MAX - 1);
			for (g = 0; g < groups->n; g++)
				if (strlen(groups->v[g]) == len &&
				    !memcmp(groups->v[g], s + k + skip, len))
					break;
			if (g < groups->n)
				continue;
			if (groups->n == PLAN_VARS_MAX)
				return lex_fail(c, t->line, t->col, "more than %d named groups",
				                PLAN_VARS_MAX);
			memcpy(groups->v[groups->n], s + k + skip, len);
			groups->v[groups->n++][len] = '\0';
		}
	}
	return 0;
}

int parse_data_regex_vars(struct lex_cursor *c, int index_ok, const struct parse_data_vars *vars,
                          struct plan_bytes *out, struct parse_data_groups *groups)
{
	const struct lex_token *t = lex_peek(c);
	struct data_build d = {c, index_ok, out, out->nsegs, 0, vars};

	if (t == NULL || t->kind != LEX_STRING)
		return lex_fail_expected(c, "a regex string");
	if (groups != NULL)
		groups->n = 0;
	/* a pattern with a variable is compiled when the case runs, like ${i} */
	if (vars == NULL || vars->n == 0 || !string_has_var(t))
		return parse_data_regex(c, index_ok, out) < 0 ||
		               (groups != NULL && regex_groups(c, t, out, groups) < 0)
		           ? -1
		           : 0;
	lex_take(c);
	if (term_string(&d, t) < 0)
		return -1;
	return groups != NULL ? regex_groups(c, t, out, groups) : 0;
}
