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

#define DEPTH_MAX         16 /* nested parallel/repeat blocks */
#define WITHIN_DEFAULT_MS 2000
#define PARALLEL_MAX      100000
#define REPEAT_MAX        1000000

#define MISSING_CASE "missing case header: the first statement must be \"case FAMILY/NAME\""
#define STREAM_ONLY  "needs a stream connection (tcp or unix)"

static const char *const reserved_words[] = {
    "exit",  "second-instance", "fds",       "threads",     "children",
    "line",  "regex",           "timestamp", "nothing",     "eof",
    "reset", "closed",          "datagram",  "no-datagram", NULL};

/* A connection name in scope and how it was connected. */
struct conn {
	char name[PLAN_NAME_MAX];      /* NUL-terminated */
	enum plan_transport transport; /* as given to connect */
};

/* An open block: the array statements are appended to, and its names. */
struct block {
	struct plan_stmt **stmts; /* &plan->stmts or &open->body */
	size_t *n;                /* &plan->nstmts or &open->nbody */
	size_t cap;               /* allocated entries of *stmts */
	struct plan_stmt *open;   /* the parallel/repeat statement; NULL at top level */
	struct conn *conns;       /* connections connected in this block (owned) */
	size_t nconns, capconns;  /* used and allocated entries of conns */
};

struct parser {
	struct lex lx;                      /* the lexer */
	struct lex_cursor cur;              /* tokens of the current line, error context */
	struct plan *plan;                  /* being built (owned until returned) */
	struct block blocks[DEPTH_MAX + 1]; /* blocks[0] is the top level */
	size_t depth;                       /* index of the innermost open block */
	char (*snaps)[PLAN_NAME_MAX];       /* snapshot names taken so far (owned) */
	size_t nsnaps, capsnaps;            /* used and allocated entries of snaps */
	int have_case, have_desc;           /* header statements seen */
	int have_timeout, in_body;          /* ... and whether a step was seen */
};

struct stmt_kind;
typedef int (*stmt_fn)(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw);

/* One statement keyword and how to parse the rest of its line. */
struct stmt_kind {
	const char *word; /* the keyword */
	int header;       /* 1 for header statements */
	enum plan_op op;  /* body statements: the op they usually produce */
	stmt_fn parse;    /* parses the rest of the line */
};

#define peek(p)              lex_peek(&(p)->cur)
#define take(p)              lex_take(&(p)->cur)
#define is_word              lex_is_word
#define fail_at(p, ...)      lex_fail(&(p)->cur, __VA_ARGS__)
#define fail_tok(p, t, ...)  lex_fail(&(p)->cur, (t)->line, (t)->col, __VA_ARGS__)
#define fail_expected(p, w)  lex_fail_expected(&(p)->cur, (w))
#define take_int(p, ...)     lex_take_int(&(p)->cur, __VA_ARGS__)
#define take_duration(p, ms) lex_take_duration(&(p)->cur, (ms))
#define end_of_stmt(p, kw)   lex_take_end(&(p)->cur, (kw))

/* Grows an array to hold at least `need` entries of `size` bytes.
 * Returns the (possibly moved) array, or NULL with arr untouched. */
static void *grow(void *arr, size_t *cap, size_t need, size_t size)
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

/* Optional "within D"; 2 s when absent. */
static int take_within(struct parser *p, uint64_t *ms)
{
	*ms = WITHIN_DEFAULT_MS;
	if (!is_word(peek(p), "within"))
		return 0;
	take(p);
	return take_duration(p, ms);
}

/* ---- names and scopes ---- */

