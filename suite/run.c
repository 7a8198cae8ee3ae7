/* SPDX-License-Identifier: MIT */
/*
 * The per-run loop (see run.h). Every case gets a fresh target instance
 * on a fresh port, so one case's crash or leftovers cannot decide
 * another's verdict. A target that never becomes ready is reported once;
 * the cases after it end as errors at once instead of each waiting out
 * its own readiness timeout. Waiting is done in one place, wait_for(),
 * which always has a deadline timer armed: the loop cannot block past it.
 */
#define _GNU_SOURCE
#include "run.h"

#include <assert.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "engine.h"
#include "jobs.h"
#include "parse.h"
#include "scale.h"
#include "sweep.h"
#include "target.h"

struct run_state {
	struct report_run *run;   /* where verdicts go */
	const struct run_opts *o; /* options */
	uv_loop_t *loop;          /* the run's loop */
	struct target *target;    /* the server under test */
	uv_timer_t timer;         /* the deadline of the current wait */
	int expired;              /* it passed */
	int timer_closed;         /* the timer's close callback ran */
	struct engine_env env;    /* the case the engine runs, for an abort */
	char *dead;               /* set once the target cannot be used any more */
	uv_poll_t gate;           /* a -j worker's gate (o->gate_fd), when it has one */
	int gate_got;             /* the gate: 1 the go came, -1 its end (or an error) */
	int gate_closed;          /* its close callback ran (or it was never opened) */
};

/* One awaited target callback. */
struct waiter {
	uv_loop_t *loop; /* stopped when the callback comes */
	int done;        /* it came */
	int status;      /* with this status */
};

static void on_done(struct target *t, int status, void *arg)
{
	struct waiter *w = arg;

	(void)t;
	w->done = 1;
	w->status = status;
	uv_stop(w->loop);
}

static void on_wait_timer(uv_timer_t *h)
{
	struct run_state *st = h->data;

	st->expired = 1;
	uv_stop(st->loop);
}

/* Runs the loop until w's callback came (its status), the deadline
 * (uv_now() time) passed (-ETIMEDOUT) or, when interruptible, the guard
 * stopped the run (-EINTR). */
static int wait_for(struct run_state *st, struct waiter *w, uint64_t deadline, int interruptible)
{
	uint64_t now;

	uv_update_time(st->loop);
	now = uv_now(st->loop);
	st->expired = 0;
	(void)uv_timer_start(&st->timer, on_wait_timer, deadline > now ? deadline - now : 0, 0);
	while (!w->done && !st->expired && !(interruptible && guard_stopped(st->o->guard)))
		uv_run(st->loop, UV_RUN_DEFAULT);
	(void)uv_timer_stop(&st->timer);
	if (w->done)
		return w->status;
	return st->expired ? -ETIMEDOUT : -EINTR;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct run_state *st = h->data;

	st->timer_closed = 1;
}

