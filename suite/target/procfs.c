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
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
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

	unsigned long inode = 0;

	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%4x %*[0-9A-Fa-f]:%*x %2x%n", hex, &port, &state,
	           &n) != 3 ||
	    n < 0)
		return -1;
	/* tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode */
	if (sscanf(line + n, " %*x:%*x %*x:%*x %*x %*u %*u %lu", &inode) != 1)
		inode = 0;
	hexlen = strlen(hex);
	if (hexlen != 8 && hexlen != 32)
		return -1;
	memset(out, 0, sizeof(*out));
	out->addr_len = hexlen / 2;
	decode_hex_addr(hex, hexlen, out->addr);
	out->port = (uint16_t)port;
	out->state = state;
	out->inode = inode;
	return 0;
}

int procfs_parse_unix_row(const char *line, struct procfs_unix_row *out)
{
	unsigned flags, type;
	unsigned long inode;
	int n = -1;

	/* Num: RefCount Protocol Flags Type St Inode [Path] */
	if (sscanf(line, "%*x: %*x %*x %x %x %*x %lu%n", &flags, &type, &inode, &n) != 3 || n < 0)
		return -1;
	line += n;
	while (*line == ' ')
		line++;
	out->flags = flags;
	out->type = type;
	out->inode = inode;
	out->path = line;
	out->path_len = strcspn(line, "\n");
	return 0;
}

int procfs_parse_stat(const char *text, struct procfs_proc *out)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	long pid, ppid, pgid;
	size_t len;
	char state;

	/* "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and ')' */
	if (!open || !close || close < open || sscanf(text, "%ld", &pid) != 1 ||
	    sscanf(close + 1, " %c %ld %ld", &state, &ppid, &pgid) != 3)
		return -1;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, len);
	out->comm[len] = '\0';
	out->pid = (pid_t)pid;
	out->ppid = (pid_t)ppid;
	out->pgid = (pid_t)pgid;
	out->state = state;
	return 0;
}

int procfs_parse_stat_ppid(const char *text, long *ppid)
{
	struct procfs_proc p;

	if (procfs_parse_stat(text, &p) < 0)
		return -1;
	*ppid = p.ppid;
	return 0;
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

/* Inode (or 1 when the row has none) of the first matching socket in
 * the table at path, 0 if none, -errno if unreadable. */
static long table_find(const char *path, int family, int type, uint16_t port)
{
	char line[LINE_MAX_PROC];
	struct procfs_inet_row r;
	long found = 0;
	FILE *f = open_proc(path);

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		if (procfs_parse_inet_row(line, &r) == 0 && r.port == port &&
		    (type != SOCK_STREAM || r.state == PROCFS_TCP_LISTEN) && reachable(family, &r))
			found = r.inode ? (long)r.inode : 1;
	fclose(f);
	return found;
}

/* The same question as table_find() put to the kernel's sock_diag
 * netlink interface, which hands over the listening TCP sockets (or all
 * UDP ones) only: a /proc/net/tcp full of TIME_WAIT lines costs
 * milliseconds to read, and readiness is polled every 10 ms. Returns
 * the inode, 0, or -errno when netlink cannot be used. */
static long diag_find(int table, int family, int type, uint16_t port, long *backlog)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q = {.nh = {.nlmsg_len = sizeof(q),
	              .nlmsg_type = SOCK_DIAG_BY_FAMILY,
	              .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	       .req = {.sdiag_family = (uint8_t)table,
	               .sdiag_protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP,
	               .idiag_states = type == SOCK_STREAM ? 1u << PROCFS_TCP_LISTEN : ~0u}};
	long buf[8192 / sizeof(long)], found = 0;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), done = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (send(fd, &q, sizeof(q), 0) < 0) {
		found = -errno;
		done = 1;
	}
	while (!done && (n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			found = -errno;
			break;
		}
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			struct procfs_inet_row r = {.addr_len = table == AF_INET ? 4 : 16};
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				if (h->nlmsg_type == NLMSG_ERROR && !found)
					found = -EPROTO;
				break;
			}
			memcpy(r.addr, m->id.idiag_src, r.addr_len);
			if (!found && ntohs(m->id.idiag_sport) == port && reachable(family, &r)) {
				found = m->idiag_inode ? (long)m->idiag_inode : 1;
				*backlog = (long)m->idiag_wqueue; /* a listener's: its backlog */
			}
		}
	}
	close(fd);
	return found;
}

/* Inode of a socket in one family's table, by netlink or else from /proc. */
static long inet_find(int table, int family, int type, uint16_t port)
{
	long backlog;
	long found = diag_find(table, family, type, port, &backlog);

	if (found >= 0)
		return found;
	if (table == AF_INET)
		return table_find(type == SOCK_STREAM ? "/proc/net/tcp" : "/proc/net/udp", family,
		                  type, port);
	return table_find(type == SOCK_STREAM ? "/proc/net/tcp6" : "/proc/net/udp6", family, type,
	                  port);
}

