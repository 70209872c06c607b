#!/usr/bin/env python3
"""In-place commits as another reader recovers them: yarp (msuhanov's
registry library, which follows Windows' recovery rules and refuses a hive
that has HIVE.LOG1 without HIVE.LOG2: "No valid recovery scheme
possible").  A hive gets N-1 commits (separate runs; #7 at a small log
size limit, so LOG1 and LOG2 alternate), then the Nth commit dies at each
step (RH_TEST_COMMIT_CRASH=n); yarp's recover_auto on the files left must
give exactly the old or the new tree, the same one reghive reads.
yarp is not packaged: set YARP to a directory holding its 'yarp' package
(or put it on PYTHONPATH); without it the test is skipped.
"""
import json, os, shutil, subprocess, sys, tempfile

if os.environ.get('YARP'):
    sys.path.insert(0, os.environ['YARP'])
try:
    from yarp import Registry
except ImportError as e:
    print('skip: yarp not importable (%s); set YARP=dir' % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
# The test build's CLI: the RH_TEST_* hooks exist only there.
R = os.environ.get('REGHIVE_TEST') or os.path.join(
    HERE, '../..', os.environ.get('B', 'build'), 'reghive-test')
NSTEPS = 10  # IP_BACKUP .. IP_SYNC3 in src/commit.c


def run(args, limit, env=None):
    e = dict(os.environ)
    e['RH_TEST_LOG_LIMIT'] = limit
    e.update(env or {})
    return subprocess.run([R] + args, capture_output=True,
                          stdin=subprocess.DEVNULL, env=e)


def yarp_tree(path):
    """yarp's tree of path after its automatic recovery from the logs
    beside it, or an error string."""
    def opt(p):
        return open(p, 'rb') if os.path.exists(p) else None
    files = [opt(path + x) for x in ('.LOG', '.LOG1', '.LOG2')]
    try:
        hive = Registry.RegistryHive(open(path, 'rb'))
        hive.recover_auto(*files)
        out = []

        def walk(k, p):
            out.append((p, tuple(sorted((v.name(), v.type_raw(), v.data_raw())
                                        for v in k.values()))))
            for s in k.subkeys():
                walk(s, p + '\\' + s.name())
        walk(hive.root_key(), '')
        return sorted(out)
    except Exception as ex:  # yarp raises its own exception classes
        return 'yarp: %s: %s' % (type(ex).__name__, ex)
    finally:
        for f in files:
            if f:
                f.close()


def mine(path, limit):
    """reghive's tree of path (logs applied), key timestamps left out."""
    p = run(['export', '--json', path], limit)
    if p.returncode != 0:
        return None
    out = []
    for ln in p.stdout.decode().splitlines():
        j = json.loads(ln)
        j.pop('last_written', None)
        out.append(j)
    return out


def main():
    if not os.path.exists(R):
        print('skip: reghive not built')
        return 77
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, 'base')
        run(['new', base], '12000')
        for i in range(30):
            run(['add', base, 'Services\\Svc%02d' % i, '-v', 'Start', '-t',
                 'REG_DWORD', '-d', str(i), '--rewrite'], '12000')
        for nth, limit in ((1, '12000'), (3, '1048576'), (7, '12000')):
            pre = [['add', None, 'Pre\\K%d' % k, '-v', 'Blob', '-t',
                    'REG_BINARY', '-d', ('%02x' % k) * (3000 + 500 * k)]
                   for k in range(nth - 1)]
            edit = ['delete', None, 'Services\\Svc07', '-f', '--backup']
            ref = os.path.join(d, 'ref%d' % nth)
            shutil.copy(base, ref)
            for c in pre:
                c[1] = ref
                assert run(c, limit).returncode == 0
            old = yarp_tree(ref)
            old_mine = mine(ref, limit)
            edit[1] = ref
            assert run(edit, limit).returncode == 0
            new = yarp_tree(ref)
            new_mine = mine(ref, limit)
            assert isinstance(old, list) and isinstance(new, list) and old != new
            for n in range(1, NSTEPS + 1):
                w = os.path.join(d, '%d-%d' % (nth, n))
                os.makedirs(w)
                h = os.path.join(w, 'SYSTEM')
                shutil.copy(base, h)
                for c in pre:
                    c[1] = h
                    assert run(c, limit).returncode == 0
                edit[1] = h
                p = run(edit, limit, {'RH_TEST_COMMIT_CRASH': str(n)})
                got = yarp_tree(h)
                state = 'old' if got == old else 'new' if got == new else \
                    got if isinstance(got, str) else 'neither'
                m = mine(h, limit)
                mstate = 'old' if m == old_mine else 'new' if m == new_mine \
                    else 'neither'
                logs = sorted(f for f in os.listdir(w) if '.LOG' in f)
                print('#%d crash at step %2d (exit %d): yarp reads the %s tree, '
                      'reghive the %s; logs %s' % (nth, n, p.returncode, state,
                                                   mstate, logs))
                if p.returncode != 86 or state not in ('old', 'new') or \
                        state != mstate:
                    print('FAIL: #%d step %d' % (nth, n))
                    fails += 1
    print('%d failures' % fails)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
