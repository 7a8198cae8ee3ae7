/* SPDX-License-Identifier: MIT */
/*
 * echo-bench: races ref-echo --mode threaded against socat + cat, the
 * baseline any hand-written echo server should beat, on lock-step 64-byte
 * round trips, short connections and bulk throughput. Each measurement is
 * cut into rounds run in ABBA order across both servers, so machine noise
 * hits both alike, and every echoed byte is checked. Before the races,
 * while both servers are fresh, it holds --idle connections to each and
 * reads from /proc what they cost in memory (procmem.c). A missed target is
 * reported, not an error: exit 0 when the measurements ran, 1 on a failure
 * (a server did not start, wrong bytes, a call failed or timed out), 2 on
 * a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "net.h"
#include "procmem.h"

#ifndef SOCKSPEC_BIN_DIR
#define SOCKSPEC_BIN_DIR "."
#endif

#define BENCH_MSG_LEN     64                   /* round trip and connection payload */
#define BENCH_CHUNK       (1024 * 1024)        /* bulk write and read size */
#define BENCH_PATTERN_LEN (BENCH_CHUNK + 4093) /* bulk pattern period: no I/O size divides it */
#define BENCH_ROUNDS      4                    /* rounds per server and metric */
#define BENCH_IO_TIMEOUT  5                    /* seconds any send, recv or connect may take */
#define BENCH_START_S     5.0                  /* for a server to start listening */
#define BENCH_STOP_S      1.0                  /* between SIGTERM and SIGKILL */
#define BENCH_ERR_MAX     256                  /* size of every error buffer (err) */
#define BENCH_READY       "listening on "      /* ref-echo's readiness line */
#define BENCH_IDLE        2000                 /* default --idle */
#define BENCH_IDLE_MAX    10000                /* socat runs two processes per connection */
#define BENCH_FD_SPARE    64                   /* fds besides the idle connections */
#define BENCH_SETTLE_S    60.0                 /* for a server to take or drop them all */
#define BENCH_BACKLOG     4096                 /* socat's listen backlog, as ref-echo's */

enum { SRV_REF, SRV_SOCAT, SRV_COUNT };
enum { M_RTT, M_CONN, M_BULK, M_COUNT };

/* A server under measurement: the leader of a process group we made. */
struct server {
	const char *name; /* "ref-echo" or "socat" */
	pid_t pid;        /* its pid and process group; -1: not running */
	struct addr addr; /* where it listens */
};

/* Settings and buffers every measurement shares. */
struct bench {
	double seconds;   /* --seconds: per metric and server */
	double round_s;   /* seconds / BENCH_ROUNDS */
	int idle;         /* --idle: connections held for the memory reading (0: none) */
	uint8_t *pattern; /* BENCH_PATTERN_LEN bytes, then its first BENCH_CHUNK again */
	uint8_t *buf;     /* BENCH_CHUNK bytes for the bulk reader */
};

/* What one metric accumulated for one server over its rounds. */
struct tally {
	double units;   /* round trips, connections or bytes echoed */
	double seconds; /* time they took */
};

/* What a server's memory was without and with b->idle idle connections. */
struct footprint {
	struct procmem alone; /* just listening */
	struct procmem idle;  /* holding the idle connections */
};

/* One row of the table. */
struct metric {
	const char *label; /* "round trips/s" */
	double scale;      /* units per displayed unit */
	double target;     /* ref-echo / socat ratio to meet */
	/* Runs one round against a, adding to t. Returns 0 or -1, err filled. */
	int (*run)(const struct addr *a, const struct bench *b, struct tally *t, char *err);
};

static volatile sig_atomic_t stop_flag; /* SIGINT or SIGTERM arrived */

