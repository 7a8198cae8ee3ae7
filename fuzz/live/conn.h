/* SPDX-License-Identifier: MIT */
/*
 * conn: the live fuzzer's client connections, the thin I/O shell around
 * the schedule and the model. Sockets are non-blocking; every wait is a
 * poll() with a deadline. Bytes received are kept whole (datagram ends
 * too) for model_check(). Errors are returned as -errno with err filled
 * ("connect(127.0.0.1:4000): Connection refused"); nothing prints.
 */
#ifndef SOCKSPEC_LIVE_CONN_H
#define SOCKSPEC_LIVE_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "model.h"

#define LCONN_GOT_MAX (1u << 20) /* bytes kept per connection; more is not read */
#define LCONN_ERR_MAX 256

/* How the server has ended the connection, as the client sees it. */
enum lconn_end {
	LCONN_OPEN,  /* not ended */
	LCONN_EOF,   /* an orderly close */
	LCONN_RESET, /* a reset (ECONNRESET on a read) */
};

struct lconn {
	int fd;        /* -1 when closed */
	int datagrams; /* UDP */
	int shut;      /* the client half-closed */
	uint8_t *got;  /* bytes received (owned) */
	size_t got_len, got_cap;
	size_t *ends; /* UDP: where each datagram ends (owned) */
	size_t nends, ends_cap;
	enum lconn_end end;      /* how the server ended it */
	int write_err;           /* the first failed write's -errno, or 0 */
	struct model_conn model; /* what the reference owes on it */
	char err[LCONN_ERR_MAX]; /* the last error */
};

/* Opens a connection to `to` (TCP, or UDP when datagrams, connected so
 * only the server's address is heard) from `from` when it is not NULL
 * (port 0). A TCP connect must complete by deadline_ms (monotonic).
 * Returns 0 or -errno with c->err filled. */
int lconn_open(struct lconn *c, const struct addr *to, const struct addr *from, int datagrams,
               uint64_t deadline_ms);

/* Writes data (one datagram over UDP), reading what arrives meanwhile,
 * by deadline_ms. Returns 0, -ETIMEDOUT, or the -errno of the failed
 * write (also kept in c->write_err: the server may have closed). */
int lconn_write(struct lconn *c, const uint8_t *data, size_t len, uint64_t deadline_ms);

/* Reads what arrives until deadline_ms or until the server ends the
 * connection, whichever is first; a deadline in the past reads what is
 * there. Returns 1 when something new came (bytes or an end), 0 when
 * nothing did, or -errno. */
int lconn_pump(struct lconn *c, uint64_t deadline_ms);

/* Pauses about us microseconds (< 1 s), reading what arrives first:
 * the gap between two pieces of a write. Returns as lconn_pump(). */
int lconn_pause(struct lconn *c, unsigned us);

/* Half-closes (TCP). Returns 0 or -errno. */
int lconn_shutdown(struct lconn *c);

/* Closes, abruptly (SO_LINGER 0) when reset. The buffers stay for a
 * report until lconn_free(). */
void lconn_close(struct lconn *c, int reset);

/* Closes and releases everything. */
void lconn_free(struct lconn *c);

/* The monotonic clock in milliseconds. */
uint64_t lconn_now_ms(void);

#endif
