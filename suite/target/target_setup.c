/* SPDX-License-Identifier: MIT */
/*
 * Creating and freeing a target (see target.h), the addresses and
 * command lines of its instances, and the checks a run makes before its
 * first case. Memory is released by the last libuv close callback,
 * after target_free().
 */
#define _GNU_SOURCE
#include "target_int.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portlock.h"
#include "procfs.h"
#include "scale.h"

/* ---- addresses ---- */

/* A new {unix} path and, for inet, a new free port. */
int target_pick_address(struct target *t)
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
		rc = portlock_pick(&t->ports, t->family, t->socktype ? t->socktype : SOCK_STREAM,
		                   &port);
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
int target_build_command(struct target *t)
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

/* ---- creating and freeing ---- */

static int check_cfg(const struct target_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->command && cfg->connect)
		snprintf(err, errlen, "target: both a command and a connect address were given");
	else if (!cfg->command && !cfg->connect)
		snprintf(err, errlen, "target: neither a command nor a connect address was given");
	else if (cfg->socktype != SOCK_STREAM && cfg->socktype != SOCK_DGRAM && cfg->socktype != 0)
		snprintf(err, errlen,
		         "target: socket type must be SOCK_STREAM, SOCK_DGRAM or 0, got %d",
		         cfg->socktype);
	else if (cfg->command && cfg->family != AF_INET && cfg->family != AF_INET6 &&
	         cfg->family != AF_UNIX)
		snprintf(err, errlen, "target: family must be AF_INET, AF_INET6 or AF_UNIX, got %d",
		         cfg->family);
	else if (!scale_valid(cfg->timeout_scale))
		snprintf(err, errlen, "target: timeout scale must be from %g to %g, got %g",
		         SCALE_MIN, SCALE_MAX, cfg->timeout_scale);
	else
		return 0;
	return -1;
}

/* Splits a command template into *out and checks that it says where to
 * listen. Returns 0, or -1 with err filled and *out empty. */
static int split_template(const char *command, struct cmdline *out, char *err, size_t errlen)
{
	char msg[TARGET_ERR_MAX];

	if (cmdline_split(command, out, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "target command: %s", msg);
		return -1;
	}
	if (out->n == 0)
		snprintf(err, errlen, "target command is empty");
	else if (!cmdline_contains(out, "{port}") && !cmdline_contains(out, "{addr}") &&
	         !cmdline_contains(out, "{unix}"))
		snprintf(err, errlen,
		         "target command has no {port}, {addr} or {unix}: the runner "
		         "cannot tell it where to listen");
	else
		return 0;
	cmdline_free(out);
	return -1;
}

/* Whether the program of a command could be executed: as execvp() finds
 * it (a name with a slash as is, else along PATH). Returns 0 or -errno. */
static int executable(const char *program)
{
	const char *path = getenv("PATH"), *dir, *end;
	char full[PATH_MAX];
	struct stat st;
	int rc = -ENOENT;

	if (strchr(program, '/')) {
		if (stat(program, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return -EACCES;
		return access(program, X_OK) == 0 ? 0 : -errno;
	}
	for (dir = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; *dir; dir = end) {
		end = strchr(dir, ':');
		if (!end)
			end = dir + strlen(dir);
		if ((size_t)snprintf(full, sizeof(full), "%.*s/%s", (int)(end - dir),
		                     end == dir ? "." : dir, program) < sizeof(full) &&
		    stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = access(full, X_OK) == 0 ? 0 : -errno;
		if (rc == 0)
			return 0;
		if (*end == ':')
			end++;
	}
	return rc;
}

int target_check_command(const char *command, char *err, size_t errlen)
{
	struct cmdline c;
	int rc;

	if (split_template(command, &c, err, errlen) < 0)
		return -1;
	rc = executable(c.words[0]);
	if (rc < 0)
		snprintf(err, errlen, "target command: cannot execute \"%s\": %s%s", c.words[0],
		         strerror(-rc),
		         rc == -ENOENT && !strchr(c.words[0], '/') ? " (in PATH)" : "");
	cmdline_free(&c);
	return rc < 0 ? -1 : 0;
}

/* 1 when addr is one of this machine's own (a bind to it works). */
static int local_address(const struct addr *addr)
{
	struct addr any = *addr;
	int fd = socket(addr_family(addr), SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	if (addr_family(addr) == AF_INET)
		((struct sockaddr_in *)&any.ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&any.ss)->sin6_port = 0;
	ok = bind(fd, (struct sockaddr *)&any.ss, any.len) == 0;
	close(fd);
	return ok;
}

int target_check_connect(const char *connect, int socktype, char *err, size_t errlen)
{
	const char *what = socktype == SOCK_DGRAM ? "no UDP socket is bound" : "nothing listens";
	struct addr a;
	int rc;

	if (addr_parse(connect, 0, &a, err, errlen) < 0)
		return -1;
	if (addr_family(&a) != AF_UNIX && addr_port(&a) == 0) {
		snprintf(err, errlen, "bad address \"%s\": expected a port, as in HOST:PORT",
		         connect);
		return -1;
	}
	if (addr_family(&a) == AF_UNIX)
		rc = procfs_unix_bound(((const struct sockaddr_un *)&a.ss)->sun_path, socktype);
	else if (local_address(&a))
		rc = procfs_inet_bound(addr_family(&a), socktype, addr_port(&a));
	else
		return 0; /* another machine's: only a case can tell */
	if (rc == 0) {
		snprintf(err, errlen, "%s: %s there", connect, what);
		return -1;
	}
	return 0; /* listening, or /proc/net unreadable: the cases will tell */
}

static int setup_launched(struct target *t, const char *command, char *err, size_t errlen)
{
	if (split_template(command, &t->tmpl, err, errlen) < 0)
		return -1;
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
	portlock_release(&t->ports);
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
	portlock_init(&t->ports);
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
