/* SPDX-License-Identifier: MIT */
/*
 * The reference servers' directory (bindir.h): the pure path arithmetic,
 * then the lookup from /proc/self/exe that the runner and the live fuzzer
 * use (target_bin_dir) and the setup check that names both places when
 * a reference server is in neither (target_check_reference).
 */
#define _GNU_SOURCE /* asprintf */
#include "bindir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "target.h"

/* ---- pure ---- */

/* Appends the segments of path to out (which holds an absolute,
 * normalised path without a trailing slash, "" for the root), resolving
 * "." and ".." as text. out has room for strlen(out) + strlen(path) + 2. */
static void append_segments(char *out, const char *path)
{
	const char *seg = path, *end;
	size_t len;

	for (; *seg; seg = *end ? end + 1 : end) {
		end = strchr(seg, '/');
		if (!end)
			end = seg + strlen(seg);
		len = (size_t)(end - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			char *slash = strrchr(out, '/');
			if (slash)
				*slash = '\0'; /* "/x" -> "", the root: never above it */
			continue;
		}
		strcat(out, "/");
		strncat(out, seg, len);
	}
}

int bindir_places(const char *exe, const char *rel, struct bindir_places *out)
{
	size_t cap = strlen(exe) + strlen(rel) + 3;

	out->libexec = out->exe_dir = NULL;
	if (exe[0] != '/')
		return -EINVAL;
	out->exe_dir = calloc(1, cap);
	out->libexec = calloc(1, cap);
	if (!out->exe_dir || !out->libexec) {
		bindir_places_free(out);
		return -ENOMEM;
	}
	append_segments(out->exe_dir, exe);
	if (!strrchr(out->exe_dir, '/')) { /* "/", "/.": no binary named */
		bindir_places_free(out);
		return -EINVAL;
	}
	*strrchr(out->exe_dir, '/') = '\0'; /* the binary's name */
	strcpy(out->libexec, out->exe_dir);
	if (rel[0] == '/')
		out->libexec[0] = '\0';
	append_segments(out->libexec, rel);
	if (!out->exe_dir[0])
		strcpy(out->exe_dir, "/");
	if (!out->libexec[0])
		strcpy(out->libexec, "/");
	return 0;
}

void bindir_places_free(struct bindir_places *p)
{
	free(p->libexec);
	free(p->exe_dir);
	p->libexec = p->exe_dir = NULL;
}

/* ---- the running binary ---- */

static int runtime_places(struct bindir_places *p)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	return bindir_places(exe, SOCKSPEC_LIBEXEC_REL, p);
}

/* 1 when path is a file we may execute. */
static int runnable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* 1 when dir/name is a file we may execute. */
static int runnable_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path) &&
	       runnable(path);
}

char *target_bin_dir(void)
{
	struct bindir_places p;
	const char *dir;
	char *q = NULL;
	int rc = runtime_places(&p);

	if (rc == -ENOMEM)
		return NULL;
	if (rc < 0)
		return strdup("'.'");
	dir = runnable_in(p.libexec, BINDIR_MARKER) ? p.libexec : p.exe_dir;
	if (strchr(dir, '\''))
		q = strdup("'.'");
	else if (asprintf(&q, "'%s'", dir) < 0)
		q = NULL;
	bindir_places_free(&p);
	return q;
}

int target_check_reference(const char *command, char *err, size_t errlen)
{
	struct bindir_places p = {NULL, NULL};
	struct cmdline c;
	const char *name;
	char msg[TARGET_ERR_MAX];
	int rc;

	if (cmdline_split(command, &c, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "reference command \"%s\": %s", command, msg);
		return -1;
	}
	if (c.n == 0 || runnable(c.words[0])) {
		cmdline_free(&c); /* empty: target_check_command() says so */
		return 0;
	}
	name = strrchr(c.words[0], '/') ? strrchr(c.words[0], '/') + 1 : c.words[0];
	rc = runtime_places(&p);
	if (rc < 0)
		snprintf(err, errlen, "no reference server %s: cannot execute %s", name,
		         c.words[0]);
	else
		snprintf(err, errlen, "no reference server %s in %s or %s", name, p.libexec,
		         p.exe_dir);
	bindir_places_free(&p);
	cmdline_free(&c);
	return -1;
}
