/* SPDX-License-Identifier: MIT */
/*
 * bad-hello: seed 002's greeting server (the hello profile of
 * PROTOCOLS.md: "Welcome!" on connect, "Hello, NAME!" per line after
 * --delay, the line exit or EOF ends the connection, a thread per
 * client) with exactly one planted defect, chosen by --defect. Like
 * bad-echo it proves that the suite tells right from wrong, and like it
 * links nothing from reference/ (only badnet, the targets' own correct
 * plumbing): a wrong server must not share code with the reference it
 * is judged against.
 * targets/README.md lists the defects, the rule each breaks and the
 * cases that catch it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "badnet.h"

#define PROG              "bad-hello"
#define HELLO_PORT        9999
#define HELLO_READ        16384 /* bytes per read */
#define HELLO_SEED_READ   1024  /* the seed's recv(1024) */
#define HELLO_MAX_LINE    65536 /* longest name accepted; longer closes the connection */
#define HELLO_MAX_CLIENTS 1024  /* live connections; the rest wait in the backlog */
#define HELLO_BACKLOG     1024
#define HELLO_STACK       (256 * 1024) /* room for HELLO_READ even under ASan */
#define SPLIT_CRASH_MIN   100          /* split-crash: shortest name that trips it */
#define SPLIT_CRASH_MAX   120          /* ... longest */
#define SPLIT_CRASH_READS 3            /* ... fewest reads the name arrived in */

enum defect {
	DEFECT_NONE = -1,
	DEFECT_NO_GREETING,
	DEFECT_SERIAL_DELAY,
	DEFECT_ITERATIVE,
	DEFECT_REPLIES_TO_EXIT,
	DEFECT_NO_CLOSE_ON_EXIT,
	DEFECT_KEEPS_CR,
	DEFECT_ONE_RECV,
	DEFECT_DROPS_PIPELINED,
	DEFECT_SEED_SPELLING,
	DEFECT_NUL,
	DEFECT_NO_HALFCLOSE,
	DEFECT_EXIT_LEAKS_FD,
	DEFECT_UNBOUNDED_LINE,
	DEFECT_SPLIT_CRASH,
	DEFECT_COUNT
};

/* Indexed by enum defect; the help text and targets/README.md agree. */
static const struct {
	const char *name; /* value of --defect */
	const char *what; /* one line for --help */
} defects[DEFECT_COUNT] = {
    {"no-greeting", "never sends Welcome! on connect"},
    {"serial-delay", "one global lock around delay and reply: replies one after another"},
    {"iterative", "one connection at a time, served in the accept loop"},
    {"replies-to-exit", "answers exit with Hello, exit! before closing"},
    {"no-close-on-exit", "ignores the line exit: no reply, the connection stays open"},
    {"keeps-cr", "line framing: the CR of CR LF stays in the name"},
    {"one-recv", "line framing: each recv(1024) is one name (the seed's bug)"},
    {"drops-pipelined", "line framing: only the first line of each read is answered"},
    {"seed-spelling", "replies Hello,NAME as seed 002 prints it (no space, no !)"},
    {"nul", "the name ends at its first NUL byte (strlen)"},
    {"no-halfclose", "drops the reply owed when the client half-closed during the delay"},
    {"exit-leaks-fd", "a connection ended by exit is shut down but never closed"},
    {"unbounded-line", "line framing: no line limit, a line without LF is buffered forever"},
    {"split-crash", "line framing: abort() on a 100-120 byte name that came in 3+ reads"},
};

enum framing { FRAMING_LINE, FRAMING_CHUNK };

/* Settings from the command line. */
struct config {
	enum defect defect;      /* the one planted bug */
	enum framing framing;    /* line (default) or chunk */
	long delay_ms;           /* pause before each reply */
	struct badnet_addr addr; /* where to listen */
};

/* State shared by the accept loop and the connection threads; owned by main. */
struct server {
	const struct config *cfg; /* settings */
	int lfd;                  /* listening socket */
	sem_t slots;              /* free connection slots */
	pthread_mutex_t serial;   /* serial-delay: held across delay and reply */
};

/* What a connection thread gets; it frees this. */
struct conn {
	int fd;             /* the accepted connection */
	struct server *srv; /* owner: gets the slot back */
};

