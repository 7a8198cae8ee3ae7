/* SPDX-License-Identifier: MIT */
/*
 * bad-echo: a threaded TCP echo server (the echo-threaded profile of
 * PROTOCOLS.md) with exactly one planted defect, chosen by --defect.
 * It exists to prove that the suite tells right from wrong: every
 * defect must fail at least one case, and everything around the defect
 * must stay correct so that the failure is pinned on the defect alone.
 * It is deliberately self-contained (no project library): a wrong
 * server must not share code with the reference it is judged against.
 * targets/README.md lists the defects, the rule each breaks and the
 * case family expected to catch it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PROG             "bad-echo"
#define ECHO_PORT        8088
#define ECHO_BUF         16384 /* bytes per read; lives on the thread stack */
#define ECHO_SEED_READ   1024  /* the seed's recv(1024) */
#define ECHO_MAX_CLIENTS 1024  /* live connections; the rest wait in the backlog */
#define ECHO_BACKLOG     1024
#define ECHO_STACK       (256 * 1024) /* room for ECHO_BUF even under ASan */
#define ECHO_DELAY_MS    5            /* no-halfclose: pause before each echo */
#define ECHO_TEXT_MAX    (sizeof(((struct sockaddr_un *)0)->sun_path) + 16)
#define ECHO_ERR_MAX     (ECHO_TEXT_MAX + 128)

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
	DEFECT_COUNT
};

/* Indexed by enum defect; the help text and targets/README.md agree. */
static const struct {
	const char *name; /* value of --defect */
	const char *what; /* one line for --help */
} defects[DEFECT_COUNT] = {
    {"one-recv", "one recv(1024) per connection, echo it, close (the seed's bug)"},
    {"nul", "echo each read only up to its first NUL byte (strlen)"},
    {"ignore-term", "SIGTERM ignored; SIGINT still exits 0"},
    {"no-reuseaddr", "no SO_REUSEADDR: restart fails while connections sit in TIME_WAIT"},
    {"reuseport", "SO_REUSEPORT set: a second instance on the same port binds"},
    {"serial", "one connection at a time, served in the accept loop"},
    {"fd-leak", "opens /dev/null once per connection and never closes it"},
    {"sigpipe", "SIGPIPE not ignored, write() without MSG_NOSIGNAL: dies on a reset"},
    {"no-halfclose", "echo after 5 ms; drops the echo owed if the client half-closed"},
};

/* Settings from the command line. */
struct config {
	enum defect defect;           /* the one planted bug */
	struct sockaddr_storage addr; /* where to listen */
	socklen_t addrlen;            /* bytes of addr in use */
};

/* State shared by the accept loop and the connection threads; owned by main. */
struct server {
	const struct config *cfg; /* settings */
	int lfd;                  /* listening socket */
	sem_t slots;              /* free connection slots (threaded modes) */
};

/* What a connection thread gets; it frees this. */
struct conn {
	int fd;             /* the accepted connection */
	struct server *srv; /* owner: gets the slot back */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: %s --defect NAME [-p PORT] [-b ADDR]\n"
	        "A threaded TCP echo server with one deliberate defect, to test the suite.\n\n"
	        "options:\n"
	        "  -d, --defect NAME  the defect to plant (required, see below)\n"
	        "  -p, --port N       port to listen on (default %d; 0: any free port)\n"
	        "  -b, --bind ADDR    127.0.0.1 (default), ::1, [::1]:PORT, 127.0.0.1:PORT,\n"
	        "                     unix:PATH; a port in ADDR overrides -p\n"
	        "  -h, --help         this help\n\ndefects:\n",
	        PROG, ECHO_PORT);
	for (int i = 0; i < DEFECT_COUNT; i++)
		fprintf(out, "  %-13s %s\n", defects[i].name, defects[i].what);
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

