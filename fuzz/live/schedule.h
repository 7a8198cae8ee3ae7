/* SPDX-License-Identifier: MIT */
/*
 * sched: a live-fuzzer input read as a schedule, a short program over
 * one to four client connections: open, write these bytes cut into
 * pieces of this size (with or without a pause between them), wait for
 * what is owed, half-close, reset, close. The fuzzer mutates the
 * schedule's bytes, so segmentation, pipelining, interleaving across
 * connections and abrupt ends are fuzzed along with the payloads. Pure:
 * bytes in, a list of steps out. sched_encode() writes the bytes a
 * decoder turns back into given steps (seed inputs, tests).
 *
 * Input layout, one raw step after another:
 *   [op] then, for a write only: [len] ([len2] when len >= 0x80)
 *   [piece] [data: len bytes]
 *   op bits 0-2: 0-2 write, 3 and 7 wait, 4 shutdown, 5 reset and 6
 *   close when bit 6 is set too (else a wait);
 *   bit 5 set: bits 3-4 are the connection slot (0-3); clear: slot 0
 *   (most steps stay on one connection: an input costs fewer connects);
 *   bit 7: a pause between pieces.
 *   len: bytes to write (0x80 set: ((len & 0x7f) << 8) | len2).
 *   piece: the size of each piece (a datagram each over UDP); 0: one.
 */
#ifndef SOCKSPEC_SCHED_H
#define SOCKSPEC_SCHED_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_SLOTS      4                                 /* connections open at once, at most */
#define SCHED_RAW_MAX    48                                /* raw steps read from one input */
#define SCHED_STEPS_MAX  (3 * SCHED_RAW_MAX + SCHED_SLOTS) /* with the opens and finishes added */
#define SCHED_CONN_BYTES 4096 /* bytes written on one connection, at most */
#define SCHED_PIECES_MAX 32   /* pieces of one write, at most (the piece size is raised) */
#define SCHED_GAPS_MAX   4    /* pauses in one write, at most (between its first pieces) */
#define SCHED_CONNS_MAX                                                                            \
	8 /* connections one input opens, at most (later steps that                                \
	     would open one are dropped) */

enum sched_kind {
	SCHED_OPEN,     /* connect (the server may owe a greeting) */
	SCHED_WRITE,    /* write data in pieces (UDP: a datagram per piece) */
	SCHED_WAIT,     /* read until everything owed so far has come */
	SCHED_SHUTDOWN, /* half-close: the server sees EOF */
	SCHED_RESET,    /* close with SO_LINGER 0: the server sees a reset */
	SCHED_CLOSE,    /* close without reading the rest */
	SCHED_FINISH,   /* the end: half-close, read every reply owed, then EOF */
};

/* How the server takes its clients, which shapes the schedule. */
enum sched_mode {
	SCHED_CONCURRENT, /* several connections at once (threaded, UDP) */
	SCHED_SEQUENTIAL, /* one at a time: a step on another slot finishes the open one */
	SCHED_ONCE,       /* one connection in all; the server then exits */
};

struct sched_cfg {
	enum sched_mode mode;
	int datagrams; /* UDP: no shutdown; a reset is a close */
};

struct sched_step {
	enum sched_kind kind;
	unsigned conn;       /* which connection: 0 for the first opened, 1 the next, ... */
	const uint8_t *data; /* WRITE: the bytes (pointing into the input) */
	size_t len;          /* WRITE: their count */
	size_t piece;        /* WRITE: piece size; 0: all in one piece */
	int gap;             /* WRITE: pause between pieces */
};

struct sched {
	struct sched_step steps[SCHED_STEPS_MAX];
	size_t n;       /* steps used */
	unsigned nconn; /* connections opened */
};

/* Decodes buf into out under cfg: a step on a slot with no connection
 * opens one first (an OPEN step); a write after a half-close, a
 * shutdown over UDP and bytes beyond SCHED_CONN_BYTES on a connection
 * are dropped; a piece size is raised so that a write has at most
 * SCHED_PIECES_MAX pieces; every connection still open at the end gets a FINISH.
 * In SEQUENTIAL mode a step on another slot FINISHes the open
 * connection first; in ONCE mode decoding stops when the one connection
 * ends. Any bytes decode; an empty input is an empty schedule. */
void sched_decode(const struct sched_cfg *cfg, const uint8_t *buf, size_t len, struct sched *out);

/* A step to encode: kind WRITE, WAIT, SHUTDOWN, RESET or CLOSE (OPEN and
 * FINISH are implied), on slot. */
struct sched_raw {
	enum sched_kind kind;
	unsigned slot;    /* 0 .. SCHED_SLOTS - 1 */
	const void *data; /* WRITE */
	size_t len;       /* WRITE: < 0x8000 */
	uint8_t piece;    /* WRITE */
	int gap;          /* WRITE */
};

/* Writes the input bytes of n raw steps into out (cap bytes). Returns
 * the length, or 0 when cap is too small or a step cannot be encoded. */
size_t sched_encode(const struct sched_raw *raw, size_t n, uint8_t *out, size_t cap);

/* Seed input i (0, 1, ... until it returns 0) into out (cap bytes):
 * schedules that show the fuzzer what is worth varying (seeds.c).
 * Returns the length, or 0 past the last one. */
size_t sched_seed(size_t i, uint8_t *out, size_t cap);

/* "write", "wait", ... */
const char *sched_kind_name(enum sched_kind kind);

#endif
