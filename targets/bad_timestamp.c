/* SPDX-License-Identifier: MIT */
/*
 * bad-timestamp: seed 003's timestamp server (the timestamp and
 * timestamp-udp profiles of PROTOCOLS.md) with exactly one planted
 * defect, chosen by --defect. Over TCP it serves one client at a time
 * and answers each line DATA (or, with --framing chunk, each read) with
 * "[CTIME] DATA"; with --udp it answers each datagram the same way. It
 * exists to prove that the timestamp cases tell right from wrong, so
 * everything but the chosen defect is correct. Self-contained on
 * purpose, like bad_echo.c: no code shared with reference/.
 * targets/README.md lists the defects and the cases that catch them.
 * This file: options and the life of the process (the socket and the
 * signals through badnet.c, the targets' shared plumbing); the serving
 * is in bad_timestamp_serve.c.
 */
#define _GNU_SOURCE
#include "bad_timestamp.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define TS_PORT    21567
#define TS_BACKLOG 128

/* Indexed by enum defect; the help text and targets/README.md agree. */
static const struct {
	const char *name; /* value of --defect */
	const char *what; /* one line for --help */
} defects[DEFECT_COUNT] = {
    {"stale", "the time is 5 s behind the clock"},
    {"iso-format", "the time as %Y-%m-%d %H:%M:%S instead of ctime()"},
    {"no-space", "no space after \"]\": [CTIME]DATA"},
    {"strip", "whitespace around DATA stripped (Python's data.strip())"},
    {"nul", "DATA taken as a C string: cut at its first NUL byte"},
    {"skip-empty", "an empty line or datagram gets no reply"},
    {"keep-cr", "the CR of a CRLF line end is kept in DATA"},
    {"one-recv", "line framing: each recv(1024) answered as one line (the seed's loop)"},
    {"close-after-reply", "closes the connection after its first reply"},
    {"once", "exits 0 after its first client"},
    {"concurrent", "a thread per client: clients served at the same time"},
    {"no-halfclose", "answers after 5 ms; drops the replies owed if the client half-closed"},
    {"reset-exits", "a failed recv or send (a reset) ends the server with status 1"},
    {"sigpipe", "SIGPIPE not ignored, write() without MSG_NOSIGNAL: dies on a reset"},
    {"ignore-term", "SIGTERM ignored; SIGINT still exits 0"},
    {"int-exit-1", "SIGINT exits with status 1 (Python's KeyboardInterrupt)"},
    {"no-reuseaddr", "no SO_REUSEADDR: restart fails while connections sit in TIME_WAIT"},
    {"reuseport", "SO_REUSEPORT set: a second instance on the same port binds"},
    {"fd-leak", "opens /dev/null once per connection or datagram, never closes it"},
    {"no-line-limit", "buffers a line without limit, never closes for a long one"},
    {"udp-truncate-1024", "UDP: recvfrom(1024) cuts longer datagrams (the seed's BUFSIZ)"},
    {"udp-reply-other-socket", "UDP: replies from a new socket, so from another port"},
    {"udp-replies-oversize", "UDP: DATA over 65,480 gets a reply cut to 65,507 bytes"},
    {"udp-connect-first", "UDP: connect()s its socket to the first sender; others unheard"},
    {"udp-last-only", "UDP: waits 5 ms, drains every queued datagram, answers the last"},
    {"udp-reuseaddr", "UDP: SO_REUSEADDR set as for TCP: a second instance binds"},
};
static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s --defect NAME [--udp] [--framing line|chunk] [-p PORT] [-b ADDR]\n"
	        "A timestamp server ([CTIME] DATA per line or datagram) with one deliberate\n"
	        "defect, to test the suite.\n\n"
	        "options:\n"
	        "  -d, --defect NAME  the defect to plant (required, see below)\n"
	        "  -u, --udp          serve UDP datagrams instead of TCP lines\n"
	        "  -f, --framing F    line (default) or chunk (one read is one message,\n"
	        "                     no LF added: the seed's own client)\n"
	        "  -p, --port N       port to listen on (default %d; 0: any free port)\n"
	        "  -b, --bind ADDR    127.0.0.1 (default), ::1, [::1]:PORT, 127.0.0.1:PORT,\n"
	        "                     unix:PATH (TCP only); a port in ADDR overrides -p\n"
	        "  -h, --help         this help\n\ndefects:\n",
	        PROG, TS_PORT);
	for (int i = 0; i < DEFECT_COUNT; i++)
		fprintf(out, "  %-22s %s\n", defects[i].name, defects[i].what);
	fprintf(out, "\nPrints \"listening on ADDR:PORT\" once ready; exits 0 on SIGTERM or "
	             "SIGINT.\n");
}

static int find_defect(const char *name)
{
	for (int i = 0; i < DEFECT_COUNT; i++)
		if (strcmp(name, defects[i].name) == 0)
			return i;
	return DEFECT_NONE;
}

static int bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s \"%s\" (try --help)\n", PROG, what, arg);
	return 2;
}

/* Applies one option that takes a value. Returns -1 to go on, else the
 * exit status of a usage error. */
