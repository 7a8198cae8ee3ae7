/* SPDX-License-Identifier: MIT */
/* The JUnit XML rendering, for CI: one testsuite per run. */
#include "render_int.h"

#include <stdint.h>
#include <string.h>

/* XML 1.0 has no way to write C0 controls (other than TAB, LF, CR) or
 * U+FFFE/U+FFFF, not even as references: they are shown as \xNN text.
 * Parsers turn a raw CR into LF, and a raw TAB or LF in an attribute
 * into a space, so those become references where they would change. */
static const struct strbuf_escaper xml_text_esc = {"", STRBUF_ESC_XML | STRBUF_ESC_RAW_LF |
                                                           STRBUF_ESC_RAW_TAB | STRBUF_ESC_NO_FFFF};
static const struct strbuf_escaper xml_attr_esc = {"", STRBUF_ESC_XML | STRBUF_ESC_NO_FFFF};

static void xml_attr(struct strbuf *sb, const char *name, const char *value, size_t n)
{
	strbuf_printf(sb, " %s=\"", name);
	strbuf_put_escaped(sb, report_nz(value), n, &xml_attr_esc);
	strbuf_putc(sb, '"');
}

static void xml_seconds(struct strbuf *sb, uint64_t ms)
{
	strbuf_printf(sb, " time=\"%llu.%03llu\"", (unsigned long long)(ms / 1000),
	              (unsigned long long)(ms % 1000));
}

/* tests, failures, errors, skipped and time, JUnit's standard counters. */
static void junit_counts(struct strbuf *sb, const struct report_summary *s, uint64_t ms)
{
	strbuf_printf(sb, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\"",
	              report_summary_total(s), s->fail, s->error, s->skip);
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
static void junit_problem(struct strbuf *sb, const struct report_case *c, const char *tag)
{
	const char *msg = report_nz(c->message), *file = report_nz(c->file);
	size_t n = strlen(msg);

	strbuf_printf(sb, "      <%s", tag);
	xml_attr(sb, "message", msg, report_first_line_len(msg));
	strbuf_printf(sb, " type=\"%s\">", report_verdict_name(c->verdict));
	strbuf_put_escaped(sb, msg, n, &xml_text_esc);
	if (file[0]) {
		if (n > 0 && msg[n - 1] != '\n')
			strbuf_putc(sb, '\n');
		strbuf_put_str(sb, file, &xml_text_esc);
		if (c->line)
			strbuf_printf(sb, ":%u", c->line);
	}
	strbuf_printf(sb, "</%s>\n", tag);
}

static void junit_stream(struct strbuf *sb, const char *tag, const char *text)
{
	if (!report_nz(text)[0])
		return;
	strbuf_printf(sb, "      <%s>", tag);
	strbuf_put_str(sb, text, &xml_text_esc);
	strbuf_printf(sb, "</%s>\n", tag);
}

static void junit_case(struct strbuf *sb, const struct report_run *run, const struct report_case *c)
{
	enum verdict v = report_verdict_known(c->verdict);

	strbuf_puts(sb, "    <testcase classname=\"");
	strbuf_put_str(sb, run->profile, &xml_attr_esc);
	strbuf_putc(sb, '.');
	strbuf_put_str(sb, c->family, &xml_attr_esc);
	strbuf_putc(sb, '"');
	xml_attr(sb, "name", c->id, strlen(report_nz(c->id)));
	xml_seconds(sb, c->duration_ms);
	if (v == VERDICT_PASS) {
		strbuf_puts(sb, "/>\n");
		return;
	}
	strbuf_puts(sb, ">\n");
	if (v == VERDICT_SKIP) {
		strbuf_puts(sb, "      <skipped");
		xml_attr(sb, "message", c->message, strlen(report_nz(c->message)));
		strbuf_puts(sb, "/>\n");
	} else {
		junit_problem(sb, c, v == VERDICT_FAIL ? "failure" : "error");
		junit_stream(sb, "system-out", c->timeline);
		junit_stream(sb, "system-err", c->output);
	}
	strbuf_puts(sb, "    </testcase>\n");
}

void render_junit(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;
	uint64_t ms = 0;
	size_t i, j;

	for (i = 0; i < r->nruns; i++)
		ms += run_ms(&r->runs[i]);
	report_summarize(r, NULL, &s);
	strbuf_puts(sb,
	            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sockspec\"");
	junit_counts(sb, &s, ms);
	strbuf_puts(sb, ">\n");
	for (i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		report_summarize(r, run, &s);
		strbuf_puts(sb, "  <testsuite");
		xml_attr(sb, "name", run->profile, strlen(report_nz(run->profile)));
		junit_counts(sb, &s, run_ms(run));
		strbuf_puts(sb, ">\n");
		for (j = 0; j < run->ncases; j++)
			junit_case(sb, run, &run->cases[j]);
		strbuf_puts(sb, "  </testsuite>\n");
	}
	strbuf_puts(sb, "</testsuites>\n");
}
