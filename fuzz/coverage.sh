#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make fuzz-coverage: which lines of the code under test the harnesses'
# corpora reach. Builds the harnesses with clang's source-based coverage
# (no sanitizers) through fuzz/build.sh, runs each once over its corpus
# (build-fuzz/live/NAME after make fuzz-run, else its seed corpus), and
# prints llvm-cov's report for the files the harnesses exist to test.
#   coverage.sh FUZZ_BUILD_DIR COVERAGE_BUILD_DIR
set -euo pipefail

[ $# -eq 2 ] || { sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
fuzz_build=$1 build=$2 src=$(cd "$(dirname "$0")/.." && pwd)
flags="-g -O0 -fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link"
CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
	OUT="$build/out" SOCKSPEC_FUZZ_BUILD="$build" "$src/fuzz/build.sh" >"$build.log" 2>&1 ||
	{ tail -20 "$build.log" >&2; exit 1; }
rm -rf "$build/profiles"
mkdir -p "$build/profiles"
objects=()
for bin in "$build"/out/fuzz_*; do
	case $bin in *.*) continue ;; esac
	name=$(basename "$bin")
	corpus="$fuzz_build/live/$name"
	[ -d "$corpus" ] || corpus="$build/corpus/$name"
	LLVM_PROFILE_FILE="$build/profiles/$name.profraw" "$bin" -runs=0 "$corpus" >/dev/null 2>&1
	objects+=(-object "$bin")
	printf '%-24s %6d inputs from %s\n' "$name" "$(find "$corpus" -type f | wc -l)" "$corpus"
done
llvm-profdata merge -sparse "$build"/profiles/*.profraw -o "$build/fuzz.profdata"
llvm-cov report "${objects[@]:1}" -instr-profile="$build/fuzz.profdata" \
	"$src"/reference/{frame,proto,addr}.c "$src"/suite/lang/{lex,parse,parse_data,parse_expect,plan,plan_text}.c
