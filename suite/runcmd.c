/* SPDX-License-Identifier: MIT */
/*
 * `sockspec run` (see runcmd.h): options, the runs it makes (a profile
 * with its embedded cases, or a --cases path), the checks before the
 * first case, and the report.
 */
#define _GNU_SOURCE
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cases.h"
#include "guard.h"
#include "jobs.h"
#include "profile.h"
#include "progress.h"
#include "render.h"
#include "run.h"
#include "runctl.h"
#include "scale.h"
#include "strbuf.h"
#include "sweep.h"
#include "cmdline.h"
#include "target.h"

#define MAX_ITEMS  64 /* --profile/--cases/--case/--exclude given at most this often */
#define ERR_MAX    1024
#define REPEAT_MAX 1000 /* --repeat at most */

/* getopt codes of the long options without a letter. */
enum { OPT_EXCLUDE = 256, OPT_RERUN, OPT_REPEAT, OPT_WORKER, OPT_WORKER_GATE };

const char runcmd_usage[] =
    "usage: sockspec run  [--profile NAME | --cases PATH]... [--all]\n"
    "                     [--target 'COMMAND ... {port} ...' | --connect ADDR]\n"
    "                     [--framing line|chunk] [--case GLOB]... [--exclude GLOB]...\n"
    "                     [--format text|json|junit|tap|html] [--output FILE]\n"
    "                     [--timeout-scale X] [--seed N] [--ipv6 | --unix] [-v]\n"
    "                     [-x] [--rerun-failed REPORT.json] [--repeat N] [-j N]\n"
    "       sockspec list [--profile NAME | --cases DIR]\n"
    "       sockspec check FILE...\n"
    "\n"
    "run: checks a server against scripted TCP/UDP exchanges (case files).\n"
    "  --profile NAME   the cases of a profile (see `sockspec list`)\n"
    "  --cases PATH     case files: a .case file or a directory of them\n"
    "  --all            every profile against its bundled reference server, in\n"
    "                   both framings where it has two; a table by family\n"
    "  --target CMD     start CMD for each case (no shell; use sh -c yourself);\n"
    "                   {port} {host} {addr} {unix} {framing} are filled in\n"
    "  --connect ADDR   a server already listening: HOST:PORT, [V6]:PORT, unix:PATH\n"
    "                   (cases that restart, signal or inspect the target are skipped)\n"
    "                   without --target/--connect: the profile's reference server\n"
    "  --framing F      line (default) or chunk: which cases apply\n"
    "  --case GLOB      only cases whose id matches (e.g. 'exit/*'); repeatable\n"
    "  --exclude GLOB   leave out matching cases; repeatable\n"
    "  --format F       text (default), json, junit, tap or html (one self-contained page)\n"
    "  --output FILE    write the report there, atomically (progress stays on stdout)\n"
    "  --timeout-scale X  multiply every timeout, 0.01 to 1000 (slow machines, sanitizers)\n"
    "  --seed N         seed of random splits (default: from the clock, printed)\n"
    "  --ipv6, --unix   launched target listens on ::1 or a Unix socket\n"
    "  -v               show the timeline of every case\n"
    "  -x, --fail-fast  stop after the first case that fails or errors\n"
    "  --rerun-failed REPORT.json  only the cases that failed or errored in that\n"
    "                   report (--format json --output), matched by run and framing\n"
    "  --repeat N       run every case N times (1 to 1000), each on a fresh target;\n"
    "                   attempts are reported as 'ID #K', a case that both passed\n"
    "                   and failed is named flaky; it passes only if every attempt does\n"
    "  -j, --jobs N     N cases at once (1 to 64, default 1), each in a worker with\n"
    "                   its own target on its own port; the report keeps the case\n"
    "                   order. Cases that measure timing or load have their\n"
    "                   exchanges with no other case's exchange beside them (other\n"
    "                   targets may start and stop meanwhile): the families\n"
    "                   concurrency and resources, and limits/connect-burst\n"
    "                   (-v then shows the timelines of failed cases only)\n"
    "On a terminal a status line shows case i of n, the time and the failures.\n"
    "Every case ends by its timeout, target start and stop included; the whole\n"
    "run by the sum of its cases' timeouts (each attempt's) plus 5 s. SIGINT/SIGTERM\n"
    "stop the run: the targets are stopped and the report of what ran is written.\n"
    "Exit status: 0 all ran cases passed; 1 a failure or error, nothing ran, or\n"
    "the watchdog stopped the run; 2 usage, case-file or setup errors;\n"
    "128+N stopped by signal N.\n";

