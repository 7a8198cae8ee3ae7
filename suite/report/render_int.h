/* SPDX-License-Identifier: MIT */
/*
 * Internals of the renderers: one entry point per format, which render.c
 * dispatches to. Not for other modules.
 */
#ifndef SOCKSPEC_RENDER_INT_H
#define SOCKSPEC_RENDER_INT_H

#include <stddef.h>

#include "render.h"
#include "strbuf.h"

/* Append the whole report r to sb in one format. */
void render_text(struct strbuf *sb, const struct report *r, int color, int verbose);
void render_json(struct strbuf *sb, const struct report *r);
void render_junit(struct strbuf *sb, const struct report *r);
void render_tap(struct strbuf *sb, const struct report *r);
void render_html(struct strbuf *sb, const struct report *r);

/* The sequence diagram of a failed case's timeline, an inline <svg>
 * (render_seq.c). */
void render_seq(struct strbuf *sb, const struct report_case *c);

/* n bytes of s as one line of HTML text: markup characters as
 * references, LF, CR, TAB as \n \r \t, other controls and invalid
 * UTF-8 as \xNN (render_html.c). */
void render_html_text(struct strbuf *sb, const char *s, size_t n);

/* The text block of one case, and the text summary (render_text.c). */
void render_text_case(struct strbuf *sb, const struct report_case *c, int color, int verbose);
void render_text_summary(struct strbuf *sb, const struct report *r);

/* The first line of the text: version, seed and start (render_text.c). */
void render_text_header(struct strbuf *sb, const struct report *r);

#endif
