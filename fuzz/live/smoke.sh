#!/bin/bash
# SPDX-License-Identifier: MIT
# The live fuzzer's smoke test (ctest fuzz_live_smoke, in make test):
# bounded runs against reference servers must end without a finding;
# a run against a faulty server must find its bug, leave no process
# behind, and the finding, written as a case, must fail that server
# under `sockspec run` and pass the reference.
#   fuzz/live/smoke.sh BIN_DIR RUNS
set -uo pipefail
# clang 14's ASan reports a false stack-buffer-overflow in its sigaltstack
# interceptor when a thread of the (sanitized) runner ends, with this glibc.
export ASAN_OPTIONS=${ASAN_OPTIONS:-use_sigaltstack=0}
# The runner that checks the cases: the plain build's (make fuzz-smoke
# says where), else one next to the fuzzer.
bin=${1:?usage: smoke.sh BIN_DIR RUNS}
runs=${2:-2000}
runner=${SOCKSPEC_RUNNER:-$bin/sockspec}
[ -x "$runner" ] || { echo "FAIL: no runner at $runner (make builds it; SOCKSPEC_RUNNER says where)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Its own options: --help, and clear errors.
"$bin/sockspec-fuzz" --help | grep -q 'minimize-to-case FILE ARTIFACT' || fail "--help"
out=$("$bin/sockspec-fuzz" --profile nope 2>&1); rc=$?
[ $rc = 2 ] && [ "$out" = 'sockspec-fuzz: --profile: no profile "nope"; sockspec-fuzz --help lists them' ] ||
	fail "unknown profile: exit $rc, \"$out\""

# References: no finding in $runs inputs.
for profile in hello udp-echo ok-iterative; do
	mkdir -p "$work/$profile"
	"$bin/sockspec-fuzz" --profile "$profile" -runs="$runs" -seed=1 -artifact_prefix="$work/$profile/" \
		"$work/$profile/corpus" >"$work/$profile.log" 2>&1 ||
		{ tail -40 "$work/$profile.log"; fail "the reference $profile got a finding"; }
	echo "ok: $profile reference, $runs inputs, no finding"
done

# A faulty hello (keeps the CR of CR LF): found, reaped, turned into a case.
bad="$bin/bad-hello --defect keeps-cr --delay 0 -b {addr}"
mkdir -p "$work/bad/cases"
"$bin/sockspec-fuzz" --profile hello --target "$bad" -runs=20000 -seed=1 \
	-artifact_prefix="$work/bad/" "$work/bad/corpus" >"$work/bad.log" 2>&1
rc=$?
[ $rc != 0 ] || fail "keeps-cr was not found in 20000 inputs"
grep -q '^==[0-9]*== sockspec-fuzz: divergence: connection c[0-9]*: a wrong byte' "$work/bad.log" ||
	{ tail -30 "$work/bad.log"; fail "keeps-cr: no divergence reported"; }
artifact=$(ls "$work"/bad/crash-* 2>/dev/null | head -1)
[ -n "$artifact" ] || fail "keeps-cr: no crash artifact"
addr=$(grep -m1 -o ' at 127\.0\.0\.1:[0-9]*$' "$work/bad.log" | cut -c5-)
[ -n "$addr" ] || fail "keeps-cr: the report names no target address"
sleep 0.5
for cmdline in /proc/[0-9]*/cmdline; do
	{ tr '\0' ' ' <"$cmdline"; } 2>/dev/null | grep -q -- "--defect keeps-cr --delay 0 -b $addr \$" &&
		fail "the faulty target was left running: ${cmdline%/cmdline}"
done
"$bin/sockspec-fuzz" --profile hello --minimize-to-case "$work/bad/cases/found.case" "$artifact" ||
	fail "--minimize-to-case"
"$runner" run --cases "$work/bad/cases" --target "$bad" >"$work/run-bad.txt" 2>&1
[ $? = 1 ] || { cat "$work/bad/cases/found.case" "$work/run-bad.txt"; fail "the case passes keeps-cr"; }
"$runner" run --cases "$work/bad/cases" --target "$bin/ref-hello --delay 0 -b {addr}" \
	>"$work/run-ref.txt" 2>&1 || { cat "$work/bad/cases/found.case" "$work/run-ref.txt"; fail "the case fails the reference"; }
echo "ok: keeps-cr found ($(grep -o 'a wrong byte at byte [0-9]*' "$work/bad.log" | head -1)), its case fails it and passes the reference"
