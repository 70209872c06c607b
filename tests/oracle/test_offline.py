#!/usr/bin/env python3
"""Offline Windows, end to end: a fake mounted Windows tree (mixed-case
folders, driver/service files, SYSTEM/SOFTWARE/NTUSER.DAT hives built with
mkhive.py) and the commands a user runs on it: `services --orphans` finds
exactly the stale entries, `--windows DIR query/get/export/info/check`
resolve registry roots (CurrentControlSet, HKCU via --user, HKU\\<SID>).
Then, on the corpus SYSTEM hives, `services` lists the same names as a
direct hivex listing of ControlSetNNN\\Services (Select\\Current)."""
import json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mkhive  # noqa: E402
import hivex  # noqa: E402

REGHIVE = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')
CORPUS = os.environ.get('CORPUS') or os.path.join(HERE, '../../../shared/corpus')
failures = []


def run(*args):
    p = subprocess.run([REGHIVE] + list(args), capture_output=True)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), \
        p.stderr.decode('utf-8', 'replace')


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL:', what)


def touch(root, rel):
    path = os.path.join(root, *rel.split('/'))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b'MZ')


def make_tree(root):
    """Folder names in other cases than the registry spells them."""
    cfg = os.path.join(root, 'windows', 'System32', 'Config')
    os.makedirs(cfg)
    mkhive.build(os.path.join(cfg, 'SYSTEM'), mkhive.win_system_tree())
    mkhive.build(os.path.join(cfg, 'software'), mkhive.win_software_tree())
    os.makedirs(os.path.join(root, 'USERS', 'Alice'))
    mkhive.build(os.path.join(root, 'USERS', 'Alice', 'NTUSER.DAT'),
                 mkhive.win_ntuser_tree())
    os.makedirs(os.path.join(root, 'USERS', 'bob'))  # profile, no hive
    for f in ['windows/System32/DRIVERS/tcpip.sys',
              'windows/System32/DRIVERS/MyDrv.SYS',
              'windows/System32/DRIVERS/nopathdrv.sys',
              'windows/System32/DRIVERS/qdrv.sys',
              'windows/System32/svchost.exe',
              'windows/System32/SchedSvc.dll',
              'windows/System32/directdll.dll',
              'windows/System32/depsvc.exe',
              'program files/VENDOR APP/App.exe',
              'program files/VENDOR APP/tool.exe']:
        touch(root, f)


STALE = {('MSExchangeKMS', 'image-missing'), ('GoneDrv', 'image-missing'),
         ('OldSvc', 'servicedll-missing'), ('DepSvc', 'missing-service'),
         ('DepSvc', 'missing-group'), ('Escape', 'image-missing')}


