#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The installed sockspec, as a user gets it: `cmake --install` into a
temporary prefix and `make install` staged under DESTDIR put every file
where README.md's Install section says; the installed binary, run from
`/`, finds its reference servers relative to itself and passes
`run --all`, also after the prefix was moved; a sockspec copied alone
says where it looked, with exit status 2; sockspec(1) renders with
`man -l`, lints clean, and names every long option of `--help`; the
bash completion parses and completes. Every temporary directory is
removed, and no process a run started is left (they carry a tag in
their environment).

usage: test_install.py SOURCE_DIR BUILD_DIR [TEST...]   (standard library only)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from proctag import kill_left

SRC = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "."
BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build"
REFERENCE = ["ref-accept-close", "ref-echo", "ref-hello", "ref-ok", "ref-timestamp",
             "ref-udp-echo"]
DOCS = ["LANGUAGE.md", "LICENSE", "PROTOCOLS.md", "README.md"]
TAG = f"sockspec-install-test-{os.getpid()}"
ENV = dict(os.environ, SOCKSPEC_TEST_TAG=TAG, LC_ALL="C", NO_COLOR="1")
SUMMARY = re.compile(r"^(\d+) passed, 0 failed, (\d+) skipped, 0 errors$", re.M)




def run(argv, timeout=60, cwd="/", env=None):
    return subprocess.run(argv, cwd=cwd, env=env or ENV, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)


def cmake_install(prefix, destdir=None):
    env = dict(ENV, DESTDIR=destdir) if destdir else ENV
    r = run(["cmake", "--install", BUILD, "--prefix", prefix], env=env)
    if r.returncode != 0:
        raise AssertionError(f"cmake --install: {r.returncode}\n{r.stdout}{r.stderr}")


def files_under(root):
    """Every file below root, as paths relative to it, sorted."""
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(out)


