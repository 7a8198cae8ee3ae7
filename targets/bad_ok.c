/* SPDX-License-Identifier: MIT */
/*
 * bad-ok: seed 004's "OK..." servers (the ok-iterative and ok-threaded
 * profiles of PROTOCOLS.md) with exactly one planted defect, chosen by
 * --defect. --mode iterative reads one line DATA per connection, answers
 * "OK...DATA" and closes; --mode threaded greets each client and answers
 * every line until EOF, a thread per connection. Everything but the
 * defect is right (line reassembly, CRLF, lines up to 64 KiB, replies
 * owed at EOF, SO_REUSEADDR, MSG_NOSIGNAL, exit 0 on SIGTERM/SIGINT), so
 * a failing case points at the defect alone. targets/README.md lists the
 * defects and the cases that catch them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "badnet.h"

#define PROG           "bad-ok"
#define OK_PORT        8888
#define OK_PREFIX      "OK..."
#define OK_GREETING    "Welcome to the server. Type something and hit enter"
#define OK_READ        16384 /* bytes per read */
#define OK_SEED_READ   1024  /* the seed's recv(1024) */
#define OK_MAX_LINE    65536 /* longer lines are refused: close */
#define OK_MAX_CLIENTS 1024  /* live threads; the rest wait in the backlog */
#define OK_BACKLOG     1024  /* listen backlog (defect backlog-5: 5) */
#define OK_LINGER_MS   200   /* iterative: drain input this long after the reply */
#define OK_LINGER_MAX  65536 /* ... or this many bytes */
#define OK_DELAY_MS    5     /* no-halfclose: pause before each reply */
#define OK_STACK       (256 * 1024)
#define MODE_BIT(m)    (1u << (m))

enum mode { MODE_ITERATIVE, MODE_THREADED };

enum defect {
	DEFECT_NONE = -1,
	DEFECT_DIES_ON_EMPTY_CLIENT,
	DEFECT_NEVER_CLOSES,
	DEFECT_ANSWERS_PIPELINED,
	DEFECT_MISSING_GREETING,
	DEFECT_WRONG_GREETING,
	DEFECT_KEEPS_CR,
	DEFECT_ONE_RECV,
	DEFECT_SERIAL,
	DEFECT_BACKLOG_5,
	DEFECT_UNBOUNDED_LINE,
	DEFECT_NO_HALFCLOSE,
	DEFECT_THREAD_LEAK,
	DEFECT_C_STRING,
	DEFECT_CONCURRENT,
	DEFECT_ONE_LINE_ONLY,
	DEFECT_ANSWERS_EOF,
	DEFECT_SIGPIPE,
	DEFECT_STOP_EXITS_1,
	DEFECT_NO_REUSEADDR,
	DEFECT_REUSEPORT,
	DEFECT_FD_LEAK,
	DEFECT_DROPS_LAST_BYTE,
	DEFECT_COUNT
};

#define BOTH      (MODE_BIT(MODE_ITERATIVE) | MODE_BIT(MODE_THREADED))
#define ITER      MODE_BIT(MODE_ITERATIVE)
#define THREADED  MODE_BIT(MODE_THREADED)
#define LINE_ONLY (1u << 8) /* a line-framing matter: chunk framing has no lines */

