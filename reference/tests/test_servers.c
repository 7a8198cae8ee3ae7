/* SPDX-License-Identifier: MIT */
/*
 * Process-level tests of the reference servers: each test starts real
 * server binaries on port 0 (or a fresh Unix socket path), reads their
 * readiness line, talks to them over IPv4, IPv6 and Unix-domain sockets
 * and checks the exact bytes PROTOCOLS.md prescribes, then stops them
 * with SIGTERM or SIGINT and checks they exit 0 within 1 s with nothing
 * on stderr (no sanitizer report either). A fixture owns every process,
 * fd, path and buffer a test makes, so a failing or timed-out test
 * (alarm guard) still kills its servers and cleans up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"

#define TEST_ALARM_S  30   /* a hung test fails after this long */
#define READY_MS      5000 /* a sanitized server can be slow to start */
#define IO_MS         5000 /* any one exchange */
#define EXIT_LIMIT_MS 1000 /* PROTOCOLS.md: exit within 1 s of the signal */
#define EXIT_WAIT_MS  3000 /* how long we wait before calling it hung */
#define MAX_PROCS     3
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
	char err[PROC_ERR_MAX];          /* message of the failed proc_ call */
};

/* One server configuration and the exchange that checks it. */
struct server_case {
	const char *prog;                                     /* binary name */
	const char *args[5];                                  /* options before the address */
	void (*exchange)(struct fixture *fx, struct proc *p); /* exact-bytes check */
	int once;                                             /* exits 0 by itself afterwards */
};

/* Fails the test with the message of a proc_ call that returned < 0. */
#define MUST(fx, expr)                                                                             \
	do {                                                                                       \
		if ((expr) < 0)                                                                    \
			fail_msg("%s", (fx)->err);                                                 \
	} while (0)

static void on_alarm(int signo)
{
	(void)signo;
	/* cmocka's own crash handlers fail the test the same way. */
	fail_msg("test still running after %d s (alarm guard)", TEST_ALARM_S);
}

/* Escapes len bytes as a C string literal into out (SHOW_BUF bytes). */
static const char *show(const void *buf, size_t len, char *out)
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

static void expect_same(const char *what, const void *want, size_t wlen, const void *got,
                        size_t glen)
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

static int suite_setup(void **state)
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

static int suite_teardown(void **state)
{
	free(*state);
	return 0;
}

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->suite = *state;
	for (int i = 0; i < MAX_FDS; i++)
		fx->fds[i] = -1;
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

static int fixture_teardown(void **state)
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
	for (int i = 0; i < MAX_PATHS; i++)
		if (fx->paths[i][0])
			unlink(fx->paths[i]);
	for (int i = 0; i < MAX_BUFS; i++)
		free(fx->bufs[i]);
	*state = fx->suite;
	free(fx);
	return 0;
}

static void *fx_alloc(struct fixture *fx, size_t size)
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
static void drop(struct fixture *fx, int fd, int reset)
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

static struct proc *spawn(struct fixture *fx, const char *prog, const char *const args[])
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
static struct proc *start_server(struct fixture *fx, const char *prog, const char *const args[],
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

/* Waits for p to end; it must exit with status within EXIT_LIMIT_MS. */
static void expect_exit(struct fixture *fx, struct proc *p, int status, const char *after)
{
	char st[96], out[SHOW_BUF];
	long long ms;

	if (proc_wait_exit(p, EXIT_WAIT_MS, &ms, fx->err, sizeof(fx->err)) < 0)
		fail_msg("%s after %s: %s; stdout %s, stderr \"%s\"", p->prog, after, fx->err,
		         show(p->out, p->out_len, out), p->err);
	expect_no_sanitizer_report(p);
	if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != status)
		fail_msg("%s after %s: expected exit status %d, got %s; stderr \"%s\"", p->prog,
		         after, status, proc_status_text(p, st, sizeof(st)), p->err);
	if (ms > EXIT_LIMIT_MS)
		fail_msg("%s took %lld ms to exit after %s, limit %d ms", p->prog, ms, after,
		         EXIT_LIMIT_MS);
}

/* A clean run prints the readiness line and nothing else. */
static void expect_quiet_output(const struct proc *p)
{
	char want[ADDR_TEXT_MAX + 32], a[SHOW_BUF], b[SHOW_BUF];

	snprintf(want, sizeof(want), "listening on %s\n", p->addr_text);
	if (strcmp(p->out, want) != 0)
		fail_msg("%s: expected stdout %s, got %s", p->prog, show(want, strlen(want), a),
		         show(p->out, p->out_len, b));
	if (p->err_len != 0)
		fail_msg("%s: expected empty stderr, got %s", p->prog, show(p->err, p->err_len, a));
}

