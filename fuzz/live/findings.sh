#!/bin/bash
# SPDX-License-Identifier: MIT
# Time to finding: runs sockspec-fuzz against each faulty server of
# targets/ (one planted bug each) until its first finding, for at most
# its budget, pinned to one core; turns the artifact into a case file
# with --minimize-to-case and checks that `sockspec run --cases` fails
# the faulty server with it and passes the reference. Prints a markdown
# table (fuzz/README.md has the last one). FINDINGS_SEEDS=0 starts from
# an empty input instead of the seed schedules.
#   fuzz/live/findings.sh BIN_DIR [WORK_DIR] [NAME_REGEX]
set -uo pipefail
# clang 14's ASan reports a false stack-buffer-overflow in its sigaltstack
# interceptor when a thread of the (sanitized) runner ends, with this glibc.
export ASAN_OPTIONS=${ASAN_OPTIONS:-use_sigaltstack=0}
# The runner that checks the cases: the plain build's (make fuzz-smoke
# says where), else one next to the fuzzer.
bin=$(cd "${1:?usage: findings.sh BIN_DIR [WORK_DIR] [NAME_REGEX]}" && pwd)
work=${2:-$(mktemp -d)}
only=${3:-.}
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
runner=${SOCKSPEC_RUNNER:-$bin/sockspec}
[ -x "$runner" ] || { echo "findings.sh: no runner at $runner (SOCKSPEC_RUNNER says where)" >&2; exit 2; }

# name | profile | budget (s) | faulty command | reference command
rows=(
"drops-last-byte|ok-threaded|120|{bin}/bad-ok --mode threaded --defect drops-last-byte -b {addr}|{bin}/ref-ok --mode threaded -b {addr}"
"keeps-cr|hello|120|{bin}/bad-hello --defect keeps-cr --delay 0 -b {addr}|{bin}/ref-hello --delay 0 -b {addr}"
"crosstalk|echo-threaded|120|{bin}/bad-echo --mode threaded --defect crosstalk -b {addr}|{bin}/ref-echo --mode threaded -b {addr}"
"udp-truncate-1024|udp-echo|120|{bin}/bad-udp-echo --defect truncate -b {addr}|{bin}/ref-udp-echo -b {addr}"
"iso-format|timestamp|120|{bin}/bad-timestamp --defect iso-format -b {addr}|{bin}/ref-timestamp -b {addr}"
"no-close-on-exit|hello|120|{bin}/bad-hello --defect no-close-on-exit --delay 0 -b {addr}|{bin}/ref-hello --delay 0 -b {addr}"
"empty-exits|echo-threaded|120|{bin}/bad-echo --mode threaded --defect empty-exits -b {addr}|{bin}/ref-echo --mode threaded -b {addr}"
"split-crash|hello|300|{bin}/bad-hello --defect split-crash --delay 0 -b {addr}|{bin}/ref-hello --delay 0 -b {addr}"
"fd-leak|echo-threaded|120|{bin}/bad-echo --mode threaded --defect fd-leak -b {addr}|{bin}/ref-echo --mode threaded -b {addr}"
"python-halfclose|ok-threaded|300|python3 -u $src/targets/python/bad_ok_halfclose.py {port} {host}|{bin}/ref-ok --mode threaded -b {addr}"
)

echo "| bug | profile | found after | finding | case fails it | case passes the reference |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
	IFS='|' read -r name profile budget bad ref <<<"$row"
	[[ $name =~ $only ]] || continue
	dir=$work/$name
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/cases"
	[ "${FINDINGS_SEEDS:-1}" = 0 ] && : >"$dir/corpus/empty"
	start=$(date +%s.%N)
	taskset -c "${FINDINGS_CPU:-0}" "$bin/sockspec-fuzz" --profile "$profile" --target "$bad" \
		-max_total_time="$budget" -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
	artifact=$(ls "$dir"/crash-* 2>/dev/null | head -1)
	if [ $rc -eq 0 ] || [ -z "$artifact" ]; then
		echo "| $name | $profile | not in ${budget} s | - | - | - |"
		continue
	fi
	what=$(grep -m1 -o 'sockspec-fuzz: [a-z ]*: .*' "$dir/log" | cut -c16- | cut -c1-90 | tr '|' '/')
	"$bin/sockspec-fuzz" --profile "$profile" --minimize-to-case "$dir/cases/found.case" "$artifact"
	verdict() {
		"$runner" run --cases "$dir/cases" --target "$1" >"$dir/run-$2.txt" 2>&1
		echo $?
	}
	fails=$(verdict "$bad" bad)
	passes=$(verdict "$ref" ref)
	printf '| %s | %s | %.1f s | %s | %s | %s |\n' "$name" "$profile" "$took" "$what" \
		"$([ "$fails" = 1 ] && echo yes || echo "NO (exit $fails)")" \
		"$([ "$passes" = 0 ] && echo yes || echo "NO (exit $passes)")"
done
