/* SPDX-License-Identifier: MIT */
/*
 * bad-timestamp's serving half: builds "[CTIME] DATA" replies and
 * serves TCP connections one at a time (line or chunk framing) or UDP
 * datagrams, each with the planted defect where --defect says so.
 */
#define _GNU_SOURCE
#include "bad_timestamp.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TS_READ      16384 /* bytes per recv on a stream */
#define TS_SEED_READ 1024  /* the seed's BUFSIZ: recv(1024), recvfrom(1024) */
#define TS_LINE_MAX  65536 /* longest line content; longer closes the connection */
#define TS_DGRAM_MAX 65507 /* the largest UDP payload over IPv4 */
#define TS_STAMP_MAX 64    /* "[" + time + "] ", any format here */
#define TS_STACK     (256 * 1024)
#define TS_STALE_S   5 /* stale: the clock this far behind */
#define TS_DELAY_MS  5 /* no-halfclose, udp-last-only: pause before answering */

/* What a connection thread of the concurrent defect gets; it frees this. */
struct conn {
	int fd;                   /* the accepted connection */
	const struct config *cfg; /* settings */
};

/* ---- the reply ---- */

/* Writes "[TIME] " (or the defect's variant) into out; returns its length. */
static size_t stamp(enum defect defect, char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	if (defect == DEFECT_STALE)
		now -= TS_STALE_S;
	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	out[0] = '[';
	/* "%a %b %e %H:%M:%S %Y" is ctime()'s text without its newline
	 * (the C locale: this program never calls setlocale). */
	n = 1 + strftime(out + 1, cap - 3,
	                 defect == DEFECT_ISO_FORMAT ? "%Y-%m-%d %H:%M:%S" : "%a %b %e %H:%M:%S %Y",
	                 &tm);
	out[n++] = ']';
	if (defect != DEFECT_NO_SPACE)
		out[n++] = ' ';
	return n;
}

/* Python's str.strip() set: space, tab, LF, VT, FF, CR. */
static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Narrows DATA to what the defect keeps of it: the strip and nul defects. */
static void shape_data(enum defect defect, const char **data, size_t *len)
{
	const char *nul;

	if (defect == DEFECT_STRIP) {
		while (*len > 0 && is_space((*data)[0])) {
			(*data)++;
			(*len)--;
		}
		while (*len > 0 && is_space((*data)[*len - 1]))
			(*len)--;
	}
	if (defect == DEFECT_NUL && *len > 0 && (nul = memchr(*data, '\0', *len)))
		*len = (size_t)(nul - *data);
}

/* Builds "[CTIME] DATA" (+ LF when lf) in a new buffer. Returns it, with
 * its length in out_len, or NULL when out of memory or when the defect
 * answers nothing (skip-empty). */
static char *compose(enum defect defect, const char *data, size_t len, int lf, size_t *out_len)
{
	char head[TS_STAMP_MAX], *out;
	size_t hlen;

	shape_data(defect, &data, &len);
	if (defect == DEFECT_SKIP_EMPTY && len == 0)
		return NULL;
	hlen = stamp(defect, head, sizeof(head));
	out = malloc(hlen + len + 1);
	if (!out)
		return NULL;
	memcpy(out, head, hlen);
	if (len > 0)
		memcpy(out + hlen, data, len);
	if (lf)
		out[hlen + len] = '\n';
	*out_len = hlen + len + (lf ? 1 : 0);
	return out;
}

/* ---- TCP: one connection ---- */

/* Defect sigpipe: plain write() with SIGPIPE at its default, and every
 * failure retried (bad_echo.c: the retry after ECONNRESET gets EPIPE). */
static ssize_t write_retrying(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0);
	return n;
}

/* Writes all of buf. Returns 0, or -1 when the connection is gone (the
 * reset-exits defect ends the server instead). */
