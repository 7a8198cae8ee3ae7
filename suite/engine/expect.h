/* SPDX-License-Identifier: MIT */
/*
 * expect: the expectations on a connection — exact bytes, a line, a
 * regex, a timestamped reply, nothing, EOF, reset, close, a datagram or
 * none. Each is checked when it starts and again after every read, so a
 * mismatch fails as soon as it is certain and a match passes at once; a
 * deadline bounds the wait. Failure messages say what was expected, what
 * arrived (escaped, with a hex dump for binary data), and when.
 */
#ifndef SOCKSPEC_EXPECT_H
#define SOCKSPEC_EXPECT_H

#include "conn.h"
#include "op.h"

/* Starts expectation op->stmt on c: op_done() once it holds, op_fail()
 * once it cannot. */
void expect_start(struct op *op, struct conn *c);

/* Releases what an expectation in flight holds (it ended, or the case
 * is being torn down). Safe to call twice. */
void expect_release(struct op *op);

#endif
