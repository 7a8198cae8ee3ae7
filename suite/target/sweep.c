/* SPDX-License-Identifier: MIT */
/*
 * Leftover processes (see sweep.h). A stopped target's process group was
 * SIGKILLed when its main process exited, so a live descendant may only
 * be a group member still dying: the sweep first gives those
 * SWEEP_SETTLE_MS to turn into zombies, then takes what is still alive
 * as left behind.
 */
#define _GNU_SOURCE
#include "sweep.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

#define SWEEP_ROUNDS 4  /* scans: killing a process hands its children to us */
#define SWEEP_STEP   5  /* ms between polls */
#define SWEEP_SEEN   64 /* leftovers reported at most */

int sweep_adopt(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* Pids of the processes libuv tracks on a loop. */
struct pids {
	pid_t *pid; /* malloc'd */
	size_t n;   /* entries */
	size_t cap; /* allocated */
	int oom;    /* an entry could not be added */
};

static void add_pid(struct pids *p, pid_t pid)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		pid_t *grown = realloc(p->pid, cap * sizeof(*grown));
		if (!grown) {
			p->oom = 1;
			return;
		}
		p->pid = grown;
		p->cap = cap;
	}
	p->pid[p->n++] = pid;
}

static int has_pid(const struct pids *p, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->pid[i] == pid)
			return 1;
	return 0;
}

static void on_handle(uv_handle_t *h, void *arg)
{
	if (h->type == UV_PROCESS)
		add_pid(arg, uv_process_get_pid((uv_process_t *)h));
}

static void nap(void)
{
	struct timespec ts = {0, SWEEP_STEP * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Live leftovers into *live (malloc'd, *nlive); zombies that are our
 * untracked children are reaped on the way. Returns 0 or -errno. */
static int scan(const struct pids *tracked, struct procfs_proc **live, size_t *nlive)
{
	struct procfs_proc *all = NULL;
	size_t n = 0, k = 0;
	pid_t me = getpid();
	char *mine;
	int rc = procfs_processes(&all, &n);

	if (rc < 0)
		return rc;
	mine = malloc(n ? n : 1);
	if (!mine) {
		free(all);
		return -ENOMEM;
	}
	procfs_mark_descendants(all, n, me, mine);
	for (size_t i = 0; i < n; i++) {
		if (!mine[i] || has_pid(tracked, all[i].pid))
			continue;
		if (all[i].state == 'Z' || all[i].state == 'X') {
			if (all[i].ppid == me)
				(void)waitpid(all[i].pid, NULL, WNOHANG);
			continue;
		}
		all[k++] = all[i];
	}
	free(mine);
	*live = all;
	*nlive = k;
	return 0;
}

static long held_inode(const struct addr *addr, int socktype)
{
	const struct sockaddr_un *un;

	if (!addr)
		return 0;
	if (addr_family(addr) != AF_UNIX)
		return procfs_inet_inode(addr_family(addr), socktype, addr_port(addr));
	un = (const struct sockaddr_un *)&addr->ss;
	return procfs_unix_inode(un->sun_path, socktype);
}

static void say(struct strbuf *report, const struct procfs_proc *p, long inode,
                const struct addr *addr)
{
	char text[ADDR_TEXT_MAX];

	if (!report)
		return;
	if (report->len)
		strbuf_puts(report, "; ");
	if (inode > 0 && procfs_holds_socket(p->pid, (unsigned long)inode)) {
		addr_format(addr, text, sizeof(text));
		strbuf_printf(report, "the target left pid %ld listening on %s", (long)p->pid,
		              text);
	} else {
		strbuf_printf(report, "the target left pid %ld (%s) running", (long)p->pid,
		              p->comm);
	}
}

static void kill_one(const struct procfs_proc *p)
{
	(void)kill(p->pid, SIGKILL);
	if (p->pgid > 1 && p->pgid != getpgrp())
		(void)kill(-p->pgid, SIGKILL);
}

/* Waits up to SWEEP_REAP_MS for our children among live to be reaped. */
static void reap(const struct procfs_proc *live, size_t n)
{
	pid_t me = getpid();

	for (int waited = 0; waited < SWEEP_REAP_MS; waited += SWEEP_STEP) {
		size_t left = 0;
		for (size_t i = 0; i < n; i++)
			if (live[i].ppid == me && waitpid(live[i].pid, NULL, WNOHANG) == 0)
				left++;
		if (left == 0)
			return;
		nap();
	}
}

int sweep_leftovers(uv_loop_t *loop, const struct addr *addr, int socktype, struct strbuf *report)
{
	struct pids tracked = {NULL, 0, 0, 0}, seen = {NULL, 0, 0, 0};
	struct procfs_proc *live = NULL;
	long inode = held_inode(addr, socktype);
	size_t n = 0;
	int rc = 0, killed = 0, settled = 0;

	uv_walk(loop, on_handle, &tracked);
	for (int round = 0; round < SWEEP_ROUNDS && rc == 0; round++) {
		free(live);
		live = NULL;
		rc = scan(&tracked, &live, &n);
		if (rc < 0 || n == 0)
			break;
		for (int waited = 0; !settled && n > 0 && waited < SWEEP_SETTLE_MS;
		     waited += SWEEP_STEP) {
			nap(); /* a group member killed with the target may still be going */
			free(live);
			live = NULL;
			if ((rc = scan(&tracked, &live, &n)) < 0)
				break;
		}
		settled = 1;
		if (rc < 0 || n == 0)
			break;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if (!has_pid(&seen, live[i].pid) && seen.n < SWEEP_SEEN) {
				say(report, &live[i], inode, addr);
				add_pid(&seen, live[i].pid);
				killed++;
			}
			kill_one(&live[i]);
		}
		reap(live, n);
	}
	free(live);
	free(tracked.pid);
	free(seen.pid);
	return rc < 0 ? rc : killed;
}

void sweep_kill_all(void)
{
	struct pids none = {NULL, 0, 0, 0};

	for (int round = 0; round < SWEEP_ROUNDS; round++) {
		struct procfs_proc *live = NULL;
		size_t n = 0;
		if (scan(&none, &live, &n) < 0 || n == 0) {
			free(live);
			return;
		}
		for (size_t i = 0; i < n; i++)
			kill_one(&live[i]);
		free(live);
		nap();
	}
}
