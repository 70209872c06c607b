#!/usr/bin/env bash
# reghive get: every type of the types fixture decoded (strings up to the
# first NUL, REG_MULTI_SZ one string per line, numbers in decimal, other
# data as lowercase hex), --raw byte-exact, lookups through root prefixes,
# CurrentControlSet and case-insensitive (also Cyrillic) names, errors.
. "$(dirname "$0")/lib.bash"
K=$(mkfix kb)
T=$(mkfix types)

g() { # name expected-text: get Types NAME prints expected-text + "\n"
    printf '%s\n' "$2" >"$W/exp"
    expect "get $1" 0 "$W/exp" "$R" get "$T" 'HKLM\SOFTWARE\Types' "$1"
}
g '' 'default value'
g sz 'hello "world" \ back'
g sz_empty ''
g sz_nonul 'abc'
g sz_unicode 'Ключ ëigen 𐐀'
g expand '%SystemRoot%\system32'
g binary_empty ''
g dword 3735928559
g dword_short 0102
g dword_be 1
g link '\Registry\Machine\x'
g multi 'a
bb
ccc'
g multi_empty ''
g multi_inner_empty 'a

b'
g multi_noterm 'x
yz'
g reslist 00000000000000000000000000000000000000000000000000000000000000000000000000000000
g fullres 0000000000000000000000000000000000000000
g resreq 000000000000000000000000000000000000000000000000000000000000
g qword 81985529216486895
g none 0001
g type_0x1234 ff
g inline3 616263
g 'NAME WITH "QUOTES" AND \' x
g sz_zero ''
g sz_nul_inside abc
g sz_two_nuls abc
g sz_odd ab
g sz_lf 'a
b'
g dword_long 0500000000000000
g binary "$("$PY" -c 'print(bytes(range(256)).hex())')"
g big "$("$PY" -c 'print(bytes((i * 7) & 255 for i in range(5000)).hex())')"

# --raw writes the stored bytes, nothing else.
raw() { # name python-bytes-expression
    "$PY" -c "import sys, struct; sys.stdout.buffer.write($2)" >"$W/exp"
    expect "get --raw $1" 0 "$W/exp" "$R" get "$T" Types "$1" --raw
}
raw sz "'hello \"world\" \\\\ back\\0'.encode('utf-16-le')"
raw sz_odd "'ab\\0'.encode('utf-16-le') + b'A'"
raw sz_zero "b''"
raw sz_crlf "'one\\r\\ntwo\\0'.encode('utf-16-le')"
raw dword "struct.pack('<I', 0xdeadbeef)"
raw qword "struct.pack('<Q', 0x0123456789abcdef)"
raw multi_noterm "'x\\0yz'.encode('utf-16-le')"
raw big "bytes((i * 7) & 255 for i in range(5000))"
raw inline3 "b'abc'"
raw '' "'default value\\0'.encode('utf-16-le')"

# Lookups: prefixes, CurrentControlSet, case-insensitive names.
printf '2\n' >"$W/exp"
expect "CurrentControlSet" 0 "$W/exp" "$R" get "$K" 'HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeKMS' Start
expect "lower case" 0 "$W/exp" "$R" get "$K" 'hklm\system\currentcontrolset\services\msexchangekms' START
expect "HKEY_LOCAL_MACHINE\\SYSTEM" 0 "$W/exp" "$R" get "$K" 'HKEY_LOCAL_MACHINE\SYSTEM\Select' current
printf 'System32\\drivers\\tcpip.sys\n' >"$W/exp"
expect "ControlSet002 via Select\\Current=2" 0 "$W/exp" "$R" get "$K" 'CurrentControlSet\Services\Tcpip' ImagePath
printf 'данные\n' >"$W/exp"
expect "Cyrillic key and value, other case" 0 "$W/exp" "$R" get "$T" 'HKLM\SOFTWARE\TYPES\кЛЮЧ' 'ЗНАЧЕНИЕ'
printf '7\n' >"$W/exp"
expect "default value without NAME" 0 "$W/exp" "$R" get "$T" 'Types\Ключ'

# Errors: not found exits 1 with a message; usage errors exit 2.
expect_err "missing value" 1 "value not found: nope" "$R" get "$K" Select nope
expect_err "missing default value" 1 "value not found: (Default)" "$R" get "$K" Select
expect_err "missing key" 1 "NoSuchKey" "$R" get "$K" 'Select\NoSuchKey' Current
expect_err "missing hive" 1 "nonexistent" "$R" get "$W/nonexistent" Select Current
expect_err "no key" 64 "usage:" "$R" get "$K"
expect_err "no arguments" 64 "usage:" "$R" get
expect_err "unknown option" 64 "usage:" "$R" get "$K" --bogus Select
expect_err "too many arguments" 64 "usage:" "$R" get "$K" Select Current extra
finish
