/* SPDX-License-Identifier: MIT */
/*
 * sweep: the processes a target leaves behind. The runner makes itself a
 * child subreaper (sweep_adopt()), so every process its targets start —
 * one that calls setsid() and double-forks included — stays its
 * descendant, and this finds it in /proc after the target was stopped:
 * it kills it with its process group, reaps it, and says whether it
 * still held the target's address. Processes libuv still tracks (a
 * target being stopped) are left to libuv.
 */
#ifndef SOCKSPEC_SWEEP_H
#define SOCKSPEC_SWEEP_H

#include <uv.h>

#include "addr.h"
#include "strbuf.h"

#define SWEEP_SETTLE_MS 200 /* for processes already killed with a group to go */
#define SWEEP_REAP_MS   500 /* for SIGKILLed children to be reaped */

/* Makes the calling process a child subreaper (PR_SET_CHILD_SUBREAPER).
 * Returns 0 or -errno. */
int sweep_adopt(void);

/* Kills every descendant of this process that libuv does not track on
 * loop, with its process group; reaps those that are its children.
 * report (when not NULL) gets, for each one that was still alive:
 * "the target left pid N listening on ADDR" when it held a socket of
 * socktype at addr (addr NULL: none is checked), or "the target left pid
 * N (COMM) running", separated by "; ". Returns how many it killed, or
 * -errno when /proc could not be read. Bounded by SWEEP_SETTLE_MS plus
 * SWEEP_REAP_MS. */
int sweep_leftovers(uv_loop_t *loop, const struct addr *addr, int socktype, struct strbuf *report);

/* SIGKILLs every descendant of this process and its group, from any
 * thread and without a loop: the last resort of a run that must end. */
void sweep_kill_all(void);

#endif
