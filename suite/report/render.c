/* SPDX-License-Identifier: MIT */
/*
 * The format dispatch of render.h, and the text blocks for live progress.
 * Every renderer appends to a strbuf, whose allocation failure is checked
 * once, at the end.
 */
#include "render_int.h"

#include <string.h>

int report_format_parse(const char *name, enum report_format *out)
{
	static const char *const names[] = {"text", "json", "junit", "tap", "html"};
	static const enum report_format formats[] = {REPORT_TEXT, REPORT_JSON, REPORT_JUNIT,
	                                             REPORT_TAP, REPORT_HTML};
	size_t i;

	for (i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = formats[i];
			return 0;
		}
	}
	return -1;
}

char *report_render_summary(const struct report *r)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char *out = NULL;

	render_text_summary(&sb, r);
	return strbuf_finish(&sb, &out, NULL) == 0 ? out : NULL;
}

char *report_render_header(const struct report *r)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char *out = NULL;

	if (!r)
		return NULL;
	render_text_header(&sb, r);
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
	render_text_case(&sb, c, color, verbose);
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
		render_json(&sb, r);
		break;
	case REPORT_JUNIT:
		render_junit(&sb, r);
		break;
	case REPORT_TAP:
		render_tap(&sb, r);
		break;
	case REPORT_HTML:
		render_html(&sb, r);
		break;
	default:
		return -1;
	}
	return strbuf_finish(&sb, out, len);
}
