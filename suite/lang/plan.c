/* SPDX-License-Identifier: MIT */
/*
 * The plan data model's few operations (see plan.h): family names, the
 * rendering of data with the ${i} index filled in, and plan_free(). The
 * parser builds every plan directly inside the tree that plan_free()
 * walks, so this one function is also the parser's error-path cleanup.
 */
#include "plan.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_DIGITS_MAX 24 /* room for any long in decimal, sign included */

static const char *const family_names[PLAN_FAMILY_COUNT] = {
    [PLAN_FAMILY_BASIC] = "basic",     [PLAN_FAMILY_PARTIAL_RECV] = "partial-recv",
    [PLAN_FAMILY_FRAMING] = "framing", [PLAN_FAMILY_CONCURRENCY] = "concurrency",
    [PLAN_FAMILY_EXIT] = "exit",       [PLAN_FAMILY_REUSE] = "reuse",
    [PLAN_FAMILY_LIMITS] = "limits",   [PLAN_FAMILY_RESOURCES] = "resources",
};

const char *plan_family_name(enum plan_family f)
{
	if ((unsigned)f >= PLAN_FAMILY_COUNT)
		return NULL;
	return family_names[f];
}

int plan_family_parse(const char *name, size_t len, enum plan_family *out)
{
	unsigned f;

	if (name == NULL)
		return -1;
	for (f = 0; f < PLAN_FAMILY_COUNT; f++) {
		if (strlen(family_names[f]) == len && memcmp(family_names[f], name, len) == 0) {
			*out = (enum plan_family)f;
			return 0;
		}
	}
	return -1;
}

int plan_family_valid(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0 || len >= PLAN_FAMILY_NAME_MAX || name[0] < 'a' ||
	    name[0] > 'z')
		return 0;
	for (i = 1; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			return 0;
	return 1;
}

const struct plan_var *plan_vars_get(const struct plan_vars *vars, const char *name, size_t len)
{
	size_t i;

	for (i = 0; vars != NULL && i < vars->n; i++)
		if (strlen(vars->v[i].name) == len && memcmp(vars->v[i].name, name, len) == 0)
			return &vars->v[i];
	return NULL;
}

int plan_vars_set(struct plan_vars *vars, const char *name, const uint8_t *value, size_t len,
                  int set)
{
	struct plan_var *v = (struct plan_var *)plan_vars_get(vars, name, strlen(name));
	uint8_t *copy = NULL;

	if (strlen(name) >= PLAN_NAME_MAX)
		return -1;
	if (v == NULL) {
		if (vars->n == PLAN_VARS_MAX)
			return -1;
		v = &vars->v[vars->n++];
		memset(v, 0, sizeof(*v));
		memcpy(v->name, name, strlen(name) + 1);
	}
	if (set) {
		copy = malloc(len ? len : 1);
		if (copy == NULL)
			return -1;
		if (len)
			memcpy(copy, value, len);
	}
	free(v->value);
	v->value = copy;
	v->len = set ? len : 0;
	v->set = set;
	return 0;
}

void plan_vars_free(struct plan_vars *vars)
{
	size_t i;

	for (i = 0; i < vars->n; i++)
		free(vars->v[i].value);
	vars->n = 0;
}

const struct plan_seg *plan_bytes_unset(const struct plan_bytes *b, const struct plan_vars *vars)
{
	const struct plan_var *v;
	size_t i;

	for (i = 0; b != NULL && i < b->nsegs; i++) {
		if (b->segs[i].kind != PLAN_SEG_VAR)
			continue;
		v = plan_vars_get(vars, (const char *)b->segs[i].bytes, b->segs[i].len);
		if (v == NULL || !v->set)
			return &b->segs[i];
	}
	return NULL;
}

/* The value of the variable a VAR piece names (empty when unset). */
static const uint8_t *var_value(const struct plan_vars *vars, const struct plan_seg *s, size_t *len)
{
	const struct plan_var *v = plan_vars_get(vars, (const char *)s->bytes, s->len);

	*len = v != NULL && v->set ? v->len : 0;
	return v != NULL && v->set ? v->value : NULL;
}

const char *plan_transport_name(enum plan_transport t)
{
	static const char *const names[] = {"", "tcp", "udp", "unix"};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : NULL;
}

const char *plan_resource_name(enum plan_resource r)
{
	static const char *const names[] = {"fds", "threads", "children", "rss", "mappings"};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : NULL;
}

static const struct {
	const char *name;
	int signo;
} signals[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},  {"KILL", SIGKILL},
               {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"QUIT", SIGQUIT}};

const char *plan_signal_name(int signo)
{
	size_t i;

	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].signo == signo)
			return signals[i].name;
	return NULL;
}

int plan_signal_parse(const char *name, size_t len, int *signo)
{
	size_t i;

	if (len > 3 && memcmp(name, "SIG", 3) == 0) {
		name += 3;
		len -= 3;
	}
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (strlen(signals[i].name) == len && memcmp(signals[i].name, name, len) == 0) {
			*signo = signals[i].signo;
			return 0;
		}
	}
	return -1;
}

/* Writes index in decimal into buf (no NUL); returns the digit count. */
static size_t index_digits(long index, char buf[INDEX_DIGITS_MAX])
{
	char rev[INDEX_DIGITS_MAX];
	unsigned long v = index < 0 ? 0UL - (unsigned long)index : (unsigned long)index;
	size_t n = 0, o = 0;

	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (index < 0)
		buf[o++] = '-';
	while (n > 0)
		buf[o++] = rev[--n];
	return o;
}

