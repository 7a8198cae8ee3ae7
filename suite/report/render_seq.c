/* SPDX-License-Identifier: MIT */
/*
 * A failed case's timeline as a sequence diagram in inline SVG, for the
 * HTML report: a lane per client connection and one for the server,
 * time going down one row per event (stamps on the left, long pauses
 * marked), bytes written as arrows to the server and bytes read as
 * arrows back, each labelled with its escaped excerpt; connects, EOFs,
 * closes, resets and target events as marks on their lane; the verdict
 * as a red rule with the failure message and the case file:line, and a
 * red cross on the connection the message names. Pure: no I/O.
 */
#include "render_int.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "timeline.h"

#define SEQ_LANES     6    /* client lanes drawn; more share the last one */
#define SEQ_HEAD      30   /* events drawn before the gap of a long timeline */
#define SEQ_TAIL      70   /* ... and after it */
#define SEQ_LABEL     44   /* characters of an excerpt shown on an arrow */
#define SEQ_MSG_COLS  110  /* characters per line of the failure message */
#define SEQ_MSG_LINES 6    /* lines of it shown */
#define SEQ_CHAR_W    7    /* px per character, 12px monospace (a little under) */
#define SEQ_ROW       26   /* px per event */
#define SEQ_TOP       56   /* px above the first event */
#define SEQ_LANE0     180  /* x of the first client lane */
#define SEQ_LANE_GAP  140  /* px between client lanes */
#define SEQ_PAUSE     1000 /* tenths of a ms: a longer pause gets its own mark */

/* The geometry of one diagram. */
struct seq {
	const struct timeline *t;
	size_t shown;        /* client lanes drawn (the last one may be shared) */
	int shared;          /* the last drawn lane carries every later connection too */
	int server_x, width; /* x of the server lane, width of the picture */
	int y;               /* y of the next row */
	size_t fail_lane;    /* lane the failure message names, or SIZE_MAX */
	size_t hot;          /* event whose bytes the message quotes, or SIZE_MAX */
};

static int lane_x(const struct seq *q, size_t lane)
{
	assert(q->shown > 0); /* only events of a connection have a lane */
	if (lane >= q->shown)
		lane = q->shown - 1;
	return SEQ_LANE0 + (int)lane * SEQ_LANE_GAP;
}

/* "GET /\r\n..." escaped for HTML, at most SEQ_LABEL characters of the
 * log's excerpt (a \xNN escape counts as one and is never split). */
static void put_excerpt(struct strbuf *sb, const struct timeline_event *e)
{
	const char *d = e->data;
	size_t i = 0, chars = 0, step;

	strbuf_puts(sb, "&quot;");
	while (d[i] && chars < SEQ_LABEL) {
		step = d[i] != '\\' || !d[i + 1]                 ? 1
		       : d[i + 1] == 'x' && d[i + 2] && d[i + 3] ? 4
		                                                 : 2;
		render_html_text(sb, d + i, step);
		i += step;
		chars++;
	}
	strbuf_puts(sb, d[i] || e->cut ? "&#8230;&quot;" : "&quot;");
	strbuf_printf(sb, " %zu B", e->bytes);
}

static size_t excerpt_chars(const struct timeline_event *e)
{
	size_t n = e->data ? strlen(e->data) : 0;

	return (n > SEQ_LABEL ? SEQ_LABEL : n) + 12;
}

/* 1 when msg says "connection NAME" with nothing of a longer name after
 * it ("connection c1" is not about c10). */
static int names_connection(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = strstr(msg, "connection "); p; p = strstr(p + 1, "connection ")) {
		const char *end = p + 11 + n;

		if (strncmp(p + 11, name, n) == 0 &&
		    !(*end == '_' || *end == '.' || *end == '-' || *end == '/' || *end == '#' ||
		      (*end >= '0' && *end <= '9') ||
		      ((*end | 0x20) >= 'a' && (*end | 0x20) <= 'z')))
			return 1;
	}
	return 0;
}

/* Which lane the failure message is about ("connection c2: ..."), and
 * which received bytes it quotes, so both can be marked. */
static void find_culprits(struct seq *q, const char *msg)
{
	const struct timeline *t = q->t;
	size_t k, i;

	q->fail_lane = q->hot = SIZE_MAX;
	for (k = 0; k < t->nlanes && q->fail_lane == SIZE_MAX; k++)
		if (names_connection(msg, t->lanes[k]))
			q->fail_lane = k;
	for (i = 0; i < t->nevents && t->events[i].kind != TIMELINE_VERDICT; i++) {
		const struct timeline_event *e = &t->events[i];

		if (e->kind == TIMELINE_RECV && e->data[0] && !e->cut &&
		    (q->fail_lane == SIZE_MAX || e->lane == q->fail_lane) && strstr(msg, e->data))
			q->hot = i;
	}
}

