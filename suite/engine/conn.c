/* SPDX-License-Identifier: MIT */
/*
 * Connections of a case on libuv: connect (TCP, Unix stream, UDP),
 * writes cut into pieces by split.c with gaps between them, datagrams,
 * half-close, close and reset (SO_LINGER 0). Reading is always on unless
 * a `pause` statement stopped it, so a concurrent reader never blocks the
 * server; what arrives is buffered up to CONN_RX_LIMIT, past which
 * reading stops, so a flooding target cannot grow the runner's memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "engine_int.h"

static void on_close(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct dgram *d;

	c->eng->handles--;
	free(c->rx);
	c->rx = NULL;
	c->rx_len = c->rx_cap = 0;
	while ((d = c->dq)) {
		c->dq = d->next;
		free(d);
	}
	c->dq_tail = NULL;
	c->dq_count = 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	size_t room = CONN_RX_LIMIT - c->rx_len;

	(void)suggested;
	buf->base = (char *)c->eng->scratch;
	buf->len = room < sizeof(c->eng->scratch) ? room : sizeof(c->eng->scratch);
}

static int rx_append(struct conn *c, const uint8_t *data, size_t n)
{
	if (c->rx_len + n > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 4096;
		uint8_t *grown;
		while (cap < c->rx_len + n)
			cap *= 2;
		grown = realloc(c->rx, cap);
		if (!grown)
			return -1;
		c->rx = grown;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, data, n);
	c->rx_len += n;
	return 0;
}

static void read_ended(struct conn *c, ssize_t code)
{
	c->end_ns = uv_hrtime();
	if (code == UV_EOF)
		c->eof = 1;
	else if (code == UV_ECONNRESET)
		c->reset = 1;
	else
		c->read_err = (int)code;
	uv_read_stop(&c->u.stream);
	engine_log(c->eng, c->name,
	           c->eof     ? "eof"
	           : c->reset ? "reset by peer"
	                      : uv_strerror((int)code),
	           NULL, 0);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	if (n == 0)
		return;
	if (n < 0) {
		read_ended(c, n);
	} else {
		engine_log(c->eng, c->name, "read", (const uint8_t *)buf->base, (size_t)n);
		if (rx_append(c, (const uint8_t *)buf->base, (size_t)n) < 0) {
			engine_fail(c->eng, NULL, VERDICT_ERROR, "out of memory buffering %s",
			            c->name);
			return;
		}
		if (c->rx_len + sizeof(c->eng->scratch) > CONN_RX_LIMIT) {
			/* Bounded memory: let the target's writes block instead. */
			c->full = 1;
			uv_read_stop(s);
			engine_log(c->eng, c->name, "receive buffer full: reading paused", NULL, 0);
		}
	}
	if (c->waiter)
		expect_check(c->waiter);
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
	struct conn *c = u->data;
	struct dgram *d;

	if (n < 0) {
		c->read_err = (int)n;
		engine_log(c->eng, c->name, uv_strerror((int)n), NULL, 0);
	}
	if (n < 0 || !from)
		return;
	engine_log(c->eng, c->name, "datagram", (const uint8_t *)buf->base, (size_t)n);
	if (c->dq_count >= CONN_DGRAM_MAX || !(d = calloc(1, sizeof(*d) + (size_t)n))) {
		engine_log(c->eng, c->name, "datagram dropped: queue full", NULL, 0);
		return;
	}
	memcpy(&d->from, from,
	       from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                   : sizeof(struct sockaddr_in));
	memcpy(d->data, buf->base, (size_t)n);
	d->len = (size_t)n;
	d->truncated = (flags & UV_UDP_PARTIAL) != 0;
	if (c->dq_tail)
		c->dq_tail->next = d;
	else
		c->dq = d;
	c->dq_tail = d;
	c->dq_count++;
	if (c->waiter)
		expect_check(c->waiter);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct fiber *f = req->data;
	struct conn *c = f->wconn;
	char addr[ADDR_TEXT_MAX];

	if (f->eng->finished || status == UV_ECANCELED)
		return;
	f->wconn = NULL;
	fiber_stop_timer(f);
	addr_format(target_addr(f->eng->env->target), addr, sizeof(addr));
	if (status < 0) {
		engine_log(f->eng, c->name, uv_strerror(status), NULL, 0);
		engine_fail(f->eng, f->cur, VERDICT_FAIL, "connect %s to %s: %s", c->name, addr,
		            uv_strerror(status));
		return;
	}
	c->connected_ns = uv_hrtime();
	engine_log(f->eng, c->name, "connected", NULL, 0);
	if (c->transport == PLAN_TRANSPORT_TCP)
		uv_tcp_nodelay(&c->u.tcp, 1);
	uv_read_start(&c->u.stream, on_alloc, on_read);
	fiber_resume(f);
}