int runcmd_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "sockspec: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sockspec --help'.\n");
	return 2;
}

/* A setup error: one line, exit status 2. */
static int setup_error(const char *what, const char *err)
{
	fprintf(stderr, "sockspec: %s%s%s\n", what, *what ? ": " : "", err);
	return 2;
}

struct run_args {
	const char *profiles[MAX_ITEMS + 1], *paths[MAX_ITEMS + 1];
	const char *only[MAX_ITEMS + 1], *exclude[MAX_ITEMS + 1];
	size_t nprofiles, npaths, nonly, nexclude;
	int all;
	const char *target, *connect, *output, *framing;
	const char *rerun;    /* --rerun-failed REPORT.json */
	long worker;          /* --worker PID: a -j worker of that parent (jobs.h) */
	int halted;           /* -x stopped the runs */
	int dead;             /* a run's target could not be used any more */
	struct progress line; /* the status line on a terminal */
	enum report_format format;
	struct run_opts o;
};

/* One run to make: a profile or a --cases path, its cases and command. */
struct planned {
	const struct profile *prof; /* or NULL */
	const char *path;           /* --cases PATH, or NULL */
	struct run_set set;         /* its cases */
	const char *framing;        /* "line" or "chunk" */
	char *command;              /* launched target, {bin}/{framing} replaced; NULL: --connect */
	int idle;                   /* --all and the profile has no cases: not run */
};

static int push(const char **list, size_t *n, const char *item, const char *what)
{
	if (*n >= MAX_ITEMS)
		return runcmd_usage_error("too many %s options", what);
	list[(*n)++] = item;
	return -1;
}

static int parse_seed(const char *arg, uint64_t *seed)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-')
		return runcmd_usage_error("--seed: expected a non-negative integer, got \"%s\"",
		                          arg);
	*seed = v;
	return -1;
}

/* A count from 1 to max for option what. */
static int parse_count(const char *arg, const char *what, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;
	char text[96];

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < 1 || v > max) {
		snprintf(text, sizeof(text),
		         "%s: expected a whole number from 1 to %u, got \"%%s\"", what, max);
		return runcmd_usage_error(text, arg);
	}
	*out = (unsigned)v;
	return -1;
}

/* --worker PID: this run is one case of a -j parent; it dies with it. */
static int start_worker(struct run_args *a, const char *arg)
{
	char *end;

	a->worker = strtol(arg, &end, 10);
	if (*end || a->worker <= 1)
		return runcmd_usage_error("--worker: expected a parent pid, got \"%s\"", arg);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != (pid_t)a->worker) {
		fprintf(stderr, "sockspec: --worker %s: the parent is gone\n", arg);
		return 2;
	}
	return -1;
}

/* --worker-gate FD (hidden): the gate of a -j worker (jobs.h); kept
 * from the targets this worker starts. */
static int open_gate(struct run_args *a, const char *arg)
{
	char *end;
	long fd = strtol(arg, &end, 10);

	if (*end || end == arg || fd < 3 || fd > INT_MAX)
		return runcmd_usage_error("--worker-gate: expected an fd from 3, got \"%s\"", arg);
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "sockspec: --worker-gate %s: fcntl(F_SETFD): %s\n", arg,
		        strerror(errno));
		return 2;
	}
	a->o.gate_fd = (int)fd;
	return -1;
}

