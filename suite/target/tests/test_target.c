/* SPDX-License-Identifier: MIT */
/*
 * Tests of the target supervisor (target.h) against real processes: the
 * reference servers on IPv4, IPv6 and Unix sockets, readiness from
 * /proc/net without using up a "once" server's connection, timeouts,
 * early exits, missing binaries, SIGTERM-proof targets and forked
 * children killed with their group, restarts on the same port with a
 * client still connected, second instances, /proc counts, external
 * targets and the exact error texts. Each test has its own loop and an
 * alarm() against hangs; teardown checks that every handle was closed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "procfs.h"
#include "sweep.h"
#include "target.h"

#ifndef SOCKSPEC_BIN_DIR
#define SOCKSPEC_BIN_DIR "/work/main/build/bin"
#endif

#ifndef SOCKSPEC_TEST_DIR
#define SOCKSPEC_TEST_DIR "."
#endif
#define LISTENER "python3 " SOCKSPEC_TEST_DIR "/listener.py"

#define TEST_ALARM_S 20   /* per test */
#define WAIT_MS      8000 /* longest wait for any one event */
#define CMD_MAX      1024

/* Outcome of one target callback. */
struct result {
	int calls;  /* times the callback ran: must end up 1 */
	int status; /* last status */
};

struct fx {
	uv_loop_t loop;   /* the test's own loop */
	uv_timer_t tick;  /* keeps run_until() from blocking */
	struct target *t; /* freed by teardown unless NULL */
};

static const char *bin_dir(void)
{
	const char *d = getenv("SOCKSPEC_BIN_DIR");

	return d && *d ? d : SOCKSPEC_BIN_DIR;
}

/* printf into out (CMD_MAX bytes); returns out. */
static const char *fmt_cmd(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, CMD_MAX, fmt, ap);
	va_end(ap);
	return out;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || uv_loop_init(&f->loop) != 0 || uv_timer_init(&f->loop, &f->tick) != 0)
		return -1;
	alarm(TEST_ALARM_S);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->t)
		target_free(f->t);
	uv_close((uv_handle_t *)&f->tick, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle was closed */
	free(f);
	alarm(0);
	return 0;
}

static void on_result(struct target *t, int status, void *arg)
{
	struct result *r = arg;

	(void)t;
	r->calls++;
	r->status = status;
}

static void on_tick(uv_timer_t *h)
{
	(void)h;
}

/* Runs the loop until done(arg) or ms pass; returns done(arg). */
static int run_until(struct fx *f, int (*done)(void *), void *arg, uint64_t ms)
{
	uint64_t end;

	uv_update_time(&f->loop);
	end = uv_now(&f->loop) + ms;
	uv_timer_start(&f->tick, on_tick, 10, 10);
	while (!done(arg) && uv_now(&f->loop) < end)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->tick);
	return done(arg);
}

static int result_in(void *arg)
{
	return ((struct result *)arg)->calls > 0;
}

/* Waits for the callback of r and returns its status. */
static int wait_result(struct fx *f, struct result *r)
{
	if (!run_until(f, result_in, r, WAIT_MS))
		fail_msg("no callback within %d ms", WAIT_MS);
	assert_int_equal(r->calls, 1);
	return r->status;
}

static struct target *new_target(struct fx *f, const char *command, int family, int socktype,
                                 uint64_t ready_ms, double scale)
{
	struct target_cfg cfg = {command, NULL, socktype, family, scale, ready_ms};
	char err[TARGET_ERR_MAX] = "";

	if (target_new(&f->loop, &cfg, &f->t, err, sizeof(err)) != 0)
		fail_msg("target_new(%s): %s", command, err);
	return f->t;
}

static void start_ok(struct fx *f)
{
	struct result r = {0, 0};
	int rc = target_start(f->t, on_result, &r);

	if (rc == 0)
		rc = wait_result(f, &r);
	if (rc != 0)
		fail_msg("start of %s: expected 0, got %d (%s); stderr: %s", target_describe(f->t),
		         rc, strerror(-rc), target_stderr(f->t, NULL));
	assert_true(target_running(f->t));
}

static void stop_ok(struct fx *f)
{
	struct result r = {0, 0};

	assert_int_equal(target_stop(f->t, on_result, &r), 0);
	assert_int_equal(r.calls, 0); /* never from inside target_stop() */
	assert_int_equal(wait_result(f, &r), 0);
	assert_false(target_running(f->t));
}

