/* SPDX-License-Identifier: MIT */
/* Embedded and on-disk case files (see cases.h). */
#define _GNU_SOURCE
#include "cases.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES_FILE_MAX (16 * 1024 * 1024) /* a case file larger than this is refused */

static int add(struct case_set *s, const char *name, const uint8_t *data, size_t len)
{
	struct case_file *grown = realloc(s->files, (s->n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	s->files = grown;
	grown[s->n].name = strdup(name);
	grown[s->n].data = malloc(len ? len : 1);
	grown[s->n].len = len;
	if (!grown[s->n].name || !grown[s->n].data) {
		free(grown[s->n].name);
		free(grown[s->n].data);
		return -1;
	}
	memcpy(grown[s->n].data, data, len);
	s->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct case_file *)a)->name, ((const struct case_file *)b)->name);
}

int cases_embedded(const char *profile, struct case_set *out)
{
	size_t plen = strlen(profile);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < embedded_case_count; i++) {
		const struct embedded_case *e = &embedded_cases[i];
		if (strncmp(e->path, profile, plen) != 0 || e->path[plen] != '/')
			continue;
		if (add(out, e->path, e->data, e->len) < 0) {
			cases_free(out);
			return -1;
		}
	}
	if (out->n > 1)
		qsort(out->files, out->n, sizeof(*out->files), by_name);
	return 0;
}

static int read_file(const char *path, struct case_set *out, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t n = 0;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "open(%s): %s", path, strerror(errno));
		goto done;
	}
	if (st.st_size > CASES_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CASES_FILE_MAX);
		goto done;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (
	    buf && got < (size_t)st.st_size &&
	    ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	if (!buf || n < 0) {
		snprintf(err, errlen, "read(%s): %s", path,
		         buf ? strerror(errno) : "out of memory");
		goto done;
	}
	rc = add(out, path, buf, got);
	if (rc < 0)
		snprintf(err, errlen, "%s: out of memory", path);
done:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int walk(const char *dir, struct case_set *out, int depth, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int rc = 0;

	if (!d) {
		snprintf(err, errlen, "opendir(%s): %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (ent = readdir(d))) {
		char *path;
		struct stat st;
		size_t n = strlen(ent->d_name);
		if (ent->d_name[0] == '.' || asprintf(&path, "%s/%s", dir, ent->d_name) < 0)
			continue;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && depth < 8)
			rc = walk(path, out, depth + 1, err, errlen);
		else if (n > 5 && strcmp(ent->d_name + n - 5, ".case") == 0)
			rc = read_file(path, out, err, errlen);
		free(path);
	}
	closedir(d);
	return rc;
}

int cases_load(const char *path, struct case_set *out, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "stat(%s): %s", path, strerror(errno));
		return -1;
	}
	rc = S_ISDIR(st.st_mode) ? walk(path, out, 0, err, errlen)
	                         : read_file(path, out, err, errlen);
	if (rc == 0 && out->n == 0) {
		snprintf(err, errlen, "%s: no .case files found", path);
		rc = -1;
	}
	if (rc < 0) {
		cases_free(out);
		return -1;
	}
	if (out->n > 1)
		qsort(out->files, out->n, sizeof(*out->files), by_name);
	out->own = 1;
	return 0;
}

void cases_free(struct case_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].name);
		free(s->files[i].data);
	}
	free(s->files);
	memset(s, 0, sizeof(*s));
}
