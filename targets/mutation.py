#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mutation testing of the suite: plant one small defect at a time in the
reference servers and check that some case fails.

usage: mutation.py [--bin DIR] [--jobs N] [--only REGEX] [--ci] [--why]
                   [--list] [--check] [--markdown FILE] [--keep]

Each file in targets/mutations/*.mut is one mutant: a find-and-replace in
one file of reference/ with a one-line reason (format: targets/README.md).
The harness copies reference/ into a throwaway directory and builds the
unmutated servers, then each mutant in turn: the replacement applied,
the servers its profiles use rebuilt and kept in a directory of their
own, the file restored. Then it runs the reference rows of targets.tsv
for each mutant's profiles (every profile when it names none), once per
run option it names (`-`, `--ipv6`, `--unix`), against the unmutated
build and against the mutant's, --jobs at a time. --ci takes only the
mutants with a `ci:` line, on the profiles that line names.

A mutant is killed when, under every option it names, some case fails
(or is an error) that passed against the unmutated servers in the same
run. An equivalent mutant (`equivalent:` gives the reason) must
survive; it is left out of the score, never dropped. The score is
killed / (total - equivalent). Exit status: 0 when every non-equivalent
mutant is killed and no equivalent one is; 1 otherwise; 2 for a bad
mutant file, a mutant that does not apply or build, or bad options.

Runs set TZ=CST-8 (no tzdata needed), so local time differs from UTC and
a server that stamps UTC instead of local time is told apart.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import matrix  # noqa: E402

MUTANT_DIR = os.path.join(HERE, "mutations")
# The server behind each profile's reference rows.
SERVER_OF = {"echo-once": "ref-echo", "echo-iterative": "ref-echo", "echo-threaded": "ref-echo",
             "udp-echo": "ref-udp-echo", "hello": "ref-hello", "timestamp": "ref-timestamp",
             "timestamp-udp": "ref-timestamp", "accept-close": "ref-accept-close",
             "ok-iterative": "ref-ok", "ok-threaded": "ref-ok"}
SERVERS = sorted(set(SERVER_OF.values()))
KEYS = ("reason", "file", "profiles", "options", "equivalent", "ci")
RUN_TZ = "CST-8"
# A throwaway top level for building reference/ alone: no tests, no
# -Werror (a mutant may leave a variable unused; it must still build).
TOP_CMAKE = """cmake_minimum_required(VERSION 3.18)
project(sockspec_mutant VERSION 0.1.0 LANGUAGES C)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_EXTENSIONS OFF)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
set(CMAKE_BUILD_TYPE RelWithDebInfo)
set(SOCKSPEC_TESTS OFF)
set(SOCKSPEC_BENCH OFF)
add_compile_options(-Wall -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
add_subdirectory(reference)
"""


class MutantError(Exception):
    pass


def parse_mutant(path):
    """A mutant file as a dict; MutantError names file:line on a problem."""
    name = os.path.basename(path)[:-len(".mut")]
    m = {"name": name, "path": path, "profiles": [], "options": ["-"], "equivalent": "",
         "ci": [], "find": None, "replace": None}
    section, body = None, []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        if line in ("--- find", "--- replace"):
            if section:
                m[section] = "\n".join(body)
            section, body = line[4:], []
            continue
        if section:
            body.append(line)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or key not in KEYS:
            raise MutantError(f"{path}:{n}: expected KEY: VALUE with KEY one of "
                              f"{', '.join(KEYS)}, or --- find / --- replace")
        value = value.strip()
        if key == "profiles":
            m[key] = value.split()
        elif key == "options":
            m[key] = [o.strip() for o in value.split(",") if o.strip()]
        elif key == "ci":
            m[key] = value.split()
        else:
            m[key] = value
    if section:
        m[section] = "\n".join(body)
    for key in ("reason", "file"):
        if not m.get(key):
            raise MutantError(f"{path}: no '{key}:' line")
    if m["find"] is None or m["replace"] is None:
        raise MutantError(f"{path}: needs a '--- find' and a '--- replace' section")
    if m["find"] == m["replace"]:
        raise MutantError(f"{path}: the replacement is the text it replaces")
    if not m["file"].startswith("reference/"):
        raise MutantError(f"{path}: file {m['file']} is not in reference/")
    return m


def load_mutants(directory=MUTANT_DIR):
    names = sorted(f for f in os.listdir(directory) if f.endswith(".mut"))
    if not names:
        raise MutantError(f"{directory}: no *.mut files")
    return [parse_mutant(os.path.join(directory, f)) for f in names]


def mutate(text, m):
    """text with the mutant's one replacement; MutantError unless the
    find text occurs exactly once."""
    count = text.count(m["find"])
    if count != 1:
        raise MutantError(f"{m['path']}: the find text occurs {count} times in "
                          f"{m['file']}, expected once")
    return text.replace(m["find"], m["replace"])


def check_mutants(mutants, rows, root=ROOT):
    """Problems with the mutants against the current sources and table."""
    profiles = {r["profile"] for r in rows}
    problems = [f"targets.tsv: profile {p} has no server in mutation.py's SERVER_OF"
                for p in sorted(profiles - set(SERVER_OF))]
    for m in mutants:
        try:
            with open(os.path.join(root, m["file"]), encoding="utf-8") as f:
                mutate(f.read(), m)
        except (MutantError, OSError) as e:
            problems.append(str(e))
        for p in m["profiles"]:
            if p not in profiles:
                problems.append(f"{m['path']}: profile {p} has no reference row")
        for p in m["ci"]:
            if p not in (m["profiles"] or profiles):
                problems.append(f"{m['path']}: ci profile {p} is not one of its profiles")
        for o in m["options"]:
            if o not in ("-", "--ipv6", "--unix"):
                problems.append(f"{m['path']}: option {o!r} is not -, --ipv6 or --unix")
    return problems


class Workspace:
    """A throwaway copy of reference/ with its build; one mutant applied
    at a time, each mutant's servers copied to a directory of its own."""

    def __init__(self, keep):
        self.dir = tempfile.mkdtemp(prefix="sockspec-mutation-")
        self.keep, self.stamp = keep, time.time()
        self.build_dir = os.path.join(self.dir, "build")
        try:
            shutil.copytree(os.path.join(ROOT, "reference"),
                            os.path.join(self.dir, "reference"),
                            ignore=shutil.ignore_patterns("tests", "bench"))
            with open(os.path.join(self.dir, "CMakeLists.txt"), "w", encoding="utf-8") as f:
                f.write(TOP_CMAKE)
            self._cmd(["cmake", "-S", self.dir, "-B", self.build_dir])
        except (MutantError, OSError):
            self.close()
            raise

    def _cmd(self, argv):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except OSError as e:
            raise MutantError(f"{argv[0]}: {e.strerror} (scripts/deps.sh installs it)") from e
        if p.returncode != 0:
            raise MutantError(f"{' '.join(argv)} failed:\n{p.stdout[-2000:]}")

    def _write(self, rel, text):
        """Writes the file with an mtime in the future: later than any
        object built so far (all are older than now) and than any write
        before, so the build sees every change, however fast they come."""
        path = os.path.join(self.dir, rel)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.stamp = max(self.stamp, time.time()) + 2
        os.utime(path, (self.stamp, self.stamp))

    def build(self, name, m=None, servers=SERVERS):
        """Builds the servers (mutated by m) into DIR/bin-NAME; returns it."""
        original = None
        if m:
            with open(os.path.join(self.dir, m["file"]), encoding="utf-8") as f:
                original = f.read()
            self._write(m["file"], mutate(original, m))
        try:
            self._cmd(["cmake", "--build", self.build_dir, "-j", str(os.cpu_count() or 2),
                       "--target"] + servers)
        finally:
            if m:
                self._write(m["file"], original)
        out = os.path.join(self.dir, "bin-" + name)
        os.mkdir(out)
        for s in servers:
            shutil.copy2(os.path.join(self.build_dir, "bin", s), out)
        return out

    def close(self):
        if self.keep:
            print(f"mutation.py: kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def runs_of(m, rows, ci=False):
    """The (row, option) runs a mutant needs (for the CI subset: on its
    ci profiles only)."""
    profiles = m["ci"] if ci else m["profiles"]
    chosen = [r for r in rows if not profiles or r["profile"] in profiles]
    return [(r, o) for o in m["options"] for r in chosen]


def with_option(row, option):
    r = dict(row)
    r["options"] = option
    return r


def verdicts(doc):
    """{case id: (verdict, message)} of a report."""
    return {cid: (c["verdict"], c["message"]) for cid, c in matrix.cases_of(doc).items()}


def killers(base, mutant):
    """Cases that passed in the baseline and fail (or error) in the mutant."""
    return sorted(c for c, (v, _msg) in mutant.items() if v in ("fail", "error") and
                  base.get(c, ("",))[0] == "pass")


def key_of(row, option):
    return (row["profile"], row["framing"], option)


def judge_mutant(m, base, results):
    """(status, {option: [profile[ framing]: case, ...]}) for a mutant.
    results maps key_of() to verdicts of the mutant's runs."""
    by_option = {o: [] for o in m["options"]}
    for (profile, framing, option), vs in results.items():
        where = profile if framing == "line" else f"{profile} {framing}"
        by_option[option] += [f"{where}: {c}" for c in killers(base[(profile, framing, option)],
                                                               vs)]
    killed = all(by_option[o] for o in m["options"])
    if m["equivalent"]:
        status = "EQUIVALENT, KILLED" if any(by_option.values()) else "equivalent"
    else:
        status = "killed" if killed else "SURVIVED"
    return status, by_option


def summarize(cases, limit=4):
    """'a, b, c (+N more)', cases grouped by id over profiles."""
    ids = {}
    for c in cases:
        where, _, cid = c.partition(": ")
        ids.setdefault(cid, []).append(where)
    parts = [f"{cid} ({', '.join(w)})" for cid, w in sorted(ids.items())]
    more = f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
    return ", ".join(parts[:limit]) + more


def killed_by(m, by_option):
    if not any(by_option.values()):
        return "-"
    return "; ".join((f"{o}: " if o != "-" else "") + summarize(c)
                     for o, c in by_option.items() if c)


def score(judged):
    """(killed, total, equivalent) of a list of (mutant, status, by_option)."""
    killed = sum(1 for _m, s, _b in judged if s == "killed")
    equivalent = sum(1 for m, _s, _b in judged if m["equivalent"])
    return killed, len(judged), equivalent


def score_line(judged):
    killed, total, equivalent = score(judged)
    alive = total - equivalent
    pct = 100.0 * killed / alive if alive else 100.0
    return (f"score: {killed} killed / ({total} mutants - {equivalent} equivalent) = "
            f"{pct:.1f} %")


def markdown(judged):
    lines = ["| mutant | file | what it breaks | verdict | failing cases |",
             "|---|---|---|---|---|"]
    for m, status, by_option in judged:
        what = m["reason"] + (f" *Equivalent: {m['equivalent']}*" if m["equivalent"] else "")
        lines.append(f"| `{m['name']}` | {m['file'][len('reference/'):]} | {what} | {status} | "
                     f"{killed_by(m, by_option)} |")
    return "\n".join(lines) + "\n"


def print_why(base, results):
    """The message of every case that killed a mutant."""
    for k, vs in sorted(results.items()):
        for cid in killers(base[k], vs):
            print(f"    {' '.join(k)}: {cid}: {vs[cid][0]}: {vs[cid][1][:300]}", file=sys.stderr)


def run_all(mutants, rows, args):
    """Builds every mutant first (a build running beside the cases would
    skew their timing), then runs the unmutated servers' rows and every
    mutant's, args.jobs at a time; returns [(mutant, status, by_option)]."""
    sockspec = os.path.abspath(os.path.join(args.bin, "sockspec"))
    start = time.monotonic()
    ws = Workspace(args.keep)
    try:
        base_bin = ws.build("unmutated")
        bins = []
        for m in mutants:
            servers = sorted({SERVER_OF[r["profile"]] for r, _o in runs_of(m, rows, args.ci)})
            bins.append(ws.build(m["name"], m, servers))
        print(f"mutation.py: built {len(mutants)} mutants in {ws.dir} "
              f"({time.monotonic() - start:.0f} s)", file=sys.stderr)
        need = {key_of(r, o): (r, o) for m in mutants for r, o in runs_of(m, rows, args.ci)}

        def run(row, option, bindir):
            r, status, doc, err, _secs = matrix.run_row(with_option(row, option), bindir,
                                                        args.seed, sockspec)
            if doc is None:
                raise MutantError(f"{bindir}: {matrix.label(r)}: no JSON report (exit "
                                  f"{status}): {err.strip()[-400:]}")
            return verdicts(doc)

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            base_f = {k: pool.submit(run, r, o, base_bin) for k, (r, o) in need.items()}
            pending = [(m, {key_of(r, o): pool.submit(run, r, o, b)
                            for r, o in runs_of(m, rows, args.ci)})
                       for m, b in zip(mutants, bins)]
            base = {k: f.result() for k, f in base_f.items()}
            judged = []
            for m, futs in pending:
                results = {k: f.result() for k, f in futs.items()}
                status, by_option = judge_mutant(m, base, results)
                judged.append((m, status, by_option))
                print(f"{status:10} {m['name']}: {killed_by(m, by_option)}", file=sys.stderr)
                if args.why:
                    print_why(base, results)
        for k, vs in base.items():
            bad = [c for c, (v, _msg) in vs.items() if v in ("fail", "error")]
            if bad:
                print(f"mutation.py: the unmutated servers fail {' '.join(k)}: "
                      f"{', '.join(bad)} (those cases kill nothing)", file=sys.stderr)
        return judged
    finally:
        ws.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"),
                    help="directory with the sockspec to judge with (default build/bin)")
    ap.add_argument("--table", default=os.path.join(HERE, "targets.tsv"),
                    help="where the reference rows come from (default targets.tsv)")
    ap.add_argument("--mutants", default=MUTANT_DIR, help="directory of *.mut files")
    ap.add_argument("--jobs", "-j", type=int, default=4 * (os.cpu_count() or 2),
                    help="runs at the same time (default: 4 per CPU)")
    ap.add_argument("--only", metavar="REGEX", help="mutants whose name matches")
    ap.add_argument("--ci", action="store_true",
                    help="only the mutants with a 'ci:' line, on the profiles it names")
    ap.add_argument("--seed", type=int, default=1, help="sockspec --seed (default 1)")
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--check", action="store_true",
                    help="check that every mutant applies exactly once; build nothing")
    ap.add_argument("--markdown", metavar="FILE", help="also write the matrix to FILE")
    ap.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    ap.add_argument("--why", action="store_true",
                    help="print the message of each case that killed a mutant")
    args = ap.parse_args()
    try:
        mutants = load_mutants(args.mutants)
        rows = [r for r in matrix.parse_table(args.table)
                if r["name"].startswith("ref/") and r["options"] == "-"]
    except (MutantError, matrix.TableError, OSError) as e:
        print(f"mutation.py: {e}", file=sys.stderr)
        return 2
    problems = check_mutants(mutants, rows)
    if problems:
        for p in problems:
            print(f"mutation.py: {p}", file=sys.stderr)
        return 2
    if args.ci:
        mutants = [m for m in mutants if m["ci"]]
    if args.only:
        mutants = [m for m in mutants if re.search(args.only, m["name"])]
    if not mutants:
        print("mutation.py: no mutant selected", file=sys.stderr)
        return 2
    if args.list or args.check:
        for m in mutants:
            eq = f"  [equivalent: {m['equivalent']}]" if m["equivalent"] else ""
            print(f"{m['name']:28} {m['file']:22} {m['reason']}{eq}")
        if args.check:
            print(f"{len(mutants)} mutants, each applies exactly once")
        return 0
    if not matrix.has_sockspec(args.bin, "mutation.py"):
        return 2
    os.environ["TZ"] = RUN_TZ
    start = time.monotonic()
    try:
        judged = run_all(mutants, rows, args)
    except MutantError as e:
        print(f"mutation.py: {e}", file=sys.stderr)
        return 2
    table = markdown(judged)
    print(table)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(table)
    bad = [(m, s) for m, s, _b in judged if s in ("SURVIVED", "EQUIVALENT, KILLED")]
    for m, s in bad:
        print(f"{s}: {m['name']} ({m['path']}): {m['reason']}")
    print(f"{score_line(judged)}; {time.monotonic() - start:.0f} s with {args.jobs} jobs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
