#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that the Debian packages sockspec needs are installed; installs
# the missing ones with apt-get when run as root, otherwise prints the
# exact command to run and stops.
#   scripts/deps.sh            build and test dependencies
#   scripts/deps.sh bench      ... (the benchmark's peer, socat, is already in)
#   scripts/deps.sh fuzz       ... plus clang with libFuzzer
set -euo pipefail

# nodejs and socat: the tests check the runner against servers nobody
# here wrote (a Node.js echo server, socat fork EXEC:cat). libxml2-utils
# (xmllint) and perl (prove): the JUnit report is checked against its
# schema and the TAP report by prove.
packages=(cmake make gcc libc6-dev pkg-config libcmocka-dev libuv1-dev libpcre2-dev python3
	nodejs socat libxml2-utils perl)
# chromium: the report_html test renders the HTML report in headless Chromium.
packages+=(chromium)
for extra in "$@"; do
	case "$extra" in
	bench) ;;
	fuzz) packages+=(clang libclang-rt-dev) ;;
	*) echo "deps.sh: unknown set '$extra' (expected bench or fuzz)" >&2; exit 2 ;;
	esac
done
# man-db and mandoc: the install test (suite/tests/test_install.py)
# renders sockspec(1) with man -l and lints it with mandoc -Tlint.
packages+=(man-db mandoc)
# redis-server: the RESP example suite (suite/examples/redis) runs against it.
packages+=(redis-server)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "sockspec needs these Debian packages: ${missing[*]}" >&2
	echo "run:  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Without recommends: chromium's alone (cups, samba, systemd, upower) are
# a hundred packages no test uses, and a minute of CI.
install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
if ! "${install[@]}" >/dev/null 2>&1; then
	apt-get update -qq
	"${install[@]}"
fi
