/* SPDX-License-Identifier: MIT */
/*
 * capture: the capture variables of a case at run time. A regex
 * expectation's named groups set them (capture_groups); a statement that
 * uses one (${NAME} in its data, "expect NAME any ${VAR}") checks first
 * that it has a value (capture_unset), so a group that did not match
 * fails the case with the variable's name instead of sending or
 * expecting an empty string. The values live in the case's casectx.
 */
#ifndef SOCKSPEC_CAPTURE_H
#define SOCKSPEC_CAPTURE_H

#include <stdint.h>

#include "match.h"
#include "op.h"

/* 1 when op's statement uses a variable without a value: the case has
 * failed at it (op_fail); 0 when every one it uses has one. */
int capture_unset(struct op *op);

/* Sets the variables named by re's groups from its last match against
 * got. Returns 0, or -1 when the case has failed (out of memory). */
int capture_groups(struct op *op, const struct match_regex *re, const uint8_t *got);

/* The byte count of "expect NAME any ${VAR}": the variable's value read
 * as a decimal number. Returns 0 and *n, or -1 when the case has failed
 * (the value is not a count). */
int capture_count(struct op *op, uint64_t *n);

#endif
