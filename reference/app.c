/* SPDX-License-Identifier: MIT */
/* Command-line shell shared by the reference servers (see app.h). */
#define _GNU_SOURCE
#include "app.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "net.h"
#include "sig.h"

#ifndef SOCKSPEC_VERSION
#define SOCKSPEC_VERSION "0.0.0"
#endif

#define APP_FD_RESERVE   32         /* fds besides connections: listener, stdio, libc */
#define APP_MAX_CLIENTS  (1u << 20) /* --max-clients upper bound */
#define APP_BACKLOG      4096       /* the kernel caps it at net.core.somaxconn */
#define APP_IDLE_MAX_S   86400      /* --idle-timeout upper bound */
#define APP_NOFILE_GUESS 1024       /* if getrlimit() ever failed */

static const char *const mode_names[] = {"once", "iterative", "threaded"};

/* The default --max-clients for a fd limit: a threaded connection holds
 * one fd (and one thread), so the limit less a reserve for the server's
 * other fds. A connection beyond it would fail in accept() with EMFILE. */
static size_t clients_for_nofile(rlim_t nofile)
{
	if (nofile == RLIM_INFINITY || nofile >= (rlim_t)APP_MAX_CLIENTS + APP_FD_RESERVE)
		return APP_MAX_CLIENTS;
	return nofile > APP_FD_RESERVE ? (size_t)(nofile - APP_FD_RESERVE) : 1;
}

/* RLIMIT_NOFILE's soft limit, or its hard limit (what net_raise_nofile()
 * raises the soft one to). */
static rlim_t nofile_limit(int hard)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return APP_NOFILE_GUESS; /* cannot happen: rl is valid */
	return hard ? rl.rlim_max : rl.rlim_cur;
}

static int can_thread(const struct app_spec *spec)
{
	return spec->default_mode == SERVE_THREADED ||
	       ((spec->options & APP_OPT_MODE) && (spec->modes & (1u << SERVE_THREADED)));
}

/* The --help lines of --max-clients and --idle-timeout. */
static void usage_limits(const struct app_spec *spec, FILE *out)
{
	static const char *const pad = "                      ";

	if (can_thread(spec)) {
		fprintf(out, "      --max-clients N "
		             "threaded mode: connections served at once, a thread\n");
		fprintf(out, "%seach (default: RLIMIT_NOFILE, raised to its hard limit,\n", pad);
		fprintf(out, "%sless %d for other fds; here %zu). Past the cap, new\n", pad,
		        APP_FD_RESERVE, clients_for_nofile(nofile_limit(1)));
		fprintf(out, "%sclients wait in the listen backlog until a connection\n", pad);
		fprintf(out, "%sends: none is refused\n", pad);
	}
	if (spec->options & APP_OPT_IDLE) {
		fprintf(out, "      --idle-timeout SECONDS\n");
		fprintf(out, "%sclose a connection once the client has sent nothing (or\n", pad);
		fprintf(out, "%staken no reply) for SECONDS (default 0: never)\n", pad);
	}
}

static void usage(const struct app_spec *spec, FILE *out)
{
	fprintf(out, "usage: %s [options]\n%s\n\noptions:\n", spec->prog, spec->summary);
	fprintf(out, "  -p, --port N        port to listen on (default %u; 0: any free port)\n",
	        spec->default_port);
	fprintf(out, "  -b, --bind ADDR     address: 127.0.0.1 (default), ::1, [::1]:PORT, "
	             "unix:PATH\n");
	fprintf(out, "      --unix PATH     listen on a Unix-domain socket instead\n");
	if (spec->options & APP_OPT_MODE) {
		fprintf(out, "      --mode M        ");
		for (int m = 0, first = 1; m < 3; m++)
			if (spec->modes & (1u << m)) {
				fprintf(out, "%s%s", first ? "" : "|", mode_names[m]);
				first = 0;
			}
		fprintf(out, " (default %s)\n", mode_names[spec->default_mode]);
	}
	if (spec->options & APP_OPT_FRAMING)
		fprintf(out, "      --framing F     line (default): LF-terminated messages; chunk: "
		             "one read is one message\n");
	if (spec->options & APP_OPT_DELAY)
		fprintf(out, "      --delay SECONDS pause before each reply (default %g)\n",
		        spec->default_delay);
	if (spec->options & APP_OPT_UDP)
		fprintf(out, "      --udp           serve UDP datagrams instead of TCP\n");
	if (spec->options & APP_OPT_FRAMING)
		fprintf(out, "      --max-line N    longest line accepted (default %d bytes)\n",
		        FRAME_MAX_LINE_DEFAULT);
	usage_limits(spec, out);
	fprintf(out, "  -h, --help          this text\n      --version       print the version\n");
	fprintf(out, "\nPrints \"listening on ADDR\" once ready; exits 0 on SIGTERM or SIGINT.\n");
}

