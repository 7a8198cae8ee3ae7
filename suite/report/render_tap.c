/* SPDX-License-Identifier: MIT */
/* The TAP 13 rendering, for CI: a YAML block for each failure. */
#include "render_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A TAP test line: one line, and a raw '#' in the description would
 * start a directive (TAP 13 escapes it as \#, and '\' as \\). The
 * reason of a directive runs to the end of the line: nothing to escape
 * there but controls. */
static const struct strbuf_escaper tap_esc = {"#\\", STRBUF_ESC_NO_C1};
static const struct strbuf_escaper tap_reason_esc = {"", STRBUF_ESC_NO_C1};
/* YAML double-quoted scalar, where \xNN is an escape (code point NN). */
static const struct strbuf_escaper yaml_esc = {"\"\\", STRBUF_ESC_C | STRBUF_ESC_NO_C1 |
                                                           STRBUF_ESC_NO_FFFF | STRBUF_ESC_CP_U};

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

/* A "# key: value" comment line: TAP consumers show it, and ignore it. */
static void tap_meta(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_printf(sb, "# %s: ", key);
	strbuf_put_str(sb, value, &tap_reason_esc);
	strbuf_putc(sb, '\n');
}

static void tap_run_meta(struct strbuf *sb, const struct report_run *run)
{
	tap_meta(sb, "profile", run->profile);
	tap_meta(sb, "target", run->target);
	tap_meta(sb, "framing", run->framing);
	tap_meta(sb, "run_started", run->started);
}

void render_tap(struct strbuf *sb, const struct report *r)
{
	size_t i, j, total = 0, number = 0;
	char n[32];

	for (i = 0; i < r->nruns; i++)
		total += r->runs[i].ncases;
	strbuf_printf(sb, "TAP version 13\n1..%zu\n", total);
	tap_meta(sb, "tool", "sockspec");
	tap_meta(sb, "version", r->version);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)r->seed);
	tap_meta(sb, "seed", n);
	tap_meta(sb, "started", r->started);
	for (i = 0; i < r->nruns; i++) {
		tap_run_meta(sb, &r->runs[i]);
		for (j = 0; j < r->runs[i].ncases; j++)
			tap_case(sb, &r->runs[i], &r->runs[i].cases[j], ++number);
		snprintf(n, sizeof(n), "%llu", (unsigned long long)r->runs[i].duration_ms);
		tap_meta(sb, "run_duration_ms", n);
	}
	snprintf(n, sizeof(n), "%llu", (unsigned long long)r->duration_ms);
	tap_meta(sb, "duration_ms", n);
}
