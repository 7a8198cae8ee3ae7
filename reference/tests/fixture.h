/* SPDX-License-Identifier: MIT */
/*
 * fixture: the cmocka side of the process-level tests of the reference
 * servers (test_servers.c, test_lifecycle.c, test_load.c), built on
 * proc.h. A fixture owns every process, fd, path and buffer a test makes,
 * so a failing or timed-out test (alarm guard) still kills its servers
 * and cleans up. On top of it: starting a server on IPv4, IPv6 or a Unix
 * socket and checking its readiness line, stopping it and checking its
 * exit, and client exchanges that assert the exact bytes. Every function
 * fails the running test instead of returning an error.
 */
#ifndef SOCKSPEC_TESTS_FIXTURE_H
#define SOCKSPEC_TESTS_FIXTURE_H

#include <stddef.h>
#include <sys/un.h>

#include "proc.h"

#define TEST_ALARM_S  30   /* a hung test fails after this long */
#define READY_MS      5000 /* a sanitized server can be slow to start */
#define IO_MS         5000 /* any one exchange */
#define EXIT_LIMIT_MS 1000 /* PROTOCOLS.md: exit within 1 s of the signal */
#define EXIT_WAIT_MS  3000 /* how long we wait before calling it hung */
#define MAX_PROCS     10
#define MAX_FDS       40
#define MAX_PATHS     4
#define MAX_BUFS      4
#define SHOW_MAX      400 /* bytes of an escaped buffer in a message */
#define SHOW_BUF      (SHOW_MAX + 64)
#define PATH_CAP      sizeof(((struct sockaddr_un *)0)->sun_path)

enum family { FAM_IPV4, FAM_IPV6, FAM_UNIX };

/* State of the whole run (cmocka group state). */
struct suite {
	int have_ipv6;      /* ::1 can be bound on this machine */
	unsigned next_path; /* numbers the Unix socket paths handed out */
};

/* Everything one test owns; the teardown releases it all. */
struct fixture {
	struct suite *suite;             /* the run */
	struct proc *procs[MAX_PROCS];   /* started servers */
	int fds[MAX_FDS];                /* client sockets, -1 when free */
	char paths[MAX_PATHS][PATH_CAP]; /* Unix socket paths to unlink */
	void *bufs[MAX_BUFS];            /* big buffers */
	int *crowd;                      /* fds of crowd(), -1 once closed */
	size_t crowd_len;                /* entries of crowd */
	int exit_limit_ms;               /* expect_exit()'s limit: EXIT_LIMIT_MS unless a test
	                                    knows better */
	char err[PROC_ERR_MAX];          /* message of the failed proc_ call */
};

/* Fails the test with the message of a proc_ call that returned < 0. */
#define MUST(fx, expr)                                                                             \
	do {                                                                                       \
		if ((expr) < 0)                                                                    \
			fail_msg("%s", (fx)->err);                                                 \
	} while (0)

/* Escapes len bytes as a C string literal into out (SHOW_BUF bytes). */
const char *show(const void *buf, size_t len, char *out);

/* Fails with both sides shown unless got[0..glen) is want[0..wlen). */
void expect_same(const char *what, const void *want, size_t wlen, const void *got, size_t glen);

/* cmocka group setup and teardown: the struct suite of the run. */
int suite_setup(void **state);
int suite_teardown(void **state);

/* cmocka test setup and teardown: a struct fixture, and the alarm guard.
 * The teardown kills and reports any server the test did not reap. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* For main(), before cmocka_run_group_tests(): the alarm guard's SIGALRM
 * handler, and SIGPIPE ignored. Returns 0, or -1 after printing the
 * failing call. */
int fixture_signals(void);

/* A zeroed buffer of size bytes, freed by the teardown. */
void *fx_alloc(struct fixture *fx, size_t size);

/* Closes fd; with reset, SO_LINGER 0 makes the close send an RST. */
void drop(struct fixture *fx, int fd, int reset);

/* Starts prog with args (NULL-terminated), owned by the fixture. */
struct proc *spawn(struct fixture *fx, const char *prog, const char *const args[]);

/* Starts prog with args then the options that put it on fam, port 0, and
 * checks its readiness line. Skips the test for IPv6 without ::1. */
struct proc *start_server(struct fixture *fx, const char *prog, const char *const args[],
                          enum family fam);

/* Waits for p to end; it must exit with status within fx->exit_limit_ms,
 * without a sanitizer report. after names what ended it, for messages. */
void expect_exit(struct fixture *fx, struct proc *p, int status, const char *after);

/* A clean run prints the readiness line and nothing else. */
void expect_quiet_output(const struct proc *p);

/* Sends signo to p, which must exit 0 in time with quiet output. */
void stop_server(struct fixture *fx, struct proc *p, int signo);

/* A stream (TCP or Unix) client of p, owned by the fixture. */
int client(struct fixture *fx, const struct proc *p);

/* n idle stream clients of p, connected one after another (one crowd
 * per test), owned by the fixture. Returns their fds. The caller must
 * have raised RLIMIT_NOFILE for them. */
int *crowd(struct fixture *fx, const struct proc *p, size_t n);

/* Closes every connection of the crowd; with reset, as drop() does. */
void crowd_drop(struct fixture *fx, int reset);

/* A datagram client of p (bound to a fresh path for a Unix server). */
int dgram_client(struct fixture *fx, const struct proc *p);

/* Sends all len bytes on fd. */
void send_text(struct fixture *fx, int fd, const void *buf, size_t len);

/* shutdown(SHUT_WR). */
void shut_wr(int fd);

/* Reads exactly len bytes (at most 4096); they must be want. */
void expect_bytes(struct fixture *fx, int fd, const void *want, size_t len, const char *what);

/* Reads until EOF; everything must be exactly want (at most 4095). */
void expect_bytes_then_eof(struct fixture *fx, int fd, const void *want, size_t len,
                           const char *what);

/* One client sends "hello\n\x00\xff", shuts down its writing side, and
 * must get exactly those bytes back, then EOF: an echo server serves. */
void exchange_echo(struct fixture *fx, struct proc *p);

#endif
