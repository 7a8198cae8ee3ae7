#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Process-level tests of the sockspec binary: exit statuses, every
report format on a real run, --connect, a target that never becomes
ready, and the planted-defect servers of targets/, each of which must
fail exactly the cases that concern its defect and nothing else.

usage: test_runner.py BIN_DIR   (standard library only)
SOCKSPEC_TEST_SCALE multiplies the runner's timeouts (sanitizer builds).
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

BIN = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build/bin"
SOCKSPEC = os.path.join(BIN, "sockspec")
SCALE = os.environ.get("SOCKSPEC_TEST_SCALE", "1")
PROFILE_CASES = 23  # cases of the echo-threaded profile

# Which cases each planted defect must fail: exactly these, nothing else.
DEFECTS = {
    "one-recv": {"partial-recv/one-byte-writes", "partial-recv/random-splits",
                 "partial-recv/mib-echo", "partial-recv/slow-reader",
                 "framing/pipelined-writes", "framing/lock-step"},
    "nul": {"limits/binary-bytes", "limits/nul-in-text"},
    "ignore-term": {"exit/sigterm"},
    "no-reuseaddr": {"reuse/restart-time-wait"},
    "reuseport": {"reuse/second-instance-fails"},
    "serial": {"concurrency/hundred-clients", "concurrency/idle-client"},
    "fd-leak": {"resources/thousand-connections"},
    "sigpipe": {"exit/hundred-resets"},
    "no-halfclose": {"exit/half-close-pending"},
}