static int write_all(int fd, const char *buf, size_t len, const struct config *cfg)
{
	while (len > 0) {
		ssize_t n;

		if (cfg->defect == DEFECT_SIGPIPE)
			n = write_retrying(fd, buf, len);
		else
			n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && cfg->defect == DEFECT_RESET_EXITS) {
			fprintf(stderr, "%s: send: %s\n", PROG, strerror(errno));
			ts_leave(cfg, 1);
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Answers one message. Returns 0 to go on, -1 when the connection is
 * over (gone, or the close-after-reply defect). */
static int reply(int fd, const char *data, size_t len, int lf, const struct config *cfg)
{
	size_t n = 0;
	char *out = compose(cfg->defect, data, len, lf, &n);
	int rc;

	if (!out)
		return cfg->defect == DEFECT_SKIP_EMPTY ? 0 : -1;
	rc = write_all(fd, out, n, cfg);
	free(out);
	if (rc == 0 && cfg->defect == DEFECT_CLOSE_AFTER_REPLY)
		return -1;
	return rc;
}

/* Defect no-halfclose: wait a little, then give up on the replies owed
 * if the client has already half-closed. Returns 1 if it has. */
static int peer_half_closed_after_delay(int fd)
{
	char c;
	ssize_t n;

	badnet_sleep_ms(TS_DELAY_MS);
	do
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* A growable line buffer. */
struct line_buf {
	char *buf;  /* the bytes of the line so far */
	size_t len; /* bytes in buf */
	size_t cap; /* bytes allocated */
};

/* Appends n bytes. Returns 0, or -1 when the line is too long (or memory
 * ran out); the no-line-limit defect grows it without bound. */
static int line_add(struct line_buf *l, const char *data, size_t n, enum defect defect)
{
	if (n == 0)
		return 0; /* an empty line may come before any buffer exists */
	if (defect != DEFECT_NO_LINE_LIMIT && l->len + n > TS_LINE_MAX + 1)
		return -1; /* + 1: a CR may still be followed by its LF */
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		char *grown;

		while (cap < l->len + n)
			cap *= 2;
		grown = realloc(l->buf, cap);
		if (!grown)
			return -1;
		l->buf = grown;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, n);
	l->len += n;
	return 0;
}

/* Line framing: adds what was read and answers every complete line.
 * Returns 0 to go on, -1 when the connection is over. */
static int feed_lines(int fd, struct line_buf *l, const char *data, size_t n,
                      const struct config *cfg)
{
	while (n > 0) {
		const char *lf = memchr(data, '\n', n);
		size_t take = lf ? (size_t)(lf - data) : n, len;

		if (line_add(l, data, take, cfg->defect) < 0)
			return -1; /* too long: close, like the reference */
		data += take + (lf ? 1 : 0);
		n -= take + (lf ? 1 : 0);
		if (!lf)
			return 0;
		len = l->len;
		/* Defect keep-cr: the CR before LF stays in DATA. */
		if (len > 0 && l->buf[len - 1] == '\r' && cfg->defect != DEFECT_KEEP_CR)
			len--;
		l->len = 0;
		if (reply(fd, l->buf, len, 1, cfg) < 0)
			return -1;
	}
	return 0;
}

/* Serves one connection until the client's EOF (or the defect says
 * otherwise). Does not close fd. */
static void serve_stream(int fd, const struct config *cfg)
{
	/* Defect one-recv: the seed's loop, each recv(1024) taken as a line. */
	int one_recv = cfg->defect == DEFECT_ONE_RECV;
	size_t want = one_recv ? TS_SEED_READ : TS_READ;
	struct line_buf line = {NULL, 0, 0};
	char *buf = malloc(TS_READ);

	while (buf) {
		ssize_t n = recv(fd, buf, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && cfg->defect == DEFECT_RESET_EXITS) {
			fprintf(stderr, "%s: recv: %s\n", PROG, strerror(errno));
			ts_leave(cfg, 1);
		}
		if (n <= 0)
			break; /* EOF or a reset: this connection is done */
		if (cfg->defect == DEFECT_NO_HALFCLOSE && peer_half_closed_after_delay(fd))
			break;
		if (cfg->chunk || one_recv) {
			if (reply(fd, buf, (size_t)n, 0, cfg) < 0)
				break;
		} else if (feed_lines(fd, &line, buf, (size_t)n, cfg) < 0) {
			break;
		}
	}
	free(line.buf);
	free(buf);
}

static void serve_conn(int fd, const struct config *cfg)
{
	/* Defect fd-leak: one fd per connection that is never closed; a
	 * failed open (EMFILE) changes nothing for this connection. */
	if (cfg->defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));
	serve_stream(fd, cfg);
	close(fd);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;

	serve_conn(c->fd, c->cfg);
	free(c);
	return NULL;
}

/* Defect concurrent: a detached thread per connection. */
static void spawn(int fd, const struct config *cfg)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	int rc = ENOMEM;

	if (c && (rc = pthread_attr_init(&attr)) == 0) {
		c->fd = fd;
		c->cfg = cfg;
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, TS_STACK);
		rc = pthread_create(&tid, &attr, conn_main, c);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		free(c);
		close(fd);
	}
}

/* One client at a time, the others wait in the backlog (seed 003's
 * tsTserv). */