/* a + b * c, or SIZE_MAX when that does not fit. */
static size_t add_product(size_t a, size_t b, size_t c)
{
	if (b != 0 && c > (SIZE_MAX - a) / b)
		return SIZE_MAX;
	return a + b * c;
}

size_t plan_bytes_len(const struct plan_bytes *b, long index)
{
	return plan_bytes_len_vars(b, index, NULL);
}

size_t plan_bytes_len_vars(const struct plan_bytes *b, long index, const struct plan_vars *vars)
{
	char digits[INDEX_DIGITS_MAX];
	size_t total = 0, i, piece;

	if (b == NULL)
		return 0;
	for (i = 0; i < b->nsegs && total != SIZE_MAX; i++) {
		piece = b->segs[i].len;
		if (b->segs[i].kind == PLAN_SEG_INDEX)
			piece = index_digits(index, digits);
		else if (b->segs[i].kind == PLAN_SEG_VAR)
			var_value(vars, &b->segs[i], &piece);
		total = add_product(total, piece, b->segs[i].repeat);
	}
	return total;
}

int plan_bytes_render(const struct plan_bytes *b, long index, uint8_t **out, size_t *len)
{
	return plan_bytes_render_vars(b, index, NULL, out, len);
}

int plan_bytes_render_vars(const struct plan_bytes *b, long index, const struct plan_vars *vars,
                           uint8_t **out, size_t *len)
{
	char digits[INDEX_DIGITS_MAX];
	size_t total = plan_bytes_len_vars(b, index, vars), o = 0, i, r, n;
	const uint8_t *src;
	uint8_t *buf;

	*out = NULL;
	*len = 0;
	if (total == SIZE_MAX)
		return -1;
	buf = malloc(total ? total : 1);
	if (buf == NULL)
		return -1;
	n = index_digits(index, digits);
	for (i = 0; b != NULL && i < b->nsegs; i++) {
		const struct plan_seg *s = &b->segs[i];

		size_t piece = s->kind == PLAN_SEG_INDEX ? n : s->len;

		src = s->kind == PLAN_SEG_INDEX ? (const uint8_t *)digits : s->bytes;
		if (s->kind == PLAN_SEG_VAR)
			src = var_value(vars, s, &piece);
		if (piece == 0 || src == NULL)
			continue; /* an empty piece repeated a billion times is still empty */
		for (r = 0; r < s->repeat; r++) {
			memcpy(buf + o, src, piece);
			o += piece;
		}
	}
	*out = buf;
	*len = o;
	return 0;
}

void plan_cursor_init(struct plan_cursor *c, const struct plan_bytes *b, long index)
{
	plan_cursor_init_vars(c, b, index, NULL);
}

void plan_cursor_init_vars(struct plan_cursor *c, const struct plan_bytes *b, long index,
                           const struct plan_vars *vars)
{
	memset(c, 0, sizeof(*c));
	c->b = b;
	c->vars = vars;
	c->index_len = index_digits(index, c->index);
}

/* The bytes of piece s as rendered, and their count. */
static const uint8_t *piece_of(const struct plan_cursor *c, const struct plan_seg *s, size_t *len)
{
	if (s->kind == PLAN_SEG_VAR)
		return var_value(c->vars, s, len);
	*len = s->kind == PLAN_SEG_INDEX ? c->index_len : s->len;
	return s->kind == PLAN_SEG_INDEX ? (const uint8_t *)c->index : s->bytes;
}

/* Moves past up to n bytes, copying them to out unless it is NULL. */
static uint64_t advance(struct plan_cursor *c, uint8_t *out, uint64_t n)
{
	uint64_t done = 0;

	while (done < n && c->b && c->seg < c->b->nsegs) {
		const struct plan_seg *s = &c->b->segs[c->seg];
		size_t len, take;
		const uint8_t *src = piece_of(c, s, &len);

		if (len == 0 || c->rep >= s->repeat) {
			c->seg++;
			c->rep = c->off = 0;
			continue;
		}
		if (!out && c->off == 0 && n - done >= len) { /* whole repetitions at once */
			uint64_t reps = (n - done) / len, left = s->repeat - c->rep;
			if (reps > left)
				reps = left;
			c->rep += reps;
			done += reps * len;
			continue;
		}
		take = len - c->off < n - done ? len - c->off : (size_t)(n - done);
		if (out)
			memcpy(out + done, src + c->off, take);
		done += take;
		c->off += take;
		if (c->off == len) {
			c->off = 0;
			c->rep++;
		}
	}
	c->pos += done;
	return done;
}

size_t plan_cursor_read(struct plan_cursor *c, uint8_t *out, size_t n)
{
	return (size_t)advance(c, out, n);
}

uint64_t plan_cursor_skip(struct plan_cursor *c, uint64_t n)
{
	return advance(c, NULL, n);
}

static void bytes_release(struct plan_bytes *b)
{
	size_t i;

	for (i = 0; i < b->nsegs; i++)
		free(b->segs[i].bytes);
	free(b->segs);
	b->segs = NULL;
	b->nsegs = 0;
}

/* Releases what n statements own, then the array. Recursion depth is the
 * block nesting depth, which the parser bounds. */
static void stmts_release(struct plan_stmt *stmts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bytes_release(&stmts[i].data);
		stmts_release(stmts[i].body, stmts[i].nbody);
	}
	free(stmts);
}

void plan_free(struct plan *p)
{
	if (p == NULL)
		return;
	stmts_release(p->stmts, p->nstmts);
	free(p->id);
	free(p->family_name);
	free(p->description);
	free(p);
}
