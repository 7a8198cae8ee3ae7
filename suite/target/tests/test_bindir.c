/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of bindir (bindir.h): the two places the reference servers
 * are looked up, from the binary's path and the installed layout's
 * relative path, with "." and ".." resolved as text and never above
 * the root. Then the lookup of the running binary (this test, which sits
 * in build/tests with no libexec/sockspec beside it) and the error that
 * names both places.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bindir.h"
#include "target.h"

static void expect_places(const char *exe, const char *rel, const char *libexec,
                          const char *exe_dir)
{
	struct bindir_places p;

	assert_int_equal(bindir_places(exe, rel, &p), 0);
	assert_string_equal(p.libexec, libexec);
	assert_string_equal(p.exe_dir, exe_dir);
	bindir_places_free(&p);
	assert_null(p.libexec);
}

static void test_bindir_installed_layout(void **state)
{
	(void)state;
	expect_places("/usr/bin/sockspec", "../libexec/sockspec", "/usr/libexec/sockspec",
	              "/usr/bin");
	expect_places("/opt/s/bin/sockspec", "../lib/x86_64-linux-gnu/sockspec",
	              "/opt/s/lib/x86_64-linux-gnu/sockspec", "/opt/s/bin");
	expect_places("/home/u/build/bin/sockspec", "../libexec/sockspec",
	              "/home/u/build/libexec/sockspec", "/home/u/build/bin");
}

static void test_bindir_dots_and_slashes(void **state)
{
	(void)state;
	expect_places("/a//b/./bin/sockspec", "./../libexec//sockspec/", "/a/b/libexec/sockspec",
	              "/a/b/bin");
	expect_places("/a/b/../bin/sockspec", "../libexec/sockspec", "/a/libexec/sockspec",
	              "/a/bin");
	expect_places("/usr/bin/sockspec", "/usr/libexec/sockspec", "/usr/libexec/sockspec",
	              "/usr/bin"); /* an absolute rel is taken as is */
}

static void test_bindir_root(void **state)
{
	(void)state;
	expect_places("/sockspec", "../libexec/sockspec", "/libexec/sockspec", "/");
	expect_places("/bin/sockspec", "../../../libexec/sockspec", "/libexec/sockspec", "/bin");
	expect_places("/bin/sockspec", "..", "/", "/bin");
}

static void test_bindir_not_a_file(void **state)
{
	struct bindir_places p;

	(void)state;
	assert_int_equal(bindir_places("bin/sockspec", "../libexec/sockspec", &p), -EINVAL);
	assert_null(p.libexec);
	assert_null(p.exe_dir);
	assert_int_equal(bindir_places("/", "../libexec/sockspec", &p), -EINVAL);
	assert_int_equal(bindir_places("/./", "../libexec/sockspec", &p), -EINVAL);
	assert_null(p.libexec);
}

/* The directory this test program is in, as readlink sees it. */
static void own_dir(char *dir, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dir, len - 1);

	assert_true(n > 0);
	dir[n] = '\0';
	*strrchr(dir, '/') = '\0';
}

static void test_bindir_build_tree(void **state)
{
	char dir[PATH_MAX], want[PATH_MAX + 2], *got = target_bin_dir();

	(void)state;
	own_dir(dir, sizeof(dir));
	snprintf(want, sizeof(want), "'%s'", dir);
	assert_non_null(got);
	assert_string_equal(got, want); /* no libexec/sockspec/ref-echo beside build/ */
	free(got);
}

static void test_bindir_missing_reference(void **state)
{
	char dir[PATH_MAX], cmd[PATH_MAX + 64], want[3 * PATH_MAX], err[TARGET_ERR_MAX] = "";
	char *parent;

	(void)state;
	own_dir(dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "'%s/ref-nothing' --mode once -b {addr}", dir);
	assert_int_equal(target_check_reference(cmd, err, sizeof(err)), -1);
	parent = strdup(dir);
	assert_non_null(parent);
	*strrchr(parent, '/') = '\0';
	snprintf(want, sizeof(want), "no reference server ref-nothing in %s/libexec/sockspec or %s",
	         parent, dir);
	assert_string_equal(err, want);
	free(parent);
	snprintf(cmd, sizeof(cmd), "%s/ref-echo -b {addr}", SOCKSPEC_BIN_DIR);
	assert_int_equal(target_check_reference(cmd, err, sizeof(err)), 0);
	assert_int_equal(target_check_reference("'unbalanced", err, sizeof(err)), -1);
	assert_string_equal(err, "reference command \"'unbalanced\": unbalanced quote at column 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bindir_installed_layout),
	    cmocka_unit_test(test_bindir_dots_and_slashes),
	    cmocka_unit_test(test_bindir_root),
	    cmocka_unit_test(test_bindir_not_a_file),
	    cmocka_unit_test(test_bindir_build_tree),
	    cmocka_unit_test(test_bindir_missing_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