/* Applies one run option; -1 to go on, else an exit status. */
static int run_option(struct run_args *a, int opt, const char *arg)
{
	switch (opt) {
	case 'P':
		return push(a->profiles, &a->nprofiles, arg, "--profile");
	case 'c':
		return push(a->paths, &a->npaths, arg, "--cases");
	case 'k':
		return push(a->only, &a->nonly, arg, "--case");
	case OPT_EXCLUDE:
		return push(a->exclude, &a->nexclude, arg, "--exclude");
	case 'x':
		a->o.fail_fast = 1;
		return -1;
	case OPT_RERUN:
		a->rerun = arg;
		return -1;
	case OPT_REPEAT:
		return parse_count(arg, "--repeat", REPEAT_MAX, &a->o.repeat);
	case 'j':
		return parse_count(arg, "--jobs", JOBS_MAX, &a->o.jobs);
	case OPT_WORKER:
		return start_worker(a, arg);
	case OPT_WORKER_GATE:
		return open_gate(a, arg);
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
		           : runcmd_usage_error(
		                 "--format: expected text, json, junit, tap or html, got \"%s\"", arg);
	case 's':
		return scale_parse(arg, &a->o.timeout_scale) == 0
		           ? -1
		           : runcmd_usage_error(
		                 "--timeout-scale: expected a number from 0.01 to 1000, got \"%s\"",
		                 arg);
	case 'S':
		return parse_seed(arg, &a->o.seed);
	case 'h':
		fputs(runcmd_usage, stdout);
		return 0;
	default:
		fprintf(stderr, "Try 'sockspec --help'.\n");
		return 2;
	}
}

/* Combinations of options that make no sense; -1 when all is well. */
static int check_args(const struct run_args *a)
{
	if (strcmp(a->framing, "line") != 0 && strcmp(a->framing, "chunk") != 0)
		return runcmd_usage_error("--framing: expected line or chunk, got \"%s\"",
		                          a->framing);
	if (a->target && a->connect)
		return runcmd_usage_error("%s", "give --target or --connect, not both");
	if (!a->nprofiles && !a->npaths && !a->all)
		return runcmd_usage_error(
		    "%s", "nothing to run: give --profile NAME, --cases PATH or --all");
	if (a->all && (a->target || a->connect))
		return runcmd_usage_error("%s", "--all runs each profile against its own reference "
		                                "server; drop --target/--connect");
	if (a->npaths && !a->target && !a->connect)
		return runcmd_usage_error("%s",
		                          "--cases needs --target or --connect (which server?)");
	if (a->connect && a->o.jobs > 1)
		return runcmd_usage_error("%s", "-j needs launched targets: with --connect every "
		                                "case would share the one server");
	if (a->connect && a->o.family != AF_INET)
		return runcmd_usage_error("%s",
		                          "--ipv6/--unix apply to launched targets; --connect "
		                          "names its own address");
	for (size_t i = 0; i < a->nprofiles; i++)
		if (!profile_find(a->profiles[i]))
			return runcmd_usage_error("unknown profile \"%s\" (see `sockspec list`)",
			                          a->profiles[i]);
	return -1;
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
	                                     {"exclude", required_argument, NULL, OPT_EXCLUDE},
	                                     {"fail-fast", no_argument, NULL, 'x'},
	                                     {"rerun-failed", required_argument, NULL, OPT_RERUN},
	                                     {"repeat", required_argument, NULL, OPT_REPEAT},
	                                     {"jobs", required_argument, NULL, 'j'},
	                                     {"worker", required_argument, NULL, OPT_WORKER},
	                                     {"worker-gate", required_argument, NULL,
	                                      OPT_WORKER_GATE},
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
	while ((opt = getopt_long(argc, argv, "vhxj:", opts, NULL)) != -1)
		if ((rc = run_option(a, opt, optarg)) >= 0)
			return rc;
	if (optind < argc)
		return runcmd_usage_error("unexpected argument \"%s\"", argv[optind]);
	return check_args(a);
}

/* The target command of a run: --target or the profile's, {bin} and
 * {framing} filled in; NULL for --connect (and when memory ran out). */
static char *command_of(const struct run_args *a, const struct profile *prof, const char *framing)
{
	char *bin, *tmp, *cmd;

	if (a->connect)
		return NULL;
	bin = target_bin_dir();
	tmp = bin ? cmdline_substitute(a->target ? a->target : prof->command, "{bin}", bin) : NULL;
	cmd = tmp ? cmdline_substitute(tmp, "{framing}", framing) : NULL;
	free(tmp);
	free(bin);
	return cmd;
}

/* Loads, parses and selects the cases of one run. Returns -1, or an
 * exit status (a case-file error). */
