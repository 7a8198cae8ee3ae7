#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the libFuzzer harnesses the ways make test, make fuzz-run and
# make fuzz-bench need:
#   run.sh check  OUT                       the OSS-Fuzz contract: every fuzzer in OUT with
#                                           its seed corpus zip, .options and (where tokens
#                                           help) .dict; each runs its whole seed corpus
#   run.sh smoke  HARNESS CORPUS_DIR RUNS   RUNS inputs from the corpus on (env
#                                           SOCKSPEC_FUZZ_RUNS overrides); new inputs go
#                                           to a scratch directory
#   run.sh replay HARNESS DIR               every file of DIR once (committed crash
#                                           inputs); each must pass now
#   run.sh bench  HARNESS CORPUS_DIR RUNS   prints "HARNESS EXECS_PER_SEC"
#   run.sh fuzz   HARNESS CORPUS_DIR SECONDS  fuzzes for SECONDS, growing CORPUS_DIR; a
#                                           crash input is left in CORPUS_DIR/../crashes/
# Any crash, leak or property failure makes it exit non-zero.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() {
	sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# The harnesses: fuzz/fuzz_*.c but the kit (fuzz/CMakeLists.txt agrees).
harnesses() {
	for f in "$here"/fuzz_*.c; do
		f=$(basename "$f" .c)
		[ "$f" = fuzz_kit ] || echo "$f"
	done
}

# Any bytes are alike to these: a dictionary would not help.
no_dict="fuzz_handler_echo fuzz_handler_udp_echo"

check() {
	local out=$1 name corpus missing=0 total=0
	for name in $(harnesses); do
		for f in "$name" "${name}_seed_corpus.zip" "$name.options"; do
			[ -s "$out/$f" ] || { echo "run.sh check: $out/$f is missing" >&2; missing=1; }
		done
		case " $no_dict " in
		*" $name "*) ;;
		*) [ -s "$out/$name.dict" ] || { echo "run.sh check: $out/$name.dict is missing" >&2; missing=1; } ;;
		esac
		[ -x "$out/$name" ] || { echo "run.sh check: $out/$name is not executable" >&2; missing=1; }
		grep -q '^\[libfuzzer\]' "$out/$name.options" 2>/dev/null ||
			{ echo "run.sh check: $out/$name.options has no [libfuzzer] section" >&2; missing=1; }
	done
	[ "$missing" -eq 0 ] || exit 1
	for name in $(harnesses); do
		corpus=$(mktemp -d)
		python3 -m zipfile -e "$out/${name}_seed_corpus.zip" "$corpus"
		n=$(find "$corpus" -type f | wc -l)
		[ "$n" -gt 0 ] || { echo "run.sh check: ${name}_seed_corpus.zip is empty" >&2; exit 1; }
		if ! "$out/$name" -runs=0 "$corpus" >"$corpus.log" 2>&1; then
			tail -30 "$corpus.log" >&2
			echo "run.sh check: $name failed on its seed corpus" >&2
			exit 1
		fi
		rm -rf "$corpus" "$corpus.log"
		total=$((total + n))
		printf '%-24s ran its %d seeds\n' "$name" "$n"
	done
	echo "run.sh check: $(harnesses | wc -l) fuzzers in $out follow the contract ($total seeds run)"
}

[ $# -ge 2 ] || usage
if [ "$1" = check ]; then
	[ -d "$2" ] || { echo "run.sh: no directory $2 (run make fuzz)" >&2; exit 2; }
	check "$2"
	exit 0
fi
[ $# -ge 3 ] || usage
mode=$1 harness=$2 dir=$3
[ -x "$harness" ] || { echo "run.sh: no harness at $harness (run make fuzz)" >&2; exit 2; }
[ -d "$dir" ] || { echo "run.sh: no directory $dir" >&2; exit 2; }

# The harness's max_len and dictionary, as OSS-Fuzz would pass them
# (NAME.options, and NAME.dict: here, next to the harness as build.sh's
# $OUT has it, or generated next to the corpus).
name=$(basename "$harness")
max_len=$(sed -n 's/^max_len *= *//p' "$here/$name.options" 2>/dev/null || true)
dict=
for d in "$here/$name.dict" "$(dirname "$harness")/$name.dict" "$(dirname "$dir")/$name.dict"; do
	[ -f "$d" ] && dict=$d && break
done

case "$mode" in
smoke | bench)
	[ $# -eq 4 ] || usage
	runs=$4
	[ "$mode" = smoke ] && runs=${SOCKSPEC_FUZZ_RUNS:-$4}
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
	log="$scratch/log"
	status=0
	"$harness" -runs="$runs" -seed=1 ${max_len:+-max_len=$max_len} -print_final_stats=1 \
		"$scratch" "$dir" >"$log" 2>&1 || status=$?
	if [ "$status" -ne 0 ]; then
		tail -40 "$log" >&2
		echo "run.sh: $name failed (exit $status)" >&2
		exit 1
	fi
	if [ "$mode" = bench ]; then
		awk -v name="$name" '/stat::average_exec_per_sec:/ {print name, $2}' "$log"
	else
		grep -E '^(Done|stat::number_of_executed_units)' "$log" || true
	fi
	;;
fuzz)
	[ $# -eq 4 ] || usage
	crashes="$(dirname "$dir")/crashes/$name"
	mkdir -p "$crashes"
	"$harness" -max_total_time="$4" ${max_len:+-max_len=$max_len} ${dict:+-dict=$dict} \
		-print_final_stats=1 -artifact_prefix="$crashes/" "$dir"
	;;
replay)
	mapfile -t files < <(find "$dir" -type f ! -name '*.md' | sort)
	[ ${#files[@]} -gt 0 ] || { echo "run.sh: no inputs in $dir" >&2; exit 2; }
	"$harness" "${files[@]}"
	echo "replayed ${#files[@]} input(s) from $dir"
	;;
*)
	usage
	;;
esac
