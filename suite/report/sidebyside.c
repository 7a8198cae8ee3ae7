/* SPDX-License-Identifier: MIT */
/*
 * Expected and received bytes side by side (see sidebyside.h). The view
 * is laid out in rows first (which bytes of each side a row holds), then
 * the rows around the first difference are written, with column widths
 * taken from the rows actually shown.
 */
#include "sidebyside.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFSET_HEAD "offset"

/* One row: the bytes [ea, eb) of the expected window and [ra, rb) of
 * the received one (empty ranges when a side has none there). */
struct row {
	uint64_t offset; /* offset of the row's received (and expected) bytes */
	int has_offset;  /* 0: a pattern row beside no received bytes */
	size_t ea, eb;   /* expected bytes */
	size_t ra, rb;   /* received bytes */
};

/* The rows of a view and which of them are shown. */
struct layout {
	struct row *rows; /* owned */
	size_t n;         /* rows */
	size_t first;     /* first shown */
	size_t last;      /* last shown */
	size_t diff_row;  /* the row of the first difference; n when none */
	size_t diff_rel;  /* the first difference, relative to b->from */
};

/* Byte c as a case file or a C string writes it, into out; returns its
 * width. The pattern escapes '$' too, as the case language requires. */
static size_t esc(uint8_t c, int pattern, char out[5])
{
	static const char from[] = "\n\r\t\\\"", to[] = "nrt\\\"";
	const char *p = c ? strchr(from, c) : NULL;

	if (p || (pattern && c == '$')) {
		out[0] = '\\';
		out[1] = p ? to[p - from] : '$';
		out[2] = '\0';
	} else if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		out[1] = '\0';
	} else {
		snprintf(out, 5, "\\x%02x", c);
	}
	return strlen(out);
}

static size_t width(const uint8_t *data, size_t a, size_t b, int pattern)
{
	char tmp[5];
	size_t w = 0;

	for (size_t i = a; i < b; i++)
		w += esc(data[i], pattern, tmp);
	return w;
}

/* The end of the byte-aligned row starting at pos (window offsets). */
static size_t next_row(const struct report_bytes *b, size_t pos, size_t end)
{
	size_t we = 0, wr = 0, n = 0, e, r;
	char tmp[5];

	while (pos + n < end && n < SIDEBYSIDE_ROW_BYTES) {
		size_t i = pos + n;
		e = i < b->expected_len ? esc(b->expected[i], 0, tmp) : 0;
		r = i < b->received_len ? esc(b->received[i], 0, tmp) : 0;
		if (n > 0 && (we + e > SIDEBYSIDE_CELL || wr + r > SIDEBYSIDE_CELL))
			break;
		we += e;
		wr += r;
		n++;
		if ((i < b->expected_len ? b->expected[i] : b->received[i]) == '\n')
			break;
	}
	return pos + n;
}

/* The end of a one-sided row starting at pos: a pattern breaks on width
 * alone (its LF is \n, not a line), received bytes after an LF too. */
