#!/usr/bin/env python3
"""reghive compare against a model: random trees are built into hives with
mkhive.py (hivex), a mutated copy (keys and values added, removed, changed
in data or type only, renamed in another letter case) into a second hive,
and what `compare -s --json` reports must equal the model difference under
reg compare's rules (names case-insensitive; a key on one side only is one
difference, its subtree is not listed).  Also: identical hives exit 0,
-on/-os/-oa/-v/KEY, and regipy NTUSER.DAT vs NTUSER_modified.DAT."""
import copy, json, os, random, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mkhive  # noqa: E402

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


# A model key: {'v': {name: (type, bytes)}, 'k': {name: key}}


def fresh_name(rng, taken):
    while True:
        n = rng.choice(['Key', 'val', 'Sub', 'Ünï', 'x', 'Data']) + \
            str(rng.randrange(1000))
        if n.lower() not in {t.lower() for t in taken}:
            return n


def rand_value(rng):
    t = rng.choice([0, 1, 2, 3, 4, 7, 11, 3])
    n = {4: 4, 11: 8}.get(t, rng.choice([0, 1, 3, 4, 5, 40, 300, 2000]))
    return (t, bytes(rng.randrange(256) for _ in range(n)))


def rand_key(rng, depth):
    k = {'v': {}, 'k': {}}
    for _ in range(rng.randrange(4)):
        k['v'][fresh_name(rng, k['v'])] = rand_value(rng)
    if depth < 3:
        for _ in range(rng.randrange(4)):
            k['k'][fresh_name(rng, k['k'])] = rand_key(rng, depth + 1)
    return k


def all_keys(k, path=()):
    yield path, k
    for n, c in k['k'].items():
        yield from all_keys(c, path + (n,))


def flip(s):
    return s.swapcase() if s.swapcase().lower() == s.lower() else s


def mutate(rng, root, nops):
    for _ in range(nops):
        keys = list(all_keys(root))
        path, k = rng.choice(keys)
        op = rng.randrange(8)
        if op == 0 and len(path) < 4:
            k['k'][fresh_name(rng, k['k'])] = rand_key(rng, 2)
        elif op == 1 and k['k']:
            del k['k'][rng.choice(list(k['k']))]
        elif op == 2:
            k['v'][fresh_name(rng, k['v'])] = rand_value(rng)
        elif op == 3 and k['v']:
            del k['v'][rng.choice(list(k['v']))]
        elif op == 4 and k['v']:
            n = rng.choice(list(k['v']))
            k['v'][n] = (k['v'][n][0], k['v'][n][1] + b'!')
        elif op == 5 and k['v']:  # same bytes, another type
            n = rng.choice(list(k['v']))
            k['v'][n] = ((k['v'][n][0] + 1) % 12, k['v'][n][1])
        elif op == 6 and k['k']:  # rename in another case: no difference
            n = rng.choice(list(k['k']))
            k['k'][flip(n)] = k['k'].pop(n)
        elif op == 7 and k['v']:
            n = rng.choice(list(k['v']))
            k['v'][flip(n)] = k['v'].pop(n)


def to_tree(k):
    return {n: ([mkhive.val(vn, t, d) for vn, (t, d) in c['v'].items()], to_tree(c))
            for n, c in k['k'].items()}


def build(path, root):
    mkhive.build(path, to_tree(root))
    if root['v']:  # values on the root key itself
        import hivex
        h = hivex.Hivex(path, write=True)
        h.node_set_values(h.root(), [mkhive.val(n, t, d)
                                     for n, (t, d) in root['v'].items()])
        h.commit(path)


def model_diff(a, b, path, recurse=True):
    """reg compare's differences between model keys a and b."""
    out = set()
    lp = path.lower()
    bv = {n.lower(): v for n, v in b['v'].items()}
    av = {n.lower(): v for n, v in a['v'].items()}
    for n, v in av.items():
        if n not in bv:
            out.add(('value', 'removed', lp, n, v[0], v[1].hex()))
        elif bv[n] != v:
            out.add(('value', 'changed', lp, n, v[0], v[1].hex(), bv[n][0], bv[n][1].hex()))
    for n, v in bv.items():
        if n not in av:
            out.add(('value', 'added', lp, n, v[0], v[1].hex()))
    bk = {n.lower(): c for n, c in b['k'].items()}
    ak = {n.lower(): c for n, c in a['k'].items()}
    for n, c in ak.items():
        sub = (lp + '\\' + n) if lp else n
        if n not in bk:
            out.add(('key', 'removed', sub))
        elif recurse:
            out |= model_diff(c, bk[n], sub)
    for n in bk:
        if n not in ak:
            out.add(('key', 'added', (lp + '\\' + n) if lp else n))
    return out


def parse(out):
    got = set()
    for line in out.splitlines():
        o = json.loads(line)
        p = o['path'].lstrip('\\').lower()
        if o['kind'] == 'key':
            got.add(('key', o['op'], p))
        elif o['op'] == 'changed':
            got.add(('value', 'changed', p, o['name'].lower(), o['type1'],
                     o['data1'], o['type2'], o['data2']))
        else:
            got.add(('value', o['op'], p, o['name'].lower(), o['type'], o['data']))
    return got


