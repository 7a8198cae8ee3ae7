/* SPDX-License-Identifier: MIT */
/*
 * bad-echo: a TCP echo server in the shape of the echo-once,
 * echo-iterative or echo-threaded profile of PROTOCOLS.md (--mode), with
 * exactly one planted defect, chosen by --defect. It exists to prove that
 * the suite tells right from wrong: every defect must fail at least one
 * case, and everything around the defect must stay correct so that the
 * failure is pinned on the defect alone. It links nothing from reference/
 * (only badnet.c, the plumbing the wrong servers share): a wrong server
 * must not share code with the reference it is judged against.
 * targets/README.md lists the defects, the rule each breaks and the cases
 * that catch it.
 */
#define _GNU_SOURCE
#include "badnet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG              "bad-echo"
#define ECHO_PORT         8088
#define ECHO_BUF          16384 /* bytes per read; lives on the thread stack */
#define ECHO_SEED_READ    1024  /* the seed's recv(1024) */
#define ECHO_MAX_CLIENTS  1024  /* live connections; the rest wait in the backlog */
#define ECHO_BACKLOG      1024
#define ECHO_SEED_BACKLOG 5            /* backlog-5: the seeds' listen(5), socat's default */
#define ECHO_ACCEPT_MS    2            /* backlog-5: an accept loop as slow as fork() */
#define ECHO_STACK        (256 * 1024) /* room for ECHO_BUF even under ASan */
#define ECHO_DELAY_MS     5            /* no-halfclose: pause before each echo */
#define ECHO_POOL_WAIT_MS 20           /* pool-grows: wait this long for an idle worker */

enum mode { MODE_ONCE, MODE_ITERATIVE, MODE_THREADED, MODE_COUNT };

#define M_ONCE (1u << MODE_ONCE)
#define M_ITER (1u << MODE_ITERATIVE)
#define M_THR  (1u << MODE_THREADED)
#define M_ALL  (M_ONCE | M_ITER | M_THR)

static const char *const mode_names[MODE_COUNT] = {"once", "iterative", "threaded"};

enum defect {
	DEFECT_NONE = -1,
	DEFECT_ONE_RECV,
	DEFECT_NUL,
	DEFECT_IGNORE_TERM,
	DEFECT_NO_REUSEADDR,
	DEFECT_REUSEPORT,
	DEFECT_SERIAL,
	DEFECT_FD_LEAK,
	DEFECT_SIGPIPE,
	DEFECT_NO_HALFCLOSE,
	DEFECT_BACKLOG_5,
	DEFECT_CROSSTALK,
	DEFECT_LINE_BUFFER,
	DEFECT_LINE_LEAK,
	DEFECT_POOL_GROWS,
	DEFECT_BLOCKING_LINE,
	DEFECT_EMPTY_EXITS,
	DEFECT_CONCURRENT,
	DEFECT_LIFO,
	DEFECT_EXITS_AFTER_ONE,
	DEFECT_KEEPS_SERVING,
	DEFECT_NO_EXIT,
	DEFECT_EXIT_STATUS,
	DEFECT_RESET_FAILS,
	DEFECT_SHORT_SEND,
	DEFECT_COUNT
};

