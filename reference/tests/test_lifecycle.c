/* SPDX-License-Identifier: MIT */
/*
 * Process-level tests of how the reference servers start and stop: a
 * SIGTERM or SIGINT before any client, with clients mid-session, or
 * during a reply delay must still end the server with status 0 within
 * 1 s and quiet output; and a second instance on a port the first one
 * holds must exit 1 at once with exactly "PROG: bind(127.0.0.1:PORT):
 * Address already in use" on stderr, leaving the first one unharmed; a
 * bad option value must exit 2 with a message naming the option.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

/* The options of a once echo server (see test_servers.c). */
static const char *const echo_once_args[] = {"--mode", "once", NULL};

/* ---- stopping ---- */

static void test_servers_echo_once_exits_0_on_sigterm_before_a_client(void **state)
{
	struct fixture *fx = *state;

	stop_server(fx, start_server(fx, "ref-echo", echo_once_args, FAM_IPV4), SIGTERM);
}

static void test_servers_accept_close_exits_0_on_sigint_before_a_client(void **state)
{
	struct fixture *fx = *state;

	stop_server(fx, start_server(fx, "ref-accept-close", NULL, FAM_IPV4), SIGINT);
}

/* A stop while clients are mid-session still ends the server in 1 s. */
static void stop_with_clients(void **state, const char *mode, int clients)
{
	const char *args[] = {"--mode", mode, NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-echo", args, FAM_IPV4);

	for (int i = 0; i < clients; i++) {
		int fd = client(fx, p);
		send_text(fx, fd, "x", 1);
		expect_bytes(fx, fd, "x", 1, "echo before the stop");
	}
	stop_server(fx, p, SIGTERM);
}

static void test_servers_echo_iterative_stops_with_a_client_connected(void **state)
{
	stop_with_clients(state, "iterative", 1);
}

static void test_servers_echo_threaded_stops_with_clients_connected(void **state)
{
	stop_with_clients(state, "threaded", 5);
}

static void test_servers_hello_stops_during_a_reply_delay(void **state)
{
	const char *args[] = {"--delay", "10", NULL};
	struct fixture *fx = *state;
	struct proc *p = start_server(fx, "ref-hello", args, FAM_IPV4);
	int fd = client(fx, p);

	expect_bytes(fx, fd, "Welcome!\n", 9, "hello greeting");
	send_text(fx, fd, "Bob\n", 4);
	stop_server(fx, p, SIGTERM);
}

/* ---- a second instance on a busy port ---- */

static void busy_port(void **state, const char *prog, const char *opt)
{
	struct fixture *fx = *state;
	const char *args[] = {opt, NULL}, *args2[4];
	struct proc *first = start_server(fx, prog, args, FAM_IPV4), *second;
	char port[8], want[160], a[SHOW_BUF], b[SHOW_BUF];
	long long start;
	size_t k = 0;

	snprintf(port, sizeof(port), "%u", addr_port(&first->addr));
	if (opt)
		args2[k++] = opt;
	args2[k++] = "-p";
	args2[k++] = port;
	args2[k] = NULL;
	start = proc_now_ms();
	second = spawn(fx, prog, args2);
	expect_exit(fx, second, 1, "a failed bind");
	if (proc_now_ms() - start > EXIT_LIMIT_MS)
		fail_msg("%s on a busy port took %lld ms to exit, limit %d ms", prog,
		         proc_now_ms() - start, EXIT_LIMIT_MS);
	snprintf(want, sizeof(want), "%s: bind(127.0.0.1:%s): Address already in use\n", prog,
	         port);
	if (strcmp(second->err, want) != 0)
		fail_msg("%s on a busy port: expected stderr %s, got %s", prog,
		         show(want, strlen(want), a), show(second->err, second->err_len, b));
	if (second->out_len != 0)
		fail_msg("%s on a busy port: expected empty stdout, got %s", prog,
		         show(second->out, second->out_len, a));
	stop_server(fx, first, SIGTERM); /* the first one is unharmed */
}

static void test_servers_echo_busy_port_fails(void **state)
{
	busy_port(state, "ref-echo", NULL);
}

static void test_servers_udp_echo_busy_port_fails(void **state)
{
	busy_port(state, "ref-udp-echo", NULL);
}

static void test_servers_hello_busy_port_fails(void **state)
{
	busy_port(state, "ref-hello", NULL);
}

static void test_servers_timestamp_busy_port_fails(void **state)
{
	busy_port(state, "ref-timestamp", NULL);
}

static void test_servers_timestamp_udp_busy_port_fails(void **state)
{
	busy_port(state, "ref-timestamp", "--udp");
}

static void test_servers_accept_close_busy_port_fails(void **state)
{
	busy_port(state, "ref-accept-close", NULL);
}

static void test_servers_ok_busy_port_fails(void **state)
{
	busy_port(state, "ref-ok", NULL);
}
/* ---- usage errors ---- */

/* prog with args must exit 2 at once, print want on stderr and nothing
 * on stdout. */
static void expect_usage_error(struct fixture *fx, const char *prog, const char *const args[],
                               const char *want)
{
	struct proc *p = spawn(fx, prog, args);
	char a[SHOW_BUF], b[SHOW_BUF];

	expect_exit(fx, p, 2, "a usage error");
	if (strcmp(p->err, want) != 0)
		fail_msg("%s %s %s: expected stderr %s, got %s", prog, args[0],
		         args[1] ? args[1] : "", show(want, strlen(want), a),
		         show(p->err, p->err_len, b));
	if (p->out_len != 0)
		fail_msg("%s: expected empty stdout, got %s", prog, show(p->out, p->out_len, a));
}

static void test_servers_echo_rejects_bad_idle_timeouts(void **state)
{
	static const char *const bad[] = {"-1", "abc", "", "1s", "nan", "inf", "86401", "0.0001"};
	struct fixture *fx = *state;
	char want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {"--idle-timeout", bad[i], NULL};
		snprintf(want, sizeof(want),
		         "ref-echo: --idle-timeout: expected seconds from 0.001 to 86400 (0: "
		         "never), got \"%s\"\nTry 'ref-echo --help'.\n",
		         bad[i]);
		expect_usage_error(fx, "ref-echo", args, want);
	}
}

