/* SPDX-License-Identifier: MIT */
/*
 * Accept loops and the datagram loop. The threaded loop keeps its live
 * connections on a list so that a stop can shut them down and the
 * process exits with no thread still touching freed memory.
 */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/* Buffers live on the heap and the deepest call chain (session, then
 * net_lingering_close()'s 4 KiB sink) needs a few KiB, so 64 KiB is
 * ample, sanitizers included, and 10,000 threads reserve only 640 MiB of
 * address space (and touch a page or two each). */
#define SERVE_THREAD_STACK (64 * 1024)
#define SERVE_STOP_WAIT_MS 500 /* for live threads after a stop */
#define SERVE_RETRY_MS     20  /* pause before retrying a full pool or thread limit */

struct worker;

/* State shared by the accept loop and its threads. Everything a worker
 * touches lives here, on the heap: after a stop, a thread that outlives
 * the wait must not reach into the accept loop's (returned) frames. */
struct pool {
	pthread_mutex_t mu;         /* guards everything below */
	pthread_cond_t all_done;    /* the last live worker ended */
	struct worker *live;        /* connections being served */
	size_t count;               /* number of live workers */
	size_t max_clients;         /* cap on count */
	struct session_cfg session; /* what each worker runs (a copy) */
	int orphaned;               /* the accept loop is gone: the last worker frees the pool */
};

struct worker {
	int fd;                     /* the connection */
	struct pool *pool;          /* owner */
	struct worker *prev, *next; /* pool->live list */
};

static void report(const struct serve_cfg *cfg, const char *call, int e)
{
	char line[NET_ERR_MAX];

	if (!cfg->log)
		return;
	snprintf(line, sizeof(line), "%s: %s", call, strerror(e));
	cfg->log(line);
}

/* Waits for and accepts one connection. Returns the fd, -EINTR on a
 * stop, -EAGAIN for a transient failure, or another -errno. */
static int accept_one(int lfd, const struct serve_cfg *cfg)
{
	int rc = net_wait(lfd, POLLIN, -1, cfg->mask), fd;

	if (rc < 0)
		return rc;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		return fd;
	switch (errno) {
	case EINTR:
	case EAGAIN:
	case ECONNABORTED:
	case EPROTO:
		return -EAGAIN;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Out of fds or memory: say so, let connections drain, retry. */
		report(cfg, "accept", errno);
		net_wait(-1, 0, 100, cfg->mask);
		return -EAGAIN;
	default:
		return -errno;
	}
}

static void pool_free(struct pool *p)
{
	pthread_cond_destroy(&p->all_done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	int last, orphaned;

	/* Signals stay blocked here: only the main thread sees a stop. */
	session_run(w->fd, &p->session, NULL);
	pthread_mutex_lock(&p->mu);
	if (w->prev)
		w->prev->next = w->next;
	else
		p->live = w->next;
	if (w->next)
		w->next->prev = w->prev;
	last = --p->count == 0;
	orphaned = p->orphaned;
	if (last) /* only drain() waits, and only for the last one */
		pthread_cond_signal(&p->all_done);
	pthread_mutex_unlock(&p->mu);
	free(w);
	if (last && orphaned)
		pool_free(p);
	return NULL;
}

/* Starts a thread serving fd. Returns 0 (the thread owns fd) or -errno
 * (the caller still does). */
static int spawn(struct pool *p, int fd, pthread_attr_t *attr)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_t tid;
	int rc;

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->pool = p;
	pthread_mutex_lock(&p->mu);
	w->next = p->live;
	if (p->live)
		p->live->prev = w;
	p->live = w;
	p->count++;
	rc = pthread_create(&tid, attr, worker_main, w);
	if (rc != 0) {
		p->live = w->next;
		if (p->live)
			p->live->prev = NULL;
		p->count--;
	}
	pthread_mutex_unlock(&p->mu);
	if (rc != 0) {
		free(w);
		return -rc;
	}
	return 0;
}

static int at_capacity(struct pool *p)
{
	int full;

	pthread_mutex_lock(&p->mu);
	full = p->count >= p->max_clients;
	pthread_mutex_unlock(&p->mu);
	return full;
}

