#!/usr/bin/env bash
# bench/run.sh - compare reghive with its peers in one run and print ratios.
#
# Workload W128 (see /work/shared/bench/README.md), generated once into
# bench/work/ and cached, plus the three largest corpus hives when present.
# For each hive: a full .reg export (reghive export, hivexregedit --export,
# reglookup, regfexport; each writes its own format to a file) and a full
# traversal through the C libraries (bench/walk_reghive.c vs
# bench/walk_hivex.c).  Times are wall-clock, best (and median) of REPS
# runs; peak RSS from /usr/bin/time -f %M.  Run through `make bench`.
#
# IMPORT=1 adds the .reg import benchmark (reghive import vs hivexregedit
# --merge of W128's .reg).
# Environment: B (build dir, default build), REPS (default 5), BUDGET
# (seconds one tool may spend on one hive before repetitions stop, default
# 20), CORPUS, BENCH_SHARED (the shared generators).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${B:-build}
REPS=${REPS:-5}
BUDGET=${BUDGET:-20}
SHARED=${BENCH_SHARED:-$(cd .. && pwd)/shared/bench}
CORPUS=${CORPUS:-$(cd .. && pwd)/shared/corpus}
PY=/usr/bin/python3
WORK=$ROOT/bench/work
REGHIVE=$ROOT/$B/reghive
WALK_RH=$ROOT/$B/bench/walk_reghive
WALK_HX=$ROOT/$B/bench/walk_hivex
mkdir -p "$WORK"

die() { echo "bench: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; } # floating-point arithmetic
cmpf() { awk "BEGIN { exit !($1) }"; }           # floating-point test
[ -x "$REGHIVE" ] && [ -x "$WALK_RH" ] && [ -x "$WALK_HX" ] ||
    die "build first: make bench"

# /usr/bin/time gives peak RSS; the `time` package provides it.
if [ ! -x /usr/bin/time ]; then
    echo "bench: installing the 'time' package for /usr/bin/time" >&2
    apt-get install -y time >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get install -y time >/dev/null 2>&1; } ||
        die "cannot install the 'time' package"
fi

# ---- workload -----------------------------------------------------------
W128=$WORK/w128.hive
if [ ! -s "$W128" ]; then
    [ -f "$SHARED/mkreg.py" ] || die "no workload generator at $SHARED"
    command -v hivexregedit >/dev/null || die "hivexregedit is needed to build W128"
    echo "bench: generating W128 (once; cached in bench/work/) ..." >&2
    if [ ! -s "$WORK/w128.reg" ]; then
        $PY "$SHARED/mkreg.py" 128000 4 >"$WORK/w128.reg.tmp" &&
            mv "$WORK/w128.reg.tmp" "$WORK/w128.reg" || die "mkreg.py failed"
    fi
    $PY "$SHARED/mkempty.py" "$WORK/w128.tmp" &&
        hivexregedit --merge "$WORK/w128.tmp" "$WORK/w128.reg" &&
        mv "$WORK/w128.tmp" "$W128" || die "building the W128 hive failed"
fi
HIVES=("$W128")
for f in regipy/SYSTEM_WIN_10_1709 regipy/SYSTEM regipy/NTUSER_BAGMRU.DAT; do
    if [ -f "$CORPUS/$f" ]; then
        HIVES+=("$CORPUS/$f")
    else
        echo "bench: corpus hive $f absent, skipped" >&2
    fi
done

