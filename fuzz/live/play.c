/* SPDX-License-Identifier: MIT */
/*
 * play: a schedule played against the live target, and the oracles
 * (see play.h).
 */
#define _GNU_SOURCE
#include "play.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "strbuf.h"

#define PLAY_COUNTERS  8192 /* extra counters */
#define PLAY_SETTLE_MS 200  /* for a dying target to be reaped, or counts to settle */
#define PLAY_SHOW      48   /* bytes shown per write in a report */
#define PLAY_GAP_US    200  /* a pause between pieces: the server reads each on its own */
#define PLAY_REPLAYS   3    /* replays of an input, to tell which one killed the target */
#define PLAY_IN_FLIGHT 16   /* UDP: replies owed and not yet received, at most */

/* libFuzzer's extra counters: it reads them after each input as it
 * reads the coverage counters of instrumented code. */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t play_counters[PLAY_COUNTERS];

static void feed(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x45d9f3bu;
	h ^= h >> 16;
	if (play_counters[h % PLAY_COUNTERS] < 255)
		play_counters[h % PLAY_COUNTERS]++;
}

static unsigned log2_bucket(size_t n)
{
	unsigned b = 0;

	while (n) {
		b++;
		n >>= 1;
	}
	return b;
}

/* A byte's class: what kind of reply starts with it, not which byte
 * (for an echo the byte is the client's, and each value is no new state). */
static uint32_t byte_class(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return 1;
	if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))
		return 2 + (b >= 'a');
	if (b == '\n' || b == '\r')
		return 4 + (b == '\r');
	if (b == 0)
		return 6;
	if (b < 0x20 || b == 0x7f)
		return 7;
	return b >= 0x80 ? 8 : 9;
}

/* Feeds the class of what connection k got since it was last classified. */
static void classify(struct live_run *r, size_t k, enum sched_kind kind)
{
	struct lconn *c = &r->conns[k];
	size_t fresh = c->got_len - r->seen[k];
	uint32_t first = fresh ? byte_class(c->got[r->seen[k]]) : 0;
	uint32_t cls = (uint32_t)c->end | log2_bucket(fresh) << 2 | first << 7 |
	               (uint32_t)kind << 16 | (uint32_t)model_ends(&c->model) << 19 |
	               (uint32_t)(c->datagrams ? log2_bucket(c->nends) : 0) << 20;

	feed(cls);
	feed(cls * 31u + r->cls[k] + 1u);
	feed(cls ^ (uint32_t)(k < 4 ? k : 4) << 25);
	r->cls[k] = cls;
	r->seen[k] = c->got_len;
}

char *play_address(const struct live_run *r, char *out, size_t cap)
{
	return addr_format(&r->to, out, cap);
}

void play_kill_target(struct live_run *r)
{
	pid_t pid = r->target ? target_pid(r->target) : 0;

	if (pid > 0)
		kill(-pid, SIGKILL);
}

static void on_timer(uv_timer_t *t)
{
	((struct live_run *)t->data)->timer_fired = 1;
}

/* Runs the loop until *flag is set or ms pass. Returns *flag. */
static int run_until(struct live_run *r, const int *flag, uint64_t ms)
{
	r->timer_fired = 0;
	uv_timer_start(&r->timer, on_timer, ms, 0);
	while (!*flag && !r->timer_fired)
		uv_run(&r->loop, UV_RUN_ONCE);
	uv_timer_stop(&r->timer);
	return *flag;
}

static void on_target(struct target *t, int status, void *arg)
{
	struct live_run *r = arg;

	(void)t;
	r->op_status = status;
	r->op_done = 1;
}

