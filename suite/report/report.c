/* SPDX-License-Identifier: MIT */
/*
 * The verdict store (see report.h): runs and cases, every string copied,
 * verdicts counted per run and in total.
 */
#include "report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VERDICTS 4 /* number of enum verdict values */

static const char *const verdict_names[VERDICTS] = {"pass", "fail", "skip", "error"};

const char *report_nz(const char *s)
{
	return s ? s : "";
}

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
	r->hostname = dup_or_empty("");
	r->started = dup_or_empty("");
	if (!r->version || !r->hostname || !r->started) {
		report_free(r);
		return NULL;
	}
	return r;
}

/* Replaces the string *slot with a copy of s; 0, or -1 (*slot kept). */
static int replace(char **slot, const char *s)
{
	char *d = dup_or_empty(s);

	if (!d)
		return -1;
	free(*slot);
	*slot = d;
	return 0;
}

int report_set_start(struct report *r, uint64_t seed, const char *started, const char *hostname)
{
	char *s = dup_or_empty(started), *h = dup_or_empty(hostname);

	if (!s || !h) {
		free(s);
		free(h);
		return -1;
	}
	free(r->started);
	free(r->hostname);
	r->started = s;
	r->hostname = h;
	r->seed = seed;
	return 0;
}

void report_set_duration(struct report *r, uint64_t duration_ms)
{
	r->duration_ms = duration_ms;
}

int report_run_set_start(struct report_run *run, const char *started)
{
	return replace(&run->started, started);
}

void report_run_set_duration(struct report_run *run, uint64_t duration_ms)
{
	run->duration_ms = duration_ms;
}

char *report_iso8601(int64_t secs, char *out, size_t cap)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (cap == 0)
		return out;
	out[0] = '\0';
	if ((int64_t)t != secs || !gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return out;
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return out;
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
	free(c->bytes.expected);
	free(c->bytes.received);
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
	free(run->started);
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
	free(r->hostname);
	free(r->started);
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
	run.started = dup_or_empty("");
	runs = r->runs;
	if (!run.profile || !run.target || !run.framing || !run.started ||
	    grow(&runs, r->nruns, &r->cap, sizeof(run)) < 0) {
		run_release(&run);
		return NULL;
	}
	r->runs = runs;
	r->runs[r->nruns] = run;
	return &r->runs[r->nruns++];
}

static uint8_t *dup_mem(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* A deep copy of b into *out (all zero when b is NULL or not shown);
 * 0, or -1 (no memory; what was copied is in *out, to be freed). */
static int copy_bytes(struct report_bytes *out, const struct report_bytes *b)
{
	memset(out, 0, sizeof(*out));
	if (!b || !b->shown)
		return 0;
	*out = *b;
	out->expected = dup_mem(b->expected, b->expected_len);
	out->received = dup_mem(b->received, b->received_len);
	return out->expected && out->received ? 0 : -1;
}

struct report_case *report_add_case(struct report_run *run, const struct report_entry *e)
{
	struct report_case c;
	void *cases;

	if (!run)
		return NULL;
	memset(&c, 0, sizeof(c));
	c.verdict = e->verdict;
	c.duration_ms = e->duration_ms;
	c.line = e->line;
	c.id = dup_or_empty(e->id);
	c.family = dup_or_empty(e->family);
	c.description = dup_or_empty(e->description);
	c.message = dup_or_empty(e->message);
	c.file = dup_or_empty(e->file);
	c.timeline = dup_or_empty(e->timeline);
	c.output = dup_or_empty(e->output);
	cases = run->cases;
	if (!c.id || !c.family || !c.description || !c.message || !c.file || !c.timeline ||
	    !c.output || copy_bytes(&c.bytes, e->bytes) < 0 ||
	    grow(&cases, run->ncases, &run->cap, sizeof(c)) < 0) {
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

const char *report_verdict_name(enum verdict v)
{
	return verdict_names[report_verdict_known(v)];
}

unsigned report_summary_total(const struct report_summary *s)
{
	return s->pass + s->fail + s->skip + s->error;
}