/* Indexed by enum defect; the help text and targets/README.md agree. */
static const struct {
	const char *name; /* value of --defect */
	unsigned modes;   /* the modes it applies to, | LINE_ONLY */
	const char *what; /* one line for --help */
} defects[DEFECT_COUNT] = {
    {"dies-on-empty-client", BOTH, "a client that sends nothing ends the server (seed 004)"},
    {"never-closes", ITER, "keeps each connection open after its reply (fd leaked)"},
    {"answers-pipelined", ITER | LINE_ONLY,
     "answers the lines that came with the first, then closes"},
    {"missing-greeting", THREADED, "no greeting on connect"},
    {"wrong-greeting", THREADED, "the greeting ends in CRLF instead of LF"},
    {"keeps-cr", BOTH | LINE_ONLY, "the CR of a CRLF stays in the reply (OK...DATA\\r\\n)"},
    {"one-recv", BOTH | LINE_ONLY, "one recv(1024) taken as one message (the seed's bug)"},
    {"serial", THREADED, "one connection at a time, served in the accept loop"},
    {"backlog-5", THREADED, "listen(5) and 1 ms per accept: a burst of clients overflows"},
    {"unbounded-line", BOTH | LINE_ONLY, "no limit on a line: keeps all of it in memory"},
    {"no-halfclose", BOTH, "answers after 5 ms; drops the reply owed if the client half-closed"},
    {"thread-leak", THREADED, "a connection's thread never ends after its client leaves"},
    {"c-string", BOTH, "the message taken for a C string: the reply stops at its first NUL"},
    {"concurrent", ITER, "a thread per client: clients are not served one at a time"},
    {"one-line-only", THREADED, "closes after the first reply, like the iterative server"},
    {"answers-eof", BOTH, "answers the client's EOF with OK... before closing"},
    {"sigpipe", BOTH, "SIGPIPE not ignored, write() retried on error: dies on a reset"},
    {"stop-exits-1", BOTH,
     "SIGTERM and SIGINT end it with status 1 (a Python KeyboardInterrupt traceback's), not 0"},
    {"no-reuseaddr", BOTH, "no SO_REUSEADDR: a restart fails while connections are in TIME_WAIT"},
    {"reuseport", BOTH, "SO_REUSEPORT set: a second instance on the same port binds"},
    {"fd-leak", BOTH, "opens /dev/null once per connection and never closes it"},
    {"drops-last-byte", BOTH, "the reply loses the message's last byte (OK...hell for hello)"},
};

/* Settings from the command line; read-only once parsed. */
struct config {
	enum defect defect;      /* the one planted bug */
	enum mode mode;          /* iterative or threaded */
	int chunk;               /* chunk framing: one read is one message */
	struct badnet_addr addr; /* where to listen */
	unsigned flags;          /* BADNET_REUSEADDR, BADNET_REUSEPORT */
	int backlog;             /* listen() backlog */
};

/* State shared by the accept loop and the connection threads; owned by main. */
struct server {
	const struct config *cfg; /* settings */
	int lfd;                  /* listening socket */
	sem_t slots;              /* free connection slots (threaded) */
};

/* One connection being served. */
struct conn {
	int fd;                   /* the accepted connection */
	struct server *srv;       /* owner: gets the slot back (threaded) */
	const struct config *cfg; /* settings */
	char *line;               /* line framing: bytes of the unfinished line */
	size_t len, cap;          /* bytes in line, bytes allocated */
	int got_bytes;            /* the client sent something */
};

enum step { STEP_GO_ON, STEP_DONE, STEP_DROP };

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s --defect NAME [--mode iterative|threaded] [--framing line|chunk]\n"
	        "          [-p PORT] [-b ADDR]\n"
	        "Seed 004's OK... server with one deliberate defect, to test the suite.\n\n"
	        "options:\n"
	        "  -d, --defect NAME  the defect to plant (required, see below)\n"
	        "  -m, --mode M       iterative (default): one line per connection, then close;\n"
	        "                     threaded: greeting, then every line, a thread each\n"
	        "  -f, --framing F    line (default) or chunk: one read is one message\n"
	        "  -p, --port N       port to listen on (default %d; 0: any free port)\n"
	        "  -b, --bind ADDR    127.0.0.1 (default), ::1, [::1]:PORT, 127.0.0.1:PORT,\n"
	        "                     unix:PATH; a port in ADDR overrides -p\n"
	        "  -h, --help         this help\n\n"
	        "defects (the modes and framings each applies to):\n",
	        PROG, OK_PORT);
	for (int i = 0; i < DEFECT_COUNT; i++) {
		unsigned m = defects[i].modes & BOTH;

		fprintf(out, "  %-20s %-9s %-5s %s\n", defects[i].name,
		        m == BOTH   ? "both"
		        : m == ITER ? "iterative"
		                    : "threaded",
		        defects[i].modes & LINE_ONLY ? "line" : "both", defects[i].what);
	}
	fprintf(out, "\nPrints \"listening on ADDR:PORT\" once ready; exits 0 on SIGTERM or "
	             "SIGINT.\n");
}

static int bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s \"%s\" (try --help)\n", PROG, what, arg);
	return 2;
}