static void expect_exit(struct target *t, int status, int signo)
{
	int got_status = 12345, got_signo = 12345;

	assert_int_equal(target_exit_info(t, &got_status, &got_signo), 1);
	assert_int_equal(got_status, status);
	assert_int_equal(got_signo, signo);
}

/* ---- clients ---- */

static int open_client(const struct addr *a, int type)
{
	struct timeval tv = {3, 0};
	int fd = socket(addr_family(a), type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	/* A Unix datagram client needs an address to be answered at: autobind one. */
	if (addr_family(a) == AF_UNIX && type == SOCK_DGRAM)
		assert_int_equal(bind(fd, (const struct sockaddr *)&a->ss, sizeof(sa_family_t)), 0);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

static void echo_on(int fd, char c)
{
	char got = 0;

	assert_int_equal(send(fd, &c, 1, MSG_NOSIGNAL), 1);
	assert_int_equal(recv(fd, &got, 1, 0), 1);
	assert_int_equal(got, c);
}

static void echo_once(const struct addr *a, int type)
{
	int fd = open_client(a, type);

	echo_on(fd, 'x');
	close(fd);
}

/* ---- processes ---- */

/* Reads state and process group of pid from /proc (after the last ')'). */
static int proc_state(pid_t pid, char *state, long *pgrp)
{
	char path[64], buf[1024], *p;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fp = fopen(path, "re");
	if (!fp)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && sscanf(p + 1, " %c %*d %ld", state, pgrp) == 2 ? 0 : -1;
}

/* Alive and not a zombie (PID 1 of a container may never reap orphans). */
static int process_alive(pid_t pid)
{
	char state;
	long pgrp;

	return proc_state(pid, &state, &pgrp) == 0 && state != 'Z';
}

static int group_gone(void *arg)
{
	pid_t pgid = *(pid_t *)arg;
	struct dirent *e;
	DIR *d = opendir("/proc");
	char state;
	long pgrp;
	int alive = 0;

	assert_non_null(d);
	while (!alive && (e = readdir(d)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    proc_state((pid_t)atol(e->d_name), &state, &pgrp) == 0 && pgrp == pgid &&
		    state != 'Z')
			alive = 1;
	closedir(d);
	return !alive;
}

static int stdout_has(void *arg)
{
	void **a = arg;

	return strstr(target_stdout(a[0], NULL), a[1]) != NULL;
}

/* The number printed after `word` on the target's stdout. */
static pid_t pid_after(struct fx *f, const char *word)
{
	void *a[2] = {f->t, (void *)word};
	const char *p;

	if (!run_until(f, stdout_has, a, WAIT_MS))
		fail_msg("no \"%s\" on stdout: %s", word, target_stdout(f->t, NULL));
	p = strstr(target_stdout(f->t, NULL), word) + strlen(word);
	return (pid_t)atol(p);
}

/* ---- the reference servers on each family ---- */

static void echo_lifecycle(struct fx *f, int family, const char *host)
{
	char cmd[CMD_MAX], want[CMD_MAX], text[ADDR_TEXT_MAX];
	const struct addr *a;
	ssize_t n;
	pid_t pid;

	new_target(f, fmt_cmd(cmd, "%s/ref-echo --mode threaded -b {addr}", bin_dir()), family,
	           SOCK_STREAM, 0, 1.0);
	start_ok(f);
	a = target_addr(f->t);
	assert_non_null(a);
	assert_int_equal(addr_family(a), family);
	addr_format(a, text, sizeof(text));
	if (host) {
		assert_true(addr_port(a) != 0);
		snprintf(want, sizeof(want), "%s:%u", host, addr_port(a));
		assert_string_equal(text, want);
	}
	snprintf(want, sizeof(want), "%s/ref-echo --mode threaded -b %s", bin_dir(), text);
	assert_string_equal(target_describe(f->t), want);
	pid = target_pid(f->t);
	assert_true(pid > 0);
	assert_int_equal(getpgid(pid), pid); /* its own process group */
	snprintf(want, sizeof(want), "/proc/%ld/fd/0", (long)pid);
	n = readlink(want, text, sizeof(text) - 1);
	assert_true(n > 0);
	text[n] = '\0';
	assert_string_equal(text, "/dev/null"); /* stdin */
	assert_int_equal(target_exit_info(f->t, NULL, NULL), 0);
	echo_once(a, SOCK_STREAM);
	stop_ok(f);
	expect_exit(f->t, 0, 0);
	assert_int_equal(target_pid(f->t), 0);
}

static void test_target_echo_ipv4(void **state)
{
	echo_lifecycle(*state, AF_INET, "127.0.0.1");
}

static void test_target_echo_ipv6(void **state)
{
	echo_lifecycle(*state, AF_INET6, "[::1]");
}

static void test_target_echo_unix(void **state)
{
	struct fx *f = *state;
	const char *tmp = getenv("TMPDIR");
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], prefix[256], *slash;
	struct stat st;

	echo_lifecycle(f, AF_UNIX, NULL);
	snprintf(path, sizeof(path), "%s",
	         ((struct sockaddr_un *)&target_addr(f->t)->ss)->sun_path);
	snprintf(prefix, sizeof(prefix), "%s/sockspec-", tmp && *tmp ? tmp : "/tmp");
	assert_memory_equal(path, prefix, strlen(prefix));
	slash = strrchr(path, '/');
	assert_string_equal(slash, "/target-1.sock");
	*slash = '\0';
	assert_int_equal(stat(path, &st), 0);
	target_free(f->t);
	f->t = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(stat(path, &st), -1); /* the private directory is gone */
	assert_int_equal(errno, ENOENT);
}

static void test_target_stdout_captured(void **state)
{
	struct fx *f = *state;
	char cmd[CMD_MAX], want[128], text[ADDR_TEXT_MAX];
	size_t len = 99;

	new_target(f, fmt_cmd(cmd, "%s/ref-echo -b {addr}", bin_dir()), AF_INET, SOCK_STREAM, 0,
	           1.0);
	start_ok(f);
	snprintf(want, sizeof(want), "listening on %s\n",
	         addr_format(target_addr(f->t), text, sizeof(text)));
	/* Ready may come from /proc before the line is read from the pipe
	 * (a slow, sanitized server prints after its listen()): give the
	 * loop up to 2 s to read it. */
	for (int i = 0; i < 200 && strlen(target_stdout(f->t, NULL)) < strlen(want); i++) {
		struct timespec ms10 = {0, 10 * 1000000L};

		uv_run(&f->loop, UV_RUN_NOWAIT);
		nanosleep(&ms10, NULL);
	}
	assert_string_equal(target_stdout(f->t, &len), want);
	assert_int_equal(len, strlen(want));
	assert_string_equal(target_stderr(f->t, &len), "");
	assert_int_equal(len, 0);
	stop_ok(f);
	assert_string_equal(target_stdout(f->t, NULL), want); /* kept until the next start */
}

/* Readiness from /proc only: stdout goes to /dev/null, so no "listening on". */
static void test_target_once_ready_without_connecting(void **state)
{
	struct fx *f = *state;
	char cmd[CMD_MAX];
	struct result r = {0, 0};

	new_target(f,
	           fmt_cmd(cmd,
	                   "sh -c 'exec \"$0\" --mode once -b \"$1\" >/dev/null' %s/ref-echo "
	                   "{addr}",
	                   bin_dir()),
	           AF_INET, SOCK_STREAM, 0, 1.0);
	start_ok(f);
	assert_string_equal(target_stdout(f->t, NULL), "");
	echo_once(target_addr(f->t), SOCK_STREAM); /* the one connection is still ours */
	target_on_exit(f->t, on_result, &r);
	assert_int_equal(wait_result(f, &r), 0);
	expect_exit(f->t, 0, 0);
	stop_ok(f); /* nothing running: cb(0) on the next turn */
}

/* server (ref-echo or ref-udp-echo) with stdout on /dev/null must be found
 * ready from /proc/net alone, then echo and stop with status 0. */
static void ready_from_proc(struct fx *f, const char *server, int family, int type)
{
	char cmd[CMD_MAX];

	new_target(f,
	           fmt_cmd(cmd, "sh -c 'exec \"$0\" -b \"$1\" >/dev/null' %s/%s {addr}", bin_dir(),
	                   server),
	           family, type, 0, 1.0);
	start_ok(f);
	assert_string_equal(target_stdout(f->t, NULL), "");
	echo_once(target_addr(f->t), type);
	stop_ok(f);
	expect_exit(f->t, 0, 0);
}

static void test_target_tcp6_ready_from_proc(void **state)
{
	ready_from_proc(*state, "ref-echo", AF_INET6, SOCK_STREAM);
}

static void test_target_udp_ready_from_proc(void **state)
{
	ready_from_proc(*state, "ref-udp-echo", AF_INET, SOCK_DGRAM);
}

static void test_target_udp6_ready_from_proc(void **state)
{
	ready_from_proc(*state, "ref-udp-echo", AF_INET6, SOCK_DGRAM);
}

static void test_target_unix_stream_ready_from_proc(void **state)
{
	ready_from_proc(*state, "ref-echo", AF_UNIX, SOCK_STREAM);
}

static void test_target_unix_dgram_ready_from_proc(void **state)
{
	ready_from_proc(*state, "ref-udp-echo", AF_UNIX, SOCK_DGRAM);
}

static void test_target_start_picks_new_unix_path(void **state)
{
	struct fx *f = *state;
	char cmd[CMD_MAX], first[ADDR_TEXT_MAX], second[ADDR_TEXT_MAX];

	new_target(f, fmt_cmd(cmd, "%s/ref-echo --unix {unix}", bin_dir()), AF_UNIX, SOCK_STREAM, 0,
	           1.0);
	start_ok(f);
	addr_format(target_addr(f->t), first, sizeof(first));
	stop_ok(f);
	start_ok(f);
	addr_format(target_addr(f->t), second, sizeof(second));
	assert_string_not_equal(first, second);
	assert_non_null(strstr(second, "/target-2.sock"));
	echo_once(target_addr(f->t), SOCK_STREAM);
	stop_ok(f);
}

/* ---- failures to start ---- */

static void test_target_never_ready_times_out(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};
	uint64_t t0, ms;
	pid_t pgid;

	/* `; :` keeps sh from exec'ing sleep: the group has two processes. */
	new_target(f, "sh -c 'echo pid $$; sleep 30; :' {port}", AF_INET, SOCK_STREAM, 300, 1.0);
	t0 = uv_hrtime();
	assert_int_equal(target_start(f->t, on_result, &r), 0);
	assert_int_equal(wait_result(f, &r), -ETIMEDOUT);
	ms = (uv_hrtime() - t0) / 1000000;
	if (ms < 280 || ms > 2500)
		fail_msg("timed out after %llu ms, expected about 300", (unsigned long long)ms);
	expect_exit(f->t, -1, SIGKILL);
	pgid = pid_after(f, "pid ");
	assert_true(pgid > 0);
	assert_true(run_until(f, group_gone, &pgid, 2000));
}

static void test_target_early_exit_is_echild(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};

	new_target(f, "sh -c 'echo oops >&2; exit 3' {port}", AF_INET, SOCK_STREAM, 0, 1.0);
	assert_int_equal(target_start(f->t, on_result, &r), 0);
	assert_int_equal(wait_result(f, &r), -ECHILD);
	expect_exit(f->t, 3, 0);
	assert_string_equal(target_stderr(f->t, NULL), "oops\n"); /* drained before the cb */
	assert_false(target_running(f->t));
}