/* Takes a connection or snapshot name (`what`) into out. */
static int take_name(struct parser *p, const char *what, char out[PLAN_NAME_MAX],
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

/* Takes the name of a connection in scope into st->conn. */
static int take_conn(struct parser *p, struct plan_stmt *st, enum plan_transport *tr,
                     const struct lex_token **tok)
{
	const struct conn *c;

	if (take_name(p, "connection", st->conn, tok) < 0)
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
	grown = grow(b->conns, &b->capconns, b->nconns + 1, sizeof(*grown));
	if (grown == NULL)
		return fail_tok(p, at, "out of memory");
	b->conns = grown;
	memcpy(b->conns[b->nconns].name, name, PLAN_NAME_MAX);
	b->conns[b->nconns++].transport = tr;
	return 0;
}

/* Appends a zeroed statement to the innermost block. */
static struct plan_stmt *new_stmt(struct parser *p, enum plan_op op, const struct lex_token *kw)
{
	struct block *b = &p->blocks[p->depth];
	struct plan_stmt *grown, *st;

	grown = grow(*b->stmts, &b->cap, *b->n + 1, sizeof(*grown));
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
		return fail_tok(p, t,
		                "unknown family %s: use basic, partial-recv, framing, concurrency, "
		                "exit, reuse, limits or resources",
		                shown);
	}
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
	static const char *const transports[] = {"", "tcp", "udp", "unix"};
	struct plan_stmt *st = new_stmt(p, k->op, kw);
	const struct lex_token *nt, *t;
	char shown[LEX_SHOWN_MAX];
	unsigned i;

	if (st == NULL || take_name(p, "connection", st->conn, &nt) < 0)
		return -1;
	t = peek(p);
	if (t != NULL && t->kind == LEX_WORD) {
		for (i = 1; i < 4 && !is_word(t, transports[i]); i++)
			;
		lex_describe(t, shown, sizeof(shown));
		if (i == 4)
			return fail_tok(p, t, "unknown transport %s: use tcp, udp or unix", shown);
		take(p);
		st->transport = (enum plan_transport)i;
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
	struct plan_stmt *st = new_stmt(p, k->op, kw);
	const struct lex_token *nt, *t;
	enum plan_transport tr;
	int have_split = 0, have_gap = 0;

	if (st == NULL || take_conn(p, st, &tr, &nt) < 0)
		return -1;
	if (k->op == PLAN_WRITE && tr == PLAN_TRANSPORT_UDP)
		return fail_tok(p, nt, "write " STREAM_ONLY);
	if (k->op == PLAN_SEND && (tr == PLAN_TRANSPORT_TCP || tr == PLAN_TRANSPORT_UNIX))
		return fail_tok(p, nt, "send needs a udp connection");
	if (parse_data_bytes(&p->cur, p->depth > 0, &st->data) < 0)
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
	struct plan_stmt *st = new_stmt(p, k->op, kw);
	const struct lex_token *nt;
	enum plan_transport tr;
	int stream = k->op == PLAN_SHUTDOWN || k->op == PLAN_PAUSE || k->op == PLAN_RESUME;

	if (st == NULL || take_conn(p, st, &tr, &nt) < 0)
		return -1;
	if (stream && tr == PLAN_TRANSPORT_UDP)
		return fail_tok(p, nt, "%s " STREAM_ONLY, k->word);
	return end_of_stmt(p, kw);
}

/* ---- flow statements ---- */

static int stmt_sleep(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = new_stmt(p, k->op, kw);

	if (st == NULL || take_duration(p, &st->ms) < 0)
		return -1;
	return end_of_stmt(p, kw);
}

/* parallel N [within D] / repeat N: opens a block that "end" closes. */
static int stmt_block(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	int parallel = k->op == PLAN_PARALLEL;
	const struct lex_token *t;
	struct plan_stmt *st;
	uint64_t n;

	if (p->depth >= DEPTH_MAX)
		return fail_tok(p, kw, "blocks nested too deeply (at most %d levels)", DEPTH_MAX);
	st = new_stmt(p, k->op, kw);
	if (st == NULL ||
	    take_int(p, "an instance count", parallel ? "parallel count" : "repeat count", 1,
	             parallel ? PARALLEL_MAX : REPEAT_MAX, &n) < 0)
		return -1;
	st->count = (long)n;
	if (parallel && is_word(peek(p), "within")) {
		take(p);
		t = peek(p);
		if (take_duration(p, &st->ms) < 0)
			return -1;
		if (st->ms == 0)
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
	(void)k;
	if (p->depth == 0)
		return fail_tok(p, kw, "\"end\" without an open parallel or repeat block");
	if (end_of_stmt(p, kw) < 0)
		return -1;
	free(p->blocks[p->depth].conns);
	memset(&p->blocks[p->depth], 0, sizeof(p->blocks[p->depth]));
	p->depth--;
	return 0;
}

/* ---- target statements ---- */

static int stmt_restart(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	if (new_stmt(p, k->op, kw) == NULL)
		return -1;
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	return end_of_stmt(p, kw);
}

static int stmt_signal(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	static const struct {
		const char *name;
		int signo;
	} sigs[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},  {"KILL", SIGKILL},
	            {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"QUIT", SIGQUIT}};
	struct plan_stmt *st = new_stmt(p, k->op, kw);
	const struct lex_token *t = peek(p);
	struct lex_token bare;
	char shown[LEX_SHOWN_MAX];
	size_t i;

	if (st == NULL)
		return -1;
	if (t == NULL || t->kind != LEX_WORD)
		return fail_expected(p, "a signal (TERM, INT, HUP, KILL, USR1, USR2 or QUIT)");
	take(p);
	bare = *t;
	if (bare.len > 3 && memcmp(bare.text, "SIG", 3) == 0) {
		bare.text += 3;
		bare.len -= 3;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]) && !is_word(&bare, sigs[i].name); i++)
		;
	if (i == sizeof(sigs) / sizeof(sigs[0])) {
		lex_describe(t, shown, sizeof(shown));
		return fail_tok(
		    p, t, "unknown signal %s: use TERM, INT, HUP, KILL, USR1, USR2 or QUIT", shown);
	}
	st->signo = sigs[i].signo;
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	return end_of_stmt(p, kw);
}

static int find_snap(const struct parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nsnaps; i++)
		if (strcmp(p->snaps[i], name) == 0)
			return 1;
	return 0;
}

