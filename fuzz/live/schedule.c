/* SPDX-License-Identifier: MIT */
/*
 * sched: decoding live-fuzzer inputs into schedules, and encoding
 * schedules into inputs (see schedule.h for the layout).
 */
#include "schedule.h"

#include <assert.h>
#include <string.h>

#define OP_GAP     0x80u
#define OP_OTHER   0x20u
#define OP_END     0x40u
#define OP_SLOT(b) ((b)&OP_OTHER ? ((b) >> 3) & 3u : 0u)
#define OP_KIND(b) ((b)&7u)
#define LEN_LONG   0x80u
#define NO_CONN    (~0u)

/* What a decoder keeps while it reads. */
struct decoder {
	const struct sched_cfg *cfg;
	struct sched *out;
	unsigned slot_conn[SCHED_SLOTS]; /* connection in each slot, or NO_CONN */
	int shut[SCHED_SLOTS];           /* that connection was half-closed */
	size_t written[SCHED_SLOTS];     /* bytes it wrote */
	int active;                      /* SEQUENTIAL / ONCE: the slot in use, or -1 */
	int done;                        /* ONCE: the connection ended */
};

static enum sched_kind raw_kind(unsigned op)
{
	static const enum sched_kind kinds[8] = {
	    SCHED_WRITE,    SCHED_WRITE, SCHED_WRITE, SCHED_WAIT,
	    SCHED_SHUTDOWN, SCHED_RESET, SCHED_CLOSE, SCHED_WAIT,
	};
	enum sched_kind kind = kinds[OP_KIND(op)];

	/* Ending a connection takes bit 6 too: each end makes the next
	 * step on the slot connect anew, and connects are what inputs cost. */
	if ((kind == SCHED_RESET || kind == SCHED_CLOSE) && !(op & OP_END))
		return SCHED_WAIT;
	return kind;
}

static struct sched_step *add(struct decoder *d, enum sched_kind kind, unsigned slot)
{
	struct sched_step *s;

