/* SPDX-License-Identifier: MIT */
/*
 * sig: how a reference server learns it must stop. SIGTERM and SIGINT
 * are blocked in every thread and only let through while the main
 * thread waits in ppoll() with the mask sig_setup() returns, so a stop
 * request can neither be lost nor land in a worker thread. SIGPIPE is
 * ignored: a peer that vanished is an error return, never a death.
 */
#ifndef SOCKSPEC_SIG_H
#define SOCKSPEC_SIG_H

#include <signal.h>

/* Set by the handler when SIGTERM or SIGINT arrives. */
extern volatile sig_atomic_t sig_stop;

/* Installs the handlers and blocks SIGTERM/SIGINT in the calling thread
 * (threads created later inherit that). *wait_mask receives the mask to
 * pass to ppoll() so those two signals interrupt the wait. Call before
 * creating threads. Returns 0 or -errno. */
int sig_setup(sigset_t *wait_mask);

#endif
