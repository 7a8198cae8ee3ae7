/* SPDX-License-Identifier: MIT */
/*
 * live: sockspec-fuzz's libFuzzer entry points. LLVMFuzzerInitialize()
 * takes the options, starts the target with the runner's own target
 * code (suite/target) and a reaper that kills it if this process dies
 * without cleaning up (libFuzzer ends with _Exit on a crash or timeout).
 * LLVMFuzzerTestOneInput() plays one schedule (play.c) and keeps the
 * target running for the next. libFuzzer gives no context pointer, so
 * the run state is the one mutable global, and the extra counters the
 * replies feed live in libFuzzer's section (play.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "play.h"
#include "strbuf.h"
#include "tocase.h"

static struct live_run *live_state;

/* Reads a whole file (at most 1 MiB) into *out. Returns its length or -1. */
static long read_all(const char *path, uint8_t **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1u << 20);
	size_t n = 0;

	if (!f || !buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	n = fread(buf, 1, 1u << 20, f);
	if (ferror(f)) {
		snprintf(err, errlen, "read %s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	*out = buf;
	return (long)n;
fail:
	if (f)
		fclose(f);
	free(buf);
	return -1;
}

int live_write_case(const struct live_opts *o, char *err, size_t errlen)
{
	struct sched_cfg cfg = {.mode = o->profile->mode,
	                        .datagrams = o->profile->framing == PROTO_FRAMING_DATAGRAM};
	const char *slash = strrchr(o->artifact, '/');
	struct tocase_info info = {.origin = slash ? slash + 1 : o->artifact};
	struct strbuf sb = {0};
	struct sched *s = malloc(sizeof(*s));
	uint8_t *data = NULL;
	long len = s ? read_all(o->artifact, &data, err, errlen) : -1;
	uint32_t h = 2166136261u;
	char name[32];
	FILE *f = NULL;
	int rc = -1;

	if (len < 0)
		goto out;
	for (long i = 0; i < len; i++)
		h = (h ^ data[i]) * 16777619u;
	snprintf(name, sizeof(name), "fuzz-%08x", h);
	info.name = name;
	sched_decode(&cfg, data, (size_t)len, s);
	if (tocase_write(o->profile, s, &info, &sb) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	f = strcmp(o->case_out, "-") == 0 ? stdout : fopen(o->case_out, "w");
	if (!f || fputs(strbuf_text(&sb), f) < 0 || (f != stdout && fclose(f) != 0)) {
		snprintf(err, errlen, "write %s: %s", o->case_out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&sb);
	free(data);
	free(s);
	return rc;
}

/* A child that waits for this process to die (EOF on the pipe) and then
 * SIGKILLs the last target process group it was told about. Returns the
 * pipe's write end, or -1. */
static int reaper_start(void)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int32_t group = 0, got;
		ssize_t n;

		signal(SIGINT, SIG_IGN); /* a terminal's ^C reaches the whole job */
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN); /* it ends when the pipe does */
		close(fds[1]);
		while ((n = read(fds[0], &got, sizeof(got))) != 0) {
			if (n == (ssize_t)sizeof(got))
				group = got;
			else if (n < 0 && errno != EINTR)
				break;
		}
		if (group > 0)
			kill(-group, SIGKILL);
		_exit(0);
	}
	close(fds[0]);
	return fds[1];
}

/* An empty (or missing) corpus directory gets the seed schedules. */
static int plant_seeds(const char *dir, char *err, size_t errlen)
{
	uint8_t buf[8192];
	char path[4096];
	struct dirent *e;
	DIR *d;
	size_t i, n;
	struct stat st;

	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return 0; /* an input to run, not a corpus */
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno)), -1;
	d = opendir(dir);
	if (!d)
		return snprintf(err, errlen, "opendir %s: %s", dir, strerror(errno)), -1;
	while ((e = readdir(d)) && e->d_name[0] == '.')
		;
	closedir(d);
	if (e)
		return 0; /* not empty: the user's corpus */
	for (i = 0; (n = sched_seed(i, buf, sizeof(buf))) > 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%02zu", dir, i);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0)
			return snprintf(err, errlen, "write %s: %s", path, strerror(errno)), -1;
	}
	return 0;
}

static void kill_target_at_exit(void)
{
	if (!live_state)
		return;
	play_kill_target(live_state);
	fprintf(stderr, "sockspec-fuzz: %llu inputs, %llu connections\n",
	        (unsigned long long)live_state->inputs, (unsigned long long)live_state->opened);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct live_run run;
	char err[512], addr[ADDR_TEXT_MAX];
	int rc = live_opts_parse(argc, argv, &run.o, err, sizeof(err));

	if (rc == 1)
		exit(0);
	if (rc < 0) {
		fprintf(stderr, "sockspec-fuzz: %s\n", err);
		exit(2);
	}
	if (run.o.case_out) {
		if (live_write_case(&run.o, err, sizeof(err)) < 0) {
			fprintf(stderr, "sockspec-fuzz: %s\n", err);
			exit(1);
		}
		exit(0);
	}
	if (run.o.corpus && plant_seeds(run.o.corpus, err, sizeof(err)) < 0) {
		fprintf(stderr, "sockspec-fuzz: %s\n", err);
		exit(1);
	}
	/* Every input allocates and frees buffers of a few KiB: keep the
	 * heap, rather than return it to the kernel after each input. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	signal(SIGPIPE, SIG_IGN);
	run.reaper_fd = run.o.command ? reaper_start() : -1;
	if (run.o.command && run.reaper_fd < 0) {
		fprintf(stderr, "sockspec-fuzz: pipe2/fork (the reaper): %s\n", strerror(errno));
		exit(1);
	}
	if (play_init(&run, err, sizeof(err)) < 0) {
		fprintf(stderr, "sockspec-fuzz: %s\n", err);
		exit(1);
	}
	live_state = &run;
	atexit(kill_target_at_exit);
	fprintf(stderr, "sockspec-fuzz: fuzzing %s at %s (%s)\n", run.o.profile->name,
	        play_address(&run, addr, sizeof(addr)), target_describe(run.target));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	play_input(live_state, data, size);
	return 0;
}
