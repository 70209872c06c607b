#!/usr/bin/env python3
"""Copy seeds for one fuzz target from the shared corpus into a working
corpus directory, framed as the target reads its input (never writes the
shared corpus).  usage: seed.py TARGET CORPUS_DIR WORK_DIR
  hive, check, export, diff: every hive file under 64 KiB as it is
  edit: those hives framed as edit_fuzz.c seed-mode inputs (+ a few ops)
  log: each hive with its .LOG1/.LOG2 files (log_fuzz.c framing)
  regparse: .reg files under 64 KiB"""
import os
import struct
import sys

LIMIT = 65536


def files(root):
    for d, _, names in os.walk(root):
        for n in sorted(names):
            p = os.path.join(d, n)
            if n.endswith(('.tsv', '.md')) or os.path.getsize(p) >= LIMIT:
                continue
            yield p


def is_hive(p):
    with open(p, 'rb') as f:
        return f.read(4) == b'regf'


def main():
    target, corpus, work = sys.argv[1:4]
    n = 0
    for p in files(corpus):
        name = 'shared-%d-%s' % (n, os.path.basename(p))
        with open(p, 'rb') as f:
            data = f.read()
        low = p.lower()
        out = None
        if target == 'regparse':
            out = data if low.endswith('.reg') else None
        elif not is_hive(p) or '.log' in os.path.basename(low):
            out = None
        elif target == 'edit':
            out = (bytes([1]) + struct.pack('<H', len(data)) + data +
                   bytes([0, 0xFF, 2, 3, 0, 1, 1, 9, 0x41, 8, 0]))
        elif target == 'log':
            stem = os.path.splitext(p)[0] if '.' in os.path.basename(p) \
                else p
            logs = []
            for ext in ('.LOG1', '.LOG2', '.LOG'):
                q = stem + ext
                if os.path.exists(q) and os.path.getsize(q) < LIMIT:
                    with open(q, 'rb') as f:
                        logs.append(f.read())
            if logs:
                l1 = logs[0]
                l2 = logs[1] if len(logs) > 1 else b''
                out = struct.pack('<II', len(data), len(l1)) + data + l1 + l2
        else:
            out = data
        if out is not None:
            with open(os.path.join(work, name), 'wb') as f:
                f.write(out)
            n += 1
    print('%s: %d seeds from %s' % (target, n, corpus), file=sys.stderr)


if __name__ == '__main__':
    main()
