/* SPDX-License-Identifier: MIT */
/*
 * Matchers for expect statements (see match.h). Each one answers from
 * the bytes received so far, so the engine can re-ask after every read
 * and fail as early as a mismatch is certain.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "match.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct match_regex {
	pcre2_code *code;       /* compiled pattern */
	pcre2_match_data *data; /* ovector for matches */
};

enum match_result match_bytes(const uint8_t *got, size_t got_len, const uint8_t *want,
                              size_t want_len, size_t *consumed)
{
	size_t n = got_len < want_len ? got_len : want_len;

	if (n > 0 && memcmp(got, want, n) != 0)
		return MATCH_MISMATCH;
	if (got_len < want_len)
		return MATCH_NEED_MORE;
	*consumed = want_len;
	return MATCH_OK;
}

void match_known_init(struct match_known *m, const struct plan_bytes *b, long index, int lf)
{
	match_known_init_vars(m, b, index, NULL, lf);
}

void match_known_init_vars(struct match_known *m, const struct plan_bytes *b, long index,
                           const struct plan_vars *vars, int lf)
{
	memset(m, 0, sizeof(*m));
	plan_cursor_init_vars(&m->start, b, index, vars);
	m->want = m->start;
	m->data_len = plan_bytes_len_vars(b, index, vars);
	m->total = m->data_len + (lf != 0);
}

/* Keeps the last MATCH_TAIL bytes of what matched. */
static void remember(struct match_known *m, const uint8_t *p, size_t n)
{
	if (n >= MATCH_TAIL) {
		memcpy(m->tail, p + n - MATCH_TAIL, MATCH_TAIL);
		m->tail_len = MATCH_TAIL;
		return;
	}
	if (m->tail_len + n > MATCH_TAIL) {
		size_t drop = m->tail_len + n - MATCH_TAIL;
		memmove(m->tail, m->tail + drop, m->tail_len - drop);
		m->tail_len -= drop;
	}
	memcpy(m->tail + m->tail_len, p, n);
	m->tail_len += n;
}

size_t match_known_expected(const struct match_known *m, uint64_t from, uint8_t *out, size_t n)
{
	struct plan_cursor c;
	size_t k = 0;

	if (from >= m->total)
		return 0;
	if (n > m->total - from)
		n = (size_t)(m->total - from);
	if (from < m->data_len) {
		c = m->start;
		plan_cursor_skip(&c, from);
		k = plan_cursor_read(&c, out, n);
	}
	if (k < n) /* the rest is the LF of a line */
		out[k++] = '\n';
	return k;
}

enum match_result match_known_feed(struct match_known *m, const uint8_t *got, size_t n,
                                   size_t *used)
{
	uint8_t buf[4096];
	size_t done = 0;

	while (done < n && m->matched < m->total) {
		uint64_t left = m->total - m->matched;
		size_t want = n - done < sizeof(buf) ? n - done : sizeof(buf), k, same = 0;
		struct plan_cursor peek = m->want;

		if (want > left)
			want = (size_t)left;
		k = plan_cursor_read(&peek, buf, want);
		if (k < want) /* past the data: the LF of a line */
			buf[k++] = '\n';
		while (same < k && buf[same] == got[done + same])
			same++;
		plan_cursor_skip(&m->want, same);
		remember(m, got + done, same);
		m->matched += same;
		done += same;
		if (same < k) {
			*used = done;
			return MATCH_MISMATCH;
		}
	}
	*used = done;
	return m->matched == m->total ? MATCH_OK : MATCH_NEED_MORE;
}

int match_regex_compile(const uint8_t *pattern, size_t len, struct match_regex **out, char *err,
                        size_t errlen)
{
	struct match_regex *re = calloc(1, sizeof(*re));
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset = 0;
	int code = 0;

	*out = NULL;
	if (!re) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len, 0, &code, &offset, NULL);
	if (!re->code) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "regex error at offset %zu: %s", (size_t)offset, (char *)msg);
		free(re);
		return -1;
	}
	re->data = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (!re->data) {
		snprintf(err, errlen, "out of memory");
		match_regex_free(re);
		return -1;
	}
	*out = re;
	return 0;
}

void match_regex_free(struct match_regex *re)
{
	if (!re)
		return;
	pcre2_match_data_free(re->data);
	pcre2_code_free(re->code);
	free(re);
}

enum match_result match_regex(const struct match_regex *re, const uint8_t *got, size_t got_len,
                              int eof, size_t *consumed)
{
	uint32_t opts = PCRE2_ANCHORED | (eof ? 0 : PCRE2_PARTIAL_SOFT);
	int rc = pcre2_match(re->code, (PCRE2_SPTR)(got ? got : (const uint8_t *)""), got_len, 0,
	                     opts, re->data, NULL);
	PCRE2_SIZE *ov;

	/* PCRE2 never reports a partial match on an empty subject: with no
	 * byte yet, only a pattern that matches empty can decide. */
	if (rc == PCRE2_ERROR_PARTIAL || (rc < 0 && got_len == 0 && !eof))
		return MATCH_NEED_MORE;
	if (rc < 0)
		return MATCH_MISMATCH;
	ov = pcre2_get_ovector_pointer(re->data);
	*consumed = ov[1];
	return MATCH_OK;
}

