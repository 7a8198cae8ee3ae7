/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kit: what the libFuzzer harnesses share. A harness input is a
 * small header (flags, an argument, a 32-bit word, cut sizes) followed by
 * the bytes a peer sends; the cut sizes say how the stream is split into
 * reads (or datagrams). kit_serve() answers a stream the way a reference
 * session does: greeting, then the framer (frame.c) and the protocol
 * handler (proto.c); kit_model_lines() is the obviously correct framer
 * the harnesses compare with. Replies are recorded one by one, so both
 * their bytes and their boundaries can be compared.
 */
#ifndef SOCKSPEC_FUZZ_KIT_H
#define SOCKSPEC_FUZZ_KIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"

#define KIT_HEADER   7  /* flags, arg, word (4 bytes), cut count */
#define KIT_CUTS_MAX 16 /* cut sizes at most */

/* For the harnesses' own loops (models, checks, bookkeeping): they are
 * not what is fuzzed, so they are left out of coverage and comparison
 * tracing, which costs the fuzzer time and adds noise to its feedback. */
#define KIT_UNTRACED __attribute__((no_sanitize("coverage")))

/* A harness input, taken apart. Layout:
 *   [flags] [arg] [word: 4 bytes, little-endian] [n] [n % 16 cut sizes] [data...] */
struct kit_input {
	uint8_t flags;       /* harness-specific switches */
	uint8_t arg;         /* harness-specific small number */
	uint32_t word;       /* harness-specific 32 bits (e.g. a clock) */
	const uint8_t *cuts; /* cut sizes, cycled (not owned) */
	size_t ncuts;        /* 0: the whole stream in one piece */
	const uint8_t *data; /* the stream (not owned) */
	size_t len;          /* its length */
};

/* Splits buf into in. Returns 0, or -1 when buf is shorter than the header. */
int kit_input_parse(const uint8_t *buf, size_t size, struct kit_input *in);

/* Cuts a stream into pieces: sizes from the cut list, cycled. */
struct kit_cutter {
	const uint8_t *cuts; /* sizes (not owned); NULL or n == 0: one piece */
	size_t n;            /* entries in cuts */
	size_t i;            /* next entry */
	int datagrams;       /* 1: a size may be 0 (an empty datagram); else sizes are cut + 1 */
	size_t empties;      /* empty pieces handed out so far (bounded) */
};

/* The next piece's size, at most left; 0 only for an empty datagram,
 * and never more than 64 empty ones in all. */
size_t kit_cut_next(struct kit_cutter *c, size_t left);

/* Replies (or lines) in order: their bytes end to end and where each ends. */
struct kit_replies {
	uint8_t *bytes; /* every reply, concatenated (owned) */
	size_t len;     /* bytes used */
	size_t cap;     /* bytes allocated */
	size_t *ends;   /* ends[k]: offset just past reply k (owned) */
	size_t n;       /* replies */
	size_t ncap;    /* entries allocated */
};

/* Appends one reply (possibly empty). Aborts if memory runs out. */
void kit_replies_add(struct kit_replies *r, const void *bytes, size_t len);

/* Appends to the reply just added (which must exist). */
void kit_replies_extend(struct kit_replies *r, const void *bytes, size_t len);

/* 1 when a and b hold the same replies with the same boundaries. */
int kit_replies_equal(const struct kit_replies *a, const struct kit_replies *b);

/* The bytes of reply k, and their count. */
const uint8_t *kit_reply(const struct kit_replies *r, size_t k, size_t *len);

void kit_replies_free(struct kit_replies *r);

/* How a served stream ended. */
enum kit_end {
	KIT_END_EOF,      /* the input ran out */
	KIT_END_CLOSE,    /* the handler ended the connection (exit, one-shot) */
	KIT_END_TOO_LONG, /* a line exceeded max_line */
};

/* One simulated connection. */
struct kit_session {
	const struct proto_handler *proto; /* NULL: record each message itself (framer only) */
	enum proto_framing framing;        /* LINE: through frame.c; else one message per piece */
	size_t max_line;                   /* LINE: longest line content */
	const struct tm *now;              /* the fixed clock for PROTO_NEEDS_TIME */
};

/* Serves data, cut by c, as a session would: the greeting, then a reply
 * per message, until the input ends, the handler closes, or a line is
 * too long. Checks what the handler contract promises (a reply of at
 * most the message + PROTO_OVERHEAD fits; no line holds LF or exceeds
 * max_line; the framer holds at most max_line + 2 bytes, and once it
 * reported a line too long it says so again and takes no more bytes) and
 * aborts when one is broken. */
enum kit_end kit_serve(const struct kit_session *s, const uint8_t *data, size_t len,
                       struct kit_cutter *c, struct kit_replies *out);

/* The model framer: data split at each LF, one CR right before the LF
 * dropped; the first line whose content exceeds max_line is refused,
 * and so is an unterminated tail longer than max_line + 1 (it cannot
 * end in CR LF within the bound). Adds the lines before any refusal to
 * lines and returns KIT_END_TOO_LONG or KIT_END_EOF. */
enum kit_end kit_model_lines(const uint8_t *data, size_t len, size_t max_line,
                             struct kit_replies *lines);

/* What a protocol model says of one message. */
enum kit_verdict {
	KIT_GO_ON, /* the reply, then the next message */
	KIT_LAST,  /* the reply, then the connection ends (one-shot) */
	KIT_CLOSE, /* no reply; the connection ends (exit) */
};

/* A protocol model: appends the reply to msg (a line's content, a read,
 * or a datagram) to out with kit_replies_add(), or nothing for KIT_CLOSE. */
typedef enum kit_verdict (*kit_model_fn)(const uint8_t *msg, size_t len, enum proto_framing framing,
                                         const void *arg, struct kit_replies *out);

/* The echo model: every message comes back as it is (echo, UDP echo). */
enum kit_verdict kit_model_echo(const uint8_t *msg, size_t len, enum proto_framing framing,
                                const void *arg, struct kit_replies *out);

/* A handler under test and its model. */
struct kit_check {
	const char *harness;        /* for messages */
	struct kit_session session; /* handler, framing, max_line, clock */
	const char *greeting;       /* the model's greeting, NULL for none */
	kit_model_fn model;         /* the model's reply to one message */
	const void *model_arg;      /* handed to model */
	int datagrams;              /* cut sizes may be 0 (empty datagrams) */
};

/* Serves in's stream with the fuzzer's cuts and compares replies and
 * ending with the model (which cuts lines with kit_model_lines(), and
 * reads or datagrams with the same cut list); in LINE and STREAM framing
 * also serves the stream in one piece and requires the same reply bytes
 * (chunking invariance). Aborts on any difference. */
void kit_check_handler(const struct kit_check *k, const struct kit_input *in);

/* Prints "fuzz property failed (HARNESS): WHAT" and the text the
 * property failed on, as given, then aborts. */
void kit_fail_text(const char *harness, const char *what, const char *text)
    __attribute__((noreturn));

/* Prints "fuzz property failed: ..." and the replies, then aborts. */
void kit_fail(const char *harness, const char *what, const struct kit_replies *got,
              const struct kit_replies *want) __attribute__((noreturn));

#endif