/* Indexed by enum defect; the help text and targets/README.md agree. */
static const struct {
	const char *name; /* value of --defect */
	unsigned modes;   /* the --mode values it can be planted in */
	const char *what; /* one line for --help */
} defects[DEFECT_COUNT] = {
    {"one-recv", M_ALL, "one recv(1024) per connection, echo it, close (the seed's bug)"},
    {"nul", M_ALL, "echo each read only up to its first NUL byte (strlen)"},
    {"ignore-term", M_ALL, "SIGTERM ignored; SIGINT still exits 0"},
    {"no-reuseaddr", M_ALL, "no SO_REUSEADDR: restart fails while connections sit in TIME_WAIT"},
    {"reuseport", M_ALL, "SO_REUSEPORT set: a second instance on the same port binds"},
    {"serial", M_THR, "one connection at a time, served in the accept loop"},
    {"fd-leak", M_ITER | M_THR, "opens /dev/null once per connection and never closes it"},
    {"sigpipe", M_ITER | M_THR,
     "SIGPIPE not ignored, write() without MSG_NOSIGNAL: dies on a reset"},
    {"no-halfclose", M_ALL, "echo after 5 ms; drops the echo owed if the client half-closed"},
    {"backlog-5", M_ITER | M_THR, "listen(fd, 5) and 2 ms per accept: a burst of SYNs overflows"},
    {"crosstalk", M_THR, "each read goes to every open connection (a chat's broadcast)"},
    {"line-buffer", M_ALL, "echoes whole lines only, holding a line without LF forever"},
    {"line-leak", M_ALL, "keeps a copy of the current line, grown without freeing the old"},
    {"pool-grows", M_THR, "a worker pool that grows to the peak load and never shrinks"},
    {"blocking-line", M_THR, "one poll() loop that blocks reading a client's line to its LF"},
    {"empty-exits", M_ITER | M_THR, "a client that sends nothing makes the server exit (seed 004)"},
    {"concurrent", M_ITER, "serves clients at the same time, a thread each"},
    {"lifo", M_ITER, "takes every waiting client at once and serves the newest first"},
    {"exits-after-one", M_ITER, "exits 0 after its first client (a once server)"},
    {"keeps-serving", M_ONCE, "serves the next client after its first (an iterative server)"},
    {"no-exit", M_ONCE, "after its connection closes the listener but never exits"},
    {"exit-status", M_ONCE, "exits with status 1 after its connection"},
    {"reset-fails", M_ONCE, "a reset (recv/send error) makes it exit 1 instead of 0"},
    {"short-send", M_ALL, "one send() per read, without waiting: what does not fit is dropped"},
};

/* Settings from the command line. */
struct config {
	enum defect defect;      /* the one planted bug */
	enum mode mode;          /* the profile's shape */
	struct badnet_addr addr; /* where to listen */
};

/* crosstalk: the open connections, each read is written to all of them. */
struct registry {
	pthread_mutex_t mu;        /* guards fds and n, and the writes */
	int fds[ECHO_MAX_CLIENTS]; /* open connections */
	size_t n;                  /* entries of fds in use */
};

/* pool-grows: accepted connections wait here for a worker. */
struct pool {
	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t work;     /* signalled when a connection is queued */
	pthread_cond_t idle_cv;  /* signalled when a worker goes idle */
	int q[ECHO_MAX_CLIENTS]; /* ring of queued connections */
	size_t head, count;      /* ring position and length */
	size_t idle;             /* workers waiting for work */
};

/* State shared by the accept loop and the connection threads; owned by main. */
struct server {
	const struct config *cfg; /* settings */
	int lfd;                  /* listening socket */
	sem_t slots;              /* free connection slots (threaded shape) */
	pthread_attr_t attr;      /* detached, ECHO_STACK */
	struct registry reg;      /* crosstalk only */
	struct pool pool;         /* pool-grows only */
};

/* What a connection thread gets; it frees this. */
struct conn {
	int fd;             /* the accepted connection */
	struct server *srv; /* owner: gets the slot back */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s --defect NAME [--mode once|iterative|threaded] [-p PORT] [-b ADDR]\n"
	        "A TCP echo server with one deliberate defect, to test the suite.\n\n"
	        "options:\n"
	        "  -d, --defect NAME  the defect to plant (required, see below)\n"
	        "  -m, --mode M       once (one connection, then exit 0), iterative (one\n"
	        "                     client at a time) or threaded (default)\n"
	        "  -p, --port N       port to listen on (default %d; 0: any free port)\n"
	        "  -b, --bind ADDR    127.0.0.1 (default), ::1, [::1]:PORT, 127.0.0.1:PORT,\n"
	        "                     unix:PATH; a port in ADDR overrides -p\n"
	        "  -h, --help         this help\n\ndefects (and the modes they apply to):\n",
	        PROG, ECHO_PORT);
	for (int i = 0; i < DEFECT_COUNT; i++)
		fprintf(out, "  %-15s %s [%s%s%s]\n", defects[i].name, defects[i].what,
		        defects[i].modes & M_ONCE ? "o" : "-",
		        defects[i].modes & M_ITER ? "i" : "-",
		        defects[i].modes & M_THR ? "t" : "-");
	fprintf(out, "\nPrints \"listening on ADDR:PORT\" once ready; exits 0 on SIGTERM or "
	             "SIGINT.\n");
}

