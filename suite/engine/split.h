/* SPDX-License-Identifier: MIT */
/*
 * split: how a write statement is cut into separate write() calls. The
 * random splits come from a small seeded generator (xorshift64*), so a
 * run's --seed reproduces every split exactly. Pure.
 */
#ifndef SOCKSPEC_SPLIT_H
#define SOCKSPEC_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct split_rng {
	uint64_t state; /* never 0 */
};

/* Seeds the generator; any seed (0 included) is valid. */
void split_rng_seed(struct split_rng *r, uint64_t seed);

/* Next 64 random bits. */
uint64_t split_rng_next(struct split_rng *r);

/* Size of the next piece when `remaining` (> 0) bytes are left to write:
 * ONCE: all of them; SIZE: min(size, remaining); RANDOM: uniform in
 * 1..min(size or remaining, remaining). Always between 1 and remaining;
 * 0 only when remaining is 0. */
size_t split_next(const struct plan_split *s, size_t remaining, struct split_rng *r);

#endif
