#!/usr/bin/env bash
# The whole test suite, as CI runs it: install the oracles and tools the
# tests need (Debian packages; needs root, skipped when all are present),
# then the format check, the plain build's tests, the same tests under
# ASan+UBSan (both replay every fuzz/corpus/TARGET/), a Valgrind run and a
# short run of every libFuzzer target.
set -eu
cd "$(dirname "$0")/.."
pkgs="make gcc clang clang-format libclang-rt-14-dev libhivex-bin python3-hivex
      libwin-hivex-perl libregf-utils python3-libregf reglookup libhivex-dev
      valgrind"
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
# Each stage stops the script on failure (set -e), so reaching the end
# means every stage passed; the last line sums them up.
stages=0 skipped=0
make -s format-check && stages=$((stages + 1))
make -s check && stages=$((stages + 1))
make -s asan && stages=$((stages + 1))
# Memcheck of the unit tests, corpus replays and CLI commands (~1 min).
make -s valgrind && stages=$((stages + 1))
# Each libFuzzer target briefly (FUZZ_SECONDS each, default 15: ~2 min
# with the build), seeded with fuzz/corpus/TARGET and the shared corpus.
if command -v clang >/dev/null 2>&1; then
    make -s fuzz
    for src in fuzz/*_fuzz.c; do
        t=$(basename "$src" _fuzz.c)
        log=$(mktemp)
        if fuzz/run.sh "$t" "${FUZZ_SECONDS:-15}" >"$log" 2>&1; then
            echo "fuzz/$t: $(grep -o 'number_of_executed_units: [0-9]*' "$log")"
            rm -f "$log"
        else
            tail -n 60 "$log"
            echo "fuzz/$t: FAILED (artifacts in fuzz/artifacts/$t/)" >&2
            rm -f "$log"
            exit 1
        fi
    done
    stages=$((stages + 1))
else
    echo "clang not installed: libFuzzer runs skipped" >&2
    skipped=1
fi
# Stages: format, tests, asan, valgrind, fuzz.
echo "stages: $stages passed, 0 failed, $skipped skipped"
