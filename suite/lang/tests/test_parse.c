/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the case-language parser (parse.h) for valid cases: the
 * header, connection statements, expectations, flow blocks and target
 * statements, each fed as a byte array and checked field by field in the
 * plan (op, position, connection, data pieces and rendered bytes,
 * options). DATA and plan rendering are in test_parse_data.c, error
 * messages and malformed input in test_parse_errors.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>

#include "parse_check.h"

static void assert_pos(const struct plan_stmt *s, enum plan_op op, unsigned line, unsigned col)
{
	assert_int_equal(s->op, op);
	assert_int_equal(s->line, line);
	assert_int_equal(s->col, col);
}

/* ---- header ---- */

static void test_parse_header_defaults(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok("case basic/one-message\n");
	assert_string_equal(p->id, "basic/one-message");
	assert_int_equal(p->family, PLAN_FAMILY_BASIC);
	assert_string_equal(p->description, "");
	assert_int_equal(p->requires, 0);
	assert_int_equal(p->framing, PLAN_FRAMING_ANY);
	assert_int_equal(p->timeout_ms, PLAN_TIMEOUT_DEFAULT_MS);
	assert_int_equal(p->nstmts, 0);
	assert_null(p->stmts);
	plan_free(p);
}

static void test_parse_header_every_family(void **state)
{
	static const struct {
		const char *src, *id;
		enum plan_family f;
	} cases[] = {
	    {"case basic/a", "basic/a", PLAN_FAMILY_BASIC},
	    {"case partial-recv/one-byte-writes", "partial-recv/one-byte-writes",
	     PLAN_FAMILY_PARTIAL_RECV},
	    {"case framing/b-2", "framing/b-2", PLAN_FAMILY_FRAMING},
	    {"case concurrency/9", "concurrency/9", PLAN_FAMILY_CONCURRENCY},
	    {"case exit/sigterm", "exit/sigterm", PLAN_FAMILY_EXIT},
	    {"case reuse/second-instance", "reuse/second-instance", PLAN_FAMILY_REUSE},
	    {"case limits/x", "limits/x", PLAN_FAMILY_LIMITS},
	    {"case resources/thousand-connections", "resources/thousand-connections",
	     PLAN_FAMILY_RESOURCES},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct plan *p = parse_ok(cases[i].src); /* no final LF: fine */

		assert_string_equal(p->id, cases[i].id);
		assert_int_equal(p->family, cases[i].f);
		plan_free(p);
	}
}

static void test_parse_header_fields(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok("# a comment before the header\n"
	             "case framing/lock-step   # trailing comment\n"
	             "description \"five messages, \\\"quoted\\\", caf\xc3\xa9\"\n"
	             "requires launched\n"
	             "requires framing line\n"
	             "requires framing line\n" /* the same framing again is fine */
	             "timeout 1.5s\n");
	assert_string_equal(p->id, "framing/lock-step");
	assert_int_equal(p->family, PLAN_FAMILY_FRAMING);
	assert_string_equal(p->description, "five messages, \"quoted\", caf\xc3\xa9");
	assert_int_equal(p->requires, PLAN_REQ_LAUNCHED);
	assert_int_equal(p->framing, PLAN_FRAMING_LINE);
	assert_int_equal(p->timeout_ms, 1500);
	plan_free(p);

	p = parse_ok(HDR "requires framing chunk\ntimeout 1min\n");
	assert_int_equal(p->framing, PLAN_FRAMING_CHUNK);
	assert_int_equal(p->requires, 0);
	assert_int_equal(p->timeout_ms, 60000);
	plan_free(p);
}

static void test_parse_layout_comments_blanks_indent_crlf(void **state)
{
	/* CRLF line ends, tabs and spaces, blank and comment-only lines, and a
	 * '#' inside a string that is not a comment. */
	static const char src[] = "\r\n   # comment\r\n\tcase basic/x\r\n\r\n"
	                          "  connect c1 \t\r\n"
	                          "\t  write c1 \"a#b\"# comment right after a string\r\n"
	                          "close c1";
	struct plan *p = parse_ok_n(LIT(src));

	(void)state;
	assert_int_equal(p->nstmts, 3);
	assert_pos(&p->stmts[0], PLAN_CONNECT, 5, 3);
	assert_pos(&p->stmts[1], PLAN_WRITE, 6, 4);
	assert_rendered(&p->stmts[1].data, 0, LIT("a#b"));
	assert_pos(&p->stmts[2], PLAN_CLOSE, 7, 1);
	plan_free(p);
}