/* After a stop: shut every live connection down, wait for the threads,
 * and free the pool, or leave that to the last thread if some are still
 * running at the deadline. */
static void drain(struct pool *p)
{
	struct timespec deadline;
	struct worker *w;
	size_t left;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += SERVE_STOP_WAIT_MS * 1000000L;
	deadline.tv_sec += deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&p->mu);
	for (w = p->live; w; w = w->next)
		shutdown(w->fd, SHUT_RDWR);
	while (p->count > 0)
		if (pthread_cond_timedwait(&p->all_done, &p->mu, &deadline) == ETIMEDOUT)
			break;
	left = p->count;
	p->orphaned = left > 0;
	pthread_mutex_unlock(&p->mu);
	if (left == 0)
		pool_free(p);
}

/* Hands fd to a new thread. Out of threads or memory for now (EAGAIN,
 * ENOMEM), it keeps fd and retries every SERVE_RETRY_MS, as a full pool
 * does, so the client waits instead of being dropped; fd is closed if it
 * cannot be served (another error, or a stop meanwhile). */
static void hand_over(struct pool *p, const struct serve_cfg *cfg, int fd, pthread_attr_t *attr)
{
	int rc, said = 0;

	while ((rc = spawn(p, fd, attr)) == -EAGAIN || rc == -ENOMEM) {
		if (!said)
			report(cfg, "pthread_create", -rc); /* once, not per retry */
		said = 1;
		if (*cfg->stop)
			break;
		net_wait(-1, 0, SERVE_RETRY_MS, cfg->mask);
	}
	if (rc == 0)
		return;
	if (!said)
		report(cfg, "pthread_create", -rc);
	close(fd);
}

/* Detached threads with SERVE_THREAD_STACK bytes of stack. */
static int thread_attr(pthread_attr_t *attr, char *err, size_t errlen)
{
	int rc = pthread_attr_init(attr);

	if (rc != 0) {
		snprintf(err, errlen, "pthread_attr_init: %s", strerror(rc));
		return -rc;
	}
	rc = pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
	if (rc != 0)
		snprintf(err, errlen, "pthread_attr_setdetachstate: %s", strerror(rc));
	else if ((rc = pthread_attr_setstacksize(attr, SERVE_THREAD_STACK)) != 0)
		snprintf(err, errlen, "pthread_attr_setstacksize(%d): %s", SERVE_THREAD_STACK,
		         strerror(rc));
	if (rc != 0)
		pthread_attr_destroy(attr);
	return -rc;
}

static int serve_threaded(int lfd, const struct serve_cfg *cfg, char *err, size_t errlen)
{
	struct pool *p = calloc(1, sizeof(*p));
	pthread_attr_t attr;
	int rc, fd;

	if (!p) {
		snprintf(err, errlen, "calloc: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = thread_attr(&attr, err, errlen);
	if (rc < 0) {
		free(p);
		return rc;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->all_done, NULL);
	p->max_clients = cfg->max_clients;
	p->session = cfg->session;
	while (!*cfg->stop) {
		if (at_capacity(p)) {
			/* Leave new clients in the backlog; stay stoppable. */
			net_wait(-1, 0, SERVE_RETRY_MS, cfg->mask);
			continue;
		}
		fd = accept_one(lfd, cfg);
		if (fd == -EAGAIN || fd == -EINTR)
			continue;
		if (fd < 0) {
			rc = fd;
			snprintf(err, errlen, "accept: %s", strerror(-rc));
			break;
		}
		hand_over(p, cfg, fd, &attr);
	}
	pthread_attr_destroy(&attr);
	drain(p); /* p is gone now, or the last thread's to free */
	return rc;
}

int serve_stream(int lfd, const struct serve_cfg *cfg, char *err, size_t errlen)
{
	int fd;

	if (cfg->mode == SERVE_THREADED)
		return serve_threaded(lfd, cfg, err, errlen);
	while (!*cfg->stop) {
		fd = accept_one(lfd, cfg);
		if (fd == -EAGAIN || fd == -EINTR)
			continue;
		if (fd < 0) {
			snprintf(err, errlen, "accept: %s", strerror(-fd));
			return fd;
		}
		session_run(fd, &cfg->session, cfg->mask);
		if (cfg->mode == SERVE_ONCE)
			break;
	}
	return 0;
}

/* Where a datagram arrived: its sender and the local address it hit. */
struct dgram_meta {
	struct sockaddr_storage from; /* sender */
	socklen_t from_len;           /* bytes of from */
	struct {
		_Alignas(struct cmsghdr) uint8_t buf[128]; /* cmsg headers must be aligned */
	} ctl;          /* IP_PKTINFO / IPV6_PKTINFO control data */
	size_t ctl_len; /* bytes of ctl to send back with the reply */
};

/* Keeps only the destination-address control message, turned around so
 * the reply leaves from the address the request was sent to. */
static void keep_pktinfo(struct msghdr *mh, struct dgram_meta *m)
{
	struct cmsghdr *c;

	m->ctl_len = 0;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
			pi->ipi_spec_dst = pi->ipi_addr;
			pi->ipi_ifindex = 0;
		} else if (!(c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)) {
			continue;
		}
		memmove(m->ctl.buf, c, c->cmsg_len);
		m->ctl_len = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
		return;
	}
}