static void on_stop(int signo)
{
	(void)signo;
	stop_flag = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills err (BENCH_ERR_MAX bytes) printf-style and returns -1. */
static int say(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, BENCH_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* "CALL: strerror(e)"; a timeout (EAGAIN on a blocking socket) spelled out. */
static int fail(char *err, const char *call, int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINPROGRESS
	           ? say(err, "%s: no progress in %d s", call, BENCH_IO_TIMEOUT)
	           : say(err, "%s: %s", call, strerror(e));
}

/* Reports the first byte of got that differs from want. */
static int mismatch(char *err, uint64_t offset, const uint8_t *want, const uint8_t *got, size_t len)
{
	size_t i = 0;

	while (i + 1 < len && want[i] == got[i])
		i++;
	return say(err, "data mismatch at byte %llu: expected 0x%02x, got 0x%02x",
	           (unsigned long long)(offset + i), want[i], got[i]);
}

/* Connects to a with TCP_NODELAY and send/receive timeouts, so that no
 * later call can hang. Returns the fd, or -1 with err filled. */
static int dial(const struct addr *a, char *err)
{
	struct timeval tv = {BENCH_IO_TIMEOUT, 0};
	char text[ADDR_TEXT_MAX], call[ADDR_TEXT_MAX + 16];
	int fd = socket(addr_family(a), SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc = 0;

	if (fd < 0)
		return fail(err, "socket", errno);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		rc = fail(err, "setsockopt", errno);
	} else if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		snprintf(call, sizeof(call), "connect(%s)", addr_format(a, text, sizeof(text)));
		rc = fail(err, call, errno);
	}
	if (rc < 0)
		close(fd);
	return rc < 0 ? -1 : fd;
}

/* Sends all len bytes. EINTR is retried unless we are being stopped. */
static int send_all(int fd, const uint8_t *buf, size_t len, char *err)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR && !stop_flag)
			continue;
		if (n < 0)
			return fail(err, "send", errno);
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Receives up to cap bytes. Returns the count, 0 at EOF, or -1. */
static ssize_t recv_some(int fd, uint8_t *buf, size_t cap, char *err)
{
	ssize_t n;

	do
		n = recv(fd, buf, cap, 0);
	while (n < 0 && errno == EINTR && !stop_flag);
	return n < 0 ? fail(err, "recv", errno) : n;
}

/* Sends BENCH_MSG_LEN bytes stamped with seq; checks exactly those return. */
static int echo_once(int fd, uint64_t seq, char *err)
{
	uint8_t out[BENCH_MSG_LEN], in[BENCH_MSG_LEN];
	size_t got = 0;
	ssize_t n = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(seq * 131 + i * 7);
	if (send_all(fd, out, sizeof(out), err) < 0)
		return -1;
	while (got < sizeof(in) && (n = recv_some(fd, in + got, sizeof(in) - got, err)) > 0)
		got += (size_t)n;
	if (n <= 0)
		return n < 0 ? -1
		             : say(err, "recv: EOF with %zu bytes not echoed", sizeof(in) - got);
	if (memcmp(out, in, sizeof(out)) != 0)
		return mismatch(err, seq * sizeof(out), out, in, sizeof(out));
	return 0;
}

/* Ends a connection leaving no TIME_WAIT on either side, so that a fast
 * server cannot exhaust the ephemeral ports: half-close, wait for the
 * server's EOF (so its close is part of the cost measured), then reset
 * the rest (SO_LINGER 0). An RST straight away would make socat log an
 * error per connection. */
static int hang_up(int fd, char *err)
{
	struct linger reset = {1, 0};
	uint8_t extra;
	ssize_t n;

	if (shutdown(fd, SHUT_WR) < 0)
		return fail(err, "shutdown", errno);
	n = recv_some(fd, &extra, 1, err);
	if (n != 0)
		return n < 0 ? -1
		             : say(err, "recv: byte 0x%02x after the echo, expected EOF", extra);
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) < 0)
		return fail(err, "setsockopt(SO_LINGER)", errno);
	return 0;
}

/* 64-byte echoes, lock-step: all on one connection, or (fresh) each on
 * a connection of its own. */
static int measure_echoes(const struct addr *a, const struct bench *b, struct tally *t, char *err,
                          int fresh)
{
	double start = now_s(), end = start + b->round_s;
	int fd = -1, rc = 0;
	uint64_t n = 0;

	while (rc == 0 && now_s() < end) {
		if (fd < 0 && (fd = stop_flag ? say(err, "interrupted") : dial(a, err)) < 0)
			rc = -1;
		else if ((rc = echo_once(fd, n, err)) == 0 && fresh)
			rc = hang_up(fd, err);
		if (fd >= 0 && (fresh || rc < 0))
			close(fd), fd = -1;
		n += rc == 0;
	}
	if (fd >= 0)
		close(fd);
	t->units += (double)n;
	t->seconds += now_s() - start;
	return rc;
}

