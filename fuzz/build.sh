#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer harnesses following the OSS-Fuzz build contract,
# so OSS-Fuzz and ClusterFuzzLite (.clusterfuzzlite/build.sh) run it as
# it is, and make fuzz runs it with local defaults:
#   compiles with $CC $CFLAGS, links with $CXX $CXXFLAGS ... $LIB_FUZZING_ENGINE,
#   and puts into $OUT: each fuzzer, <name>_seed_corpus.zip, <name>.options
#   and, where tokens help, <name>.dict.
# Optional: SOCKSPEC_FUZZ_BUILD, the CMake build directory (default
# $WORK/sockspec-fuzz, or $OUT/.build without $WORK).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
for var in CC CXX LIB_FUZZING_ENGINE OUT; do
	if [ -z "${!var:-}" ]; then
		echo "fuzz/build.sh: $var is not set (the OSS-Fuzz build contract: CC CXX CFLAGS" \
			"CXXFLAGS LIB_FUZZING_ENGINE OUT; make fuzz sets them for you)" >&2
		exit 2
	fi
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
build=${SOCKSPEC_FUZZ_BUILD:-${WORK:+$WORK/sockspec-fuzz}}
build=${build:-$OUT/.build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

# The harnesses are fuzz/fuzz_*.c but for the shared kit.
fuzzers=()
for f in "$src"/fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	[ "$name" = fuzz_kit ] || fuzzers+=("$name")
done

# CMake takes CC, CXX, CFLAGS and CXXFLAGS from the environment. The
# build type "Fuzz" adds no flags of its own (no -DNDEBUG: asserts stay),
# and warnings are not errors: a newer compiler must not stop fuzzing.
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Fuzz -DSOCKSPEC_FUZZ=ON \
	-DSOCKSPEC_TESTS=OFF -DSOCKSPEC_BENCH=OFF -DSOCKSPEC_WERROR=OFF \
	-DSOCKSPEC_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" >/dev/null
# sockspec-fuzz (the live fuzzer) and the servers it fuzzes are built
# next to the harnesses, in $build/bin; they are not OSS-Fuzz fuzzers
# (fuzz/README.md says how to run the live fuzzer under ClusterFuzzLite).
live=(sockspec-fuzz live-bench-peer ref-echo ref-udp-echo ref-hello ref-timestamp ref-accept-close ref-ok
	bad-echo bad-hello bad-ok bad-timestamp bad-udp-echo bad-accept-close)
cmake --build "$build" -j"$jobs" --target "${fuzzers[@]}" "${live[@]}" -- --no-print-directory

rm -rf "$build/corpus"
python3 "$src/fuzz/seeds.py" "$src" "$build/corpus" >/dev/null
for name in "${fuzzers[@]}"; do
	cp "$build/bin/$name" "$OUT/$name"
	cp "$src/fuzz/$name.options" "$OUT/$name.options"
	for dict in "$src/fuzz/$name.dict" "$build/corpus/$name.dict"; do
		[ -f "$dict" ] && cp "$dict" "$OUT/$name.dict"
	done
	rm -f "$OUT/${name}_seed_corpus.zip"
	(cd "$build/corpus/$name" && python3 -m zipfile -c "$OUT/${name}_seed_corpus.zip" .)
done
echo "fuzz/build.sh: ${#fuzzers[@]} fuzzers in $OUT"
