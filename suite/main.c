/* SPDX-License-Identifier: MIT */
/*
 * sockspec: the command line. `run` checks a server against case files
 * and reports verdicts; `list` shows profiles and their cases; `check`
 * parses case files. Exit status: 0 all good, 1 a case failed or
 * errored (or none ran), 2 a usage or case-file error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cases.h"
#include "net.h"
#include "parse.h"
#include "profile.h"
#include "render.h"
#include "run.h"

#ifndef SOCKSPEC_VERSION
#define SOCKSPEC_VERSION "0.0.0"
#endif
#define MAX_ITEMS 64 /* --profile/--cases/--case/--exclude given at most this often */

static const char usage_text[] =
    "usage: sockspec run  [--profile NAME | --cases PATH]... [--all]\n"
    "                     [--target 'COMMAND ... {port} ...' | --connect ADDR]\n"
    "                     [--framing line|chunk] [--case GLOB]... [--exclude GLOB]...\n"
    "                     [--format text|json|junit|tap] [--output FILE]\n"
    "                     [--timeout-scale X] [--seed N] [--ipv6 | --unix] [-v]\n"
    "       sockspec list [--profile NAME]\n"
    "       sockspec check FILE...\n"
    "\n"
    "run: checks a server against scripted TCP/UDP exchanges (case files).\n"
    "  --profile NAME   the cases of a profile (see `sockspec list`)\n"
    "  --cases PATH     case files: a .case file or a directory of them\n"
    "  --all            every profile, each against its bundled reference server\n"
    "  --target CMD     start CMD for each case (no shell; use sh -c yourself);\n"
    "                   {port} {host} {addr} {unix} {framing} are filled in\n"
    "  --connect ADDR   a server already listening: HOST:PORT, [V6]:PORT, unix:PATH\n"
    "                   (cases that restart, signal or inspect the target are skipped)\n"
    "                   without --target/--connect: the profile's reference server\n"
    "  --framing F      line (default) or chunk: which cases apply\n"
    "  --case GLOB      only cases whose id matches (e.g. 'exit/*'); repeatable\n"
    "  --exclude GLOB   leave out matching cases; repeatable\n"
    "  --format F       text (default), json, junit or tap\n"
    "  --output FILE    write the report there (progress stays on stdout)\n"
    "  --timeout-scale X  multiply every timeout (slow machines, sanitizers)\n"
    "  --seed N         seed of random splits (default: from the clock, printed)\n"
    "  --ipv6, --unix   launched target listens on ::1 or a Unix socket\n"
    "  -v               show the timeline of every case\n"
    "Exit status: 0 all ran cases passed, 1 a failure or error or nothing ran,\n"
    "2 usage or case-file errors.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "sockspec: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sockspec --help'.\n");
	return 2;
}

struct run_args {
	const char *profiles[MAX_ITEMS + 1], *paths[MAX_ITEMS + 1];
	const char *only[MAX_ITEMS + 1], *exclude[MAX_ITEMS + 1];
	size_t nprofiles, npaths, nonly, nexclude;
	int all;
	const char *target, *connect, *output, *framing;
	enum report_format format;
	struct run_opts o;
};

static int push(const char **list, size_t *n, const char *item, const char *what)
{
	if (*n >= MAX_ITEMS)
		return usage_error("too many %s options", what);
	list[(*n)++] = item;
	return -1;
}

static int parse_number(const char *opt, const char *arg, double *d, unsigned long long *u)
{
	char *end;

	errno = 0;
	if (d)
		*d = strtod(arg, &end);
	else
		*u = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || (d && !(*d > 0 && *d <= 1000)) || arg[0] == '-')
		return usage_error(d ? "%s: expected a number from 0 to 1000"
		                     : "%s: expected a "
		                       "non-negative integer",
		                   opt);
	return -1;
}

