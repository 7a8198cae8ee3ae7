/* SPDX-License-Identifier: MIT */
/*
 * Tests of the live fuzzer's pure core: the schedule decoder and
 * encoder (schedule.c), the reference model and its comparison (model.c),
 * and the case writer (tocase.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "schedule.h"
#include "tocase.h"

static const struct sched_cfg concurrent = {.mode = SCHED_CONCURRENT};
static const struct sched_cfg sequential = {.mode = SCHED_SEQUENTIAL};
static const struct sched_cfg once = {.mode = SCHED_ONCE};
static const struct sched_cfg udp = {.mode = SCHED_CONCURRENT, .datagrams = 1};

static void expect_step(const struct sched *s, size_t i, enum sched_kind kind, unsigned conn)
{
	assert_true(i < s->n);
	assert_int_equal(s->steps[i].kind, kind);
	assert_int_equal(s->steps[i].conn, conn);
}

static void test_live_sched_decode(void **state)
{
	/* 00 03 02 "abc": write "abc" on slot 0 in pieces of 2; 2b: wait on
	 * slot 1; a8 01 00 "z": write "z" on slot 1, with pauses; 05: reset
	 * slot 0 */
	const uint8_t in[] = {0x00, 3, 2, 'a', 'b', 'c', 0x2b, 0xa8, 1, 0, 'z', 0x45};
	struct sched s;

	(void)state;
	sched_decode(&concurrent, in, sizeof(in), &s);
	assert_int_equal(s.nconn, 2);
	assert_int_equal(s.n, 7);
	expect_step(&s, 0, SCHED_OPEN, 0);
	expect_step(&s, 1, SCHED_WRITE, 0);
	assert_int_equal(s.steps[1].len, 3);
	assert_int_equal(s.steps[1].piece, 2);
	assert_memory_equal(s.steps[1].data, "abc", 3);
	assert_false(s.steps[1].gap);
	expect_step(&s, 2, SCHED_OPEN, 1);
	expect_step(&s, 3, SCHED_WAIT, 1);
	expect_step(&s, 4, SCHED_WRITE, 1);
	assert_true(s.steps[4].gap);
	assert_int_equal(s.steps[4].len, 1);
	expect_step(&s, 5, SCHED_RESET, 0);
	expect_step(&s, 6, SCHED_FINISH, 1);
}

/* A step on another slot finishes the open connection first; once
 * ends everything after the first connection. */
static void test_live_sched_modes(void **state)
{
	const uint8_t in[] = {0x00, 1, 0, 'a', 0x28, 1, 0, 'b', 0x6e};
	struct sched s;

	(void)state;
	sched_decode(&sequential, in, sizeof(in), &s);
	assert_int_equal(s.nconn, 2);
	expect_step(&s, 0, SCHED_OPEN, 0);
	expect_step(&s, 1, SCHED_WRITE, 0);
	expect_step(&s, 2, SCHED_FINISH, 0);
	expect_step(&s, 3, SCHED_OPEN, 1);
	expect_step(&s, 4, SCHED_WRITE, 1);
	expect_step(&s, 5, SCHED_CLOSE, 1);
	assert_int_equal(s.n, 6);

	sched_decode(&once, in, sizeof(in), &s);
	assert_int_equal(s.nconn, 1);
	expect_step(&s, 0, SCHED_OPEN, 0);
	expect_step(&s, 1, SCHED_WRITE, 0);
	expect_step(&s, 2, SCHED_WRITE, 0);
	expect_step(&s, 3, SCHED_CLOSE, 0);
	assert_int_equal(s.n, 4);
}

/* Over UDP a shutdown is dropped and a reset is a close; a write after
 * a half-close is dropped; bytes past SCHED_CONN_BYTES are cut. */
