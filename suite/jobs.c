/* SPDX-License-Identifier: MIT */
/*
 * Cases in worker processes (see jobs.h). A case goes through PENDING
 * (not started), RUNNING (its worker is alive or its handles are still
 * closing), DONE (its verdict is here) and EMITTED (handed over, in
 * order). Every worker has a deadline timer armed when it starts: its
 * case's timeout plus what its own guard allows, after which its session
 * is SIGKILLed. A worker waiting at its gate waits for us, not for its
 * case: its timer is stopped from its "ready" to our "go", which arms it
 * again in full; the go comes once the exchanges in progress (each under
 * its own timer) have ended, so the loop never waits unbounded.
 */
#define _GNU_SOURCE
#include "jobs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json_read.h"
#include "strbuf.h"

/* Beyond the case's timeout: the worker's watchdog slack, its last
 * resort, and a second for the exit to reach us. */
#define JOBS_GRACE_MS (GUARD_SLACK_MS + GUARD_HARD_MS + 1000)
/* After a stop: for a SIGTERMed worker to stop its target and report. */
#define JOBS_STOP_MS 3500 /* run.h: RUN_STOP_MS + RUN_KILL_MS, and 2 s to report */
#define JOBS_KILL_MS 1000 /* for a SIGKILLed worker to be reaped */

enum { PENDING, RUNNING, DONE, EMITTED };
/* A worker's place at its gate. */
enum { STARTING, WAITING, EXCHANGING, OVER };

struct jobs_state;

struct worker {
	struct jobs_state *js;
	size_t i;           /* its case */
	uv_process_t proc;  /* the worker */
	uv_pipe_t out;      /* its stdout: the JSON report */
	uv_timer_t timer;   /* its deadline */
	uv_pipe_t gate;     /* our end of its gate (jobs.h) */
	int at_gate;        /* STARTING, WAITING (it said ready), EXCHANGING (we said go), OVER */
	int alone;          /* its exchange must run alone (jobs_alone()) */
	int dropped;        /* -x gave it up at its gate: its case counts as not started */
	size_t seq;         /* its place in the start order */
	int spawned;        /* uv_spawn was called: proc is a handle to close */
	int went;           /* we said go: its verdict may stop -x */
	struct strbuf text; /* what it wrote */
	int open;           /* handles not closed yet */
	int exited;         /* its exit callback came */
	int64_t status;     /* its exit status */
	int signo;          /* the signal that ended it */
	int eof;            /* the pipe reached its end or was given up */
	int spawn_error;    /* uv_spawn's error, or 0 */
};

struct jobs_state {
	const struct jobs_cfg *cfg;
	const struct jobs_case *cases;
	size_t n;
	unsigned char *state;     /* per case */
	struct json_value **docs; /* per DONE case: its worker's report, or NULL */
	char **why;               /* per DONE case without a report: why */
	struct worker **running;  /* the workers alive, cfg->jobs slots */
	unsigned nrunning;        /* of them */
	size_t *order;            /* the order cases start in (see order_cases()) */
	size_t next;              /* the next of them to start */
	size_t emitted;           /* the next case to hand over */
	int halted;               /* -x saw a failure */
	int oom;                  /* memory ran out */
	int dead;                 /* a worker's target was unusable (JOBS_DEAD_EXIT) */
};

int jobs_alone(const char *id, const char *family)
{
	return strcmp(family, "concurrency") == 0 || strcmp(family, "resources") == 0 ||
	       strcmp(id, "limits/connect-burst") == 0;
}

static void on_deadline(uv_timer_t *t);

static void on_guard_stop(void *arg)
{
	struct jobs_state *js = arg;
	int signo = js->cfg->guard->signo ? js->cfg->guard->signo : SIGTERM; /* or the watchdog */

	for (unsigned k = 0; k < js->cfg->jobs; k++) {
		struct worker *w = js->running[k];
		if (!w || w->exited || w->spawn_error)
			continue;
		(void)uv_process_kill(&w->proc, signo);
		/* stopped while it waits at its gate */
		if (!uv_is_active((uv_handle_t *)&w->timer) ||
		    uv_timer_get_due_in(&w->timer) > JOBS_STOP_MS)
			(void)uv_timer_start(&w->timer, on_deadline, JOBS_STOP_MS, 0);
	}
}