static void test_parse_input_need_not_be_nul_terminated(void **state)
{
	/* Only the first 29 bytes count: "case basic/x\nconnect abcdefg"
	 * is cut inside the name, leaving "connect abc". */
	static const char src[] = "case basic/x\nconnect abcdefg\n";
	struct plan *p = parse_ok_n(src, 24);

	(void)state;
	assert_int_equal(p->nstmts, 1);
	assert_string_equal(p->stmts[0].conn, "abc");
	plan_free(p);
}

/* ---- connection statements ---- */

static void test_parse_connect_transports(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c\nconnect t tcp\nconnect u udp\n  connect x_1 unix\n");
	assert_int_equal(p->nstmts, 4);
	assert_pos(&p->stmts[0], PLAN_CONNECT, 2, 1);
	assert_string_equal(p->stmts[0].conn, "c");
	assert_int_equal(p->stmts[0].transport, PLAN_TRANSPORT_DEFAULT);
	assert_int_equal(p->stmts[0].data.nsegs, 0);
	assert_string_equal(p->stmts[1].conn, "t");
	assert_int_equal(p->stmts[1].transport, PLAN_TRANSPORT_TCP);
	assert_int_equal(p->stmts[2].transport, PLAN_TRANSPORT_UDP);
	assert_pos(&p->stmts[3], PLAN_CONNECT, 5, 3);
	assert_string_equal(p->stmts[3].conn, "x_1");
	assert_int_equal(p->stmts[3].transport, PLAN_TRANSPORT_UNIX);
	assert_int_equal(p->stmts[3].rcvbuf, 0);
	plan_free(p);
}

static void test_parse_connect_rcvbuf(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c rcvbuf 4096\nconnect t tcp rcvbuf 1\nconnect x unix rcvbuf "
	                 "1073741823\n");
	assert_int_equal(p->nstmts, 3);
	assert_int_equal(p->stmts[0].transport, PLAN_TRANSPORT_DEFAULT);
	assert_int_equal(p->stmts[0].rcvbuf, 4096);
	assert_int_equal(p->stmts[1].transport, PLAN_TRANSPORT_TCP);
	assert_int_equal(p->stmts[1].rcvbuf, 1);
	assert_int_equal(p->stmts[2].transport, PLAN_TRANSPORT_UNIX);
	assert_int_equal(p->stmts[2].rcvbuf, 1073741823);
	plan_free(p);
}

static void test_parse_connect_longest_name(void **state)
{
	struct plan *p;

	(void)state;
	/* 31 bytes: the longest that fits PLAN_NAME_MAX with its NUL. */
	p = parse_ok(HDR "connect abcdefghijklmnopqrstuvwxyz01234\n");
	assert_string_equal(p->stmts[0].conn, "abcdefghijklmnopqrstuvwxyz01234");
	plan_free(p);
}

static void test_parse_write_plain(void **state)
{
	struct plan *p;
	const struct plan_stmt *w;

	(void)state;
	p = parse_ok(HDR "connect c\nwrite c \"hello\\n\"\n");
	w = &p->stmts[1];
	assert_pos(w, PLAN_WRITE, 3, 1);
	assert_string_equal(w->conn, "c");
	assert_int_equal(w->data.nsegs, 1);
	assert_seg(&w->data.segs[0], PLAN_SEG_BYTES, LIT("hello\n"), 1);
	assert_int_equal(w->split.kind, PLAN_SPLIT_ONCE);
	assert_int_equal(w->split.size, 0);
	assert_int_equal(w->gap_ms, 0);
	assert_int_equal(w->ms, 0);
	plan_free(p);
}

