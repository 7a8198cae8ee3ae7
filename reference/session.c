/* SPDX-License-Identifier: MIT */
/*
 * The per-connection loop shared by every TCP reference server. Replies
 * are produced synchronously, message by message, so that when the peer
 * half-closes, everything it is owed has been sent before we close. The
 * replies to the messages of one read are sent together, in one send
 * of up to SESSION_BATCH_MAX bytes (each at once when there is a reply
 * delay): pipelined small lines cost one send, not one each.
 */
#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "net.h"

#define SESSION_DONE 1 /* handled: the connection is over */

struct session {
	int fd;                        /* the connection */
	const struct session_cfg *cfg; /* protocol and framing */
	const sigset_t *mask;          /* signal mask while waiting */
	uint8_t *in;                   /* SESSION_READ_MAX bytes, once input came */
	uint8_t *out;                  /* reply buffer, out_cap bytes (NULL: none yet) */
	size_t out_cap;                /* grows to the largest batch so far */
	size_t out_len;                /* replies composed, not sent yet */
	struct frame frame;            /* LINE framing: reassembly buffer */
	int one_shot_done;             /* PROTO_ONE_SHOT: the reply went out */
};

/* How long one wait for the peer may last (-1: no limit). */
static int idle_limit(const struct session *s)
{
	return s->cfg->idle_ms > 0 ? s->cfg->idle_ms : -1;
}

/* Makes out hold at least need more bytes after the pending ones. It
 * starts small and doubles, so a connection pays only for the replies
 * it gets. */
