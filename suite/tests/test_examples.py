#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The user's own suites end to end: the example suites of suite/examples
against the real servers (redis-server, python3 -m http.server) and against
a broken variant of each, a length-prefixed protocol (u16be, expect any)
against a stdlib echo server, capture variables and own family names.

Usage: test_examples.py BIN_DIR [unittest arguments, e.g. a class name]

Every server is started by sockspec itself (--target, a free loopback port
it picks) and stopped by it; each test checks that none outlives it.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from proctag import kill_left

BIN = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/bin"
SOCKSPEC = os.path.join(BIN, "sockspec")
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
SERVERS = f"{sys.executable} {HERE}/example_servers.py"
SCALE = os.environ.get("SOCKSPEC_TEST_SCALE", "1")
TAG = f"sockspec-examples-{os.getpid()}"
ENV = dict(os.environ, SOCKSPEC_TEST_TAG=TAG)
REDIS = ("redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no "
         "--daemonize no")
HTTP_DIR = os.path.join(EXAMPLES, "http", "www")
HTTP = f"{sys.executable} -m http.server --bind 127.0.0.1 {{port}} --directory {HTTP_DIR}"

REDIS_IDS = {"resp/ping", "resp/echo-bulk", "resp/set-get", "resp/pipelined",
             "resp/unknown-command", "basic/inline-ping"}
HTTP_IDS = {"http/get-file", "http/get-listing", "http/head", "http/not-found",
            "http/one-response-per-connection"}




def sockspec(*args, timeout=120):
    """Runs sockspec; returns (status, stdout, stderr)."""
    proc = subprocess.run([SOCKSPEC, *args], capture_output=True, timeout=timeout, env=ENV)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(
        errors="replace")


def run_json(*args):
    status, out, err = sockspec("run", "--format", "json", "--timeout-scale", SCALE, *args)
    try:
        return status, json.loads(out), err
    except ValueError as e:
        raise AssertionError(f"not JSON ({e}): {out[:500]!r}\nstderr: {err}")


def verdicts(doc):
    return {c["id"]: c["verdict"] for r in doc["runs"] for c in r["cases"]}


def failed(doc):
    return {i for i, v in verdicts(doc).items() if v != "pass"}


class Clean(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sockspec-examples-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        left = kill_left(TAG)
        self.assertEqual(left, [], "processes started by sockspec outlived it")

    def case_file(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed "
                     "(scripts/deps.sh)")
class RedisExample(Clean):
    def test_check(self):
        status, out, err = sockspec("check", os.path.join(EXAMPLES, "redis"))
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out.count(": ok: "), len(REDIS_IDS), out)

    def test_real_server_passes(self):
        status, doc, err = run_json("--cases", os.path.join(EXAMPLES, "redis"), "--target",
                                    REDIS)
        self.assertEqual(verdicts(doc), {i: "pass" for i in REDIS_IDS}, err)
        self.assertEqual(status, 0)
        families = {c["id"]: c["family"] for c in doc["runs"][0]["cases"]}
        self.assertEqual(families["resp/ping"], "resp")
        self.assertEqual(families["basic/inline-ping"], "basic")

    def test_broken_server_fails(self):
        status, doc, _ = run_json("--cases", os.path.join(EXAMPLES, "redis"), "--target",
                                  f"{SERVERS} resp-broken {{port}}")
        self.assertEqual(status, 1)
        # +PONG without CR LF, bulk lengths one too large; -ERR is right
        self.assertEqual(failed(doc), REDIS_IDS - {"resp/unknown-command"})
        cases = {c["id"]: c for c in doc["runs"][0]["cases"]}
        self.assertIn('expected "+PONG\\r\\n"', cases["resp/ping"]["message"])


class HttpExample(Clean):
    def test_check(self):
        status, out, err = sockspec("check", os.path.join(EXAMPLES, "http"))
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out.count(": ok: "), len(HTTP_IDS), out)

    def test_real_server_passes(self):
        status, doc, err = run_json("--cases", os.path.join(EXAMPLES, "http"), "--target", HTTP)
        self.assertEqual(verdicts(doc), {i: "pass" for i in HTTP_IDS}, err)
        self.assertEqual(status, 0)

    def test_broken_server_fails(self):
        status, doc, _ = run_json("--cases", os.path.join(EXAMPLES, "http"), "--target",
                                  f"{SERVERS} http-broken {{port}} {HTTP_DIR}")
        self.assertEqual(status, 1)
        # Content-Length one too long on GET; HEAD is right
        self.assertEqual(failed(doc), HTTP_IDS - {"http/head"})
        cases = {c["id"]: c for c in doc["runs"][0]["cases"]}
        self.assertRegex(cases["http/get-listing"]["message"],
                         r"^[^\n]*get-listing.case:10: connection c: expected 1 more byte "
                         r"\(\d+ of any value in all\) within 2s, got nothing then EOF")


LENGTH_PREFIXED = """\
case frame/{name}
connect c
write c u16be "hello"
expect c hex "00 05" "hello" within 1s
write c u16be "hi" u16be ""
expect c u16be "hi" u16be "" within 1s
write c u16be "x" * 1000
expect c any u16be within 1s
write c u16be "abc"
expect c regex "(?<len>..)" within 1s
expect c any 3 within 1s
expect c nothing for 50ms
close c
"""


