#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every planted defect is caught, by exactly the cases that should.

usage: test_defects.py BIN_DIR [unittest options]

Reads targets/expect/*.json: a list of runs, each a wrong server (one
planted defect) checked against a profile:

    {"defect": "bad-hello no-greeting", "profile": "hello",
     "framing": "line",                  # optional, default line
     "args": ["--unix"],                  # optional extra run options
     "target": "{bin}/bad-hello --defect no-greeting -b {addr}",
     "fails": ["basic/greeting"],         # cases that must FAIL
     "passes": ["basic/one-name"],        # cases that must PASS
     "message": "expected \"Welcome!\\n\""}  # optional: in a failure message

Only the listed cases run (CI time); each must get exactly its verdict,
and a failure must be a `fail`, never an `error` (an error means the
suite could not judge). SOCKSPEC_TEST_SCALE stretches timeouts.
"""
import glob
import json
import os
import re
import sys
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_runner as tr  # noqa: E402  (takes BIN_DIR from argv)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = {"defect", "profile", "framing", "args", "target", "fails", "passes", "message"}


def load():
    runs = []
    for path in sorted(glob.glob(os.path.join(ROOT, "targets", "expect", "*.json"))):
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
        for n, e in enumerate(entries):
            where = f"{os.path.basename(path)}[{n}]"
            extra = set(e) - KEYS
            if extra or not {"defect", "profile", "target", "fails"} <= set(e):
                raise SystemExit(f"{where}: bad entry (unknown keys {sorted(extra)})")
            if not e["fails"]:
                raise SystemExit(f"{where}: a defect that fails no case proves nothing")
            runs.append((where, e))
    return runs


RUNS = load()


def run(entry):
    cases = entry["fails"] + entry.get("passes", [])
    args = ["--profile", entry["profile"], "--framing", entry.get("framing", "line"),
            "--target", entry["target"], *entry.get("args", [])]
    for c in cases:
        args += ["--case", c]
    return tr.run_json(*args)


class Defects(tr.Clean):
    @classmethod
    def setUpClass(cls):
        # Mostly waits on case limits, not the CPU: six runs at a time.
        with ThreadPoolExecutor(max_workers=6) as pool:
            cls.results = dict(zip((w for w, _ in RUNS), pool.map(run, (e for _, e in RUNS))))

    def check(self, where, entry):
        status, doc, err, _ = self.results[where]
        got = {c["id"]: c for r in doc["runs"] for c in r["cases"]}
        fails, passes = entry["fails"], entry.get("passes", [])
        self.assertEqual(sorted(got), sorted(fails + passes), f"{where}: cases that ran; {err}")
        wrong = {c: got[c]["verdict"] + ": " + got[c]["message"]
                 for c in fails if got[c]["verdict"] != "fail"}
        wrong.update({c: got[c]["verdict"] + ": " + got[c]["message"]
                      for c in passes if got[c]["verdict"] != "pass"})
        self.assertEqual(wrong, {}, f"{where} ({entry['defect']}): wrong verdicts")
        self.assertEqual(status, 1, err)
        if "message" in entry:
            first = got[fails[0]]["message"]
            self.assertIn(entry["message"], first, f"{where}: message of {fails[0]}")


for _where, _entry in RUNS:
    _name = "test_" + re.sub(r"[^a-z0-9]+", "_", f"{_where}_{_entry['defect']}".lower())
    setattr(Defects, _name, lambda self, w=_where, e=_entry: self.check(w, e))


def load_tests(loader, tests, pattern):
    return loader.loadTestsFromTestCase(Defects)


if __name__ == "__main__":
    unittest.main(verbosity=2)
