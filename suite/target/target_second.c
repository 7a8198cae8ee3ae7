/* SPDX-License-Identifier: MIT */
/*
 * The second instance (see target_second_instance() in target.h): the
 * same command on the same address, which a server that sets no
 * SO_REUSEPORT must refuse to start.
 */
#define _GNU_SOURCE
#include "target_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

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
		               t->family == AF_UNIX        ? "socket path"
		               : t->socktype == SOCK_DGRAM ? "port (SO_REUSEADDR or SO_REUSEPORT?)"
		                                           : "port (SO_REUSEPORT?)");
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
	t->second_ms = target_bounded(t, target_scaled(t, within_ms));
	rc = child_spawn(t->loop, t->cmd.words, 0, target_scaled(t, DRAIN_MS), &ops, t, &t->second);
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