static enum verdict verdict_of(const char *name)
{
	for (enum verdict v = VERDICT_PASS; name && v <= VERDICT_ERROR; v++)
		if (strcmp(name, report_verdict_name(v)) == 0)
			return v;
	return VERDICT_ERROR;
}

/* The first case of the worker's report, or NULL. */
static const struct json_value *first_case(const struct json_value *doc)
{
	const struct json_value *runs = json_get(doc, "runs"), *cases;

	if (!runs || runs->type != JSON_ARRAY || runs->n < 1)
		return NULL;
	cases = json_get(&runs->items[0], "cases");
	if (!cases || cases->type != JSON_ARRAY || cases->n < 1 ||
	    cases->items[0].type != JSON_OBJECT)
		return NULL;
	return &cases->items[0];
}

/* All handles of w are closed: its verdict (or why there is none). */
static void finish(struct worker *w)
{
	struct jobs_state *js = w->js;
	struct json_value *doc = NULL;
	char err[200];
	const struct json_value *c;
	int failed = 1;

	if (w->spawn_error) {
		if (asprintf(&js->why[w->i], "not run: cannot start a worker: %s",
		             uv_strerror(w->spawn_error)) < 0)
			js->why[w->i] = NULL;
	} else if (json_parse(strbuf_text(&w->text), w->text.len, &doc, err, sizeof(err)) < 0 ||
	           !(c = first_case(doc))) {
		if (asprintf(&js->why[w->i],
		             "the worker reported no verdict (it exited %lld, signal %d)",
		             (long long)w->status, w->signo) < 0)
			js->why[w->i] = NULL;
		json_free(doc);
		doc = NULL;
	} else {
		failed = report_verdict_failed(verdict_of(json_string(json_get(c, "verdict"))));
	}
	if (w->dropped) { /* not run, as a case -x never started */
		json_free(doc);
		doc = NULL;
		free(js->why[w->i]);
		js->why[w->i] = NULL;
		js->state[w->i] = PENDING;
	} else {
		js->docs[w->i] = doc;
		js->oom |= !doc && !js->why[w->i];
		js->state[w->i] = DONE;
		js->halted |= failed && js->cfg->fail_fast;
	}
	js->dead |= w->exited && w->status == JOBS_DEAD_EXIT;
	for (unsigned k = 0; k < js->cfg->jobs; k++)
		if (js->running[k] == w)
			js->running[k] = NULL;
	js->nrunning--;
	strbuf_release(&w->text);
	free(w);
}

static void on_closed(uv_handle_t *h)
{
	struct worker *w = h->data;

	if (--w->open == 0)
		finish(w);
}

static void close_all(struct worker *w)
{
	uv_handle_t *hs[4] = {(uv_handle_t *)&w->proc, (uv_handle_t *)&w->out,
	                      (uv_handle_t *)&w->timer, (uv_handle_t *)&w->gate};

	w->at_gate = OVER; /* its gate closes: no go for it, and it holds none */
	for (int k = 0; k < 4; k++)
		if ((k > 0 || w->spawned) && !uv_is_closing(hs[k]))
			uv_close(hs[k], on_closed);
}

static void maybe_done(struct worker *w)
{
	if (w->exited && w->eof)
		close_all(w);
}

static void on_worker_exit(uv_process_t *p, int64_t status, int signo)
{
	struct worker *w = p->data;

	w->exited = 1;
	w->status = status;
	w->signo = signo;
	maybe_done(w);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(hint);
	buf->len = buf->base ? hint : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct worker *w = s->data;

	if (n > 0)
		strbuf_putn(&w->text, buf->base, (size_t)n);
	free(buf->base);
	if (n < 0) {
		(void)uv_read_stop(s);
		w->eof = 1;
		maybe_done(w);
	}
}

/* What the worker says on its gate; its end (or an error) releases it. */
static void on_gate_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct worker *w = s->data;

	for (ssize_t k = 0; k < n; k++) {
		if (buf->base[k] == JOBS_GATE_READY && w->at_gate == STARTING) {
			w->at_gate = WAITING;
			(void)uv_timer_stop(&w->timer); /* it waits for us, not for its case */
		} else if (buf->base[k] == JOBS_GATE_DONE && w->at_gate == EXCHANGING) {
			w->at_gate = OVER;
		}
	}
	free(buf->base);
	if (n < 0) {
		(void)uv_read_stop(s);
		w->at_gate = OVER;
	}
}

