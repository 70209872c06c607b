#!/usr/bin/env python3
"""Offline Windows, writing: the KB fix as a user runs it on a mounted tree.

Builds the fake Windows tree of test_offline.py (SYSTEM with two control
sets, Select\\Current = 2; SOFTWARE with a ProfileList; alice's NTUSER.DAT),
adds LEGACY_ device keys and a dependent service with `reghive add`, then:
`services --orphans` finds exactly the stale entries; `--windows DIR delete
HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeKMS --backup -f`
removes the key from ControlSet002 only; `services --remove` removes a
service (and its LEGACY_ keys) from every control set; each .bak equals
the hive as it was before (cmp), and copying it back restores it; hivex
reads every changed hive as expected (every other key and value
unchanged); `reghive check` is clean.  Also add/rename/HKCU writes through
--windows, refusals, and the progress line on a pty (and not when stderr
is redirected)."""
import os, re, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_offline  # noqa: E402  (make_tree, STALE)
from hivetree import tree_hivex  # noqa: E402

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


def same_file(a, b):
    with open(a, 'rb') as f, open(b, 'rb') as g:
        return f.read() == g.read()


def without(tree, *prefixes):
    """tree minus every key at or under one of the path tuples, compared
    case-insensitively as the registry does."""
    low = [tuple(x.lower() for x in p) for p in prefixes]
    return {k: v for k, v in tree.items()
            if not any(tuple(x.lower() for x in k[:len(p)]) == p for p in low)}


def orphans(root):
    rc, out, err = run('--windows', root, 'services', '--orphans')
    return rc, {tuple(l.split()[:2]) for l in out.splitlines()[1:]}, err


