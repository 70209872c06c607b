#!/usr/bin/env bash
# reghive export's output path (cli/bgwrite.c: a writer thread, blocks
# preallocated ahead of the writes for a file given with -o): a big
# export is complete and the same in a file, through a pipe and over an
# existing longer file; no preallocated blocks stay past the end; a full
# disk is an error naming the file, with a non-zero exit.
. "$(dirname "$0")/lib.bash"
H=$W/big.hive
"$R" new "$H" >/dev/null || { echo "new failed"; exit 1; }
# Three 1.5 MB binary values: about 28 MB of UTF-16 .reg, enough for
# several writer buffers and preallocation steps.
for i in 1 2 3; do
    head -c 1500000 /dev/urandom >"$W/d$i"
    "$R" add "$H" 'Big' -v "v$i" -t REG_BINARY --data-file "$W/d$i" -f >/dev/null ||
        { echo "add failed"; exit 1; }
done

"$R" export "$H" -o "$W/a.reg" || fails=$((fails + 1))
"$R" export "$H" --utf16 >"$W/pipe.reg" || fails=$((fails + 1))
"$R" export "$H" --utf16 | cat >"$W/cat.reg" || fails=$((fails + 1))
cmp -s "$W/a.reg" "$W/pipe.reg" || { echo "FAIL -o and stdout differ"; fails=$((fails + 1)); }
cmp -s "$W/a.reg" "$W/cat.reg" || { echo "FAIL -o and pipe differ"; fails=$((fails + 1)); }

# The file is the UTF-8 export re-encoded, and its data decodes back.
"$R" export "$H" --utf8 >"$W/u8.reg" || fails=$((fails + 1))
"$PY" - "$W/u8.reg" "$W/a.reg" "$W/d1" "$W/d2" "$W/d3" <<'PY' || { echo "FAIL content"; fails=$((fails + 1)); }
import sys
u8 = open(sys.argv[1], 'rb').read().decode('utf-8')
got = open(sys.argv[2], 'rb').read()
assert got == b'\xff\xfe' + u8.replace('\n', '\r\n').encode('utf-16-le'), 'not the UTF-8 text'
text = u8.replace('\\\n  ', '')
for i, f in enumerate(sys.argv[3:], 1):
    line = next(l for l in text.split('\n') if l.startswith('"v%d"=hex:' % i))
    assert bytes.fromhex(line.split(':', 1)[1].replace(',', '')) == open(f, 'rb').read(), f
PY

# Over a longer existing file: truncated to the export.
head -c 40000000 /dev/zero >"$W/b.reg"
"$R" export "$H" -o "$W/b.reg" || fails=$((fails + 1))
cmp -s "$W/a.reg" "$W/b.reg" || { echo "FAIL over a longer file"; fails=$((fails + 1)); }

# No preallocated blocks left past the end (1 MiB of slack for the
# filesystem's own rounding).
size=$(stat -c %s "$W/a.reg") blocks=$(stat -c %b "$W/a.reg") bsz=$(stat -c %B "$W/a.reg")
if [ $((blocks * bsz)) -gt $((size + 1048576)) ]; then
    echo "FAIL $((blocks * bsz)) bytes allocated for $size"; fails=$((fails + 1))
fi

if [ -w /dev/full ]; then
    expect_err "export to a full disk" 1 "/dev/full: No space left on device" \
        "$R" export "$H" -o /dev/full
    expect_err "export to a full stdout" 1 "No space left on device" \
        sh -c '"$0" export "$1" --utf16 >/dev/full' "$R" "$H"
fi
finish
