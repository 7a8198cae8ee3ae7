/* SPDX-License-Identifier: MIT */
/*
 * The parser's statements about what a connection receives (expect
 * NAME ...) and about the server (restart, signal, snapshot, expect
 * exit|second-instance|fds|threads|children|rss|mappings). See parse_int.h.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse_data.h"
#include "parse_int.h"

/* ---- statements about the server ---- */

int parse_stmt_restart(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	if (parse_new_stmt(p, k->op, kw) == NULL)
		return -1;
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	return end_of_stmt(p, kw);
}

/* A signal name, with or without SIG in front, into *signo. */
static int take_signal(struct parser *p, int *signo)
{
	const struct lex_token *t = peek(p);
	char shown[LEX_SHOWN_MAX];

	if (t == NULL || t->kind != LEX_WORD)
		return fail_expected(p, "a signal (TERM, INT, HUP, KILL, USR1, USR2 or QUIT)");
	take(p);
	if (plan_signal_parse((const char *)t->text, t->len, signo) == 0)
		return 0;
	lex_describe(t, shown, sizeof(shown));
	return fail_tok(p, t, "unknown signal %s: use TERM, INT, HUP, KILL, USR1, USR2 or QUIT",
	                shown);
}

int parse_stmt_signal(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = parse_new_stmt(p, k->op, kw);

	if (st == NULL || take_signal(p, &st->signo) < 0)
		return -1;
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	return end_of_stmt(p, kw);
}

int parse_stmt_snapshot(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = parse_new_stmt(p, k->op, kw);
	const struct lex_token *nt;

	if (st == NULL || parse_take_name(p, "snapshot", st->snapshot, &nt) < 0 ||
	    end_of_stmt(p, kw) < 0)
		return -1;
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	/* taking it again replaces the counts at run time */
	return parse_names_add(p, &p->snaps, st->snapshot, nt);
}

/* expect exit STATUS|nonzero [or SIGNAL] */
static int expect_exit(struct parser *p, struct plan_stmt *st)
{
	uint64_t v;

	st->op = PLAN_EXPECT_EXIT;
	if (is_word(peek(p), "nonzero")) {
		take(p);
		st->status = PLAN_EXIT_NONZERO;
		return 0;
	}
	if (take_int(p, "an exit status (0 to 255) or nonzero", "exit status", 0, 255, &v) < 0)
		return -1;
	st->status = (int)v;
	if (!is_word(peek(p), "or"))
		return 0;
	take(p);
	return take_signal(p, &st->signo);
}

/* expect second-instance fails */
static int expect_second(struct parser *p, struct plan_stmt *st)
{
	st->op = PLAN_EXPECT_SECOND_FAILS;
	if (!is_word(peek(p), "fails"))
		return fail_expected(p, "\"fails\"");
	take(p);
	return 0;
}

/* expect fds|threads|children|rss|mappings <= NAME [+ K] */
static int expect_count(struct parser *p, struct plan_stmt *st, enum plan_resource res)
{
	const struct lex_token *nt;
	uint64_t v;

	st->op = PLAN_EXPECT_COUNT;
	st->resource = res;
	if (peek(p) == NULL || peek(p)->kind != LEX_LE)
		return fail_expected(p, "\"<=\"");
	take(p);
	if (parse_take_name(p, "snapshot", st->snapshot, &nt) < 0)
		return -1;
	if (!parse_names_has(&p->snaps, st->snapshot))
		return fail_tok(p, nt,
		                "unknown snapshot \"%s\": take it first with \"snapshot %s\"",
		                st->snapshot, st->snapshot);
	if (peek(p) != NULL && peek(p)->kind == LEX_PLUS) {
		take(p);
		if (take_int(p, "a slack count", "slack", 0, LONG_MAX, &v) < 0)
			return -1;
		st->slack = (long)v;
	}
	return 0;
}

