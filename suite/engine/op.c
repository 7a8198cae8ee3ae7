/* SPDX-License-Identifier: MIT */
/* The calls an operation makes on the engine (see op.h). */
#include "op.h"

#include <stdarg.h>

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

void op_log(struct casectx *ctx, const char *who, const char *event, const uint8_t *data,
            size_t len)
{
	wire_log(&ctx->wire, uv_hrtime(), who, event, data, len);
}
