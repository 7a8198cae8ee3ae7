/* SPDX-License-Identifier: MIT */
/*
 * proc: what a black-box test of a server process needs. Starts a
 * binary of SOCKSPEC_BIN_DIR with its stdout and stderr captured through
 * pipes, reads its "listening on ADDR" readiness line, talks to it over
 * TCP, UDP or Unix-domain sockets, stops it with a signal and reaps it.
 * Every wait has a deadline and every call is checked: functions return
 * 0 (or a count / fd) or -1 with a message naming the failing call in a
 * caller-supplied buffer, e.g. "connect(127.0.0.1:40123): Connection
 * refused". Nothing here prints, exits or asserts; the tests decide.
 */
#ifndef SOCKSPEC_TESTS_PROC_H
#define SOCKSPEC_TESTS_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"

#define PROC_ERR_MAX  512         /* size of the error buffers callers pass */
#define PROC_CAPTURE  (64 * 1024) /* bytes of stdout / stderr kept per process */
#define PROC_ARGS_MAX 16          /* arguments after the program name */

/* One started server process. */
struct proc {
	pid_t pid;                     /* child, or -1 once reaped / never started */
	char prog[64];                 /* binary name, e.g. "ref-echo", for messages */
	int out_fd;                    /* our end of its stdout pipe, -1 once at EOF */
	int err_fd;                    /* our end of its stderr pipe, -1 once at EOF */
	char out[PROC_CAPTURE + 1];    /* stdout captured so far, NUL-terminated */
	size_t out_len;                /* bytes in out */
	char err[PROC_CAPTURE + 1];    /* stderr captured so far, NUL-terminated */
	size_t err_len;                /* bytes in err */
	int reaped;                    /* 1 once waitpid() returned it */
	int status;                    /* its wait status, once reaped */
	struct addr addr;              /* address of the readiness line */
	char addr_text[ADDR_TEXT_MAX]; /* that address as printed: "127.0.0.1:40123" */
};

/* Milliseconds on CLOCK_MONOTONIC (for deadlines and measured times). */
long long proc_now_ms(void);

/* Marks p as holding nothing, so that proc_kill() on it is harmless. */
void proc_init(struct proc *p);

/* Starts SOCKSPEC_BIN_DIR/name with the NULL-terminated args (at most
 * PROC_ARGS_MAX), stdin from /dev/null, stdout and stderr into pipes,
 * default signal mask, SIGKILLed by the kernel if this process dies.
 * Returns 0 (p owns the child and the pipes), or -1 with err filled (an
 * exec failure is reported here, as "execv(PATH): ..."). */
int proc_start(struct proc *p, const char *name, const char *const args[], char *err,
               size_t errlen);

/* Waits up to timeout_ms for the first stdout line, which must be
 * "listening on ADDR", and parses ADDR into p->addr / p->addr_text.
 * Returns 0, or -1 with err filled: timeout, wrong line, or the process
 * ended first (its status and stderr are quoted). */
int proc_wait_ready(struct proc *p, int timeout_ms, char *err, size_t errlen);

/* Sends signo to p. Returns 0 or -1 with err filled. */
int proc_signal(struct proc *p, int signo, char *err, size_t errlen);

/* Waits up to timeout_ms for p to exit, capturing its output meanwhile,
 * reaps it (p->status), then reads its pipes to EOF (bounded).
 * *elapsed_ms receives the time from the call to the reaping. Returns 0,
 * or -1 with err filled when it is still running at the deadline (it is
 * left running: call proc_kill()). */
int proc_wait_exit(struct proc *p, int timeout_ms, long long *elapsed_ms, char *err, size_t errlen);

/* Failure-path cleanup: SIGKILLs p if it still runs, reaps it (waiting
 * at most 2 s), captures what is left in its pipes (at most 500 ms) and
 * closes them. Safe to call more than once. */
void proc_kill(struct proc *p);

/* Formats p's wait status as "exit status 1" or "killed by signal 9". */
const char *proc_status_text(const struct proc *p, char *out, size_t outlen);

/* Number of open fds of process pid (entries of /proc/PID/fd), or -1. */
int proc_fd_count(pid_t pid, char *err, size_t errlen);

/* Number of threads of process pid (Threads: of /proc/PID/status), or -1. */
int proc_thread_count(pid_t pid, char *err, size_t errlen);

/* Connects a non-blocking, close-on-exec SOCK_STREAM socket to a (TCP or
 * Unix), waiting at most timeout_ms. Returns the fd, or -1 with err. */
int proc_connect(const struct addr *a, int timeout_ms, char *err, size_t errlen);

/* Opens a non-blocking, close-on-exec SOCK_DGRAM socket able to talk to
 * server. For AF_UNIX it is bound to unix_path (replaced if it exists)
 * so that the server has an address to answer; the caller unlinks it.
 * Returns the fd, or -1 with err filled. */
int proc_dgram_open(const struct addr *server, const char *unix_path, char *err, size_t errlen);

/* Sends all len bytes on the non-blocking stream socket fd within
 * timeout_ms, never raising SIGPIPE. Returns 0 or -1 with err filled. */
int proc_send_all(int fd, const void *buf, size_t len, int timeout_ms, char *err, size_t errlen);

/* Reads from the non-blocking stream socket fd until want bytes arrived
 * or EOF, for at most timeout_ms. Returns the byte count (less than want
 * only at EOF, then *eof = 1), or -1 with err filled (timeout: how many
 * bytes had come). */
ssize_t proc_recv(int fd, void *buf, size_t want, int timeout_ms, int *eof, char *err,
                  size_t errlen);

/* Sends one datagram of len bytes to a within timeout_ms. Returns 0 or
 * -1 with err filled. */
int proc_sendto(int fd, const void *buf, size_t len, const struct addr *a, int timeout_ms,
                char *err, size_t errlen);

/* Receives one datagram into buf (cap bytes) within timeout_ms; *from
 * gets its sender. Returns its length, or -1 with err filled (timeout,
 * or a datagram longer than cap). */
ssize_t proc_recvfrom(int fd, void *buf, size_t cap, struct addr *from, int timeout_ms, char *err,
                      size_t errlen);

#endif
