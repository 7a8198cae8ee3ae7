/* SPDX-License-Identifier: MIT */
/*
 * bad-udp-echo: a UDP echo server (the udp-echo profile of PROTOCOLS.md)
 * with exactly one planted defect, chosen by --defect: each datagram goes
 * back whole to its sender, from the address it was sent to, except where
 * the defect says otherwise. Like bad-echo it links nothing from
 * reference/, only badnet.c; targets/README.md lists the defects and the
 * cases that catch them.
 */
#define _GNU_SOURCE
#include "badnet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG          "bad-udp-echo"
#define UDP_PORT      10000
#define UDP_MAX       65507 /* the largest UDP payload over IPv4 */
#define UDP_SEED_READ 1024  /* the seed's recvfrom(1024) */
#define UDP_MERGE_MS  20    /* coalesce: how long to wait for more */

enum defect {
	DEFECT_NONE = -1,
	DEFECT_TRUNCATE,
	DEFECT_NUL,
	DEFECT_DROP_EMPTY,
	DEFECT_OTHER_SOCKET,
	DEFECT_WRONG_CLIENT,
	DEFECT_COALESCE,
	DEFECT_IGNORE_TERM,
	DEFECT_SIGINT_DEFAULT,
	DEFECT_REUSEADDR,
	DEFECT_REUSEPORT,
	DEFECT_FD_LEAK,
	DEFECT_COUNT
};

/* Indexed by enum defect; the help text and targets/README.md agree. */
static const struct {
	const char *name; /* value of --defect */
	const char *what; /* one line for --help */
} defects[DEFECT_COUNT] = {
    {"truncate", "recvfrom(1024): longer datagrams lose their tail (the seed's bug)"},
    {"nul", "echoes each datagram only up to its first NUL byte (strlen)"},
    {"drop-empty", "a datagram of 0 bytes gets no reply (taken for \"nothing read\")"},
    {"other-socket", "replies from a second socket, so from another port"},
    {"wrong-client", "replies to the sender of the previous datagram"},
    {"coalesce", "waits 20 ms and answers a sender's datagrams in one reply"},
    {"ignore-term", "SIGTERM ignored; SIGINT still exits 0"},
    {"sigint-default", "SIGINT left at its default: killed by it, not exit 0"},
    {"reuseaddr", "SO_REUSEADDR on the UDP socket: a second instance binds too"},
    {"reuseport", "SO_REUSEPORT set: a second instance on the same port binds"},
    {"fd-leak", "opens /dev/null once per datagram and never closes it"},
};

/* Settings from the command line. */
struct config {
	enum defect defect;      /* the one planted bug */
	struct badnet_addr addr; /* where to listen */
};

/* The receiving loop's state; owned by main. */
struct server {
	const struct config *cfg;     /* settings */
	int fd;                       /* the bound socket */
	int other;                    /* other-socket: the unbound one replies go out of */
	struct sockaddr_storage prev; /* wrong-client: the previous sender */
	socklen_t prev_len;           /* bytes of prev; 0 before the first datagram */
	char buf[UDP_MAX + 1];        /* one datagram (+1: the nul defect's terminator) */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s --defect NAME [-p PORT] [-b ADDR]\n"
	        "A UDP echo server with one deliberate defect, to test the suite.\n\n"
	        "options:\n"
	        "  -d, --defect NAME  the defect to plant (required, see below)\n"
	        "  -p, --port N       port to listen on (default %d; 0: any free port)\n"
	        "  -b, --bind ADDR    127.0.0.1 (default), ::1, [::1]:PORT, 127.0.0.1:PORT\n"
	        "  -h, --help         this help\n\ndefects:\n",
	        PROG, UDP_PORT);
	for (int i = 0; i < DEFECT_COUNT; i++)
		fprintf(out, "  %-15s %s\n", defects[i].name, defects[i].what);
	fprintf(out, "\nPrints \"listening on ADDR:PORT\" once ready; exits 0 on SIGTERM or "
	             "SIGINT.\n");
}

/* Returns -1 to go on serving, else the exit status (help or usage error). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	struct badnet_opts o = {.prog = PROG, .port = UDP_PORT, .usage = usage};
	int status = badnet_parse_args(argc, argv, &o);

	if (status >= 0)
		return status;
	cfg->addr = o.addr;
	if (cfg->addr.ss.ss_family == AF_UNIX)
		return badnet_bad_usage(PROG, "no Unix datagram sockets here", "unix:");
	cfg->defect = DEFECT_NONE;
	for (int i = 0; i < DEFECT_COUNT; i++)
		if (strcmp(o.defect, defects[i].name) == 0)
			cfg->defect = (enum defect)i;
	if (cfg->defect == DEFECT_NONE)
		return badnet_bad_usage(PROG, "unknown defect", o.defect);
	return -1;
}

static ssize_t recv_from(int fd, char *buf, size_t cap, struct sockaddr_storage *from,
                         socklen_t *from_len, int flags)
{
	ssize_t n;

	do {
		*from_len = sizeof(*from);
		n = recvfrom(fd, buf, cap, flags, (struct sockaddr *)from, from_len);
	} while (n < 0 && errno == EINTR);
	return n;
}

static int same_sender(const struct sockaddr_storage *a, socklen_t alen,
                       const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Defect coalesce: datagrams from the same sender that arrive within
 * UDP_MERGE_MS are appended to the first one (while they fit); one from
 * another sender is left for the next round. Returns the merged length. */
