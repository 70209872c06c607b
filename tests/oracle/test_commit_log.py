#!/usr/bin/env python3
"""Crash safety of in-place commits (the default): a hive gets N-1
successful commits (each a separate reghive run, so entries accumulate in
HIVE.LOG1 and, past a small RH_TEST_LOG_LIMIT, alternate with HIVE.LOG2),
then the Nth commit fails (RH_TEST_COMMIT_FAIL=n) or dies
(RH_TEST_COMMIT_CRASH=n, torn half writes) at every step: backup, log
open, log write, log fsync, base block 1, fsync, pages, fsync, base
block 2, fsync.  Then, opened with its logs, the hive holds exactly the
old or the new tree (the one each step must give) and reghive check is
clean; opened with --no-logs, a clean primary holds that same tree, and a
dirty one is recoverable: reghive recover writes a file that hivex (which
ignores logs) reads as the new tree.  The .bak is the old hive, mode is
kept, and the next edit still goes through (in place or, after a crash
that left the primary dirty, by a rewrite).
"""
import json, os, shutil, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    from hivetree import tree_hivex
except ImportError as e:
    print('skip: python3-hivex missing (%s)' % e)
    sys.exit(77)

# The test build's CLI: the RH_TEST_* hooks exist only there.
R = os.environ.get('REGHIVE_TEST') or os.path.join(
    HERE, '../..', os.environ.get('B', 'build'), 'reghive-test')
STEPS = ['backup', 'logopen', 'logwrite', 'logsync', 'base1', 'sync1', 'pages',
         'sync2', 'base2', 'sync3']
LIMIT = ['12000']  # log size limit of the current case


def run(args, env=None):
    e = dict(os.environ)
    e['RH_TEST_LOG_LIMIT'] = LIMIT[0]
    e.update(env or {})
    return subprocess.run([R] + args, capture_output=True, stdin=subprocess.DEVNULL, env=e)


def tree(path, *opts):
    """reghive's view (logs applied unless --no-logs), timestamps left out."""
    p = run(list(opts) + ['export', path, '--json'])
    if p.returncode != 0:
        return None
    out = []
    for line in p.stdout.decode().splitlines():
        j = json.loads(line)
        j.pop('last_written', None)
        out.append(j)
    return out


def seqs(path):
    with open(path, 'rb') as f:
        b = f.read(12)
    return struct.unpack('<II', b[4:12])


def want_state(mode, n):
    """Which tree step n must leave: the log is complete from step 5 on
    (a torn base block 1 write still carries seq1); a failed base block 1
    write leaves the primary untouched."""
    name = STEPS[n - 1]
    if STEPS.index(name) < STEPS.index('base1'):
        return 'old'
    if name == 'base1' and mode == 'RH_TEST_COMMIT_FAIL':
        return 'old'
    return 'new'


