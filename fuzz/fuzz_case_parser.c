/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the case-language parser (suite/lang/parse.c).
 * Any bytes are either a plan or a clean error. An error is one line,
 * "fuzz.case:LINE:COL: message", whose position lies inside the input
 * (LINE at most the number of lines, COL at most one past the end of
 * that line) and leaves nothing allocated. A plan, written back as case
 * text (plan_text.c), parses again to an equal plan (so writing that
 * gives the same text: the writer reads nothing plan_text_equal() skips). Every DATA of the plan
 * (up to 8 KiB) renders to plan_bytes_len() bytes, and a cursor reading it in small steps, or
 * skipping into it, sees exactly those bytes (${NAME} pieces, with no
 * captured value, render empty). Inputs are parsed as a user suite's
 * files are, so own family names are taken too. Everything is freed, so
 * LeakSanitizer sees a leak on either path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_kit.h"
#include "parse.h"
#include "plan_text.h"

#define HARNESS    "fuzz_case_parser"
#define NAME       "fuzz.case"
#define RENDER_MAX 8192 /* DATA rendered and read back, at most */

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

/* Length of line `line` (1-based) of buf, LF excluded; -1 past the end. */
KIT_UNTRACED
static long line_length(const uint8_t *buf, size_t size, unsigned long line)
{
	size_t start = 0;
	unsigned long at;
	const uint8_t *lf;

	for (at = 1; at < line; at++) {
		lf = start < size ? memchr(buf + start, '\n', size - start) : NULL;
		if (lf == NULL)
			return -1;
		start = (size_t)(lf - buf) + 1;
	}
	lf = start < size ? memchr(buf + start, '\n', size - start) : NULL;
	return (long)((lf ? (size_t)(lf - buf) : size) - start);
}

KIT_UNTRACED
static void check_error(const uint8_t *buf, size_t size, const char *err)
{
	unsigned long line, col;
	char *end;
	long len;

	if (strncmp(err, NAME ":", sizeof(NAME)) != 0)
		kit_fail_text(HARNESS, "the error does not start with the file name", err);
	line = strtoul(err + sizeof(NAME), &end, 10);
	if (*end != ':')
		kit_fail_text(HARNESS, "the error has no LINE:", err);
	col = strtoul(end + 1, &end, 10);
	if (strncmp(end, ": ", 2) != 0 || end[2] == '\0' || strchr(err, '\n'))
		kit_fail_text(HARNESS, "the error is not \"NAME:LINE:COL: message\" on one line",
		              err);
	len = line_length(buf, size, line);
	if (line == 0 || col == 0 || len < 0 || col > (unsigned long)len + 1)
		kit_fail_text(HARNESS, "the error's position is outside the input", err);
}

/* The text written for p; aborts if memory runs out. */
KIT_UNTRACED
static char *written(const struct plan *p)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	char *text = NULL;

	plan_text_write(p, &sb);
	if (strbuf_finish(&sb, &text, NULL) != 0)
		abort();
	return text;
}

/* b rendered with index, read back through a cursor. */
KIT_UNTRACED
static void check_render(const struct plan_bytes *b, long index)
{
	size_t len = plan_bytes_len(b, index), n, got = 0, skip = len / 3;
	uint8_t *whole, piece[7];
	struct plan_cursor c;

	if (len > RENDER_MAX)
		return;
	if (plan_bytes_render(b, index, &whole, &n) != 0)
		abort();
	if (n != len)
		kit_fail_text(HARNESS, "plan_bytes_render() and plan_bytes_len() disagree", "");
	plan_cursor_init(&c, b, index);
	while ((n = plan_cursor_read(&c, piece, sizeof(piece))) > 0) {
		if (got + n > len || memcmp(whole + got, piece, n) != 0)
			kit_fail_text(HARNESS, "a cursor reads other bytes than the rendering", "");
		got += n;
	}
	plan_cursor_init(&c, b, index);
	if (got != len || plan_cursor_skip(&c, skip) != skip ||
	    plan_cursor_read(&c, piece, 1) != (skip < len) ||
	    (skip < len && piece[0] != whole[skip]))
		kit_fail_text(HARNESS, "a cursor's length or skip disagrees with the rendering",
		              "");
	free(whole);
}

KIT_UNTRACED
static void check_data(const struct plan_stmt *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		check_render(&s[i].data, 0);
		check_render(&s[i].data, -1234567);
		check_data(s[i].body, s[i].nbody);
	}
}

KIT_UNTRACED
static void check_plan(const struct plan *p)
{
	char err[PARSE_ERR_MAX], *text = written(p);
	struct plan *q = NULL;

	if (parse_case_opts(NAME, (const uint8_t *)text, strlen(text), PARSE_OWN_FAMILIES, &q, err,
	                    sizeof(err)) != 0)
		kit_fail_text(HARNESS, "the plan, written back, does not parse", err);
	if (!plan_text_equal(p, q))
		kit_fail_text(HARNESS, "the plan, written back, parses to another plan", text);
	free(text);
	plan_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	char err[PARSE_ERR_MAX];
	struct plan *p = NULL;

	/* as a user suite's file (--cases): the eight families and any own one */
	if (parse_case_opts(NAME, buf, size, PARSE_OWN_FAMILIES, &p, err, sizeof(err)) == 0) {
		if (p == NULL || err[0] != '\0')
			kit_fail_text(HARNESS, "success without a plan, or with an error", err);
		check_plan(p);
		check_data(p->stmts, p->nstmts);
		plan_free(p);
		return 0;
	}
	if (p != NULL)
		kit_fail_text(HARNESS, "an error left a plan behind", err);
	check_error(buf, size, err);
	return 0;
}
