#!/usr/bin/env bash
# The UTF-16LE export (regedit's file format, which src/regtext.c writes
# with its own code: names, strings and hex straight from the hive) must
# be exactly the UTF-8 export re-encoded: BOM, CRLF line ends, surrogate
# pairs, lone surrogates (WTF-8) kept.  The tests/data hives of odd names
# and every value type (not names-crlf.hiv: an LF inside a name is not a
# line end), and, when the corpus is present, hives with non-ASCII names
# and data, a lone surrogate (TruncatedPairHive), long hex lines, and 4.5 MB
# of binary data with thousands of strings (NTUSER_BAGMRU).
set -u
: "${REGHIVE:?}" "${CORPUS:?}" "${PYTHON:=/usr/bin/python3}"
data=$(cd "$(dirname "$0")/../data" && pwd)
# tests/data fixtures first (always there), then the corpus hives
hives=(names.hiv names-surrogates.hiv types-1.5.hiv types-1.3.hiv
       yarp/UnicodeHive yarp/TruncatedPairHive yarp/ExtendedASCIIHive
       hivex/special python-registry/UNICODE_TESTS regipy/amcache.hve
       regipy/NTUSER_BAGMRU.DAT)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 nc=0
for h in "${hives[@]}"; do
    if [ -f "$data/$h" ]; then
        f=$data/$h
    elif [ -f "$CORPUS/$h" ]; then
        f=$CORPUS/$h nc=$((nc + 1))
    else
        continue
    fi
    n=$((n + 1))
    "$REGHIVE" export "$f" -o "$tmp/u16.reg" 2>/dev/null || { echo "export -o failed: $h"; exit 1; }
    "$REGHIVE" export "$f" --utf8 >"$tmp/u8.reg" 2>/dev/null || { echo "export --utf8 failed: $h"; exit 1; }
    "$PYTHON" - "$tmp/u8.reg" "$tmp/u16.reg" <<'PY' || { echo "UTF-16 export differs from UTF-8 export: $h"; exit 1; }
import sys
u8 = open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogatepass')
want = b'\xff\xfe' + u8.replace('\n', '\r\n').encode('utf-16-le', 'surrogatepass')
sys.exit(0 if open(sys.argv[2], 'rb').read() == want else 1)
PY
done
[ $nc -eq 0 ] && echo "partial: corpus absent ($CORPUS): tests/data hives only"
[ $n -ge 4 ] || { echo "tests/data fixtures missing ($data)"; exit 1; }
echo "ok: $n hives"