long procfs_inet_inode(int family, int type, uint16_t port)
{
	long v4 = 0, v6;

	if (type == 0) { /* either: a listening stream socket, else a datagram one */
		v4 = procfs_inet_inode(family, SOCK_STREAM, port);
		return v4 != 0 ? v4 : procfs_inet_inode(family, SOCK_DGRAM, port);
	}
	if (family == AF_INET) {
		v4 = inet_find(AF_INET, family, type, port);
		if (v4 > 0)
			return v4;
	}
	/* An IPv4 client also reaches a dual-stack socket bound to [::]. */
	v6 = inet_find(AF_INET6, family, type, port);
	if (v6 >= 0 || family != AF_INET)
		return v6;
	return v4; /* no IPv6 table (IPv6 disabled): what the IPv4 one said */
}

long procfs_listen_backlog(int family, uint16_t port)
{
	long backlog = -ENOENT, found = 0;

	if (family == AF_INET)
		found = diag_find(AF_INET, family, SOCK_STREAM, port, &backlog);
	if (found == 0)
		found = diag_find(AF_INET6, family, SOCK_STREAM, port, &backlog);
	return found < 0 ? found : found == 0 ? -ENOENT : backlog;
}

int procfs_inet_bound(int family, int type, uint16_t port)
{
	long inode = procfs_inet_inode(family, type, port);

	return inode < 0 ? (int)inode : inode > 0;
}

long procfs_unix_inode(const char *path, int type)
{
	char line[LINE_MAX_PROC];
	struct procfs_unix_row r;
	size_t len = strlen(path);
	long found = 0;
	FILE *f = open_proc("/proc/net/unix");

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		if (procfs_parse_unix_row(line, &r) == 0 && r.path_len == len &&
		    memcmp(r.path, path, len) == 0 &&
		    (type == SOCK_DGRAM || (r.flags & PROCFS_UNIX_LISTENING) ||
		     (type == 0 && r.type != 1))) /* 0: a listening or a datagram socket */
			found = r.inode ? (long)r.inode : 1;
	fclose(f);
	return found;
}

int procfs_unix_bound(const char *path, int type)
{
	long inode = procfs_unix_inode(path, type);

	return inode < 0 ? (int)inode : inode > 0;
}

int procfs_holds_socket(pid_t pid, unsigned long inode)
{
	char path[64], link[64], want[40];
	struct dirent *e;
	DIR *d;
	int found = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(d);
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

long procfs_map_count(pid_t pid)
{
	char path[64], line[LINE_MAX_PROC];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	f = open_proc(path);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strchr(line, '\n')) /* a path longer than the buffer: one line still */
			n++;
	if (ferror(f))
		n = -EIO;
	fclose(f);
	return n;
}

long procfs_status_value(pid_t pid, const char *key)
{
	char path[64], line[LINE_MAX_PROC];
	size_t klen = strlen(key);
	long n = -EIO;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = open_proc(path);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			if (sscanf(line + klen + 1, "%ld", &n) != 1)
				n = -EIO;
			break;
		}
	}
	fclose(f);
	return n;
}

long procfs_thread_count(pid_t pid)
{
	return procfs_status_value(pid, "Threads");
}

/* Reads /proc/NAME/stat into buf (cap bytes, NUL-terminated). Returns
 * 0 or -errno. */
static int read_stat(const char *name, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

int procfs_exit_status(pid_t pid, int *wstatus)
{
	char name[24], buf[1024];
	const char *paren, *p;
	unsigned long flags = 0;
	int field;

	snprintf(name, sizeof(name), "%ld", (long)pid);
	if (read_stat(name, buf, sizeof(buf)) < 0)
		return 0;
	paren = strrchr(buf, ')');
	if (!paren || paren[1] != ' ')
		return 0;
	/* After "(COMM) ", field 3 is the state, 9 the flags, 52 exit_code. */
	for (p = paren + 2, field = 3; p && field < 52; field++) {
		if (field == 9 && sscanf(p, "%lu", &flags) != 1)
			return 0;
		if ((p = strchr(p, ' ')))
			p++;
	}
	if (paren[2] == 'Z')
		return p && sscanf(p, "%d", wstatus) == 1 ? 1 : 0;
	return flags & PROCFS_PF_EXITING ? 2 : 0;
}

/* Parent of process `name` (a /proc entry), or -errno. */
static long read_ppid(const char *name)
{
	char buf[1024];
	long ppid;
	int rc = read_stat(name, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	return procfs_parse_stat_ppid(buf, &ppid) == 0 ? ppid : -EIO;
}

int procfs_processes(struct procfs_proc **out, size_t *n)
{
	struct procfs_proc *all = NULL, *grown;
	size_t count = 0, cap = 0;
	struct dirent *e;
	char buf[1024];
	DIR *d = opendir("/proc");
	int rc = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]) ||
		    read_stat(e->d_name, buf, sizeof(buf)) < 0)
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			all = grown;
		}
		if (procfs_parse_stat(buf, &all[count]) == 0)
			count++;
	}
	closedir(d);
	if (rc < 0) {
		free(all);
		return rc;
	}
	*out = all;
	*n = count;
	return 0;
}

void procfs_mark_descendants(const struct procfs_proc *all, size_t n, pid_t root, char *mine)
{
	int more = 1;

	memset(mine, 0, n);
	while (more) { /* one pass per generation */
		more = 0;
		for (size_t i = 0; i < n; i++) {
			if (mine[i] || all[i].pid == root)
				continue;
			if (all[i].ppid == root)
				mine[i] = more = 1;
			for (size_t j = 0; !mine[i] && j < n; j++)
				if (mine[j] && all[j].pid == all[i].ppid)
					mine[i] = more = 1;
		}
	}
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
