#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the suite over every target in targets/targets.tsv and compare
each verdict with the one the table expects.

usage: matrix.py [--bin DIR] [--jobs N] [--only REGEX] [--observed]
                 [--markdown FILE] [--table FILE]

For every row it runs `sockspec run --format json` with the row's
profile, framing, options and command, then checks:
  - each case the row's `expect` names (a family such as `reuse`: every
    case of it; or a case id such as `limits/mib-line`) fails;
  - every other case passes (or is skipped, as a chunk run skips the
    cases that say `requires framing line`);
  - no case is an `error` (the suite could not judge);
  - the first expected failure's message contains the row's `words`.
It prints a Markdown matrix, targets x families (pass, FAIL, skip), with
a last column `as expected` or `UNEXPECTED`, then what was unexpected,
and exits 1 if anything was (2 for a bad table or options).

--observed prints, for each row, the `expect` column that would describe
what the run did: the way to fill in the row of a new target.
"""
import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAMILIES = ["basic", "framing", "partial-recv", "concurrency", "exit", "reuse",
            "limits", "resources"]
COLUMNS = ["name", "profile", "framing", "options", "command", "expect", "words"]
# sockspec's own watchdog ends a run; this only guards against a runner bug.
RUN_LIMIT_S = 600


class TableError(Exception):
    pass


def parse_table(path):
    """Rows of the table as dicts; TableError names file:line on a bad row."""
    rows, names = [], set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if cells[0] == "name":
                continue
            if len(cells) not in (len(COLUMNS) - 1, len(COLUMNS)):
                raise TableError(f"{path}:{n}: {len(cells)} tab-separated cells, "
                                 f"expected {len(COLUMNS) - 1} or {len(COLUMNS)}")
            row = dict(zip(COLUMNS, cells))
            row.setdefault("words", "")
            row["line"] = n
            key = (row["name"], row["profile"], row["framing"], row["options"])
            if key in names:
                raise TableError(f"{path}:{n}: a second row for {' '.join(key)}")
            names.add(key)
            if row["framing"] not in ("line", "chunk"):
                raise TableError(f"{path}:{n}: framing {row['framing']!r} is not line or chunk")
            if "{port}" not in row["command"] and "{addr}" not in row["command"] \
                    and "{unix}" not in row["command"]:
                raise TableError(f"{path}:{n}: the command has no {{port}}, {{addr}} or {{unix}}")
            row["expect_items"] = [] if row["expect"] == "pass" else \
                [e.strip() for e in row["expect"].split(",") if e.strip()]
            if row["expect"] != "pass" and not row["expect_items"]:
                raise TableError(f"{path}:{n}: expect is empty: write pass or what fails")
            rows.append(row)
    return rows


def has_sockspec(bindir, prog):
    """Whether bindir holds an executable sockspec; says so on stderr if not."""
    if os.access(os.path.join(bindir, "sockspec"), os.X_OK):
        return True
    print(f"{prog}: {bindir}/sockspec: not found (build first, or --bin)", file=sys.stderr)
    return False


def options_suffix(row):
    """" OPTIONS" for a row with run options, "" for one without."""
    return "" if row["options"] == "-" else " " + row["options"]


def label(row):
    return f"{row['name']} {row['profile']} {row['framing']}{options_suffix(row)}"


def command_of(row, bindir):
    cmd = row["command"].replace("{bin}", bindir).replace("{targets}", HERE)
    return cmd.replace("{python}", sys.executable)


def run_row(row, bindir, seed, sockspec=None):
    """Run one row, its target from bindir, judged by sockspec (default:
    bindir's); returns (row, status, doc or None, stderr, seconds)."""
    argv = [sockspec or os.path.join(bindir, "sockspec"), "run", "--profile", row["profile"],
            "--framing", row["framing"], "--target", command_of(row, bindir),
            "--format", "json", "--seed", str(seed)]
    if row["options"] != "-":
        argv += shlex.split(row["options"])
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=RUN_LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\nmatrix.py: sockspec still running after {RUN_LIMIT_S} s, killed"
    seconds = time.monotonic() - start
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    return row, proc.returncode, doc, err, seconds


def cases_of(doc):
    return {c["id"]: c for r in doc["runs"] for c in r["cases"]}


def expand(items, cases):
    """(must fail, may fail, problems) for the expect items; a family
    stands for its cases that ran (a chunk run skips some)."""
    want, maybe, problems = set(), set(), []
    for item in items:
        cid = item[1:] if item.startswith("?") else item
        if "/" in cid:
            found = {cid} if cid in cases else set()
        else:
            found = {c for c, v in cases.items() if v["family"] == cid}
        ran = {c for c in found if cases[c]["verdict"] != "skip"}
        if not found:
            problems.append(f"expect names {item!r}: no such family or case")
        elif not ran:
            problems.append(f"expect names {item!r}: it did not run (skipped)")
        (maybe if item.startswith("?") else want).update(ran)
    return want, maybe, problems


def judge(row, status, doc, err):
    """List of problems (empty when everything is as expected)."""
    if doc is None:
        return [f"no JSON report (exit status {status}): {err.strip()[-400:]}"]
    cases = cases_of(doc)
    want, maybe, problems = expand(row["expect_items"], cases)
    for cid in sorted(cases):
        v, msg = cases[cid]["verdict"], cases[cid]["message"]
        if v == "error":
            problems.append(f"{cid}: error: {msg}")
        elif cid in want and v != "fail":
            problems.append(f"{cid}: {v}, expected to fail")
        elif cid not in want and cid not in maybe and v == "fail":
            problems.append(f"{cid}: fail, expected to pass: {msg}")
    any_fail = any(c["verdict"] == "fail" for c in cases.values())
    if not problems and status != (1 if any_fail else 0):
        problems.append(f"exit status {status}, expected {1 if any_fail else 0}: "
                        f"{err.strip()[-300:]}")
    if row["words"] and not problems:
        cid, _, words = row["words"].partition(": ")
        msg = cases[cid]["message"] if cid in cases else ""
        if cid not in want or words not in msg:
            problems.append(f"{cid}: message {msg!r} lacks {words!r}")
    return problems


def observed(doc):
    """The expect column describing a run: whole families, else case ids."""
    cases = cases_of(doc)
    failed = {c for c, v in cases.items() if v["verdict"] == "fail"}
    if not failed:
        return "pass"
    items = []
    for fam in FAMILIES + sorted({v["family"] for v in cases.values()} - set(FAMILIES)):
        fam_cases = {c for c, v in cases.items() if v["family"] == fam}
        judged = {c for c in fam_cases if cases[c]["verdict"] != "skip"}
        hit = fam_cases & failed
        if hit and hit == judged:
            items.append(fam)
        else:
            items += sorted(hit)
    return ",".join(items)


def cell(doc, fam):
    if doc is None:
        return "?"
    verdicts = [c["verdict"] for c in cases_of(doc).values() if c["family"] == fam]
    if not verdicts:
        return "-"
    for v, word in (("error", "error"), ("fail", "FAIL")):
        if v in verdicts:
            return word
    return "skip" if all(v == "skip" for v in verdicts) else "pass"


def markdown(results):
    head = ["target", "profile", "framing"] + FAMILIES + ["verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row, _status, doc, _err, _secs, problems in results:
        cells = [f"`{row['name']}{options_suffix(row)}`", row["profile"], row["framing"]]
        cells += [cell(doc, f) for f in FAMILIES]
        cells.append("UNEXPECTED" if problems else "as expected")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"),
                    help="directory with sockspec and the C targets (default build/bin)")
    ap.add_argument("--table", default=os.path.join(HERE, "targets.tsv"))
    ap.add_argument("--jobs", "-j", type=int, default=5 * (os.cpu_count() or 2),
                    help="rows run at the same time (default: 5 per CPU; a run mostly "
                         "waits on its cases' timeouts, so 10 rows use under one CPU)")
    ap.add_argument("--only", metavar="REGEX", help="rows whose name matches")
    ap.add_argument("--seed", type=int, default=1, help="sockspec --seed (default 1)")
    ap.add_argument("--observed", action="store_true",
                    help="print the expect column each run would need")
    ap.add_argument("--markdown", metavar="FILE", help="also write the matrix to FILE")
    args = ap.parse_args()
    try:
        rows = parse_table(args.table)
    except (TableError, OSError) as e:
        print(f"matrix.py: {e}", file=sys.stderr)
        return 2
    if args.only:
        rows = [r for r in rows if re.search(args.only, r["name"])]
        if not rows:
            print(f"matrix.py: no row matches {args.only!r}", file=sys.stderr)
            return 2
    if not has_sockspec(args.bin, "matrix.py"):
        return 2
    bindir = os.path.abspath(args.bin)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(lambda r: run_row(r, bindir, args.seed), rows))
    results = [(row, st, doc, err, secs, judge(row, st, doc, err))
               for row, st, doc, err, secs in runs]
    table = markdown(results)
    print(table)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(table)
    bad = [r for r in results if r[5]]
    for row, _st, doc, _err, secs, problems in bad:
        print(f"UNEXPECTED {label(row)} ({args.table}:{row['line']}, {secs:.1f} s):")
        for p in problems:
            print(f"    {p}")
        if doc is not None:
            print(f"    observed: {observed(doc)}")
    if args.observed:
        for row, _st, doc, _err, _secs, _p in results:
            print(f"{label(row)}\t{observed(doc) if doc else '?'}")
    took = time.monotonic() - start
    print(f"{len(results)} targets, {len(results) - len(bad)} as expected, "
          f"{len(bad)} unexpected, {took:.0f} s with {args.jobs} jobs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
