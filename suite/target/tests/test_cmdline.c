/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cmdline (cmdline.h): sh-like word splitting without any
 * expansion, the exact error texts for unbalanced quotes, placeholder
 * substitution inside words, and quoting back for display (checked by
 * splitting the joined line again).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

#define ERR_SIZE 128

/* Splits text, which must be valid, and checks the words (NULL-terminated). */
static void expect_words(const char *text, const char *const *want)
{
	struct cmdline c;
	char err[ERR_SIZE] = "";
	size_t n = 0;

	if (cmdline_split(text, &c, err, sizeof(err)) != 0)
		fail_msg("cmdline_split(%s): expected 0, got -1: %s", text, err);
	while (want[n])
		n++;
	assert_int_equal(c.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(c.words[i], want[i]);
	if (n)
		assert_null(c.words[n]);
	cmdline_free(&c);
}

static void expect_error(const char *text, const char *want)
{
	struct cmdline c;
	char err[ERR_SIZE] = "";

	assert_int_equal(cmdline_split(text, &c, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_null(c.words);
	assert_int_equal(c.n, 0);
}

static void test_cmdline_split_blanks(void **state)
{
	(void)state;
	expect_words("a b\t\tc\nd  ", (const char *[]){"a", "b", "c", "d", NULL});
	expect_words("", (const char *[]){NULL});
	expect_words(" \t\n ", (const char *[]){NULL});
}

static void test_cmdline_split_quotes(void **state)
{
	(void)state;
	/* 'a\"b $x' keeps every byte; "..." only unescapes \" and \\ */
	expect_words("'a\\\"b $x' \"q \\\"w\\\" \\\\ \\n $y\"",
	             (const char *[]){"a\\\"b $x", "q \"w\" \\ \\n $y", NULL});
	expect_words("x'y'\"z\"w", (const char *[]){"xyzw", NULL});
	expect_words("'' \"\" a''", (const char *[]){"", "", "a", NULL});
	expect_words("\"it's\" 'say \"hi\"'", (const char *[]){"it's", "say \"hi\"", NULL});
}

static void test_cmdline_split_backslash(void **state)
{
	(void)state;
	expect_words("a\\ b \\'c \\\\ \\\"", (const char *[]){"a b", "'c", "\\", "\"", NULL});
	expect_words("a\\\nb", (const char *[]){"ab", NULL}); /* line continuation */
}

static void test_cmdline_split_expands_nothing(void **state)
{
	(void)state;
	expect_words(
	    "*.c $HOME ~ a|b >out ${x} `id` ; &",
	    (const char *[]){"*.c", "$HOME", "~", "a|b", ">out", "${x}", "`id`", ";", "&", NULL});
}

static void test_cmdline_split_errors(void **state)
{
	(void)state;
	expect_error("ref-echo -b '{addr}", "unbalanced quote at column 13");
	expect_error("a \"b 'c' d", "unbalanced quote at column 3");
	expect_error("'a'\"", "unbalanced quote at column 4");
	expect_error("a \"b\\\"", "unbalanced quote at column 3");
	expect_error("a b\\", "backslash at the end of the command");
}

static void test_cmdline_expand(void **state)
{
	struct cmdline c, e;
	const struct cmdline_subst s[] = {{"{port}", "8088"}, {"{host}", "::1"}, {"{addr}", ""}};
	char err[ERR_SIZE];

	(void)state;
	assert_int_equal(
	    cmdline_split("srv {port}{port}-{host}:{x}{ '{addr}' {PORT} {", &c, err, sizeof(err)),
	    0);
	assert_true(cmdline_contains(&c, "{port}"));
	assert_false(cmdline_contains(&c, "{unix}"));
	assert_int_equal(cmdline_expand(&c, s, 3, &e), 0);
	assert_int_equal(e.n, 5);
	assert_string_equal(e.words[0], "srv");
	assert_string_equal(e.words[1], "80888088-::1:{x}{");
	assert_string_equal(e.words[2], "");
	assert_string_equal(e.words[3], "{PORT}");
	assert_string_equal(e.words[4], "{");
	assert_null(e.words[5]);
	assert_string_equal(c.words[1], "{port}{port}-{host}:{x}{"); /* template untouched */
	cmdline_free(&e);
	cmdline_free(&c);
	cmdline_free(&c); /* harmless twice */
}

static void test_cmdline_join_quotes_only_when_needed(void **state)
{
	char *words[] = {"ref-echo", "-b", "[::1]:8088", "unix:/tmp/x.sock", "a b",
	                 "it's",     "",   "$HOME",      "{port}",           NULL};
	struct cmdline c = {words, 9};
	char *line = cmdline_join(&c);

	(void)state;
	assert_non_null(line);
	assert_string_equal(line, "ref-echo -b [::1]:8088 unix:/tmp/x.sock 'a b' 'it'\\''s' '' "
	                          "'$HOME' {port}");
	free(line);
}

static void test_cmdline_join_then_split_round_trips(void **state)
{
	char *words[] = {"sh", "-c", "trap \"\" TERM; exec x 'y' \\z", "", "\t\n", "'''", NULL};
	struct cmdline c = {words, 6}, back;
	char err[ERR_SIZE], *line = cmdline_join(&c);

	(void)state;
	assert_non_null(line);
	assert_int_equal(cmdline_split(line, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, c.n);
	for (size_t i = 0; i < c.n; i++)
		assert_string_equal(back.words[i], words[i]);
	cmdline_free(&back);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmdline_split_blanks),
	    cmocka_unit_test(test_cmdline_split_quotes),
	    cmocka_unit_test(test_cmdline_split_backslash),
	    cmocka_unit_test(test_cmdline_split_expands_nothing),
	    cmocka_unit_test(test_cmdline_split_errors),
	    cmocka_unit_test(test_cmdline_expand),
	    cmocka_unit_test(test_cmdline_join_quotes_only_when_needed),
	    cmocka_unit_test(test_cmdline_join_then_split_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