static int measure_rtt(const struct addr *a, const struct bench *b, struct tally *t, char *err)
{
	return measure_echoes(a, b, t, err, 0);
}

static int measure_conns(const struct addr *a, const struct bench *b, struct tally *t, char *err)
{
	return measure_echoes(a, b, t, err, 1);
}

/* The writer half of a bulk round, run on its own thread. */
struct bulk_writer {
	int fd;                  /* the connection, shared with the reader */
	const uint8_t *pattern;  /* struct bench.pattern */
	double end;              /* stop writing at this time */
	uint64_t sent;           /* bytes written */
	int rc;                  /* 0, or -1 with err filled */
	char err[BENCH_ERR_MAX]; /* what failed */
};

static void *bulk_write(void *arg)
{
	struct bulk_writer *w = arg;

	while (w->rc == 0 && now_s() < w->end && !stop_flag) {
		w->rc =
		    send_all(w->fd, w->pattern + w->sent % BENCH_PATTERN_LEN, BENCH_CHUNK, w->err);
		w->sent += w->rc == 0 ? BENCH_CHUNK : 0;
	}
	if (shutdown(w->fd, SHUT_WR) < 0 && w->rc == 0)
		w->rc = fail(w->err, "shutdown", errno);
	return NULL;
}

/* Reads the echo until EOF, checking every byte against the pattern. */
static int bulk_read(int fd, const struct bench *b, uint64_t *got, char *err)
{
	for (;;) {
		ssize_t n = recv_some(fd, b->buf, BENCH_CHUNK, err);
		const uint8_t *want = b->pattern + *got % BENCH_PATTERN_LEN;
		if (n <= 0)
			return (int)n;
		if (memcmp(b->buf, want, (size_t)n) != 0)
			return mismatch(err, *got, want, b->buf, (size_t)n);
		*got += (uint64_t)n;
	}
}

/* Bulk: a writer thread streams 1 MiB buffers for round_s while this
 * thread reads the echo back; the rate is bytes echoed per second. */
static int measure_bulk(const struct addr *a, const struct bench *b, struct tally *t, char *err)
{
	struct bulk_writer w = {.fd = dial(a, err), .pattern = b->pattern};
	double start = now_s();
	uint64_t got = 0;
	pthread_t tid;
	int rc;

	if (w.fd < 0)
		return -1;
	w.end = start + b->round_s;
	rc = pthread_create(&tid, NULL, bulk_write, &w);
	if (rc != 0) {
		close(w.fd);
		return fail(err, "pthread_create", rc);
	}
	rc = bulk_read(w.fd, b, &got, err);
	t->seconds += now_s() - start;
	t->units += (double)got;
	if (rc < 0)
		shutdown(w.fd, SHUT_RDWR); /* unblocks the writer */
	pthread_join(tid, NULL);
	close(w.fd);
	if (rc == 0 && w.rc < 0)
		rc = say(err, "%s", w.err);
	if (rc == 0 && got != w.sent)
		rc = say(err, "EOF after %llu echoed bytes, expected %llu", (unsigned long long)got,
		         (unsigned long long)w.sent);
	return rc;
}

/* Starts argv in a process group of its own, so that stopping it also
 * reaches socat's per-connection children; stdout goes to out_fd (-1:
 * ours). Returns the pid, or -1 with err filled. */
static pid_t spawn(char *const argv[], int out_fd, char *err)
{
	pid_t pid = fork();

	if (pid < 0)
		return fail(err, "fork", errno);
	if (pid == 0) {
		setpgid(0, 0);
		if (out_fd < 0 || dup2(out_fd, STDOUT_FILENO) >= 0)
			execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "echo-bench: exec(%s): %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* as the child does: a kill can never miss the group */
	return pid;
}

/* Reads one line from fd within BENCH_START_S, byte by byte so as never
 * to read past it, and leaves it in line without its LF. */
static int read_line(int fd, char *line, size_t cap, char *err)
{
	double end = now_s() + BENCH_START_S;
	size_t len = 0;
	ssize_t n = 0;

	while (len + 1 < cap && (len == 0 || line[len - 1] != '\n')) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int rc = poll(&p, 1, (int)((end - now_s()) * 1000) + 1);
		if (rc < 0 && errno == EINTR && !stop_flag)
			continue;
		if (rc <= 0 || now_s() > end)
			return rc < 0 ? fail(err, "poll", errno)
			              : say(err, "no output within %g s", BENCH_START_S);
		while ((n = read(fd, line + len, 1)) < 0 && errno == EINTR)
			;
		if (n <= 0)
			return n < 0 ? fail(err, "read", errno) : say(err, "stdout: EOF, no line");
		len += (size_t)n;
	}
	line[len - (line[len - 1] == '\n')] = '\0';
	return 0;
}

