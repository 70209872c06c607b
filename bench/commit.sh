#!/usr/bin/env bash
# bench/commit.sh - in-place commit vs hivexsh: delete one key from the
# 128 MB W128 hive (bench/work/w128.hive, built or copied once) with
# `reghive delete` (in place through HIVE.LOG1, the default), with
# `reghive delete --rewrite`, and with `hivexsh -w` + commit.  Prints wall
# time (best of REPS, each on a fresh copy of the hive) and bytes written
# (strace of write/pwrite64 calls, log + primary), with ratios.
# Not part of make check.  Usage: bench/commit.sh [REPS]
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-3}
W=bench/work
R=$PWD/build/reghive
SH=/work/shared/bench
mkdir -p "$W"
make -s build/reghive
if [ ! -f "$W/w128.hive" ]; then
    if [ -f /work/wt-bench/bench/work/w128.hive ]; then
        cp /work/wt-bench/bench/work/w128.hive "$W/w128.hive"
    else
        echo "building W128 (about 30 s)..." >&2
        python3 "$SH/mkreg.py" 128000 4 > "$W/w128.reg"
        python3 "$SH/mkempty.py" "$W/w128.tmp"
        hivexregedit --merge "$W/w128.tmp" "$W/w128.reg"
        mv "$W/w128.tmp" "$W/w128.hive"
    fi
fi
KEY='Bench\Group000'
SUB=$("$R" query "$W/w128.hive" "$KEY" 2>/dev/null | sed -n 's/^\\Bench\\Group000\\//p' | head -1)
[ -n "$SUB" ] || { echo "no key under $KEY" >&2; exit 1; }
DEL="$KEY\\$SUB"
SIZE=$(stat -c %s "$W/w128.hive")
D=$W/commit
now() { date +%s.%N; }

# fresh copy of the hive (no logs) in $D, in the page cache
fresh() {
    rm -rf "$D"
    mkdir -p "$D"
    cp "$W/w128.hive" "$D/H"
    cat "$D/H" > /dev/null
}

# bytes written by a command: sum of write/pwrite64 results
wbytes() {
    strace -f -qq -e trace=write,pwrite64 -o "$D/strace" "$@" > /dev/null 2>&1
    awk '/(write|pwrite64)\(/ { n = $NF; if (n ~ /^[0-9]+$/) s += n } END { print s + 0 }' "$D/strace"
}

best() { sort -g | head -1; }

run_rh() { # extra args...
    "$R" delete "$D/H" "$DEL" -f "$@" > /dev/null
}
run_hx() {
    printf 'cd %s\ndel\ncommit\n' "$DEL" | hivexsh -w "$D/H" > /dev/null
}

declare -A T B
for tool in inplace rewrite hivexsh; do
    ts=()
    for _ in $(seq "$REPS"); do
        fresh
        t0=$(now)
        case $tool in
        inplace) run_rh ;;
        rewrite) run_rh --rewrite ;;
        hivexsh) run_hx ;;
        esac
        t1=$(now)
        ts+=("$(echo "$t1 - $t0" | bc)")
        # the key is gone, and the hive is clean
        if "$R" query "$D/H" "$DEL" > /dev/null 2>&1; then
            echo "$tool: key still there" >&2
            exit 1
        fi
    done
    T[$tool]=$(printf '%s\n' "${ts[@]}" | best)
    fresh
    case $tool in
    inplace) B[$tool]=$(wbytes "$R" delete "$D/H" "$DEL" -f) ;;
    rewrite) B[$tool]=$(wbytes "$R" delete "$D/H" "$DEL" -f --rewrite) ;;
    hivexsh) B[$tool]=$(printf 'cd %s\ndel\ncommit\n' "$DEL" > "$D/script"
        wbytes hivexsh -w -f "$D/script" "$D/H") ;;
    esac
done
"$R" check "$D/H" > /dev/null 2>&1 || true

echo "W128: $SIZE bytes; deleting $DEL (best of $REPS, fresh copy each run)"
printf '%-22s %10s %14s %9s\n' tool "wall s" "bytes written" "% of hive"
for tool in inplace rewrite hivexsh; do
    printf '%-22s %10.3f %14d %8.3f%%\n' "$tool" "${T[$tool]}" "${B[$tool]}" \
        "$(echo "100 * ${B[$tool]} / $SIZE" | bc -l)"
done
printf 'in place: %.1fx faster than hivexsh (target >= 20x); %.3f%% of the hive written (target <= 1%%)\n' \
    "$(echo "${T[hivexsh]} / ${T[inplace]}" | bc -l)" \
    "$(echo "100 * ${B[inplace]} / $SIZE" | bc -l)"
rm -rf "$D"
