/* SPDX-License-Identifier: MIT */
/*
 * Target supervisor (see target.h): the life of an instance on top of
 * child (a process and its pipes) and procfs (readiness and resource
 * counts). Readiness is polled every POLL_MS from /proc/net; a
 * "listening on" line on stdout only makes the next look come at once
 * (and says where the target thinks it listens). A stop is SIGTERM to
 * the process group, SIGKILL after the grace period. Every end of an
 * instance goes through main_done(), which runs once the process is
 * reaped and its pipes drained, so callbacks always see the complete
 * output. Every wait is bounded by its own timer and by the deadline of
 * target_set_deadline().
 */
#include "target_int.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "procfs.h"
#include "scale.h"

#define EXIT_SETTLE_MS 100 /* most a dying target is waited for to become a zombie */

uint64_t target_scaled(const struct target *t, uint64_t ms)
{
	uint64_t v = scale_ms(ms, t->scale);

	return v ? v : 1;
}

uint64_t target_bounded(const struct target *t, uint64_t ms)
{
	uint64_t now = uv_now(t->loop);

	if (!t->until)
		return ms;
	if (t->until <= now)
		return 0;
	return ms < t->until - now ? ms : t->until - now;
}

void target_set_deadline(struct target *t, uint64_t deadline)
{
	t->until = deadline;
}

/* ---- output ---- */

static void capture_add(struct capture *c, const char *data, size_t n)
{
	size_t keep;

	if (n >= TARGET_OUTPUT_MAX) {
		memcpy(c->buf, data + n - TARGET_OUTPUT_MAX, TARGET_OUTPUT_MAX);
		c->len = TARGET_OUTPUT_MAX;
	} else {
		if (c->len + n > CAPTURE_CAP) {
			keep = TARGET_OUTPUT_MAX - n;
			memmove(c->buf, c->buf + c->len - keep, keep);
			c->len = keep;
		}
		memcpy(c->buf + c->len, data, n);
		c->len += n;
	}
	c->buf[c->len] = '\0';
}

static const char *capture_text(const struct capture *c, size_t *len)
{
	size_t skip = c->len > TARGET_OUTPUT_MAX ? c->len - TARGET_OUTPUT_MAX : 0;

	if (len)
		*len = c->buf ? c->len - skip : 0;
	return c->buf ? c->buf + skip : "";
}

/* 1 once a stdout line that begins with LISTEN_LINE has ended; what
 * follows LISTEN_LINE on it is kept in t->announced. */
static int scan_listen_line(struct target *t, const char *p, size_t n)
{
	static const char want[] = LISTEN_LINE;
	const int full = (int)sizeof(want) - 1;
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' || p[i] == '\r') {
			found |= t->line_match == full && !t->announced_done;
			t->announced_done |= t->line_match == full;
			t->line_match = 0;
		} else if (t->line_match < 0) {
			continue;
		} else if (t->line_match == full) {
			if (!t->announced_done && t->announced_len + 1 < sizeof(t->announced) &&
			    (t->announced_len > 0 || p[i] != ' '))
				t->announced[t->announced_len++] = p[i];
			t->announced[t->announced_len] = '\0';
		} else if (p[i] != want[t->line_match]) {
			t->line_match = -1;
		} else {
			t->line_match++;
		}
	}
	return found;
}

/* 1 when the announced address names another port (or socket path)
 * than the one the runner gave the instance. */
