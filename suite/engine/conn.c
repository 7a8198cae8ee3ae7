/* SPDX-License-Identifier: MIT */
/*
 * Connections of a case on libuv (see conn.h). Writes render their data
 * chunk by chunk from a cursor, so a write of any size takes
 * CONN_CHUNK bytes of memory. Received bytes that an expectation of
 * known bytes is waiting for are matched as they arrive and, once more
 * than CONN_KEEP of them are buffered, dropped: a short exchange keeps
 * every byte for the messages, a long one keeps only its position.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>

#include "diagnose.h"

#define CONN_KEEP      (64u * 1024) /* matched bytes buffered before they are dropped */
#define CONN_SMALL_MSS 536          /* `rcvbuf`: the MSS advertised (IPv4's default minimum) */

/* ---- the list of a case's connections ---- */

struct conn *conn_new(struct casectx *ctx, const char *name, enum plan_transport tr)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ctx = ctx;
	c->transport = tr;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->next = ctx->conns;
	if (ctx->conns)
		ctx->conns->prev = c;
	ctx->conns = c;
	return c;
}

static void conn_free(struct conn *c)
{
	struct dgram *d;

	if (c->prev)
		c->prev->next = c->next;
	else
		c->ctx->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	while ((d = c->dq)) {
		c->dq = d->next;
		free(d);
	}
	free(c->rx);
	free(c);
}

static void on_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->ctx->handles--;
	c->closing = 0;
	if (c->released)
		conn_free(c);
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
	c->closing = 1;
	if (reset && c->transport == PLAN_TRANSPORT_TCP && uv_fileno(&c->u.handle, &fd) == 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	op_log(c->ctx, c->name, reset ? "reset (SO_LINGER 0)" : "close", NULL, 0);
	uv_close(&c->u.handle, on_close);
}

void conn_release(struct conn *c)
{
	c->released = 1;
	c->reader = NULL;
	conn_close(c, 0);
	if (!c->closing)
		conn_free(c);
}

void conn_close_all(struct casectx *ctx)
{
	for (struct conn *c = ctx->conns; c; c = c->next)
		conn_close(c, 0);
}

void conn_free_all(struct casectx *ctx)
{
	while (ctx->conns)
		conn_free(ctx->conns);
}

/* ---- receiving ---- */

static void start_reading(struct conn *c);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	size_t room = CONN_RX_LIMIT - c->rx_len;

	(void)suggested;
	buf->base = (char *)c->ctx->scratch;
	buf->len = room < sizeof(c->ctx->scratch) ? room : sizeof(c->ctx->scratch);
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

void conn_consume(struct conn *c, size_t n)
{
	if (n) /* rx may still be NULL when there is nothing to consume */
		memmove(c->rx, c->rx + n, c->rx_len - n);
	c->rx_len -= n;
	if (c->full && c->rx_len < CONN_RX_LIMIT / 2 && c->handle_open && !c->paused) {
		c->full = 0;
		start_reading(c);
	}
}

int conn_ended(const struct conn *c)
{
	return c->eof || c->reset || c->read_err;
}

void conn_expect_known(struct conn *c, const struct plan_stmt *at, long index, int lf)
{
	if (c->known_at == at && c->known_index == index)
		return;
	match_known_init_vars(&c->known, &at->data, index, &c->ctx->vars, lf);
	c->known_at = at;
	c->known_index = index;
	c->known_failed = 0;
	c->dropped = 0;
}

void conn_forget_known(struct conn *c)
{
	c->known_at = NULL;
	c->known_failed = 0;
	c->dropped = 0;
}

enum match_result conn_match_known(struct conn *c)
{
	size_t fed, used = 0;
	enum match_result r;

	if (c->known_failed)
		return MATCH_MISMATCH;
	fed = (size_t)(c->known.matched - c->dropped);
	/* rx is NULL until the first byte came: no offset on it then */
	r = match_known_feed(&c->known, c->rx ? c->rx + fed : c->rx, c->rx_len - fed, &used);
	fed += used;
	if (r == MATCH_MISMATCH) {
		c->known_failed = 1;
	} else if (r == MATCH_OK || c->rx_len > CONN_KEEP) {
		conn_consume(c, fed);
		c->dropped += fed;
	}
	return r;
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
	(void)uv_read_stop(&c->u.stream);
	op_log(c->ctx, c->name,
	       c->eof     ? "eof"
	       : c->reset ? "reset by peer"
	                  : uv_strerror((int)code),
	       NULL, 0);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct strbuf msg = {NULL, 0, 0, 0};

