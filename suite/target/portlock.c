/* SPDX-License-Identifier: MIT */
/* Ports for launched targets: see portlock.h. */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include "portlock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"
#define TRIES      64
#define MIN_PORTS  1024

int portlock_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	unsigned first, last;

	if (sscanf(text, "%u %u", &first, &last) != 2 || first > last || last > 65535 ||
	    first < 1024 + 2 * MIN_PORTS)
		return -1;
	*lo = (uint16_t)(first / 2 > 1024 ? first / 2 : 1024);
	*hi = (uint16_t)(first - 1);
	return 0;
}

void portlock_init(struct portlock *pl)
{
	pl->fd = -1;
	pl->port = 0;
}

static int lock_byte(int fd, uint16_t port, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = port;
	fl.l_len = 1;
	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

static void unlock(struct portlock *pl)
{
	if (pl->fd >= 0 && pl->port)
		(void)lock_byte(pl->fd, pl->port, F_UNLCK);
	pl->port = 0;
}

/* The lock file, opened once; without it ports are picked unlocked. */
static void open_lock_file(struct portlock *pl)
{
	if (pl->fd >= 0)
		return;
	pl->fd = open(PORTLOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (pl->fd >= 0)
		(void)fchmod(pl->fd, 0666); /* other users' runs lock it too; fails if not ours */
}

/* Binds PORT (0: any) on loopback; the port bound, or -errno. */
static int probe(int family, int type, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(port);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons(port);
		len = sizeof(*s4);
	}
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		rc = -errno;
	else
		rc = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                              : ((struct sockaddr_in *)&ss)->sin_port);
	close(fd);
	return rc;
}

static uint32_t random32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	return (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
}

static int read_range(uint16_t *lo, uint16_t *hi)
{
	char text[64];
	ssize_t n;
	int fd = open(RANGE_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return portlock_range(text, lo, hi);
}

int portlock_try(struct portlock *pl, int family, int type, uint16_t port)
{
	int rc;

	unlock(pl);
	open_lock_file(pl);
	if (pl->fd >= 0 && (rc = lock_byte(pl->fd, port, F_WRLCK)) < 0) {
		if (rc == -EAGAIN || rc == -EACCES)
			return -EAGAIN; /* another run holds it */
		close(pl->fd);          /* no OFD locks here: go on unlocked */
		pl->fd = -1;
	}
	pl->port = port;
	rc = probe(family, type, port);
	if (rc < 0)
		unlock(pl);
	return rc < 0 ? rc : 0;
}

int portlock_pick(struct portlock *pl, int family, int type, uint16_t *port)
{
	uint16_t lo, hi;
	int rc = -EADDRINUSE;

	unlock(pl);
	if (read_range(&lo, &hi) < 0) {
		rc = probe(family, type, 0); /* no room below: the kernel's choice */
		if (rc > 0)
			*port = (uint16_t)rc;
		return rc > 0 ? 0 : rc;
	}
	for (int i = 0; i < TRIES; i++) {
		uint16_t p = (uint16_t)(lo + random32() % ((uint32_t)hi - lo + 1));

		rc = portlock_try(pl, family, type, p);
		if (rc == 0) {
			*port = p;
			return 0;
		}
	}
	return rc;
}

void portlock_release(struct portlock *pl)
{
	unlock(pl);
	if (pl->fd >= 0)
		close(pl->fd);
	pl->fd = -1;
}
