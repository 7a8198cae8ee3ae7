/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the line framer (reference/frame.c). The input
 * is both the stream and its chunking (fuzz_kit.h): the lines must be
 * those of the model framer (split at each LF, one CR before it dropped,
 * the first line over the bound refused, and an unterminated tail over
 * max_line + 1), whatever the chunking: the fuzzer's cuts (a cut list of
 * one 0 is byte by byte) and the whole stream at once. max_line is 1 to 64 (flag 0x80:
 * the servers' default), so the bound is hit often.
 */
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "fuzz_kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct kit_input in;
	struct kit_session s = {NULL, PROTO_FRAMING_LINE, 0, NULL};
	struct kit_replies want = {0}, got = {0};
	enum kit_end model_end;
	int pass;

	if (kit_input_parse(buf, size, &in) < 0)
		return 0;
	s.max_line = (in.flags & 0x80) ? FRAME_MAX_LINE_DEFAULT : 1 + in.arg % 64;
	model_end = kit_model_lines(in.data, in.len, s.max_line, &want);
	for (pass = 0; pass < (in.ncuts > 0 ? 2 : 1); pass++) {
		struct kit_cutter c = {pass == 0 ? in.cuts : NULL, pass == 0 ? in.ncuts : 0, 0, 0,
		                       0};

		if (kit_serve(&s, in.data, in.len, &c, &got) != model_end)
			kit_fail("fuzz_line_framer",
			         "refused where the model does not, or not where it does", &got,
			         &want);
		if (!kit_replies_equal(&got, &want))
			kit_fail("fuzz_line_framer", "the lines differ from the model's", &got,
			         &want);
		kit_replies_free(&got);
	}
	kit_replies_free(&want);
	return 0;
}
