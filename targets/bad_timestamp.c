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
 * This file: options, the socket, signals; the serving is in
 * bad_timestamp_serve.c.
 */
#define _GNU_SOURCE
#include "bad_timestamp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define TS_PORT     21567
#define TS_BACKLOG  128
#define TS_TEXT_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) + 16)
#define TS_ERR_MAX  (TS_TEXT_MAX + 128)

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

static int parse_port(const char *text, uint16_t *port)
{
	unsigned long v = 0;

	if (!*text || strlen(text) > 5)
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_unix(const char *path, struct config *cfg)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&cfg->addr;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sun->sun_path))
		return -1;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n + 1);
	cfg->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Parses ADDR (see usage) into cfg; port is used unless ADDR names one. */
static int parse_addr(const char *text, uint16_t port, struct config *cfg)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&cfg->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&cfg->addr;
	char host[INET6_ADDRSTRLEN + 1];
	const char *end, *port_text = NULL;
	size_t hlen;

	memset(&cfg->addr, 0, sizeof(cfg->addr));
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, cfg);
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return -1;
		hlen = (size_t)(end - text - 1);
		text++;
		port_text = end[1] == ':' ? end + 2 : NULL;
	} else {
		end = strchr(text, ':');
		/* One colon: HOST:PORT. Several: a bare IPv6 address. */
		hlen = end && !strchr(end + 1, ':') ? (size_t)(end - text) : strlen(text);
		port_text = text[hlen] == ':' ? text + hlen + 1 : NULL;
	}
	if (hlen >= sizeof(host) || (port_text && parse_port(port_text, &port) < 0))
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		cfg->addrlen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		cfg->addrlen = sizeof(*sin6);
		return 0;
	}
	return -1;
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
	if (port_text && parse_port(port_text, &port) < 0)
		return bad_usage("bad port", port_text);
	if (parse_addr(bind_text, port, cfg) < 0)
		return bad_usage("bad address (expected IPv4, IPv6, [IPV6]:PORT or unix:PATH)",
		                 bind_text);
	if (cfg->udp && cfg->addr.ss_family == AF_UNIX)
		return bad_usage("--udp needs an IP address, not", bind_text);
	if (cfg->udp && cfg->chunk)
		return bad_usage("--framing does not apply with --udp:", "chunk");
	return -1;
}

/* Formats a socket address as the readiness line and error messages show it. */
static char *format_addr(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outlen, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, outlen, "unix:%s", ((const struct sockaddr_un *)ss)->sun_path);
	}
	return out;
}

/* A Unix socket file nobody listens on is left over from a dead run. */
static int unix_is_stale(const struct config *cfg)
{
	struct stat st;
	int fd, stale;

	if (lstat(((const struct sockaddr_un *)&cfg->addr)->sun_path, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	stale = connect(fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0 &&
	        errno == ECONNREFUSED;
	close(fd);
	return stale;
}

static int set_reuse(int fd, const struct config *cfg, char *err, size_t errlen)
{
	int one = 1;

	if (cfg->addr.ss_family == AF_UNIX)
		return 0;
	/* TIME_WAIT is a TCP matter: on UDP, SO_REUSEADDR would let a second
	 * instance bind the same port, so it is set there only as the defect
	 * udp-reuseaddr. Defect no-reuseaddr: the seed's missing line. */
	if ((cfg->udp ? cfg->defect == DEFECT_UDP_REUSEADDR : cfg->defect != DEFECT_NO_REUSEADDR) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "setsockopt(SO_REUSEADDR): %s", strerror(errno));
		return -1;
	}
	/* Defect reuseport: lets a second instance share the port. */
	if (cfg->defect == DEFECT_REUSEPORT &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "setsockopt(SO_REUSEPORT): %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Opens the listening (TCP) or bound (UDP) socket and writes the bound
 * address to text. Returns the fd, or -1 with err as "bind(ADDR): REASON". */
static int open_socket(const struct config *cfg, char *text, size_t textlen, char *err,
                       size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	const char *call = "socket";
	int type = cfg->udp ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(cfg->addr.ss_family, type | SOCK_CLOEXEC, 0), e;

	format_addr(&cfg->addr, text, textlen);
	if (fd < 0)
		goto fail;
	if (set_reuse(fd, cfg, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	call = "bind";
	if (bind(fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0) {
		if (errno != EADDRINUSE || cfg->addr.ss_family != AF_UNIX || !unix_is_stale(cfg))
			goto fail;
		unlink(((const struct sockaddr_un *)&cfg->addr)->sun_path);
		if (bind(fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) < 0)
			goto fail;
	}
	call = "listen";
	if (!cfg->udp && listen(fd, TS_BACKLOG) < 0)
		goto fail;
	call = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0)
		goto fail;
	if (cfg->addr.ss_family != AF_UNIX) /* the port the kernel chose for 0 */
		format_addr(&bound, text, textlen);
	return fd;
fail:
	e = errno;
	snprintf(err, errlen, "%s(%s): %s", call, text, strerror(e));
	if (fd >= 0)
		close(fd);
	return -1;
}
/* Leaves the process; a Unix socket path is removed first. */
void ts_leave(const struct config *cfg, int status)
{
	if (!cfg->udp && cfg->addr.ss_family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&cfg->addr)->sun_path);
	exit(status);
}

/* ---- main ---- */

/* Installs the dispositions and blocks the stop signals in this thread
 * (and so in every thread it starts); stop receives the ones to wait for. */
static int setup_signals(enum defect defect, sigset_t *stop)
{
	struct sigaction sa;
	sigset_t pipe_set;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* Defect sigpipe: a write to a reset connection kills the process. */
	sa.sa_handler = defect == DEFECT_SIGPIPE ? SIG_DFL : SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (sigprocmask(SIG_UNBLOCK, &pipe_set, NULL) < 0)
		return -1;
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sa.sa_handler = SIG_IGN;
	/* Defect ignore-term: SIGTERM is thrown away; only SIGINT stops us. */
	if (defect == DEFECT_IGNORE_TERM) {
		if (sigaction(SIGTERM, &sa, NULL) < 0)
			return -1;
	} else {
		sigaddset(stop, SIGTERM);
	}
	return sigprocmask(SIG_BLOCK, stop, NULL);
}

int main(int argc, char **argv)
{
	char text[TS_TEXT_MAX], err[TS_ERR_MAX];
	struct config cfg;
	struct server srv;
	sigset_t stop;
	pthread_t tid;
	int status, signo, rc;

	memset(&cfg, 0, sizeof(cfg));
	status = parse_args(argc, argv, &cfg);
	if (status >= 0)
		return status;
	if (setup_signals(cfg.defect, &stop) < 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	srv.cfg = &cfg;
	srv.fd = open_socket(&cfg, text, sizeof(text), err, sizeof(err));
	if (srv.fd < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	printf("listening on %s\n", text);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: stdout: %s\n", PROG, strerror(errno));
		return 1;
	}
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
