/* SPDX-License-Identifier: MIT */
/*
 * The case-language parser (see parse.h, LANGUAGE.md). It asks the lexer
 * for one line of tokens at a time and turns each line into one statement
 * of the plan (DATA is built by parse_data.c). Statements are built in
 * place inside the plan tree (a parallel/repeat statement is appended to
 * its block when it opens, and its body grows until "end"), so
 * plan_free() alone releases the plan on any error path. Nesting is
 * tracked with an explicit, bounded stack of open blocks rather than
 * recursion, and each block keeps the connections connected in it, which
 * is what makes names local to a block.
 */
#include "parse.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lex.h"
#include "parse_data.h"
#include "parse_int.h"

#define MISSING_CASE "missing case header: the first statement must be \"case FAMILY/NAME\""

static const char *const reserved_words[] = {
    "exit",     "second-instance", "fds",      "threads", "children", "rss",    "line",
    "regex",    "timestamp",       "nothing",  "eof",     "reset",    "closed", "refused",
    "datagram", "no-datagram",     "mappings", "any",     NULL};

/* Grows an array to hold at least `need` entries of `size` bytes.
 * Returns the (possibly moved) array, or NULL with arr untouched. */
void *parse_grow(void *arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 4;
	void *moved;

	if (need <= *cap)
		return arr;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return NULL;
		n *= 2;
	}
	moved = realloc(arr, n * size);
	if (moved != NULL)
		*cap = n;
	return moved;
}

int parse_names_has(const struct parse_names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	return 0;
}

int parse_names_add(struct parser *p, struct parse_names *l, const char *name,
                    const struct lex_token *at)
{
	char(*grown)[PLAN_NAME_MAX];

	if (parse_names_has(l, name))
		return 0;
	grown = parse_grow(l->v, &l->cap, l->n + 1, sizeof(*grown));
	if (grown == NULL)
		return fail_tok(p, at, "out of memory");
	l->v = grown;
	memcpy(l->v[l->n++], name, PLAN_NAME_MAX);
	return 0;
}

int parse_take_limit(struct parser *p, struct plan_stmt *st)
{
	const struct lex_token *t = peek(p), *nt;
	uint64_t k;

	if (t == NULL || t->kind != LEX_WORD)
		return take_duration(p, &st->ms);
	if (parse_take_name(p, "duration", st->within_name, &nt) < 0)
		return -1;
	if (!parse_names_has(&p->measured, st->within_name))
		return fail_tok(p, nt,
		                "unknown duration \"%s\": measure it first with \"measure %s\" ... "
		                "\"end\"",
		                st->within_name, st->within_name);
	if (peek(p) == NULL || peek(p)->kind != LEX_STAR)
		return fail_expected(p, "\"*\" and a factor (like lat * 2)");
	take(p);
	if (take_int(p, "a factor", "factor", 1, WITHIN_MUL_MAX, &k) < 0)
		return -1;
	st->within_mul = (long)k;
	st->ms = 0;
	if (peek(p) == NULL || peek(p)->kind != LEX_PLUS)
		return 0;
	take(p);
	return take_duration(p, &st->ms);
}

int parse_take_within(struct parser *p, struct plan_stmt *st)
{
	st->ms = WITHIN_DEFAULT_MS;
	if (!is_word(peek(p), "within"))
		return 0;
	take(p);
	return parse_take_limit(p, st);
}

/* ---- names and scopes ---- */

const struct parse_data_vars *parse_vars(struct parser *p)
{
	p->vars_view.v = (const char(*)[PLAN_NAME_MAX])p->vars.v;
	p->vars_view.n = p->vars.n;
	return &p->vars_view;
}

int parse_take_name(struct parser *p, const char *what, char out[PLAN_NAME_MAX],
                    const struct lex_token **tok)
{
	return lex_take_name(&p->cur, what, reserved_words, out, PLAN_NAME_MAX, tok);
}

static const struct conn *find_conn(const struct parser *p, const char *name)
{
	size_t b = p->depth + 1, i;

	while (b-- > 0)
		for (i = 0; i < p->blocks[b].nconns; i++)
			if (strcmp(p->blocks[b].conns[i].name, name) == 0)
				return &p->blocks[b].conns[i];
	return NULL;
}

int parse_take_conn(struct parser *p, struct plan_stmt *st, enum plan_transport *tr,
                    const struct lex_token **tok)
{
	const struct conn *c;

	if (parse_take_name(p, "connection", st->conn, tok) < 0)
		return -1;
	c = find_conn(p, st->conn);
	if (c == NULL)
		return fail_tok(p, *tok, "unknown connection \"%s\": connect it first", st->conn);
	*tr = c->transport;
	return 0;
}