static void on_connect_timeout(uv_timer_t *t)
{
	struct fiber *f = t->data;
	char addr[ADDR_TEXT_MAX];

	addr_format(target_addr(f->eng->env->target), addr, sizeof(addr));
	engine_fail(f->eng, f->cur, VERDICT_FAIL, "connect %s to %s: no answer within %llu ms",
	            f->wconn ? f->wconn->name : "?", addr,
	            (unsigned long long)engine_ms(f->eng, ENGINE_CONNECT_MS));
}

/* Registers a new connection under the statement's name in fiber f. */
static struct conn *conn_new(struct fiber *f, const struct plan_stmt *s, enum plan_transport tr)
{
	struct conn *c = calloc(1, sizeof(*c)), *old = fiber_lookup(f, s);
	struct binding *b;

	if (!c)
		return NULL;
	if (old && !old->closed)
		conn_close(old, 0);
	for (b = f->names; b && strcmp(b->name, s->conn) != 0; b = b->next)
		;
	if (!b && !(b = calloc(1, sizeof(*b)))) {
		free(c);
		return NULL;
	}
	if (!b->name[0]) {
		snprintf(b->name, sizeof(b->name), "%s", s->conn);
		b->next = f->names;
		f->names = b;
	}
	b->conn = c;
	c->eng = f->eng;
	c->transport = tr;
	fiber_who(f, s, c->name, sizeof(c->name));
	c->next = f->eng->conns;
	f->eng->conns = c;
	return c;
}

/* UDP: bind an ephemeral loopback port of the target's family, read. */
static enum step udp_open(struct fiber *f, struct conn *c, const struct addr *to)
{
	struct sockaddr_storage any;
	int family = addr_family(to), rc;

	memset(&any, 0, sizeof(any));
	any.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&any)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&any)->sin6_addr = in6addr_loopback;
	rc = uv_udp_init_ex(f->eng->loop, &c->u.udp, (unsigned)family);
	if (rc == 0) {
		c->handle_open = 1;
		f->eng->handles++;
		c->u.handle.data = c;
		rc = uv_udp_bind(&c->u.udp, (struct sockaddr *)&any, 0);
	}
	if (rc == 0)
		rc = uv_udp_recv_start(&c->u.udp, on_alloc, on_recv);
	if (rc < 0) {
		engine_fail(f->eng, f->cur, VERDICT_ERROR, "udp socket for %s: %s", c->name,
		            uv_strerror(rc));
		return STEP_STOP;
	}
	c->connected_ns = uv_hrtime();
	engine_log(f->eng, c->name, "udp socket ready", NULL, 0);
	return STEP_NEXT;
}

enum step conn_connect(struct fiber *f, const struct plan_stmt *s)
{
	const struct addr *to = target_addr(f->eng->env->target);
	enum plan_transport tr = s->transport ? s->transport : f->eng->env->transport;
	int unix_target = addr_family(to) == AF_UNIX, rc;
	struct conn *c;

	if ((tr == PLAN_TRANSPORT_UNIX) != unix_target ||
	    (tr == PLAN_TRANSPORT_UDP && unix_target)) {
		engine_fail(f->eng, s, VERDICT_ERROR, "connect %s: a %s connection cannot reach %s",
		            s->conn,
		            tr == PLAN_TRANSPORT_UDP    ? "udp"
		            : tr == PLAN_TRANSPORT_UNIX ? "unix"
		                                        : "tcp",
		            unix_target ? "a unix socket target" : "an inet target");
		return STEP_STOP;
	}
	if (!(c = conn_new(f, s, tr))) {
		engine_fail(f->eng, s, VERDICT_ERROR, "out of memory");
		return STEP_STOP;
	}
	if (tr == PLAN_TRANSPORT_UDP)
		return udp_open(f, c, to);
	rc = tr == PLAN_TRANSPORT_TCP ? uv_tcp_init(f->eng->loop, &c->u.tcp)
	                              : uv_pipe_init(f->eng->loop, &c->u.pipe, 0);
	if (rc == 0) {
		c->handle_open = 1;
		f->eng->handles++;
		c->u.handle.data = c;
		c->connect_req.data = f;
		f->wconn = c;
		engine_log(f->eng, c->name, "connect", NULL, 0);
		if (tr == PLAN_TRANSPORT_TCP)
			rc = uv_tcp_connect(&c->connect_req, &c->u.tcp,
			                    (const struct sockaddr *)&to->ss, on_connect);
		else
			uv_pipe_connect(&c->connect_req, &c->u.pipe,
			                ((const struct sockaddr_un *)&to->ss)->sun_path,
			                on_connect);
	}
	if (rc < 0) {
		engine_fail(f->eng, s, VERDICT_ERROR, "connect %s: %s", c->name, uv_strerror(rc));
		return STEP_STOP;
	}
	fiber_wait_timer(f, engine_ms(f->eng, ENGINE_CONNECT_MS), on_connect_timeout);
	return STEP_WAIT;
}

