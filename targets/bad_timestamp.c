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
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
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

#define PROG           "bad-timestamp"
#define TS_PORT        21567
#define TS_READ        16384  /* bytes per recv on a stream */
#define TS_SEED_READ   1024   /* the seed's BUFSIZ: recv(1024), recvfrom(1024) */
#define TS_LINE_MAX    65536  /* longest line content; longer closes the connection */
#define TS_DGRAM_MAX   65507  /* the largest UDP payload over IPv4 */
#define TS_STAMP_MAX   64     /* "[" + time + "] ", any format here */
#define TS_BACKLOG     128
#define TS_STACK       (256 * 1024)
#define TS_STALE_S     5 /* stale: the clock this far behind */
#define TS_DELAY_MS    5 /* no-halfclose, udp-last-only: pause before answering */
#define TS_TEXT_MAX    (sizeof(((struct sockaddr_un *)0)->sun_path) + 16)
#define TS_ERR_MAX     (TS_TEXT_MAX + 128)

enum defect {
	DEFECT_NONE = -1,
	DEFECT_STALE,
	DEFECT_ISO_FORMAT,
	DEFECT_NO_SPACE,
	DEFECT_STRIP,
	DEFECT_NUL,
	DEFECT_SKIP_EMPTY,
	DEFECT_KEEP_CR,
	DEFECT_ONE_RECV,
	DEFECT_CLOSE_AFTER_REPLY,
	DEFECT_ONCE,
	DEFECT_CONCURRENT,
	DEFECT_NO_HALFCLOSE,
	DEFECT_RESET_EXITS,
	DEFECT_SIGPIPE,
	DEFECT_IGNORE_TERM,
	DEFECT_INT_EXIT_1,
	DEFECT_NO_REUSEADDR,
	DEFECT_REUSEPORT,
	DEFECT_FD_LEAK,
	DEFECT_NO_LINE_LIMIT,
	DEFECT_UDP_TRUNCATE_1024,
	DEFECT_UDP_REPLY_OTHER_SOCKET,
	DEFECT_UDP_REPLIES_OVERSIZE,
	DEFECT_UDP_CONNECT_FIRST,
	DEFECT_UDP_LAST_ONLY,
	DEFECT_UDP_REUSEADDR,
	DEFECT_COUNT
};

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

/* Settings from the command line. */
struct config {
	enum defect defect;           /* the one planted bug */
	int udp;                      /* serve datagrams (--udp) */
	int chunk;                    /* --framing chunk: one read is one message */
	struct sockaddr_storage addr; /* where to listen */
	socklen_t addrlen;            /* bytes of addr in use */
};

/* What a connection thread of the concurrent defect gets; it frees this. */
struct conn {
	int fd;                   /* the accepted connection */
	const struct config *cfg; /* settings */
};

