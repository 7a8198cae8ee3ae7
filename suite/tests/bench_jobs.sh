#!/bin/sh
# SPDX-License-Identifier: MIT
# -j measured: the echo-threaded profile against slow_echo.py (a Python
# echo-threaded server that takes 0.2 s to start), -j 1 and -j 2 in turn,
# ROUNDS times; prints every wall time, the best of each, their ratio,
# and fails when the verdicts of any two runs differ.
# usage: suite/tests/bench_jobs.sh [BIN_DIR] [ROUNDS]   (default build/bin, 3)
set -eu
bin=${1:-build/bin}
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python=${PYTHON:-python3}
target="$python $here/slow_echo.py {port}"
verdicts() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("\n".join(c["id"] + " " + c["verdict"] for r in d["runs"] for c in r["cases"]))' "$1"
}
r=1
while [ "$r" -le "$rounds" ]; do
	for j in 1 2; do
		start=$(date +%s.%N)
		"$bin/sockspec" run --profile echo-threaded --target "$target" -j "$j" --seed 7 \
			--format json --output "$out/j$j.$r.json" >/dev/null || true
		end=$(date +%s.%N)
		secs=$(awk "BEGIN { printf \"%.2f\", $end - $start }")
		echo "round $r: -j $j: $secs s ($(uptime | sed 's/.*load average: //') load)"
		echo "$secs" >>"$out/times.$j"
		verdicts "$out/j$j.$r.json" >"$out/v.$j.$r"
		cmp -s "$out/v.1.1" "$out/v.$j.$r" || { echo "verdicts differ:"; diff "$out/v.1.1" "$out/v.$j.$r"; exit 1; }
	done
	r=$((r + 1))
done
best1=$(sort -n "$out/times.1" | head -1)
best2=$(sort -n "$out/times.2" | head -1)
echo "best: -j 1 $best1 s, -j 2 $best2 s: $(awk "BEGIN { printf \"%.2f\", $best1 / $best2 }")x" \
	"(identical verdicts: $(grep -c ' pass$' "$out/v.1.1") pass," \
	"$(grep -vc ' pass$' "$out/v.1.1") other)"
