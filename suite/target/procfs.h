/* SPDX-License-Identifier: MIT */
/*
 * procfs: what the runner learns about a target from Linux /proc. Whether
 * a socket is bound (UDP, Unix datagram) or listening (TCP, Unix stream)
 * comes from the /proc/net tables: reading them, unlike connecting, does
 * not use up the one connection of a server that serves only one. How
 * many fds, threads and child processes a process has comes from
 * /proc/PID. The line parsers are pure and exported for the tests; the
 * readers return 0 or a count, or -errno.
 */
#ifndef SOCKSPEC_PROCFS_H
#define SOCKSPEC_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCFS_TCP_LISTEN     0x0A    /* st of a listening socket in /proc/net/tcp */
#define PROCFS_UNIX_LISTENING 0x10000 /* Flags bit (__SO_ACCEPTCON) in /proc/net/unix */

/* One row of /proc/net/tcp, tcp6, udp or udp6. */
struct procfs_inet_row {
	unsigned char addr[16]; /* local address, network byte order */
	size_t addr_len;        /* 4 (IPv4 tables) or 16 (IPv6 tables) */
	uint16_t port;          /* local port */
	unsigned state;         /* st: 0x0A TCP LISTEN, 0x07 an unconnected UDP socket */
	unsigned long inode;    /* the socket's inode (0 when the line has none) */
};

/* One row of /proc/net/unix. */
struct procfs_unix_row {
	unsigned flags;      /* Flags column; PROCFS_UNIX_LISTENING when listening */
	unsigned type;       /* Type: 1 stream, 2 datagram, 5 seqpacket */
	const char *path;    /* Path: points into the parsed line, "" for none */
	size_t path_len;     /* bytes of path, without the line's newline */
	unsigned long inode; /* the socket's inode */
};

/* What /proc/PID/stat says of a process. */
struct procfs_proc {
	pid_t pid;     /* process id */
	pid_t ppid;    /* parent */
	pid_t pgid;    /* process group */
	char state;    /* R, S, D, Z, T, ... */
	char comm[17]; /* command name (TASK_COMM_LEN), NUL-terminated */
};

#define PROCFS_PF_EXITING 0x4u /* the kernel's flag of a task in exit() */

/* How pid is ending, from /proc/PID/stat: 1 when it is a zombie (exited,
 * not reaped yet), with *wstatus as waitpid() gives it (its exit_code
 * field); 2 while it is exiting (its fds are being closed); 0 when it
 * runs, or cannot be read. */
int procfs_exit_status(pid_t pid, int *wstatus);

/* Parses one line of /proc/net/{tcp,udp}[6]. Returns 0, or -1 for the
 * header line and anything malformed. */
int procfs_parse_inet_row(const char *line, struct procfs_inet_row *out);

/* Parses one line of /proc/net/unix. Returns 0, or -1 for the header
 * line and anything malformed. */
int procfs_parse_unix_row(const char *line, struct procfs_unix_row *out);

/* Parent pid from the text of /proc/PID/stat, read after the LAST ')' so
 * that a command name holding spaces or parentheses cannot shift the
 * fields. Returns 0, or -1 when malformed. */
int procfs_parse_stat_ppid(const char *text, long *ppid);

/* Parses the text of /proc/PID/stat into *out. Returns 0, or -1 when
 * malformed. */
int procfs_parse_stat(const char *text, struct procfs_proc *out);

/* 1 if a socket of type (SOCK_STREAM: listening; SOCK_DGRAM: bound; 0:
 * either) sits
 * on port at a loopback or wildcard address that clients of family
 * (AF_INET or AF_INET6) reach, else 0; -errno if no table was readable. */
int procfs_inet_bound(int family, int type, uint16_t port);

/* 1 if /proc/net/unix lists path (SOCK_STREAM: with the listening flag),
 * else 0; -errno if the table was not readable. */
int procfs_unix_bound(const char *path, int type);

/* Inode of the socket that procfs_inet_bound() / procfs_unix_bound()
 * would find (the first one), 0 when there is none, or -errno. */
long procfs_inet_inode(int family, int type, uint16_t port);
long procfs_unix_inode(const char *path, int type);

/* The backlog (listen()'s, as the kernel capped it) of the TCP socket
 * listening on port that a client of `family` reaches; -ENOENT when
 * there is none, or -errno when the kernel cannot be asked (sock_diag). */
long procfs_listen_backlog(int family, uint16_t port);

/* 1 if process pid has an fd on socket `inode`, else 0 (gone: 0). */
int procfs_holds_socket(pid_t pid, unsigned long inode);

/* Every process (its stat) into *out, a malloc'd array of *n. Returns 0
 * or -errno. Processes that vanish during the scan are left out. */
int procfs_processes(struct procfs_proc **out, size_t *n);

/* Sets mine[i] (n flags) to 1 for every process of the list that
 * descends from root (root itself excluded), else 0. */
void procfs_mark_descendants(const struct procfs_proc *all, size_t n, pid_t root, char *mine);

/* Entries of /proc/PID/fd. Returns the count or -errno. */
long procfs_fd_count(pid_t pid);

/* The number after "KEY:" in /proc/PID/status (VmRSS: in KiB). Returns
 * it, or -errno (-EIO when the line is missing or not a number). */
long procfs_status_value(pid_t pid, const char *key);

/* Threads: of /proc/PID/status. Returns the count or -errno. */
long procfs_thread_count(pid_t pid);

/* Memory mappings of pid: lines of /proc/PID/maps, or -errno. */
long procfs_map_count(pid_t pid);

/* Processes whose parent is pid (a scan of /proc/N/stat). Returns the
 * count or -errno. */
long procfs_child_count(pid_t pid);

#endif
