#!/usr/bin/env python3
"""Write the seed corpora fuzz/corpus/{hive,check,export}/ : small hives
(< 16 KiB) built by tests/oracle/test_hostile.py's raw writer, valid and
damaged; and fuzz/corpus/edit/seed-*: edit sequences, some starting from
those hives.  usage: mkseeds.py  (run from anywhere; rewrites seed-* files)"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'oracle'))
import test_hostile as th  # noqa: E402


def seeds():
    out = {}
    for minor in (3, 5):
        h, o = th.std_hive(minor, big=False)
        out['seed-std-1.%d' % minor] = h.image(o['root'])
    out['seed-chain-40'] = th.deep_chain(40)
    wanted = {'cycle-self', 'cycle-ancestor', 'ri-in-ri', 'sk-flink-loop',
              'duplicate', 'wrong-order', 'shared-valuelist', 'orphan',
              'inline-too-long', 'listcount-huge', 'bin-sig'}
    for name, fn, _expect, minor, _big in th.CASES:
        if name not in wanted:
            continue
        h, o = th.std_hive(minor, big=False)
        img = fn(h, o) or h.image(o['root'])
        out['seed-' + name] = img
    # hivex-style single large data cell on 1.3, and a real db on 1.5 whose
    # segments are only partly present (stays small)
    h = th.Hive(3)
    root = h.nk('ROOT', 0, 0x2C)
    sk = h.sk(1)
    h.put32(root, 0x2C, sk)
    h.values(root, [h.vk('v', 3, bytes(3000))])
    out['seed-data-1.3'] = h.image(root)
    for k, v in out.items():
        assert len(v) < 16384, (k, len(v))
    return out


def edit_seeds(hives):
    """Op sequences for edit_fuzz.c (see its header for the encoding):
    op byte % 9: 0/1 add, 2 delete, 3 set value, 4 delete value,
    5 rename, 6 delete all values, 7 create path, 8 commit/verify."""
    add = lambda p, n: bytes([0, p, n])          # parent slot, dict name
    setv = lambda k, n, t, sz: bytes([3, k, n, t, sz, 0x41])
    out = {}
    base = (add(0xFF, 2) + add(0, 0) + add(0, 1) + add(0xFF, 5) +
            setv(0, 0, 1, 5) + setv(0, 1, 4, 4) + setv(1, 2, 3, 0x90) +
            setv(0xFF, 0x1B, 3, 0xC2) + bytes([8, 0]))
    out['seed-basic'] = bytes([0]) + base
    out['seed-big-1.3'] = bytes([6]) + setv(0xFF, 0, 3, 0xC5) + bytes([8, 0])
    out['seed-churn'] = bytes([0]) + base + bytes([2, 0]) + base + \
        bytes([5, 0, 3, 4, 0, 0, 6, 0xFF, 8, 1]) + setv(0, 0, 3, 0xFF)
    out['seed-names'] = bytes([0]) + b''.join(
        add(0xFF, n) for n in range(28)) + bytes([0, 0xFF, 0xC5, 1]) + \
        bytes([0, 0xFF, 0x85]) + b'\xff\xfeab\x00' + bytes([8, 1])
    out['seed-path'] = bytes([0, 7, 2, 2, 0x18, 3, 8, 0])
    for name in ('seed-std-1.5', 'seed-std-1.3', 'seed-data-1.3'):
        img = hives[name]
        out['seed-hive-' + name[5:]] = (bytes([1]) +
                                         struct.pack('<H', len(img)) + img +
                                         base)
    return out


def main():
    s = seeds()
    d = os.path.join(HERE, 'corpus', 'edit')
    os.makedirs(d, exist_ok=True)
    for name, data in edit_seeds(s).items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    for target in ('hive', 'check', 'export'):
        d = os.path.join(HERE, 'corpus', target)
        os.makedirs(d, exist_ok=True)
        for name, img in s.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(img)
    print('%d seeds x 3 targets' % len(s))


if __name__ == '__main__':
    main()
