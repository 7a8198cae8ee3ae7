/* SPDX-License-Identifier: MIT */
/*
 * Process-level tests of the reference servers, one per server
 * configuration and address family: each test starts a real server
 * binary on port 0 of IPv4 or IPv6 loopback, or on a fresh Unix socket
 * path, reads its readiness line, has the exchange PROTOCOLS.md
 * prescribes with it and checks the exact bytes, then stops it with
 * SIGTERM or SIGINT (or sees a once server end by itself) and checks it
 * exits 0 within 1 s with nothing on stderr (no sanitizer report either).
 * Signals at other moments and busy ports are in test_lifecycle.c, many
 * clients, big transfers, resets and leaks in test_load.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture.h"

/* One server configuration and the exchange that checks it. */
struct server_case {
	const char *prog;                                     /* binary name */
	const char *args[5];                                  /* options before the address */
	void (*exchange)(struct fixture *fx, struct proc *p); /* exact-bytes check */
	int once;                                             /* exits 0 by itself afterwards */
};

/* The reply to a datagram must come from the address the server printed. */
static void expect_from_server(const struct proc *p, const struct addr *from)
{
	char text[ADDR_TEXT_MAX];

	addr_format(from, text, sizeof(text));
	if (strcmp(text, p->addr_text) != 0)
		fail_msg("%s: expected the reply from %s, got it from %s", p->prog, p->addr_text,
		         text);
}

/* got must be "[CTIME] DATA" (+ LF), CTIME as ctime() prints a time
 * within 2 s of [t0, t1]. */
static void expect_stamp(const uint8_t *got, size_t glen, const char *data, int lf, time_t t0,
                         time_t t1)
{
	size_t dlen = strlen(data), want_len = 1 + 24 + 2 + dlen + (lf ? 1 : 0);
	char want[256], now[32], shown[SHOW_BUF];
	time_t t;

	for (t = t0 - 2; t <= t1 + 2; t++) {
		if (!ctime_r(&t, now))
			fail_msg("ctime_r: %s", strerror(errno));
		snprintf(want, sizeof(want), "[%.24s] %s%s", now, data, lf ? "\n" : "");
		if (glen == want_len && memcmp(got, want, want_len) == 0)
			return;
	}
	ctime_r(&t0, now);
	fail_msg("expected \"[CTIME] %s%s\" with CTIME within 2 s of %.24s, got %s", data,
	         lf ? "\\n" : "", now, show(got, glen, shown));
}

/* ---- the exchanges, one per server configuration ---- */

static void exchange_echo_twice(struct fixture *fx, struct proc *p)
{
	exchange_echo(fx, p);
	exchange_echo(fx, p); /* the next client is served too */
}

static void exchange_udp_echo(struct fixture *fx, struct proc *p)
{
	static const size_t sizes[] = {0, 1, 1024, 1025, 65507};
	uint8_t *out = fx_alloc(fx, 65507), *in = fx_alloc(fx, 65536);
	int fd = dgram_client(fx, p);
	struct addr from;
	char what[64];
	ssize_t n;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			out[j] = (uint8_t)(j * 31 + i);
		MUST(fx, proc_sendto(fd, out, sizes[i], &p->addr, IO_MS, fx->err, sizeof(fx->err)));
		MUST(fx, n = proc_recvfrom(fd, in, 65536, &from, IO_MS, fx->err, sizeof(fx->err)));
		expect_from_server(p, &from);
		snprintf(what, sizeof(what), "echo of a %zu-byte datagram", sizes[i]);
		expect_same(what, out, sizes[i], in, (size_t)n);
	}
}

static void exchange_hello_line(struct fixture *fx, struct proc *p)
{
	static const char reply[] = "Welcome!\nHello, Bob!\n";
	int fd = client(fx, p);

	send_text(fx, fd, "Bob\r\nexit\n", 10);
	expect_bytes_then_eof(fx, fd, reply, strlen(reply), "hello \"Bob\\r\\nexit\\n\"");
	drop(fx, fd, 0);
}

static void exchange_hello_chunk(struct fixture *fx, struct proc *p)
{
	int fd = client(fx, p);

	expect_bytes(fx, fd, "Welcome!", 8, "chunk greeting");
	send_text(fx, fd, "Bob", 3);
	expect_bytes(fx, fd, "Hello, Bob!", 11, "chunk reply to \"Bob\"");
	send_text(fx, fd, "exit", 4);
	expect_bytes_then_eof(fx, fd, "", 0, "after chunk \"exit\"");
	drop(fx, fd, 0);
}