/* Applies one run option; -1 to go on, else an exit status. */
static int run_option(struct run_args *a, int opt, const char *arg)
{
	unsigned long long seed;

	switch (opt) {
	case 'P':
		return push(a->profiles, &a->nprofiles, arg, "--profile");
	case 'c':
		return push(a->paths, &a->npaths, arg, "--cases");
	case 'a':
		a->all = 1;
		return -1;
	case 't':
		a->target = arg;
		return -1;
	case 'C':
		a->connect = arg;
		return -1;
	case 'F':
		a->framing = arg;
		return -1;
	case 'k':
		return push(a->only, &a->nonly, arg, "--case");
	case 'x':
		return push(a->exclude, &a->nexclude, arg, "--exclude");
	case 'o':
		a->output = arg;
		return -1;
	case 'v':
		a->o.verbose = 1;
		return -1;
	case '6':
		a->o.family = AF_INET6;
		return -1;
	case 'U':
		a->o.family = AF_UNIX;
		return -1;
	case 'f':
		return report_format_parse(arg, &a->format) == 0
		           ? -1
		           : usage_error("--format: expected text, json, junit or tap, got \"%s\"",
		                         arg);
	case 's':
		return parse_number("--timeout-scale", arg, &a->o.timeout_scale, NULL);
	case 'S':
		if (parse_number("--seed", arg, NULL, &seed) >= 0)
			return 2;
		a->o.seed = seed;
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return 0;
	default:
		fprintf(stderr, "Try 'sockspec --help'.\n");
		return 2;
	}
}