/* The serving thread's arguments. */
struct server {
	const struct config *cfg; /* settings */
	int fd;                   /* listening (TCP) or bound (UDP) socket */
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
	if ((cfg->udp ? cfg->defect == DEFECT_UDP_REUSEADDR
	              : cfg->defect != DEFECT_NO_REUSEADDR) &&
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
static void leave(const struct config *cfg, int status)
{
	if (!cfg->udp && cfg->addr.ss_family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&cfg->addr)->sun_path);
	exit(status);
}

/* ---- the reply ---- */

/* Writes "[TIME] " (or the defect's variant) into out; returns its length. */
static size_t stamp(enum defect defect, char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	if (defect == DEFECT_STALE)
		now -= TS_STALE_S;
	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	out[0] = '[';
	/* "%a %b %e %H:%M:%S %Y" is ctime()'s text without its newline
	 * (the C locale: this program never calls setlocale). */
	n = 1 + strftime(out + 1, cap - 3,
	                 defect == DEFECT_ISO_FORMAT ? "%Y-%m-%d %H:%M:%S" : "%a %b %e %H:%M:%S %Y",
	                 &tm);
	out[n++] = ']';
	if (defect != DEFECT_NO_SPACE)
		out[n++] = ' ';
	return n;
}

/* Python's str.strip() set: space, tab, LF, VT, FF, CR. */
static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Narrows DATA to what the defect keeps of it: the strip and nul defects. */
static void shape_data(enum defect defect, const char **data, size_t *len)
{
	const char *nul;

	if (defect == DEFECT_STRIP) {
		while (*len > 0 && is_space((*data)[0])) {
			(*data)++;
			(*len)--;
		}
		while (*len > 0 && is_space((*data)[*len - 1]))
			(*len)--;
	}
	if (defect == DEFECT_NUL && *len > 0 && (nul = memchr(*data, '\0', *len)))
		*len = (size_t)(nul - *data);
}

/* Builds "[CTIME] DATA" (+ LF when lf) in a new buffer. Returns it, with
 * its length in out_len, or NULL when out of memory or when the defect
 * answers nothing (skip-empty). */
static char *compose(enum defect defect, const char *data, size_t len, int lf, size_t *out_len)
{
	char head[TS_STAMP_MAX], *out;
	size_t hlen;

	shape_data(defect, &data, &len);
	if (defect == DEFECT_SKIP_EMPTY && len == 0)
		return NULL;
	hlen = stamp(defect, head, sizeof(head));
	out = malloc(hlen + len + 1);
	if (!out)
		return NULL;
	memcpy(out, head, hlen);
	if (len > 0)
		memcpy(out + hlen, data, len);
	if (lf)
		out[hlen + len] = '\n';
	*out_len = hlen + len + (lf ? 1 : 0);
	return out;
}

/* ---- TCP: one connection ---- */

/* Defect sigpipe: plain write() with SIGPIPE at its default, and every
 * failure retried (bad_echo.c: the retry after ECONNRESET gets EPIPE). */
static ssize_t write_retrying(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0);
	return n;
}

/* Writes all of buf. Returns 0, or -1 when the connection is gone (the
 * reset-exits defect ends the server instead). */
