#!/usr/bin/env bash
# The UTF-16LE export (regedit's file format, which src/regtext.c writes
# with its own code: names, strings and hex straight from the hive) must
# be exactly the UTF-8 export re-encoded: BOM, CRLF line ends, surrogate
# pairs, lone surrogates (WTF-8) kept.  Hives with non-ASCII names and
# data, a lone surrogate (TruncatedPairHive), long hex lines, and 4.5 MB
# of binary data with thousands of strings (NTUSER_BAGMRU).
set -u
: "${REGHIVE:?}" "${CORPUS:?}" "${PYTHON:=/usr/bin/python3}"
hives=(yarp/UnicodeHive yarp/TruncatedPairHive yarp/ExtendedASCIIHive
       hivex/special python-registry/UNICODE_TESTS regipy/amcache.hve
       regipy/NTUSER_BAGMRU.DAT)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for h in "${hives[@]}"; do
    [ -f "$CORPUS/$h" ] || continue
    n=$((n + 1))
    "$REGHIVE" export "$CORPUS/$h" -o "$tmp/u16.reg" 2>/dev/null || { echo "export -o failed: $h"; exit 1; }
    "$REGHIVE" export "$CORPUS/$h" --utf8 >"$tmp/u8.reg" 2>/dev/null || { echo "export --utf8 failed: $h"; exit 1; }
    "$PYTHON" - "$tmp/u8.reg" "$tmp/u16.reg" <<'PY' || { echo "UTF-16 export differs from UTF-8 export: $h"; exit 1; }
import sys
u8 = open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogatepass')
want = b'\xff\xfe' + u8.replace('\n', '\r\n').encode('utf-16-le', 'surrogatepass')
sys.exit(0 if open(sys.argv[2], 'rb').read() == want else 1)
PY
done
if [ $n -eq 0 ]; then
    echo "corpus absent ($CORPUS): skipped"
    exit 77
fi
echo "ok: $n hives"
