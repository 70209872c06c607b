#!/usr/bin/env python3
"""HKCR through --windows: the merged view of alice's UsrClass.dat and
HKLM\\SOFTWARE\\Classes, read-only.

On the fake tree of test_offline.py, `reghive add` gives SOFTWARE
Classes\\.txt (default "txtfile") and Classes\\txtfile, and alice a new
UsrClass.dat (`reghive new`) with .txt (default "alice.txt") and .alice.
Checks: get with --user reads alice's key (key-level precedence), without
--user the machine's (and says so on stderr); a plain query of HKCR lists
the union of subkey names; a key only the machine has is found with
--user; export and query -s of .txt walk the merged tree (ShellNew in
both hives, MachineSub and ShellNew\\deep only in SOFTWARE, aliceSub only
in alice's) and, without --user, equal those of HKLM\\SOFTWARE\\Classes; writes through HKCR (add,
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
                 ['Classes\\.machineonly', '-ve', '-d', 'm'],
                 ['Classes\\.txt\\ShellNew', '-v', 'NullFile', '-d', 'm'],
                 ['Classes\\.txt\\ShellNew\\deep', '-v', 'D', '-d', 'md'],
                 ['Classes\\.txt\\MachineSub', '-v', 'M', '-d', 'ms']):
        rc, _, err = run('add', sw, *args, '-f')
        check(rc == 0, f'add {args} to SOFTWARE: {err}')
    wdir = os.path.join(root, 'USERS', 'Alice', 'AppData', 'Local',
                        'Microsoft', 'Windows')
    os.makedirs(wdir)
    usr = os.path.join(wdir, 'UsrClass.dat')
    rc, _, err = run('new', usr)
    check(rc == 0, f'new UsrClass.dat: {err}')
    for args in (['.txt', '-ve', '-d', 'alice.txt'],
                 ['.alice', '-ve', '-d', 'alicefile'],
                 ['.txt\\ShellNew', '-v', 'ItemName', '-d', 'a'],
                 ['.txt\\aliceSub', '-v', 'A', '-d', 'as']):
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

    # export and query -s walk the merged tree: at each level the union
    # of subkey names in Windows' order, the user's key winning its values
    want = ['HKEY_CLASSES_ROOT\\.txt', 'HKEY_CLASSES_ROOT\\.txt\\aliceSub',
            'HKEY_CLASSES_ROOT\\.txt\\MachineSub',
            'HKEY_CLASSES_ROOT\\.txt\\ShellNew',
            'HKEY_CLASSES_ROOT\\.txt\\ShellNew\\deep']
    rc, out, err = run(*alice, 'export', 'HKCR\\.txt', '-o', '-')
    keys = [l[1:-1] for l in out.splitlines() if l.startswith('[')]
    check(rc == 0 and keys == want and err == '',
          f'export HKCR\\.txt merged keys: {rc} {keys!r} {err!r}')
    blocks = {b.split('\n', 1)[0][1:-1]: b for b in out.split('\n\n')
              if b.startswith('[')}
    check(out.startswith('Windows Registry Editor Version 5.00\n; reghive')
          and out.count('Windows Registry') == 1 and out.endswith('\n\n'),
          f'export: one header, one document: {out!r}')
    check('"ItemName"="a"' in blocks.get(want[3], '') and
          'NullFile' not in out and '"M"="ms"' in blocks.get(want[2], '') and
          '"A"="as"' in blocks.get(want[1], '') and
          '"D"="md"' in blocks.get(want[4], '') and
          '@="alice.txt"' in blocks.get(want[0], '') and
          'Content Type' not in out, f'export values: {out!r}')
    # the merged export imports back (dry run parses it)
    with tempfile.TemporaryDirectory() as td:
        f = os.path.join(td, 'm.reg')
        rc, _, err = run(*alice, 'export', 'HKCR\\.txt', '-o', f)
        data = open(f, 'rb').read()
        check(rc == 0 and data.startswith(b'\xff\xfe') and
              data.decode('utf-16-le')[1:].replace('\r\n', '\n') ==
              out, f'UTF-16 file export is the same document: {rc} {err!r}')
        rc, _, err = run('import', usr, f, '--prefix', 'HKEY_CLASSES_ROOT', '--dry-run')
        check(rc == 0, f'import --dry-run of the merged export: {rc} {err!r}')
    rc, out, err = run(*alice, 'query', 'HKCR\\.txt', '-s')
    keys = [l for l in out.splitlines() if l.startswith('HKEY_')]
    check(rc == 0 and keys == want and err == '',
          f'query -s merged: {rc} {out!r} {err!r}')
    check('    ItemName    REG_SZ    a\n' in out and 'NullFile' not in out and
          '    D    REG_SZ    md\n' in out, f'query -s values: {out!r}')
    rc, out, err = run(*win, 'query', 'HKCR\\.txt', '-s')
    keys = [l for l in out.splitlines() if l.startswith('HKEY_')]
    check(rc == 0 and keys == [want[0], want[2], want[3], want[4]] and
          'NullFile' in out, f'query -s machine only: {rc} {out!r} {err!r}')

    # without --user the merged view is SOFTWARE\\Classes: byte for byte
    # what query and export of the machine key print, paths renamed
    for cmd in (['query', '-s'], ['export', '-o', '-']):
        rc1, o1, _ = run(*win, cmd[0], 'HKCR\\.txt', *cmd[1:])
        rc2, o2, _ = run(*win, cmd[0], 'HKLM\\SOFTWARE\\Classes\\.txt',
                         *cmd[1:])
        o2 = o2.replace('HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes',
                        'HKEY_CLASSES_ROOT')
        check(rc1 == rc2 == 0 and o1 == o2,
              f'{cmd}: merged view = machine key: {o1!r} {o2!r}')

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
