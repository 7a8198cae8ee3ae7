/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the hello handler (reference/proto.c) behind the
 * line framer (flag 0x01 clear) or one message per read (set). Model:
 * the greeting "Welcome!", then for every line L (read, in chunk framing)
 * before the first one that is exactly "exit": "Hello, L!"; nothing after
 * "exit". Line framing adds LF to each and ends at an over-long line
 * (max_line 1 to 64, or the default with flag 0x80).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "fuzz_kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

KIT_UNTRACED
static enum kit_verdict hello_model(const uint8_t *msg, size_t len, enum proto_framing framing,
                                    const void *arg, struct kit_replies *out)
{
	(void)arg;
	if (len == 4 && memcmp(msg, "exit", 4) == 0)
		return KIT_CLOSE;
	kit_replies_add(out, "Hello, ", 7);
	kit_replies_extend(out, msg, len);
	kit_replies_extend(out, framing == PROTO_FRAMING_LINE ? "!\n" : "!",
	                   framing == PROTO_FRAMING_LINE ? 2 : 1);
	return KIT_GO_ON;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct kit_input in;
	int chunk;

	if (kit_input_parse(buf, size, &in) < 0)
		return 0;
	chunk = in.flags & 0x01;
	const struct kit_check k = {
	    .harness = "fuzz_handler_hello",
	    .session = {&proto_hello, chunk ? PROTO_FRAMING_CHUNK : PROTO_FRAMING_LINE,
	                (in.flags & 0x80) ? FRAME_MAX_LINE_DEFAULT : 1 + in.arg % 64, NULL},
	    .greeting = chunk ? "Welcome!" : "Welcome!\n",
	    .model = hello_model,
	};
	kit_check_handler(&k, &in);
	return 0;
}