static void test_target_missing_binary_is_enoent(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};
	char want[128];

	new_target(f, "/nonexistent/sockspec-no-server -p {port}", AF_INET, SOCK_STREAM, 0, 1.0);
	assert_int_equal(target_start(f->t, on_result, &r), -ENOENT);
	snprintf(want, sizeof(want), "/nonexistent/sockspec-no-server -p %u",
	         addr_port(target_addr(f->t)));
	assert_string_equal(target_describe(f->t), want);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(r.calls, 0);
	assert_false(target_running(f->t));
	assert_int_equal(target_pid(f->t), 0);
}

/* ---- stopping ---- */

static void test_target_sigterm_ignored_killed_after_grace(void **state)
{
	struct fx *f = *state;
	uint64_t t0, ms;

	/* scale 0.3: a 300 ms grace. */
	new_target(f, LISTENER " {port} --ignore-term", AF_INET, SOCK_STREAM, 0, 0.3);
	start_ok(f);
	t0 = uv_hrtime();
	stop_ok(f);
	ms = (uv_hrtime() - t0) / 1000000;
	if (ms < 280 || ms > 2500)
		fail_msg("stopped after %llu ms, expected about 300", (unsigned long long)ms);
	expect_exit(f->t, -1, SIGKILL);
}

static void test_target_forked_child_killed_on_stop(void **state)
{
	struct fx *f = *state;
	struct target_counts c;
	char cmd[CMD_MAX], state_c;
	long pgrp;
	pid_t child, pid;

	/* The child ignores SIGTERM: only the SIGKILL after the exit ends it. */
	new_target(f,
	           fmt_cmd(cmd,
	                   "sh -c '(trap \"\" TERM; exec sleep 60) & echo child $!; exec \"$0\" -b "
	                   "\"$1\"' %s/ref-echo {addr}",
	                   bin_dir()),
	           AF_INET, SOCK_STREAM, 0, 1.0);
	start_ok(f);
	pid = target_pid(f->t);
	child = pid_after(f, "child ");
	assert_true(child > 0);
	assert_int_equal(proc_state(child, &state_c, &pgrp), 0);
	assert_int_equal(pgrp, pid);
	assert_int_equal(target_counts(f->t, &c), 0);
	assert_int_equal(c.children, 1);
	stop_ok(f);
	expect_exit(f->t, 0, 0);
	assert_true(run_until(f, group_gone, &pid, 2000));
	assert_false(process_alive(child));
}

