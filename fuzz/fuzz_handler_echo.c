/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the echo handler (reference/proto.c) as the echo
 * servers run it: a byte stream, one reply per read. Model: each read
 * comes back as it is, so the reply stream is the input stream however
 * it was cut (checked with the fuzzer's cuts, in one piece and byte by
 * byte).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct kit_input in;
	struct kit_check k = {
	    .harness = "fuzz_handler_echo",
	    .session = {&proto_echo, PROTO_FRAMING_STREAM, 0, NULL},
	    .model = kit_model_echo,
	};
	struct kit_cutter c;
	struct kit_replies got = {0};

	if (kit_input_parse(buf, size, &in) < 0)
		return 0;
	kit_check_handler(&k, &in);
	c = (struct kit_cutter){in.cuts, in.ncuts, 0, 0, 0};
	kit_serve(&k.session, in.data, in.len, &c, &got);
	if (got.len != in.len || (in.len > 0 && memcmp(got.bytes, in.data, in.len) != 0))
		kit_fail(k.harness, "the echoed stream is not the input", &got, NULL);
	kit_replies_free(&got);
	return 0;
}
