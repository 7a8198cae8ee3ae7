/* SPDX-License-Identifier: MIT */
/*
 * Memory readings from /proc for echo-bench (see procmem.h). A process
 * group has no file of its own: its members are found by scanning
 * /proc/PID/stat for the group id, and each is read on its own.
 */
#define _GNU_SOURCE
#include "procmem.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCMEM_FILE_MAX 8192 /* status, stat and smaps_rollup are ~2 KiB */

/* Reads /proc/PID/NAME, NUL-terminated, into buf. Returns 0 or -errno. */
static int read_proc(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	size_t len = 0;
	ssize_t n;
	int fd, e = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return -e;
}

/* The number after "\nKEY:" (or KEY: at the start) in text, or 0. */
static unsigned long long field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *at = text;

	while (at && strncmp(at, key, klen) != 0) {
		at = strchr(at, '\n');
		at = at ? at + 1 : NULL;
	}
	return at ? strtoull(at + klen, NULL, 10) : 0;
}

/* Adds one process. Returns 0, 1 when it is gone, or -errno. */
static int add_process(pid_t pid, int full, struct procmem *out, char *buf)
{
	unsigned long long rss, threads;
	int rc = read_proc(pid, "status", buf, PROCMEM_FILE_MAX);

	if (rc < 0)
		return rc == -ENOENT || rc == -ESRCH ? 1 : rc;
	rss = field(buf, "VmRSS:");
	threads = field(buf, "Threads:");
	if (full) {
		rc = read_proc(pid, "smaps_rollup", buf, PROCMEM_FILE_MAX);
		if (rc < 0)
			return rc == -ENOENT || rc == -ESRCH ? 1 : rc;
		out->rss_kib += rss;
		out->pss_kib += field(buf, "Pss:");
	}
	out->threads += (unsigned)threads;
	out->procs++;
	return 0;
}

/* The process group of pid (from /proc/PID/stat), or -1 if it is gone. */
static pid_t group_of(pid_t pid, char *buf)
{
	const char *end;
	int pgrp;

	if (read_proc(pid, "stat", buf, PROCMEM_FILE_MAX) < 0)
		return -1;
	end = strrchr(buf, ')'); /* the command name may hold anything */
	if (!end || sscanf(end + 1, " %*c %*d %d", &pgrp) != 1)
		return -1;
	return (pid_t)pgrp;
}

static int read_group(pid_t pgid, int full, struct procmem *out, char *buf, char *err,
                      size_t errlen)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		snprintf(err, errlen, "opendir(/proc): %s", strerror(errno));
		return -1;
	}
	while (rc >= 0 && (errno = 0, de = readdir(dir)) != NULL) {
		pid_t pid;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (group_of(pid, buf) == pgid && (rc = add_process(pid, full, out, buf)) < 0)
			snprintf(err, errlen, "/proc/%d: %s", (int)pid, strerror(-rc));
	}
	if (rc >= 0 && errno != 0) {
		snprintf(err, errlen, "readdir(/proc): %s", strerror(errno));
		rc = -1;
	}
	closedir(dir);
	return rc < 0 ? -1 : 0;
}

int procmem_read(pid_t pid, int group, int full, struct procmem *out, char *err, size_t errlen)
{
	char *buf = malloc(PROCMEM_FILE_MAX);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!buf) {
		snprintf(err, errlen, "malloc: %s", strerror(ENOMEM));
		return -1;
	}
	if (group) {
		rc = read_group(pid, full, out, buf, err, errlen);
	} else {
		rc = add_process(pid, full, out, buf);
		if (rc != 0)
			snprintf(err, errlen, "/proc/%d: %s", (int)pid,
			         strerror(rc > 0 ? ESRCH : -rc));
		rc = rc != 0 ? -1 : 0;
	}
	free(buf);
	return rc;
}