static void test_target_restart_keeps_port_with_client_open(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};
	char cmd[CMD_MAX];
	uint16_t port;
	pid_t old;
	int fd;

	new_target(f, fmt_cmd(cmd, "%s/ref-echo --mode threaded -b {addr}", bin_dir()), AF_INET,
	           SOCK_STREAM, 0, 1.0);
	start_ok(f);
	port = addr_port(target_addr(f->t));
	old = target_pid(f->t);
	fd = open_client(target_addr(f->t), SOCK_STREAM);
	echo_on(fd, 'a');
	assert_int_equal(target_restart(f->t, on_result, &r), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(wait_result(f, &r), 0);
	assert_int_equal(addr_port(target_addr(f->t)), port);
	assert_true(target_pid(f->t) != old);
	echo_once(target_addr(f->t), SOCK_STREAM);
	close(fd);
	stop_ok(f);
}

static void test_target_signal_and_on_exit(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0}, again = {0, 0};
	char cmd[CMD_MAX];

	new_target(f, fmt_cmd(cmd, "%s/ref-echo -b {addr}", bin_dir()), AF_INET, SOCK_STREAM, 0,
	           1.0);
	start_ok(f);
	target_on_exit(f->t, on_result, &r);
	assert_int_equal(target_signal(f->t, SIGKILL), 0);
	assert_int_equal(wait_result(f, &r), 0);
	expect_exit(f->t, -1, SIGKILL);
	assert_int_equal(target_signal(f->t, SIGTERM), -ESRCH);
	assert_int_equal(target_counts(f->t, &(struct target_counts){0, 0, 0, 0, 0}), -ESRCH);
	target_on_exit(f->t, on_result, &again); /* exited already: next loop turn */
	assert_int_equal(again.calls, 0);
	assert_int_equal(wait_result(f, &again), 0);
}

