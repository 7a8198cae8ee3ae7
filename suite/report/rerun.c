/* SPDX-License-Identifier: MIT */
/* The failed cases of a JSON report (see rerun.h). */
#define _GNU_SOURCE
#include "rerun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"

size_t rerun_base_len(const char *id)
{
	size_t n = strlen(id), i = n;

	while (i > 0 && id[i - 1] >= '0' && id[i - 1] <= '9')
		i--;
	if (i < n && i >= 2 && id[i - 1] == '#' && id[i - 2] == ' ')
		return i - 2;
	return n;
}

static int failed_verdict(const char *v)
{
	return strcmp(v, "fail") == 0 || strcmp(v, "error") == 0;
}

static int has_id(const struct rerun_run *run, const char *id, size_t len)
{
	for (size_t i = 0; i < run->nids; i++)
		if (strlen(run->ids[i]) == len && memcmp(run->ids[i], id, len) == 0)
			return 1;
	return 0;
}

/* The failed ids of one run's cases; 0, -1 (bad: *why) or -2 (memory). */
static int read_cases(const struct json_value *cases, struct rerun_run *run, const char **why)
{
	run->ids = calloc(cases->n + 1, sizeof(*run->ids));
	if (!run->ids)
		return -2;
	for (size_t i = 0; i < cases->n; i++) {
		const char *id = json_string(json_get(&cases->items[i], "id"));
		const char *verdict = json_string(json_get(&cases->items[i], "verdict"));
		size_t len;
		if (!id || !verdict) {
			*why = "a case without \"id\" or \"verdict\"";
			return -1;
		}
		len = rerun_base_len(id);
		if (!failed_verdict(verdict) || has_id(run, id, len))
			continue;
		if (!(run->ids[run->nids] = strndup(id, len)))
			return -2;
		run->nids++;
	}
	return 0;
}

static int read_runs(const struct json_value *doc, struct rerun_set *s, const char **why)
{
	const struct json_value *runs = json_get(doc, "runs");
	const char *tool = json_string(json_get(doc, "tool"));
	int rc = 0;

	if (!tool || strcmp(tool, "sockspec") != 0) {
		*why = "no \"tool\": \"sockspec\" at its top level";
		return -1;
	}
	if (!runs || runs->type != JSON_ARRAY) {
		*why = "no \"runs\" array";
		return -1;
	}
	if (!(s->runs = calloc(runs->n + 1, sizeof(*s->runs))))
		return -2;
	for (size_t i = 0; i < runs->n && rc == 0; i++) {
		const struct json_value *run = &runs->items[i];
		const struct json_value *cases = json_get(run, "cases");
		const char *profile = json_string(json_get(run, "profile"));
		const char *framing = json_string(json_get(run, "framing"));
		if (!profile || !framing || !cases || cases->type != JSON_ARRAY) {
			*why = "a run without \"profile\", \"framing\" or \"cases\"";
			return -1;
		}
		s->nruns++;
		s->runs[i].profile = strdup(profile);
		s->runs[i].framing = strdup(framing);
		if (!s->runs[i].profile || !s->runs[i].framing)
			return -2;
		rc = read_cases(cases, &s->runs[i], why);
		s->failed += s->runs[i].nids;
	}
	return rc;
}

int rerun_parse(const char *text, size_t len, struct rerun_set *out, char *err, size_t errlen)
{
	struct json_value *doc;
	char jerr[160];
	const char *why = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (json_parse(text, len, &doc, jerr, sizeof(jerr)) < 0) {
		snprintf(err, errlen, "not JSON: %s", jerr);
		return -1;
	}
	rc = read_runs(doc, out, &why);
	json_free(doc);
	if (rc == 0)
		return 0;
	if (rc == -2)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "not a sockspec report: %s", why);
	rerun_free(out);
	return -1;
}

int rerun_wanted(const struct rerun_set *s, const char *profile, const char *framing,
                 const char *id)
{
	for (size_t i = 0; i < s->nruns; i++)
		if (strcmp(s->runs[i].profile, profile) == 0 &&
		    strcmp(s->runs[i].framing, framing) == 0 && has_id(&s->runs[i], id, strlen(id)))
			return 1;
	return 0;
}

void rerun_free(struct rerun_set *s)
{
	for (size_t i = 0; s->runs && i < s->nruns; i++) {
		for (size_t j = 0; j < s->runs[i].nids; j++)
			free(s->runs[i].ids[j]);
		free(s->runs[i].ids);
		free(s->runs[i].profile);
		free(s->runs[i].framing);
	}
	free(s->runs);
	memset(s, 0, sizeof(*s));
}