void *ts_accept_main(void *arg)
{
	const struct server *srv = arg;

	for (;;) {
		int fd = badnet_accept(PROG, srv->fd, &srv->cfg->addr);

		if (fd < 0)
			continue;
		if (srv->cfg->defect == DEFECT_CONCURRENT) {
			spawn(fd, srv->cfg);
			continue;
		}
		serve_conn(fd, srv->cfg);
		/* Defect once: the first client is the last. */
		if (srv->cfg->defect == DEFECT_ONCE)
			ts_leave(srv->cfg, 0);
	}
	return NULL;
}

/* ---- UDP ---- */

/* Sends one reply to `to`; the defects decide from which socket. */
static void send_reply(int fd, const char *out, size_t n, const struct sockaddr_storage *to,
                       socklen_t tolen, const struct config *cfg)
{
	ssize_t rc;

	if (cfg->defect == DEFECT_UDP_CONNECT_FIRST) {
		rc = send(fd, out, n, MSG_NOSIGNAL);
	} else if (cfg->defect == DEFECT_UDP_REPLY_OTHER_SOCKET) {
		/* A fresh socket gets a fresh port: the reply's source is wrong. */
		int other = socket(to->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		rc = other < 0
		         ? -1
		         : sendto(other, out, n, MSG_NOSIGNAL, (const struct sockaddr *)to, tolen);
		if (other >= 0)
			close(other);
	} else {
		rc = sendto(fd, out, n, MSG_NOSIGNAL, (const struct sockaddr *)to, tolen);
	}
	if (rc < 0)
		fprintf(stderr, "%s: sendto: %s\n", PROG, strerror(errno));
}

/* Answers one datagram of n bytes from `from`. */
static void answer_dgram(int fd, const char *data, size_t len, const struct sockaddr_storage *from,
                         socklen_t fromlen, const struct config *cfg)
{
	size_t n = 0;
	char *out;

	if (cfg->defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));
	out = compose(cfg->defect, data, len, 0, &n);
	if (!out)
		return;
	/* A reply over 65,507 bytes gets none (PROTOCOLS.md); the defect
	 * udp-replies-oversize sends the first 65,507 bytes of it instead. */
	if (n > TS_DGRAM_MAX && cfg->defect == DEFECT_UDP_REPLIES_OVERSIZE)
		n = TS_DGRAM_MAX;
	if (n <= TS_DGRAM_MAX)
		send_reply(fd, out, n, from, fromlen, cfg);
	free(out);
}

/* Receives one datagram. Returns its length, or -1 (already reported).
 * Defect udp-last-only: 5 ms after the first datagram, every datagram
 * queued by then is read into the same buffer, so only the last of a
 * burst is answered. */
static ssize_t recv_dgram(int fd, char *buf, size_t cap, struct sockaddr_storage *from,
                          socklen_t *fromlen, const struct config *cfg)
{
	ssize_t n, more;

	do {
		*fromlen = sizeof(*from);
		n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, fromlen);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "%s: recvfrom: %s\n", PROG, strerror(errno));
		return -1;
	}
	/* A 5 ms "tick" before draining, so a burst is always caught. */
	if (cfg->defect == DEFECT_UDP_LAST_ONLY)
		badnet_sleep_ms(TS_DELAY_MS);
	while (cfg->defect == DEFECT_UDP_LAST_ONLY) {
		struct sockaddr_storage next;
		socklen_t nextlen = sizeof(next);

		more = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&next, &nextlen);
		if (more < 0)
			break;
		n = more;
		*from = next;
		*fromlen = nextlen;
	}
	return n;
}

/* Each datagram answered in turn. */
void *ts_dgram_main(void *arg)
{
	const struct server *srv = arg;
	const struct config *cfg = srv->cfg;
	/* 65,536 holds any datagram; the seed's 1024 cuts longer ones. */
	size_t cap = cfg->defect == DEFECT_UDP_TRUNCATE_1024 ? TS_SEED_READ : 65536;
	char *buf = malloc(cap);
	int connected = 0;

	if (!buf) {
		fprintf(stderr, "%s: malloc: %s\n", PROG, strerror(ENOMEM));
		ts_leave(cfg, 1);
	}
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen;
		ssize_t n = recv_dgram(srv->fd, buf, cap, &from, &fromlen, cfg);

		if (n < 0)
			continue;
		/* Defect udp-connect-first: from now on only this sender is heard. */
		if (cfg->defect == DEFECT_UDP_CONNECT_FIRST && !connected) {
			if (connect(srv->fd, (const struct sockaddr *)&from, fromlen) < 0)
				fprintf(stderr, "%s: connect: %s\n", PROG, strerror(errno));
			connected = 1;
		}
		answer_dgram(srv->fd, buf, (size_t)n, &from, fromlen, cfg);
	}
	return NULL;
}