static void exchange_timestamp_line(struct fixture *fx, struct proc *p)
{
	int fd = client(fx, p), eof;
	time_t t0 = time(NULL), t1;
	uint8_t got[256];
	ssize_t n;

	send_text(fx, fd, "hi\nbye\xff\r\n", 9);
	shut_wr(fd);
	MUST(fx, n = proc_recv(fd, got, sizeof(got), IO_MS, &eof, fx->err, sizeof(fx->err)));
	t1 = time(NULL);
	if (!eof)
		fail_msg("timestamp: expected EOF after two replies, got more than %zd bytes", n);
	if (n < 30)
		expect_same("timestamp replies", "[CTIME] hi\n[CTIME] bye\xff\n", 23, got,
		            (size_t)n);
	expect_stamp(got, 30, "hi", 1, t0, t1);
	expect_stamp(got + 30, (size_t)n - 30, "bye\xff", 1, t0, t1);
	drop(fx, fd, 0);
}

static void exchange_timestamp_chunk(struct fixture *fx, struct proc *p)
{
	int fd = client(fx, p), eof;
	time_t t0 = time(NULL);
	uint8_t got[29];
	ssize_t n;

	send_text(fx, fd, "hi", 2);
	MUST(fx, n = proc_recv(fd, got, sizeof(got), IO_MS, &eof, fx->err, sizeof(fx->err)));
	expect_stamp(got, (size_t)n, "hi", 0, t0, time(NULL));
	shut_wr(fd);
	expect_bytes_then_eof(fx, fd, "", 0, "after the chunk reply");
	drop(fx, fd, 0);
}

static void exchange_timestamp_udp(struct fixture *fx, struct proc *p)
{
	int fd = dgram_client(fx, p);
	time_t t0 = time(NULL);
	struct addr from;
	uint8_t got[256];
	ssize_t n;

	MUST(fx, proc_sendto(fd, "hi", 2, &p->addr, IO_MS, fx->err, sizeof(fx->err)));
	MUST(fx, n = proc_recvfrom(fd, got, sizeof(got), &from, IO_MS, fx->err, sizeof(fx->err)));
	expect_from_server(p, &from);
	expect_stamp(got, (size_t)n, "hi", 0, t0, time(NULL));
}

static void exchange_accept_close(struct fixture *fx, struct proc *p)
{
	int fd = client(fx, p);

	expect_bytes_then_eof(fx, fd, "", 0, "accept-close");
	drop(fx, fd, 0);
}

/* One reply per connection; a silent client must not end the server. */
static void exchange_ok_iterative(struct fixture *fx, struct proc *p, int lf)
{
	int fd = client(fx, p);

	send_text(fx, fd, lf ? "a\nb\n" : "a", lf ? 4 : 1);
	expect_bytes_then_eof(fx, fd, "OK...a\n", lf ? 7 : 6, "ok reply to the first client");
	drop(fx, fd, 0);
	drop(fx, client(fx, p), 0); /* connects, says nothing, closes */
	fd = client(fx, p);
	send_text(fx, fd, lf ? "c\n" : "c", lf ? 2 : 1);
	expect_bytes_then_eof(fx, fd, "OK...c\n", lf ? 7 : 6, "ok reply after a silent client");
	drop(fx, fd, 0);
}

static void exchange_ok_iterative_line(struct fixture *fx, struct proc *p)
{
	exchange_ok_iterative(fx, p, 1);
}

static void exchange_ok_iterative_chunk(struct fixture *fx, struct proc *p)
{
	exchange_ok_iterative(fx, p, 0);
}

#define OK_WELCOME "Welcome to the server. Type something and hit enter\n"

static void exchange_ok_threaded_line(struct fixture *fx, struct proc *p)
{
	static const char reply[] = OK_WELCOME "OK...a\nOK...b\n";
	int fd = client(fx, p);

	send_text(fx, fd, "a\nb\n", 4);
	shut_wr(fd);
	expect_bytes_then_eof(fx, fd, reply, strlen(reply), "ok-threaded \"a\\nb\\n\"");
	drop(fx, fd, 0);
}

static void exchange_ok_threaded_chunk(struct fixture *fx, struct proc *p)
{
	int fd = client(fx, p);

	expect_bytes(fx, fd, OK_WELCOME, strlen(OK_WELCOME), "ok-threaded chunk greeting");
	send_text(fx, fd, "a", 1);
	expect_bytes(fx, fd, "OK...a", 6, "chunk reply to \"a\"");
	send_text(fx, fd, "b", 1);
	expect_bytes(fx, fd, "OK...b", 6, "chunk reply to \"b\"");
	shut_wr(fd);
	expect_bytes_then_eof(fx, fd, "", 0, "after the chunk replies");
	drop(fx, fd, 0);
}

