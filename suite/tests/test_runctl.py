#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Process-level tests of run control: -x/--fail-fast, --rerun-failed,
--repeat (and flaky cases), -j/--jobs (same verdicts as -j 1, the cases
that measure timing or load alone) and the status line on a terminal.
Helpers and the no-process-left check come from test_runner.py.

usage: test_runctl.py BIN_DIR [TEST...]   (standard library only)
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from proctag import tagged_processes
from test_runner import BIN, SCALE, SOCKSPEC, ENV, TAG, Clean, run_json, sockspec

HERE = os.path.dirname(os.path.abspath(__file__))
SLOW_ECHO = f"python3 {HERE}/slow_echo.py {{port}}"
NUL = f"{BIN}/bad-echo --defect nul -b {{addr}}"  # fails limits/binary-bytes and nul-in-text


def ids_verdicts(doc):
    return [(c["id"], c["verdict"]) for r in doc["runs"] for c in r["cases"]]


class Tmp(Clean):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()


class FailFast(Clean):
    CASES = ["--case", "basic/one-message", "--case", "limits/binary-bytes", "--case",
             "limits/nul-in-text", "--case", "partial-recv/line-8k"]

    def test_stops_after_the_first_failure(self):
        status, doc, err, _ = run_json("--profile", "echo-threaded", "--target", NUL, "-x",
                                       *self.CASES)
        self.assertEqual(status, 1, err)
        self.assertEqual(ids_verdicts(doc), [("basic/one-message", "pass"),
                                             ("limits/binary-bytes", "fail")])
        self.assertEqual(err, "sockspec: stopped after the first failure (-x): the cases "
                              "after it did not run\n")

    def test_following_runs_do_not_run_and_text_says_so(self):
        status, out, err, _ = sockspec("run", "--profile", "echo-threaded", "--profile",
                                       "echo-iterative", "--target", NUL, "--fail-fast",
                                       "--timeout-scale", SCALE, *self.CASES)
        self.assertEqual(status, 1, err)
        self.assertNotIn("== echo-iterative", out)
        self.assertNotIn("limits/nul-in-text", out)
        self.assertIn("stopped after the first failure (-x): the cases after it did not run\n"
                      "profile", out)
        self.assertRegex(out, r"(?m)^1 passed, 1 failed, 0 skipped, 0 errors$")

    def test_with_jobs_nothing_starts_after_the_failure(self):
        # -j 2: binary-bytes and nul-in-text both run their 2 s out, side by side; the
        # first to fail stops the dispatch: line-8k never starts.
        status, doc, err, _ = run_json("--profile", "echo-threaded", "--target", NUL, "-x",
                                       "-j", "2", *self.CASES)
        self.assertEqual(status, 1, err)
        self.assertEqual(ids_verdicts(doc), [("basic/one-message", "pass"),
                                             ("limits/binary-bytes", "fail"),
                                             ("limits/nul-in-text", "fail")])


class RerunFailed(Tmp):
    def test_reruns_exactly_the_failed_cases(self):
        first = os.path.join(self.dir, "first.json")
        status, _, err, _ = sockspec("run", "--profile", "echo-threaded", "--target", NUL,
                                     "--case", "basic/*", "--case", "limits/*", "--format",
                                     "json", "--output", first, "--timeout-scale", SCALE)
        self.assertEqual(status, 1, err)
        # The server is fixed: the reference one. Only what failed runs again.
        status, doc, err, _ = run_json("--profile", "echo-threaded", "--rerun-failed", first)
        self.assertEqual(status, 0, err)
        self.assertEqual(ids_verdicts(doc), [("limits/binary-bytes", "pass"),
                                             ("limits/nul-in-text", "pass")])
        status, doc, err, _ = run_json("--profile", "echo-threaded", "--rerun-failed", first,
                                       "--exclude", "limits/nul-*")
        self.assertEqual(ids_verdicts(doc), [("limits/binary-bytes", "pass")])
        # Another profile has none of those failures in its runs.
        status, _, err, _ = sockspec("run", "--profile", "hello", "--rerun-failed", first)
        self.assertEqual(status, 2)
        self.assertEqual(err, f"sockspec: --rerun-failed: none of the 2 failed cases of {first}"
                              " is in this selection (another profile, framing or --case?)\n")

    def test_report_without_failures_runs_nothing(self):
        ok = os.path.join(self.dir, "ok.json")
        status, _, err, _ = sockspec("run", "--profile", "echo-threaded", "--case", "basic/*",
                                     "--format", "json", "--output", ok)
        self.assertEqual(status, 0, err)
        status, out, err, _ = sockspec("run", "--profile", "echo-threaded", "--rerun-failed", ok)
        self.assertEqual((status, out, err),
                         (0, f"nothing to rerun: no case failed or errored in {ok}\n", ""))

    def test_bad_files_are_setup_errors(self):
        missing = os.path.join(self.dir, "missing.json")
        bad = os.path.join(self.dir, "bad.json")
        other = os.path.join(self.dir, "other.json")
        with open(bad, "w") as f:
            f.write('{"runs": [1,]}')
        with open(other, "w") as f:
            f.write('{"tool": "pytest", "runs": []}')
        expected = {
            missing: f"sockspec: --rerun-failed: cannot read {missing}: No such file or "
                     "directory\n",
            bad: f"sockspec: --rerun-failed: {bad}: not JSON: line 1, column 13: expected a "
                 "value\n",
            other: f"sockspec: --rerun-failed: {other}: not a sockspec report: no \"tool\": "
                   "\"sockspec\" at its top level\n",
        }
        for path, message in expected.items():
            status, out, err, _ = sockspec("run", "--profile", "echo-threaded",
                                           "--rerun-failed", path)
            self.assertEqual((status, out, err), (2, "", message))