/* Characters of a target mark's text, which runs right of the server lane. */
static size_t target_chars(const struct timeline_event *e)
{
	size_t n = strlen(e->what);

	return strcmp(e->who, "target") != 0 ? n + strlen(e->who) + 2 : n;
}

static void layout(struct seq *q, const struct timeline *t)
{
	size_t i, label = 0, right = 30;

	q->t = t;
	q->shown = t->nlanes > SEQ_LANES ? SEQ_LANES : t->nlanes;
	q->shared = t->nlanes > SEQ_LANES;
	for (i = 0; i < t->nevents; i++) {
		const struct timeline_event *e = &t->events[i];

		if ((e->kind == TIMELINE_SEND || e->kind == TIMELINE_RECV) &&
		    excerpt_chars(e) > label)
			label = excerpt_chars(e);
		if (e->kind == TIMELINE_TARGET && target_chars(e) > right && target_chars(e) < 200)
			right = target_chars(e);
	}
	label = label * SEQ_CHAR_W + 40;
	/* without a connection, the server lane stands where a first one would be */
	q->server_x = (q->shown ? lane_x(q, q->shown - 1) : SEQ_LANE0 - SEQ_LANE_GAP) +
	              (label < 300 ? 300 : (int)label);
	q->width = q->server_x + 30 + (int)right * SEQ_CHAR_W;
	if (q->width < SEQ_LANE0 + SEQ_MSG_COLS * SEQ_CHAR_W + 20)
		q->width = SEQ_LANE0 + SEQ_MSG_COLS * SEQ_CHAR_W + 20;
	q->y = SEQ_TOP;
}

static void head(struct strbuf *sb, const struct seq *q, size_t lane, int x)
{
	const struct timeline *t = q->t;

	strbuf_printf(sb,
	              "<g class=\"lane\"><rect x=\"%d\" y=\"8\" width=\"120\" height=\"26\" "
	              "rx=\"4\"/><text x=\"%d\" y=\"26\" text-anchor=\"middle\">",
	              x - 60, x);
	if (lane == SIZE_MAX)
		strbuf_puts(sb, "server");
	else if (q->shared && lane == q->shown - 1)
		strbuf_printf(sb, "+%zu more", t->nlanes - lane);
	else if (lane < t->nlanes)
		render_html_text(sb, t->lanes[lane], strlen(t->lanes[lane]));
	strbuf_puts(sb, "</text></g>\n");
}

static void stamp(struct strbuf *sb, int y, uint64_t at)
{
	strbuf_printf(
	    sb, "<text class=\"t\" x=\"%d\" y=\"%d\" text-anchor=\"end\">+%llu.%llums</text>\n",
	    SEQ_LANE0 - 70, y + 4, (unsigned long long)(at / 10), (unsigned long long)(at % 10));
}

/* The name of a connection drawn on the shared lane, before its label. */
static void shared_name(struct strbuf *sb, const struct seq *q, const struct timeline_event *e)
{
	if (q->shared && e->lane >= q->shown - 1) {
		render_html_text(sb, e->who, strlen(e->who));
		strbuf_puts(sb, ": ");
	}
}

static void arrow(struct strbuf *sb, const struct seq *q, size_t i)
{
	const struct timeline_event *e = &q->t->events[i];
	int cx = lane_x(q, e->lane), from = e->kind == TIMELINE_SEND ? cx : q->server_x;
	int to = e->kind == TIMELINE_SEND ? q->server_x - 4 : cx + 4;
	const char *cls = i == q->hot ? "hot" : e->kind == TIMELINE_SEND ? "send" : "recv";

	strbuf_printf(sb, "<g class=\"%s\"><title>", cls);
	render_html_text(sb, e->who, strlen(e->who));
	strbuf_printf(sb, " %s %zu bytes: &quot;", e->what, e->bytes);
	render_html_text(sb, e->data, strlen(e->data));
	/* The arrowhead is a path of its own: markers would need url(), and
	 * the report must not contain one (it is self-contained). */
	strbuf_printf(sb,
	              "%s&quot;</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
	              "<path d=\"M%d %dl%d -4v8z\"/>",
	              e->cut ? "..." : "", from, q->y, to, q->y, to, q->y, to > from ? -9 : 9);
	strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (from + to) / 2,
	              q->y - 5);
	shared_name(sb, q, e);
	put_excerpt(sb, e);
	strbuf_puts(sb, "</text></g>\n");
}

