/* SPDX-License-Identifier: MIT */
/*
 * opts: sockspec-fuzz's own options, taken out of argv before libFuzzer
 * reads its flags (libFuzzer's start with one dash: -runs=N).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmdline.h"
#include "live.h"

static const char usage[] =
    "usage: sockspec-fuzz --profile NAME [--target 'CMD {addr}' | --connect ADDR]\n"
    "                     [--timeout-ms N] [--ipv6 | --unix] [libFuzzer flags] [CORPUS_DIR...]\n"
    "       sockspec-fuzz --profile NAME --minimize-to-case FILE ARTIFACT\n"
    "\n"
    "Fuzzes a live server over loopback: each input is a schedule over one to four\n"
    "connections (writes cut into pieces, waits, half-closes, resets), and the\n"
    "replies must be the ones the profile's reference handler gives.\n"
    "\n"
    "  --profile NAME       echo-once, echo-iterative, echo-threaded, udp-echo, hello,\n"
    "                       timestamp, timestamp-udp, accept-close, ok-iterative, ok-threaded\n"
    "  --target 'CMD'       start the server with CMD ({port}, {host}, {addr}, {unix},\n"
    "                       {bin}, {framing} (line) filled in, as for sockspec run);\n"
    "                       restarted only\n"
    "                       when it dies, or after each connection of a once profile.\n"
    "                       Default: the profile's reference server (hello: --delay 0)\n"
    "  --connect ADDR       fuzz a server that is already listening (no crash,\n"
    "                       exit-status or resource oracle then)\n"
    "  --timeout-ms N       how long a reply owed may take (default 1000)\n"
    "  --ipv6, --unix       start the target on [::1] or a Unix socket (default 127.0.0.1)\n"
    "  --quiet              a finding's report leaves out the schedule\n"
    "  --minimize-to-case FILE ARTIFACT\n"
    "                       write the schedule of a crash artifact as a case file for\n"
    "                       `sockspec run --cases`, with the reference's replies as its\n"
    "                       expectations; run libFuzzer's -minimize_crash=1 first\n"
    "  --help               this text; libFuzzer's own flags: -help=1\n"
    "\n"
    "A finding (the target died, a reply differs from the reference, a reply owed\n"
    "did not come, fds or threads grew) ends the run with a libFuzzer crash\n"
    "artifact (-artifact_prefix is honoured) and a non-zero status; 0 when the\n"
    "time or run budget ends without one.\n";

const char *live_usage(void)
{
	return usage;
}

/* The value of option `name` at argv[*i]: "--name=V" or "--name V". */
static const char *value_of(int argc, char **argv, int *i, const char *name, int *bad)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = 1;
		return NULL;
	}
	return argv[++*i];
}

static int fail(char *err, size_t errlen, const char *what, const char *arg)
{
	snprintf(err, errlen, what, arg);
	return -1;
}

static int take(struct live_opts *o, int argc, char **argv, int *i, char *err, size_t errlen,
                const char **target)
{
	const char *v;
	char *end;
	int bad = 0;

	if ((v = value_of(argc, argv, i, "--profile", &bad))) {
		o->profile = model_profile_find(v);
		if (!o->profile)
			return fail(err, errlen,
			            "--profile: no profile \"%s\"; sockspec-fuzz --help lists them",
			            v);
	} else if ((v = value_of(argc, argv, i, "--target", &bad))) {
		*target = v;
	} else if ((v = value_of(argc, argv, i, "--connect", &bad))) {
		o->connect = v;
	} else if ((v = value_of(argc, argv, i, "--timeout-ms", &bad))) {
		unsigned long ms = strtoul(v, &end, 10);

		if (*v < '0' || *v > '9' || *end || ms < 1 || ms > 600000)
			return fail(err, errlen, "--timeout-ms: expected 1 to 600000, got \"%s\"",
			            v);
		o->timeout_ms = ms;
	} else if ((v = value_of(argc, argv, i, "--minimize-to-case", &bad))) {
		o->case_out = v;
		if (*i + 1 >= argc)
			return fail(err, errlen, "%s: expected FILE ARTIFACT",
			            "--minimize-to-case");
		o->artifact = argv[++*i];
	} else if (strcmp(argv[*i], "--ipv6") == 0) {
		o->family = AF_INET6;
	} else if (strcmp(argv[*i], "--unix") == 0) {
		o->family = AF_UNIX;
	} else if (strcmp(argv[*i], "--quiet") == 0) {
		o->quiet = 1;
	} else if (bad) {
		return fail(err, errlen, "%s: expected a value", argv[*i]);
	} else {
		return fail(err, errlen, "unknown option \"%s\"; sockspec-fuzz --help lists them",
		            argv[*i]);
	}
	return bad ? fail(err, errlen, "%s: expected a value", argv[*i]) : 0;
}

/* The command to start: --target or the profile's reference, {bin} filled in. */
static int make_command(struct live_opts *o, const char *target, char *err, size_t errlen)
{
	char *bin, *tmp;

	if (o->connect) {
		if (target)
			return fail(err, errlen, "%s", "--target and --connect exclude each other");
		if (o->profile->mode == SCHED_ONCE)
			return fail(err, errlen,
			            "--connect: profile %s serves one connection and exits; "
			            "give --target so it can be restarted",
			            o->profile->name);
		return 0;
	}
	bin = target_bin_dir();
	tmp = bin ? cmdline_substitute(target ? target : o->profile->command, "{bin}", bin) : NULL;
	o->command = tmp ? cmdline_substitute(tmp, "{framing}", "line") : NULL;
	free(tmp);
	free(bin);
	return o->command ? 0 : fail(err, errlen, "%s", "out of memory");
}

int live_opts_parse(int *argc, char ***argv, struct live_opts *o, char *err, size_t errlen)
{
	char **av = *argv;
	const char *target = NULL;
	int i, out = 1;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = LIVE_TIMEOUT_MS;
	o->family = AF_INET;
	for (i = 1; i < *argc; i++) {
		if (strcmp(av[i], "--help") == 0 || strcmp(av[i], "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (strncmp(av[i], "-artifact_prefix=", 17) == 0)
			o->artifact_prefix = av[i] + 17;
		if (av[i][0] != '-' && !o->corpus)
			o->corpus = av[i];
		if (strncmp(av[i], "--", 2) != 0 || strcmp(av[i], "--") == 0) {
			av[out++] = av[i]; /* libFuzzer's */
			continue;
		}
		if (take(o, *argc, av, &i, err, errlen, &target) < 0)
			return -1;
	}
	av[out] = NULL;
	*argc = out;
	if (!o->profile)
		return fail(err, errlen, "%s",
		            "--profile NAME is required; sockspec-fuzz --help says more");
	return o->case_out ? 0 : make_command(o, target, err, errlen);
}