class Repeat(Tmp):
    def test_every_attempt_is_reported(self):
        status, doc, err, _ = run_json("--profile", "echo-threaded", "--case",
                                       "basic/one-message", "--case", "exit/eof-closes",
                                       "--repeat", "2")
        self.assertEqual(status, 0, err)
        self.assertEqual(ids_verdicts(doc), [("basic/one-message #1", "pass"),
                                             ("basic/one-message #2", "pass"),
                                             ("exit/eof-closes #1", "pass"),
                                             ("exit/eof-closes #2", "pass")])
        status, out, err, _ = sockspec("run", "--profile", "echo-threaded", "--case",
                                       "basic/one-message", "--repeat", "3", "--format",
                                       "junit")
        names = [c.get("name") for c in ET.fromstring(out).iter("testcase")]
        self.assertEqual(len(names), 3)
        self.assertEqual(len(set(names)), 3, names)

    def test_flaky_server_is_named(self):
        counter = os.path.join(self.dir, "starts")
        target = f"{SLOW_ECHO} --start-delay 0 --flaky {counter}"
        status, out, err, _ = sockspec("run", "--profile", "echo-threaded", "--target", target,
                                       "--case", "basic/one-message", "--repeat", "3",
                                       "--timeout-scale", SCALE)
        self.assertEqual(status, 1, out + err)
        self.assertIn("\nflaky: echo-threaded basic/one-message: passed 2 of 3 attempts\n", out)
        self.assertRegex(out, r"(?m)^PASS  basic/one-message #1 ")
        self.assertRegex(out, r"(?m)^FAIL  basic/one-message #2 ")
        self.assertRegex(out, r"(?m)^2 passed, 1 failed, 0 skipped, 0 errors$")
        with open(counter) as f:
            self.assertEqual(f.read(), "3")

    def test_steady_failure_is_not_flaky(self):
        status, out, err, _ = sockspec("run", "--profile", "echo-threaded", "--target", NUL,
                                       "--case", "limits/nul-in-text", "--repeat", "2", "-j",
                                       "2", "--timeout-scale", SCALE)
        self.assertEqual(status, 1, err)
        self.assertNotIn("flaky", out)
        self.assertRegex(out, r"(?m)^0 passed, 2 failed, 0 skipped, 0 errors$")

    def test_bad_counts_are_usage_errors(self):
        for args, message in [(["--repeat", "0"], "--repeat: expected a whole number from 1 "
                                                  "to 1000, got \"0\""),
                              (["--repeat", "1001"], "--repeat: expected a whole number from "
                                                     "1 to 1000, got \"1001\""),
                              (["-j", "65"], "--jobs: expected a whole number from 1 to 64, "
                                             "got \"65\""),
                              (["--jobs", "x"], "--jobs: expected a whole number from 1 to "
                                                "64, got \"x\""),
                              (["-j", "2", "--connect", "127.0.0.1:1"],
                               "-j needs launched targets: with --connect every case would "
                               "share the one server")]:
            status, _, err, _ = sockspec("run", "--profile", "echo-threaded", *args)
            self.assertEqual((status, err.splitlines()[0]), (2, f"sockspec: {message}"))


