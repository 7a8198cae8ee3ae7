/* SPDX-License-Identifier: MIT */
/*
 * Line reassembly for the line-framed reference servers. The invariant
 * that makes it split-proof: lines are found only by scanning the
 * buffered bytes for LF, never by looking at chunk boundaries, and the
 * length limit is checked on the same bytes whichever way they arrived.
 */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

int frame_init(struct frame *f, size_t max_line)
{
	memset(f, 0, sizeof(*f));
	if (max_line == 0 || max_line > SIZE_MAX - 2)
		return -1;
	f->cap = max_line + 2;
	f->max_line = max_line;
	f->buf = malloc(f->cap);
	return f->buf ? 0 : -1;
}

void frame_free(struct frame *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

size_t frame_push(struct frame *f, const uint8_t *data, size_t len)
{
	size_t room;

	if (f->too_long || !f->buf)
		return 0;
	if (f->start > 0) {
		/* Slide the pending bytes to the front so a full line fits. */
		memmove(f->buf, f->buf + f->start, f->len - f->start);
		f->len -= f->start;
		f->scan -= f->start;
		f->start = 0;
	}
	room = f->cap - f->len;
	if (len > room)
		len = room;
	if (len > 0)
		memcpy(f->buf + f->len, data, len);
	f->len += len;
	return len;
}

int frame_next(struct frame *f, const uint8_t **line, size_t *len)
{
	const uint8_t *lf;
	size_t end, content;

	if (f->too_long)
		return FRAME_TOO_LONG;
	lf = f->scan < f->len ? memchr(f->buf + f->scan, '\n', f->len - f->scan) : NULL;
	if (!lf) {
		f->scan = f->len;
		/* Content plus a possible CR may still be followed by LF. */
		if (f->len - f->start > f->max_line + 1) {
			f->too_long = 1;
			return FRAME_TOO_LONG;
		}
		return 0;
	}
	end = (size_t)(lf - f->buf);
	content = end - f->start;
	if (content > 0 && f->buf[end - 1] == '\r')
		content--;
	if (content > f->max_line) {
		f->too_long = 1;
		return FRAME_TOO_LONG;
	}
	*line = f->buf + f->start;
	*len = content;
	f->start = end + 1;
	f->scan = f->start;
	return 1;
}

size_t frame_pending(const struct frame *f)
{
	return f->len - f->start;
}