static int take_option(const char *opt, const char *val, const char **defect,
                       const char **port_text, const char **bind_text, struct config *cfg)
{
	if (!val)
		return bad_usage("missing value or unknown option", opt);
	if (strcmp(opt, "-d") == 0 || strcmp(opt, "--defect") == 0)
		*defect = val;
	else if (strcmp(opt, "-p") == 0 || strcmp(opt, "--port") == 0)
		*port_text = val;
	else if (strcmp(opt, "-b") == 0 || strcmp(opt, "--bind") == 0)
		*bind_text = val;
	else if ((strcmp(opt, "-f") == 0 || strcmp(opt, "--framing") == 0) &&
	         (strcmp(val, "line") == 0 || strcmp(val, "chunk") == 0))
		cfg->chunk = strcmp(val, "chunk") == 0;
	else if (strcmp(opt, "-f") == 0 || strcmp(opt, "--framing") == 0)
		return bad_usage("bad framing (expected line or chunk)", val);
	else
		return bad_usage("unknown option", opt);
	return -1;
}

/* Returns -1 to go on serving, else the exit status (help or usage error). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	const char *bind_text = "127.0.0.1", *defect = NULL, *port_text = NULL;
	uint16_t port = TS_PORT;
	int i = 1, rc;

	while (i < argc) {
		const char *opt = argv[i];

		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(opt, "-u") == 0 || strcmp(opt, "--udp") == 0) {
			cfg->udp = 1;
			i++;
			continue;
		}
		rc = take_option(opt, i + 1 < argc ? argv[i + 1] : NULL, &defect, &port_text,
		                 &bind_text, cfg);
		if (rc >= 0)
			return rc;
		i += 2;
	}
	if (!defect)
		return bad_usage("missing option", "--defect NAME");
	cfg->defect = (enum defect)find_defect(defect);
	if (cfg->defect == DEFECT_NONE)
		return bad_usage("unknown defect", defect);
	if (port_text && badnet_parse_port(port_text, &port) < 0)
		return bad_usage("bad port", port_text);
	if (badnet_parse_addr(bind_text, port, &cfg->addr) < 0)
		return bad_usage("bad address (expected IPv4, IPv6, [IPV6]:PORT or unix:PATH)",
		                 bind_text);
	if (cfg->udp && cfg->addr.ss.ss_family == AF_UNIX)
		return bad_usage("--udp needs an IP address, not", bind_text);
	if (cfg->udp && cfg->chunk)
		return bad_usage("--framing does not apply with --udp:", "chunk");
	return -1;
}

/* The socket options: TIME_WAIT is a TCP matter; on UDP, SO_REUSEADDR
 * would let a second instance bind the same port, so it is set there
 * only as the defect udp-reuseaddr. Defect no-reuseaddr: the seed's
 * missing line; defect reuseport: a second instance shares the port. */
static unsigned socket_flags(const struct config *cfg)
{
	int reuseaddr =
	    cfg->udp ? cfg->defect == DEFECT_UDP_REUSEADDR : cfg->defect != DEFECT_NO_REUSEADDR;

	return (reuseaddr ? BADNET_REUSEADDR : 0) |
	       (cfg->defect == DEFECT_REUSEPORT ? BADNET_REUSEPORT : 0);
}

/* Leaves the process; a Unix socket path is removed first. */
void ts_leave(const struct config *cfg, int status)
{
	badnet_unlink(&cfg->addr);
	exit(status);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	char text[BADNET_TEXT_MAX], err[BADNET_ERR_MAX];
	struct config cfg;
	struct server srv;
	sigset_t stop;
	pthread_t tid;
	int status, signo, rc;

	memset(&cfg, 0, sizeof(cfg));
	status = parse_args(argc, argv, &cfg);
	if (status >= 0)
		return status;
	/* Defect sigpipe: a write to a reset connection kills the process.
	 * Defect ignore-term: SIGTERM is thrown away; only SIGINT stops us. */
	if (badnet_signals(cfg.defect == DEFECT_IGNORE_TERM, cfg.defect == DEFECT_SIGPIPE, &stop) <
	    0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	srv.cfg = &cfg;
	srv.fd = badnet_open(&cfg.addr, cfg.udp ? SOCK_DGRAM : SOCK_STREAM, TS_BACKLOG,
	                     socket_flags(&cfg), text, sizeof(text), err, sizeof(err));
	if (srv.fd < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	if (badnet_announce(PROG, text) < 0)
		return 1;
	rc = pthread_create(&tid, NULL, cfg.udp ? ts_dgram_main : ts_accept_main, &srv);
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		return 1;
	}
	do
		rc = sigwait(&stop, &signo);
	while (rc == EINTR);
	if (rc != 0) {
		fprintf(stderr, "%s: sigwait: %s\n", PROG, strerror(rc));
		return 1;
	}
	/* Defect int-exit-1: Ctrl-C ends the server as a failure. Leaving
	 * ends the serving thread with it; the kernel closes the socket. */
	ts_leave(&cfg, signo == SIGINT && cfg.defect == DEFECT_INT_EXIT_1 ? 1 : 0);
	return 0;
}
