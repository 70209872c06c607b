#!/usr/bin/env bash
# Outputs whole or absent, messages that say what happened once:
# export -o leaves no partial file when it fails (and no temporary file);
# a failed commit reports no edit and names the real cause (EACCES, not
# ENOENT from a cleanup); "X: X: No such file" is said once; .bak and
# recovered hives keep the hive's mode; recover on a clean hive is not an
# error.
. "$(dirname "$0")/lib.bash"
S=$W/sys.hive
cp "$(mkfix kb)" "$S"

# A failing export -o (a key that is not there is found only after OUT
# would have been created; a cut hive fails half way): no OUT, no temp.
"$R" export "$S" -o "$W/a.reg" >/dev/null 2>&1 || { echo "FAIL export"; fails=$((fails + 1)); }
cp "$W/a.reg" "$W/a.orig"
# The last value cell loses its signature: export fails part way.
"$PY" -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); i=d.rfind(b'vk'); d[i:i+2]=b'xx'; open(sys.argv[2],'wb').write(d)" "$S" "$W/cut.hive"
"$R" export --no-logs "$W/cut.hive" -o "$W/b.reg" >/dev/null 2>"$W/err" &&
    { echo "FAIL export of a cut hive succeeded"; fails=$((fails + 1)); }
[ -e "$W/b.reg" ] && { echo "FAIL partial export left under its name"; fails=$((fails + 1)); }
# Over an existing file: the old one stays whole.
"$R" export --no-logs "$W/cut.hive" -o "$W/a.reg" >/dev/null 2>&1
cmp -s "$W/a.reg" "$W/a.orig" || { echo "FAIL failed export changed OUT"; fails=$((fails + 1)); }
ls "$W" | grep -q '\.tmp$' && { echo "FAIL temporary file left:"; ls "$W"; fails=$((fails + 1)); }

# import refuses a file cut inside a value, with file:line:column, and
# writes nothing (regedit would take EOF after '\' as the end).
printf 'REGEDIT4\n\n[\\Cut]\n"v"=hex:01,02,\\\n  03,\\\n' >"$W/cut.reg"
before=$(md5sum <"$S")
expect_err "import cut" 1 "cut.reg:5:" "$R" import "$S" "$W/cut.reg"
grep -q "cut short" "$W/err" || { echo "FAIL cut message"; cat "$W/err"; fails=$((fails + 1)); }
[ "$(md5sum <"$S")" = "$before" ] || { echo "FAIL import cut wrote"; fails=$((fails + 1)); }

# Said once.
expect_err "missing hive" 1 "reghive: $W/nope.hive: No such file or directory" "$R" query "$W/nope.hive"
grep -q "nope.hive: .*nope.hive" "$W/err" && { echo "FAIL name repeated"; cat "$W/err"; fails=$((fails + 1)); }

# Modes: .bak and recovered hives keep the hive's.
chmod 640 "$S"
"$R" add "$S" 'X' -v a -d b --backup >/dev/null || { echo "FAIL add --backup"; fails=$((fails + 1)); }
[ "$(stat -c %a "$S.bak")" = 640 ] || { echo "FAIL .bak mode $(stat -c %a "$S.bak")"; fails=$((fails + 1)); }
if [ -f "${CORPUS:-}/regipy/UsrClass.dat" ]; then
    cp "$CORPUS"/regipy/UsrClass.dat* "$W/"
    chmod 604 "$W/UsrClass.dat"
    "$R" recover "$W/UsrClass.dat" >/dev/null 2>&1 || { echo "FAIL recover"; fails=$((fails + 1)); }
    [ "$(stat -c %a "$W/UsrClass.dat.recovered")" = 604 ] ||
        { echo "FAIL recovered mode $(stat -c %a "$W/UsrClass.dat.recovered")"; fails=$((fails + 1)); }
fi
# recover on a clean hive: exit 0, says so, writes nothing.
"$R" recover "$S" >"$W/out" 2>&1 && grep -q "clean: nothing to recover" "$W/out" ||
    { echo "FAIL recover clean"; cat "$W/out"; fails=$((fails + 1)); }
[ -e "$S.recovered" ] && { echo "FAIL recover clean wrote"; fails=$((fails + 1)); }

# A commit that fails: no "deleted key" line, the real cause.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    mkdir "$W/ro" && cp "$(mkfix kb)" "$W/ro/k.hive" && chown -R nobody "$W/ro" && chmod 555 "$W/ro"
    chmod 755 "$W"
    su nobody -s /bin/bash -c "'$R' delete '$W/ro/k.hive' 'ControlSet001\\Services\\Tcpip' -f" >"$W/out" 2>"$W/err"
    rc=$?
    [ $rc -eq 1 ] && ! grep -q deleted "$W/out" && grep -q "Permission denied" "$W/err" ||
        { echo "FAIL delete in a read-only dir: rc $rc"; cat "$W/out" "$W/err"; fails=$((fails + 1)); }
    su nobody -s /bin/bash -c "'$R' delete '$W/ro/k.hive' 'ControlSet001\\Services\\Tcpip' -f --backup" >"$W/out" 2>"$W/err"
    grep -q "back up the old hive: Permission denied" "$W/err" ||
        { echo "FAIL --backup cause"; cat "$W/err"; fails=$((fails + 1)); }
    chmod 755 "$W/ro"
fi
finish
