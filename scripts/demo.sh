#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: starts each bundled reference server on a free port and
# checks it with the sockspec runner. Usage: scripts/demo.sh BIN_DIR
set -euo pipefail
bin=${1:-build/bin}
if [ -x "$bin/sockspec" ]; then
	exec "$bin/sockspec" run --all
fi
exec python3 "$(dirname "$0")/smoke.py" "$bin"
