#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a libFuzzer harness the ways make test and make fuzz-bench need:
#   run.sh smoke  HARNESS CORPUS_DIR RUNS   RUNS inputs from the corpus on; new
#                                           inputs go to a scratch directory
#   run.sh replay HARNESS DIR               every file of DIR once (committed
#                                           crash inputs); each must pass now
#   run.sh bench  HARNESS CORPUS_DIR RUNS   prints "HARNESS EXECS_PER_SEC"
#   run.sh fuzz   HARNESS CORPUS_DIR SECONDS  fuzzes for SECONDS, growing CORPUS_DIR;
#                                           a crash input is left in CORPUS_DIR/../crashes/
# Any crash, leak or property failure makes it exit non-zero.
set -euo pipefail

usage() {
	sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 3 ] || usage
mode=$1 harness=$2 dir=$3
[ -x "$harness" ] || { echo "run.sh: no harness at $harness (run make fuzz)" >&2; exit 2; }
[ -d "$dir" ] || { echo "run.sh: no directory $dir" >&2; exit 2; }

# The harness's max_len and dictionary, as OSS-Fuzz would pass them
# (NAME.options, and NAME.dict here or generated next to the corpus).
name=$(basename "$harness")
options="$(dirname "$0")/$name.options"
max_len=$(sed -n 's/^max_len *= *//p' "$options" 2>/dev/null || true)
dict=
for d in "$(dirname "$0")/$name.dict" "$(dirname "$dir")/$name.dict"; do
	[ -f "$d" ] && dict=$d && break
done

case "$mode" in
smoke | bench)
	[ $# -eq 4 ] || usage
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
	log="$scratch/log"
	status=0
	"$harness" -runs="$4" -seed=1 ${max_len:+-max_len=$max_len} -print_final_stats=1 \
		"$scratch" "$dir" >"$log" 2>&1 || status=$?
	if [ "$status" -ne 0 ]; then
		tail -40 "$log" >&2
		echo "run.sh: $(basename "$harness") failed (exit $status)" >&2
		exit 1
	fi
	if [ "$mode" = bench ]; then
		awk -v name="$(basename "$harness")" '/stat::average_exec_per_sec:/ {print name, $2}' "$log"
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
