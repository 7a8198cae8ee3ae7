/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the echo handler as the UDP echo server runs it:
 * one datagram in, one datagram out. The cut sizes are the datagram
 * sizes, and may be 0 (an empty datagram is still a datagram). Model:
 * every datagram comes back whole, as exactly one reply, empty ones too.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct kit_input in;
	const struct kit_check k = {
	    .harness = "fuzz_handler_udp_echo",
	    .session = {&proto_echo, PROTO_FRAMING_DATAGRAM, 0, NULL},
	    .model = kit_model_echo,
	    .datagrams = 1,
	};

	if (kit_input_parse(buf, size, &in) < 0)
		return 0;
	kit_check_handler(&k, &in);
	return 0;
}
