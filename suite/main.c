/* SPDX-License-Identifier: MIT */
/*
 * sockspec: the command line. `run` checks a server against case files
 * and reports verdicts (runcmd.c); `list` shows profiles and their
 * cases; `check` parses case files. Exit status: 0 all good, 1 a case
 * failed or errored (or none ran), 2 a usage, case-file or setup error,
 * 128 + N when signal N stopped a run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cases.h"
#include "net.h"
#include "parse.h"
#include "profile.h"
#include "runcmd.h"
#include "sweep.h"

#ifndef SOCKSPEC_VERSION
#define SOCKSPEC_VERSION "0.0.0"
#endif

/* One family of a suite and its count of cases. */
struct family_count {
	const char *name; /* the plan's family_name */
	size_t cases;
};

/* Adds p's family to the table fc (n used, at most max). */
static void count_family(const struct plan *p, struct family_count *fc, size_t *n, size_t max)
{
	size_t f;

	for (f = 0; f < *n && strcmp(fc[f].name, p->family_name) != 0; f++)
		;
	if (f == *n && *n == max)
		return;
	if (f == *n)
		fc[(*n)++] = (struct family_count){p->family_name, 0};
	fc[f].cases++;
}

/* The bundled families first, in their order, then own ones by name. */
static int by_taxonomy(const void *a, const void *b)
{
	const char *x = ((const struct family_count *)a)->name;
	const char *y = ((const struct family_count *)b)->name;
	enum plan_family fx = PLAN_FAMILY_OWN, fy = PLAN_FAMILY_OWN;

	(void)plan_family_parse(x, strlen(x), &fx);
	(void)plan_family_parse(y, strlen(y), &fy);
	return fx != fy ? (int)fx - (int)fy : strcmp(x, y);
}

/* sockspec list --cases DIR: the suite's families, each marked bundled
 * (one of the eight of LANGUAGE.md) or own, then its cases. */
static int cmd_list_cases(const char *path)
{
	struct case_set set;
	struct plan **plans;
	struct family_count fc[64];
	size_t nf = 0, k, bad = 0;
	char err[PARSE_ERR_MAX];

	if (cases_load(path, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	plans = calloc(set.n + 1, sizeof(*plans));
	if (plans == NULL) {
		fprintf(stderr, "sockspec: out of memory\n");
		cases_free(&set);
		return 2;
	}
	for (k = 0; k < set.n; k++) {
		if (parse_case_opts(set.files[k].name, set.files[k].data, set.files[k].len,
		                    PARSE_OWN_FAMILIES, &plans[k], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			bad = 1;
		} else {
			count_family(plans[k], fc, &nf, sizeof(fc) / sizeof(fc[0]));
		}
	}
	qsort(fc, nf, sizeof(fc[0]), by_taxonomy);
	printf("%-31s %5s  %s\n", "family", "cases", "taxonomy");
	for (k = 0; k < nf; k++) {
		enum plan_family f;
		printf("%-31s %5zu  %s\n", fc[k].name, fc[k].cases,
		       plan_family_parse(fc[k].name, strlen(fc[k].name), &f) == 0 ? "bundled"
		                                                                  : "own");
	}
	for (k = 0; k < set.n; k++)
		if (plans[k] != NULL)
			printf("%-44s %s\n", plans[k]->id, plans[k]->description);
	for (k = 0; k < set.n; k++)
		plan_free(plans[k]);
	free(plans);
	cases_free(&set);
	return bad ? 2 : 0;
}

static int cmd_list(int argc, char **argv)
{
	size_t n = 0;
	const struct profile *all = profile_all(&n), *only = NULL;
	struct case_set set;
	char err[PARSE_ERR_MAX];

	if (argc == 3 && strcmp(argv[1], "--profile") == 0 && !(only = profile_find(argv[2])))
		return runcmd_usage_error("unknown profile \"%s\"", argv[2]);
	if (argc == 3 && strcmp(argv[1], "--cases") == 0)
		return cmd_list_cases(argv[2]);
	if (argc != 1 && !only)
		return runcmd_usage_error("%s",
		                          "usage: sockspec list [--profile NAME | --cases DIR]");
	for (size_t i = 0; i < n; i++) {
		if (only && only != &all[i])
			continue;
		if (cases_embedded(all[i].name, &set) < 0)
			return 1;
		if (!only && i == 0)
			printf("%-15s %-9s %-11s %5s  %s\n", "profile", "seed", "framing", "cases",
			       "what it checks");
		if (!only)
			printf("%-15s %-9s %-11s %5zu  %s\n", all[i].name, all[i].seeds,
			       all[i].chunk                    ? "line, chunk"
			       : all[i].socktype == SOCK_DGRAM ? "datagram"
			                                       : "stream",
			       set.n, all[i].summary);
		if (only)
			printf("%s (seed %s): %s; %zu cases\n", all[i].name, all[i].seeds,
			       all[i].summary, set.n);
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
		return runcmd_usage_error("%s", "usage: sockspec check FILE...");
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
			if (parse_case_opts(set.files[k].name, set.files[k].data, set.files[k].len,
			                    PARSE_OWN_FAMILIES, &p, err, sizeof(err)) < 0) {
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
		fputs(runcmd_usage, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("sockspec %s\n", SOCKSPEC_VERSION);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "run") == 0) {
		/* Whatever a target starts, setsid() and double forks included,
		 * stays our descendant, so that the run can stop it. */
		int rc = sweep_adopt();
		if (rc < 0)
			fprintf(stderr, "sockspec: prctl(PR_SET_CHILD_SUBREAPER): %s\n",
			        strerror(-rc));
		return runcmd_main(argc - 1, argv + 1, SOCKSPEC_VERSION);
	}
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (argc < 2)
		return runcmd_usage_error("%s", "missing command: run, list or check");
	return runcmd_usage_error("unknown command \"%s\": expected run, list or check", argv[1]);
}
