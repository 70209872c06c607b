#!/usr/bin/env bash
# reghive import --dry-run: the plan against the types fixture (every
# action), the automatic and --prefix root mapping, outside keys skipped
# or refused with --strict, syntax errors with file:line:column; then
# applying: several files in one commit, --backup, nothing written on a
# syntax error or a --strict refusal (same bytes and mtime), stdin.
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
# Applying: one commit for all files; --backup keeps the old hive.
cp "$H" "$W/orig.hive"
printf 'REGEDIT4\n[HKLM\\SOFTWARE\\Types\\Sub]\n"n"=dword:00000007\n' >"$W/b.reg"
"$R" import "$H" "$W/a.reg" "$W/b.reg" --backup >"$W/out" 2>"$W/err" ||
    { echo "FAIL apply"; cat "$W/err"; fails=$((fails + 1)); }
grep -q '^import: .* keys created, 1 deleted' "$W/out" &&
    grep -q "previous hive kept as $H.bak" "$W/out" &&
    cmp -s "$H.bak" "$W/orig.hive" ||
    { echo "FAIL apply output/backup"; cat "$W/out"; fails=$((fails + 1)); }
# a.reg deleted Types; b.reg re-created Types\Sub with one value.
"$R" export "$H" --utf8 >"$W/exp" 2>&1
grep -q '^\[\\New\\Deeper\]$' "$W/exp" && grep -q '^"n"=dword:00000007$' "$W/exp" &&
    ! grep -q '"dword"' "$W/exp" && "$R" check --strict "$H" >/dev/null ||
    { echo "FAIL applied tree"; cat "$W/exp"; fails=$((fails + 1)); }
# A syntax error in any file: nothing written (same bytes, same mtime).
touch -d '2001-01-01' "$H"
cp -p "$H" "$W/before.hive"
expect_err "apply syntax error" 1 "bad.reg:3:11:" "$R" import "$H" "$W/b.reg" "$W/bad.reg"
cmp -s "$H" "$W/before.hive" && [ "$(stat -c %Y "$H")" = "$(stat -c %Y "$W/before.hive")" ] ||
    { echo "FAIL hive touched after a syntax error"; fails=$((fails + 1)); }
# --strict refuses an outside key in any file before writing.
expect_err "apply --strict" 1 "outside the hive" "$R" import "$H" "$W/b.reg" "$W/o.reg" --strict
[ "$(stat -c %Y "$H")" = "$(stat -c %Y "$W/before.hive")" ] ||
    { echo "FAIL hive touched by --strict"; fails=$((fails + 1)); }
# Only skipped keys: nothing to write.
printf 'REGEDIT4\n[HKCU\\Other]\n' >"$W/skip.reg"
"$R" import "$H" "$W/skip.reg" --prefix "HKLM\\SOFTWARE" >"$W/out" 2>&1
grep -q 'nothing to change' "$W/out" && [ "$(stat -c %Y "$H")" = "$(stat -c %Y "$W/before.hive")" ] ||
    { echo "FAIL skip-only import"; cat "$W/out"; fails=$((fails + 1)); }
# Standard input as '-'.
printf 'REGEDIT4\n[\\FromStdin]\n"s"="x"\n' | "$R" import "$H" - >/dev/null 2>&1 &&
    "$R" get "$H" 'FromStdin' s 2>/dev/null | grep -q x ||
    { echo "FAIL stdin apply"; fails=$((fails + 1)); }
expect_err "usage" 64 "usage: reghive import" "$R" import "$H"
finish