def main():
    if not os.path.exists(R):
        print('skip: reghive not built')
        return 77
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, 'base')
        run(['new', base])
        for i in range(30):
            run(['add', base, 'Services\\Svc%02d' % i, '-v', 'Start', '-t', 'REG_DWORD',
                 '-d', str(i), '--rewrite'])
        os.chmod(base, 0o640)
        # (N, log size limit): #3 accumulates three entries in LOG1 (the
        # primary's seq2 goes back to the log's first entry while dirty);
        # #7 alternates LOG1 and LOG2 at a small limit
        for nth, LIMIT[0] in ((1, '12000'), (3, '1048576'), (7, '12000')):
            pre = [['add', None, 'Pre\\K%d' % k, '-v', 'Blob', '-t', 'REG_BINARY',
                    '-d', ('%02x' % k) * (3000 + 500 * k)] for k in range(nth - 1)]
            edit = ['delete', None, 'Services\\Svc07', '-f', '--backup']
            # reference: the trees before and after the Nth commit
            rd = os.path.join(d, 'ref%d' % nth)
            os.makedirs(rd)
            ref = os.path.join(rd, 'SYSTEM')
            shutil.copy2(base, ref)
            for c in pre:
                c[1] = ref
                assert run(c).returncode == 0, c
            old = tree(ref)
            old_hx = tree_hivex(ref)[0]
            edit[1] = ref
            assert run(edit).returncode == 0
            new = tree(ref)
            new_hx = tree_hivex(ref)[0]
            assert new != old and old and new
            logs = sorted(f for f in os.listdir(rd) if '.LOG' in f)
            print('commit #%d: reference logs %s' % (nth, logs))
            if nth == 7 and logs != ['SYSTEM.LOG1', 'SYSTEM.LOG2']:
                print('FAIL: 7 commits with a small limit should use both logs')
                fails += 1
            if nth == 3 and logs != ['SYSTEM.LOG1']:
                print('FAIL: 3 commits under the limit should use LOG1 only')
                fails += 1
            for mode in ('RH_TEST_COMMIT_FAIL', 'RH_TEST_COMMIT_CRASH'):
                for n, name in enumerate(STEPS, 1):
                    w = os.path.join(d, '%d-%s-%d' % (nth, mode[-5:].lower(), n))
                    os.makedirs(w)
                    h = os.path.join(w, 'SYSTEM')
                    shutil.copy2(base, h)
                    for c in pre:
                        c[1] = h
                        assert run(c).returncode == 0
                    edit[1] = h
                    p = run(edit, {mode: str(n)})
                    what = '#%d %s=%d (%s)' % (nth, mode, n, name)
                    want = want_state(mode, n)
                    if p.returncode == 0:
                        print('FAIL: %s: the commit reported success' % what)
                        fails += 1
                    got = tree(h)
                    state = 'old' if got == old else 'new' if got == new else 'neither'
                    s1, s2 = seqs(h)
                    raw = tree(h, '--no-logs')
                    if s1 == s2:
                        pstate = 'clean ' + ('old' if raw == old else 'new' if raw == new
                                             else 'neither')
                        pok = raw == got
                    else:
                        out = os.path.join(d, 'recovered')
                        rc = run(['recover', h, '-o', out]).returncode
                        ok = rc == 0 and tree_hivex(out)[0] == new_hx
                        pstate = 'dirty %d/%d, recover %s' % (s1, s2, 'new' if ok else 'WRONG')
                        pok = ok and want == 'new'
                        os.unlink(out)
                    c = run(['check', '--strict', h])
                    mode_ok = (os.stat(h).st_mode & 0o777) == 0o640
                    print('%-34s exit %3d: %s tree; primary %s; check %s; mode %s' % (
                        what, p.returncode, state, pstate,
                        'clean' if c.returncode == 0 else 'NOT CLEAN',
                        'kept' if mode_ok else 'CHANGED'))
                    if state != want or not pok or c.returncode != 0 or not mode_ok:
                        print('FAIL: %s: want the %s tree, clean' % (what, want))
                        fails += 1
                    if n > 1 and os.path.exists(h + '.bak') and \
                            tree_hivex(h + '.bak')[0] != old_hx:
                        print('FAIL: %s: SYSTEM.bak is not the old hive' % what)
                        fails += 1
                    if n > 1 and not os.path.exists(h + '.bak'):
                        print('FAIL: %s: no SYSTEM.bak' % what)
                        fails += 1
                    # the hive stays usable
                    if state == 'old':
                        p = run(edit)
                        ok = p.returncode == 0 and tree(h) == new
                    else:
                        p = run(['add', h, 'After', '-v', 'x', '-d', 'y'])
                        t = run(['get', h, 'After', 'x'])
                        ok = p.returncode == 0 and t.returncode == 0 and \
                            run(['check', '--strict', h]).returncode == 0 and \
                            run(['--no-logs', 'check', '--strict', h]).returncode == 0
                    if not ok:
                        print('FAIL: %s: the next edit did not commit: %s' % (what, p.stderr))
                        fails += 1
    print('%d failures' % fails)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