/* One connection's state while it is served. */
struct session {
	int fd;               /* the connection */
	struct server *srv;   /* settings and the serial-delay lock */
	unsigned char *line;  /* line framing: bytes not yet a whole line */
	size_t len, cap;      /* bytes in line, bytes allocated */
	size_t scan;          /* line[0..scan) holds no LF: search from here */
	unsigned reads;       /* recv() calls that brought bytes of the line at line[0] */
	unsigned char *reply; /* reply buffer */
	size_t reply_cap;     /* bytes allocated for reply */
};

/* What a message does to its connection. */
enum verdict { GO_ON, END_EXIT, END_GONE };

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s --defect NAME [--framing line|chunk] [--delay S] [-p PORT] [-b ADDR]\n"
	        "Seed 002's greeting server with one deliberate defect, to test the suite.\n\n"
	        "options:\n"
	        "  -d, --defect NAME  the defect to plant (required, see below)\n"
	        "      --framing F    line (default): LF-terminated names, replies end in LF;\n"
	        "                     chunk: one read is one name, no LF (the seed's client)\n"
	        "      --delay S      seconds to wait before each reply (default 1, as the seed)\n"
	        "  -p, --port N       port to listen on (default %d; 0: any free port)\n"
	        "  -b, --bind ADDR    127.0.0.1 (default), ::1, [::1]:PORT, 127.0.0.1:PORT,\n"
	        "                     unix:PATH; a port in ADDR overrides -p\n"
	        "  -h, --help         this help\n\ndefects:\n",
	        PROG, HELLO_PORT);
	for (int i = 0; i < DEFECT_COUNT; i++)
		fprintf(out, "  %-17s %s\n", defects[i].name, defects[i].what);
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

/* Parses SECONDS (0 to 60, a fraction allowed) into milliseconds. */
static int parse_delay(const char *text, long *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(s >= 0.0 && s <= 60.0))
		return -1;
	*ms = (long)(s * 1000.0 + 0.5);
	return 0;
}

/* Takes --framing and --delay out of argv (badnet knows only the options
 * every wrong server has) into cfg and rest. Returns -1, or 2 after a
 * usage error. */
