/* SPDX-License-Identifier: MIT */
/*
 * diagnose: what a failed parallel block or a slow connection tells
 * about the server. Pure: the engine gathers the facts (struct
 * diag_block), this module turns them into the cause a person can act
 * on — the listen backlog overflowed, clients are served one at a time —
 * and says nothing it did not observe.
 */
#ifndef SOCKSPEC_DIAGNOSE_H
#define SOCKSPEC_DIAGNOSE_H

#include <stdint.h>

#include "strbuf.h"

/* A loopback connect slower than this had its SYN dropped and sent
 * again (the first retransmission comes after 1 s). */
#define DIAG_SLOW_CONNECT_MS 200
/* Instances that ended at least this far apart on average, while others
 * waited without a byte, were served in turn. */
#define DIAG_SERIAL_GAP_MS 20

/* What the engine saw of a parallel block when its limit passed. */
struct diag_block {
	long count;            /* instances in all */
	long live;             /* still running */
	long done;             /* ran to their end */
	uint64_t done_span_ms; /* from the first of them ending to the last */
	long slow_connects;    /* connects that took (or are taking) DIAG_SLOW_CONNECT_MS+ */
	long waiting;          /* connected, nothing received since connecting or writing */
	long backlog;          /* the target's listen backlog, or < 0 when unknown */
	uint64_t limit_ms;     /* the block's limit, scaled */
};

/* "parallel N: K of N instances not done within L ms: CAUSE". */
void diagnose_parallel(struct strbuf *msg, const struct diag_block *d);

/* A note on one connection whose connect took connect_ms: "" when it was
 * quick, else "; its connect took N ms: ... (listen backlog B?)". */
void diagnose_connect(struct strbuf *msg, uint64_t connect_ms, long backlog);

#endif
