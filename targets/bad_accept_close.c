/* SPDX-License-Identifier: MIT */
/*
 * bad-accept-close: seed 004's first server (the accept-close profile of
 * PROTOCOLS.md: accept one connection, close it at once sending nothing,
 * exit 0) with exactly one planted defect, chosen by --defect. Everything
 * else is right (SO_REUSEADDR, exit 0 on SIGTERM/SIGINT, the listening
 * line, bind errors on stderr with status 1), so that a failing case
 * points at the defect alone. targets/README.md lists the defects and the
 * cases that catch them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "badnet.h"

#define PROG        "bad-accept-close"
#define AC_PORT     8888
#define AC_BACKLOG  128
#define AC_READ_BUF 4096

enum defect {
	DEFECT_NONE = -1,
	DEFECT_SENDS_A_BYTE,
	DEFECT_KEEPS_SERVING,
	DEFECT_EXIT_STATUS_1,
	DEFECT_WAITS_FOR_CLIENT,
	DEFECT_NO_REUSEADDR,
	DEFECT_REUSEPORT,
	DEFECT_STOP_EXITS_1,
	DEFECT_COUNT
};

/* Indexed by enum defect; the help text and targets/README.md agree. */
static const struct {
	const char *name; /* value of --defect */
	const char *what; /* one line for --help */
} defects[DEFECT_COUNT] = {
    {"sends-a-byte", "sends a newline before it closes the connection"},
    {"keeps-serving", "never exits: accepts and closes connections forever (seed 004's loop)"},
    {"exit-status-1", "exits with status 1 instead of 0 after its connection"},
    {"waits-for-client", "reads until the client's EOF before it closes the connection"},
    {"no-reuseaddr", "no SO_REUSEADDR: a restart fails while its connection is in TIME_WAIT"},
    {"reuseport", "SO_REUSEPORT set: a second instance on the same port binds"},
    {"stop-exits-1",
     "SIGTERM and SIGINT end it with status 1 (a Python KeyboardInterrupt traceback's), not 0"},
};

/* Settings from the command line; read-only once parsed. */
struct config {
	enum defect defect;      /* the one planted bug */
	struct badnet_addr addr; /* where to listen */
	unsigned flags;          /* BADNET_REUSEADDR, BADNET_REUSEPORT */
	int backlog;             /* listen() backlog */
	int lfd;                 /* the listening socket */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s --defect NAME [-p PORT] [-b ADDR]\n"
	        "Accepts one connection, closes it at once sending nothing, exits 0;\n"
	        "except for one deliberate defect, to test the suite.\n\n"
	        "options:\n"
	        "  -d, --defect NAME  the defect to plant (required, see below)\n"
	        "  -p, --port N       port to listen on (default %d; 0: any free port)\n"
	        "  -b, --bind ADDR    127.0.0.1 (default), ::1, [::1]:PORT, 127.0.0.1:PORT,\n"
	        "                     unix:PATH; a port in ADDR overrides -p\n"
	        "  -h, --help         this help\n\ndefects:\n",
	        PROG, AC_PORT);
	for (int i = 0; i < DEFECT_COUNT; i++)
		fprintf(out, "  %-17s %s\n", defects[i].name, defects[i].what);
	fprintf(out, "\nPrints \"listening on ADDR:PORT\" once ready; exits 0 on SIGTERM or "
	             "SIGINT.\n");
}

static int bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s \"%s\" (try --help)\n", PROG, what, arg);
	return 2;
}

/* Returns -1 to go on serving, else the exit status (help or usage error). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	const char *bind_text = "127.0.0.1", *defect = NULL, *port_text = NULL;
	uint16_t port = AC_PORT;

	for (int i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (!val)
			return bad_usage("missing value or unknown option", opt);
		if (strcmp(opt, "-d") == 0 || strcmp(opt, "--defect") == 0)
			defect = val;
		else if (strcmp(opt, "-p") == 0 || strcmp(opt, "--port") == 0)
			port_text = val;
		else if (strcmp(opt, "-b") == 0 || strcmp(opt, "--bind") == 0)
			bind_text = val;
		else
			return bad_usage("unknown option", opt);
	}
	if (!defect)
		return bad_usage("missing option", "--defect NAME");
	cfg->defect = DEFECT_NONE;
	for (int i = 0; i < DEFECT_COUNT; i++)
		if (strcmp(defect, defects[i].name) == 0)
			cfg->defect = (enum defect)i;
	if (cfg->defect == DEFECT_NONE)
		return bad_usage("unknown defect", defect);
	if (port_text && badnet_parse_port(port_text, &port) < 0)
		return bad_usage("bad port", port_text);
	if (badnet_parse_addr(bind_text, port, &cfg->addr) < 0)
		return bad_usage("bad address (expected IPv4, IPv6, [IPV6]:PORT or unix:PATH)",
		                 bind_text);
	cfg->flags = (cfg->defect != DEFECT_NO_REUSEADDR ? BADNET_REUSEADDR : 0) |
	             (cfg->defect == DEFECT_REUSEPORT ? BADNET_REUSEPORT : 0);
	cfg->backlog = AC_BACKLOG;
	return -1;
}

/* Defect waits-for-client: read (and drop) until EOF or an error. */
static void drain_until_eof(int fd)
{
	char buf[AC_READ_BUF];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0 || (n < 0 && errno == EINTR));
}

/* Takes one connection and closes it (with the planted defect). */
static void close_one(int fd, enum defect defect)
{
	if (defect == DEFECT_WAITS_FOR_CLIENT)
		drain_until_eof(fd);
	if (defect == DEFECT_SENDS_A_BYTE && badnet_write_all(fd, "\n", 1) < 0)
		fprintf(stderr, "%s: send: %s\n", PROG, strerror(errno));
	close(fd);
}

/* The accept loop, on its own thread so that main can wait for signals. */
static void *accept_main(void *arg)
{
	const struct config *cfg = arg;
	struct timespec pause = {0, 100 * 1000000L};

	for (;;) {
		int fd = accept4(cfg->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			fprintf(stderr, "%s: accept: %s\n", PROG, strerror(errno));
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				nanosleep(&pause, NULL);
				continue;
			}
			exit(1);
		}
		close_one(fd, cfg->defect);
		/* Defect keeps-serving: back to accept, never done. */
		if (cfg->defect == DEFECT_KEEPS_SERVING)
			continue;
		close(cfg->lfd);
		badnet_unlink(&cfg->addr);
		/* Defect exit-status-1: the right ending with the wrong status. */
		exit(cfg->defect == DEFECT_EXIT_STATUS_1 ? 1 : 0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char text[BADNET_TEXT_MAX], err[BADNET_ERR_MAX];
	struct config cfg;
	sigset_t stop;
	pthread_t tid;
	int status, rc;

	memset(&cfg, 0, sizeof(cfg));
	status = parse_args(argc, argv, &cfg);
	if (status >= 0)
		return status;
	if (badnet_signals(0, 0, &stop) < 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	cfg.lfd = badnet_open(&cfg.addr, SOCK_STREAM, cfg.backlog, cfg.flags, text, sizeof(text),
	                      err, sizeof(err));
	if (cfg.lfd < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	if (badnet_announce(PROG, text) < 0)
		return 1;
	rc = pthread_create(&tid, NULL, accept_main, &cfg);
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		return 1;
	}
	/* Defect stop-exits-1: stopped with the wrong status. */
	if (cfg.defect == DEFECT_STOP_EXITS_1 && sigwait(&stop, &rc) == 0)
		_exit(1);
	return badnet_wait_stop(PROG, &stop, &cfg.addr);
}
