/* SPDX-License-Identifier: MIT */
/*
 * progress: the one status line a run keeps at the bottom of a terminal
 * — "[i/n] 12.3s 1 failed  family/case" — rewritten in place (\r and
 * clear to the end of the line) when a case starts and twice a second,
 * cleared before any other text is printed and at the end. It is only
 * ever drawn when stdout is a terminal (not TERM=dumb); otherwise every call is a no-op
 * and the output is byte for byte what it is without it.
 */
#ifndef SOCKSPEC_PROGRESS_H
#define SOCKSPEC_PROGRESS_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "report.h"

#define PROGRESS_TICK_MS 500 /* redraws of the elapsed time */

struct progress {
	FILE *out;              /* the terminal */
	int on;                 /* out is a terminal: draw */
	const struct report *r; /* counts what finished and what failed */
	unsigned total;         /* cases (attempts) in all runs */
	char *current;          /* the id of the case that started last (owned) */
	uint64_t t0;            /* uv_hrtime() at the start */
	uv_timer_t tick;        /* the redraws */
	int ticking;            /* tick was initialized */
	int shown;              /* a line is on the screen */
	int closed;             /* tick's close callback ran */
};

/* Starts the line on loop when out is a terminal (on). */
void progress_start(struct progress *p, uv_loop_t *loop, FILE *out, int on, const struct report *r,
                    unsigned total);

/* A case starts: it becomes the current one; the line is redrawn. */
void progress_case(struct progress *p, const char *id);

/* Prints text (a finished case) where the line was; the line comes
 * back at the next case or tick. */
void progress_print(struct progress *p, const char *text);

/* Clears the line from the screen (before the report is written). */
void progress_clear(struct progress *p);

/* Clears the line and closes the timer (its callback runs on the next
 * loop turn; run the loop before closing it). */
void progress_stop(struct progress *p);

#endif
