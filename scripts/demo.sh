#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: every profile against its bundled reference server, both
# framings where a profile has two, ending with the table by family.
# Usage: scripts/demo.sh BIN_DIR
set -euo pipefail
bin=${1:-build/bin}
exec "$bin/sockspec" run --all