/* 1 when the target is gone (or goes within ms). */
static int target_gone(struct live_run *r, uint64_t ms)
{
	if (!target_launched(r->target))
		return 0;
	uv_run(&r->loop, UV_RUN_NOWAIT);
	if (!target_running(r->target))
		return 1;
	if (ms == 0)
		return 0;
	r->op_done = 0;
	target_on_exit(r->target, on_target, r);
	run_until(r, &r->op_done, ms);
	target_on_exit(r->target, NULL, NULL);
	return !target_running(r->target);
}

static void describe_step(struct strbuf *sb, const struct sched_step *s)
{
	strbuf_printf(sb, "c%u %s", s->conn + 1, sched_kind_name(s->kind));
	if (s->kind != SCHED_WRITE)
		return;
	strbuf_printf(sb, " %zu bytes", s->len);
	if (s->piece && s->piece < s->len)
		strbuf_printf(sb, " in pieces of %zu%s", s->piece, s->gap ? ", with pauses" : "");
	strbuf_puts(sb, ": ");
	escape_quote_sb(sb, s->data, s->len, PLAY_SHOW);
}

/* Reports a finding and aborts: libFuzzer saves the input. */
static void finding(struct live_run *r, const char *kind, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

static void finding(struct live_run *r, const char *kind, const char *fmt, ...)
{
	struct strbuf sb = {0};
	va_list ap;
	size_t i, n = 0;
	int status, signo;
	const char *text;
	char addr[ADDR_TEXT_MAX];

	strbuf_printf(&sb, "==%d== sockspec-fuzz: %s: ", (int)getpid(), kind);
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	strbuf_printf(&sb, "\n  target: %s at %s\n", target_describe(r->target),
	              play_address(r, addr, sizeof(addr)));
	if (target_launched(r->target) && target_exit_info(r->target, &status, &signo))
		strbuf_printf(
		    &sb, "  it %s %d%s%s\n", signo ? "died of signal" : "exited with status",
		    signo ? signo : status, signo ? ", " : "", signo ? strsignal(signo) : "");
	if (r->sched && !r->o.quiet) {
		strbuf_puts(&sb, "  schedule (the step that failed is marked >):\n");
		for (i = 0; i < r->sched->n; i++) {
			strbuf_puts(&sb, i == r->step ? "  > " : "    ");
			describe_step(&sb, &r->sched->steps[i]);
			strbuf_putc(&sb, '\n');
		}
	}
	text = target_launched(r->target) ? target_stderr(r->target, &n) : NULL;
	if (n) {
		strbuf_puts(&sb, "  the target's stderr (the end of it):\n");
		strbuf_putn(&sb, text + (n > 2048 ? n - 2048 : 0), n > 2048 ? 2048 : n);
		if (text[n - 1] != '\n')
			strbuf_putc(&sb, '\n');
	}
	fputs(strbuf_text(&sb), stderr);
	strbuf_release(&sb);
	play_kill_target(r);
	abort();
}

static void triage(struct live_run *r, const char *what) __attribute__((noreturn));

/* The target died. A once server is fresh for each input, so the input
 * that ran killed it; any other may have been killed by an earlier one,
 * the death noticed late: triage() replays to find out. */
static void crashed(struct live_run *r, const char *when)
{
	int status = 0, signo = 0;
	char what[128];

	target_exit_info(r->target, &status, &signo);
	if (signo)
		snprintf(what, sizeof(what), "the target died of signal %d (%s)", signo,
		         strsignal(signo));
	else
		snprintf(what, sizeof(what), "the target exited with status %d", status);
	if (r->triage || r->o.profile->mode == SCHED_ONCE)
		finding(r, "crash", "%s %s", what, when);
	triage(r, what);
}

/* Something went wrong on connection k: the target's death explains it
 * best; otherwise it is a finding of the given kind. */
static void fail_conn(struct live_run *r, size_t k, const char *kind, const char *what)
{
	if (target_gone(r, PLAY_SETTLE_MS))
		crashed(r, "while the schedule ran");
	finding(r, kind, "connection c%zu: %s", k + 1, what);
}

static void next_source(struct live_run *r, struct addr *from)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&from->ss;
	uint32_t n = r->source++ % (254u * 256u * 254u);

	memset(from, 0, sizeof(*from));
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(0x7f000000u | (1u + n / (256u * 254u)) << 16 |
	                            (n / 254u % 256u) << 8 | (1u + n % 254u));
	from->len = sizeof(*in);
}

