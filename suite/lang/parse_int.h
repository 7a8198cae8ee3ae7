/* SPDX-License-Identifier: MIT */
/*
 * The parser's insides, shared by parse.c (the driver, header,
 * connection and block statements) and parse_expect.c (expectations and
 * statements about the server). Nothing outside suite/lang/ includes it.
 */
#ifndef SOCKSPEC_PARSE_INT_H
#define SOCKSPEC_PARSE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lex.h"
#include "parse_data.h"
#include "plan.h"

#define DEPTH_MAX         16 /* nested parallel/repeat/measure blocks */
#define WITHIN_DEFAULT_MS 2000
#define PARALLEL_MAX      100000
#define REPEAT_MAX        1000000
#define WITHIN_MUL_MAX    1000 /* the K of "within NAME * K" */

#define STREAM_ONLY "needs a stream connection (tcp or unix)"

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
	struct plan_stmt *open;   /* the parallel/repeat/measure statement; NULL at top level */
	struct conn *conns;       /* connections connected in this block (owned) */
	size_t nconns, capconns;  /* used and allocated entries of conns */
};

/* Names defined so far in the whole file (snapshots, measured durations). */
struct parse_names {
	char (*v)[PLAN_NAME_MAX]; /* owned */
	size_t n, cap;            /* used and allocated entries */
};

struct parser {
	struct lex lx;                      /* the lexer */
	struct lex_cursor cur;              /* tokens of the current line, error context */
	struct plan *plan;                  /* being built (owned until returned) */
	struct block blocks[DEPTH_MAX + 1]; /* blocks[0] is the top level */
	size_t depth;                       /* index of the innermost open block */
	struct parse_names snaps;           /* snapshots taken so far */
	struct parse_names measured;        /* durations measured so far (blocks ended) */
	struct parse_names vars;            /* capture variables some regex before defines */
	struct parse_data_vars vars_view;   /* vars as parse_data reads them */
	int own_families;                   /* PARSE_OWN_FAMILIES */
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
void *parse_grow(void *arr, size_t *cap, size_t need, size_t size);

/* 1 if name is in the list. */
int parse_names_has(const struct parse_names *l, const char *name);

/* Adds name (if new); fails at token `at` when memory runs out. */
int parse_names_add(struct parser *p, struct parse_names *l, const char *name,
                    const struct lex_token *at);

/* The capture variables defined so far, for parse_data. */
const struct parse_data_vars *parse_vars(struct parser *p);

/* Takes a connection, snapshot or duration name (`what`) into out. */
int parse_take_name(struct parser *p, const char *what, char out[PLAN_NAME_MAX],
                    const struct lex_token **tok);

/* Takes the name of a connection in scope into st->conn, its transport
 * into *tr and its token into *tok. */
int parse_take_conn(struct parser *p, struct plan_stmt *st, enum plan_transport *tr,
                    const struct lex_token **tok);

/* Appends a zeroed statement to the innermost block (NULL: out of memory,
 * error reported). */
struct plan_stmt *parse_new_stmt(struct parser *p, enum plan_op op, const struct lex_token *kw);

/* A limit: D, or NAME * K [+ D] with NAME a measured duration; into
 * st->ms, st->within_name and st->within_mul. */
int parse_take_limit(struct parser *p, struct plan_stmt *st);

/* Optional "within LIMIT"; 2 s when absent. */
int parse_take_within(struct parser *p, struct plan_stmt *st);

/* parse_expect.c: the statements about connections' input and the server. */
int parse_stmt_expect(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw);
int parse_stmt_restart(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw);
int parse_stmt_signal(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw);
int parse_stmt_snapshot(struct parser *p, const struct stmt_kind *k, const struct lex_token *kw);

#endif
