#!/usr/bin/env python3
"""Write engine, end to end through the CLI: build hives with reghive
new/add/delete, re-read every saved hive with python3-hivex AND pyregf and
require the full trees to equal the expected model; `reghive check` must
report each clean.  Also: the KB scenario on a two-control-set SYSTEM hive
built by reghive, refusals, and a randomized differential test against an
in-memory model (seed printed; RH_RANDOM_OPS / RH_RANDOM_SEED for long or
reproducing runs).
"""
import os, random, struct, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    from hivetree import tree_hivex, tree_pyregf, mask_short, ascii_order_ok
except ImportError as e:
    print('skip: python3-hivex or pyregf missing (%s)' % e)
    sys.exit(77)

R = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')
FAILS = 0


def run(*args, ok=True, env=None):
    p = subprocess.run([R] + list(args), capture_output=True, stdin=subprocess.DEVNULL,
                       env=env)
    if ok and p.returncode != 0:
        raise SystemExit('FAIL: reghive %s -> %d\n%s%s' % (
            ' '.join(args), p.returncode, p.stdout.decode(errors='replace'),
            p.stderr.decode(errors='replace')))
    return p


def fail(msg):
    global FAILS
    FAILS += 1
    print('FAIL:', msg)


class Model:
    """Keys by path tuple (case-insensitive via upper()), values by name."""

    def __init__(self):
        self.keys = {(): {}}      # path -> {value name: (type, data)}
        self.names = {(): ()}     # upper path -> stored path

    def find(self, path):
        return self.names.get(tuple(n.upper() for n in path))

    def add_key(self, path):
        cur = ()
        for n in path:
            found = self.find(cur + (n,))
            if found is None:
                found = cur + (n,)
                self.keys[found] = {}
                self.names[tuple(x.upper() for x in found)] = found
            cur = found
        return cur

    def delete_key(self, path):
        p = self.find(path)
        for k in [k for k in self.keys if k[:len(p)] == p]:
            del self.keys[k]
            del self.names[tuple(x.upper() for x in k)]

    def rename_key(self, path, new):
        p = self.find(path)
        q = p[:-1] + (new,)
        for k in sorted([k for k in self.keys if k[:len(p)] == p], key=len):
            nk = q + k[len(p):]
            self.keys[nk] = self.keys.pop(k)
            del self.names[tuple(x.upper() for x in k)]
            self.names[tuple(x.upper() for x in nk)] = nk

    def set_value(self, path, name, t, data):
        vals = self.keys[self.find(path)]
        for n in vals:
            if n.upper() == name.upper():
                vals[n] = (t, data)
                return
        vals[name] = (t, data)

    def delete_value(self, path, name):
        vals = self.keys[self.find(path)]
        for n in list(vals):
            if n.upper() == name.upper():
                del vals[n]


def vdiff(got, want):
    """First differing value of the first key whose values differ."""
    for k in want:
        if k in got and got[k] != want[k]:
            g, w = got[k], want[k]
            for n in sorted(set(g) | set(w)):
                if g.get(n) != w.get(n):
                    short = lambda v: v and (v[0], v[1] if v[1] is None or len(v[1]) < 40
                                             else '%d bytes' % len(v[1]))
                    return '%r value %r: got %r, want %r' % (k, n, short(g.get(n)),
                                                             short(w.get(n)))
    return ''