static void open_conn(struct live_run *r, size_t k)
{
	struct lconn *c = &r->conns[k];
	struct addr from;
	int v4 = r->to.ss.ss_family == AF_INET;
	int dgram = r->o.profile->framing == PROTO_FRAMING_DATAGRAM;

	if (v4)
		next_source(r, &from);
	if (lconn_open(c, &r->to, v4 ? &from : NULL, dgram, lconn_now_ms() + r->o.timeout_ms) < 0) {
		char what[LCONN_ERR_MAX + 64];

		snprintf(what, sizeof(what), "%s: the server does not take a new client", c->err);
		fail_conn(r, k, "refused", what);
	}
	if (model_open(&c->model, r->o.profile) < 0)
		finding(r, "error", "out of memory");
	r->seen[k] = 0;
	r->cls[k] = 0;
	r->opened++;
}

/* UDP: waits while more than PLAY_IN_FLIGHT replies are owed, so that
 * no socket buffer overflows (a datagram lost there is no finding). */
static void pace(struct live_run *r, size_t k)
{
	struct lconn *c = &r->conns[k];
	uint64_t deadline = lconn_now_ms() + r->o.timeout_ms;

	while (c->model.nends > c->nends + PLAY_IN_FLIGHT && c->end == LCONN_OPEN)
		if (lconn_pump(c, deadline) <= 0)
			return; /* the wait that follows reports it */
}

static void write_step(struct live_run *r, size_t k, const struct sched_step *s)
{
	struct lconn *c = &r->conns[k];
	size_t done = 0, piece = s->piece && s->piece < s->len ? s->piece : s->len, gaps = 0;

	do {
		size_t n = s->len - done < piece ? s->len - done : piece;

		if (model_write(&c->model, s->data + done, n, time(NULL)) < 0)
			finding(r, "error", "out of memory");
		if (lconn_write(c, s->data + done, n, lconn_now_ms() + r->o.timeout_ms) < 0 &&
		    !c->write_err)
			fail_conn(r, k, "hang", c->err);
		done += n;
		if (c->datagrams)
			pace(r, k);
		if (s->gap && done < s->len && gaps++ < SCHED_GAPS_MAX)
			lconn_pause(c, PLAY_GAP_US);
	} while (done < s->len && !c->write_err);
}

static void judge(struct live_run *r, size_t k, int final, enum model_verdict *v)
{
	struct lconn *c = &r->conns[k];
	struct model_got got = {c->got, c->got_len, c->ends, c->nends};
	struct strbuf why = {0};

	*v = model_check(&c->model, &got, time(NULL), &why);
	if (*v == MODEL_DIFFERS) {
		char *text = strdup(strbuf_text(&why));

		strbuf_release(&why);
		fail_conn(r, k, "divergence", text ? text : "the replies differ");
	}
	strbuf_release(&why);
	if (c->write_err && !c->model.closes && !c->model.client_eof)
		fail_conn(r, k, "divergence", "a write failed although the server should read on");
	if (c->end == LCONN_RESET && !model_ends(&c->model))
		fail_conn(r, k, "divergence",
		          "the server reset the connection, which should stay open");
	if (c->end == LCONN_RESET && !c->model.after_close)
		fail_conn(
		    r, k, "divergence",
		    "the server reset the connection instead of closing it (no unread input)");
	if (c->end == LCONN_EOF && *v == MODEL_SHORT)
		fail_conn(r, k, "divergence", "the server closed before every reply owed was sent");
	if (c->end == LCONN_EOF && !model_ends(&c->model))
		fail_conn(r, k, "divergence",
		          final ? "the server closed early"
		                : "the server closed a connection that should stay open");
}

