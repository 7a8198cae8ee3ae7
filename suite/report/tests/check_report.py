#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the report files test_report writes when REPORT_DUMP_DIR is set
(report.json, report.xml, report.tap, report.txt) with real parsers: the
JSON loads and follows the schema tools depend on, key order included;
the JUnit XML parses, is valid against suite/tests/junit.xsd (xmllint)
and its counters equal the elements it holds; the
TAP plan matches its numbered test lines and prove parses it; the text ends with the summary
line CI greps. All four must agree on the counts. Standard library only.

    python3 check_report.py DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

DIR = None  # set from argv before unittest runs
XSD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "junit.xsd")

VERDICTS = ("pass", "fail", "skip", "error")
TOP_KEYS = ["tool", "version", "seed", "started", "duration_ms", "runs", "summary"]
RUN_KEYS = ["profile", "target", "framing", "started", "duration_ms", "cases", "summary"]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CASE_KEYS = ["id", "family", "description", "verdict", "duration_ms", "message", "line", "file"]
FAILED_EXTRA = ["timeline", "output"]
BYTES_KEYS = ["pattern", "from", "diff", "expected", "expected_total", "received",
              "received_total"]
TAP_LINE = re.compile(r"^(ok|not ok) (\d+) - (.*)$")
SUMMARY_LINE = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped, (\d+) errors$")


def read(name):
    with open(f"{DIR}/{name}", "rb") as f:
        data = f.read()
    # Every format promises valid UTF-8, whatever bytes the report held.
    return data.decode("utf-8", errors="strict")


def load_json():
    return json.loads(read("report.json"), object_pairs_hook=lambda pairs: pairs)


def as_dict(pairs):
    return dict(pairs)


class JsonReport(unittest.TestCase):
    def setUp(self):
        self.text = read("report.json")
        self.pairs = load_json()
        self.doc = json.loads(self.text)

    def test_one_document_with_final_newline(self):
        self.assertTrue(self.text.endswith("}\n"))
        self.assertEqual(self.text.count("\n"), 1)

    def test_top_level_keys_in_order(self):
        self.assertEqual([k for k, _ in self.pairs], TOP_KEYS)
        self.assertEqual(self.doc["tool"], "sockspec")
        self.assertIsInstance(self.doc["version"], str)
        self.assertIsInstance(self.doc["seed"], int)
        self.assertRegex(self.doc["started"], STAMP)
        self.assertIsInstance(self.doc["duration_ms"], int)

    def test_runs_and_cases_keys_in_order(self):
        runs = as_dict(self.pairs)["runs"]
        self.assertGreaterEqual(len(runs), 1)
        for run in runs:
            self.assertEqual([k for k, _ in run], RUN_KEYS)
            for case in as_dict(run)["cases"]:
                keys = [k for k, _ in case]
                verdict = as_dict(case)["verdict"]
                self.assertIn(verdict, VERDICTS)
                want = CASE_KEYS + (FAILED_EXTRA if verdict in ("fail", "error") else [])
                if keys[-1:] == ["bytes"]:  # a failed expectation of bytes
                    want.append("bytes")
                    self.assertEqual([k for k, _ in as_dict(case)["bytes"]], BYTES_KEYS)
                self.assertEqual(keys, want)
            self.assertEqual([k for k, _ in as_dict(run)["summary"]], list(VERDICTS))

    def test_case_value_types(self):
        for run in self.doc["runs"]:
            for key in ("profile", "target", "framing"):
                self.assertIsInstance(run[key], str)
            self.assertRegex(run["started"], STAMP)
            self.assertIsInstance(run["duration_ms"], int)
            for case in run["cases"]:
                for key in ("id", "family", "description", "message", "file"):
                    self.assertIsInstance(case[key], str)
                for key in ("duration_ms", "line"):
                    self.assertIsInstance(case[key], int)
                    self.assertGreaterEqual(case[key], 0)

    def test_summaries_count_the_cases(self):
        total = dict.fromkeys(VERDICTS, 0)
        for run in self.doc["runs"]:
            counts = dict.fromkeys(VERDICTS, 0)
            for case in run["cases"]:
                counts[case["verdict"]] += 1
            self.assertEqual(run["summary"], counts)
            for v in VERDICTS:
                total[v] += counts[v]
        self.assertEqual(self.doc["summary"], total)

    def test_bytes_of_failures(self):
        seen = 0
        for run in self.doc["runs"]:
            for case in run["cases"]:
                b = case.get("bytes")
                if b is None:
                    continue
                seen += 1
                self.assertEqual(case["verdict"], "fail")
                self.assertIsInstance(b["pattern"], bool)
                for key in ("from", "diff", "expected_total", "received_total"):
                    self.assertIsInstance(b[key], int)
                self.assertIn("\x1b", b["received"])
        self.assertEqual(seen, 2)

    def test_every_verdict_present(self):
        # The dump fixture holds each verdict; a checker that saw none of
        # one kind would check nothing about it.
        for v in VERDICTS:
            self.assertGreater(self.doc["summary"][v], 0, v)


