#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Plants a known bug in a throwaway copy of the committed tree, builds
# the matching harness as make fuzz does, and fuzzes it from its seed
# corpus until it crashes: how long the harness takes to find the bug.
#   planted.sh framer-bound   frame.c accepts a line one byte over max_line
#   planted.sh hello-exit     the hello handler ends on any line starting "exit"
#   planted.sh ok-overhead    the ok handler's reply drops its last byte
#   planted.sh timestamp-day  ctime's day of the month zero-padded ("Nov 01", not "Nov  1")
# Prints the seconds to the crash and the crashing input; exits 1 when
# the harness found nothing within LIMIT seconds (default 120). With
# SEEDS=0 the fuzzer starts from nothing instead of the seed corpus.
set -euo pipefail

[ $# -eq 1 ] || { sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
limit=${LIMIT:-120}
case "$1" in
framer-bound)
	harness=fuzz_line_framer file=reference/frame.c
	find='if (content > f->max_line) {' replace='if (content > f->max_line + 1) {' ;;
hello-exit)
	harness=fuzz_handler_hello file=reference/proto.c
	find='if (msg->len == 4 && memcmp(msg->data, "exit", 4) == 0) {'
	replace='if (msg->len >= 4 && memcmp(msg->data, "exit", 4) == 0) {' ;;
ok-overhead)
	harness=fuzz_handler_ok file=reference/proto.c
	find='return compose("OK...", msg, "", out, cap, out_len);'
	replace='int rc = compose("OK...", msg, "", out, cap, out_len); if (*out_len > 5) (*out_len)--; return rc;' ;;
timestamp-day)
	harness=fuzz_handler_timestamp file=reference/proto.c
	find="p = two_digits(p + 8, (unsigned)tm->tm_mday % 100, ' ');"
	replace="p = two_digits(p + 8, (unsigned)tm->tm_mday % 100, '0');" ;;
*)
	echo "planted.sh: unknown bug '$1' (framer-bound, hello-exit, ok-overhead or" \
		"timestamp-day)" >&2
	exit 2 ;;
esac

src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$src" archive HEAD | tar -x -C "$work"
FIND=$find REPLACE=$replace python3 - "$work/$file" <<'PY'
import os, sys
path = sys.argv[1]
text = open(path).read()
if text.count(os.environ["FIND"]) != 1:
    sys.exit("planted.sh: the code to break is not in %s exactly once" % path)
open(path, "w").write(text.replace(os.environ["FIND"], os.environ["REPLACE"]))
PY
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link"
CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
	OUT="$work/out" SOCKSPEC_FUZZ_BUILD="$work/build" "$work/fuzz/build.sh" >"$work/build.log" 2>&1 ||
	{ tail -20 "$work/build.log" >&2; exit 1; }
mkdir -p "$work/corpus" "$work/crash"
[ "${SEEDS:-1}" = 0 ] || cp "$work/build/corpus/$harness"/* "$work/corpus/"
dict=$(ls "$work/out/$harness.dict" 2>/dev/null || true)
max_len=$(sed -n 's/^max_len *= *//p' "$work/out/$harness.options")
start=$(date +%s.%N)
status=0
"$work/out/$harness" -max_total_time="$limit" -max_len="$max_len" ${dict:+-dict=$dict} \
	-artifact_prefix="$work/crash/" "$work/corpus" >"$work/fuzz.log" 2>&1 || status=$?
end=$(date +%s.%N)
if [ "$status" -eq 0 ]; then
	echo "planted.sh: $harness did not find $1 in $limit s"
	exit 1
fi
grep -m1 -E "fuzz property failed|ERROR: AddressSanitizer|runtime error" "$work/fuzz.log" || true
crash=$(ls "$work/crash"/* | head -1)
mkdir -p "${KEEP:-$src/build-fuzz/planted}"
cp "$crash" "${KEEP:-$src/build-fuzz/planted}/$1-$(basename "$crash")"
printf 'planted.sh: %s found %s in %.1f s (input kept as %s)\n' "$harness" "$1" \
	"$(echo "$end - $start" | bc)" "${KEEP:-$src/build-fuzz/planted}/$1-$(basename "$crash")"