static int add_conn(struct parser *p, const struct lex_token *at, const char *name,
                    enum plan_transport tr)
{
	struct block *b = &p->blocks[p->depth];
	struct conn *grown;
	size_t i;

	for (i = 0; i < b->nconns; i++) {
		if (strcmp(b->conns[i].name, name) == 0) {
			b->conns[i].transport = tr; /* connecting again replaces it */
			return 0;
		}
	}
	grown = parse_grow(b->conns, &b->capconns, b->nconns + 1, sizeof(*grown));
	if (grown == NULL)
		return fail_tok(p, at, "out of memory");
	b->conns = grown;
	memcpy(b->conns[b->nconns].name, name, PLAN_NAME_MAX);
	b->conns[b->nconns++].transport = tr;
	return 0;
}

struct plan_stmt *parse_new_stmt(struct parser *p, enum plan_op op, const struct lex_token *kw)
{
	struct block *b = &p->blocks[p->depth];
	struct plan_stmt *grown, *st;

	grown = parse_grow(*b->stmts, &b->cap, *b->n + 1, sizeof(*grown));
	if (grown == NULL) {
		fail_tok(p, kw, "out of memory");
		return NULL;
	}
	*b->stmts = grown;
	st = &grown[(*b->n)++];
	memset(st, 0, sizeof(*st));
	st->op = op;
	st->line = kw->line;
	st->col = kw->col;
	return st;
}

/* ---- header statements ---- */

static int valid_case_name(const struct lex_token *t)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		uint8_t c = t->text[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-')))
			return 0;
	}
	return t->len > 0;
}

static int stmt_case(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	const struct lex_token *t = peek(p);
	struct lex_token part;
	const uint8_t *slash;
	char shown[LEX_SHOWN_MAX];

	(void)k;
	if (t == NULL || t->kind != LEX_WORD)
		return fail_expected(p, "FAMILY/NAME (like basic/echo-once)");
	take(p);
	lex_describe(t, shown, sizeof(shown));
	slash = memchr(t->text, '/', t->len);
	if (slash == NULL)
		return fail_tok(p, t, "bad case id %s: expected FAMILY/NAME", shown);
	part = *t;
	part.len = (size_t)(slash - t->text);
	if (plan_family_parse((const char *)t->text, part.len, &p->plan->family) < 0) {
		lex_describe(&part, shown, sizeof(shown));
		if (!p->own_families)
			return fail_tok(p, t,
			                "unknown family %s: use basic, partial-recv, framing, "
			                "concurrency, exit, reuse, limits or resources",
			                shown);
		if (!plan_family_valid((const char *)t->text, part.len))
			return fail_tok(p, t,
			                "bad family %s: use a lowercase letter, then lowercase "
			                "letters, digits or -, at most %d bytes",
			                shown, PLAN_FAMILY_NAME_MAX - 1);
		p->plan->family = PLAN_FAMILY_OWN;
	}
	p->plan->family_name = strndup((const char *)t->text, part.len);
	if (p->plan->family_name == NULL)
		return fail_tok(p, t, "out of memory");
	part.text = slash + 1;
	part.len = t->len - part.len - 1;
	part.col = t->col + (unsigned)(part.text - t->text);
	if (!valid_case_name(&part)) {
		lex_describe(&part, shown, sizeof(shown));
		return fail_tok(p, &part,
		                "bad case name %s: use lowercase letters, digits and -, "
		                "starting with a letter or digit",
		                shown);
	}
	p->plan->id = malloc(t->len + 1);
	if (p->plan->id == NULL)
		return fail_tok(p, t, "out of memory");
	memcpy(p->plan->id, t->text, t->len);
	p->plan->id[t->len] = '\0';
	p->have_case = 1;
	return end_of_stmt(p, kw);
}

static int stmt_description(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	char *text;

	(void)k;
	if (p->have_desc)
		return fail_tok(p, kw, "\"description\" may appear only once");
	if (parse_data_text(&p->cur, "description", &text) < 0)
		return -1;
	free(p->plan->description);
	p->plan->description = text;
	p->have_desc = 1;
	return end_of_stmt(p, kw);
}