static void test_target_free_while_running_kills_group(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};
	char cmd[CMD_MAX];
	pid_t pid;

	new_target(f, fmt_cmd(cmd, "%s/ref-echo -b {addr}", bin_dir()), AF_INET, SOCK_STREAM, 0,
	           1.0);
	start_ok(f);
	pid = target_pid(f->t);
	target_on_exit(f->t, on_result, &r);
	target_free(f->t);
	f->t = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(r.calls, 0); /* no callback after target_free() */
	assert_true(group_gone(&pid));
}

static void test_target_free_during_start(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};

	new_target(f, "sh -c 'echo pid $$; exec sleep 30' {port}", AF_INET, SOCK_STREAM, 0, 1.0);
	assert_int_equal(target_start(f->t, on_result, &r), 0);
	assert_int_equal(target_start(f->t, on_result, &r), -EBUSY);
	assert_int_equal(target_stop(f->t, on_result, &r), -EBUSY);
	target_free(f->t);
	f->t = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(r.calls, 0);
}

/* Freeing the target from inside its own callback is allowed. */
static void free_in_callback(struct target *t, int status, void *arg)
{
	struct fx *f = arg;

	assert_int_equal(status, 0);
	assert_ptr_equal(t, f->t);
	target_free(t);
	f->t = NULL;
}

static void test_target_free_from_callback(void **state)
{
	struct fx *f = *state;
	char cmd[CMD_MAX];

	new_target(f, fmt_cmd(cmd, "%s/ref-echo -b {addr}", bin_dir()), AF_INET, SOCK_STREAM, 0,
	           1.0);
	assert_int_equal(target_start(f->t, free_in_callback, f), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT); /* ends once everything is closed */
	assert_null(f->t);
}

/* ---- second instances ---- */

