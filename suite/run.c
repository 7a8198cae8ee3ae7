/* SPDX-License-Identifier: MIT */
/*
 * The per-run loop (see run.h). Every case gets a fresh target instance
 * on a fresh port, so one case's crash or leftovers cannot decide
 * another's verdict. A target that never becomes ready is reported once;
 * the cases after it end as errors at once instead of each waiting out
 * its own readiness timeout.
 */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "engine.h"
#include "parse.h"
#include "target.h"

struct waiter {
	int done;   /* callback arrived */
	int status; /* its status */
};

static void on_done(struct target *t, int status, void *arg)
{
	struct waiter *w = arg;

	(void)t;
	w->done = 1;
	w->status = status;
}

/* Runs the loop until the operation's callback has arrived. */
static int wait_for(uv_loop_t *loop, struct waiter *w)
{
	while (!w->done)
		uv_run(loop, UV_RUN_ONCE);
	return w->status;
}

static int selected(const struct plan *p, const struct run_opts *o)
{
	int any = 0, hit = 0;

	for (const char *const *g = o->only; g && *g; g++) {
		any = 1;
		hit |= fnmatch(*g, p->id, 0) == 0;
	}
	if (any && !hit)
		return 0;
	for (const char *const *g = o->exclude; g && *g; g++)
		if (fnmatch(*g, p->id, 0) == 0)
			return 0;
	return 1;
}

/* Why p does not apply to this run, or NULL. */
static const char *skip_reason(const struct plan *p, const struct run_opts *o, struct target *t)
{
	if ((p->requires & PLAN_REQ_LAUNCHED) && !target_launched(t))
		return "needs a launched target: --connect cannot restart, signal or inspect it";
	if (p->framing == PLAN_FRAMING_LINE && strcmp(o->framing, "line") != 0)
		return "requires framing line";
	if (p->framing == PLAN_FRAMING_CHUNK && strcmp(o->framing, "chunk") != 0)
		return "requires framing chunk";
	return NULL;
}

/* Last `lines` lines of the target's stderr and stdout, for a failure. */
static char *target_output(struct target *t)
{
	size_t elen = 0, olen = 0;
	const char *e = target_stderr(t, &elen), *o = target_stdout(t, &olen);
	char *text = NULL;

	if (!target_launched(t))
		return strdup("");
	if (asprintf(&text, "%s%.*s%s%.*s", elen ? "[stderr]\n" : "", (int)elen, e,
	             olen ? "[stdout]\n" : "", (int)olen, o) < 0)
		return NULL;
	return text;
}

static const char *start_error(int status)
{
	switch (status) {
	case -ETIMEDOUT:
		return "the target did not become ready in time";
	case -ECHILD:
		return "the target exited before it was ready";
	default:
		return strerror(-status);
	}
}

struct run_state {
	struct report_run *run;   /* where verdicts go */
	const struct run_opts *o; /* options */
	uv_loop_t *loop;          /* the run's loop */
	struct target *target;    /* the server under test */
	char *dead;               /* set once the target could not start */
};

static void emit(struct run_state *st, const struct report_case *c)
{
	char *text;

	if (!st->o->progress ||
	    !(text = report_render_case(st->run, c, st->o->color, st->o->verbose)))
		return;
	st->o->progress(text, st->o->progress_arg);
	free(text);
}

