#!/usr/bin/env bash
# Run one libFuzzer target for a while.
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer args]
# TARGET is hive, check, export, log, regparse or edit.  Builds
# build-fuzz/TARGET_fuzz (clang, -fsanitize=fuzzer,address,undefined),
# seeds a temporary working corpus with fuzz/corpus/TARGET/ plus the small
# files (< 64 KiB) of $CORPUS (the shared test corpus, read-only, if
# present) framed for the target by fuzz/seed.py, and fuzzes for SECONDS.
# KEEP=DIR keeps the working corpus in DIR (for diff_hivex) instead of a
# temporary directory.
# Crashes, leaks and timeouts are written to fuzz/artifacts/TARGET/; add
# the reproducer to fuzz/corpus/TARGET/ once the library is fixed.
set -eu
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
secs=${2:-240}
shift 2 || true
make -s "build-fuzz/${target}_fuzz"
if [ -n "${KEEP:-}" ]; then
    work=$KEEP
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/rh-fuzz-$target.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
cp fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
corpus=${CORPUS:-$(cd .. && pwd)/shared/corpus}
if [ -d "$corpus" ]; then
    python3 fuzz/seed.py "$target" "$corpus" "$work" || true
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
[ -n "${EXTRA_SEEDS:-}" ] && cp "$EXTRA_SEEDS"/* "$work"/
mkdir -p "fuzz/artifacts/$target"
"build-fuzz/${target}_fuzz" -max_total_time="$secs" -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$target/" "$@" "$work"