static void test_parse_write_split_and_gap(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c\n"
	                 "write c \"abc\" split 1\n"
	                 "write c \"abc\" gap 10ms split 2\n"
	                 "write c \"abc\" split random gap 1ms\n"
	                 "write c \"abc\" split random max 64\n");
	assert_int_equal(p->stmts[1].split.kind, PLAN_SPLIT_SIZE);
	assert_int_equal(p->stmts[1].split.size, 1);
	assert_int_equal(p->stmts[1].gap_ms, 0);
	assert_int_equal(p->stmts[2].split.kind, PLAN_SPLIT_SIZE);
	assert_int_equal(p->stmts[2].split.size, 2);
	assert_int_equal(p->stmts[2].gap_ms, 10);
	assert_int_equal(p->stmts[3].split.kind, PLAN_SPLIT_RANDOM);
	assert_int_equal(p->stmts[3].split.size, 0);
	assert_int_equal(p->stmts[3].gap_ms, 1);
	assert_int_equal(p->stmts[4].split.kind, PLAN_SPLIT_RANDOM);
	assert_int_equal(p->stmts[4].split.size, 64);
	plan_free(p);
}

static void test_parse_send_on_udp_and_default(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect u udp\nconnect d\nsend u \"ping\"\nsend d \"\"\n");
	assert_pos(&p->stmts[2], PLAN_SEND, 4, 1);
	assert_string_equal(p->stmts[2].conn, "u");
	assert_rendered(&p->stmts[2].data, 0, LIT("ping"));
	assert_pos(&p->stmts[3], PLAN_SEND, 5, 1);
	assert_int_equal(p->stmts[3].data.nsegs, 1);
	assert_seg(&p->stmts[3].data.segs[0], PLAN_SEG_BYTES, NULL, 0, 1);
	plan_free(p);
}

static void test_parse_connection_only_statements(void **state)
{
	static const enum plan_op ops[] = {PLAN_SHUTDOWN, PLAN_CLOSE, PLAN_RESET, PLAN_PAUSE,
	                                   PLAN_RESUME};
	struct plan *p;
	size_t i;

	(void)state;
	p = parse_ok(HDR "connect c\nshutdown c\nclose c\nreset c\npause c\nresume c\n");
	assert_int_equal(p->nstmts, 6);
	for (i = 0; i < 5; i++) {
		assert_pos(&p->stmts[i + 1], ops[i], (unsigned)i + 3, 1);
		assert_string_equal(p->stmts[i + 1].conn, "c");
		assert_int_equal(p->stmts[i + 1].data.nsegs, 0);
	}
	plan_free(p);
}

/* ---- expectations ---- */

static void test_parse_expect_bytes_and_line(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c\n"
	                 "expect c \"hi\\n\"\n"
	                 "expect c \"hi\" within 250ms\n"
	                 "expect c line \"Hello, bob!\" within 3s\n"
	                 "expect c \"\" within 0ms\n");
	assert_pos(&p->stmts[1], PLAN_EXPECT_BYTES, 3, 1);
	assert_string_equal(p->stmts[1].conn, "c");
	assert_rendered(&p->stmts[1].data, 0, LIT("hi\n"));
	assert_int_equal(p->stmts[1].ms, 2000);
	assert_int_equal(p->stmts[2].ms, 250);
	assert_pos(&p->stmts[3], PLAN_EXPECT_LINE, 5, 1);
	assert_rendered(&p->stmts[3].data, 0, LIT("Hello, bob!"));
	assert_int_equal(p->stmts[3].ms, 3000);
	assert_int_equal(p->stmts[4].ms, 0);
	plan_free(p);
}

static void test_parse_expect_regex_and_timestamp(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c\n"
	                 "expect c regex \"^\\\\[[A-Z][a-z]{2} .*\\\\] hi\\n\" within 1s\n"
	                 "expect c timestamp \"hi\"\n");
	assert_pos(&p->stmts[1], PLAN_EXPECT_REGEX, 3, 1);
	/* The pattern is stored decoded: \\[ in the file is \[ for PCRE2. */
	assert_rendered(&p->stmts[1].data, 0, LIT("^\\[[A-Z][a-z]{2} .*\\] hi\n"));
	assert_int_equal(p->stmts[1].ms, 1000);
	assert_pos(&p->stmts[2], PLAN_EXPECT_TIMESTAMP, 4, 1);
	assert_rendered(&p->stmts[2].data, 0, LIT("hi"));
	assert_int_equal(p->stmts[2].ms, 2000);
	plan_free(p);
}