static void test_servers_idle_timeout_rejected_where_it_does_not_apply(void **state)
{
	const char *udp[] = {"--idle-timeout", "1", NULL}, *missing[] = {"--idle-timeout", NULL};
	const char *with_udp[] = {"--udp", "--idle-timeout", "1", NULL};
	struct fixture *fx = *state;

	expect_usage_error(fx, "ref-udp-echo", udp,
	                   "ref-udp-echo: option '--idle-timeout' does not apply to this "
	                   "server\nTry 'ref-udp-echo --help'.\n");
	expect_usage_error(fx, "ref-timestamp", with_udp,
	                   "ref-timestamp: --idle-timeout does not apply with --udp: there are "
	                   "no connections\nTry 'ref-timestamp --help'.\n");
	expect_usage_error(fx, "ref-echo", missing,
	                   "ref-echo: option '--idle-timeout' requires an argument\nTry "
	                   "'ref-echo --help'.\n");
}

/* --help says where the default cap comes from and what happens past it. */
static void test_servers_echo_help_documents_the_limits(void **state)
{
	static const char *const musts[] = {
	    "--max-clients N", "RLIMIT_NOFILE",          "hard limit",
	    "listen backlog",  "--idle-timeout SECONDS", "default 0: never"};
	const char *args[] = {"--help", NULL};
	struct fixture *fx = *state;
	struct proc *p = spawn(fx, "ref-echo", args);

	expect_exit(fx, p, 0, "--help");
	for (size_t i = 0; i < sizeof(musts) / sizeof(musts[0]); i++)
		if (!strstr(p->out, musts[i]))
			fail_msg("ref-echo --help: expected \"%s\" in:\n%s", musts[i], p->out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_servers_echo_once_exits_0_on_sigterm_before_a_client),
	    T(test_servers_accept_close_exits_0_on_sigint_before_a_client),
	    T(test_servers_echo_iterative_stops_with_a_client_connected),
	    T(test_servers_echo_threaded_stops_with_clients_connected),
	    T(test_servers_hello_stops_during_a_reply_delay),
	    T(test_servers_echo_busy_port_fails),
	    T(test_servers_udp_echo_busy_port_fails),
	    T(test_servers_hello_busy_port_fails),
	    T(test_servers_timestamp_busy_port_fails),
	    T(test_servers_timestamp_udp_busy_port_fails),
	    T(test_servers_accept_close_busy_port_fails),
	    T(test_servers_ok_busy_port_fails),
	    T(test_servers_echo_rejects_bad_idle_timeouts),
	    T(test_servers_idle_timeout_rejected_where_it_does_not_apply),
	    T(test_servers_echo_help_documents_the_limits),
	};

	if (fixture_signals() < 0)
		return 1;
	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
