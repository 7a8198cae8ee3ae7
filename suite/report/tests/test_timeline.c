/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of timeline (timeline.h): wire-log lines as the engine's
 * wire.c writes them, parsed into exact events; data excerpts with
 * escaped quotes and cut-short ones; target, runner and verdict events;
 * and every line outside the grammar kept as a note, never dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "report_fixture.h"
#include "timeline.h"

/* Asserts every field of event i. data NULL: the event has none. */
static void assert_event(const struct timeline *t, size_t i, enum timeline_kind kind, uint64_t at,
                         const char *who, const char *what, size_t bytes, const char *data, int cut,
                         size_t lane)
{
	const struct timeline_event *e;

	assert_true(i < t->nevents);
	e = &t->events[i];
	if (e->kind != kind)
		fail_msg("event %zu (%s %s): kind %d, expected %d", i, e->who, e->what, e->kind,
		         kind);
	assert_int_equal(e->at, at);
	assert_string_equal(e->who, who);
	assert_string_equal(e->what, what);
	assert_int_equal(e->bytes, bytes);
	if (data)
		assert_string_equal(e->data, data);
	else
		assert_null(e->data);
	assert_int_equal(e->cut, cut);
	assert_int_equal(e->lane, lane);
}

static void parse(struct timeline *t, const char *text)
{
	assert_int_equal(timeline_parse(text, strlen(text), t), 0);
}


static void test_timeline_parses_a_failed_exchange(void **state)
{
	struct timeline t = {0};

	(void)state;
	parse(&t, fixture_crlf_timeline);
	assert_int_equal(t.nevents, 7);
	assert_event(&t, 0, TIMELINE_MARK, 1, "c1", "connect", 0, NULL, 0, 0);
	assert_event(&t, 1, TIMELINE_MARK, 1, "c1", "connected", 0, NULL, 0, 0);
	assert_event(&t, 2, TIMELINE_RECV, 8, "c1", "read", 9, "Welcome!\\n", 0, 0);
	assert_event(&t, 3, TIMELINE_SEND, 9, "c1", "write", 7, "alice\\r\\n", 0, 0);
	assert_event(&t, 4, TIMELINE_RECV, 10017, "c1", "read", 15, "Hello, alice\\r!\\n", 0, 0);
	assert_event(&t, 5, TIMELINE_VERDICT, 10019, "runner", "FAIL", 0, NULL, 0, 0);
	assert_event(&t, 6, TIMELINE_MARK, 10019, "c2", "close", 0, NULL, 0, 1);
	assert_int_equal(t.nlanes, 2);
	assert_string_equal(t.lanes[0], "c1");
	assert_string_equal(t.lanes[1], "c2");
	timeline_free(&t);
	assert_int_equal(t.nevents, 0);
	assert_null(t.events);
}

/* Datagrams, multi-word events, the target, the runner. */
static void test_timeline_kinds_of_events(void **state)
{
	struct timeline t = {0};

	(void)state;
	parse(&t, "+0.0ms u udp socket ready\n"
	          "+0.1ms u send 3 \"a\\\"b\"\n"
	          "+0.3ms u datagram 0 \"\"\n"
	          "+2.5ms target Terminated\n"
	          "+3.0ms second-instance bind(127.0.0.1:5): Address already in use\n"
	          "+4.0ms runner measured 4 \"fast\"\n"
	          "+5.0ms u reset (SO_LINGER 0)\n"
	          "+6.0ms c1 reset by peer\n"
	          "+7.0ms target restarted\n"
	          "+9.5ms runner ERROR");
	assert_int_equal(t.nevents, 10);
	assert_event(&t, 0, TIMELINE_MARK, 0, "u", "udp socket ready", 0, NULL, 0, 0);
	assert_event(&t, 1, TIMELINE_SEND, 1, "u", "send", 3, "a\\\"b", 0, 0);
	assert_event(&t, 2, TIMELINE_RECV, 3, "u", "datagram", 0, "", 0, 0);
	assert_event(&t, 3, TIMELINE_TARGET, 25, "target", "Terminated", 0, NULL, 0, 0);
	assert_event(&t, 4, TIMELINE_TARGET, 30, "second-instance",
	             "bind(127.0.0.1:5): Address already in use", 0, NULL, 0, 0);
	assert_event(&t, 5, TIMELINE_RUNNER, 40, "runner", "measured", 4, "fast", 0, 0);
	assert_event(&t, 6, TIMELINE_MARK, 50, "u", "reset (SO_LINGER 0)", 0, NULL, 0, 0);
	assert_event(&t, 7, TIMELINE_MARK, 60, "c1", "reset by peer", 0, NULL, 0, 1);
	assert_event(&t, 8, TIMELINE_TARGET, 70, "target", "restarted", 0, NULL, 0, 0);
	assert_event(&t, 9, TIMELINE_VERDICT, 95, "runner", "ERROR", 0, NULL, 0, 0);
	assert_int_equal(t.nlanes, 2);
	timeline_free(&t);
}

