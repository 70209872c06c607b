#!/usr/bin/env python3
"""import through --windows: a .reg file whose keys span hives.

On the fake Windows tree of test_offline.py: a .reg touching
HKLM\\SYSTEM\\CurrentControlSet\\Services\\X and HKLM\\SOFTWARE\\Vendor
changes both hives (hivex reads both; CurrentControlSet went to the set
Select\\Current names), prints two `hive changed:` lines, and leaves every
other key as it was; --dry-run writes nothing; a syntax error writes
nothing; a key whose root maps to no hive (HKCU without --user) is refused
with --strict before anything is written and skipped without; with
--user it goes to the user's NTUSER.DAT.  The import progress line shows
on a pty (and nothing when stderr is redirected)."""
import os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_offline  # noqa: E402  (make_tree)
from hivetree import tree_hivex  # noqa: E402
from test_offline_write import pty_run  # noqa: E402

REGHIVE = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')
failures = []


def run(*args):
    p = subprocess.run([REGHIVE] + list(args), capture_output=True,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), \
        p.stderr.decode('utf-8', 'replace')


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL:', what)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def write_reg(path, body):
    with open(path, 'w', newline='') as f:
        f.write('Windows Registry Editor Version 5.00\r\n\r\n' +
                body.replace('\n', '\r\n'))


REG = r'''[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\X]
"Start"=dword:00000003

[HKLM\SOFTWARE\Vendor]
"Name"="v"
'''


def test_import(root, tmp):
    win = ['--windows', root]
    cfg = os.path.join(root, 'windows', 'System32', 'Config')
    system = os.path.join(cfg, 'SYSTEM')
    software = os.path.join(cfg, 'software')
    ntuser = os.path.join(root, 'USERS', 'Alice', 'NTUSER.DAT')
    files = (system, software, ntuser)
    before = {f: read(f) for f in files}
    sys0, sw0 = tree_hivex(system)[0], tree_hivex(software)[0]
    reg = os.path.join(tmp, 'span.reg')
    write_reg(reg, REG)

    # --dry-run: a plan for both hives, nothing written
    rc, out, err = run(*win, 'import', reg, '--dry-run')
    check(rc == 0 and 'add key (new): \\CurrentControlSet\\Services\\X' in out
          and 'add key (new): \\Vendor' in out and 'hive changed' not in out,
          f'dry run: {rc} {out} {err}')
    check(all(read(f) == before[f] for f in files), 'dry run wrote nothing')

    # a syntax error anywhere: nothing written
    bad = os.path.join(tmp, 'bad.reg')
    write_reg(bad, REG + '[HKLM\\SOFTWARE\\Other]\n"x"=dword:zz\n')
    rc, out, err = run(*win, 'import', reg, bad)
    check(rc != 0 and 'hive changed' not in out, f'syntax error: {rc} {out} {err}')
    check(all(read(f) == before[f] for f in files), 'syntax error wrote nothing')

    # a root without a hive: refused with --strict (nothing written) ...
    hkcu = os.path.join(tmp, 'hkcu.reg')
    write_reg(hkcu, REG + '\n[HKCU\\Software\\Y]\n"a"="b"\n')
    rc, out, err = run(*win, 'import', hkcu, '--strict')
    check(rc == 1 and 'maps to no hive' in err and 'hive changed' not in out,
          f'--strict refusal: {rc} {out} {err}')
    check(all(read(f) == before[f] for f in files), '--strict wrote nothing')

    # the real import: both hives change, two "hive changed" lines
    rc, out, err = run(*win, 'import', reg, '--backup')
    changed = re.findall(r'^hive changed: (.*)$', out, re.M)
    check(rc == 0 and changed == [f'HKEY_LOCAL_MACHINE\\SYSTEM ({system})',
                                  f'HKEY_LOCAL_MACHINE\\SOFTWARE ({software})'],
          f'import spanning hives: {rc} {out} {err}')
    check(read(system + '.bak') == before[system] and
          read(software + '.bak') == before[software], 'backups are the old hives')
    check(read(ntuser) == before[ntuser], 'NTUSER.DAT untouched')
    sys1, sw1 = tree_hivex(system)[0], tree_hivex(software)[0]
    x = ('ControlSet002', 'Services', 'X')
    check(sys1.get(x) == {'Start': (4, b'\x03\0\0\0')},
          f'hivex reads X in ControlSet002: {sys1.get(x)}')
    check(('ControlSet001', 'Services', 'X') not in sys1, 'ControlSet001 untouched')
    check({k: v for k, v in sys1.items() if k != x} == sys0,
          'the rest of SYSTEM unchanged')
    check(sw1.get(('Vendor',)) == {'Name': (1, 'v\0'.encode('utf-16-le'))},
          f'hivex reads Vendor: {sw1.get(("Vendor",))}')
    check({k: v for k, v in sw1.items() if k != ('Vendor',)} == sw0,
          'the rest of SOFTWARE unchanged')

    # without --strict a root without a hive is skipped; with --user it
    # reaches NTUSER.DAT
    rc, out, err = run(*win, 'import', hkcu)
    check(rc == 0 and 'skip: no hive: [HKCU\\Software\\Y]' in out,
          f'skip without --strict: {rc} {out} {err}')
    check(read(ntuser) == before[ntuser], 'skipped HKCU: NTUSER.DAT untouched')
    rc, out, err = run(*win, '--user', 'alice', 'import', hkcu)
    check(rc == 0 and f'hive changed: HKEY_CURRENT_USER ({ntuser})' in out,
          f'--user import: {rc} {out} {err}')
    nt = tree_hivex(ntuser)[0]
    check(nt.get(('Software', 'Y')) == {'a': (1, 'b\0'.encode('utf-16-le'))},
          f'hivex reads HKCU\\Software\\Y: {nt.get(("Software", "Y"))}')
    for hv in files:
        rc, out, err = run('check', '--strict', hv)
        check(rc == 0, f'check {hv}: {out} {err}')


def test_progress(root, tmp):
    reg = os.path.join(tmp, 'many.reg')
    write_reg(reg, '[HKLM\\SOFTWARE\\Many]\n' +
              ''.join(f'"v{i}"=dword:{i:08x}\n' for i in range(3000)))
    rc, err = pty_run(['--windows', root, 'import', reg])
    check(rc == 0 and b'\rimport: 3001/3001 operations (100%)\x1b[K' in err
          and err.endswith(b'\r\x1b[K'),
          f'import progress line on a TTY: {rc} {err!r}')
    software = os.path.join(root, 'windows', 'System32', 'Config', 'software')
    rc, err = pty_run(['import', software, reg])
    check(rc == 0 and b'\rimport: 3001/3001 operations (100%)\x1b[K' in err,
          f'single-hive import progress line on a TTY: {rc} {err!r}')
    rc, out, err = run('--windows', root, 'import', reg)
    check(rc == 0 and '\r' not in err and '\x1b' not in err,
          f'no progress when stderr is redirected: {err!r}')


def main():
    if not os.path.exists(REGHIVE):
        print('reghive not built:', REGHIVE)
        return 1
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d, 'mnt')
        test_offline.make_tree(root)
        test_import(root, d)
        test_progress(root, d)
    if failures:
        print(f'{len(failures)} failures')
        return 1
    print('offline import ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