static int stmt_requires(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	static const char *const framings[] = {"any", "line", "chunk"};
	const struct lex_token *t = peek(p), *f;
	enum plan_framing fr;
	char shown[LEX_SHOWN_MAX];

	(void)k;
	if (is_word(t, "launched")) {
		take(p);
		p->plan->requires |= PLAN_REQ_LAUNCHED;
		return end_of_stmt(p, kw);
	}
	if (!is_word(t, "framing")) {
		if (t == NULL || t->kind != LEX_WORD)
			return fail_expected(p, "launched or framing line|chunk");
		lex_describe(t, shown, sizeof(shown));
		return fail_tok(
		    p, t, "unknown requirement %s: use launched, framing line or framing chunk",
		    shown);
	}
	take(p);
	f = peek(p);
	if (!is_word(f, "line") && !is_word(f, "chunk"))
		return fail_expected(p, "line or chunk");
	take(p);
	fr = is_word(f, "line") ? PLAN_FRAMING_LINE : PLAN_FRAMING_CHUNK;
	if (p->plan->framing != PLAN_FRAMING_ANY && p->plan->framing != fr)
		return fail_tok(p, f,
		                "requires framing %s conflicts with framing %s required earlier",
		                framings[fr], framings[p->plan->framing]);
	p->plan->framing = fr;
	return end_of_stmt(p, kw);
}

static int stmt_timeout(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	const struct lex_token *t = peek(p);

	(void)k;
	if (p->have_timeout)
		return fail_tok(p, kw, "\"timeout\" may appear only once");
	if (take_duration(p, &p->plan->timeout_ms) < 0)
		return -1;
	if (p->plan->timeout_ms == 0)
		return fail_tok(p, t, "timeout must be longer than 0ms");
	p->have_timeout = 1;
	return end_of_stmt(p, kw);
}

/* ---- connection statements ---- */

static int stmt_connect(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = parse_new_stmt(p, k->op, kw);
	const struct lex_token *nt, *t;
	char shown[LEX_SHOWN_MAX];
	uint64_t n;
	unsigned i;

	if (st == NULL || parse_take_name(p, "connection", st->conn, &nt) < 0)
		return -1;
	t = peek(p);
	if (t != NULL && t->kind == LEX_WORD && !is_word(t, "rcvbuf")) {
		for (i = 1; i < 4 && !is_word(t, plan_transport_name((enum plan_transport)i)); i++)
			;
		lex_describe(t, shown, sizeof(shown));
		if (i == 4)
			return fail_tok(p, t, "unknown transport %s: use tcp, udp or unix", shown);
		take(p);
		st->transport = (enum plan_transport)i;
	}
	t = peek(p);
	if (is_word(t, "rcvbuf")) {
		take(p);
		if (st->transport == PLAN_TRANSPORT_UDP)
			return fail_tok(p, t, "rcvbuf is for a stream connection, not udp");
		if (take_int(p, "a receive buffer size in bytes", "rcvbuf", 1, INT_MAX / 2, &n) < 0)
			return -1;
		st->rcvbuf = (int)n;
	}
	if (end_of_stmt(p, kw) < 0)
		return -1;
	return add_conn(p, nt, st->conn, st->transport);
}

static int parse_split(struct parser *p, struct plan_split *sp)
{
	uint64_t n;

	if (is_word(peek(p), "random")) {
		take(p);
		sp->kind = PLAN_SPLIT_RANDOM;
		if (!is_word(peek(p), "max"))
			return 0;
		take(p);
		if (take_int(p, "a largest piece size", "largest piece size", 1, SIZE_MAX, &n) < 0)
			return -1;
		sp->size = (size_t)n;
		return 0;
	}
	if (peek(p) == NULL || peek(p)->kind != LEX_INT)
		return fail_expected(p, "a piece size or \"random\"");
	if (take_int(p, "a piece size", "split size", 1, SIZE_MAX, &n) < 0)
		return -1;
	sp->kind = PLAN_SPLIT_SIZE;
	sp->size = (size_t)n;
	return 0;
}

/* write NAME DATA [options] and send NAME DATA */
static int stmt_write(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = parse_new_stmt(p, k->op, kw);
	const struct lex_token *nt, *t;
	enum plan_transport tr;
	int have_split = 0, have_gap = 0;

	if (st == NULL || parse_take_conn(p, st, &tr, &nt) < 0)
		return -1;
	if (k->op == PLAN_WRITE && tr == PLAN_TRANSPORT_UDP)
		return fail_tok(p, nt, "write " STREAM_ONLY);
	if (k->op == PLAN_SEND && (tr == PLAN_TRANSPORT_TCP || tr == PLAN_TRANSPORT_UNIX))
		return fail_tok(p, nt, "send needs a udp connection");
	if (parse_data_bytes_vars(&p->cur, p->depth > 0, parse_vars(p), &st->data) < 0)
		return -1;
	while (k->op == PLAN_WRITE && (t = peek(p)) != NULL &&
	       (is_word(t, "split") || is_word(t, "gap"))) {
		int *seen = is_word(t, "split") ? &have_split : &have_gap;

		if (*seen)
			return fail_tok(p, t, "\"%s\" given twice",
			                is_word(t, "gap") ? "gap" : "split");
		*seen = 1;
		take(p);
		if (is_word(t, "split") ? parse_split(p, &st->split)
		                        : take_duration(p, &st->gap_ms))
			return -1;
	}
	return end_of_stmt(p, kw);
}