/* Starts ref-echo on port 0 and learns its address from the line it
 * prints once listening. */
static int start_ref_echo(struct server *s, char *err)
{
	char *argv[] = {SOCKSPEC_BIN_DIR "/ref-echo", "--mode", "threaded", "-p", "0", NULL};
	char line[ADDR_TEXT_MAX + 32];
	size_t skip = strlen(BENCH_READY);
	int out[2], rc;

	if (pipe2(out, O_CLOEXEC) < 0)
		return fail(err, "pipe2", errno);
	s->pid = spawn(argv, out[1], err);
	close(out[1]);
	rc = s->pid < 0 ? -1 : read_line(out[0], line, sizeof(line), err);
	close(out[0]);
	if (rc == 0 && strncmp(line, BENCH_READY, skip) != 0)
		rc = say(err, "stdout: expected \"%sADDR\", got \"%.64s\"", BENCH_READY, line);
	return rc < 0 ? -1 : addr_parse(line + skip, 0, &s->addr, err, BENCH_ERR_MAX);
}

/* Retries connect until s listens, dies, or BENCH_START_S passes. */
static int wait_listening(struct server *s, char *err)
{
	double end = now_s() + BENCH_START_S;
	char text[ADDR_TEXT_MAX];
	int status, fd, e;

	for (;;) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return say(err, "exited (wait status 0x%x) before listening", status);
		}
		fd = socket(addr_family(&s->addr), SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fail(err, "socket", errno);
		e = connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) < 0 ? errno : 0;
		close(fd);
		if (e == 0 || stop_flag)
			return e == 0 ? 0 : say(err, "interrupted");
		if ((e != ECONNREFUSED && e != EINTR) || now_s() > end)
			return say(err, "connect(%s): %s%s",
			           addr_format(&s->addr, text, sizeof(text)), strerror(e),
			           e == ECONNREFUSED ? ", still, at the deadline" : "");
		poll(NULL, 0, 5); /* a short nap between tries */
	}
}

/* Starts socat on a port that was free a moment ago: bound to port 0,
 * looked at, closed. */
static int start_socat(struct server *s, char *err)
{
	char listen[96], cmd[] = "EXEC:cat", *argv[] = {"socat", listen, cmd, NULL};
	socklen_t len = sizeof(s->addr.ss);
	int fd, rc = 0;

	if (addr_parse("127.0.0.1", 0, &s->addr, err, BENCH_ERR_MAX) < 0)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return fail(err, "socket", errno);
	if (bind(fd, (struct sockaddr *)&s->addr.ss, s->addr.len) < 0)
		rc = fail(err, "bind(127.0.0.1:0)", errno);
	else if (getsockname(fd, (struct sockaddr *)&s->addr.ss, &len) < 0)
		rc = fail(err, "getsockname", errno);
	close(fd);
	if (rc < 0)
		return -1;
	/* backlog: ref-echo's. socat's own is 5, which a burst of idle
	 * connections overflows, each excess one then waiting out a 1 s SYN
	 * retransmit; the races, one connection at a time, never fill it. */
	snprintf(listen, sizeof(listen), "TCP-LISTEN:%u,fork,reuseaddr,bind=127.0.0.1,backlog=%d",
	         addr_port(&s->addr), BENCH_BACKLOG);
	s->pid = spawn(argv, -1, err);
	return s->pid < 0 ? -1 : wait_listening(s, err);
}

/* SIGTERM to the server's group, SIGKILL after BENCH_STOP_S. Returns the
 * leader's wait status, or -1 when it had to be killed. */