/* Fills cfg from the option values. Returns -1 to go on, else a status. */
static int apply_args(const char *defect, const char *mode, const char *framing,
                      const char *port_text, const char *bind_text, struct config *cfg)
{
	uint16_t port = OK_PORT;

	if (!defect)
		return bad_usage("missing option", "--defect NAME");
	cfg->defect = DEFECT_NONE;
	for (int i = 0; i < DEFECT_COUNT; i++)
		if (strcmp(defect, defects[i].name) == 0)
			cfg->defect = (enum defect)i;
	if (cfg->defect == DEFECT_NONE)
		return bad_usage("unknown defect", defect);
	if (strcmp(mode, "iterative") == 0)
		cfg->mode = MODE_ITERATIVE;
	else if (strcmp(mode, "threaded") == 0)
		cfg->mode = MODE_THREADED;
	else
		return bad_usage("bad mode (iterative or threaded)", mode);
	if (!(defects[cfg->defect].modes & MODE_BIT(cfg->mode)))
		return bad_usage("defect does not apply to this mode", defect);
	if (strcmp(framing, "line") != 0 && strcmp(framing, "chunk") != 0)
		return bad_usage("bad framing (line or chunk)", framing);
	cfg->chunk = strcmp(framing, "chunk") == 0;
	if (cfg->chunk && (defects[cfg->defect].modes & LINE_ONLY))
		return bad_usage("defect does not apply to chunk framing", defect);
	if (port_text && badnet_parse_port(port_text, &port) < 0)
		return bad_usage("bad port", port_text);
	if (badnet_parse_addr(bind_text, port, &cfg->addr) < 0)
		return bad_usage("bad address (expected IPv4, IPv6, [IPV6]:PORT or unix:PATH)",
		                 bind_text);
	cfg->flags = (cfg->defect != DEFECT_NO_REUSEADDR ? BADNET_REUSEADDR : 0) |
	             (cfg->defect == DEFECT_REUSEPORT ? BADNET_REUSEPORT : 0);
	/* Defect backlog-5: the seeds' s.listen(5). */
	cfg->backlog = cfg->defect == DEFECT_BACKLOG_5 ? 5 : OK_BACKLOG;
	return -1;
}

/* Returns -1 to go on serving, else the exit status (help or usage error). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	const char *bind_text = "127.0.0.1", *defect = NULL, *port_text = NULL;
	const char *mode = "iterative", *framing = "line";

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
		else if (strcmp(opt, "-m") == 0 || strcmp(opt, "--mode") == 0)
			mode = val;
		else if (strcmp(opt, "-f") == 0 || strcmp(opt, "--framing") == 0)
			framing = val;
		else if (strcmp(opt, "-p") == 0 || strcmp(opt, "--port") == 0)
			port_text = val;
		else if (strcmp(opt, "-b") == 0 || strcmp(opt, "--bind") == 0)
			bind_text = val;
		else
			return bad_usage("unknown option", opt);
	}
	return apply_args(defect, mode, framing, port_text, bind_text, cfg);
}

/* Defect no-halfclose: wait a little, then give up on the reply owed if
 * the client has already half-closed. Returns 1 if it has. */