def test_tree(root):
    win = ['--windows', root]
    rc, out, err = run('services', '--windows', root, '--orphans', '--json')
    got = [json.loads(l) for l in out.splitlines()]
    check(rc == 2, f'services --orphans exits 2 when stale entries exist ({rc}, {err})')
    check({(o['name'], o['problem']) for o in got} == STALE,
          f'--orphans finds exactly the stale entries: {got}')
    for o in got:
        if o['name'] == 'MSExchangeKMS':
            check(o['path'] == 'C:\\exchsrvr\\bin\\kmserver.exe' and
                  o['file'] == os.path.join(root, 'exchsrvr/bin/kmserver.exe'),
                  f'MSExchangeKMS image path mapped under DIR: {o}')
        if o['name'] == 'Escape':  # '..' never leaves DIR
            check(o['file'] == os.path.join(root, 'etc/passwd'), str(o))
        if o['name'] == 'DepSvc':
            check(o['dependency'] in ('NoSuchSvc', 'NoSuchGroup'), str(o))
    check('OtherDrive' in err and 'not checked' in err,
          f'a D:\\ image is reported as not checked: {err!r}')
    # the same through the global option, in table form
    rc, out, err = run(*win, 'services', '--orphans')
    rows = [l.split()[:2] for l in out.splitlines()[1:]]
    check(rc == 2 and {tuple(r) for r in rows} == STALE,
          f'--windows DIR services --orphans table: {out}')

    # listing: every service of ControlSet002 with decoded fields
    rc, out, err = run('services', '--windows', root, '--json')
    svcs = {o['name']: o for o in map(json.loads, out.splitlines())}
    want = set(mkhive.win_services(2))
    check(rc == 0 and set(svcs) == want, f'services lists ControlSet002: {sorted(svcs)}')
    if rc == 0 and set(svcs) == want:
        k = svcs['MSExchangeKMS']
        check(k['start_name'] == 'auto' and k['type_name'] == 'own' and
              k['account'] == 'LocalSystem' and
              k['display_name'] == 'Microsoft Exchange Key Management', str(k))
        d = svcs['DepOk']
        check(d['start_name'] == 'auto-delayed' and
              d['type_name'] == 'own+interactive' and
              d['depend_on_service'] == ['tcpip', '+pnp_tdi'] and
              d['missing_dependencies'] == [], str(d))
        check(svcs['Tcpip']['type_name'] == 'kernel' and
              svcs['Tcpip']['start_name'] == 'boot' and
              svcs['QDrv']['type_name'] == 'filesys', 'driver decoding')
        check(sorted(m['name'] for m in svcs['DepSvc']['missing_dependencies'])
              == ['NoSuchGroup', 'NoSuchSvc'], str(svcs['DepSvc']))
    rc, out, err = run('services', '--windows', root)
    check(rc == 0 and 'ControlSet002' in out and 'Dependency problems' in out
          and 'NoSuchSvc' in out, f'services table: {out}')

    # a lone SYSTEM hive: dependencies only, and it says why
    system = os.path.join(root, 'windows', 'System32', 'Config', 'SYSTEM')
    rc, out, err = run('services', system, '--orphans', '--json')
    got = {(o['name'], o['problem']) for o in map(json.loads, out.splitlines())}
    check(rc == 2 and got == {('DepSvc', 'missing-service'), ('DepSvc', 'missing-group')}
          and 'not checked' in err and '--windows' in err,
          f'lone hive --orphans: {got} {err!r}')

    # registry paths on the mounted tree
    rc, out, err = run(*win, 'query',
                       'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeKMS')
    check(rc == 0 and 'HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\MSExchangeKMS'
          in out and 'ControlSet    REG_DWORD    0x2' in out,
          f'CurrentControlSet resolves to ControlSet002: {out} {err}')
    rc, out, err = run(*win, 'get',
                       'hklm\\system\\currentcontrolset\\services\\msexchangekms', 'Start')
    check(rc == 0 and out == '2\n', f'get through --windows: {out!r} {err}')
    rc, out, err = run(*win, '--user', 'alice', 'query', 'HKCU\\Software\\Alice\\Settings')
    check(rc == 0 and 'Color    REG_SZ    blue' in out, f'HKCU with --user: {out} {err}')
    rc, out, err = run('--user', 'ALICE', *win, 'get', 'HKCU\\Software\\Alice\\Settings', 'Color')
    check(rc == 0 and out == 'blue\n', f'--user is case-insensitive: {out!r} {err}')
    rc, out, err = run(*win, 'get', 'HKU\\S-1-5-21-1-2-3-1001\\Software\\Alice\\Settings',
                       'Color')
    check(rc == 0 and out == 'blue\n', f'HKU\\<SID>: {out!r} {err}')
    rc, out, err = run(*win, 'export', 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion',
                       '--utf8')
    check(rc == 0 and '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]'
          in out and '"SystemRoot"="C:\\\\Windows"' in out, f'export: {out[:300]} {err}')
    rc, out, err = run(*win, 'info', 'HKLM\\SYSTEM')
    check(rc == 0, f'info HKLM\\SYSTEM: {err}')
    rc, out, err = run(*win, 'check', '--strict', 'HKEY_LOCAL_MACHINE\\SOFTWARE')
    check(rc == 0 and out.endswith('ok\n'), f'check HKLM\\SOFTWARE: {out} {err}')
    # compare the live hive with a backup file through --windows
    backup = os.path.join(os.path.dirname(root), 'SYSTEM.bak')
    with open(system, 'rb') as f, open(backup, 'wb') as g:
        g.write(f.read())
    rc, out, err = run(*win, 'compare', 'HKLM\\SYSTEM', backup, '-s')
    check(rc == 0 and 'Identical' in out, f'compare HKLM\\SYSTEM backup: {out} {err}')
    rc, out, err = run(*win, 'compare', 'HKLM\\SYSTEM', 'HKLM\\SOFTWARE')
    check(rc == 2 and '< Key: \\Select' in out and '> Key: \\Microsoft' in out,
          f'compare two mapped hives: {out} {err}')
    # errors a user meets
    rc, out, err = run(*win, 'query', 'HKCU\\Software')
    check(rc == 1 and '--user' in err, f'HKCU without --user: {rc} {err!r}')
    rc, out, err = run(*win, '--user', 'carol', 'query', 'HKCU\\Software')
    check(rc == 1 and 'alice' in err and 'Bob' in err, f'unknown user: {err!r}')
    rc, out, err = run(*win, '--user', 'bob', 'query', 'HKCU\\Software')
    check(rc == 1 and 'NTUSER.DAT' in err, f'profile without hive: {err!r}')
    rc, out, err = run(*win, 'query', 'HKLM\\SAM')
    check(rc == 1 and 'not found' in err, f'absent SAM: {err!r}')
    rc, out, err = run(*win, 'query', 'HKLM\\HARDWARE')
    check(rc == 1 and 'not a hive' in err, f'HKLM\\HARDWARE: {err!r}')
    rc, out, err = run('--windows', os.path.join(root, 'nowhere'), 'query', 'HKLM\\SYSTEM')
    check(rc == 1 and 'no Windows directory' in err, f'bad DIR: {err!r}')


