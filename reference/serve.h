/* SPDX-License-Identifier: MIT */
/*
 * serve: the accept loops the seeds teach (one connection, one at a
 * time, a thread per connection) and the datagram loop of the UDP
 * servers. They wait with the stop-signal mask of sig.h, so SIGTERM or
 * SIGINT ends them promptly; they return 0 then, -errno on a fatal error.
 */
#ifndef SOCKSPEC_SERVE_H
#define SOCKSPEC_SERVE_H

#include <signal.h>
#include <stddef.h>

#include "proto.h"
#include "session.h"

enum serve_mode {
	SERVE_ONCE,      /* accept one connection, serve it, return */
	SERVE_ITERATIVE, /* accept and serve connections one after another */
	SERVE_THREADED,  /* a detached thread per connection, at most max_clients live */
};

struct serve_cfg {
	enum serve_mode mode;          /* accept loop shape (stream servers) */
	size_t max_clients;            /* SERVE_THREADED: cap on live threads; at the cap,
	                                  new clients wait in the listen backlog */
	struct session_cfg session;    /* how each connection is served */
	const sigset_t *mask;          /* mask for waits on the main thread */
	volatile sig_atomic_t *stop;   /* set when the server must stop */
	void (*log)(const char *line); /* reports a non-fatal error (may be NULL) */
};

/* Accepts connections on the listening socket lfd and serves each with
 * session_run() until the mode says so or *stop is set. In threaded
 * mode, no connection is accepted while max_clients are live, or while
 * no thread can be created: clients wait in the backlog, none is
 * dropped; a stop shuts down the live connections and waits up to 500 ms
 * for their threads. Returns 0, or -errno with err filled. */
int serve_stream(int lfd, const struct serve_cfg *cfg, char *err, size_t errlen);

/* Answers each datagram on the bound socket fd with the handler of
 * cfg->session (framing DATAGRAM), from the address it was sent to,
 * until *stop is set. Returns 0, or -errno with err filled. */
int serve_datagram(int fd, const struct serve_cfg *cfg, char *err, size_t errlen);

#endif