def compare(path, model, what):
    """Both oracles must read exactly model.keys; check must be clean."""
    want = model.keys
    try:
        got, order = tree_hivex(path)
    except Exception as e:
        fail('%s: hivex cannot read %s: %s' % (what, path, e))
        return
    root = next(iter(order))  # hivex keys are relative to the root: ()
    if got != want:
        diff = sorted(set(got) ^ set(want), key=str)[:5]
        fail('%s: hivex tree differs; keys only in one: %r; %s'
             % (what, diff, vdiff(got, want)))
    for p, names in order.items():
        if not ascii_order_ok(names):
            fail('%s: subkeys of %r not in Windows order: %r' % (what, p, names))
    try:
        got2 = tree_pyregf(path)
    except Exception as e:
        fail('%s: pyregf cannot read %s: %s' % (what, path, e))
        return
    want2 = mask_short(want)
    for k, vals in got2.items():
        for n, (t, data) in list(vals.items()):
            w = want2.get(k, {}).get(n)
            if w and w[1] is None:  # 1-3 bytes: libregf's data is unreliable
                vals[n] = (t, None)
                continue
            # libregf cuts string data after its first NUL unit
            if w and data is not None and w[1] is not None and t in (1, 2, 6, 7):
                cut = next((i + 2 for i in range(0, len(w[1]) - 1, 2)
                            if w[1][i:i + 2] == b'\0\0'), None)
                if cut is not None and cut < len(w[1]) and data == w[1][:cut]:
                    vals[n] = (t, w[1])
                    continue
            # libregf appends NUL bytes to string data that lacks a
            # terminating NUL unit (or has odd length)
            if (w and data and w[1] is not None and t in (1, 2, 6, 7) and
                    len(data) - len(w[1]) <= 3 and data[:len(w[1])] == w[1] and
                    not data[len(w[1]):].strip(b'\0')):
                vals[n] = (t, w[1])
    if got2 != want2:
        diff = sorted(set(got2) ^ set(want), key=str)[:5]
        fail('%s: pyregf tree differs; keys only in one: %r; %s'
             % (what, diff, vdiff(got2, want2)))
    c = run('check', '--strict', path, ok=False)
    if c.returncode != 0:
        fail('%s: reghive check: %s' % (what, c.stdout.decode(errors='replace')))


def kpath(p):
    return '\\'.join(p)


def sz(s):
    return s.encode('utf-16-le') + b'\0\0'


