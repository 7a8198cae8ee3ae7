/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of proto (proto.h): the exact reply bytes of every seed
 * protocol handler (echo, hello, timestamp, ok, ok-welcome, accept-close)
 * in line, chunk and datagram framing as PROTOCOLS.md fixes them, the
 * greetings, the handler flags, and proto_ctime() against glibc's
 * asctime_r(). Every reply is checked three ways: with exactly enough
 * room it must succeed with the exact bytes, one byte less must give
 * PROTO_ERR_SPACE, and no byte past cap may be written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>
#include <time.h>

#include "proto.h"

#define OUT_SIZE 1024 /* scratch reply buffer; bytes past cap must stay CANARY */
#define CANARY   0xa5

/* A broken-down time with the fields ctime() prints; the rest zero. */
static struct tm tm_at(int year, int mon, int mday, int hour, int min, int sec, int wday)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_wday = wday;
	return tm;
}

static void assert_untouched(const uint8_t *out, size_t from)
{
	size_t i;

	for (i = from; i < OUT_SIZE; i++)
		assert_int_equal(out[i], CANARY);
}

/* Calls h->message() with cap bytes of room and a canary behind them. */
static int call(const struct proto_handler *h, enum proto_framing framing, const void *data,
                size_t len, const struct tm *now, uint8_t *out, size_t cap, size_t *out_len)
{
	struct proto_msg msg = {data, len, framing, now};
	int rc;

	assert_true(cap <= OUT_SIZE);
	memset(out, CANARY, OUT_SIZE);
	rc = h->message(&msg, out, cap, out_len);
	assert_untouched(out, cap);
	return rc;
}

/* The reply to data must be exactly want: it fits in want_len bytes and
 * in len + PROTO_OVERHEAD, and not in want_len - 1. */
static void expect_reply(const struct proto_handler *h, enum proto_framing framing,
                         const void *data, size_t len, const struct tm *now, const void *want,
                         size_t want_len)
{
	uint8_t out[OUT_SIZE];
	size_t out_len = 9999;

	assert_int_equal(call(h, framing, data, len, now, out, want_len, &out_len), PROTO_REPLY);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);

	out_len = 9999;
	assert_int_equal(call(h, framing, data, len, now, out, len + PROTO_OVERHEAD, &out_len),
	                 PROTO_REPLY);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);

	if (want_len > 0) {
		out_len = 9999;
		assert_int_equal(call(h, framing, data, len, now, out, want_len - 1, &out_len),
		                 PROTO_ERR_SPACE);
	}
}

/* The greeting must be exactly want, and not fit in one byte less. */
static void expect_welcome(const struct proto_handler *h, enum proto_framing framing,
                           const char *want, size_t want_len)
{
	uint8_t out[OUT_SIZE];
	size_t out_len = 9999;

	assert_non_null(h->welcome);
	memset(out, CANARY, sizeof(out));
	assert_int_equal(h->welcome(framing, out, want_len, &out_len), PROTO_REPLY);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_untouched(out, want_len);

	memset(out, CANARY, sizeof(out));
	assert_int_equal(h->welcome(framing, out, want_len - 1, &out_len), PROTO_ERR_SPACE);
	assert_untouched(out, want_len - 1);
}

#define S(lit) lit, sizeof(lit) - 1 /* string literal as (bytes, length) */

static void test_proto_echo_identity(void **state)
{
	static const enum proto_framing framings[] = {PROTO_FRAMING_LINE, PROTO_FRAMING_CHUNK,
	                                              PROTO_FRAMING_STREAM, PROTO_FRAMING_DATAGRAM};
	uint8_t all[256]; /* every byte value 0x00..0xFF in order */
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	for (i = 0; i < sizeof(framings) / sizeof(framings[0]); i++) {
		expect_reply(&proto_echo, framings[i], S("abc"), NULL, S("abc"));
		expect_reply(&proto_echo, framings[i], all, sizeof(all), NULL, all, sizeof(all));
		expect_reply(&proto_echo, framings[i], NULL, 0, NULL, "", 0);
	}
	assert_null(proto_echo.welcome);
}

static void test_proto_hello_welcome(void **state)
{
	(void)state;
	expect_welcome(&proto_hello, PROTO_FRAMING_LINE, S("Welcome!\n"));
	expect_welcome(&proto_hello, PROTO_FRAMING_CHUNK, S("Welcome!"));
	expect_welcome(&proto_hello, PROTO_FRAMING_DATAGRAM, S("Welcome!"));
}

