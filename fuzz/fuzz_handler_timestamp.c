/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the timestamp handler (reference/proto.c) with a
 * fixed clock: the input's 32-bit word picks a UTC time between the years
 * 1000 and 9999. Framing: line, chunk or datagram (flag bits 0-1: 0 or
 * 3, 1, 2), so bit 7 (the default max_line) stays free. Model:
 * "[CTIME] DATA" per line (LF added), read or datagram, where CTIME is
 * what the C library's asctime_r() prints for that time, newline
 * removed: an implementation independent of proto_ctime().
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "fuzz_kit.h"

#define YEAR_1000 (-30610224000LL) /* 1000-01-01 00:00:00 UTC */
#define YEAR_9999 253402300799LL   /* 9999-12-31 23:59:59 UTC */

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

/* arg: the clock as asctime_r() prints it. */
KIT_UNTRACED
static enum kit_verdict timestamp_model(const uint8_t *msg, size_t len, enum proto_framing framing,
                                        const void *arg, struct kit_replies *out)
{
	kit_replies_add(out, "[", 1);
	kit_replies_extend(out, arg, PROTO_CTIME_LEN);
	kit_replies_extend(out, "] ", 2);
	kit_replies_extend(out, msg, len);
	if (framing == PROTO_FRAMING_LINE)
		kit_replies_extend(out, "\n", 1);
	return KIT_GO_ON;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	static const enum proto_framing framings[] = {PROTO_FRAMING_LINE, PROTO_FRAMING_CHUNK,
	                                              PROTO_FRAMING_DATAGRAM};
	struct kit_input in;
	struct tm tm;
	char stamp[64];
	time_t t;
	enum proto_framing framing;

	if (kit_input_parse(buf, size, &in) < 0)
		return 0;
	t = (time_t)(YEAR_1000 +
	             (long long)(((uint64_t)in.word * 66) % (uint64_t)(YEAR_9999 - YEAR_1000 + 1)));
	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	if (asctime_r(&tm, stamp) == NULL || strlen(stamp) != PROTO_CTIME_LEN + 1)
		kit_fail("fuzz_handler_timestamp", "asctime_r() failed", NULL, NULL);
	framing = framings[(in.flags & 0x03) % 3];
	const struct kit_check k = {
	    .harness = "fuzz_handler_timestamp",
	    .session = {&proto_timestamp, framing,
	                (in.flags & 0x80) ? FRAME_MAX_LINE_DEFAULT : 1 + in.arg % 64, &tm},
	    .model = timestamp_model,
	    .model_arg = stamp,
	    .datagrams = framing == PROTO_FRAMING_DATAGRAM,
	};
	kit_check_handler(&k, &in);
	return 0;
}
