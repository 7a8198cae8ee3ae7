/* SPDX-License-Identifier: MIT */
/*
 * timeline: a case's wire log (report_case.timeline, written by the
 * engine's wire.c as "+1001.7ms c1 read 15 \"Hello\\r\\n\"" lines) read
 * back into events, so that the HTML report can draw it as a sequence
 * diagram. A line it does not understand is kept as a note, never
 * dropped. Pure: no I/O.
 */
#ifndef SOCKSPEC_TIMELINE_H
#define SOCKSPEC_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

enum timeline_kind {
	TIMELINE_NOTE,    /* a line not in the wire log's grammar; text is the whole line */
	TIMELINE_SEND,    /* a connection's write or send: bytes client -> server */
	TIMELINE_RECV,    /* a connection's read or datagram: bytes server -> client */
	TIMELINE_MARK,    /* any other event of a connection: connect, eof, close, an error */
	TIMELINE_TARGET,  /* the server under test: restart, exited, a signal sent to it */
	TIMELINE_VERDICT, /* "runner FAIL" or "runner ERROR": where the case went wrong */
	TIMELINE_RUNNER,  /* any other event of the runner ("measured NAME") */
};

struct timeline_event {
	enum timeline_kind kind;
	uint64_t at;  /* tenths of a ms from the start of the case: "+1001.7ms" -> 10017 */
	char *who;    /* "c1", "target", "runner"; "" for a note */
	char *what;   /* "read", "connect", "Terminated"; the whole line for a note */
	size_t bytes; /* byte count of a data event; 0 otherwise */
	char *data;   /* the escaped excerpt between the quotes ("Welcome!\\n"); NULL if none */
	int cut;      /* the excerpt is shorter than bytes (the log ended it in "...") */
	size_t lane;  /* index in timeline.lanes of a SEND, RECV or MARK; 0 otherwise */
};

struct timeline {
	struct timeline_event *events; /* in log order (owned) */
	size_t nevents, cap;
	char **lanes; /* connection names in order of first appearance (owned) */
	size_t nlanes, lanes_cap;
};

/* Parses the n bytes of text (LF-separated lines; a final LF adds no
 * line) into t, which it first empties (t starts zeroed, or holds an
 * earlier parse). Returns 0, or -1 when memory ran
 * out (t then holds what was parsed so far; timeline_free() it). */
int timeline_parse(const char *text, size_t n, struct timeline *t);

/* Releases everything t holds and empties it. */
void timeline_free(struct timeline *t);

#endif
