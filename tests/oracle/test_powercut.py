#!/usr/bin/env python3
"""Power loss at any moment of a commit: every crash state a disk with a
volatile write cache allows opens as exactly the old or the new tree, and
every file the command promised is there.

The test_commit_*.py tests end the process at a step, so everything
written before that step survives.  A power cut also loses or tears the
writes that were not yet fsynced, in any order.  Here (the approach of
ALICE and CrashMonkey; SQLite's crash tests do it in a test VFS) the
command runs once under tests/powercut/shim.c (LD_PRELOAD), which records
its opens, writes, truncates, renames, links, unlinks and fsyncs in the
hive's directory.  The replayer then walks the trace from the directory's
snapshot taken before the command, and at every point of it (and after
its end: the cache may still hold writes when the power goes) builds the
crash states of this model:
  - per file, each write since that file's last completed fsync (or
    fdatasync) is lost, kept, or torn at 512-byte sector boundaries (the
    first sector only, the first half, the second half, all but the first
    sector); truncates and size changes are lost or kept; pending writes
    of one file are independent of each other and of other files;
  - each directory operation (create, rename, link, unlink) since the
    directory's last fsync persists or not, independently (a rename is
    atomic); a file's fsync does not persist its directory entry.
Each state is materialized in a scratch directory and read with
`reghive export --json` (logs applied as at any open).  It must equal the
export of the old or of the new directory; with --backup, once the
primary is not the old file (or the new tree shows), HIVE.bak must exist
and export as the old tree.

When one crash point offers more than CAP combinations, CAP are drawn at
random (the seed is printed; RH_POWERCUT_SEED replays one).  The checker is
checked: with the shim told to drop one fsync (RH_POWERCUT_DROP_FSYNC),
the same replay must find broken states.
"""
import hashlib
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
B = os.environ.get('B', 'build')
# The test build (make testing): its hooks leave a hive dirty (a crashed
# commit) and shrink the log for the log-switch scenarios; the commit code
# is the same as the shipped CLI's.
R = os.environ.get('REGHIVE_TEST') or os.path.join(ROOT, B, 'reghive-test')
SHIM = os.environ.get('RH_POWERCUT_SHIM') or os.path.join(
    ROOT, B, 'powercut', 'shim.so')
SECTOR = 512
CAP = 256  # combinations tried per crash point before sampling
EVERY_SUBSET = 8  # a write of up to this many sectors: every subset of them
HIVE = 'SYSTEM'


# ---- the trace --------------------------------------------------------

def parse_trace(path):
    """The shim's records as tuples (write data as bytes)."""
    with open(path, 'rb') as f:
        b = f.read()
    ev, i = [], 0
    while i < len(b):
        j = b.index(b'\n', i)
        f = b[i:j].decode('utf-8', 'surrogateescape').split(' ')
        i = j + 1
        k = f[0]
        if k == 'W':
            n = int(f[3])
            ev.append(('W', int(f[1]), int(f[2]), b[i:i + n]))
            i += n
        elif k == 'O':
            ev.append(('O', int(f[1]), f[2] == '1', f[3] == '1', f[4]))
        elif k in 'TS':
            ev.append((k, int(f[1])) + tuple(int(x) for x in f[2:]))
        elif k == 'A':
            ev.append(('A', int(f[1]), int(f[2]) + int(f[3])))
        elif k in 'RL':
            ev.append((k, int(f[1]), f[2], f[3]))
        elif k == 'U':
            ev.append(('U', int(f[1]), f[2]))
        elif k in 'DY':
            ev.append((k,))
        else:
            raise ValueError('trace: cannot model %r' % ' '.join(f))
    return ev


# ---- the volatile-cache model -------------------------------------------

def apply_data(content, ops):
    """content (bytes) after the data ops, in order."""
    b = bytearray(content)
    for op in ops:
        if op[0] == 'W':
            off, data = op[1], op[2]
            if len(b) < off:
                b.extend(bytes(off - len(b)))
            b[off:off + len(data)] = data
        elif op[0] == 'T':
            if op[1] < len(b):
                del b[op[1]:]
            else:
                b.extend(bytes(op[1] - len(b)))
        elif op[0] == 'A':
            if len(b) < op[1]:
                b.extend(bytes(op[1] - len(b)))
    return bytes(b)