static void test_parse_expect_closing_kinds(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c\n"
	                 "expect c nothing for 300ms\n"
	                 "expect c eof\n"
	                 "expect c reset within 1s\n"
	                 "expect c closed within 2min\n");
	assert_pos(&p->stmts[1], PLAN_EXPECT_NOTHING, 3, 1);
	assert_int_equal(p->stmts[1].ms, 300);
	assert_pos(&p->stmts[2], PLAN_EXPECT_EOF, 4, 1);
	assert_int_equal(p->stmts[2].ms, 2000);
	assert_pos(&p->stmts[3], PLAN_EXPECT_RESET, 5, 1);
	assert_int_equal(p->stmts[3].ms, 1000);
	assert_pos(&p->stmts[4], PLAN_EXPECT_CLOSED, 6, 1);
	assert_int_equal(p->stmts[4].ms, 120000);
	for (size_t i = 1; i < 5; i++) {
		assert_string_equal(p->stmts[i].conn, "c");
		assert_int_equal(p->stmts[i].data.nsegs, 0);
	}
	plan_free(p);
}

static void test_parse_expect_datagrams(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect u udp\n"
	                 "send u \"x\"\n"
	                 "expect u datagram \"x\" within 500ms\n"
	                 "expect u no-datagram for 1s\n"
	                 "expect u datagram hex \"00 ff\"\n");
	assert_pos(&p->stmts[2], PLAN_EXPECT_DATAGRAM, 4, 1);
	assert_rendered(&p->stmts[2].data, 0, LIT("x"));
	assert_int_equal(p->stmts[2].ms, 500);
	assert_pos(&p->stmts[3], PLAN_EXPECT_NO_DATAGRAM, 5, 1);
	assert_int_equal(p->stmts[3].ms, 1000);
	assert_rendered(&p->stmts[4].data, 0, LIT("\x00\xff"));
	assert_int_equal(p->stmts[4].ms, 2000);
	plan_free(p);
}

static void test_parse_default_transport_allows_everything(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c\n"
	                 "write c \"a\"\nsend c \"a\"\nshutdown c\npause c\nresume c\n"
	                 "expect c \"a\"\nexpect c line \"a\"\nexpect c regex \"a\"\n"
	                 "expect c timestamp \"a\"\nexpect c eof\nexpect c reset\n"
	                 "expect c closed\nexpect c datagram \"a\"\nexpect c no-datagram for 1s\n");
	assert_int_equal(p->nstmts, 15);
	plan_free(p);
}

/* ---- flow ---- */

static void test_parse_sleep(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "sleep 250ms\nsleep 0ms\n");
	assert_pos(&p->stmts[0], PLAN_SLEEP, 2, 1);
	assert_int_equal(p->stmts[0].ms, 250);
	assert_int_equal(p->stmts[1].ms, 0);
	assert_string_equal(p->stmts[0].conn, "");
	plan_free(p);
}

