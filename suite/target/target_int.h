/* SPDX-License-Identifier: MIT */
/*
 * Internals of the target supervisor, shared by target.c (the life of an
 * instance and the operations), target_setup.c (creating and freeing,
 * addresses, commands, checks before a run) and target_second.c (the
 * second instance). Not for other modules.
 */
#ifndef SOCKSPEC_TARGET_INT_H
#define SOCKSPEC_TARGET_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>

#include "child.h"
#include "cmdline.h"
#include "portlock.h"
#include "target.h"

#define POLL_MS           10  /* readiness probe period */
#define DRAIN_MS          200 /* after an exit, longest wait (scaled) for the pipes' EOF */
#define LISTEN_LINE       "listening on"
#define ANNOUNCE_GRACE_MS 500  /* announced elsewhere: how long to wait for our address anyway */
#define SECOND_ERR_MAX    1024 /* first stderr bytes kept of a second instance */
#define CAPTURE_CAP       (2 * TARGET_OUTPUT_MAX) /* so that trimming costs O(1) per byte */
#define SUN_PATH_MAX      sizeof(((struct sockaddr_un *)0)->sun_path)
#define UNIX_NAME_MAX     24 /* "/target-4294967295.sock" */

enum op { OP_NONE, OP_START, OP_STOP, OP_RESTART };

/* Output of one stream: the text kept is the last TARGET_OUTPUT_MAX bytes. */
struct capture {
	char *buf;  /* CAPTURE_CAP + 1 bytes, NUL after the last one */
	size_t len; /* bytes in buf */
};

struct target {
	uv_loop_t *loop;                 /* everything runs on it */
	int launched;                    /* 0: external, an address only */
	int socktype, family;            /* what to probe for, and where */
	double scale;                    /* multiplies every timeout */
	uint64_t ready_ms;               /* readiness timeout, unscaled */
	struct cmdline tmpl;             /* the command, placeholders unsubstituted */
	struct cmdline cmd;              /* the command for the current address */
	char *describe;                  /* cmd (or tmpl) quoted, or "connect ADDR" */
	int need_unix;                   /* Unix family, or {unix} in the command */
	char dir[SUN_PATH_MAX];          /* private directory for {unix}; "" if none */
	unsigned unix_seq;               /* number of the current {unix} path */
	char unix_path[SUN_PATH_MAX];    /* the current {unix} path */
	struct portlock ports;           /* the current port, locked */
	struct addr addr;                /* the current address */
	int have_addr;                   /* addr is set */
	struct capture out, err;         /* what the current instance wrote */
	int line_match;                  /* LISTEN_LINE bytes seen on this stdout line, -1: none */
	char announced[ADDR_TEXT_MAX];   /* what followed LISTEN_LINE on its line */
	size_t announced_len;            /* bytes in announced */
	int announced_done;              /* that line has ended */
	uint64_t until;                  /* target_set_deadline(), 0: none */
	struct child *cur;               /* current instance, until main_done() */
	int exited, status, signo;       /* how the last instance ended */
	enum op op;                      /* operation in progress */
	target_cb op_cb;                 /* its callback */
	void *op_arg;                    /* and its argument */
	int op_status;                   /* OP_START: the failure seen so far, 0: none */
	int ready;                       /* the current instance was reported ready */
	uv_timer_t poll;                 /* readiness probes */
	uv_timer_t deadline;             /* readiness timeout, or the grace of a stop */
	target_cb exit_cb;               /* target_on_exit() */
	void *exit_arg;                  /* its argument */
	uv_idle_t idle;                  /* callbacks deferred to the next loop turn */
	int deferred_op;                 /* idle: complete the operation */
	int deferred_status;             /* with this status */
	int deferred_exit;               /* idle: call exit_cb */
	struct child *second;            /* second instance, while it runs */
	uv_timer_t second_timer;         /* its within_ms */
	uint64_t second_ms;              /* within_ms, scaled */
	int second_timed_out;            /* it still ran at second_ms */
	target_cb second_cb;             /* its callback */
	void *second_arg;                /* and its argument */
	char second_err[SECOND_ERR_MAX]; /* its first stderr bytes, NUL-terminated */
	size_t second_err_len;           /* bytes in second_err */
	char second_report[TARGET_ERR_MAX]; /* target_second_report() */
	int handles;                        /* handles of the target initialised */
	int open;                           /* of those, not closed yet */
	int freeing;                        /* target_free() was called */
};

/* ms scaled by the target's timeout scale, at least 1. */
uint64_t target_scaled(const struct target *t, uint64_t ms);

/* ms, or less when the deadline of target_set_deadline() comes sooner
 * (0 when it has passed). */
uint64_t target_bounded(const struct target *t, uint64_t ms);

/* A new {unix} path and, for inet, a new free port. Returns 0 or -errno. */
int target_pick_address(struct target *t);

/* The command for the current address, and its description. */
int target_build_command(struct target *t);

#endif