static size_t coalesce(struct server *srv, size_t len, const struct sockaddr_storage *from,
                       socklen_t from_len)
{
	struct pollfd pf = {.fd = srv->fd, .events = POLLIN};
	struct sockaddr_storage next;
	socklen_t next_len;
	ssize_t n;

	while (poll(&pf, 1, UDP_MERGE_MS) > 0) {
		n = recv_from(srv->fd, srv->buf + len, UDP_MAX - len, &next, &next_len,
		              MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 || !same_sender(&next, next_len, from, from_len) ||
		    len + (size_t)n > UDP_MAX)
			break;
		(void)recv_from(srv->fd, srv->buf + len, UDP_MAX - len, &next, &next_len,
		                MSG_DONTWAIT);
		len += (size_t)n;
	}
	return len;
}

/* Answers one datagram. Returns 0, or -1 on an error worth stopping for. */
static int serve_one(struct server *srv)
{
	enum defect defect = srv->cfg->defect;
	size_t cap = defect == DEFECT_TRUNCATE ? UDP_SEED_READ : UDP_MAX, len;
	struct sockaddr_storage from, *to = &from;
	socklen_t from_len, to_len;
	ssize_t n = recv_from(srv->fd, srv->buf, cap, &from, &from_len, 0);
	int out = defect == DEFECT_OTHER_SOCKET ? srv->other : srv->fd;

	if (n < 0)
		return errno == ECONNREFUSED ? 0 : -1; /* an ICMP error of an earlier reply */
	to_len = from_len;
	len = (size_t)n;
	if (defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));
	if (defect == DEFECT_DROP_EMPTY && len == 0)
		return 0; /* "nothing read": the seed's `if not data` */
	if (defect == DEFECT_NUL) {
		srv->buf[len] = '\0';
		len = strlen(srv->buf);
	}
	if (defect == DEFECT_COALESCE)
		len = coalesce(srv, len, &from, from_len);
	if (defect == DEFECT_WRONG_CLIENT) {
		struct sockaddr_storage sender = from;

		if (srv->prev_len) { /* the one before gets this reply */
			from = srv->prev;
			to_len = srv->prev_len;
		}
		srv->prev = sender;
		srv->prev_len = from_len;
	}
	while (sendto(out, srv->buf, len, 0, (struct sockaddr *)to, to_len) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "%s: sendto: %s\n", PROG, strerror(errno));
			break; /* that sender is gone; the others are not */
		}
	return 0;
}

static void *serve_main(void *arg)
{
	struct server *srv = arg;

	while (serve_one(srv) == 0)
		;
	fprintf(stderr, "%s: recvfrom: %s\n", PROG, strerror(errno));
	exit(1);
	return NULL;
}

int main(int argc, char **argv)
{
	char text[BADNET_TEXT_MAX], err[BADNET_ERR_MAX];
	struct config cfg;
	struct server *srv;
	unsigned flags = 0;
	sigset_t stop;
	pthread_t tid;
	int status, rc;

	memset(&cfg, 0, sizeof(cfg));
	status = parse_args(argc, argv, &cfg);
	if (status >= 0)
		return status;
	if (badnet_signals(cfg.defect == DEFECT_IGNORE_TERM, 0, &stop) < 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	/* Defect sigint-default: SIGINT is not waited for, so it kills. */
	if (cfg.defect == DEFECT_SIGINT_DEFAULT) {
		sigset_t intr;

		sigemptyset(&intr);
		sigaddset(&intr, SIGINT);
		sigdelset(&stop, SIGINT);
		if (sigprocmask(SIG_UNBLOCK, &intr, NULL) < 0)
			return 1;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	srv->cfg = &cfg;
	if (cfg.defect == DEFECT_REUSEADDR) /* for UDP, this lets a second bind share it */
		flags |= BADNET_REUSEADDR;
	if (cfg.defect == DEFECT_REUSEPORT)
		flags |= BADNET_REUSEPORT;
	srv->fd =
	    badnet_open(&cfg.addr, SOCK_DGRAM, 0, flags, text, sizeof(text), err, sizeof(err));
	if (srv->fd < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	srv->other = -1;
	if (cfg.defect == DEFECT_OTHER_SOCKET)
		srv->other = socket(cfg.addr.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (cfg.defect == DEFECT_OTHER_SOCKET && srv->other < 0) {
		fprintf(stderr, "%s: socket: %s\n", PROG, strerror(errno));
		return 1;
	}
	if (badnet_announce(PROG, text) < 0)
		return 1;
	rc = pthread_create(&tid, NULL, serve_main, srv);
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		return 1;
	}
	exit(badnet_wait_stop(PROG, &stop, &cfg.addr));
}
