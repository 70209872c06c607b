#!/usr/bin/env bash
# reghive import --dry-run: the plan against the types fixture (every
# action), the automatic and --prefix root mapping, outside keys skipped
# or refused with --strict, syntax errors with file:line:column, and
# the refusal to apply without the write engine.
. "$(dirname "$0")/lib.bash"
H=$(mkfix types)

cat >"$W/a.reg" <<'REG'
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Types]
"dword"=dword:00000001
"new"="x"

[HKEY_LOCAL_MACHINE\SOFTWARE\Types\Sub]
[HKEY_LOCAL_MACHINE\SOFTWARE\New\Deeper]
"v"=hex:01
"v"=hex:01
[-HKEY_LOCAL_MACHINE\SOFTWARE\Types]
"x"=-
REG
# The last value follows a deletion: an error, not a plan.
"$R" import "$H" "$W/a.reg" --dry-run >"$W/out" 2>"$W/err"
[ $? -eq 1 ] && grep -q 'a.reg:12:1: value after a key deletion' "$W/err" ||
    { echo "FAIL value after deletion"; cat "$W/err"; fails=$((fails + 1)); }
sed -i '$d' "$W/a.reg"
"$R" import "$H" "$W/a.reg" --dry-run >"$W/out" 2>"$W/err" ||
    { echo "FAIL dry-run"; cat "$W/err"; fails=$((fails + 1)); }
grep -q 'a.reg:3: add key (exists): \\Types$' "$W/out" &&
    grep -q 'a.reg:5: set value (new): \\Types: "new"' "$W/out" &&
    grep -q 'a.reg:8: add key (new): \\New\\Deeper$' "$W/out" &&
    grep -q 'a.reg:9: set value (new): \\New\\Deeper: "v"' "$W/out" &&
    grep -q 'a.reg:10: set value (unchanged): \\New\\Deeper: "v"' "$W/out" &&
    grep -Eq 'a.reg:11: delete key \([0-9]+ subkeys\): \\Types$' "$W/out" &&
    grep -q '^plan: 3 add key, 1 delete key' "$W/out" ||
    { echo "FAIL plan:"; cat "$W/out"; fails=$((fails + 1)); }
# The hive says SOFTWARE, the file HKLM\SOFTWARE: no warning.
[ -s "$W/err" ] && { echo "FAIL unexpected stderr"; cat "$W/err"; fails=$((fails + 1)); }

# Outside keys: skipped, or refused with --strict.
printf 'REGEDIT4\n[HKLM\\SOFTWARE\\Types]\n[HKCU\\Other]\n"a"="b"\n' >"$W/o.reg"
"$R" import "$H" "$W/o.reg" --dry-run >"$W/out" 2>&1
grep -q 'o.reg:3: skip: outside hive: \[HKCU\\Other\]' "$W/out" ||
    { echo "FAIL skip"; cat "$W/out"; fails=$((fails + 1)); }
expect_err "strict" 1 "is outside the hive" "$R" import "$H" "$W/o.reg" --dry-run --strict
# --prefix maps another root; stdin as '-'.
printf 'REGEDIT4\n[HKCU\\Types]\n"dword"=-\n' |
    "$R" import "$H" - --dry-run --prefix HKEY_CURRENT_USER >"$W/out" 2>&1
grep -q '<stdin>:3: delete value: \\Types: "dword"' "$W/out" ||
    { echo "FAIL prefix/stdin"; cat "$W/out"; fails=$((fails + 1)); }
# Syntax errors name file:line:column; nothing is planned.
printf 'REGEDIT4\n[\\a]\n"v"=dword:123456789\n' >"$W/bad.reg"
expect_err "syntax error" 1 "bad.reg:3:11: dword: takes at most 8" \
    "$R" import "$H" "$W/a.reg" "$W/bad.reg" --dry-run
printf 'REGEDIT5\n' >"$W/hdr.reg"
expect_err "unknown header" 1 "hdr.reg:1:1: unknown header" "$R" import "$H" "$W/hdr.reg" --dry-run
# Applying is not there yet.
expect_err "no write engine" 1 "not yet" "$R" import "$H" "$W/a.reg"
expect_err "usage" 2 "usage: reghive import" "$R" import "$H"
finish
