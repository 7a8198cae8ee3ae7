/* SPDX-License-Identifier: MIT */
/*
 * The HTML rendering, for people debugging: one self-contained page (its
 * CSS and script inline, nothing fetched) with the run's metadata, the
 * summary per run and per family, every case with filters by verdict
 * and family (the script only hides rows; without it all is shown), and
 * for each failed case its message, its timeline as a sequence diagram
 * (render_seq.c), the whole timeline and the target's output. Whatever
 * comes from the server or the case files is escaped: markup characters
 * as references, control bytes and invalid UTF-8 as visible \xNN.
 */
#include "render_int.h"

#include <stdint.h>
#include <string.h>

/* One line of text: LF, CR and TAB shown as \n \r \t. */
static const struct strbuf_escaper html_inline_esc = {
    "", STRBUF_ESC_C | STRBUF_ESC_XML | STRBUF_ESC_NO_C1 | STRBUF_ESC_NO_FFFF};
/* A <pre> block: LF and TAB raw, a CR shown as \r. */
static const struct strbuf_escaper html_block_esc = {"", STRBUF_ESC_RAW_LF | STRBUF_ESC_RAW_TAB |
                                                             STRBUF_ESC_C | STRBUF_ESC_XML |
                                                             STRBUF_ESC_NO_C1 | STRBUF_ESC_NO_FFFF};

void render_html_text(struct strbuf *sb, const char *s, size_t n)
{
	strbuf_put_escaped(sb, s, n, &html_inline_esc);
}

static void text(struct strbuf *sb, const char *s)
{
	strbuf_put_str(sb, s, &html_inline_esc);
}

static void pre(struct strbuf *sb, const char *cls, const char *s)
{
	strbuf_printf(sb, "<pre class=\"%s\">", cls);
	strbuf_put_str(sb, s, &html_block_esc);
	strbuf_puts(sb, "</pre>\n");
}

static const char *verdict_word(enum verdict v)
{
	static const char *const words[] = {"PASS", "FAIL", "SKIP", "ERROR"};

	return words[report_verdict_known(v)];
}

static void duration(struct strbuf *sb, uint64_t ms)
{
	if (ms < 1000)
		strbuf_printf(sb, "%llu ms", (unsigned long long)ms);
	else
		strbuf_printf(sb, "%llu.%03llu s", (unsigned long long)(ms / 1000),
		              (unsigned long long)(ms % 1000));
}

