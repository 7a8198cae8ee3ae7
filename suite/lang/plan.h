/* SPDX-License-Identifier: MIT */
/*
 * plan: a case file, parsed. The parser (parse.c) turns the bytes of a
 * .case file into a struct plan; the engine (engine.c) carries it out
 * against a target. Nothing here does I/O; plan_free() releases every
 * byte a plan owns, so the parser can be fuzzed in-process.
 *
 * A plan is a tree: a list of statements, where `parallel` and `repeat`
 * statements hold a body of further statements. Durations are stored
 * unscaled, in milliseconds; the engine applies --timeout-scale.
 */
#ifndef SOCKSPEC_PLAN_H
#define SOCKSPEC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_NAME_MAX 32 /* connection and snapshot names, NUL included */

/* The families of PROTOCOLS.md checks; a case id is FAMILY/NAME. */
enum plan_family {
	PLAN_FAMILY_BASIC,
	PLAN_FAMILY_PARTIAL_RECV,
	PLAN_FAMILY_FRAMING,
	PLAN_FAMILY_CONCURRENCY,
	PLAN_FAMILY_EXIT,
	PLAN_FAMILY_REUSE,
	PLAN_FAMILY_LIMITS,
	PLAN_FAMILY_RESOURCES,
	PLAN_FAMILY_COUNT,
	/* a family of the user's own suite (--cases), named in plan.family_name */
	PLAN_FAMILY_OWN = PLAN_FAMILY_COUNT
};

#define PLAN_FAMILY_NAME_MAX 32 /* an own family's name, NUL included */
#define PLAN_VARS_MAX        32 /* capture variables of one case */

/* Transport of a connection. DEFAULT: the profile's (or --connect's). */
enum plan_transport {
	PLAN_TRANSPORT_DEFAULT,
	PLAN_TRANSPORT_TCP,
	PLAN_TRANSPORT_UDP,
	PLAN_TRANSPORT_UNIX,
};

/* Framing a case requires (`requires framing line|chunk`). */
enum plan_framing {
	PLAN_FRAMING_ANY,
	PLAN_FRAMING_LINE,
	PLAN_FRAMING_CHUNK,
};

/* plan.requires bits. */
#define PLAN_REQ_LAUNCHED 0x1u /* restarts, signals or inspects the target */

/* One piece of data: bytes repeated `repeat` times, the index of the
 * enclosing parallel/repeat instance written in decimal (`${i}`), or the
 * value of a capture variable (`${NAME}`) as the case captured it. */
enum plan_seg_kind {
	PLAN_SEG_BYTES,
	PLAN_SEG_INDEX,
	PLAN_SEG_VAR,
};

struct plan_seg {
	enum plan_seg_kind kind; /* BYTES, INDEX or VAR */
	uint8_t *bytes;          /* BYTES: owned; may be NULL when len is 0; VAR: the name */
	size_t len;              /* BYTES: number of bytes; VAR: bytes of the name */
	size_t repeat;           /* times the piece is repeated, >= 1 */
};

/* Data as written in the case file: a concatenation of pieces. */
struct plan_bytes {
	struct plan_seg *segs; /* owned array */
	size_t nsegs;          /* entries in segs */
};

/* How a write is cut into separate write() calls. */
enum plan_split_kind {
	PLAN_SPLIT_ONCE,   /* one write (default) */
	PLAN_SPLIT_SIZE,   /* pieces of `size` bytes (`split 1` = 1-byte writes) */
	PLAN_SPLIT_RANDOM, /* random piece sizes from the run's --seed */
};

struct plan_split {
	enum plan_split_kind kind; /* see above */
	size_t size;               /* SIZE: bytes per piece; RANDOM: largest piece (0: no cap) */
};