/* shutdown, close, reset, pause, resume: just a connection. */
static int stmt_conn_only(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = parse_new_stmt(p, k->op, kw);
	const struct lex_token *nt;
	enum plan_transport tr;
	int stream = k->op == PLAN_SHUTDOWN || k->op == PLAN_PAUSE || k->op == PLAN_RESUME;

	if (st == NULL || parse_take_conn(p, st, &tr, &nt) < 0)
		return -1;
	if (stream && tr == PLAN_TRANSPORT_UDP)
		return fail_tok(p, nt, "%s " STREAM_ONLY, k->word);
	return end_of_stmt(p, kw);
}

/* ---- flow statements ---- */

static int stmt_sleep(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = parse_new_stmt(p, k->op, kw);

	if (st == NULL || take_duration(p, &st->ms) < 0)
		return -1;
	return end_of_stmt(p, kw);
}

/* parallel N [stagger D] [within LIMIT], repeat N, measure NAME: opens a
 * block that "end" closes. */
static int stmt_block(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	int parallel = k->op == PLAN_PARALLEL;
	const struct lex_token *t, *nt;
	struct plan_stmt *st;
	uint64_t n = 1;

	if (p->depth >= DEPTH_MAX)
		return fail_tok(p, kw, "blocks nested too deeply (at most %d levels)", DEPTH_MAX);
	st = parse_new_stmt(p, k->op, kw);
	if (st == NULL)
		return -1;
	if (k->op == PLAN_MEASURE
	        ? parse_take_name(p, "duration", st->snapshot, &nt) < 0
	        : take_int(p, "an instance count", parallel ? "parallel count" : "repeat count", 1,
	                   parallel ? PARALLEL_MAX : REPEAT_MAX, &n) < 0)
		return -1;
	st->count = (long)n;
	if (parallel && is_word(peek(p), "stagger")) {
		take(p);
		if (take_duration(p, &st->stagger_ms) < 0)
			return -1;
	}
	if (parallel && is_word(peek(p), "within")) {
		take(p);
		t = peek(p);
		if (parse_take_limit(p, st) < 0)
			return -1;
		if (st->ms == 0 && st->within_name[0] == '\0')
			return fail_tok(p, t,
			                "parallel within must be longer than 0ms "
			                "(leave it out for no limit)");
	}
	if (end_of_stmt(p, kw) < 0)
		return -1;
	p->depth++;
	memset(&p->blocks[p->depth], 0, sizeof(p->blocks[p->depth]));
	p->blocks[p->depth].stmts = &st->body;
	p->blocks[p->depth].n = &st->nbody;
	p->blocks[p->depth].open = st;
	return 0;
}

static int stmt_end(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	const struct plan_stmt *open;

	(void)k;
	if (p->depth == 0)
		return fail_tok(p, kw, "\"end\" without an open parallel, repeat or measure block");
	if (end_of_stmt(p, kw) < 0)
		return -1;
	open = p->blocks[p->depth].open;
	if (open->op == PLAN_MEASURE && parse_names_add(p, &p->measured, open->snapshot, kw) < 0)
		return -1;
	free(p->blocks[p->depth].conns);
	memset(&p->blocks[p->depth], 0, sizeof(p->blocks[p->depth]));
	p->depth--;
	return 0;
}

/* ---- the driver ---- */