def apply_dir(names, ops):
    n = dict(names)
    for op in ops:
        if op[0] == 'create':
            n[op[1]] = op[2]
        elif op[0] == 'R':
            if n.get(op[1]) == op[3]:
                del n[op[1]]
            n[op[2]] = op[3]
        elif op[0] == 'L':
            n[op[1]] = op[2]
        elif op[0] == 'U':
            n.pop(op[1], None)
    return n


def write_variants(off, data, rng, durable, alone):
    """A pending write: lost, kept, or torn at sector boundaries.  Each
    variant is the list of (offset, bytes) pieces that reach the disk.
    A sector that holds what the disk holds already is left out when no
    other pending op of the file overlaps this one (alone): keeping or
    losing it is the same state.  The rest: every subset when there are
    at most EVERY_SUBSET sectors, else the first sector, the first half,
    the second half, all but the first, and four random sets."""
    cuts = [off]
    s = (off // SECTOR + 1) * SECTOR
    while s < off + len(data):
        cuts.append(s)
        s += SECTOR
    cuts.append(off + len(data))
    pieces = [(cuts[i], data[cuts[i] - off:cuts[i + 1] - off])
              for i in range(len(cuts) - 1)]
    if alone:
        pieces = [(o, d) for o, d in pieces if durable[o:o + len(d)] != d]
    n = len(pieces)
    out = [[], pieces] if n else [[]]
    if 1 < n <= EVERY_SUBSET:
        for m in range(1, (1 << n) - 1):
            out.append([p for j, p in enumerate(pieces) if m >> j & 1])
    elif n > 1:
        rand = [[p for p in pieces if rng.random() < 0.5] for _ in range(4)]
        for v in [pieces[:1], pieces[:n // 2], pieces[n // 2:],
                  pieces[1:]] + rand:
            if v not in out:
                out.append(v)
    return [[('W', o, d) for o, d in v] for v in out]


class Model:
    """What is durable and what is pending, as the trace is walked."""

    def __init__(self, snap):
        self.next = 0
        self.names = {}    # durable directory: name -> inode id
        self.pdir = []     # directory ops since the last directory fsync
        self.data = {}     # inode id -> durable bytes
        self.pend = {}     # inode id -> data ops since its last fsync
        self.lid = {}      # st_ino -> inode id
        for name, (ino, content) in snap.items():
            i = self.new_inode(ino, content)
            self.names[name] = i

    def new_inode(self, ino, content=b''):
        self.next += 1
        self.lid[ino] = self.next
        self.data[self.next] = content
        self.pend[self.next] = []
        return self.next

    def inode(self, ino):
        if ino not in self.lid:
            raise ValueError('trace names inode %d, which no open made' % ino)
        return self.lid[ino]

    def step(self, e):
        k = e[0]
        if k == 'O':
            _, ino, created, truncated, name = e
            if created:
                self.pdir.append(('create', name, self.new_inode(ino)))
            elif truncated:
                self.pend[self.inode(ino)].append(('T', 0))
        elif k == 'W':
            self.pend[self.inode(e[1])].append(('W', e[2], e[3]))
        elif k == 'T':
            self.pend[self.inode(e[1])].append(('T', e[2]))
        elif k == 'A':
            self.pend[self.inode(e[1])].append(('A', e[2]))
        elif k == 'S':
            i = self.inode(e[1])
            self.data[i] = apply_data(self.data[i], self.pend[i])
            self.pend[i] = []
        elif k == 'D':
            self.names = apply_dir(self.names, self.pdir)
            self.pdir = []
        elif k == 'Y':
            for i in self.pend:
                self.data[i] = apply_data(self.data[i], self.pend[i])
                self.pend[i] = []
            self.names = apply_dir(self.names, self.pdir)
            self.pdir = []
        elif k == 'R':
            self.pdir.append(('R', e[2], e[3], self.inode(e[1])))
        elif k == 'L':
            self.pdir.append(('L', e[3], self.inode(e[1])))
        elif k == 'U':
            self.pdir.append(('U', e[2]))

    def crash_states(self, rng, stats):
        """Yield {name: bytes} for the crash states at this point."""
        live = set(self.names.values())
        for op in self.pdir:
            if op[0] in ('create', 'L'):
                live.add(op[2])
            elif op[0] == 'R':
                live.add(op[3])
        slots = []  # (inode id or None for the directory, variants)
        for i in sorted(live):
            for op in self.pend[i]:
                if op[0] == 'W':
                    alone = all(o is op or (o[0] == 'W' and (
                        o[1] + len(o[2]) <= op[1] or
                        op[1] + len(op[2]) <= o[1])) for o in self.pend[i])
                    slots.append((i, write_variants(op[1], op[2], rng,
                                                    self.data[i], alone)))
                else:
                    slots.append((i, [[], [op]]))
        for op in self.pdir:
            slots.append((None, [[], [op]]))
        total = 1
        for _, v in slots:
            total *= len(v)
        if total <= CAP:
            combos = itertools.product(*[range(len(v)) for _, v in slots])
        else:
            stats['sampled'] += 1
            combos = [tuple(0 for _ in slots), tuple(1 for _ in slots)]
            combos += [tuple(rng.randrange(len(v)) for _, v in slots)
                       for _ in range(CAP)]
        for c in combos:
            ops = {i: [] for i in live}
            dops = []
            for (i, v), pick in zip(slots, c):
                if i is None:
                    dops += v[pick]
                else:
                    ops[i] += v[pick]
            names = apply_dir(self.names, dops)
            yield {n: apply_data(self.data[i], ops[i])
                   for n, i in names.items()}


# ---- running and reading ------------------------------------------------

def run(args, env=None, **kw):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([R] + args, capture_output=True,
                          stdin=subprocess.DEVNULL, env=e, **kw)


def snapshot(d):
    snap = {}
    for n in sorted(os.listdir(d)):
        p = os.path.join(d, n)
        with open(p, 'rb') as f:
            snap[n] = (os.stat(p).st_ino, f.read())
    return snap


def export(d, name):
    """reghive's tree of d/name (logs applied), or None if it cannot."""
    p = run(['export', os.path.join(d, name), '--json'])
    return p.stdout if p.returncode == 0 else None


def state_key(state):
    h = hashlib.sha256()
    for n in sorted(state):
        h.update(n.encode() + b'\0%d\0' % len(state[n]) + state[n])
    return h.digest()


class Checker:
    """Reads crash states and judges them against the old and new trees."""

    def __init__(self, scratch, old, new, old_primary, backup):
        self.scratch, self.old, self.new = scratch, old, new
        self.old_primary, self.backup = old_primary, backup
        self.seen = set()
        self.trees = {}  # hash of the files a read sees -> export
        self.broken = []
        self.states = 0
        self.got = set()

    def tree_of(self, state, name):
        files = sorted(n for n in state
                       if n == name or n.upper().startswith(name.upper() +
                                                            '.LOG'))
        h = hashlib.sha256()
        for n in files:
            h.update(n.encode() + b'\0%d\0' % len(state[n]) + state[n])
        k = h.digest()
        if k not in self.trees:
            for n in os.listdir(self.scratch):
                os.unlink(os.path.join(self.scratch, n))
            for n in files:
                with open(os.path.join(self.scratch, n), 'wb') as f:
                    f.write(state[n])
            self.trees[k] = export(self.scratch, name)
        return self.trees[k]

    def judge(self, state, where):
        k = state_key(state)
        if k in self.seen:
            return
        self.seen.add(k)
        self.states += 1
        if HIVE not in state:
            return self.bad(state, where, '%s is missing' % HIVE)
        t = self.tree_of(state, HIVE)
        which = 'old' if t == self.old else 'new' if t == self.new else None
        if which is None:
            return self.bad(state, where, 'neither the old nor the new tree'
                            if t is not None else 'does not open')
        self.got.add(which)
        if self.backup and (state[HIVE] != self.old_primary or
                            (which == 'new' and self.new != self.old)):
            bak = HIVE + '.bak'
            if bak not in state:
                return self.bad(state, where, '%s changed, %s is missing'
                                % (HIVE, bak))
            if self.tree_of(state, bak) != self.old:
                return self.bad(state, where, '%s is not the old tree' % bak)

    def bad(self, state, where, why):
        self.broken.append('%s: %s (files: %s)' % (
            where, why, ', '.join('%s %d' % (n, len(state[n]))
                                  for n in sorted(state))))


# ---- scenarios ------------------------------------------------------------

def make_base(d):
    """A hive made with reghive new + import: 40 services of two values
    each.  The import's log entry (every page) is removed, and one small
    commit leaves HIVE.LOG1 holding a one-page entry: an older entry that
    held every page could hide a lost new one."""
    os.makedirs(d)
    h = os.path.join(d, HIVE)
    reg = os.path.join(os.path.dirname(d), 'base.reg')
    with open(reg, 'w') as f:
        f.write('Windows Registry Editor Version 5.00\n\n[\\Services]\n\n')
        for i in range(40):
            f.write('[\\Services\\Svc%02d]\n"Start"=dword:%08x\n'
                    '"ImagePath"="C:\\\\svc%02d.sys"\n\n' % (i, i, i))
    for a in (['new', h], ['import', h, reg], None,
              ['add', h, 'Services\\Svc39', '-v', 'Extra', '-d', 'x']):
        if a is None:
            os.unlink(h + '.LOG1')
            continue
        p = run(a)
        if p.returncode != 0:
            raise RuntimeError('%s: %s' % (a, p.stderr.decode()))


SMALL_LOG = {'RH_TEST_LOG_LIMIT': '4096'}
# name: (command after HIVE, files of the base to copy, env, prep commands)
SCENARIOS = [
    ('delete', ['delete', 'Services\\Svc07', '-f'], None, {}, []),
    ('add-grow', ['add', 'Big', '-v', 'Blob', '-t', 'REG_BINARY',
                  '-d', 'ab' * 12000], None, {}, []),
    ('rename', ['rename', 'Services\\Svc03', 'Renamed'], None, {}, []),
    ('first-commit', ['add', 'Services\\Svc99', '-v', 'Start', '-t',
                      'REG_DWORD', '-d', '1'], [HIVE], {}, []),
    # the first log is past the limit: start HIVE.LOG2 (created)
    ('log-switch', ['delete', 'Services\\Svc11', '-f'], None, SMALL_LOG, []),
    # and back again: HIVE.LOG1 is reset and rewritten from its start
    ('log-switch-back', ['delete', 'Services\\Svc12', '-f'], None, SMALL_LOG,
     [['delete', 'Services\\Svc13', '-f']]),
    ('rewrite', ['delete', 'Services\\Svc07', '-f', '--rewrite'], None, {},
     []),
    ('compact', ['compact'], None, {}, [['delete', 'Services\\Svc05',
                                          '-f']]),
    # recover over the primary itself: a commit that died after its log
    # and the primary's first base block left the hive dirty
    ('recover', ['recover', '-o', None], None, {},
     [[{'RH_TEST_COMMIT_CRASH': '6'}, 'delete', 'Services\\Svc05', '-f']]),
]


def nth_sync(ev, want, n=1):
    """The shim's number (1-based, files and directory together) of the
    nth fsync that want(event, names) accepts; names maps inodes to the
    names they were opened by."""
    names, k = {}, 0
    for e in ev:
        if e[0] == 'O':
            names[e[1]] = e[4]
        elif e[0] in 'SD':
            k += 1
            if want(e, names):
                n -= 1
                if n == 0:
                    return k
    return 0


def file_sync(suffix, n=1):
    return lambda ev: nth_sync(
        ev, lambda e, names: e[0] == 'S' and names[e[1]].endswith(suffix), n)


def dir_sync(ev):
    return nth_sync(ev, lambda e, names: e[0] == 'D')


# scenario, --backup, the fsync dropped, how to find it in the trace
CHECKS = [
    ('delete', False, 'the log fsync', file_sync('.LOG1')),
    ('first-commit', False, 'the directory fsync after creating the log',
     dir_sync),
    ('rewrite', False, 'the fsync after the base block rewrite',
     file_sync('.tmp', 2)),
    ('delete', True, 'the directory fsync after the backup', dir_sync),
]


def prepare(tmp, base, name, files, env, prep, tag):
    """A fresh directory with the base's files (or those named) after the
    prep commands; returns it and its hive's path.  A prep command that
    starts with a dict runs with that environment and may fail (a commit
    made to crash, to leave a dirty hive)."""
    d = tempfile.mkdtemp(dir=tmp, prefix=name + tag)
    for n in files or os.listdir(base):
        shutil.copy2(os.path.join(base, n), os.path.join(d, n))
    h = os.path.join(d, HIVE)
    for a in prep:
        e, may_fail = dict(env), isinstance(a[0], dict)
        if may_fail:
            e.update(a[0])
            a = a[1:]
        p = run([a[0], h] + a[1:], e)
        if p.returncode != 0 and not may_fail:
            raise RuntimeError('prep %s: %s' % (a, p.stderr.decode()))
    return d, h


def traced(env, d, trace, **shim):
    """The environment of a command run under the shim."""
    e = dict(env)
    e.update({'LD_PRELOAD': SHIM, 'RH_POWERCUT_DIR': os.path.realpath(d),
              'RH_POWERCUT_TRACE': trace,
              # the shim is not sanitized: let an ASan CLI load it too
              'ASAN_OPTIONS': 'verify_asan_link_order=0:' +
              os.environ.get('ASAN_OPTIONS', '')})
    for k, v in shim.items():
        e['RH_POWERCUT_' + k] = str(v)
    return e


def argv(cmd, h, backup):
    """The command line (None in cmd stands for the hive's path)."""
    return [cmd[0], h] + [h if a is None else a for a in cmd[1:]] + (
        ['--backup'] if backup else [])


def scenario(tmp, base, name, cmd, files, env, prep, backup, drop, rng):
    """Run one traced command; return (stats dict, Checker)."""
    d, h = prepare(tmp, base, name, files, env, prep,
                   ('-backup' if backup else '') +
                   ('-drop%d-' % drop if drop else '-'))
    snap = snapshot(d)
    old = export(d, HIVE)
    trace = d + '.trace'
    e = traced(env, d, trace, **({'DROP_FSYNC': drop} if drop else {}))
    p = run(argv(cmd, h, backup), e)
    if p.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (cmd, p.returncode,
                                                p.stderr.decode()))
    new = export(d, HIVE)
    ev = parse_trace(trace)
    scratch = d + '.scratch'
    os.makedirs(scratch)
    ck = Checker(scratch, old, new, snap[HIVE][1], backup)
    m = Model(snap)
    stats = {'events': len(ev), 'sampled': 0, 'trace': ev,
             'fsyncs': sum(1 for x in ev if x[0] in 'SD'),
             'grew': len(open(h, 'rb').read()) > len(snap[HIVE][1]),
             'files': sorted(os.listdir(d))}
    for t in range(len(ev) + 1):
        if t:
            m.step(ev[t - 1])
        for st in m.crash_states(rng, stats):
            ck.judge(st, 'after %d of %d events' % (t, len(ev)))
    return stats, ck


def untimed(tree):
    """An export without its key times (each run stamps its own)."""
    if tree is None:
        return None
    return re.sub(rb'"last_written":"[^"]*",', b'', tree)


def fail_each_fsync(tmp, base, sc, backup, nsync, old, new):
    """Each fsync of the command failing (EIO) in turn: the command must
    exit 1 (a commit or a file it cannot make durable is not success), and
    the hive must still open as the old or the new tree (times aside: this
    run's new tree has its own)."""
    name, cmd, files, env, prep = sc
    bad = []
    for k in range(1, nsync + 1):
        d, h = prepare(tmp, base, name, files, env, prep, '-fail%d-' % k)
        p = run(argv(cmd, h, backup), traced(env, d, os.devnull,
                                             FAIL_FSYNC=k))
        t = untimed(export(d, HIVE))
        if p.returncode != 1:
            bad.append('fsync #%d failed: exit %d' % (k, p.returncode))
        if t is None or t not in (untimed(old), untimed(new)):
            bad.append('fsync #%d failed: the hive is neither tree' % k)
    return bad


def main():
    if not os.access(R, os.X_OK):
        print('skip: reghive not built at %s' % R)
        return 77
    if not os.path.exists(SHIM):
        print('FAIL: %s not built (make %s/powercut/shim.so)' % (SHIM, B))
        return 1
    seed = int(os.environ.get('RH_POWERCUT_SEED') or
               random.SystemRandom().randrange(1 << 31))
    print('seed %d (RH_POWERCUT_SEED=%d replays it)' % (seed, seed))
    fails = []
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, 'base')
        make_base(base)
        total = 0
        for name, cmd, files, env, prep in SCENARIOS:
            for backup in (False, True):
                if backup and name == 'recover':
                    continue  # recover has no --backup
                rng = random.Random('%d %s %d' % (seed, name, backup))
                st, ck = scenario(tmp, base, name, cmd, files, env, prep,
                                  backup, 0, rng)
                total += ck.states
                what = name + (' --backup' if backup else '')
                print('%-26s %3d events, %2d fsyncs, %4d crash states '
                      '(%d points sampled), trees seen: %s; broken: %d'
                      % (what, st['events'], st['fsyncs'], ck.states,
                         st['sampled'], '+'.join(sorted(ck.got)),
                         len(ck.broken)))
                for b in ck.broken[:5]:
                    print('   ', b)
                for b in fail_each_fsync(tmp, base, (name, cmd, files, env,
                                                     prep), backup,
                                         st['fsyncs'], ck.old, ck.new):
                    fails.append('%s: %s' % (what, b))
                if ck.broken:
                    fails.append('%s: %d of %d crash states broken'
                                 % (what, len(ck.broken), ck.states))
                # The replay must reach both ends, or it checked nothing.
                want = {'old', 'new'} if ck.old != ck.new else {'old'}
                if ck.got != want:
                    fails.append('%s: trees seen %s, want %s'
                                 % (what, sorted(ck.got), sorted(want)))
                if name == 'add-grow' and not st['grew']:
                    fails.append('add-grow: the file did not grow')
                if name == 'first-commit' and HIVE + '.LOG1' not in st[
                        'files']:
                    fails.append('first-commit: no %s.LOG1' % HIVE)
                if name.startswith('log-switch') and \
                        HIVE + '.LOG2' not in st['files']:
                    fails.append('%s: no %s.LOG2' % (name, HIVE))
        print('%d crash states in %.1f s' % (total, time.time() - t0))

        # Check the checker: drop one fsync, found by its role in the
        # trace of the full run, and the replay must find broken states.
        for name, backup, role, pick in CHECKS:
            sc = [x for x in SCENARIOS if x[0] == name][0]
            rng = random.Random('%d %s %s' % (seed, name, role))
            st, _ = scenario(tmp, base, *sc, backup, 0, rng)
            k = pick(st['trace'])
            if not k:
                fails.append('%s: no %s in the trace' % (name, role))
                continue
            st, ck = scenario(tmp, base, *sc, backup, k, rng)
            print('%s%s without %s (fsync #%d): %d of %d crash states broken'
                  % (name, ' --backup' if backup else '', role, k,
                     len(ck.broken), ck.states))
            if not ck.broken:
                fails.append('%s without %s: the replay found no broken '
                             'state' % (name, role))
    for f in fails:
        print('FAIL:', f)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
