/* SPDX-License-Identifier: MIT */
/*
 * The verdict store and its text rendering, for people. The store copies
 * every string it is given and counts verdicts per run and in total; the
 * text rendering shows one line per case, the details of a failure, and a
 * summary table. The text goes to a terminal, so a target's escape
 * sequences are escaped rather than passed through. report_render()
 * dispatches here or to the CI renderings of report_ci.c; all of them
 * append to a strbuf (strbuf.h), whose allocation failure is checked
 * once, at the end.
 */
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAIL_LINES 20 /* lines of target output the text format keeps */
#define VERDICTS   4  /* number of enum verdict values */
#define ANSI_RESET "\033[0m"

static const char *const verdict_names[VERDICTS] = {"pass", "fail", "skip", "error"};
static const char *const verdict_words[VERDICTS] = {"PASS", "FAIL", "SKIP", "ERROR"};
static const char *const verdict_colors[VERDICTS] = {"\033[32m", "\033[31m", "\033[33m",
                                                     "\033[35m"};

const char *report_nz(const char *s)
{
	return s ? s : "";
}

/* Length of the first line of s, its LF and a CR before it excluded. */
size_t report_first_line_len(const char *s)
{
	size_t n = strcspn(s, "\n");

	return n > 0 && s[n - 1] == '\r' ? n - 1 : n;
}

static char *dup_or_empty(const char *s)
{
	size_t n = strlen(report_nz(s)) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, report_nz(s), n);
	return d;
}

/* Makes room for one more element of size elem in *arr (count *n,
 * capacity *cap). Returns 0 or -1 (no memory; *arr unchanged). */
static int grow(void **arr, size_t n, size_t *cap, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap < *cap || ncap > SIZE_MAX / elem)
		return -1;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct report *report_new(const char *version)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->version = dup_or_empty(version);
	if (!r->version) {
		free(r);
		return NULL;
	}
	return r;
}

static void case_release(struct report_case *c)
{
	free(c->id);
	free(c->family);
	free(c->description);
	free(c->message);
	free(c->file);
	free(c->timeline);
	free(c->output);
}

static void run_release(struct report_run *run)
{
	size_t i;

	for (i = 0; i < run->ncases; i++)
		case_release(&run->cases[i]);
	free(run->cases);
	free(run->profile);
	free(run->target);
	free(run->framing);
}

void report_free(struct report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nruns; i++)
		run_release(&r->runs[i]);
	free(r->runs);
	free(r->version);
	free(r);
}

struct report_run *report_add_run(struct report *r, const char *profile, const char *target,
                                  const char *framing)
{
	struct report_run run;
	void *runs;

	if (!r)
		return NULL;
	memset(&run, 0, sizeof(run));
	run.profile = dup_or_empty(profile);
	run.target = dup_or_empty(target);
	run.framing = dup_or_empty(framing);
	runs = r->runs;
	if (!run.profile || !run.target || !run.framing ||
	    grow(&runs, r->nruns, &r->cap, sizeof(run)) < 0) {
		run_release(&run);
		return NULL;
	}
	r->runs = runs;
	r->runs[r->nruns] = run;
	return &r->runs[r->nruns++];
}

struct report_case *report_add_case(struct report_run *run, const char *id, const char *family,
                                    const char *description, enum verdict v, uint64_t duration_ms,
                                    const char *message, const char *file, unsigned line,
                                    const char *timeline, const char *output)
{
	struct report_case c;
	void *cases;

	if (!run)
		return NULL;
	memset(&c, 0, sizeof(c));
	c.verdict = v;
	c.duration_ms = duration_ms;
	c.line = line;
	c.id = dup_or_empty(id);
	c.family = dup_or_empty(family);
	c.description = dup_or_empty(description);
	c.message = dup_or_empty(message);
	c.file = dup_or_empty(file);
	c.timeline = dup_or_empty(timeline);
	c.output = dup_or_empty(output);
	cases = run->cases;
	if (!c.id || !c.family || !c.description || !c.message || !c.file || !c.timeline ||
	    !c.output || grow(&cases, run->ncases, &run->cap, sizeof(c)) < 0) {
		case_release(&c);
		return NULL;
	}
	run->cases = cases;
	run->cases[run->ncases] = c;
	return &run->cases[run->ncases++];
}

/* An out-of-range verdict is a runner bug; it counts as an error so that
 * it can never pass a CI run. */