static void one_case(struct run_state *st, const struct plan *p, const char *file)
{
	const char *fam = plan_family_name(p->family), *why = skip_reason(p, st->o, st->target);
	struct engine_env env = {.loop = st->loop,
	                         .target = st->target,
	                         .file = file,
	                         .transport = PLAN_TRANSPORT_TCP,
	                         .timeout_scale = st->o->timeout_scale,
	                         .seed = st->o->seed};
	struct engine_result res = {0};
	struct waiter w = {0, 0};
	const struct report_case *c;
	char *out = NULL, *msg = NULL;
	int rc;

	if (why || st->dead) {
		c = report_add_case(st->run, p->id, fam, p->description,
		                    why ? VERDICT_SKIP : VERDICT_ERROR, 0, why ? why : st->dead,
		                    file, 0, "", "");
		if (c)
			emit(st, c);
		return;
	}
	rc = target_start(st->target, on_done, &w);
	if (rc == 0)
		rc = wait_for(st->loop, &w);
	if (rc < 0) {
		out = target_output(st->target);
		if (asprintf(&msg, "%s: %s (%s)", file, start_error(rc),
		             target_describe(st->target)) < 0)
			msg = NULL;
		st->dead = strdup("not run: the target never became ready (see the first error)");
		c = report_add_case(st->run, p->id, fam, p->description, VERDICT_ERROR, 0,
		                    msg ? msg : "target start failed", file, 0, "", out ? out : "");
	} else {
		env.transport = addr_family(target_addr(st->target)) == AF_UNIX
		                    ? PLAN_TRANSPORT_UNIX
		                : st->o->socktype == SOCK_DGRAM ? PLAN_TRANSPORT_UDP
		                                                : PLAN_TRANSPORT_TCP;
		rc = engine_run(p, &env, &res);
		w.done = 0;
		if (target_stop(st->target, on_done, &w) == 0)
			wait_for(st->loop, &w);
		if (rc == 0 && res.verdict != VERDICT_PASS)
			out = target_output(st->target);
		c = rc < 0 ? report_add_case(st->run, p->id, fam, p->description, VERDICT_ERROR, 0,
		                             "out of memory", file, 0, "", "")
		           : report_add_case(
		                 st->run, p->id, fam, p->description, res.verdict, res.duration_ms,
		                 res.message, file, res.line,
		                 res.verdict != VERDICT_PASS || st->o->verbose ? res.timeline : "",
		                 out ? out : "");
	}
	if (c)
		emit(st, c);
	engine_result_free(&res);
	free(out);
	free(msg);
}

/* Parses every file first: a broken case file stops the run before any
 * target is started. */
static int parse_all(const struct case_set *set, struct plan ***plans, char *err, size_t errlen)
{
	*plans = calloc(set->n + 1, sizeof(**plans));
	if (!*plans) {
		snprintf(err, errlen, "out of memory");
		return RUN_FAILED;
	}
	for (size_t i = 0; i < set->n; i++)
		if (parse_case(set->files[i].name, set->files[i].data, set->files[i].len,
		               &(*plans)[i], err, errlen) < 0)
			return RUN_BAD_CASES;
	return RUN_OK;
}

static void free_plans(struct plan **plans, size_t n)
{
	for (size_t i = 0; plans && i < n; i++)
		plan_free(plans[i]);
	free(plans);
}

int run_cases(struct report *r, const struct case_set *set, const struct run_opts *o, char *err,
              size_t errlen)
{
	struct target_cfg tc = {o->command, o->connect,       o->socktype,
	                        o->family,  o->timeout_scale, 0};
	struct run_state st = {NULL, o, NULL, NULL, NULL};
	struct plan **plans = NULL;
	uv_loop_t loop;
	int rc = parse_all(set, &plans, err, errlen);

	if (rc != RUN_OK) {
		free_plans(plans, set->n);
		return rc;
	}
	if (uv_loop_init(&loop) < 0) {
		free_plans(plans, set->n);
		snprintf(err, errlen, "uv_loop_init failed");
		return RUN_FAILED;
	}
	st.loop = &loop;
	if (target_new(&loop, &tc, &st.target, err, errlen) < 0) {
		rc = RUN_FAILED;
		goto done;
	}
	st.run = report_add_run(r, o->name, target_describe(st.target), o->framing);
	if (st.run && o->progress) {
		char *head = NULL;
		if (asprintf(&head, "== %s (%s framing): %s\n", o->name, o->framing,
		             target_describe(st.target)) >= 0)
			o->progress(head, o->progress_arg);
		free(head);
	}
	for (size_t i = 0; st.run && i < set->n; i++)
		if (selected(plans[i], o))
			one_case(&st, plans[i], set->files[i].name);
	if (!st.run) {
		snprintf(err, errlen, "out of memory");
		rc = RUN_FAILED;
	}
	target_free(st.target);
done:
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free_plans(plans, set->n);
	free(st.dead);
	return rc;
}
