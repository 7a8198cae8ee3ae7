/* SPDX-License-Identifier: MIT */
/*
 * seeds: the schedules an empty corpus starts from. Each shows the
 * fuzzer one thing worth varying: pipelined lines and CR LF, a line cut
 * into pieces with pauses, concurrent clients, an empty client, a
 * half-close with replies owed, a reset mid-line, a large message, the
 * `exit` line, an unterminated tail. The same schedules serve every
 * profile (over UDP a write is a datagram).
 */
#include <string.h>

#include "schedule.h"

#define W(slot_, text_)                                                                            \
	{                                                                                          \
		.kind = SCHED_WRITE, .slot = (slot_), .data = (text_), .len = sizeof(text_) - 1    \
	}
#define WP(slot_, text_, piece_)                                                                   \
	{                                                                                          \
		.kind = SCHED_WRITE, .slot = (slot_), .data = (text_), .len = sizeof(text_) - 1,   \
		.piece = (piece_), .gap = 1                                                        \
	}
#define OP(kind_, slot_)                                                                           \
	{                                                                                          \
		.kind = (kind_), .slot = (slot_)                                                   \
	}

static const char long_name[] = /* a line of 100 to 120 bytes */
    "a name between one hundred and one hundred and twenty bytes long, "
    "which arrives in pieces when it is cut up\n";

struct seed {
	struct sched_raw steps[8];
	size_t n;
};

static const struct seed seeds[] = {
    {{W(0, "hello\n"), OP(SCHED_WAIT, 0)}, 2},
    {{W(0, "ann\nbob\r\ncid\n"), OP(SCHED_WAIT, 0)}, 2},
    {{WP(0, long_name, 37), OP(SCHED_WAIT, 0)}, 2},
    {{W(0, "one\n"), W(1, "two\n"), OP(SCHED_WAIT, 1), OP(SCHED_WAIT, 0), W(2, "three\n"),
      OP(SCHED_WAIT, 2)},
     6},
    {{OP(SCHED_CLOSE, 0), W(1, "next\n"), OP(SCHED_WAIT, 1)}, 3},
    {{W(0, "first\n"), OP(SCHED_WAIT, 0), OP(SCHED_CLOSE, 0), W(1, "second\n"),
      OP(SCHED_SHUTDOWN, 1), OP(SCHED_WAIT, 1)},
     6},
    {{W(0, "x\ny"), OP(SCHED_RESET, 0), W(1, "after a reset\n"), OP(SCHED_WAIT, 1)}, 4},
    {{W(0, "exit\n"), OP(SCHED_WAIT, 0), W(1, "bob\nexit\nann\n"), OP(SCHED_WAIT, 1)}, 4},
    {{W(0, "a tail without LF"), OP(SCHED_SHUTDOWN, 0), OP(SCHED_WAIT, 0)}, 3},
    {{W(0, "\n"), W(0, "\r\n"), W(0, "\0\xff\n"), OP(SCHED_WAIT, 0)}, 4},
};

size_t sched_seed(size_t i, uint8_t *out, size_t cap)
{
	static const size_t n = sizeof(seeds) / sizeof(seeds[0]);
	char big[1500];
	struct sched_raw one[2] = {{.kind = SCHED_WRITE, .data = big, .len = sizeof(big)},
	                           {.kind = SCHED_WAIT}};

	memset(big, 'B', sizeof(big));
	if (i < n)
		return sched_encode(seeds[i].steps, seeds[i].n, out, cap);
	if (i == n) /* a large message: a datagram over 1,024 bytes */
		return sched_encode(one, 2, out, cap);
	return 0;
}
