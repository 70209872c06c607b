#!/usr/bin/env bash
# bench/write.sh - the write engine against hivex (run by `make bench`
# after run.sh; never by make check).
#  (a) bulk build of W128 (128,000 keys under 997 groups, 4 values each)
#      through the library (bench/build_w128.c) vs `hivexregedit --merge`
#      of the same .reg (mkreg.py 128000 4) into mkempty.py output; and
#      time per key at 10,000 vs 1,000,000 keys (same shape scaled).
#  (b) size: the built hive vs its own `reghive compact` output, and
#      hivex's merge output vs its compact output.
#  (c) one edit: delete \Bench\Group001\Item0000001 from the 128 MB
#      hivex-merged W128 with `reghive delete -f` vs hivexsh (cd, del,
#      commit): wall time and bytes written (bench/ioexec.py: /proc/self/io
#      deltas of the wrapper, which the kernel charges with its reaped
#      child's I/O).
# Environment: B (build dir), BENCH_SHARED (mkreg.py, mkempty.py),
# BIG (keys of the scaling run, default 1000000), HX_MERGE=0 to reuse the
# last hivexregedit --merge timing (it takes minutes) from
# bench/work/hx_merge.time.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${B:-build}
SHARED=${BENCH_SHARED:-$(cd .. && pwd)/shared/bench}
PY=/usr/bin/python3
WORK=$ROOT/bench/work
REGHIVE=$ROOT/$B/reghive
BUILD=$ROOT/$B/bench/build_w128
IOEXEC="$PY $ROOT/bench/ioexec.py"
BIG=${BIG:-1000000}
HX_MERGE=${HX_MERGE:-1}
mkdir -p "$WORK"

die() { echo "bench/write: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
cmpf() { awk "BEGIN { exit !($1) }"; }
verdict() { if cmpf "$1"; then echo "met"; else echo "NOT met"; fi; }
size() { stat -c %s "$1"; }
[ -x "$REGHIVE" ] && [ -x "$BUILD" ] || die "build first: make bench"
[ -f "$SHARED/mkreg.py" ] || die "no workload generator at $SHARED"

echo "== Write: (a) bulk build of W128 =="
if [ ! -s "$WORK/w128.reg" ]; then
    $PY "$SHARED/mkreg.py" 128000 4 >"$WORK/w128.reg.tmp" &&
        mv "$WORK/w128.reg.tmp" "$WORK/w128.reg" || die "mkreg.py failed"
fi
out=$("$BUILD" 128000 4 "$WORK/w128_rh.hive") || die "build_w128 failed"
echo "reghive library: $out"
t_rh=$(sed 's/.*total \([0-9.]*\) s.*/\1/' <<<"$out")
"$REGHIVE" check "$WORK/w128_rh.hive" >/dev/null || die "built hive not clean"
if [ "$HX_MERGE" = 1 ] || [ ! -s "$WORK/hx_merge.time" ]; then
    $PY "$SHARED/mkempty.py" "$WORK/hx_merge.hive" || die "mkempty.py failed"
    t0=$(date +%s.%N)
    hivexregedit --merge "$WORK/hx_merge.hive" "$WORK/w128.reg" ||
        die "hivexregedit --merge failed"
    t1=$(date +%s.%N)
    calc "$t1 - $t0" >"$WORK/hx_merge.time"
fi
t_hx=$(cat "$WORK/hx_merge.time")
r=$(calc "$t_hx / $t_rh")
echo "hivexregedit --merge: $t_hx s"
echo "ratio: ${r}x faster (target >= 50x: $(verdict "$r >= 50"))"

small=$("$BUILD" 10000 4 "$WORK/scale_small.hive") || die "build 10000 failed"
big=$("$BUILD" "$BIG" 4 "$WORK/scale_big.hive") || die "build $BIG failed"
us_s=$(sed 's/.*per-key \([0-9.]*\) us.*/\1/' <<<"$small")
us_b=$(sed 's/.*per-key \([0-9.]*\) us.*/\1/' <<<"$big")
g=$(calc "$us_b / $us_s")
echo "10000 keys: $small"
echo "$BIG keys: $big"
echo "time per key grows ${g}x (target <= 1.5x: $(verdict "$g <= 1.5"))"
rm -f "$WORK/scale_small.hive" "$WORK/scale_big.hive"

echo "== Write: (b) size =="
rm -f "$WORK/w128_rh.compact" "$WORK/hx_merge.compact"
"$REGHIVE" compact "$WORK/w128_rh.hive" -o "$WORK/w128_rh.compact" || die "compact failed"
"$REGHIVE" compact "$WORK/hx_merge.hive" -o "$WORK/hx_merge.compact" || die "compact failed"
a=$(size "$WORK/w128_rh.hive") c=$(size "$WORK/w128_rh.compact")
ha=$(size "$WORK/hx_merge.hive") hc=$(size "$WORK/hx_merge.compact")
r=$(calc "$a / $c")
echo "reghive-built: $a bytes; compacted: $c bytes; ratio ${r}x (target <= 1.15x: $(verdict "$r <= 1.15"))"
echo "hivex-merged:  $ha bytes; compacted: $hc bytes; ratio $(calc "$ha / $hc")x"

echo "== Write: (c) delete one key from the 128 MB hivex-merged W128 =="
# Best of REPS (default 3) runs, each on a fresh copy of the hive.
printf 'cd \\Bench\\Group001\\Item0000001\ndel\ncommit\n' >"$WORK/del.hivexsh"
best_rh=9999 best_hx=9999
for ((r = 0; r < ${REPS:-3}; r++)); do
    rm -f "$WORK"/edit_rh.hive* "$WORK"/edit_hx.hive*
    cp "$WORK/hx_merge.hive" "$WORK/edit_rh.hive"
    cp "$WORK/hx_merge.hive" "$WORK/edit_hx.hive"
    sync
    m=$($IOEXEC "$REGHIVE" delete "$WORK/edit_rh.hive" '\Bench\Group001\Item0000001' -f) ||
        die "reghive delete failed"
    read -r w c b _ <<<"$m"
    cmpf "$w < $best_rh" && { best_rh=$w; c1=$c; b1=$b; }
    m=$($IOEXEC -i "$WORK/del.hivexsh" hivexsh -w "$WORK/edit_hx.hive") ||
        die "hivexsh failed"
    read -r w c b _ <<<"$m"
    cmpf "$w < $best_hx" && { best_hx=$w; c2=$c; b2=$b; }
done
printf '%-28s %8s %14s %14s\n' tool wall_s wchar write_bytes
printf '%-28s %8s %14s %14s\n' "reghive delete -f" "$best_rh" "$c1" "$b1"
printf '%-28s %8s %14s %14s\n' "hivexsh cd/del/commit" "$best_hx" "$c2" "$b2"
hsize=$(size "$WORK/hx_merge.hive")
echo "bytes written: $c1 = $(calc "100 * $c1 / $hsize")% of the hive (target <= 1%: $(verdict "$c1 <= $hsize / 100"))"
echo "wall time: $(calc "$best_hx / $best_rh")x lower than hivexsh (target >= 20x: $(verdict "$best_hx >= 20 * $best_rh"))"
"$REGHIVE" check "$WORK/edit_rh.hive" >/dev/null || die "edited hive not clean"
for f in edit_rh edit_hx; do
    hivexget "$WORK/$f.hive" '\Bench\Group001\Item0000001' >/dev/null 2>&1 &&
        die "$f: key still there"
done
rm -f "$WORK"/edit_rh.hive* "$WORK"/edit_hx.hive* "$WORK/del.hivexsh"
