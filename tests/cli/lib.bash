# Shared helpers for tests/cli/*.sh (sourced; named .bash so run.sh
# does not run it as a test).
# Sets W (temp dir, removed on exit), R (the CLI), PY (the system python
# with python3-hivex) and builds fixtures on demand.
set -u
R=${REGHIVE:?REGHIVE must name the built CLI}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0

"$PY" -c 'import hivex' 2>/dev/null || { echo "python3-hivex not installed"; exit 77; }

mkfix() { # kind -> path of a fresh fixture hive
    [ -f "$W/$1.hive" ] || "$PY" "$HERE/../oracle/mkhive.py" "$1" "$W/$1.hive" || exit 1
    printf '%s' "$W/$1.hive"
}

# expect NAME WANT_RC EXPECTED_STDOUT_FILE CMD...: run CMD, compare
# stdout byte for byte and the exit status.
expect() {
    local name=$1 want=$2 exp=$3 rc
    shift 3
    "$@" >"$W/out" 2>"$W/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit $rc, want $want"; cat "$W/err"; fails=$((fails + 1))
    elif ! cmp -s "$exp" "$W/out"; then
        echo "FAIL $name: output differs"; diff "$exp" "$W/out" | head -20
        fails=$((fails + 1))
    fi
}

# expect_err NAME WANT_RC STDERR_SUBSTRING CMD...: exit status and a
# message on stderr, nothing on stdout.
expect_err() {
    local name=$1 want=$2 msg=$3 rc
    shift 3
    "$@" >"$W/out" 2>"$W/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit $rc, want $want"; cat "$W/err"; fails=$((fails + 1))
    elif ! grep -qF -- "$msg" "$W/err"; then
        echo "FAIL $name: stderr lacks '$msg':"; cat "$W/err"; fails=$((fails + 1))
    elif [ -s "$W/out" ] && [ "$want" -eq 64 ]; then
        echo "FAIL $name: usage error wrote to stdout"; fails=$((fails + 1))
    fi
}

finish() {
    [ "$fails" -eq 0 ] && { echo "ok"; exit 0; }
    echo "$fails failure(s)"; exit 1
}