/* Returns -1 to go on serving, else the exit status (help or usage error). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	struct badnet_opts o = {.prog = PROG, .allow_mode = 1, .port = ECHO_PORT, .usage = usage};
	int status = badnet_parse_args(argc, argv, &o), i;

	if (status >= 0)
		return status;
	cfg->addr = o.addr;
	cfg->mode = MODE_THREADED;
	if (o.mode) {
		for (i = 0; i < MODE_COUNT && strcmp(o.mode, mode_names[i]) != 0; i++)
			;
		if (i == MODE_COUNT)
			return badnet_bad_usage(PROG, "unknown mode", o.mode);
		cfg->mode = (enum mode)i;
	}
	cfg->defect = DEFECT_NONE;
	for (i = 0; i < DEFECT_COUNT; i++)
		if (strcmp(o.defect, defects[i].name) == 0)
			cfg->defect = (enum defect)i;
	if (cfg->defect == DEFECT_NONE)
		return badnet_bad_usage(PROG, "unknown defect", o.defect);
	if (!(defects[cfg->defect].modes & (1u << cfg->mode)))
		return badnet_bad_usage(PROG, "defect does not apply to this mode", o.defect);
	return -1;
}

/* ---- writing replies ---- */

/* Defect sigpipe: plain write() with SIGPIPE at its default, and every
 * failure retried as if it were EINTR. Linux reports a reset to the first
 * write as ECONNRESET; the retry gets EPIPE, and SIGPIPE kills the server
 * (a stream socket has no other lasting write error, so this cannot spin). */
static ssize_t write_retrying(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0);
	return n;
}