int match_regex_groups(const struct match_regex *re, const uint8_t *got, match_group_fn fn,
                       void *arg)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->data);
	uint32_t count = 0, size = 0, i, n;
	PCRE2_SPTR table = NULL;
	char name[256];
	int rc;

	if (pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size) != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table) != 0)
		return 0;
	for (i = 0; i < count; i++) {
		const uint8_t *e = table + (size_t)i * size;

		/* an entry: the group number in two bytes, then the NUL-terminated name */
		n = (uint32_t)e[0] << 8 | e[1];
		snprintf(name, sizeof(name), "%s", (const char *)e + 2);
		if (n >= pcre2_get_ovector_count(re->data) || ov[2 * n] == PCRE2_UNSET)
			rc = fn(arg, name, NULL, 0, 0);
		else
			rc = fn(arg, name, got + ov[2 * n], ov[2 * n + 1] - ov[2 * n], 1);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Index of a 3-letter name in a table, or -1. */
static int lookup(const uint8_t *text, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (memcmp(text, names[i], 3) == 0)
			return i;
	return -1;
}

/* Reads `width` characters as a number; leading spaces allowed. */
static int number(const uint8_t *text, int width, int *out)
{
	int v = 0, digits = 0;

	for (int i = 0; i < width; i++) {
		if (text[i] == ' ' && digits == 0)
			continue;
		if (text[i] < '0' || text[i] > '9')
			return -1;
		v = v * 10 + (text[i] - '0');
		digits++;
	}
	*out = v;
	return digits ? 0 : -1;
}

int match_parse_ctime(const uint8_t *t, time_t *out)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	int wday = lookup(t, days, 7), mon = lookup(t + 4, months, 12);

	/* "Sat Nov 21 10:00:00 2026" */
	memset(&tm, 0, sizeof(tm));
	if (wday < 0 || mon < 0 || t[3] != ' ' || t[7] != ' ' || t[10] != ' ' || t[13] != ':' ||
	    t[16] != ':' || t[19] != ' ')
		return -1;
	if (number(t + 8, 2, &tm.tm_mday) < 0 || number(t + 11, 2, &tm.tm_hour) < 0 ||
	    number(t + 14, 2, &tm.tm_min) < 0 || number(t + 17, 2, &tm.tm_sec) < 0 ||
	    number(t + 20, 4, &tm.tm_year) < 0 || t[11] == ' ' || t[14] == ' ' || t[17] == ' ')
		return -1;
	tm.tm_mon = mon;
	tm.tm_year -= 1900;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	/* mktime normalises; a weekday that disagrees means a bad date. */
	if (*out == (time_t)-1 || tm.tm_wday != wday || tm.tm_mday < 1)
		return -1;
	return 0;
}

enum match_result match_timestamp(const uint8_t *got, size_t got_len, const uint8_t *want,
                                  size_t want_len, time_t now, int tolerance_s, size_t *consumed,
                                  char *why, size_t whylen)
{
	size_t head = got_len < MATCH_STAMP_LEN ? got_len : MATCH_STAMP_LEN, rest = 0;
	time_t stamp;
	enum match_result r;

	/* The shape first, byte by byte as far as bytes have arrived, so a
	 * wrong reply shorter than a stamp fails at once, not at the limit:
	 * A upper case, a lower case, 9 a digit, d a digit or a space (the
	 * day of the month is padded with a space, never a 0). */
	static const char shape[] = "[Aaa Aaa d9 99:99:99 9999] ";
	for (size_t i = 0; i < head; i++) {
		uint8_t c = got[i];
		char k = shape[i];
		int ok = k == 'A'   ? (c >= 'A' && c <= 'Z')
		         : k == 'a' ? (c >= 'a' && c <= 'z')
		         : k == '9' ? (c >= '0' && c <= '9')
		         : k == 'd' ? (c == ' ' || (c >= '1' && c <= '3'))
		                    : c == (uint8_t)k;
		if (!ok) {
			snprintf(why, whylen,
			         "expected \"[CTIME] \" at the start, as ctime() prints it "
			         "(\"[Sat Nov  1 10:00:00 2026] \"): byte %zu differs",
			         i);
			return MATCH_MISMATCH;
		}
	}
	if (got_len < MATCH_STAMP_LEN)
		return MATCH_NEED_MORE;
	if (match_parse_ctime(got + 1, &stamp) < 0) {
		snprintf(why, whylen,
		         "the time is not in ctime() format (\"Sat Nov 21 10:00:00 2026\")");
		return MATCH_MISMATCH;
	}
	if (stamp < now - tolerance_s || stamp > now + tolerance_s) {
		snprintf(why, whylen, "the time is %+lld s off the runner's clock (allowed: %d s)",
		         (long long)(stamp - now), tolerance_s);
		return MATCH_MISMATCH;
	}
	r = match_bytes(got + MATCH_STAMP_LEN, got_len - MATCH_STAMP_LEN, want, want_len, &rest);
	if (r == MATCH_MISMATCH)
		snprintf(why, whylen, "the data after the time differs");
	if (r == MATCH_OK)
		*consumed = MATCH_STAMP_LEN + rest;
	return r;
}
