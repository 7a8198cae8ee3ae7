/* SPDX-License-Identifier: MIT */
/* The status line on a terminal (see progress.h). */
#define _GNU_SOURCE
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "strbuf.h"

/* Columns of the terminal; the line stays shorter, or it would wrap and
 * \r could no longer take it back. */
static size_t width(FILE *out)
{
	struct winsize ws;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col - 1;
	return 79;
}

static void draw(struct progress *p)
{
	struct report_summary s;
	struct strbuf sb = {NULL, 0, 0, 0};
	unsigned done, failed;
	size_t cols;

	if (!p->on)
		return;
	report_summarize(p->r, NULL, &s);
	done = report_summary_total(&s);
	failed = s.fail + s.error;
	strbuf_printf(&sb, "[%u/%u] %.1fs", done < p->total ? done + 1 : done, p->total,
	              (double)(uv_hrtime() - p->t0) / 1e9);
	if (failed)
		strbuf_printf(&sb, " %u failed", failed);
	if (p->current)
		strbuf_printf(&sb, "  %s", p->current);
	cols = width(p->out);
	fputs("\r\033[K", p->out);
	if (!sb.oom)
		fwrite(strbuf_text(&sb), 1, sb.len < cols ? sb.len : cols, p->out);
	fflush(p->out);
	p->shown = 1;
	strbuf_release(&sb);
}

static void on_tick(uv_timer_t *t)
{
	draw(t->data);
}

void progress_start(struct progress *p, uv_loop_t *loop, FILE *out, int on, const struct report *r,
                    unsigned total)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->on = on;
	p->r = r;
	p->total = total;
	p->t0 = uv_hrtime();
	p->closed = 1;
	if (!on || uv_timer_init(loop, &p->tick) < 0)
		return;
	p->tick.data = p;
	p->ticking = 1;
	p->closed = 0;
	uv_unref((uv_handle_t *)&p->tick); /* it alone keeps no loop alive */
	(void)uv_timer_start(&p->tick, on_tick, PROGRESS_TICK_MS, PROGRESS_TICK_MS);
}

void progress_case(struct progress *p, const char *id)
{
	if (!p->on)
		return;
	free(p->current);
	p->current = strdup(id);
	draw(p);
}

void progress_clear(struct progress *p)
{
	if (p->on && p->shown) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
		p->shown = 0;
	}
}

void progress_print(struct progress *p, const char *text)
{
	progress_clear(p);
	fputs(text, p->out);
	fflush(p->out);
	free(p->current); /* that case is over: the next start or tick draws the line */
	p->current = NULL;
}

static void on_closed(uv_handle_t *h)
{
	struct progress *p = h->data;

	p->closed = 1;
}

void progress_stop(struct progress *p)
{
	progress_clear(p);
	p->on = 0;
	free(p->current);
	p->current = NULL;
	if (p->ticking && !uv_is_closing((uv_handle_t *)&p->tick))
		uv_close((uv_handle_t *)&p->tick, on_closed);
	p->ticking = 0;
}
