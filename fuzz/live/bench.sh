#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make fuzz-bench, live part: sockspec-fuzz's execs/s against
# ref-echo --mode threaded and ref-hello --delay 0 (a new connection per
# input, schedules from the seeds), with fuzzer and server pinned to one
# core, next to live-bench-peer on the same core against the same server
# in the same run: one plain client exchange per round (connect, a line,
# its reply, half-close, EOF). The ratio, connections per second over the
# peer's rounds per second, says how much of a bare client's rate the
# fuzzer keeps (an input has one connection or more); "short" runs cap inputs at 64 bytes (one or two
# connections), "seeds" at libFuzzer's default.
#   fuzz/live/bench.sh BUILD_DIR   (a fuzz/build.sh build without sanitizers)
# BENCH_CPU picks the core (default 0); LIVE_BENCH_SECONDS the fuzzing time (30).
set -euo pipefail
[ $# -eq 1 ] || { sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
bin=$(cd "$1/bin" && pwd)
cpu=${BENCH_CPU:-0} secs=${LIVE_BENCH_SECONDS:-30}
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The peer's rounds/s against a fresh server: PEER profile command reply_bytes
peer() {
	local cmd=$1 bytes=$2 addr=
	taskset -c "$cpu" $cmd >"$work/server.out" 2>&1 &
	server=$!
	for _ in $(seq 100); do
		addr=$(sed -n 's/^listening on //p' "$work/server.out")
		[ -n "$addr" ] && break
		sleep 0.05
	done
	[ -n "$addr" ] || { echo "bench.sh: $cmd did not say where it listens" >&2; exit 1; }
	taskset -c "$cpu" "$bin/live-bench-peer" "$addr" $'hello\n' "$bytes" 20000
	kill "$server"
	wait "$server" 2>/dev/null || true
	server=
}

# The fuzzer's execs/s: FUZZ profile command [libFuzzer flags]
fuzz() {
	local profile=$1 cmd=$2
	shift 2
	rm -rf "$work/corpus"
	taskset -c "$cpu" "$bin/sockspec-fuzz" --profile "$profile" --target "$cmd" -seed=1 \
		-max_total_time="$secs" -print_final_stats=1 "$@" "$work/corpus" >"$work/fuzz.log" 2>&1 ||
		{ tail -30 "$work/fuzz.log" >&2; echo "bench.sh: a finding against the reference" >&2; exit 1; }
	# execs/s as libFuzzer counts them, and connections/s from the
	# fuzzer's own count at exit over the same time
	awk -v t="$secs" '/^stat::average_exec_per_sec:/ {e = $2}
		/^sockspec-fuzz: [0-9]+ inputs, [0-9]+ connections/ {c = $4}
		END {printf "%d %d\n", e, c / t}' "$work/fuzz.log"
}

printf '%-14s %-6s %9s %9s %9s %7s %8s\n' server inputs execs/s conns/s peer/s ratio "target"
while IFS='|' read -r profile cmd bytes; do
	rate=$(peer "$bin/${cmd/\{addr\}/127.0.0.1:0}" "$bytes")
	for kind in short seeds; do
		flags=()
		[ "$kind" = short ] && flags=(-max_len=64)
		read -r got conns < <(fuzz "$profile" "$bin/$cmd" "${flags[@]}")
		printf '%-14s %-6s %9d %9d %9d %7.2f %8s %s\n' "$profile" "$kind" "$got" "$conns" "$rate" \
			"$(awk -v a="$conns" -v b="$rate" 'BEGIN {print a / b}')" 2000 \
			"$([ "$got" -ge 2000 ] && echo met || echo MISSED)"
	done
done <<'ROWS'
echo-threaded|ref-echo --mode threaded -b {addr}|6
hello|ref-hello --delay 0 -b {addr}|23
ROWS
