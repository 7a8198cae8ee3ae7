/* SPDX-License-Identifier: MIT */
/*
 * fiber: a tiny interpreter over a list of statements. It runs them in
 * order until one has to wait (a connect, a write, an expectation, a
 * timer, the target), and the operation resumes it when the wait is over
 * (op_done()). `parallel N` starts N child fibers at once and `repeat N`
 * one after another; the parent goes on when they are all done. A child
 * that is done closes its connections and is freed, so a block repeated
 * a million times takes the memory of one instance. fiber.c implements
 * the done/timer part of the op host (op.h); the verdict is the engine's.
 */
#ifndef SOCKSPEC_FIBER_H
#define SOCKSPEC_FIBER_H

#include "op.h"

/* Starts the root fiber of a case over stmts; calls done(ctx) when it
 * ran to its end (not when the case failed). NULL if memory ran out. */
struct fiber *fiber_start(struct casectx *ctx, const struct plan_stmt *stmts, size_t n,
                          void (*done)(struct casectx *ctx));

/* The statement the root fiber is at, or NULL past its end. */
const struct plan_stmt *fiber_current(const struct fiber *root);

/* 1 when the root fiber has an `expect exit` still to run. */
int fiber_exit_ahead(const struct fiber *root);

/* The host's done, timer and stop_timer (op.h). */
void fiber_op_done(struct op *op);
void fiber_op_timer(struct op *op, uint64_t ms, op_cb cb);
void fiber_op_stop_timer(struct op *op);

/* The case is over: closes every fiber's timer (libuv handles). */
void fiber_close_all(struct casectx *ctx);

/* Frees every fiber left, once their handles are closed. */
void fiber_free_all(struct casectx *ctx);

#endif
