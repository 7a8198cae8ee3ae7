/* SPDX-License-Identifier: MIT */
/*
 * json_read: a strict RFC 8259 JSON reader, for reading sockspec's own
 * JSON reports back (--rerun-failed, and the verdicts of -j workers).
 * The document becomes a tree of values; strings are decoded (escapes,
 * \u surrogate pairs) into UTF-8. Anything RFC 8259 does not allow is an
 * error naming its line and column: a trailing comma, a leading zero, a
 * raw control byte or bad UTF-8 in a string, a lone surrogate, text
 * after the value, nesting deeper than JSON_DEPTH_MAX. Pure: no I/O.
 */
#ifndef SOCKSPEC_JSON_READ_H
#define SOCKSPEC_JSON_READ_H

#include <stddef.h>

#define JSON_DEPTH_MAX 64 /* arrays and objects nested at most this deep */

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_member;

struct json_value {
	enum json_type type;
	double number;               /* JSON_NUMBER */
	char *string;                /* JSON_STRING: UTF-8, NUL-terminated (may hold NULs) */
	size_t len;                  /* its length in bytes */
	struct json_value *items;    /* JSON_ARRAY: n values */
	struct json_member *members; /* JSON_OBJECT: n members, in document order */
	size_t n;                    /* items or members */
};

struct json_member {
	char *key;     /* decoded, NUL-terminated */
	size_t keylen; /* its length in bytes */
	struct json_value value;
};

/* Parses the len bytes at text as one JSON document. Returns 0 and *out
 * (free it with json_free), or -1 with err filled as
 * "line L, column C: what was wrong" (C counts bytes from 1). */
int json_parse(const char *text, size_t len, struct json_value **out, char *err, size_t errlen);

/* Releases a document from json_parse(). NULL is a no-op. */
void json_free(struct json_value *v);

/* The value of the first member named key of an object, or NULL (no
 * such member, or v is NULL or no object). */
const struct json_value *json_get(const struct json_value *v, const char *key);

/* v's string when v is a JSON string, else NULL. */
const char *json_string(const struct json_value *v);

#endif
