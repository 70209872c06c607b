#!/usr/bin/env python3
"""HKCR through --windows: the merged view of alice's UsrClass.dat and
HKLM\\SOFTWARE\\Classes, read-only.

On the fake tree of test_offline.py, `reghive add` gives SOFTWARE
Classes\\.txt (default "txtfile") and Classes\\txtfile, and alice a new
UsrClass.dat (`reghive new`) with .txt (default "alice.txt") and .alice.
Checks: get with --user reads alice's key (key-level precedence), without
--user the machine's (and says so on stderr); a plain query of HKCR lists
the union of subkey names; a key only the machine has is found with
--user; query/export of a key fall through; writes through HKCR (add,
delete, rename) are refused with exit 1 and a message naming
HKCU\\Software\\Classes and HKLM\\SOFTWARE\\Classes, and change nothing."""
import os, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_offline  # noqa: E402  (make_tree)
from test_offline import run, check, failures, REGHIVE  # noqa: E402


def build(root):
    test_offline.make_tree(root)
    sw = os.path.join(root, 'windows', 'System32', 'Config', 'software')
    for args in (['Classes\\.txt', '-ve', '-d', 'txtfile'],
                 ['Classes\\.txt', '-v', 'Content Type', '-d', 'text/plain'],
                 ['Classes\\txtfile', '-ve', '-d', 'Text Document'],
                 ['Classes\\.machineonly', '-ve', '-d', 'm']):
        rc, _, err = run('add', sw, *args, '-f')
        check(rc == 0, f'add {args} to SOFTWARE: {err}')
    wdir = os.path.join(root, 'USERS', 'Alice', 'AppData', 'Local',
                        'Microsoft', 'Windows')
    os.makedirs(wdir)
    usr = os.path.join(wdir, 'UsrClass.dat')
    rc, _, err = run('new', usr)
    check(rc == 0, f'new UsrClass.dat: {err}')
    for args in (['.txt', '-ve', '-d', 'alice.txt'],
                 ['.alice', '-ve', '-d', 'alicefile']):
        rc, _, err = run('add', usr, *args, '-f')
        check(rc == 0, f'add {args} to UsrClass.dat: {err}')
    return sw, usr


def test(root):
    sw, usr = build(root)
    win = ['--windows', root]
    alice = win + ['--user', 'alice']

    rc, out, err = run(*alice, 'get', 'HKCR\\.txt')
    check(rc == 0 and out == 'alice.txt\n', f'--user alice get HKCR\\.txt: {rc} {out!r} {err!r}')
    rc, out, err = run(*alice, 'get', 'HKEY_CLASSES_ROOT\\.txt')
    check(rc == 0 and out == 'alice.txt\n', f'HKEY_CLASSES_ROOT spelling: {rc} {out!r} {err!r}')
    # key-level precedence: alice's .txt hides the machine key's values
    rc, out, err = run(*alice, 'get', 'HKCR\\.txt', 'Content Type')
    check(rc == 1, f'machine-only value under a user key is hidden: {rc} {out!r}')
    rc, out, err = run(*win, 'get', 'HKCR\\.txt')
    check(rc == 0 and out == 'txtfile\n', f'without --user: {rc} {out!r} {err!r}')
    check('without --user' in err and err.count('\n') == 1,
          f'without --user: said once on stderr: {err!r}')
    rc, out, err = run(*win, 'get', 'HKCR\\.txt', 'Content Type')
    check(rc == 0 and out == 'text/plain\n', f'machine value: {rc} {out!r} {err!r}')
    rc, out, err = run(*alice, 'get', 'HKCR\\txtfile')
    check(rc == 0 and out == 'Text Document\n', f'machine-only key with --user: {rc} {out!r} {err!r}')
    rc, out, err = run(*win, 'get', 'HKCR\\.alice')
    check(rc == 1 and 'not found' in err, f'.alice is alice\'s only: {rc} {err!r}')
    rc, out, err = run(*alice, 'get', 'HKCR\\nosuch')
    check(rc == 1 and 'not found' in err, f'missing key: {rc} {err!r}')

    # listing: the union of subkey names, each once, in Windows' order
    rc, out, err = run(*alice, 'query', 'HKCR')
    subs = [l for l in out.splitlines() if l.startswith('HKEY_CLASSES_ROOT\\')]
    check(rc == 0 and subs == ['HKEY_CLASSES_ROOT\\' + n for n in
                               ('.alice', '.machineonly', '.txt', 'txtfile')],
          f'query HKCR lists the union: {rc} {out!r} {err!r}')
    rc, out, err = run(*win, 'query', 'HKCR')
    subs = [l for l in out.splitlines() if l.startswith('HKEY_CLASSES_ROOT\\')]
    check(rc == 0 and subs == ['HKEY_CLASSES_ROOT\\' + n for n in
                               ('.machineonly', '.txt', 'txtfile')],
          f'query HKCR without --user: {rc} {out!r} {err!r}')
    rc, out, err = run(*alice, 'query', 'HKCR\\.txt')
    check(rc == 0 and '(Default)    REG_SZ    alice.txt' in out and
          'Content Type' not in out, f'query HKCR\\.txt values: {out!r} {err!r}')
    rc, out, err = run(*win, 'query', 'HKCR\\.txt')
    check(rc == 0 and 'HKEY_CLASSES_ROOT\\.txt\n' in out and
          'text/plain' in out, f'query HKCR\\.txt machine: {out!r} {err!r}')
    rc, out, err = run(*alice, 'export', 'HKCR\\.alice', '-o', '-')
    check(rc == 0 and 'alicefile' in out, f'export HKCR\\.alice: {rc} {out!r} {err!r}')

    # writes: refused, nothing changes
    before = [open(p, 'rb').read() for p in (sw, usr)]
    for cmd in (['add', 'HKCR\\.txt', '-ve', '-d', 'x', '-f'],
                ['delete', 'HKCR\\.txt', '-f'],
                ['rename', 'HKEY_CLASSES_ROOT\\.txt', '.text']):
        for opts in (alice, win):
            rc, out, err = run(*opts, *cmd)
            check(rc == 1 and 'read-only' in err and
                  'HKCU\\Software\\Classes' in err and
                  'HKLM\\SOFTWARE\\Classes' in err,
                  f'{cmd[0]} through HKCR refused: {rc} {err!r}')
    check([open(p, 'rb').read() for p in (sw, usr)] == before,
          'refused writes leave both hives unchanged')


def main():
    if not os.path.exists(REGHIVE):
        print('reghive not built:', REGHIVE)
        return 1
    with tempfile.TemporaryDirectory() as d:
        test(os.path.join(d, 'mnt'))
    if failures:
        print(f'{len(failures)} failures')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