static void stop_server(struct fixture *fx, struct proc *p, int signo)
{
	char after[32];

	snprintf(after, sizeof(after), "%s", signo == SIGINT ? "SIGINT" : "SIGTERM");
	MUST(fx, proc_signal(p, signo, fx->err, sizeof(fx->err)));
	expect_exit(fx, p, 0, after);
	expect_quiet_output(p);
}

/* ---- clients ---- */

static int client(struct fixture *fx, const struct proc *p)
{
	int fd;

	MUST(fx, fd = proc_connect(&p->addr, IO_MS, fx->err, sizeof(fx->err)));
	return track_fd(fx, fd);
}

static int dgram_client(struct fixture *fx, const struct proc *p)
{
	const char *path = addr_family(&p->addr) == AF_UNIX ? new_path(fx) : NULL;
	int fd;

	MUST(fx, fd = proc_dgram_open(&p->addr, path, fx->err, sizeof(fx->err)));
	return track_fd(fx, fd);
}

static void send_text(struct fixture *fx, int fd, const void *buf, size_t len)
{
	MUST(fx, proc_send_all(fd, buf, len, IO_MS, fx->err, sizeof(fx->err)));
}

static void shut_wr(int fd)
{
	if (shutdown(fd, SHUT_WR) < 0)
		fail_msg("shutdown(SHUT_WR): %s", strerror(errno));
}

/* Reads exactly len bytes (at most 4096); they must be want. */
static void expect_bytes(struct fixture *fx, int fd, const void *want, size_t len, const char *what)
{
	uint8_t got[4096];
	ssize_t n;
	int eof;

	assert_true(len <= sizeof(got));
	MUST(fx, n = proc_recv(fd, got, len, IO_MS, &eof, fx->err, sizeof(fx->err)));
	expect_same(what, want, len, got, (size_t)n);
}

/* Reads until EOF; everything must be exactly want (at most 4095). */
static void expect_bytes_then_eof(struct fixture *fx, int fd, const void *want, size_t len,
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

static void exchange_echo(struct fixture *fx, struct proc *p)
{
	static const uint8_t msg[] = {'h', 'e', 'l', 'l', 'o', '\n', 0x00, 0xff};
	int fd = client(fx, p);

	send_text(fx, fd, msg, sizeof(msg));
	shut_wr(fd);
	expect_bytes_then_eof(fx, fd, msg, sizeof(msg), "echo of \"hello\\n\\x00\\xff\"");
	drop(fx, fd, 0);
}

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

/* ---- stopping ---- */

static void test_servers_echo_once_exits_0_on_sigterm_before_a_client(void **state)
{
	struct fixture *fx = *state;

	stop_server(fx, start_server(fx, "ref-echo", case_echo_once.args, FAM_IPV4), SIGTERM);
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
			fail_msg("%s after 2000 connections: expected %d fds and %d threads (as "
			         "before), got %d fds and %d threads",
			         p->prog, fds0, threads0, fds, threads);
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
	for (int i = 0; i < 2000; i++) {
		int fd = client(fx, p);
		send_text(fx, fd, "x", 1);
		shut_wr(fd);
		expect_bytes_then_eof(fx, fd, "x", 1, "echo in the leak loop");
		drop(fx, fd, 0);
	}
	expect_counts(fx, p, fds0, threads0);
	stop_server(fx, p, SIGTERM);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
#define CASE_ENTRY(c)                                                                              \
	T(test_servers_##c##_ipv4), T(test_servers_##c##_ipv6), T(test_servers_##c##_unix)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CASE_ENTRY(echo_once),
	    CASE_ENTRY(echo_iterative),
	    CASE_ENTRY(echo_threaded),
	    CASE_ENTRY(udp_echo),
	    CASE_ENTRY(hello_line),
	    CASE_ENTRY(hello_chunk),
	    CASE_ENTRY(timestamp_line),
	    CASE_ENTRY(timestamp_chunk),
	    CASE_ENTRY(timestamp_udp),
	    CASE_ENTRY(accept_close),
	    CASE_ENTRY(ok_iterative_line),
	    CASE_ENTRY(ok_iterative_chunk),
	    CASE_ENTRY(ok_threaded_line),
	    CASE_ENTRY(ok_threaded_chunk),
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
	    T(test_servers_echo_threaded_serves_20_clients_at_once),
	    T(test_servers_echo_threaded_echoes_1mib_whole),
	    T(test_servers_echo_threaded_survives_client_resets),
	    T(test_servers_echo_iterative_survives_client_resets),
	    T(test_servers_echo_iterative_serves_a_queued_client_next),
	    T(test_servers_hello_delay_serves_clients_concurrently),
	    T(test_servers_echo_threaded_leaks_no_fds_or_threads),
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_NODEFER; /* the handler leaves by longjmp */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0) {
		perror("sigaction(SIGALRM)");
		return 1;
	}
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		perror("sigaction(SIGPIPE)");
		return 1;
	}
	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