/* Reads until what is owed came (and the close, when one is owed). */
static void wait_owed(struct live_run *r, size_t k, int final)
{
	struct lconn *c = &r->conns[k];
	uint64_t deadline = lconn_now_ms() + r->o.timeout_ms;
	enum model_verdict v;
	int rc;

	for (;;) {
		judge(r, k, final, &v);
		if (c->end != LCONN_OPEN ||
		    (v == MODEL_ALL && (c->datagrams || !model_ends(&c->model))))
			return;
		rc = lconn_pump(c, deadline);
		if (rc < 0)
			finding(r, "error", "connection c%zu: %s", k + 1, c->err);
		if (rc == 0 && lconn_now_ms() >= deadline) {
			char what[256];

			judge(r, k, final, &v);
			if (v == MODEL_ALL)
				snprintf(
				    what, sizeof(what),
				    "the server did not close within %llu ms (it should, after %s)",
				    (unsigned long long)r->o.timeout_ms,
				    c->model.client_eof ? "the client's EOF" : "its last reply");
			else
				snprintf(what, sizeof(what),
				         "%zu reply bytes owed did not come within %llu ms",
				         c->model.want_len - c->got_len,
				         (unsigned long long)r->o.timeout_ms);
			fail_conn(r, k, "hang", what);
		}
	}
}

/* The client's half-close, at a FINISH, unless the connection ended. */
static void half_close(struct live_run *r, size_t k)
{
	struct lconn *c = &r->conns[k];

	if (c->datagrams || c->shut || c->end != LCONN_OPEN)
		return;
	if (lconn_shutdown(c) < 0)
		fail_conn(r, k, "divergence", c->err);
	model_shutdown(&c->model);
}

/* The FINISH steps that end a schedule half-close all their connections
 * first, so the server ends them side by side rather than in turn. */
static void half_close_rest(struct live_run *r, const struct sched *s, size_t from)
{
	size_t i;

	for (i = from; i < s->n && s->steps[i].kind == SCHED_FINISH; i++)
		;
	if (i < s->n)
		return; /* not the last steps */
	for (i = from; i < s->n; i++)
		half_close(r, s->steps[i].conn);
}

static void end_step(struct live_run *r, size_t k, const struct sched_step *s)
{
	struct lconn *c = &r->conns[k];
	enum model_verdict v;

	switch (s->kind) {
	case SCHED_FINISH:
		half_close(r, k);
		wait_owed(r, k, 1);
		break;
	case SCHED_CLOSE:
	case SCHED_RESET:
		if (lconn_pump(c, 0) < 0)
			finding(r, "error", "connection c%zu: %s", k + 1, c->err);
		judge(r, k, 0, &v);
		break;
	case SCHED_OPEN:
	case SCHED_WRITE:
	case SCHED_WAIT:
	case SCHED_SHUTDOWN:
		break;
	}
	classify(r, k, s->kind);
	lconn_close(c, s->kind == SCHED_RESET);
}

static void play_step(struct live_run *r, const struct sched_step *s)
{
	size_t k = s->conn;
	struct lconn *c = &r->conns[k];

	switch (s->kind) {
	case SCHED_OPEN:
		open_conn(r, k);
		break;
	case SCHED_WRITE:
		write_step(r, k, s);
		break;
	case SCHED_WAIT:
		wait_owed(r, k, 0);
		classify(r, k, s->kind);
		break;
	case SCHED_SHUTDOWN:
		if (c->end == LCONN_OPEN && lconn_shutdown(c) < 0)
			fail_conn(r, k, "divergence", c->err);
		model_shutdown(&c->model);
		break;
	case SCHED_RESET:
	case SCHED_CLOSE:
	case SCHED_FINISH:
		end_step(r, k, s);
		break;
	}
}

