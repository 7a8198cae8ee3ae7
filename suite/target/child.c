/* SPDX-License-Identifier: MIT */
/*
 * A spawned child with its output pipes (see child.h). The order of
 * events at the end is not fixed: libuv may reap the process before or
 * after the last bytes of its pipes are read, so `done` waits for both,
 * and a drain timer bounds the wait for pipes that a stray grandchild
 * keeps open.
 */
#include "child.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct child {
	const struct child_ops *ops; /* callbacks */
	void *arg;                   /* their argument */
	uv_process_t proc;           /* closed once reaped */
	uv_pipe_t out, err;          /* its stdout (if has_out) and stderr */
	uv_timer_t drain;            /* bounds the wait for EOF after the exit */
	uint64_t drain_ms;           /* that bound */
	int has_out;                 /* stdout is captured */
	int open;                    /* handles not closed yet; freed at 0 */
	int pipes;                   /* pipes not closed yet */
	int exited;                  /* reaped */
	int status, signo;           /* exit status (-1 if signalled), signal */
	int quiet;                   /* done was called or the child abandoned */
	pid_t pid;                   /* main process and process group */
	char buf[16384];             /* read buffer, consumed before the next read */
};

static void on_closed(uv_handle_t *h)
{
	struct child *c = h->data;

	if (--c->open == 0)
		free(c);
}

static void close_handle(struct child *c, uv_handle_t *h)
{
	if (uv_is_closing(h))
		return;
	uv_close(h, on_closed);
	if (h == (uv_handle_t *)&c->out || h == (uv_handle_t *)&c->err)
		c->pipes--;
}

/* A pipe's data is set once it is initialised. */
static void close_pipes(struct child *c)
{
	if (c->out.data)
		close_handle(c, (uv_handle_t *)&c->out);
	if (c->err.data)
		close_handle(c, (uv_handle_t *)&c->err);
}

/* Exited and drained (or tired of waiting): report, then let go. */
static void finish(struct child *c)
{
	c->quiet = 1;
	close_pipes(c);
	close_handle(c, (uv_handle_t *)&c->drain);
	c->ops->done(c, c->status, c->signo, c->arg);
}

static void on_drain_timeout(uv_timer_t *h)
{
	finish(h->data);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct child *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->buf, sizeof(c->buf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct child *c = s->data;

	if (n < 0) { /* UV_EOF, or an error that ends the pipe just the same */
		close_handle(c, (uv_handle_t *)s);
		if (!c->quiet && c->exited && c->pipes == 0)
			finish(c);
		return;
	}
	if (n > 0 && !c->quiet)
		c->ops->output(c, s == (uv_stream_t *)&c->err ? 2 : 1, buf->base, (size_t)n,
		               c->arg);
}

static void on_exit_status(uv_process_t *p, int64_t status, int signo)
{
	struct child *c = p->data;

	c->exited = 1;
	c->signo = signo;
	c->status = signo ? -1 : (int)status;
	close_handle(c, (uv_handle_t *)p);
	/* Whatever it forked into its group must not outlive it; ESRCH is fine. */
	if (kill(-c->pid, 0) == 0)
		(void)uv_kill(-c->pid, SIGKILL);
	if (c->quiet)
		return;
	if (c->pipes == 0)
		finish(c);
	else
		(void)uv_timer_start(&c->drain, on_drain_timeout, c->drain_ms, 0);
}

static int init_pipe(uv_loop_t *loop, struct child *c, uv_pipe_t *p, uv_stdio_container_t *io)
{
	int rc = uv_pipe_init(loop, p, 0);

	if (rc < 0)
		return rc;
	p->data = c;
	c->open++;
	c->pipes++;
	io->flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io->data.stream = (uv_stream_t *)p;
	return 0;
}

/* Starts reading both pipes; on failure the child is abandoned. */
static int start_reading(struct child *c)
{
	int rc = 0;

	if (c->has_out)
		rc = uv_read_start((uv_stream_t *)&c->out, on_alloc, on_read);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&c->err, on_alloc, on_read);
	if (rc < 0)
		child_abandon(c);
	return rc;
}

int child_spawn(uv_loop_t *loop, char **argv, int want_stdout, uint64_t drain_ms,
                const struct child_ops *ops, void *arg, struct child **out)
{
	uv_process_options_t opt;
	uv_stdio_container_t io[3];
	struct child *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	memset(&opt, 0, sizeof(opt));
	memset(io, 0, sizeof(io));
	c->ops = ops;
	c->arg = arg;
	c->drain_ms = drain_ms;
	rc = uv_timer_init(loop, &c->drain);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->drain.data = c;
	c->open = 1;
	/* UV_IGNORE on fds 0-2 makes libuv open /dev/null there. */
	io[0].flags = io[1].flags = io[2].flags = UV_IGNORE;
	c->has_out = want_stdout;
	if ((c->has_out && (rc = init_pipe(loop, c, &c->out, &io[1])) < 0) ||
	    (rc = init_pipe(loop, c, &c->err, &io[2])) < 0)
		goto fail;
	opt.exit_cb = on_exit_status;
	opt.file = argv[0];
	opt.args = argv;
	opt.flags = UV_PROCESS_DETACHED; /* setsid(): its own session and process group */
	opt.stdio_count = 3;
	opt.stdio = io;
	rc = uv_spawn(loop, &c->proc, &opt);
	c->proc.data = c;
	c->open++; /* the process handle is initialised even when the spawn failed */
	if (rc < 0) {
		c->exited = 1;
		close_handle(c, (uv_handle_t *)&c->proc);
		goto fail;
	}
	c->pid = c->proc.pid;
	rc = start_reading(c);
	if (rc == 0)
		*out = c;
	return rc;
fail:
	c->quiet = 1;
	close_pipes(c);
	close_handle(c, (uv_handle_t *)&c->drain);
	return rc;
}

pid_t child_pid(const struct child *c)
{
	return c->pid;
}

int child_exited(const struct child *c, int *status, int *signo)
{
	if (!c->exited)
		return 0;
	if (status)
		*status = c->status;
	if (signo)
		*signo = c->signo;
	return 1;
}

int child_signal(struct child *c, int signo)
{
	return c->exited ? -ESRCH : uv_process_kill(&c->proc, signo);
}

int child_kill_group(struct child *c, int signo)
{
	return c->exited ? -ESRCH : uv_kill(-c->pid, signo);
}

void child_abandon(struct child *c)
{
	int rc;

	c->quiet = 1;
	close_pipes(c);
	close_handle(c, (uv_handle_t *)&c->drain);
	if (c->exited)
		return;
	rc = uv_kill(-c->pid, SIGKILL);
	if (rc < 0 && rc != UV_ESRCH)
		close_handle(c, (uv_handle_t *)&c->proc); /* cannot be killed: do not wait */
}
