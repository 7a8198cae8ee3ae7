/* SPDX-License-Identifier: MIT */
/*
 * The JUnit XML rendering, for CI, in the dialect GitLab, Jenkins and
 * GitHub's test-report actions read (suite/tests/junit.xsd pins it): one
 * testsuite per run with the run's metadata as properties, and file and
 * line on every testcase, so an annotation points at the case file.
 */
#include "render_int.h"
#include "sidebyside.h"

#include <stdint.h>
#include <stdio.h>
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

/* tests, failures, errors, skipped and time, JUnit's standard counters,
 * and when the suite started. */
static void junit_counts(struct strbuf *sb, const struct report_summary *s, uint64_t ms,
                         const char *started)
{
	strbuf_printf(sb, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\"",
	              report_summary_total(s), s->fail, s->error, s->skip);
	xml_seconds(sb, ms);
	xml_attr(sb, "timestamp", started, strlen(report_nz(started)));
}

/* <failure> or <error>: message attribute is the first line; the body is
 * the whole message, where in the case file it went wrong and, for an
 * expectation of bytes, expected and received side by side. */
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
	if (c->bytes.shown) {
		struct strbuf view = {NULL, 0, 0, 0};

		sidebyside_render(&view, &c->bytes, 0);
		if (view.oom)
			sb->oom = 1;
		strbuf_putc(sb, '\n');
		strbuf_put_str(sb, strbuf_text(&view), &xml_text_esc);
		strbuf_release(&view);
	}
	strbuf_printf(sb, "</%s>\n", tag);
}

/* The timeline and the target's output, both in <system-out>: the one
 * stream CI pages show beside a failed test. */
static void junit_system_out(struct strbuf *sb, const struct report_case *c)
{
	const char *timeline = report_nz(c->timeline), *output = report_nz(c->output);

	if (!timeline[0] && !output[0])
		return;
	strbuf_puts(sb, "      <system-out>");
	if (timeline[0]) {
		strbuf_puts(sb, "timeline:\n");
		strbuf_put_str(sb, timeline, &xml_text_esc);
	}
	if (output[0]) {
		if (timeline[0] && timeline[strlen(timeline) - 1] != '\n')
			strbuf_putc(sb, '\n');
		strbuf_puts(sb, "target output:\n");
		strbuf_put_str(sb, output, &xml_text_esc);
	}
	strbuf_puts(sb, "</system-out>\n");
}

static void junit_case(struct strbuf *sb, const struct report_run *run, const struct report_case *c)
{
	enum verdict v = report_verdict_known(c->verdict);

	strbuf_puts(sb, "    <testcase");
	xml_attr(sb, "name", c->id, strlen(report_nz(c->id)));
	xml_attr(sb, "classname", run->profile, strlen(report_nz(run->profile)));
	xml_attr(sb, "file", c->file, strlen(report_nz(c->file)));
	/* Annotations point at a line: the failing statement's, else the
	 * case's first. */
	strbuf_printf(sb, " line=\"%u\"", c->line ? c->line : 1);
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
		junit_system_out(sb, c);
	}
	strbuf_puts(sb, "    </testcase>\n");
}

static void junit_property(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_puts(sb, "      <property");
	xml_attr(sb, "name", name, strlen(name));
	xml_attr(sb, "value", value, strlen(report_nz(value)));
	strbuf_puts(sb, "/>\n");
}

/* <testsuite> of one run: named after its profile, and its framing
 * when that is chunk, so the two runs of a profile in --all differ. */
static void junit_suite(struct strbuf *sb, const struct report *r, const struct report_run *run)
{
	struct report_summary s;
	struct strbuf name = {NULL, 0, 0, 0};
	char seed[32];

	report_summarize(r, run, &s);
	strbuf_puts(&name, report_nz(run->profile));
	if (strcmp(report_nz(run->framing), "chunk") == 0)
		strbuf_puts(&name, " (chunk)");
	strbuf_puts(sb, "  <testsuite");
	xml_attr(sb, "name", strbuf_text(&name), strlen(strbuf_text(&name)));
	strbuf_release(&name);
	junit_counts(sb, &s, run->duration_ms, run->started);
	xml_attr(sb, "hostname", r->hostname, strlen(report_nz(r->hostname)));
	strbuf_puts(sb, ">\n    <properties>\n");
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
	junit_property(sb, "version", r->version);
	junit_property(sb, "seed", seed);
	junit_property(sb, "target", run->target);
	junit_property(sb, "framing", run->framing);
	strbuf_puts(sb, "    </properties>\n");
	for (size_t j = 0; j < run->ncases; j++)
		junit_case(sb, run, &run->cases[j]);
	strbuf_puts(sb, "  </testsuite>\n");
}

void render_junit(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;

	report_summarize(r, NULL, &s);
	strbuf_puts(sb,
	            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sockspec\"");
	junit_counts(sb, &s, r->duration_ms, r->started);
	strbuf_puts(sb, ">\n");
	for (size_t i = 0; i < r->nruns; i++)
		junit_suite(sb, r, &r->runs[i]);
	strbuf_puts(sb, "</testsuites>\n");
}