enum plan_op {
	/* connections */
	PLAN_CONNECT,  /* connect NAME [tcp|udp|unix] */
	PLAN_WRITE,    /* write NAME DATA [split ...] [gap D]  (TCP/unix stream) */
	PLAN_SEND,     /* send NAME DATA                       (one datagram) */
	PLAN_SHUTDOWN, /* shutdown NAME: half-close, write side */
	PLAN_CLOSE,    /* close NAME */
	PLAN_RESET,    /* reset NAME: close with SO_LINGER 0 (RST) */
	PLAN_PAUSE,    /* pause NAME: stop reading (a slow reader) */
	PLAN_RESUME,   /* resume NAME: read again */
	/* expectations on a connection */
	PLAN_EXPECT_BYTES,     /* expect NAME DATA within D: exactly these bytes next */
	PLAN_EXPECT_LINE,      /* expect NAME line DATA within D: DATA then LF next */
	PLAN_EXPECT_REGEX,     /* expect NAME regex "PCRE2" within D: a match at the start */
	PLAN_EXPECT_TIMESTAMP, /* expect NAME timestamp DATA within D: "[CTIME] DATA" */
	PLAN_EXPECT_NOTHING,   /* expect NAME nothing for D: no byte arrives in D */
	PLAN_EXPECT_EOF,       /* expect NAME eof within D: orderly close, nothing else */
	PLAN_EXPECT_RESET,     /* expect NAME reset within D: connection reset */
	PLAN_EXPECT_CLOSED,    /* expect NAME closed within D: EOF or reset */
	PLAN_EXPECT_REFUSED,   /* expect NAME refused within D: its connect was refused */
	PLAN_EXPECT_DATAGRAM,  /* expect NAME datagram DATA within D (UDP) */
	PLAN_EXPECT_DATAGRAM_TIMESTAMP, /* expect NAME datagram timestamp DATA within D */
	PLAN_EXPECT_NO_DATAGRAM, /* expect NAME no-datagram for D (UDP); the last expectation */
	PLAN_EXPECT_ANY, /* expect NAME any N|${VAR}|u8|u16be|u32be within D: so many bytes */
	/* flow */
	PLAN_SLEEP,    /* sleep D */
	PLAN_PARALLEL, /* parallel N [stagger D] [within D] ... end */
	PLAN_REPEAT,   /* repeat N ... end */
	PLAN_MEASURE,  /* measure NAME ... end: the body once, its duration kept as NAME */
	/* the target (launched targets only) */
	PLAN_RESTART,             /* restart: stop, start again on the same port */
	PLAN_SIGNAL,              /* signal TERM|INT|HUP|KILL|USR1|USR2|QUIT */
	PLAN_EXPECT_EXIT,         /* expect exit STATUS|nonzero [or SIG] within D */
	PLAN_EXPECT_SECOND_FAILS, /* expect second-instance fails within D */
	PLAN_SNAPSHOT,            /* snapshot NAME: record fds, threads, children, rss */
	PLAN_EXPECT_COUNT,        /* expect fds|threads|children|rss <= NAME [+ K] within D */
};

/* What PLAN_EXPECT_COUNT and PLAN_SNAPSHOT read from /proc. */
enum plan_resource {
	PLAN_RES_FDS,
	PLAN_RES_THREADS,
	PLAN_RES_CHILDREN,
	PLAN_RES_RSS,  /* resident set size, KiB */
	PLAN_RES_MAPS, /* memory mappings: lines of /proc/PID/maps */
};

#define PLAN_EXIT_NONZERO (-1) /* expect exit nonzero */

struct plan_stmt {
	enum plan_op op;                 /* what to do */
	unsigned line, col;              /* where the statement starts, 1-based */
	char conn[PLAN_NAME_MAX];        /* connection name ("" when none) */
	enum plan_transport transport;   /* CONNECT */
	int rcvbuf;                      /* CONNECT: SO_RCVBUF before connecting, 0: the default */
	struct plan_bytes data;          /* WRITE, SEND, EXPECT_BYTES/LINE/TIMESTAMP/DATAGRAM;
	                                    EXPECT_REGEX: the pattern */
	struct plan_split split;         /* WRITE */
	uint64_t gap_ms;                 /* WRITE: pause between pieces */
	uint64_t ms;                     /* within / for / sleep duration; PARALLEL: 0 = no limit */
	char within_name[PLAN_NAME_MAX]; /* "within NAME * K + D": a measured duration, or "" */
	long within_mul;                 /* its K (ms above is the D) */
	uint64_t stagger_ms;             /* PARALLEL: instance i starts i * stagger_ms later */
	int signo;                       /* SIGNAL; EXPECT_EXIT: "or SIG", 0 when none */
	int status;                      /* EXPECT_EXIT: status 0..255 or PLAN_EXIT_NONZERO */
	long count;                      /* PARALLEL, REPEAT: instances, >= 1; MEASURE: 1 */
	struct plan_stmt *body;          /* PARALLEL, REPEAT, MEASURE: owned array */
	size_t nbody;                    /* entries in body */
	char snapshot[PLAN_NAME_MAX]; /* SNAPSHOT, EXPECT_COUNT: snapshot name; MEASURE: its name */
	enum plan_resource resource;  /* EXPECT_COUNT */
	long slack;                   /* EXPECT_COUNT: the K of "<= NAME + K" */
	char var[PLAN_NAME_MAX];      /* EXPECT_ANY: the count is this variable ("" if none) */
	unsigned prefix;              /* EXPECT_ANY: the count is a prefix of 1, 2 or 4 bytes */
};

struct plan {
	char *id;                  /* "partial-recv/one-byte-writes" (owned) */
	enum plan_family family;   /* from the id; OWN for a family of the user's suite */
	char *family_name;         /* the family as in the id, "basic" or an own one (owned) */
	char *description;         /* one line (owned; "" when absent) */
	unsigned requires;         /* PLAN_REQ_* (LAUNCHED set automatically too) */
	enum plan_framing framing; /* requires framing ... */
	uint64_t timeout_ms;       /* whole-case limit, default PLAN_TIMEOUT_DEFAULT_MS */
	struct plan_stmt *stmts;   /* owned array */
	size_t nstmts;             /* entries in stmts */
};

