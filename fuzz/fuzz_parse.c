/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the case-language parser: any bytes go to
 * parse_case(), and whatever comes back is released with plan_free(), so
 * ASan/LSan catch out-of-bounds reads, crashes and leaks on both the
 * success and the error paths. A successful parse is also rendered, which
 * exercises plan_bytes_len() and plan_bytes_render() on every piece the
 * parser built.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* Renders every DATA of n statements (bodies too) with a sample index;
 * aborts if the reported lengths disagree. */
static void render_all(const struct plan_stmt *s, size_t n)
{
	size_t i, len;
	uint8_t *out;

	for (i = 0; i < n; i++) {
		if (plan_bytes_len(&s[i].data, -1234567) <= 4096) {
			if (plan_bytes_render(&s[i].data, -1234567, &out, &len) != 0)
				abort();
			if (len != plan_bytes_len(&s[i].data, -1234567))
				abort();
			free(out);
		}
		render_all(s[i].body, s[i].nbody);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PARSE_ERR_MAX];
	struct plan *p = NULL;

	if (parse_case("fuzz.case", data, size, &p, err, sizeof(err)) == 0) {
		if (p == NULL || err[0] != '\0')
			abort();
		render_all(p->stmts, p->nstmts);
	} else if (p != NULL || strncmp(err, "fuzz.case:", 10) != 0) {
		abort();
	}
	plan_free(p);
	return 0;
}
