/* SPDX-License-Identifier: MIT */
/* --rerun-failed, the notes under the summary, a -j worker's command
 * line (see runctl.h). */
#define _GNU_SOURCE
#include "runctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rerun.h"

/* The bytes of a file (malloc'd, *len), or NULL with err filled. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rbe");
	char *text = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (*len + 4096 > cap) {
			char *grown = realloc(text, cap = 2 * cap + 4096);
			if (!grown) {
				snprintf(err, errlen, "out of memory");
				free(text);
				text = NULL;
				break;
			}
			text = grown;
		}
		n = fread(text + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (text && ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

int runctl_select_failed(struct runctl_run *runs, size_t n, const char *path, char *err,
                         size_t errlen)
{
	struct rerun_set fs;
	char why[512];
	size_t len = 0, left = 0;
	char *text = read_file(path, &len, why, sizeof(why));

	if (!text) {
		snprintf(err, errlen, "%s", why);
		return RUNCTL_BAD;
	}
	if (rerun_parse(text, len, &fs, why, sizeof(why)) < 0) {
		free(text);
		snprintf(err, errlen, "%s: %s", path, why);
		return RUNCTL_BAD;
	}
	free(text);
	if (fs.failed == 0) {
		snprintf(err, errlen, "nothing to rerun: no case failed or errored in %s", path);
		rerun_free(&fs);
		return RUNCTL_NOTHING;
	}
	for (size_t i = 0; i < n; i++) {
		struct run_set *rs = runs[i].set;
		for (size_t c = 0; c < rs->files.n; c++) {
			rs->selected[c] &=
			    rerun_wanted(&fs, runs[i].name, runs[i].framing, rs->plans[c]->id);
			left += !runs[i].idle && rs->selected[c];
		}
	}
	snprintf(err, errlen,
	         "none of the %zu failed cases of %s is in this selection (another profile, "
	         "framing or --case?)",
	         fs.failed, path);
	rerun_free(&fs);
	return left ? RUNCTL_GO : RUNCTL_BAD;
}

void runctl_notes(const struct report *r, int halted, unsigned repeat, struct strbuf *sb)
{
	if (halted)
		strbuf_puts(sb, "stopped after the first failure (-x): the cases after it did not "
		                "run\n");
	for (size_t i = 0; repeat > 1 && i < r->nruns; i++) {
		const struct report_run *run = &r->runs[i];
		for (size_t c = 0, end; c < run->ncases; c = end) {
			size_t len = rerun_base_len(run->cases[c].id);
			unsigned pass = 0, failed = 0;
			for (end = c;
			     end < run->ncases && rerun_base_len(run->cases[end].id) == len &&
			     memcmp(run->cases[end].id, run->cases[c].id, len) == 0;
			     end++) {
				pass += run->cases[end].verdict == VERDICT_PASS;
				failed += report_verdict_failed(run->cases[end].verdict);
			}
			if (pass && failed)
				strbuf_printf(sb, "flaky: %s %.*s: passed %u of %zu attempts\n",
				              run->profile, (int)len, run->cases[c].id, pass,
				              end - c);
		}
	}
}

void runctl_worker_line(struct runctl_worker *w, const char *name, int profile, const char *framing,
                        const struct run_opts *o, const char *target)
{
	size_t n = 0;

	snprintf(w->scale, sizeof(w->scale), "%.17g", o->timeout_scale);
	snprintf(w->seed, sizeof(w->seed), "%llu", (unsigned long long)o->seed);
	snprintf(w->pid, sizeof(w->pid), "%ld", (long)getpid());
	w->argv[n++] = "/proc/self/exe"; /* this very binary, wherever it was started from */
	w->argv[n++] = "run";
	w->argv[n++] = profile ? "--profile" : "--cases";
	w->argv[n++] = name;
	w->argv[n++] = "--framing";
	w->argv[n++] = framing;
	w->argv[n++] = "--format";
	w->argv[n++] = "json";
	w->argv[n++] = "--timeout-scale";
	w->argv[n++] = w->scale;
	w->argv[n++] = "--seed";
	w->argv[n++] = w->seed;
	if (o->family != AF_INET)
		w->argv[n++] = o->family == AF_INET6 ? "--ipv6" : "--unix";
	if (target) {
		w->argv[n++] = "--target";
		w->argv[n++] = target;
	}
	w->argv[n++] = "--worker";
	w->argv[n++] = w->pid;
	w->argv[n] = NULL;
}
