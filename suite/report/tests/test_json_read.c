/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of json_read (json_read.h) and rerun (rerun.h): values and
 * strings decoded exactly (escapes, surrogate pairs, UTF-8 kept), every
 * strict-RFC 8259 rejection with its line and column, the nesting
 * limit, and the failed ids read from a report (unknown keys ignored,
 * attempt suffixes folded, non-reports refused).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "rerun.h"

static struct json_value *parse_ok(const char *text)
{
	struct json_value *v = NULL;
	char err[200] = "";

	if (json_parse(text, strlen(text), &v, err, sizeof(err)) < 0)
		fail_msg("%s: %s", text, err);
	return v;
}

static void expect_error(const char *text, size_t len, const char *want)
{
	struct json_value *v = (struct json_value *)1;
	char err[200] = "";

	assert_int_equal(json_parse(text, len, &v, err, sizeof(err)), -1);
	assert_null(v);
	assert_string_equal(err, want);
}

#define BAD(text, want) expect_error(text, sizeof(text) - 1, want)

static void test_json_read_values(void **state)
{
	/* {"a": [1, -2.5e1, 0, true, false, null], "b": {}, "c": []} */
	struct json_value *v = parse_ok(" {\"a\": [1, -2.5e1, 0, true, false, null],\n"
	                                "  \"b\": {}, \"c\": []}\r\n");
	const struct json_value *a;

	(void)state;
	assert_int_equal(v->type, JSON_OBJECT);
	assert_int_equal(v->n, 3);
	assert_string_equal(v->members[1].key, "b");
	a = json_get(v, "a");
	assert_non_null(a);
	assert_int_equal(a->type, JSON_ARRAY);
	assert_int_equal(a->n, 6);
	assert_true(a->items[0].type == JSON_NUMBER && a->items[0].number == 1.0);
	assert_true(a->items[1].number == -25.0);
	assert_true(a->items[2].number == 0.0);
	assert_int_equal(a->items[3].type, JSON_TRUE);
	assert_int_equal(a->items[4].type, JSON_FALSE);
	assert_int_equal(a->items[5].type, JSON_NULL);
	assert_int_equal(json_get(v, "b")->type, JSON_OBJECT);
	assert_int_equal(json_get(v, "c")->n, 0);
	assert_null(json_get(v, "d"));
	assert_null(json_get(a, "a")); /* not an object */
	assert_null(json_string(a));
	json_free(v);
	json_free(NULL);
}

static void test_json_read_string_escapes(void **state)
{
	/* "q\"b\\s\/\b\f\n\r\t A é € 😀 \0" with the last five as \u escapes */
	struct json_value *v = parse_ok(
	    "\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t \\u0041 \\u00e9 \\u20AC \\ud83d\\ude00 \\u0000\"");
	static const char want[] = "q\"b\\s/\b\f\n\r\t A \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 ";

	(void)state;
	assert_int_equal(v->type, JSON_STRING);
	assert_int_equal(v->len, sizeof(want)); /* and the NUL from \u0000 */
	assert_memory_equal(v->string, want, sizeof(want) - 1);
	assert_int_equal(v->string[v->len - 1], '\0');
	json_free(v);
}

static void test_json_read_raw_utf8_kept(void **state)
{
	/* "é😀" written raw */
	struct json_value *v = parse_ok("[\"\xc3\xa9\xf0\x9f\x98\x80\"]");

	(void)state;
	assert_string_equal(json_string(&v->items[0]), "\xc3\xa9\xf0\x9f\x98\x80");
	json_free(v);
}

static void test_json_read_rejects_with_position(void **state)
{
	(void)state;
	BAD("", "line 1, column 1: expected a value, got the end");
	BAD("[1,]", "line 1, column 4: expected a value");
	BAD("{\"a\":1,}", "line 1, column 8: expected a string key in object");
	BAD("[01]", "line 1, column 2: leading zero in number");
	BAD("[1.]", "line 1, column 4: expected a digit");
	BAD("[-]", "line 1, column 3: expected a digit");
	BAD("[1e+]", "line 1, column 5: expected a digit");
	BAD("[+1]", "line 1, column 2: expected a value");
	BAD("{\"a\" 1}", "line 1, column 6: expected ':' after object key");
	BAD("{\"a\":1 \"b\":2}", "line 1, column 8: expected ',' or '}' in object");
	BAD("[1 2]", "line 1, column 4: expected ',' or ']' in array");
	BAD("[1]\n x", "line 2, column 2: text after the JSON value");
	BAD("[tru]", "line 1, column 2: expected a value");
	BAD("{'a':1}", "line 1, column 2: expected a string key in object");
	BAD("\"abc", "line 1, column 1: unterminated string");
	BAD("\"a\tb\"", "line 1, column 3: control byte in string (escape it)");
	BAD("[\"\\x\"]", "line 1, column 3: invalid escape in string");
	BAD("\"\\u12g4\"", "line 1, column 2: \\u needs four hex digits");
	BAD("\"\\ude00\"", "line 1, column 2: lone low surrogate in \\u escape");
	BAD("\"\\ud83d\"", "line 1, column 2: high surrogate without its low surrogate");
	BAD("\"\\ud83d\\u0041\"", "line 1, column 2: high surrogate without its low surrogate");
	BAD("\"\xc0\xaf\"", "line 1, column 2: invalid UTF-8 in string");         /* overlong '/' */
	BAD("\"\xed\xa0\x80\"", "line 1, column 2: invalid UTF-8 in string");     /* U+D800 */
	BAD("\"\xf4\x90\x80\x80\"", "line 1, column 2: invalid UTF-8 in string"); /* > U+10FFFF */
	BAD("\"ab\xe2\x82\"", "line 1, column 4: invalid UTF-8 in string");       /* cut short */
	BAD("\xef\xbb\xbf[]", "line 1, column 1: expected a value");              /* a BOM */
	BAD("[1]\0", "line 1, column 4: text after the JSON value");
}