/* Writes all of buf. Returns 0, or -1 when the connection is gone. */
static int write_all(int fd, const char *buf, size_t len, enum defect defect)
{
	while (len > 0) {
		ssize_t n;

		if (defect == DEFECT_SIGPIPE)
			n = write_retrying(fd, buf, len);
		else
			n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void reg_add(struct registry *r, int fd)
{
	pthread_mutex_lock(&r->mu);
	if (r->n < ECHO_MAX_CLIENTS)
		r->fds[r->n++] = fd;
	pthread_mutex_unlock(&r->mu);
}

static void reg_remove(struct registry *r, int fd)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		if (r->fds[i] == fd) {
			r->fds[i] = r->fds[--r->n];
			break;
		}
	pthread_mutex_unlock(&r->mu);
}

/* Defect crosstalk: the bytes go to every open connection, the sender's
 * among them. A failed write to another connection is that one's problem. */
static int broadcast(struct registry *r, int fd, const char *buf, size_t len)
{
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		if (write_all(r->fds[i], buf, len, DEFECT_NONE) < 0 && r->fds[i] == fd)
			rc = -1;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* Defect short-send: `send` where `sendall` was needed, in an event-loop
 * server's shape (MSG_DONTWAIT): a full send buffer (a slow reader, a
 * small window) takes part of the reply or none, and the rest is lost. */
static int send_once(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? -1 : 0;
}

/* Sends a reply the way the planted defect says. Returns 0 or -1. */
static int reply(struct server *srv, int fd, const char *buf, size_t len)
{
	switch (srv->cfg->defect) {
	case DEFECT_CROSSTALK:
		return broadcast(&srv->reg, fd, buf, len);
	case DEFECT_SHORT_SEND:
		return send_once(fd, buf, len);
	default:
		return write_all(fd, buf, len, srv->cfg->defect);
	}
}

/* ---- one connection ---- */

/* A growable byte buffer (line-buffer, line-leak, blocking-line). */
struct bytes {
	char *buf;       /* heap; NULL when empty */
	size_t len, cap; /* bytes held, bytes allocated */
};

static int bytes_add(struct bytes *b, const char *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return -1;
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return 0;
}

/* Defect line-buffer: the read is added to the line held so far, and only
 * whole lines (through the last LF) are echoed; there is no cap. */
static int echo_lines(struct server *srv, int fd, struct bytes *line, const char *buf, size_t n)
{
	const char *lf;
	size_t done;

	if (bytes_add(line, buf, n) < 0)
		return -1;
	lf = memrchr(line->buf, '\n', line->len);
	if (!lf)
		return 0;
	done = (size_t)(lf - line->buf) + 1;
	if (reply(srv, fd, line->buf, done) < 0)
		return -1;
	memmove(line->buf, line->buf + done, line->len - done);
	line->len -= done;
	return 0;
}

/* Defect line-leak: a copy of the current line is kept (for a log that is
 * switched off), grown by malloc + memcpy, and the old copy is never freed:
 * memory grows with the square of the line's length. */
static void keep_line(struct bytes *hist, const char *buf, size_t n)
{
	char *grown = malloc(hist->len + n);

	if (!grown)
		return;
	if (hist->len)
		memcpy(grown, hist->buf, hist->len);
	memcpy(grown + hist->len, buf, n);
	hist->buf = grown; /* the old copy leaks here */
	hist->len += n;
	if (memchr(buf, '\n', n)) { /* a line ended: the log would take it */
		free(hist->buf);
		hist->buf = NULL;
		hist->len = 0;
	}
}

/* Defect no-halfclose: wait a little, then give up on the echo owed if
 * the client has already half-closed. Returns 1 if it has. */
static int peer_half_closed_after_delay(int fd)
{
	char c;
	ssize_t n;

	badnet_sleep_ms(ECHO_DELAY_MS);
	do
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* Echoes one connection until the client's EOF (or the planted defect
 * says otherwise). Does not close fd. Returns the bytes received; *failed
 * tells whether a recv() or a reply failed (a reset, usually). */
static size_t echo(struct server *srv, int fd, int *failed)
{
	enum defect defect = srv->cfg->defect;
	char buf[ECHO_BUF + 1]; /* + 1: room for the nul defect's terminator */
	size_t want = defect == DEFECT_ONE_RECV ? ECHO_SEED_READ : ECHO_BUF, total = 0;
	struct bytes line = {0}, hist = {0};

	for (;;) {
		ssize_t n = recv(fd, buf, want, 0);
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*failed = n < 0;
			break; /* EOF, or a reset: either way this connection is done */
		}
		len = (size_t)n;
		total += len;
		if (defect == DEFECT_NUL) { /* the bytes taken for a C string */
			buf[n] = '\0';
			len = strlen(buf);
		}
		if (defect == DEFECT_NO_HALFCLOSE && peer_half_closed_after_delay(fd))
			break;
		if (defect == DEFECT_LINE_LEAK)
			keep_line(&hist, buf, len);
		if (defect == DEFECT_LINE_BUFFER ? echo_lines(srv, fd, &line, buf, len) < 0
		                                 : reply(srv, fd, buf, len) < 0) {
			*failed = 1;
			break;
		}
		if (defect == DEFECT_ONE_RECV)
			break; /* one read taken as the whole message */
	}
	if (line.len) /* the client's EOF ends its last line */
		(void)reply(srv, fd, line.buf, line.len);
	free(line.buf);
	free(hist.buf);
	return total;
}