/* What may follow "expect NAME": a keyword, or DATA itself. */
enum expect_arg { ARG_NONE, ARG_DATA, ARG_REGEX, ARG_FOR, ARG_COUNT };

struct expect_kind {
	const char *word;    /* the keyword; "DATA" for plain bytes (messages only) */
	enum plan_op op;     /* what it produces */
	enum expect_arg arg; /* what follows the keyword */
	int needs;           /* 1: a stream connection, -1: udp, 0: either */
};

static const struct expect_kind expect_kinds[] = {
    {"line", PLAN_EXPECT_LINE, ARG_DATA, 1},
    {"regex", PLAN_EXPECT_REGEX, ARG_REGEX, 1},
    {"timestamp", PLAN_EXPECT_TIMESTAMP, ARG_DATA, 1},
    {"nothing", PLAN_EXPECT_NOTHING, ARG_FOR, 0},
    {"eof", PLAN_EXPECT_EOF, ARG_NONE, 1},
    {"reset", PLAN_EXPECT_RESET, ARG_NONE, 1},
    {"closed", PLAN_EXPECT_CLOSED, ARG_NONE, 1},
    {"refused", PLAN_EXPECT_REFUSED, ARG_NONE, 1},
    {"datagram", PLAN_EXPECT_DATAGRAM, ARG_DATA, -1},
    {"no-datagram", PLAN_EXPECT_NO_DATAGRAM, ARG_FOR, -1},
    {"any", PLAN_EXPECT_ANY, ARG_COUNT, 1},
    {NULL, PLAN_EXPECT_BYTES, ARG_NONE, 0},
};

static const struct expect_kind expect_bytes = {"DATA", PLAN_EXPECT_BYTES, ARG_DATA, 1};

static const struct expect_kind *expect_kind_of(const struct lex_token *t)
{
	const struct expect_kind *ek;

	if (t == NULL)
		return NULL;
	for (ek = expect_kinds; ek->word != NULL; ek++)
		if (is_word(t, ek->word))
			return ek;
	if (t->kind == LEX_STRING || is_word(t, "hex") || is_word(t, "range") || is_word(t, "u8") ||
	    is_word(t, "u16be") || is_word(t, "u32be"))
		return &expect_bytes;
	return NULL;
}

/* The pattern of expect NAME regex; its named groups become variables. */
static int expect_regex(struct parser *p, struct plan_stmt *st)
{
	const struct lex_token *t = peek(p);
	struct parse_data_groups *g = malloc(sizeof(*g));
	size_t i;
	int rc = -1;

	if (g == NULL)
		return fail_expected(p, "a regex string (out of memory)");
	if (parse_data_regex_vars(&p->cur, p->depth > 0, parse_vars(p), &st->data, g) < 0)
		goto out;
	for (i = 1; g->n > 0 && i <= p->depth; i++) {
		/* instances run at once: one's capture would change what another
		 * is sending or matching */
		if (p->blocks[i].open->op == PLAN_PARALLEL) {
			fail_tok(p, t,
			         "a regex inside a parallel body cannot capture \"%s\": "
			         "capture before the block",
			         g->v[0]);
			goto out;
		}
	}
	for (i = 0; i < g->n; i++) {
		if (!parse_names_has(&p->vars, g->v[i]) && p->vars.n == PLAN_VARS_MAX) {
			fail_tok(p, t, "more than %d capture variables in one case", PLAN_VARS_MAX);
			goto out;
		}
		if (parse_names_add(p, &p->vars, g->v[i], t) < 0)
			goto out;
	}
	rc = 0;
out:
	free(g);
	return rc;
}

