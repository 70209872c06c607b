#!/usr/bin/env bash
# Run every test: unit binaries, header check, fuzz-corpus replay, CLI
# scripts (tests/cli/*.sh) and oracle comparisons (tests/oracle/*.py).
# Tests are discovered by name, so a new test file needs no edit here.
# Prints "N passed, N failed, N skipped" last; exits non-zero on failure.
# A suite that ran only in part (e.g. its corpus part skipped: no
# ../shared/corpus) prints a line "partial: WHY"; it passes, and its PASS
# line shows why.
set -u
B=${B:-build}
export B
export REGHIVE="$PWD/$B/reghive"
# The test build's CLI (make testing): the same commands plus the RH_TEST_*
# crash/failure hooks, for the tests that drive them.
export REGHIVE_TEST="$PWD/$B/reghive-test"
export CORPUS=${CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus}
export PYTHON=${PYTHON:-/usr/bin/python3}
pass=0 fail=0 skip=0 partial=0 failed=()

run() { # name, command...
    local name=$1 out rc
    shift
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        local why
        why=$(printf '%s\n' "$out" | sed -n 's/^partial: //p' | head -n 1)
        if [ -n "$why" ]; then
            partial=$((partial + 1)); printf 'PASS %s (partial: %s)\n' "$name" "$why"
        else
            printf 'PASS %s\n' "$name"
        fi
    elif [ $rc -eq 77 ]; then
        skip=$((skip + 1)); printf 'SKIP %s: %s\n' "$name" "$(printf '%s' "$out" | tail -n 1)"
    else
        fail=$((fail + 1)); failed+=("$name")
        printf 'FAIL %s (exit %d)\n%s\n' "$name" $rc "$(printf '%s' "$out" | tail -n 40)"
    fi
}

for t in "$B"/tests/test_*; do
    [ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done
# Every fuzz target must have a replay binary and a non-empty corpus.
for src in fuzz/*_fuzz.c; do
    [ -f "$src" ] || continue
    name=$(basename "$src" _fuzz.c)
    t=$B/fuzz/${name}_fuzz-replay
    if [ ! -x "$t" ] || [ -z "$(ls -A "fuzz/corpus/$name" 2>/dev/null)" ]; then
        run "fuzz-replay/$name" sh -c "echo 'no $t or empty fuzz/corpus/$name'; exit 1"
    else
        run "fuzz-replay/$name" "$t" "fuzz/corpus/$name"
    fi
done
for t in tests/cli/*.sh; do
    [ -f "$t" ] && run "cli/$(basename "$t" .sh)" bash "$t"
done
for t in tests/oracle/test_*.py; do
    [ -f "$t" ] && run "oracle/$(basename "$t" .py)" "$PYTHON" "$t"
done

echo
[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
[ $partial -gt 0 ] && echo "$partial of the passed suites ran in part (see their PASS lines)"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