static int stmt_snapshot(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	struct plan_stmt *st = new_stmt(p, k->op, kw);
	const struct lex_token *nt;
	char(*grown)[PLAN_NAME_MAX];

	if (st == NULL || take_name(p, "snapshot", st->snapshot, &nt) < 0 || end_of_stmt(p, kw) < 0)
		return -1;
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	if (find_snap(p, st->snapshot))
		return 0; /* taking it again replaces the counts at run time */
	grown = grow(p->snaps, &p->capsnaps, p->nsnaps + 1, sizeof(*grown));
	if (grown == NULL)
		return fail_tok(p, kw, "out of memory");
	p->snaps = grown;
	memcpy(p->snaps[p->nsnaps++], st->snapshot, PLAN_NAME_MAX);
	return 0;
}

/* expect exit STATUS|nonzero */
static int expect_exit(struct parser *p, struct plan_stmt *st)
{
	uint64_t v;

	st->op = PLAN_EXPECT_EXIT;
	if (is_word(peek(p), "nonzero")) {
		take(p);
		st->status = PLAN_EXIT_NONZERO;
	} else if (take_int(p, "an exit status (0 to 255) or nonzero", "exit status", 0, 255, &v) <
	           0) {
		return -1;
	} else {
		st->status = (int)v;
	}
	return 0;
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

/* expect fds|threads|children <= NAME [+ K] */
static int expect_count(struct parser *p, struct plan_stmt *st, enum plan_resource res)
{
	const struct lex_token *nt;
	uint64_t v;

	st->op = PLAN_EXPECT_COUNT;
	st->resource = res;
	if (peek(p) == NULL || peek(p)->kind != LEX_LE)
		return fail_expected(p, "\"<=\"");
	take(p);
	if (take_name(p, "snapshot", st->snapshot, &nt) < 0)
		return -1;
	if (!find_snap(p, st->snapshot))
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
enum expect_arg { ARG_NONE, ARG_DATA, ARG_REGEX, ARG_FOR };

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
    {"datagram", PLAN_EXPECT_DATAGRAM, ARG_DATA, -1},
    {"no-datagram", PLAN_EXPECT_NO_DATAGRAM, ARG_FOR, -1},
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
	if (t->kind == LEX_STRING || is_word(t, "hex") || is_word(t, "range"))
		return &expect_bytes;
	return NULL;
}

/* expect NAME ... : what arrives on a connection. */
static int expect_conn(struct parser *p, struct plan_stmt *st, const struct lex_token *kw)
{
	const struct expect_kind *ek;
	const struct lex_token *nt;
	enum plan_transport tr;

	if (take_conn(p, st, &tr, &nt) < 0)
		return -1;
	ek = expect_kind_of(peek(p));
	if (ek == NULL)
		return fail_expected(p,
		                     "data or line, regex, timestamp, nothing, eof, reset, closed, "
		                     "datagram or no-datagram");
	if (ek != &expect_bytes)
		take(p);
	st->op = ek->op;
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
	if (ek->arg == ARG_DATA && parse_data_bytes(&p->cur, p->depth > 0, &st->data) < 0)
		return -1;
	if (ek->arg == ARG_REGEX && parse_data_regex(&p->cur, p->depth > 0, &st->data) < 0)
		return -1;
	if (take_within(p, &st->ms) < 0)
		return -1;
	return end_of_stmt(p, kw);
}

static int stmt_expect(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw)
{
	static const char *const resources[] = {"fds", "threads", "children"};
	struct plan_stmt *st = new_stmt(p, k->op, kw);
	const struct lex_token *t = peek(p);
	unsigned r;

	if (st == NULL)
		return -1;
	if (t == NULL || t->kind != LEX_WORD)
		return fail_expected(p, "a connection name, exit, second-instance, fds, threads or "
		                        "children");
	for (r = 0; r < 3 && !is_word(t, resources[r]); r++)
		;
	if (!is_word(t, "exit") && !is_word(t, "second-instance") && r == 3)
		return expect_conn(p, st, kw);
	take(p);
	p->plan->requires |= PLAN_REQ_LAUNCHED;
	if ((is_word(t, "exit") ? expect_exit(p, st)
	     : r == 3           ? expect_second(p, st)
	                        : expect_count(p, st, (enum plan_resource)r)) < 0 ||
	    take_within(p, &st->ms) < 0)
		return -1;
	return end_of_stmt(p, kw);
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
    {"expect", 0, PLAN_EXPECT_BYTES, stmt_expect},
    {"sleep", 0, PLAN_SLEEP, stmt_sleep},
    {"parallel", 0, PLAN_PARALLEL, stmt_block},
    {"repeat", 0, PLAN_REPEAT, stmt_block},
    {"end", 0, PLAN_CONNECT, stmt_end},
    {"restart", 0, PLAN_RESTART, stmt_restart},
    {"signal", 0, PLAN_SIGNAL, stmt_signal},
    {"snapshot", 0, PLAN_SNAPSHOT, stmt_snapshot},
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
	free(p->snaps);
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
		               open->op == PLAN_PARALLEL ? "parallel" : "repeat");
	return 0;
}

int parse_case(const char *name, const uint8_t *buf, size_t len, struct plan **out, char *err,
               size_t errlen)
{
	struct parser p;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (parser_init(&p, name, buf, len, err, errlen) < 0)
		goto fail;
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
