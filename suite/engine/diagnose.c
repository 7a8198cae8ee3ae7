/* SPDX-License-Identifier: MIT */
/* The causes of slow or missing replies (see diagnose.h). */
#include "diagnose.h"

static void backlog_overflow(struct strbuf *msg, long backlog)
{
	strbuf_puts(msg, "a SYN was dropped and sent again: the listen backlog overflowed");
	if (backlog >= 0)
		strbuf_printf(msg, " (listen backlog %ld?)", backlog);
}

void diagnose_parallel(struct strbuf *msg, const struct diag_block *d)
{
	strbuf_printf(msg, "parallel %ld: %ld of %ld instances not done within %llu ms", d->count,
	              d->live, d->count, (unsigned long long)d->limit_ms);
	if (d->slow_connects > 0) {
		strbuf_printf(msg, ": %ld connect%s took %d ms or more, so ", d->slow_connects,
		              d->slow_connects == 1 ? "" : "s", DIAG_SLOW_CONNECT_MS);
		backlog_overflow(msg, d->backlog);
		return;
	}
	if (d->waiting > 0 && d->done >= 2 &&
	    d->done_span_ms / (uint64_t)(d->done - 1) >= DIAG_SERIAL_GAP_MS) {
		strbuf_printf(msg,
		              ": clients are served one at a time (the %ld that were answered "
		              "finished one after another, %llu ms apart on average, while %ld "
		              "connected clients waited with no answer)",
		              d->done,
		              (unsigned long long)(d->done_span_ms / (uint64_t)(d->done - 1)),
		              d->waiting);
		return;
	}
	if (d->waiting > 0)
		strbuf_printf(msg, ": %ld connected client%s waited with no answer", d->waiting,
		              d->waiting == 1 ? "" : "s");
}

void diagnose_connect(struct strbuf *msg, uint64_t connect_ms, long backlog)
{
	if (connect_ms < DIAG_SLOW_CONNECT_MS)
		return;
	strbuf_printf(msg, "; its connect took %llu ms: ", (unsigned long long)connect_ms);
	backlog_overflow(msg, backlog);
}
