/* SPDX-License-Identifier: MIT */
/*
 * Target supervisor (see target.h): the policy on top of child (a process
 * and its pipes), cmdline (the command template) and procfs (readiness
 * and resource counts). Each start of a launched target gets a fresh
 * free port or socket path; readiness is polled every 10 ms from
 * /proc/net, or taken from a "listening on" line on stdout, never from a
 * connect. A stop is SIGTERM to the process group, SIGKILL after the
 * grace period. Every end of an instance goes through main_done(), which
 * runs once the process is reaped and its pipes drained, so callbacks
 * always see the complete output. Memory is released by the last libuv
 * close callback, after target_free().
 */
#include "target.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "child.h"
#include "cmdline.h"
#include "escape.h"
#include "procfs.h"

#define POLL_MS        10  /* readiness probe period */
#define DRAIN_MS       200 /* after an exit, longest wait (scaled) for the pipes' EOF */
#define LISTEN_LINE    "listening on"
#define SECOND_ERR_MAX 1024                    /* first stderr bytes kept of a second instance */
#define CAPTURE_CAP    (2 * TARGET_OUTPUT_MAX) /* so that trimming costs O(1) per byte */
#define SUN_PATH_MAX   sizeof(((struct sockaddr_un *)0)->sun_path)
#define UNIX_NAME_MAX  24 /* "/target-4294967295.sock" */

enum op { OP_NONE, OP_START, OP_STOP, OP_RESTART };

/* Output of one stream: the text kept is the last TARGET_OUTPUT_MAX bytes. */
struct capture {
	char *buf;  /* CAPTURE_CAP + 1 bytes, NUL after the last one */
	size_t len; /* bytes in buf */
};

struct target {
	uv_loop_t *loop;                 /* everything runs on it */
	int launched;                    /* 0: external, an address only */
	int socktype, family;            /* what to probe for, and where */
	double scale;                    /* multiplies every timeout */
	uint64_t ready_ms;               /* readiness timeout, unscaled */
	struct cmdline tmpl;             /* the command, placeholders unsubstituted */
	struct cmdline cmd;              /* the command for the current address */
	char *describe;                  /* cmd (or tmpl) quoted, or "connect ADDR" */
	int need_unix;                   /* Unix family, or {unix} in the command */
	char dir[SUN_PATH_MAX];          /* private directory for {unix}; "" if none */
	unsigned unix_seq;               /* number of the current {unix} path */
	char unix_path[SUN_PATH_MAX];    /* the current {unix} path */
	struct addr addr;                /* the current address */
	int have_addr;                   /* addr is set */
	struct capture out, err;         /* what the current instance wrote */
	int line_match;                  /* LISTEN_LINE bytes seen on this stdout line, -1: none */
	struct child *cur;               /* current instance, until main_done() */
	int exited, status, signo;       /* how the last instance ended */
	enum op op;                      /* operation in progress */
	target_cb op_cb;                 /* its callback */
	void *op_arg;                    /* and its argument */
	int op_status;                   /* OP_START: the failure seen so far, 0: none */
	int ready;                       /* the current instance was reported ready */
	uv_timer_t poll;                 /* readiness probes */
	uv_timer_t deadline;             /* readiness timeout, or the grace of a stop */
	target_cb exit_cb;               /* target_on_exit() */
	void *exit_arg;                  /* its argument */
	uv_idle_t idle;                  /* callbacks deferred to the next loop turn */
	int deferred_op;                 /* idle: complete the operation */
	int deferred_status;             /* with this status */
	int deferred_exit;               /* idle: call exit_cb */
	struct child *second;            /* second instance, while it runs */
	uv_timer_t second_timer;         /* its within_ms */
	uint64_t second_ms;              /* within_ms, scaled */
	int second_timed_out;            /* it still ran at second_ms */
	target_cb second_cb;             /* its callback */
	void *second_arg;                /* and its argument */
	char second_err[SECOND_ERR_MAX]; /* its first stderr bytes, NUL-terminated */
	size_t second_err_len;           /* bytes in second_err */
	char second_report[TARGET_ERR_MAX]; /* target_second_report() */
	int handles;                        /* handles of the target initialised */
	int open;                           /* of those, not closed yet */
	int freeing;                        /* target_free() was called */
};