def hivex_services(path):
    h = hivex.Hivex(path)
    root = h.root()
    sel = h.node_get_child(root, 'Select')
    cur = h.value_dword(h.node_get_value(sel, 'Current'))
    cs = h.node_get_child(root, 'ControlSet%03d' % cur)
    svc = h.node_get_child(cs, 'Services')
    return sorted(h.node_name(c) for c in h.node_children(svc))


def test_corpus():
    hives = ['regipy/SYSTEM', 'regipy/SYSTEM_2', 'regipy/SYSTEM_B',
             'regipy/SYSTEM_WIN_10_1709', 'dfwinreg/history/SYSTEM']
    seen = 0
    for rel in hives + ['../tests/data/SYSTEM']:
        path = os.path.join(CORPUS, rel)
        if rel.startswith('../tests/'):  # the fixture, corpus or not
            path = os.path.join(HERE, '..', 'data', 'SYSTEM')
        if not os.path.exists(path):
            continue
        seen += 1
        want = hivex_services(path)
        # hivex ignores transaction logs: compare the primary file alone.
        rc, out, err = run('--no-logs', 'services', path, '--json')
        got = sorted(json.loads(l)['name'] for l in out.splitlines())
        check(rc == 0 and got == want,
              f'{rel}: services {len(got)} names vs hivex {len(want)} '
              f'(only ours {sorted(set(got) - set(want))[:5]}, '
              f'only hivex {sorted(set(want) - set(got))[:5]}) {err}')
        rc, out, err = run('--no-logs', 'services', path)
        check(rc == 0 and f'{len(want)} services and drivers in' in out,
              f'{rel}: table summary')
        print(f'{rel}: {len(want)} services match hivex')
    return seen - 1  # corpus hives seen


def main():
    if not os.path.exists(REGHIVE):
        print('reghive not built:', REGHIVE)
        return 1
    with tempfile.TemporaryDirectory() as d:
        make_tree(os.path.join(d, 'mnt'))
        test_tree(os.path.join(d, 'mnt'))
    seen = test_corpus()
    if failures:
        print(f'{len(failures)} failures')
        return 1
    if not seen:
        print('partial: fake tree and tests/data/SYSTEM only; corpus absent:',
              CORPUS)
    return 0


if __name__ == '__main__':
    sys.exit(main())
