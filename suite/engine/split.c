/* SPDX-License-Identifier: MIT */
/* Write splitting (see split.h). */
#include "split.h"

#include <assert.h>

void split_rng_seed(struct split_rng *r, uint64_t seed)
{
	/* splitmix64 step: spreads small seeds, never leaves state 0. */
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	r->state = z ? z : 0x2545f4914f6cdd1dULL;
}

uint64_t split_rng_next(struct split_rng *r)
{
	uint64_t x = r->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

size_t split_next(const struct plan_split *s, size_t remaining, struct split_rng *r)
{
	size_t cap;

	if (remaining == 0)
		return 0;
	switch (s->kind) {
	case PLAN_SPLIT_SIZE:
		return s->size > 0 && s->size < remaining ? s->size : remaining;
	case PLAN_SPLIT_RANDOM:
		cap = s->size > 0 && s->size < remaining ? s->size : remaining;
		return 1 + (size_t)(split_rng_next(r) % cap);
	case PLAN_SPLIT_ONCE:
		return remaining;
	}
	assert(!"unknown split kind");
	return remaining;
}