static int plan_run(struct planned *p, const struct run_args *a, unsigned char *hits)
{
	struct case_set files;
	char err[ERR_MAX];
	int rc;

	if (p->prof ? cases_embedded(p->prof->name, &files) < 0
	            : cases_load(p->path, &files, err, sizeof(err)) < 0)
		return setup_error("", p->prof ? "out of memory" : err);
	rc = run_set_load(&p->set, &files, err, sizeof(err));
	if (rc != RUN_OK)
		return setup_error("", err);
	p->idle = a->all && p->set.files.n == 0; /* --all: the profiles that have cases */
	if (p->prof && p->set.files.n == 0 && !a->all)
		fprintf(stderr, "sockspec: profile %s has no cases yet\n", p->prof->name);
	run_set_select(&p->set, a->only, a->exclude, hits);
	if (p->prof && p->prof->socktype == SOCK_DGRAM && a->o.family == AF_UNIX) {
		if (!a->all)
			return runcmd_usage_error("profile %s is UDP, and the runner has no Unix "
			                          "datagram sockets: drop --unix",
			                          p->prof->name);
		fprintf(stderr, "sockspec: --unix: %s left out (UDP)\n", p->prof->name);
		p->idle = 1;
	}
	if (p->prof && !p->prof->chunk && strcmp(p->framing, "chunk") == 0)
		return runcmd_usage_error("profile %s has no chunk framing (only hello, timestamp, "
		                          "ok-iterative and ok-threaded do)",
		                          p->prof->name);
	p->command = command_of(a, p->prof, p->framing);
	if (!p->command && !a->connect)
		return setup_error("", "out of memory");
	return -1;
}

/* What can be checked before the first case; -1, or exit status 2. */
static int check_setup(const struct planned *runs, size_t n, const struct run_args *a,
                       const unsigned char *hits)
{
	static const char hint[] = "; give --target"; /* a reference server is missing */
	char err[ERR_MAX];

	for (size_t g = 0; g < a->nonly; g++) {
		if (hits[g])
			continue;
		snprintf(err, sizeof(err), "no case matches '%s'", a->only[g]);
		return setup_error("", err);
	}
	for (size_t i = 0; i < n; i++) {
		int socktype = runs[i].prof ? runs[i].prof->socktype : 0;
		if (runs[i].idle)
			continue;
		if (runs[i].command && !a->target &&
		    target_check_reference(runs[i].command, err, sizeof(err) - sizeof(hint)) < 0)
			return setup_error(a->all ? "--all" : "", strcat(err, a->all ? "" : hint));
		if (runs[i].command && target_check_command(runs[i].command, err, sizeof(err)) < 0)
			return setup_error(a->target ? "--target" : runs[i].prof->name, err);
		if (a->connect && target_check_connect(a->connect, socktype, err, sizeof(err)) < 0)
			return setup_error("--connect", err);
	}
	return -1;
}

/* --rerun-failed (runctl.h): -1 to go on, or the exit status. */
static int select_failed(struct planned *runs, size_t n, const char *path)
{
	struct runctl_run rr[2 * MAX_ITEMS + 16];
	char err[ERR_MAX];

	for (size_t i = 0; i < n; i++)
		rr[i] = (struct runctl_run){&runs[i].set,
		                            runs[i].prof ? runs[i].prof->name : runs[i].path,
		                            runs[i].framing, runs[i].idle};
	switch (runctl_select_failed(rr, n, path, err, sizeof(err))) {
	case RUNCTL_GO:
		return -1;
	case RUNCTL_NOTHING:
		printf("%s\n", err);
		return 0;
	default:
		return setup_error("--rerun-failed", err);
	}
}

/* --output: a temporary file beside it, renamed over it at the end. */
struct outfile {
	const char *path; /* --output */
	char *tmp;        /* the temporary file */
	int fd;           /* open on tmp; -1 when none */
};

static int out_open(struct outfile *of, const char *path)
{
	mode_t mask = umask(0);

	umask(mask);
	of->path = path;
	of->fd = -1;
	if (asprintf(&of->tmp, "%s.tmpXXXXXX", path) < 0) {
		of->tmp = NULL;
		return setup_error("--output", "out of memory");
	}
	of->fd = mkostemp(of->tmp, O_CLOEXEC);
	if (of->fd < 0 || fchmod(of->fd, 0666 & ~mask) < 0) {
		char err[ERR_MAX];
		snprintf(err, sizeof(err), "cannot write %s: %s", path, strerror(errno));
		free(of->tmp);
		of->tmp = NULL;
		return setup_error("--output", err);
	}
	return -1;
}