/* wire.c shows 48 bytes of a longer message, then ...", then the count. */
static void test_timeline_excerpt_cut_short(void **state)
{
	struct timeline t = {0};

	(void)state;
	parse(&t, "+1.0ms c1 read 1025 \"0123456789\\x00...\" (1025 bytes)\n"
	          "+2.0ms c1 write 3 \"...\"\n");
	assert_event(&t, 0, TIMELINE_RECV, 10, "c1", "read", 1025, "0123456789\\x00", 1, 0);
	/* "..." that is the data itself, with no count after it */
	assert_event(&t, 1, TIMELINE_SEND, 20, "c1", "write", 3, "...", 0, 0);
	timeline_free(&t);
}

/* Lines outside the grammar are notes holding the whole line. */
static void test_timeline_keeps_unknown_lines_as_notes(void **state)
{
	static const char *const lines[] = {
	    "... (timeline truncated)",
	    "",
	    "+1.0ms",
	    "+1.0ms c1",
	    "+1.0ms c1 ",
	    "1.0ms c1 connect",
	    "+x.0ms c1 connect",
	    "+1.ms c1 connect",
	    "+1.0s c1 connect",
	    "+99999999999999999999.0ms c1 eof",
	};
	char text[512] = "";
	struct timeline t = {0};
	size_t i, n = sizeof(lines) / sizeof(lines[0]);

	(void)state;
	for (i = 0; i < n; i++) {
		strcat(text, lines[i]);
		strcat(text, "\n");
	}
	parse(&t, text);
	assert_int_equal(t.nevents, n);
	for (i = 0; i < n; i++)
		assert_event(&t, i, TIMELINE_NOTE, 0, "", lines[i], 0, NULL, 0, 0);
	assert_int_equal(t.nlanes, 0);
	timeline_free(&t);
}

/* A data event whose excerpt does not parse is still the connection's
 * event, its whole text kept. */
static void test_timeline_malformed_data_kept_whole(void **state)
{
	struct timeline t = {0};

	(void)state;
	parse(&t, "+1.0ms c1 read 5 \"unterminated\n"
	          "+1.1ms c1 read 5 \"abc\" (4 bytes)\n"
	          "+1.2ms c1 read x \"abc\"\n"
	          "+1.3ms c1 write 9 \"abcdef\" (9 bytes)\n");
	assert_int_equal(t.nevents, 4);
	assert_event(&t, 0, TIMELINE_MARK, 10, "c1", "read 5 \"unterminated", 0, NULL, 0, 0);
	assert_event(&t, 1, TIMELINE_MARK, 11, "c1", "read 5 \"abc\" (4 bytes)", 0, NULL, 0, 0);
	assert_event(&t, 2, TIMELINE_MARK, 12, "c1", "read x \"abc\"", 0, NULL, 0, 0);
	/* a count but no "..." before the quote */
	assert_event(&t, 3, TIMELINE_MARK, 13, "c1", "write 9 \"abcdef\" (9 bytes)", 0, NULL, 0, 0);
	timeline_free(&t);
}

/* A second parse into the same timeline replaces the first; empty text
 * has no events. */
static void test_timeline_reparse_and_empty(void **state)
{
	struct timeline t = {0};

	(void)state;
	parse(&t, fixture_crlf_timeline);
	parse(&t, "+3.0ms c9 eof");
	assert_int_equal(t.nevents, 1);
	assert_event(&t, 0, TIMELINE_MARK, 30, "c9", "eof", 0, NULL, 0, 0);
	assert_int_equal(t.nlanes, 1);
	assert_string_equal(t.lanes[0], "c9");
	parse(&t, "");
	assert_int_equal(t.nevents, 0);
	assert_int_equal(t.nlanes, 0);
	timeline_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeline_parses_a_failed_exchange),
	    cmocka_unit_test(test_timeline_kinds_of_events),
	    cmocka_unit_test(test_timeline_excerpt_cut_short),
	    cmocka_unit_test(test_timeline_keeps_unknown_lines_as_notes),
	    cmocka_unit_test(test_timeline_malformed_data_kept_whole),
	    cmocka_unit_test(test_timeline_reparse_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