/* Returns -1 to go on serving, else the exit status (help or usage error). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	const char *bind_text = "127.0.0.1", *defect = NULL, *port_text = NULL;
	uint16_t port = ECHO_PORT;

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
	cfg->defect = (enum defect)find_defect(defect);
	if (cfg->defect == DEFECT_NONE)
		return bad_usage("unknown defect", defect);
	if (port_text && parse_port(port_text, &port) < 0)
		return bad_usage("bad port", port_text);
	if (parse_addr(bind_text, port, cfg) < 0)
		return bad_usage("bad address (expected IPv4, IPv6, [IPV6]:PORT or unix:PATH)",
		                 bind_text);
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
	/* Defect no-reuseaddr: the seed's missing line. */
	if (cfg->defect != DEFECT_NO_REUSEADDR &&
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

/* Opens the listening socket and writes the bound address to text.
 * Returns the fd, or -1 with err filled as "bind(ADDR): REASON". */
static int open_listener(const struct config *cfg, char *text, size_t textlen, char *err,
                         size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	const char *call = "socket";
	int fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

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
	if (listen(fd, ECHO_BACKLOG) < 0)
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

/* Defect no-halfclose: wait a little, then give up on the echo owed if
 * the client has already half-closed. Returns 1 if it has. */
static int peer_half_closed_after_delay(int fd)
{
	struct timespec left = {0, ECHO_DELAY_MS * 1000000L};
	char c;
	ssize_t n;

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
	do
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* Echoes one connection until the client's EOF (or the planted defect
 * says otherwise). Does not close fd. */
static void echo(int fd, enum defect defect)
{
	char buf[ECHO_BUF + 1]; /* + 1: room for the nul defect's terminator */
	size_t want = defect == DEFECT_ONE_RECV ? ECHO_SEED_READ : ECHO_BUF;

	for (;;) {
		ssize_t n = recv(fd, buf, want, 0);
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EOF, or a reset: either way this connection is done */
		len = (size_t)n;
		if (defect == DEFECT_NUL) { /* the bytes taken for a C string */
			buf[n] = '\0';
			len = strlen(buf);
		}
		if (defect == DEFECT_NO_HALFCLOSE && peer_half_closed_after_delay(fd))
			return;
		if (write_all(fd, buf, len, defect) < 0)
			return;
		if (defect == DEFECT_ONE_RECV)
			return; /* one read taken as the whole message */
	}
}

static void serve_conn(int fd, const struct config *cfg)
{
	/* Defect fd-leak: one fd per connection that is never closed. A
	 * failed open (EMFILE, once the leak has eaten the table) changes
	 * nothing for this connection, so its result is deliberately unused. */
	if (cfg->defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));
	echo(fd, cfg->defect);
	close(fd);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;

	serve_conn(c->fd, srv->cfg);
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

/* Accepts one connection. Returns its fd, or -1 after a transient error
 * (already waited out); exits on an error that will not go away. */
static int accept_one(int lfd)
{
	struct timespec pause = {0, 100 * 1000000L};
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return -1;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Out of fds or memory: say so, let connections drain, retry. */
		fprintf(stderr, "%s: accept: %s\n", PROG, strerror(errno));
		nanosleep(&pause, NULL);
		return -1;
	default:
		fprintf(stderr, "%s: accept: %s\n", PROG, strerror(errno));
		exit(1);
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
	    pthread_attr_setstacksize(&attr, ECHO_STACK) != 0) {
		fprintf(stderr, "%s: pthread_attr: cannot set up thread attributes\n", PROG);
		exit(1);
	}
	for (;;) {
		/* Defect serial: the connection is served right here, so the
		 * next client waits in the backlog until this one is done. */
		if (srv->cfg->defect == DEFECT_SERIAL) {
			fd = accept_one(srv->lfd);
			if (fd >= 0)
				serve_conn(fd, srv->cfg);
			continue;
		}
		while (sem_wait(&srv->slots) < 0) /* at the limit: leave clients queued */
			;
		fd = accept_one(srv->lfd);
		if (fd < 0)
			sem_post(&srv->slots);
		else
			spawn(srv, fd, &attr);
	}
	return NULL;
}

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
	char text[ECHO_TEXT_MAX], err[ECHO_ERR_MAX];
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
	srv.lfd = open_listener(&cfg, text, sizeof(text), err, sizeof(err));
	if (srv.lfd < 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	if (sem_init(&srv.slots, 0, ECHO_MAX_CLIENTS) < 0) {
		fprintf(stderr, "%s: sem_init: %s\n", PROG, strerror(errno));
		return 1;
	}
	printf("listening on %s\n", text);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: stdout: %s\n", PROG, strerror(errno));
		return 1;
	}
	rc = pthread_create(&tid, NULL, accept_main, &srv);
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
	/* Leaving ends the accept loop and every connection thread with it;
	 * the kernel closes the listening socket. Only a path needs removing. */
	if (cfg.addr.ss_family == AF_UNIX)
		unlink(((struct sockaddr_un *)&cfg.addr)->sun_path);
	exit(0);
}
