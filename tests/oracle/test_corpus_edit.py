#!/usr/bin/env python3
"""The hives of tests/data and of the corpus (when present) survive a
no-op edit cycle: copy, add a key with a value
under the root, set a value on the root, delete both (each a separate
reghive run and commit); the tree must read the same as before with
python3-hivex and pyregf, and reghive check must still be clean.
Hives larger than 2 MB are skipped unless RH_CORPUS_ALL=1; hives the
reader rejects, dirty hives (unapplied logs: reghive refuses to commit
them) and hives an oracle cannot read are skipped with a note.
"""
import os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    from hivetree import tree_hivex, tree_pyregf
except ImportError as e:
    print('skip: python3-hivex or pyregf missing (%s)' % e)
    sys.exit(77)

R = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')
CORPUS = os.environ.get('CORPUS') or os.path.join(HERE, '../../../shared/corpus')


def rh(*a):
    return subprocess.run([R] + list(a), capture_output=True, stdin=subprocess.DEVNULL)


def trees(p):
    out = []
    for f in (lambda x: tree_hivex(x)[0], tree_pyregf):
        try:
            out.append(f(p))
        except Exception as e:
            out.append('unreadable: %s' % e)
    return out


def main():
    rows = []
    for top in (os.path.join(HERE, '..', 'data'), CORPUS):
        man = os.path.join(top, 'MANIFEST.tsv')
        if not os.path.exists(man):
            print('partial: corpus absent (%s): tests/data only' % CORPUS)
            continue
        rows += [[os.path.join(top, l.split('\t')[0])] + l.split('\t')[1:]
                 for l in open(man, encoding='utf-8').read().splitlines()[1:]]
    limit = None if os.environ.get('RH_CORPUS_ALL') else 2 << 20
    done = skipped = fails = 0
    with tempfile.TemporaryDirectory() as d:
        for row in rows:
            src = os.path.join(CORPUS, row[0])
            if not os.path.isfile(src) or (limit and int(row[2]) > limit):
                continue
            if rh('--no-logs', 'check', '--strict', src).returncode != 0:
                skipped += 1
                continue
            h = os.path.join(d, 'hive')
            for ext in ('.LOG1', '.LOG2'):  # the last hive's commit logs
                if os.path.exists(h + ext):
                    os.unlink(h + ext)
            shutil.copy(src, h)
            os.chmod(h, 0o644)
            before = trees(h)
            steps = [('add', h, '\\reghive-noop\\sub', '-v', 'n', '-d', 'x' * 50),
                     ('add', h, '\\', '-v', 'reghive-noop', '-t', 'REG_DWORD', '-d', '7'),
                     ('delete', h, '\\reghive-noop', '-f'),
                     ('delete', h, '\\', '-v', 'reghive-noop', '-f')]
            res = rh(*steps[0])
            if res.returncode != 0 and b'dirty' in res.stderr:
                skipped += 1
                continue
            bad = res.returncode != 0
            for s in steps[1:]:
                if bad:
                    break
                res = rh(*s)
                bad = res.returncode != 0
            if bad:
                print('FAIL %s: %s' % (row[0], res.stderr.decode(errors='replace').strip()))
                fails += 1
                continue
            after = trees(h)
            c = rh('check', '--strict', h)
            names = ('hivex', 'pyregf')
            for i in range(2):
                if isinstance(before[i], str):
                    continue  # the oracle cannot read the original either
                if after[i] != before[i]:
                    print('FAIL %s: %s tree changed%s' % (
                        row[0], names[i], ': ' + after[i] if isinstance(after[i], str) else ''))
                    fails += 1
            if c.returncode != 0:
                print('FAIL %s: check: %s' % (row[0], c.stdout.decode(errors='replace')))
                fails += 1
            done += 1
    print('%d hives edited and compared, %d skipped, %d failures' % (done, skipped, fails))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