static void test_json_read_depth_limit(void **state)
{
	char deep[2 * JSON_DEPTH_MAX + 3];
	struct json_value *v;

	(void)state;
	memset(deep, '[', JSON_DEPTH_MAX);
	memset(deep + JSON_DEPTH_MAX, ']', JSON_DEPTH_MAX);
	deep[2 * JSON_DEPTH_MAX] = '\0';
	v = parse_ok(deep); /* exactly JSON_DEPTH_MAX deep */
	json_free(v);
	memset(deep, '[', JSON_DEPTH_MAX + 1);
	memset(deep + JSON_DEPTH_MAX + 1, ']', JSON_DEPTH_MAX + 1);
	deep[2 * JSON_DEPTH_MAX + 2] = '\0';
	expect_error(deep, strlen(deep), "line 1, column 65: nested too deep");
}

/* Two runs; an unknown key at every level; a repeated case (--repeat). */
static const char report_json[] =
    "{\"tool\":\"sockspec\",\"version\":\"9\",\"meta\":{\"seed\":1},\"runs\":["
    "{\"profile\":\"echo-threaded\",\"target\":\"t\",\"framing\":\"line\",\"x\":[1],"
    "\"cases\":[{\"id\":\"basic/a\",\"verdict\":\"pass\"},"
    "{\"id\":\"basic/b #1\",\"verdict\":\"pass\",\"attempt\":1},"
    "{\"id\":\"basic/b #2\",\"verdict\":\"fail\"},{\"id\":\"basic/b #3\",\"verdict\":\"fail\"},"
    "{\"id\":\"exit/c\",\"verdict\":\"error\"},{\"id\":\"exit/d\",\"verdict\":\"skip\"}]},"
    "{\"profile\":\"hello\",\"framing\":\"chunk\",\"cases\":[{\"id\":\"basic/a\","
    "\"verdict\":\"fail\"}]}],\"summary\":{}}";

static void test_rerun_reads_failed_ids(void **state)
{
	struct rerun_set s;
	char err[200] = "";

	(void)state;
	assert_int_equal(rerun_parse(report_json, strlen(report_json), &s, err, sizeof(err)), 0);
	assert_int_equal(s.nruns, 2);
	assert_int_equal(s.failed, 3);
	assert_int_equal(s.runs[0].nids, 2);
	assert_string_equal(s.runs[0].ids[0], "basic/b");
	assert_string_equal(s.runs[0].ids[1], "exit/c");
	assert_true(rerun_wanted(&s, "echo-threaded", "line", "basic/b"));
	assert_true(rerun_wanted(&s, "echo-threaded", "line", "exit/c"));
	assert_false(rerun_wanted(&s, "echo-threaded", "line", "basic/a"));
	assert_false(rerun_wanted(&s, "echo-threaded", "line", "exit/d"));
	assert_false(rerun_wanted(&s, "echo-threaded", "chunk", "basic/b"));
	assert_true(rerun_wanted(&s, "hello", "chunk", "basic/a"));
	assert_false(rerun_wanted(&s, "hello", "line", "basic/a"));
	rerun_free(&s);
}

static void test_rerun_refuses_what_is_no_report(void **state)
{
	struct rerun_set s;
	char err[200] = "";
	static const char *const docs[][2] = {
	    {"<html>", "not JSON: line 1, column 1: expected a value"},
	    {"[]", "not a sockspec report: no \"tool\": \"sockspec\" at its top level"},
	    {"{\"tool\":\"pytest\",\"runs\":[]}",
	     "not a sockspec report: no \"tool\": \"sockspec\" at its top level"},
	    {"{\"tool\":\"sockspec\",\"runs\":{}}", "not a sockspec report: no \"runs\" array"},
	    {"{\"tool\":\"sockspec\",\"runs\":[{\"profile\":\"p\",\"cases\":[]}]}",
	     "not a sockspec report: a run without \"profile\", \"framing\" or \"cases\""},
	    {"{\"tool\":\"sockspec\",\"runs\":[{\"profile\":\"p\",\"framing\":\"line\","
	     "\"cases\":[{\"id\":\"a\",\"verdict\":3}]}]}",
	     "not a sockspec report: a case without \"id\" or \"verdict\""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(rerun_parse(docs[i][0], strlen(docs[i][0]), &s, err, sizeof(err)),
		                 -1);
		assert_string_equal(err, docs[i][1]);
		assert_null(s.runs);
	}
}

static void test_rerun_base_len_folds_attempts(void **state)
{
	(void)state;
	assert_int_equal(rerun_base_len("basic/a #12"), 7);
	assert_int_equal(rerun_base_len("basic/a"), 7);
	assert_int_equal(rerun_base_len("basic/a #"), 9);
	assert_int_equal(rerun_base_len("basic/a#2"), 9);
	assert_int_equal(rerun_base_len("limits/x 2"), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_read_values),
	    cmocka_unit_test(test_json_read_string_escapes),
	    cmocka_unit_test(test_json_read_raw_utf8_kept),
	    cmocka_unit_test(test_json_read_rejects_with_position),
	    cmocka_unit_test(test_json_read_depth_limit),
	    cmocka_unit_test(test_rerun_reads_failed_ids),
	    cmocka_unit_test(test_rerun_refuses_what_is_no_report),
	    cmocka_unit_test(test_rerun_base_len_folds_attempts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
