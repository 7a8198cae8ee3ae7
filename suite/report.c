/* SPDX-License-Identifier: MIT */
/*
 * The verdict store and its four renderings. Every renderer appends to a
 * growable string buffer whose allocation failure is sticky, so the
 * formatting code reads straight through and the failure is checked once,
 * at the end. Report strings come from case files and from whatever the
 * target printed, so they may hold any byte: each format has its own
 * escaper (ASCII bytes, well-formed multi-byte UTF-8, and bytes that are
 * not UTF-8 at all), which keeps every result valid of its kind: JSON,
 * XML 1.0, TAP with YAML, and terminal text that cannot carry a target's
 * escape sequences to the user's terminal.
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAIL_LINES 20 /* lines of target output the text format keeps */
#define VERDICTS   4  /* number of enum verdict values */
#define ANSI_RESET "\033[0m"

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* A growable NUL-terminated string; oom is sticky. */
struct sbuf {
	char *buf;  /* NULL until the first append */
	size_t len; /* bytes in buf, NUL excluded */
	size_t cap; /* bytes allocated */
	int oom;    /* an allocation failed: every later append is a no-op */
};

/* How one output format writes the characters of a string. A character
 * is an ASCII byte, a well-formed multi-byte UTF-8 sequence, or a byte
 * that belongs to no well-formed sequence ("bad"). */
struct escaper {
	const char *backslashed; /* ASCII bytes written as a backslash and themselves */
	unsigned flags;          /* ESC_* */
};

#define ESC_RAW_LF  0x001 /* LF passes raw */
#define ESC_RAW_TAB 0x002 /* TAB passes raw */
#define ESC_C       0x004 /* LF, CR, TAB as \n \r \t */
#define ESC_XML     0x008 /* & < > " ' CR LF TAB as XML references */
#define ESC_CTL_U   0x010 /* other controls as \u00NN; without it \xNN */
#define ESC_BAD_U   0x020 /* bad bytes as \u00NN; without it \xNN */
#define ESC_NO_C1   0x040 /* U+0080..U+009F are escaped too */
#define ESC_NO_FFFF 0x080 /* U+FFFE and U+FFFF are escaped too */
#define ESC_CP_U    0x100 /* escaped code points as \uNNNN; without it their bytes as bad */

static const char *const verdict_names[VERDICTS] = {"pass", "fail", "skip", "error"};
static const char *const verdict_words[VERDICTS] = {"PASS", "FAIL", "SKIP", "ERROR"};
static const char *const verdict_colors[VERDICTS] = {"\033[32m", "\033[31m", "\033[33m",
						     "\033[35m"};

static int sb_reserve(struct sbuf *sb, size_t more)
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