static void test_proto_hello_greets_name(void **state)
{
	/* "A\0\xff": A, NUL, 0xFF; echoed unchanged inside the reply. */
	static const uint8_t odd[] = {'A', 0x00, 0xff};
	static const uint8_t odd_reply[] = "Hello, A\0\xff!\n";

	(void)state;
	expect_reply(&proto_hello, PROTO_FRAMING_LINE, S("Bob"), NULL, S("Hello, Bob!\n"));
	expect_reply(&proto_hello, PROTO_FRAMING_CHUNK, S("Bob"), NULL, S("Hello, Bob!"));
	expect_reply(&proto_hello, PROTO_FRAMING_DATAGRAM, S("Bob"), NULL, S("Hello, Bob!"));
	expect_reply(&proto_hello, PROTO_FRAMING_LINE, "", 0, NULL, S("Hello, !\n"));
	expect_reply(&proto_hello, PROTO_FRAMING_LINE, odd, sizeof(odd), NULL, odd_reply,
	             sizeof(odd_reply) - 1);
}

static void test_proto_hello_exit_closes(void **state)
{
	static const enum proto_framing framings[] = {PROTO_FRAMING_LINE, PROTO_FRAMING_CHUNK};
	uint8_t out[OUT_SIZE];
	size_t i, out_len;

	(void)state;
	for (i = 0; i < 2; i++) {
		out_len = 9999;
		assert_int_equal(
		    call(&proto_hello, framings[i], S("exit"), NULL, out, 64, &out_len),
		    PROTO_CLOSE);
		assert_int_equal(out_len, 0);
		/* Closing needs no room at all. */
		out_len = 9999;
		assert_int_equal(call(&proto_hello, framings[i], S("exit"), NULL, out, 0, &out_len),
		                 PROTO_CLOSE);
		assert_int_equal(out_len, 0);
	}
}

static void test_proto_hello_near_exit_is_a_name(void **state)
{
	(void)state;
	expect_reply(&proto_hello, PROTO_FRAMING_LINE, S("exit "), NULL, S("Hello, exit !\n"));
	expect_reply(&proto_hello, PROTO_FRAMING_LINE, S("Exit"), NULL, S("Hello, Exit!\n"));
	expect_reply(&proto_hello, PROTO_FRAMING_LINE, S("exi"), NULL, S("Hello, exi!\n"));
	expect_reply(&proto_hello, PROTO_FRAMING_LINE, S(" exit"), NULL, S("Hello,  exit!\n"));
	expect_reply(&proto_hello, PROTO_FRAMING_CHUNK, S("exits"), NULL, S("Hello, exits!"));
	/* "exit" NUL: five bytes, not the word exit. */
	expect_reply(&proto_hello, PROTO_FRAMING_CHUNK, "exit", 5, NULL, "Hello, exit\0!", 13);
}

static void test_proto_timestamp_reply(void **state)
{
	const struct tm now = tm_at(2026, 11, 21, 10, 0, 0, 6); /* a Saturday */

	(void)state;
	expect_reply(&proto_timestamp, PROTO_FRAMING_LINE, S("DATA"), &now,
	             S("[Sat Nov 21 10:00:00 2026] DATA\n"));
	expect_reply(&proto_timestamp, PROTO_FRAMING_CHUNK, S("DATA"), &now,
	             S("[Sat Nov 21 10:00:00 2026] DATA"));
	expect_reply(&proto_timestamp, PROTO_FRAMING_DATAGRAM, S("DATA"), &now,
	             S("[Sat Nov 21 10:00:00 2026] DATA"));
	expect_reply(&proto_timestamp, PROTO_FRAMING_LINE, "", 0, &now,
	             S("[Sat Nov 21 10:00:00 2026] \n"));
}

static void test_proto_timestamp_pads_day_like_ctime(void **state)
{
	const struct tm now = tm_at(2026, 11, 1, 9, 5, 3, 0); /* a Sunday */

	(void)state;
	expect_reply(&proto_timestamp, PROTO_FRAMING_LINE, S("x"), &now,
	             S("[Sun Nov  1 09:05:03 2026] x\n"));
}

static void test_proto_timestamp_without_time_fails(void **state)
{
	uint8_t out[OUT_SIZE];
	size_t out_len = 9999;

	(void)state;
	assert_int_equal(
	    call(&proto_timestamp, PROTO_FRAMING_LINE, S("DATA"), NULL, out, 512, &out_len),
	    PROTO_ERR_SPACE);
}