/* Leaves the whole server with status (the once shape, empty-exits). */
static void leave(struct server *srv, int status)
{
	badnet_unlink(&srv->cfg->addr);
	exit(status);
}

/* Serves one connection and closes it. Returns 1 when it ended in an
 * error (a reset), else 0. */
static int serve_conn(struct server *srv, int fd)
{
	size_t got;
	int failed = 0;

	/* Defect fd-leak: one fd per connection that is never closed. A
	 * failed open (EMFILE, once the leak has eaten the table) changes
	 * nothing for this connection, so its result is deliberately unused. */
	if (srv->cfg->defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));
	got = echo(srv, fd, &failed); /* crosstalk: spawn() registered fd */
	if (srv->cfg->defect == DEFECT_CROSSTALK)
		reg_remove(&srv->reg, fd);
	close(fd);
	/* Defect empty-exits: seed 004's loop server breaks out of its
	 * accept loop when a client's first recv() returns nothing. */
	if (srv->cfg->defect == DEFECT_EMPTY_EXITS && got == 0)
		leave(srv, 0);
	return failed;
}

/* Accepts one connection. Returns its fd, or -1 after a transient error
 * (already waited out); exits on an error that will not go away. */
static int accept_one(struct server *srv)
{
	int fd = badnet_accept(PROG, srv->lfd, &srv->cfg->addr);

	/* Defect backlog-5: a slow accept loop (socat forks here), so a
	 * burst of SYNs overflows the 6-entry queue meanwhile. */
	if (fd >= 0 && srv->cfg->defect == DEFECT_BACKLOG_5)
		badnet_sleep_ms(ECHO_ACCEPT_MS);
	return fd;
}

/* ---- the shapes: once, iterative, threaded and the defects' own ---- */

enum shape { SHAPE_ONCE, SHAPE_ITERATIVE, SHAPE_THREADED, SHAPE_POOL, SHAPE_POLL, SHAPE_LIFO };

static enum shape shape_of(const struct config *cfg)
{
	switch (cfg->defect) {
	case DEFECT_SERIAL:        /* threaded mode served like iterative */
	case DEFECT_KEEPS_SERVING: /* once mode served like iterative */
		return SHAPE_ITERATIVE;
	case DEFECT_CONCURRENT: /* iterative mode served like threaded */
		return SHAPE_THREADED;
	case DEFECT_EXITS_AFTER_ONE: /* iterative mode served like once */
		return SHAPE_ONCE;
	case DEFECT_POOL_GROWS:
		return SHAPE_POOL;
	case DEFECT_BLOCKING_LINE:
		return SHAPE_POLL;
	case DEFECT_LIFO:
		return SHAPE_LIFO;
	default:
		break;
	}
	return cfg->mode == MODE_ONCE        ? SHAPE_ONCE
	       : cfg->mode == MODE_ITERATIVE ? SHAPE_ITERATIVE
	                                     : SHAPE_THREADED;
}

static void run_once(struct server *srv)
{
	int fd;

	while ((fd = accept_one(srv)) < 0)
		;
	/* Defect reset-fails: a connection that ended in an error (a reset)
	 * is taken for the server's own failure. */
	if (serve_conn(srv, fd) && srv->cfg->defect == DEFECT_RESET_FAILS)
		leave(srv, 1);
	if (srv->cfg->defect == DEFECT_NO_EXIT) {
		/* Stops listening, so clients are refused, but stays alive
		 * until a signal comes. */
		close(srv->lfd);
		badnet_unlink(&srv->cfg->addr);
		return;
	}
	leave(srv, srv->cfg->defect == DEFECT_EXIT_STATUS ? 1 : 0);
}

static void run_iterative(struct server *srv)
{
	for (;;) {
		int fd = accept_one(srv);

		if (fd >= 0)
			serve_conn(srv, fd);
	}
}

/* Defect lifo: after each client, every waiting client is accepted at
 * once onto a stack, and the newest is served first. */
