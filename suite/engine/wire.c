/* SPDX-License-Identifier: MIT */
/* The per-case timeline (see wire.h). */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int wire_init(struct wire *w, uint64_t t0_ns)
{
	memset(w, 0, sizeof(*w));
	w->t0_ns = t0_ns;
	w->text = calloc(1, 1);
	return w->text ? 0 : -1;
}

static void append(struct wire *w, const char *line)
{
	size_t n = strlen(line);
	char *grown;

	if (w->truncated || !w->text)
		return;
	if (w->len + n + 1 > WIRE_MAX) {
		line = "... (timeline truncated)\n";
		n = strlen(line);
		w->truncated = 1;
	}
	grown = realloc(w->text, w->len + n + 1);
	if (!grown)
		return;
	w->text = grown;
	memcpy(w->text + w->len, line, n + 1);
	w->len += n;
}

void wire_log(struct wire *w, uint64_t now_ns, const char *who, const char *event,
              const uint8_t *data, size_t len)
{
	char line[512], quoted[WIRE_SHOW * 4 + 32];
	double ms = (double)(now_ns - w->t0_ns) / 1e6;

	if (data)
		snprintf(line, sizeof(line), "+%.1fms %s %s %zu %s\n", ms, who, event, len,
		         escape_quote(data, len, WIRE_SHOW, quoted, sizeof(quoted)));
	else
		snprintf(line, sizeof(line), "+%.1fms %s %s\n", ms, who, event);
	append(w, line);
}

char *wire_take(struct wire *w)
{
	char *t = w->text;

	w->text = NULL;
	w->len = 0;
	return t;
}

void wire_free(struct wire *w)
{
	free(w->text);
	w->text = NULL;
}