/* The deadline: the worker's session is killed and its pipe given up. */
static void on_deadline(uv_timer_t *t)
{
	struct worker *w = t->data;

	if (!w->exited)
		(void)kill(-w->proc.pid, SIGKILL);
	if (!w->eof) {
		(void)uv_read_stop((uv_stream_t *)&w->out);
		w->eof = 1;
	}
	if (w->exited)
		maybe_done(w);
	else /* the exit comes once it is reaped; bounded like any SIGKILL */
		(void)uv_timer_start(t, on_deadline, JOBS_KILL_MS, 0);
}

#define TEXT_OF(x)        #x
#define TEXT(x)           TEXT_OF(x)
#define JOBS_GATE_FD_TEXT TEXT(JOBS_GATE_FD)

/* argv with "--worker-gate", "--case" and the id escaped for fnmatch: a malloc'd array
 * whose last two words are owned (the id) and borrowed ("--case"). */
static char **worker_argv(const char *const *base, const char *id)
{
	size_t n = 0, k = 0;
	char **args, *esc;

	while (base[n])
		n++;
	if (!(args = calloc(n + 5, sizeof(*args))) || !(esc = malloc(2 * strlen(id) + 1))) {
		free(args);
		return NULL;
	}
	memcpy(args, base, n * sizeof(*args));
	for (const char *c = id; *c; c++) {
		if (strchr("*?[\\", *c))
			esc[k++] = '\\';
		esc[k++] = *c;
	}
	esc[k] = '\0';
	args[n] = "--worker-gate";
	args[n + 1] = JOBS_GATE_FD_TEXT;
	args[n + 2] = "--case";
	args[n + 3] = esc;
	return args;
}

static void free_argv(char **args)
{
	size_t n = 0;

	while (args[n])
		n++;
	free(args[n - 1]); /* the escaped id */
	free(args);
}

/* Our end of a new gate in w->gate; the worker's end, or -1 with
 * w->spawn_error set. */
static int open_gate(struct worker *w)
{
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		w->spawn_error = -errno;
		return -1;
	}
	if ((rc = uv_pipe_open(&w->gate, sv[0])) < 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		w->spawn_error = rc;
		return -1;
	}
	return sv[1];
}

/* Spawns w's worker with args, its gate end on JOBS_GATE_FD; 0 or a libuv error. */
static int spawn(struct jobs_state *js, struct worker *w, char **args)
{
	uv_stdio_container_t stdio[JOBS_GATE_FD + 1];
	uv_process_options_t po;
	int theirs = open_gate(w), rc;

	if (theirs < 0)
		return w->spawn_error;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&w->out;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	for (int k = 3; k < JOBS_GATE_FD; k++)
		stdio[k].flags = UV_IGNORE;
	stdio[JOBS_GATE_FD].flags = UV_INHERIT_FD;
	stdio[JOBS_GATE_FD].data.fd = theirs;
	po = (uv_process_options_t){.file = args[0],
	                            .args = args,
	                            .flags = UV_PROCESS_DETACHED,
	                            .exit_cb = on_worker_exit,
	                            .stdio_count = JOBS_GATE_FD + 1,
	                            .stdio = stdio};
	rc = uv_spawn(js->cfg->loop, &w->proc, &po);
	w->spawned = 1;
	w->open++;
	(void)close(theirs); /* the worker has it now */
	if (rc < 0)
		w->spawn_error = rc;
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&w->gate, on_alloc, on_gate_read);
	return rc;
}

