/* SPDX-License-Identifier: MIT */
/*
 * The text rendering, for people: one line per case, the details of a
 * failure (message, the tail of the target's output, the timeline) and
 * a summary table. The text goes to a terminal, so a target's escape
 * sequences are escaped rather than passed through.
 */
#include "render_int.h"
#include "sidebyside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAIL_LINES 20 /* lines of target output the text format keeps */
#define ANSI_RESET "\033[0m"

static const char *const verdict_words[] = {"PASS", "FAIL", "SKIP", "ERROR"};
static const char *const verdict_colors[] = {"\033[32m", "\033[31m", "\033[33m", "\033[35m"};

/* Terminal text: a target's ESC, CR or BS must not reach the user's
 * terminal, nor a C1 control (CSI is one some terminals obey). */
static const struct strbuf_escaper text_esc = {"", STRBUF_ESC_RAW_TAB | STRBUF_ESC_NO_C1};

/* Each line of s[0..n) on its own line behind indent spaces. LF or CR LF
 * ends a line; a final terminator adds no empty line; empty lines carry
 * no indent, so there is no trailing white space. */
static void text_lines(struct strbuf *sb, const char *s, size_t n, size_t indent)
{
	size_t start = 0, end, len;
	const char *nl;

	while (start < n) {
		nl = memchr(s + start, '\n', n - start);
		end = nl ? (size_t)(nl - s) : n;
		len = end - start;
		if (len > 0 && s[start + len - 1] == '\r')
			len--;
		if (len > 0) {
			strbuf_pad(sb, indent);
			strbuf_put_escaped(sb, s + start, len, &text_esc);
		}
		strbuf_putc(sb, '\n');
		start = end + 1;
	}
}

/* Target output, its last TAIL_LINES lines only: the end of a log is
 * where a crash or an assertion shows. */
static void text_output(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s), lines = 0, skip, i = 0;

	for (i = 0; i < n; i++)
		lines += s[i] == '\n';
	lines += n > 0 && s[n - 1] != '\n';
	strbuf_puts(sb, "    target output:\n");
	if (lines > TAIL_LINES) {
		skip = lines - TAIL_LINES;
		strbuf_printf(sb, "        ... (%zu earlier lines not shown)\n", skip);
		for (i = 0; skip > 0; i++)
			skip -= s[i] == '\n';
		s += i;
		n -= i;
	}
	text_lines(sb, s, n, 8);
}

static void text_verdict(struct strbuf *sb, enum verdict v, int color)
{
	const char *word = verdict_words[v];

	if (color)
		strbuf_printf(sb, "%s%s%s", verdict_colors[v], word, ANSI_RESET);
	else
		strbuf_puts(sb, word);
	strbuf_pad(sb, 6 - strlen(word));
}

void render_text_case(struct strbuf *sb, const struct report_case *c, int color, int verbose)
{
	enum verdict v = report_verdict_known(c->verdict);
	const char *msg = report_nz(c->message), *rest;
	size_t first = report_first_line_len(msg);

	text_verdict(sb, v, color);
	strbuf_put_str(sb, c->id, &text_esc);
	strbuf_printf(sb, "  %llu ms", (unsigned long long)c->duration_ms);
	if (v == VERDICT_SKIP && msg[0]) {
		strbuf_puts(sb, " - ");
		strbuf_put_escaped(sb, msg, first, &text_esc);
		strbuf_putc(sb, '\n');
		rest = msg + strcspn(msg, "\n");
		if (*rest)
			text_lines(sb, rest + 1, strlen(rest + 1), 4);
	} else {
		strbuf_putc(sb, '\n');
	}
	if (report_verdict_failed(v)) {
		text_lines(sb, msg, strlen(msg), 4);
		sidebyside_render(sb, &c->bytes, 4);
		if (report_nz(c->output)[0])
			text_output(sb, c->output);
	}
	if ((report_verdict_failed(v) || verbose) && report_nz(c->timeline)[0]) {
		strbuf_puts(sb, "    timeline:\n");
		text_lines(sb, c->timeline, strlen(c->timeline), 8);
	}
}