static void sb_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (sb_reserve(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

static void sb_putc(struct sbuf *sb, char c)
{
	sb_putn(sb, &c, 1);
}

static void sb_pad(struct sbuf *sb, size_t n)
{
	while (n-- > 0)
		sb_putc(sb, ' ');
}

PRINTF_LIKE(2, 3) static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = 1;
		return;
	}
	if (sb_reserve(sb, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* Hands the string over (*out, *len), or frees it and returns -1 when
 * memory ran out on the way. */
static int sb_finish(struct sbuf *sb, char **out, size_t *len)
{
	if (!sb->buf)
		sb_putn(sb, "", 0);
	if (sb->oom) {
		free(sb->buf);
		return -1;
	}
	*out = sb->buf;
	if (len)
		*len = sb->len;
	return 0;
}

static const char *nz(const char *s)
{
	return s ? s : "";
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

/* Terminal text: a target's ESC, CR or BS must not reach the user's
 * terminal, nor a C1 control (CSI is one some terminals obey). */
static const struct escaper text_esc = {"", ESC_RAW_TAB | ESC_NO_C1};
/* A TAP test line: one line, and a raw '#' in the description would
 * start a directive (TAP 13 escapes it as \#, and '\' as \\). The
 * reason of a directive runs to the end of the line: nothing to escape
 * there but controls. */
static const struct escaper tap_esc = {"#\\", ESC_NO_C1};
static const struct escaper tap_reason_esc = {"", ESC_NO_C1};
/* JSON cannot hold a non-UTF-8 byte; it becomes the code point of the
 * same number, which keeps the document valid and the byte recognisable. */
static const struct escaper json_esc = {"\"\\", ESC_C | ESC_CTL_U | ESC_BAD_U};
/* YAML double-quoted scalar, where \xNN is an escape (code point NN). */
static const struct escaper yaml_esc = {"\"\\", ESC_C | ESC_NO_C1 | ESC_NO_FFFF | ESC_CP_U};
/* XML 1.0 has no way to write C0 controls (other than TAB, LF, CR) or
 * U+FFFE/U+FFFF, not even as references: they are shown as \xNN text.
 * Parsers turn a raw CR into LF, and a raw TAB or LF in an attribute
 * into a space, so those become references where they would change. */
static const struct escaper xml_text_esc = {"", ESC_XML | ESC_RAW_LF | ESC_RAW_TAB | ESC_NO_FFFF};
static const struct escaper xml_attr_esc = {"", ESC_XML | ESC_NO_FFFF};

static void put_bad(struct sbuf *sb, unsigned char c, const struct escaper *e)
{
	sb_printf(sb, e->flags & ESC_BAD_U ? "\\u%04x" : "\\x%02x", c);
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

static void put_ascii(struct sbuf *sb, unsigned char c, const struct escaper *e)
{
	const char *ref;

	if ((c == '\n' && e->flags & ESC_RAW_LF) || (c == '\t' && e->flags & ESC_RAW_TAB))
		sb_putc(sb, (char)c);
	else if (c && strchr(e->backslashed, c))
		sb_printf(sb, "\\%c", c);
	else if (e->flags & ESC_C && (c == '\n' || c == '\r' || c == '\t'))
		sb_printf(sb, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
	else if (e->flags & ESC_XML && (ref = xml_reference(c)) != NULL)
		sb_puts(sb, ref);
	else if (c < 0x20 || c == 0x7f)
		sb_printf(sb, e->flags & ESC_CTL_U ? "\\u%04x" : "\\x%02x", c);
	else
		sb_putc(sb, (char)c);
}

static void put_multi(struct sbuf *sb, const unsigned char *s, size_t k, const struct escaper *e)
{
	unsigned long cp = utf8_decode(s, k);
	size_t i;

	if (!((e->flags & ESC_NO_C1 && cp < 0xa0) ||
	      (e->flags & ESC_NO_FFFF && (cp == 0xfffe || cp == 0xffff))))
		sb_putn(sb, (const char *)s, k);
	else if (e->flags & ESC_CP_U)
		sb_printf(sb, "\\u%04lx", cp);
	else
		for (i = 0; i < k; i++)
			put_bad(sb, s[i], e);
}

static void put_escaped(struct sbuf *sb, const char *str, size_t n, const struct escaper *e)
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

static void put_str(struct sbuf *sb, const char *s, const struct escaper *e)
{
	s = nz(s);
	put_escaped(sb, s, strlen(s), e);
}

/* Length of the first line of s, its LF and a CR before it excluded. */
static size_t first_line_len(const char *s)
{
	size_t n = strcspn(s, "\n");

	return n > 0 && s[n - 1] == '\r' ? n - 1 : n;
}

static char *dup_or_empty(const char *s)
{
	size_t n = strlen(nz(s)) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, nz(s), n);
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
static enum verdict verdict_known(enum verdict v)
{
	return (unsigned)v < VERDICTS ? v : VERDICT_ERROR;
}

static int verdict_failed(enum verdict v)
{
	v = verdict_known(v);
	return v == VERDICT_FAIL || v == VERDICT_ERROR;
}

static void summarize_run(const struct report_run *run, struct report_summary *out)
{
	unsigned *slot[VERDICTS] = {&out->pass, &out->fail, &out->skip, &out->error};
	size_t i;

	for (i = 0; i < run->ncases; i++)
		(*slot[verdict_known(run->cases[i].verdict)])++;
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
	return verdict_names[verdict_known(v)];
}

static unsigned summary_total(const struct report_summary *s)
{
	return s->pass + s->fail + s->skip + s->error;
}

/* Each line of s[0..n) on its own line behind indent spaces. LF or CR LF
 * ends a line; a final terminator adds no empty line; empty lines carry
 * no indent, so there is no trailing white space. */
static void text_lines(struct sbuf *sb, const char *s, size_t n, size_t indent)
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
			sb_pad(sb, indent);
			put_escaped(sb, s + start, len, &text_esc);
		}
		sb_putc(sb, '\n');
		start = end + 1;
	}
}

/* Target output, its last TAIL_LINES lines only: the end of a log is
 * where a crash or an assertion shows. */
static void text_output(struct sbuf *sb, const char *s)
{
	size_t n = strlen(s), lines = 0, skip, i = 0;

	for (i = 0; i < n; i++)
		lines += s[i] == '\n';
	lines += n > 0 && s[n - 1] != '\n';
	sb_puts(sb, "    target output:\n");
	if (lines > TAIL_LINES) {
		skip = lines - TAIL_LINES;
		sb_printf(sb, "        ... (%zu earlier lines not shown)\n", skip);
		for (i = 0; skip > 0; i++)
			skip -= s[i] == '\n';
		s += i;
		n -= i;
	}
	text_lines(sb, s, n, 8);
}

static void text_verdict(struct sbuf *sb, enum verdict v, int color)
{
	const char *word = verdict_words[v];

	if (color)
		sb_printf(sb, "%s%s%s", verdict_colors[v], word, ANSI_RESET);
	else
		sb_puts(sb, word);
	sb_pad(sb, 6 - strlen(word));
}

static void text_case(struct sbuf *sb, const struct report_case *c, int color, int verbose)
{
	enum verdict v = verdict_known(c->verdict);
	const char *msg = nz(c->message), *rest;
	size_t first = first_line_len(msg);

	text_verdict(sb, v, color);
	put_str(sb, c->id, &text_esc);
	sb_printf(sb, "  %llu ms", (unsigned long long)c->duration_ms);
	if (v == VERDICT_SKIP && msg[0]) {
		sb_puts(sb, " - ");
		put_escaped(sb, msg, first, &text_esc);
		sb_putc(sb, '\n');
		rest = msg + strcspn(msg, "\n");
		if (*rest)
			text_lines(sb, rest + 1, strlen(rest + 1), 4);
	} else {
		sb_putc(sb, '\n');
	}
	if (verdict_failed(v)) {
		text_lines(sb, msg, strlen(msg), 4);
		if (nz(c->output)[0])
			text_output(sb, c->output);
	}
	if ((verdict_failed(v) || verbose) && nz(c->timeline)[0]) {
		sb_puts(sb, "    timeline:\n");
		text_lines(sb, c->timeline, strlen(c->timeline), 8);
	}
}

/* Columns s takes on a terminal once escaped: code points, not bytes. */
static size_t text_width(const char *s)
{
	struct sbuf tmp = {NULL, 0, 0, 0};
	size_t i, w = 0;

	put_str(&tmp, s, &text_esc);
	if (tmp.oom)
		w = strlen(nz(s));
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

static void table_row(struct sbuf *sb, const struct table *t, const char *name,
		      const struct report_summary *s)
{
	unsigned v[5] = {s->pass, s->fail, s->skip, s->error, summary_total(s)};
	size_t i;

	put_str(sb, name, &text_esc);
	sb_pad(sb, t->width[0] - text_width(name));
	for (i = 0; i < 5; i++)
		sb_printf(sb, "  %*u", (int)t->width[i + 1], v[i]);
	sb_putc(sb, '\n');
}

static void table_fit(struct table *t, const char *name, const struct report_summary *s)
{
	unsigned v[5] = {s->pass, s->fail, s->skip, s->error, summary_total(s)};
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

static void text_table(struct sbuf *sb, const struct report *r)
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
	sb_printf(sb, "%-*s", (int)t.width[0], table_heads[0]);
	for (i = 1; i < 6; i++)
		sb_printf(sb, "  %*s", (int)t.width[i], table_heads[i]);
	sb_putc(sb, '\n');
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
static void text_summary(struct sbuf *sb, const struct report *r)
{
	struct report_summary s;

	if (r->nruns > 0)
		text_table(sb, r);
	/* CI scripts grep this line: no colour, fixed wording. */
	report_summarize(r, NULL, &s);
	sb_printf(sb, "%u passed, %u failed, %u skipped, %u errors\n", s.pass, s.fail, s.skip,
		  s.error);
}

static void render_text(struct sbuf *sb, const struct report *r, int color, int verbose)
{
	size_t i, j;

	for (i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		sb_puts(sb, "== ");
		put_str(sb, run->profile, &text_esc);
		sb_puts(sb, " (");
		put_str(sb, run->framing, &text_esc);
		sb_puts(sb, " framing): ");
		put_str(sb, run->target, &text_esc);
		sb_putc(sb, '\n');
		for (j = 0; j < run->ncases; j++)
			text_case(sb, &run->cases[j], color, verbose);
		sb_putc(sb, '\n');
	}
	text_summary(sb, r);
}

char *report_render_summary(const struct report *r, int color)
{
	struct sbuf sb = {NULL, 0, 0, 0};
	char *out = NULL;

	(void)color; /* the table and the closing line are never coloured */
	text_summary(&sb, r);
	return sb_finish(&sb, &out, NULL) == 0 ? out : NULL;
}

char *report_render_case(const struct report_run *run, const struct report_case *c, int color,
			 int verbose)
{
	struct sbuf sb = {NULL, 0, 0, 0};
	char *out = NULL;

	/* The verdict line does not repeat the profile: the caller prints
	 * cases under a header that names the run. */
	(void)run;
	if (!c)
		return NULL;
	text_case(&sb, c, color, verbose);
	return sb_finish(&sb, &out, NULL) == 0 ? out : NULL;
}

/* ,"key":"value" with the leading text (comma and key) given verbatim. */
static void json_field(struct sbuf *sb, const char *lead, const char *value)
{
	sb_puts(sb, lead);
	sb_putc(sb, '"');
	put_str(sb, value, &json_esc);
	sb_putc(sb, '"');
}

static void json_summary(struct sbuf *sb, const struct report_summary *s)
{
	sb_printf(sb, "{\"pass\":%u,\"fail\":%u,\"skip\":%u,\"error\":%u}", s->pass, s->fail,
		  s->skip, s->error);
}

static void json_case(struct sbuf *sb, const struct report_case *c)
{
	json_field(sb, "{\"id\":", c->id);
	json_field(sb, ",\"family\":", c->family);
	json_field(sb, ",\"description\":", c->description);
	sb_printf(sb, ",\"verdict\":\"%s\",\"duration_ms\":%llu", report_verdict_name(c->verdict),
		  (unsigned long long)c->duration_ms);
	json_field(sb, ",\"message\":", c->message);
	sb_printf(sb, ",\"line\":%u", c->line);
	json_field(sb, ",\"file\":", c->file);
	if (verdict_failed(c->verdict)) {
		json_field(sb, ",\"timeline\":", c->timeline);
		json_field(sb, ",\"output\":", c->output);
	}
	sb_putc(sb, '}');
}

static void render_json(struct sbuf *sb, const struct report *r)
{
	struct report_summary s;
	size_t i, j;

	json_field(sb, "{\"tool\":", "sockspec");
	json_field(sb, ",\"version\":", r->version);
	sb_puts(sb, ",\"runs\":[");
	for (i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		json_field(sb, i ? ",{\"profile\":" : "{\"profile\":", run->profile);
		json_field(sb, ",\"target\":", run->target);
		json_field(sb, ",\"framing\":", run->framing);
		sb_puts(sb, ",\"cases\":[");
		for (j = 0; j < run->ncases; j++) {
			if (j)
				sb_putc(sb, ',');
			json_case(sb, &run->cases[j]);
		}
		sb_puts(sb, "],\"summary\":");
		report_summarize(r, run, &s);
		json_summary(sb, &s);
		sb_putc(sb, '}');
	}
	sb_puts(sb, "],\"summary\":");
	report_summarize(r, NULL, &s);
	json_summary(sb, &s);
	sb_puts(sb, "}\n");
}

static void xml_attr(struct sbuf *sb, const char *name, const char *value, size_t n)
{
	sb_printf(sb, " %s=\"", name);
	put_escaped(sb, nz(value), n, &xml_attr_esc);
	sb_putc(sb, '"');
}

static void xml_seconds(struct sbuf *sb, uint64_t ms)
{
	sb_printf(sb, " time=\"%llu.%03llu\"", (unsigned long long)(ms / 1000),
		  (unsigned long long)(ms % 1000));
}

/* tests, failures, errors, skipped and time, JUnit's standard counters. */
static void junit_counts(struct sbuf *sb, const struct report_summary *s, uint64_t ms)
{
	sb_printf(sb, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\"",
		  summary_total(s), s->fail, s->error, s->skip);
	xml_seconds(sb, ms);
}

static uint64_t run_ms(const struct report_run *run)
{
	uint64_t ms = 0;
	size_t i;

	for (i = 0; i < run->ncases; i++)
		ms += run->cases[i].duration_ms;
	return ms;
}

/* <failure> or <error>: message attribute is the first line; the body is
 * the whole message and where in the case file it went wrong. */
static void junit_problem(struct sbuf *sb, const struct report_case *c, const char *tag)
{
	const char *msg = nz(c->message), *file = nz(c->file);
	size_t n = strlen(msg);

	sb_printf(sb, "      <%s", tag);
	xml_attr(sb, "message", msg, first_line_len(msg));
	sb_printf(sb, " type=\"%s\">", report_verdict_name(c->verdict));
	put_escaped(sb, msg, n, &xml_text_esc);
	if (file[0]) {
		if (n > 0 && msg[n - 1] != '\n')
			sb_putc(sb, '\n');
		put_str(sb, file, &xml_text_esc);
		if (c->line)
			sb_printf(sb, ":%u", c->line);
	}
	sb_printf(sb, "</%s>\n", tag);
}

static void junit_stream(struct sbuf *sb, const char *tag, const char *text)
{
	if (!nz(text)[0])
		return;
	sb_printf(sb, "      <%s>", tag);
	put_str(sb, text, &xml_text_esc);
	sb_printf(sb, "</%s>\n", tag);
}

static void junit_case(struct sbuf *sb, const struct report_run *run, const struct report_case *c)
{
	enum verdict v = verdict_known(c->verdict);

	sb_puts(sb, "    <testcase classname=\"");
	put_str(sb, run->profile, &xml_attr_esc);
	sb_putc(sb, '.');
	put_str(sb, c->family, &xml_attr_esc);
	sb_putc(sb, '"');
	xml_attr(sb, "name", c->id, strlen(nz(c->id)));
	xml_seconds(sb, c->duration_ms);
	if (v == VERDICT_PASS) {
		sb_puts(sb, "/>\n");
		return;
	}
	sb_puts(sb, ">\n");
	if (v == VERDICT_SKIP) {
		sb_puts(sb, "      <skipped");
		xml_attr(sb, "message", c->message, strlen(nz(c->message)));
		sb_puts(sb, "/>\n");
	} else {
		junit_problem(sb, c, v == VERDICT_FAIL ? "failure" : "error");
		junit_stream(sb, "system-out", c->timeline);
		junit_stream(sb, "system-err", c->output);
	}
	sb_puts(sb, "    </testcase>\n");
}

static void render_junit(struct sbuf *sb, const struct report *r)
{
	struct report_summary s;
	uint64_t ms = 0;
	size_t i, j;

	for (i = 0; i < r->nruns; i++)
		ms += run_ms(&r->runs[i]);
	report_summarize(r, NULL, &s);
	sb_puts(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sockspec\"");
	junit_counts(sb, &s, ms);
	sb_puts(sb, ">\n");
	for (i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		report_summarize(r, run, &s);
		sb_puts(sb, "  <testsuite");
		xml_attr(sb, "name", run->profile, strlen(nz(run->profile)));
		junit_counts(sb, &s, run_ms(run));
		sb_puts(sb, ">\n");
		for (j = 0; j < run->ncases; j++)
			junit_case(sb, run, &run->cases[j]);
		sb_puts(sb, "  </testsuite>\n");
	}
	sb_puts(sb, "</testsuites>\n");
}

static void yaml_field(struct sbuf *sb, const char *key, const char *value)
{
	sb_printf(sb, "  %s: \"", key);
	put_str(sb, value, &yaml_esc);
	sb_puts(sb, "\"\n");
}

static void tap_case(struct sbuf *sb, const struct report_run *run, const struct report_case *c,
		     size_t number)
{
	enum verdict v = verdict_known(c->verdict);
	const char *msg = nz(c->message);

	sb_printf(sb, "%s %zu - ", verdict_failed(v) ? "not ok" : "ok", number);
	put_str(sb, run->profile, &tap_esc);
	sb_putc(sb, ' ');
	put_str(sb, c->id, &tap_esc);
	if (v == VERDICT_SKIP) {
		sb_puts(sb, " # SKIP");
		if (msg[0])
			sb_putc(sb, ' ');
		put_escaped(sb, msg, first_line_len(msg), &tap_reason_esc);
	}
	sb_putc(sb, '\n');
	if (!verdict_failed(v))
		return;
	sb_puts(sb, "  ---\n");
	yaml_field(sb, "message", msg);
	sb_printf(sb, "  severity: %s\n", report_verdict_name(v));
	yaml_field(sb, "file", c->file);
	sb_printf(sb, "  line: %u\n  duration_ms: %llu\n  ...\n", c->line,
		  (unsigned long long)c->duration_ms);
}

static void render_tap(struct sbuf *sb, const struct report *r)
{
	size_t i, j, total = 0, number = 0;

	for (i = 0; i < r->nruns; i++)
		total += r->runs[i].ncases;
	sb_printf(sb, "TAP version 13\n1..%zu\n", total);
	for (i = 0; i < r->nruns; i++)
		for (j = 0; j < r->runs[i].ncases; j++)
			tap_case(sb, &r->runs[i], &r->runs[i].cases[j], ++number);
}

int report_render(const struct report *r, enum report_format fmt, int color, int verbose,
		  char **out, size_t *len)
{
	struct sbuf sb = {NULL, 0, 0, 0};

	if (!r || !out)
		return -1;
	*out = NULL;
	switch (fmt) {
	case REPORT_TEXT:
		render_text(&sb, r, color, verbose);
		break;
	case REPORT_JSON:
		render_json(&sb, r);
		break;
	case REPORT_JUNIT:
		render_junit(&sb, r);
		break;
	case REPORT_TAP:
		render_tap(&sb, r);
		break;
	default:
		return -1;
	}
	return sb_finish(&sb, out, len);
}
