/* SPDX-License-Identifier: MIT */
/*
 * badnet: the plumbing the wrong servers of targets/ share (the command
 * line, addresses, the bound socket, the readiness line, the stop
 * signals), so that each bad-*.c holds only its protocol and its planted
 * defects. Like them it links nothing from reference/: a bug in the
 * reference's shared code must not make a wrong server agree with it.
 * Everything here is correct on purpose; defects are switched on only by
 * the flags a caller passes.
 */
#ifndef BADNET_H
#define BADNET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

#define BADNET_TEXT_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) + 16)
#define BADNET_ERR_MAX  (BADNET_TEXT_MAX + 128)

/* A socket address as parsed from the command line. */
struct badnet_addr {
	struct sockaddr_storage ss; /* the address */
	socklen_t len;              /* bytes of ss in use */
};

/* What the command line said; strings point into argv. */
struct badnet_opts {
	const char *prog;         /* program name, for messages */
	const char *defect;       /* value of -d/--defect, or NULL */
	const char *mode;         /* value of -m/--mode, or NULL */
	int allow_mode;           /* whether -m/--mode is an option at all */
	uint16_t port;            /* default port in, chosen port out */
	struct badnet_addr addr;  /* where to listen */
	void (*usage)(FILE *out); /* prints the program's --help */
};

/* Options of the bound socket. */
enum badnet_flags {
	BADNET_REUSEADDR = 1, /* set SO_REUSEADDR (not on Unix sockets) */
	BADNET_REUSEPORT = 2, /* set SO_REUSEPORT (a defect everywhere) */
};

/* A port number, 0 to 65535. Returns 0, or -1 if text is not one. */
int badnet_parse_port(const char *text, uint16_t *port);

/* ADDR (127.0.0.1, ::1, [::1]:PORT, 127.0.0.1:PORT, unix:PATH) into a;
 * port is used unless ADDR names one. Returns 0 or -1. */
int badnet_parse_addr(const char *text, uint16_t port, struct badnet_addr *a);

/* Parses -d/--defect, -m/--mode (when allowed), -p/--port, -b/--bind and
 * -h/--help into o. Returns -1 to go on, else the status to exit with
 * (0 after --help, 2 after a usage error, which it reports on stderr). */
int badnet_parse_args(int argc, char **argv, struct badnet_opts *o);

/* Prints "PROG: WHAT "ARG" (try --help)" and returns 2. */
int badnet_bad_usage(const char *prog, const char *what, const char *arg);

/* Opens a socket of type (SOCK_STREAM or SOCK_DGRAM) bound to a, listening
 * with backlog when it is a stream, and writes the bound address to text
 * ("127.0.0.1:PORT", "[::1]:PORT", "unix:PATH"). A stale Unix socket file
 * is replaced. Returns the fd, or -1 with err set to "bind(ADDR): REASON". */
int badnet_open(const struct badnet_addr *a, int type, int backlog, unsigned flags, char *text,
                size_t textlen, char *err, size_t errlen);

/* Formats an address as the readiness line shows it. */
char *badnet_format(const struct sockaddr_storage *ss, char *out, size_t outlen);

/* Ignores SIGPIPE (or leaves it at its default when sigpipe_default),
 * ignores SIGTERM when ignore_term, and blocks the stop signals (SIGINT,
 * SIGTERM unless ignored) in this thread and the threads it starts; stop
 * receives them for badnet_wait_stop(). Returns 0 or -1 (errno set). */
int badnet_signals(int ignore_term, int sigpipe_default, sigset_t *stop);

/* Prints "listening on TEXT" to stdout and flushes. Returns 0 or -1. */
int badnet_announce(const char *prog, const char *text);

/* Waits for a stop signal, removes a Unix socket's path and returns the
 * exit status: 0, or 1 when sigwait fails. */
int badnet_wait_stop(const char *prog, sigset_t *stop, const struct badnet_addr *a);

/* Removes a Unix socket's path; nothing for other families. */
void badnet_unlink(const struct badnet_addr *a);

/* Sends all of buf (MSG_NOSIGNAL, EINTR retried). Returns 0, or -1 on
 * an error or a peer that is gone. */
int badnet_write_all(int fd, const void *buf, size_t len);

/* Accepts one connection on lfd. Returns its fd, or -1 after a transient
 * error (out of fds or memory: reported and waited out for 100 ms); on
 * an error that will not go away, reports it, removes a's Unix socket
 * path and exits 1. */
int badnet_accept(const char *prog, int lfd, const struct badnet_addr *a);

/* Sleeps ms milliseconds, resuming after signals. */
void badnet_sleep_ms(long ms);

#endif