static int stop_server(struct server *s)
{
	double end = now_s() + BENCH_STOP_S;
	siginfo_t info = {0};
	int status = -1, killed;

	if (s->pid <= 0)
		return 0;
	kill(-s->pid, SIGTERM);
	/* WNOWAIT: the leader stays a zombie, so its pid cannot be reused
	 * before the SIGKILL below sweeps up the rest of its group. */
	while (waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       info.si_pid == 0 && now_s() < end)
		poll(NULL, 0, 5);
	killed = info.si_pid == 0;
	kill(-s->pid, SIGKILL);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	s->pid = -1;
	return killed ? -1 : status;
}

/* Waits up to BENCH_SETTLE_S until s runs want threads (ref-echo: one
 * per connection, plus main) or, for a group, want processes (socat: a
 * socat and a cat per connection, plus the listener), then reads its
 * memory into *m. Returns 0 or -1 with err filled. */
static int settle(const struct server *s, int group, unsigned want, struct procmem *m, char *err)
{
	double end = now_s() + BENCH_SETTLE_S;
	char why[BENCH_ERR_MAX];

	for (;;) {
		unsigned have;
		if (procmem_read(s->pid, group, 0, m, why, sizeof(why)) < 0)
			return say(err, "%s", why);
		have = group ? m->procs : m->threads;
		if (have == want && procmem_read(s->pid, group, 1, m, why, sizeof(why)) < 0)
			return say(err, "%s", why);
		if (have == want)
			return 0;
		if (stop_flag)
			return say(err, "interrupted");
		if (now_s() > end)
			return say(err, "%u %s after %g s, expected %u", have,
			           group ? "processes" : "threads", BENCH_SETTLE_S, want);
		poll(NULL, 0, group ? 100 : 20); /* a group means a scan of /proc */
	}
}

/* Reads s alone, opens b->idle connections and lets them sit, reads s
 * again once it serves them all, then closes them and waits until s is
 * alone again, so that the races start from a quiet machine. */
static int measure_idle(const struct server *s, int group, const struct bench *b,
                        struct footprint *f, char *err)
{
	int *fds = calloc((size_t)b->idle, sizeof(*fds)), n = 0, rc;
	unsigned per = group ? 2 : 1;
	struct procmem after;

	if (!fds)
		return fail(err, "calloc", ENOMEM);
	rc = settle(s, group, 1, &f->alone, err);
	while (rc == 0 && n < b->idle) {
		fds[n] = stop_flag ? say(err, "interrupted") : dial(&s->addr, err);
		rc = fds[n] < 0 ? -1 : 0;
		n += rc == 0;
	}
	if (rc == 0)
		rc = settle(s, group, 1 + per * (unsigned)n, &f->idle, err);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return rc == 0 ? settle(s, group, 1, &after, err) : rc;
}

/* The idle-connection footprint of both servers (none with --idle 0). */
static int measure_memory(const struct server *srv, const struct bench *b,
                          struct footprint f[SRV_COUNT], char *err)
{
	char why[BENCH_ERR_MAX];

	for (int i = 0; i < SRV_COUNT && b->idle > 0; i++)
		if (measure_idle(&srv[i], i == SRV_SOCAT, b, &f[i], why) < 0)
			return say(err, "%s: %d idle connections: %.200s", srv[i].name, b->idle,
			           why);
	return 0;
}

static const struct metric metrics[M_COUNT] = {
    [M_RTT] = {"round trips/s", 1, 1.0, measure_rtt},
    [M_CONN] = {"connections/s", 1, 10.0, measure_conns},
    [M_BULK] = {"bulk MB/s", 1e6, 2.0, measure_bulk},
};

/* Runs every metric, its rounds in ABBA order across the servers. */
static int run_all(const struct server *srv, const struct bench *b,
                   struct tally t[M_COUNT][SRV_COUNT], char *err)
{
	char why[BENCH_ERR_MAX];

	for (int m = 0; m < M_COUNT; m++)
		for (int r = 0; r < 2 * BENCH_ROUNDS; r++) {
			int i = ((r + 1) / 2) % 2; /* 0 1 1 0 0 1 1 0 */
			if (metrics[m].run(&srv[i].addr, b, &t[m][i], why) < 0)
				return say(err, "%s: %s: %.200s", srv[i].name, metrics[m].label,
				           why);
		}
	return 0;
}

static void print_table(const struct server *srv, const struct bench *b,
                        struct tally t[M_COUNT][SRV_COUNT])
{
	char text[SRV_COUNT][ADDR_TEXT_MAX], target[32];