/* One byte to the -j parent on the gate; 0 or -1 (it is gone). */
static int say_gate(int fd, char byte)
{
	ssize_t n;

	do
		n = send(fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static void on_gate(uv_poll_t *h, int status, int events)
{
	struct run_state *st = h->data;
	ssize_t n = -1;
	char byte = 0;

	(void)events;
	if (status == 0) {
		do
			n = recv(st->o->gate_fd, &byte, 1, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
	}
	st->gate_got = n == 1 && byte == JOBS_GATE_GO ? 1 : -1;
	uv_stop(st->loop);
}

/* A -j worker with its target ready: says so on the gate and waits for
 * the parent's go. The wait is for other cases' exchanges, so neither
 * the case's timeout (it starts again at the go: *deadline) nor the
 * watchdog counts it; the parent's deadline, its end of file and
 * PR_SET_PDEATHSIG bound it. 0, -EINTR (the guard stopped the run) or
 * -EPIPE (the parent gave the case up or is gone). */
static int pass_gate(struct run_state *st, uint64_t timeout, uint64_t *deadline)
{
	char err[160];
	int rc = 0;

	if (say_gate(st->o->gate_fd, JOBS_GATE_READY) < 0)
		return -EPIPE;
	guard_hold(st->o->guard);
	st->gate_got = 0;
	if (uv_poll_start(&st->gate, UV_READABLE, on_gate) < 0)
		st->gate_got = -1;
	while (!st->gate_got && !guard_stopped(st->o->guard))
		uv_run(st->loop, UV_RUN_DEFAULT);
	(void)uv_poll_stop(&st->gate);
	if (guard_resume(st->o->guard, err, sizeof(err)) < 0)
		rc = -EAGAIN; /* no last resort: better not run the case */
	if (guard_stopped(st->o->guard))
		return -EINTR;
	if (st->gate_got < 0)
		return -EPIPE;
	uv_update_time(st->loop);
	*deadline = uv_now(st->loop) + timeout;
	target_set_deadline(st->target, *deadline);
	return rc;
}

static void on_gate_closed(uv_handle_t *h)
{
	struct run_state *st = h->data;

	st->gate_closed = 1;
}

/* The guard stopped the run: end the case in progress. */
static void on_guard_stop(void *arg)
{
	struct run_state *st = arg;
	char why[160];

	engine_abort(&st->env, guard_reason(st->o->guard, why, sizeof(why)));
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

/* The target's stderr and stdout, for a failure. */
static void target_output(struct target *t, struct strbuf *sb)
{
	size_t elen = 0, olen = 0;
	const char *e = target_stderr(t, &elen), *o = target_stdout(t, &olen);

	if (!target_launched(t))
		return;
	if (elen) {
		strbuf_puts(sb, "[stderr]\n");
		strbuf_putn(sb, e, elen);
	}
	if (olen) {
		strbuf_puts(sb, "[stdout]\n");
		strbuf_putn(sb, o, olen);
	}
}

static void start_error(struct target *t, int status, struct strbuf *sb)
{
	char addr[ADDR_TEXT_MAX];

	switch (status) {
	case -ETIMEDOUT:
		strbuf_puts(sb, "the target did not become ready in time");
		break;
	case -ECHILD:
		strbuf_puts(sb, "the target exited before it was ready");
		break;
	case -EADDRNOTAVAIL:
		addr_format(target_addr(t), addr, sizeof(addr));
		strbuf_printf(sb, "the target announced %s but nothing listens on %s",
		              target_announced(t) ? target_announced(t) : "?", addr);
		break;
	default:
		strbuf_puts(sb, strerror(-status));
	}
}

static void emit(struct run_state *st, const struct report_case *c)
{
	char *text;

	if (!c || !st->o->progress ||
	    !(text = report_render_case(st->run, c, st->o->color, st->o->verbose)))
		return;
	st->o->progress(text, st->o->progress_arg);
	free(text);
}

/* Starts the instance for a case; 0, or the failure's status. */
static int start(struct run_state *st, uint64_t deadline)
{
	struct waiter w = {st->loop, 0, 0};
	int rc = target_start(st->target, on_done, &w);

	if (rc == 0)
		rc = wait_for(st, &w, deadline, 1);
	if (!w.done)
		target_cancel(st->target); /* the deadline or the guard came first */
	return rc;
}

/* Stops the instance: SIGTERM, SIGKILL by the deadline (sooner when the
 * run is being stopped), and a bounded wait for the reaping. */
static void stop(struct run_state *st, uint64_t deadline)
{
	struct waiter w = {st->loop, 0, 0};
	uint64_t now = uv_now(st->loop);

	if (guard_stopped(st->o->guard) && deadline > now + RUN_STOP_MS)
		deadline = now + RUN_STOP_MS;
	target_set_deadline(st->target, deadline);
	if (target_stop(st->target, on_done, &w) == 0 &&
	    wait_for(st, &w, deadline + RUN_KILL_MS, 0) == -ETIMEDOUT && !st->dead)
		st->dead = strdup("not run: the target could not be stopped (not even by SIGKILL)");
}

/* What a stopped target left behind fails the case. */
static void sweep(struct run_state *st, struct report_entry *e, struct strbuf *msg)
{
	struct strbuf left = {NULL, 0, 0, 0};

	if (!target_launched(st->target) ||
	    sweep_leftovers(st->loop, target_addr(st->target), st->o->socktype, &left) <= 0) {
		strbuf_release(&left);
		return;
	}
	if (e->verdict == VERDICT_PASS) {
		e->verdict = VERDICT_FAIL;
		strbuf_printf(msg, "%s: %s", e->file, strbuf_text(&left));
	} else {
		strbuf_printf(msg, "%s; and %s", e->message, strbuf_text(&left));
	}
	e->message = strbuf_text(msg);
	strbuf_release(&left);
}

/* Carries the case out on a started target, stops it, sweeps. */
static void exchange(struct run_state *st, const struct plan *p, uint64_t deadline,
                     struct report_entry *e, struct engine_result *res, struct strbuf *out,
                     struct strbuf *msg)
{
	int rc;

	st->env = (struct engine_env){
	    .loop = st->loop,
	    .target = st->target,
	    .file = e->file,
	    .transport = addr_family(target_addr(st->target)) == AF_UNIX ? PLAN_TRANSPORT_UNIX
	                 : st->o->socktype == SOCK_DGRAM                 ? PLAN_TRANSPORT_UDP
	                                                                 : PLAN_TRANSPORT_TCP,
	    .timeout_scale = st->o->timeout_scale,
	    .seed = st->o->seed,
	    .deadline = deadline,
	};
	rc = engine_run(p, &st->env, res);
	if (st->o->gate_fd > 0) /* the exchange is over; a parent gone sends SIGTERM */
		(void)say_gate(st->o->gate_fd, JOBS_GATE_DONE);
	stop(st, deadline);
	if (rc < 0) {
		e->verdict = VERDICT_ERROR;
		e->message = "out of memory";
		return;
	}
	if (res->verdict != VERDICT_PASS)
		target_output(st->target, out);
	e->verdict = res->verdict;
	e->duration_ms = res->duration_ms;
	e->message = res->message;
	e->line = res->line;
	e->timeline = res->verdict != VERDICT_PASS || st->o->verbose ? res->timeline : "";
	e->output = strbuf_text(out);
	sweep(st, e, msg);
}

static void not_started(struct run_state *st, int rc, struct report_entry *e, struct strbuf *out,
                        struct strbuf *msg)
{
	char why[160];

	target_output(st->target, out);
	if (rc == -EINTR) {
		strbuf_printf(msg, "%s: %s", e->file, guard_reason(st->o->guard, why, sizeof(why)));
	} else if (rc == -EPIPE) {
		strbuf_printf(msg, "%s: not run: the -j parent gave it up", e->file);
	} else {
		strbuf_printf(msg, "%s: ", e->file);
		start_error(st->target, rc, msg);
		strbuf_printf(msg, " (%s)", target_describe(st->target));
		free(st->dead);
		st->dead = strdup("not run: the target never became ready (see the first error)");
	}
	stop(st, uv_now(st->loop));
	(void)sweep_leftovers(st->loop, NULL, 0, NULL);
	e->verdict = VERDICT_ERROR;
	e->message = strbuf_text(msg);
	e->output = strbuf_text(out);
}

/* The id of one attempt: "basic/one-message #2" under --repeat. */
static const char *attempt_id(struct strbuf *sb, const struct plan *p, const struct run_opts *o,
                              unsigned attempt)
{
	if (o->repeat <= 1)
		return p->id;
	strbuf_printf(sb, "%s #%u", p->id, attempt);
	return sb->oom ? p->id : strbuf_text(sb);
}

static void one_case(struct run_state *st, const struct plan *p, const char *file, unsigned attempt)
{
	const char *why = skip_reason(p, st->o, st->target);
	struct strbuf id = {NULL, 0, 0, 0};
	struct report_entry e = {.id = attempt_id(&id, p, st->o, attempt),
	                         .family = p->family_name,
	                         .description = p->description,
	                         .file = file};
	struct engine_result res = {0};
	struct strbuf out = {NULL, 0, 0, 0}, msg = {NULL, 0, 0, 0}, path = {NULL, 0, 0, 0};
	uint64_t deadline;
	int rc;

	/* The report names the file where a user can open it. */
	strbuf_printf(&path, "%s%s", st->o->case_dir ? st->o->case_dir : "", file);
	if (why || st->dead) {
		e.verdict = why ? VERDICT_SKIP : VERDICT_ERROR;
		e.message = why ? why : st->dead;
		e.file = path.oom ? file : strbuf_text(&path);
		emit(st, report_add_case(st->run, &e));
		strbuf_release(&path);
		strbuf_release(&id);
		return;
	}
	if (st->o->on_start)
		st->o->on_start(e.id, st->o->progress_arg);
	uv_update_time(st->loop);
	deadline = uv_now(st->loop) + scale_ms(p->timeout_ms, st->o->timeout_scale);
	target_set_deadline(st->target, deadline);
	rc = start(st, deadline);
	if (rc == 0 && st->o->gate_fd > 0)
		rc = pass_gate(st, scale_ms(p->timeout_ms, st->o->timeout_scale), &deadline);
	if (rc < 0)
		not_started(st, rc, &e, &out, &msg);
	else
		exchange(st, p, deadline, &e, &res, &out, &msg);
	e.file = path.oom ? file : strbuf_text(&path);
	e.bytes = &res.bytes;
	emit(st, report_add_case(st->run, &e));
	engine_result_free(&res);
	strbuf_release(&out);
	strbuf_release(&msg);
	strbuf_release(&path);
	strbuf_release(&id);
}

/* The last case of the run failed or errored (-x). */
static int last_failed(const struct run_state *st)
{
	return st->run->ncases &&
	       report_verdict_failed(st->run->cases[st->run->ncases - 1].verdict);
}

/* Every selected case, each attempt, one after the other. RUN_OK or RUN_HALTED. */
static int run_in_turn(struct run_state *st, const struct run_set *rs)
{
	unsigned attempts = st->o->repeat > 1 ? st->o->repeat : 1;

	for (size_t i = 0; i < rs->files.n && !guard_stopped(st->o->guard); i++) {
		for (unsigned k = 1; rs->selected[i] && k <= attempts; k++) {
			if (guard_stopped(st->o->guard))
				break;
			one_case(st, rs->plans[i], rs->files.files[i].name, k);
			if (st->o->fail_fast && last_failed(st))
				return RUN_HALTED;
		}
	}
	return RUN_OK;
}

/* -j: what the case list of jobs.c stands for here. */
struct parallel {
	struct run_state *st;
	const struct run_set *rs;
	size_t *file;      /* per job: the index of its case file */
	unsigned *attempt; /* per job: the attempt */
};

static void parallel_done(size_t i, const struct report_entry *e, void *arg)
{
	struct parallel *pl = arg;
	const struct plan *p = pl->rs->plans[pl->file[i]];
	struct strbuf id = {NULL, 0, 0, 0};
	struct report_entry copy;

	if (!e) { /* a skip: decided here, as one by one */
		one_case(pl->st, p, pl->rs->files.files[pl->file[i]].name, pl->attempt[i]);
		return;
	}
	copy = *e;
	copy.id = attempt_id(&id, p, pl->st->o, pl->attempt[i]);
	copy.description = p->description;
	emit(pl->st, report_add_case(pl->st->run, &copy));
	strbuf_release(&id);
}

static void parallel_started(size_t i, void *arg)
{
	struct parallel *pl = arg;
	const struct plan *p = pl->rs->plans[pl->file[i]];
	struct strbuf id = {NULL, 0, 0, 0};

	if (pl->st->o->on_start && !skip_reason(p, pl->st->o, pl->st->target))
		pl->st->o->on_start(attempt_id(&id, p, pl->st->o, pl->attempt[i]),
		                    pl->st->o->progress_arg);
	strbuf_release(&id);
}

/* Every selected case, each attempt, in worker processes (jobs.h). */
static int run_parallel(struct run_state *st, const struct run_set *rs, char *err, size_t errlen)
{
	unsigned attempts = st->o->repeat > 1 ? st->o->repeat : 1;
	size_t n = 0, cap = rs->files.n * attempts + 1;
	struct jobs_case *cases = calloc(cap, sizeof(*cases));
	struct parallel pl = {st, rs, calloc(cap, sizeof(size_t)), calloc(cap, sizeof(unsigned))};
	struct jobs_cfg cfg = {.loop = st->loop,
	                       .guard = st->o->guard,
	                       .jobs = st->o->jobs,
	                       .fail_fast = st->o->fail_fast,
	                       .argv = st->o->worker_argv,
	                       .done = parallel_done,
	                       .started = parallel_started,
	                       .arg = &pl};
	int rc = -1;

	for (size_t i = 0; cases && pl.file && pl.attempt && i < rs->files.n; i++) {
		for (unsigned k = 1; rs->selected[i] && k <= attempts; k++, n++) {
			const struct plan *p = rs->plans[i];
			cases[n] = (struct jobs_case){
			    .id = p->id,
			    .family = p->family_name,
			    .timeout = scale_ms(p->timeout_ms, st->o->timeout_scale),
			    .local = skip_reason(p, st->o, st->target) != NULL,
			};
			pl.file[n] = i;
			pl.attempt[n] = k;
		}
	}
	if (cases && pl.file && pl.attempt)
		rc = jobs_run(&cfg, cases, n, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	free(cases);
	free(pl.file);
	free(pl.attempt);
	return rc < 0 ? RUN_FAILED : rc ? RUN_HALTED : RUN_OK;
}

int run_set_load(struct run_set *rs, struct case_set *files, char *err, size_t errlen)
{
	memset(rs, 0, sizeof(*rs));
	rs->files = *files;
	memset(files, 0, sizeof(*files));
	rs->plans = calloc(rs->files.n + 1, sizeof(*rs->plans));
	rs->selected = calloc(rs->files.n + 1, 1);
	if (!rs->plans || !rs->selected) {
		snprintf(err, errlen, "out of memory");
		run_set_free(rs);
		return RUN_FAILED;
	}
	for (size_t i = 0; i < rs->files.n; i++) {
		const struct case_file *f = &rs->files.files[i];
		if (parse_case_opts(f->name, f->data, f->len, rs->files.own ? PARSE_OWN_FAMILIES : 0,
		                    &rs->plans[i], err, errlen) < 0) {
			run_set_free(rs);
			return RUN_BAD_CASES;
		}
	}
	return RUN_OK;
}

size_t run_set_select(struct run_set *rs, const char *const *only, const char *const *exclude,
                      unsigned char *hits)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->files.n; i++) {
		const char *id = rs->plans[i]->id;
		int any = 0, hit = 0, out = 0;
		for (size_t g = 0; only && only[g]; g++) {
			any = 1;
			if (fnmatch(only[g], id, 0) == 0)
				hit = hits[g] = 1;
		}
		for (size_t g = 0; exclude && exclude[g]; g++)
			out |= fnmatch(exclude[g], id, 0) == 0;
		rs->selected[i] = (!any || hit) && !out;
		n += rs->selected[i];
	}
	return n;
}

uint64_t run_set_budget(const struct run_set *rs, double scale)
{
	uint64_t ms = 0;

	for (size_t i = 0; i < rs->files.n; i++)
		if (rs->selected[i])
			ms += scale_ms(rs->plans[i]->timeout_ms, scale);
	return ms;
}

void run_set_free(struct run_set *rs)
{
	for (size_t i = 0; rs->plans && i < rs->files.n; i++)
		plan_free(rs->plans[i]);
	free(rs->plans);
	free(rs->selected);
	cases_free(&rs->files);
	memset(rs, 0, sizeof(*rs));
}

static void progress_header(const struct run_opts *o, struct target *t)
{
	struct strbuf sb = {NULL, 0, 0, 0};

	if (!o->progress)
		return;
	strbuf_printf(&sb, "== %s (%s framing): %s\n", o->name, o->framing, target_describe(t));
	if (!sb.oom)
		o->progress(strbuf_text(&sb), o->progress_arg);
	strbuf_release(&sb);
}

int run_cases(struct report *r, const struct run_set *rs, const struct run_opts *o, char *err,
              size_t errlen)
{
	struct target_cfg tc = {.command = o->command,
	                        .connect = o->connect,
	                        .socktype = o->socktype,
	                        .family = o->family,
	                        .timeout_scale = o->timeout_scale};
	struct run_state st = {.o = o, .loop = o->loop, .gate_closed = 1};
	char stamp[REPORT_ISO8601_MAX];
	uint64_t t0 = uv_hrtime(); /* CLOCK_MONOTONIC */
	int rc = RUN_OK;

	if (target_new(o->loop, &tc, &st.target, err, errlen) < 0)
		return RUN_FAILED;
	(void)uv_timer_init(o->loop, &st.timer);
	st.timer.data = &st;
	if (o->gate_fd > 0 && (rc = uv_poll_init(o->loop, &st.gate, o->gate_fd)) < 0) {
		snprintf(err, errlen, "uv_poll_init(--worker-gate %d): %s", o->gate_fd,
		         uv_strerror(rc));
		rc = RUN_FAILED;
	} else {
		st.gate_closed = o->gate_fd <= 0;
		st.gate.data = &st;
		rc = RUN_OK;
	}
	o->guard->on_stop = on_guard_stop;
	o->guard->arg = &st;
	st.run = rc == RUN_OK ? report_add_run(r, o->name, target_describe(st.target), o->framing)
	                      : NULL;
	run_stamp(stamp);
	if (st.run && report_run_set_start(st.run, stamp) < 0)
		st.run = NULL;
	if (st.run)
		progress_header(o, st.target);
	if (st.run && o->jobs > 1 && target_launched(st.target))
		rc = run_parallel(&st, rs, err, errlen);
	else if (st.run)
		rc = run_in_turn(&st, rs);
	if (st.run)
		report_run_set_duration(st.run, (uv_hrtime() - t0) / 1000000);
	if (rc == RUN_FAILED && !st.run) {
		/* err says why */
	} else if (!st.run) {
		snprintf(err, errlen, "out of memory");
		rc = RUN_FAILED;
	} else if (rc == RUN_OK && guard_stopped(o->guard)) {
		rc = RUN_STOPPED;
	} else if (rc == RUN_OK && st.dead) {
		rc = RUN_DEAD;
	}
	o->guard->on_stop = NULL;
	target_free(st.target);
	uv_close((uv_handle_t *)&st.timer, on_timer_closed);
	if (!st.gate_closed)
		uv_close((uv_handle_t *)&st.gate, on_gate_closed);
	for (int turn = 0; !(st.timer_closed && st.gate_closed) && turn < 100; turn++)
		uv_run(o->loop, UV_RUN_NOWAIT);    /* close callbacks run every turn */
	assert(st.timer_closed && st.gate_closed); /* they are on this stack */
	free(st.dead);
	return rc;
}

void run_stamp(char out[REPORT_ISO8601_MAX])
{
	struct timespec ts;

	out[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		report_iso8601((int64_t)ts.tv_sec, out, REPORT_ISO8601_MAX);
}