/* expect NAME any N | ${VAR} | u8 | u16be | u32be: the count of bytes. */
static int expect_any(struct parser *p, struct plan_stmt *st)
{
	const struct lex_token *t = peek(p);
	static const char *const prefixes[] = {"u8", "u16be", "u32be"};
	static const unsigned widths[] = {1, 2, 4};
	uint64_t v;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (is_word(t, prefixes[i])) {
			take(p);
			st->prefix = widths[i];
			return 0;
		}
	}
	if (t != NULL && t->kind == LEX_VAR) {
		take(p);
		if (t->len - 3 == 1 && t->text[2] == 'i')
			return fail_tok(p, t, "${i} is not a byte count: use a captured variable");
		memcpy(st->var, t->text + 2, t->len - 3);
		st->var[t->len - 3] = '\0';
		if (!parse_names_has(&p->vars, st->var))
			return fail_tok(p, t,
			                "unknown variable \"%s\": capture it first with a named "
			                "group, like regex \"(?<%s>[0-9]+)\"",
			                st->var, st->var);
		return 0;
	}
	if (take_int(p, "a byte count, ${VAR}, u8, u16be or u32be", "byte count", 0,
	             (uint64_t)64 << 20, &v) < 0)
		return -1;
	st->count = (long)v;
	return 0;
}

/* expect NAME ... : what arrives on a connection. */
static int expect_conn(struct parser *p, struct plan_stmt *st, const struct lex_token *kw)
{
	const struct expect_kind *ek;
	const struct lex_token *nt;
	enum plan_transport tr;

	if (parse_take_conn(p, st, &tr, &nt) < 0)
		return -1;
	ek = expect_kind_of(peek(p));
	if (ek == NULL)
		return fail_expected(p, "data or line, regex, timestamp, any, nothing, eof, reset, "
		                        "closed, refused, datagram or no-datagram");
	if (ek != &expect_bytes)
		take(p);
	st->op = ek->op;
	if (ek->op == PLAN_EXPECT_DATAGRAM && is_word(peek(p), "timestamp")) {
		take(p);
		st->op = PLAN_EXPECT_DATAGRAM_TIMESTAMP;
	}
	if (ek->needs > 0 && tr == PLAN_TRANSPORT_UDP)
		return fail_tok(p, nt, "expect %s " STREAM_ONLY, ek->word);
	if (ek->needs < 0 && (tr == PLAN_TRANSPORT_TCP || tr == PLAN_TRANSPORT_UNIX))
		return fail_tok(p, nt, "expect %s needs a udp connection", ek->word);
	if (ek->arg == ARG_FOR) {
		if (!is_word(peek(p), "for"))
			return fail_expected(p, "\"for\" and a duration");
		take(p);
		if (take_duration(p, &st->ms) < 0)
			return -1;
		return end_of_stmt(p, kw);
	}
	if (ek->arg == ARG_DATA &&
	    parse_data_bytes_vars(&p->cur, p->depth > 0, parse_vars(p), &st->data) < 0)
		return -1;
	if (ek->arg == ARG_REGEX && expect_regex(p, st) < 0)
		return -1;
	if (ek->arg == ARG_COUNT && expect_any(p, st) < 0)
		return -1;
	if (parse_take_within(p, st) < 0)
		return -1;
	return end_of_stmt(p, kw);
}

int parse_stmt_expect(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	const unsigned nres = PLAN_RES_MAPS + 1;
	struct plan_stmt *st = parse_new_stmt(p, k->op, kw);
	const struct lex_token *t = peek(p);
	unsigned r;

	if (st == NULL)
		return -1;
	if (t == NULL || t->kind != LEX_WORD)
		return fail_expected(p, "a connection name, exit, second-instance, fds, threads, "
		                        "children, rss or mappings");
	for (r = 0; r < nres && !is_word(t, plan_resource_name((enum plan_resource)r)); r++)
		;
	if (!is_word(t, "exit") && !is_word(t, "second-instance") && r == nres)
		return expect_conn(p, st, kw);
	take(p);
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	if ((is_word(t, "exit") ? expect_exit(p, st)
	     : r == nres        ? expect_second(p, st)
	                        : expect_count(p, st, (enum plan_resource)r)) < 0 ||
	    parse_take_within(p, st) < 0)
		return -1;
	return end_of_stmt(p, kw);
}