	printf("ref-echo --mode threaded at %s vs socat + cat at %s\n"
	       "%g s per metric and server in %d interleaved rounds; MB = 10^6 bytes\n\n",
	       addr_format(&srv[SRV_REF].addr, text[0], sizeof(text[0])),
	       addr_format(&srv[SRV_SOCAT].addr, text[1], sizeof(text[1])), b->seconds,
	       BENCH_ROUNDS);
	printf("%-14s %12s %12s %8s %8s  %s\n", "metric", "ref-echo", "socat", "ratio", "target",
	       "result");
	for (int m = 0; m < M_COUNT; m++) {
		double fig[SRV_COUNT], ratio;
		for (int i = 0; i < SRV_COUNT; i++)
			fig[i] = t[m][i].units / t[m][i].seconds / metrics[m].scale;
		ratio = fig[SRV_REF] / fig[SRV_SOCAT];
		snprintf(target, sizeof(target), ">= %gx", metrics[m].target);
		printf("%-14s %12.1f %12.1f %7.2fx %8s  %s\n", metrics[m].label, fig[SRV_REF],
		       fig[SRV_SOCAT], ratio, target,
		       ratio >= metrics[m].target ? "met" : "MISSED");
	}
}

/* Memory per idle connection, with ratios as in the table: ref-echo's
 * figure over socat's, so that here lower is better. */
static void print_memory(const struct bench *b, const struct footprint f[SRV_COUNT])
{
	double rss[SRV_COUNT], pss[SRV_COUNT];

	if (b->idle == 0)
		return;
	for (int i = 0; i < SRV_COUNT; i++) {
		rss[i] = ((double)f[i].idle.rss_kib - (double)f[i].alone.rss_kib) / b->idle;
		pss[i] = ((double)f[i].idle.pss_kib - (double)f[i].alone.pss_kib) / b->idle;
	}
	printf("\nmemory per idle connection: %d held open to each fresh server, from /proc\n"
	       "(socat: summed over its process group, a socat and a cat per connection;\n"
	       "an RSS sum counts shared pages once per process, PSS shares them out);\n"
	       "KiB = 1024 bytes, lower is better\n\n",
	       b->idle);
	printf("%-14s %12s %12s %8s\n", "memory", "ref-echo", "socat", "ratio");
	printf("%-14s %12llu %12llu\n", "RSS alone KiB", f[SRV_REF].alone.rss_kib,
	       f[SRV_SOCAT].alone.rss_kib);
	printf("%-14s %12llu %12llu\n", "RSS idle KiB", f[SRV_REF].idle.rss_kib,
	       f[SRV_SOCAT].idle.rss_kib);
	printf("%-14s %12.1f %12.1f %7.4fx\n", "RSS KiB/conn", rss[SRV_REF], rss[SRV_SOCAT],
	       rss[SRV_REF] / rss[SRV_SOCAT]);
	printf("%-14s %12.1f %12.1f %7.4fx\n", "PSS KiB/conn", pss[SRV_REF], pss[SRV_SOCAT],
	       pss[SRV_REF] / pss[SRV_SOCAT]);
	printf("socat takes %.0fx the RSS (%.0fx the PSS) of ref-echo per idle connection\n",
	       rss[SRV_SOCAT] / rss[SRV_REF], pss[SRV_SOCAT] / pss[SRV_REF]);
}