static const char html_style[] =
    "<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}\n"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.4em 0 .4em}\n"
    "h3{font-size:1em;margin:1em 0 .3em}code,pre,td.id{font-family:ui-monospace,monospace}\n"
    "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:2px 8px}\n"
    "th{background:#f6f8fa;text-align:left}td.n{text-align:right;white-space:nowrap}\n"
    "dl.meta{display:grid;grid-template-columns:max-content auto;gap:0 1em;margin:0}\n"
    "dl.meta dt{color:#57606a}dl.meta dd{margin:0;font-family:ui-monospace,monospace}\n"
    ".pass{color:#1a7f37}.fail{color:#cf222e}.skip{color:#9a6700}.error{color:#8250df}\n"
    "td.v{font-weight:bold}td.bad{background:#ffebe9}td.ok{background:#dafbe1}\n"
    "pre{background:#f6f8fa;padding:6px 8px;white-space:pre-wrap;margin:.3em 0}\n"
    "pre.msg{background:#ffebe9;color:#82071e}\n"
    "section.failure{border-top:2px solid #cf222e;margin-top:1.5em}\n"
    "#filters{margin:.6em 0;padding:6px 8px;background:#f6f8fa;position:sticky;top:0}#filters "
    "label{margin-right:1em}\n"
    "[hidden]{display:none!important}\n"
    "svg.seq{display:block;max-width:100%;height:auto;border:1px solid #d0d7de;margin:.5em 0}\n"
    ".seq text{font:12px ui-monospace,monospace;paint-order:stroke;stroke:#fff;"
    "stroke-width:3px;stroke-linejoin:round;fill:#1f2328}\n"
    ".seq .lane rect{fill:#ddf4ff;stroke:#0969da}.seq .lane text{font-weight:bold}\n"
    ".seq .life{stroke:#8c959f;stroke-dasharray:4 3}\n"
    ".seq .send line{stroke:#24292f;stroke-width:1.5}.seq .send path{fill:#24292f}\n"
    ".seq .recv line{stroke:#0969da;stroke-width:1.5}.seq .recv path{fill:#0969da}\n"
    ".seq .recv text{fill:#0550ae}\n"
    ".seq .hot line{stroke:#d00;stroke-width:2.5}.seq .hot path{fill:#d00}\n"
    ".seq .hot text{fill:#d00;font-weight:bold}\n"
    ".seq .mark rect{fill:#8c959f}.seq .open rect{fill:#2da44e}.seq .end rect{fill:#bf8700}\n"
    ".seq .bad rect{fill:#fb8f44}.seq .target rect{fill:#8250df}.seq .target text{fill:#6639ba}\n"
    ".seq .t,.seq .pause{fill:#6e7781}.seq .note{fill:#57606a;font-style:italic}\n"
    ".seq .fail line{stroke:#d00;stroke-width:2;stroke-dasharray:7 4}\n"
    ".seq .fail .x{stroke:#d00;stroke-width:3;fill:none}.seq .fail text{fill:#d00}\n"
    ".seq .fail .v{font-weight:bold}\n"
    "</style>\n";

/* Hides what the filters leave out; runs only where scripts may. The
 * page's query string can set them: report.html?verdict=fail,error&family=exit */
static const char html_script[] =
    "<script>\n"
    "(function () {\n"
    "  var form = document.getElementById('filters');\n"
    "  var query = new URLSearchParams(location.search);\n"
    "  form.hidden = false;\n"
    "  if (query.has('verdict')) {\n"
    "    var want = query.get('verdict').split(',');\n"
    "    form.querySelectorAll('input').forEach(function (b) {\n"
    "      b.checked = want.indexOf(b.value) >= 0;\n"
    "    });\n"
    "  }\n"
    "  if (query.has('family'))\n"
    "    form.querySelector('select').value = query.get('family');\n"
    "  function apply() {\n"
    "    var on = {}, family = form.querySelector('select').value;\n"
    "    form.querySelectorAll('input').forEach(function (b) { on[b.value] = b.checked; });\n"
    "    document.querySelectorAll('[data-verdict]').forEach(function (el) {\n"
    "      el.hidden = !(on[el.dataset.verdict] &&\n"
    "                    (family === '' || el.dataset.family === family));\n"
    "    });\n"
    "  }\n"
    "  form.addEventListener('change', apply);\n"
    "  apply();\n"
    "})();\n"
    "</script>\n";

static void header(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;

	report_summarize(r, NULL, &s);
	strbuf_printf(sb,
	              "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	              "<title>sockspec: %u passed, %u failed, %u skipped, %u errors</title>\n",
	              s.pass, s.fail, s.skip, s.error);
	strbuf_puts(sb, html_style);
	strbuf_puts(sb, "</head>\n<body>\n<header>\n<h1>sockspec report</h1>\n");
	strbuf_printf(sb,
	              "<p><span class=\"pass\">%u passed</span>, <span class=\"fail\">%u "
	              "failed</span>, <span class=\"skip\">%u skipped</span>, <span "
	              "class=\"error\">%u errors</span></p>\n<dl class=\"meta\">\n",
	              s.pass, s.fail, s.skip, s.error);
	strbuf_puts(sb, "<dt>version</dt><dd>sockspec ");
	text(sb, r->version);
	strbuf_puts(sb, "</dd>\n");
	if (r->started && *r->started) /* set with the seed, which may be 0 */
		strbuf_printf(sb, "<dt>seed</dt><dd>%llu</dd>\n", (unsigned long long)r->seed);
	if (r->started && *r->started) {
		strbuf_puts(sb, "<dt>started</dt><dd>");
		text(sb, r->started);
		strbuf_puts(sb, "</dd>\n");
	}
	if (r->duration_ms) {
		strbuf_puts(sb, "<dt>duration</dt><dd>");
		duration(sb, r->duration_ms);
		strbuf_puts(sb, "</dd>\n");
	}
	strbuf_puts(sb, "</dl>\n</header>\n");
}

