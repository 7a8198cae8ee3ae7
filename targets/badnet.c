/* SPDX-License-Identifier: MIT */
/*
 * badnet: command line, addresses, bound socket, readiness line and stop
 * signals for the wrong servers of targets/ (see badnet.h). Correct on
 * purpose: the planted defects live in each server's own file.
 */
#define _GNU_SOURCE
#include "badnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int badnet_parse_port(const char *text, uint16_t *port)
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

static int parse_unix(const char *path, struct badnet_addr *a)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sun->sun_path))
		return -1;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n + 1);
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int badnet_parse_addr(const char *text, uint16_t port, struct badnet_addr *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *end, *port_text = NULL;
	size_t hlen;

	memset(&a->ss, 0, sizeof(a->ss));
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, a);
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
	if (hlen >= sizeof(host) || (port_text && badnet_parse_port(port_text, &port) < 0))
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int badnet_bad_usage(const char *prog, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s \"%s\" (try --help)\n", prog, what, arg);
	return 2;
}

int badnet_parse_args(int argc, char **argv, struct badnet_opts *o)
{
	const char *bind_text = "127.0.0.1", *port_text = NULL;

	for (int i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			o->usage(stdout);
			return 0;
		}
		if (!val)
			return badnet_bad_usage(o->prog, "missing value or unknown option", opt);
		if (strcmp(opt, "-d") == 0 || strcmp(opt, "--defect") == 0)
			o->defect = val;
		else if (o->allow_mode && (strcmp(opt, "-m") == 0 || strcmp(opt, "--mode") == 0))
			o->mode = val;
		else if (strcmp(opt, "-p") == 0 || strcmp(opt, "--port") == 0)
			port_text = val;
		else if (strcmp(opt, "-b") == 0 || strcmp(opt, "--bind") == 0)
			bind_text = val;
		else
			return badnet_bad_usage(o->prog, "unknown option", opt);
	}
	if (!o->defect)
		return badnet_bad_usage(o->prog, "missing option", "--defect NAME");
	if (port_text && badnet_parse_port(port_text, &o->port) < 0)
		return badnet_bad_usage(o->prog, "bad port", port_text);
	if (badnet_parse_addr(bind_text, o->port, &o->addr) < 0)
		return badnet_bad_usage(
		    o->prog, "bad address (expected IPv4, IPv6, [IPV6]:PORT or unix:PATH)",
		    bind_text);
	return -1;
}

char *badnet_format(const struct sockaddr_storage *ss, char *out, size_t outlen)
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
	return out;
}

/* A Unix socket file no socket is bound to is left over from a dead run.
 * Found in /proc/net/unix, not by connecting: a probe connection would
 * be the one connection of a once server listening there. */
static int unix_is_stale(const struct badnet_addr *a)
{
	const char *path = ((const struct sockaddr_un *)&a->ss)->sun_path;
	size_t plen = strlen(path);
	char line[512];
	struct stat st;
	FILE *f;
	int live = 0;

	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	f = fopen("/proc/net/unix", "re");
	if (!f)
		return 0; /* cannot tell: leave the file alone */
	while (!live && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		live = n > plen && line[n - plen - 1] == ' ' &&
		       memcmp(line + n - plen, path, plen) == 0;
	}
	fclose(f);
	return !live;
}

static int set_opts(int fd, const struct badnet_addr *a, unsigned flags, char *err, size_t errlen)
{
	int one = 1;

	if (a->ss.ss_family == AF_UNIX)
		return 0;
	if ((flags & BADNET_REUSEADDR) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "setsockopt(SO_REUSEADDR): %s", strerror(errno));
		return -1;
	}
	if ((flags & BADNET_REUSEPORT) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "setsockopt(SO_REUSEPORT): %s", strerror(errno));
		return -1;
	}
	return 0;
}

int badnet_open(const struct badnet_addr *a, int type, int backlog, unsigned flags, char *text,
                size_t textlen, char *err, size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	const char *call = "socket";
	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0), e;

	badnet_format(&a->ss, text, textlen);
	if (fd < 0)
		goto fail;
	if (set_opts(fd, a, flags, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	call = "bind";
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		if (errno != EADDRINUSE || a->ss.ss_family != AF_UNIX || !unix_is_stale(a))
			goto fail;
		unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
		if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
			goto fail;
	}
	call = "listen";
	if (type == SOCK_STREAM && listen(fd, backlog) < 0)
		goto fail;
	call = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0)
		goto fail;
	if (a->ss.ss_family != AF_UNIX) /* the port the kernel chose for 0 */
		badnet_format(&bound, text, textlen);
	return fd;
fail:
	e = errno;
	snprintf(err, errlen, "%s(%s): %s", call, text, strerror(e));
	if (fd >= 0)
		close(fd);
	return -1;
}

int badnet_signals(int ignore_term, int sigpipe_default, sigset_t *stop)
{
	struct sigaction sa;
	sigset_t pipe_set;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sigpipe_default ? SIG_DFL : SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (sigprocmask(SIG_UNBLOCK, &pipe_set, NULL) < 0)
		return -1;
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sa.sa_handler = SIG_IGN;
	if (ignore_term) {
		if (sigaction(SIGTERM, &sa, NULL) < 0)
			return -1;
	} else {
		sigaddset(stop, SIGTERM);
	}
	return sigprocmask(SIG_BLOCK, stop, NULL);
}

int badnet_announce(const char *prog, const char *text)
{
	printf("listening on %s\n", text);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: stdout: %s\n", prog, strerror(errno));
		return -1;
	}
	return 0;
}

void badnet_unlink(const struct badnet_addr *a)
{
	if (a->ss.ss_family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
}

int badnet_wait_stop(const char *prog, sigset_t *stop, const struct badnet_addr *a)
{
	int rc, signo;

	do
		rc = sigwait(stop, &signo);
	while (rc == EINTR);
	if (rc != 0) {
		fprintf(stderr, "%s: sigwait: %s\n", prog, strerror(rc));
		return 1;
	}
	/* Leaving ends every thread; the kernel closes the sockets. Only a
	 * Unix socket's path needs removing. */
	badnet_unlink(a);
	return 0;
}

int badnet_write_all(int fd, const void *buf, size_t len)
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

int badnet_accept(const char *prog, int lfd, const struct badnet_addr *a)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return -1;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Out of fds or memory: say so, let connections drain, retry. */
		fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
		badnet_sleep_ms(100);
		return -1;
	default:
		fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
		badnet_unlink(a);
		exit(1);
	}
}

void badnet_sleep_ms(long ms)
{
	struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}
