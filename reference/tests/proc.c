/* SPDX-License-Identifier: MIT */
/*
 * Process and socket plumbing for the process-level tests (see proc.h).
 * The child is started with fork() + execv() rather than posix_spawn()
 * so that it can ask the kernel to SIGKILL it when the test process dies:
 * a crashed or timed-out test run then leaves no server behind.
 */
#define _GNU_SOURCE
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SOCKSPEC_BIN_DIR
#error "SOCKSPEC_BIN_DIR must name the directory of the server binaries"
#endif

#define READY_PREFIX "listening on "
#define DRAIN_MS     500 /* reading a dead child's pipes to EOF */
#define KILL_WAIT_MS 2000

/* What the child writes on its exec-report pipe when a step fails. */
struct exec_report {
	int step; /* index into step_names */
	int err;  /* errno of that step */
};

static const char *const step_names[] = {"prctl(PR_SET_PDEATHSIG)", "open(/dev/null)", "dup2",
                                         "sigprocmask", "execv"};

long long proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, never negative. */
static int left_ms(long long deadline)
{
	long long left = deadline - proc_now_ms();

	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

void proc_init(struct proc *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->out_fd = -1;
	p->err_fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Runs in the child between fork() and execv(): async-signal-safe calls
 * only. Never returns. */
static void child(const char *path, char *const argv[], int out_w, int err_w, int report_w,
                  pid_t parent)
{
	struct exec_report r = {0, 0};
	struct sigaction sa;
	sigset_t none;
	int null_fd;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	if (getppid() != parent)
		_exit(127); /* the test died before prctl() took effect */
	r.step = 1;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		goto fail;
	r.step = 2;
	if (dup2(null_fd, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		goto fail;
	r.step = 3;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&none);
	if (sigaction(SIGPIPE, &sa, NULL) < 0 || sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		goto fail;
	r.step = 4;
	execv(path, argv);
fail:
	r.err = errno;
	if (write(report_w, &r, sizeof(r)) < 0)
		_exit(126);
	_exit(127);
}

/* Reads the child's exec report: EOF means execv() succeeded. */
static int read_exec_report(int fd, const char *path, char *err, size_t errlen)
{
	struct exec_report r;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int rc;

	do
		rc = poll(&pfd, 1, 5000);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0) {
		snprintf(err, errlen, "poll(exec report of %s): %s", path,
		         rc == 0 ? "timed out after 5000 ms" : strerror(errno));
		return -1;
	}
	do
		n = read(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "read(exec report of %s): %s", path, strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(r) || r.step < 0 || r.step > 4) {
		snprintf(err, errlen, "child of %s: garbled exec report", path);
		return -1;
	}
	snprintf(err, errlen, "%s(%s) in the child: %s", step_names[r.step], path, strerror(r.err));
	return -1;
}

/* Builds argv = {name, args..., NULL}. Returns 0 or -1 (too many). */
static int build_argv(char *argv[], const char *name, const char *const args[])
{
	size_t i;

	argv[0] = (char *)name;
	for (i = 0; args && args[i]; i++) {
		if (i >= PROC_ARGS_MAX)
			return -1;
		argv[i + 1] = (char *)args[i];
	}
	argv[i + 1] = NULL;
	return 0;
}

int proc_start(struct proc *p, const char *name, const char *const args[], char *err, size_t errlen)
{
	char path[PATH_MAX], *argv[PROC_ARGS_MAX + 2];
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, report[2] = {-1, -1}, e;
	pid_t pid;

	proc_init(p);
	snprintf(p->prog, sizeof(p->prog), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", SOCKSPEC_BIN_DIR, name);
	if (build_argv(argv, name, args) < 0) {
		snprintf(err, errlen, "%s: more than %d arguments", name, PROC_ARGS_MAX);
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(path, argv, out[1], errp[1], report[1], getppid());
	p->pid = pid;
	close_fd(&out[1]);
	close_fd(&errp[1]);
	close_fd(&report[1]);
	p->out_fd = out[0];
	p->err_fd = errp[0];
	out[0] = errp[0] = -1;
	if (read_exec_report(report[0], path, err, errlen) < 0)
		goto fail;
	if (fcntl(p->out_fd, F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(p->err_fd, F_SETFL, O_NONBLOCK) < 0) {
		snprintf(err, errlen, "fcntl(O_NONBLOCK): %s", strerror(errno));
		goto fail;
	}
	close_fd(&report[0]);
	return 0;
fail:
	e = errno;
	for (int i = 0; i < 2; i++) {
		close_fd(&out[i]);
		close_fd(&errp[i]);
		close_fd(&report[i]);
	}
	proc_kill(p);
	errno = e;
	return -1;
}

/* Appends what is readable on *fd to buf; closes *fd at EOF. */
static int drain_pipe(int *fd, char *buf, size_t *len, char *err, size_t errlen)
{
	char scratch[4096];

	for (;;) {
		size_t room = PROC_CAPTURE - *len;
		char *dst = room > 0 ? buf + *len : scratch;
		ssize_t n = read(*fd, dst, room > 0 ? room : sizeof(scratch));
		if (n > 0) {
			if (room > 0)
				*len += (size_t)n; /* beyond PROC_CAPTURE: dropped */
			buf[*len] = '\0';
			continue;
		}
		if (n == 0) {
			close_fd(fd);
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		snprintf(err, errlen, "read(pipe): %s", strerror(errno));
		return -1;
	}
}

/* Waits up to timeout_ms for output on p's pipes and captures it. With
 * both pipes at EOF this just sleeps. Returns 0 or -1 with err filled. */
static int pump(struct proc *p, int timeout_ms, char *err, size_t errlen)
{
	struct pollfd pfd[2];
	nfds_t n = 0;
	int rc;

	if (p->out_fd >= 0)
		pfd[n++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
	if (p->err_fd >= 0)
		pfd[n++] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
	rc = poll(n ? pfd : NULL, n, timeout_ms);
	if (rc < 0 && errno != EINTR) {
		snprintf(err, errlen, "poll(pipes of %s): %s", p->prog, strerror(errno));
		return -1;
	}
	if (p->out_fd >= 0 && drain_pipe(&p->out_fd, p->out, &p->out_len, err, errlen) < 0)
		return -1;
	if (p->err_fd >= 0 && drain_pipe(&p->err_fd, p->err, &p->err_len, err, errlen) < 0)
		return -1;
	return 0;
}

/* Reaps p if it has exited. Returns 1 reaped, 0 still running, -1. */
static int try_reap(struct proc *p, char *err, size_t errlen)
{
	pid_t r;
	int st;

	if (p->pid < 0)
		return 1;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		snprintf(err, errlen, "waitpid(%s, pid %d): %s", p->prog, (int)p->pid,
		         strerror(errno));
		return -1;
	}
	if (r == 0)
		return 0;
	p->status = st;
	p->reaped = 1;
	p->pid = -1;
	return 1;
}

const char *proc_status_text(const struct proc *p, char *out, size_t outlen)
{
	if (!p->reaped)
		snprintf(out, outlen, "still running");
	else if (WIFEXITED(p->status))
		snprintf(out, outlen, "exit status %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(out, outlen, "killed by signal %d (%s)", WTERMSIG(p->status),
		         strsignal(WTERMSIG(p->status)));
	else
		snprintf(out, outlen, "wait status 0x%x", (unsigned)p->status);
	return out;
}

/* Checks the first stdout line once it is complete. */
static int parse_ready(struct proc *p, const char *nl, char *err, size_t errlen)
{
	char perr[PROC_ERR_MAX];
	size_t plen = strlen(READY_PREFIX), alen = (size_t)(nl - p->out) - plen;

	if ((size_t)(nl - p->out) < plen || strncmp(p->out, READY_PREFIX, plen) != 0 || alen == 0) {
		snprintf(err, errlen,
		         "%s: expected \"listening on ADDR\" as first line, got \"%.*s\"", p->prog,
		         (int)(nl - p->out), p->out);
		return -1;
	}
	if (alen >= sizeof(p->addr_text)) {
		snprintf(err, errlen, "%s: readiness line: address of %zu bytes", p->prog, alen);
		return -1;
	}
	memcpy(p->addr_text, p->out + plen, alen);
	p->addr_text[alen] = '\0';
	if (addr_parse(p->addr_text, 0, &p->addr, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: readiness line: %s", p->prog, perr);
		return -1;
	}
	return 0;
}

int proc_wait_ready(struct proc *p, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = proc_now_ms() + timeout_ms;
	char st[64];
	const char *nl;

	for (;;) {
		nl = memchr(p->out, '\n', p->out_len);
		if (nl)
			return parse_ready(p, nl, err, errlen);
		if (p->out_fd < 0) {
			/* stdout closed before the line: it is dying, let it. */
			while (try_reap(p, err, errlen) == 0 && left_ms(deadline) > 0)
				if (pump(p, 5, err, errlen) < 0)
					return -1;
			while (p->err_fd >= 0 && left_ms(deadline) > 0)
				if (pump(p, left_ms(deadline), err, errlen) < 0)
					return -1;
			snprintf(err, errlen,
			         "%s ended before its readiness line (%s); stdout \"%s\", "
			         "stderr \"%s\"",
			         p->prog, proc_status_text(p, st, sizeof(st)), p->out, p->err);
			return -1;
		}
		if (left_ms(deadline) == 0) {
			snprintf(err, errlen,
			         "%s: no readiness line after %d ms; stdout \"%s\", stderr \"%s\"",
			         p->prog, timeout_ms, p->out, p->err);
			return -1;
		}
		if (pump(p, left_ms(deadline), err, errlen) < 0)
			return -1;
	}
}

int proc_signal(struct proc *p, int signo, char *err, size_t errlen)
{
	if (p->pid < 0) {
		snprintf(err, errlen, "kill(%s, %s): already reaped", p->prog, strsignal(signo));
		return -1;
	}
	if (kill(p->pid, signo) < 0) {
		snprintf(err, errlen, "kill(%s, %s): %s", p->prog, strsignal(signo),
		         strerror(errno));
		return -1;
	}
	return 0;
}

int proc_wait_exit(struct proc *p, int timeout_ms, long long *elapsed_ms, char *err, size_t errlen)
{
	long long start = proc_now_ms(), deadline = start + timeout_ms;
	int rc;

	while ((rc = try_reap(p, err, errlen)) == 0) {
		if (left_ms(deadline) == 0) {
			*elapsed_ms = proc_now_ms() - start;
			snprintf(err, errlen, "%s still running %lld ms after the wait began",
			         p->prog, *elapsed_ms);
			return -1;
		}
		/* Short steps: the exit itself makes no pipe readable. */
		if (pump(p, left_ms(deadline) < 2 ? left_ms(deadline) : 2, err, errlen) < 0)
			return -1;
	}
	*elapsed_ms = proc_now_ms() - start;
	if (rc < 0)
		return -1;
	deadline = proc_now_ms() + DRAIN_MS;
	while ((p->out_fd >= 0 || p->err_fd >= 0) && left_ms(deadline) > 0)
		if (pump(p, left_ms(deadline), err, errlen) < 0)
			return -1;
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	return 0;
}

void proc_kill(struct proc *p)
{
	char err[PROC_ERR_MAX];
	long long deadline = proc_now_ms() + KILL_WAIT_MS;

	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (try_reap(p, err, sizeof(err)) == 0 && left_ms(deadline) > 0) {
			struct timespec ms = {0, 1000000L};
			nanosleep(&ms, NULL);
		}
	}
	/* Keep what it said last: it may explain a failure. */
	deadline = proc_now_ms() + DRAIN_MS;
	while (p->reaped && (p->out_fd >= 0 || p->err_fd >= 0) && left_ms(deadline) > 0)
		if (pump(p, left_ms(deadline), err, sizeof(err)) < 0)
			break;
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
}

int proc_fd_count(pid_t pid, char *err, size_t errlen)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int count = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir) {
		snprintf(err, errlen, "opendir(%s): %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] != '.')
			count++;
		errno = 0;
	}
	if (errno != 0) {
		snprintf(err, errlen, "readdir(%s): %s", path, strerror(errno));
		count = -1;
	}
	closedir(dir);
	return count;
}

int proc_thread_count(pid_t pid, char *err, size_t errlen)
{
	char path[64], line[256];
	FILE *f;
	int threads = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "fopen(%s): %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &threads) == 1)
			break;
	if (ferror(f))
		snprintf(err, errlen, "fgets(%s): %s", path, strerror(errno));
	else if (threads < 0)
		snprintf(err, errlen, "%s: no Threads: line", path);
	fclose(f);
	return threads;
}

/* Fills err with "CALL(ADDR): strerror(e)". */
static void fail_at(char *err, size_t errlen, const char *call, const struct addr *a, int e)
{
	char text[ADDR_TEXT_MAX];

	snprintf(err, errlen, "%s(%s): %s", call, addr_format(a, text, sizeof(text)), strerror(e));
}

/* Polls fd for events until deadline. Returns 1 ready, 0 timeout, -1. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int rc;

	do
		rc = poll(&pfd, 1, left_ms(deadline));
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* Completes a non-blocking connect by deadline. Returns 0, or errno. */
static int finish_connect(int fd, const struct addr *a, long long deadline)
{
	struct timespec pause = {0, 1000000L};
	int rc = connect(fd, (const struct sockaddr *)&a->ss, a->len), e = 0;
	socklen_t len = sizeof(e);

	/* A Unix listener with a full backlog says EAGAIN: try again. */
	while (rc < 0 && errno == EAGAIN && addr_family(a) == AF_UNIX && left_ms(deadline) > 0) {
		nanosleep(&pause, NULL);
		rc = connect(fd, (const struct sockaddr *)&a->ss, a->len);
	}
	if (rc == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return errno;
	rc = wait_fd(fd, POLLOUT, deadline);
	if (rc < 0)
		return errno;
	if (rc == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return errno;
	return e;
}

int proc_connect(const struct addr *a, int timeout_ms, char *err, size_t errlen)
{
	int fd = socket(addr_family(a), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e;

	if (fd < 0) {
		fail_at(err, errlen, "socket", a, errno);
		return -1;
	}
	e = finish_connect(fd, a, proc_now_ms() + timeout_ms);
	if (e != 0) {
		fail_at(err, errlen, "connect", a, e);
		close(fd);
		return -1;
	}
	return fd;
}

int proc_dgram_open(const struct addr *server, const char *unix_path, char *err, size_t errlen)
{
	int family = addr_family(server), e;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct addr local;
	char text[ADDR_TEXT_MAX + 8], perr[PROC_ERR_MAX];

	if (fd < 0) {
		fail_at(err, errlen, "socket", server, errno);
		return -1;
	}
	if (family != AF_UNIX)
		return fd; /* the first sendto() binds an ephemeral port */
	snprintf(text, sizeof(text), "unix:%s", unix_path ? unix_path : "");
	if (addr_parse(text, 0, &local, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "client address: %s", perr);
		close(fd);
		return -1;
	}
	if (unlink(unix_path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "unlink(%s): %s", unix_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&local.ss, local.len) < 0) {
		e = errno;
		fail_at(err, errlen, "bind", &local, e);
		close(fd);
		return -1;
	}
	return fd;
}

int proc_send_all(int fd, const void *buf, size_t len, int timeout_ms, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	long long deadline = proc_now_ms() + timeout_ms;
	size_t sent = 0;
	int rc;

	while (sent < len) {
		ssize_t n = send(fd, p + sent, len - sent, MSG_NOSIGNAL);
		if (n >= 0) {
			sent += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			snprintf(err, errlen, "send: %s (after %zu of %zu bytes)", strerror(errno),
			         sent, len);
			return -1;
		}
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc <= 0) {
			snprintf(err, errlen, "send: %s (after %zu of %zu bytes)",
			         rc == 0 ? "timed out" : strerror(errno), sent, len);
			return -1;
		}
	}
	return 0;
}

ssize_t proc_recv(int fd, void *buf, size_t want, int timeout_ms, int *eof, char *err,
                  size_t errlen)
{
	uint8_t *p = buf;
	long long deadline = proc_now_ms() + timeout_ms;
	size_t got = 0;
	int rc;

	*eof = 0;
	while (got < want) {
		ssize_t n = recv(fd, p + got, want - got, 0);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			*eof = 1;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			snprintf(err, errlen, "recv: %s (after %zu bytes)", strerror(errno), got);
			return -1;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc <= 0) {
			snprintf(err, errlen, "recv: %s after %d ms (got %zu of %zu bytes)",
			         rc == 0 ? "timed out" : strerror(errno), timeout_ms, got, want);
			return -1;
		}
	}
	return (ssize_t)got;
}

int proc_sendto(int fd, const void *buf, size_t len, const struct addr *a, int timeout_ms,
                char *err, size_t errlen)
{
	long long deadline = proc_now_ms() + timeout_ms;
	ssize_t n;
	int rc;

	for (;;) {
		n = sendto(fd, buf, len, MSG_NOSIGNAL, (const struct sockaddr *)&a->ss, a->len);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0) {
			snprintf(err, errlen, "sendto: sent %zd of %zu bytes", n, len);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			break;
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc == 0)
			errno = ETIMEDOUT;
		if (rc <= 0)
			break;
	}
	fail_at(err, errlen, "sendto", a, errno);
	return -1;
}

ssize_t proc_recvfrom(int fd, void *buf, size_t cap, struct addr *from, int timeout_ms, char *err,
                      size_t errlen)
{
	long long deadline = proc_now_ms() + timeout_ms;
	struct iovec iov = {buf, cap};
	struct msghdr mh;
	ssize_t n;
	int rc;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		memset(from, 0, sizeof(*from));
		mh.msg_name = &from->ss;
		mh.msg_namelen = sizeof(from->ss);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(fd, &mh, 0);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			snprintf(err, errlen, "recvmsg: %s", strerror(errno));
			return -1;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc <= 0) {
			snprintf(err, errlen, "recvmsg: %s after %d ms",
			         rc == 0 ? "no datagram" : strerror(errno), timeout_ms);
			return -1;
		}
	}
	from->len = mh.msg_namelen;
	if (mh.msg_flags & MSG_TRUNC) {
		snprintf(err, errlen, "recvmsg: datagram longer than %zu bytes", cap);
		return -1;
	}
	return n;
}