	assert(d->out->n < SCHED_STEPS_MAX);
	s = &d->out->steps[d->out->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->conn = d->slot_conn[slot];
	return s;
}

/* The connection in slot ends (CLOSE, RESET or FINISH). */
static void end_conn(struct decoder *d, unsigned slot, enum sched_kind kind)
{
	add(d, kind, slot);
	d->slot_conn[slot] = NO_CONN;
	if (d->active == (int)slot)
		d->active = -1;
	if (d->cfg->mode == SCHED_ONCE)
		d->done = 1;
}

/* Makes sure slot has a connection; in SEQUENTIAL mode another open one
 * is finished first. Returns 0, -1 when no connection may open any more
 * (ONCE), or -2 when the input has opened SCHED_CONNS_MAX already. */
static int ensure_open(struct decoder *d, unsigned slot)
{
	if (d->slot_conn[slot] == NO_CONN && d->out->nconn >= SCHED_CONNS_MAX)
		return -2;
	if (d->cfg->mode != SCHED_CONCURRENT) {
		if (d->done)
			return -1;
		if (d->active >= 0 && d->active != (int)slot)
			end_conn(d, (unsigned)d->active, SCHED_FINISH);
		if (d->done)
			return -1;
		d->active = (int)slot;
	}
	if (d->slot_conn[slot] != NO_CONN)
		return 0;
	d->slot_conn[slot] = d->out->nconn++;
	d->shut[slot] = 0;
	d->written[slot] = 0;
	add(d, SCHED_OPEN, slot);
	return 0;
}

/* A write's length at buf[*pos] (*pos moves past it), as asked. */
static size_t write_len(const uint8_t *buf, size_t len, size_t *pos)
{
	size_t want = 0;

	if (*pos < len) {
		want = buf[(*pos)++];
		if ((want & LEN_LONG) && *pos < len)
			want = ((want & 0x7fu) << 8) | buf[(*pos)++];
	}
	return want;
}

/* Moves *pos past a write that is dropped: length, piece size, data. */
static void skip_write(const uint8_t *buf, size_t len, size_t *pos)
{
	size_t want = write_len(buf, len, pos);

	if (*pos < len)
		(*pos)++;
	*pos += want < len - *pos ? want : len - *pos;
}

/* Reads a write's length, piece size and data at buf[*pos]. */
static void read_write(struct decoder *d, unsigned slot, unsigned op, const uint8_t *buf,
                       size_t len, size_t *pos)
{
	size_t want = write_len(buf, len, pos), piece = 0, room, take;
	struct sched_step *s;

	if (*pos < len)
		piece = buf[(*pos)++];
	take = want < len - *pos ? want : len - *pos;
	room = SCHED_CONN_BYTES - d->written[slot];
	if (!d->shut[slot]) {
		s = add(d, SCHED_WRITE, slot);
		s->data = buf + *pos;
		s->len = take < room ? take : room;
		s->piece = piece;
		if (piece && s->len > SCHED_PIECES_MAX * piece)
			s->piece = (s->len + SCHED_PIECES_MAX - 1) / SCHED_PIECES_MAX;
		s->gap = (op & OP_GAP) != 0;
		d->written[slot] += s->len;
	}
	*pos += take;
}

void sched_decode(const struct sched_cfg *cfg, const uint8_t *buf, size_t len, struct sched *out)
{
	struct decoder d = {.cfg = cfg, .out = out, .active = -1};
	size_t pos = 0, raw = 0;
	unsigned slot;

	out->n = 0;
	out->nconn = 0;
	for (slot = 0; slot < SCHED_SLOTS; slot++)
		d.slot_conn[slot] = NO_CONN;
	while (pos < len && raw++ < SCHED_RAW_MAX && !d.done) {
		unsigned op = buf[pos++];
		enum sched_kind kind = raw_kind(op);
		int open;

		slot = cfg->mode == SCHED_ONCE ? 0 : OP_SLOT(op);
		open = ensure_open(&d, slot);
		if (open == -1)
			break;
		if (open == -2) { /* the step is dropped, its bytes too */
			if (kind == SCHED_WRITE)
				skip_write(buf, len, &pos);
			continue;
		}
		switch (kind) {
		case SCHED_WRITE:
			read_write(&d, slot, op, buf, len, &pos);
			break;
		case SCHED_WAIT:
			add(&d, SCHED_WAIT, slot);
			break;
		case SCHED_SHUTDOWN:
			if (!cfg->datagrams && !d.shut[slot]) {
				add(&d, SCHED_SHUTDOWN, slot);
				d.shut[slot] = 1;
			}
			break;
		case SCHED_RESET:
			end_conn(&d, slot, cfg->datagrams ? SCHED_CLOSE : SCHED_RESET);
			break;
		case SCHED_CLOSE:
			end_conn(&d, slot, SCHED_CLOSE);
			break;
		case SCHED_OPEN:
		case SCHED_FINISH:
			assert(!"raw_kind never gives these");
			break;
		}
	}
	/* Every connection still open ends with a FINISH, oldest first. */
	for (;;) {
		unsigned oldest = NO_CONN, at = 0;

		for (slot = 0; slot < SCHED_SLOTS; slot++)
			if (d.slot_conn[slot] < oldest) {
				oldest = d.slot_conn[slot];
				at = slot;
			}
		if (oldest == NO_CONN)
			break;
		end_conn(&d, at, SCHED_FINISH);
	}
}

static unsigned raw_op(enum sched_kind kind)
{
	switch (kind) {
	case SCHED_WRITE:
		return 0;
	case SCHED_WAIT:
		return 3;
	case SCHED_SHUTDOWN:
		return 4;
	case SCHED_RESET:
		return 5;
	case SCHED_CLOSE:
		return 6;
	case SCHED_OPEN:
	case SCHED_FINISH:
		break;
	}
	return 8;
}

size_t sched_encode(const struct sched_raw *raw, size_t n, uint8_t *out, size_t cap)
{
	size_t pos = 0, i;

	for (i = 0; i < n; i++) {
		const struct sched_raw *r = &raw[i];
		unsigned op = raw_op(r->kind);

		if (op > 7 || r->slot >= SCHED_SLOTS || r->len >= 0x8000 || pos + 4 + r->len > cap)
			return 0;
		op |= r->slot ? OP_OTHER | r->slot << 3 : 0;
		if (r->kind == SCHED_WRITE && r->gap)
			op |= OP_GAP;
		if (r->kind == SCHED_RESET || r->kind == SCHED_CLOSE)
			op |= OP_END;
		out[pos++] = (uint8_t)op;
		if (r->kind != SCHED_WRITE)
			continue;
		if (r->len >= LEN_LONG) {
			out[pos++] = (uint8_t)(LEN_LONG | (r->len >> 8));
			out[pos++] = (uint8_t)(r->len & 0xffu);
		} else {
			out[pos++] = (uint8_t)r->len;
		}
		out[pos++] = r->piece;
		if (r->len)
			memcpy(out + pos, r->data, r->len);
		pos += r->len;
	}
	return pos;
}

const char *sched_kind_name(enum sched_kind kind)
{
	switch (kind) {
	case SCHED_OPEN:
		return "open";
	case SCHED_WRITE:
		return "write";
	case SCHED_WAIT:
		return "wait";
	case SCHED_SHUTDOWN:
		return "shutdown";
	case SCHED_RESET:
		return "reset";
	case SCHED_CLOSE:
		return "close";
	case SCHED_FINISH:
		return "finish";
	}
	return "?";
}
