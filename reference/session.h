/* SPDX-License-Identifier: MIT */
/*
 * session: serves one TCP connection with a protocol handler. It reads
 * whatever the peer sends, cuts it into messages by the framing (lines
 * through frame.c, or one read per message), hands each message to the
 * handler and sends the replies to each read together. It ends on EOF (after every owed
 * reply), a reset, the handler's PROTO_CLOSE, an over-long line, an idle
 * timeout, or a stop signal, and closes the fd itself. Its buffers are
 * taken when the first bytes arrive and grow with the messages, so an
 * idle connection costs little more than the thread that waits on it.
 */
#ifndef SOCKSPEC_SESSION_H
#define SOCKSPEC_SESSION_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "proto.h"

#define SESSION_READ_MAX   16384  /* bytes taken per read */
#define SESSION_LINGER_MAX 65536  /* input discarded after a one-shot reply */
#define SESSION_BATCH_MAX  262144 /* replies to one read sent at once, up to this */

struct session_cfg {
	const struct proto_handler *proto; /* what to answer */
	enum proto_framing framing;        /* LINE, CHUNK or STREAM */
	size_t max_line;                   /* LINE: longest line content accepted */
	int delay_ms;                      /* pause before each reply (hello --delay) */
	int idle_ms; /* end the connection after a wait for the peer this long (0: never) */
};

/* Fills msg->now with the local time (into *tm) when the handler asks
 * for it (PROTO_NEEDS_TIME). Returns 0, or -EOVERFLOW if the clock
 * cannot be read as a local time. */
int session_clock(const struct proto_handler *proto, struct proto_msg *msg, struct tm *tm);

/* Serves the connected socket fd until it ends, then closes it. mask is
 * the signal mask for waits (see net_wait()); a wait interrupted by a
 * signal ends the session. With cfg->idle_ms, a wait for input (or for
 * room to send a reply) that sees nothing for that long ends it too.
 * Returns 0, or -errno when the session ended on an error (reset, out of
 * memory, interrupted, -ETIMEDOUT when idle). */
int session_run(int fd, const struct session_cfg *cfg, const sigset_t *mask);

#endif
