/* SPDX-License-Identifier: MIT */
/*
 * proto: the protocol logic of the seed servers (PROTOCOLS.md), as pure
 * functions: one message in, the reply bytes out. No fd, no clock: the
 * timestamp handler is handed the broken-down time to print. The socket
 * plumbing (session.c, serve.c) decides what a "message" is (a line, one
 * read, one datagram) and calls these.
 */
#ifndef SOCKSPEC_PROTO_H
#define SOCKSPEC_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* How a server cuts its input into messages. */
enum proto_framing {
	PROTO_FRAMING_LINE,     /* LF-terminated lines; replies end in LF */
	PROTO_FRAMING_CHUNK,    /* what one read returns; replies as the seeds send them */
	PROTO_FRAMING_STREAM,   /* byte stream (echo): no message boundaries at all */
	PROTO_FRAMING_DATAGRAM, /* one UDP datagram; replies carry no LF */
};

/* What the connection does after a message. */
enum proto_action {
	PROTO_REPLY = 0, /* send the reply (possibly empty) and go on */
	PROTO_CLOSE = 1, /* send nothing more; end the connection */
};

#define PROTO_ERR_SPACE (-1) /* the output buffer is too small */
#define PROTO_OVERHEAD  64   /* reply = message + at most this many bytes */
#define PROTO_CTIME_LEN 24   /* "Sat Nov 21 10:00:00 2026" */

/* One message handed to a handler. */
struct proto_msg {
	const uint8_t *data;        /* message bytes, terminator stripped (line framing) */
	size_t len;                 /* number of bytes at data */
	enum proto_framing framing; /* how the message was cut */
	const struct tm *now;       /* local time, for handlers with PROTO_NEEDS_TIME */
};

/* Handler flags. */
#define PROTO_NEEDS_TIME 0x1u /* fill proto_msg.now before calling message() */
#define PROTO_ONE_SHOT   0x2u /* close the connection after the first reply */
#define PROTO_SILENT     0x4u /* close each connection at once, reading nothing */

struct proto_handler {
	const char *name; /* protocol name, e.g. "hello" */
	unsigned flags;   /* PROTO_NEEDS_TIME, PROTO_ONE_SHOT, PROTO_SILENT */
	/* Writes the greeting owed on connect into out (cap bytes) and its
	 * length into *out_len; returns PROTO_REPLY or PROTO_ERR_SPACE.
	 * NULL: the protocol never greets. */
	int (*welcome)(enum proto_framing framing, uint8_t *out, size_t cap, size_t *out_len);
	/* Handles one message: writes the reply into out (cap bytes), its
	 * length into *out_len, and returns PROTO_REPLY, PROTO_CLOSE or
	 * PROTO_ERR_SPACE. A cap of msg->len + PROTO_OVERHEAD always fits. */
	int (*message)(const struct proto_msg *msg, uint8_t *out, size_t cap, size_t *out_len);
};

extern const struct proto_handler proto_echo;       /* every byte back */
extern const struct proto_handler proto_hello;      /* Welcome!, Hello, NAME!, exit */
extern const struct proto_handler proto_timestamp;  /* [CTIME] DATA */
extern const struct proto_handler proto_ok;         /* OK...DATA, one reply, then close */
extern const struct proto_handler proto_ok_welcome; /* greeting, then OK...DATA per message */
extern const struct proto_handler proto_silent;     /* accept-close: nothing at all */

/* Formats tm the way C ctime() does, without its trailing newline, into
 * out (at least PROTO_CTIME_LEN + 1 bytes); out-of-range fields are
 * wrapped or clamped (years to 1000..9999) so the result stays 24 bytes. Returns the length
 * written. */
size_t proto_ctime(const struct tm *tm, char *out, size_t cap);

#endif
