#!/usr/bin/env bash
# Valgrind (memcheck) run: every unit test binary, every fuzz corpus replay
# and a few CLI commands (read, check, export, edit cycle on a temp copy),
# each under valgrind --leak-check=full; --error-exitcode=99 (not 1: reghive
# check exits 1 for a damaged hive, which is not a memory error).  Plain
# build in $B (default build/); `make valgrind` builds it first.  Skips
# (77) when valgrind is not installed.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
CORPUS=${CORPUS:-$(cd .. && pwd)/shared/corpus}
vg() { valgrind -q --error-exitcode=99 --leak-check=full \
       --errors-for-leak-kinds=definite,indirect "$@"; }
fail=0 n=0
run() { # command...: valgrind must report nothing (the exit status is
        # ignored except valgrind's own 99 and deaths by signal)
    n=$((n + 1))
    out=$(vg "$@" 2>&1)
    rc=$?
    if [ $rc -eq 99 ] || [ $rc -gt 128 ] || printf '%s' "$out" | grep -q '^==[0-9]*=='; then
        fail=$((fail + 1)); printf 'FAIL (valgrind) %s\n%s\n' "$*" "$out" | tail -n 40
    fi
}
for t in "$B"/tests/test_*; do
    [ -x "$t" ] && run "$t"
done
for t in "$B"/fuzz/*-replay; do
    name=$(basename "$t" -replay); name=${name%_fuzz}
    [ -d "fuzz/corpus/$name" ] && run "$t" "fuzz/corpus/$name"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
R=$B/reghive
run "$R" new "$tmp/new.hive"
run "$R" add "$tmp/new.hive" 'Software\Test' -v Name -t REG_SZ -d hello -f
run "$R" add "$tmp/new.hive" 'Software\Test' -v Big -t REG_BINARY --data-file "$R" -f
run "$R" rename "$tmp/new.hive" 'Software\Test' Renamed
run "$R" export "$tmp/new.hive" -o "$tmp/new.reg"
run "$R" import "$tmp/new.hive" "$tmp/new.reg" --dry-run
run "$R" delete "$tmp/new.hive" 'Software' -f
run "$R" check "$tmp/new.hive"
for h in "$CORPUS"/hivex/minimal "$CORPUS"/python-registry/issue22.hive \
         "$CORPUS"/yarp/NewDirtyHive1/NewDirtyHive; do
    [ -f "$h" ] || continue
    cp "$h"* "$tmp"/ 2>/dev/null
    c=$tmp/$(basename "$h")
    run "$R" info "$c"
    run "$R" check "$c"
    run "$R" query "$c" -s
    run "$R" export "$c" --json -o "$tmp/out.json"
done
echo "valgrind: $n runs, $fail with errors"
[ $fail -eq 0 ]