static void test_target_second_instance_fails_in_use(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};
	char cmd[CMD_MAX], want[256];

	new_target(f, fmt_cmd(cmd, "%s/ref-echo -b {addr}", bin_dir()), AF_INET, SOCK_STREAM, 0,
	           1.0);
	start_ok(f);
	assert_int_equal(target_second_instance(f->t, 2000, on_result, &r), 0);
	assert_int_equal(target_second_instance(f->t, 2000, on_result, &r), -EBUSY);
	assert_int_equal(wait_result(f, &r), 0);
	snprintf(want, sizeof(want),
	         "exited with status 1: \"ref-echo: bind(127.0.0.1:%u): Address already in use\"",
	         addr_port(target_addr(f->t)));
	assert_string_equal(target_second_report(f->t), want);
	echo_once(target_addr(f->t), SOCK_STREAM); /* the first one is unharmed */
	stop_ok(f);
}

static void test_target_second_instance_still_running(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};

	new_target(f, LISTENER " {port} --reuseport", AF_INET, SOCK_STREAM, 0, 1.0);
	start_ok(f);
	assert_int_equal(target_second_instance(f->t, 200, on_result, &r), 0);
	assert_int_equal(wait_result(f, &r), -ETIMEDOUT);
	assert_string_equal(target_second_report(f->t),
	                    "still running after 200 ms: it bound the same port (SO_REUSEPORT?)");
	assert_true(target_running(f->t));
	stop_ok(f);
}

static void test_target_second_instance_exit_zero(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};

	/* The first instance takes a lock file; the second finds it and exits 0. */
	new_target(f, LISTENER " {port} --lock {unix}.lock", AF_INET, SOCK_STREAM, 0, 1.0);
	start_ok(f);
	assert_int_equal(target_second_instance(f->t, 2000, on_result, &r), 0);
	assert_int_equal(wait_result(f, &r), -EEXIST);
	assert_string_equal(target_second_report(f->t), "exited with status 0 (nothing on stderr)");
	stop_ok(f);
}

/* ---- readiness, deadlines and leftovers ---- */

/* "listening on" another port: refused soon after, with what it said. */
static void test_target_announced_elsewhere(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};
	char want[32];
	uint64_t t0;

	new_target(f, LISTENER " {port} --elsewhere", AF_INET, SOCK_STREAM, 0, 1.0);
	t0 = uv_hrtime();
	assert_int_equal(target_start(f->t, on_result, &r), 0);
	assert_int_equal(wait_result(f, &r), -EADDRNOTAVAIL);
	assert_true((uv_hrtime() - t0) / 1000000 < 2000); /* not the 5 s of readiness */
	snprintf(want, sizeof(want), "%u", addr_port(target_addr(f->t)));
	assert_non_null(target_announced(f->t));
	assert_string_not_equal(target_announced(f->t), want); /* it said another port */
	assert_true(strtoul(target_announced(f->t), NULL, 10) > 0);
}

/* The deadline of target_set_deadline() cuts readiness short. */
static void test_target_deadline_bounds_readiness(void **state)
{
	struct fx *f = *state;
	struct result r = {0, 0};
	uint64_t t0, ms;

	new_target(f, "sh -c 'exec sleep 30' {port}", AF_INET, SOCK_STREAM, 0, 1.0);
	uv_update_time(&f->loop);
	target_set_deadline(f->t, uv_now(&f->loop) + 300);
	t0 = uv_hrtime();
	assert_int_equal(target_start(f->t, on_result, &r), 0);
	assert_int_equal(wait_result(f, &r), -ETIMEDOUT);
	ms = (uv_hrtime() - t0) / 1000000;
	if (ms < 250 || ms > 2000)
		fail_msg("not ready after %llu ms, expected about 300", (unsigned long long)ms);
}

/* Past the deadline a stop is a SIGKILL at once, not SIGTERM and grace. */
static void test_target_stop_after_deadline_kills(void **state)
{
	struct fx *f = *state;
	uint64_t t0, ms;

	new_target(f, LISTENER " {port} --ignore-term", AF_INET, SOCK_STREAM, 0, 1.0);
	start_ok(f);
	uv_update_time(&f->loop);
	target_set_deadline(f->t, uv_now(&f->loop));
	t0 = uv_hrtime();
	stop_ok(f);
	ms = (uv_hrtime() - t0) / 1000000;
	if (ms > 500)
		fail_msg("stopped after %llu ms, expected at once", (unsigned long long)ms);
	expect_exit(f->t, -1, SIGKILL);
}

/* A daemon (setsid, double fork) holding the port outlives the stop;
 * the sweep finds it, says so, kills it and frees the port. */
