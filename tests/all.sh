#!/usr/bin/env bash
# The whole test suite, as CI runs it: install the oracles and tools the
# tests need (Debian packages; needs root, skipped when all are present),
# then the plain build's tests, the same tests under ASan+UBSan, and the
# format check.
set -eu
cd "$(dirname "$0")/.."
pkgs="make gcc clang clang-format libclang-rt-14-dev libhivex-bin python3-hivex
      libwin-hivex-perl libregf-utils python3-libregf reglookup libhivex-dev"
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
          awk '$NF != "installed" {print $1}'; for p in $pkgs; do
          dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
    else
        echo "missing packages (run as root to install): $missing" >&2
    fi
fi
make -s format-check
make -s check
make -s asan
