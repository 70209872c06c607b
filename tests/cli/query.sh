#!/usr/bin/env bash
# reghive query against hand-written expected output in reg.exe's layout
# (Wine programs/reg/query.c and tests/query.c, which pass on Windows):
# blank line first; a key with values prints path, "    name    TYPE    data"
# lines and a blank line, a key without values prints nothing; subkey paths
# follow one per line; -s prints every key below as path, values, blank.
# Searches end with "End of search: N match(es) found.".
. "$(dirname "$0")/lib.bash"
K=$(mkfix kb)
T=$(mkfix types)
x() { printf '%s' "$1" >"$W/exp"; } # expected text, exactly

# --- plain listings --------------------------------------------------
x '
\ControlSet001
\ControlSet002
\Select
'
expect "root: no values, so only subkeys" 0 "$W/exp" "$R" query "$K"

x '
HKEY_LOCAL_MACHINE\SYSTEM\Select
    Current    REG_DWORD    0x2
    Default    REG_DWORD    0x2
    Failed    REG_DWORD    0x0
    LastKnownGood    REG_DWORD    0x1

'
expect "HKLM\\SYSTEM prefix" 0 "$W/exp" "$R" query "$K" 'HKLM\SYSTEM\Select'
expect "long root name" 0 "$W/exp" "$R" query "$K" 'HKEY_LOCAL_MACHINE\SYSTEM\Select'

x '
HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\MSExchangeKMS
    DisplayName    REG_SZ    Microsoft Exchange Key Management
    ImagePath    REG_EXPAND_SZ    C:\exchsrvr\bin\kmserver.exe
    Start    REG_DWORD    0x2
    Type    REG_DWORD    0x10

'
expect "CurrentControlSet -> ControlSet002" 0 "$W/exp" \
    "$R" query "$K" 'HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeKMS'

x '
HKEY_LOCAL_MACHINE\system\ControlSet002\Services\MSExchangeKMS
HKEY_LOCAL_MACHINE\system\ControlSet002\Services\Tcpip
'
expect "case-insensitive path, subkeys only" 0 "$W/exp" \
    "$R" query "$K" 'hklm\system\currentcontrolset\SERVICES'

x '
HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\MSExchangeKMS
    DisplayName    REG_SZ    Microsoft Exchange Key Management
    ImagePath    REG_EXPAND_SZ    C:\exchsrvr\bin\kmserver.exe
    Start    REG_DWORD    0x2
    Type    REG_DWORD    0x10

HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Tcpip
    Start    REG_DWORD    0x0
    Type    REG_DWORD    0x1
    ImagePath    REG_EXPAND_SZ    System32\drivers\tcpip.sys

'
expect "-s" 0 "$W/exp" "$R" query "$K" 'HKLM\SYSTEM\ControlSet001\Services' -s

x '
\ControlSet001\Services

\ControlSet001\Services\MSExchangeKMS
    DisplayName    REG_SZ    Microsoft Exchange Key Management
    ImagePath    REG_EXPAND_SZ    C:\exchsrvr\bin\kmserver.exe
    Start    REG_DWORD    0x2
    Type    REG_DWORD    0x10

\ControlSet001\Services\Tcpip
    Start    REG_DWORD    0x0
    Type    REG_DWORD    0x1
    ImagePath    REG_EXPAND_SZ    System32\drivers\tcpip.sys

'
expect "-s: the queried key without values prints nothing, keys below do" 0 "$W/exp" \
    "$R" query "$K" 'ControlSet001' -s

# --- -v / -ve ----------------------------------------------------------
x '
HKEY_LOCAL_MACHINE\SYSTEM\Select
    Current    REG_DWORD    0x2

'
expect "-v, other case" 0 "$W/exp" "$R" query "$K" 'HKLM\SYSTEM\Select' -v current
expect_err "-v missing value" 1 "value not found: nope" "$R" query "$K" 'HKLM\SYSTEM\Select' -v nope

x '
\Select
    (Default)    REG_SZ    (value not set)

'
expect "-ve without a default value" 0 "$W/exp" "$R" query "$K" Select -ve

x '
\ControlSet001\Services\MSExchangeKMS
    Start    REG_DWORD    0x2

\ControlSet001\Services\Tcpip
    Start    REG_DWORD    0x0

End of search: 2 match(es) found.
'
expect "-v -s" 0 "$W/exp" "$R" query "$K" ControlSet001 -v START -s