#define PLAN_TIMEOUT_DEFAULT_MS 10000

/* Name of a family as used in ids ("partial-recv"); NULL if out of range. */
const char *plan_family_name(enum plan_family f);

/* Family for a name; returns 0 and sets *out, or -1 if unknown. */
int plan_family_parse(const char *name, size_t len, enum plan_family *out);

/* Whether name[0..len) may name an own family: a lowercase letter, then
 * lowercase letters, digits or -, shorter than PLAN_FAMILY_NAME_MAX. */
int plan_family_valid(const char *name, size_t len);

/* Values of capture variables (`expect NAME regex` named groups), as one
 * case run has set them so far. Owned by whoever runs the case; the
 * renderers below only read it. */
struct plan_var {
	char name[PLAN_NAME_MAX]; /* NUL-terminated */
	uint8_t *value;           /* owned; NULL when unset */
	size_t len;               /* bytes at value */
	int set;                  /* 1 when the group matched */
};

struct plan_vars {
	struct plan_var v[PLAN_VARS_MAX]; /* the first n are in use */
	size_t n;
};

/* Sets (set = 1, a copy of value[0..len)) or unsets (set = 0) variable
 * name. Returns 0, or -1 when memory runs out or the table is full. */
int plan_vars_set(struct plan_vars *vars, const char *name, const uint8_t *value, size_t len,
                  int set);

/* The variable called name[0..len), or NULL when it was never set. */
const struct plan_var *plan_vars_get(const struct plan_vars *vars, const char *name, size_t len);

/* Releases the values; vars is empty afterwards. */
void plan_vars_free(struct plan_vars *vars);

/* The first variable b uses that vars (may be NULL) does not hold set:
 * its seg, or NULL when every one has a value. */
const struct plan_seg *plan_bytes_unset(const struct plan_bytes *b, const struct plan_vars *vars);

/* Name of a transport ("tcp", "udp", "unix"; "" for DEFAULT), of a
 * resource as "expect RES <= ..." writes it ("fds", ..., "mappings"),
 * and of a signal the language knows ("TERM", ...); NULL if out of
 * range or unknown. */
const char *plan_transport_name(enum plan_transport t);
const char *plan_resource_name(enum plan_resource r);
const char *plan_signal_name(int signo);

/* The signal called name[0..len) ("TERM", "SIGTERM", ...): returns 0 and
 * sets *signo, or -1 if the language does not know it. */
int plan_signal_parse(const char *name, size_t len, int *signo);

/* Length of the data rendered with index `index` for every ${i}, and
 * with vars for every ${NAME} (NULL or an unset variable: empty). */
size_t plan_bytes_len(const struct plan_bytes *b, long index);
size_t plan_bytes_len_vars(const struct plan_bytes *b, long index, const struct plan_vars *vars);

/* Renders b with `index` for every ${i} into a new buffer (*out, owned by
 * the caller, free()), its length in *len. Returns 0 or -1 (no memory). */
int plan_bytes_render(const struct plan_bytes *b, long index, uint8_t **out, size_t *len);
int plan_bytes_render_vars(const struct plan_bytes *b, long index, const struct plan_vars *vars,
                           uint8_t **out, size_t *len);

/* A read position in rendered data, so that data of any size the
 * language allows can be written or compared piece by piece without
 * rendering it whole. */
struct plan_cursor {
	const struct plan_bytes *b;   /* the data (not owned) */
	const struct plan_vars *vars; /* values of ${NAME} (not owned; may be NULL) */
	char index[24];               /* ${i} in decimal */
	size_t index_len;             /* its digits */
	size_t seg;                   /* current piece */
	size_t rep;                   /* repetition of that piece */
	size_t off;                   /* byte within that repetition */
	uint64_t pos;                 /* bytes before the cursor */
};

/* Puts c at the start of b rendered with `index` for every ${i}. */
void plan_cursor_init(struct plan_cursor *c, const struct plan_bytes *b, long index);
void plan_cursor_init_vars(struct plan_cursor *c, const struct plan_bytes *b, long index,
                           const struct plan_vars *vars);

/* Copies up to n next bytes into out and moves past them. Returns how
 * many were copied: fewer than n only at the end of the data. */
size_t plan_cursor_read(struct plan_cursor *c, uint8_t *out, size_t n);

/* Moves past up to n bytes without copying them; returns how many. */
uint64_t plan_cursor_skip(struct plan_cursor *c, uint64_t n);

/* Releases everything p owns, then p itself. NULL is a no-op. */
void plan_free(struct plan *p);

#endif