static void test_target_sweep_kills_daemon(void **state)
{
	struct fx *f = *state;
	struct strbuf report = {NULL, 0, 0, 0};
	char want[96];
	uint16_t port;
	int n;

	assert_int_equal(sweep_adopt(), 0);
	new_target(f, LISTENER " {port} --daemon", AF_INET, SOCK_STREAM, 0, 1.0);
	start_ok(f);
	port = addr_port(target_addr(f->t));
	stop_ok(f);
	assert_int_equal(procfs_inet_bound(AF_INET, SOCK_STREAM, port), 1); /* it outlived it */
	n = sweep_leftovers(&f->loop, target_addr(f->t), SOCK_STREAM, &report);
	assert_int_equal(n, 1);
	snprintf(want, sizeof(want), " listening on 127.0.0.1:%u", port);
	assert_true(strncmp(strbuf_text(&report), "the target left pid ", 20) == 0);
	assert_non_null(strstr(strbuf_text(&report), want));
	assert_int_equal(procfs_inet_bound(AF_INET, SOCK_STREAM, port), 0);
	assert_int_equal(sweep_leftovers(&f->loop, NULL, 0, NULL), 0); /* nothing left */
	strbuf_release(&report);
}

/* ---- inspection ---- */

static void test_target_counts_of_ref_echo(void **state)
{
	struct fx *f = *state;
	struct target_counts c = {-1, -1, -1, -1, -1};
	char cmd[CMD_MAX];

	new_target(f, fmt_cmd(cmd, "%s/ref-echo --mode threaded -b {addr}", bin_dir()), AF_INET,
	           SOCK_STREAM, 0, 1.0);
	start_ok(f);
	assert_int_equal(target_counts(f->t, &c), 0);
	assert_true(c.fds >= 3); /* stdin, stdout, stderr and the listening socket */
	assert_true(c.threads >= 1);
	assert_int_equal(c.children, 0);
	assert_true(c.rss_kib > 64 && c.rss_kib < 1024 * 1024); /* a small C server: KiB */
	assert_true(c.mappings > 4); /* the binary, libc, stack, heap... */
	stop_ok(f);
	assert_int_equal(target_counts(f->t, &c), -ESRCH);
}

/* Output beyond TARGET_OUTPUT_MAX keeps only the last bytes. */
static void test_target_output_capped(void **state)
{
	struct fx *f = *state;
	char want[64];
	const char *out;
	size_t len = 0, start;

	new_target(f, LISTENER " {port} --noise 200000", AF_INET, SOCK_STREAM, 0, 1.0);
	start_ok(f);
	out = target_stdout(f->t, &len);
	assert_int_equal(len, TARGET_OUTPUT_MAX);
	assert_int_equal(strlen(out), len);
	snprintf(want, sizeof(want), "\nlistening on %u\n", addr_port(target_addr(f->t)));
	assert_string_equal(out + len - strlen(want), want);
	/* The rest is the end of the 200000 bytes of `yes`, exactly. */
	start = 200000 + strlen(want) - len;
	for (size_t i = 0; i + strlen(want) < len; i++)
		if (out[i] != "0123456789\n"[(start + i) % 11])
			fail_msg("byte %zu of the kept output: got 0x%02x", i,
			         (unsigned char)out[i]);
	stop_ok(f);
}

/* ---- external targets ---- */

