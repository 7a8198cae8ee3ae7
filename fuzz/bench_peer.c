/* SPDX-License-Identifier: MIT */
/*
 * The peer of make fuzz-bench: a libFuzzer target that does nothing, run
 * on each harness's corpus with the same settings, so each harness's
 * execs/s is shown next to what libFuzzer itself costs on this machine
 * in the same run. Not a harness (no fuzz_ prefix): fuzz/build.sh and
 * OSS-Fuzz never see it.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	(void)buf;
	(void)size;
	return 0;
}