/* Columns s takes on a terminal once escaped: code points, not bytes. */
static size_t text_width(const char *s)
{
	struct strbuf tmp = {NULL, 0, 0, 0};
	size_t i, w = 0;

	strbuf_put_str(&tmp, s, &text_esc);
	if (tmp.oom)
		w = strlen(report_nz(s));
	for (i = 0; !tmp.oom && i < tmp.len; i++)
		w += ((unsigned char)tmp.buf[i] & 0xc0) != 0x80;
	free(tmp.buf);
	return w;
}

/* Column widths of the one-run summary table: profile, then the five counts. */
struct table {
	size_t width[6];
};

static const char *const table_heads[6] = {"profile", "pass", "fail", "skip", "error", "total"};

static void table_row(struct strbuf *sb, const struct table *t, const char *name,
                      const struct report_summary *s)
{
	unsigned v[5] = {s->pass, s->fail, s->skip, s->error, report_summary_total(s)};
	size_t i;

	strbuf_put_str(sb, name, &text_esc);
	strbuf_pad(sb, t->width[0] - text_width(name));
	for (i = 0; i < 5; i++)
		strbuf_printf(sb, "  %*u", (int)t->width[i + 1], v[i]);
	strbuf_putc(sb, '\n');
}

static void table_fit(struct table *t, const char *name, const struct report_summary *s)
{
	unsigned v[5] = {s->pass, s->fail, s->skip, s->error, report_summary_total(s)};
	size_t i, w = text_width(name);
	char digits[16];

	if (w > t->width[0])
		t->width[0] = w;
	for (i = 0; i < 5; i++) {
		w = (size_t)snprintf(digits, sizeof(digits), "%u", v[i]);
		if (w > t->width[i + 1])
			t->width[i + 1] = w;
	}
}

static void text_table(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;
	struct table t;
	size_t i;

	for (i = 0; i < 6; i++)
		t.width[i] = strlen(table_heads[i]);
	for (i = 0; i < r->nruns; i++) {
		report_summarize(r, &r->runs[i], &s);
		table_fit(&t, r->runs[i].profile, &s);
	}
	strbuf_printf(sb, "%-*s", (int)t.width[0], table_heads[0]);
	for (i = 1; i < 6; i++)
		strbuf_printf(sb, "  %*s", (int)t.width[i], table_heads[i]);
	strbuf_putc(sb, '\n');
	for (i = 0; i < r->nruns; i++) {
		report_summarize(r, &r->runs[i], &s);
		table_row(sb, &t, r->runs[i].profile, &s);
	}
}

/* Several runs (--all): one row per run, one column per family of the
 * case language, "passed/judged" in each cell (skips not counted, "-"
 * for a family without cases), then the run's own passed/judged. */
static const char *const families[] = {"basic", "partial-recv", "framing",   "concurrency", "exit",
                                       "reuse", "limits",       "resources", NULL};

#define FAMILY_OWN_MAX 16 /* columns for a suite's own families (--cases) */

/* The columns: the eight families, then the own families the runs hold
 * (in the order met, at most FAMILY_OWN_MAX), then NULL for "total".
 * Returns how many. */
static size_t family_columns(const struct report *r, const char **cols)
{
	size_t n = 0, i, j, k;

	while (families[n] != NULL) {
		cols[n] = families[n];
		n++;
	}
	for (i = 0; i < r->nruns; i++) {
		for (j = 0; j < r->runs[i].ncases; j++) {
			const char *f = report_nz(r->runs[i].cases[j].family);
			for (k = 0; k < n && strcmp(cols[k], f) != 0; k++)
				;
			if (k == n && n < 8 + FAMILY_OWN_MAX && f[0] != '\0')
				cols[n++] = f;
		}
	}
	cols[n++] = NULL;
	return n;
}

