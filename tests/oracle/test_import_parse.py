#!/usr/bin/env python3
"""parse(export(x)) == x without a writer: for every corpus hive hivex
reads, `reghive export` (UTF-16LE file, and UTF-8 with a HKLM-style
prefix) and `hivexregedit --export HIVE '\\'` must parse with
`reghive import --dry-run` into a plan of exactly one "add key (exists)"
per key and one "set value (unchanged)" per value of the hive (counts
from `reghive info`-independent walk: the plan lines themselves are
checked against hivex's tree).  Hives are read with --no-logs, as hivex
ignores transaction logs.  hivexregedit's hex(1)/(2)/(7) bytes are taken
verbatim (--hex-verbatim, as hivexregedit --merge stores them); regedit
would add a NUL to unterminated strings, which is checked separately:
reghive's export carries a marker line (hex data verbatim) so it needs no
flag; with that line removed exactly those values come out "changed"."""
import os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REGHIVE = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')
CORPUS = os.environ.get('CORPUS') or os.path.join(HERE, '../../../shared/corpus')
sys.path.insert(0, HERE)
try:
    import hivex
    import oracle_lib  # noqa: F401 (quiets hivex's __del__ after a refusal)
    from test_export_roundtrip import CRLF
except ImportError:
    print('python3-hivex not installed')
    sys.exit(77)
DATA = os.path.join(HERE, '..', 'data')
if not os.path.isdir(CORPUS):
    print('partial: corpus absent (%s): tests/data only' % CORPUS)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL:', what)


def hive_counts(path):
    """(keys, values, unterminated string values) as hivex sees them."""
    h = hivex.Hivex(path)
    keys = vals = unterm = 0
    stack, seen = [h.root()], set()
    while stack:
        n = stack.pop()
        if n in seen:  # a cycle or a shared key: hivex would walk forever
            raise ValueError('key 0x%x reached twice' % n)
        seen.add(n)
        keys += 1
        for v in h.node_values(n):
            vals += 1
            t, d = h.value_value(v)
            if t in (1, 2, 7) and len(d) >= 2 and len(d) % 2 == 0 and \
                    d[-2:] != b'\0\0':
                unterm += 1
        stack.extend(h.node_children(n))
    return keys, vals, unterm


PLAN = re.compile(r'^plan: (\d+) add key, (\d+) delete key, (\d+) set value '
                  r'\((\d+) new, (\d+) changed, (\d+) unchanged\), (\d+) '
                  r'delete value, (\d+) skipped$')


def dry_run(hive, reg, *opts):
    p = subprocess.run([REGHIVE, '--no-logs', 'import', hive, reg,
                        '--dry-run'] + list(opts), capture_output=True)
    out = p.stdout.decode('utf-8', 'replace').splitlines()
    if p.returncode != 0 or not out:
        return None, p.stderr.decode('utf-8', 'replace')[:300], out
    m = PLAN.match(out[-1])
    return (tuple(int(x) for x in m.groups()) if m else None), '', out


hives = []
for top in (DATA, CORPUS):
    for root, _, files in os.walk(top):
        for f in files:
            if f in ('MANIFEST.tsv', 'ORACLES.md', 'README.md', 'make.py') or \
                    f.endswith('.expected.json') or f.upper().endswith(
                    ('.LOG', '.LOG1', '.LOG2')):
                continue
            if 'data/' + f not in CRLF:  # .reg cannot carry CR/LF names
                hives.append(os.path.join(root, f))
hives.sort()
tested = 0
skipped_mixed = []
with tempfile.TemporaryDirectory() as tmp:
    for hv in hives:
        try:
            keys, vals, unterm = hive_counts(hv)
        except Exception:
            continue  # hivex cannot read it: not an oracle case
        hx = os.path.join(tmp, 'hx.reg')
        with open(hx, 'wb') as f:
            if subprocess.run(['hivexregedit', '--export', hv, '\\'],
                              stdout=f, stderr=subprocess.DEVNULL).returncode:
                continue
        r16 = os.path.join(tmp, 'r16.reg')
        r8 = os.path.join(tmp, 'r8.reg')
        if subprocess.run([REGHIVE, '--no-logs', 'export', hv, '-o', r16],
                          capture_output=True).returncode:
            continue  # reghive refuses this hive (corrupt): nothing to parse
        subprocess.run([REGHIVE, '--no-logs', 'export', hv, '-o', r8,
                        '--utf8', '--prefix', 'HKEY_LOCAL_MACHINE\\TEST'],
                       capture_output=True)
        tested += 1
        name = os.path.relpath(hv, CORPUS)
        if hv.startswith(DATA):
            name = 'data/' + os.path.relpath(hv, DATA)
        want = (keys, 0, vals, 0, 0, vals, 0, 0)
        hxopts = ['--hex-verbatim']
        try:
            open(hx, 'rb').read().decode('utf-8')
        except UnicodeDecodeError:
            hxopts += ['--encoding', 'latin1']
        cases = [(r16, ['--hex-verbatim'], 'export utf16'),
                 (r8, ['--hex-verbatim', '--prefix', 'HKLM\\test'],
                  'export utf8 --prefix')]
        if name != 'yarp/InvalidParentHive':
            cases.append((hx, hxopts, 'hivexregedit'))
        for reg, opts, label in cases:
            got, err, out = dry_run(hv, reg, *opts)
            bad = [l for l in out[:-1] if ': add key (exists): ' not in l and
                   ': set value (unchanged): ' not in l]
            if label == 'hivexregedit' and '--encoding' in opts and \
                    (got != want or bad):
                skipped_mixed.append(name)
                continue
            if got is None:
                check(False, '%s %s: %s' % (name, label, err))
                continue
            check(got == want and not bad,
                  '%s %s: plan %s, want %s; first odd lines: %s' %
                  (name, label, got, want, bad[:3]))
        # reghive's export carries the marker line: it imports verbatim
        # without options.
        got, err, _ = dry_run(hv, r16)
        check(got == want, '%s export, no options: plan %s, want %s (%s)'
              % (name, got, want, err))
        # Without the marker, regedit semantics: unterminated strings gain
        # a NUL.
        nm = os.path.join(tmp, 'nomarker.reg')
        with open(r8, 'rb') as f:
            lines = f.read().split(b'\n')
        check(lines[1] == b'; reghive export: hex data verbatim',
              '%s: export line 2 is not the marker: %r' % (name, lines[1]))
        with open(nm, 'wb') as f:
            f.write(b'\n'.join(lines[:1] + lines[2:]))
        got, err, _ = dry_run(hv, nm, '--prefix', 'HKLM\\test')
        if got is not None:
            check(got[4] == unterm and got[5] == vals - unterm,
                  '%s export (regedit NUL rule): %s changed, want %d'
                  % (name, got[4], unterm))
        # A different prefix: everything is outside the hive.
        got, err, _ = dry_run(hv, r8, '--prefix', 'HKLM\\other')
        check(got is not None and got[7] == keys and got[0] == 0,
              '%s: other prefix should skip all keys: %s' % (name, got))

print('%d hives tested; hivexregedit output in mixed encodings skipped: %s'
      % (tested, ', '.join(skipped_mixed) or 'none'))
if tested == 0:
    print('no hive readable by hivex')
    sys.exit(77)
sys.exit(1 if failures else 0)
