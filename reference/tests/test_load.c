/* SPDX-License-Identifier: MIT */
/*
 * Process-level tests of the reference servers under load and abuse:
 * twenty clients talking at once to the threaded echo server, a 1 MiB
 * echo sent and read at the same time, clients that reset their
 * connection after or in the middle of an echo, a client queued behind
 * another on the iterative server, concurrent delayed hello replies,
 * 10,000 connections after which the fd and thread counts must be back
 * where they were, 10,000 idle connections beside which a new client is
 * still served at once, clients past --max-clients waiting their turn,
 * and --idle-timeout ending idle connections (and only those).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

#define T(f)             cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
#define LEAK_CONNECTIONS 10000 /* the foundation issue's figure */
#define IDLE_CONNECTIONS 10000 /* held open while a new client is served */
#define IDLE_FD_SPARE    256   /* fds besides the crowd, for the test and for the server */
#define NEW_CLIENT_MS    1000  /* bound on its echo (the target is 100 ms; ASan is slow) */
#define CROWD_ALARM_S    90    /* alarm guard of that test */

/* After 10,000 threads have come and gone, LeakSanitizer's scan at exit
 * alone takes about 2 s; the server itself is done in milliseconds. */
#if defined(__SANITIZE_ADDRESS__)
#define CROWD_EXIT_MS 10000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CROWD_EXIT_MS 10000
#endif
#endif
#ifndef CROWD_EXIT_MS
#define CROWD_EXIT_MS EXIT_LIMIT_MS
#endif

/* ---- concurrency, volume, resets, leaks ---- */

