/* SPDX-License-Identifier: MIT */
/*
 * net: the socket calls every reference server makes, each checked, each
 * retried on EINTR where that is safe, each failing with a message that
 * names the call and the address ("bind(127.0.0.1:8088): Address already
 * in use"). Functions return 0 or -errno; they never print or exit.
 */
#ifndef SOCKSPEC_NET_H
#define SOCKSPEC_NET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"

#define NET_ERR_MAX 256 /* size of the error buffers callers pass */

/* Creates a close-on-exec socket of type SOCK_STREAM or SOCK_DGRAM bound
 * to *a with SO_REUSEADDR (never SO_REUSEPORT), listening (stream) or
 * asking for the destination address of each datagram (UDP). *bound
 * receives the address actually bound (the kernel's port for port 0).
 * A stale Unix socket file nobody listens on is replaced. Returns the
 * fd, or -errno with err filled. */
int net_listen(const struct addr *a, int type, int backlog, struct addr *bound, char *err,
               size_t errlen);

/* Sets O_NONBLOCK on fd. Returns 0 or -errno. */
int net_set_nonblock(int fd);

/* Waits until fd is ready for events (POLLIN/POLLOUT), for at most
 * timeout_ms (-1: no limit). While waiting, the signal mask is *mask
 * (NULL: unchanged), so a signal blocked elsewhere can interrupt the
 * wait. Returns 1 ready, 0 timeout, -EINTR interrupted, other -errno. */
int net_wait(int fd, short events, int timeout_ms, const sigset_t *mask);

/* Sends all len bytes on a non-blocking socket, waiting with net_wait()
 * when the socket is full, each wait at most stall_ms (-1: no limit);
 * never raises SIGPIPE. Returns 0, -ETIMEDOUT when the peer took nothing
 * for stall_ms, -EINTR when a signal interrupted a wait, or -errno
 * (-EPIPE, -ECONNRESET, ...). */
int net_send_all(int fd, const uint8_t *buf, size_t len, int stall_ms, const sigset_t *mask);

/* Reads what is available (at most cap bytes), retrying EINTR. Returns
 * the count, 0 at EOF, or -errno (-EAGAIN when nothing is there). */
ssize_t net_recv(int fd, uint8_t *buf, size_t cap);

/* Raises the soft RLIMIT_NOFILE to the hard limit, so that many
 * connections can be open at once. Returns the new soft limit or -errno. */
long net_raise_nofile(void);

/* Ends a connection after its last reply: shut down the write side, read
 * and discard what the peer still sends (at most max_bytes, for at most
 * linger_ms) so that close() does not turn unread input into a reset
 * that could destroy the reply, then close fd. */
void net_lingering_close(int fd, size_t max_bytes, int linger_ms, const sigset_t *mask);

#endif