class JunitReport(unittest.TestCase):
    def setUp(self):
        self.text = read("report.xml")
        self.root = ET.fromstring(self.text.encode("utf-8"))

    def test_declaration_and_root(self):
        self.assertTrue(self.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'))
        self.assertEqual(self.root.tag, "testsuites")
        self.assertEqual(self.root.get("name"), "sockspec")

    def check_counts(self, elem, cases):
        self.assertEqual(int(elem.get("tests")), len(cases))
        for attr, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            self.assertEqual(int(elem.get(attr)), sum(len(c.findall(tag)) for c in cases),
                             attr)
        self.assertGreaterEqual(float(elem.get("time")), 0.0)

    def test_counts_match_elements(self):
        self.check_counts(self.root, self.root.findall("./testsuite/testcase"))
        for suite in self.root.findall("testsuite"):
            self.check_counts(suite, suite.findall("testcase"))

    def test_testcases_are_well_formed(self):
        for suite in self.root.findall("testsuite"):
            self.assertTrue(suite.get("name"))
            self.assertRegex(suite.get("timestamp"), STAMP)
            self.assertIsNotNone(suite.get("hostname"))
            props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
            self.assertEqual(sorted(props), ["framing", "seed", "target", "version"])
            for case in suite.findall("testcase"):
                self.assertTrue(suite.get("name").startswith(case.get("classname")))
                self.assertTrue(case.get("name"))
                self.assertTrue(case.get("file"))
                self.assertGreaterEqual(int(case.get("line")), 1)
                self.assertRegex(case.get("time"), r"^\d+\.\d{3}$")
                outcomes = [c for c in case if c.tag in ("failure", "error", "skipped")]
                self.assertLessEqual(len(outcomes), 1)
                for child in case:
                    self.assertIn(child.tag, ("failure", "error", "skipped", "system-out"))
                for o in outcomes:
                    self.assertIsNotNone(o.get("message"))
                    if o.tag != "skipped":
                        # The attribute is the first line; the body has it all.
                        self.assertNotIn("\n", o.get("message"))
                        self.assertTrue((o.text or "").startswith(o.get("message")))
                        self.assertEqual(o.get("type"), "fail" if o.tag == "failure" else "error")

    def test_valid_against_the_schema(self):
        # Hostile bytes in every field must not break the dialect either.
        xmllint = shutil.which("xmllint")
        self.assertIsNotNone(xmllint, "xmllint is missing: run scripts/deps.sh")
        proc = subprocess.run([xmllint, "--noout", "--schema", XSD, f"{DIR}/report.xml"],
                              capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))

    def test_agrees_with_json(self):
        doc = json.loads(read("report.json"))
        s = doc["summary"]
        self.assertEqual(int(self.root.get("tests")), sum(s.values()))
        self.assertEqual(int(self.root.get("failures")), s["fail"])
        self.assertEqual(int(self.root.get("errors")), s["error"])
        self.assertEqual(int(self.root.get("skipped")), s["skip"])
        suites = self.root.findall("testsuite")
        self.assertEqual(len(suites), len(doc["runs"]))
        self.assertEqual(self.root.get("timestamp"), doc["started"])
        for suite, run in zip(suites, doc["runs"]):
            self.assertEqual(len(suite.findall("testcase")), len(run["cases"]))
            self.assertEqual(suite.get("timestamp"), run["started"])
            chunk = " (chunk)" if run["framing"] == "chunk" else ""
            if run["profile"].isprintable():
                self.assertEqual(suite.get("name"), run["profile"] + chunk)