def test_write(root, tmp):
    win = ['--windows', root]
    cfg = os.path.join(root, 'windows', 'System32', 'Config')
    system = os.path.join(cfg, 'SYSTEM')
    software = os.path.join(cfg, 'software')
    ntuser = os.path.join(root, 'USERS', 'Alice', 'NTUSER.DAT')
    # Windows' LEGACY_ device keys, and a service that depends on the stale
    # one, added with reghive itself.
    for cs in ('ControlSet001', 'ControlSet002'):
        rc, _, err = run('add', system,
                         cs + '\\Enum\\Root\\LEGACY_MSEXCHANGEKMS\\0000',
                         '-v', 'Service', '-d', 'MSExchangeKMS')
        check(rc == 0, f'add LEGACY_ key in {cs}: {err}')
    rc, _, err = run('add', system, 'ControlSet001\\Enum\\Root\\LEGACY_TCPIP')
    check(rc == 0, err)
    rc, _, err = run('add', system, 'ControlSet002\\Services\\KmsClient', '-v',
                     'DependOnService', '-t', 'REG_MULTI_SZ', '-d', 'MSExchangeKMS')
    check(rc == 0, err)

    # 1. audit: exactly the stale entries (KmsClient's dependency is fine
    #    while MSExchangeKMS exists)
    rc, got, err = orphans(root)
    check(rc == 2 and got == test_offline.STALE,
          f'services --orphans finds exactly the stale entries: {got} {err}')

    # 2. the KB step, literally
    before = os.path.join(tmp, 'SYSTEM.before-delete')
    shutil.copyfile(system, before)
    t0, _ = tree_hivex(system)
    rc, out, err = run(*win, 'delete',
                       'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeKMS',
                       '--backup', '-f')
    check(rc == 0 and 'ControlSet002\\Services\\MSExchangeKMS' in out and
          'previous hive kept as' in out and
          f'hive changed: HKEY_LOCAL_MACHINE\\SYSTEM ({system})' in out,
          f'--windows delete through CurrentControlSet: {rc} {out} {err}')
    check(same_file(system + '.bak', before), 'delete --backup: .bak == old hive')
    t1, _ = tree_hivex(system)
    check(('ControlSet001', 'Services', 'MSExchangeKMS') in t1 and
          ('ControlSet002', 'Services', 'MSExchangeKMS') not in t1,
          'hivex: removed from ControlSet002 (Select\\Current) only')
    check(t1 == without(t0, ('ControlSet002', 'Services', 'MSExchangeKMS')),
          'hivex: nothing else changed by the delete')
    rc, out, err = run('check', '--strict', system)
    check(rc == 0, f'check after delete: {out} {err}')
    rc, got, err = orphans(root)
    want = (test_offline.STALE - {('MSExchangeKMS', 'image-missing')}) | \
        {('KmsClient', 'missing-service')}
    check(rc == 2 and got == want, f'--orphans after the delete: {got}')

    # 3. services --remove: dry run, refusals, then every control set
    snap = os.path.join(tmp, 'SYSTEM.before-remove')
    shutil.copyfile(system, snap)
    rc, out, err = run(*win, 'services', '--remove', 'msexchangekms', '--dry-run')
    lines = [l for l in out.splitlines() if l.startswith('would delete key')]
    check(rc == 0 and len(lines) == 3 and
          'ControlSet001\\Services\\MSExchangeKMS' in out and
          'ControlSet001\\Enum\\Root\\LEGACY_MSEXCHANGEKMS' in out and
          'ControlSet002\\Enum\\Root\\LEGACY_MSEXCHANGEKMS' in out and
          'not written' in out and 'hive changed' not in out,
          f'--remove --dry-run lists what would go: {out} {err}')
    check(same_file(system, snap), '--dry-run leaves the hive alone')
    check(same_file(system + '.bak', before), '--dry-run leaves the .bak alone')
    rc, out, err = run(*win, 'services', '--remove', 'NoSuchService')
    check(rc == 1 and 'no such service in any control set' in err and
          same_file(system, snap), f'--remove of an unknown name: {rc} {err}')
    rc, out, err = run(*win, 'services', '--remove', 'Tcpip\\Parameters')
    check(rc == 64 and same_file(system, snap), f'--remove of a path: {rc} {err}')
    rc, out, err = run(*win, 'services', '--remove', 'Tcpip', '--orphans')
    check(rc == 64, '--remove with --orphans is a usage error (64)')

    t0, _ = tree_hivex(system)
    rc, out, err = run(*win, 'services', '--remove', 'MSExchangeKMS')
    check(rc == 0 and out.count('deleted key') == 3 and
          'previous hive kept as ' + system + '.bak' in out and
          f'hive changed: HKEY_LOCAL_MACHINE\\SYSTEM ({system})' in out,
          f'services --remove: {rc} {out} {err}')
    check('KmsClient depends on MSExchangeKMS' in err,
          f'--remove warns about dependents: {err!r}')
    check(same_file(system + '.bak', snap), '--remove: .bak == old hive')
    t1, _ = tree_hivex(system)
    gone = [('ControlSet001', 'Services', 'MSExchangeKMS'),
            ('ControlSet001', 'Enum', 'Root', 'LEGACY_MSEXCHANGEKMS'),
            ('ControlSet002', 'Enum', 'Root', 'LEGACY_MSEXCHANGEKMS')]
    check(t1 == without(t0, *gone),
          f'hivex: exactly {gone} removed by services --remove')
    check(('ControlSet001', 'Enum', 'Root', 'LEGACY_TCPIP') in t1,
          "another service's LEGACY_ key stays")
    rc, out, err = run('check', '--strict', system)
    check(rc == 0, f'check after --remove: {out} {err}')
    rc, out, err = run(*win, 'services', '--remove', 'MSExchangeKMS')
    check(rc == 1 and 'no such service' in err, 'a second --remove is refused')

    # OldSvc is only in ControlSet002; a lone hive file works the same way
    t0, _ = tree_hivex(system)
    snap2 = os.path.join(tmp, 'SYSTEM.before-oldsvc')
    shutil.copyfile(system, snap2)
    rc, out, err = run('services', system, '--remove', 'OldSvc', '-f')
    check(rc == 0 and out.count('deleted key') == 1 and
          'ControlSet002\\Services\\OldSvc' in out and
          'the current control set' in out, f'--remove on a lone hive: {out} {err}')
    t1, _ = tree_hivex(system)
    check(t1 == without(t0, ('ControlSet002', 'Services', 'OldSvc')),
          'hivex: OldSvc and its Parameters removed, nothing else')
    rc, got, err = orphans(root)
    want = test_offline.STALE - {('MSExchangeKMS', 'image-missing'),
                                 ('OldSvc', 'servicedll-missing')} | \
        {('KmsClient', 'missing-service')}
    check(rc == 2 and got == want, f'--orphans after the removals: {got}')

    # the backup restores the old hive byte for byte
    check(same_file(system + '.bak', snap2), '--remove on a lone hive: .bak')
    shutil.copyfile(system + '.bak', system)
    check(same_file(system, snap2), 'copying the .bak back restores the hive')
    rc, _, _ = run(*win, 'query', 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\OldSvc')
    check(rc == 0, 'restored .bak has OldSvc back')

    # 4. add / rename / HKCU through --windows: other hives, same mechanism
    sw0, _ = tree_hivex(software)
    rc, out, err = run(*win, 'add', 'HKLM\\SOFTWARE\\Vendor\\App', '-v', 'Version',
                       '-d', '1.0')
    check(rc == 0 and f'hive changed: HKEY_LOCAL_MACHINE\\SOFTWARE ({software})'
          in out, f'--windows add: {out} {err}')
    swcopy = os.path.join(tmp, 'SOFTWARE.before-rename')
    shutil.copyfile(software, swcopy)
    rc, out, err = run(*win, 'rename', 'HKLM\\SOFTWARE\\Vendor\\App', 'App2',
                       '--backup')
    check(rc == 0 and 'hive changed: HKEY_LOCAL_MACHINE\\SOFTWARE' in out and
          same_file(software + '.bak', swcopy), f'--windows rename: {out} {err}')
    sw1, _ = tree_hivex(software)
    want = dict(sw0)
    want[('Vendor',)] = {}
    want[('Vendor', 'App2')] = {'Version': (1, '1.0\0'.encode('utf-16-le'))}
    check(sw1 == want, 'hivex reads SOFTWARE as expected after add + rename')
    rc, out, err = run(*win, 'rename', 'HKLM\\SOFTWARE\\Vendor\\App2', 'App3',
                       '--dry-run')
    check(rc == 0 and 'hive changed' not in out, f'dry run changes nothing: {out}')
    rc, out, err = run(*win, '--user', 'alice', 'add',
                       'HKCU\\Software\\Alice\\Settings', '-v', 'Color', '-d', 'red', '-f')
    check(rc == 0 and f'hive changed: HKEY_CURRENT_USER ({ntuser})' in out,
          f'--windows --user add: {out} {err}')
    nt, _ = tree_hivex(ntuser)
    check(nt[('Software', 'Alice', 'Settings')]['Color'] ==
          (1, 'red\0'.encode('utf-16-le')), 'hivex reads the HKCU change')
    for hv in (system, software, ntuser):
        rc, out, err = run('check', '--strict', hv)
        check(rc == 0, f'check {hv}: {out} {err}')
    rc, out, err = run(*win, 'delete', 'HKLM\\SYSTEM\\NoSuchKey', '-f')
    check(rc == 1 and 'hive changed' not in out, f'failed delete: {rc} {out}')


def pty_run(args):
    """Run with stderr on a pseudo-terminal; returns (rc, stderr bytes)."""
    m, s = os.openpty()
    p = subprocess.run([REGHIVE] + args, stdout=subprocess.DEVNULL, stderr=s,
                       stdin=subprocess.DEVNULL)
    os.close(s)
    out = b''
    while True:
        try:
            d = os.read(m, 65536)
        except OSError:  # EIO once the slave side is closed
            break
        if not d:
            break
        out += d
    os.close(m)
    return p.returncode, out


def test_progress(root, tmp):
    system = os.path.join(root, 'windows', 'System32', 'Config', 'SYSTEM')
    reg = os.path.join(tmp, 'x.reg')
    cases = [(['export', system, '-o', reg], b'export: '),
             (['compare', system, system + '.bak', '-s'], b'compare: '),
             (['--windows', root, 'services', '--orphans'], b'services: ')]
    for args, tag in cases:
        rc, err = pty_run(args)
        draws = re.findall(rb'\r' + tag + rb'\d+/\d+ \w+ \(\d+%\)\x1b\[K', err)
        check(rc in (0, 2) and draws, f'{args[0]}: progress line on a TTY: {err!r}')
        # without the progress draws and erases, stderr is what a redirect
        # gets: the line never garbles a message
        rest = re.sub(rb'\r' + tag + rb'[^\x1b]*\x1b\[K', b'', err)
        check(err.endswith(b'\r\x1b[K') or b'\r\x1b[K' in err,
              f'{args[0]}: the progress line is erased: {err!r}')
        rest = rest.replace(b'\r\x1b[K', b'')
        p = subprocess.run([REGHIVE] + args, capture_output=True,
                           stdin=subprocess.DEVNULL)
        check(b'\r' not in p.stderr and b'\x1b' not in p.stderr,
              f'{args[0]}: no progress when stderr is redirected: {p.stderr!r}')
        check(rest == p.stderr.replace(b'\n', b'\r\n'),
              f'{args[0]}: messages intact around the progress line: '
              f'{rest!r} vs {p.stderr!r}')
    rc, err = pty_run(['export', system, '-o', reg])
    total = len([k for k in tree_hivex(system)[0]])
    check(f'{total}/{total} keys (100%)'.encode() in err,
          f'export progress counts every key ({total}): {err!r}')


def main():
    if not os.path.exists(REGHIVE):
        print('reghive not built:', REGHIVE)
        return 1
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d, 'mnt')
        test_offline.make_tree(root)
        test_write(root, d)
        test_progress(root, d)
    if failures:
        print(f'{len(failures)} failures')
        return 1
    print('offline writes ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
