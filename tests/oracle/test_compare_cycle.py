#!/usr/bin/env python3
"""`reghive compare` on a terminal counts the keys it will compare, for
its progress line.  That count walked subkey lists with no record of the
keys seen, so a key whose list names itself twice cost 2^512 steps (the
depth limit) before the compare began: a hostile hive hung the command.
It now counts with rh_key_walk (each key once), so the compare of such a
hive ends at once, with the corruption reported.  Built with
test_hostile.py's Hive writer; stderr on a pty so the progress is on."""
import os, subprocess, sys, tempfile, threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_hostile import Hive  # noqa: E402

R = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')


def cyclic_hive():
    """ROOT -> K, whose lf list names K itself twice."""
    h = Hive(5)
    root = h.nk('ROOT', 0, 0x2C)
    sk = h.sk(2)
    h.put32(root, 0x2C, sk)
    k = h.nk('K', root)
    h.put32(k, 0x2C, sk)
    h.subkeys(root, h.leaf(b'lf', [(k, 'K')]), 1)
    h.subkeys(k, h.leaf(b'lf', [(k, 'K'), (k, 'K')]), 2)
    return h.image(root)


def main():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'cyclic')
        with open(path, 'wb') as f:
            f.write(cyclic_hive())
        m, s = os.openpty()
        drained = []
        t = threading.Thread(target=lambda: drain(m, drained), daemon=True)
        t.start()
        try:
            p = subprocess.run([R, 'compare', path, path, '-s'],
                               stdout=subprocess.PIPE, stderr=s,
                               stdin=subprocess.DEVNULL, timeout=20)
        except subprocess.TimeoutExpired:
            print('FAIL: compare of a cyclic hive on a terminal did not '
                  'end within 20 s')
            return 1
        finally:
            os.close(s)
        # The compare itself then meets the damage (deeper than 512
        # levels): exit 1.
        if p.returncode != 1:
            print('FAIL: exit %d' % p.returncode)
            return 1
    print('ok')
    return 0


def drain(fd, out):
    while True:
        try:
            b = os.read(fd, 65536)
        except OSError:
            return
        if not b:
            return
        out.append(b)


if __name__ == '__main__':
    sys.exit(main())