def test_model(d):
    rng = random.Random(int(os.environ.get('SEED', '7')))
    a_path, b_path = os.path.join(d, 'a'), os.path.join(d, 'b')
    total = 0
    for it in range(30):
        a = rand_key(rng, 0)
        b = copy.deepcopy(a)
        mutate(rng, b, rng.randrange(0, 8))
        build(a_path, a)
        build(b_path, b)
        want = model_diff(a, b, '')
        rc, out, err = run('compare', a_path, b_path, '-s', '--json')
        got = parse(out)
        total += len(want)
        check(got == want and rc == (2 if want else 0),
              f'iteration {it}: rc {rc} {err}\n only reported {got - want}\n'
              f' only in model {want - got}')
        # without -s: this key's values and its subkeys' presence only
        rc, out, err = run('compare', a_path, b_path, '--json')
        want1 = model_diff(a, b, '', recurse=False)
        check(parse(out) == want1 and rc == (2 if want1 else 0),
              f'iteration {it} without -s: {parse(out) ^ want1}')
        # text form: one result line, "<"/">" lines for the same differences
        rc, out, err = run('compare', a_path, b_path, '-s')
        lines = out.splitlines()
        check(lines[-1] == 'Result Compared: ' + ('Different' if want else 'Identical'),
              f'iteration {it}: result line {lines[-1:]}')
        nmark = sum(1 for l in lines if l[:2] in ('< ', '> '))
        nwant = sum(2 if w[1] == 'changed' else 1 for w in want)
        check(nmark == nwant, f'iteration {it}: {nmark} marked lines, want {nwant}')
    print(f'model: 30 random edit sequences, {total} differences, all reported')

    # identical hives and the output options
    rc, out, err = run('compare', a_path, a_path, '-s')
    check(rc == 0 and out.strip() == 'Result Compared: Identical', f'identical: {rc} {out!r}')
    rc, out, err = run('compare', a_path, a_path, '-s', '-os')
    nsame = sum(1 for l in out.splitlines() if l.startswith('= '))
    nk = len(list(all_keys(a))) - 1
    nv = sum(len(k['v']) for _, k in all_keys(a))
    check(rc == 0 and nsame == nk + nv, f'-os lists every key and value: {nsame} vs {nk + nv}')
    rc, out, err = run('compare', a_path, b_path, '-s', '-on')
    check(out.strip() == 'Result Compared: ' + ('Different' if rc == 2 else 'Identical'),
          f'-on prints only the result: {out!r}')
    rc, out, err = run('compare', a_path, os.path.join(d, 'missing'))
    check(rc == 1, f'error exits 1: {rc}')


def test_fixed(d):
    """A hand-made pair: KEY argument, -v, case-insensitive names."""
    a = {'v': {}, 'k': {'Soft': {'v': {'Name': (1, mkhive.sz('x')), 'N2': (4, b'\1\0\0\0')},
                                 'k': {'Inner': {'v': {}, 'k': {}}}}}}
    b = {'v': {}, 'k': {'SOFT': {'v': {'name': (1, mkhive.sz('y')), 'N2': (4, b'\1\0\0\0')},
                                 'k': {'inner': {'v': {}, 'k': {}}, 'New': {'v': {}, 'k': {}}}}}}
    pa, pb = os.path.join(d, 'fa'), os.path.join(d, 'fb')
    build(pa, a)
    build(pb, b)
    rc, out, err = run('compare', pa, pb, 'HKLM\\SOFTWARE\\Soft', '-s')
    check(rc == 2 and out.splitlines() == [
        '< Value: HKEY_LOCAL_MACHINE\\SOFTWARE\\Soft  Name  REG_SZ  x',
        '> Value: HKEY_LOCAL_MACHINE\\SOFTWARE\\SOFT  name  REG_SZ  y',
        '> Key: HKEY_LOCAL_MACHINE\\SOFTWARE\\SOFT\\New', '',
        'Result Compared: Different'], f'fixed pair: {out!r} {err}')
    rc, out, err = run('compare', pa, pb, 'Soft', '-v', 'N2', '-oa')
    check(rc == 0 and out.splitlines()[0] == '= Value: \\Soft  N2  REG_DWORD  0x1',
          f'-v N2 -oa: {out!r}')
    rc, out, err = run('compare', pa, pb, 'Soft', '-v', 'nosuch')
    check(rc == 1 and 'not found' in err, f'-v of a missing value: {rc} {err!r}')


def test_ntuser():
    a = os.path.join(CORPUS, 'regipy/NTUSER.DAT')
    b = os.path.join(CORPUS, 'regipy/NTUSER_modified.DAT')
    if not (os.path.exists(a) and os.path.exists(b)):
        print('partial: corpus absent, NTUSER sanity skipped')
        return
    rc, out, err = run('compare', a, b, '-s', '--json')
    diffs = [json.loads(l) for l in out.splitlines()]
    # regipy (ORACLES.md) counts each key of a one-sided subtree: expand
    nkeys = nvals = 0
    for o in diffs:
        if o['kind'] == 'key':
            hive = a if o['op'] == 'removed' else b
            _, q, _ = run('query', hive, o['path'], '-s', '--json')
            nkeys += len(q.splitlines())
        else:
            nvals += 1
    print(f'NTUSER vs NTUSER_modified: {len(diffs)} differences reported '
          f'({sum(o["kind"] == "key" for o in diffs)} keys, {nvals} values); '
          f'{nkeys} keys counting one-sided subtrees')
    check(rc == 2 and nkeys == 6 and nvals == 1,
          f'NTUSER_modified: regipy finds 6 new subkeys and 1 new value: {diffs}')


def main():
    if not os.path.exists(REGHIVE):
        print('reghive not built:', REGHIVE)
        return 1
    with tempfile.TemporaryDirectory() as d:
        test_model(d)
        test_fixed(d)
    test_ntuser()
    if failures:
        print(f'{len(failures)} failures')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