	if (n == 0 || c->ctx->finished)
		return;
	if (n < 0) {
		read_ended(c, n);
	} else {
		op_log(c->ctx, c->name, "read", (const uint8_t *)buf->base, (size_t)n);
		c->last_rx_ns = uv_hrtime();
		if (!c->first_rx_ns)
			c->first_rx_ns = c->last_rx_ns;
		if (rx_append(c, (const uint8_t *)buf->base, (size_t)n) < 0) {
			strbuf_printf(&msg, "out of memory buffering %s", c->name);
			c->ctx->host->failed(c->ctx, NULL, VERDICT_ERROR, &msg);
			return;
		}
		if (!c->reader && c->known_at)
			(void)conn_match_known(c); /* ahead of its expectation */
		if (c->rx_len + sizeof(c->ctx->scratch) > CONN_RX_LIMIT) {
			/* Bounded memory: let the target's writes block instead. */
			c->full = 1;
			(void)uv_read_stop(s);
			op_log(c->ctx, c->name, "receive buffer full: reading paused", NULL, 0);
		}
	}
	if (c->reader)
		c->on_input(c->reader);
}

static void start_reading(struct conn *c)
{
	(void)uv_read_start(&c->u.stream, on_alloc, on_read);
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
	struct conn *c = u->data;
	struct dgram *d;

	(void)flags;
	if (c->ctx->finished)
		return;
	if (n < 0) {
		c->read_err = (int)n;
		op_log(c->ctx, c->name, uv_strerror((int)n), NULL, 0);
	}
	if (n < 0 || !from)
		return;
	op_log(c->ctx, c->name, "datagram", (const uint8_t *)buf->base, (size_t)n);
	if (c->dq_count >= CONN_DGRAM_MAX || !(d = calloc(1, sizeof(*d) + (size_t)n))) {
		op_log(c->ctx, c->name, "datagram dropped: queue full", NULL, 0);
		return;
	}
	memcpy(&d->from, from,
	       from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                   : sizeof(struct sockaddr_in));
	memcpy(d->data, buf->base, (size_t)n);
	d->len = (size_t)n;
	if (c->dq_tail)
		c->dq_tail->next = d;
	else
		c->dq = d;
	c->dq_tail = d;
	c->dq_count++;
	if (c->reader)
		c->on_input(c->reader);
}

void conn_pause(struct conn *c, int pause)
{
	c->paused = pause;
	op_log(c->ctx, c->name, pause ? "pause reading" : "resume reading", NULL, 0);
	if (c->transport == PLAN_TRANSPORT_UDP || !c->handle_open || conn_ended(c))
		return;
	if (pause)
		(void)uv_read_stop(&c->u.stream);
	else if (!c->full)
		start_reading(c);
}

/* ---- connecting ---- */

static void on_connect(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	struct op *op = c->connecting;
	char addr[ADDR_TEXT_MAX];

	if (c->ctx->finished || status == UV_ECANCELED)
		return;
	c->connecting = NULL;
	op_stop_timer(op);
	if (status < 0 && c->refusal_expected &&
	    (status == UV_ECONNREFUSED ||
	     (status == UV_ENOENT && c->transport == PLAN_TRANSPORT_UNIX))) {
		c->refused = 1;
		op_log(c->ctx, c->name, "refused", NULL, 0);
		op_done(op);
		return;
	}
	if (status < 0) {
		addr_format(target_addr(c->ctx->target), addr, sizeof(addr));
		op_log(c->ctx, c->name, uv_strerror(status), NULL, 0);
		op_fail(op, VERDICT_FAIL, "connect %s to %s: %s", c->name, addr,
		        uv_strerror(status));
		return;
	}
	c->connected_ns = uv_hrtime();
	op_log(c->ctx, c->name, "connected", NULL, 0);
	if (c->transport == PLAN_TRANSPORT_TCP)
		(void)uv_tcp_nodelay(&c->u.tcp, 1);
	start_reading(c);
	op_done(op);
}

static void on_connect_timeout(struct op *op)
{
	struct strbuf msg = {NULL, 0, 0, 0};
	char addr[ADDR_TEXT_MAX];
	uint64_t ms = op_ms(op->ctx, CONN_CONNECT_MS);

	addr_format(target_addr(op->ctx->target), addr, sizeof(addr));
	strbuf_printf(&msg, "connect %s to %s: no answer within %llu ms", op->conn->name, addr,
	              (unsigned long long)ms);
	diagnose_connect(&msg, ms, target_listen_backlog(op->ctx->target));
	op_fail_sb(op, VERDICT_FAIL, &msg);
}