def sockspec(*args, timeout=300):
    """Runs sockspec; returns (status, stdout, stderr, seconds)."""
    start = time.monotonic()
    proc = subprocess.run([SOCKSPEC, *args], capture_output=True, timeout=timeout)
    return (proc.returncode, proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"), time.monotonic() - start)


def run_json(*args):
    status, out, err, secs = sockspec("run", "--format", "json", "--timeout-scale", SCALE,
                                      *args)
    try:
        doc = json.loads(out)
    except ValueError as e:
        raise AssertionError(f"not JSON ({e}): {out[:500]!r}\nstderr: {err}")
    return status, doc, err, secs


def verdicts(doc):
    return {c["id"]: c["verdict"] for r in doc["runs"] for c in r["cases"]}


class ExitStatus(unittest.TestCase):
    def test_no_command_is_usage_error(self):
        status, _, err, _ = sockspec()
        self.assertEqual(status, 2)
        self.assertIn("missing command", err)

    def test_run_without_cases_is_usage_error(self):
        status, _, err, _ = sockspec("run")
        self.assertEqual(status, 2)
        self.assertIn("nothing to run", err)

    def test_unknown_profile_and_format(self):
        self.assertEqual(sockspec("run", "--profile", "nope")[0], 2)
        self.assertEqual(sockspec("run", "--profile", "echo-threaded", "--format", "xml")[0], 2)

    def test_target_and_connect_exclusive(self):
        status, _, err, _ = sockspec("run", "--profile", "echo-threaded", "--target", "x {port}",
                                     "--connect", "127.0.0.1:1")
        self.assertEqual(status, 2)
        self.assertIn("not both", err)

    def test_zero_cases_run_is_failure(self):
        status, doc, _, _ = run_json("--profile", "echo-threaded", "--case", "no-such/*")
        self.assertEqual(status, 1)
        self.assertEqual(doc["summary"], {"pass": 0, "fail": 0, "skip": 0, "error": 0})

    def test_help(self):
        status, out, _, _ = sockspec("--help")
        self.assertEqual(status, 0)
        self.assertIn("sockspec run", out)


class CaseFiles(unittest.TestCase):
    def write(self, text):
        fd, path = tempfile.mkstemp(suffix=".case")
        os.write(fd, text.encode())
        os.close(fd)
        self.addCleanup(os.unlink, path)
        return path

    def test_check_reports_file_line_col(self):
        path = self.write("case basic/x\nconnect c1\nwrite c2 \"a\"\n")
        status, _, err, _ = sockspec("check", path)
        self.assertEqual(status, 2)
        self.assertRegex(err, rf"^{path}:3:7: .*c2")

    def test_check_good_file(self):
        path = self.write("case basic/x\nconnect c1\nwrite c1 \"a\"\nexpect c1 \"a\"\n")
        status, out, _, _ = sockspec("check", path)
        self.assertEqual(status, 0, out)
        self.assertIn("ok", out)

    def test_run_with_bad_case_file_is_status_2(self):
        path = self.write("case nofamily/x\n")
        status, _, err, _ = sockspec("run", "--cases", path, "--target",
                                     f"{BIN}/ref-echo -b {{addr}}")
        self.assertEqual(status, 2)
        self.assertIn(f"{path}:1:", err)

    def test_list(self):
        status, out, _, _ = sockspec("list")
        self.assertEqual(status, 0)
        self.assertRegex(out, r"echo-threaded\s+23 cases")
        status, out, _, _ = sockspec("list", "--profile", "echo-threaded")
        self.assertEqual(status, 0)
        self.assertIn("partial-recv/one-byte-writes", out)
        self.assertEqual(len(out.strip().splitlines()), PROFILE_CASES)


class ReferenceRun(unittest.TestCase):
    """The proving ground: the whole profile against ref-echo --mode threaded."""

    @classmethod
    def setUpClass(cls):
        cls.out_dir = tempfile.mkdtemp()
        cls.json_path = os.path.join(cls.out_dir, "r.json")
        cls.status, cls.out, cls.err, cls.secs = sockspec(
            "run", "--profile", "echo-threaded", "--timeout-scale", SCALE, "--format", "json",
            "--output", cls.json_path)

    def test_every_case_passes_quickly(self):
        self.assertEqual(self.status, 0, self.out + self.err)
        with open(self.json_path) as f:
            doc = json.load(f)
        self.assertEqual(list(doc), ["tool", "version", "runs", "summary"])
        self.assertEqual(doc["tool"], "sockspec")
        self.assertEqual(doc["summary"], {"pass": PROFILE_CASES, "fail": 0, "skip": 0,
                                          "error": 0})
        run = doc["runs"][0]
        self.assertEqual(run["profile"], "echo-threaded")
        self.assertEqual(run["framing"], "line")
        self.assertIn("ref-echo", run["target"])
        for case in run["cases"]:
            self.assertEqual(list(case)[:7], ["id", "family", "description", "verdict",
                                              "duration_ms", "message", "line"])
        if SCALE == "1":
            self.assertLess(self.secs, 15, "the proving ground must run in under 15 s")

    def test_progress_text_on_stdout_with_output(self):
        self.assertIn("PASS  partial-recv/one-byte-writes", self.out)
        self.assertRegex(self.out, rf"(?m)^{PROFILE_CASES} passed, 0 failed, 0 skipped, 0 errors$")


class Formats(unittest.TestCase):
    """junit, tap and text on a run that has pass, fail and skip verdicts."""

    ARGS = ["--profile", "echo-threaded", "--case", "limits/*", "--case", "exit/sig*",
            "--case", "basic/one-message", "--target", f"{BIN}/bad-echo --defect nul -b {{addr}}"]

    def test_junit_is_well_formed(self):
        status, out, _, _ = sockspec("run", "--format", "junit", "--timeout-scale", SCALE,
                                     *self.ARGS)
        self.assertEqual(status, 1)
        root = ET.fromstring(out)
        self.assertEqual(root.tag, "testsuites")
        suite = root.find("testsuite")
        self.assertEqual(suite.get("name"), "echo-threaded")
        cases = suite.findall("testcase")
        self.assertEqual(len(cases), 5)
        failures = suite.findall("testcase/failure")
        self.assertEqual(int(suite.get("failures")), len(failures))
        self.assertEqual(len(failures), 2)
        self.assertIn("limits/binary-bytes.case", failures[0].text)

    def test_tap_counts_match(self):
        status, out, _, _ = sockspec("run", "--format", "tap", "--timeout-scale", SCALE,
                                     *self.ARGS)
        self.assertEqual(status, 1)
        lines = out.splitlines()
        self.assertEqual(lines[0], "TAP version 13")
        self.assertEqual(lines[1], "1..5")
        results = [l for l in lines if l.startswith(("ok ", "not ok "))]
        self.assertEqual(len(results), 5)
        self.assertEqual(sum(l.startswith("not ok") for l in results), 2)
        self.assertEqual([int(l.split()[1 if l.startswith("ok") else 2]) for l in results],
                         [1, 2, 3, 4, 5])

    def test_text_failure_names_line_and_bytes(self):
        status, out, _, _ = sockspec("run", "--timeout-scale", SCALE, *self.ARGS)
        self.assertEqual(status, 1)
        self.assertIn("FAIL  limits/nul-in-text", out)
        within = f"{2 * float(SCALE):g}s"  # the case says 2s; --timeout-scale stretches it
        self.assertIn('echo-threaded/limits/nul-in-text.case:7: connection c1: expected '
                      f'"before\\x00after\\n" within {within}, got "before"', out)
        self.assertRegex(out, r"(?m)^3 passed, 2 failed, 0 skipped, 0 errors$")


class Connect(unittest.TestCase):
    def test_connect_to_running_server(self):
        proc = subprocess.Popen([f"{BIN}/ref-echo", "-p", "0"], stdout=subprocess.PIPE)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.send_signal, signal.SIGTERM)
        addr = proc.stdout.readline().decode().split()[-1]
        status, doc, err, _ = run_json("--profile", "echo-threaded", "--connect", addr)
        self.assertEqual(status, 0, err)
        v = verdicts(doc)
        skipped = {k for k, x in v.items() if x == "skip"}
        self.assertEqual(skipped, {"exit/sigterm", "exit/sigint", "reuse/restart-time-wait",
                                   "reuse/second-instance-fails",
                                   "resources/thousand-connections"})
        self.assertTrue(all(x == "pass" for k, x in v.items() if k not in skipped))
        case = next(c for c in doc["runs"][0]["cases"] if c["id"] == "exit/sigterm")
        self.assertIn("launched target", case["message"])

    def test_connect_refused_fails(self):
        status, doc, _, _ = run_json("--profile", "echo-threaded", "--connect", "127.0.0.1:1",
                                     "--case", "basic/one-message")
        self.assertEqual(status, 1)
        case = doc["runs"][0]["cases"][0]
        self.assertEqual(case["verdict"], "fail")
        self.assertIn("connect c1 to 127.0.0.1:1: connection refused", case["message"])


