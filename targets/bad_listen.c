/* SPDX-License-Identifier: MIT */
/*
 * bad_listen: addresses, the listening socket, stop signals and full
 * writes for bad-ok and bad-accept-close (see bad_listen.h).
 */
#define _GNU_SOURCE
#include "bad_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bad_parse_port(const char *text, uint16_t *port)
{
	unsigned long v = 0;

	if (!*text || strlen(text) > 5)
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_unix(const char *path, struct bad_listen *l)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&l->addr;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sun->sun_path))
		return -1;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n + 1);
	l->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int bad_parse_addr(const char *text, uint16_t port, struct bad_listen *l)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l->addr;
	char host[INET6_ADDRSTRLEN + 1];
	const char *end, *port_text = NULL;
	size_t hlen;

	memset(&l->addr, 0, sizeof(l->addr));
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, l);
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return -1;
		hlen = (size_t)(end - text - 1);
		text++;
		port_text = end[1] == ':' ? end + 2 : NULL;
	} else {
		end = strchr(text, ':');
		/* One colon: HOST:PORT. Several: a bare IPv6 address. */
		hlen = end && !strchr(end + 1, ':') ? (size_t)(end - text) : strlen(text);
		port_text = text[hlen] == ':' ? text + hlen + 1 : NULL;
	}
	if (hlen >= sizeof(host) || (port_text && bad_parse_port(port_text, &port) < 0))
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		l->addrlen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		l->addrlen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* Formats a socket address as the readiness line and errors show it. */
static void format_addr(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outlen, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, outlen, "unix:%s", ((const struct sockaddr_un *)ss)->sun_path);
	}
}

int bad_open_listener(const struct bad_listen *l, char *text, size_t textlen, char *err,
                      size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	const char *call = "socket";
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, e;

	format_addr(&l->addr, text, textlen);
	if (fd < 0)
		goto fail;
	call = "setsockopt(SO_REUSEADDR)";
	if (l->addr.ss_family != AF_UNIX && l->reuseaddr &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	call = "setsockopt(SO_REUSEPORT)";
	if (l->addr.ss_family != AF_UNIX && l->reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	call = "bind";
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0)
		goto fail;
	call = "listen";
	if (listen(fd, l->backlog) < 0)
		goto fail;
	call = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0)
		goto fail;
	if (l->addr.ss_family != AF_UNIX) /* the port the kernel chose for 0 */
		format_addr(&bound, text, textlen);
	return fd;
fail:
	e = errno;
	snprintf(err, errlen, "%s(%s): %s", call, text, strerror(e));
	if (fd >= 0)
		close(fd);
	return -1;
}

int bad_block_stop_signals(sigset_t *stop)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGTERM);
	return sigprocmask(SIG_BLOCK, stop, NULL);
}

void bad_wait_stop(const sigset_t *stop, const struct bad_listen *l, const char *prog)
{
	int signo, rc;

	do
		rc = sigwait(stop, &signo);
	while (rc == EINTR);
	if (rc != 0) {
		fprintf(stderr, "%s: sigwait: %s\n", prog, strerror(rc));
		exit(1);
	}
	/* Leaving ends every thread; the kernel closes the sockets. Only
	 * a path needs removing. */
	bad_unlink(l);
	exit(0);
}

int bad_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void bad_unlink(const struct bad_listen *l)
{
	if (l->addr.ss_family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&l->addr)->sun_path);
}
