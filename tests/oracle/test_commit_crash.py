#!/usr/bin/env python3
"""Crash safety of rh_commit --rewrite (the write-new-file commit; in-place
commits are test_commit_log.py): make each step of a commit (create temp,
write, fsync, rewrite base block, fsync, backup, rename, fsync dir) fail
(RH_TEST_COMMIT_FAIL=N) or end the process there (RH_TEST_COMMIT_CRASH=N,
a torn half write for write steps), then require the file on disk to open
with hivex and pyregf as exactly the old or the new tree, and reghive check
to report it clean; the next commit must still work.
"""
import os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    from hivetree import tree_hivex, tree_pyregf
except ImportError as e:
    print('skip: python3-hivex or pyregf missing (%s)' % e)
    sys.exit(77)

# The test build's CLI: the RH_TEST_* hooks exist only there.
R = os.environ.get('REGHIVE_TEST') or os.path.join(
    HERE, '../..', os.environ.get('B', 'build'), 'reghive-test')
STEPS = ['create', 'write', 'fsync', 'base', 'fsync2', 'backup', 'rename', 'dirsync']


def run(args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([R] + args, capture_output=True, stdin=subprocess.DEVNULL, env=e)


def trees(path):
    return tree_hivex(path)[0], tree_pyregf(path)


def main():
    if not os.path.exists(R):
        print('skip: reghive not built')
        return 77
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, 'base')
        run(['new', base])
        for i in range(40):
            run(['add', base, 'Services\\Svc%02d' % i, '-v', 'Start', '-t', 'REG_DWORD',
                 '-d', str(i)])
        os.chmod(base, 0o640)
        old = trees(base)
        edit = ['delete', None, 'Services\\Svc07', '-f', '--backup', '--rewrite']
        ref = os.path.join(d, 'ref')
        shutil.copy2(base, ref)
        edit[1] = ref
        assert run(edit).returncode == 0
        new = trees(ref)
        assert new != old
        for mode in ('RH_TEST_COMMIT_FAIL', 'RH_TEST_COMMIT_CRASH'):
            for n, name in enumerate(STEPS, 1):
                w = os.path.join(d, '%s-%d' % (mode[-5:].lower(), n))
                os.makedirs(w)
                h = os.path.join(w, 'SYSTEM')
                shutil.copy2(base, h)
                edit[1] = h
                p = run(edit, {mode: str(n)})
                want = 'new' if n == len(STEPS) else 'old'
                what = '%s=%d (%s)' % (mode, n, name)
                if p.returncode == 0:
                    print('FAIL: %s: the commit reported success' % what)
                    fails += 1
                got = trees(h)
                state = 'old' if got == old else 'new' if got == new else 'neither'
                c = run(['check', '--strict', h])
                mode_ok = (os.stat(h).st_mode & 0o777) == 0o640
                left = sorted(os.listdir(w))
                print('%-28s exit %3d: file holds the %s tree; check %s; mode %s; '
                      'dir %s' % (what, p.returncode, state,
                                  'clean' if c.returncode == 0 else 'NOT CLEAN',
                                  'kept' if mode_ok else 'CHANGED', left))
                if state != want or c.returncode != 0 or not mode_ok:
                    print('FAIL: %s: want the %s tree, clean' % (what, want))
                    fails += 1
                if mode == 'RH_TEST_COMMIT_FAIL' and any(f.endswith('.tmp') for f in left):
                    print('FAIL: %s: temporary file left behind after an error' % what)
                    fails += 1
                if n >= STEPS.index('rename') + 1 and trees(h + '.bak') != old:
                    print('FAIL: %s: SYSTEM.bak is not the old hive' % what)
                    fails += 1
                # the hive stays usable: the edit goes through afterwards
                p = run(edit) if state == 'old' else None
                if p is not None and (p.returncode != 0 or trees(h) != new):
                    print('FAIL: %s: retry did not commit: %s' % (what, p.stderr))
                    fails += 1
    print('%d failures' % fails)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
