/* SPDX-License-Identifier: MIT */
/*
 * /proc readers for the target supervisor (see procfs.h). The formats
 * are the kernel's seq_file output: fixed columns separated by spaces,
 * addresses as hex 32-bit words in host byte order.
 */
#include "procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_PROC 512 /* longer than any line of the tables read here */

/* The kernel prints each 32-bit word of the address with %08X. */
static void decode_hex_addr(const char *hex, size_t hexlen, unsigned char *out)
{
	char part[9];
	uint32_t w;

	for (size_t i = 0; i < hexlen / 8; i++) {
		memcpy(part, hex + 8 * i, 8);
		part[8] = '\0';
		w = (uint32_t)strtoul(part, NULL, 16);
		memcpy(out + 4 * i, &w, 4);
	}
}

int procfs_parse_inet_row(const char *line, struct procfs_inet_row *out)
{
	char hex[33];
	unsigned port, state;
	int n = -1;
	size_t hexlen;

	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%4x %*[0-9A-Fa-f]:%*x %2x%n", hex, &port, &state,
	           &n) != 3 ||
	    n < 0)
		return -1;
	hexlen = strlen(hex);
	if (hexlen != 8 && hexlen != 32)
		return -1;
	memset(out, 0, sizeof(*out));
	out->addr_len = hexlen / 2;
	decode_hex_addr(hex, hexlen, out->addr);
	out->port = (uint16_t)port;
	out->state = state;
	return 0;
}

int procfs_parse_unix_row(const char *line, struct procfs_unix_row *out)
{
	unsigned flags, type;
	int n = -1;

	/* Num: RefCount Protocol Flags Type St Inode [Path] */
	if (sscanf(line, "%*x: %*x %*x %x %x %*x %*u%n", &flags, &type, &n) != 2 || n < 0)
		return -1;
	line += n;
	while (*line == ' ')
		line++;
	out->flags = flags;
	out->type = type;
	out->path = line;
	out->path_len = strcspn(line, "\n");
	return 0;
}

int procfs_parse_stat_ppid(const char *text, long *ppid)
{
	const char *p = strrchr(text, ')');

	/* "PID (COMM) STATE PPID ..." */
	return p && sscanf(p + 1, " %*c %ld", ppid) == 1 ? 0 : -1;
}

static FILE *open_proc(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

/* Loopback or wildcard address that a client of family reaches. */
static int reachable(int family, const struct procfs_inet_row *r)
{
	static const unsigned char any[16],
	    lo4[4] = {127, 0, 0, 1}, lo6[16] = {[15] = 1},
	    mapped_lo4[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};

	if (r->addr_len == 4)
		return family == AF_INET && (!memcmp(r->addr, any, 4) || !memcmp(r->addr, lo4, 4));
	return !memcmp(r->addr, any, 16) ||
	       !memcmp(r->addr, family == AF_INET6 ? lo6 : mapped_lo4, 16);
}

static int table_has(const char *path, int family, int type, uint16_t port)
{
	char line[LINE_MAX_PROC];
	struct procfs_inet_row r;
	int found = 0;
	FILE *f = open_proc(path);

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = procfs_parse_inet_row(line, &r) == 0 && r.port == port &&
		        (type != SOCK_STREAM || r.state == PROCFS_TCP_LISTEN) &&
		        reachable(family, &r);
	fclose(f);
	return found;
}

int procfs_inet_bound(int family, int type, uint16_t port)
{
	int stream = type == SOCK_STREAM, v4 = 0, v6;

	if (family == AF_INET) {
		v4 = table_has(stream ? "/proc/net/tcp" : "/proc/net/udp", family, type, port);
		if (v4 > 0)
			return 1;
	}
	/* An IPv4 client also reaches a dual-stack socket bound to [::]. */
	v6 = table_has(stream ? "/proc/net/tcp6" : "/proc/net/udp6", family, type, port);
	if (v6 >= 0 || family != AF_INET)
		return v6;
	return v4; /* no IPv6 table (IPv6 disabled): what the IPv4 one said */
}

int procfs_unix_bound(const char *path, int type)
{
	char line[LINE_MAX_PROC];
	struct procfs_unix_row r;
	size_t len = strlen(path);
	int found = 0;
	FILE *f = open_proc("/proc/net/unix");

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = procfs_parse_unix_row(line, &r) == 0 && r.path_len == len &&
		        memcmp(r.path, path, len) == 0 &&
		        (type != SOCK_STREAM || (r.flags & PROCFS_UNIX_LISTENING));
	fclose(f);
	return found;
}

long procfs_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	long n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	errno = 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	if (errno)
		n = -errno;
	closedir(d);
	return n;
}

long procfs_thread_count(pid_t pid)
{
	char path[64], line[LINE_MAX_PROC];
	long n = -EIO;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = open_proc(path);
	if (!f)
		return -errno;
	while (n < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %ld", &n) != 1)
			n = -EIO;
	fclose(f);
	return n;
}

/* Parent of process `name` (a /proc entry), or -errno. */
static long read_ppid(const char *name)
{
	char path[64], buf[1024];
	ssize_t n;
	long ppid;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return procfs_parse_stat_ppid(buf, &ppid) == 0 ? ppid : -EIO;
}

long procfs_child_count(pid_t pid)
{
	struct dirent *e;
	DIR *d = opendir("/proc");
	long n = 0;

	if (!d)
		return -errno;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		/* A process that vanished meanwhile is simply not counted. */
		if (isdigit((unsigned char)e->d_name[0]) && read_ppid(e->d_name) == pid)
			n++;
		errno = 0;
	}
	if (errno)
		n = -errno;
	closedir(d);
	return n;
}