static void test_live_sched_limits(void **state)
{
	uint8_t in[3 * 4096];
	struct sched s;

	(void)state;
	in[0] = 0x04; /* shutdown */
	in[1] = 0x45; /* reset */
	sched_decode(&udp, in, 2, &s);
	assert_int_equal(s.n, 2);
	expect_step(&s, 0, SCHED_OPEN, 0);
	expect_step(&s, 1, SCHED_CLOSE, 0);

	in[0] = 0x04;                       /* shutdown */
	memcpy(in + 1, "\x00\x01\x00x", 4); /* write "x": dropped */
	sched_decode(&concurrent, in, 5, &s);
	assert_int_equal(s.n, 3);
	expect_step(&s, 1, SCHED_SHUTDOWN, 0);
	expect_step(&s, 2, SCHED_FINISH, 0);

	/* two writes of 0x7fff bytes asked, 3 * 4096 - 8 there: 4096 in all */
	memset(in, 'y', sizeof(in));
	memcpy(in, "\x00\xff\xff\x00", 4);
	sched_decode(&concurrent, in, sizeof(in), &s);
	assert_int_equal(s.steps[1].kind, SCHED_WRITE);
	assert_int_equal(s.steps[1].len, SCHED_CONN_BYTES);
	assert_int_equal(s.steps[1].piece, 0);

	/* pieces of 1 byte asked: raised so that there are 32 */
	in[3] = 1;
	sched_decode(&concurrent, in, sizeof(in), &s);
	assert_int_equal(s.steps[1].piece, SCHED_CONN_BYTES / SCHED_PIECES_MAX);
}

static void test_live_sched_encode(void **state)
{
	const struct sched_raw raw[] = {
	    {.kind = SCHED_WRITE, .slot = 2, .data = "hello\n", .len = 6, .piece = 1, .gap = 1},
	    {.kind = SCHED_WAIT, .slot = 2},
	    {.kind = SCHED_WRITE, .slot = 1, .data = NULL, .len = 300, .piece = 0},
	    {.kind = SCHED_SHUTDOWN, .slot = 1},
	};
	uint8_t buf[1024];
	uint8_t big[300];
	struct sched_raw copy[4];
	struct sched s;
	size_t n;

	(void)state;
	memset(big, 'q', sizeof(big));
	memcpy(copy, raw, sizeof(raw));
	copy[2].data = big;
	n = sched_encode(copy, 4, buf, sizeof(buf));
	assert_int_equal(n, 1 + 1 + 1 + 6 + 1 + 1 + 2 + 1 + 300 + 1);
	assert_int_equal(sched_encode(copy, 4, buf, 20), 0);
	sched_decode(&concurrent, buf, n, &s);
	expect_step(&s, 0, SCHED_OPEN, 0);
	expect_step(&s, 1, SCHED_WRITE, 0);
	assert_memory_equal(s.steps[1].data, "hello\n", 6);
	assert_int_equal(s.steps[1].piece, 1);
	assert_true(s.steps[1].gap);
	expect_step(&s, 2, SCHED_WAIT, 0);
	expect_step(&s, 3, SCHED_OPEN, 1);
	expect_step(&s, 4, SCHED_WRITE, 1);
	assert_int_equal(s.steps[4].len, 300);
	expect_step(&s, 5, SCHED_SHUTDOWN, 1);
	expect_step(&s, 6, SCHED_FINISH, 0);
	expect_step(&s, 7, SCHED_FINISH, 1);
}

static enum model_verdict check(const struct model_conn *m, const char *got, time_t hi)
{
	struct model_got g = {(const uint8_t *)got, strlen(got), NULL, 0};
	struct strbuf why = {0};
	enum model_verdict v = model_check(m, &g, hi, &why);

	strbuf_release(&why);
	return v;
}

/* hello: the greeting at once; "bob" split over two writes; exit ends
 * it and what comes after is unread. */