/* Writes text into the temporary file and renames it over --output.
 * Returns 0, or 1 (said why). */
static int out_commit(struct outfile *of, const char *text, size_t len)
{
	size_t done = 0;
	ssize_t n;
	int rc = 0;

	while (done < len) {
		n = write(of->fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < len || close(of->fd) < 0 || rename(of->tmp, of->path) < 0) {
		fprintf(stderr, "sockspec: writing %s: %s\n", of->path, strerror(errno));
		(void)unlink(of->tmp);
		rc = 1;
	}
	of->fd = -1;
	free(of->tmp);
	of->tmp = NULL;
	return rc;
}

static void print_progress(const char *text, void *arg)
{
	FILE *out = arg;

	fputs(text, out);
	fflush(out);
}

/* The live per-case text, above the status line (if any). */
static void line_print(const char *text, void *arg)
{
	progress_print(arg, text);
}

static void line_case(const char *id, void *arg)
{
	progress_case(arg, id);
}

/* The summary under the live progress (if any), and the report in its
 * format into --output, or on stdout when there was no progress there. */
static int write_report(const struct report *r, const struct run_args *a, struct outfile *of,
                        int progress)
{
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	struct strbuf note = {NULL, 0, 0, 0};

	runctl_notes(r, a->halted, a->o.repeat, &note);
	if (!progress && note.len) /* the report is on stdout: the notes go beside it */
		fprintf(stderr, "sockspec: %s", strbuf_text(&note));
	if (progress) {
		text = report_render_summary(r);
		if (text) {
			print_progress(strbuf_text(&note), stdout);
			print_progress(text, stdout);
		}
		rc = text ? 0 : 1;
		free(text);
		text = NULL;
		if (!a->output) {
			strbuf_release(&note);
			return rc;
		}
	}
	strbuf_release(&note);
	if (report_render(r, a->format, !a->output && a->o.color, a->o.verbose, &text, &len) < 0) {
		fprintf(stderr, "sockspec: out of memory rendering the report\n");
		return 1;
	}
	if (a->output)
		rc |= out_commit(of, text, len);
	else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
		rc = 1;
	free(text);
	return rc;
}

/* Carries the planned runs out under one guard. */
static int execute(struct report *r, struct planned *runs, size_t n, struct run_args *a)
{
	struct guard guard;
	uv_loop_t loop;
	uint64_t budget = 0;
	char err[ERR_MAX];
	int rc = RUN_OK;
	unsigned total = 0;

	for (size_t i = 0; i < n; i++) { /* -j keeps the sum: an upper bound of any order */
		budget += run_set_budget(&runs[i].set, a->o.timeout_scale) *
		          (a->o.repeat > 1 ? a->o.repeat : 1);
		for (size_t c = 0; !runs[i].idle && c < runs[i].set.files.n; c++)
			total += runs[i].set.selected[c] * (a->o.repeat > 1 ? a->o.repeat : 1);
	}
	if (uv_loop_init(&loop) < 0)
		return setup_error("", "uv_loop_init failed");
	if (guard_start(&guard, &loop, budget, err, sizeof(err)) < 0) {
		(void)uv_loop_close(&loop);
		return setup_error("", err);
	}
	a->o.loop = &loop;
	a->o.guard = &guard;
	progress_start(&a->line, &loop, stdout,
	               isatty(STDOUT_FILENO) &&
	                   !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb")),
	               r, total);
	a->o.progress_arg = &a->line;
	a->o.on_start = line_case;
	for (size_t i = 0; i < n && rc != RUN_STOPPED && rc != RUN_HALTED; i++) {
		struct runctl_worker wl;
		if (runs[i].idle)
			continue;
		runctl_worker_line(&wl, runs[i].prof ? runs[i].prof->name : runs[i].path,
		                   runs[i].prof != NULL, runs[i].framing, &a->o, a->target);
		a->o.worker_argv = wl.argv;
		a->o.name = runs[i].prof ? runs[i].prof->name : runs[i].path;
		a->o.socktype = runs[i].prof ? runs[i].prof->socktype : 0; /* --cases: either */
		a->o.command = runs[i].command;
		a->o.framing = runs[i].framing;
		a->o.connect = a->connect;
		a->o.case_dir = runs[i].prof ? "suite/cases/" : NULL;
		rc = run_cases(r, &runs[i].set, &a->o, err, sizeof(err));
		if (rc == RUN_FAILED)
			fprintf(stderr, "sockspec: %s\n", err);
		a->halted |= rc == RUN_HALTED;
		a->dead |= rc == RUN_DEAD;
		a->o.worker_argv = NULL;
	}
	(void)sweep_leftovers(&loop, NULL, 0, NULL); /* nothing the run started outlives it */
	if (guard.expired)
		fprintf(stderr, "sockspec: %s\n", guard_reason(&guard, err, sizeof(err)));
	rc = guard.expired ? 1 : guard_exit_status(&guard);
	progress_stop(&a->line);
	guard_close(&guard);
	uv_run(&loop, UV_RUN_NOWAIT);
	(void)uv_loop_close(&loop);
	return rc;
}

/* The report's metadata at the start: seed, the time (CLOCK_REALTIME)
 * and the machine's name. Returns 0, or -1 (no memory). */
static int stamp_report(struct report *r, uint64_t seed)
{
	char stamp[REPORT_ISO8601_MAX], host[256];

	run_stamp(stamp);
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	return report_set_start(r, seed, stamp, host);
}

/* The first line of the text report on stdout, before live progress. */
static void print_header(const struct report *r)
{
	char *text = report_render_header(r);

	if (text)
		print_progress(text, stdout);
	free(text);
}

int runcmd_main(int argc, char **argv, const char *version)
{
	struct run_args a;
	struct planned runs[2 * MAX_ITEMS + 16];
	struct outfile of = {NULL, NULL, -1};
	unsigned char hits[MAX_ITEMS + 1] = {0};
	size_t n = 0, nprof = 0;
	const struct profile *all = profile_all(&nprof);
	struct report *r = NULL;
	uint64_t t0 = uv_hrtime(); /* CLOCK_MONOTONIC, for the duration */
	int rc, progress;

	memset(&a, 0, sizeof(a));
	memset(runs, 0, sizeof(runs));
	if ((rc = parse_run_args(argc, argv, &a)) >= 0)
		return rc;
	for (size_t i = 0; i < (a.all ? nprof : a.nprofiles); i++) {
		runs[n].framing = a.all ? "line" : a.framing;
		runs[n++].prof = a.all ? &all[i] : profile_find(a.profiles[i]);
		if (a.all && all[i].chunk) { /* --all: both framings where there are two */
			runs[n].framing = "chunk";
			runs[n++].prof = &all[i];
		}
	}
	for (size_t i = 0; i < a.npaths; i++) {
		runs[n].framing = a.framing;
		runs[n++].path = a.paths[i];
	}
	for (size_t i = 0; i < n && rc < 0; i++)
		rc = plan_run(&runs[i], &a, hits);
	if (rc < 0)
		rc = check_setup(runs, n, &a, hits);
	if (rc < 0 && a.rerun)
		rc = select_failed(runs, n, a.rerun);
	if (rc < 0 && a.output)
		rc = out_open(&of, a.output);
	if (rc < 0 && (!(r = report_new(version)) || stamp_report(r, a.o.seed) < 0))
		rc = setup_error("", "out of memory");
	if (rc < 0) {
		a.o.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
		progress = a.format == REPORT_TEXT || a.output;
		a.o.progress = progress ? line_print : NULL;
		if (progress)
			print_header(r);
		rc = execute(r, runs, n, &a);
		report_set_duration(r, (uv_hrtime() - t0) / 1000000);
		if (write_report(r, &a, &of, progress) && rc == 0)
			rc = 1;
		if (rc == 0)
			rc = report_exit_status(r);
		if (a.worker && a.dead && rc == 1)
			rc = JOBS_DEAD_EXIT; /* tells the -j parent to start no more */
	}
	if (of.tmp) {
		(void)close(of.fd);
		(void)unlink(of.tmp);
		free(of.tmp);
	}
	for (size_t i = 0; i < n; i++) {
		run_set_free(&runs[i].set);
		free(runs[i].command);
	}
	report_free(r);
	return rc;
}