static uint64_t scaled(const struct target *t, uint64_t ms)
{
	double v = (double)ms * t->scale;

	return v < 1 ? 1 : v > 1e12 ? (uint64_t)1e12 : (uint64_t)(v + 0.5);
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

/* 1 once a stdout line has begun with LISTEN_LINE. */
static int scan_listen_line(struct target *t, const char *p, size_t n)
{
	static const char want[] = LISTEN_LINE;
	const int full = (int)sizeof(want) - 1;
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			t->line_match = 0;
		else if (t->line_match < 0 || t->line_match == full)
			continue;
		else if (p[i] != want[t->line_match])
			t->line_match = -1;
		else if (++t->line_match == full)
			found = 1;
	}
	return found;
}

/* ---- addresses ---- */

static int free_port(int family, int type, uint16_t *port)
{
	struct addr a;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char err[TARGET_ERR_MAX];
	int fd, rc = 0;

	if (addr_parse(family == AF_INET6 ? "::1" : "127.0.0.1", 0, &a, err, sizeof(err)) < 0)
		return -EINVAL;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		rc = -errno;
	} else {
		addr_from_sockaddr(&a, (struct sockaddr *)&ss, len);
		*port = addr_port(&a);
	}
	close(fd);
	return rc;
}

/* A new {unix} path and, for inet, a new free port. */
static int pick_address(struct target *t)
{
	char text[SUN_PATH_MAX + 16], err[TARGET_ERR_MAX];
	uint16_t port = 0;
	int rc;

	if (t->unix_path[0])
		(void)unlink(t->unix_path); /* left by a killed server, or ENOENT */
	if (t->need_unix &&
	    (size_t)snprintf(t->unix_path, sizeof(t->unix_path), "%.*s/target-%u.sock",
	                     (int)(sizeof(t->dir) - UNIX_NAME_MAX), t->dir,
	                     ++t->unix_seq) >= sizeof(t->unix_path))
		return -ENAMETOOLONG;
	if (t->family == AF_UNIX) {
		snprintf(text, sizeof(text), "unix:%s", t->unix_path);
	} else {
		rc = free_port(t->family, t->socktype, &port);
		if (rc < 0)
			return rc;
		snprintf(text, sizeof(text), "%s:%u", t->family == AF_INET6 ? "[::1]" : "127.0.0.1",
		         port);
	}
	if (addr_parse(text, 0, &t->addr, err, sizeof(err)) < 0)
		return -EINVAL;
	t->have_addr = 1;
	return 0;
}

/* The command for the current address, and its description. */
static int build_command(struct target *t)
{
	char port[8], addr[ADDR_TEXT_MAX], *describe;
	const char *host = t->family == AF_INET6  ? "::1"
	                   : t->family == AF_INET ? "127.0.0.1"
	                                          : "localhost";
	const struct cmdline_subst s[] = {
	    {"{port}", port}, {"{host}", host}, {"{addr}", addr}, {"{unix}", t->unix_path}};
	struct cmdline cmd;

	snprintf(port, sizeof(port), "%u", addr_port(&t->addr));
	addr_format(&t->addr, addr, sizeof(addr));
	if (cmdline_expand(&t->tmpl, s, sizeof(s) / sizeof(s[0]), &cmd) < 0)
		return -ENOMEM;
	describe = cmdline_join(&cmd);
	if (!describe) {
		cmdline_free(&cmd);
		return -ENOMEM;
	}
	cmdline_free(&t->cmd);
	free(t->describe);
	t->cmd = cmd;
	t->describe = describe;
	return 0;
}

static int make_private_dir(struct target *t, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(t->dir, sizeof(t->dir), "%s/sockspec-XXXXXX", tmp) >= sizeof(t->dir) ||
	    strlen(t->dir) + UNIX_NAME_MAX >= sizeof(t->dir)) {
		snprintf(err, errlen, "target: TMPDIR \"%s\" is too long for Unix socket paths",
		         tmp);
		t->dir[0] = '\0';
		return -1;
	}
	if (!mkdtemp(t->dir)) {
		snprintf(err, errlen, "mkdtemp(%s): %s", t->dir, strerror(errno));
		t->dir[0] = '\0';
		return -1;
	}
	return 0;
}

