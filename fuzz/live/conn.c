/* SPDX-License-Identifier: MIT */
/*
 * conn: non-blocking client sockets with deadlines (see conn.h).
 */
#define _GNU_SOURCE
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SPARE 8192 /* room kept free for the next read (a datagram is cut to it) */

uint64_t lconn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int left_ms(uint64_t deadline_ms)
{
	uint64_t now = lconn_now_ms();

	return now >= deadline_ms ? 0 : (int)(deadline_ms - now);
}

static int fail(struct lconn *c, const char *call, const struct addr *a, int rc)
{
	char text[128];

	if (a)
		snprintf(c->err, sizeof(c->err), "%s(%s): %s", call,
		         addr_format(a, text, sizeof(text)), strerror(-rc));
	else
		snprintf(c->err, sizeof(c->err), "%s: %s", call, strerror(-rc));
	return rc;
}

int lconn_open(struct lconn *c, const struct addr *to, const struct addr *from, int datagrams,
               uint64_t deadline_ms)
{
	int one = 1, rc, soerr = 0;
	socklen_t len = sizeof(soerr);
	struct pollfd p;

	memset(c, 0, sizeof(*c));
	c->datagrams = datagrams;
	c->fd = socket(to->ss.ss_family,
	               (datagrams ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return fail(c, "socket", NULL, -errno);
	if (from) {
		/* The port is chosen at connect, per 4-tuple, so varying
		 * source addresses never run out of ports. */
		if (!datagrams)
			(void)setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			                 sizeof(one));
		if (bind(c->fd, (const struct sockaddr *)&from->ss, from->len) < 0)
			return fail(c, "bind", from, -errno);
	}
	if (!datagrams && to->ss.ss_family != AF_UNIX &&
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return fail(c, "setsockopt(TCP_NODELAY)", NULL, -errno);
	if (connect(c->fd, (const struct sockaddr *)&to->ss, to->len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return fail(c, "connect", to, -errno);
	p = (struct pollfd){.fd = c->fd, .events = POLLOUT};
	do
		rc = poll(&p, 1, left_ms(deadline_ms));
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return fail(c, "poll", NULL, -errno);
	if (rc == 0)
		return fail(c, "connect", to, -ETIMEDOUT);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return fail(c, "getsockopt(SO_ERROR)", NULL, -errno);
	return soerr ? fail(c, "connect", to, -soerr) : 0;
}

/* Reads what is there now. Returns 1 when something came, 0 when
 * nothing did, or -errno. */
static int read_now(struct lconn *c)
{
	int any = 0;
	ssize_t n;

	while (c->fd >= 0 && c->end == LCONN_OPEN && c->got_len < LCONN_GOT_MAX) {
		size_t room;

		if (model_grow(&c->got, &c->got_cap, c->got_len + READ_SPARE, 2 * READ_SPARE) < 0)
			return fail(c, "realloc", NULL, -ENOMEM);
		room = c->got_cap - c->got_len;
		n = recv(c->fd, c->got + c->got_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && !c->datagrams && (errno == ECONNRESET || errno == EPIPE)) {
			c->end = LCONN_RESET;
			return 1;
		}
		if (n < 0 && c->datagrams && errno == ECONNREFUSED) {
			/* An ICMP port unreachable: nobody is bound there any more. */
			c->end = LCONN_RESET;
			return 1;
		}
		if (n < 0)
			return fail(c, "recv", NULL, -errno);
		any = 1;
		if (c->datagrams) {
			c->got_len += (size_t)n < room ? (size_t)n : room;
			if (model_push_offset(&c->ends, &c->nends, &c->ends_cap, c->got_len) < 0)
				return fail(c, "realloc", NULL, -ENOMEM);
			continue;
		}
		if (n == 0) {
			c->end = LCONN_EOF;
			break;
		}
		c->got_len += (size_t)n;
	}
	return any;
}

int lconn_pump(struct lconn *c, uint64_t deadline_ms)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int rc = read_now(c);

	if (rc != 0 || c->end != LCONN_OPEN)
		return rc;
	for (;;) {
		int wait = left_ms(deadline_ms);

		if (wait == 0)
			return 0;
		rc = poll(&p, 1, wait);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return fail(c, "poll", NULL, -errno);
		if (rc == 0)
			return 0;
		rc = read_now(c);
		if (rc != 0)
			return rc;
	}
}

int lconn_pause(struct lconn *c, unsigned us)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};
	int rc;

	do
		rc = ppoll(&p, 1, &ts, NULL);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return fail(c, "ppoll", NULL, -errno);
	return rc ? read_now(c) : 0;
}

int lconn_write(struct lconn *c, const uint8_t *data, size_t len, uint64_t deadline_ms)
{
	size_t done = 0;
	ssize_t n;

	if (c->write_err)
		return c->write_err;
	do {
		n = send(c->fd, data + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLOUT};
			int rc = poll(&p, 1, left_ms(deadline_ms));

			if (rc < 0 && errno != EINTR)
				return fail(c, "poll", NULL, -errno);
			if (rc == 0)
				return fail(c, "send", NULL, -ETIMEDOUT);
			if (read_now(c) < 0)
				return -EIO;
			continue;
		}
		if (n < 0) {
			c->write_err = -errno;
			return fail(c, "send", NULL, c->write_err);
		}
		done += (size_t)n;
	} while (done < len);
	return 0;
}

int lconn_shutdown(struct lconn *c)
{
	c->shut = 1;
	if (shutdown(c->fd, SHUT_WR) < 0 && errno != ENOTCONN)
		return fail(c, "shutdown", NULL, -errno);
	return 0;
}

void lconn_close(struct lconn *c, int reset)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (c->fd < 0)
		return;
	if (reset)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c->fd);
	c->fd = -1;
}

void lconn_free(struct lconn *c)
{
	lconn_close(c, 0);
	model_free(&c->model);
	free(c->got);
	free(c->ends);
	c->got = NULL;
	c->ends = NULL;
}
