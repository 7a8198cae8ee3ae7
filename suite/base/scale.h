/* SPDX-License-Identifier: MIT */
/*
 * scale: --timeout-scale, the one factor every duration of a run is
 * multiplied by (slow machines, sanitizers). One validator and one
 * scaling function for the whole runner, so that the engine, the target
 * supervisor and the messages agree. Pure.
 */
#ifndef SOCKSPEC_SCALE_H
#define SOCKSPEC_SCALE_H

#include <stdint.h>

#define SCALE_MIN    0.01                    /* smallest --timeout-scale */
#define SCALE_MAX    1000.0                  /* largest --timeout-scale */
#define SCALE_MS_MAX UINT64_C(1000000000000) /* scaled durations are capped here */

/* 1 when x is a valid scale: a number from SCALE_MIN to SCALE_MAX. */
int scale_valid(double x);

/* Parses text as a scale. Returns 0 and *out, or -1 when it is not a
 * number from SCALE_MIN to SCALE_MAX. */
int scale_parse(const char *text, double *out);

/* ms * scale, rounded, never 0 unless ms is 0 (a 1 ms wait stays a
 * wait), never above SCALE_MS_MAX. */
uint64_t scale_ms(uint64_t ms, double scale);

#endif