/* Socket files first, then the directory. Called from target_free(),
 * which has nobody to report to: failures are ignored. */
static void remove_private_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				(void)unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	(void)rmdir(dir);
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

static void on_poll(uv_timer_t *h)
{
	struct target *t = h->data;
	int rc = t->family == AF_UNIX
	             ? procfs_unix_bound(t->unix_path, t->socktype)
	             : procfs_inet_bound(t->family, t->socktype, addr_port(&t->addr));

	/* An unreadable table (rc < 0) leaves the "listening on" line. */
	if (rc > 0)
		became_ready(t);
}

static void on_ready_timeout(uv_timer_t *h)
{
	struct target *t = h->data;

	if (!target_running(t))
		return; /* exited meanwhile: main_done() reports -ECHILD */
	(void)uv_timer_stop(&t->poll);
	t->op_status = -ETIMEDOUT;
	(void)child_kill_group(t->cur, SIGKILL);
}

static void on_grace_over(uv_timer_t *h)
{
	struct target *t = h->data;

	if (t->cur)
		(void)child_kill_group(t->cur, SIGKILL); /* -ESRCH: already reaped */
}

/* SIGTERM to the group now, SIGKILL after the grace period. */
static void terminate(struct target *t)
{
	(void)child_kill_group(t->cur, SIGTERM);
	(void)uv_timer_start(&t->deadline, on_grace_over, scaled(t, TARGET_GRACE_MS), 0);
}

static void main_output(struct child *c, int fd, const char *data, size_t len, void *arg)
{
	struct target *t = arg;

	(void)c;
	if (fd == 2) {
		capture_add(&t->err, data, len);
	} else {
		capture_add(&t->out, data, len);
		if (scan_listen_line(t, data, len))
			became_ready(t);
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
	t->ready = t->op_status = t->exited = 0;
	t->exit_cb = NULL;
	t->deferred_exit = 0;
	rc = child_spawn(t->loop, t->cmd.words, 1, scaled(t, DRAIN_MS), &ops, t, &t->cur);
	if (rc < 0)
		return rc;
	(void)uv_timer_start(&t->poll, on_poll, POLL_MS, POLL_MS);
	(void)uv_timer_start(&t->deadline, on_ready_timeout, scaled(t, t->ready_ms), 0);
	return 0;
}

/* ---- the second instance ---- */

static void second_output(struct child *c, int fd, const char *data, size_t len, void *arg)
{
	struct target *t = arg;
	size_t room = sizeof(t->second_err) - 1 - t->second_err_len;

	(void)c;
	(void)fd;
	if (len > room)
		len = room;
	memcpy(t->second_err + t->second_err_len, data, len);
	t->second_err_len += len;
	t->second_err[t->second_err_len] = '\0';
}

static void second_describe(struct target *t, int status, int signo)
{
	char line[240], *r = t->second_report;
	size_t n = sizeof(t->second_report), len = strcspn(t->second_err, "\n");
	int off;

	if (len > 0 && t->second_err[len - 1] == '\r')
		len--;
	escape_quote((const uint8_t *)t->second_err, len, 160, line, sizeof(line));
	if (t->second_timed_out)
		off = snprintf(r, n, "still running after %llu ms: it bound the same %s",
		               (unsigned long long)t->second_ms,
		               t->family == AF_UNIX ? "socket path" : "port (SO_REUSEPORT?)");
	else if (signo)
		off = snprintf(r, n, "killed by signal %d (%s)", signo, strsignal(signo));
	else
		off = snprintf(r, n, "exited with status %d", status);
	if (off > 0 && (size_t)off < n && (len || !t->second_timed_out))
		snprintf(r + off, n - (size_t)off, "%s%s", len ? ": " : " (nothing on stderr)",
		         len ? line : "");
}

static void second_done(struct child *c, int status, int signo, void *arg)
{
	struct target *t = arg;
	target_cb cb = t->second_cb;

	(void)c;
	(void)uv_timer_stop(&t->second_timer);
	t->second = NULL;
	t->second_cb = NULL;
	second_describe(t, status, signo);
	cb(t, t->second_timed_out ? -ETIMEDOUT : signo || status ? 0 : -EEXIST, t->second_arg);
}

static void on_second_timeout(uv_timer_t *h)
{
	struct target *t = h->data;

	t->second_timed_out = 1;
	(void)child_kill_group(t->second, SIGKILL); /* second_done() follows */
}

int target_second_instance(struct target *t, uint64_t within_ms, target_cb cb, void *arg)
{
	static const struct child_ops ops = {second_output, second_done};
	int rc;

	if (!t->launched)
		return -ENOTSUP;
	if (!cb)
		return -EINVAL;
	if (t->second)
		return -EBUSY;
	if (!t->cmd.words)
		return -ESRCH;
	t->second_err_len = 0;
	t->second_err[0] = '\0';
	t->second_timed_out = 0;
	t->second_ms = scaled(t, within_ms);
	rc = child_spawn(t->loop, t->cmd.words, 0, scaled(t, DRAIN_MS), &ops, t, &t->second);
	if (rc < 0) {
		snprintf(t->second_report, sizeof(t->second_report), "could not be started: %s",
		         strerror(-rc));
		return rc;
	}
	snprintf(t->second_report, sizeof(t->second_report), "still running");
	t->second_cb = cb;
	t->second_arg = arg;
	(void)uv_timer_start(&t->second_timer, on_second_timeout, t->second_ms, 0);
	return 0;
}

const char *target_second_report(const struct target *t)
{
	return t->second_report;
}

/* ---- creating and freeing ---- */

static int check_cfg(const struct target_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->command && cfg->connect)
		snprintf(err, errlen, "target: both a command and a connect address were given");
	else if (!cfg->command && !cfg->connect)
		snprintf(err, errlen, "target: neither a command nor a connect address was given");
	else if (cfg->socktype != SOCK_STREAM && cfg->socktype != SOCK_DGRAM)
		snprintf(err, errlen,
		         "target: socket type must be SOCK_STREAM or SOCK_DGRAM, got %d",
		         cfg->socktype);
	else if (cfg->command && cfg->family != AF_INET && cfg->family != AF_INET6 &&
	         cfg->family != AF_UNIX)
		snprintf(err, errlen, "target: family must be AF_INET, AF_INET6 or AF_UNIX, got %d",
		         cfg->family);
	else if (!(cfg->timeout_scale >= 0))
		snprintf(err, errlen, "target: timeout scale must be positive, got %g",
		         cfg->timeout_scale);
	else
		return 0;
	return -1;
}

