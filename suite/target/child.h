/* SPDX-License-Identifier: MIT */
/*
 * child: one command run by libuv in a session of its own, so that its
 * process group id is its pid and a signal to the group reaches whatever
 * it forks. stdin is /dev/null; stderr, and stdout if wanted, are read
 * as the bytes come and handed to a callback. Once the main process has
 * been reaped, what is left of its group is SIGKILLed, the pipes are
 * read to EOF (for at most drain_ms: a grandchild outside the group may
 * hold them) and `done` is called, once. All fds are close-on-exec.
 * Memory is released by libuv close callbacks after `done` has returned
 * or after child_abandon(). Nothing here prints.
 */
#ifndef SOCKSPEC_CHILD_H
#define SOCKSPEC_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct child;

/* What a child reports; every call comes from the loop. */
struct child_ops {
	/* len bytes (len > 0) that the child wrote on fd 1 or 2. */
	void (*output)(struct child *c, int fd, const char *data, size_t len, void *arg);
	/* The main process exited and the pipes are drained: status is its
	 * exit status, or -1 and signo the signal that killed it. c must not
	 * be used after this returns. */
	void (*done)(struct child *c, int status, int signo, void *arg);
};

/* Spawns argv[0] (searched in PATH) with the NULL-terminated argv; stdout
 * goes to /dev/null unless want_stdout. ops and arg must outlive the
 * child. Returns 0 and *out, or the -errno of the spawn (-ENOENT for a
 * missing program); a failed child needs nothing more from the caller
 * but a run of the loop, which releases it. */
int child_spawn(uv_loop_t *loop, char **argv, int want_stdout, uint64_t drain_ms,
                const struct child_ops *ops, void *arg, struct child **out);

/* PID of the main process (also the id of its process group). */
pid_t child_pid(const struct child *c);

/* 1 once the main process has been reaped, with its status (or -1) and
 * the signal that killed it (or 0); 0 while it runs. `done` may still be
 * pending while the pipes drain. */
int child_exited(const struct child *c, int *status, int *signo);

/* Sends signo to the main process only. 0, -ESRCH once reaped, or -errno. */
int child_signal(struct child *c, int signo);

/* Sends signo to the whole process group. 0, -ESRCH once the main
 * process was reaped (the rest of the group is then already killed), or
 * -errno. */
int child_kill_group(struct child *c, int signo);

/* Stops caring: SIGKILLs the group (if the main process still runs) and
 * drops the pipes; no callback comes any more. The process handle stays
 * open until the process is reaped, so no zombie is left behind. */
void child_abandon(struct child *c);

#endif