static void run_lifo(struct server *srv)
{
	int stack[ECHO_MAX_CLIENTS];
	size_t n = 0;

	for (;;) {
		struct pollfd pf = {.fd = srv->lfd, .events = POLLIN};
		int fd = n ? stack[--n] : accept_one(srv);

		if (fd < 0)
			continue;
		serve_conn(srv, fd);
		while (n < ECHO_MAX_CLIENTS && poll(&pf, 1, 0) > 0)
			if ((fd = accept_one(srv)) >= 0)
				stack[n++] = fd;
	}
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;

	serve_conn(srv, c->fd);
	free(c);
	sem_post(&srv->slots);
	return NULL;
}

/* Starts a detached thread for fd; on failure closes fd and frees the slot. */
static void spawn(struct server *srv, int fd)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_t tid;
	int rc = ENOMEM;

	/* crosstalk: registered in accept order, before any thread runs, so
	 * a client that connected first hears everyone after it. */
	if (srv->cfg->defect == DEFECT_CROSSTALK)
		reg_add(&srv->reg, fd);
	if (c) {
		c->fd = fd;
		c->srv = srv;
		rc = pthread_create(&tid, &srv->attr, conn_main, c);
	}
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		if (srv->cfg->defect == DEFECT_CROSSTALK)
			reg_remove(&srv->reg, fd);
		free(c);
		close(fd);
		sem_post(&srv->slots);
	}
}

static void run_threaded(struct server *srv)
{
	for (;;) {
		int fd;

		while (sem_wait(&srv->slots) < 0) /* at the limit: leave clients queued */
			;
		fd = accept_one(srv);
		if (fd < 0)
			sem_post(&srv->slots);
		else
			spawn(srv, fd);
	}
}

static void *worker_main(void *arg)
{
	struct server *srv = arg;
	struct pool *p = &srv->pool;
	int fd;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->count == 0) {
			p->idle++;
			pthread_cond_signal(&p->idle_cv);
			pthread_cond_wait(&p->work, &p->mu);
			p->idle--;
		}
		fd = p->q[p->head];
		p->head = (p->head + 1) % ECHO_MAX_CLIENTS;
		p->count--;
		pthread_mutex_unlock(&p->mu);
		serve_conn(srv, fd);
		pthread_mutex_lock(&p->mu);
	}
	return NULL;
}

/* Defect pool-grows: a connection goes to an idle worker; when none frees
 * up within ECHO_POOL_WAIT_MS a new worker starts, and no worker ever
 * ends, so the thread count stays at the busiest moment's. */
static void run_pool(struct server *srv)
{
	struct pool *p = &srv->pool;

	for (;;) {
		struct timespec until;
		pthread_t tid;
		int fd = accept_one(srv), rc;

		if (fd < 0)
			continue;
		pthread_mutex_lock(&p->mu);
		if (p->count == ECHO_MAX_CLIENTS) {
			pthread_mutex_unlock(&p->mu);
			close(fd);
			continue;
		}
		p->q[(p->head + p->count++) % ECHO_MAX_CLIENTS] = fd;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += ECHO_POOL_WAIT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		rc = 0;
		while (p->idle < p->count && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&p->idle_cv, &p->mu, &until);
		if (p->idle < p->count && (rc = pthread_create(&tid, &srv->attr, worker_main, srv)))
			fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Defect blocking-line: once a client has sent something, its line is read
 * to the LF (or EOF) with blocking recv() calls, and everyone else waits.
 * Returns -1 when the connection has ended. */
static int serve_line(struct server *srv, int fd)
{
	struct bytes line = {0};
	char buf[ECHO_BUF];
	ssize_t n;
	int rc = 0;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || bytes_add(&line, buf, (size_t)n) < 0) {
			rc = -1;
			break;
		}
		if (memchr(buf, '\n', (size_t)n))
			break;
	}
	if (line.len && reply(srv, fd, line.buf, line.len) < 0)
		rc = -1;
	free(line.buf);
	return rc;
}