static void test_proto_ctime_matches_asctime(void **state)
{
	/* 1970-01-01, 2000-02-29 (leap day), 2001-09-09, 2023-11-14,
	 * 2038-01-19 03:14:07, 2099-12-31 23:59:59. */
	static const long long fixed[] = {0,          951782400,  1000000000,
	                                  1700000000, 2147483647, 4102444799LL};
	char want[64], got[64];
	struct tm tm;
	size_t i;
	time_t t;

	(void)state;
	assert_int_equal(
	    proto_ctime(&(struct tm){.tm_mday = 1, .tm_year = 70, .tm_wday = 4}, got, sizeof(got)),
	    24);
	assert_string_equal(got, "Thu Jan  1 00:00:00 1970");

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 4000; i++) {
		/* The fixed instants, then one every 7 days 1 h 2 min 3 s from 1970. */
		if (i < sizeof(fixed) / sizeof(fixed[0]))
			t = (time_t)fixed[i];
		else
			t = (time_t)(i * (7LL * 86400 + 3723));
		assert_non_null(gmtime_r(&t, &tm));
		assert_non_null(asctime_r(&tm, want));
		assert_int_equal(strlen(want), PROTO_CTIME_LEN + 1);
		assert_int_equal(want[PROTO_CTIME_LEN], '\n');
		want[PROTO_CTIME_LEN] = '\0';
		memset(got, 'Z', sizeof(got));
		assert_int_equal(proto_ctime(&tm, got, sizeof(got)), PROTO_CTIME_LEN);
		assert_string_equal(got, want);
	}
}

static void test_proto_ctime_out_of_range_fields_give_24_chars(void **state)
{
	static const int wild[] = {INT_MIN, -1000, -1, 0,  7,   12,   24,
	                           32,      60,    61, 99, 100, 1000, INT_MAX};
	const size_t n = sizeof(wild) / sizeof(wild[0]);
	char out[64];
	struct tm tm;
	size_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		tm = tm_at(2026, 11, 21, 10, 0, 0, 6);
		tm.tm_wday = wild[i];
		tm.tm_mon = wild[(i + 1) % n];
		tm.tm_mday = wild[(i + 2) % n];
		tm.tm_hour = wild[(i + 3) % n];
		tm.tm_min = wild[(i + 4) % n];
		tm.tm_sec = wild[(i + 5) % n];
		assert_int_equal(proto_ctime(&tm, out, sizeof(out)), PROTO_CTIME_LEN);
		assert_int_equal(strlen(out), PROTO_CTIME_LEN);
		assert_int_equal(out[3], ' ');
		assert_int_equal(out[7], ' ');
		assert_int_equal(out[13], ':');
		assert_int_equal(out[16], ':');
		assert_int_equal(out[19], ' ');
	}
}

static void test_proto_ctime_years_outside_1900_9999_give_24_chars(void **state)
{
	/* tm_year: 1899, year 0, year 10000, 11899, INT_MIN + 1900, INT_MAX. */
	static const int years[] = {-1, -1900, 8100, 9999, INT_MIN, INT_MAX};
	char out[64];
	struct tm tm;
	size_t i;

	(void)state;
	/* 1899 is a real year and ctime() prints it as such. */
	tm = tm_at(1899, 12, 31, 23, 59, 59, 0);
	assert_int_equal(proto_ctime(&tm, out, sizeof(out)), PROTO_CTIME_LEN);
	assert_string_equal(out, "Sun Dec 31 23:59:59 1899");
	for (i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		tm = tm_at(2026, 11, 21, 10, 0, 0, 6);
		tm.tm_year = years[i];
		assert_int_equal(proto_ctime(&tm, out, sizeof(out)), PROTO_CTIME_LEN);
		assert_int_equal(strlen(out), PROTO_CTIME_LEN);
	}
}

static void test_proto_ctime_truncates_to_cap(void **state)
{
	const struct tm tm = tm_at(2026, 11, 21, 10, 0, 0, 6);
	char out[32];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(proto_ctime(&tm, out, 10), 9);
	assert_string_equal(out, "Sat Nov 2");
	assert_int_equal(out[10], 'Z');
	memset(out, 'Z', sizeof(out));
	assert_int_equal(proto_ctime(&tm, out, PROTO_CTIME_LEN + 1), PROTO_CTIME_LEN);
	assert_string_equal(out, "Sat Nov 21 10:00:00 2026");
	memset(out, 'Z', sizeof(out));
	assert_int_equal(proto_ctime(&tm, out, 0), 0);
	assert_int_equal(out[0], 'Z');
}

