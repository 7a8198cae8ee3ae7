/* SPDX-License-Identifier: MIT */
/*
 * bad_listen: the plumbing that bad-ok and bad-accept-close share and
 * get right (addresses, the listening socket, stop signals, full
 * writes), so that each planted defect is the only thing wrong with
 * them. Like the rest of targets/, it uses nothing from reference/.
 */
#ifndef BAD_LISTEN_H
#define BAD_LISTEN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define BAD_TEXT_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) + 16)
#define BAD_ERR_MAX  (BAD_TEXT_MAX + 128)

/* Where to listen and how. */
struct bad_listen {
	struct sockaddr_storage addr; /* where to listen */
	socklen_t addrlen;            /* bytes of addr in use */
	int reuseaddr;                /* set SO_REUSEADDR (TCP only) */
	int reuseport;                /* set SO_REUSEPORT (TCP only): a planted defect */
	int backlog;                  /* listen() backlog */
};

/* Parses ADDR: 127.0.0.1, ::1, 127.0.0.1:PORT, [::1]:PORT or unix:PATH.
 * port is used unless ADDR names one. Returns 0, or -1 if ADDR is bad. */
int bad_parse_addr(const char *text, uint16_t port, struct bad_listen *l);

/* Parses a decimal port (0 to 65535). Returns 0, or -1. */
int bad_parse_port(const char *text, uint16_t *port);

/* Opens the listening socket and writes the bound address (the port the
 * kernel chose for 0) to text. Returns the fd, or -1 with err filled as
 * "bind(ADDR): REASON". A Unix path that exists is an error: the suite
 * gives every run a fresh path, and probing the path by connecting to it
 * would take the one connection of a once server that owns it. */
int bad_open_listener(const struct bad_listen *l, char *text, size_t textlen, char *err,
                      size_t errlen);

/* Ignores SIGPIPE, blocks SIGTERM and SIGINT in the calling thread (and
 * so in every thread it starts) and puts them in stop, for sigwait().
 * Returns 0, or -1 with errno set. */
int bad_block_stop_signals(sigset_t *stop);

/* Waits for SIGTERM or SIGINT (blocked by bad_block_stop_signals), then
 * removes a Unix socket file and exits 0. Exits 1 if sigwait fails. */
void bad_wait_stop(const sigset_t *stop, const struct bad_listen *l, const char *prog);

/* Sends all of buf with MSG_NOSIGNAL, retrying EINTR and short writes.
 * Returns 0, or -1 when the connection is gone. */
int bad_write_all(int fd, const void *buf, size_t len);

/* Removes the socket file of a Unix address; nothing for TCP. */
void bad_unlink(const struct bad_listen *l);

#endif