/* UDP: bind an ephemeral loopback port of the target's family, read. */
static void udp_open(struct op *op, struct conn *c, const struct addr *to)
{
	struct sockaddr_storage any;
	int family = addr_family(to), rc;

	memset(&any, 0, sizeof(any));
	any.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&any)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&any)->sin6_addr = in6addr_loopback;
	rc = uv_udp_init_ex(c->ctx->loop, &c->u.udp, (unsigned)family);
	if (rc == 0) {
		c->handle_open = 1;
		c->ctx->handles++;
		c->u.handle.data = c;
		rc = uv_udp_bind(&c->u.udp, (struct sockaddr *)&any, 0);
	}
	if (rc == 0)
		rc = uv_udp_recv_start(&c->u.udp, on_alloc, on_recv);
	if (rc < 0) {
		op_fail(op, VERDICT_ERROR, "udp socket for %s: %s", c->name, uv_strerror(rc));
		return;
	}
	c->connected_ns = uv_hrtime();
	op_log(c->ctx, c->name, "udp socket ready", NULL, 0);
	op_done(op);
}

/* `connect NAME rcvbuf N`: a small receive buffer keeps the advertised
 * window small, and a small MSS (CONN_SMALL_MSS, as over a path with a
 * small MTU) keeps the server's send buffer small, since Linux sizes it
 * in segments. So a server writing to a paused client finds its send
 * buffer full after a few KiB and its sends come back short. Both are set
 * before the connect, when they are negotiated. A Unix socket has neither
 * (the sender's buffer alone limits it): nothing to do there. */
static int set_small_window(struct conn *c, const char **call)
{
	int mss = CONN_SMALL_MSS;
	uv_os_fd_t fd;
	int rc;

	if (c->rcvbuf <= 0 || c->transport != PLAN_TRANSPORT_TCP)
		return 0;
	*call = "uv_fileno";
	rc = uv_fileno(&c->u.handle, &fd);
	if (rc < 0)
		return rc;
	*call = "setsockopt(SO_RCVBUF)";
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &c->rcvbuf, sizeof(c->rcvbuf)) < 0)
		return uv_translate_sys_error(errno);
	*call = "setsockopt(TCP_MAXSEG)";
	if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) < 0)
		return uv_translate_sys_error(errno);
	return 0;
}

void conn_connect(struct op *op, struct conn *c, const struct addr *to)
{
	const char *call = "";
	int rc;

	op->conn = c;
	if (c->transport == PLAN_TRANSPORT_UDP) {
		udp_open(op, c, to);
		return;
	}
	rc = c->transport == PLAN_TRANSPORT_TCP
	         ? uv_tcp_init_ex(c->ctx->loop, &c->u.tcp, to->ss.ss_family)
	         : uv_pipe_init(c->ctx->loop, &c->u.pipe, 0);
	if (rc == 0) {
		c->handle_open = 1;
		c->ctx->handles++;
		c->u.handle.data = c;
		if ((rc = set_small_window(c, &call)) < 0) {
			op_fail(op, VERDICT_ERROR, "connect %s: %s: %s", c->name, call,
			        uv_strerror(rc));
			return;
		}
	}
	if (rc == 0) {
		c->connect_req.data = c;
		c->connecting = op;
		c->connect_ns = uv_hrtime();
		op_log(c->ctx, c->name, "connect", NULL, 0);
		if (c->transport == PLAN_TRANSPORT_TCP)
			rc = uv_tcp_connect(&c->connect_req, &c->u.tcp,
			                    (const struct sockaddr *)&to->ss, on_connect);
		else
			uv_pipe_connect(&c->connect_req, &c->u.pipe,
			                ((const struct sockaddr_un *)&to->ss)->sun_path,
			                on_connect);
	}
	if (rc < 0) {
		c->connecting = NULL;
		op_fail(op, VERDICT_ERROR, "connect %s: %s", c->name, uv_strerror(rc));
		return;
	}
	op_after(op, op_ms(op->ctx, CONN_CONNECT_MS), on_connect_timeout);
}

/* ---- writing ---- */

static void write_next(struct op *op);

static void write_end(struct op *op)
{
	free(op->u.write.buf);
	op->u.write.buf = NULL;
	op_done(op);
}

/* Remembers a failed write on its connection; the case goes on so that
 * the next expectation can say what the peer did (EOF, reset). */
static void write_failed(struct op *op, int code)
{
	struct conn *c = op->conn;

	c->write_err = code;
	c->write_err_at = op->u.write.off;
	c->write_err_of = op->u.write.len;
	c->write_err_stmt = op->stmt;
	c->write_err_explained = 0;
	op_log(c->ctx, c->name, uv_strerror(code), NULL, 0);
	write_end(op);
}

static void on_gap(struct op *op)
{
	write_next(op);
}

static void on_write(uv_write_t *req, int status)
{
	struct op *op = req->data;
	struct op_write *w = &op->u.write;

	if (op->ctx->finished)
		return;
	if (status < 0) {
		write_failed(op, status);
		return;
	}
	w->off += w->buf_len;
	w->piece_left -= w->buf_len;
	if (w->piece_left == 0 && w->off < w->len && op->stmt->gap_ms > 0)
		op_after(op, op_ms(op->ctx, op->stmt->gap_ms), on_gap);
	else
		write_next(op);
}

