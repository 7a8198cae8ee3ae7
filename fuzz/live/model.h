/* SPDX-License-Identifier: MIT */
/*
 * model: the reference's answer to one client connection, the oracle
 * of the live fuzzer. The bytes a client writes go through the
 * reference framer (frame.c) and the profile's pure protocol handler
 * (proto.c), exactly as a reference server would take them; the model
 * keeps the replies owed so far and whether the server ends the
 * connection after them. model_check() compares what a real server
 * sent with that: byte for byte, except the 24 bytes of a ctime()
 * stamp, which must be a stamp of a time inside a window (the server's
 * clock is not ours). Pure: the caller hands in the time.
 */
#ifndef SOCKSPEC_MODEL_H
#define SOCKSPEC_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "frame.h"
#include "proto.h"
#include "schedule.h"
#include "strbuf.h"

/* A profile as the live fuzzer knows it. */
struct model_profile {
	const char *name;                  /* "hello" */
	const struct proto_handler *proto; /* its reference handler */
	enum proto_framing framing;        /* LINE, STREAM or DATAGRAM */
	enum sched_mode mode;              /* how it takes clients */
	const char *command;               /* reference server; {bin} = the fuzzer's directory */
};

/* The profile called name, or NULL. */
const struct model_profile *model_profile_find(const char *name);

/* All of them, *n of them. */
const struct model_profile *model_profile_all(size_t *n);

/* The server's side of one connection, as the reference would play it. */
struct model_conn {
	const struct model_profile *p;
	struct frame frame; /* LINE framing */
	int framing_ready;  /* frame is initialised */
	uint8_t *want;      /* the replies owed, end to end (owned) */
	size_t want_len;    /* their bytes */
	size_t want_cap;    /* bytes allocated */
	size_t *ends;       /* DATAGRAM: where each reply datagram ends (owned) */
	size_t nends;       /* replies in ends */
	size_t ends_cap;    /* entries allocated */
	size_t *stamps;     /* offsets of ctime stamps in want (owned) */
	time_t *stamp_lo;   /* the earliest time each may show (owned) */
	size_t nstamps;     /* stamps used */
	size_t stamps_cap;  /* entries allocated in both */
	size_t stamp_at;    /* offset of the stamp inside a reply of this profile */
	int closes;         /* the server ends the connection after the replies owed */
	int client_eof;     /* the client half-closed */
	int after_close;    /* the client wrote after the server ended it */
};

/* Starts a connection: the greeting, if the profile greets, is owed at
 * once; a silent profile closes at once (no greeting carries a stamp, so
 * no clock is needed). Returns 0 or -1 when memory ran out. Release with model_free(). */
int model_open(struct model_conn *m, const struct model_profile *p);

void model_free(struct model_conn *m);

/* The client wrote data (STREAM and LINE: appended to the stream; DATAGRAM:
 * one datagram) at time now. Returns 0 or -1 when memory ran out. */
int model_write(struct model_conn *m, const uint8_t *data, size_t len, time_t now);

/* The client half-closed: the server owes what it owes, then closes. */
void model_shutdown(struct model_conn *m);

/* 1 when the server is to end the connection after the replies owed
 * (exit, one-shot, silent, or the client's EOF). */
int model_ends(const struct model_conn *m);

/* Makes the growable buffer *buf (*cap bytes) hold at least need bytes:
 * it starts at first bytes and doubles. Returns 0, or -1 when memory
 * ran out (the buffer is then as it was). */
int model_grow(uint8_t **buf, size_t *cap, size_t need, size_t first);

/* Appends value to a growable list of offsets (*list, *n used, *cap
 * allocated). Returns 0, or -1 when memory ran out. */
int model_push_offset(size_t **list, size_t *n, size_t *cap, size_t value);

/* What a comparison found. */
enum model_verdict {
	MODEL_SHORT,   /* a prefix of what is owed: more is to come */
	MODEL_ALL,     /* exactly what is owed */
	MODEL_DIFFERS, /* a byte, a stamp or a datagram boundary differs, or too much came */
};

/* What a server sent on the connection so far. */
struct model_got {
	const uint8_t *bytes; /* every byte (every datagram end to end) */
	size_t len;
	const size_t *ends; /* DATAGRAM: where each datagram ends */
	size_t nends;
};

/* Compares got with what is owed. Stamps must be ctime() stamps
 * (proto_ctime of localtime_r) of a second in [owed-since - 2, hi + 1].
 * On MODEL_DIFFERS, why says where and how ("byte 7 of the replies:
 * expected \"Hello, bob!\\n\", got \"Hello, bob\\r!\"..."). */
enum model_verdict model_check(const struct model_conn *m, const struct model_got *got, time_t hi,
                               struct strbuf *why);

#endif