static void test_parse_parallel_body_and_index(void **state)
{
	struct plan *p;
	const struct plan_stmt *par, *w;

	(void)state;
	p = parse_ok(HDR "connect idle\n"
	                 "parallel 100 within 5s\n"
	                 "  connect c\n"
	                 "  write c \"client ${i} here\\n\"\n"
	                 "  expect c \"client ${i} here\\n\" within 4s\n"
	                 "  write idle \"${i}\"\n" /* an outer connection is in scope */
	                 "end\n"
	                 "parallel 3\n"
	                 "end\n");
	assert_int_equal(p->nstmts, 3);
	par = &p->stmts[1];
	assert_pos(par, PLAN_PARALLEL, 3, 1);
	assert_int_equal(par->count, 100);
	assert_int_equal(par->ms, 5000);
	assert_int_equal(par->nbody, 4);
	assert_pos(&par->body[0], PLAN_CONNECT, 4, 3);
	w = &par->body[1];
	assert_pos(w, PLAN_WRITE, 5, 3);
	assert_int_equal(w->data.nsegs, 3);
	assert_seg(&w->data.segs[0], PLAN_SEG_BYTES, LIT("client "), 1);
	assert_seg(&w->data.segs[1], PLAN_SEG_INDEX, NULL, 0, 1);
	assert_seg(&w->data.segs[2], PLAN_SEG_BYTES, LIT(" here\n"), 1);
	assert_rendered(&w->data, 42, LIT("client 42 here\n"));
	assert_int_equal(par->body[2].ms, 4000);
	assert_string_equal(par->body[3].conn, "idle");
	assert_int_equal(par->body[3].data.nsegs, 1);
	assert_seg(&par->body[3].data.segs[0], PLAN_SEG_INDEX, NULL, 0, 1);
	/* An empty body and no within (ms 0: no limit). */
	assert_pos(&p->stmts[2], PLAN_PARALLEL, 9, 1);
	assert_int_equal(p->stmts[2].count, 3);
	assert_int_equal(p->stmts[2].ms, 0);
	assert_int_equal(p->stmts[2].nbody, 0);
	plan_free(p);
}

static void test_parse_repeat_nested_blocks(void **state)
{
	struct plan *p;
	const struct plan_stmt *r, *inner;

	(void)state;
	p = parse_ok(HDR "repeat 1000000\n"
	                 "  connect c\n"
	                 "  parallel 100000\n"
	                 "    connect d\n"
	                 "    write d \"${i}\" * 2\n"
	                 "    write c \"x\"\n"
	                 "  end\n"
	                 "  close c\n"
	                 "end\n"
	                 "sleep 1ms\n");
	assert_int_equal(p->nstmts, 2);
	r = &p->stmts[0];
	assert_pos(r, PLAN_REPEAT, 2, 1);
	assert_int_equal(r->count, 1000000);
	assert_int_equal(r->ms, 0);
	assert_int_equal(r->nbody, 3);
	inner = &r->body[1];
	assert_pos(inner, PLAN_PARALLEL, 4, 3);
	assert_int_equal(inner->count, 100000);
	assert_int_equal(inner->nbody, 3);
	assert_pos(&inner->body[1], PLAN_WRITE, 6, 5);
	assert_seg(&inner->body[1].data.segs[0], PLAN_SEG_INDEX, NULL, 0, 2);
	assert_rendered(&inner->body[1].data, 7, LIT("77"));
	assert_string_equal(inner->body[2].conn, "c");
	assert_pos(&r->body[2], PLAN_CLOSE, 9, 3);
	assert_pos(&p->stmts[1], PLAN_SLEEP, 11, 1);
	plan_free(p);
}

static void test_parse_names_are_local_to_their_block(void **state)
{
	struct plan *p;

	(void)state;
	/* The same name in two blocks, and connecting a name again. */
	p = parse_ok(HDR "parallel 2\n connect c udp\n send c \"a\"\nend\n"
	                 "repeat 2\n connect c tcp\n write c \"a\"\nend\n"
	                 "connect c udp\nclose c\nconnect c tcp\nwrite c \"b\"\n");
	assert_int_equal(p->nstmts, 6);
	plan_free(p);
	parse_fails(HDR "parallel 2\n connect c\nend\nclose c\n",
	            NAME ":5:7: unknown connection \"c\": connect it first");
	/* An inner name shadows an outer one for its block only. */
	parse_fails(HDR
	            "connect c tcp\nrepeat 2\n connect c udp\n send c \"a\"\nend\nsend c \"a\"\n",
	            NAME ":7:6: send needs a udp connection");
}

/* ---- the target ---- */