/* The class of a connection mark: how its lane's story goes on. */
static const char *mark_class(const char *what)
{
	static const char *const open[] = {"connect", "connected", "udp socket ready"};
	static const char *const end[] = {"eof", "close", "shutdown (write side)", "shutdown done"};

	for (size_t k = 0; k < 3; k++)
		if (strcmp(what, open[k]) == 0)
			return "open";
	for (size_t k = 0; k < 4; k++)
		if (strcmp(what, end[k]) == 0)
			return "end";
	return "bad"; /* resets, refusals, errors, paused reading */
}

static void mark(struct strbuf *sb, const struct seq *q, const struct timeline_event *e, int x,
                 const char *cls)
{
	strbuf_printf(sb,
	              "<g class=\"mark %s\"><rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
	              "rx=\"2\"/><text x=\"%d\" y=\"%d\">",
	              cls, x - 5, q->y - 5, x + 9, q->y + 4);
	if (e->kind == TIMELINE_TARGET && strcmp(e->who, "target") != 0) {
		render_html_text(sb, e->who, strlen(e->who));
		strbuf_puts(sb, ": ");
	} else if (e->kind == TIMELINE_MARK) {
		shared_name(sb, q, e);
	}
	render_html_text(sb, e->what, strlen(e->what));
	strbuf_puts(sb, "</text></g>\n");
}

static void note(struct strbuf *sb, const struct seq *q, const struct timeline_event *e)
{
	strbuf_printf(sb, "<text class=\"note\" x=\"%d\" y=\"%d\">", SEQ_LANE0 - 10, q->y + 4);
	if (e->who[0]) {
		render_html_text(sb, e->who, strlen(e->who));
		strbuf_putc(sb, ' ');
	}
	render_html_text(sb, e->what, strlen(e->what));
	if (e->data) {
		strbuf_putc(sb, ' ');
		put_excerpt(sb, e);
	}
	strbuf_puts(sb, "</text>\n");
}

/* Bytes of s[0..n) on the next message line: up to its LF, at most
 * SEQ_MSG_COLS, broken at a space when there is one late enough. */
static size_t wrap(const char *s, size_t n)
{
	size_t len = strcspn(s, "\n"), k;

	if (len > n)
		len = n;
	if (len <= SEQ_MSG_COLS)
		return len;
	for (k = SEQ_MSG_COLS; k > SEQ_MSG_COLS * 2 / 3; k--)
		if (s[k] == ' ')
			return k;
	for (k = SEQ_MSG_COLS; k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80; k--)
		; /* never inside a UTF-8 sequence */
	return k;
}

/* The red rule: verdict, the message (wrapped), file:line, and a cross
 * on the lane the message is about. */
static void verdict(struct strbuf *sb, struct seq *q, const struct report_case *c, int at_set,
                    uint64_t at)
{
	const char *msg = report_nz(c->message);
	size_t n = strlen(msg), i, len, lines = 0;

	if (at_set)
		stamp(sb, q->y, at);
	strbuf_printf(sb, "<g class=\"fail\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
	              SEQ_LANE0 - 60, q->y, q->width - 10, q->y);
	if (q->fail_lane != SIZE_MAX) {
		int x = lane_x(q, q->fail_lane);

		strbuf_printf(sb, "<path class=\"x\" d=\"M%d %dl14 14m0 -14l-14 14\"/>", x - 7,
		              q->y - 7);
	}
	q->y += 19;
	strbuf_printf(sb, "<text class=\"v\" x=\"%d\" y=\"%d\">%s", SEQ_LANE0 - 60, q->y,
	              report_verdict_known(c->verdict) == VERDICT_FAIL ? "FAIL" : "ERROR");
	if (report_nz(c->file)[0]) {
		strbuf_puts(sb, " at ");
		render_html_text(sb, c->file, strlen(c->file));
		if (c->line)
			strbuf_printf(sb, ":%u", c->line);
	}
	strbuf_puts(sb, "</text>\n");
	for (i = 0; i < n && lines < SEQ_MSG_LINES; lines++) {
		len = wrap(msg + i, n - i);
		q->y += 17;
		strbuf_printf(sb, "<text class=\"m\" x=\"%d\" y=\"%d\">", SEQ_LANE0 - 60, q->y);
		render_html_text(sb, msg + i, len);
		strbuf_puts(sb, "</text>\n");
		i += len;
		i += i < n && (msg[i] == '\n' || msg[i] == ' ');
	}
	strbuf_puts(sb, "</g>\n");
	q->y += SEQ_ROW;
}