/* Starts a new instance and waits until it is ready. */
static int start_target(struct live_run *r, char *err, size_t errlen)
{
	int32_t pid;
	int rc;

	r->op_done = 0;
	rc = target_start(r->target, on_target, r);
	if (rc == 0) {
		while (!r->op_done)
			uv_run(&r->loop, UV_RUN_ONCE);
		rc = r->op_status;
	}
	if (rc < 0) {
		size_t n = 0;
		const char *text = target_launched(r->target) ? target_stderr(r->target, &n) : "";

		snprintf(err, errlen, "the target did not get ready (%s): %s%s%.*s", strerror(-rc),
		         target_describe(r->target), n ? "; its stderr: " : "",
		         (int)(n > 300 ? 300 : n), text);
		return -1;
	}
	r->to = *target_addr(r->target);
	pid = (int32_t)target_pid(r->target);
	if (r->reaper_fd >= 0 && pid > 0 && write(r->reaper_fd, &pid, sizeof(pid)) != sizeof(pid)) {
		snprintf(err, errlen, "write (the reaper's pipe): %s", strerror(errno));
		return -1;
	}
	return 0;
}

int play_init(struct live_run *r, char *err, size_t errlen)
{
	struct target_cfg cfg = {
	    .command = r->o.command,
	    .connect = r->o.connect,
	    .socktype = r->o.profile->framing == PROTO_FRAMING_DATAGRAM ? SOCK_DGRAM : SOCK_STREAM,
	    .family = r->o.family,
	    .timeout_scale = 1.0,
	};
	int rc = uv_loop_init(&r->loop);

	if (rc < 0) {
		snprintf(err, errlen, "uv_loop_init: %s", uv_strerror(rc));
		return -1;
	}
	uv_timer_init(&r->loop, &r->timer);
	r->timer.data = r;
	r->source = (uint32_t)getpid() * 7919u;
	if (r->o.connect && target_check_connect(r->o.connect, cfg.socktype, err, errlen) < 0)
		return -1;
	if (r->o.command && target_check_command(r->o.command, err, errlen) < 0)
		return -1;
	if (target_new(&r->loop, &cfg, &r->target, err, errlen) < 0)
		return -1;
	return start_target(r, err, errlen);
}

/* Fds and threads must not climb from input to input. */
static void count_resources(struct live_run *r)
{
	struct target_counts now;

	if (!target_launched(r->target) || r->o.profile->mode == SCHED_ONCE ||
	    r->inputs % LIVE_COUNT_EVERY != 0 || target_counts(r->target, &now) < 0)
		return;
	if (r->inputs == LIVE_COUNT_EVERY) {
		r->base = now;
		return;
	}
	if (now.fds <= r->base.fds + LIVE_GROWTH && now.threads <= r->base.threads + LIVE_GROWTH)
		return;
	usleep(PLAY_SETTLE_MS * 1000); /* connections just closed may still be ending */
	if (target_counts(r->target, &now) < 0 ||
	    (now.fds <= r->base.fds + LIVE_GROWTH && now.threads <= r->base.threads + LIVE_GROWTH))
		return;
	r->sched = NULL;
	finding(r, "resource growth",
	        "after %llu inputs the target holds %ld fds and %ld threads; after %d it held %ld "
	        "and %ld (every connection of every input was closed)",
	        (unsigned long long)r->inputs, now.fds, now.threads, LIVE_COUNT_EVERY, r->base.fds,
	        r->base.threads);
}

/* Saves the previous input as ARTIFACT_PREFIX + "previous-input". */
static void save_previous(struct live_run *r)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%sprevious-input",
	         r->o.artifact_prefix ? r->o.artifact_prefix : "");
	f = fopen(path, "wb");
	if (!f || fwrite(r->last, 1, r->last_len, f) != r->last_len || fclose(f) != 0)
		fprintf(stderr, "sockspec-fuzz: cannot save %s: %s\n", path, strerror(errno));
}

