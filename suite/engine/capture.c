/* SPDX-License-Identifier: MIT */
/*
 * Capture variables at run time (see capture.h). The case's table is
 * struct plan_vars in the casectx: one value per name, the last capture
 * wins, and it lives until the case ends (engine.c frees it).
 */
#include "capture.h"

#include <string.h>

#include "escape.h"

#define COUNT_DIGITS_MAX 19 /* any count below 10^19 fits in 64 bits */

static void fail_unset(struct op *op, const char *name, size_t len)
{
	const struct plan_var *v = plan_vars_get(&op->ctx->vars, name, len);

	op_fail(op, VERDICT_FAIL, "variable ${%.*s} has no value: %s", (int)len, name,
	        v == NULL ? "the expectation that captures it has not run"
	                  : "its group took no part in the match");
}

int capture_unset(struct op *op)
{
	const struct plan_stmt *s = op->stmt;
	const struct plan_seg *seg = plan_bytes_unset(&s->data, &op->ctx->vars);
	const struct plan_var *v;

	if (seg != NULL) {
		fail_unset(op, (const char *)seg->bytes, seg->len);
		return 1;
	}
	if (s->op != PLAN_EXPECT_ANY || s->var[0] == '\0')
		return 0;
	v = plan_vars_get(&op->ctx->vars, s->var, strlen(s->var));
	if (v != NULL && v->set)
		return 0;
	fail_unset(op, s->var, strlen(s->var));
	return 1;
}

static int set_one(void *arg, const char *name, const uint8_t *value, size_t len, int set)
{
	struct op *op = arg;

	if (plan_vars_set(&op->ctx->vars, name, value, len, set) == 0)
		return 0;
	op_fail(op, VERDICT_ERROR, "capture ${%s}: out of memory", name);
	return -1;
}

int capture_groups(struct op *op, const struct match_regex *re, const uint8_t *got)
{
	return match_regex_groups(re, got, set_one, op) != 0 ? -1 : 0;
}

int capture_count(struct op *op, uint64_t *n)
{
	const struct plan_stmt *s = op->stmt;
	const struct plan_var *v = plan_vars_get(&op->ctx->vars, s->var, strlen(s->var));
	char shown[96];
	size_t i;

	*n = 0;
	for (i = 0; v != NULL && i < v->len && i < COUNT_DIGITS_MAX; i++) {
		if (v->value[i] < '0' || v->value[i] > '9')
			break;
		*n = *n * 10 + (uint64_t)(v->value[i] - '0');
	}
	if (v != NULL && v->len > 0 && i == v->len)
		return 0;
	escape_quote(v != NULL ? v->value : NULL, v != NULL ? v->len : 0, 40, shown, sizeof(shown));
	op_fail(op, VERDICT_FAIL, "variable ${%s} is %s, not a byte count", s->var, shown);
	return -1;
}