static void test_live_model_hello(void **state)
{
	struct model_conn m;

	(void)state;
	assert_int_equal(model_open(&m, model_profile_find("hello")), 0);
	assert_int_equal(check(&m, "Welcome!\n", 0), MODEL_ALL);
	assert_int_equal(check(&m, "Welc", 0), MODEL_SHORT);
	assert_int_equal(check(&m, "Welcome!\r\n", 0), MODEL_DIFFERS);
	model_write(&m, (const uint8_t *)"bo", 2, 0);
	assert_int_equal(check(&m, "Welcome!\n", 0), MODEL_ALL);
	model_write(&m, (const uint8_t *)"b\r\nexit\nann\n", 12, 0);
	assert_int_equal(check(&m, "Welcome!\nHello, bob!\n", 0), MODEL_ALL);
	assert_int_equal(check(&m, "Welcome!\nHello, bob\r!\n", 0), MODEL_DIFFERS);
	assert_int_equal(check(&m, "Welcome!\nHello, bob!\nHello, ann!\n", 0), MODEL_DIFFERS);
	assert_true(model_ends(&m));
	assert_true(m.after_close);
	model_free(&m);
}

/* timestamp: the stamp may show any second of the window, nothing else. */
static void test_live_model_timestamp(void **state)
{
	struct model_conn m;
	struct tm tm;
	char stamp[PROTO_CTIME_LEN + 1], reply[64];
	time_t t = 1700000000;

	(void)state;
	assert_int_equal(model_open(&m, model_profile_find("timestamp")), 0);
	model_write(&m, (const uint8_t *)"hi\n", 3, t);
	localtime_r(&(time_t){t + 1}, &tm);
	proto_ctime(&tm, stamp, sizeof(stamp));
	snprintf(reply, sizeof(reply), "[%s] hi\n", stamp);
	assert_int_equal(check(&m, reply, t + 1), MODEL_ALL);
	assert_int_equal(check(&m, reply, t - 5), MODEL_DIFFERS); /* later than the window */
	reply[strlen(reply) - 2] = 'H';
	assert_int_equal(check(&m, reply, t + 1), MODEL_DIFFERS);
	model_free(&m);
}

/* UDP echo: datagram boundaries count. */
static void test_live_model_datagrams(void **state)
{
	struct model_conn m;
	const size_t ends_ok[] = {3, 3}, ends_bad[] = {2, 3};
	struct model_got g = {(const uint8_t *)"abc", 3, ends_ok, 2};
	struct strbuf why = {0};

	(void)state;
	assert_int_equal(model_open(&m, model_profile_find("udp-echo")), 0);
	model_write(&m, (const uint8_t *)"abc", 3, 0);
	model_write(&m, (const uint8_t *)"", 0, 0);
	assert_int_equal(model_check(&m, &g, 0, &why), MODEL_ALL);
	g.ends = ends_bad;
	assert_int_equal(model_check(&m, &g, 0, &why), MODEL_DIFFERS);
	assert_non_null(strstr(strbuf_text(&why), "datagram 1 has 2 bytes, expected 3"));
	strbuf_release(&why);
	model_free(&m);
}

/* ok-iterative: one reply, then the server ends it. */
static void test_live_model_one_shot(void **state)
{
	struct model_conn m;

	(void)state;
	assert_int_equal(model_open(&m, model_profile_find("ok-iterative")), 0);
	assert_int_equal(check(&m, "", 0), MODEL_ALL);
	assert_false(model_ends(&m));
	model_write(&m, (const uint8_t *)"a\n", 2, 0);
	assert_true(model_ends(&m));
	assert_false(m.after_close);
	assert_int_equal(check(&m, "OK...a\n", 0), MODEL_ALL);
	model_free(&m);
}