static int peer_half_closed_after_delay(int fd)
{
	char c;
	ssize_t n;

	badnet_sleep_ms(OK_DELAY_MS);
	do
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* Defect sigpipe: plain write() with SIGPIPE at its default, and every
 * failure retried as if it were EINTR. Linux reports a reset to the first
 * write as ECONNRESET; the retry gets EPIPE, and SIGPIPE kills the server
 * (a stream socket has no other lasting write error, so this cannot spin).
 * Returns 0 (it never fails: it dies). */
static int write_retrying(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

/* Sends OK...MSG, and an LF if lf. */
static enum step answer(struct conn *c, const char *msg, size_t len, int lf)
{
	const struct config *cfg = c->cfg;
	size_t plen = strlen(OK_PREFIX), n;
	char *out;
	int rc;

	/* Defect c-string: strlen() decides where the message ends. */
	if (cfg->defect == DEFECT_C_STRING)
		len = strnlen(msg, len);
	/* Defect drops-last-byte: an off-by-one copies one byte too few. */
	if (cfg->defect == DEFECT_DROPS_LAST_BYTE && len > 0)
		len--;
	n = plen + len + (lf ? 1 : 0);

	if (cfg->defect == DEFECT_NO_HALFCLOSE && peer_half_closed_after_delay(c->fd))
		return STEP_DROP;
	out = malloc(n);
	if (!out)
		return STEP_DROP;
	memcpy(out, OK_PREFIX, plen);
	memcpy(out + plen, msg, len);
	if (lf)
		out[n - 1] = '\n';
	rc = cfg->defect == DEFECT_SIGPIPE ? write_retrying(c->fd, out, n)
	                                   : badnet_write_all(c->fd, out, n);
	free(out);
	if (rc < 0)
		return STEP_DROP;
	/* Defect one-line-only: the threaded server ends like the iterative. */
	if (cfg->mode == MODE_ITERATIVE || cfg->defect == DEFECT_ONE_LINE_ONLY)
		return STEP_DONE;
	return STEP_GO_ON;
}

/* Appends data to the unfinished line. Returns 0, or -1 when the line
 * is too long (refused) or memory runs out. */
static int append(struct conn *c, const char *data, size_t len)
{
	size_t cap = c->cap ? c->cap : 256;
	char *bigger;

	/* Defect unbounded-line: no limit, the line grows with the input. */
	if (c->cfg->defect != DEFECT_UNBOUNDED_LINE && c->len + len > OK_MAX_LINE + 2)
		return -1;
	while (cap < c->len + len)
		cap *= 2;
	if (cap != c->cap) {
		bigger = realloc(c->line, cap);
		if (!bigger)
			return -1;
		c->line = bigger;
		c->cap = cap;
	}
	memcpy(c->line + c->len, data, len);
	c->len += len;
	return 0;
}

/* Line framing: adds data, answers every complete line. */
static enum step feed_lines(struct conn *c, const char *data, size_t len)
{
	size_t start = 0, scan = c->len; /* only the new bytes can hold a new LF */
	enum step st = STEP_GO_ON;
	char *lf;

	if (append(c, data, len) < 0)
		return STEP_DROP;
	while (st == STEP_GO_ON && (lf = memchr(c->line + scan, '\n', c->len - scan))) {
		size_t end = (size_t)(lf - c->line), content = end - start;

		/* Defect keeps-cr: the CR of CRLF stays part of the message. */
		if (content > 0 && c->line[end - 1] == '\r' && c->cfg->defect != DEFECT_KEEPS_CR)
			content--;
		st = answer(c, c->line + start, content, 1);
		start = scan = end + 1;
		/* Defect answers-pipelined: the lines already read are answered
		 * too, as if each connection had one read's worth of lines. */
		if (st == STEP_DONE && c->cfg->defect == DEFECT_ANSWERS_PIPELINED &&
		    memchr(c->line + scan, '\n', c->len - scan))
			st = STEP_GO_ON;
	}
	memmove(c->line, c->line + start, c->len - start);
	c->len -= start;
	return st;
}

/* Iterative: the reply is out; end the connection without a reset:
 * shut our side, read what the client still sends for a while, close. */
static void lingering_close(int fd)
{
	char sink[4096];
	size_t total = 0;
	struct pollfd p = {fd, POLLIN, 0};

	if (shutdown(fd, SHUT_WR) == 0) {
		while (total < OK_LINGER_MAX && poll(&p, 1, OK_LINGER_MS) > 0) {
			ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
				break;
			if (n > 0)
				total += (size_t)n;
		}
	}
	close(fd);
}

/* Reads and answers until EOF, a reset or the end of the exchange. */
static enum step converse(struct conn *c, char *buf)
{
	const struct config *cfg = c->cfg;
	/* Defect one-recv: one read of at most 1024 bytes is one message. */
	int one_recv = cfg->defect == DEFECT_ONE_RECV;
	size_t want = one_recv ? OK_SEED_READ : OK_READ;

	for (;;) {
		ssize_t n = recv(c->fd, buf, want, 0);
		enum step st;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return STEP_DROP;
		if (n == 0) {
			/* Defect dies-on-empty-client: seed 004's `if not data: break`
			 * leaves the accept loop, and the program ends. */
			if (!c->got_bytes && cfg->defect == DEFECT_DIES_ON_EMPTY_CLIENT) {
				badnet_unlink(&cfg->addr);
				exit(0);
			}
			/* Defect answers-eof: the empty read taken for a message. */
			if (cfg->defect == DEFECT_ANSWERS_EOF)
				answer(c, buf, 0, !cfg->chunk);
			return STEP_DROP;
		}
		c->got_bytes = 1;
		if (cfg->chunk || one_recv)
			st = answer(c, buf, (size_t)n, 0);
		else
			st = feed_lines(c, buf, (size_t)n);
		if (st != STEP_GO_ON)
			return st;
	}
}

static void serve_conn(int fd, const struct config *cfg)
{
	struct conn c = {.fd = fd, .cfg = cfg};
	char *buf = malloc(OK_READ);
	enum step st = STEP_DROP;

	/* Defect fd-leak: one fd per connection that is never closed. A
	 * failed open (EMFILE, once the leak has eaten the table) changes
	 * nothing for this connection, so its result is deliberately unused. */
	if (cfg->defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));

	if (cfg->mode == MODE_THREADED && cfg->defect != DEFECT_MISSING_GREETING) {
		/* Defect wrong-greeting: telnet's CRLF instead of the seed's LF. */
		const char *g =
		    cfg->defect == DEFECT_WRONG_GREETING ? OK_GREETING "\r\n" : OK_GREETING "\n";
		if (badnet_write_all(fd, g, strlen(g)) < 0) {
			free(buf);
			close(fd);
			return;
		}
	}
	if (buf)
		st = converse(&c, buf);
	free(buf);
	free(c.line);
	/* Defect never-closes: the served connection is simply forgotten. */
	if (st == STEP_DONE && cfg->defect == DEFECT_NEVER_CLOSES)
		return;
	if (st == STEP_DONE)
		lingering_close(fd);
	else
		close(fd);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;

	serve_conn(c->fd, srv->cfg);
	free(c);
	sem_post(&srv->slots);
	/* Defect thread-leak: the thread outlives its connection. */
	while (srv->cfg->defect == DEFECT_THREAD_LEAK)
		badnet_sleep_ms(3600 * 1000L);
	return NULL;
}

/* Starts a detached thread for fd; on failure closes fd and frees the slot. */
static void spawn(struct server *srv, int fd, pthread_attr_t *attr)
{
	struct conn *c = calloc(1, sizeof(*c));
	pthread_t tid;
	int rc = ENOMEM;

	if (c) {
		c->fd = fd;
		c->srv = srv;
		rc = pthread_create(&tid, attr, conn_main, c);
	}
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		free(c);
		close(fd);
		sem_post(&srv->slots);
	}
}

