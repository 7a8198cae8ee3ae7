/* SPDX-License-Identifier: MIT */
/*
 * The wire log read back into events (see timeline.h). The grammar is
 * wire_log()'s: "+MS.Tms WHO EVENT" and, for data events, " LEN \"EXCERPT\""
 * with " (N bytes)" after an excerpt cut short ("...\"").
 */
#include "timeline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int grow(void **arr, size_t n, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	if (ncap > SIZE_MAX / elem)
		return -1;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Unsigned decimal at s[*i..n); 0 or -1 when there is no digit or it overflows. */
static int number(const char *s, size_t n, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[*i] - '0');
		(*i)++;
	}
	*out = v;
	return *i > start ? 0 : -1;
}

/* "+1001.7ms " at the start of s; sets *i past it. 0 or -1. */
static int stamp(const char *s, size_t n, size_t *i, uint64_t *at)
{
	uint64_t ms, tenth = 0;

	*i = 1;
	if (n < 1 || s[0] != '+' || number(s, n, i, &ms) < 0 || ms > UINT64_MAX / 10 - 10)
		return -1;
	if (*i < n && s[*i] == '.') {
		(*i)++;
		if (*i >= n || s[*i] < '0' || s[*i] > '9')
			return -1;
		tenth = (uint64_t)(s[(*i)++] - '0');
	}
	if (*i + 3 > n || memcmp(s + *i, "ms ", 3) != 0)
		return -1;
	*i += 3;
	*at = ms * 10 + tenth;
	return 0;
}

static int is_data_event(const char *s, size_t n)
{
	static const char *const names[] = {"read", "write", "send", "datagram", "measured"};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strlen(names[k]) == n && memcmp(s, names[k], n) == 0)
			return 1;
	return 0;
}

/* The data part of "EVENT LEN \"EXCERPT\"[ (N bytes)]" that starts at
 * s[i] (just past EVENT's space): fills e's bytes, data and cut. 0, -1
 * when s does not have that shape, -2 when memory ran out. */
static int data_part(const char *s, size_t n, size_t i, struct timeline_event *e)
{
	uint64_t len, total;
	size_t open, close;

	if (number(s, n, &i, &len) < 0 || len > SIZE_MAX || i + 1 >= n || s[i] != ' ' ||
	    s[i + 1] != '"')
		return -1;
	open = i + 2;
	for (close = open; close < n && s[close] != '"'; close++)
		if (s[close] == '\\')
			close++;
	if (close >= n)
		return -1;
	i = close + 1;
	e->cut = 0;
	if (i < n) {
		if (n - i < 3 || memcmp(s + i, " (", 2) != 0)
			return -1;
		i += 2;
		if (number(s, n, &i, &total) < 0 || total != len || n - i != 7 ||
		    memcmp(s + i, " bytes)", 7) != 0 || close - open < 3 ||
		    memcmp(s + close - 3, "...", 3) != 0)
			return -1;
		e->cut = 1;
		close -= 3;
	}
	e->bytes = (size_t)len;
	e->data = dup_n(s + open, close - open);
	return e->data ? 0 : -2;
}

static int lane_of(struct timeline *t, const char *who, size_t *out)
{
	size_t k;

	for (k = 0; k < t->nlanes; k++)
		if (strcmp(t->lanes[k], who) == 0)
			break;
	if (k == t->nlanes) {
		void *lanes = t->lanes;

		if (grow(&lanes, t->nlanes, &t->lanes_cap, sizeof(char *)) < 0)
			return -1;
		t->lanes = lanes;
		if (!(t->lanes[k] = dup_n(who, strlen(who))))
			return -1;
		t->nlanes++;
	}
	*out = k;
	return 0;
}

static enum timeline_kind kind_of(const struct timeline_event *e)
{
	if (strcmp(e->who, "runner") == 0)
		return strcmp(e->what, "FAIL") == 0 || strcmp(e->what, "ERROR") == 0
		           ? TIMELINE_VERDICT
		           : TIMELINE_RUNNER;
	if (strcmp(e->who, "target") == 0 || strcmp(e->who, "second-instance") == 0)
		return TIMELINE_TARGET;
	if (e->data && (strcmp(e->what, "write") == 0 || strcmp(e->what, "send") == 0))
		return TIMELINE_SEND;
	if (e->data && (strcmp(e->what, "read") == 0 || strcmp(e->what, "datagram") == 0))
		return TIMELINE_RECV;
	return TIMELINE_MARK;
}

/* Fills e from one line (without its LF). 0, -1 when the line is not in
 * the grammar, -2 when memory ran out. */
static int parse_line(struct timeline *t, const char *s, size_t n, struct timeline_event *e)
{
	size_t i, who, word;
	int rc;

	if (stamp(s, n, &i, &e->at) < 0)
		return -1;
	for (who = i; i < n && s[i] != ' '; i++)
		;
	if (i == who || i + 1 >= n)
		return -1;
	if (!(e->who = dup_n(s + who, i - who)))
		return -2;
	for (word = ++i; i < n && s[i] != ' '; i++)
		;
	rc = 1;
	if (i < n && is_data_event(s + word, i - word)) {
		int d = data_part(s, n, i + 1, e);

		if (d == -2)
			return -2;
		rc = d == 0 ? 0 : 1;
	}
	e->what = rc == 0 ? dup_n(s + word, i - word) : dup_n(s + word, n - word);
	if (!e->what)
		return -2;
	e->kind = kind_of(e);
	if (e->kind == TIMELINE_SEND || e->kind == TIMELINE_RECV || e->kind == TIMELINE_MARK)
		return lane_of(t, e->who, &e->lane) < 0 ? -2 : 0;
	return 0;
}

static void event_release(struct timeline_event *e)
{
	free(e->who);
	free(e->what);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/* Parses one line and appends it as an event or a note. 0 or -1 (memory). */
static int add_line(struct timeline *t, const char *s, size_t n)
{
	struct timeline_event e;
	void *events = t->events;
	int rc;

	memset(&e, 0, sizeof(e));
	if (grow(&events, t->nevents, &t->cap, sizeof(e)) < 0)
		return -1;
	t->events = events;
	rc = parse_line(t, s, n, &e);
	if (rc == -1) {
		event_release(&e);
		e.who = dup_n("", 0);
		e.what = dup_n(s, n);
		rc = e.who && e.what ? 0 : -2;
	}
	if (rc < 0) {
		event_release(&e);
		return -1;
	}
	t->events[t->nevents++] = e;
	return 0;
}

int timeline_parse(const char *text, size_t n, struct timeline *t)
{
	size_t start = 0, end;
	const char *nl;

	timeline_free(t);
	while (start < n) {
		nl = memchr(text + start, '\n', n - start);
		end = nl ? (size_t)(nl - text) : n;
		if (add_line(t, text + start, end - start) < 0)
			return -1;
		start = end + 1;
	}
	return 0;
}

void timeline_free(struct timeline *t)
{
	size_t i;

	for (i = 0; i < t->nevents; i++)
		event_release(&t->events[i]);
	for (i = 0; i < t->nlanes; i++)
		free(t->lanes[i]);
	free(t->events);
	free(t->lanes);
	memset(t, 0, sizeof(*t));
}