static const struct stmt_kind stmt_kinds[] = {
    {"case", 1, PLAN_CONNECT, stmt_case},
    {"description", 1, PLAN_CONNECT, stmt_description},
    {"requires", 1, PLAN_CONNECT, stmt_requires},
    {"timeout", 1, PLAN_CONNECT, stmt_timeout},
    {"connect", 0, PLAN_CONNECT, stmt_connect},
    {"write", 0, PLAN_WRITE, stmt_write},
    {"send", 0, PLAN_SEND, stmt_write},
    {"shutdown", 0, PLAN_SHUTDOWN, stmt_conn_only},
    {"close", 0, PLAN_CLOSE, stmt_conn_only},
    {"reset", 0, PLAN_RESET, stmt_conn_only},
    {"pause", 0, PLAN_PAUSE, stmt_conn_only},
    {"resume", 0, PLAN_RESUME, stmt_conn_only},
    {"expect", 0, PLAN_EXPECT_BYTES, parse_stmt_expect},
    {"sleep", 0, PLAN_SLEEP, stmt_sleep},
    {"parallel", 0, PLAN_PARALLEL, stmt_block},
    {"repeat", 0, PLAN_REPEAT, stmt_block},
    {"measure", 0, PLAN_MEASURE, stmt_block},
    {"end", 0, PLAN_CONNECT, stmt_end},
    {"restart", 0, PLAN_RESTART, parse_stmt_restart},
    {"signal", 0, PLAN_SIGNAL, parse_stmt_signal},
    {"snapshot", 0, PLAN_SNAPSHOT, parse_stmt_snapshot},
    {NULL, 0, PLAN_CONNECT, NULL},
};

static int parse_statement(struct parser *p)
{
	const struct lex_token *kw = take(p);
	const struct stmt_kind *k;
	char shown[LEX_SHOWN_MAX];

	if (!p->have_case && !is_word(kw, "case"))
		return fail_tok(p, kw, MISSING_CASE);
	for (k = stmt_kinds; k->word != NULL && !is_word(kw, k->word); k++)
		;
	if (k->word == NULL) {
		lex_describe(kw, shown, sizeof(shown));
		return fail_tok(p, kw, "unknown statement %s", shown);
	}
	if (k->parse == stmt_case && p->have_case)
		return fail_tok(p, kw, "\"case\" may appear only once");
	if (k->header && p->in_body)
		return fail_tok(p, kw, "header statement \"%s\" must come before the first step",
		                k->word);
	if (!k->header)
		p->in_body = 1;
	return k->parse(p, k, kw);
}

static int parser_init(struct parser *p, const char *name, const uint8_t *buf, size_t len,
                       char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	lex_init(&p->lx, name, buf, len);
	p->cur.name = name;
	p->cur.err = err;
	p->cur.errlen = errlen;
	p->plan = calloc(1, sizeof(*p->plan));
	if (p->plan != NULL)
		p->plan->description = calloc(1, 1);
	if (p->plan == NULL || p->plan->description == NULL)
		return fail_at(p, 1, 1, "out of memory");
	p->plan->timeout_ms = PLAN_TIMEOUT_DEFAULT_MS;
	p->blocks[0].stmts = &p->plan->stmts;
	p->blocks[0].n = &p->plan->nstmts;
	return 0;
}

static void parser_release(struct parser *p)
{
	size_t b;

	for (b = 0; b <= p->depth; b++)
		free(p->blocks[b].conns);
	free(p->snaps.v);
	free(p->measured.v);
	free(p->vars.v);
	lex_free(&p->lx);
	plan_free(p->plan);
	p->plan = NULL;
}

/* What only the end of the file can show. */
static int parse_finish(struct parser *p)
{
	const struct plan_stmt *open = p->blocks[p->depth].open;

	if (!p->have_case)
		return fail_at(p, 1, 1, MISSING_CASE);
	if (open != NULL)
		return fail_at(p, open->line, open->col, "%s block has no \"end\"",
		               open->op == PLAN_PARALLEL ? "parallel"
		               : open->op == PLAN_REPEAT ? "repeat"
		                                         : "measure");
	return 0;
}

int parse_case(const char *name, const uint8_t *buf, size_t len, struct plan **out, char *err,
               size_t errlen)
{
	return parse_case_opts(name, buf, len, 0, out, err, errlen);
}

int parse_case_opts(const char *name, const uint8_t *buf, size_t len, unsigned flags,
                    struct plan **out, char *err, size_t errlen)
{
	struct parser p;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (parser_init(&p, name, buf, len, err, errlen) < 0)
		goto fail;
	p.own_families = (flags & PARSE_OWN_FAMILIES) != 0;
	while ((rc = lex_next_line(&p.lx, &p.cur.toks, &p.cur.ntoks, err, errlen)) == 1) {
		p.cur.at = 0;
		if (parse_statement(&p) < 0)
			goto fail;
	}
	if (rc < 0 || parse_finish(&p) < 0)
		goto fail;
	if (out == NULL) {
		fail_at(&p, 1, 1, "parse_case: no place for the plan (out is NULL)");
		goto fail;
	}
	*out = p.plan;
	p.plan = NULL;
	parser_release(&p);
	return 0;
fail:
	parser_release(&p);
	return -1;
}