/* Returns -1 to go on, or the exit status: 0 after --help, 2 on misuse. */
static int parse_args(int argc, char **argv, struct bench *b)
{
	static const struct option opts[] = {{"seconds", required_argument, NULL, 's'},
	                                     {"idle", required_argument, NULL, 'i'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	char *end = NULL;
	long idle;
	int opt, bad = 0;

	b->seconds = 2;
	b->idle = BENCH_IDLE;
	while ((opt = getopt_long(argc, argv, "s:i:h", opts, NULL)) == 's' || opt == 'i') {
		if (opt == 's') {
			b->seconds = strtod(optarg, &end);
			bad |= *end || !(b->seconds >= 0.05 && b->seconds <= 3600);
		} else {
			idle = strtol(optarg, &end, 10);
			bad |= end == optarg || *end || idle < 0 || idle > BENCH_IDLE_MAX;
			b->idle = (int)idle;
		}
	}
	if (opt == 'h' || opt == '?' || optind < argc || bad) {
		fprintf(
		    opt == 'h' ? stdout : stderr,
		    "usage: echo-bench [--seconds S] [--idle N]\n"
		    "Races ref-echo --mode threaded against socat + cat on 64-byte round trips,\n"
		    "short connections and bulk throughput, and prints a table; first, holds N\n"
		    "idle connections to each and prints their memory per connection.\n\n"
		    "  -s, --seconds S  time per metric and server, 0.05 to 3600 (default 2)\n"
		    "  -i, --idle N     idle connections, 0 (skip) to %d (default %d)\n"
		    "  -h, --help       this text\n\n"
		    "Exit 0 when the measurements ran (targets met or not), 1 on a failure.\n",
		    BENCH_IDLE_MAX, BENCH_IDLE);
		return opt == 'h' ? 0 : 2;
	}
	b->round_s = b->seconds / BENCH_ROUNDS;
	return -1;
}

/* Allocates the bulk buffers; the pattern repeats its first BENCH_CHUNK
 * bytes at the end so any offset's next BENCH_CHUNK bytes are contiguous. */
static int make_buffers(struct bench *b, char *err)
{
	uint32_t x = 2463534242u; /* xorshift32: cheap, no short period */

	b->pattern = malloc(BENCH_PATTERN_LEN + BENCH_CHUNK);
	b->buf = malloc(BENCH_CHUNK);
	if (!b->pattern || !b->buf)
		return fail(err, "malloc", ENOMEM);
	for (size_t i = 0; i < BENCH_PATTERN_LEN; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		b->pattern[i] = (uint8_t)x;
	}
	memcpy(b->pattern + BENCH_PATTERN_LEN, b->pattern, BENCH_CHUNK);
	return 0;
}

/* Raises RLIMIT_NOFILE for the idle connections. Returns 0 or -1. */
static int enough_fds(const struct bench *b, char *err)
{
	long nofile = net_raise_nofile();

	if (nofile < 0)
		return fail(err, "setrlimit(RLIMIT_NOFILE)", (int)-nofile);
	if (nofile < (long)b->idle + BENCH_FD_SPARE)
		return say(err, "--idle %d needs %d fds, RLIMIT_NOFILE allows %ld", b->idle,
		           b->idle + BENCH_FD_SPARE, nofile);
	return 0;
}

/* Stops both servers; ref-echo must exit 0 on SIGTERM. Returns 0 or -1. */
static int stop_all(struct server *srv, char *err)
{
	int ref = stop_server(&srv[SRV_REF]);

	stop_server(&srv[SRV_SOCAT]);
	if (ref < 0)
		return say(err, "ref-echo: still running %g s after SIGTERM", BENCH_STOP_S);
	if (ref != 0)
		return say(err, "ref-echo: wait status 0x%x after SIGTERM, expected exit 0", ref);
	return 0;
}

int main(int argc, char **argv)
{
	struct server srv[SRV_COUNT] = {{.name = "ref-echo", .pid = -1},
	                                {.name = "socat", .pid = -1}};
	struct tally t[M_COUNT][SRV_COUNT] = {0};
	struct footprint f[SRV_COUNT] = {0};
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: calls see EINTR */
	struct bench b = {0};
	char err[BENCH_ERR_MAX] = "", why[BENCH_ERR_MAX] = "";
	int rc = parse_args(argc, argv, &b);

	if (rc >= 0)
		return rc;
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		rc = fail(err, "sigaction", errno);
	else if (enough_fds(&b, err) < 0)
		rc = -1;
	else if (make_buffers(&b, err) < 0)
		rc = -1;
	else if (start_ref_echo(&srv[SRV_REF], why) < 0)
		rc = say(err, "ref-echo: %.200s", why);
	else if (start_socat(&srv[SRV_SOCAT], why) < 0)
		rc = say(err, "socat: %.200s", why);
	else if ((rc = measure_memory(srv, &b, f, err)) == 0 &&
	         (rc = run_all(srv, &b, t, err)) == 0) {
		print_table(srv, &b, t);
		print_memory(&b, f);
	}
	if (stop_all(srv, rc < 0 ? why : err) < 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "echo-bench: %s\n", err);
	free(b.pattern);
	free(b.buf);
	return rc < 0 ? 1 : 0;
}
