#!/usr/bin/env bash
# reghive check: warnings (what Windows tolerates) are printed as
# "HIVE: warning: file offset 0x..: ..." and exit 0, --strict makes them
# fail; errors keep their line and exit 1.  Issue 12: names one letter
# apart only by Windows' case folding (U+1F80 / U+1F88) are one key.
. "$(dirname "$0")/lib.bash"
H="$W/fold.hive"
"$R" new "$H" >/dev/null || { echo "FAIL new"; exit 1; }
"$R" add "$H" $'\u1f80' >/dev/null &&
    "$R" add "$H" $'\u1f88' >"$W/out" &&
    grep -q 'key existed' "$W/out" ||
    { echo "FAIL add U+1F88 after U+1F80 did not find the key"; cat "$W/out"; fails=$((fails + 1)); }
"$R" add "$H" $'\u1fb3x' >/dev/null && "$R" add "$H" 'a' >/dev/null &&
    "$R" add "$H" $'\u1fbcX' >/dev/null || { echo "FAIL adds"; fails=$((fails + 1)); }
printf '\n\\%s\n\\%s\n\\%s\n' a $'\u1f80' $'\u1fb3x' >"$W/exp"
expect "query after folding adds" 0 "$W/exp" "$R" query "$H"
printf '%s: ok\n' "$H" >"$W/exp"
expect "check --strict of the folded hive" 0 "$W/exp" "$R" check --strict "$H"

# A leaked cell: "reghive check" says warning, exit 0; --strict exits 1.
mk() { # path python-statements (h, o: a small valid hive from test_hostile)
    "$PY" -c '
import sys; sys.path.insert(0, sys.argv[2])
import test_hostile as th
h, o = th.std_hive(5, False)
exec(sys.argv[3])
open(sys.argv[1], "wb").write(h.image(o["root"]))
' "$1" "$HERE/../oracle" "$2" || { echo "FAIL build $1"; exit 1; }
}
L="$W/leak.hive"
mk "$L" 'h.vk("lost", 4, b"abcd")'
"$R" check "$L" >"$W/out"; rc=$?
leak="$L: warning: file offset 0x[0-9a-f]*: unreferenced allocated cell 'vk' of 32 bytes"
[ $rc -eq 0 ] && [ "$(wc -l <"$W/out")" -eq 2 ] && grep -q "^$leak" "$W/out" &&
    [ "$(tail -1 "$W/out")" = "$L: ok with 1 warning" ] ||
    { echo "FAIL check: a leak is a warning (exit $rc)"; cat "$W/out"; fails=$((fails + 1)); }
"$R" check "$L" --strict >"$W/out"; rc=$?
[ $rc -eq 1 ] && grep -q "^$leak" "$W/out" &&
    [ "$(tail -1 "$W/out")" = "$L: not clean (--strict), 1 warning" ] ||
    { echo "FAIL check --strict: a leak fails (exit $rc)"; cat "$W/out"; fails=$((fails + 1)); }
expect_err "check: unknown option" 64 "usage" "$R" check "$L" --bogus
expect_err "check: two hives" 64 "usage" "$R" check "$L" "$L"

# An error stays an error, in the old format, warnings or not.
mk "$W/err.hive" 'h.put16(o["root"], 0x02, 0x20); h.vk("lost", 4, b"abcd")'
E="$W/err.hive"
"$R" check "$E" >"$W/out"; rc=$?
[ $rc -eq 1 ] &&
    grep -qx "$E: file offset 0x1020: root key lacks the KEY_HIVE_ENTRY flag (0x4)" "$W/out" &&
    grep -q "^$E: warning: file offset" "$W/out" &&
    [ "$(tail -1 "$W/out")" = "$E: 1 error, 1 warning" ] ||
    { echo "FAIL check: an error exits 1 (exit $rc)"; cat "$W/out"; fails=$((fails + 1)); }
finish