enum verdict report_verdict_known(enum verdict v)
{
	return (unsigned)v < VERDICTS ? v : VERDICT_ERROR;
}

int report_verdict_failed(enum verdict v)
{
	v = report_verdict_known(v);
	return v == VERDICT_FAIL || v == VERDICT_ERROR;
}

static void summarize_run(const struct report_run *run, struct report_summary *out)
{
	unsigned *slot[VERDICTS] = {&out->pass, &out->fail, &out->skip, &out->error};
	size_t i;

	for (i = 0; i < run->ncases; i++)
		(*slot[report_verdict_known(run->cases[i].verdict)])++;
}

void report_summarize(const struct report *r, const struct report_run *run,
                      struct report_summary *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (run)
		summarize_run(run, out);
	else
		for (i = 0; r && i < r->nruns; i++)
			summarize_run(&r->runs[i], out);
}

int report_exit_status(const struct report *r)
{
	struct report_summary s;

	report_summarize(r, NULL, &s);
	return s.pass + s.fail + s.error > 0 && s.fail == 0 && s.error == 0 ? 0 : 1;
}

int report_format_parse(const char *name, enum report_format *out)
{
	static const char *const names[] = {"text", "json", "junit", "tap"};
	static const enum report_format formats[] = {REPORT_TEXT, REPORT_JSON, REPORT_JUNIT,
	                                             REPORT_TAP};
	size_t i;

	for (i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = formats[i];
			return 0;
		}
	}
	return -1;
}

const char *report_verdict_name(enum verdict v)
{
	return verdict_names[report_verdict_known(v)];
}

unsigned report_summary_total(const struct report_summary *s)
{
	return s->pass + s->fail + s->skip + s->error;
}

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

static void text_case(struct strbuf *sb, const struct report_case *c, int color, int verbose)
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

/* Column widths of the summary table: profile, then the five counts. */
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
	report_summarize(r, NULL, &s);
	table_fit(&t, "total", &s);
	strbuf_printf(sb, "%-*s", (int)t.width[0], table_heads[0]);
	for (i = 1; i < 6; i++)
		strbuf_printf(sb, "  %*s", (int)t.width[i], table_heads[i]);
	strbuf_putc(sb, '\n');
	for (i = 0; i < r->nruns; i++) {
		report_summarize(r, &r->runs[i], &s);
		table_row(sb, &t, r->runs[i].profile, &s);
	}
	if (r->nruns > 1) {
		report_summarize(r, NULL, &s);
		table_row(sb, &t, "total", &s);
	}
}

/* The per-profile table and the closing "N passed, N failed, ..." line. */
static void text_summary(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;

	if (r->nruns > 0)
		text_table(sb, r);
	/* CI scripts grep this line: no colour, fixed wording. */
	report_summarize(r, NULL, &s);
	strbuf_printf(sb, "%u passed, %u failed, %u skipped, %u errors\n", s.pass, s.fail, s.skip,
	              s.error);
}

static void render_text(struct strbuf *sb, const struct report *r, int color, int verbose)
{
	size_t i, j;

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
			text_case(sb, &run->cases[j], color, verbose);
		strbuf_putc(sb, '\n');
	}
	text_summary(sb, r);
}

char *report_render_summary(const struct report *r)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char *out = NULL;

	text_summary(&sb, r);
	return strbuf_finish(&sb, &out, NULL) == 0 ? out : NULL;
}

char *report_render_case(const struct report_run *run, const struct report_case *c, int color,
                         int verbose)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char *out = NULL;

	/* The verdict line does not repeat the profile: the caller prints
	 * cases under a header that names the run. */
	(void)run;
	if (!c)
		return NULL;
	text_case(&sb, c, color, verbose);
	return strbuf_finish(&sb, &out, NULL) == 0 ? out : NULL;
}

int report_render(const struct report *r, enum report_format fmt, int color, int verbose,
                  char **out, size_t *len)
{
	struct strbuf sb = {NULL, 0, 0, 0};

	if (!r || !out)
		return -1;
	*out = NULL;
	switch (fmt) {
	case REPORT_TEXT:
		render_text(&sb, r, color, verbose);
		break;
	case REPORT_JSON:
		report_ci_json(&sb, r);
		break;
	case REPORT_JUNIT:
		report_ci_junit(&sb, r);
		break;
	case REPORT_TAP:
		report_ci_tap(&sb, r);
		break;
	default:
		return -1;
	}
	return strbuf_finish(&sb, out, len);
}