class LengthPrefixed(Clean):
    def run_frames(self, server):
        path = self.case_file("lp/echo.case", LENGTH_PREFIXED.format(name="u16be-echo"))
        return run_json("--cases", path, "--target", f"{SERVERS} {server} {{port}}")

    def test_echo_passes(self):
        status, doc, err = self.run_frames("lp-echo")
        self.assertEqual((status, verdicts(doc)), (0, {"frame/u16be-echo": "pass"}), err)
        self.assertEqual(doc["runs"][0]["cases"][0]["family"], "frame")

    def test_wrong_prefix_fails(self):
        status, doc, _ = self.run_frames("lp-broken")
        self.assertEqual((status, verdicts(doc)), (1, {"frame/u16be-echo": "fail"}))
        case = doc["runs"][0]["cases"][0]
        self.assertEqual(case["line"], 4)
        self.assertIn('"\\x00\\x06hello"', case["message"])

    def test_prefix_too_long_is_a_parse_error(self):
        path = self.case_file("big.case", 'case frame/big\nconnect c\nwrite c u16be "x" * 65536\n')
        status, _, err = sockspec("check", path)
        self.assertEqual(status, 2)
        self.assertEqual(err, f"{path}:3:9: u16be cannot hold a length of 65536 bytes "
                              "(at most 65535)\n")


class Captures(Clean):
    """Capture variables on the bundled line echo server (ref-echo)."""

    def run_case(self, text):
        path = self.case_file("cap.case", text)
        status, doc, err = run_json("--cases", path, "--target", f"{BIN}/ref-echo -b {{addr}}")
        self.assertEqual(len(doc["runs"][0]["cases"]), 1, err)
        return status, doc["runs"][0]["cases"][0]

    def test_capture_then_use(self):
        status, case = self.run_case(
            'case token/echo\nconnect c\nwrite c "token=ab12 len=3\\n"\n'
            'expect c regex "token=(?<tok>[a-z0-9]+) len=(?<n>[0-9]+)\\n"\n'
            'write c "${tok}:${n}:xyz\\n"\nexpect c "ab12:3:" within 1s\n'
            'expect c any ${n}\nexpect c line ""\n')
        self.assertEqual((status, case["verdict"]), (0, "pass"), case["message"])

    def test_group_that_did_not_match_names_the_variable(self):
        status, case = self.run_case(
            'case token/unset\nconnect c\nwrite c "y\\n"\n'
            'expect c regex "(?<tok>x)?y\\n"\nwrite c "${tok}\\n"\n')
        self.assertEqual((status, case["verdict"], case["line"]), (1, "fail", 5))
        self.assertIn("variable ${tok} has no value: its group took no part in the match",
                      case["message"])

    def test_count_that_is_not_a_number(self):
        status, case = self.run_case(
            'case token/nan\nconnect c\nwrite c "n=abc\\n"\n'
            'expect c regex "n=(?<n>[a-z]+)\\n"\nexpect c any ${n}\n')
        self.assertEqual((status, case["verdict"], case["line"]), (1, "fail", 5))
        self.assertIn('variable ${n} is "abc", not a byte count', case["message"])

    def test_undefined_variable_is_a_parse_error(self):
        path = self.case_file("undef.case", 'case token/x\nconnect c\nwrite c "a ${tok}"\n')
        status, _, err = sockspec("check", path)
        self.assertEqual(status, 2)
        self.assertEqual(err, f'{path}:3:12: unknown variable "tok": capture it first with '
                              'a named group, like regex "(?<tok>[0-9]+)"\n')


class OwnFamilies(Clean):
    def test_list_marks_bundled_and_own(self):
        status, out, err = sockspec("list", "--cases", os.path.join(EXAMPLES, "redis"))
        self.assertEqual((status, err), (0, ""))
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^family\s+cases\s+taxonomy$")
        self.assertRegex(lines[1], r"^basic\s+1\s+bundled$")
        self.assertRegex(lines[2], r"^resp\s+5\s+own$")
        self.assertEqual(len(lines), 3 + len(REDIS_IDS), out)
        self.assertRegex(out, r"(?m)^resp/ping\s+PING answers the simple string \+PONG")

    def test_bad_family_name(self):
        path = self.case_file("bad.case", "case Resp/ping\n")
        status, _, err = sockspec("check", path)
        self.assertEqual(status, 2)
        self.assertEqual(err, f'{path}:1:6: bad family "Resp": use a lowercase letter, then '
                              "lowercase letters, digits or -, at most 31 bytes\n")

    def test_family_table_of_several_runs(self):
        a = self.case_file("a/one.case", 'case alpha/one\nconnect c\nwrite c "a\\n"\n'
                                         'expect c "a\\n"\n')
        b = self.case_file("b/two.case", 'case beta/two\nconnect c\nwrite c "b\\n"\n'
                                         'expect c "c\\n" within 200ms\n')
        status, out, err = sockspec("run", "--cases", a, "--cases", b, "--target",
                                    f"{BIN}/ref-echo -b {{addr}}")
        self.assertEqual(status, 1, err)
        head = next(l for l in out.splitlines() if l.startswith("profile"))
        self.assertRegex(head, r"\bresources\s+alpha\s+beta\s+total$")
        self.assertRegex(out, rf"(?m)^{a}\s+(-\s+){{8}}1/1\s+-\s+1/1$")
        self.assertRegex(out, rf"(?m)^{b}\s+(-\s+){{8}}-\s+0/1\s+0/1$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