/* Starts the worker of case i; a failure to start is its verdict. */
static void start(struct jobs_state *js, size_t i, unsigned slot)
{
	struct worker *w = calloc(1, sizeof(*w));
	char **args = worker_argv(js->cfg->argv, js->cases[i].id);
	int rc;

	if (!w || !args) {
		free(w);
		if (args)
			free_argv(args);
		js->oom = 1;
		js->state[i] = DONE;
		return;
	}
	w->js = js;
	w->i = i;
	w->seq = js->next;
	w->alone = jobs_alone(js->cases[i].id, js->cases[i].family);
	w->proc.data = w->out.data = w->timer.data = w->gate.data = w;
	js->state[i] = RUNNING;
	js->running[slot] = w;
	js->nrunning++;
	(void)uv_pipe_init(js->cfg->loop, &w->out, 0);
	(void)uv_pipe_init(js->cfg->loop, &w->gate, 0);
	(void)uv_timer_init(js->cfg->loop, &w->timer);
	w->open = 3; /* and proc, once spawned */
	rc = spawn(js, w, args);
	free_argv(args);
	if (rc == 0 && uv_read_start((uv_stream_t *)&w->out, on_alloc, on_read) == 0) {
		(void)uv_timer_start(&w->timer, on_deadline, js->cases[i].timeout + JOBS_GRACE_MS,
		                     0);
	} else {
		if (!w->spawn_error)
			(void)uv_process_kill(&w->proc, SIGKILL); /* a read could not start */
		else
			w->exited = 1;
		w->at_gate = OVER;
		w->eof = 1;
		maybe_done(w);
	}
}

/* Says go to w, and arms its deadline for its exchange and stop. */
static void go(struct worker *w)
{
	char byte = JOBS_GATE_GO;
	uv_buf_t buf = uv_buf_init(&byte, 1);

	/* one byte into an empty socket buffer; a failure means the worker
	 * is gone: its exit comes, its deadline bounds it */
	w->went = 1;
	w->at_gate = uv_try_write((uv_stream_t *)&w->gate, &buf, 1) == 1 ? EXCHANGING : OVER;
	(void)uv_timer_start(&w->timer, on_deadline, w->js->cases[w->i].timeout + JOBS_GRACE_MS, 0);
}

/* -x gave w up at its gate: its end of file makes it stop its target. */
static void drop(struct worker *w)
{
	w->dropped = 1;
	w->at_gate = OVER;
	if (!uv_is_closing((uv_handle_t *)&w->gate))
		uv_close((uv_handle_t *)&w->gate, on_closed);
	(void)uv_timer_start(&w->timer, on_deadline, JOBS_STOP_MS, 0);
}

/* Says go to what may exchange now: the exchange of a case that must
 * run alone when no other is in progress, and while one waits or runs,
 * no other; every other one at once. With -x, not before the verdicts of
 * the exchanges done are in (they may fail); after a failure the waiting
 * are dropped. */
static void grant(struct jobs_state *js)
{
	struct worker *first = NULL; /* the first to start of the alone ones waiting */
	unsigned busy = 0, alone_busy = 0, unsettled = 0;

	for (unsigned k = 0; k < js->cfg->jobs; k++) {
		struct worker *w = js->running[k];
		if (!w)
			continue;
		if (w->at_gate == WAITING && js->halted)
			drop(w);
		busy += w->at_gate == EXCHANGING;
		unsettled += w->went;
		alone_busy |= w->at_gate == EXCHANGING && w->alone;
		if (w->at_gate == WAITING && w->alone && (!first || w->seq < first->seq))
			first = w;
	}
	if (alone_busy || guard_stopped(js->cfg->guard) || (js->cfg->fail_fast && unsettled > busy))
		return;
	if (first) {
		if (busy == 0)
			go(first);
		return;
	}
	for (unsigned k = 0; k < js->cfg->jobs; k++)
		if (js->running[k] && js->running[k]->at_gate == WAITING)
			go(js->running[k]);
}

/* Starts what may start now: in order, up to cfg->jobs at once (grant()
 * keeps the exchanges of the cases that must run alone apart). */
static void dispatch(struct jobs_state *js)
{
	while (js->next < js->n && !js->halted && !js->oom && !guard_stopped(js->cfg->guard)) {
		size_t i = js->order[js->next];
		const struct jobs_case *c = &js->cases[i];
		unsigned slot = 0;

		if (c->local) {
			js->state[i] = DONE;
		} else if (js->dead) {
			js->why[i] = strdup("not run: the target never became ready or could not "
			                    "be stopped (see the first error)");
			js->oom |= !js->why[i];
			js->state[i] = DONE;
		} else {
			if (js->nrunning >= js->cfg->jobs)
				return;
			while (js->running[slot])
				slot++;
			start(js, i, slot);
		}
		if (js->cfg->started)
			js->cfg->started(i, js->cfg->arg);
		js->next++;
	}
}