static void test_live_tocase(void **state)
{
	static const char want[] =
	    "# Found by sockspec-fuzz --profile hello in crash-1: the schedule it played,\n"
	    "# with the reference's replies as the expectations.\n"
	    "case exit/fuzz-1\n"
	    "description \"a schedule sockspec-fuzz found (profile hello)\"\n"
	    "requires framing line\n"
	    "timeout 60s\n"
	    "\n"
	    "connect c1\n"
	    "expect c1 \"Welcome!\\n\" within 2s\n"
	    "write c1 \"b\\\"\\$\"\n"
	    "sleep 5ms\n"
	    "write c1 \"\\x01\\r\\n\"\n"
	    "expect c1 \"Hello, b\\\"\\$\\x01!\\n\" within 2s\n"
	    "reset c1\n"
	    "# the server lived through it: a new client is served\n"
	    "sleep 100ms\n"
	    "connect c2\n"
	    "expect c2 \"Welcome!\\n\" within 2s\n"
	    "write c2 \"probe\\n\"\n"
	    "shutdown c2\n"
	    "expect c2 \"Hello, probe!\\n\" within 2s\n"
	    "expect c2 eof within 2s\n"
	    "close c2\n";
	const struct sched_raw raw[] = {
	    {.kind = SCHED_WRITE, .data = "b\"$\x01\r\n", .len = 6, .piece = 3, .gap = 1},
	    {.kind = SCHED_WAIT},
	    {.kind = SCHED_RESET},
	};
	struct tocase_info info = {.name = "fuzz-1", .origin = "crash-1"};
	uint8_t buf[64];
	struct sched s;
	struct strbuf out = {0};

	(void)state;
	sched_decode(&concurrent, buf, sched_encode(raw, 3, buf, sizeof(buf)), &s);
	assert_int_equal(tocase_write(model_profile_find("hello"), &s, &info, &out), 0);
	assert_string_equal(strbuf_text(&out), want);
	strbuf_release(&out);
}

/* Stamped replies become timestamp expectations; the finish adds the
 * half-close and the EOF. */
static void test_live_tocase_timestamp(void **state)
{
	const struct sched_raw raw[] = {{.kind = SCHED_WRITE, .data = "a\nb\n", .len = 4}};
	struct tocase_info info = {.name = "fuzz-2", .origin = "crash-2"};
	uint8_t buf[64];
	struct sched s;
	struct strbuf out = {0};

	(void)state;
	sched_decode(&sequential, buf, sched_encode(raw, 1, buf, sizeof(buf)), &s);
	assert_int_equal(tocase_write(model_profile_find("timestamp"), &s, &info, &out), 0);
	assert_non_null(strstr(strbuf_text(&out), "connect c1\nwrite c1 \"a\\nb\\n\"\nshutdown c1\n"
	                                          "expect c1 timestamp \"a\\n\" within 2s\n"
	                                          "expect c1 timestamp \"b\\n\" within 2s\n"
	                                          "expect c1 eof within 2s\nclose c1\n"));
	strbuf_release(&out);
}

/* A close or reset needs bit 6 (else it is a wait); an input opens at
 * most SCHED_CONNS_MAX connections, and a dropped write's bytes are
 * skipped. */
static void test_live_sched_connection_cap(void **state)
{
	uint8_t in[64];
	struct sched s;
	size_t i, n = 0;

	(void)state;
	in[n++] = 0x06; /* close without bit 6: a wait */
	sched_decode(&concurrent, in, n, &s);
	assert_int_equal(s.n, 3);
	expect_step(&s, 1, SCHED_WAIT, 0);

	n = 0;
	for (i = 0; i < SCHED_CONNS_MAX + 2; i++)
		in[n++] = 0x46;             /* close slot 0: the next step opens a new one */
	memcpy(in + n, "\x00\x01\x00x", 4); /* write "x": dropped */
	n += 4;
	in[n++] = 0x2b; /* wait on slot 1: dropped too */
	sched_decode(&concurrent, in, n, &s);
	assert_int_equal(s.nconn, SCHED_CONNS_MAX);
	assert_int_equal(s.n, 2 * SCHED_CONNS_MAX);
	expect_step(&s, s.n - 1, SCHED_CLOSE, SCHED_CONNS_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_live_sched_decode),
	    cmocka_unit_test(test_live_sched_modes),
	    cmocka_unit_test(test_live_sched_limits),
	    cmocka_unit_test(test_live_sched_encode),
	    cmocka_unit_test(test_live_sched_connection_cap),
	    cmocka_unit_test(test_live_model_hello),
	    cmocka_unit_test(test_live_model_timestamp),
	    cmocka_unit_test(test_live_model_datagrams),
	    cmocka_unit_test(test_live_model_one_shot),
	    cmocka_unit_test(test_live_tocase),
	    cmocka_unit_test(test_live_tocase_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
