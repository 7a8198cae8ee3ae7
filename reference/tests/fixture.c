/* SPDX-License-Identifier: MIT */
/*
 * The fixture of fixture.h: per-test ownership of processes, fds, paths
 * and buffers, the alarm guard, and the server and client steps the
 * process-level tests are written in. Every step asserts, naming the
 * failing call and showing expected and actual bytes, so a test reads as
 * the exchange it checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static void on_alarm(int signo)
{
	(void)signo;
	/* cmocka's own crash handlers fail the test the same way. */
	fail_msg("test still running at its alarm guard (%d s unless it set more)", TEST_ALARM_S);
}

/* Escapes len bytes as a C string literal into out (SHOW_BUF bytes). */
const char *show(const void *buf, size_t len, char *out)
{
	const uint8_t *b = buf;
	size_t o = 0, i;

	out[o++] = '"';
	for (i = 0; i < len && o < SHOW_MAX; i++) {
		if (b[i] == '\n' || b[i] == '\r')
			o += (size_t)sprintf(out + o, "\\%c", b[i] == '\n' ? 'n' : 'r');
		else if (b[i] == '"' || b[i] == '\\')
			o += (size_t)sprintf(out + o, "\\%c", b[i]);
		else if (b[i] >= 0x20 && b[i] < 0x7f)
			out[o++] = (char)b[i];
		else
			o += (size_t)sprintf(out + o, "\\x%02x", b[i]);
	}
	out[o++] = '"';
	out[o] = '\0';
	if (i < len)
		sprintf(out + o, "...(%zu more)", len - i);
	return out;
}

void expect_same(const char *what, const void *want, size_t wlen, const void *got, size_t glen)
{
	char a[SHOW_BUF], b[SHOW_BUF];
	size_t i = 0;

	if (wlen == glen && memcmp(want, got, wlen) == 0)
		return;
	while (i < wlen && i < glen && ((const uint8_t *)want)[i] == ((const uint8_t *)got)[i])
		i++;
	fail_msg("%s: expected %s (%zu bytes), got %s (%zu bytes), first difference at byte %zu",
	         what, show(want, wlen, a), wlen, show(got, glen, b), glen, i);
}

/* ---- fixture: everything a test makes is released by the teardown ---- */

int suite_setup(void **state)
{
	struct suite *s = calloc(1, sizeof(*s));
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int fd;

	if (!s)
		return -1;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	s->have_ipv6 = fd >= 0 && bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	if (fd >= 0)
		close(fd);
	*state = s;
	return 0;
}

int suite_teardown(void **state)
{
	free(*state);
	return 0;
}

int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->suite = *state;
	for (int i = 0; i < MAX_FDS; i++)
		fx->fds[i] = -1;
	fx->exit_limit_ms = EXIT_LIMIT_MS;
	*state = fx;
	alarm(TEST_ALARM_S);
	return 0;
}

/* A server the test did not reap had a failure: kill it and say how it
 * ended and what it printed, which often names the cause. */
static void report_leftover(struct proc *p)
{
	char st[96], out[SHOW_BUF];
	siginfo_t info;
	int running;

	if (p->pid <= 0)
		return;
	memset(&info, 0, sizeof(info));
	running = waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	          info.si_pid == 0;
	proc_kill(p);
	print_message("[   NOTE   ] %s %s: %s; stdout %s, stderr:\n%s\n", p->prog,
	              running ? "was still running, killed" : "had ended by itself",
	              proc_status_text(p, st, sizeof(st)), show(p->out, p->out_len, out), p->err);
}

int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	alarm(0);
	for (int i = 0; i < MAX_PROCS; i++)
		if (fx->procs[i]) {
			report_leftover(fx->procs[i]);
			free(fx->procs[i]);
		}
	for (int i = 0; i < MAX_FDS; i++)
		if (fx->fds[i] >= 0)
			close(fx->fds[i]);
	for (size_t i = 0; i < fx->crowd_len; i++)
		if (fx->crowd[i] >= 0)
			close(fx->crowd[i]);
	free(fx->crowd);
	for (int i = 0; i < MAX_PATHS; i++)
		if (fx->paths[i][0])
			unlink(fx->paths[i]);
	for (int i = 0; i < MAX_BUFS; i++)
		free(fx->bufs[i]);
	*state = fx->suite;
	free(fx);
	return 0;
}

void *fx_alloc(struct fixture *fx, size_t size)
{
	for (int i = 0; i < MAX_BUFS; i++)
		if (!fx->bufs[i]) {
			fx->bufs[i] = calloc(1, size);
			if (!fx->bufs[i])
				fail_msg("calloc(%zu): out of memory", size);
			return fx->bufs[i];
		}
	fail_msg("fixture: more than %d buffers", MAX_BUFS);
	return NULL;
}