/* Looks up a stream connection for write/shutdown; fails the case if
 * there is none or it is UDP or closed. */
static struct conn *stream_conn(struct fiber *f, const struct plan_stmt *s, const char *what)
{
	struct conn *c = fiber_lookup(f, s);

	if (!c)
		return NULL;
	if (c->transport == PLAN_TRANSPORT_UDP || c->closed) {
		engine_fail(f->eng, s, VERDICT_ERROR, "%s %s: the connection is %s", what, c->name,
		            c->closed ? "closed" : "udp (use send)");
		return NULL;
	}
	return c;
}

static enum step write_piece(struct fiber *f);

static void on_gap(uv_timer_t *t)
{
	struct fiber *f = t->data;

	if (write_piece(f) == STEP_NEXT)
		fiber_resume(f);
}

static void write_done(struct fiber *f)
{
	free(f->wbuf);
	f->wbuf = NULL;
	f->wconn = NULL;
}

/* Remembers a failed write on its connection; the case goes on so that
 * the next expectation can say what the peer did (EOF, reset). */
static void write_failed(struct fiber *f, int code)
{
	struct conn *c = f->wconn;

	c->write_err = code;
	c->write_err_at = f->woff;
	c->write_err_of = f->wlen;
	c->write_err_stmt = f->cur;
	engine_log(f->eng, c->name, uv_strerror(code), NULL, 0);
	write_done(f);
}

static void on_write(uv_write_t *req, int status)
{
	struct fiber *f = req->data;

	if (f->eng->finished)
		return;
	if (status < 0) {
		write_failed(f, status);
		fiber_resume(f); /* the next expectation reports what the peer did */
		return;
	}
	f->woff += f->wpiece;
	if (f->woff < f->wlen && f->cur->gap_ms > 0) {
		fiber_wait_timer(f, engine_ms(f->eng, f->cur->gap_ms), on_gap);
		return;
	}
	if (write_piece(f) == STEP_NEXT)
		fiber_resume(f);
}

static enum step write_piece(struct fiber *f)
{
	struct conn *c = f->wconn;
	uv_buf_t b;
	int rc;

	if (f->woff >= f->wlen) {
		write_done(f);
		return STEP_NEXT;
	}
	f->wpiece = split_next(&f->cur->split, f->wlen - f->woff, &f->eng->rng);
	b = uv_buf_init((char *)f->wbuf + f->woff, (unsigned)f->wpiece);
	engine_log(f->eng, c->name, "write", f->wbuf + f->woff, f->wpiece);
	f->wreq.data = f;
	rc = uv_write(&f->wreq, &c->u.stream, &b, 1, on_write);
	if (rc < 0) {
		write_failed(f, rc);
		return STEP_NEXT;
	}
	return STEP_WAIT;
}

enum step conn_write(struct fiber *f, const struct plan_stmt *s)
{
	struct conn *c = stream_conn(f, s, "write");

	if (!c)
		return STEP_STOP;
	if (plan_bytes_render(&s->data, f->index, &f->wbuf, &f->wlen) < 0) {
		engine_fail(f->eng, s, VERDICT_ERROR, "out of memory");
		return STEP_STOP;
	}
	f->wconn = c;
	f->woff = 0;
	if (f->wlen == 0) {
		write_done(f);
		return STEP_NEXT;
	}
	return write_piece(f);
}

static void on_send(uv_udp_send_t *req, int status)
{
	struct fiber *f = req->data;

	if (f->eng->finished)
		return;
	write_done(f);
	if (status < 0) {
		engine_fail(f->eng, f->cur, VERDICT_FAIL, "send on %s: %s", f->cur->conn,
		            uv_strerror(status));
		return;
	}
	fiber_resume(f);
}

enum step conn_send(struct fiber *f, const struct plan_stmt *s)
{
	struct conn *c = fiber_lookup(f, s);
	const struct addr *to = target_addr(f->eng->env->target);
	uv_buf_t b;
	int rc;

