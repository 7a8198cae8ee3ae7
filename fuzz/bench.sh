#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make fuzz-bench: execs/s of each harness over a fixed number of runs
# from its seed corpus, on one core, next to libFuzzer driving an empty
# target (fuzz_bench_peer) on the same corpus with the same settings in
# the same run; the ratio says what share of libFuzzer's own speed the
# harness keeps. execs/s is runs / wall time of the whole run; libFuzzer's
# own -print_final_stats figure (whole seconds) is shown too.
#   bench.sh BUILD_DIR        (a fuzz/build.sh build without sanitizers)
# BENCH_CPU picks the core it is pinned to (default 0).
set -euo pipefail

[ $# -eq 1 ] || { sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$1 here=$(cd "$(dirname "$0")" && pwd)
[ -x "$build/bin/fuzz_bench_peer" ] || { echo "bench.sh: no $build/bin/fuzz_bench_peer" >&2; exit 2; }

# harness, runs, the issue's target in execs/s
plan="fuzz_line_framer 2000000 500000
fuzz_handler_echo 1000000 100000
fuzz_handler_hello 1000000 100000
fuzz_handler_timestamp 1000000 100000
fuzz_handler_ok 1000000 100000
fuzz_handler_udp_echo 1000000 100000
fuzz_case_parser 300000 50000
fuzz_address 1000000 0"

# Prints "WALL_EXECS_PER_SEC LIBFUZZER_EXECS_PER_SEC" of one run.
measure() {
	local bin=$1 name=$2 runs=$3 scratch log start end max_len
	scratch=$(mktemp -d)
	log="$scratch.log"
	max_len=$(sed -n 's/^max_len *= *//p' "$here/$name.options")
	start=$(date +%s.%N)
	taskset -c "${BENCH_CPU:-0}" "$bin" -runs="$runs" -seed=1 -max_len="$max_len" -print_final_stats=1 \
		"$scratch" "$build/corpus/$name" >"$log" 2>&1 ||
		{ tail -20 "$log" >&2; echo "bench.sh: $bin failed" >&2; exit 1; }
	end=$(date +%s.%N)
	awk -v r="$runs" -v s="$start" -v e="$end" '/average_exec_per_sec/ {printf "%d %d\n", r / (e - s), $2}' "$log"
	rm -rf "$scratch" "$log"
}

printf '%-24s %9s %11s %11s %11s %7s %9s\n' harness runs execs/s libfuzzer peer ratio target
echo "$plan" | while read -r name runs target; do
	read -r got lf < <(measure "$build/bin/$name" "$name" "$runs")
	read -r peer _ < <(measure "$build/bin/fuzz_bench_peer" "$name" "$runs")
	verdict=$([ "$target" -eq 0 ] && echo "-" || { [ "$got" -ge "$target" ] && echo "met" || echo "MISSED"; })
	printf '%-24s %9d %11d %11d %11d %6.2f %9s %s\n' "$name" "$runs" "$got" "$lf" "$peer" \
		"$(awk -v a="$got" -v b="$peer" 'BEGIN {print a / b}')" "$target" "$verdict"
done
