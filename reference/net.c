/* SPDX-License-Identifier: MIT */
/*
 * Socket plumbing for the reference servers. Every server binds through
 * net_listen() and writes through net_send_all(), so the robustness
 * rules of PROTOCOLS.md (SO_REUSEADDR, no SIGPIPE, short writes, EINTR)
 * live in one place.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Fills err with "CALL(ADDR): strerror" and returns -e. */
static int fail_at(char *err, size_t errlen, const char *call, const struct addr *a, int e)
{
	char text[ADDR_TEXT_MAX];

	snprintf(err, errlen, "%s(%s): %s", call, addr_format(a, text, sizeof(text)), strerror(e));
	return -e;
}

/* A Unix socket file left by a dead server: no socket of that type in
 * the kernel is bound to the path (/proc/net/unix). Asked of the kernel,
 * not by connecting: a connect would be a client of a live server (and
 * the one client of a server that serves one). Unreadable: not stale. */
static int unix_socket_is_stale(const struct addr *a, int type)
{
	const char *path = ((const struct sockaddr_un *)&a->ss)->sun_path;
	char line[PATH_MAX + 128];
	unsigned long t;
	int stale = 1, skip;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		return 0;
	while (stale && fgets(line, sizeof(line), f)) {
		char *p = line;
		skip = 0;
		line[strcspn(line, "\n")] = '\0';
		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %*s %lx %*s %*s %n", &t, &skip) < 1 || skip <= 0)
			continue;
		p += skip;
		if ((int)t == type && strcmp(p, path) == 0)
			stale = 0;
	}
	fclose(f);
	return stale;
}

static int set_options(int fd, int family, int type)
{
	int one = 1;

	if (family == AF_UNIX)
		return 0;
	if (type == SOCK_STREAM) {
		/* TIME_WAIT is a TCP matter. On UDP, SO_REUSEADDR would let a
		 * second instance bind the same port: never set it there. */
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
			return -errno;
		return 0;
	}
	if (family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		return -errno;
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

int net_listen(const struct addr *a, int type, int backlog, struct addr *bound, char *err,
               size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int family = addr_family(a), fd, rc, e;

	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_at(err, errlen, "socket", a, errno);
	rc = set_options(fd, family, type);
	if (rc < 0) {
		close(fd);
		return fail_at(err, errlen, "setsockopt", a, -rc);
	}
	rc = bind(fd, (const struct sockaddr *)&a->ss, a->len);
	e = rc < 0 ? errno : 0;
	if (e == EADDRINUSE && family == AF_UNIX && unix_socket_is_stale(a, type)) {
		unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
		rc = bind(fd, (const struct sockaddr *)&a->ss, a->len);
		e = rc < 0 ? errno : 0;
	}
	if (rc < 0) {
		close(fd);
		return fail_at(err, errlen, "bind", a, e);
	}
	if (type == SOCK_STREAM && listen(fd, backlog) < 0) {
		e = errno;
		close(fd);
		return fail_at(err, errlen, "listen", a, e);
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		e = errno;
		close(fd);
		return fail_at(err, errlen, "getsockname", a, e);
	}
	if (family == AF_UNIX)
		*bound = *a; /* getsockname may shorten the path length */
	else
		addr_from_sockaddr(bound, (struct sockaddr *)&ss, sslen);
	return fd;
}

int net_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int net_wait(int fd, short events, int timeout_ms, const sigset_t *mask)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	struct timespec ts, *tsp = NULL;
	int rc;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	rc = ppoll(&pfd, 1, tsp, mask);
	if (rc < 0)
		return -errno;
	return rc > 0 ? 1 : 0;
}

int net_send_all(int fd, const uint8_t *buf, size_t len, int stall_ms, const sigset_t *mask)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		n = net_wait(fd, POLLOUT, stall_ms, mask);
		if (n <= 0)
			return n < 0 ? (int)n : -ETIMEDOUT;
	}
	return 0;
}

ssize_t net_recv(int fd, uint8_t *buf, size_t cap)
{
	ssize_t n;

	do
		n = recv(fd, buf, cap, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

long net_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return (long)rl.rlim_cur;
}

/* Milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void net_lingering_close(int fd, size_t max_bytes, int linger_ms, const sigset_t *mask)
{
	uint8_t sink[4096];
	long long deadline = now_ms() + linger_ms;
	size_t total = 0;

	if (shutdown(fd, SHUT_WR) == 0) {
		while (total < max_bytes) {
			long long left = deadline - now_ms();
			ssize_t n;
			if (left <= 0 || net_wait(fd, POLLIN, (int)left, mask) <= 0)
				break;
			n = net_recv(fd, sink, sizeof(sink));
			if (n <= 0 && n != -EAGAIN)
				break;
			if (n > 0)
				total += (size_t)n;
		}
	}
	close(fd);
}