x '
End of search: 0 match(es) found.
'
expect "-ve -s with no default anywhere" 0 "$W/exp" "$R" query "$K" -ve -s

# --- -f ----------------------------------------------------------------
x '
\ControlSet001\Services\MSExchangeKMS
    ImagePath    REG_EXPAND_SZ    C:\exchsrvr\bin\kmserver.exe

\ControlSet002\Services\MSExchangeKMS
    ImagePath    REG_EXPAND_SZ    C:\exchsrvr\bin\kmserver.exe

End of search: 4 match(es) found.
'
expect "-f: key names, value names and data" 0 "$W/exp" "$R" query "$K" -f kms -s

x '
\ControlSet001\Services\Tcpip
End of search: 1 match(es) found.
'
expect "-f -k, not recursive: subkey names" 0 "$W/exp" "$R" query "$K" 'ControlSet001\Services' -f TCP -k

x '
\ControlSet001\Services\MSExchangeKMS
    Start    REG_DWORD    0x2

\ControlSet002\Services\MSExchangeKMS
    Start    REG_DWORD    0x2

\Select
    Current    REG_DWORD    0x2
    Default    REG_DWORD    0x2

End of search: 4 match(es) found.
'
expect "-f -d -e on shown data" 0 "$W/exp" "$R" query "$K" -f 0x2 -d -e -s

x '
End of search: 0 match(es) found.
'
expect "-f -c case-sensitive: no hit" 0 "$W/exp" "$R" query "$K" -f exchange -c -s
x '
\ControlSet001\Services\MSExchangeKMS
\ControlSet002\Services\MSExchangeKMS
End of search: 2 match(es) found.
'
expect "-f -k -c" 0 "$W/exp" "$R" query "$K" -f Exchange -k -c -s

x '
\Select
    Failed    REG_DWORD    0x0

End of search: 1 match(es) found.
'
expect "-f -v: value names only, wildcards" 0 "$W/exp" "$R" query "$K" Select -f 'f*l?d' -v -e

x '
\ControlSet002\Services\Tcpip
    ImagePath    REG_EXPAND_SZ    System32\drivers\tcpip.sys

End of search: 1 match(es) found.
'
expect "-f -d -t" 0 "$W/exp" "$R" query "$K" ControlSet002 -f drivers -d -t REG_EXPAND_SZ -s

# --- -t ----------------------------------------------------------------
x '
\Types
    multi    REG_MULTI_SZ    a\0bb\0ccc
    multi_empty    REG_MULTI_SZ    
    multi_inner_empty    REG_MULTI_SZ    a\0\0b
    multi_noterm    REG_MULTI_SZ    x\0yz

End of search: 4 match(es) found.
'
expect "-t REG_MULTI_SZ: \\0 joins, terminators dropped" 0 "$W/exp" "$R" query "$T" Types -t REG_MULTI_SZ

x '
\Types
    dword    REG_DWORD    0xdeadbeef
    dword_short    REG_DWORD    0102
    dword_be    REG_DWORD_BIG_ENDIAN    0x1
    link    REG_LINK    \Registry\Machine\x
    qword    REG_QWORD    0x123456789abcdef
    none    REG_NONE    0001
    type_0x1234    0x1234    FF
    dword_long    REG_DWORD    0500000000000000

End of search: 8 match(es) found.
'
expect "-t list: numbers in 0x, other data in uppercase hex" 0 "$W/exp" \
    "$R" query "$T" Types -t 'REG_DWORD,reg_dword_big_endian,REG_LINK,11,REG_NONE,0x1234'

{ cat <<'E'

\Types
    (Default)    REG_SZ    default value
    sz    REG_SZ    hello "world" \ back
    sz_empty    REG_SZ    
    sz_nonul    REG_SZ    abc
    sz_unicode    REG_SZ    Ключ ëigen 𐐀
    name with "quotes" and \    REG_SZ    x
    sz_zero    REG_SZ    
    sz_nul_inside    REG_SZ    abc
    sz_two_nuls    REG_SZ    abc
    sz_odd    REG_SZ    ab
E
    printf '    sz_crlf    REG_SZ    one\r\ntwo\n    sz_lf    REG_SZ    a\nb\n'
    printf '    sz_ctl    REG_SZ    tab\there, then "quoted" \\ path\n'
    printf '    sz_cr_late    REG_SZ    0123456789abcdef\rX\n'
    printf '    name \303\251 \\ "    REG_SZ    y\n\n'
    printf 'End of search: 15 match(es) found.\n'; } >"$W/exp"