def test_basic(d):
    h = os.path.join(d, 'basic')
    m = Model()
    run('new', h)
    compare(h, m, 'new')
    run('add', h, 'Software\\Vendor\\App')          # missing parents
    m.add_key(('Software', 'Vendor', 'App'))
    cases = [
        ('Str', 'REG_SZ', 'hello wörld', 1, sz('hello wörld')),
        ('Exp', 'REG_EXPAND_SZ', '%SystemRoot%\\x', 2, sz('%SystemRoot%\\x')),
        ('Multi', 'REG_MULTI_SZ', 'a\\0b\\0ccc', 7, sz('a') + sz('b') + sz('ccc') + b'\0\0'),
        ('Dw', 'REG_DWORD', '0x12345678', 4, struct.pack('<I', 0x12345678)),
        ('DwDec', 'REG_DWORD', '42', 4, struct.pack('<I', 42)),
        ('Qw', 'REG_QWORD', '0x1122334455667788', 11, struct.pack('<Q', 0x1122334455667788)),
        ('Bin', 'REG_BINARY', '00ff10', 3, b'\x00\xff\x10'),
        ('Bin5', 'REG_BINARY', '0102030405', 3, b'\x01\x02\x03\x04\x05'),
        ('None', 'REG_NONE', '', 0, b''),
        ('Empty', 'REG_SZ', '', 1, b'\0\0'),
    ]
    for name, t, data, tn, raw in cases:
        run('add', h, 'Software\\Vendor\\App', '-v', name, '-t', t, '-d', data)
        m.set_value(('Software', 'Vendor', 'App'), name, tn, raw)
    run('add', h, 'Software\\Vendor\\App', '-v', 'Sep', '-t', 'REG_MULTI_SZ', '-s', '#',
        '-d', 'x#y')
    m.set_value(('Software', 'Vendor', 'App'), 'Sep', 7, sz('x') + sz('y') + b'\0\0')
    run('add', h, 'Software\\Vendor\\App', '-ve', '-d', 'default')
    m.set_value(('Software', 'Vendor', 'App'), '', 1, sz('default'))
    # big data (db segments on 1.5) and a one-cell value just below it
    for name, n in (('Big', 70000), ('Edge', 16344), ('Edge1', 16345)):
        blob = bytes(random.Random(n).getrandbits(8) for _ in range(n))
        f = os.path.join(d, 'blob')
        open(f, 'wb').write(blob)
        run('add', h, 'Software\\Vendor\\App', '-v', name, '-t', 'REG_BINARY',
            '--data-file', f)
        m.set_value(('Software', 'Vendor', 'App'), name, 3, blob)
    # unicode names: Latin-1 (compressed) and beyond (UTF-16), case folding
    run('add', h, 'Software\\Ünïcödé\\日本語\\😀', '-v', 'Ωmega', '-d', 'ж')
    m.add_key(('Software', 'Ünïcödé', '日本語', '😀'))
    m.set_value(('Software', 'Ünïcödé', '日本語', '😀'), 'Ωmega', 1, sz('ж'))
    run('add', h, 'SOFTWARE\\vendor\\app', '-v', 'str', '-d', 'replaced', '-f')
    m.set_value(('Software', 'Vendor', 'App'), 'Str', 1, sz('replaced'))
    compare(h, m, 'after adds')
    run('delete', h, 'Software\\Vendor\\App', '-v', 'Big', '-f')
    m.delete_value(('Software', 'Vendor', 'App'), 'Big')
    run('delete', h, 'Software\\Vendor\\App', '-ve', '-f')
    m.delete_value(('Software', 'Vendor', 'App'), '')
    compare(h, m, 'after value deletes')
    run('delete', h, 'Software\\Ünïcödé', '-f')
    m.delete_key(('Software', 'Ünïcödé'))
    run('delete', h, 'Software\\Vendor\\App', '-va', '-f')
    for n in list(m.keys[('Software', 'Vendor', 'App')]):
        m.delete_value(('Software', 'Vendor', 'App'), n)
    compare(h, m, 'after key delete')
    # renames: case only, longer (the node moves), UTF-16, with a subtree
    run('add', h, 'Software\\Vendor\\App\\Sub\\Deeper', '-v', 'x', '-d', 'y')
    m.add_key(('Software', 'Vendor', 'App', 'Sub', 'Deeper'))
    m.set_value(('Software', 'Vendor', 'App', 'Sub', 'Deeper'), 'x', 1, sz('y'))
    for old, new in ((('Software', 'Vendor'), 'VENDOR'),
                     (('Software', 'VENDOR', 'App'), 'A much longer application name ' * 3),
                     (('Software', 'VENDOR'), 'Vendeur Ω')):
        run('rename', h, kpath(old), new)
        m.rename_key(old, new)
    compare(h, m, 'after renames')
    run('add', h, 'Software\\Other')
    m.add_key(('Software', 'Other'))
    p = run('rename', h, 'Software\\Vendeur Ω', 'OTHER', ok=False)
    if p.returncode == 0:
        fail('rename over an existing sibling succeeded')
    # refusals
    p = run('delete', h, '\\', '-f', ok=False)
    if p.returncode == 0 or b'root' not in p.stderr:
        fail('deleting the root was not refused: %r' % p.stderr)
    p = run('delete', h, 'Nope', '-f', ok=False)
    if p.returncode == 0:
        fail('deleting a missing key succeeded')
    # dry run writes nothing
    before = open(h, 'rb').read()
    run('delete', h, 'Software', '--dry-run')
    if open(h, 'rb').read() != before:
        fail('--dry-run changed the file')
    # 1.3 hive: lf lists, no big data (one cell)
    h13 = os.path.join(d, 'v13')
    m13 = Model()
    run('new', h13, '--version', '1.3')
    for i in range(30):
        run('add', h13, 'K%02d' % (29 - i), '-v', 'v', '-t', 'REG_DWORD', '-d', str(i))
        m13.add_key(('K%02d' % (29 - i),))
        m13.set_value(('K%02d' % (29 - i),), 'v', 4, struct.pack('<I', i))
    blob = os.urandom(40000)
    open(os.path.join(d, 'blob'), 'wb').write(blob)
    run('add', h13, 'K00', '-v', 'big', '-t', 'REG_BINARY', '--data-file', os.path.join(d, 'blob'))
    m13.set_value(('K00',), 'big', 3, blob)
    compare(h13, m13, 'v1.3 hive')
    print('basic: ok')


def test_split(d):
    """More than 507 subkeys: the list becomes an ri of leaves; deleting
    them all again must leave a clean hive without leaked cells."""
    h = os.path.join(d, 'split')
    run('new', h)
    m = Model()
    # One commit per add is slow; build many keys through a REG-free loop
    # of adds on one path each (the CLI is what users run).
    names = ['Key%04d' % i for i in range(800)]
    random.Random(7).shuffle(names)
    for n in names:
        run('add', h, 'P\\' + n)
        m.add_key(('P', n))
    compare(h, m, 'ri split')
    for n in names[:700]:
        run('delete', h, 'P\\' + n, '-f')
        m.delete_key(('P', n))
    compare(h, m, 'ri shrink')
    print('split: ok (%d bytes)' % os.path.getsize(h))