static void test_parse_restart_and_signals(void **state)
{
	static const struct {
		const char *name;
		int signo;
	} sigs[] = {{"TERM", SIGTERM},    {"INT", SIGINT},      {"HUP", SIGHUP},
	            {"KILL", SIGKILL},    {"USR1", SIGUSR1},    {"USR2", SIGUSR2},
	            {"QUIT", SIGQUIT},    {"SIGTERM", SIGTERM}, {"SIGINT", SIGINT},
	            {"SIGUSR2", SIGUSR2}, {"SIGQUIT", SIGQUIT}};
	char src[128];
	struct plan *p;
	size_t i;

	(void)state;
	p = parse_ok(HDR "restart\n");
	assert_pos(&p->stmts[0], PLAN_RESTART, 2, 1);
	assert_int_equal(p->requires, PLAN_REQ_LAUNCHED);
	plan_free(p);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		snprintf(src, sizeof(src), HDR "signal %s\n", sigs[i].name);
		p = parse_ok(src);
		assert_pos(&p->stmts[0], PLAN_SIGNAL, 2, 1);
		assert_int_equal(p->stmts[0].signo, sigs[i].signo);
		assert_int_equal(p->requires, PLAN_REQ_LAUNCHED);
		plan_free(p);
	}
}

static void test_parse_expect_exit_and_second_instance(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "expect exit 0 within 1s\nexpect exit 255\nexpect exit nonzero\n"
	                 "expect second-instance fails within 3s\nexpect second-instance fails\n");
	assert_int_equal(p->requires, PLAN_REQ_LAUNCHED);
	assert_pos(&p->stmts[0], PLAN_EXPECT_EXIT, 2, 1);
	assert_int_equal(p->stmts[0].status, 0);
	assert_int_equal(p->stmts[0].ms, 1000);
	assert_int_equal(p->stmts[1].status, 255);
	assert_int_equal(p->stmts[1].ms, 2000);
	assert_int_equal(p->stmts[2].status, PLAN_EXIT_NONZERO);
	assert_pos(&p->stmts[3], PLAN_EXPECT_SECOND_FAILS, 5, 1);
	assert_int_equal(p->stmts[3].ms, 3000);
	assert_int_equal(p->stmts[4].ms, 2000);
	plan_free(p);
}

static void test_parse_snapshot_and_counts(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "snapshot base\n"
	                 "repeat 3\n snapshot inner\nend\n"
	                 "expect fds <= base\n"
	                 "expect threads <= base + 2 within 3s\n"
	                 "expect children <= inner + 0\n"
	                 "snapshot base\n");
	assert_int_equal(p->requires, PLAN_REQ_LAUNCHED);
	assert_pos(&p->stmts[0], PLAN_SNAPSHOT, 2, 1);
	assert_string_equal(p->stmts[0].snapshot, "base");
	assert_string_equal(p->stmts[1].body[0].snapshot, "inner");
	assert_pos(&p->stmts[2], PLAN_EXPECT_COUNT, 6, 1);
	assert_int_equal(p->stmts[2].resource, PLAN_RES_FDS);
	assert_string_equal(p->stmts[2].snapshot, "base");
	assert_int_equal(p->stmts[2].slack, 0);
	assert_int_equal(p->stmts[2].ms, 2000);
	assert_int_equal(p->stmts[3].resource, PLAN_RES_THREADS);
	assert_int_equal(p->stmts[3].slack, 2);
	assert_int_equal(p->stmts[3].ms, 3000);
	assert_int_equal(p->stmts[4].resource, PLAN_RES_CHILDREN);
	assert_string_equal(p->stmts[4].snapshot, "inner");
	assert_int_equal(p->stmts[4].slack, 0);
	assert_string_equal(p->stmts[4].conn, "");
	plan_free(p);
}

static void test_parse_refused_and_datagram_timestamp(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect c\n"
	                 "expect c refused\n"
	                 "connect u udp\n"
	                 "expect u datagram timestamp \"hi\" within 1s\n"
	                 "snapshot base\n"
	                 "expect rss <= base + 16384\n"
	                 "expect mappings <= base + 256\n");
	assert_pos(&p->stmts[1], PLAN_EXPECT_REFUSED, 3, 1);
	assert_string_equal(p->stmts[1].conn, "c");
	assert_int_equal(p->stmts[1].ms, 2000);
	assert_pos(&p->stmts[3], PLAN_EXPECT_DATAGRAM_TIMESTAMP, 5, 1);
	assert_rendered(&p->stmts[3].data, 0, LIT("hi"));
	assert_int_equal(p->stmts[3].ms, 1000);
	assert_pos(&p->stmts[5], PLAN_EXPECT_COUNT, 7, 1);
	assert_int_equal(p->stmts[5].resource, PLAN_RES_RSS);
	assert_int_equal(p->stmts[5].slack, 16384);
	assert_pos(&p->stmts[6], PLAN_EXPECT_COUNT, 8, 1);
	assert_int_equal(p->stmts[6].resource, PLAN_RES_MAPS);
	assert_int_equal(p->stmts[6].slack, 256);
	plan_free(p);
	p = parse_ok(HDR "expect exit 0 or TERM within 1s\nexpect exit 3\n");
	assert_int_equal(p->stmts[0].status, 0);
	assert_int_equal(p->stmts[0].signo, SIGTERM);
	assert_int_equal(p->stmts[0].ms, 1000);
	assert_int_equal(p->stmts[1].signo, 0);
	plan_free(p);
}

