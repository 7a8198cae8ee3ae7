/* SPDX-License-Identifier: MIT */
/*
 * cmdline: a target command template as the user typed it. The text is
 * split into words the way sh quotes ('single', "double" with \" and \\,
 * a backslash escaping the next character outside quotes) but with no
 * expansion, globbing, operators or redirections of any kind: it is run
 * without a shell. {name} placeholders are then substituted inside the
 * words, and a word list can be quoted back into one line for messages.
 * Pure: no I/O, no globals.
 */
#ifndef SOCKSPEC_CMDLINE_H
#define SOCKSPEC_CMDLINE_H

#include <stddef.h>

/* A list of words, ready to be an argv. */
struct cmdline {
	char **words; /* n words and a NULL; owned */
	size_t n;     /* number of words */
};

/* One placeholder and what replaces it. */
struct cmdline_subst {
	const char *name;  /* with its braces: "{port}" */
	const char *value; /* replacement text */
};

/* Splits text into words. Returns 0 and *out (free with cmdline_free();
 * a blank text gives 0 words), or -1 with err filled and *out empty:
 * "unbalanced quote at column 12" (the column, from 1, of the quote
 * left open), "backslash at the end of the command", "out of memory". */
int cmdline_split(const char *text, struct cmdline *out, char *err, size_t errlen);

/* 1 if one of the words contains s. */
int cmdline_contains(const struct cmdline *c, const char *s);

/* Builds *out: c with every occurrence of each placeholder replaced in
 * every word (text that is no known placeholder, such as "{x}", stays).
 * Returns 0, or -1 when out of memory (*out is then empty). */
int cmdline_expand(const struct cmdline *c, const struct cmdline_subst *subst, size_t nsubst,
                   struct cmdline *out);

/* The words joined by spaces, each quoted for a POSIX shell unless it
 * plainly is one word, so that the line can be pasted into a terminal.
 * Returns a malloc()ed string, or NULL when out of memory. */
char *cmdline_join(const struct cmdline *c);

/* text with every "{key}" (key given with its braces) replaced by value,
 * in a malloc()ed string; NULL when out of memory. */
char *cmdline_substitute(const char *text, const char *key, const char *value);

/* Releases the words; c is left empty. Safe on an empty cmdline. */
void cmdline_free(struct cmdline *c);

#endif