class NeverReady(unittest.TestCase):
    def test_reported_once_and_quickly(self):
        status, doc, _, secs = run_json("--profile", "echo-threaded", "--target",
                                        "sh -c 'sleep 30' {port}")
        self.assertEqual(status, 1)
        cases = doc["runs"][0]["cases"]
        self.assertEqual(cases[0]["verdict"], "error")
        self.assertIn("did not become ready", cases[0]["message"])
        self.assertTrue(all(c["verdict"] in ("error", "skip") for c in cases))
        self.assertTrue(all("not run" in c["message"] for c in cases[1:]
                            if c["verdict"] == "error"))
        self.assertLess(secs, 5 * float(SCALE) + 4)

    def test_crash_is_reported_with_status(self):
        status, doc, _, _ = run_json("--profile", "echo-threaded", "--case", "basic/one-message",
                                     "--target", "sh -c 'exit 7' {port}")
        self.assertEqual(status, 1)
        self.assertIn("exited before it was ready", doc["runs"][0]["cases"][0]["message"])


HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
MISBEHAVE = f"{sys.executable} {HERE}/misbehave.py"


def run_case_file(case, target, *extra):
    """Runs one case file of suite/tests/cases against target; returns
    (exit status, the case's JSON result, seconds)."""
    status, doc, _, secs = run_json("--cases", os.path.join(CASES, case), "--target", target,
                                    *extra)
    return status, doc["runs"][0]["cases"][0], secs


