/* SPDX-License-Identifier: MIT */
/* The JSON rendering, for CI: one document with every run and case. */
#include "render_int.h"

#include <stdint.h>
#include <string.h>

/* JSON cannot hold a non-UTF-8 byte; it becomes the code point of the
 * same number, which keeps the document valid and the byte recognisable. */
static const struct strbuf_escaper json_esc = {"\"\\",
                                               STRBUF_ESC_C | STRBUF_ESC_CTL_U | STRBUF_ESC_BAD_U};

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

/* The failed expectation's bytes: the windows and where they start. */
static void json_bytes(struct strbuf *sb, const struct report_bytes *b)
{
	strbuf_printf(sb, ",\"bytes\":{\"pattern\":%s,\"from\":%llu,\"diff\":%llu",
	              b->pattern ? "true" : "false", (unsigned long long)b->from,
	              (unsigned long long)b->diff);
	strbuf_puts(sb, ",\"expected\":\"");
	strbuf_put_escaped(sb, (const char *)b->expected, b->expected_len, &json_esc);
	strbuf_printf(sb, "\",\"expected_total\":%llu,\"received\":\"",
	              (unsigned long long)b->expected_total);
	strbuf_put_escaped(sb, (const char *)b->received, b->received_len, &json_esc);
	strbuf_printf(sb, "\",\"received_total\":%llu}", (unsigned long long)b->received_total);
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
	if (c->bytes.shown)
		json_bytes(sb, &c->bytes);
	strbuf_putc(sb, '}');
}

void render_json(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;
	size_t i, j;

	json_field(sb, "{\"tool\":", "sockspec");
	json_field(sb, ",\"version\":", r->version);
	strbuf_printf(sb, ",\"seed\":%llu", (unsigned long long)r->seed);
	json_field(sb, ",\"started\":", r->started);
	strbuf_printf(sb, ",\"duration_ms\":%llu", (unsigned long long)r->duration_ms);
	strbuf_puts(sb, ",\"runs\":[");
	for (i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		json_field(sb, i ? ",{\"profile\":" : "{\"profile\":", run->profile);
		json_field(sb, ",\"target\":", run->target);
		json_field(sb, ",\"framing\":", run->framing);
		json_field(sb, ",\"started\":", run->started);
		strbuf_printf(sb, ",\"duration_ms\":%llu", (unsigned long long)run->duration_ms);
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