/* A fresh /tmp/sockspec-test-PID-N.sock, unlinked by the teardown. */
static const char *new_path(struct fixture *fx)
{
	for (int i = 0; i < MAX_PATHS; i++)
		if (!fx->paths[i][0]) {
			snprintf(fx->paths[i], sizeof(fx->paths[i]),
			         "/tmp/sockspec-test-%d-%u.sock", (int)getpid(),
			         fx->suite->next_path++);
			if (unlink(fx->paths[i]) < 0 && errno != ENOENT)
				fail_msg("unlink(%s): %s", fx->paths[i], strerror(errno));
			return fx->paths[i];
		}
	fail_msg("fixture: more than %d paths", MAX_PATHS);
	return NULL;
}

static int track_fd(struct fixture *fx, int fd)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (fx->fds[i] < 0) {
			fx->fds[i] = fd;
			return fd;
		}
	close(fd);
	fail_msg("fixture: more than %d fds", MAX_FDS);
	return -1;
}

/* Closes fd; with reset, SO_LINGER 0 makes the close send an RST. */
void drop(struct fixture *fx, int fd, int reset)
{
	struct linger lg = {1, 0};

	for (int i = 0; i < MAX_FDS; i++)
		if (fx->fds[i] == fd)
			fx->fds[i] = -1;
	if (reset && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		fail_msg("setsockopt(SO_LINGER): %s", strerror(errno));
	if (close(fd) < 0)
		fail_msg("close: %s", strerror(errno));
}

/* ---- servers: start, check the readiness line, stop, check the exit ---- */

struct proc *spawn(struct fixture *fx, const char *prog, const char *const args[])
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (!fx->procs[i]) {
			struct proc *p = fx->procs[i] = calloc(1, sizeof(*p));
			if (!p)
				fail_msg("calloc(struct proc): out of memory");
			proc_init(p);
			MUST(fx, proc_start(p, prog, args, fx->err, sizeof(fx->err)));
			return p;
		}
	fail_msg("fixture: more than %d processes", MAX_PROCS);
	return NULL;
}

static void expect_address(const struct proc *p, enum family fam, const char *path)
{
	char want[ADDR_TEXT_MAX + 16];

	if (fam == FAM_UNIX)
		snprintf(want, sizeof(want), "unix:%s", path);
	else
		snprintf(want, sizeof(want), fam == FAM_IPV4 ? "127.0.0.1:%u" : "[::1]:%u",
		         addr_port(&p->addr));
	if (strcmp(p->addr_text, want) != 0)
		fail_msg("%s: expected \"listening on %s\", got \"listening on %s\"", p->prog, want,
		         p->addr_text);
	if (fam != FAM_UNIX && addr_port(&p->addr) == 0)
		fail_msg("%s: printed port 0, not the port the kernel chose", p->prog);
}

/* Starts prog with args then the options that put it on fam, port 0. */
struct proc *start_server(struct fixture *fx, const char *prog, const char *const args[],
                          enum family fam)
{
	const char *all[PROC_ARGS_MAX + 1], *path = NULL;
	size_t n = 0;
	struct proc *p;

	if (fam == FAM_IPV6 && !fx->suite->have_ipv6)
		skip(); /* no IPv6 loopback on this machine */
	for (; args && args[n]; n++)
		all[n] = args[n];
	if (fam == FAM_UNIX) {
		path = new_path(fx);
		all[n++] = "--unix";
		all[n++] = path;
	} else {
		if (fam == FAM_IPV6) {
			all[n++] = "-b";
			all[n++] = "::1";
		}
		all[n++] = "-p";
		all[n++] = "0";
	}
	all[n] = NULL;
	p = spawn(fx, prog, all);
	MUST(fx, proc_wait_ready(p, READY_MS, fx->err, sizeof(fx->err)));
	expect_address(p, fam, path);
	return p;
}

static void expect_no_sanitizer_report(const struct proc *p)
{
	static const char *const marks[] = {"ERROR: AddressSanitizer",
	                                    "runtime error:", "LeakSanitizer"};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(p->err, marks[i]))
			fail_msg("%s: sanitizer report on stderr:\n%s", p->prog, p->err);
}

/* Waits for p to end; it must exit with status within fx->exit_limit_ms. */
void expect_exit(struct fixture *fx, struct proc *p, int status, const char *after)
{
	int wait_ms =
	    fx->exit_limit_ms + 2000 > EXIT_WAIT_MS ? fx->exit_limit_ms + 2000 : EXIT_WAIT_MS;
	char st[96], out[SHOW_BUF];
	long long ms;

	if (proc_wait_exit(p, wait_ms, &ms, fx->err, sizeof(fx->err)) < 0)
		fail_msg("%s after %s: %s; stdout %s, stderr \"%s\"", p->prog, after, fx->err,
		         show(p->out, p->out_len, out), p->err);
	expect_no_sanitizer_report(p);
	if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != status)
		fail_msg("%s after %s: expected exit status %d, got %s; stderr \"%s\"", p->prog,
		         after, status, proc_status_text(p, st, sizeof(st)), p->err);
	if (ms > fx->exit_limit_ms)
		fail_msg("%s took %lld ms to exit after %s, limit %d ms", p->prog, ms, after,
		         fx->exit_limit_ms);
}