static int take_own_options(int argc, char **argv, struct config *cfg, char **rest, int *nrest)
{
	*nrest = 0;
	rest[(*nrest)++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int framing = strcmp(opt, "--framing") == 0, delay = strcmp(opt, "--delay") == 0;

		if (!(framing || delay) || !val) {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		i++;
		if (framing && strcmp(val, "line") == 0)
			cfg->framing = FRAMING_LINE;
		else if (framing && strcmp(val, "chunk") == 0)
			cfg->framing = FRAMING_CHUNK;
		else if (framing)
			return badnet_bad_usage(PROG, "bad framing (line or chunk)", val);
		else if (parse_delay(val, &cfg->delay_ms) < 0)
			return badnet_bad_usage(PROG, "bad delay (0 to 60 seconds)", val);
	}
	rest[*nrest] = NULL;
	return -1;
}

/* Returns -1 to go on serving, else the exit status (help or usage error). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	struct badnet_opts o = {.prog = PROG, .port = HELLO_PORT, .usage = usage};
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int nrest, status;

	if (!rest) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	cfg->framing = FRAMING_LINE;
	cfg->delay_ms = 1000;
	status = take_own_options(argc, argv, cfg, rest, &nrest);
	if (status < 0)
		status = badnet_parse_args(nrest, rest, &o);
	free(rest);
	if (status >= 0)
		return status;
	cfg->addr = o.addr;
	cfg->defect = (enum defect)find_defect(o.defect);
	if (cfg->defect == DEFECT_NONE)
		return badnet_bad_usage(PROG, "unknown defect", o.defect);
	return -1;
}

/* Writes all of buf. Returns 0, or -1 when the connection is gone. */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Defect no-halfclose: has the client already sent its EOF? */
static int peer_half_closed(int fd)
{
	char c;
	ssize_t n;

	do
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

static int is_exit(const unsigned char *name, size_t len)
{
	return len == 4 && memcmp(name, "exit", 4) == 0;
}

/* Builds the reply to name in s->reply. Returns its length, or 0 when
 * out of memory. */
static size_t compose(struct session *s, const unsigned char *name, size_t len)
{
	const struct config *cfg = s->srv->cfg;
	int seed = cfg->defect == DEFECT_SEED_SPELLING;
	const char *prefix = seed ? "Hello," : "Hello, ", *suffix = seed ? "" : "!";
	size_t plen = strlen(prefix), slen = strlen(suffix), need;

	/* Defect nul: the name taken for a C string. */
	if (cfg->defect == DEFECT_NUL)
		len = strnlen((const char *)name, len);
	need = plen + len + slen + 1;
	if (need > s->reply_cap) {
		unsigned char *bigger = realloc(s->reply, need);
		if (!bigger)
			return 0;
		s->reply = bigger;
		s->reply_cap = need;
	}
	memcpy(s->reply, prefix, plen);
	memcpy(s->reply + plen, name, len);
	memcpy(s->reply + plen + len, suffix, slen);
	need = plen + len + slen;
	if (cfg->framing == FRAMING_LINE)
		s->reply[need++] = '\n';
	return need;
}

/* Waits the delay, then sends the reply to name (or, by defect, not). */
static enum verdict reply(struct session *s, const unsigned char *name, size_t len)
{
	const struct config *cfg = s->srv->cfg;
	int serial = cfg->defect == DEFECT_SERIAL_DELAY;
	enum verdict v = GO_ON;
	size_t n;

	/* Defect serial-delay: every client waits for the others' delays. */
	if (serial)
		pthread_mutex_lock(&s->srv->serial);
	badnet_sleep_ms(cfg->delay_ms);
	if (cfg->defect == DEFECT_NO_HALFCLOSE && peer_half_closed(s->fd))
		v = END_GONE; /* defect: the reply owed is dropped */
	else if ((n = compose(s, name, len)) == 0 || send_all(s->fd, s->reply, n) < 0)
		v = END_GONE;
	if (serial)
		pthread_mutex_unlock(&s->srv->serial);
	return v;
}

/* Handles one message (a line without its terminator, or one chunk). */
static enum verdict message(struct session *s, const unsigned char *name, size_t len)
{
	enum defect defect = s->srv->cfg->defect;

	if (!is_exit(name, len))
		return reply(s, name, len);
	/* Defect no-close-on-exit: exit is neither answered nor obeyed. */
	if (defect == DEFECT_NO_CLOSE_ON_EXIT)
		return GO_ON;
	/* Defect replies-to-exit: the check comes after the reply. */
	if (defect == DEFECT_REPLIES_TO_EXIT && reply(s, name, len) != GO_ON)
		return END_GONE;
	return END_EXIT;
}

/* Appends data to the pending line. Returns 0, or -1 when the line is
 * longer than HELLO_MAX_LINE (or memory runs out). */
static int append(struct session *s, const unsigned char *data, size_t len)
{
	size_t limit =
	    s->srv->cfg->defect == DEFECT_UNBOUNDED_LINE ? SIZE_MAX / 2 : HELLO_MAX_LINE + 2;

	if (s->len + len > limit)
		return -1;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		unsigned char *bigger;

		while (cap < s->len + len)
			cap *= 2;
		bigger = realloc(s->line, cap);
		if (!bigger)
			return -1;
		s->line = bigger;
		s->cap = cap;
	}
	memcpy(s->line + s->len, data, len);
	s->len += len;
	return 0;
}

/* Defect split-crash: a fixed-size scratch copy, sized for names that
 * come in one or two reads, overruns on a mid-length name reassembled
 * from more; here it is an abort(), so the crash is certain and the
 * process dies of SIGABRT. Any other name, or the same name in fewer
 * reads, is served as the right server serves it. */
static void split_crash_check(const struct session *s, size_t len, unsigned reads)
{
	if (s->srv->cfg->defect == DEFECT_SPLIT_CRASH && len >= SPLIT_CRASH_MIN &&
	    len <= SPLIT_CRASH_MAX && reads >= SPLIT_CRASH_READS)
		abort();
}

/* Line framing: answers every whole line in the pending bytes. Only
 * bytes not searched before are searched for LF, so a long line costs
 * its length once, not once per read. The caller counted the read that
 * brought the new bytes in s->reads. */
static enum verdict lines(struct session *s)
{
	enum defect defect = s->srv->cfg->defect;
	size_t start = 0;
	unsigned char *lf;
	enum verdict v = GO_ON;

	while (v == GO_ON && (lf = memchr(s->line + s->scan, '\n', s->len - s->scan))) {
		size_t end = (size_t)(lf - s->line), len = end - start;

		/* Defect keeps-cr: the CR of CR LF is left in the name. */
		if (defect != DEFECT_KEEPS_CR && len > 0 && s->line[end - 1] == '\r')
			len--;
		split_crash_check(s, len, s->reads);
		v = message(s, s->line + start, len);
		start = end + 1;
		/* Defect drops-pipelined: whatever followed the first line is lost. */
		if (defect == DEFECT_DROPS_PIPELINED)
			start = s->len;
		s->scan = start;
		s->reads = 1; /* the next line began in the latest read */
	}
	if (start > 0) {
		memmove(s->line, s->line + start, s->len - start);
		s->len -= start;
	}
	if (s->len == 0)
		s->reads = 0;
	s->scan = s->len;
	return v;
}

/* Defect one-recv: each read is a whole name, its LF (or CR LF) cut off. */
static enum verdict one_read(struct session *s, unsigned char *buf, size_t n)
{
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	return message(s, buf, n);
}

/* Serves one connection until exit, EOF or an error. Returns how it
 * ended. Does not close fd. */
static enum verdict serve(struct session *s)
{
	const struct config *cfg = s->srv->cfg;
	int line = cfg->framing == FRAMING_LINE;
	size_t want = line && cfg->defect == DEFECT_ONE_RECV ? HELLO_SEED_READ : HELLO_READ;
	unsigned char buf[HELLO_READ];
	const char *hi = line ? "Welcome!\n" : "Welcome!";
	enum verdict v = GO_ON;

	if (cfg->defect != DEFECT_NO_GREETING && send_all(s->fd, hi, strlen(hi)) < 0)
		return END_GONE;
	while (v == GO_ON) {
		ssize_t n = recv(s->fd, buf, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return END_GONE; /* EOF (every reply owed was sent) or a reset */
		/* This read brought bytes of the pending line (split-crash). */
		s->reads++;
		if (!line)
			v = message(s, buf, (size_t)n);
		else if (cfg->defect == DEFECT_ONE_RECV)
			v = one_read(s, buf, (size_t)n);
		else if (append(s, buf, (size_t)n) < 0)
			v = END_GONE; /* a line too long: refuse it by closing */
		else
			v = lines(s);
	}
	return v;
}

static void serve_conn(int fd, struct server *srv)
{
	struct session s = {.fd = fd, .srv = srv};
	enum verdict v = serve(&s);

	free(s.line);
	free(s.reply);
	/* Defect exit-leaks-fd: the client sees its EOF, the fd stays open. */
	if (v == END_EXIT && srv->cfg->defect == DEFECT_EXIT_LEAKS_FD)
		shutdown(fd, SHUT_RDWR);
	else
		close(fd);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;

	serve_conn(c->fd, srv);
	free(c);
	sem_post(&srv->slots);
	return NULL;
}

/* Starts a detached thread for fd; on failure closes fd and frees the slot. */
static void spawn(struct server *srv, int fd, pthread_attr_t *attr)
{
	struct conn *c = malloc(sizeof(*c));
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
	pthread_attr_t attr;
	int fd;

	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0 ||
	    pthread_attr_setstacksize(&attr, HELLO_STACK) != 0) {
		fprintf(stderr, "%s: pthread_attr: cannot set up thread attributes\n", PROG);
		exit(1);
	}
	for (;;) {
		/* Defect iterative: the connection is served right here, so
		 * the next client waits in the backlog until this one is done. */
		if (srv->cfg->defect == DEFECT_ITERATIVE) {
			fd = badnet_accept(PROG, srv->lfd, &srv->cfg->addr);
			if (fd >= 0)
				serve_conn(fd, srv);
			continue;
		}
		while (sem_wait(&srv->slots) < 0) /* at the limit: leave clients queued */
			;
		fd = badnet_accept(PROG, srv->lfd, &srv->cfg->addr);
		if (fd < 0)
			sem_post(&srv->slots);
		else
			spawn(srv, fd, &attr);
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
	if (badnet_signals(0, 0, &stop) < 0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	srv.cfg = &cfg;
	if (sem_init(&srv.slots, 0, HELLO_MAX_CLIENTS) < 0 ||
	    (errno = pthread_mutex_init(&srv.serial, NULL)) != 0) {
		fprintf(stderr, "%s: sem_init/pthread_mutex_init: %s\n", PROG, strerror(errno));
		return 1;
	}
	srv.lfd = badnet_open(&cfg.addr, SOCK_STREAM, HELLO_BACKLOG, BADNET_REUSEADDR, text,
	                      sizeof(text), err, sizeof(err));
	if (srv.lfd < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	if (badnet_announce(PROG, text) < 0)
		return 1;
	rc = pthread_create(&tid, NULL, accept_main, &srv);
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		return 1;
	}
	/* Leaving ends the accept loop and every connection thread with it. */
	exit(badnet_wait_stop(PROG, &stop, &cfg.addr));
}