static const struct server_case case_echo_once = {"ref-echo", {"--mode", "once"}, exchange_echo, 1};
static const struct server_case case_echo_iterative = {
    "ref-echo", {"--mode", "iterative"}, exchange_echo_twice, 0};
static const struct server_case case_echo_threaded = {
    "ref-echo", {"--mode", "threaded"}, exchange_echo_twice, 0};
static const struct server_case case_udp_echo = {"ref-udp-echo", {NULL}, exchange_udp_echo, 0};
static const struct server_case case_hello_line = {
    "ref-hello", {"--delay", "0"}, exchange_hello_line, 0};
static const struct server_case case_hello_chunk = {
    "ref-hello", {"--delay", "0", "--framing", "chunk"}, exchange_hello_chunk, 0};
static const struct server_case case_timestamp_line = {
    "ref-timestamp", {"--framing", "line"}, exchange_timestamp_line, 0};
static const struct server_case case_timestamp_chunk = {
    "ref-timestamp", {"--framing", "chunk"}, exchange_timestamp_chunk, 0};
static const struct server_case case_timestamp_udp = {
    "ref-timestamp", {"--udp"}, exchange_timestamp_udp, 0};
static const struct server_case case_accept_close = {
    "ref-accept-close", {NULL}, exchange_accept_close, 1};
static const struct server_case case_ok_iterative_line = {
    "ref-ok", {"--mode", "iterative"}, exchange_ok_iterative_line, 0};
static const struct server_case case_ok_iterative_chunk = {
    "ref-ok", {"--mode", "iterative", "--framing", "chunk"}, exchange_ok_iterative_chunk, 0};
static const struct server_case case_ok_threaded_line = {
    "ref-ok", {"--mode", "threaded", "--framing", "line"}, exchange_ok_threaded_line, 0};
static const struct server_case case_ok_threaded_chunk = {
    "ref-ok", {"--mode", "threaded", "--framing", "chunk"}, exchange_ok_threaded_chunk, 0};

/* Start on fam, one exchange, then the end: by itself for a once
 * server, else SIGTERM (SIGINT on Unix sockets, so both are covered). */
static void run_case(void **state, const struct server_case *c, enum family fam)
{
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, c->prog, c->args, fam);

	c->exchange(fx, p);
	if (c->once) {
		expect_exit(fx, p, 0, "its one connection");
		expect_quiet_output(p);
	} else {
		stop_server(fx, p, fam == FAM_UNIX ? SIGINT : SIGTERM);
	}
}

#define CASE_TESTS(id)                                                                             \
	static void test_servers_##id##_ipv4(void **state)                                         \
	{                                                                                          \
		run_case(state, &case_##id, FAM_IPV4);                                             \
	}                                                                                          \
	static void test_servers_##id##_ipv6(void **state)                                         \
	{                                                                                          \
		run_case(state, &case_##id, FAM_IPV6);                                             \
	}                                                                                          \
	static void test_servers_##id##_unix(void **state)                                         \
	{                                                                                          \
		run_case(state, &case_##id, FAM_UNIX);                                             \
	}

CASE_TESTS(echo_once)
CASE_TESTS(echo_iterative)
CASE_TESTS(echo_threaded)
CASE_TESTS(udp_echo)
CASE_TESTS(hello_line)
CASE_TESTS(hello_chunk)
CASE_TESTS(timestamp_line)
CASE_TESTS(timestamp_chunk)
CASE_TESTS(timestamp_udp)
CASE_TESTS(accept_close)
CASE_TESTS(ok_iterative_line)
CASE_TESTS(ok_iterative_chunk)
CASE_TESTS(ok_threaded_line)
CASE_TESTS(ok_threaded_chunk)

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
#define CASE_ENTRY(c)                                                                              \
	T(test_servers_##c##_ipv4), T(test_servers_##c##_ipv6), T(test_servers_##c##_unix)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CASE_ENTRY(echo_once),         CASE_ENTRY(echo_iterative),
	    CASE_ENTRY(echo_threaded),     CASE_ENTRY(udp_echo),
	    CASE_ENTRY(hello_line),        CASE_ENTRY(hello_chunk),
	    CASE_ENTRY(timestamp_line),    CASE_ENTRY(timestamp_chunk),
	    CASE_ENTRY(timestamp_udp),     CASE_ENTRY(accept_close),
	    CASE_ENTRY(ok_iterative_line), CASE_ENTRY(ok_iterative_chunk),
	    CASE_ENTRY(ok_threaded_line),  CASE_ENTRY(ok_threaded_chunk),
	};

	if (fixture_signals() < 0)
		return 1;
	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