class Jobs(Tmp):
    def test_same_report_as_one_job(self):
        one = run_json("--profile", "echo-threaded", "--seed", "11")
        two = run_json("--profile", "echo-threaded", "--seed", "11", "-j", "2")
        self.assertEqual(one[0], 0, one[2])
        self.assertEqual(two[0], 0, two[2])
        self.assertEqual(len(ids_verdicts(two[1])), 30)
        self.assertEqual(ids_verdicts(one[1]), ids_verdicts(two[1]))
        strip = lambda doc: [{k: v for k, v in c.items() if k != "duration_ms"}
                             for r in doc["runs"] for c in r["cases"]]
        self.assertEqual(strip(one[1]), strip(two[1]))

    def test_failures_in_case_order_with_their_details(self):
        one = run_json("--profile", "echo-threaded", "--target", NUL, "--case", "limits/*",
                       "--case", "basic/*")
        four = run_json("--profile", "echo-threaded", "--target", NUL, "--case", "limits/*",
                        "--case", "basic/*", "-j", "4")
        self.assertEqual(ids_verdicts(one[1]), ids_verdicts(four[1]))
        cases = [c for r in four[1]["runs"] for c in r["cases"] if c["verdict"] == "fail"]
        self.assertEqual([(c["file"], c["line"]) for c in cases],
                         [("suite/cases/echo-threaded/limits/binary-bytes.case", 7),
                          ("suite/cases/echo-threaded/limits/nul-in-text.case", 7)])
        self.assertIn('got "before"', cases[1]["message"])

    def test_timing_and_load_cases_exchange_alone(self):
        """Every instance of the target logs when it ran, how many clients it took
        and when it served them (its first accept, its last read or close). While
        a case of a hundred clients or more (concurrency/hundred-clients,
        resources/*, limits/connect-burst) exchanges, no other instance may serve
        a client; other instances may start and stop meanwhile (and must have,
        or the gate hides nothing), and the small ones must have run side by
        side (or the test proves nothing)."""
        log = os.path.join(self.dir, "log")
        status, doc, err, _ = run_json("--profile", "echo-threaded", "-j", "3", "--target",
                                       f"{SLOW_ECHO} --start-delay 0.05 --log {log}",
                                       "--case", "basic/*", "--case", "concurrency/*",
                                       "--case", "resources/*", "--case", "limits/connect-burst",
                                       "--case", "framing/*", "--case", "exit/eof-closes")
        self.assertEqual(status, 0, err + json.dumps(doc)[:2000])
        with open(log) as f:
            spans = [tuple(map(float, line.split())) for line in f]
        self.assertEqual(len(spans), 13)
        big = [s for s in spans if s[2] >= 100]
        small = [s for s in spans if s[2] < 100]
        self.assertEqual(len(big), 4, spans)  # hundred-clients, connect-burst, resources/*
        overlap = lambda a, b: a[0] < b[1] and b[0] < a[1]
        # the server sees a client's close a moment after the runner closed it
        served = lambda s: (s[3], max(s[3], s[4] - 0.1))
        for b in big:
            self.assertEqual([s for s in spans if s is not b and s[2] > 0
                              and overlap(served(s), served(b))], [], (b, spans))
        self.assertTrue(any(s is not b and overlap(s[:2], served(b)) for s in spans
                            for b in big), spans)
        self.assertTrue(any(overlap(a, b) for a in small for b in small if a is not b))

    def test_target_never_ready_is_reported_once_per_worker(self):
        """As with -j 1: once a worker's target never became ready, the cases not
        started yet end as errors at once, without waiting out their readiness. The
        first two to start (one per worker) are concurrency/half-line-idle and
        concurrency/hundred-clients: the cases whose exchanges run alone go first."""
        status, doc, _, secs = run_json("--profile", "echo-threaded", "-j", "2", "--target",
                                        "sh -c 'sleep 30' {port}")
        self.assertEqual(status, 1)
        cases = doc["runs"][0]["cases"]
        self.assertEqual(len(cases), 30)
        self.assertTrue(all(c["verdict"] == "error" for c in cases))
        self.assertEqual([c["id"] for c in cases if "did not become ready" in c["message"]],
                         ["concurrency/half-line-idle", "concurrency/hundred-clients"])
        self.assertEqual(sum(c["message"] == "not run: the target never became ready or could "
                             "not be stopped (see the first error)" for c in cases), 28)
        self.assertLess(secs, 5 * float(SCALE) + 4)


    GATED = ["run", "--profile", "echo-threaded", "-j", "2", "--format", "json",
             "--timeout-scale", SCALE, "--target", SLOW_ECHO, "--case",
             "concurrency/hundred-clients", "--case", "basic/*"]

    def start_gated(self):
        """-j 2 with hundred-clients exchanging alone (1.1 s), started with
        basic/clients-in-turn, whose worker then waits at its gate."""
        proc = subprocess.Popen([SOCKSPEC, *self.GATED], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=ENV)
        time.sleep(0.3 * float(SCALE) + 0.5)  # both targets ready (0.2 s), one exchanging
        return proc

    def test_sigterm_while_a_worker_waits_at_the_gate(self):
        proc = self.start_gated()
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM, err)
        self.assertLess(time.monotonic() - start, 6)
        cases = json.loads(out)["runs"][0]["cases"]
        self.assertTrue(cases and all("interrupted by SIGTERM" in c["message"] for c in cases
                                      if c["verdict"] != "pass"), cases)
        self.assertTrue(any("interrupted by SIGTERM" in c["message"] for c in cases), cases)

    def test_parent_killed_while_a_worker_waits_at_the_gate(self):
        """The workers end with their targets (PR_SET_PDEATHSIG, the gate's end)."""
        proc = self.start_gated()
        proc.kill()
        proc.communicate(timeout=60)
        deadline = time.monotonic() + 10
        while tagged_processes(TAG) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(tagged_processes(TAG), [])

    def test_fail_fast_gives_up_a_worker_waiting_at_the_gate(self):
        """-x -j 2: binary-bytes fails after its 2 s while connect-burst, which must
        exchange alone, waits at its gate (one-message ended meanwhile): it is
        given up, not reported."""
        status, doc, err, secs = run_json("--profile", "echo-threaded", "--target", NUL, "-x",
                                          "-j", "2", "--case", "limits/binary-bytes", "--case",
                                          "limits/connect-burst", "--case", "basic/one-message")
        self.assertEqual(status, 1, err)
        self.assertEqual(ids_verdicts(doc), [("basic/one-message", "pass"),
                                             ("limits/binary-bytes", "fail")])
        self.assertLess(secs, 2 * float(SCALE) + 6)


