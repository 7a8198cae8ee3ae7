/* SPDX-License-Identifier: MIT */
/* The calls an operation makes on the engine (see op.h). */
#include "op.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scale.h"

void op_done(struct op *op)
{
	op->ctx->host->done(op);
}

void op_fail_sb(struct op *op, enum verdict v, struct strbuf *msg)
{
	op->ctx->host->failed(op->ctx, op->stmt, v, msg);
}

void op_fail(struct op *op, enum verdict v, const char *fmt, ...)
{
	struct strbuf sb = {NULL, 0, 0, 0};
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	op_fail_sb(op, v, &sb);
}

void op_after(struct op *op, uint64_t ms, op_cb cb)
{
	op->ctx->host->timer(op, ms, cb);
}

void op_stop_timer(struct op *op)
{
	op->ctx->host->stop_timer(op);
}

uint64_t op_ms(const struct casectx *ctx, uint64_t ms)
{
	return scale_ms(ms, ctx->scale);
}

uint64_t op_within(const struct op *op)
{
	const struct plan_stmt *s = op->stmt;
	uint64_t ms = op_ms(op->ctx, s->ms);

	if (!s->within_name[0])
		return ms;
	for (size_t i = 0; i < op->ctx->nmeasured; i++)
		if (strcmp(op->ctx->measured[i].name, s->within_name) == 0)
			return ms + op->ctx->measured[i].ms * (uint64_t)s->within_mul;
	return ms;
}

int op_measured(struct casectx *ctx, const char *name, uint64_t ms)
{
	size_t i;

	for (i = 0; i < ctx->nmeasured && strcmp(ctx->measured[i].name, name) != 0; i++)
		;
	if (i == OP_MEASURE_MAX)
		return -1;
	if (i == ctx->nmeasured)
		ctx->nmeasured++;
	snprintf(ctx->measured[i].name, sizeof(ctx->measured[i].name), "%s", name);
	ctx->measured[i].ms = ms;
	return 0;
}

void op_log(struct casectx *ctx, const char *who, const char *event, const uint8_t *data,
            size_t len)
{
	wire_log(&ctx->wire, uv_hrtime(), who, event, data, len);
}
