/* SPDX-License-Identifier: MIT */
/*
 * frame: reassembles LF-terminated lines from a TCP byte stream that
 * arrives in arbitrary chunks. A CR right before the LF belongs to the
 * terminator and is stripped. The buffer has a fixed capacity
 * (max_line + 2 bytes), so a peer that never sends LF cannot grow it:
 * the framer reports FRAME_TOO_LONG instead. Pure: no I/O, no clock.
 */
#ifndef SOCKSPEC_FRAME_H
#define SOCKSPEC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX_LINE_DEFAULT 65536 /* longest line content accepted by default */
#define FRAME_TOO_LONG         (-1)  /* frame_next: pending line exceeds max_line */

struct frame {
	uint8_t *buf;    /* pending bytes live in [start, len) */
	size_t start;    /* first byte not yet returned as part of a line */
	size_t len;      /* end of the pending bytes */
	size_t scan;     /* bytes in [start, scan) are known to hold no LF */
	size_t cap;      /* size of buf: max_line + 2 (CR and LF) */
	size_t max_line; /* longest line content accepted, terminator excluded */
	int too_long;    /* sticky: once a line was too long, the stream is dead */
};

/* Prepares f for lines of up to max_line bytes (>= 1). Returns 0, or -1
 * if memory ran out. Release with frame_free(). */
int frame_init(struct frame *f, size_t max_line);

/* Releases the buffer; f may be passed to frame_init() again. */
void frame_free(struct frame *f);

/* Copies as many of the len bytes as fit and returns how many. A caller
 * with more bytes drains lines with frame_next() and pushes the rest;
 * frame_push() returns 0 only when frame_next() has a line or reports
 * FRAME_TOO_LONG. */
size_t frame_push(struct frame *f, const uint8_t *data, size_t len);

/* Takes the next complete line. Returns 1 and points *line / *len at its
 * content (without CR LF; valid until the next frame_push()), 0 when no
 * complete line is pending, or FRAME_TOO_LONG once a line's content
 * exceeds max_line (sticky: every later call says the same). */
int frame_next(struct frame *f, const uint8_t **line, size_t *len);

/* Number of bytes held that do not yet form a complete line. */
size_t frame_pending(const struct frame *f);

#endif