class StatusLine(Clean):
    def run_pty(self, *args, term="xterm"):
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(SOCKSPEC, [SOCKSPEC, *args], dict(ENV, TERM=term))
        out, deadline = b"", time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
            try:
                data = os.read(fd, 65536) if ready else b""
            except OSError:  # EIO: the other side is closed
                data = b""
            if not data:
                break
            out += data
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), out

    def test_line_on_a_terminal(self):
        status, out = self.run_pty("run", "--profile", "echo-threaded", "--case", "basic/*",
                                   "--case", "concurrency/hundred-clients")
        self.assertEqual(status, 0, out)
        self.assertRegex(out, rb"\r\x1b\[K\[1/4\] 0\.[0-9]s  basic/clients-in-turn")
        # drawn when it starts, and again by the ticks while it runs (1.1 s)
        ticks = re.findall(rb"\r\x1b\[K\[4/4\] ([0-9.]+)s  concurrency/hundred-clients", out)
        self.assertGreaterEqual(len(set(ticks)), 2, out)
        self.assertTrue(out.endswith(b"\r\n4 passed, 0 failed, 0 skipped, 0 errors\r\n"), out)
        self.assertNotIn(b"\r\x1b[K[", out.split(b"profile")[-1])  # cleared before the summary

    def test_nothing_on_a_dumb_terminal(self):
        status, out = self.run_pty("run", "--profile", "echo-threaded", "--case", "basic/*",
                                   term="dumb")
        self.assertEqual(status, 0, out)
        self.assertNotIn(b"\x1b[K", out)
        self.assertNotIn(b"[1/3]", out)
        self.assertTrue(out.endswith(b"\r\n3 passed, 0 failed, 0 skipped, 0 errors\r\n"), out)

    def test_nothing_when_not_a_terminal(self):
        status, out, err, _ = sockspec("run", "--profile", "echo-threaded", "--case",
                                       "basic/*", "--case", "concurrency/hundred-clients")
        self.assertEqual(status, 0, err)
        self.assertNotIn("\r", out)
        self.assertNotIn("\x1b", out)
        self.assertRegex(out, r"^sockspec [^\n]*\n== echo-threaded[^\n]*\nPASS  basic/clients-in")


if __name__ == "__main__":
    unittest.main(verbosity=2)
