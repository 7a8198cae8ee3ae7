/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of what user suites need from the case language: own family
 * names (parse_case_opts with PARSE_OWN_FAMILIES), capture variables
 * (regex named groups, ${NAME} pieces rendered from a plan_vars table),
 * the u8/u16be/u32be length prefixes (exact bytes) and "expect NAME any".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parse_check.h"
#include "plan_text.h"

/* Parses src as a user suite's file; returns the plan or NULL with err. */
static struct plan *parse_own(const char *src, char *err, size_t errlen)
{
	struct plan *p = NULL;

	if (parse_case_opts(NAME, (const uint8_t *)src, strlen(src), PARSE_OWN_FAMILIES, &p, err,
	                    errlen) < 0)
		return NULL;
	return p;
}

static void test_user_own_family(void **state)
{
	char err[PARSE_ERR_MAX];
	struct plan *p;

	(void)state;
	/* the embedded cases keep the eight families */
	parse_fails("case resp/ping\n",
	            NAME ":1:6: unknown family \"resp\": use basic, "
	                 "partial-recv, framing, concurrency, exit, reuse, limits "
	                 "or resources");
	p = parse_own("case resp/ping\n", err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(p->family, PLAN_FAMILY_OWN);
	assert_string_equal(p->family_name, "resp");
	assert_string_equal(p->id, "resp/ping");
	plan_free(p);
	p = parse_own("case partial-recv/x\n", err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(p->family, PLAN_FAMILY_PARTIAL_RECV);
	assert_string_equal(p->family_name, "partial-recv");
	plan_free(p);
	p = parse_own("case http2-frames/x\n", err, sizeof(err));
	assert_non_null(p);
	plan_free(p);
	assert_null(parse_own("case Http2/x\n", err, sizeof(err)));
	assert_string_equal(err, NAME ":1:6: bad family \"Http2\": use a lowercase letter, then "
	                              "lowercase letters, digits or -, at most 31 bytes");
	assert_null(parse_own("case abcdefghijklmnopqrstuvwxyzabcdef/x\n", err, sizeof(err)));
	assert_non_null(strstr(err, "bad family \"abcdefghijklmnopqrstuvwxyzabcdef\""));
	assert_int_equal(plan_family_valid("a-1", 3), 1);
	assert_int_equal(plan_family_valid("a_1", 3), 0);
	assert_int_equal(plan_family_valid("", 0), 0);
}

static void test_user_length_prefixes(void **state)
{
	struct plan *p = parse_ok(HDR "connect c\n"
	                              "write c u16be \"hello\"\n"
	                              "write c u8 \"ab\" u32be hex \"ff\"\n"
	                              "write c u16be \"x\" * 300\n"
	                              "expect c u16be \"\" \"tail\"\n");
	static const uint8_t big[] = {0x01, 0x2c};
	uint8_t *out = NULL;
	size_t len = 0;

	(void)state;
	/* 00 05 h e l l o */
	assert_rendered(&p->stmts[1].data, 0, LIT("\x00\x05hello"));
	/* 02 a b, 00 00 00 01 ff */
	assert_rendered(&p->stmts[2].data, 0,
	                LIT("\x02"
	                    "ab\x00\x00\x00\x01\xff"));
	/* 01 2c, then 300 x */
	assert_int_equal(plan_bytes_render(&p->stmts[3].data, 0, &out, &len), 0);
	assert_int_equal(len, 302);
	assert_memory_equal(out, big, 2);
	assert_int_equal(out[301], 'x');
	free(out);
	assert_rendered(&p->stmts[4].data, 0, LIT("\x00\x00tail"));
	assert_int_equal(p->stmts[4].op, PLAN_EXPECT_BYTES);
	plan_free(p);
	parse_fails(HDR "connect c\nwrite c u8 \"x\" * 256\n",
	            NAME ":3:9: u8 cannot hold a length of 256 bytes (at most 255)");
	parse_fails(HDR "connect c\nwrite c u16be range 0 255 * 257\n",
	            NAME ":3:9: u16be cannot hold a length of 65792 bytes (at most 65535)");
	parse_fails(HDR "repeat 2\nconnect c\nwrite c u16be \"${i}\"\nend\n",
	            NAME ":4:9: u16be needs data of a known length: no ${...} in it");
	parse_fails(HDR "connect c\nwrite c u16be\n",
	            NAME ":3:14: expected a string, hex \"...\" or range A B to measure after "
	                 "\"u16be\"");
	parse_fails(HDR "connect c\nwrite c u16be u8 \"x\"\n",
	            NAME ":3:15: expected a string, hex \"...\" or range A B to measure, got "
	                 "\"u8\"");
}

static void test_user_capture_variables(void **state)
{
	struct plan *p =
	    parse_ok(HDR "connect c\n"
	                 "expect c regex \"\\\\\\$(?<len>[0-9]+)\\r\\n(?P<v>x)?(?'w'y)\"\n"
	                 "write c \"GET ${v}/${len}\" \"!\"\n"
	                 "expect c regex \"${len}(?<again>.)\"\n"
	                 "expect c any ${len}\n"
	                 "expect c any u32be within 1s\n"
	                 "expect c any 7\n");
	struct plan_vars vars = {0};
	const struct plan_stmt *w = &p->stmts[2];

	(void)state;
	assert_int_equal(w->data.nsegs, 5);
	assert_seg(&w->data.segs[0], PLAN_SEG_BYTES, LIT("GET "), 1);
	assert_seg(&w->data.segs[1], PLAN_SEG_VAR, LIT("v"), 1);
	assert_seg(&w->data.segs[2], PLAN_SEG_BYTES, LIT("/"), 1);
	assert_seg(&w->data.segs[3], PLAN_SEG_VAR, LIT("len"), 1);
	assert_seg(&w->data.segs[4], PLAN_SEG_BYTES, LIT("!"), 1);
	/* nothing captured yet: v is the first unset variable */
	assert_ptr_equal(plan_bytes_unset(&w->data, &vars), &w->data.segs[1]);
	assert_int_equal(plan_vars_set(&vars, "len", (const uint8_t *)"12", 2, 1), 0);
	assert_int_equal(plan_vars_set(&vars, "v", NULL, 0, 0), 0);
	assert_ptr_equal(plan_bytes_unset(&w->data, &vars), &w->data.segs[1]);
	assert_int_equal(plan_vars_set(&vars, "v", (const uint8_t *)"abc", 3, 1), 0);
	assert_null(plan_bytes_unset(&w->data, &vars));
	{
		uint8_t *out = NULL;
		size_t len = 0;
		struct plan_cursor cur;
		uint8_t buf[16];

		assert_int_equal(plan_bytes_len_vars(&w->data, 0, &vars), 11);
		assert_int_equal(plan_bytes_render_vars(&w->data, 0, &vars, &out, &len), 0);
		assert_int_equal(len, 11);
		assert_memory_equal(out, "GET abc/12!", 11);
		free(out);
		plan_cursor_init_vars(&cur, &w->data, 0, &vars);
		assert_int_equal(plan_cursor_read(&cur, buf, 6), 6);
		assert_int_equal(plan_cursor_read(&cur, buf + 6, 10), 5);
		assert_memory_equal(buf, "GET abc/12!", 11);
	}
	/* a regex using a variable is kept as pieces, compiled when run */
	assert_seg(&p->stmts[3].data.segs[0], PLAN_SEG_VAR, LIT("len"), 1);
	assert_int_equal(p->stmts[4].op, PLAN_EXPECT_ANY);
	assert_string_equal(p->stmts[4].var, "len");
	assert_int_equal(p->stmts[5].prefix, 4);
	assert_int_equal(p->stmts[5].ms, 1000);
	assert_int_equal(p->stmts[6].count, 7);
	assert_string_equal(p->stmts[6].var, "");
	plan_vars_free(&vars);
	plan_free(p);
}

static void test_user_capture_errors(void **state)
{
	(void)state;
	parse_fails(HDR "connect c\nwrite c \"${len}\"\n",
	            NAME ":3:10: unknown variable \"len\": capture it first with a named group, "
	                 "like regex \"(?<len>[0-9]+)\"");
	/* defined by a later statement is not enough */
	parse_fails(HDR "connect c\nwrite c \"${n}\"\nexpect c regex \"(?<n>.)\"\n",
	            NAME ":3:10: unknown variable \"n\": capture it first with a named group, "
	                 "like regex \"(?<n>[0-9]+)\"");
	parse_fails(HDR "connect c\nexpect c any ${n}\n",
	            NAME ":3:14: unknown variable \"n\": capture it first with a named group, "
	                 "like regex \"(?<n>[0-9]+)\"");
	parse_fails(HDR "connect c\nexpect c regex \"(?<n>.)\"\nwrite c hex \"${n}\"\n",
	            NAME ":4:14: a variable is not allowed in hex data");
	parse_fails(HDR "connect c\nexpect c regex \"(?<i>.)\"\n",
	            NAME ":3:16: group name \"i\" is taken by ${i}: choose another");
	parse_fails(HDR "connect any\n",
	            NAME ":2:9: \"any\" is a reserved word, not a connection name");
	parse_fails(HDR "parallel 2\nconnect c\nrepeat 2\nexpect c regex \"(?<n>.)\"\nend\nend\n",
	            NAME ":5:16: a regex inside a parallel body cannot capture \"n\": capture "
	                 "before the block");
	parse_fails(HDR "connect c\nexpect c any\n",
	            NAME ":3:13: expected a byte count, ${VAR}, u8, u16be or u32be after \"any\"");
	parse_fails(HDR "repeat 2\nconnect c\nexpect c any ${i}\nend\n",
	            NAME ":4:14: ${i} is not a byte count: use a captured variable");
	/* (?<=...) is a lookbehind, not a group: it defines nothing */
	parse_fails(HDR "connect c\nexpect c regex \"(?<=a)b\"\nwrite c \"${a}\"\n",
	            NAME ":4:10: unknown variable \"a\": capture it first with a named group, "
	                 "like regex \"(?<a>[0-9]+)\"");
}

/* Written back as text and read again, a plan with variables, prefixes
 * and "any" is the same plan. */
static void test_user_round_trip(void **state)
{
	static const char src[] = HDR "connect c\n"
	                              "write c u16be \"hi\"\n"
	                              "expect c regex \"(?<tok>[a-z]+) (?<n>[0-9]+)\\n\"\n"
	                              "write c \"${tok}:${n}\" * 2\n"
	                              "expect c regex \"${tok}\"\n"
	                              "expect c any ${n} within 1s\n"
	                              "expect c any u16be\n"
	                              "expect c any 0\n";
	struct plan *a = parse_ok(src), *b;
	struct strbuf sb = {NULL, 0, 0, 0};
	char *text = NULL;

	(void)state;
	plan_text_write(a, &sb);
	assert_int_equal(strbuf_finish(&sb, &text, NULL), 0);
	b = parse_ok(text);
	assert_true(plan_text_equal(a, b));
	assert_non_null(strstr(text, "expect c any ${n} within 1000ms\n"));
	assert_non_null(strstr(text, "expect c any u16be within 2000ms\n"));
	assert_non_null(strstr(text, " \"${tok}\" \":\" \"${n}\""));
	free(text);
	plan_free(a);
	plan_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_user_own_family),
	    cmocka_unit_test(test_user_length_prefixes),
	    cmocka_unit_test(test_user_capture_variables),
	    cmocka_unit_test(test_user_capture_errors),
	    cmocka_unit_test(test_user_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