static int write_all(int fd, const char *buf, size_t len, const struct config *cfg)
{
	while (len > 0) {
		ssize_t n;

		if (cfg->defect == DEFECT_SIGPIPE)
			n = write_retrying(fd, buf, len);
		else
			n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && cfg->defect == DEFECT_RESET_EXITS) {
			fprintf(stderr, "%s: send: %s\n", PROG, strerror(errno));
			leave(cfg, 1);
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Answers one message. Returns 0 to go on, -1 when the connection is
 * over (gone, or the close-after-reply defect). */
static int reply(int fd, const char *data, size_t len, int lf, const struct config *cfg)
{
	size_t n = 0;
	char *out = compose(cfg->defect, data, len, lf, &n);
	int rc;

	if (!out)
		return cfg->defect == DEFECT_SKIP_EMPTY ? 0 : -1;
	rc = write_all(fd, out, n, cfg);
	free(out);
	if (rc == 0 && cfg->defect == DEFECT_CLOSE_AFTER_REPLY)
		return -1;
	return rc;
}

/* Defect no-halfclose: wait a little, then give up on the replies owed
 * if the client has already half-closed. Returns 1 if it has. */
static int peer_half_closed_after_delay(int fd)
{
	struct timespec left = {0, TS_DELAY_MS * 1000000L};
	char c;
	ssize_t n;

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
	do
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* A growable line buffer. */
struct line_buf {
	char *buf;  /* the bytes of the line so far */
	size_t len; /* bytes in buf */
	size_t cap; /* bytes allocated */
};

/* Appends n bytes. Returns 0, or -1 when the line is too long (or memory
 * ran out); the no-line-limit defect grows it without bound. */
static int line_add(struct line_buf *l, const char *data, size_t n, enum defect defect)
{
	if (n == 0)
		return 0; /* an empty line may come before any buffer exists */
	if (defect != DEFECT_NO_LINE_LIMIT && l->len + n > TS_LINE_MAX + 1)
		return -1; /* + 1: a CR may still be followed by its LF */
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		char *grown;

		while (cap < l->len + n)
			cap *= 2;
		grown = realloc(l->buf, cap);
		if (!grown)
			return -1;
		l->buf = grown;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, n);
	l->len += n;
	return 0;
}

/* Line framing: adds what was read and answers every complete line.
 * Returns 0 to go on, -1 when the connection is over. */
static int feed_lines(int fd, struct line_buf *l, const char *data, size_t n,
                      const struct config *cfg)
{
	while (n > 0) {
		const char *lf = memchr(data, '\n', n);
		size_t take = lf ? (size_t)(lf - data) : n, len;

		if (line_add(l, data, take, cfg->defect) < 0)
			return -1; /* too long: close, like the reference */
		data += take + (lf ? 1 : 0);
		n -= take + (lf ? 1 : 0);
		if (!lf)
			return 0;
		len = l->len;
		/* Defect keep-cr: the CR before LF stays in DATA. */
		if (len > 0 && l->buf[len - 1] == '\r' && cfg->defect != DEFECT_KEEP_CR)
			len--;
		l->len = 0;
		if (reply(fd, l->buf, len, 1, cfg) < 0)
			return -1;
	}
	return 0;
}

/* Serves one connection until the client's EOF (or the defect says
 * otherwise). Does not close fd. */
static void serve_stream(int fd, const struct config *cfg)
{
	/* Defect one-recv: the seed's loop, each recv(1024) taken as a line. */
	int one_recv = cfg->defect == DEFECT_ONE_RECV;
	size_t want = one_recv ? TS_SEED_READ : TS_READ;
	struct line_buf line = {NULL, 0, 0};
	char *buf = malloc(TS_READ);

	while (buf) {
		ssize_t n = recv(fd, buf, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && cfg->defect == DEFECT_RESET_EXITS) {
			fprintf(stderr, "%s: recv: %s\n", PROG, strerror(errno));
			leave(cfg, 1);
		}
		if (n <= 0)
			break; /* EOF or a reset: this connection is done */
		if (cfg->defect == DEFECT_NO_HALFCLOSE && peer_half_closed_after_delay(fd))
			break;
		if (cfg->chunk || one_recv) {
			if (reply(fd, buf, (size_t)n, 0, cfg) < 0)
				break;
		} else if (feed_lines(fd, &line, buf, (size_t)n, cfg) < 0) {
			break;
		}
	}
	free(line.buf);
	free(buf);
}

static void serve_conn(int fd, const struct config *cfg)
{
	/* Defect fd-leak: one fd per connection that is never closed; a
	 * failed open (EMFILE) changes nothing for this connection. */
	if (cfg->defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));
	serve_stream(fd, cfg);
	close(fd);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;

	serve_conn(c->fd, c->cfg);
	free(c);
	return NULL;
}

/* Defect concurrent: a detached thread per connection. */
static void spawn(int fd, const struct config *cfg)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	int rc = ENOMEM;

	if (c && (rc = pthread_attr_init(&attr)) == 0) {
		c->fd = fd;
		c->cfg = cfg;
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, TS_STACK);
		rc = pthread_create(&tid, &attr, conn_main, c);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", PROG, strerror(rc));
		free(c);
		close(fd);
	}
}

/* Accepts one connection. Returns its fd, or -1 after a transient error
 * (already waited out); exits on an error that will not go away. */
static int accept_one(int lfd, const struct config *cfg)
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
		fprintf(stderr, "%s: accept: %s\n", PROG, strerror(errno));
		nanosleep(&pause, NULL);
		return -1;
	default:
		fprintf(stderr, "%s: accept: %s\n", PROG, strerror(errno));
		leave(cfg, 1);
		return -1;
	}
}

/* The iterative accept loop: one client at a time, the others wait in
 * the backlog (seed 003's tsTserv). */
static void *accept_main(void *arg)
{
	const struct server *srv = arg;

	for (;;) {
		int fd = accept_one(srv->fd, srv->cfg);

		if (fd < 0)
			continue;
		if (srv->cfg->defect == DEFECT_CONCURRENT) {
			spawn(fd, srv->cfg);
			continue;
		}
		serve_conn(fd, srv->cfg);
		/* Defect once: the first client is the last. */
		if (srv->cfg->defect == DEFECT_ONCE)
			leave(srv->cfg, 0);
	}
	return NULL;
}

/* ---- UDP ---- */

