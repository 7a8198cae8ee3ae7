/* SPDX-License-Identifier: MIT */
/*
 * The strict JSON reader (see json_read.h): a recursive descent over the
 * bytes, with the depth bounded so that no document can exhaust the
 * stack. Errors keep the first position that went wrong; line and column
 * are counted from the start only then.
 */
#include "json_read.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const unsigned char *s; /* the document */
	size_t len;             /* its length */
	size_t pos;             /* next byte */
	const char *what;       /* the error, once there is one */
	size_t at;              /* where it is */
	int oom;                /* memory ran out */
};

static int fail(struct reader *r, size_t at, const char *what)
{
	if (!r->what) {
		r->what = what;
		r->at = at;
	}
	return -1;
}

static void skip_space(struct reader *r)
{
	while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
	                           r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
		r->pos++;
}

/* A growable byte string for decoded strings. */
struct bytes {
	char *p;
	size_t n, cap;
};

static int put(struct reader *r, struct bytes *b, const void *src, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *grown;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(grown = realloc(b->p, cap))) {
			r->oom = 1;
			return fail(r, r->pos, "out of memory");
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int put_code_point(struct reader *r, struct bytes *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return put(r, b, u, n);
}

/* Four hex digits at pos; their value, or -1. */
static long hex4(const struct reader *r, size_t pos)
{
	long v = 0;

	if (r->len - pos < 4)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		unsigned char c = r->s[pos + i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* The escape after a backslash at r->pos (which is past the backslash). */
static int escape(struct reader *r, struct bytes *b, size_t start)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	long hi, lo;

	if (r->pos >= r->len)
		return fail(r, start, "unterminated string");
	if (r->s[r->pos] != 'u') {
		if (!r->s[r->pos] || !(hit = strchr(from, r->s[r->pos])))
			return fail(r, r->pos - 1, "invalid escape in string");
		r->pos++;
		return put(r, b, &to[hit - from], 1);
	}
	if ((hi = hex4(r, r->pos + 1)) < 0)
		return fail(r, r->pos - 1, "\\u needs four hex digits");
	r->pos += 5;
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return fail(r, r->pos - 6, "lone low surrogate in \\u escape");
	if (hi < 0xD800 || hi > 0xDBFF)
		return put_code_point(r, b, (uint32_t)hi);
	if (r->len - r->pos < 6 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u' ||
	    (lo = hex4(r, r->pos + 2)) < 0xDC00 || lo > 0xDFFF)
		return fail(r, r->pos - 6, "high surrogate without its low surrogate");
	r->pos += 6;
	return put_code_point(r, b,
	                      0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00));
}

/* The length of the valid UTF-8 sequence at pos (lead byte >= 0x80), or 0. */
static size_t utf8_len(const struct reader *r, size_t pos)
{
	const unsigned char *s = r->s + pos;
	size_t avail = r->len - pos, n;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0; /* overlong */
	else if (s[0] == 0xED)
		hi = 0x9F; /* surrogates */
	else if (s[0] == 0xF0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xF4)
		hi = 0x8F; /* above U+10FFFF */
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/* A string at r->pos (its opening quote); decoded into *out. */
static int string(struct reader *r, char **out, size_t *outlen)
{
	struct bytes b = {NULL, 0, 0};
	size_t start = r->pos++;

	if (put(r, &b, "", 0) < 0)
		return -1;
	for (;;) {
		size_t run = r->pos, n;
		while (r->pos < r->len && r->s[r->pos] >= 0x20 && r->s[r->pos] < 0x80 &&
		       r->s[r->pos] != '"' && r->s[r->pos] != '\\')
			r->pos++;
		if (put(r, &b, r->s + run, r->pos - run) < 0)
			break;
		if (r->pos >= r->len) {
			fail(r, start, "unterminated string");
			break;
		}
		if (r->s[r->pos] == '"') {
			r->pos++;
			*out = b.p;
			*outlen = b.n;
			return 0;
		}
		if (r->s[r->pos] == '\\') {
			r->pos++;
			if (escape(r, &b, start) < 0)
				break;
			continue;
		}
		if (r->s[r->pos] < 0x20) {
			fail(r, r->pos, "control byte in string (escape it)");
			break;
		}
		if (!(n = utf8_len(r, r->pos))) {
			fail(r, r->pos, "invalid UTF-8 in string");
			break;
		}
		if (put(r, &b, r->s + r->pos, n) < 0)
			break;
		r->pos += n;
	}
	free(b.p);
	return -1;
}

static int digits(struct reader *r)
{
	size_t start = r->pos;

	while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
		r->pos++;
	return r->pos > start ? 0 : fail(r, r->pos, "expected a digit");
}

static int number(struct reader *r, double *out)
{
	size_t start = r->pos;
	char *copy;

	if (r->s[r->pos] == '-')
		r->pos++;
	if (r->pos < r->len && r->s[r->pos] == '0') {
		r->pos++;
		if (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9')
			return fail(r, start, "leading zero in number");
	} else if (digits(r) < 0) {
		return -1;
	}
	if (r->pos < r->len && r->s[r->pos] == '.') {
		r->pos++;
		if (digits(r) < 0)
			return -1;
	}
	if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
		r->pos++;
		if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-'))
			r->pos++;
		if (digits(r) < 0)
			return -1;
	}
	if (!(copy = malloc(r->pos - start + 1))) {
		r->oom = 1;
		return fail(r, start, "out of memory");
	}
	memcpy(copy, r->s + start, r->pos - start);
	copy[r->pos - start] = '\0';
	*out = strtod(copy, NULL);
	free(copy);
	return 0;
}

static int value(struct reader *r, struct json_value *v, int depth);

static int array(struct reader *r, struct json_value *v, int depth)
{
	size_t cap = 0;

	r->pos++;
	skip_space(r);
	if (r->pos < r->len && r->s[r->pos] == ']') {
		r->pos++;
		return 0;
	}
	for (;;) {
		if (v->n == cap) {
			struct json_value *grown;
			cap = cap ? 2 * cap : 8;
			if (!(grown = realloc(v->items, cap * sizeof(*grown)))) {
				r->oom = 1;
				return fail(r, r->pos, "out of memory");
			}
			v->items = grown;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
		v->n++;
		if (value(r, &v->items[v->n - 1], depth + 1) < 0)
			return -1;
		skip_space(r);
		if (r->pos < r->len && r->s[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (r->pos < r->len && r->s[r->pos] == ']') {
			r->pos++;
			return 0;
		}
		return fail(r, r->pos, "expected ',' or ']' in array");
	}
}

static int member(struct reader *r, struct json_member *m, int depth)
{
	skip_space(r);
	if (r->pos >= r->len || r->s[r->pos] != '"')
		return fail(r, r->pos, "expected a string key in object");
	if (string(r, &m->key, &m->keylen) < 0)
		return -1;
	skip_space(r);
	if (r->pos >= r->len || r->s[r->pos] != ':')
		return fail(r, r->pos, "expected ':' after object key");
	r->pos++;
	return value(r, &m->value, depth + 1);
}

static int object(struct reader *r, struct json_value *v, int depth)
{
	size_t cap = 0;

	r->pos++;
	skip_space(r);
	if (r->pos < r->len && r->s[r->pos] == '}') {
		r->pos++;
		return 0;
	}
	for (;;) {
		if (v->n == cap) {
			struct json_member *grown;
			cap = cap ? 2 * cap : 8;
			if (!(grown = realloc(v->members, cap * sizeof(*grown)))) {
				r->oom = 1;
				return fail(r, r->pos, "out of memory");
			}
			v->members = grown;
		}
		memset(&v->members[v->n], 0, sizeof(v->members[v->n]));
		v->n++;
		if (member(r, &v->members[v->n - 1], depth) < 0)
			return -1;
		skip_space(r);
		if (r->pos < r->len && r->s[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (r->pos < r->len && r->s[r->pos] == '}') {
			r->pos++;
			return 0;
		}
		return fail(r, r->pos, "expected ',' or '}' in object");
	}
}

static int literal(struct reader *r, const char *word, enum json_type type, struct json_value *v)
{
	size_t n = strlen(word);

	if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
		return fail(r, r->pos, "expected a value");
	r->pos += n;
	v->type = type;
	return 0;
}

static int value(struct reader *r, struct json_value *v, int depth)
{
	skip_space(r);
	if (r->pos >= r->len)
		return fail(r, r->pos, "expected a value, got the end");
	switch (r->s[r->pos]) {
	case '{':
	case '[':
		if (depth >= JSON_DEPTH_MAX)
			return fail(r, r->pos, "nested too deep");
		v->type = r->s[r->pos] == '{' ? JSON_OBJECT : JSON_ARRAY;
		return v->type == JSON_OBJECT ? object(r, v, depth) : array(r, v, depth);
	case '"':
		v->type = JSON_STRING;
		return string(r, &v->string, &v->len);
	case 't':
		return literal(r, "true", JSON_TRUE, v);
	case 'f':
		return literal(r, "false", JSON_FALSE, v);
	case 'n':
		return literal(r, "null", JSON_NULL, v);
	default:
		if (r->s[r->pos] == '-' || (r->s[r->pos] >= '0' && r->s[r->pos] <= '9')) {
			v->type = JSON_NUMBER;
			return number(r, &v->number);
		}
		return fail(r, r->pos, "expected a value");
	}
}

static void release(struct json_value *v)
{
	for (size_t i = 0; v->items && i < v->n; i++)
		release(&v->items[i]);
	for (size_t i = 0; v->members && i < v->n; i++) {
		free(v->members[i].key);
		release(&v->members[i].value);
	}
	free(v->items);
	free(v->members);
	free(v->string);
}

int json_parse(const char *text, size_t len, struct json_value **out, char *err, size_t errlen)
{
	struct reader r = {(const unsigned char *)text, len, 0, NULL, 0, 0};
	struct json_value *v = calloc(1, sizeof(*v));
	unsigned line = 1, col = 1;

	*out = NULL;
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (value(&r, v, 0) == 0) {
		skip_space(&r);
		if (r.pos == r.len) {
			*out = v;
			return 0;
		}
		fail(&r, r.pos, "text after the JSON value");
	}
	for (size_t i = 0; i < r.at && i < len; i++) {
		col = text[i] == '\n' ? 1 : col + 1;
		line += text[i] == '\n';
	}
	if (r.oom)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "line %u, column %u: %s", line, col, r.what);
	json_free(v);
	return -1;
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	release(v);
	free(v);
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; v && v->type == JSON_OBJECT && i < v->n; i++)
		if (v->members[i].keylen == klen && memcmp(v->members[i].key, key, klen) == 0)
			return &v->members[i].value;
	return NULL;
}

const char *json_string(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->string : NULL;
}
