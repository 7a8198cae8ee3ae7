#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Unit tests of matrix.py's table parser and judge: no server runs."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402

CMD = "{bin}/ref-echo -b {addr}"


def table(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8")
    f.write(text)
    f.close()
    return f.name


def doc(*cases):
    """A sockspec JSON report: cases are (id, verdict[, message])."""
    return {"runs": [{"cases": [
        {"id": c[0], "family": c[0].split("/")[0], "verdict": c[1],
         "message": c[2] if len(c) > 2 else ""} for c in cases]}]}


def row(expect, words=""):
    items = [] if expect == "pass" else expect.split(",")
    return {"name": "t", "profile": "echo-threaded", "framing": "line", "options": "-",
            "command": CMD, "expect": expect, "expect_items": items, "words": words,
            "line": 1}


class Table(unittest.TestCase):
    def tearDown(self):
        for p in getattr(self, "paths", []):
            os.unlink(p)

    def parse(self, text):
        self.paths = getattr(self, "paths", []) + [table(text)]
        return matrix.parse_table(self.paths[-1])

    def test_rows_comments_and_header(self):
        rows = self.parse("# c\nname\tprofile\tframing\toptions\tcommand\texpect\twords\n\n"
                          f"a\techo-once\tline\t-\t{CMD}\tpass\n"
                          f"a\techo-once\tchunk\t--ipv6\t{CMD}\treuse,limits/x\tlimits/x: w\n")
        self.assertEqual([(r["name"], r["framing"], r["expect_items"], r["words"], r["line"])
                          for r in rows],
                         [("a", "line", [], "", 4), ("a", "chunk", ["reuse", "limits/x"],
                                                     "limits/x: w", 5)])

    def test_errors_name_the_line(self):
        for text, words in [
                (f"a\techo-once\tline\t{CMD}\tpass\n", ":1: 5 tab-separated cells"),
                (f"a\techo-once\tword\t-\t{CMD}\tpass\n", ":1: framing 'word'"),
                ("a\techo-once\tline\t-\tserver\tpass\n", ":1: the command has no {port}"),
                (f"a\techo-once\tline\t-\t{CMD}\t,\n", ":1: expect is empty"),
                (f"a\te\tline\t-\t{CMD}\tpass\na\te\tline\t-\t{CMD}\treuse\n",
                 ":2: a second row for a e line -")]:
            with self.assertRaises(matrix.TableError) as ctx:
                self.parse(text)
            self.assertIn(words, str(ctx.exception))


class Judge(unittest.TestCase):
    REPORT = doc(("basic/a", "pass"), ("reuse/a", "fail", "x: Address already in use"),
                 ("reuse/b", "fail", "y"), ("limits/a", "skip", "requires framing line"))

    def test_as_expected_by_family_or_case(self):
        for expect in ("reuse", "reuse/a,reuse/b", "reuse/b,?reuse/a"):
            self.assertEqual(matrix.judge(row(expect), 1, self.REPORT, ""), [], expect)

    def test_unexpected_fail_and_pass(self):
        self.assertEqual(matrix.judge(row("reuse/a"), 1, self.REPORT, ""),
                         ["reuse/b: fail, expected to pass: y"])
        self.assertEqual(matrix.judge(row("basic,reuse"), 1, self.REPORT, ""),
                         ["basic/a: pass, expected to fail"])

    def test_error_verdict_and_unknown_item(self):
        report = doc(("basic/a", "error", "could not start"))
        self.assertEqual(matrix.judge(row("reuse,basic/zz"), 1, report, ""),
                         ["expect names 'reuse': no such family or case",
                          "expect names 'basic/zz': no such family or case",
                          "basic/a: error: could not start"])
        self.assertEqual(matrix.judge(row("reuse,?limits/a"), 1, self.REPORT, ""),
                         ["expect names '?limits/a': it did not run (skipped)"])

    def test_words_and_status(self):
        self.assertEqual(matrix.judge(row("reuse", "reuse/a: already in"), 1, self.REPORT, ""), [])
        self.assertEqual(matrix.judge(row("reuse", "reuse/a: refused"), 1, self.REPORT, ""),
                         ["reuse/a: message 'x: Address already in use' lacks 'refused'"])
        self.assertEqual(matrix.judge(row("reuse"), 0, self.REPORT, "")[0][:29],
                         "exit status 0, expected 1: ")
        self.assertEqual(matrix.judge(row("pass"), 0, doc(("basic/a", "pass")), ""), [])

    def test_no_report(self):
        self.assertEqual(matrix.judge(row("pass"), 2, None, "sockspec: bad option\n"),
                         ["no JSON report (exit status 2): sockspec: bad option"])

    def test_observed_and_cells(self):
        self.assertEqual(matrix.observed(self.REPORT), "reuse")
        half = doc(("reuse/a", "fail"), ("reuse/b", "pass"), ("exit/x", "fail"))
        self.assertEqual(matrix.observed(half), "exit,reuse/a")
        self.assertEqual(matrix.observed(doc(("basic/a", "pass"))), "pass")
        self.assertEqual([matrix.cell(self.REPORT, f) for f in ("basic", "reuse", "limits", "exit")],
                         ["pass", "FAIL", "skip", "-"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