static void test_proto_ok_reply(void **state)
{
	(void)state;
	expect_reply(&proto_ok, PROTO_FRAMING_LINE, S("DATA"), NULL, S("OK...DATA\n"));
	expect_reply(&proto_ok, PROTO_FRAMING_CHUNK, S("DATA"), NULL, S("OK...DATA"));
	expect_reply(&proto_ok, PROTO_FRAMING_LINE, "", 0, NULL, S("OK...\n"));
	assert_null(proto_ok.welcome);
}

static void test_proto_ok_welcome_greets_in_both_framings(void **state)
{
	(void)state;
	expect_welcome(&proto_ok_welcome, PROTO_FRAMING_LINE,
	               S("Welcome to the server. Type something and hit enter\n"));
	expect_welcome(&proto_ok_welcome, PROTO_FRAMING_CHUNK,
	               S("Welcome to the server. Type something and hit enter\n"));
	expect_reply(&proto_ok_welcome, PROTO_FRAMING_LINE, S("DATA"), NULL, S("OK...DATA\n"));
	expect_reply(&proto_ok_welcome, PROTO_FRAMING_CHUNK, S("DATA"), NULL, S("OK...DATA"));
}

static void test_proto_handler_flags_and_names(void **state)
{
	(void)state;
	assert_string_equal(proto_echo.name, "echo");
	assert_int_equal(proto_echo.flags, 0);
	assert_string_equal(proto_hello.name, "hello");
	assert_int_equal(proto_hello.flags, 0);
	assert_string_equal(proto_timestamp.name, "timestamp");
	assert_int_equal(proto_timestamp.flags, PROTO_NEEDS_TIME);
	assert_null(proto_timestamp.welcome);
	assert_string_equal(proto_ok.name, "ok");
	assert_int_equal(proto_ok.flags, PROTO_ONE_SHOT);
	assert_string_equal(proto_ok_welcome.name, "ok-welcome");
	assert_int_equal(proto_ok_welcome.flags, 0);
	assert_string_equal(proto_silent.name, "accept-close");
	assert_int_equal(proto_silent.flags, PROTO_SILENT);
	assert_null(proto_silent.welcome);
	assert_non_null(proto_silent.message);
}

static void test_proto_reply_fits_len_plus_overhead(void **state)
{
	const struct proto_handler *handlers[] = {&proto_echo, &proto_hello,      &proto_timestamp,
	                                          &proto_ok,   &proto_ok_welcome, &proto_silent};
	static const enum proto_framing framings[] = {PROTO_FRAMING_LINE, PROTO_FRAMING_CHUNK,
	                                              PROTO_FRAMING_STREAM, PROTO_FRAMING_DATAGRAM};
	const struct tm now = tm_at(2026, 11, 21, 10, 0, 0, 6);
	uint8_t data[400], out[OUT_SIZE];
	size_t h, f, len, out_len;
	int rc;

	(void)state;
	for (len = 0; len < sizeof(data); len++)
		data[len] = (uint8_t)(len * 7); /* arbitrary bytes, NUL included */
	for (h = 0; h < sizeof(handlers) / sizeof(handlers[0]); h++) {
		for (f = 0; f < 4; f++) {
			for (len = 0; len < sizeof(data); len++) {
				out_len = 9999;
				rc = call(handlers[h], framings[f], data, len, &now, out,
				          len + PROTO_OVERHEAD, &out_len);
				assert_int_equal(rc, PROTO_REPLY);
				assert_in_range(out_len, len, len + PROTO_OVERHEAD);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proto_echo_identity),
	    cmocka_unit_test(test_proto_hello_welcome),
	    cmocka_unit_test(test_proto_hello_greets_name),
	    cmocka_unit_test(test_proto_hello_exit_closes),
	    cmocka_unit_test(test_proto_hello_near_exit_is_a_name),
	    cmocka_unit_test(test_proto_timestamp_reply),
	    cmocka_unit_test(test_proto_timestamp_pads_day_like_ctime),
	    cmocka_unit_test(test_proto_timestamp_without_time_fails),
	    cmocka_unit_test(test_proto_ctime_matches_asctime),
	    cmocka_unit_test(test_proto_ctime_out_of_range_fields_give_24_chars),
	    cmocka_unit_test(test_proto_ctime_years_outside_1900_9999_give_24_chars),
	    cmocka_unit_test(test_proto_ctime_truncates_to_cap),
	    cmocka_unit_test(test_proto_ok_reply),
	    cmocka_unit_test(test_proto_ok_welcome_greets_in_both_framings),
	    cmocka_unit_test(test_proto_handler_flags_and_names),
	    cmocka_unit_test(test_proto_reply_fits_len_plus_overhead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