static int setup_launched(struct target *t, const char *command, char *err, size_t errlen)
{
	char msg[TARGET_ERR_MAX];

	if (cmdline_split(command, &t->tmpl, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "target command: %s", msg);
		return -1;
	}
	if (t->tmpl.n == 0) {
		snprintf(err, errlen, "target command is empty");
		return -1;
	}
	if (!cmdline_contains(&t->tmpl, "{port}") && !cmdline_contains(&t->tmpl, "{addr}") &&
	    !cmdline_contains(&t->tmpl, "{unix}")) {
		snprintf(err, errlen,
		         "target command has no {port}, {addr} or {unix}: the runner "
		         "cannot tell it where to listen");
		return -1;
	}
	t->need_unix = t->family == AF_UNIX || cmdline_contains(&t->tmpl, "{unix}");
	if (t->need_unix && make_private_dir(t, err, errlen) < 0)
		return -1;
	t->out.buf = malloc(CAPTURE_CAP + 1);
	t->err.buf = malloc(CAPTURE_CAP + 1);
	t->describe = cmdline_join(&t->tmpl);
	if (!t->out.buf || !t->err.buf || !t->describe) {
		snprintf(err, errlen, "target: %s", strerror(ENOMEM));
		return -1;
	}
	t->out.buf[0] = t->err.buf[0] = '\0';
	return 0;
}

static int setup_external(struct target *t, const char *connect, char *err, size_t errlen)
{
	char text[ADDR_TEXT_MAX];

	if (addr_parse(connect, 0, &t->addr, err, errlen) < 0)
		return -1;
	if (addr_family(&t->addr) != AF_UNIX && addr_port(&t->addr) == 0) {
		snprintf(err, errlen, "bad address \"%s\": expected a port, as in HOST:PORT",
		         connect);
		return -1;
	}
	t->have_addr = 1;
	t->family = addr_family(&t->addr);
	addr_format(&t->addr, text, sizeof(text));
	t->describe = malloc(strlen(text) + sizeof("connect "));
	if (!t->describe) {
		snprintf(err, errlen, "target: %s", strerror(ENOMEM));
		return -1;
	}
	sprintf(t->describe, "connect %s", text);
	return 0;
}

