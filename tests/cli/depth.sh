#!/usr/bin/env bash
# Keys stay within Windows' 512 levels below the root: add of a 513-level
# path, import of a key 600 levels deep and a copy that would nest past
# the limit fail (exit 1, a message) with the hive file untouched (same
# bytes, same mtime); a 512-level path is added, checks clean and
# deletes.
. "$(dirname "$0")/lib.bash"
H=$W/h
"$R" new "$H" >/dev/null || { echo "FAIL new"; exit 1; }
path() { # n -> k\k\...\k (n components)
    local s=k i
    for ((i = 1; i < $1; i++)); do s="$s\\k"; done
    printf '%s' "$s"
}
unchanged() { # name: the hive is as saved in $W/before
    if ! cmp -s "$H" "$W/before" || [ "$(stat -c %Y.%y "$H")" != "$(cat "$W/mtime")" ]; then
        echo "FAIL $1: the hive changed"; fails=$((fails + 1))
    fi
}
keep() { cp -p "$H" "$W/before"; stat -c %Y.%y "$H" >"$W/mtime"; }

keep
expect_err add513 1 "Windows allows 512" "$R" add "$H" "$(path 513)"
unchanged add513

"$R" add "$H" "$(path 512)" -v v -d 1 >/dev/null 2>"$W/err" ||
    { echo "FAIL add512"; cat "$W/err"; fails=$((fails + 1)); }
"$R" check "$H" >"$W/out" 2>&1 || { echo "FAIL check512"; cat "$W/out"; fails=$((fails + 1)); }
"$R" add "$H" 'A\B\C' >/dev/null

keep
expect_err add-below 1 "Windows allows 512" "$R" add "$H" "$(path 512)\\x"
unchanged add-below
# reg copy's meaning: A's subkeys go into the key at level 511, so B
# would lie at 512 and C at 513.
expect_err copy-deep 1 "512 levels" "$R" copy "$H" A "$H" "$(path 511)" -s -f
unchanged copy-deep
{
    printf 'Windows Registry Editor Version 5.00\r\n\r\n[\\'
    printf '%s' "$(path 600)"
    printf ']\r\n"v"="x"\r\n'
} >"$W/deep.reg"
keep
expect_err import-deep 1 "Windows allows 512" "$R" import "$H" "$W/deep.reg"
unchanged import-deep

"$R" delete "$H" k -f >/dev/null 2>"$W/err" ||
    { echo "FAIL delete"; cat "$W/err"; fails=$((fails + 1)); }
"$R" check "$H" >"$W/out" 2>&1 || { echo "FAIL check after delete"; cat "$W/out"; fails=$((fails + 1)); }
"$R" query "$H" k >/dev/null 2>&1 && { echo "FAIL k still there"; fails=$((fails + 1)); }
finish
