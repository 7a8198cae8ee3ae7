/* SPDX-License-Identifier: MIT */
/*
 * Command templates (see cmdline.h): sh-like quoting without a shell, so
 * that `ref-echo -b {addr}` and `sh -c 'exec srv --port {port}'` both
 * mean what a shell user expects, yet nothing is ever expanded behind
 * the user's back.
 */
#include "cmdline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmdline_free(struct cmdline *c)
{
	for (size_t i = 0; c->words && i < c->n; i++)
		free(c->words[i]);
	free(c->words);
	c->words = NULL;
	c->n = 0;
}

static int push_word(struct cmdline *c, const char *w, size_t len)
{
	char **grown = realloc(c->words, (c->n + 2) * sizeof(*grown));

	if (!grown)
		return -1;
	c->words = grown;
	grown[c->n] = malloc(len + 1);
	if (!grown[c->n])
		return -1;
	memcpy(grown[c->n], w, len);
	grown[c->n][len] = '\0';
	grown[++c->n] = NULL;
	return 0;
}

/* Copies the quoted part that opens at text[*i] into w; -1 if unclosed. */
static int read_quoted(const char *text, size_t *i, char *w, size_t *wl)
{
	char q = text[(*i)++];

	while (text[*i] && text[*i] != q) {
		if (q == '"' && text[*i] == '\\' && (text[*i + 1] == '"' || text[*i + 1] == '\\'))
			(*i)++;
		w[(*wl)++] = text[(*i)++];
	}
	if (!text[*i])
		return -1;
	(*i)++;
	return 0;
}

int cmdline_split(const char *text, struct cmdline *out, char *err, size_t errlen)
{
	size_t i = 0, wl = 0, open;
	int in_word = 0; /* a word has begun, possibly an empty '' one */
	char *w = malloc(strlen(text) + 1), c;

	out->words = NULL;
	out->n = 0;
	if (!w)
		goto nomem;
	for (;;) {
		c = text[i];
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word && push_word(out, w, wl) < 0)
				goto nomem;
			in_word = 0;
			wl = 0;
			if (c == '\0')
				break;
			i++;
			continue;
		}
		open = i;
		if (c == '\'' || c == '"') {
			if (read_quoted(text, &i, w, &wl) < 0) {
				snprintf(err, errlen, "unbalanced quote at column %zu", open + 1);
				goto fail;
			}
		} else if (c == '\\' && text[i + 1] == '\n') {
			i += 2; /* a line continuation, as in sh */
			continue;
		} else if (c == '\\') {
			if (!text[i + 1]) {
				snprintf(err, errlen, "backslash at the end of the command");
				goto fail;
			}
			w[wl++] = text[i + 1];
			i += 2;
		} else {
			w[wl++] = text[i++];
		}
		in_word = 1;
	}
	free(w);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(w);
	cmdline_free(out);
	return -1;
}

int cmdline_contains(const struct cmdline *c, const char *s)
{
	for (size_t i = 0; i < c->n; i++)
		if (strstr(c->words[i], s))
			return 1;
	return 0;
}

/* The placeholder that starts at p, or NULL. */
static const struct cmdline_subst *at_placeholder(const char *p, const struct cmdline_subst *s,
                                                  size_t ns)
{
	for (size_t k = 0; *p == '{' && k < ns; k++)
		if (strncmp(p, s[k].name, strlen(s[k].name)) == 0)
			return &s[k];
	return NULL;
}

/* Expands word into out, or only measures it when out is NULL. */
static size_t expand_word(const char *word, const struct cmdline_subst *s, size_t ns, char *out)
{
	const struct cmdline_subst *hit;
	size_t n = 0, vl;

	while (*word) {
		hit = at_placeholder(word, s, ns);
		if (hit) {
			vl = strlen(hit->value);
			if (out)
				memcpy(out + n, hit->value, vl);
			n += vl;
			word += strlen(hit->name);
		} else {
			if (out)
				out[n] = *word;
			n++;
			word++;
		}
	}
	if (out)
		out[n] = '\0';
	return n;
}

int cmdline_expand(const struct cmdline *c, const struct cmdline_subst *subst, size_t nsubst,
                   struct cmdline *out)
{
	char **words = calloc(c->n + 1, sizeof(*words));
	size_t i;

	out->words = NULL;
	out->n = 0;
	if (!words)
		return -1;
	for (i = 0; i < c->n; i++) {
		words[i] = malloc(expand_word(c->words[i], subst, nsubst, NULL) + 1);
		if (!words[i])
			break;
		expand_word(c->words[i], subst, nsubst, words[i]);
	}
	if (i < c->n) {
		while (i > 0)
			free(words[--i]);
		free(words);
		return -1;
	}
	out->words = words;
	out->n = c->n;
	return 0;
}

/* Quotes w into out (room for 4 * strlen(w) + 2 bytes); returns the length. */
static size_t quote_word(const char *w, char *out)
{
	const char *p;
	size_t n = 0;

	for (p = w; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-./:=@%+,[]{}", *p))
			break;
	if (*w && !*p) { /* nothing a shell would touch */
		memcpy(out, w, (size_t)(p - w));
		return (size_t)(p - w);
	}
	out[n++] = '\'';
	for (p = w; *p; p++) {
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *p;
		}
	}
	out[n++] = '\'';
	return n;
}

char *cmdline_join(const struct cmdline *c)
{
	size_t size = 1, len = 0;
	char *out;

	for (size_t i = 0; i < c->n; i++)
		size += 4 * strlen(c->words[i]) + 3;
	out = malloc(size);
	if (!out)
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (i)
			out[len++] = ' ';
		len += quote_word(c->words[i], out + len);
	}
	out[len] = '\0';
	return out;
}
/* Replaces every "{key}" in text by value; returns a new string. */
char *cmdline_substitute(const char *text, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value), n = 0;
	const char *p;
	char *out, *o;

	for (p = strstr(text, key); p; p = strstr(p + klen, key))
		n++;
	out = malloc(strlen(text) + n * vlen + 1);
	if (!out)
		return NULL;
	for (o = out; *text;) {
		if (strncmp(text, key, klen) == 0) {
			memcpy(o, value, vlen);
			o += vlen;
			text += klen;
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}
