#!/usr/bin/env bash
# A hive knows what it is (src/model/kind.c): a key path whose root names
# another hive is refused by add/delete/query (nothing written, a message
# naming both), and import maps each key by its own root, not by the
# file's first key: other hives' keys are skipped (--strict: refused), a
# file with no key for this hive is refused whole; --prefix overrides.
. "$(dirname "$0")/lib.bash"
S=$W/sys.hive
cp "$(mkfix kb)" "$S" # SYSTEM by its contents: Select + ControlSet00N
sum() { md5sum "$1" | cut -d' ' -f1; }

# add: HKLM\SOFTWARE\... into SYSTEM is refused, nothing written.
before=$(sum "$S")
expect_err "add other root" 1 "HKLM\\SOFTWARE is not this hive, which is HKEY_LOCAL_MACHINE\\SYSTEM" \
    "$R" add "$S" 'HKLM\SOFTWARE\Microsoft\X' -v a -d b
[ "$(sum "$S")" = "$before" ] || { echo "FAIL add other root wrote"; fails=$((fails + 1)); }
expect_err "delete other root" 1 "is not this hive" \
    "$R" delete "$S" 'HKCU\ControlSet001' -f
expect_err "query other root" 1 "is not this hive" "$R" query "$S" 'HKLM\SOFTWARE'
# Its own root still works, short and long forms.
"$R" add "$S" 'HKEY_LOCAL_MACHINE\SYSTEM\Setup' -v a -d b >/dev/null &&
    "$R" get "$S" 'HKLM\SYSTEM\Setup' a | grep -qx b ||
    { echo "FAIL add own root"; fails=$((fails + 1)); }

# import: each key by its own root.
cat >"$W/mixed.reg" <<'REG'
Windows Registry Editor Version 5.00

[HKEY_CURRENT_USER\Software\X]
"u"="user"

[HKEY_LOCAL_MACHINE\SYSTEM\Setup2]
"s"=dword:00000001
REG
"$R" import "$S" "$W/mixed.reg" >"$W/out" 2>"$W/err" ||
    { echo "FAIL import mixed"; cat "$W/err"; fails=$((fails + 1)); }
grep -q 'mixed.reg:3: skip: outside hive: \[HKEY_CURRENT_USER\\Software\\X\] (HKEY_CURRENT_USER is not this hive' "$W/out" ||
    { echo "FAIL skip reason"; cat "$W/out"; fails=$((fails + 1)); }
"$R" get "$S" 'Setup2' s | grep -qx 1 ||
    { echo "FAIL SYSTEM key of a mixed file not imported"; fails=$((fails + 1)); }
"$R" query "$S" 'Software' >/dev/null 2>&1 &&
    { echo "FAIL HKCU key written into SYSTEM"; fails=$((fails + 1)); }
before=$(sum "$S")
expect_err "import mixed strict" 1 "HKEY_CURRENT_USER is not this hive" \
    "$R" import "$S" "$W/mixed.reg" --strict
# A SOFTWARE hive and a SYSTEM file: refused whole, even without --strict.
SW=$W/soft.hive
cp "$(mkfix win-software)" "$SW"
printf 'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Foo]\n"a"="b"\n' >"$W/sys.reg"
before=$(sum "$SW")
expect_err "import other hive" 1 "HKEY_LOCAL_MACHINE\\SYSTEM is not this hive, which is HKEY_LOCAL_MACHINE\\SOFTWARE" \
    "$R" import "$SW" "$W/sys.reg"
grep -q "nothing written" "$W/err" || { echo "FAIL nothing written"; fails=$((fails + 1)); }
expect_err "import other hive dry" 1 "is not this hive" "$R" import "$SW" "$W/sys.reg" --dry-run
[ "$(sum "$SW")" = "$before" ] || { echo "FAIL import other hive wrote"; fails=$((fails + 1)); }
# --prefix says otherwise.
"$R" import "$SW" "$W/sys.reg" --prefix 'HKLM\SYSTEM' >/dev/null 2>"$W/err" &&
    "$R" get "$SW" 'CurrentControlSet\Services\Foo' a | grep -qx b ||
    { echo "FAIL --prefix"; cat "$W/err"; fails=$((fails + 1)); }
# A hive of unknown kind (reghive new): the file's first root, as before.
N=$W/new.hive
"$R" new "$N" >/dev/null
"$R" import "$N" "$W/mixed.reg" >"$W/out" 2>&1 &&
    "$R" get "$N" 'Software\X' u | grep -qx user ||
    { echo "FAIL unknown kind"; cat "$W/out"; fails=$((fails + 1)); }
# The embedded file name decides before the contents.
if [ -f "${CORPUS:-}/regipy/NTUSER.DAT" ]; then
    expect_err "ntuser by name" 1 "which is HKEY_CURRENT_USER (embedded name" \
        "$R" query --no-logs "$CORPUS/regipy/NTUSER.DAT" 'HKLM\SOFTWARE\Microsoft'
    "$R" query --no-logs "$CORPUS/regipy/NTUSER.DAT" 'HKU\S-1-5-21-1\Software' >/dev/null ||
        { echo "FAIL HKU\\<SID> in NTUSER"; fails=$((fails + 1)); }
fi
finish