expect "-t REG_SZ: text up to the first NUL, raw CR/LF" 0 "$W/exp" "$R" query "$T" Types -t REG_SZ

x '
HKEY_LOCAL_MACHINE\SOFTWARE\Types\Ключ
    Значение    REG_SZ    данные
    (Default)    REG_DWORD    0x7

'
expect "Cyrillic key, other case" 0 "$W/exp" "$R" query "$T" 'HKLM\SOFTWARE\TYPES\кЛЮЧ'
x '
\Types\Ключ
    Значение    REG_SZ    данные

'
expect "Cyrillic -v, other case" 0 "$W/exp" "$R" query "$T" 'types\КЛЮЧ' -v 'зНАЧЕНИЕ'
x '
\Types\Ключ
    (Default)    REG_DWORD    0x7

'
expect "-ve with a default value" 0 "$W/exp" "$R" query "$T" 'types\КЛЮЧ' -ve
x '
\Types\Ключ
End of search: 1 match(es) found.
'
expect "-f -k Cyrillic, case-insensitive" 0 "$W/exp" "$R" query "$T" Types -f 'кл' -k
x '
End of search: 0 match(es) found.
'
expect "-f -k -c Cyrillic" 0 "$W/exp" "$R" query "$T" Types -f 'кл' -k -c

# --- --json: whole keys, only those the text form would show ----------
paths() { "$PY" -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    print(o["path"], len(o["values"]))'; }
x '\Select 4
'
"$R" query "$K" Select --json | paths >"$W/out"
cmp -s "$W/exp" "$W/out" || { echo "FAIL --json key"; cat "$W/out"; fails=$((fails + 1)); }
x 'HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services 0
HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\MSExchangeKMS 4
HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\Tcpip 3
'
"$R" query "$K" 'HKLM\SYSTEM\CurrentControlSet\Services' -s --json | paths >"$W/out"
cmp -s "$W/exp" "$W/out" || { echo "FAIL --json -s"; cat "$W/out"; fails=$((fails + 1)); }
x '\ControlSet001\Services\MSExchangeKMS 4
\ControlSet002\Services\MSExchangeKMS 4
'
"$R" query "$K" -f exchange -s --json | paths >"$W/out"
cmp -s "$W/exp" "$W/out" || { echo "FAIL --json -f"; cat "$W/out"; fails=$((fails + 1)); }
x '\Select 4
'
"$R" query "$K" -v Failed -s --json | paths >"$W/out"
cmp -s "$W/exp" "$W/out" || { echo "FAIL --json -v -s"; cat "$W/out"; fails=$((fails + 1)); }
x '\Types 40
\Types\Ключ 2
'
"$R" query "$T" -t REG_DWORD -s --json | paths >"$W/out"
cmp -s "$W/exp" "$W/out" || { echo "FAIL --json -t -s"; cat "$W/out"; fails=$((fails + 1)); }
"$R" query "$T" Types -t 0x1234 -s --json | paths >"$W/out"
printf '\\Types 40\n' >"$W/exp"
cmp -s "$W/exp" "$W/out" || { echo "FAIL --json -t"; cat "$W/out"; fails=$((fails + 1)); }

# --- errors -----------------------------------------------------------
expect_err "missing key" 1 "NoSuchKey" "$R" query "$K" 'Select\NoSuchKey'
expect_err "missing hive" 1 "nonexistent" "$R" query "$W/nonexistent"
expect_err "no hive" 64 "usage:" "$R" query
expect_err "-v and -ve" 64 "usage:" "$R" query "$K" Select -v a -ve
expect_err "-k without -f" 64 "usage:" "$R" query "$K" -k
expect_err "-f with -v NAME" 64 "usage:" "$R" query "$K" -f x -v name
expect_err "-v without a name or -f" 64 "usage:" "$R" query "$K" -v
expect_err "unknown type" 64 "unknown type 'REG_FOO'" "$R" query "$K" -t REG_FOO
expect_err "unknown option" 64 "usage:" "$R" query "$K" --bogus
expect_err "extra argument" 64 "usage:" "$R" query "$K" a b
finish