static void test_target_external_connect(void **state)
{
	struct fx *f = *state;
	struct target_cfg cfg = {NULL, NULL, SOCK_STREAM, AF_INET, 1.0, 0};
	struct target *ext = NULL;
	struct result r = {0, 0}, s = {0, 0};
	char cmd[CMD_MAX], text[ADDR_TEXT_MAX], want[ADDR_TEXT_MAX + 16], err[TARGET_ERR_MAX];
	struct target_counts c;

	new_target(f, fmt_cmd(cmd, "%s/ref-echo -b {addr}", bin_dir()), AF_INET, SOCK_STREAM, 0,
	           1.0);
	start_ok(f);
	cfg.connect = addr_format(target_addr(f->t), text, sizeof(text));
	assert_int_equal(target_new(&f->loop, &cfg, &ext, err, sizeof(err)), 0);
	assert_int_equal(target_launched(ext), 0);
	snprintf(want, sizeof(want), "connect %s", text);
	assert_string_equal(target_describe(ext), want);
	assert_int_equal(target_start(ext, on_result, &r), 0);
	assert_int_equal(r.calls, 0); /* next loop turn, not now */
	assert_int_equal(wait_result(f, &r), 0);
	echo_once(target_addr(ext), SOCK_STREAM);
	assert_int_equal(target_restart(ext, on_result, &r), -ENOTSUP);
	assert_int_equal(target_signal(ext, SIGTERM), -ENOTSUP);
	assert_int_equal(target_second_instance(ext, 100, on_result, &r), -ENOTSUP);
	assert_int_equal(target_counts(ext, &c), -ENOTSUP);
	assert_int_equal(target_stop(ext, on_result, &s), 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(wait_result(f, &s), 0);
	assert_true(target_running(f->t)); /* stopping ext touched nothing real */
	target_free(ext);
	stop_ok(f);
}

static void test_target_external_bad_address(void **state)
{
	struct fx *f = *state;
	struct target_cfg cfg = {NULL, "127.0.0.1", SOCK_STREAM, AF_INET, 1.0, 0};
	char err[TARGET_ERR_MAX] = "";

	assert_int_equal(target_new(&f->loop, &cfg, &f->t, err, sizeof(err)), -1);
	assert_null(f->t);
	assert_string_equal(err, "bad address \"127.0.0.1\": expected a port, as in HOST:PORT");
}

/* ---- command errors ---- */

static void expect_new_error(struct fx *f, const char *command, const char *want)
{
	struct target_cfg cfg = {command, NULL, SOCK_STREAM, AF_INET, 1.0, 0};
	char err[TARGET_ERR_MAX] = "";

	assert_int_equal(target_new(&f->loop, &cfg, &f->t, err, sizeof(err)), -1);
	assert_null(f->t);
	assert_string_equal(err, want);
}

static void test_target_unbalanced_quote_error(void **state)
{
	/*                       col 1   ^ 13 */
	expect_new_error(*state, "ref-echo -b '{addr}",
	                 "target command: unbalanced quote at column 13");
	expect_new_error(*state, "sh -c \"exec x {port}\\\"",
	                 "target command: unbalanced quote at column 7");
}

static void test_target_missing_placeholder_error(void **state)
{
	expect_new_error(*state, "ref-echo --port 8088 '{host}'",
	                 "target command has no {port}, {addr} or {unix}: the runner cannot tell "
	                 "it where to listen");
}

static void test_target_empty_command_error(void **state)
{
	expect_new_error(*state, " \t ", "target command is empty");
}

static void test_target_quoting_in_describe(void **state)
{
	struct fx *f = *state;

	new_target(f, "prog 'a b' \"c\\\"d\" e\\ f '' -p{port}", AF_INET, SOCK_STREAM, 0, 1.0);
	assert_string_equal(target_describe(f->t), "prog 'a b' 'c\"d' 'e f' '' -p{port}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_target_echo_ipv4),
	    T(test_target_echo_ipv6),
	    T(test_target_echo_unix),
	    T(test_target_stdout_captured),
	    T(test_target_once_ready_without_connecting),
	    T(test_target_tcp6_ready_from_proc),
	    T(test_target_udp_ready_from_proc),
	    T(test_target_udp6_ready_from_proc),
	    T(test_target_unix_stream_ready_from_proc),
	    T(test_target_unix_dgram_ready_from_proc),
	    T(test_target_start_picks_new_unix_path),
	    T(test_target_never_ready_times_out),
	    T(test_target_early_exit_is_echild),
	    T(test_target_missing_binary_is_enoent),
	    T(test_target_sigterm_ignored_killed_after_grace),
	    T(test_target_forked_child_killed_on_stop),
	    T(test_target_restart_keeps_port_with_client_open),
	    T(test_target_announced_elsewhere),
	    T(test_target_deadline_bounds_readiness),
	    T(test_target_stop_after_deadline_kills),
	    T(test_target_sweep_kills_daemon),
	    T(test_target_signal_and_on_exit),
	    T(test_target_free_while_running_kills_group),
	    T(test_target_free_during_start),
	    T(test_target_free_from_callback),
	    T(test_target_second_instance_fails_in_use),
	    T(test_target_second_instance_still_running),
	    T(test_target_second_instance_exit_zero),
	    T(test_target_counts_of_ref_echo),
	    T(test_target_output_capped),
	    T(test_target_external_connect),
	    T(test_target_external_bad_address),
	    T(test_target_unbalanced_quote_error),
	    T(test_target_missing_placeholder_error),
	    T(test_target_empty_command_error),
	    T(test_target_quoting_in_describe),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
