#!/usr/bin/env bash
# reghive export of the types fixture (a value of every type and the edge
# cases) against expected files written by hand from the .reg rules in the
# header of src/regtext.c.  expected/types.reg.txt is kept as UTF-8 with
# LF for review; here it becomes what regedit writes (BOM, UTF-16LE, CRLF).
# "@BIG@" stands for the 5000-byte value's 201 hex lines, expanded below by
# an independent implementation of the wrap rule.
. "$(dirname "$0")/lib.bash"
H=$(mkfix types)
E=$HERE/expected

"$PY" - "$E/types.reg.txt" "$W/types.utf8" "$W/types.reg" <<'PY' || exit 1
import sys
src, utf8, utf16 = sys.argv[1:]
data = bytes((i * 7) & 255 for i in range(5000))
line, col, out = '"big"=hex:', 10, []
for i, b in enumerate(data):
    line += '%02x' % b
    if i + 1 == len(data):
        break
    line += ','
    col += 3
    if col >= 77:
        out.append(line + '\\')
        line, col = '  ', 2
out.append(line)
text = open(src, encoding='utf-8').read().replace('@BIG@', '\n'.join(out))
open(utf8, 'w', encoding='utf-8', newline='\n').write(text)
open(utf16, 'wb').write(b'\xff\xfe' + text.replace('\n', '\r\n').encode('utf-16-le'))
PY

P='HKEY_LOCAL_MACHINE\SOFTWARE'
# A file gets regedit's encoding by default, --utf16 forces it anywhere.
"$R" export "$H" -o "$W/out.reg" --prefix "$P" || fails=$((fails + 1))
cmp "$W/types.reg" "$W/out.reg" || { echo "FAIL export -o: differs"; fails=$((fails + 1)); }
expect "export --utf16 to stdout" 0 "$W/types.reg" "$R" export "$H" --utf16 --prefix "$P"
expect "export --utf8" 0 "$W/types.utf8" "$R" export "$H" --utf8 --prefix "$P"
"$R" export "$H" -o "$W/out8.reg" --utf8 --prefix "$P"
cmp "$W/types.utf8" "$W/out8.reg" || { echo "FAIL export -o --utf8"; fails=$((fails + 1)); }

# The prefix from a KEY with a root: HKLM\SOFTWARE\Types exports that key.
sed -n '/^\[HKEY_LOCAL_MACHINE\\SOFTWARE\\Types\]$/,$p' "$W/types.utf8" |
    { printf 'Windows Registry Editor Version 5.00\n; reghive export: hex data verbatim\n\n'; cat; } >"$W/sub.utf8"
expect "export KEY with root prefix" 0 "$W/sub.utf8" "$R" export "$H" 'HKLM\SOFTWARE\Types' --utf8
# A non-ASCII key found case-insensitively: exported under its stored name.
printf 'Windows Registry Editor Version 5.00\n; reghive export: hex data verbatim\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Types\\Ключ]\n"Значение"="данные"\n@=dword:00000007\n\n' >"$W/cyr.utf8"
expect "export Cyrillic key, other case" 0 "$W/cyr.utf8" "$R" export "$H" 'HKLM\SOFTWARE\TYPES\кЛЮЧ' --utf8
# Without a prefix the root is [\] (as hivexregedit writes it).
printf 'Windows Registry Editor Version 5.00\n; reghive export: hex data verbatim\n\n[\\Types\\Sub]\n\n' >"$W/sub2.utf8"
expect "export without prefix" 0 "$W/sub2.utf8" "$R" export "$H" 'Types\Sub' --utf8

# JSON lines: expected/types.jsonl is one object per key; a line starting
# with two spaces continues the previous one; "@BIGRAW@" is the big data.
"$PY" - "$E/types.jsonl" "$W/types.json" <<'PY' || exit 1
import sys
big = bytes((i * 7) & 255 for i in range(5000)).hex()
lines = []
for l in open(sys.argv[1], encoding='utf-8').read().split('\n'):
    if l.startswith('  '):
        lines[-1] += l[2:]
    elif l:
        lines.append(l)
open(sys.argv[2], 'w', encoding='utf-8', newline='\n').write(
    '\n'.join(lines).replace('@BIGRAW@', big) + '\n')
PY
expect "export --json" 0 "$W/types.json" "$R" export "$H" --json --prefix "$P"
"$PY" -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    json.loads(l)
' "$W/out" || { echo "FAIL: --json output is not JSON lines"; fails=$((fails + 1)); }

# Errors: missing key exits 1 with a message; bad options exit 2.
expect_err "export missing key" 1 "NoSuchKey" "$R" export "$H" 'Types\NoSuchKey' --utf8
expect_err "export bad option" 64 "usage:" "$R" export "$H" --bogus
expect_err "export no hive" 64 "usage:" "$R" export
finish
