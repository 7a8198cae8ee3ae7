/* SPDX-License-Identifier: MIT */
/*
 * The renderings of a report for CI: one JSON document, JUnit XML (one
 * testsuite per run) and TAP 13 with a YAML block for each failure. Each
 * format has its own escapers, defined below, which keep every result
 * valid of its kind however hostile the bytes of a case file or of the
 * target's output: JSON, XML 1.0, and TAP with YAML.
 */
#include "report_int.h"

#include <stdint.h>
#include <string.h>

/* A TAP test line: one line, and a raw '#' in the description would
 * start a directive (TAP 13 escapes it as \#, and '\' as \\). The
 * reason of a directive runs to the end of the line: nothing to escape
 * there but controls. */
static const struct strbuf_escaper tap_esc = {"#\\", STRBUF_ESC_NO_C1};
static const struct strbuf_escaper tap_reason_esc = {"", STRBUF_ESC_NO_C1};
/* JSON cannot hold a non-UTF-8 byte; it becomes the code point of the
 * same number, which keeps the document valid and the byte recognisable. */
static const struct strbuf_escaper json_esc = {"\"\\",
                                               STRBUF_ESC_C | STRBUF_ESC_CTL_U | STRBUF_ESC_BAD_U};
/* YAML double-quoted scalar, where \xNN is an escape (code point NN). */
static const struct strbuf_escaper yaml_esc = {"\"\\", STRBUF_ESC_C | STRBUF_ESC_NO_C1 |
                                                           STRBUF_ESC_NO_FFFF | STRBUF_ESC_CP_U};
/* XML 1.0 has no way to write C0 controls (other than TAB, LF, CR) or
 * U+FFFE/U+FFFF, not even as references: they are shown as \xNN text.
 * Parsers turn a raw CR into LF, and a raw TAB or LF in an attribute
 * into a space, so those become references where they would change. */
static const struct strbuf_escaper xml_text_esc = {"", STRBUF_ESC_XML | STRBUF_ESC_RAW_LF |
                                                           STRBUF_ESC_RAW_TAB | STRBUF_ESC_NO_FFFF};
static const struct strbuf_escaper xml_attr_esc = {"", STRBUF_ESC_XML | STRBUF_ESC_NO_FFFF};

/* ,"key":"value" with the leading text (comma and key) given verbatim. */
static void json_field(struct strbuf *sb, const char *lead, const char *value)
{
	strbuf_puts(sb, lead);
	strbuf_putc(sb, '"');
	strbuf_put_str(sb, value, &json_esc);
	strbuf_putc(sb, '"');
}

static void json_summary(struct strbuf *sb, const struct report_summary *s)
{
	strbuf_printf(sb, "{\"pass\":%u,\"fail\":%u,\"skip\":%u,\"error\":%u}", s->pass, s->fail,
	              s->skip, s->error);
}

static void json_case(struct strbuf *sb, const struct report_case *c)
{
	json_field(sb, "{\"id\":", c->id);
	json_field(sb, ",\"family\":", c->family);
	json_field(sb, ",\"description\":", c->description);
	strbuf_printf(sb, ",\"verdict\":\"%s\",\"duration_ms\":%llu",
	              report_verdict_name(c->verdict), (unsigned long long)c->duration_ms);
	json_field(sb, ",\"message\":", c->message);
	strbuf_printf(sb, ",\"line\":%u", c->line);
	json_field(sb, ",\"file\":", c->file);
	if (report_verdict_failed(c->verdict)) {
		json_field(sb, ",\"timeline\":", c->timeline);
		json_field(sb, ",\"output\":", c->output);
	}
	strbuf_putc(sb, '}');
}

void report_ci_json(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;
	size_t i, j;

	json_field(sb, "{\"tool\":", "sockspec");
	json_field(sb, ",\"version\":", r->version);
	strbuf_puts(sb, ",\"runs\":[");
	for (i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		json_field(sb, i ? ",{\"profile\":" : "{\"profile\":", run->profile);
		json_field(sb, ",\"target\":", run->target);
		json_field(sb, ",\"framing\":", run->framing);
		strbuf_puts(sb, ",\"cases\":[");
		for (j = 0; j < run->ncases; j++) {
			if (j)
				strbuf_putc(sb, ',');
			json_case(sb, &run->cases[j]);
		}
		strbuf_puts(sb, "],\"summary\":");
		report_summarize(r, run, &s);
		json_summary(sb, &s);
		strbuf_putc(sb, '}');
	}
	strbuf_puts(sb, "],\"summary\":");
	report_summarize(r, NULL, &s);
	json_summary(sb, &s);
	strbuf_puts(sb, "}\n");
}

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

void report_ci_junit(struct strbuf *sb, const struct report *r)
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

static void yaml_field(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_printf(sb, "  %s: \"", key);
	strbuf_put_str(sb, value, &yaml_esc);
	strbuf_puts(sb, "\"\n");
}

static void tap_case(struct strbuf *sb, const struct report_run *run, const struct report_case *c,
                     size_t number)
{
	enum verdict v = report_verdict_known(c->verdict);
	const char *msg = report_nz(c->message);

	strbuf_printf(sb, "%s %zu - ", report_verdict_failed(v) ? "not ok" : "ok", number);
	strbuf_put_str(sb, run->profile, &tap_esc);
	strbuf_putc(sb, ' ');
	strbuf_put_str(sb, c->id, &tap_esc);
	if (v == VERDICT_SKIP) {
		strbuf_puts(sb, " # SKIP");
		if (msg[0])
			strbuf_putc(sb, ' ');
		strbuf_put_escaped(sb, msg, report_first_line_len(msg), &tap_reason_esc);
	}
	strbuf_putc(sb, '\n');
	if (!report_verdict_failed(v))
		return;
	strbuf_puts(sb, "  ---\n");
	yaml_field(sb, "message", msg);
	strbuf_printf(sb, "  severity: %s\n", report_verdict_name(v));
	yaml_field(sb, "file", c->file);
	strbuf_printf(sb, "  line: %u\n  duration_ms: %llu\n  ...\n", c->line,
	              (unsigned long long)c->duration_ms);
}

void report_ci_tap(struct strbuf *sb, const struct report *r)
{
	size_t i, j, total = 0, number = 0;

	for (i = 0; i < r->nruns; i++)
		total += r->runs[i].ncases;
	strbuf_printf(sb, "TAP version 13\n1..%zu\n", total);
	for (i = 0; i < r->nruns; i++)
		for (j = 0; j < r->runs[i].ncases; j++)
			tap_case(sb, &r->runs[i], &r->runs[i].cases[j], ++number);
}