static void test_servers_echo_threaded_serves_20_clients_at_once(void **state)
{
	const char *args[] = {"--mode", "threaded", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	char msg[20][128], what[64];
	int fds[20];

	/* All connected and talking at once: served one at a time, the
	 * second client would never hear back before the first's EOF. */
	for (int i = 0; i < 20; i++) {
		fds[i] = client(fx, p);
		snprintf(msg[i], sizeof(msg[i]), "client %02d says %.*s\n", i, i * 5 + 1,
		         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		send_text(fx, fds[i], msg[i], strlen(msg[i]));
	}
	for (int i = 19; i >= 0; i--) {
		snprintf(what, sizeof(what), "echo to client %d of 20", i);
		expect_bytes(fx, fds[i], msg[i], strlen(msg[i]), what);
	}
	for (int i = 0; i < 20; i++) {
		shut_wr(fds[i]);
		expect_bytes_then_eof(fx, fds[i], "", 0, "after the echo");
		drop(fx, fds[i], 0);
	}
	stop_server(fx, p, SIGTERM);
}

/* Sends out and reads the echo at the same time, until EOF. */
static size_t pump_echo(int fd, const uint8_t *out, size_t len, uint8_t *in, size_t cap)
{
	long long deadline = proc_now_ms() + 10000;
	size_t sent = 0, got = 0;
	int shut = 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
		long long left = deadline - proc_now_ms();
		int rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
		ssize_t n;
		if (rc < 0 && errno != EINTR)
			fail_msg("poll: %s", strerror(errno));
		if (rc == 0)
			fail_msg("1 MiB echo: timed out, %zu bytes sent, %zu received", sent, got);
		if (rc > 0 && (pfd.revents & POLLOUT)) {
			n = send(fd, out + sent, len - sent > 65536 ? 65536 : len - sent,
			         MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				fail_msg("send: %s after %zu bytes", strerror(errno), sent);
			sent += n > 0 ? (size_t)n : 0;
		}
		if (sent == len && !shut) {
			shut_wr(fd);
			shut = 1;
		}
		if (rc > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			n = recv(fd, in + got, cap - got, 0);
			if (n == 0)
				return got;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				fail_msg("recv: %s after %zu bytes", strerror(errno), got);
			got += n > 0 ? (size_t)n : 0;
			if (got == cap)
				fail_msg("1 MiB echo: more bytes back than were sent");
		}
	}
}

static void test_servers_echo_threaded_echoes_1mib_whole(void **state)
{
	const char *args[] = {"--mode", "threaded", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	size_t len = 1u << 20, got;
	uint8_t *out = fx_alloc(fx, len), *in = fx_alloc(fx, len + 1);
	uint32_t x = 2463534242u; /* xorshift32: reordered data shows */
	int fd = client(fx, p);

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (uint8_t)x;
	}
	got = pump_echo(fd, out, len, in, len + 1);
	expect_same("1 MiB echo", out, len, in, got);
	drop(fx, fd, 0);
	stop_server(fx, p, SIGTERM);
}

/* Resets one client after an echo and one in the middle of an echo;
 * the server must live on and serve the next client. */
static void survives_reset(void **state, const char *mode)
{
	const char *args[] = {"--mode", mode, NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	uint8_t *big = fx_alloc(fx, 1u << 20), first;
	int fd = client(fx, p), eof;

	send_text(fx, fd, "abc", 3);
	expect_bytes(fx, fd, "abc", 3, "echo before the reset");
	drop(fx, fd, 1);
	fd = client(fx, p);
	memset(big, 'r', 1u << 20);
	/* As much as fits at once; the server is still echoing at the RST. */
	if (send(fd, big, 1u << 20, MSG_NOSIGNAL | MSG_DONTWAIT) <= 0)
		fail_msg("send: %s", strerror(errno));
	MUST(fx, proc_recv(fd, &first, 1, IO_MS, &eof, fx->err, sizeof(fx->err)));
	drop(fx, fd, 1);
	exchange_echo(fx, p);
	stop_server(fx, p, SIGTERM);
}

static void test_servers_echo_threaded_survives_client_resets(void **state)
{
	survives_reset(state, "threaded");
}

static void test_servers_echo_iterative_survives_client_resets(void **state)
{
	survives_reset(state, "iterative");
}

static void test_servers_echo_iterative_serves_a_queued_client_next(void **state)
{
	const char *args[] = {"--mode", "iterative", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	int a = client(fx, p), b;

	send_text(fx, a, "A", 1);
	expect_bytes(fx, a, "A", 1, "echo to the first client");
	b = client(fx, p); /* waits in the backlog */
	send_text(fx, b, "B", 1);
	shut_wr(a);
	expect_bytes_then_eof(fx, a, "", 0, "first client after its EOF");
	shut_wr(b);
	expect_bytes_then_eof(fx, b, "B", 1, "echo to the queued client");
	stop_server(fx, p, SIGTERM);
}

static void test_servers_hello_delay_serves_clients_concurrently(void **state)
{
	const char *args[] = {"--delay", "0.3", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-hello", args, FAM_IPV4);
	char name[5][16], reply[5][32];
	long long start, ms;
	int fds[5];

	for (int i = 0; i < 5; i++) {
		fds[i] = client(fx, p);
		expect_bytes(fx, fds[i], "Welcome!\n", 9, "hello greeting");
	}
	start = proc_now_ms();
	for (int i = 0; i < 5; i++) {
		snprintf(name[i], sizeof(name[i]), "C%d\n", i);
		send_text(fx, fds[i], name[i], strlen(name[i]));
	}
	for (int i = 0; i < 5; i++) {
		snprintf(reply[i], sizeof(reply[i]), "Hello, C%d!\n", i);
		expect_bytes(fx, fds[i], reply[i], strlen(reply[i]), "delayed hello reply");
	}
	ms = proc_now_ms() - start;
	/* Five 300 ms delays one after another would take 1500 ms. */
	if (ms < 290 || ms >= 1200)
		fail_msg("5 clients with --delay 0.3: expected replies after 300 to 1200 ms, "
		         "got %lld ms",
		         ms);
	stop_server(fx, p, SIGTERM);
}

/* Waits up to 2 s for p's fd and thread counts to return to baseline. */
static void expect_counts(struct fixture *fx, struct proc *p, int fds0, int threads0)
{
	long long deadline = proc_now_ms() + 2000;
	struct timespec pause = {0, 10 * 1000000L};
	int fds, threads;

	for (;;) {
		MUST(fx, fds = proc_fd_count(p->pid, fx->err, sizeof(fx->err)));
		MUST(fx, threads = proc_thread_count(p->pid, fx->err, sizeof(fx->err)));
		if (fds == fds0 && threads == threads0)
			return;
		if (proc_now_ms() > deadline)
			fail_msg("%s after %d connections: expected %d fds and %d threads (as "
			         "before), got %d fds and %d threads",
			         p->prog, LEAK_CONNECTIONS, fds0, threads0, fds, threads);
		nanosleep(&pause, NULL);
	}
}

static void test_servers_echo_threaded_leaks_no_fds_or_threads(void **state)
{
	const char *args[] = {"--mode", "threaded", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	int fds0, threads0;

	MUST(fx, fds0 = proc_fd_count(p->pid, fx->err, sizeof(fx->err)));
	MUST(fx, threads0 = proc_thread_count(p->pid, fx->err, sizeof(fx->err)));
	for (int i = 0; i < LEAK_CONNECTIONS; i++) {
		int fd = client(fx, p);
		send_text(fx, fd, "x", 1);
		shut_wr(fd);
		expect_bytes_then_eof(fx, fd, "x", 1, "echo in the leak loop");
		drop(fx, fd, 0);
	}
	expect_counts(fx, p, fds0, threads0);
	stop_server(fx, p, SIGTERM);
}

/* Waits up to 2 s for the server to end fd: EOF or a reset both count
 * (closing with unread input makes the kernel send a reset). */
static void expect_closed(struct fixture *fx, int fd, const char *what)
{
	char buf[256];
	int eof = 0;
	long long deadline = proc_now_ms() + 2000;

	while (!eof && proc_now_ms() < deadline) {
		ssize_t n = proc_recv(fd, buf, sizeof(buf), 100, &eof, fx->err, sizeof(fx->err));
		if (n < 0 && (errno == ECONNRESET || strstr(fx->err, "reset")))
			return;
		if (n > 0)
			fail_msg("%s: expected the connection to close, got %zd more bytes", what,
			         n);
	}
	if (!eof)
		fail_msg("%s: the connection was still open after 2000 ms", what);
}

/* PROTOCOLS.md: a line over the limit may close that connection, but the
 * server keeps serving everyone else. */
static void test_servers_ok_threaded_long_line_closes_only_that_connection(void **state)
{
	static const char welcome[] = "Welcome to the server. Type something and hit enter\n";
	const char *args[] = {"--mode", "threaded", "--max-line", "16", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-ok", args, FAM_IPV4);
	int other = client(fx, p), longer = client(fx, p);
	char big[64];

	expect_bytes(fx, other, welcome, sizeof(welcome) - 1, "greeting");
	expect_bytes(fx, longer, welcome, sizeof(welcome) - 1, "greeting");
	send_text(fx, longer, "sixteen bytes ok\n", 17); /* exactly the limit: served */
	expect_bytes(fx, longer, "OK...sixteen bytes ok\n", 22, "reply to a 16-byte line");
	memset(big, 'x', sizeof(big)); /* 64 bytes, no LF: over the limit */
	send_text(fx, longer, big, sizeof(big));
	expect_closed(fx, longer, "after a 64-byte line with --max-line 16");
	send_text(fx, other, "still here\n", 11);
	expect_bytes(fx, other, "OK...still here\n", 16, "reply on the other connection");
	stop_server(fx, p, SIGTERM);
}

/* ---- many idle connections, the cap, idle timeouts ---- */

static double now_ms_exact(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Waits up to limit_ms for p to run exactly want threads. */
static void wait_threads(struct fixture *fx, struct proc *p, int want, int limit_ms,
                         const char *what)
{
	long long deadline = proc_now_ms() + limit_ms;
	struct timespec pause = {0, 20 * 1000000L};
	int threads;

	for (;;) {
		MUST(fx, threads = proc_thread_count(p->pid, fx->err, sizeof(fx->err)));
		if (threads == want)
			return;
		if (proc_now_ms() > deadline)
			fail_msg("%s %s: expected %d threads within %d ms, got %d", p->prog, what,
			         want, limit_ms, threads);
		nanosleep(&pause, NULL);
	}
}

/* Raises our soft RLIMIT_NOFILE to the hard limit; skips the test when
 * even that is below need. The server and this test are two processes,
 * one end of each connection apiece: need is per process. */
static void need_fds(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		fail_msg("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		print_message("[   SKIP   ] hard RLIMIT_NOFILE is %llu, this test needs %llu\n",
		              (unsigned long long)rl.rlim_max, (unsigned long long)need);
		skip();
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		fail_msg("setrlimit(RLIMIT_NOFILE, %llu): %s", (unsigned long long)rl.rlim_max,
		         strerror(errno));
}

/* The default --max-clients comes from RLIMIT_NOFILE: 10,000 idle
 * clients each hold a thread, and a new client is still echoed at once. */
static void test_servers_echo_threaded_serves_a_new_client_beside_10000_idle(void **state)
{
	static const char msg[] = "new client\n\x00\xff";
	const char *args[] = {"--mode", "threaded", NULL};
	struct fixture *fx = *state;
	struct proc *p;
	double start, ms;
	int *idle, fd;

	need_fds(IDLE_CONNECTIONS + IDLE_FD_SPARE);
	/* 10,000 threads start and end in seconds, but in tens of seconds
	 * under ASan on a busy 2-core machine: a longer guard, still bounded. */
	alarm(CROWD_ALARM_S);
	p = start_server(fx, "ref-echo", args, FAM_IPV4);
	idle = crowd(fx, p, IDLE_CONNECTIONS);
	/* All accepted, not merely queued: a thread each, plus main. */
	wait_threads(fx, p, IDLE_CONNECTIONS + 1, 15000, "with 10,000 idle clients");
	start = now_ms_exact();
	fd = client(fx, p);
	send_text(fx, fd, msg, sizeof(msg) - 1);
	expect_bytes(fx, fd, msg, sizeof(msg) - 1, "echo to a new client beside 10,000 idle");
	ms = now_ms_exact() - start;
	print_message("[   INFO   ] new client: connected and echoed in %.2f ms beside %d idle "
	              "connections\n",
	              ms, IDLE_CONNECTIONS);
	if (ms >= NEW_CLIENT_MS)
		fail_msg("new client beside %d idle ones: expected its echo within %d ms, got "
		         "%.1f ms",
		         IDLE_CONNECTIONS, NEW_CLIENT_MS, ms);
	send_text(fx, idle[0], "first", 5); /* the oldest idle client is still served */
	expect_bytes(fx, idle[0], "first", 5, "echo to the first idle client");
	drop(fx, fd, 0);
	crowd_drop(fx, 1); /* resets: no TIME_WAIT left for 10,000 ports */
	wait_threads(fx, p, 1, 15000, "after the clients left");
	fx->exit_limit_ms = CROWD_EXIT_MS;
	stop_server(fx, p, SIGTERM);
}

/* Past --max-clients a client waits in the backlog, is not dropped, and
 * is served as soon as a connection ends. */
static void test_servers_echo_threaded_queues_clients_past_max_clients(void **state)
{
	const char *args[] = {"--mode", "threaded", "--max-clients", "2", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	int a = client(fx, p), b = client(fx, p), c, eof;
	char got;

	send_text(fx, a, "a", 1);
	expect_bytes(fx, a, "a", 1, "echo to the first client");
	send_text(fx, b, "b", 1);
	expect_bytes(fx, b, "b", 1, "echo to the second client");
	c = client(fx, p); /* connects: the kernel queues it */
	send_text(fx, c, "c", 1);
	if (proc_recv(c, &got, 1, 300, &eof, fx->err, sizeof(fx->err)) >= 0)
		fail_msg("third client with --max-clients 2: expected no echo while two are "
		         "served, got %s",
		         eof ? "EOF" : "a byte");
	shut_wr(a);
	expect_bytes_then_eof(fx, a, "", 0, "first client after its EOF");
	expect_bytes(fx, c, "c", 1, "echo to the queued client once a slot was free");
	stop_server(fx, p, SIGTERM);
}

/* Returns 1 if fd reads EOF within ms, 0 if nothing comes. */
static int eof_within(struct fixture *fx, int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[64];
	ssize_t n;
	int rc;

	while ((rc = poll(&pfd, 1, ms > 0 ? ms : 0)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		fail_msg("poll: %s", strerror(errno));
	if (rc == 0)
		return 0;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		fail_msg("recv on the idle client: %s, expected EOF", strerror(errno));
	if (n > 0)
		fail_msg("idle client: expected EOF, got %s", show(buf, (size_t)n, fx->err));
	return 1;
}

/* --idle-timeout 1: the silent client is closed after about 1 s, while
 * one that talks every 250 ms is served for 3 s and more. */
static void test_servers_echo_threaded_idle_timeout_closes_only_idle_clients(void **state)
{
	const char *args[] = {"--mode", "threaded", "--idle-timeout", "1", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	int idle = client(fx, p), talker = client(fx, p);
	long long start = proc_now_ms(), closed = -1;

	for (int tick = 1; tick <= 12; tick++) {
		char c = (char)('a' + tick);
		long long next = start + tick * 250;
		struct timespec pause;
		send_text(fx, talker, &c, 1);
		expect_bytes(fx, talker, &c, 1, "echo to the talking client");
		if (closed < 0 && eof_within(fx, idle, (int)(next - proc_now_ms())))
			closed = proc_now_ms() - start;
		if (next > proc_now_ms()) {
			pause.tv_sec = 0;
			pause.tv_nsec = (long)(next - proc_now_ms()) * 1000000L;
			nanosleep(&pause, NULL);
		}
	}
	if (closed < 0)
		fail_msg("--idle-timeout 1: the idle client was still open after %lld ms",
		         proc_now_ms() - start);
	if (closed < 500 || closed > 3000)
		fail_msg("--idle-timeout 1: expected the idle client closed after 500 to 3000 ms, "
		         "got %lld ms",
		         closed);
	shut_wr(talker);
	expect_bytes_then_eof(fx, talker, "", 0, "talking client after 3 s and its EOF");
	stop_server(fx, p, SIGTERM);
}

/* On the iterative server, an idle client no longer holds up the queue. */
static void test_servers_echo_iterative_idle_timeout_serves_the_queue(void **state)
{
	const char *args[] = {"--mode", "iterative", "--idle-timeout", "0.5", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);
	int idle = client(fx, p), queued = client(fx, p);
	long long start = proc_now_ms(), ms;

	send_text(fx, queued, "next\n", 5);
	shut_wr(queued);
	expect_bytes_then_eof(fx, queued, "next\n", 5, "echo to the client queued behind");
	ms = proc_now_ms() - start;
	if (ms < 250 || ms > 3000)
		fail_msg("--idle-timeout 0.5: expected the queued client served after 250 to "
		         "3000 ms, got %lld ms",
		         ms);
	expect_bytes_then_eof(fx, idle, "", 0, "idle client");
	stop_server(fx, p, SIGTERM);
}

/* A greeting server closes after its greeting when nothing follows. */
static void test_servers_hello_idle_timeout_closes_after_the_greeting(void **state)
{
	const char *args[] = {"--delay", "0", "--idle-timeout", "0.3", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-hello", args, FAM_IPV4);
	int fd = client(fx, p);

	expect_bytes_then_eof(fx, fd, "Welcome!\n", 9, "greeting, then EOF when idle");
	stop_server(fx, p, SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_servers_echo_threaded_serves_20_clients_at_once),
	    T(test_servers_echo_threaded_echoes_1mib_whole),
	    T(test_servers_echo_threaded_survives_client_resets),
	    T(test_servers_echo_iterative_survives_client_resets),
	    T(test_servers_echo_iterative_serves_a_queued_client_next),
	    T(test_servers_hello_delay_serves_clients_concurrently),
	    T(test_servers_echo_threaded_leaks_no_fds_or_threads),
	    T(test_servers_ok_threaded_long_line_closes_only_that_connection),
	    T(test_servers_echo_threaded_serves_a_new_client_beside_10000_idle),
	    T(test_servers_echo_threaded_queues_clients_past_max_clients),
	    T(test_servers_echo_threaded_idle_timeout_closes_only_idle_clients),
	    T(test_servers_echo_iterative_idle_timeout_serves_the_queue),
	    T(test_servers_hello_idle_timeout_closes_after_the_greeting),
	};

	if (fixture_signals() < 0)
		return 1;
	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
