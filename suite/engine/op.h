/* SPDX-License-Identifier: MIT */
/*
 * op: one statement in flight, as the modules that carry statements out
 * (conn.c, expect.c, server.c) see it. They never see a fiber or the
 * engine: they share the case's context (struct casectx: loop, target,
 * timeline, connections) and report through the narrow struct op_host —
 * "done", "failed with this message", "call me back at this deadline".
 * Everything a statement holds while it is in flight lives in struct op,
 * in one place. The engine (engine.c, fiber.c) implements the host.
 */
#ifndef SOCKSPEC_OP_H
#define SOCKSPEC_OP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "plan.h"
#include "report.h"
#include "split.h"
#include "strbuf.h"
#include "target.h"
#include "wire.h"

#define OP_SNAP_MAX    16 /* snapshots per case */
#define OP_MEASURE_MAX 16 /* measured durations per case */

struct op;
struct casectx;
struct conn;
struct fiber;
struct match_regex;

typedef void (*op_cb)(struct op *op);

/* What an operation may ask of the engine. */
struct op_host {
	/* The statement is over: the fiber goes on with the next one. */
	void (*done)(struct op *op);
	/* The case ends with verdict v at statement `at` (NULL: at none);
	 * msg is the message without the "FILE:LINE: " the engine adds.
	 * The host takes msg's buffer. */
	void (*failed)(struct casectx *ctx, const struct plan_stmt *at, enum verdict v,
	               struct strbuf *msg);
	/* Calls cb(op) once, ms (already scaled) from now; arming again
	 * replaces the call, done() and failed() cancel it. */
	void (*timer)(struct op *op, uint64_t ms, op_cb cb);
	/* Cancels the call timer() armed. */
	void (*stop_timer)(struct op *op);
};

/* What a snapshot statement recorded. */
struct snapshot {
	char name[PLAN_NAME_MAX];    /* snapshot NAME */
	struct target_counts counts; /* what /proc said */
};

/* What a measure block recorded. */
struct measured {
	char name[PLAN_NAME_MAX]; /* measure NAME */
	uint64_t ms;              /* how long its body took (real time, not scaled) */
};

/* What every statement of a case shares. */
struct casectx {
	uv_loop_t *loop;               /* everything runs on it */
	struct target *target;         /* the server under test */
	double scale;                  /* --timeout-scale */
	enum plan_transport transport; /* what `connect NAME` alone means */
	const struct op_host *host;    /* the engine */
	struct wire wire;              /* the timeline */
	struct split_rng rng;          /* random splits */
	int handles;                   /* libuv handles of the case not yet closed */
	int finished;                  /* the verdict is decided: callbacks return at once */
	int exit_expected;             /* the target's exit is part of the case now */
	struct conn *conns;            /* connections not yet freed */
	struct fiber *fibers;          /* fibers not yet freed (fiber.c) */
	struct plan_vars vars;         /* capture variables set so far (regex named groups) */
	struct snapshot snaps[OP_SNAP_MAX];
	size_t nsnaps; /* snapshots taken */
	struct measured measured[OP_MEASURE_MAX];
	size_t nmeasured;       /* durations measured */

	struct report_bytes failed_bytes; /* what the failing expectation compared (owned) */

	uint8_t scratch[65536]; /* read buffer lent to libuv */
};

/* PLAN_WRITE and PLAN_SEND in flight. */
struct op_write {
	struct plan_cursor data; /* the next bytes to hand over */
	uint64_t len;            /* bytes in all */
	uint64_t off;            /* bytes handed over */
	uint64_t piece_left;     /* bytes of the current piece not yet handed over */
	uint8_t *buf;            /* the chunk being written (owned) */
	size_t buf_len;          /* its bytes */
	union {
		uv_write_t stream;   /* PLAN_WRITE */
		uv_udp_send_t dgram; /* PLAN_SEND */
	} req;
};

/* An expectation on a connection in flight (known bytes are matched in
 * the connection itself, see conn.h, so a write before can start it). */
struct op_expect {
	uint8_t *want;          /* REGEX, TIMESTAMP, DATAGRAM: the rendered data (owned) */
	size_t want_len;        /* its bytes */
	struct match_regex *re; /* REGEX: compiled */
	uint64_t any_total;     /* ANY: bytes it wants (after the prefix) */
	uint64_t any_left;      /* ANY: of which still to come */
	unsigned any_prefix;    /* ANY: length-prefix bytes still to read */
};

/* PLAN_PARALLEL and PLAN_REPEAT in flight. */
struct op_block {
	long next;              /* index of the next instance to start */
	long live;              /* instances running */
	int pumping;            /* block_pump() is on the stack: it starts the next one */
	long done;              /* instances that ran to their end */
	uint64_t first_done_ns; /* when the first of them ended */
	uint64_t last_done_ns;  /* and the last */
};

/* The statement a fiber is carrying out. */
struct op {
	struct casectx *ctx;          /* the case */
	const struct plan_stmt *stmt; /* the statement in flight */
	long index;                   /* ${i}: its block instance, 0 outside blocks */
	int nested;                   /* inside a block: connection names get "#index" */
	uint64_t started_ns;          /* when the statement started */
	struct conn *conn;            /* the connection it works on, or NULL */
	union {
		struct op_write write;   /* PLAN_WRITE, PLAN_SEND */
		struct op_expect expect; /* expectations on a connection */
		struct op_block block;   /* PLAN_PARALLEL, PLAN_REPEAT */
		long count_seen;         /* PLAN_EXPECT_COUNT: the last reading */
	} u;
};

/* The statement is over. */
void op_done(struct op *op);

/* The case fails (or errors, by v) at op's statement with a message. */
void op_fail(struct op *op, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a message already built; takes msg's buffer. */
void op_fail_sb(struct op *op, enum verdict v, struct strbuf *msg);

/* cb(op) once after ms milliseconds (already scaled: see op_ms()). */
void op_after(struct op *op, uint64_t ms, op_cb cb);

/* Cancels op_after(). */
void op_stop_timer(struct op *op);

/* ms of the case file scaled by --timeout-scale. */
uint64_t op_ms(const struct casectx *ctx, uint64_t ms);

/* The limit of op's statement in ms, scaled: its "within D", or for
 * "within NAME * K + D" the measured NAME times K plus D scaled (a NAME
 * not measured when the case ran counts as 0). */
uint64_t op_within(const struct op *op);

/* Records a measured duration (replacing one of the same name); -1 when
 * the table is full. */
int op_measured(struct casectx *ctx, const char *name, uint64_t ms);

/* Appends an event to the timeline. */
void op_log(struct casectx *ctx, const char *who, const char *event, const uint8_t *data,
            size_t len);

#endif