static int announced_elsewhere(const struct target *t)
{
	const char *end = t->announced + t->announced_len, *digits;
	unsigned long port;

	if (!t->announced_done)
		return 0;
	if (t->family == AF_UNIX)
		return strstr(t->announced, t->unix_path) == NULL;
	while (end > t->announced && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (digits = end; digits > t->announced && isdigit((unsigned char)digits[-1]); digits--)
		;
	if (digits == end || end - digits > 5)
		return 0; /* no port at its end: cannot tell */
	port = strtoul(digits, NULL, 10);
	return port != addr_port(&t->addr);
}

/* ---- the life of an instance ---- */

static void op_complete(struct target *t, int status)
{
	target_cb cb = t->op_cb;
	void *arg = t->op_arg;

	t->op = OP_NONE;
	t->op_cb = NULL;
	cb(t, status, arg);
}

static void set_op(struct target *t, enum op op, target_cb cb, void *arg)
{
	t->op = op;
	t->op_cb = cb;
	t->op_arg = arg;
}

static void on_idle(uv_idle_t *h)
{
	struct target *t = h->data;
	target_cb cb = t->exit_cb;

	(void)uv_idle_stop(h); /* a callback below may start it again */
	if (t->deferred_exit) {
		t->deferred_exit = 0;
		t->exit_cb = NULL;
		if (cb)
			cb(t, 0, t->exit_arg);
		if (t->freeing)
			return;
	}
	if (t->deferred_op) {
		t->deferred_op = 0;
		op_complete(t, t->deferred_status);
	}
}

static int defer_op(struct target *t, int status)
{
	t->deferred_op = 1;
	t->deferred_status = status;
	return uv_idle_start(&t->idle, on_idle);
}

static void became_ready(struct target *t)
{
	if (t->op != OP_START || t->ready || t->op_status || !target_running(t))
		return;
	t->ready = 1;
	(void)uv_timer_stop(&t->poll);
	(void)uv_timer_stop(&t->deadline);
	op_complete(t, 0);
}

/* Ready once /proc/net shows the socket on the runner's address; a
 * "listening on" line alone is not enough (but is, when /proc/net cannot
 * be read at all). */
static void probe(struct target *t)
{
	int rc = t->family == AF_UNIX
	             ? procfs_unix_bound(t->unix_path, t->socktype)
	             : procfs_inet_bound(t->family, t->socktype, addr_port(&t->addr));

	if (rc > 0 || (rc < 0 && t->announced_done))
		became_ready(t);
}

static void on_poll(uv_timer_t *h)
{
	probe(h->data);
}

static void on_ready_timeout(uv_timer_t *h)
{
	struct target *t = h->data;

	if (!target_running(t))
		return; /* exited meanwhile: main_done() reports -ECHILD */
	(void)uv_timer_stop(&t->poll);
	t->op_status = t->announced_done ? -EADDRNOTAVAIL : -ETIMEDOUT;
	(void)child_kill_group(t->cur, SIGKILL);
}

static void on_grace_over(uv_timer_t *h)
{
	struct target *t = h->data;

	if (t->cur)
		(void)child_kill_group(t->cur, SIGKILL); /* -ESRCH: already reaped */
}

/* SIGTERM to the group now, SIGKILL after the grace period (at once
 * when the deadline leaves none). */
static void terminate(struct target *t)
{
	uint64_t grace = target_bounded(t, target_scaled(t, TARGET_GRACE_MS));

	(void)child_kill_group(t->cur, grace ? SIGTERM : SIGKILL);
	(void)uv_timer_start(&t->deadline, on_grace_over, grace, 0);
}

static void main_output(struct child *c, int fd, const char *data, size_t len, void *arg)
{
	struct target *t = arg;
	uint64_t grace;

	(void)c;
	if (fd == 2) {
		capture_add(&t->err, data, len);
	} else {
		capture_add(&t->out, data, len);
		if (!scan_listen_line(t, data, len) || t->op != OP_START)
			return;
		probe(t); /* look now rather than at the next poll */
		grace = target_bounded(t, target_scaled(t, ANNOUNCE_GRACE_MS));
		if (!t->ready && announced_elsewhere(t) &&
		    grace < uv_timer_get_due_in(&t->deadline))
			(void)uv_timer_start(&t->deadline, on_ready_timeout, grace, 0);
	}
}

static int launch(struct target *t);

/* The instance was reaped and its output drained. */
static void main_done(struct child *c, int status, int signo, void *arg)
{
	struct target *t = arg;
	enum op op = t->op; /* the exit callback may start an operation of its own */
	target_cb cb = t->exit_cb;
	int rc;

	(void)c;
	t->exited = 1;
	t->status = status;
	t->signo = signo;
	t->cur = NULL;
	(void)uv_timer_stop(&t->poll);
	(void)uv_timer_stop(&t->deadline);
	if (cb) {
		t->exit_cb = NULL;
		cb(t, 0, t->exit_arg);
		if (t->freeing)
			return;
	}
	if (op == OP_START) {
		op_complete(t, t->op_status ? t->op_status : -ECHILD);
	} else if (op == OP_STOP) {
		op_complete(t, 0);
	} else if (op == OP_RESTART) {
		t->op = OP_START;
		rc = launch(t);
		if (rc < 0)
			op_complete(t, rc);
	}
}

/* Spawns the current command and starts watching for readiness. */
static int launch(struct target *t)
{
	static const struct child_ops ops = {main_output, main_done};
	int rc;

	t->out.len = t->err.len = 0;
	t->out.buf[0] = t->err.buf[0] = '\0';
	t->line_match = 0;
	t->announced[0] = '\0';
	t->announced_len = 0;
	t->announced_done = 0;
	t->ready = t->op_status = t->exited = 0;
	t->exit_cb = NULL;
	t->deferred_exit = 0;
	rc = child_spawn(t->loop, t->cmd.words, 1, target_scaled(t, DRAIN_MS), &ops, t, &t->cur);
	if (rc < 0)
		return rc;
	(void)uv_timer_start(&t->poll, on_poll, POLL_MS, POLL_MS);
	(void)uv_timer_start(&t->deadline, on_ready_timeout,
	                     target_bounded(t, target_scaled(t, t->ready_ms)), 0);
	return 0;
}

/* ---- operations ---- */

int target_launched(const struct target *t)
{
	return t->launched;
}

int target_start(struct target *t, target_cb cb, void *arg)
{
	int rc;

	if (!cb)
		return -EINVAL;
	if (t->op != OP_NONE || target_running(t))
		return -EBUSY;
	if (!t->launched) {
		set_op(t, OP_START, cb, arg);
		return defer_op(t, 0);
	}
	if (t->cur) { /* exited, its pipes still draining: that no longer matters */
		child_abandon(t->cur);
		t->cur = NULL;
	}
	rc = target_pick_address(t);
	if (rc == 0)
		rc = target_build_command(t);
	if (rc < 0)
		return rc;
	set_op(t, OP_START, cb, arg);
	rc = launch(t);
	if (rc < 0)
		set_op(t, OP_NONE, NULL, NULL);
	return rc;
}

int target_stop(struct target *t, target_cb cb, void *arg)
{
	if (!cb)
		return -EINVAL;
	if (t->op != OP_NONE)
		return -EBUSY;
	set_op(t, OP_STOP, cb, arg);
	if (!t->cur)
		return defer_op(t, 0);
	if (target_running(t))
		terminate(t);
	return 0; /* main_done() completes it */
}

int target_restart(struct target *t, target_cb cb, void *arg)
{
	int rc;

	if (!t->launched)
		return -ENOTSUP;
	if (!cb)
		return -EINVAL;
	if (t->op != OP_NONE)
		return -EBUSY;
	if (!t->cmd.words)
		return -ESRCH; /* never started: there is no address to keep */
	if (t->cur) {
		set_op(t, OP_RESTART, cb, arg);
		if (target_running(t))
			terminate(t);
		return 0;
	}
	set_op(t, OP_START, cb, arg);
	rc = launch(t);
	if (rc < 0)
		set_op(t, OP_NONE, NULL, NULL);
	return rc;
}

void target_cancel(struct target *t)
{
	t->op = OP_NONE;
	t->op_cb = NULL;
	t->deferred_op = 0;
	(void)uv_timer_stop(&t->poll);
	(void)uv_timer_stop(&t->deadline);
	if (t->second) {
		(void)uv_timer_stop(&t->second_timer);
		child_abandon(t->second);
		t->second = NULL;
		t->second_cb = NULL;
	}
}

int target_signal(struct target *t, int signo)
{
	if (!t->launched)
		return -ENOTSUP;
	return t->cur ? child_signal(t->cur, signo) : -ESRCH;
}

int target_running(const struct target *t)
{
	return t->cur && !child_exited(t->cur, NULL, NULL);
}

int target_exit_info(const struct target *t, int *status, int *signo)
{
	int ws = 0, dying = 0;

	if (t->cur && child_exited(t->cur, status, signo))
		return 1; /* exited, output still draining */
	/* A process in exit() is a zombie within a few ms; its closed
	 * sockets are how a case usually learns it is dying. */
	for (int i = 0; t->cur && i < EXIT_SETTLE_MS &&
	                (dying = procfs_exit_status(child_pid(t->cur), &ws)) == 2;
	     i++)
		(void)nanosleep(&(struct timespec){0, 1000000}, NULL);
	if (t->cur && dying == 1) {
		/* Dead, and libuv has not reaped it yet: a connection can see
		 * the death (EOF, reset) before SIGCHLD is handled. */
		if (status)
			*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
		if (signo)
			*signo = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
		return 1;
	}
	if (t->cur)
		return 0;
	if (!t->exited)
		return 0;
	if (status)
		*status = t->status;
	if (signo)
		*signo = t->signo;
	return 1;
}

void target_on_exit(struct target *t, target_cb cb, void *arg)
{
	t->exit_cb = cb;
	t->exit_arg = arg;
	t->deferred_exit = 0;
	if (cb && t->launched && !t->cur) { /* nothing runs: it has exited already */
		t->deferred_exit = 1;
		(void)uv_idle_start(&t->idle, on_idle);
	}
}

int target_counts(const struct target *t, struct target_counts *out)
{
	pid_t pid;

	if (!t->launched)
		return -ENOTSUP;
	if (!target_running(t))
		return -ESRCH;
	pid = child_pid(t->cur);
	out->fds = procfs_fd_count(pid);
	out->threads = procfs_thread_count(pid);
	out->children = procfs_child_count(pid);
	out->rss_kib = procfs_status_value(pid, "VmRSS");
	out->mappings = procfs_map_count(pid);
	if (out->fds < 0 || out->threads < 0 || out->children < 0 || out->rss_kib < 0 ||
	    out->mappings < 0)
		return (int)(out->fds < 0        ? out->fds
		             : out->threads < 0  ? out->threads
		             : out->children < 0 ? out->children
		             : out->rss_kib < 0  ? out->rss_kib
		                                 : out->mappings);
	return 0;
}

const struct addr *target_addr(const struct target *t)
{
	return t->have_addr ? &t->addr : NULL;
}

long target_listen_backlog(const struct target *t)
{
	const struct addr *a = target_addr(t);

	if (!a || addr_family(a) == AF_UNIX || t->socktype == SOCK_DGRAM)
		return -ENOTSUP;
	return procfs_listen_backlog(addr_family(a), addr_port(a));
}

pid_t target_pid(const struct target *t)
{
	return target_running(t) ? child_pid(t->cur) : 0;
}

const char *target_describe(const struct target *t)
{
	return t->describe;
}

const char *target_announced(const struct target *t)
{
	return t->announced_done ? t->announced : NULL;
}

const char *target_stdout(const struct target *t, size_t *len)
{
	return capture_text(&t->out, len);
}

const char *target_stderr(const struct target *t, size_t *len)
{
	return capture_text(&t->err, len);
}
