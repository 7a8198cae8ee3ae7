/* SPDX-License-Identifier: MIT */
/*
 * target: the server under test, supervised on a libuv loop. A launched
 * target is a command line (words split without a shell; {port},
 * {host}, {addr} and {unix} substituted) that the runner starts in its
 * own process group, one fresh instance per case, on a fresh free port;
 * readiness is detected by probing, never by a fixed sleep. An external
 * target (--connect ADDR) is only an address: it cannot be started,
 * stopped, signalled or inspected.
 *
 * All operations are asynchronous: they return 0 or -errno at once and
 * report completion through a callback on the loop. Nothing here prints.
 */
#ifndef SOCKSPEC_TARGET_H
#define SOCKSPEC_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "addr.h"

#define TARGET_ERR_MAX    512   /* error buffers */
#define TARGET_OUTPUT_MAX 65536 /* captured bytes kept per stream (the last ones) */
#define TARGET_READY_MS   5000  /* default readiness timeout, before scaling */
#define TARGET_GRACE_MS   1000  /* SIGTERM to SIGKILL, before scaling */

struct target;

struct target_cfg {
	const char *command; /* launched: command template; NULL for external */
	const char *connect; /* external: "HOST:PORT", "[V6]:PORT" or "unix:PATH" */
	int socktype; /* SOCK_STREAM, SOCK_DGRAM or 0 (either): what to probe for readiness */
	int family;   /* launched: AF_INET (127.0.0.1), AF_INET6 (::1) or AF_UNIX */
	double timeout_scale; /* multiplies readiness and grace timeouts (>0) */
	uint64_t ready_ms;    /* readiness timeout; 0: TARGET_READY_MS */
};

/* Completion callback: status 0 on success or -errno (see each call). */
typedef void (*target_cb)(struct target *t, int status, void *arg);

/* Creates a target on loop. For a launched target the command is split
 * into words now (unbalanced quotes are an error) and a private
 * directory for {unix} socket paths is created. Returns 0 and *out, or
 * -1 with err filled ("target command: unbalanced quote at column 12"). */
int target_new(uv_loop_t *loop, const struct target_cfg *cfg, struct target **out, char *err,
               size_t errlen);

/* Checks before a run what a launched target needs: the template splits
 * (balanced quotes), names {port}, {addr} or {unix}, and its program can
 * be executed (found in PATH when it has no slash). Returns 0, or -1
 * with err: "target command: cannot execute \"./srv\": No such file or
 * directory". */
int target_check_command(const char *command, char *err, size_t errlen);

/* Checks before a run that something listens (SOCK_STREAM) or is bound
 * (SOCK_DGRAM) at an external target's address: from /proc/net, so a
 * server that takes one connection does not lose it to the check. An
 * address of another machine passes unchecked. Returns 0, or -1 with
 * err: "127.0.0.1:1: nothing listens there". */
int target_check_connect(const char *connect, int socktype, char *err, size_t errlen);

/* Stops any instance (SIGKILL to its group), closes every handle and
 * removes the private directory. The memory is released by libuv close
 * callbacks: run the loop (uv_run DEFAULT) afterwards. */
void target_free(struct target *t);

/* 1 for a launched target, 0 for an external one. */
int target_launched(const struct target *t);

/* Starts a fresh instance on a fresh free port (launched) and calls cb
 * when it is ready (0): when /proc/net shows its socket on that address.
 * Or it failed: -ETIMEDOUT (not ready in time; the instance is killed),
 * -EADDRNOTAVAIL (it announced "listening on" but nothing listened on
 * its address in time — soon after the announcement when that named
 * another address; killed), -ECHILD (it exited
 * before it was ready), or the -errno of spawning. External targets:
 * cb(0) on the next loop turn. */
int target_start(struct target *t, target_cb cb, void *arg);

/* Stops the instance: SIGTERM to its process group, SIGKILL to the group
 * after the (scaled) grace period; cb(0) once the main process has been
 * reaped. Nothing running: cb(0) on the next loop turn. */
