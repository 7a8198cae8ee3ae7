#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: the conformance suite against the bundled reference servers
# (every profile that has cases), then one exchange with each reference
# server whose profile has no cases yet. Usage: scripts/demo.sh BIN_DIR
set -euo pipefail
bin=${1:-build/bin}
here=$(dirname "$0")
status=0
"$bin/sockspec" run --all || status=$?
echo
echo "== one exchange with each reference server"
python3 "$here/smoke.py" "$bin" || status=$?
exit $status
