#!/usr/bin/env python3
"""Write the seed corpora fuzz/corpus/{hive,check,export}/ : small hives
(< 16 KiB) built by tests/oracle/test_hostile.py's raw writer, valid and
damaged.  usage: mkseeds.py  (run from anywhere; rewrites seed-* files)"""
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


def main():
    s = seeds()
    for target in ('hive', 'check', 'export'):
        d = os.path.join(HERE, 'corpus', target)
        os.makedirs(d, exist_ok=True)
        for name, img in s.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(img)
    print('%d seeds x 3 targets' % len(s))


if __name__ == '__main__':
    main()