/* Hands over the finished cases at the front, in order; at the end
 * (last) also those behind a case that never started (a stop). */
static void emit(struct jobs_state *js, int last)
{
	for (; js->emitted < js->n; js->emitted++) {
		size_t i = js->emitted;
		if (js->state[i] != DONE && !(last && js->state[i] == PENDING))
			break;
		if (js->state[i] == PENDING)
			continue;
		const struct json_value *c = js->docs[i] ? first_case(js->docs[i]) : NULL;
		const struct json_value *line = json_get(c, "line"),
		                        *ms = json_get(c, "duration_ms");
		struct report_entry e = {
		    .id = js->cases[i].id,
		    .family = js->cases[i].family,
		    .verdict = VERDICT_ERROR,
		    .message = js->why[i],
		};

		if (c) {
			e.description = json_string(json_get(c, "description"));
			e.verdict = verdict_of(json_string(json_get(c, "verdict")));
			e.message = json_string(json_get(c, "message"));
			e.file = json_string(json_get(c, "file"));
			e.timeline = json_string(json_get(c, "timeline"));
			e.output = json_string(json_get(c, "output"));
			e.line = line && line->type == JSON_NUMBER ? (unsigned)line->number : 0;
			e.duration_ms = ms && ms->type == JSON_NUMBER ? (uint64_t)ms->number : 0;
		}
		js->state[i] = EMITTED;
		if (js->cases[i].local || c || js->why[i])
			js->cfg->done(i, js->cases[i].local ? NULL : &e, js->cfg->arg);
		json_free(js->docs[i]);
		js->docs[i] = NULL;
		free(js->why[i]);
		js->why[i] = NULL;
	}
}

/* Without -x the cases whose exchanges run alone go first, back to
 * back: while one exchanges, the next one's target starts in another
 * slot and is ready at its end, so their exchanges follow each other
 * without a target start between them; placed among the others, each
 * would wait for the exchanges in progress, and the slots waiting beside
 * it would hold targets started early. The report keeps the case order
 * either way. -x keeps the case order, so that it stops at the
 * first failure in that order. */
static void order_cases(struct jobs_state *js)
{
	size_t k = 0;

	for (int pass = js->cfg->fail_fast ? 1 : 0; pass < 2; pass++)
		for (size_t i = 0; i < js->n; i++)
			if (js->cfg->fail_fast ||
			    (pass == 0) == (jobs_alone(js->cases[i].id, js->cases[i].family) &&
			                    !js->cases[i].local))
				js->order[k++] = i;
}

static void release(struct jobs_state *js)
{
	for (size_t i = 0; i < js->n && js->docs && js->why; i++) {
		json_free(js->docs[i]);
		free(js->why[i]);
	}
	free(js->state);
	free(js->order);
	free(js->docs);
	free(js->why);
	free(js->running);
}

int jobs_run(const struct jobs_cfg *cfg, const struct jobs_case *cases, size_t n, char *err,
             size_t errlen)
{
	struct jobs_state js = {.cfg = cfg, .cases = cases, .n = n};

	js.state = calloc(n + 1, 1);
	js.order = calloc(n + 1, sizeof(*js.order));
	js.docs = calloc(n + 1, sizeof(*js.docs));
	js.why = calloc(n + 1, sizeof(*js.why));
	js.running = calloc(cfg->jobs, sizeof(*js.running));
	if (!js.state || !js.order || !js.docs || !js.why || !js.running) {
		release(&js);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	order_cases(&js);
	cfg->guard->on_stop = on_guard_stop;
	cfg->guard->arg = &js;
	for (;;) {
		dispatch(&js);
		grant(&js);
		emit(&js, 0);
		if (js.nrunning == 0)
			break; /* dispatch started nothing more */
		(void)uv_run(cfg->loop, UV_RUN_ONCE);
	}
	emit(&js, 1);
	cfg->guard->on_stop = NULL;
	release(&js);
	if (js.oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return js.halted;
}
