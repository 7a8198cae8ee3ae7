/* SPDX-License-Identifier: MIT */
/*
 * play: one fuzz input played against the live target. The schedule's
 * steps run in order on real sockets; after each wait, close and finish
 * the bytes received so far are judged by the connection's model. A
 * finding (crash, divergence, hang, refusal, resource growth) is
 * printed with the schedule and the target's stderr, the target is
 * killed, and the process aborts so that libFuzzer writes the input as
 * a crash artifact. Each reply's class (how it ended, its length, its
 * first byte, and the class before it on the connection) is fed into
 * libFuzzer's extra counters: inputs that drive the server into new
 * response states are kept, without instrumenting the server.
 */
#ifndef SOCKSPEC_PLAY_H
#define SOCKSPEC_PLAY_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "live.h"

#define PLAY_CONNS (SCHED_RAW_MAX + SCHED_SLOTS) /* connections one schedule may open */

/* The run: options, loop, target, and the connections of the input
 * being played. */
struct live_run {
	struct live_opts o;
	uv_loop_t loop;
	uv_timer_t timer; /* bounds every wait on the loop */
	int timer_fired;
	struct target *target;
	int op_done, op_status;    /* the last target operation's callback */
	struct addr to;            /* where clients connect */
	int reaper_fd;             /* tells the reaper the target's group; -1: none */
	uint32_t source;           /* the next source address (127.x.y.z) */
	uint64_t inputs;           /* inputs played */
	uint64_t opened;           /* connections opened, in all */
	struct target_counts base; /* resources after the first LIVE_COUNT_EVERY inputs */
	const struct sched *sched; /* the schedule being played (for reports) */
	size_t step;               /* its step being played */
	struct lconn conns[PLAY_CONNS];
	size_t seen[PLAY_CONNS];  /* bytes of each already classified */
	uint32_t cls[PLAY_CONNS]; /* the last reply class of each */
	const uint8_t *cur;       /* the input being played (libFuzzer's) */
	size_t cur_len;
	int triage;    /* replaying after a death: the next one is reported */
	uint8_t *last; /* the previous input (owned) */
	size_t last_len;
};

/* Creates the loop and the target and starts it. Returns 0 or -1 with
 * err filled ("the target did not get ready: ..."). */
int play_init(struct live_run *r, char *err, size_t errlen);

/* Plays one input; returns only when no finding was made. */
void play_input(struct live_run *r, const uint8_t *data, size_t size);

/* SIGKILLs the target's process group (at exit). */
void play_kill_target(struct live_run *r);

/* The target's address as text, in out (ADDR_TEXT_MAX bytes suffice). */
char *play_address(const struct live_run *r, char *out, size_t cap);

#endif
