/* SPDX-License-Identifier: MIT */
/*
 * conn: the client connections of a case on libuv: connect (TCP, Unix
 * stream, UDP), writes cut into pieces with gaps between them,
 * datagrams, half-close, close and reset (SO_LINGER 0). Reading is on
 * unless a `pause` stopped it, so a concurrent reader never blocks the
 * server. What arrives is buffered up to CONN_RX_LIMIT, past which
 * reading stops (a flooding target cannot grow the runner's memory) —
 * except bytes that an expectation of known bytes is waiting for: those
 * are matched as they arrive and dropped (conn_expect_known()), even
 * while the write before that expectation is still going, so any size
 * the language allows can be echoed without a deadlock.
 *
 * Operations report through the op interface (op.h); a connection knows
 * nothing of fibers.
 */
#ifndef SOCKSPEC_CONN_H
#define SOCKSPEC_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "addr.h"
#include "match.h"
#include "op.h"
#include "plan.h"
#include "strbuf.h"

#define CONN_RX_LIMIT   (16u * 1024 * 1024)  /* bytes buffered per connection, at most */
#define CONN_DGRAM_MAX  4096                 /* datagrams queued per connection, at most */
#define CONN_CONNECT_MS 2000                 /* connect timeout, before scaling */
#define CONN_CHUNK      (256u * 1024)        /* bytes rendered per write() at most */
#define CONN_NAME_MAX   (PLAN_NAME_MAX + 24) /* "c#17" */

struct dgram {
	struct dgram *next;           /* queue order */
	struct sockaddr_storage from; /* sender */
	size_t len;                   /* bytes in data */
	uint8_t data[];               /* payload */
};

struct conn {
	struct casectx *ctx;           /* the case */
	struct conn *prev, *next;      /* ctx->conns */
	char name[CONN_NAME_MAX];      /* "c1", or "c#17" inside a block */
	enum plan_transport transport; /* TCP, UDP or UNIX */
	int rcvbuf;                    /* TCP: SO_RCVBUF set before connecting, 0: default */
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
		uv_udp_t udp;
	} u;                        /* the libuv handle */
	int handle_open;            /* initialised and not yet closed */
	int closing;                /* uv_close() called, its callback not yet run */
	int closed;                 /* close/reset ran (or the connection was released) */
	int released;               /* nobody refers to it: freed once closed */
	uv_connect_t connect_req;   /* connect in flight */
	uv_shutdown_t shutdown_req; /* shutdown in flight */
	struct op *connecting;      /* op waiting for the connect */
	struct op *shutting;        /* op waiting for the shutdown */
	int refusal_expected;       /* `expect NAME refused` comes next: a refusal is no failure */
	int refused;                /* the connect was refused (and that was expected) */
	/* received */
	uint8_t *rx;                /* received, not yet consumed */
	size_t rx_len, rx_cap;      /* bytes in rx, allocated size */
	int eof, reset;             /* the peer ended the connection */
	int read_err;               /* other read error (uv code), 0 if none */
	uint64_t end_ns;            /* when eof/reset/read_err arrived */
	uint64_t connect_ns;        /* when the connect started */
	uint64_t connected_ns;      /* when the connection was established */
	uint64_t first_rx_ns;       /* when its first byte arrived; 0: none yet */
	uint64_t last_rx_ns;        /* when bytes last arrived; 0: none yet */
	uint64_t last_write_ns;     /* when its last write started; 0: none yet */
	int paused;                 /* pause statement: not reading */
	int full;                   /* not reading: rx reached CONN_RX_LIMIT */
	struct dgram *dq, *dq_tail; /* UDP: received datagrams */
	size_t dq_count;            /* entries in dq */
	/* the expectation of known bytes this connection is matched against */
	struct match_known known;         /* its progress */
	const struct plan_stmt *known_at; /* its statement; NULL: none */
	long known_index;                 /* and block instance */
	int known_failed;                 /* a byte differed: matching stopped */
	uint64_t dropped;                 /* matched bytes no longer in rx */
	/* who waits for input */
	struct op *reader;             /* the expectation waiting on this connection */
	void (*on_input)(struct op *); /* called after every read, EOF or error */
	/* a failed write */
	int write_err;                       /* uv code of a failed write, 0 if none */
	uint64_t write_err_at, write_err_of; /* bytes written of the failed write's total */
	int write_err_explained;             /* a later expect eof/reset/closed accounted for it */
	const struct plan_stmt *write_err_stmt; /* the write that failed */
};

/* A new connection called name, linked into ctx->conns; NULL if memory
 * ran out. */
struct conn *conn_new(struct casectx *ctx, const char *name, enum plan_transport tr);

/* Connects c to `to` (UDP: binds an ephemeral loopback port and reads);
 * op_done() once connected, op_fail() otherwise or after the (scaled)
 * CONN_CONNECT_MS. */
void conn_connect(struct op *op, struct conn *c, const struct addr *to);

/* Writes op->stmt's data in its pieces and gaps; op_done() once all is
 * handed to the kernel or a write failed (remembered on c, for the next
 * expectation to explain). */
void conn_write(struct op *op, struct conn *c);

/* Sends op->stmt's data as one datagram to `to`. */
void conn_send(struct op *op, struct conn *c, const struct addr *to);

/* Half-closes c (write side); op_done() when done. */
void conn_shutdown(struct op *op, struct conn *c);

/* Closes c, with a reset (RST) when reset. Bytes received stay readable. */
void conn_close(struct conn *c, int reset);

/* Nobody will refer to c again: closes it and frees it once closed. */
void conn_release(struct conn *c);

/* pause/resume statements. */
void conn_pause(struct conn *c, int pause);

/* Drops the first n bytes of rx (n <= rx_len). */
void conn_consume(struct conn *c, size_t n);

/* The next expectation on c is of known bytes (statement at, instance
 * index; LF after them when lf): from now on they are matched as they
 * arrive. Keeps the progress made if they already are. */
void conn_expect_known(struct conn *c, const struct plan_stmt *at, long index, int lf);

/* Matches buffered bytes against the known expectation; returns what
 * match_known_feed() says of it (MATCH_OK: complete and consumed). */
enum match_result conn_match_known(struct conn *c);

/* Ends the known expectation (after it completed or failed). */
void conn_forget_known(struct conn *c);

/* 1 once the peer ended the connection (EOF, reset or a read error). */
int conn_ended(const struct conn *c);

/* Closes every connection of the case. */
void conn_close_all(struct casectx *ctx);

/* Frees every connection of the case (all handles closed). */
void conn_free_all(struct casectx *ctx);

/* Appends " then EOF after 3.2ms" (since the connection was made), and
 * a failed write if there was one; nothing while the connection is open. */
void conn_status(const struct conn *c, struct strbuf *sb);

#endif