static size_t next_piece(const uint8_t *data, size_t pos, size_t len, int pattern)
{
	size_t w = 0, n = 0, k;
	char tmp[5];

	while (pos + n < len && n < SIDEBYSIDE_ROW_BYTES) {
		k = esc(data[pos + n], pattern, tmp);
		if (n > 0 && w + k > SIDEBYSIDE_CELL)
			break;
		w += k;
		if (data[pos + n++] == '\n' && !pattern)
			break;
	}
	return pos + n;
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Rows of expected and received bytes at the same offsets. */
static int layout_bytes(const struct report_bytes *b, struct layout *l)
{
	size_t end = b->expected_len > b->received_len ? b->expected_len : b->received_len;
	size_t pos = 0, next;

	l->rows = calloc(end + 1, sizeof(*l->rows));
	if (!l->rows)
		return -1;
	l->diff_rel = b->diff > b->from ? (size_t)min_sz(b->diff - b->from, end) : 0;
	l->diff_row = SIZE_MAX;
	while (pos < end) {
		next = next_row(b, pos, end);
		l->rows[l->n] = (struct row){.offset = b->from + pos,
		                             .has_offset = 1,
		                             .ea = min_sz(pos, b->expected_len),
		                             .eb = min_sz(next, b->expected_len),
		                             .ra = min_sz(pos, b->received_len),
		                             .rb = min_sz(next, b->received_len)};
		if (l->diff_row == SIZE_MAX && l->diff_rel < next)
			l->diff_row = l->n;
		l->n++;
		pos = next;
	}
	if (l->diff_row == SIZE_MAX) /* past both ends: the caret after the last row */
		l->diff_row = l->n - 1;
	l->first = l->diff_row > SIDEBYSIDE_CONTEXT ? l->diff_row - SIDEBYSIDE_CONTEXT : 0;
	l->last = min_sz(l->n - 1, l->diff_row + SIDEBYSIDE_CONTEXT);
	return 0;
}

/* The pattern in pieces beside the received bytes in rows. */
static int layout_pattern(const struct report_bytes *b, struct layout *l)
{
	size_t e = 0, r = 0, ne, nr;

	l->rows = calloc(b->expected_len + b->received_len + 1, sizeof(*l->rows));
	if (!l->rows)
		return -1;
	while (e < b->expected_len || r < b->received_len) {
		ne = next_piece(b->expected, e, b->expected_len, 1);
		nr = next_piece(b->received, r, b->received_len, 0);
		l->rows[l->n++] = (struct row){.offset = b->from + r,
		                               .has_offset = r < b->received_len,
		                               .ea = e,
		                               .eb = ne,
		                               .ra = r,
		                               .rb = nr};
		e = ne;
		r = nr;
	}
	l->diff_row = l->n; /* no caret */
	l->first = 0;
	l->last = min_sz(l->n - 1, SIDEBYSIDE_ROWS - 1);
	return 0;
}

/* Is the cell of one side written in row k? A side with bytes there is;
 * an empty one only in the row of the difference (as ""), for the caret
 * to stand under its closing quote: it ended there. */
static int has_cell(const struct layout *l, size_t k, size_t a, size_t b)
{
	return a < b || k == l->diff_row;
}

/* Ends a line: trailing spaces dropped, then LF. */
static void line_end(struct strbuf *sb)
{
	while (!sb->oom && sb->len > 0 && sb->buf[sb->len - 1] == ' ')
		sb->buf[--sb->len] = '\0';
	strbuf_putc(sb, '\n');
}

static void put_cell(struct strbuf *sb, const uint8_t *data, size_t a, size_t b, int pattern)
{
	char tmp[5];

	strbuf_putc(sb, '"');
	for (size_t i = a; i < b; i++) {
		esc(data[i], pattern, tmp);
		strbuf_puts(sb, tmp);
	}
	strbuf_putc(sb, '"');
}

/* Column widths: the offset, and the expected cells (the received
 * column is last and not padded). */
struct widths {
	size_t offset, expected;
};

/* "... N bytes more" for a side of total bytes whose shown ones end at
 * offset end; "" when none are left. */
static void more_text(char *out, size_t cap, uint64_t total, uint64_t end)
{
	uint64_t more = total > end ? total - end : 0;

	if (more)
		snprintf(out, cap, "... %llu bytes more", (unsigned long long)more);
	else
		out[0] = '\0';
}

static void head_text(char *out, size_t cap, const char *side, uint64_t total, int pattern)
{
	if (pattern)
		snprintf(out, cap, "%s (pattern)", side);
	else
		snprintf(out, cap, "%s (%llu byte%s)", side, (unsigned long long)total,
		         total == 1 ? "" : "s");
}

static void write_row(struct strbuf *sb, const struct report_bytes *b, const struct layout *l,
                      size_t k, const struct widths *w, size_t indent)
{
	const struct row *r = &l->rows[k];
	size_t before = sb->len;

	strbuf_pad(sb, indent);
	if (r->has_offset)
		strbuf_printf(sb, "%*llu", (int)w->offset, (unsigned long long)r->offset);
	else
		strbuf_pad(sb, w->offset);
	strbuf_pad(sb, 2);
	if (has_cell(l, k, r->ea, r->eb))
		put_cell(sb, b->expected, r->ea, r->eb, b->pattern);
	strbuf_pad(sb, indent + w->offset + 2 + w->expected + 2 - (sb->len - before));
	if (has_cell(l, k, r->ra, r->rb))
		put_cell(sb, b->received, r->ra, r->rb, 0);
	line_end(sb);
}

/* The carets under the first differing byte of each side. */
static void write_carets(struct strbuf *sb, const struct report_bytes *b, const struct layout *l,
                         const struct widths *w, size_t indent)
{
	const struct row *r = &l->rows[l->diff_row];
	size_t at = l->diff_rel;
	size_t ce = 1 + width(b->expected, r->ea, at < r->eb ? at : r->eb, 0);
	size_t cr = 1 + width(b->received, r->ra, at < r->rb ? at : r->rb, 0);

	strbuf_pad(sb, indent + w->offset + 2 + ce);
	strbuf_putc(sb, '^');
	strbuf_pad(sb, w->expected - ce - 1 + 2 + cr);
	strbuf_putc(sb, '^');
	line_end(sb);
}

static void fit(struct widths *w, const struct report_bytes *b, const struct layout *l,
                const char *head_e, const char *more_e)
{
	char digits[24];
	size_t n;

	w->offset = strlen(OFFSET_HEAD);
	w->expected = strlen(head_e) > strlen(more_e) ? strlen(head_e) : strlen(more_e);
	for (size_t k = l->first; k <= l->last; k++) {
		n = (size_t)snprintf(digits, sizeof(digits), "%llu",
		                     (unsigned long long)l->rows[k].offset);
		if (n > w->offset)
			w->offset = n;
		n = 2 + width(b->expected, l->rows[k].ea, l->rows[k].eb, b->pattern);
		if (n > w->expected)
			w->expected = n;
	}
}

static void write_view(struct strbuf *sb, const struct report_bytes *b, const struct layout *l,
                       size_t indent)
{
	const struct row *top = &l->rows[l->first], *end = &l->rows[l->last];
	char head_e[64], head_r[64], more_e[64], more_r[64];
	struct widths w;
	size_t before;

	head_text(head_e, sizeof(head_e), "expected", b->expected_total, b->pattern);
	head_text(head_r, sizeof(head_r), "received", b->received_total, 0);
	more_text(more_e, sizeof(more_e), b->expected_total, (b->pattern ? 0 : b->from) + end->eb);
	more_text(more_r, sizeof(more_r), b->received_total, b->from + end->rb);
	fit(&w, b, l, head_e, more_e);
	strbuf_pad(sb, indent);
	if (b->pattern)
		strbuf_puts(sb, "side by side, the pattern as the case file writes it:");
	else
		strbuf_printf(sb, "side by side, first difference at byte %llu:",
		              (unsigned long long)b->diff);
	line_end(sb);
	strbuf_pad(sb, indent);
	strbuf_printf(sb, "%-*s  %-*s  %s", (int)w.offset, OFFSET_HEAD, (int)w.expected, head_e,
	              head_r);
	line_end(sb);
	if (!b->pattern && top->offset > 0) {
		strbuf_pad(sb, indent + w.offset + 2);
		strbuf_printf(sb, "... %llu bytes before, the same on both sides",
		              (unsigned long long)top->offset);
		line_end(sb);
	}
	for (size_t k = l->first; k <= l->last; k++) {
		write_row(sb, b, l, k, &w, indent);
		if (k == l->diff_row)
			write_carets(sb, b, l, &w, indent);
	}
	if (more_e[0] || more_r[0]) {
		before = sb->len;
		strbuf_pad(sb, indent + w.offset + 2);
		strbuf_puts(sb, more_e);
		strbuf_pad(sb, indent + w.offset + 2 + w.expected + 2 - (sb->len - before));
		strbuf_puts(sb, more_r);
		line_end(sb);
	}
}

void sidebyside_render(struct strbuf *sb, const struct report_bytes *b, size_t indent)
{
	struct layout l = {NULL, 0, 0, 0, 0, 0};

	if (!b || !b->shown || (b->expected_len == 0 && b->received_len == 0))
		return;
	if ((b->pattern ? layout_pattern(b, &l) : layout_bytes(b, &l)) < 0) {
		sb->oom = 1;
		return;
	}
	if (l.n > 0)
		write_view(sb, b, &l, indent);
	free(l.rows);
}