static void start_or_fail(struct live_run *r)
{
	char err[512];

	if (start_target(r, err, sizeof(err)) < 0)
		finding(r, "error", "%s", err);
}

/* After an input of a once profile: the server must exit 0 by itself. */
static void once_ended(struct live_run *r)
{
	int status = 0, signo = 0;

	if (!target_gone(r, r->o.timeout_ms))
		finding(r, "hang",
		        "a server of profile %s should exit after its one connection; "
		        "it still runs %llu ms after the connection ended",
		        r->o.profile->name, (unsigned long long)r->o.timeout_ms);
	target_exit_info(r->target, &status, &signo);
	if (signo || status != 0)
		crashed(r, "at the end of its one connection (it should exit 0)");
}

/* Plays one input's schedule and closes its connections. */
static void run_schedule(struct live_run *r, const uint8_t *data, size_t size)
{
	struct sched_cfg cfg = {.mode = r->o.profile->mode,
	                        .datagrams = r->o.profile->framing == PROTO_FRAMING_DATAGRAM};
	struct sched s;
	size_t i;

	sched_decode(&cfg, data, size, &s);
	r->sched = &s;
	for (r->step = 0; r->step < s.n; r->step++) {
		if (s.steps[r->step].kind == SCHED_FINISH)
			half_close_rest(r, &s, r->step);
		play_step(r, &s.steps[r->step]);
	}
	for (i = 0; i < s.nconn; i++)
		lconn_free(&r->conns[i]);
	r->step = s.n;
	if (r->o.profile->mode == SCHED_ONCE && s.nconn > 0)
		once_ended(r);
	r->sched = NULL;
}

/* Which input killed the target: this one, replayed alone on a fresh
 * target, or the previous one? A crash during a replay is reported at
 * once (r->triage is set). */
static void triage(struct live_run *r, const char *what)
{
	size_t i;

	for (i = 0; r->sched && i < r->sched->nconn; i++)
		lconn_free(&r->conns[i]); /* the connections of the schedule that failed */
	r->triage = 1;
	start_or_fail(r);
	for (i = 0; i < PLAY_REPLAYS && r->cur; i++) {
		run_schedule(r, r->cur, r->cur_len);
		if (target_gone(r, PLAY_SETTLE_MS))
			crashed(r, "after this input, replayed alone on a fresh target");
	}
	for (i = 0; i < PLAY_REPLAYS && r->last; i++) {
		run_schedule(r, r->last, r->last_len);
		if (target_gone(r, PLAY_SETTLE_MS)) {
			save_previous(r);
			finding(
			    r, "crash",
			    "%s after the previous input (noticed late): replayed alone on a fresh "
			    "target, it kills it again; it is saved as the artifact "
			    "%sprevious-input",
			    what, r->o.artifact_prefix ? r->o.artifact_prefix : "");
		}
	}
	finding(
	    r, "crash",
	    "%s; replayed alone on a fresh target %d times each, neither this input nor the "
	    "previous one killed it again (a death that depends on timing or on earlier inputs)",
	    what, PLAY_REPLAYS);
}

void play_input(struct live_run *r, const uint8_t *data, size_t size)
{
	r->cur = data;
	r->cur_len = size;
	if (target_launched(r->target) && target_gone(r, 0)) {
		if (r->o.profile->mode != SCHED_ONCE)
			crashed(r, "between two inputs");
		start_or_fail(r);
	}
	run_schedule(r, data, size);
	if (r->o.profile->mode != SCHED_ONCE && target_gone(r, 0))
		crashed(r, "after the schedule ran");
	r->inputs++;
	count_resources(r);
	free(r->last);
	r->last = malloc(size ? size : 1);
	if (r->last)
		memcpy(r->last, data, size);
	r->last_len = size;
	r->cur = NULL;
}
