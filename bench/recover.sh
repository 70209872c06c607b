#!/usr/bin/env bash
# bench/recover.sh - opening a dirty hive (transaction logs replayed in
# memory) against reading its primary file and logs once, the floor
# issue 5 sets.  bench/recover_time.c times both in one process, best of
# REPS alternating runs, files in the page cache.
#
# Hives: the dirty corpus hives with the largest logs (when present), and
# W128 made dirty by reghive itself: an import that deletes 40 groups
# (5,000+ keys) is killed after its log entry and the first base block
# write reached the disk (RH_TEST_COMMIT_CRASH=6), so the primary is dirty
# and LOG1 holds the commit, as after a crash.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${B:-build}
REPS=${REPS:-10}
CORPUS=${CORPUS:-$(cd .. && pwd)/shared/corpus}
WORK=$ROOT/bench/work
RT=$ROOT/$B/bench/recover_time
REGHIVE=$ROOT/$B/reghive
REGHIVE_TEST=$ROOT/$B/reghive-test # the crash hook is in the test build only
die() { echo "bench/recover: $*" >&2; exit 1; }
[ -x "$RT" ] && [ -x "$REGHIVE" ] && [ -x "$REGHIVE_TEST" ] ||
    die "build first: make bench"
[ -s "$WORK/w128.hive" ] || die "run bench/run.sh first (it builds W128)"

echo "== Recovery: open a dirty hive (logs replayed) vs read primary + logs once =="
dirty=$WORK/dirty/w128.hive
rm -rf "$WORK/dirty" && mkdir -p "$WORK/dirty"
cp "$WORK/w128.hive" "$dirty"
for i in $(seq 1 40); do printf '[-\\Bench\\Group%03d]\n' "$i"; done |
    sed '1i Windows Registry Editor Version 5.00\n' >"$WORK/dirty/del.reg"
RH_TEST_COMMIT_CRASH=6 "$REGHIVE_TEST" import "$dirty" "$WORK/dirty/del.reg" \
    >/dev/null 2>&1
[ -s "$dirty.LOG1" ] || die "no log written for the dirty W128"
HIVES=("$dirty")
for f in regipy/SYSTEM_B artifactmuseum/Amcache/Win10/RathbunVM/Amcache.hve; do
    [ -f "$CORPUS/$f" ] && HIVES+=("$CORPUS/$f") ||
        echo "bench/recover: corpus hive $f absent, skipped" >&2
done
printf '%-16s %10s %9s %9s %7s  %s\n' hive MiB open_s read_s ratio target
for h in "${HIVES[@]}"; do
    logs=()
    for l in "$h".LOG1 "$h".LOG2; do [ -f "$l" ] && logs+=("$l"); done
    out=$("$RT" "$REPS" "$h" "${logs[@]}") || die "recover_time failed on $h"
    read -r _ o _ r _ bytes _ applied <<<"$out"
    [ "$applied" = 1 ] || die "$h: logs were not applied"
    awk -v n="$(basename "$h")" -v b="$bytes" -v o="$o" -v r="$r" 'BEGIN {
        printf "%-16s %10.1f %9.4f %9.4f %6.2fx  >= 1x (open no slower than reading once): %s\n",
            n, b / 1048576, o, r, r / o, (o <= r) ? "met" : "NOT met" }'
done
rm -rf "$WORK/dirty"