static void release(struct target *t)
{
	if (t->dir[0])
		remove_private_dir(t->dir);
	cmdline_free(&t->tmpl);
	cmdline_free(&t->cmd);
	free(t->describe);
	free(t->out.buf);
	free(t->err.buf);
	free(t);
}

static void on_target_closed(uv_handle_t *h)
{
	struct target *t = h->data;

	if (--t->open == 0)
		release(t);
}

/* The target's own handles, in the order they are initialised. */
static void list_handles(struct target *t, uv_handle_t *h[4])
{
	h[0] = (uv_handle_t *)&t->poll;
	h[1] = (uv_handle_t *)&t->deadline;
	h[2] = (uv_handle_t *)&t->second_timer;
	h[3] = (uv_handle_t *)&t->idle;
}

static int init_handles(struct target *t)
{
	uv_handle_t *h[4];
	int rc = 0;

	list_handles(t, h);
	for (int i = 0; i < 4 && rc == 0; i++) {
		rc = i < 3 ? uv_timer_init(t->loop, (uv_timer_t *)h[i])
		           : uv_idle_init(t->loop, (uv_idle_t *)h[i]);
		if (rc == 0) {
			h[i]->data = t;
			t->handles++;
		}
	}
	return rc;
}

int target_new(uv_loop_t *loop, const struct target_cfg *cfg, struct target **out, char *err,
               size_t errlen)
{
	struct target *t;
	int rc;

	*out = NULL;
	if (check_cfg(cfg, err, errlen) < 0)
		return -1;
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "target: %s", strerror(ENOMEM));
		return -1;
	}
	t->loop = loop;
	t->launched = cfg->command != NULL;
	t->socktype = cfg->socktype;
	t->family = cfg->family;
	t->scale = cfg->timeout_scale > 0 ? cfg->timeout_scale : 1.0;
	t->ready_ms = cfg->ready_ms ? cfg->ready_ms : TARGET_READY_MS;
	rc = t->launched ? setup_launched(t, cfg->command, err, errlen)
	                 : setup_external(t, cfg->connect, err, errlen);
	if (rc == 0)
		rc = init_handles(t);
	if (rc < 0 && t->handles == 0) {
		release(t);
		return -1;
	}
	if (rc < 0) { /* never on Unix, where handle inits cannot fail */
		snprintf(err, errlen, "uv_timer_init: %s", uv_strerror(rc));
		target_free(t); /* released by the close callbacks */
		return -1;
	}
	*out = t;
	return 0;
}

void target_free(struct target *t)
{
	uv_handle_t *h[4];

	if (!t || t->freeing)
		return;
	t->freeing = 1;
	t->op = OP_NONE;
	t->op_cb = t->exit_cb = t->second_cb = NULL;
	if (t->cur)
		child_abandon(t->cur);
	if (t->second)
		child_abandon(t->second);
	t->cur = t->second = NULL;
	list_handles(t, h);
	t->open = t->handles;
	for (int i = 0; i < t->handles; i++)
		uv_close(h[i], on_target_closed);
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
	rc = pick_address(t);
	if (rc == 0)
		rc = build_command(t);
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
	if (t->cur)
		return child_exited(t->cur, status, signo); /* exited, still draining */
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
	if (out->fds < 0 || out->threads < 0 || out->children < 0)
		return (int)(out->fds < 0       ? out->fds
		             : out->threads < 0 ? out->threads
		                                : out->children);
	return 0;
}

const struct addr *target_addr(const struct target *t)
{
	return t->have_addr ? &t->addr : NULL;
}

pid_t target_pid(const struct target *t)
{
	return target_running(t) ? child_pid(t->cur) : 0;
}

const char *target_describe(const struct target *t)
{
	return t->describe;
}

const char *target_stdout(const struct target *t, size_t *len)
{
	return capture_text(&t->out, len);
}

const char *target_stderr(const struct target *t, size_t *len)
{
	return capture_text(&t->err, len);
}