def test_prompt(d):
    """Without -f and with stdin a terminal, delete asks like reg.exe."""
    import pty
    h = os.path.join(d, 'p')
    run('new', h)
    run('add', h, 'A\\B')
    for answer, gone in ((b'No\n', False), (b'yes\n', True)):
        master, slave = pty.openpty()
        p = subprocess.Popen([R, 'delete', h, 'HKLM\\SOFTWARE\\A'], stdin=slave,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.write(master, answer)
        out, err = p.communicate(timeout=10)
        os.close(master)
        os.close(slave)
        if b'Permanently delete the registry key HKEY_LOCAL_MACHINE\\SOFTWARE\\A' not in err:
            fail('no prompt: %r' % err)
        exists = run('query', h, 'A', ok=False).returncode == 0
        if exists == gone:
            fail('answer %r: key %s' % (answer, 'kept' if exists else 'deleted'))
    print('prompt: ok')


def kb_hive(d):
    h = os.path.join(d, 'SYSTEM')
    m = Model()
    run('new', h)
    run('add', h, 'Select', '-v', 'Current', '-t', 'REG_DWORD', '-d', '1')
    m.add_key(('Select',))
    m.set_value(('Select',), 'Current', 4, struct.pack('<I', 1))
    for cs in ('ControlSet001', 'ControlSet002'):
        for svc, img in (('Tcpip', 'System32\\drivers\\tcpip.sys'),
                         ('MSExchangeKMS', 'C:\\Exchange\\Bin\\MSExchangeKMS.exe')):
            k = cs + '\\Services\\' + svc
            run('add', h, k, '-v', 'ImagePath', '-t', 'REG_EXPAND_SZ', '-d', img)
            run('add', h, k, '-v', 'Start', '-t', 'REG_DWORD', '-d', '2')
            m.add_key((cs, 'Services', svc))
            m.set_value((cs, 'Services', svc), 'ImagePath', 2, sz(img))
            m.set_value((cs, 'Services', svc), 'Start', 4, struct.pack('<I', 2))
        run('add', h, cs + '\\Services\\MSExchangeKMS\\Parameters', '-v', 'X', '-d', 'y')
        m.add_key((cs, 'Services', 'MSExchangeKMS', 'Parameters'))
        m.set_value((cs, 'Services', 'MSExchangeKMS', 'Parameters'), 'X', 1, sz('y'))
    return h, m


def test_kb(d):
    h, m = kb_hive(d)
    compare(h, m, 'KB hive')
    import copy
    old = copy.deepcopy(m)
    # exactly as typed in the KB (stdin not a TTY: no prompt)
    p = run('delete', h, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeKMS', '--backup')
    m.delete_key(('ControlSet001', 'Services', 'MSExchangeKMS'))
    compare(h, m, 'KB delete via CurrentControlSet')
    compare(h + '.bak', old, 'KB backup')
    if b'ControlSet001' not in p.stdout:
        fail('KB delete did not name the control set: %r' % p.stdout)
    # the other control set through --all-control-sets
    h2, m2 = kb_hive(os.path.join(d, 'all') if os.makedirs(os.path.join(d, 'all')) is None else d)
    run('delete', h2, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeKMS',
        '--all-control-sets', '-f')
    m2.delete_key(('ControlSet001', 'Services', 'MSExchangeKMS'))
    m2.delete_key(('ControlSet002', 'Services', 'MSExchangeKMS'))
    compare(h2, m2, 'KB --all-control-sets')
    p = run('delete', h2, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeKMS',
            '--all-control-sets', '-f', ok=False)
    if p.returncode == 0:
        fail('deleting an absent service from all control sets succeeded')
    print('kb: ok')


ALPHA = 'abcXYZ019 _-.éÜÿαΩж中😀'


def rname(rng, lo=1, hi=12):
    while True:
        s = ''.join(rng.choice(ALPHA) for _ in range(rng.randint(lo, hi)))
        s = s.strip() or 'k'
        if s.upper() not in ('HKLM', 'HKU', 'HKCU', 'HKCR', 'HKCC', 'CURRENTCONTROLSET',
                             'HKEY_LOCAL_MACHINE', 'HKEY_USERS', 'HKEY_CURRENT_USER',
                             'HKEY_CLASSES_ROOT', 'HKEY_CURRENT_CONFIG'):
            return s


def test_random(d):
    seed = int(os.environ.get('RH_RANDOM_SEED') or time.time_ns() % 1000000)
    nops = int(os.environ.get('RH_RANDOM_OPS') or 1500)
    every = max(1, nops // 8)
    print('random: seed %d, %d ops (reproduce: RH_RANDOM_SEED=%d RH_RANDOM_OPS=%d)'
          % (seed, nops, seed, nops))
    rng = random.Random(seed)
    h = os.path.join(d, 'rand')
    blob = os.path.join(d, 'rblob')
    m = Model()
    run('new', h)
    for i in range(nops):
        keys = list(m.keys)
        op = rng.random()
        k = rng.choice(keys)
        if op < 0.30:
            path = k + tuple(rname(rng) for _ in range(rng.randint(1, 4)))
            if len(path) > 12:
                continue
            run('add', '--', h, kpath(path))
            m.add_key(path)
        elif op < 0.38 and k:
            run('delete', '-f', '--', h, kpath(k))
            m.delete_key(k)
        elif op < 0.43 and k:
            new = rname(rng)
            if new.upper() != k[-1].upper() and m.find(k[:-1] + (new,)) is not None:
                continue  # a sibling has that name
            run('rename', '--', h, kpath(k), new)
            m.rename_key(k, new)
        elif op < 0.85:
            name = '' if rng.random() < 0.1 else rname(rng, 1, 20)
            r = rng.random()
            n = (rng.randint(0, 8) if r < 0.4 else rng.randint(9, 3000) if r < 0.9
                 else rng.randint(16000, 60000))
            data = rng.randbytes(n)
            t = rng.choice([0, 1, 2, 3, 4, 7, 11, 0x12345])
            open(blob, 'wb').write(data)
            run('add', *(['-ve'] if not name else ['-v', name]),
                '-t', str(t), '--data-file', blob, '-f', '--', h, kpath(k) or '\\')
            m.set_value(k, name, t, data)
        else:
            vals = list(m.keys[k])
            if not vals:
                continue
            if rng.random() < 0.1:
                run('delete', '-va', '-f', '--', h, kpath(k) or '\\')
                for n in vals:
                    m.delete_value(k, n)
            else:
                n = rng.choice(vals)
                run('delete', *(['-ve'] if not n else ['-v', n]), '-f', '--', h,
                    kpath(k) or '\\')
                m.delete_value(k, n)
        if (i + 1) % every == 0 or i + 1 == nops:
            before = FAILS
            compare(h, m, 'random seed %d after op %d' % (seed, i + 1))
            if FAILS != before:
                return
    info = run('info', h).stdout.decode()
    nkeys = len(m.keys)
    # no leaked cells: with everything deleted, the cells in use are
    # exactly those of a new hive
    for k in [k for k in m.keys if len(k) == 1]:
        run('delete', '-f', '--', h, kpath(k))
    if m.keys[()]:
        run('delete', '-va', '-f', '--', h, '\\')
    fresh = os.path.join(d, 'fresh')
    run('new', fresh)
    used = lambda p: [l for l in run('info', p).stdout.decode().splitlines()
                      if l.startswith('used')]
    if used(h) != used(fresh):
        fail('random seed %d: after deleting everything %s, a new hive %s'
             % (seed, used(h), used(fresh)))
    print('random: ok, %d keys; %s' % (nkeys, ' '.join(
        l.split(None, 1)[1].strip() for l in info.splitlines()
        if l.startswith(('size', 'used', 'free')))))


def main():
    if not os.path.exists(R):
        print('skip: %s not built' % R)
        return 77
    with tempfile.TemporaryDirectory() as d:
        only = os.environ.get('RH_WRITE_TESTS', '').split()
        for t in (test_basic, test_prompt, test_kb, test_split, test_random):
            if only and t.__name__ not in only:
                continue
            sub = os.path.join(d, t.__name__)
            os.makedirs(sub)
            t(sub)
    print('%d failures' % FAILS)
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())