/* The accept loop, on its own thread so that main can wait for signals. */
static void *accept_main(void *arg)
{
	struct server *srv = arg;
	const struct config *cfg = srv->cfg;
	pthread_attr_t attr;
	int fd;

	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0 ||
	    pthread_attr_setstacksize(&attr, OK_STACK) != 0) {
		fprintf(stderr, "%s: pthread_attr: cannot set up thread attributes\n", PROG);
		exit(1);
	}
	for (;;) {
		/* Iterative (but for defect concurrent), and defect serial:
		 * served right here, so the next client waits in the backlog
		 * until this one is done. */
		if ((cfg->mode == MODE_ITERATIVE && cfg->defect != DEFECT_CONCURRENT) ||
		    cfg->defect == DEFECT_SERIAL) {
			fd = badnet_accept(PROG, srv->lfd, &srv->cfg->addr);
			if (fd >= 0)
				serve_conn(fd, cfg);
			continue;
		}
		while (sem_wait(&srv->slots) < 0) /* at the limit: leave clients queued */
			;
		fd = badnet_accept(PROG, srv->lfd, &srv->cfg->addr);
		if (fd < 0) {
			sem_post(&srv->slots);
			continue;
		}
		spawn(srv, fd, &attr);
		/* Defect backlog-5: an accept loop slower than a burst. */
		if (cfg->defect == DEFECT_BACKLOG_5)
			badnet_sleep_ms(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char text[BADNET_TEXT_MAX], err[BADNET_ERR_MAX];
	struct config cfg;
	struct server srv;
	sigset_t stop;
	pthread_t tid;
	int status, rc;

	memset(&cfg, 0, sizeof(cfg));
	status = parse_args(argc, argv, &cfg);
	if (status >= 0)
		return status;
	/* Defect sigpipe: SIGPIPE left at its default action. */
	if (badnet_signals(0, cfg.defect == DEFECT_SIGPIPE, &stop) < 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	srv.cfg = &cfg;
	srv.lfd = badnet_open(&cfg.addr, SOCK_STREAM, cfg.backlog, cfg.flags, text, sizeof(text),
	                      err, sizeof(err));
	if (srv.lfd < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	if (sem_init(&srv.slots, 0, OK_MAX_CLIENTS) < 0) {
		fprintf(stderr, "%s: sem_init: %s\n", PROG, strerror(errno));
		return 1;
	}
	if (badnet_announce(PROG, text) < 0)
		return 1;
	rc = pthread_create(&tid, NULL, accept_main, &srv);
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		return 1;
	}
	/* Defect stop-exits-1: stopped with the wrong status. */
	if (cfg.defect == DEFECT_STOP_EXITS_1 && sigwait(&stop, &rc) == 0)
		_exit(1);
	return badnet_wait_stop(PROG, &stop, &cfg.addr);
}