/* One event's row (or rows); a long pause before it gets a mark. */
static void row(struct strbuf *sb, struct seq *q, const struct report_case *c, size_t i,
                uint64_t prev)
{
	const struct timeline_event *e = &q->t->events[i];

	if (e->kind != TIMELINE_NOTE && e->at > prev && e->at - prev >= SEQ_PAUSE && i > 0) {
		strbuf_printf(sb,
		              "<text class=\"pause\" x=\"%d\" y=\"%d\" text-anchor=\"end\">"
		              "&#8942; %llu.%llu ms</text>\n",
		              SEQ_LANE0 - 70, q->y - 4, (unsigned long long)((e->at - prev) / 10),
		              (unsigned long long)((e->at - prev) % 10));
		q->y += SEQ_ROW / 2;
	}
	if (e->kind != TIMELINE_NOTE && e->kind != TIMELINE_VERDICT)
		stamp(sb, q->y, e->at);
	switch (e->kind) {
	case TIMELINE_SEND:
	case TIMELINE_RECV:
		arrow(sb, q, i);
		break;
	case TIMELINE_MARK:
		mark(sb, q, e, lane_x(q, e->lane), mark_class(e->what));
		break;
	case TIMELINE_TARGET:
		mark(sb, q, e, q->server_x, "target");
		break;
	case TIMELINE_VERDICT:
		verdict(sb, q, c, 1, e->at);
		return;
	case TIMELINE_RUNNER:
	case TIMELINE_NOTE:
		note(sb, q, e);
		break;
	}
	q->y += SEQ_ROW;
}

static void rows(struct strbuf *sb, struct seq *q, const struct report_case *c)
{
	const struct timeline *t = q->t;
	size_t i, skip_from = SIZE_MAX, skip_to = 0;
	uint64_t prev = 0;
	int judged = 0;

	if (t->nevents > SEQ_HEAD + SEQ_TAIL) {
		skip_from = SEQ_HEAD;
		skip_to = t->nevents - SEQ_TAIL;
	}
	for (i = 0; i < t->nevents; i++) {
		if (i == skip_from) {
			strbuf_printf(sb,
			              "<text class=\"note\" x=\"%d\" y=\"%d\">&#8942; %zu events "
			              "not drawn (the whole timeline is below)</text>\n",
			              SEQ_LANE0 - 10, q->y + 4, skip_to - skip_from);
			q->y += SEQ_ROW;
			i = skip_to;
			prev = t->events[i].at;
		}
		judged |= t->events[i].kind == TIMELINE_VERDICT;
		row(sb, q, c, i, prev);
		if (t->events[i].kind != TIMELINE_NOTE)
			prev = t->events[i].at;
	}
	if (!judged)
		verdict(sb, q, c, 0, 0);
}

void render_seq(struct strbuf *sb, const struct report_case *c)
{
	struct timeline t = {0};
	struct strbuf body = {NULL, 0, 0, 0};
	struct seq q;
	size_t k;

	if (timeline_parse(c->timeline, strlen(report_nz(c->timeline)), &t) < 0) {
		sb->oom = 1;
		timeline_free(&t);
		return;
	}
	layout(&q, &t);
	find_culprits(&q, report_nz(c->message));
	for (k = 0; k < q.shown; k++)
		head(&body, &q, k, lane_x(&q, k));
	head(&body, &q, SIZE_MAX, q.server_x);
	rows(&body, &q, c);
	/* The lane lines go under everything, so they come first. */
	strbuf_printf(sb, "<svg class=\"seq\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	              q.width, q.y, q.width, q.y);
	for (k = 0; k <= q.shown; k++) {
		int x = k < q.shown ? lane_x(&q, k) : q.server_x;

		strbuf_printf(sb,
		              "<line class=\"life\" x1=\"%d\" y1=\"34\" x2=\"%d\" y2=\"%d\"/>\n", x,
		              x, q.y - 8);
	}
	strbuf_putn(sb, strbuf_text(&body), body.len);
	if (body.oom)
		sb->oom = 1;
	strbuf_puts(sb, "</svg>\n");
	strbuf_release(&body);
	timeline_free(&t);
}