class Robustness(unittest.TestCase):
    """The runner against servers that flood, never accept or hold many
    connections: right verdicts in bounded time and memory."""

    def run_case(self, case, target, *extra):
        return run_case_file(case, target, *extra)

    def test_flood_is_bounded(self):
        # A fresh process whose only children are this run, so its
        # RUSAGE_CHILDREN peak is the run's own (the flooder included).
        probe = ("import json, resource, subprocess, sys\n"
                 "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
                 "print(json.dumps([p.returncode, p.stdout.decode(), "
                 "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
        out = subprocess.run(
            [sys.executable, "-c", probe, SOCKSPEC, "run", "--format", "json", "--cases",
             os.path.join(CASES, "flood-idle.case"), "--target", f"{MISBEHAVE} flood {{port}}"],
            capture_output=True, timeout=60).stdout
        status, report, peak_kib = json.loads(out)
        case = json.loads(report)["runs"][0]["cases"][0]
        self.assertEqual(status, 1)
        self.assertEqual(case["verdict"], "fail")
        self.assertRegex(case["message"], r'expected nothing for 100ms, got "x+"\.\.\. '
                                          r"\(16\d{6} bytes\)")
        self.assertLess(peak_kib, 64 * 1024, "the runner's memory must stay bounded")

    def test_never_accepting_server_fails_in_time(self):
        status, case, secs = self.run_case("echo-in-time.case",
                                           f"{MISBEHAVE} never-accept {{port}}")
        self.assertEqual(status, 1)
        self.assertEqual(case["verdict"], "fail")
        self.assertIn('expected "are you there?\\n" within', case["message"])
        self.assertIn("got nothing", case["message"])
        self.assertLess(case["duration_ms"], 1000 * float(SCALE) + 1000)

    def test_target_inherits_no_runner_fds(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "fds")
            target = (f"sh -c 'ls /proc/$$/fd | cat > {out}; exec \"$0\" -b \"$1\"' "
                      f"{BIN}/ref-echo {{addr}}")
            status, case, _ = self.run_case("inherited-fds.case", target)
            self.assertEqual(status, 0, case["message"])
            with open(out) as f:
                fds = sorted(int(x) for x in f.read().split())
        # stdin, stdout, stderr (the listing runs in a pipeline, so the
        # shell itself holds no redirection fds)
        self.assertEqual(fds, [0, 1, 2])

    @unittest.skipIf(SCALE != "1", "10,000 threads of a sanitized server: plain build only")
    def test_ten_thousand_concurrent_connections(self):
        status, case, _ = self.run_case(
            "ten-thousand.case", f"{BIN}/ref-echo --max-clients 11000 -b {{addr}}",
            "--timeout-scale", "3")
        self.assertEqual(status, 0, case["message"][:2000])
        self.assertEqual(case["verdict"], "pass")


class EngineStatements(unittest.TestCase):
    """Statements the echo profile does not use (datagrams, regex,
    timestamps, lines, EOF, exit, quiet, pause), each against the server
    it fits and against one it must fail, at the right line."""

    def run_case(self, case, target, *extra):
        return run_case_file(os.path.join("engine", case), target, *extra)[:2]

    def passes(self, case, target, *extra):
        status, result = self.run_case(case, target, *extra)
        self.assertEqual((status, result["verdict"]), (0, "pass"), result["message"])

    def fails_at(self, case, target, line, text):
        status, result = self.run_case(case, target)
        self.assertEqual((status, result["verdict"], result["line"]), (1, "fail", line),
                         result["message"])
        self.assertIn(text, result["message"])

    def test_datagrams(self):
        self.passes("udp.case", f"{BIN}/ref-udp-echo -b {{addr}}")
        self.passes("udp.case", f"{BIN}/ref-udp-echo -b {{addr}}", "--ipv6")
        self.fails_at("udp.case", f"{BIN}/ref-timestamp --udp -b {{addr}}", 8,
                      'expected "ping" within')

    def test_timestamp_and_regex(self):
        self.passes("timestamp.case", f"{BIN}/ref-timestamp -b {{addr}}")
        self.fails_at("timestamp.case", f"{BIN}/ref-ok --mode threaded -b {{addr}}", 7,
                      'expected "[CTIME] " at the start')

    def test_lines_and_eof(self):
        self.passes("hello.case", f"{BIN}/ref-hello --delay 0 -b {{addr}}")
        self.fails_at("hello.case", f"{BIN}/ref-ok --mode threaded -b {{addr}}", 6,
                      'expected "Welcome!\\n" within')

    def test_closed_and_exit(self):
        self.passes("accept-close.case", f"{BIN}/ref-accept-close -b {{addr}}")
        self.fails_at("accept-close.case", f"{BIN}/ref-echo --mode once -b {{addr}}", 7,
                      "expected EOF or a reset within")

    def test_quiet_and_paused(self):
        self.passes("quiet.case", f"{BIN}/ref-echo -b {{addr}}")
        self.fails_at("quiet.case", f"{BIN}/ref-ok --mode threaded -b {{addr}}", 6,
                      "expected nothing for")


class PlantedDefects(unittest.TestCase):
    """Each wrong server fails exactly its cases: the suite tells right from wrong."""

    @classmethod
    def setUpClass(cls):
        def one(defect):
            return defect, run_json("--profile", "echo-threaded", "--target",
                                    f"{BIN}/bad-echo --defect {defect} -b {{addr}}")
        with ThreadPoolExecutor(max_workers=2) as pool:
            cls.results = dict(pool.map(one, DEFECTS))

    def check(self, defect):
        status, doc, err, _ = self.results[defect]
        v = verdicts(doc)
        failed = {k for k, x in v.items() if x != "pass"}
        self.assertEqual(status, 1, err)
        self.assertEqual(len(v), PROFILE_CASES)
        self.assertEqual(failed, DEFECTS[defect],
                         "\n".join(c["message"] for r in doc["runs"] for c in r["cases"]
                                   if c["verdict"] != "pass"))
        self.assertTrue(all(v[k] == "fail" for k in failed), v)


for _defect in DEFECTS:
    setattr(PlantedDefects, f"test_{_defect.replace('-', '_')}",
            lambda self, d=_defect: self.check(d))

if __name__ == "__main__":
    unittest.main(verbosity=2)