int target_stop(struct target *t, target_cb cb, void *arg);

/* Stops the instance and starts a new one on the SAME address (its
 * port may be in TIME_WAIT); cb as for target_start(). */
int target_restart(struct target *t, target_cb cb, void *arg);

/* Forgets the operation in progress (its callback will not come) and
 * kills a second instance: the caller is done with them. The instance,
 * if any, keeps running: stop it with target_stop(). */
void target_cancel(struct target *t);

/* Every later wait of the target (readiness, the grace of a stop or a
 * restart, a second instance) ends by `deadline` (uv_now() time) at the
 * latest; a stop after it SIGKILLs at once. 0: no deadline. */
void target_set_deadline(struct target *t, uint64_t deadline);

/* Sends signo to the main process of the instance. -ESRCH if none. */
int target_signal(struct target *t, int signo);

/* 1 while the main process of the current instance runs. */
int target_running(const struct target *t);

/* After the instance exited: 1 and its exit status (or -1) and the
 * signal that killed it (or 0). 0 while running or never started. */
int target_exit_info(const struct target *t, int *status, int *signo);

/* Calls cb(0) once when the current instance's main process exits (at
 * once on the next loop turn if it already has); a later call replaces
 * the callback; cb NULL cancels. */
void target_on_exit(struct target *t, target_cb cb, void *arg);

/* Starts a second instance of the command on the current instance's
 * address and waits up to within_ms (scaled) for it to exit. cb(0) if it
 * exited with a non-zero status or a signal (it failed, as it should);
 * cb(-EEXIST) if it exited 0; cb(-ETIMEDOUT) if it was still running
 * (it is then killed with its group). target_second_report() tells what
 * happened, e.g. "exited 1: ref-echo: bind(...): Address already in use". */
int target_second_instance(struct target *t, uint64_t within_ms, target_cb cb, void *arg);
const char *target_second_report(const struct target *t);

/* Resource counts of the running instance, read from /proc. */
struct target_counts {
	long fds;      /* entries in /proc/PID/fd */
	long threads;  /* Threads: in /proc/PID/status */
	long children; /* processes whose parent is PID */
	long rss_kib;  /* VmRSS: in /proc/PID/status */
	long mappings; /* lines of /proc/PID/maps */
};

/* Fills *out from /proc. Returns 0, -ESRCH (not running) or -errno. */
int target_counts(const struct target *t, struct target_counts *out);

/* Address clients connect to (valid after a successful start). */
const struct addr *target_addr(const struct target *t);

/* The listen backlog of the TCP socket clients reach (ss's Send-Q), or
 * -errno (-ENOTSUP for Unix sockets and UDP). */
long target_listen_backlog(const struct target *t);

/* PID of the instance's main process, or 0. */
pid_t target_pid(const struct target *t);

/* The command after substitution (launched) or "connect ADDR". */
const char *target_describe(const struct target *t);

/* What the current instance announced after "listening on" on stdout
 * ("127.0.0.1:8088"), or NULL if it printed no such line. */
const char *target_announced(const struct target *t);

/* What the current instance wrote on stdout / stderr (the last
 * TARGET_OUTPUT_MAX bytes of each), NUL-terminated; reset by each start. */
const char *target_stdout(const struct target *t, size_t *len);
const char *target_stderr(const struct target *t, size_t *len);

/* The directory of the reference servers, found from the running
 * binary's path (bindir.h): EXE_DIR/../libexec/sockspec when it holds
 * them (an installed tree), else EXE_DIR (the build tree, where they
 * are built next to the runner). Single-quoted for a command template's
 * word splitting: "'/usr/libexec/sockspec'". "'.'" when it cannot be
 * told; NULL when memory ran out. Free it. */
char *target_bin_dir(void);

/* Checks that the program of command, a profile's reference command with
 * {bin} filled in, can be executed. Returns 0, or -1 with err naming the
 * server and both places it was looked for: "no reference server
 * ref-echo in /x/libexec/sockspec or /x/bin". */
int target_check_reference(const char *command, char *err, size_t errlen);

#endif
