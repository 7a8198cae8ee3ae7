/* SPDX-License-Identifier: MIT */
/* --timeout-scale (see scale.h). */
#include "scale.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int scale_valid(double x)
{
	return x >= SCALE_MIN && x <= SCALE_MAX; /* false for NaN too */
}

int scale_parse(const char *text, double *out)
{
	char *end;
	double x;

	if (!text || !*text)
		return -1;
	errno = 0;
	x = strtod(text, &end);
	if (errno || *end || !scale_valid(x))
		return -1;
	*out = x;
	return 0;
}

uint64_t scale_ms(uint64_t ms, double scale)
{
	double v = (double)ms * scale;

	if (ms == 0)
		return 0;
	if (!(v >= 1))
		return 1;
	if (v >= (double)SCALE_MS_MAX)
		return SCALE_MS_MAX;
	return (uint64_t)llround(v);
}