static void run_poll(struct server *srv)
{
	struct pollfd pf[ECHO_MAX_CLIENTS + 1];
	nfds_t nfds = 1;

	pf[0] = (struct pollfd){.fd = srv->lfd, .events = POLLIN};
	for (;;) {
		if (poll(pf, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", PROG, strerror(errno));
			exit(1);
		}
		/* Downwards, so the entry moved into a freed place was seen. */
		for (nfds_t i = nfds - 1; i >= 1; i--)
			if (pf[i].revents && serve_line(srv, pf[i].fd) < 0) {
				close(pf[i].fd);
				pf[i] = pf[--nfds];
			}
		if (pf[0].revents & POLLIN) {
			int fd = accept_one(srv);

			if (fd >= 0 && nfds > ECHO_MAX_CLIENTS)
				close(fd);
			else if (fd >= 0)
				pf[nfds++] = (struct pollfd){.fd = fd, .events = POLLIN};
		}
	}
}

/* The accept loop, on its own thread so that main can wait for signals. */
static void *accept_main(void *arg)
{
	struct server *srv = arg;

	switch (shape_of(srv->cfg)) {
	case SHAPE_ONCE:
		run_once(srv);
		break;
	case SHAPE_ITERATIVE:
		run_iterative(srv);
		break;
	case SHAPE_THREADED:
		run_threaded(srv);
		break;
	case SHAPE_POOL:
		run_pool(srv);
		break;
	case SHAPE_POLL:
		run_poll(srv);
		break;
	case SHAPE_LIFO:
		run_lifo(srv);
		break;
	}
	return NULL;
}

static int init_server(struct server *srv, const struct config *cfg)
{
	memset(srv, 0, sizeof(*srv));
	srv->cfg = cfg;
	srv->lfd = -1;
	if (sem_init(&srv->slots, 0, ECHO_MAX_CLIENTS) < 0 ||
	    pthread_mutex_init(&srv->reg.mu, NULL) != 0 ||
	    pthread_mutex_init(&srv->pool.mu, NULL) != 0 ||
	    pthread_cond_init(&srv->pool.work, NULL) != 0 ||
	    pthread_cond_init(&srv->pool.idle_cv, NULL) != 0 ||
	    pthread_attr_init(&srv->attr) != 0 ||
	    pthread_attr_setdetachstate(&srv->attr, PTHREAD_CREATE_DETACHED) != 0 ||
	    pthread_attr_setstacksize(&srv->attr, ECHO_STACK) != 0) {
		fprintf(stderr, "%s: cannot set up threads\n", PROG);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char text[BADNET_TEXT_MAX], err[BADNET_ERR_MAX];
	struct config cfg;
	struct server srv;
	unsigned flags = BADNET_REUSEADDR;
	sigset_t stop;
	pthread_t tid;
	int status, rc;

	memset(&cfg, 0, sizeof(cfg));
	status = parse_args(argc, argv, &cfg);
	if (status >= 0)
		return status;
	if (badnet_signals(cfg.defect == DEFECT_IGNORE_TERM, cfg.defect == DEFECT_SIGPIPE, &stop) <
	    0) {
		fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
		return 1;
	}
	if (init_server(&srv, &cfg) < 0)
		return 1;
	if (cfg.defect == DEFECT_NO_REUSEADDR) /* the seed's missing line */
		flags = 0;
	if (cfg.defect == DEFECT_REUSEPORT) /* lets a second instance share the port */
		flags |= BADNET_REUSEPORT;
	srv.lfd = badnet_open(&cfg.addr, SOCK_STREAM,
	                      cfg.defect == DEFECT_BACKLOG_5 ? ECHO_SEED_BACKLOG : ECHO_BACKLOG,
	                      flags, text, sizeof(text), err, sizeof(err));
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
	exit(badnet_wait_stop(PROG, &stop, &cfg.addr));
}
