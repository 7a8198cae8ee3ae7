#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps suite/ layered (see suite/README.md): every #include "..." in
suite/ must point to the same layer or a lower one, a layer's internal
header (*_int.h) is for its own directory, and the modules of a layer
(foo.c with foo.h) must not include each other in a circle.

usage: check_layers.py [SUITE_DIR]   (standard library only; exit 1 on a violation)
"""
import os
import re
import sys

# Lowest first. Equal rank: independent layers that must not include each other.
LAYERS = {"base": 0, "lang": 1, "report": 1, "target": 1, "engine": 2, "run": 3, "cli": 4}
EXTERNAL = {"addr.h", "net.h"}  # reference/: the protocol core below everything
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(suite, path):
    rel = os.path.relpath(path, suite).split(os.sep)
    if rel[0] in LAYERS:
        return rel[0]
    if rel[0] == "tests":
        return "cli"
    return "cli" if rel[-1] == "main.c" else "run"


def sources(suite):
    for root, _, files in os.walk(suite):
        for name in files:
            if name.endswith((".c", ".h")):
                yield os.path.join(root, name)


def main():
    suite = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
    files = sorted(sources(suite))
    headers = {}
    for f in files:
        if f.endswith(".h") and os.sep + "tests" + os.sep not in f:
            headers.setdefault(os.path.basename(f), []).append(f)
    problems, edges = [], {}
    for f in files:
        here = layer_of(suite, f)
        with open(f, encoding="utf-8", errors="replace") as fh:
            includes = INCLUDE.findall(fh.read())
        for inc in includes:
            local = os.path.join(os.path.dirname(f), inc)
            if os.path.exists(local):
                target = local
            elif inc in headers and len(headers[inc]) == 1:
                target = headers[inc][0]
            elif inc in EXTERNAL or inc.endswith("_data.c"):
                continue
            else:
                problems.append(f"{os.path.relpath(f, suite)}: #include \"{inc}\" is not a "
                                "suite header (or is ambiguous)")
                continue
            there = layer_of(suite, target)
            rel = os.path.relpath(f, suite)
            if there != here and LAYERS[there] >= LAYERS[here]:
                problems.append(f"{rel}: layer {here} includes \"{inc}\" of layer {there}, "
                                "which is not below it")
            if inc.endswith("_int.h") and os.path.dirname(target) != os.path.dirname(f):
                problems.append(f"{rel}: includes internal header {inc} of another directory")
            module = os.path.splitext(os.path.basename(f))[0]
            dep = os.path.splitext(os.path.basename(target))[0]
            internal = inc.endswith("_int.h") or module.endswith("_int")
            if (there == here and dep != module and not internal
                    and os.sep + "tests" + os.sep not in f):
                edges.setdefault(module, set()).add(dep)
    problems += cycles(edges)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"layers ok: {len(files)} files")
    return 0


def cycles(edges):
    """Circles among modules of one layer, as 'a -> b -> a'."""
    found, state = [], {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                loop = path[path.index(nxt):] + [nxt]
                found.append("circle: " + " -> ".join(loop))
            elif not state.get(nxt):
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if not state.get(node):
            visit(node, [node])
    return found


if __name__ == "__main__":
    sys.exit(main())