static int bad(const struct app_spec *spec, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", spec->prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help'.\n", spec->prog);
	return 2;
}

static int parse_size(const char *text, size_t lo, size_t hi, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < lo || v > hi)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Applies one option; returns -1 to go on or an exit status. */
static int apply(const struct app_spec *spec, struct app_config *cfg, int opt, const char *arg,
                 const char **bind, const char **port)
{
	char *end;
	double d;

	switch (opt) {
	case 'p':
		*port = arg;
		return -1;
	case 'b':
		*bind = arg;
		return -1;
	case 'm':
		for (int m = 0; m < 3; m++)
			if ((spec->modes & (1u << m)) && strcmp(arg, mode_names[m]) == 0) {
				cfg->mode = (enum serve_mode)m;
				return -1;
			}
		return bad(spec, "--mode: unknown mode \"%s\"", arg);
	case 'f':
		if (strcmp(arg, "line") == 0)
			cfg->framing = PROTO_FRAMING_LINE;
		else if (strcmp(arg, "chunk") == 0)
			cfg->framing = PROTO_FRAMING_CHUNK;
		else
			return bad(spec, "--framing: expected line or chunk, got \"%s\"", arg);
		return -1;
	case 'd':
		d = strtod(arg, &end);
		if (end == arg || *end || !(d >= 0 && d <= 3600))
			return bad(spec, "--delay: expected seconds from 0 to 3600, got \"%s\"",
			           arg);
		cfg->delay_ms = (int)(d * 1000 + 0.5);
		return -1;
	case 'U':
		cfg->udp = 1;
		return -1;
	case 'L':
		if (parse_size(arg, 1, 1u << 26, &cfg->max_line) < 0)
			return bad(spec, "--max-line: expected 1 to 67108864, got \"%s\"", arg);
		return -1;
	case 'C':
		if (parse_size(arg, 1, APP_MAX_CLIENTS, &cfg->max_clients) < 0)
			return bad(spec, "--max-clients: expected 1 to 1048576, got \"%s\"", arg);
		return -1;
	case 'I':
		d = strtod(arg, &end);
		if (end == arg || *end || !(d == 0 || (d >= 0.001 && d <= APP_IDLE_MAX_S)))
			return bad(spec,
			           "--idle-timeout: expected seconds from 0.001 to 86400 (0: "
			           "never), got \"%s\"",
			           arg);
		cfg->idle_ms = (int)(d * 1000 + 0.5);
		return -1;
	case 'h':
		usage(spec, stdout);
		return 0;
	case 'V':
		printf("%s (sockspec) %s\n", spec->prog, SOCKSPEC_VERSION);
		return 0;
	default:
		fprintf(stderr, "Try '%s --help'.\n", spec->prog);
		return 2;
	}
}

/* Turns --bind/--port/--unix into cfg->addr. */
static int resolve(const struct app_spec *spec, struct app_config *cfg, const char *bind,
                   const char *port, const char *unix_path)
{
	char err[NET_ERR_MAX], text[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	uint16_t p = spec->default_port;

	if (port && addr_parse_port(port, &p) < 0)
		return bad(spec, "--port: expected a number from 0 to 65535, got \"%s\"", port);
	if (unix_path) {
		snprintf(text, sizeof(text), "unix:%s", unix_path);
		bind = text;
	}
	if (addr_parse(bind ? bind : "127.0.0.1", p, &cfg->addr, err, sizeof(err)) < 0)
		return bad(spec, "%s", err);
	return -1;
}

int app_options(int argc, char **argv, const struct app_spec *spec, struct app_config *cfg)
{
	static const struct option all[] = {{"port", required_argument, NULL, 'p'},
	                                    {"bind", required_argument, NULL, 'b'},
	                                    {"unix", required_argument, NULL, 'u'},
	                                    {"mode", required_argument, NULL, 'm'},
	                                    {"framing", required_argument, NULL, 'f'},
	                                    {"delay", required_argument, NULL, 'd'},
	                                    {"udp", no_argument, NULL, 'U'},
	                                    {"max-line", required_argument, NULL, 'L'},
	                                    {"max-clients", required_argument, NULL, 'C'},
	                                    {"idle-timeout", required_argument, NULL, 'I'},
	                                    {"help", no_argument, NULL, 'h'},
	                                    {"version", no_argument, NULL, 'V'},
	                                    {NULL, 0, NULL, 0}};
	static const unsigned needs[] = {
	    ['m'] = APP_OPT_MODE, ['f'] = APP_OPT_FRAMING, ['d'] = APP_OPT_DELAY,
	    ['U'] = APP_OPT_UDP,  ['L'] = APP_OPT_FRAMING, ['I'] = APP_OPT_IDLE,
	};
	const char *bind = NULL, *port = NULL, *unix_path = NULL;
	int opt, rc, index = -1;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = spec->default_mode;
	cfg->framing = PROTO_FRAMING_LINE;
	cfg->delay_ms = (int)(spec->default_delay * 1000 + 0.5);
	cfg->max_line = FRAME_MAX_LINE_DEFAULT;
	cfg->max_clients = 0; /* app_listen() derives it once the fd limit is raised */
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "p:b:h", all, &index)) != -1) {
		if (opt > 0 && opt < (int)(sizeof(needs) / sizeof(needs[0])) && needs[opt] &&
		    !(spec->options & needs[opt])) {
			fprintf(stderr, "%s: option '--%s' does not apply to this server\n",
			        spec->prog, index >= 0 ? all[index].name : "?");
			fprintf(stderr, "Try '%s --help'.\n", spec->prog);
			return 2;
		}
		if (opt == 'u') {
			if (!*optarg)
				return bad(spec, "--unix: %s", "empty path");
			unix_path = optarg;
			continue;
		}
		rc = apply(spec, cfg, opt, optarg, &bind, &port);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bad(spec, "unexpected argument \"%s\"", argv[optind]);
	if (cfg->udp && cfg->framing != PROTO_FRAMING_LINE)
		return bad(spec, "--framing does not apply with --udp: %s",
		           "a datagram is a message");
	if (cfg->udp && cfg->idle_ms > 0)
		return bad(spec, "--idle-timeout does not apply with --udp: %s",
		           "there are no connections");
	if (!(spec->options & APP_OPT_FRAMING))
		cfg->framing = PROTO_FRAMING_STREAM;
	return resolve(spec, cfg, bind, port, unix_path);
}