static int reserve_out(struct session *s, size_t more)
{
	size_t cap = s->out_cap ? s->out_cap : 256, need = s->out_len + more;
	uint8_t *bigger;

	if (need <= s->out_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	bigger = realloc(s->out, cap);
	if (!bigger)
		return -ENOMEM;
	s->out = bigger;
	s->out_cap = cap;
	return 0;
}

/* Takes the read and line buffers, once the first bytes are there. */
static int take_input_buffers(struct session *s)
{
	s->in = malloc(SESSION_READ_MAX);
	if (!s->in)
		return -ENOMEM;
	if (s->cfg->framing == PROTO_FRAMING_LINE && frame_init(&s->frame, s->cfg->max_line) < 0)
		return -ENOMEM;
	return 0;
}

/* Waits for input. Returns 0 when there may be some, -ETIMEDOUT after
 * idle_ms of nothing, -EINTR on a stop signal, or another -errno. */
static int wait_input(struct session *s)
{
	int rc = net_wait(s->fd, POLLIN, idle_limit(s), s->mask);

	if (rc == 0)
		return -ETIMEDOUT;
	return rc < 0 ? rc : 0;
}

/* Sleeps delay_ms, waking early if the connection is shut down. */
static int pause_before_reply(struct session *s)
{
	int rc = net_wait(s->fd, 0, s->cfg->delay_ms, s->mask);

	return rc == -EINTR ? rc : 0;
}

int session_clock(const struct proto_handler *proto, struct proto_msg *msg, struct tm *tm)
{
	time_t t;

	if (!(proto->flags & PROTO_NEEDS_TIME))
		return 0;
	t = time(NULL);
	if (!localtime_r(&t, tm))
		return -EOVERFLOW;
	msg->now = tm;
	return 0;
}

/* Sends the pending replies. Returns 0 or -errno. */
static int flush(struct session *s)
{
	size_t n = s->out_len;

	s->out_len = 0;
	return n > 0 ? net_send_all(s->fd, s->out, n, idle_limit(s), s->mask) : 0;
}

/* Answers one message: its reply joins the pending ones, which are sent
 * first when a delay comes before it or when they reach
 * SESSION_BATCH_MAX. Returns 0 to go on, SESSION_DONE (pending replies
 * sent), or -errno. */
static int answer(struct session *s, const uint8_t *msg, size_t len)
{
	const struct proto_handler *proto = s->cfg->proto;
	struct proto_msg m = {msg, len, s->cfg->framing, NULL};
	struct tm tm;
	size_t n = 0;
	int rc;

	if ((s->cfg->delay_ms > 0 || s->out_len >= SESSION_BATCH_MAX) && (rc = flush(s)) < 0)
		return rc;
	if (session_clock(proto, &m, &tm) < 0)
		return -EOVERFLOW;
	if (reserve_out(s, len + PROTO_OVERHEAD) < 0)
		return -ENOMEM; /* proto.h: this much always fits */
	rc = proto->message(&m, s->out + s->out_len, s->out_cap - s->out_len, &n);
	if (rc == PROTO_ERR_SPACE)
		return -ENOSPC;
	if (rc == PROTO_CLOSE)
		return (rc = flush(s)) < 0 ? rc : SESSION_DONE;
	if (s->cfg->delay_ms > 0 && (rc = pause_before_reply(s)) < 0)
		return rc;
	s->out_len += n;
	if (proto->flags & PROTO_ONE_SHOT) {
		s->one_shot_done = 1;
		return (rc = flush(s)) < 0 ? rc : SESSION_DONE;
	}
	return 0;
}

/* LINE framing: reassemble, then answer each complete line. The
 * replies to the lines before an over-long one are still sent. */
static int feed_lines(struct session *s, const uint8_t *data, size_t len)
{
	const uint8_t *line;
	size_t line_len;
	int rc;

	for (;;) {
		size_t took = frame_push(&s->frame, data, len);
		data += took;
		len -= took;
		while ((rc = frame_next(&s->frame, &line, &line_len)) == 1) {
			rc = answer(s, line, line_len);
			if (rc != 0)
				return rc;
		}
		if (rc == FRAME_TOO_LONG)
			return (rc = flush(s)) < 0 ? rc : -EMSGSIZE;
		if (len == 0)
			return flush(s);
	}
}

static int greet(struct session *s)
{
	size_t n = 0;

	if (!s->cfg->proto->welcome)
		return 0;
	/* A greeting is the reply to an empty message: PROTO_OVERHEAD fits. */
	if (reserve_out(s, PROTO_OVERHEAD) < 0)
		return -ENOMEM;
	if (s->cfg->proto->welcome(s->cfg->framing, s->out, s->out_cap, &n) < 0)
		return -ENOSPC;
	s->out_len = n;
	return flush(s);
}

static int serve(struct session *s)
{
	int rc = greet(s);

	while (rc == 0) {
		/* No buffer until the peer has said something: wait first. */
		ssize_t n = s->in ? net_recv(s->fd, s->in, SESSION_READ_MAX) : -EAGAIN;
		if (n == -EAGAIN) {
			rc = wait_input(s);
			if (rc == 0 && !s->in)
				rc = take_input_buffers(s);
			continue;
		}
		if (n <= 0)
			return (int)n; /* EOF: every owed reply was sent */
		if (s->cfg->framing == PROTO_FRAMING_LINE)
			rc = feed_lines(s, s->in, (size_t)n);
		else if ((rc = answer(s, s->in, (size_t)n)) == 0)
			rc = flush(s);
	}
	return rc == SESSION_DONE ? 0 : rc;
}

int session_run(int fd, const struct session_cfg *cfg, const sigset_t *mask)
{
	struct session s = {.fd = fd, .cfg = cfg, .mask = mask};
	int rc;

	if (cfg->proto->flags & PROTO_SILENT)
		return close(fd) < 0 ? -errno : 0;
	rc = net_set_nonblock(fd);
	if (rc == 0)
		rc = serve(&s);
	if (s.one_shot_done)
		net_lingering_close(fd, SESSION_LINGER_MAX, 200, mask);
	else
		close(fd);
	frame_free(&s.frame);
	free(s.in);
	free(s.out);
	return rc;
}
