/* SPDX-License-Identifier: MIT */
/*
 * app: the command-line shell every reference server shares: options
 * and --help, binding with the error line PROTOCOLS.md asks for, the
 * "listening on ADDR" readiness line, and running a serve loop until a
 * stop signal. This is the only part of reference/ that prints.
 */
#ifndef SOCKSPEC_APP_H
#define SOCKSPEC_APP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "proto.h"
#include "serve.h"

/* Options a server accepts beyond the common ones. */
#define APP_OPT_MODE    0x1u  /* --mode once|iterative|threaded */
#define APP_OPT_FRAMING 0x2u  /* --framing line|chunk */
#define APP_OPT_DELAY   0x4u  /* --delay SECONDS */
#define APP_OPT_UDP     0x8u  /* --udp */
#define APP_OPT_IDLE    0x10u /* --idle-timeout SECONDS (TCP) */

/* What a server is: fixed at compile time, one per binary. */
struct app_spec {
	const char *prog;                           /* "ref-echo" */
	const char *summary;                        /* one line for --help */
	uint16_t default_port;                      /* the seed's port */
	unsigned options;                           /* APP_OPT_* it accepts */
	unsigned modes;                             /* 1u << SERVE_* values --mode accepts */
	enum serve_mode default_mode;               /* mode without --mode */
	double default_delay;                       /* seconds, with APP_OPT_DELAY */
	const struct proto_handler *proto;          /* what it answers */
	const struct proto_handler *proto_threaded; /* with --mode threaded, if different */
	int socktype; /* SOCK_STREAM or SOCK_DGRAM (--udp switches to DGRAM) */
};

/* What the user asked for. */
struct app_config {
	struct addr addr;           /* where to listen (port resolved) */
	enum serve_mode mode;       /* --mode */
	enum proto_framing framing; /* --framing (LINE by default) */
	int delay_ms;               /* --delay */
	int udp;                    /* --udp */
	size_t max_line;            /* --max-line */
	size_t max_clients;         /* --max-clients; 0: derived from RLIMIT_NOFILE */
	int idle_ms;                /* --idle-timeout; 0: off */
};

/* A listening server. */
struct app_server {
	const struct app_spec *spec; /* which program */
	struct app_config cfg;       /* its settings */
	int fd;                      /* listening or bound socket */
	struct addr bound;           /* address actually bound */
	sigset_t wait_mask;          /* lets SIGTERM/SIGINT interrupt waits */
};

/* Parses argv. Returns -1 to go on, or the exit status to return at once:
 * 0 after --help or --version (printed), 2 after a usage error (printed
 * on stderr). */
int app_options(int argc, char **argv, const struct app_spec *spec, struct app_config *cfg);

/* Installs the stop signals, raises RLIMIT_NOFILE to its hard limit
 * (and derives the default max_clients from it), binds (SOCK_STREAM or
 * SOCK_DGRAM) and prints "listening on ADDR" on stdout. Returns 0, or prints
 * "PROG: bind(ADDR): ERROR" on stderr and returns -1. */
int app_listen(const struct app_spec *spec, const struct app_config *cfg, int type,
               struct app_server *srv);

/* Serves connections (stream) or datagrams with proto until stopped,
 * then closes the socket. Returns the exit status: 0 after a stop or
 * when a once-server is done, 1 on a fatal error (printed). */
int app_serve(struct app_server *srv, const struct proto_handler *proto);

/* The whole program: options, bind, "listening on ADDR", serve until a
 * stop signal. Returns the exit status for main(). */
int app_run(int argc, char **argv, const struct app_spec *spec);

#endif