/* Sends one reply to `to`; the defects decide from which socket. */
static void send_reply(int fd, const char *out, size_t n, const struct sockaddr_storage *to,
                       socklen_t tolen, const struct config *cfg)
{
	ssize_t rc;

	if (cfg->defect == DEFECT_UDP_CONNECT_FIRST) {
		rc = send(fd, out, n, MSG_NOSIGNAL);
	} else if (cfg->defect == DEFECT_UDP_REPLY_OTHER_SOCKET) {
		/* A fresh socket gets a fresh port: the reply's source is wrong. */
		int other = socket(to->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		rc = other < 0 ? -1
		               : sendto(other, out, n, MSG_NOSIGNAL, (const struct sockaddr *)to,
		                        tolen);
		if (other >= 0)
			close(other);
	} else {
		rc = sendto(fd, out, n, MSG_NOSIGNAL, (const struct sockaddr *)to, tolen);
	}
	if (rc < 0)
		fprintf(stderr, "%s: sendto: %s\n", PROG, strerror(errno));
}

/* Answers one datagram of n bytes from `from`. */
static void answer_dgram(int fd, const char *data, size_t len,
                         const struct sockaddr_storage *from, socklen_t fromlen,
                         const struct config *cfg)
{
	size_t n = 0;
	char *out;

	if (cfg->defect == DEFECT_FD_LEAK && open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
		fprintf(stderr, "%s: open(/dev/null): %s\n", PROG, strerror(errno));
	out = compose(cfg->defect, data, len, 0, &n);
	if (!out)
		return;
	/* A reply over 65,507 bytes gets none (PROTOCOLS.md); the defect
	 * udp-replies-oversize sends the first 65,507 bytes of it instead. */
	if (n > TS_DGRAM_MAX && cfg->defect == DEFECT_UDP_REPLIES_OVERSIZE)
		n = TS_DGRAM_MAX;
	if (n <= TS_DGRAM_MAX)
		send_reply(fd, out, n, from, fromlen, cfg);
	free(out);
}

/* Receives one datagram. Returns its length, or -1 (already reported).
 * Defect udp-last-only: 5 ms after the first datagram, every datagram
 * queued by then is read into the same buffer, so only the last of a
 * burst is answered. */
static ssize_t recv_dgram(int fd, char *buf, size_t cap, struct sockaddr_storage *from,
                          socklen_t *fromlen, const struct config *cfg)
{
	ssize_t n, more;

	do {
		*fromlen = sizeof(*from);
		n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, fromlen);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "%s: recvfrom: %s\n", PROG, strerror(errno));
		return -1;
	}
	if (cfg->defect == DEFECT_UDP_LAST_ONLY) {
		struct timespec left = {0, TS_DELAY_MS * 1000000L};

		/* A 5 ms "tick" before draining, so a burst is always caught. */
		while (nanosleep(&left, &left) < 0 && errno == EINTR)
			;
	}
	while (cfg->defect == DEFECT_UDP_LAST_ONLY) {
		struct sockaddr_storage next;
		socklen_t nextlen = sizeof(next);

		more = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&next, &nextlen);
		if (more < 0)
			break;
		n = more;
		*from = next;
		*fromlen = nextlen;
	}
	return n;
}

/* The datagram loop: each datagram answered in turn. */
static void *dgram_main(void *arg)
{
	const struct server *srv = arg;
	const struct config *cfg = srv->cfg;
	/* 65,536 holds any datagram; the seed's 1024 cuts longer ones. */
	size_t cap = cfg->defect == DEFECT_UDP_TRUNCATE_1024 ? TS_SEED_READ : 65536;
	char *buf = malloc(cap);
	int connected = 0;

	if (!buf) {
		fprintf(stderr, "%s: malloc: %s\n", PROG, strerror(ENOMEM));
		leave(cfg, 1);
	}
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen;
		ssize_t n = recv_dgram(srv->fd, buf, cap, &from, &fromlen, cfg);

		if (n < 0)
			continue;
		/* Defect udp-connect-first: from now on only this sender is heard. */
		if (cfg->defect == DEFECT_UDP_CONNECT_FIRST && !connected) {
			if (connect(srv->fd, (const struct sockaddr *)&from, fromlen) < 0)
				fprintf(stderr, "%s: connect: %s\n", PROG, strerror(errno));
			connected = 1;
		}
		answer_dgram(srv->fd, buf, (size_t)n, &from, fromlen, cfg);
	}
	return NULL;
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
	rc = pthread_create(&tid, NULL, cfg.udp ? dgram_main : accept_main, &srv);
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
	leave(&cfg, signo == SIGINT && cfg.defect == DEFECT_INT_EXIT_1 ? 1 : 0);
	return 0;
}