static int parse_run_args(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {{"profile", required_argument, NULL, 'P'},
	                                     {"cases", required_argument, NULL, 'c'},
	                                     {"all", no_argument, NULL, 'a'},
	                                     {"target", required_argument, NULL, 't'},
	                                     {"connect", required_argument, NULL, 'C'},
	                                     {"framing", required_argument, NULL, 'F'},
	                                     {"case", required_argument, NULL, 'k'},
	                                     {"exclude", required_argument, NULL, 'x'},
	                                     {"format", required_argument, NULL, 'f'},
	                                     {"output", required_argument, NULL, 'o'},
	                                     {"timeout-scale", required_argument, NULL, 's'},
	                                     {"seed", required_argument, NULL, 'S'},
	                                     {"ipv6", no_argument, NULL, '6'},
	                                     {"unix", no_argument, NULL, 'U'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	int opt, rc;

	a->framing = "line";
	a->o.timeout_scale = 1.0;
	a->o.seed = (uint64_t)time(NULL) % 1000000;
	a->o.family = AF_INET;
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1)
		if ((rc = run_option(a, opt, optarg)) >= 0)
			return rc;
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (strcmp(a->framing, "line") != 0 && strcmp(a->framing, "chunk") != 0)
		return usage_error("--framing: expected line or chunk, got \"%s\"", a->framing);
	if (a->target && a->connect)
		return usage_error("%s", "give --target or --connect, not both");
	if (!a->nprofiles && !a->npaths && !a->all)
		return usage_error("%s",
		                   "nothing to run: give --profile NAME, --cases PATH or --all");
	if (a->all && (a->target || a->connect))
		return usage_error("%s",
		                   "--all runs each profile against its own reference server; "
		                   "drop --target/--connect");
	if (a->npaths && !a->target && !a->connect)
		return usage_error("%s", "--cases needs --target or --connect (which server?)");
	if (a->connect && a->o.family != AF_INET)
		return usage_error("%s", "--ipv6/--unix apply to launched targets; --connect names "
		                         "its own address");
	return -1;
}

/* Replaces every "{key}" in text by value; returns a new string. */
static char *substitute(const char *text, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value), n = 0;
	const char *p;
	char *out, *o;

	for (p = strstr(text, key); p; p = strstr(p + klen, key))
		n++;
	out = malloc(strlen(text) + n * vlen + 1);
	if (!out)
		return NULL;
	for (o = out; *text;) {
		if (strncmp(text, key, klen) == 0) {
			memcpy(o, value, vlen);
			o += vlen;
			text += klen;
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

/* The directory this binary is in, single-quoted for the target's word
 * splitting (reference servers are built next to it). */
static char *bin_dir(void)
{
	char path[PATH_MAX], *q;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n < 0)
		return strdup("'.'");
	path[n] = '\0';
	if (strchr(path, '\''))
		return strdup("'.'");
	if (asprintf(&q, "'%s'", dirname(path)) < 0)
		return NULL;
	return q;
}

static void print_progress(const char *text, void *arg)
{
	FILE *out = arg;

	fputs(text, out);
	fflush(out);
}

/* One run: a profile (cases embedded) or a --cases path. */
static int run_one(struct report *r, struct run_args *a, const struct profile *prof,
                   const char *path)
{
	struct case_set set;
	char err[1024], *bin = bin_dir(), *cmd = NULL, *tmp;
	int rc;

	if (prof ? cases_embedded(prof->name, &set) < 0
	         : cases_load(path, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "sockspec: %s\n", prof ? "out of memory" : err);
		free(bin);
		return 2;
	}
	if (prof && set.n == 0)
		fprintf(stderr, "sockspec: profile %s has no cases yet\n", prof->name);
	a->o.name = prof ? prof->name : path;
	a->o.socktype = prof ? prof->socktype : SOCK_STREAM;
	a->o.connect = a->connect;
	if (!a->connect && bin) {
		tmp = substitute(a->target ? a->target : prof->command, "{bin}", bin);
		cmd = tmp ? substitute(tmp, "{framing}", a->framing) : NULL;
		free(tmp);
	}
	a->o.command = cmd;
	rc = (!a->connect && !cmd) ? RUN_FAILED : run_cases(r, &set, &a->o, err, sizeof(err));
	if (rc != RUN_OK)
		fprintf(stderr, "sockspec: %s\n",
		        rc == RUN_FAILED && !cmd && !a->connect ? "out of memory" : err);
	cases_free(&set);
	free(cmd);
	free(bin);
	return rc;
}

/* Writes text to path (stdout when NULL). Returns 0 or 1 (said why). */
static int emit_text(const char *text, const char *path)
{
	FILE *out = path ? fopen(path, "w") : stdout;
	size_t len = strlen(text);

	if (!out) {
		fprintf(stderr, "sockspec: fopen(%s): %s\n", path, strerror(errno));
		return 1;
	}
	if (fwrite(text, 1, len, out) != len || (path ? fclose(out) : fflush(out)) != 0) {
		fprintf(stderr, "sockspec: write(%s): %s\n", path ? path : "stdout",
		        strerror(errno));
		return 1;
	}
	return 0;
}

/* After the run: the summary under the live progress (if any), and the
 * report in its format into --output, or on stdout when there was no
 * progress there. */
static int write_report(const struct report *r, const struct run_args *a, int progress)
{
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	if (progress) {
		text = report_render_summary(r);
		rc = text ? emit_text(text, NULL) : 1;
		free(text);
		text = NULL;
		if (rc || !a->output)
			return rc;
	}
	if (report_render(r, a->format, !a->output && a->o.color, a->o.verbose, &text, &len) < 0) {
		fprintf(stderr, "sockspec: out of memory rendering the report\n");
		return 1;
	}
	rc = emit_text(text, a->output);
	free(text);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct report *r = report_new(SOCKSPEC_VERSION);
	int rc = r ? -1 : 1, progress;
	size_t n = 0;
	const struct profile *all = profile_all(&n);

	memset(&a, 0, sizeof(a));
	if (rc < 0)
		rc = parse_run_args(argc, argv, &a);
	if (rc >= 0) {
		report_free(r);
		return rc;
	}
	for (size_t i = 0; i < a.nprofiles; i++)
		if (!profile_find(a.profiles[i])) {
			report_free(r);
			return usage_error("unknown profile \"%s\" (see `sockspec list`)",
			                   a.profiles[i]);
		}
	a.o.only = a.only;
	a.o.exclude = a.exclude;
	a.o.framing = a.framing;
	a.o.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	progress = a.format == REPORT_TEXT || a.output;
	a.o.progress = progress ? print_progress : NULL;
	a.o.progress_arg = stdout;
	if (progress)
		printf("sockspec %s: seed %llu (repeat with --seed %llu)\n", SOCKSPEC_VERSION,
		       (unsigned long long)a.o.seed, (unsigned long long)a.o.seed);
	for (size_t i = 0; rc < 0 && i < (a.all ? n : a.nprofiles); i++) {
		struct case_set probe;
		const struct profile *p = a.all ? &all[i] : profile_find(a.profiles[i]);
		if (a.all && cases_embedded(p->name, &probe) == 0 && probe.n == 0) {
			cases_free(&probe);
			continue; /* --all: only profiles that have cases */
		}
		if (a.all)
			cases_free(&probe);
		if (run_one(r, &a, p, NULL) == RUN_BAD_CASES)
			rc = 2;
	}
	for (size_t i = 0; rc < 0 && i < a.npaths; i++)
		if (run_one(r, &a, NULL, a.paths[i]) == RUN_BAD_CASES)
			rc = 2;
	if (rc < 0)
		rc = write_report(r, &a, progress) ? 1 : report_exit_status(r);
	report_free(r);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	size_t n = 0;
	const struct profile *all = profile_all(&n), *only = NULL;
	struct case_set set;
	char err[PARSE_ERR_MAX];

	if (argc == 3 && strcmp(argv[1], "--profile") == 0 && !(only = profile_find(argv[2])))
		return usage_error("unknown profile \"%s\"", argv[2]);
	if (argc != 1 && !only)
		return usage_error("%s", "usage: sockspec list [--profile NAME]");
	for (size_t i = 0; i < n; i++) {
		if (only && only != &all[i])
			continue;
		if (cases_embedded(all[i].name, &set) < 0)
			return 1;
		if (!only)
			printf("%-15s %3zu cases  %s\n", all[i].name, set.n, all[i].summary);
		for (size_t k = 0; only && k < set.n; k++) {
			struct plan *p = NULL;
			if (parse_case(set.files[k].name, set.files[k].data, set.files[k].len, &p,
			               err, sizeof(err)) < 0)
				printf("%-44s (does not parse: %s)\n", set.files[k].name, err);
			else
				printf("%-44s %s\n", p->id, p->description);
			plan_free(p);
		}
		cases_free(&set);
	}
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2)
		return usage_error("%s", "usage: sockspec check FILE...");
	for (int i = 1; i < argc; i++) {
		struct case_set set;
		char err[PARSE_ERR_MAX];
		if (cases_load(argv[i], &set, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			bad = 1;
			continue;
		}
		for (size_t k = 0; k < set.n; k++) {
			struct plan *p = NULL;
			if (parse_case(set.files[k].name, set.files[k].data, set.files[k].len, &p,
			               err, sizeof(err)) < 0) {
				fprintf(stderr, "%s\n", err);
				bad = 1;
			} else {
				printf("%s: ok: %s (%zu steps)\n", set.files[k].name, p->id,
				       p->nstmts);
			}
			plan_free(p);
		}
		cases_free(&set);
	}
	return bad ? 2 : 0;
}

int main(int argc, char **argv)
{
	/* A target that resets while we write must be an error return, not
	 * the runner's death. */
	signal(SIGPIPE, SIG_IGN);
	/* Many concurrent connections need many fds: take the hard limit. */
	long nofile = net_raise_nofile();
	if (nofile < 0)
		fprintf(stderr, "sockspec: setrlimit(RLIMIT_NOFILE): %s\n", strerror((int)-nofile));
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("sockspec %s\n", SOCKSPEC_VERSION);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (argc < 2)
		return usage_error("%s", "missing command: run, list or check");
	return usage_error("unknown command \"%s\": expected run, list or check", argv[1]);
}
