/* SPDX-License-Identifier: MIT */
/*
 * wire: the timeline of one case, Autobahn-style: every connect, write,
 * read, close and target event with its millisecond offset from the
 * start of the case. Capped, so a chatty case cannot eat the runner's
 * memory; the report shows it for failed cases and with -v.
 */
#ifndef SOCKSPEC_WIRE_H
#define SOCKSPEC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAX  (256 * 1024) /* bytes of timeline kept */
#define WIRE_SHOW 48           /* data bytes shown per event */

struct wire {
	char *text;     /* NUL-terminated log (owned) */
	size_t len;     /* bytes used */
	uint64_t t0_ns; /* uv_hrtime() at the start of the case */
	int truncated;  /* the cap was reached */
};

/* Starts an empty log at time t0_ns. Returns 0 or -1. */
int wire_init(struct wire *w, uint64_t t0_ns);

/* Appends "+12.3ms WHO EVENT" plus, when data is non-NULL, the length and
 * an escaped excerpt of the bytes. */
void wire_log(struct wire *w, uint64_t now_ns, const char *who, const char *event,
              const uint8_t *data, size_t len);

/* Hands the text to the caller (free()) and empties w. */
char *wire_take(struct wire *w);

void wire_free(struct wire *w);

#endif
