/* SPDX-License-Identifier: MIT */
/*
 * tocase: a schedule written as a case file of the case language
 * (suite/LANGUAGE.md), so that a finding of sockspec-fuzz becomes a
 * regression test for `sockspec run --cases`. The writes, sends,
 * pauses, half-closes, resets and closes are the schedule's; the
 * expectations are the reference model's replies (time stamps as
 * `timestamp` expectations) and, where the server must end the
 * connection, `eof` (or `closed` when it may reset it). Pure.
 */
#ifndef SOCKSPEC_TOCASE_H
#define SOCKSPEC_TOCASE_H

#include "model.h"
#include "schedule.h"
#include "strbuf.h"

/* What to call the case and where it came from. */
struct tocase_info {
	const char *name;   /* the case's NAME (the family is chosen from the schedule) */
	const char *origin; /* shown in the comment at the top, e.g. the artifact's file name */
};

/* Appends the case for s, played against profile p, to out. Returns 0,
 * or -1 when memory ran out. */
int tocase_write(const struct model_profile *p, const struct sched *s,
                 const struct tocase_info *info, struct strbuf *out);

/* The case language's string for data: "..." with escapes. */
void tocase_quote(struct strbuf *out, const uint8_t *data, size_t len);

#endif