# ---- measuring ----------------------------------------------------------
# run_tool OUT CMD...: run CMD (stdout to OUT) up to REPS times within
# BUDGET seconds; sets BEST, MEDIAN (seconds) and RSS (KiB, max seen).
# A failing command sets BEST=fail.
run_tool() {
    local out=$1 times=() t0 t1 rss spent=0 i
    shift
    RSS=0
    for ((i = 0; i < REPS; i++)); do
        rm -f "$WORK/out.reg" # each run writes a new file
        case $out in "$WORK"/*) rm -f "$out" ;; esac
        t0=$EPOCHREALTIME
        if ! /usr/bin/time -f %M -o "$WORK/rss" "$@" >"$out" 2>"$WORK/err"; then
            BEST=fail MEDIAN=fail
            echo "bench: failed: $* ($(tail -n 1 "$WORK/err"))" >&2
            return
        fi
        t1=$EPOCHREALTIME
        times+=("$(calc "$t1 - $t0")")
        rss=$(tail -n 1 "$WORK/rss")
        [ "$rss" -gt "$RSS" ] && RSS=$rss
        spent=$(calc "$spent + ${times[-1]}")
        cmpf "$spent > $BUDGET" && break
    done
    mapfile -t times < <(printf '%s\n' "${times[@]}" | sort -g)
    BEST=${times[0]}
    MEDIAN=${times[$((${#times[@]} / 2))]}
    NRUNS=${#times[@]}
}

# row TOOL BEST MEDIAN RSS_KIB REF_BEST TARGET: one table line.  The ratio
# is how many times slower the peer is than reghive (REF_BEST).
row() {
    local tool=$1 best=$2 med=$3 rss=$4 ref=$5 target=$6 raw ratio verdict=""
    if [ "$best" = fail ]; then
        printf '  %-34s %8s\n' "$tool" failed
        return
    fi
    if [ "$ref" = self ]; then
        ratio=1.0
    else
        raw=$(calc "$best / $ref")
        ratio=$(printf '%.1f' "$raw")
        if [ -n "$target" ]; then
            if cmpf "$raw >= $target"; then
                verdict="target >=${target}x: met"
            else
                verdict="target >=${target}x: MISSED"
            fi
        fi
    fi
    printf '  %-34s %8.3f %8.3f %8.1f %7sx  %s\n' "$tool" "$best" "$med" \
        "$(calc "$rss / 1024")" "$ratio" "$verdict"
}

header() {
    printf '  %-34s %8s %8s %8s %8s\n' tool best_s median_s peak_MiB ratio
}

# walk_tool BIN HIVE: best open and walk seconds over REPS processes (each
# process opens and walks once: reghive validates a bin's cells on first
# touch, so a first walk is the honest one); sets OPEN, WALK, RSS
# and TOTALS (keys/values/bytes read, which must agree between walkers).
walk_tool() {
    local bin=$1 hive=$2 i line o w rss
    OPEN="" WALK="" RSS=0 TOTALS=""
    for ((i = 0; i < REPS; i++)); do
        line=$(/usr/bin/time -f %M -o "$WORK/rss" "$bin" "$hive" 1) ||
            { OPEN=fail; return; }
        o=$(awk '{print $2}' <<<"$line")
        w=$(awk '{print $4}' <<<"$line")
        TOTALS=$(cut -d' ' -f5- <<<"$line")
        [ -z "$OPEN" ] || cmpf "$o < $OPEN" && OPEN=$o
        [ -z "$WALK" ] || cmpf "$w < $WALK" && WALK=$w
        rss=$(tail -n 1 "$WORK/rss")
        [ "$rss" -gt "$RSS" ] && RSS=$rss
    done
}

echo "reghive benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "REPS=$REPS (BUDGET=${BUDGET}s per tool and hive); ratio = peer time /" \
    "reghive time (higher is better for reghive)"
status=0
for hive in "${HIVES[@]}"; do
    size=$(stat -c %s "$hive")
    size_mib=$(calc "$size / 1048576")
    echo
    printf '== %s (%.1f MiB)\n' "$(basename "$hive")" "$size_mib"
    echo "-- full export to a file (best of up to $REPS)"
    header
    run_tool /dev/null "$REGHIVE" export "$hive" -o "$WORK/out.reg"
    ref=$BEST
    row "reghive export -o (UTF-16 .reg)" "$BEST" "$MEDIAN" "$RSS" self ""
    rh_rss=$RSS
    rh_bytes=$(stat -c %s "$WORK/out.reg" 2>/dev/null || echo 0)
    if [ "$ref" = fail ]; then
        status=1
        continue
    fi
    run_tool "$WORK/hivex.reg" hivexregedit --export "$hive" '\'
    row "hivexregedit --export" "$BEST" "$MEDIAN" "$RSS" "$ref" 20
    run_tool "$WORK/reglookup.txt" reglookup "$hive"
    row "reglookup" "$BEST" "$MEDIAN" "$RSS" "$ref" 10
    rl=$BEST rl_bytes=$(stat -c %s "$WORK/reglookup.txt" 2>/dev/null || echo 0)
    run_tool "$WORK/regfexport.txt" regfexport "$hive"
    row "regfexport" "$BEST" "$MEDIAN" "$RSS" "$ref" 10
    # For the record: the same .reg in UTF-8 (half the bytes of regedit's
    # UTF-16), against reglookup, with the output sizes.
    run_tool /dev/null "$REGHIVE" export "$hive" --utf8 -o "$WORK/out.reg"
    u8_bytes=$(stat -c %s "$WORK/out.reg" 2>/dev/null || echo 0)
    if [ "$BEST" != fail ] && [ "$rl" != fail ]; then
        printf '  (reghive export --utf8: %.3f s, reglookup %.1fx slower; output bytes: UTF-16 .reg %s, UTF-8 .reg %s, reglookup %s)\n' \
            "$BEST" "$(calc "$rl / $BEST")" "$rh_bytes" "$u8_bytes" "$rl_bytes"
    fi
    limit=$(calc "$size_mib + 32")
    rh_mib=$(calc "$rh_rss / 1024")
    if cmpf "$rh_mib <= $limit"; then
        v=met
    else
        v=MISSED
    fi
    printf '  reghive export peak %.1f MiB; target <= hive + 32 = %.1f MiB: %s\n' \
        "$rh_mib" "$limit" "$v"

    echo "-- full traversal through the C API (names + data of every key" \
        "and value; open + one walk per process, best of $REPS processes)"
    printf '  %-34s %8s %8s %8s %8s %8s\n' library open_s walk_s total_s \
        peak_MiB ratio
    walk_tool "$WALK_RH" "$hive"
    r_open=$OPEN r_walk=$WALK r_rss=$RSS r_tot=$TOTALS
    walk_tool "$WALK_HX" "$hive"
    h_open=$OPEN h_walk=$WALK h_rss=$RSS h_tot=$TOTALS
    if [ "$r_open" = fail ] || [ "$h_open" = fail ]; then
        echo "  a walker failed"
        status=1
        continue
    fi
    rt=$(calc "$r_open + $r_walk")
    ht=$(calc "$h_open + $h_walk")
    printf '  %-34s %8.4f %8.4f %8.4f %8.1f %7sx\n' "reghive (walk_reghive)" \
        "$r_open" "$r_walk" "$rt" "$(calc "$r_rss / 1024")" 1.0
    wr=$(printf '%.2f' "$(calc "$h_walk / $r_walk")")
    tr=$(printf '%.2f' "$(calc "$ht / $rt")")
    printf '  %-34s %8.4f %8.4f %8.4f %8.1f %7sx  (walk only %sx)  %s\n' \
        "libhivex (walk_hivex)" "$h_open" "$h_walk" "$ht" \
        "$(calc "$h_rss / 1024")" "$tr" "$wr" \
        "target >=2x (open+walk): $(cmpf "$tr >= 2" && echo met || echo MISSED)"
    if [ "$r_tot" != "$h_tot" ]; then
        echo "  WARNING: walkers disagree: reghive '$r_tot' vs hivex '$h_tot'"
        status=1
    else
        echo "  both walkers read: $r_tot"
    fi
done

# ---- import (IMPORT=1; hivexregedit needs 20-60 s) -------------------------
# reghive import of W128's .reg into a `reghive new` hive (best of REPS;
# each run commits: write + fsync + rename) against one hivexregedit
# --merge into mkempty.py's hive.  Elapsed and CPU (user+sys) seconds,
# peak RSS; targets: >= 50x faster, peak < 4x the .reg size.  The two
# hives must export the same text.
if [ "${IMPORT:-0}" = 1 ]; then
    REG=$WORK/w128.reg
    if [ ! -s "$REG" ]; then
        $PY "$SHARED/mkreg.py" 128000 4 >"$REG.tmp" && mv "$REG.tmp" "$REG" ||
            die "mkreg.py failed"
    fi
    regsize=$(stat -c %s "$REG")
    echo
    printf '== import of w128.reg (%.1f MiB) into an empty hive\n' \
        "$(calc "$regsize / 1048576")"
    printf '  %-34s %8s %8s %8s\n' tool elapsed_s cpu_s peak_MiB
    best="" bcpu="" brss=0
    for ((i = 0; i < REPS; i++)); do
        rm -f "$WORK/imp.hive" "$WORK/imp.hive.bak"
        "$REGHIVE" new "$WORK/imp.hive" >/dev/null || die "reghive new failed"
        t0=$EPOCHREALTIME
        /usr/bin/time -f '%U %S %M' -o "$WORK/rss" "$REGHIVE" import \
            "$WORK/imp.hive" "$REG" >/dev/null 2>"$WORK/err" ||
            { echo "bench: reghive import failed: $(tail -n 1 "$WORK/err")" >&2; status=1; break; }
        t1=$EPOCHREALTIME
        el=$(calc "$t1 - $t0")
        read -r u sy rss <"$WORK/rss"
        cpu=$(calc "$u + $sy")
        [ -z "$best" ] || cmpf "$el < $best" && best=$el
        [ -z "$bcpu" ] || cmpf "$cpu < $bcpu" && bcpu=$cpu
        [ "$rss" -gt "$brss" ] && brss=$rss
    done
    printf '  %-34s %8.3f %8.3f %8.1f\n' "reghive import" "$best" "$bcpu" \
        "$(calc "$brss / 1024")"
    $PY "$SHARED/mkempty.py" "$WORK/hx.hive" || die "mkempty.py failed"
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%U %S %M' -o "$WORK/rss" hivexregedit --merge \
        "$WORK/hx.hive" "$REG" >/dev/null 2>"$WORK/err" ||
        { echo "bench: hivexregedit --merge failed" >&2; status=1; }
    t1=$EPOCHREALTIME
    hel=$(calc "$t1 - $t0")
    read -r u sy hrss <"$WORK/rss"
    hcpu=$(calc "$u + $sy")
    er=$(printf '%.1f' "$(calc "$hel / $best")")
    cr=$(printf '%.1f' "$(calc "$hcpu / $bcpu")")
    printf '  %-34s %8.3f %8.3f %8.1f  %sx elapsed, %sx cpu; target >=50x: %s\n' \
        "hivexregedit --merge" "$hel" "$hcpu" "$(calc "$hrss / 1024")" \
        "$er" "$cr" "$(cmpf "$er >= 50" && echo met || echo MISSED)"
    lim=$(calc "4 * $regsize / 1024")
    printf '  reghive import peak %.1f MiB; target < 4 x .reg = %.1f MiB: %s\n' \
        "$(calc "$brss / 1024")" "$(calc "$lim / 1024")" \
        "$(cmpf "$brss < $lim" && echo met || echo MISSED)"
    if cmp -s <("$REGHIVE" export "$WORK/imp.hive" --utf8) \
        <("$REGHIVE" export "$WORK/hx.hive" --utf8); then
        echo "  both hives export the same text"
    else
        echo "  WARNING: reghive's and hivexregedit's hives differ"
        status=1
    fi
    rm -f "$WORK/imp.hive" "$WORK/imp.hive.bak" "$WORK/hx.hive"
fi
rm -f "$WORK/out.reg" "$WORK/hivex.reg" "$WORK/reglookup.txt" \
    "$WORK/regfexport.txt" "$WORK/rss" "$WORK/err"
exit $status