static void test_parse_measure_stagger_and_measured_limits(void **state)
{
	struct plan *p;

	(void)state;
	p = parse_ok(HDR "connect one\n"
	                 "measure lat\n"
	                 "  write one \"x\\n\"\n"
	                 "  expect one \"x\\n\"\n"
	                 "end\n"
	                 "parallel 10 stagger 5ms within lat * 2 + 200ms\n"
	                 "  connect c\n"
	                 "  expect c eof within lat * 3\n"
	                 "end\n"
	                 "parallel 2 stagger 1s\nend\n");
	assert_pos(&p->stmts[1], PLAN_MEASURE, 3, 1);
	assert_string_equal(p->stmts[1].snapshot, "lat");
	assert_int_equal(p->stmts[1].count, 1);
	assert_int_equal(p->stmts[1].nbody, 2);
	assert_pos(&p->stmts[2], PLAN_PARALLEL, 7, 1);
	assert_int_equal(p->stmts[2].stagger_ms, 5);
	assert_string_equal(p->stmts[2].within_name, "lat");
	assert_int_equal(p->stmts[2].within_mul, 2);
	assert_int_equal(p->stmts[2].ms, 200);
	assert_string_equal(p->stmts[2].body[1].within_name, "lat");
	assert_int_equal(p->stmts[2].body[1].within_mul, 3);
	assert_int_equal(p->stmts[2].body[1].ms, 0);
	assert_int_equal(p->stmts[3].stagger_ms, 1000);
	assert_int_equal(p->stmts[3].ms, 0);
	assert_string_equal(p->stmts[3].within_name, "");
	plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_header_defaults),
	    cmocka_unit_test(test_parse_header_every_family),
	    cmocka_unit_test(test_parse_header_fields),
	    cmocka_unit_test(test_parse_layout_comments_blanks_indent_crlf),
	    cmocka_unit_test(test_parse_input_need_not_be_nul_terminated),
	    cmocka_unit_test(test_parse_connect_transports),
	    cmocka_unit_test(test_parse_connect_rcvbuf),
	    cmocka_unit_test(test_parse_connect_longest_name),
	    cmocka_unit_test(test_parse_write_plain),
	    cmocka_unit_test(test_parse_write_split_and_gap),
	    cmocka_unit_test(test_parse_send_on_udp_and_default),
	    cmocka_unit_test(test_parse_connection_only_statements),
	    cmocka_unit_test(test_parse_expect_bytes_and_line),
	    cmocka_unit_test(test_parse_expect_regex_and_timestamp),
	    cmocka_unit_test(test_parse_expect_closing_kinds),
	    cmocka_unit_test(test_parse_expect_datagrams),
	    cmocka_unit_test(test_parse_default_transport_allows_everything),
	    cmocka_unit_test(test_parse_sleep),
	    cmocka_unit_test(test_parse_parallel_body_and_index),
	    cmocka_unit_test(test_parse_repeat_nested_blocks),
	    cmocka_unit_test(test_parse_names_are_local_to_their_block),
	    cmocka_unit_test(test_parse_restart_and_signals),
	    cmocka_unit_test(test_parse_expect_exit_and_second_instance),
	    cmocka_unit_test(test_parse_snapshot_and_counts),
	    cmocka_unit_test(test_parse_refused_and_datagram_timestamp),
	    cmocka_unit_test(test_parse_measure_stagger_and_measured_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
