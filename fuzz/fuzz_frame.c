/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the reference servers' pure core: the input's
 * first byte picks a chunk size and the handler; the rest is pushed
 * through the line framer in chunks and every line is answered. Checks
 * the invariants a server relies on: lines never contain LF, never
 * exceed max_line, and every reply fits msg + PROTO_OVERHEAD.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "proto.h"

#define MAX_LINE 64

static const struct proto_handler *const handlers[] = {&proto_echo, &proto_hello, &proto_timestamp,
                                                       &proto_ok, &proto_ok_welcome};

static void answer(const struct proto_handler *h, const uint8_t *line, size_t len,
                   enum proto_framing framing)
{
	uint8_t out[MAX_LINE + PROTO_OVERHEAD];
	struct tm tm;
	struct proto_msg m = {line, len, framing, &tm};
	size_t n = 0;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)len * 7 - 300; /* odd dates too */
	if (h->message(&m, out, sizeof(out), &n) == PROTO_ERR_SPACE || n > sizeof(out))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame f;
	const uint8_t *line;
	size_t len, chunk;
	const struct proto_handler *h;
	int rc;

	if (size < 1 || frame_init(&f, MAX_LINE) < 0)
		return 0;
	chunk = 1 + (data[0] & 0x0f);
	h = handlers[(data[0] >> 4) % 5];
	for (size_t off = 1; off < size;) {
		size_t n = size - off < chunk ? size - off : chunk;
		off += frame_push(&f, data + off, n);
		while ((rc = frame_next(&f, &line, &len)) == 1) {
			if (len > MAX_LINE || memchr(line, '\n', len))
				abort();
			answer(h, line, len, PROTO_FRAMING_LINE);
		}
		if (rc == FRAME_TOO_LONG)
			break;
	}
	answer(h, data, size < MAX_LINE ? size : MAX_LINE, PROTO_FRAMING_CHUNK);
	frame_free(&f);
	return 0;
}
