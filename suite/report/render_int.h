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

/* The text block of one case, and the text summary (render_text.c). */
void render_text_case(struct strbuf *sb, const struct report_case *c, int color, int verbose);
void render_text_summary(struct strbuf *sb, const struct report *r);

/* The first line of the text: version, seed and start (render_text.c). */
void render_text_header(struct strbuf *sb, const struct report *r);

#endif