int app_listen(const struct app_spec *spec, const struct app_config *cfg, int type,
               struct app_server *srv)
{
	char err[NET_ERR_MAX], text[ADDR_TEXT_MAX];
	int rc;

	memset(srv, 0, sizeof(*srv));
	srv->spec = spec;
	srv->cfg = *cfg;
	srv->fd = -1;
	rc = sig_setup(&srv->wait_mask);
	if (rc < 0) {
		fprintf(stderr, "%s: sigaction: %s\n", spec->prog, strerror(-rc));
		return -1;
	}
	net_raise_nofile(); /* if it fails, the soft limit in force is used */
	if (srv->cfg.max_clients == 0)
		srv->cfg.max_clients = clients_for_nofile(nofile_limit(0));
	rc = net_listen(&cfg->addr, type, APP_BACKLOG, &srv->bound, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", spec->prog, err);
		return -1;
	}
	srv->fd = rc;
	printf("listening on %s\n", addr_format(&srv->bound, text, sizeof(text)));
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: stdout: %s\n", spec->prog, strerror(errno));
		close(srv->fd);
		return -1;
	}
	return 0;
}

static void log_line(const char *line)
{
	fprintf(stderr, "%s\n", line);
}

int app_serve(struct app_server *srv, const struct proto_handler *proto)
{
	struct serve_cfg sc;
	char err[NET_ERR_MAX] = "";
	int type = SOCK_STREAM, rc;
	socklen_t len = sizeof(type);

	memset(&sc, 0, sizeof(sc));
	sc.mode = srv->cfg.mode;
	sc.max_clients = srv->cfg.max_clients;
	sc.session.proto = proto;
	sc.session.framing = srv->cfg.framing;
	sc.session.max_line = srv->cfg.max_line;
	sc.session.delay_ms = srv->cfg.delay_ms;
	sc.session.idle_ms = srv->cfg.idle_ms;
	sc.mask = &srv->wait_mask;
	sc.stop = &sig_stop;
	sc.log = log_line;
	if (getsockopt(srv->fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		type = SOCK_STREAM;
	if (type == SOCK_DGRAM)
		rc = serve_datagram(srv->fd, &sc, err, sizeof(err));
	else
		rc = serve_stream(srv->fd, &sc, err, sizeof(err));
	close(srv->fd);
	if (addr_family(&srv->bound) == AF_UNIX)
		unlink(((struct sockaddr_un *)&srv->bound.ss)->sun_path);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", srv->spec->prog, err);
		return 1;
	}
	return 0;
}

int app_run(int argc, char **argv, const struct app_spec *spec)
{
	struct app_config cfg;
	struct app_server srv;
	int status = app_options(argc, argv, spec, &cfg);
	const struct proto_handler *proto = spec->proto;

	if (status >= 0)
		return status; /* --help, --version or a usage error */
	if (cfg.mode == SERVE_THREADED && spec->proto_threaded)
		proto = spec->proto_threaded;
	if (app_listen(spec, &cfg, cfg.udp ? SOCK_DGRAM : spec->socktype, &srv) < 0)
		return 1; /* "ref-echo: bind(127.0.0.1:8088): ..." was printed */
	return app_serve(&srv, proto);
}