static ssize_t recv_dgram(int fd, uint8_t *buf, size_t cap, struct dgram_meta *m)
{
	struct iovec iov = {buf, cap};
	struct msghdr mh = {0};
	ssize_t n;

	mh.msg_name = &m->from;
	mh.msg_namelen = sizeof(m->from);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = m->ctl.buf;
	mh.msg_controllen = sizeof(m->ctl.buf);
	do
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	m->from_len = mh.msg_namelen;
	keep_pktinfo(&mh, m);
	return n;
}

static int send_dgram(int fd, const uint8_t *buf, size_t len, const struct dgram_meta *m)
{
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {0};
	ssize_t n;

	mh.msg_name = (void *)&m->from;
	mh.msg_namelen = m->from_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = m->ctl_len ? (void *)m->ctl.buf : NULL;
	mh.msg_controllen = m->ctl_len;
	do
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

#define SERVE_DGRAM_MAX 65507 /* largest reply (UDP over IPv4), for every family */

/* Answers one datagram; failures to answer are reported, not fatal. */
static void answer_dgram(int fd, const struct serve_cfg *cfg, const uint8_t *msg, size_t len,
                         uint8_t *out, size_t cap, const struct dgram_meta *m)
{
	const struct proto_handler *proto = cfg->session.proto;
	struct proto_msg pm = {msg, len, PROTO_FRAMING_DATAGRAM, NULL};
	struct tm tm;
	size_t n = 0;
	int rc;

	if (session_clock(proto, &pm, &tm) < 0 || proto->message(&pm, out, cap, &n) != PROTO_REPLY)
		return;
	if (n > SERVE_DGRAM_MAX)
		return; /* no reply: over IPv6 it would fit, but the contract is one size for both
		         */
	if (m->from_len <= sizeof(sa_family_t)) {
		report(cfg, "sendmsg(unnamed sender)", EDESTADDRREQ);
		return;
	}
	rc = send_dgram(fd, out, n, m);
	if (rc < 0)
		report(cfg, "sendmsg", -rc);
}

int serve_datagram(int fd, const struct serve_cfg *cfg, char *err, size_t errlen)
{
	const size_t cap = 65536, out_cap = 65536 + PROTO_OVERHEAD;
	uint8_t *in = malloc(cap), *out = malloc(out_cap);
	struct dgram_meta meta;
	int rc = 0;

	if (!in || !out) {
		rc = -ENOMEM;
		snprintf(err, errlen, "malloc: %s", strerror(ENOMEM));
		goto done;
	}
	while (!*cfg->stop) {
		ssize_t n = net_wait(fd, POLLIN, -1, cfg->mask);
		if (n < 0 && n != -EINTR) {
			rc = (int)n;
			snprintf(err, errlen, "ppoll: %s", strerror(-rc));
			break;
		}
		if (n <= 0)
			continue;
		n = recv_dgram(fd, in, cap, &meta);
		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			report(cfg, "recvmsg", (int)-n);
			continue;
		}
		answer_dgram(fd, cfg, in, (size_t)n, out, out_cap, &meta);
	}
done:
	free(in);
	free(out);
	return rc;
}
