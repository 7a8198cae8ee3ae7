/* SPDX-License-Identifier: MIT */
/* Tests of diagnose.c: each cause is named only when it was observed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "diagnose.h"

static void check_parallel(const struct diag_block *d, const char *want)
{
	struct strbuf sb = {NULL, 0, 0, 0};

	diagnose_parallel(&sb, d);
	assert_string_equal(strbuf_text(&sb), want);
	strbuf_release(&sb);
}

static void test_diagnose_backlog_overflow(void **state)
{
	struct diag_block d = {.count = 100,
	                       .live = 91,
	                       .done = 9,
	                       .done_span_ms = 5,
	                       .slow_connects = 91,
	                       .waiting = 0,
	                       .backlog = 5,
	                       .limit_ms = 1000};

	(void)state;
	check_parallel(&d, "parallel 100: 91 of 100 instances not done within 1000 ms: 91 connects "
	                   "took 200 ms or more, so a SYN was dropped and sent again: the listen "
	                   "backlog overflowed (listen backlog 5?)");
	d.backlog = -1; /* not known (a Unix socket, or no sock_diag) */
	d.slow_connects = 1;
	check_parallel(&d, "parallel 100: 91 of 100 instances not done within 1000 ms: 1 connect "
	                   "took 200 ms or more, so a SYN was dropped and sent again: the listen "
	                   "backlog overflowed");
}

static void test_diagnose_served_in_turn(void **state)
{
	struct diag_block d = {.count = 10,
	                       .live = 7,
	                       .done = 3,
	                       .done_span_ms = 400,
	                       .slow_connects = 0,
	                       .waiting = 7,
	                       .backlog = 128,
	                       .limit_ms = 600};

	(void)state;
	check_parallel(&d, "parallel 10: 7 of 10 instances not done within 600 ms: clients are "
	                   "served one at a time (the 3 that were answered finished one after "
	                   "another, 200 ms apart on average, while 7 connected clients waited "
	                   "with no answer)");
}

static void test_diagnose_says_nothing_it_did_not_see(void **state)
{
	/* Answered together (1 ms apart): not "one at a time". */
	struct diag_block d = {.count = 10,
	                       .live = 2,
	                       .done = 8,
	                       .done_span_ms = 7,
	                       .slow_connects = 0,
	                       .waiting = 2,
	                       .backlog = 128,
	                       .limit_ms = 600};

	(void)state;
	check_parallel(&d, "parallel 10: 2 of 10 instances not done within 600 ms: 2 connected "
	                   "clients waited with no answer");
	/* Nobody waits for a first byte (slow, but answering): no cause. */
	d.waiting = 0;
	check_parallel(&d, "parallel 10: 2 of 10 instances not done within 600 ms");
	/* One instance done: no spacing to judge. */
	d.done = 1;
	d.waiting = 9;
	check_parallel(&d, "parallel 10: 2 of 10 instances not done within 600 ms: 9 connected "
	                   "clients waited with no answer");
}

static void test_diagnose_connect_note(void **state)
{
	struct strbuf sb = {NULL, 0, 0, 0};

	(void)state;
	diagnose_connect(&sb, 199, 5);
	assert_int_equal(sb.len, 0);
	diagnose_connect(&sb, 1003, 5);
	assert_string_equal(strbuf_text(&sb), "; its connect took 1003 ms: a SYN was dropped and "
	                                      "sent again: the listen backlog overflowed (listen "
	                                      "backlog 5?)");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diagnose_backlog_overflow),
	    cmocka_unit_test(test_diagnose_served_in_turn),
	    cmocka_unit_test(test_diagnose_says_nothing_it_did_not_see),
	    cmocka_unit_test(test_diagnose_connect_note),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