class TapReport(unittest.TestCase):
    def setUp(self):
        self.lines = read("report.tap").split("\n")
        self.assertEqual(self.lines[-1], "", "TAP must end with a newline")
        self.lines.pop()

    def test_header_and_plan(self):
        self.assertEqual(self.lines[0], "TAP version 13")
        self.assertRegex(self.lines[1], r"^1\.\.\d+$")

    def test_plan_matches_numbered_lines(self):
        planned = int(self.lines[1][3:])
        tests = [TAP_LINE.match(l) for l in self.lines if TAP_LINE.match(l)]
        self.assertEqual(len(tests), planned)
        self.assertEqual([int(m.group(2)) for m in tests], list(range(1, planned + 1)))

    def test_metadata_comments(self):
        meta = dict(l[2:].split(": ", 1) for l in self.lines if l.startswith("# "))
        doc = json.loads(read("report.json"))
        self.assertEqual(meta["tool"], "sockspec")
        self.assertEqual(meta["seed"], str(doc["seed"]))
        self.assertEqual(meta["started"], doc["started"])
        self.assertEqual(meta["duration_ms"], str(doc["duration_ms"]))

    def test_yaml_blocks_follow_not_ok(self):
        i = 2
        while i < len(self.lines):
            if self.lines[i].startswith("# "):
                i += 1
                continue
            m = TAP_LINE.match(self.lines[i])
            self.assertIsNotNone(m, f"line {i + 1}: {self.lines[i]!r}")
            i += 1
            if m.group(1) == "ok":
                continue
            self.assertEqual(self.lines[i], "  ---")
            block = []
            i += 1
            while self.lines[i] != "  ...":
                block.append(self.lines[i])
                i += 1
            i += 1
            keys = [line.split(":", 1)[0].strip() for line in block]
            self.assertEqual(keys, ["message", "severity", "file", "line", "duration_ms"])
            self.assertRegex(block[0], r'^  message: ".*"$')
            self.assertIn(block[1], ("  severity: fail", "  severity: error"))
            self.assertRegex(block[3], r"^  line: \d+$")
            self.assertRegex(block[4], r"^  duration_ms: \d+$")

    def test_prove_parses_it(self):
        # Hostile bytes in descriptions, reasons and YAML blocks: prove
        # must still count every test and find no parse error.
        prove = shutil.which("prove")
        self.assertIsNotNone(prove, "prove is missing: run scripts/deps.sh")
        proc = subprocess.run([prove, "--exec", "cat", f"{DIR}/report.tap"],
                              capture_output=True, timeout=60)
        out = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
        s = json.loads(read("report.json"))["summary"]
        self.assertEqual(proc.returncode, 1, out)
        self.assertIn(f"Tests={sum(s.values())},", out)
        self.assertIn(f"Failed {s['fail'] + s['error']}/{sum(s.values())} subtests", out)
        self.assertNotIn("Parse errors", out)
        self.assertIn("Result: FAIL", out)

    def test_agrees_with_json(self):
        s = json.loads(read("report.json"))["summary"]
        tests = [l for l in self.lines if TAP_LINE.match(l)]
        self.assertEqual(sum(1 for l in tests if l.startswith("not ok ")), s["fail"] + s["error"])
        self.assertEqual(sum(1 for l in tests if l.startswith("ok ") and " # SKIP" in l),
                         s["skip"])
        self.assertEqual(sum(1 for l in self.lines if l == "  severity: error"), s["error"])


class TextReport(unittest.TestCase):
    def setUp(self):
        self.text = read("report.txt")

    def test_no_escape_bytes_without_colour(self):
        self.assertNotIn("\x1b", self.text)
        for ch in self.text:
            self.assertTrue(ch in "\n\t" or ch >= " ", repr(ch))

    def test_summary_line_agrees_with_json(self):
        last = self.text.rstrip("\n").split("\n")[-1]
        m = SUMMARY_LINE.match(last)
        self.assertIsNotNone(m, last)
        s = json.loads(read("report.json"))["summary"]
        self.assertEqual([int(g) for g in m.groups()],
                         [s["pass"], s["fail"], s["skip"], s["error"]])


def main():
    global DIR
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} DIR [unittest options]")
    DIR = sys.argv.pop(1)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