/* A clean run prints the readiness line and nothing else. */
void expect_quiet_output(const struct proc *p)
{
	char want[ADDR_TEXT_MAX + 32], a[SHOW_BUF], b[SHOW_BUF];

	snprintf(want, sizeof(want), "listening on %s\n", p->addr_text);
	if (strcmp(p->out, want) != 0)
		fail_msg("%s: expected stdout %s, got %s", p->prog, show(want, strlen(want), a),
		         show(p->out, p->out_len, b));
	if (p->err_len != 0)
		fail_msg("%s: expected empty stderr, got %s", p->prog, show(p->err, p->err_len, a));
}

void stop_server(struct fixture *fx, struct proc *p, int signo)
{
	char after[32];

	snprintf(after, sizeof(after), "%s", signo == SIGINT ? "SIGINT" : "SIGTERM");
	MUST(fx, proc_signal(p, signo, fx->err, sizeof(fx->err)));
	expect_exit(fx, p, 0, after);
	expect_quiet_output(p);
}

/* ---- clients ---- */

int client(struct fixture *fx, const struct proc *p)
{
	int fd;

	MUST(fx, fd = proc_connect(&p->addr, IO_MS, fx->err, sizeof(fx->err)));
	return track_fd(fx, fd);
}

int *crowd(struct fixture *fx, const struct proc *p, size_t n)
{
	assert_null(fx->crowd);
	fx->crowd = malloc(n * sizeof(*fx->crowd));
	if (!fx->crowd)
		fail_msg("malloc(%zu fds): out of memory", n);
	for (fx->crowd_len = 0; fx->crowd_len < n; fx->crowd_len++) {
		int fd = proc_connect(&p->addr, IO_MS, fx->err, sizeof(fx->err));
		if (fd < 0)
			fail_msg("connection %zu of %zu: %s", fx->crowd_len + 1, n, fx->err);
		fx->crowd[fx->crowd_len] = fd;
	}
	return fx->crowd;
}

void crowd_drop(struct fixture *fx, int reset)
{
	struct linger lg = {1, 0};

	for (size_t i = 0; i < fx->crowd_len; i++) {
		int fd = fx->crowd[i];
		fx->crowd[i] = -1;
		if (fd < 0)
			continue;
		if (reset && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) {
			close(fd);
			fail_msg("setsockopt(SO_LINGER): %s", strerror(errno));
		}
		if (close(fd) < 0)
			fail_msg("close: %s", strerror(errno));
	}
	free(fx->crowd);
	fx->crowd = NULL;
	fx->crowd_len = 0;
}

int dgram_client(struct fixture *fx, const struct proc *p)
{
	const char *path = addr_family(&p->addr) == AF_UNIX ? new_path(fx) : NULL;
	int fd;

	MUST(fx, fd = proc_dgram_open(&p->addr, path, fx->err, sizeof(fx->err)));
	return track_fd(fx, fd);
}

void send_text(struct fixture *fx, int fd, const void *buf, size_t len)
{
	MUST(fx, proc_send_all(fd, buf, len, IO_MS, fx->err, sizeof(fx->err)));
}

void shut_wr(int fd)
{
	if (shutdown(fd, SHUT_WR) < 0)
		fail_msg("shutdown(SHUT_WR): %s", strerror(errno));
}

/* Reads exactly len bytes (at most 4096); they must be want. */
void expect_bytes(struct fixture *fx, int fd, const void *want, size_t len, const char *what)
{
	uint8_t got[4096];
	ssize_t n;
	int eof;

	assert_true(len <= sizeof(got));
	MUST(fx, n = proc_recv(fd, got, len, IO_MS, &eof, fx->err, sizeof(fx->err)));
	expect_same(what, want, len, got, (size_t)n);
}

/* Reads until EOF; everything must be exactly want (at most 4095). */
void expect_bytes_then_eof(struct fixture *fx, int fd, const void *want, size_t len,
                           const char *what)
{
	uint8_t got[4096];
	ssize_t n;
	int eof;

	assert_true(len < sizeof(got));
	MUST(fx, n = proc_recv(fd, got, len + 1, IO_MS, &eof, fx->err, sizeof(fx->err)));
	expect_same(what, want, len, got, (size_t)n);
	if (!eof)
		fail_msg("%s: expected EOF after the reply", what);
}

/* ---- the echo exchange that several test programs use ---- */

void exchange_echo(struct fixture *fx, struct proc *p)
{
	static const uint8_t msg[] = {'h', 'e', 'l', 'l', 'o', '\n', 0x00, 0xff};
	int fd = client(fx, p);

	send_text(fx, fd, msg, sizeof(msg));
	shut_wr(fd);
	expect_bytes_then_eof(fx, fd, msg, sizeof(msg), "echo of \"hello\\n\\x00\\xff\"");
	drop(fx, fd, 0);
}

/* ---- for main() ---- */

int fixture_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_NODEFER; /* the handler leaves by longjmp */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0) {
		perror("sigaction(SIGALRM)");
		return -1;
	}
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		perror("sigaction(SIGPIPE)");
		return -1;
	}
	return 0;
}