static void family_cell(const struct report_run *run, const char *family, char *out, size_t cap)
{
	unsigned pass = 0, judged = 0;

	for (size_t j = 0; j < run->ncases; j++) {
		const struct report_case *c = &run->cases[j];
		enum verdict v = report_verdict_known(c->verdict);
		if ((family && strcmp(report_nz(c->family), family) != 0) || v == VERDICT_SKIP)
			continue;
		judged++;
		pass += v == VERDICT_PASS;
	}
	if (judged == 0)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%u/%u", pass, judged);
}

static void row_name(const struct report_run *run, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s", report_nz(run->profile),
	         strcmp(report_nz(run->framing), "chunk") == 0 ? " (chunk)" : "");
}

static void family_table(struct strbuf *sb, const struct report *r)
{
	const char *cols[8 + FAMILY_OWN_MAX + 1];
	const size_t ncols = family_columns(r, cols);
	size_t width[8 + FAMILY_OWN_MAX + 2], i, k;
	char cell[64], name[256];

	width[0] = strlen("profile");
	for (k = 0; k < ncols; k++)
		width[k + 1] = strlen(cols[k] ? cols[k] : "total");
	for (i = 0; i < r->nruns; i++) {
		row_name(&r->runs[i], name, sizeof(name));
		if (text_width(name) > width[0])
			width[0] = text_width(name);
		for (k = 0; k < ncols; k++) {
			family_cell(&r->runs[i], cols[k], cell, sizeof(cell));
			if (strlen(cell) > width[k + 1])
				width[k + 1] = strlen(cell);
		}
	}
	strbuf_printf(sb, "%-*s", (int)width[0], "profile");
	for (k = 0; k < ncols; k++)
		strbuf_printf(sb, "  %*s", (int)width[k + 1], cols[k] ? cols[k] : "total");
	strbuf_putc(sb, '\n');
	for (i = 0; i < r->nruns; i++) {
		row_name(&r->runs[i], name, sizeof(name));
		strbuf_put_str(sb, name, &text_esc);
		strbuf_pad(sb, width[0] - text_width(name));
		for (k = 0; k < ncols; k++) {
			family_cell(&r->runs[i], cols[k], cell, sizeof(cell));
			strbuf_printf(sb, "  %*s", (int)width[k + 1], cell);
		}
		strbuf_putc(sb, '\n');
	}
}

/* The summary table (per run, or per run and family when there are
 * several runs) and the closing "N passed, N failed, ..." line. */
void render_text_summary(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;

	if (r->nruns > 1)
		family_table(sb, r);
	else if (r->nruns > 0)
		text_table(sb, r);
	strbuf_printf(sb, "duration %llu.%03llu s\n", (unsigned long long)(r->duration_ms / 1000),
	              (unsigned long long)(r->duration_ms % 1000));
	/* CI scripts grep this line: no colour, fixed wording; it stays last. */
	report_summarize(r, NULL, &s);
	strbuf_printf(sb, "%u passed, %u failed, %u skipped, %u errors\n", s.pass, s.fail, s.skip,
	              s.error);
}

void render_text_header(struct strbuf *sb, const struct report *r)
{
	strbuf_puts(sb, "sockspec ");
	strbuf_put_str(sb, r->version, &text_esc);
	strbuf_printf(sb, ": seed %llu (repeat with --seed %llu)", (unsigned long long)r->seed,
	              (unsigned long long)r->seed);
	if (report_nz(r->started)[0]) {
		strbuf_puts(sb, ", started ");
		strbuf_put_str(sb, r->started, &text_esc);
	}
	strbuf_putc(sb, '\n');
}

void render_text(struct strbuf *sb, const struct report *r, int color, int verbose)
{
	size_t i, j;

	render_text_header(sb, r);
	for (i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		strbuf_puts(sb, "== ");
		strbuf_put_str(sb, run->profile, &text_esc);
		strbuf_puts(sb, " (");
		strbuf_put_str(sb, run->framing, &text_esc);
		strbuf_puts(sb, " framing): ");
		strbuf_put_str(sb, run->target, &text_esc);
		strbuf_putc(sb, '\n');
		for (j = 0; j < run->ncases; j++)
			render_text_case(sb, &run->cases[j], color, verbose);
		strbuf_putc(sb, '\n');
	}
	render_text_summary(sb, r);
}