class Install(unittest.TestCase):
    """One install into a temporary prefix, shared by the tests."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = os.path.realpath(tempfile.mkdtemp(prefix="sockspec-install-"))
        os.chmod(cls.tmp, 0o755)  # man may read as another user
        cls.prefix = os.path.join(cls.tmp, "prefix")
        cmake_install(cls.prefix)
        cls.sockspec = os.path.join(cls.prefix, "bin", "sockspec")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        left = kill_left(TAG)
        self.assertEqual(left, [], "processes left behind")

    def assert_run_ok(self, r, min_passed=1):
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)
        m = SUMMARY.search(r.stdout)
        self.assertIsNotNone(m, r.stdout[-3000:])
        self.assertGreaterEqual(int(m.group(1)), min_passed, m.group(0))
        return int(m.group(1))

    def test_layout(self):
        want = (["bin/sockspec"] + [f"libexec/sockspec/{s}" for s in REFERENCE]
                + ["share/bash-completion/completions/sockspec", "share/man/man1/sockspec.1"]
                + [f"share/doc/sockspec/{d}" for d in DOCS])
        got = files_under(self.prefix)
        examples = os.path.join(SRC, "suite", "examples")
        if os.path.isdir(examples):
            want += [os.path.join("share/doc/sockspec/examples", f)
                     for f in files_under(examples)]
        self.assertEqual(got, sorted(want))
        for s in ["bin/sockspec"] + [f"libexec/sockspec/{s}" for s in REFERENCE]:
            self.assertTrue(os.access(os.path.join(self.prefix, s), os.X_OK), s)
        with open(os.path.join(self.prefix, "share/doc/sockspec/LICENSE")) as f:
            self.assertIn("MIT License", f.read())

    def test_all_from_root(self):
        """The installed binary, run from /, passes every profile."""
        r = run([self.sockspec, "run", "--all"], timeout=240)
        passed = self.assert_run_ok(r, min_passed=250)
        self.assertIn(f"{self.prefix}/libexec/sockspec/ref-echo ", r.stdout)  # the command
        print(f"\n  installed run --all from /: {passed} passed", file=sys.stderr)

    def test_relocated(self):
        """A prefix moved elsewhere finds its servers in its new place."""
        first = os.path.join(self.tmp, "before")
        moved = os.path.join(self.tmp, "moved", "elsewhere")
        cmake_install(first)
        os.makedirs(os.path.dirname(moved))
        os.rename(first, moved)
        for profile in ("udp-echo", "hello"):
            r = run([os.path.join(moved, "bin", "sockspec"), "run", "--profile", profile,
                     "--case", "basic/*"])
            self.assert_run_ok(r)
            self.assertIn(f"{moved}/libexec/sockspec/ref-", r.stdout)  # the command

    def test_destdir_staging(self):
        """make install PREFIX=/opt/... DESTDIR=D stages under D, and the
        staged binary looks relative to itself, not in /opt."""
        dest = os.path.join(self.tmp, "stage")
        prefix = f"/opt/sockspec-install-test-{os.getpid()}"
        # -o build: the tree is built; only the install recipe runs.
        r = run(["make", "-s", "-C", SRC, "-o", "build", "install", f"BUILD={BUILD}",
                 f"PREFIX={prefix}", f"DESTDIR={dest}"], timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(prefix))
        staged = dest + prefix
        self.assertEqual(files_under(os.path.join(staged, "libexec")),
                         [f"sockspec/{s}" for s in REFERENCE])
        r = run([os.path.join(staged, "bin", "sockspec"), "run", "--profile", "echo-threaded",
                 "--case", "basic/*"])
        self.assert_run_ok(r)
        self.assertIn(f"{staged}/libexec/sockspec/ref-echo", r.stdout)

    def test_lone_copy(self):
        """A sockspec with no servers around: one clear line, status 2,
        before any case runs."""
        lone = os.path.join(self.tmp, "lone")
        os.makedirs(os.path.join(lone, "bin"))
        shutil.copy2(self.sockspec, os.path.join(lone, "bin"))
        exe = os.path.join(lone, "bin", "sockspec")
        places = f"{lone}/libexec/sockspec or {lone}/bin"
        r = run([exe, "run", "--profile", "echo-threaded"])
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (2, "", f"sockspec: no reference server ref-echo in {places}; "
                                 "give --target\n"))
        r = run([exe, "run", "--profile", "udp-echo"])
        self.assertEqual((r.returncode, r.stderr),
                         (2, f"sockspec: no reference server ref-udp-echo in {places}; "
                             "give --target\n"))
        r = run([exe, "run", "--all"])
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (2, "", f"sockspec: --all: no reference server ref-echo in {places}\n"))
        # --target needs no reference server: the lone copy runs it.
        target = f"{self.prefix}/libexec/sockspec/ref-echo --mode threaded -b {{addr}}"
        r = run([exe, "run", "--profile", "echo-threaded", "--case", "basic/*", "--target",
                 target])
        self.assert_run_ok(r)

    def long_options(self):
        r = run([self.sockspec, "--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        opts = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", r.stdout))
        self.assertGreaterEqual(len(opts), 14, opts)  # as of issue 10
        return opts | {"--help", "--version"}

    def test_man_page(self):
        page = os.path.join(self.prefix, "share/man/man1/sockspec.1")
        r = run(["man", "--no-hyphenation", "--no-justification", "-l", page],
                env=dict(ENV, MANWIDTH="100", PAGER="cat", MANPAGER="cat"))
        self.assertEqual(r.returncode, 0, r.stderr)
        text = re.sub(r".\x08", "", r.stdout)  # overstrike, if any
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "ENVIRONMENT",
                        "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
            self.assertRegex(text, rf"(?m)^{section}$")
        self.assertIn("sockspec -- conformance test suite", text)
        # Each long option of --help heads an entry of OPTIONS.
        options = text[text.index("\nOPTIONS\n"):text.index("\nENVIRONMENT\n")]
        tags = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*",
                              "\n".join(re.findall(r"(?m)^     -.*$", options))))
        missing = sorted(self.long_options() - {"--version"} - tags)
        self.assertEqual(missing, [], "options of --help without an entry in OPTIONS")
        synopsis = text[text.index("\nSYNOPSIS\n"):text.index("\nDESCRIPTION\n")]
        self.assertIn("sockspec -h | --help | --version", synopsis)
        for tag in ("-x, --fail-fast", "--rerun-failed REPORT.json", "--repeat N",
                    "-j N, --jobs N", "--format text | json | junit | tap | html"):
            self.assertRegex(text, rf"(?m)^     {re.escape(tag)}$")
        r = run(["mandoc", "-Tlint", "-W", "warning", page])
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def complete(self, *words):
        """COMPREPLY of the installed completion for words (the last one
        is being completed), with the installed sockspec first in PATH."""
        script = os.path.join(self.prefix, "share/bash-completion/completions/sockspec")
        prog = ('source "$1"; shift; complete -p sockspec; COMP_WORDS=("$@"); '
                'COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; '
                '_sockspec; printf "%s\\n" "${COMPREPLY[@]}"')
        env = dict(ENV, PATH=os.path.join(self.prefix, "bin") + ":" + ENV["PATH"])
        r = run(["bash", "--norc", "--noprofile", "-c", prog, "bash", script] + list(words),
                env=env, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        first, _, rest = r.stdout.partition("\n")
        self.assertEqual(first, "complete -F _sockspec sockspec")
        return rest.split()

    def test_completion(self):
        script = os.path.join(self.prefix, "share/bash-completion/completions/sockspec")
        r = run(["bash", "-n", script])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(self.complete("sockspec", "run", "--prof"), ["--profile"])
        self.assertEqual(self.complete("sockspec", "l"), ["list"])
        self.assertEqual(self.complete("sockspec", "run", "--profile", "ok"),
                         ["ok-iterative", "ok-threaded"])
        self.assertEqual(len(self.complete("sockspec", "run", "--profile", "")), 10)
        self.assertEqual(self.complete("sockspec", "run", "--format", ""),
                         ["text", "json", "junit", "tap", "html"])
        self.assertEqual(self.complete("sockspec", "run", "--framing", ""), ["line", "chunk"])
        self.assertEqual(self.complete("sockspec", "run", "--profile", "hello", "--case",
                                       "exit/sig"), ["exit/sigint", "exit/sigterm"])
        self.assertEqual(self.complete("sockspec", "run", "--output", "pre"), ["prefix"])
        self.assertEqual(self.complete("sockspec", "list", "--"), ["--profile", "--cases"])
        run_opts = set(self.complete("sockspec", "run", "-"))
        self.assertEqual(sorted(o for o in self.long_options() - {"--version"}
                                if o not in run_opts), [], "options of --help not completed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