	if (!c)
		return STEP_STOP;
	if (c->transport != PLAN_TRANSPORT_UDP || c->closed) {
		engine_fail(f->eng, s, VERDICT_ERROR, "send %s: not an open udp connection",
		            c->name);
		return STEP_STOP;
	}
	if (plan_bytes_render(&s->data, f->index, &f->wbuf, &f->wlen) < 0) {
		engine_fail(f->eng, s, VERDICT_ERROR, "out of memory");
		return STEP_STOP;
	}
	b = uv_buf_init((char *)(f->wbuf ? f->wbuf : (uint8_t *)""), (unsigned)f->wlen);
	engine_log(f->eng, c->name, "send", f->wbuf, f->wlen);
	f->sreq.data = f;
	rc = uv_udp_send(&f->sreq, &c->u.udp, &b, 1, (const struct sockaddr *)&to->ss, on_send);
	if (rc < 0) {
		write_done(f);
		engine_fail(f->eng, s, VERDICT_FAIL, "send on %s (%zu bytes): %s", c->name,
		            (size_t)b.len, uv_strerror(rc));
		return STEP_STOP;
	}
	return STEP_WAIT;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct fiber *f = req->data;
	struct conn *c = f->wconn;

	if (f->eng->finished || status == UV_ECANCELED)
		return;
	f->wconn = NULL;
	engine_log(f->eng, c->name, status < 0 ? uv_strerror(status) : "shutdown done", NULL, 0);
	fiber_resume(f);
}

enum step conn_shutdown(struct fiber *f, const struct plan_stmt *s)
{
	struct conn *c = stream_conn(f, s, "shutdown");
	int rc;

	if (!c)
		return STEP_STOP;
	engine_log(f->eng, c->name, "shutdown (write side)", NULL, 0);
	c->shutdown_req.data = f;
	f->wconn = c;
	rc = uv_shutdown(&c->shutdown_req, &c->u.stream, on_shutdown);
	if (rc < 0) {
		f->wconn = NULL;
		engine_log(f->eng, c->name, uv_strerror(rc), NULL, 0);
		return STEP_NEXT;
	}
	return STEP_WAIT;
}

void conn_close(struct conn *c, int reset)
{
	struct linger lg = {1, 0};
	uv_os_fd_t fd;

	if (c->closed)
		return;
	c->closed = 1;
	if (!c->handle_open)
		return;
	c->handle_open = 0;
	if (reset && c->transport == PLAN_TRANSPORT_TCP && uv_fileno(&c->u.handle, &fd) == 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	engine_log(c->eng, c->name, reset ? "reset (SO_LINGER 0)" : "close", NULL, 0);
	uv_close(&c->u.handle, on_close);
}

void conn_pause(struct conn *c, int pause)
{
	c->paused = pause;
	engine_log(c->eng, c->name, pause ? "pause reading" : "resume reading", NULL, 0);
	if (c->transport == PLAN_TRANSPORT_UDP || !c->handle_open || c->eof || c->reset)
		return;
	if (pause)
		uv_read_stop(&c->u.stream);
	else if (!c->full)
		uv_read_start(&c->u.stream, on_alloc, on_read);
}

void conn_consume(struct conn *c, size_t n)
{
	memmove(c->rx, c->rx + n, c->rx_len - n);
	c->rx_len -= n;
	if (c->full && c->rx_len < CONN_RX_LIMIT / 2 && c->handle_open && !c->paused) {
		c->full = 0;
		uv_read_start(&c->u.stream, on_alloc, on_read);
	}
}

void conn_close_all(struct engine *e)
{
	for (struct conn *c = e->conns; c; c = c->next)
		conn_close(c, 0);
}

void conn_free_all(struct engine *e)
{
	struct conn *c;

	while ((c = e->conns)) {
		e->conns = c->next;
		free(c->rx);
		free(c);
	}
}

const char *conn_status_text(const struct conn *c, char *buf, size_t cap)
{
	double at = c->end_ns > c->connected_ns ? (double)(c->end_ns - c->connected_ns) / 1e6 : 0;

	buf[0] = '\0';
	if (c->eof)
		snprintf(buf, cap, " then EOF after %.1fms", at);
	else if (c->reset)
		snprintf(buf, cap, " then reset after %.1fms", at);
	else if (c->read_err)
		snprintf(buf, cap, " then %s after %.1fms", uv_strerror(c->read_err), at);
	if (c->write_err) {
		size_t n = strlen(buf);
		snprintf(buf + n, cap - n, " (our write failed: %s after %zu of %zu bytes)",
		         uv_strerror(c->write_err), c->write_err_at, c->write_err_of);
	}
	return buf;
}