static void count_cell(struct strbuf *sb, unsigned n, const char *cls)
{
	strbuf_printf(sb, "<td class=\"n%s%s\">%u</td>", n && cls ? " " : "", n && cls ? cls : "",
	              n);
}

/* The runs, one row each; started and duration only when some run has them. */
static void runs_table(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;
	int started = 0, took = 0;

	for (size_t i = 0; i < r->nruns; i++) {
		started |= r->runs[i].started && *r->runs[i].started;
		took |= r->runs[i].duration_ms != 0;
	}
	strbuf_printf(sb,
	              "<h2>Runs</h2>\n<table class=\"runs\">\n<tr><th>profile</th><th>framing</th>"
	              "<th>target</th>%s%s<th>pass</th><th>fail</th><th>skip</th><th>error</th>"
	              "<th>total</th></tr>\n",
	              started ? "<th>started</th>" : "", took ? "<th>duration</th>" : "");
	for (size_t i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		report_summarize(r, run, &s);
		strbuf_printf(sb, "<tr><td><a href=\"#run-%zu\">", i);
		text(sb, run->profile);
		strbuf_puts(sb, "</a></td><td>");
		text(sb, run->framing);
		strbuf_puts(sb, "</td><td><code>");
		text(sb, run->target);
		strbuf_puts(sb, "</code></td>");
		if (started) {
			strbuf_puts(sb, "<td>");
			text(sb, run->started);
			strbuf_puts(sb, "</td>");
		}
		if (took) {
			strbuf_puts(sb, "<td class=\"n\">");
			if (run->duration_ms)
				duration(sb, run->duration_ms);
			strbuf_puts(sb, "</td>");
		}
		count_cell(sb, s.pass, NULL);
		count_cell(sb, s.fail, "bad");
		count_cell(sb, s.skip, NULL);
		count_cell(sb, s.error, "bad");
		count_cell(sb, report_summary_total(&s), NULL);
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</table>\n");
}

/* The bundled taxonomy, in the order the text report shows it. */
static const char *const bundled_families[] = {"basic", "partial-recv", "framing", "concurrency",
                                               "exit",  "reuse",        "limits",  "resources"};
#define BUNDLED_FAMILIES (sizeof(bundled_families) / sizeof(bundled_families[0]))

static int is_bundled(const char *fam)
{
	for (size_t k = 0; k < BUNDLED_FAMILIES; k++)
		if (strcmp(fam, bundled_families[k]) == 0)
			return 1;
	return 0;
}

static int has_family(const struct report *r, const char *fam)
{
	for (size_t i = 0; i < r->nruns; i++)
		for (size_t j = 0; j < r->runs[i].ncases; j++)
			if (strcmp(r->runs[i].cases[j].family, fam) == 0)
				return 1;
	return 0;
}

/* 1 when c is the first case of the whole report with its family. */
static int first_of_family(const struct report *r, size_t run, size_t idx)
{
	const char *fam = r->runs[run].cases[idx].family;

	for (size_t i = 0; i <= run; i++)
		for (size_t j = 0; j < (i == run ? idx : r->runs[i].ncases); j++)
			if (strcmp(r->runs[i].cases[j].family, fam) == 0)
				return 0;
	return 1;
}

/* Calls fn for every family of the report: the bundled ones in their
 * order, then a suite's own in order of first appearance. */
static void each_family(const struct report *r, struct strbuf *sb,
                        void (*fn)(struct strbuf *, const struct report *, const char *,
                                   const void *),
                        const void *arg)
{
	for (size_t k = 0; k < BUNDLED_FAMILIES; k++)
		if (has_family(r, bundled_families[k]))
			fn(sb, r, bundled_families[k], arg);
	for (size_t i = 0; i < r->nruns; i++)
		for (size_t j = 0; j < r->runs[i].ncases; j++)
			if (!is_bundled(r->runs[i].cases[j].family) && first_of_family(r, i, j))
				fn(sb, r, r->runs[i].cases[j].family, arg);
}

static void family_head(struct strbuf *sb, const struct report *r, const char *fam, const void *arg)
{
	(void)r;
	(void)arg;
	strbuf_puts(sb, "<th>");
	text(sb, fam);
	strbuf_puts(sb, "</th>");
}

/* passed/judged of one run's family (skips not judged), "-" for none. */
static void family_cell(struct strbuf *sb, const struct report *r, const char *fam, const void *arg)
{
	const struct report_run *run = arg;
	unsigned pass = 0, judged = 0;

	(void)r;
	for (size_t j = 0; j < run->ncases; j++) {
		enum verdict v = report_verdict_known(run->cases[j].verdict);

		if (strcmp(run->cases[j].family, fam) != 0 || v == VERDICT_SKIP)
			continue;
		judged++;
		pass += v == VERDICT_PASS;
	}
	if (judged == 0)
		strbuf_puts(sb, "<td class=\"n\">-</td>");
	else
		strbuf_printf(sb, "<td class=\"n %s\">%u/%u</td>", pass == judged ? "ok" : "bad",
		              pass, judged);
}

static void family_table(struct strbuf *sb, const struct report *r)
{
	strbuf_puts(sb, "<h2>By family</h2>\n<p>passed/judged (skipped cases are not judged)</p>\n"
	                "<table class=\"families\">\n<tr><th>profile</th>");
	each_family(r, sb, family_head, NULL);
	strbuf_puts(sb, "</tr>\n");
	for (size_t i = 0; i < r->nruns; i++) {
		strbuf_puts(sb, "<tr><td>");
		text(sb, r->runs[i].profile);
		if (strcmp(r->runs[i].framing, "chunk") == 0)
			strbuf_puts(sb, " (chunk)");
		strbuf_puts(sb, "</td>");
		each_family(r, sb, family_cell, &r->runs[i]);
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</table>\n");
}

static void family_option(struct strbuf *sb, const struct report *r, const char *fam,
                          const void *arg)
{
	(void)r;
	(void)arg;
	strbuf_puts(sb, "<option value=\"");
	text(sb, fam);
	strbuf_puts(sb, "\">");
	text(sb, fam);
	strbuf_puts(sb, "</option>");
}

/* Hidden until the script shows it: without a script it could not work. */
static void filters(struct strbuf *sb, const struct report *r)
{
	static const char *const names[] = {"pass", "fail", "skip", "error"};

	strbuf_puts(sb, "<form id=\"filters\" hidden>show ");
	for (size_t k = 0; k < 4; k++)
		strbuf_printf(sb,
		              "<label class=\"%s\"><input type=\"checkbox\" value=\"%s\" checked> "
		              "%s</label>",
		              names[k], names[k], names[k]);
	strbuf_puts(sb, "<label>family <select><option value=\"\">all</option>");
	each_family(r, sb, family_option, NULL);
	strbuf_puts(sb, "</select></label></form>\n");
}

/* data-verdict and data-family, which the filters read. */
static void filter_attrs(struct strbuf *sb, const struct report_case *c)
{
	strbuf_printf(sb, " data-verdict=\"%s\" data-family=\"", report_verdict_name(c->verdict));
	text(sb, c->family);
	strbuf_putc(sb, '"');
}

static void run_title(struct strbuf *sb, const struct report_run *run)
{
	text(sb, run->profile);
	strbuf_puts(sb, " (");
	text(sb, run->framing);
	strbuf_puts(sb, " framing): <code>");
	text(sb, run->target);
	strbuf_puts(sb, "</code>");
}

static void case_rows(struct strbuf *sb, const struct report *r)
{
	strbuf_puts(sb, "<h2>Cases</h2>\n");
	for (size_t i = 0; i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];

		strbuf_printf(sb, "<h3 id=\"run-%zu\">", i);
		run_title(sb, run);
		strbuf_puts(sb, "</h3>\n<table class=\"cases\">\n<tr><th>verdict</th><th>case</th>"
		                "<th>time</th><th>message</th></tr>\n");
		for (size_t j = 0; j < run->ncases; j++) {
			const struct report_case *c = &run->cases[j];
			const char *v = report_verdict_name(c->verdict);
			const char *msg = report_nz(c->message);

			strbuf_puts(sb, "<tr");
			filter_attrs(sb, c);
			strbuf_printf(sb, "><td class=\"v %s\">%s</td><td class=\"id\">", v,
			              verdict_word(c->verdict));
			if (report_verdict_failed(c->verdict))
				strbuf_printf(sb, "<a href=\"#case-%zu-%zu\">", i, j);
			text(sb, c->id);
			strbuf_puts(sb, report_verdict_failed(c->verdict) ? "</a>" : "");
			strbuf_puts(sb, "</td><td class=\"n\">");
			duration(sb, c->duration_ms);
			strbuf_puts(sb, "</td><td>");
			render_html_text(sb, msg, report_first_line_len(msg));
			strbuf_puts(sb, "</td></tr>\n");
		}
		strbuf_puts(sb, "</table>\n");
	}
}

static void failure(struct strbuf *sb, const struct report_run *run, const struct report_case *c,
                    size_t i, size_t j)
{
	strbuf_printf(sb, "<section class=\"failure\" id=\"case-%zu-%zu\"", i, j);
	filter_attrs(sb, c);
	strbuf_printf(sb, ">\n<h3><span class=\"%s\">%s</span> ", report_verdict_name(c->verdict),
	              verdict_word(c->verdict));
	text(sb, c->id);
	strbuf_puts(sb, " &#8212; ");
	run_title(sb, run);
	strbuf_puts(sb, "</h3>\n<p>");
	text(sb, c->description);
	if (c->file[0]) {
		strbuf_puts(sb, " <code>");
		text(sb, c->file);
		if (c->line)
			strbuf_printf(sb, ":%u", c->line);
		strbuf_puts(sb, "</code>");
	}
	strbuf_puts(sb, "</p>\n");
	pre(sb, "msg", c->message);
	render_seq(sb, c);
	if (c->timeline[0]) {
		strbuf_puts(sb, "<details><summary>timeline</summary>\n");
		pre(sb, "timeline", c->timeline);
		strbuf_puts(sb, "</details>\n");
	}
	if (c->output[0]) {
		strbuf_puts(sb, "<details open><summary>target output</summary>\n");
		pre(sb, "output", c->output);
		strbuf_puts(sb, "</details>\n");
	}
	strbuf_puts(sb, "</section>\n");
}

void render_html(struct strbuf *sb, const struct report *r)
{
	struct report_summary s;

	header(sb, r);
	runs_table(sb, r);
	family_table(sb, r);
	filters(sb, r);
	report_summarize(r, NULL, &s);
	if (s.fail + s.error)
		strbuf_puts(sb, "<h2>Failures</h2>\n");
	for (size_t i = 0; i < r->nruns; i++)
		for (size_t j = 0; j < r->runs[i].ncases; j++)
			if (report_verdict_failed(r->runs[i].cases[j].verdict))
				failure(sb, &r->runs[i], &r->runs[i].cases[j], i, j);
	case_rows(sb, r);
	strbuf_puts(sb, html_script);
	strbuf_puts(sb, "</body>\n</html>\n");
}