/* Hands the next chunk of the current piece (or of a new one) over. */
static void write_next(struct op *op)
{
	struct op_write *w = &op->u.write;
	uv_buf_t b;
	int rc;

	if (w->off >= w->len) {
		write_end(op);
		return;
	}
	if (w->piece_left == 0)
		w->piece_left =
		    split_next(&op->stmt->split, (size_t)(w->len - w->off), &op->ctx->rng);
	w->buf_len = w->piece_left < CONN_CHUNK ? (size_t)w->piece_left : CONN_CHUNK;
	w->buf_len = plan_cursor_read(&w->data, w->buf, w->buf_len);
	b = uv_buf_init((char *)w->buf, (unsigned)w->buf_len);
	op_log(op->ctx, op->conn->name, "write", w->buf, w->buf_len);
	w->req.stream.data = op;
	rc = uv_write(&w->req.stream, &op->conn->u.stream, &b, 1, on_write);
	if (rc < 0)
		write_failed(op, rc);
}

void conn_write(struct op *op, struct conn *c)
{
	struct op_write *w = &op->u.write;

	memset(w, 0, sizeof(*w));
	op->conn = c;
	w->len = plan_bytes_len_vars(&op->stmt->data, op->index, &op->ctx->vars);
	plan_cursor_init_vars(&w->data, &op->stmt->data, op->index, &op->ctx->vars);
	c->last_write_ns = uv_hrtime();
	if (w->len == 0) {
		op_done(op);
		return;
	}
	w->buf = malloc(w->len < CONN_CHUNK ? (size_t)w->len : CONN_CHUNK);
	if (!w->buf) {
		op_fail(op, VERDICT_ERROR, "out of memory");
		return;
	}
	write_next(op);
}

static void on_send(uv_udp_send_t *req, int status)
{
	struct op *op = req->data;

	if (op->ctx->finished)
		return;
	free(op->u.write.buf);
	op->u.write.buf = NULL;
	if (status < 0) {
		op_fail(op, VERDICT_FAIL, "send on %s: %s", op->stmt->conn, uv_strerror(status));
		return;
	}
	op_done(op);
}

void conn_send(struct op *op, struct conn *c, const struct addr *to)
{
	struct op_write *w = &op->u.write;
	size_t len = 0;
	uv_buf_t b;
	int rc;

	memset(w, 0, sizeof(*w));
	op->conn = c;
	if (plan_bytes_render_vars(&op->stmt->data, op->index, &op->ctx->vars, &w->buf, &len) < 0) {
		op_fail(op, VERDICT_ERROR, "out of memory");
		return;
	}
	w->len = len;
	b = uv_buf_init((char *)w->buf, (unsigned)len);
	op_log(c->ctx, c->name, "send", w->buf, len);
	w->req.dgram.data = op;
	rc =
	    uv_udp_send(&w->req.dgram, &c->u.udp, &b, 1, (const struct sockaddr *)&to->ss, on_send);
	if (rc < 0) {
		free(w->buf);
		w->buf = NULL;
		op_fail(op, VERDICT_FAIL, "send on %s (%zu bytes): %s", c->name, len,
		        uv_strerror(rc));
	}
}

/* ---- half-close ---- */

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;
	struct op *op = c->shutting;

	if (c->ctx->finished || status == UV_ECANCELED)
		return;
	c->shutting = NULL;
	op_log(c->ctx, c->name, status < 0 ? uv_strerror(status) : "shutdown done", NULL, 0);
	op_done(op);
}

void conn_shutdown(struct op *op, struct conn *c)
{
	int rc;

	op->conn = c;
	op_log(c->ctx, c->name, "shutdown (write side)", NULL, 0);
	c->shutdown_req.data = c;
	c->shutting = op;
	rc = uv_shutdown(&c->shutdown_req, &c->u.stream, on_shutdown);
	if (rc < 0) {
		c->shutting = NULL;
		op_log(c->ctx, c->name, uv_strerror(rc), NULL, 0);
		op_done(op);
	}
}

void conn_status(const struct conn *c, struct strbuf *sb)
{
	double at = c->end_ns > c->connected_ns ? (double)(c->end_ns - c->connected_ns) / 1e6 : 0;

	if (c->eof)
		strbuf_printf(sb, " then EOF after %.1fms", at);
	else if (c->reset)
		strbuf_printf(sb, " then reset after %.1fms", at);
	else if (c->read_err)
		strbuf_printf(sb, " then %s after %.1fms", uv_strerror(c->read_err), at);
	if (c->write_err)
		strbuf_printf(sb, " (our write failed: %s after %llu of %llu bytes)",
		              uv_strerror(c->write_err), (unsigned long long)c->write_err_at,
		              (unsigned long long)c->write_err_of);
}
