/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by engine.c (fibers, flow, target statements),
 * conn.c (connections) and expect.c (expectations). Not for other
 * modules.
 */
#ifndef SOCKSPEC_ENGINE_INT_H
#define SOCKSPEC_ENGINE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "engine.h"
#include "match.h"
#include "split.h"
#include "target.h"
#include "wire.h"

#define CONN_RX_LIMIT     (16u * 1024 * 1024) /* bytes buffered per connection, at most */
#define CONN_DGRAM_MAX    4096                /* datagrams queued per connection, at most */
#define ENGINE_SNAP_MAX   16                  /* snapshots per case */
#define ENGINE_CONNECT_MS 2000                /* connect timeout, before scaling */

/* What a step handler tells the fiber loop. */
enum step {
	STEP_NEXT, /* done: go on with the next statement */
	STEP_WAIT, /* a callback will resume the fiber */
	STEP_STOP, /* the case is over (failed) */
};

struct dgram {
	struct dgram *next;           /* queue order */
	struct sockaddr_storage from; /* sender */
	size_t len;                   /* bytes in data */
	int truncated;                /* did not fit the receive buffer */
	uint8_t data[];               /* payload */
};

struct fiber;

struct conn {
	struct engine *eng;            /* owner */
	struct conn *next;             /* engine->conns */
	char name[PLAN_NAME_MAX + 24]; /* "c1", or "c#17" inside a block */
	enum plan_transport transport; /* TCP, UDP or UNIX */
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
		uv_udp_t udp;
	} u;                               /* the libuv handle */
	int handle_open;                   /* initialised and not yet closed */
	int closed;                        /* close/reset statement ran */
	uv_connect_t connect_req;          /* connect in flight */
	uv_shutdown_t shutdown_req;        /* shutdown in flight */
	uint8_t *rx;                       /* received, not yet consumed */
	size_t rx_len, rx_cap;             /* bytes in rx, allocated size */
	int eof, reset;                    /* the peer ended the connection */
	int read_err;                      /* other read error (uv code), 0 if none */
	uint64_t end_ns;                   /* when eof/reset/read_err arrived */
	uint64_t connected_ns;             /* when the connection was established */
	int paused;                        /* pause statement: not reading */
	int full;                          /* not reading: rx reached CONN_RX_LIMIT */
	int write_err;                     /* uv code of a failed write, 0 if none */
	size_t write_err_at, write_err_of; /* bytes written of the failed write's total */
	int write_err_explained;           /* a later expect eof/reset/closed accounted for it */
	const struct plan_stmt *write_err_stmt; /* the write that failed */
	struct dgram *dq, *dq_tail;             /* UDP: received datagrams */
	size_t dq_count;                        /* entries in dq */
	struct fiber *waiter;                   /* fiber waiting on this connection */
};

struct binding {
	struct binding *next;     /* older bindings */
	char name[PLAN_NAME_MAX]; /* name in the case file */
	struct conn *conn;        /* current connection of that name */
};

struct fiber {
	struct engine *eng;            /* owner */
	struct fiber *all_next;        /* engine->fibers, for cleanup */
	struct fiber *parent;          /* block statement waiting for us; NULL: root */
	const struct plan_stmt *stmts; /* statements to run */
	size_t n, pc;                  /* count, next to run */
	long index;                    /* ${i} */
	struct binding *names;         /* connections named in this fiber */
	uv_timer_t timer;              /* timeouts and sleeps */
	int timer_open;                /* timer initialised, not closed */
	const struct plan_stmt *cur;   /* statement being waited on */
	uint64_t wait_start_ns;        /* when it started */
	int done;                      /* ran to its end */
	int in_run;                    /* fiber_run() is on the stack for it */
	int wake;                      /* resumed while in_run: the wait is over */
	/* write in progress */
	struct conn *wconn;        /* connection written to */
	uint8_t *wbuf;             /* rendered data (owned) */
	size_t wlen, woff, wpiece; /* total, written, current piece */
	uv_write_t wreq;           /* current piece */
	uv_udp_send_t sreq;        /* datagram in flight */
	/* expectation in progress */
	struct conn *xconn;     /* connection waited on */
	uint8_t *want;          /* rendered expected bytes (owned) */
	size_t want_len;        /* bytes in want */
	struct match_regex *re; /* EXPECT_REGEX */
	/* block in progress (parallel, repeat) */
	long blk_next, blk_live; /* next index to start, instances running */
	/* resource poll */
	long count_seen; /* last value read for EXPECT_COUNT */
};

struct snapshot {
	char name[PLAN_NAME_MAX];    /* snapshot NAME */
	struct target_counts counts; /* what /proc said */
};

struct engine {
	const struct plan *plan;      /* the case */
	const struct engine_env *env; /* where and how */
	uv_loop_t *loop;              /* env->loop */
	uint64_t t0_ns;               /* start of the case */
	struct wire wire;             /* timeline */
	struct split_rng rng;         /* random splits */
	uv_timer_t case_timer;        /* whole-case timeout */
	int finished;                 /* verdict decided; tear down */
	enum verdict verdict;         /* PASS until something fails */
	char *message;                /* failure message (owned) */
	unsigned line;                /* failing line */
	int handles;                  /* libuv handles not yet closed */
	int target_ops;               /* target operations in flight */
	struct conn *conns;           /* every connection made */
	struct fiber *fibers;         /* every fiber made */
	struct fiber *root;           /* runs plan->stmts */
	int exit_expected;            /* target exit is part of the case */
	struct snapshot snaps[ENGINE_SNAP_MAX];
	size_t nsnaps;
	uint8_t scratch[65536]; /* read buffer handed to libuv */
};

/* engine.c */
uint64_t engine_ms(const struct engine *e, uint64_t ms);
void engine_fail(struct engine *e, const struct plan_stmt *s, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void engine_log(struct engine *e, const char *who, const char *event, const uint8_t *data,
                size_t len);
void fiber_resume(struct fiber *f);
void fiber_wait_timer(struct fiber *f, uint64_t ms, uv_timer_cb cb);
void fiber_stop_timer(struct fiber *f);
struct conn *fiber_lookup(struct fiber *f, const struct plan_stmt *s);
const char *fiber_who(struct fiber *f, const struct plan_stmt *s, char *buf, size_t cap);

/* conn.c */
enum step conn_connect(struct fiber *f, const struct plan_stmt *s);
enum step conn_write(struct fiber *f, const struct plan_stmt *s);
enum step conn_send(struct fiber *f, const struct plan_stmt *s);
enum step conn_shutdown(struct fiber *f, const struct plan_stmt *s);
void conn_close(struct conn *c, int reset);
void conn_pause(struct conn *c, int pause);
void conn_consume(struct conn *c, size_t n);
void conn_close_all(struct engine *e);
void conn_free_all(struct engine *e);
/* " then EOF after 3.2ms" (since the connection was made), plus a failed
 * write if there was one; "" when the connection is still open. */
const char *conn_status_text(const struct conn *c, char *buf, size_t cap);

/* expect.c */
enum step expect_start(struct fiber *f, const struct plan_stmt *s);
void expect_check(struct fiber *f);
void expect_cleanup(struct fiber *f);

#endif
