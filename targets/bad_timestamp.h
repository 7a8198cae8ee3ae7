/* SPDX-License-Identifier: MIT */
/*
 * bad-timestamp's two halves: bad_timestamp.c reads the command line,
 * binds and waits for the stop signals; bad_timestamp_serve.c answers
 * lines and datagrams, with the planted defect. This header is what they
 * share: the defects, the settings and the serving threads' entry points.
 */
#ifndef BAD_TIMESTAMP_H
#define BAD_TIMESTAMP_H

#include <sys/socket.h>

#include "badnet.h"

#define PROG "bad-timestamp"

enum defect {
	DEFECT_NONE = -1,
	DEFECT_STALE,
	DEFECT_ISO_FORMAT,
	DEFECT_NO_SPACE,
	DEFECT_STRIP,
	DEFECT_NUL,
	DEFECT_SKIP_EMPTY,
	DEFECT_KEEP_CR,
	DEFECT_ONE_RECV,
	DEFECT_CLOSE_AFTER_REPLY,
	DEFECT_ONCE,
	DEFECT_CONCURRENT,
	DEFECT_NO_HALFCLOSE,
	DEFECT_RESET_EXITS,
	DEFECT_SIGPIPE,
	DEFECT_IGNORE_TERM,
	DEFECT_INT_EXIT_1,
	DEFECT_NO_REUSEADDR,
	DEFECT_REUSEPORT,
	DEFECT_FD_LEAK,
	DEFECT_NO_LINE_LIMIT,
	DEFECT_UDP_TRUNCATE_1024,
	DEFECT_UDP_REPLY_OTHER_SOCKET,
	DEFECT_UDP_REPLIES_OVERSIZE,
	DEFECT_UDP_CONNECT_FIRST,
	DEFECT_UDP_LAST_ONLY,
	DEFECT_UDP_REUSEADDR,
	DEFECT_COUNT
};

/* Settings from the command line. */
struct config {
	enum defect defect;      /* the one planted bug */
	int udp;                 /* serve datagrams (--udp) */
	int chunk;               /* --framing chunk: one read is one message */
	struct badnet_addr addr; /* where to listen */
};

/* The serving thread's arguments. */
struct server {
	const struct config *cfg; /* settings */
	int fd;                   /* listening (TCP) or bound (UDP) socket */
};

/* Ends the process with status; a Unix socket path is removed first. */
void ts_leave(const struct config *cfg, int status);

/* The iterative TCP accept loop; arg is a struct server. Never returns. */
void *ts_accept_main(void *arg);

/* The UDP loop, one datagram after another; arg is a struct server. */
void *ts_dgram_main(void *arg);

#endif
