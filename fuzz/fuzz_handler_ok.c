/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the two "OK..." handlers (reference/proto.c):
 * ok-iterative's one-shot handler (flag 0x02 clear) and ok-threaded's
 * (set), behind the line framer (flag 0x01 clear) or one message per read
 * (set). Model: one-shot answers the first line L (read) with "OK...L"
 * and ends; ok-threaded greets with its sentence and LF (in both
 * framings, as the tutorial does) and answers every line. Line framing
 * adds LF to the replies and ends at an over-long line.
 */
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "fuzz_kit.h"

#define GREETING "Welcome to the server. Type something and hit enter\n"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

/* arg: non-NULL for the one-shot handler. */
KIT_UNTRACED
static enum kit_verdict ok_model(const uint8_t *msg, size_t len, enum proto_framing framing,
                                 const void *arg, struct kit_replies *out)
{
	kit_replies_add(out, "OK...", 5);
	kit_replies_extend(out, msg, len);
	if (framing == PROTO_FRAMING_LINE)
		kit_replies_extend(out, "\n", 1);
	return arg ? KIT_LAST : KIT_GO_ON;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	static const int one_shot = 1;
	struct kit_input in;
	int chunk, threaded;

	if (kit_input_parse(buf, size, &in) < 0)
		return 0;
	chunk = in.flags & 0x01;
	threaded = in.flags & 0x02;
	const struct kit_check k = {
	    .harness = "fuzz_handler_ok",
	    .session = {threaded ? &proto_ok_welcome : &proto_ok,
	                chunk ? PROTO_FRAMING_CHUNK : PROTO_FRAMING_LINE,
	                (in.flags & 0x80) ? FRAME_MAX_LINE_DEFAULT : 1 + in.arg % 64, NULL},
	    .greeting = threaded ? GREETING : NULL,
	    .model = ok_model,
	    .model_arg = threaded ? NULL : &one_shot,
	};
	kit_check_handler(&k, &in);
	return 0;
}
