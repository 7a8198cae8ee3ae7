#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Unit tests of mutation.py: the mutant files, the replacement, the
judge and the score. No server is built or run; the last test checks
that every mutant in targets/mutations/ applies to today's sources."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402
import mutation  # noqa: E402

GOOD = """# a comment
reason: drops the last byte
file: reference/proto.c
profiles: echo-once udp-echo
options: -, --ipv6
ci: udp-echo
--- find
\t*out_len = msg->len;
--- replace
\t*out_len = msg->len - 1;
"""


class Files(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_parse_good(self):
        m = mutation.parse_mutant(self.write("drop-last.mut", GOOD))
        self.assertEqual(m["name"], "drop-last")
        self.assertEqual(m["reason"], "drops the last byte")
        self.assertEqual(m["file"], "reference/proto.c")
        self.assertEqual(m["profiles"], ["echo-once", "udp-echo"])
        self.assertEqual(m["options"], ["-", "--ipv6"])
        self.assertEqual(m["ci"], ["udp-echo"])
        self.assertEqual(m["equivalent"], "")
        self.assertEqual(m["find"], "\t*out_len = msg->len;")
        self.assertEqual(m["replace"], "\t*out_len = msg->len - 1;")

    def test_defaults(self):
        text = "reason: r\nfile: reference/net.c\n--- find\na\n--- replace\n"
        m = mutation.parse_mutant(self.write("x.mut", text))
        self.assertEqual(m["profiles"], [])
        self.assertEqual(m["options"], ["-"])
        self.assertEqual(m["ci"], [])
        self.assertEqual(m["replace"], "")

    def assert_bad(self, text, words):
        with self.assertRaises(mutation.MutantError) as e:
            mutation.parse_mutant(self.write("bad.mut", text))
        self.assertIn(words, str(e.exception))

    def test_bad_files(self):
        self.assert_bad("reason: r\nfile: reference/net.c\nwhy: x\n--- find\na\n--- replace\nb\n",
                        "bad.mut:3: expected KEY: VALUE")
        self.assert_bad("file: reference/net.c\n--- find\na\n--- replace\nb\n", "no 'reason:'")
        self.assert_bad("reason: r\n--- find\na\n--- replace\nb\n", "no 'file:'")
        self.assert_bad("reason: r\nfile: reference/net.c\n--- find\na\n",
                        "needs a '--- find' and a '--- replace'")
        self.assert_bad("reason: r\nfile: reference/net.c\n--- find\na\n--- replace\na\n",
                        "the replacement is the text it replaces")
        self.assert_bad("reason: r\nfile: suite/main.c\n--- find\na\n--- replace\nb\n",
                        "is not in reference/")

    def test_mutate_exactly_once(self):
        m = mutation.parse_mutant(self.write("m.mut", GOOD))
        self.assertEqual(mutation.mutate("x\n\t*out_len = msg->len;\ny", m),
                         "x\n\t*out_len = msg->len - 1;\ny")
        for text, count in (("nothing here", 0),
                            ("\t*out_len = msg->len;\n\t*out_len = msg->len;", 2)):
            with self.assertRaises(mutation.MutantError) as e:
                mutation.mutate(text, m)
            self.assertIn(f"occurs {count} times", str(e.exception))

    def test_check_names_problems(self):
        m = mutation.parse_mutant(self.write("m.mut", GOOD.replace("echo-once udp", "echo-once x")
                                             .replace("--ipv6", "--tls")))
        rows = [{"profile": "echo-once"}, {"profile": "udp-echo"}]
        problems = mutation.check_mutants([m], rows)
        self.assertEqual(len(problems), 3, problems)
        self.assertIn("profile x-echo has no reference row", problems[0])
        self.assertIn("ci profile udp-echo is not one of its profiles", problems[1])
        self.assertIn("option '--tls'", problems[2])

    def test_ci_runs_only_its_profiles(self):
        m = mutation.parse_mutant(self.write("m.mut", GOOD))
        rows = [{"profile": p, "framing": "line"} for p in ("echo-once", "udp-echo", "hello")]
        self.assertEqual([(r["profile"], o) for r, o in mutation.runs_of(m, rows)],
                         [("echo-once", "-"), ("udp-echo", "-"), ("echo-once", "--ipv6"),
                          ("udp-echo", "--ipv6")])
        self.assertEqual([(r["profile"], o) for r, o in mutation.runs_of(m, rows, ci=True)],
                         [("udp-echo", "-"), ("udp-echo", "--ipv6")])


def mut(equivalent="", options=("-",)):
    return {"name": "m", "path": "m.mut", "file": "reference/net.c", "reason": "r",
            "equivalent": equivalent, "options": list(options), "profiles": []}


PASS, FAIL = ("pass", ""), ("fail", "why")


class Judge(unittest.TestCase):
    def test_killers_need_a_baseline_pass(self):
        base = {"a/x": PASS, "a/y": FAIL, "a/z": ("skip", "")}
        run = {"a/x": FAIL, "a/y": FAIL, "a/z": FAIL, "a/w": ("error", "e")}
        self.assertEqual(mutation.killers(base, run), ["a/x"])

    def test_killed_and_survived(self):
        base = {("echo-once", "line", "-"): {"a/x": PASS}}
        killed = {("echo-once", "line", "-"): {"a/x": ("error", "e")}}
        alive = {("echo-once", "line", "-"): {"a/x": PASS}}
        self.assertEqual(mutation.judge_mutant(mut(), base, killed),
                         ("killed", {"-": ["echo-once: a/x"]}))
        self.assertEqual(mutation.judge_mutant(mut(), base, alive)[0], "SURVIVED")
        self.assertEqual(mutation.judge_mutant(mut("same"), base, alive)[0], "equivalent")
        self.assertEqual(mutation.judge_mutant(mut("same"), base, killed)[0],
                         "EQUIVALENT, KILLED")

    def test_every_option_must_kill(self):
        m = mut(options=("-", "--unix"))
        base = {("hello", "chunk", "-"): {"a/x": PASS}, ("hello", "chunk", "--unix"): {"a/x": PASS}}
        one = {("hello", "chunk", "-"): {"a/x": FAIL}, ("hello", "chunk", "--unix"): {"a/x": PASS}}
        status, by_option = mutation.judge_mutant(m, base, one)
        self.assertEqual(status, "SURVIVED")
        self.assertEqual(by_option, {"-": ["hello chunk: a/x"], "--unix": []})
        both = {k: {"a/x": FAIL} for k in base}
        self.assertEqual(mutation.judge_mutant(m, base, both)[0], "killed")

    def test_summary_and_score(self):
        cases = ["echo-once: a/x", "hello: a/x", "hello: b/y", "hello: c/z", "hello: d/w",
                 "hello: e/v"]
        self.assertEqual(mutation.summarize(cases),
                         "a/x (echo-once, hello), b/y (hello), c/z (hello), d/w (hello) "
                         "(+1 more)")
        judged = [(mut(), "killed", {}), (mut(), "SURVIVED", {}), (mut("same"), "equivalent", {})]
        self.assertEqual(mutation.score(judged), (1, 3, 1))
        self.assertEqual(mutation.score_line(judged),
                         "score: 1 killed / (3 mutants - 1 equivalent) = 50.0 %")
        table = mutation.markdown([(mut("same"), "equivalent", {"-": []})])
        self.assertIn("| `m` | net.c | r *Equivalent: same* | equivalent | - |", table)


class Bundled(unittest.TestCase):
    def test_every_mutant_applies(self):
        mutants = mutation.load_mutants()
        rows = [r for r in matrix.parse_table(os.path.join(mutation.HERE, "targets.tsv"))
                if r["name"].startswith("ref/")]
        self.assertEqual(mutation.check_mutants(mutants, rows), [])
        self.assertGreaterEqual(len(mutants), 40)
        self.assertGreaterEqual(sum(1 for m in mutants if m["ci"]), 10)
        modules = {m["file"] for m in mutants}
        for f in ("net.c", "sig.c", "frame.c", "proto.c", "session.c", "serve.c", "app.c",
                  "addr.c"):
            self.assertIn("reference/" + f, modules)


if __name__ == "__main__":
    unittest.main()
