#!/usr/bin/env python3
"""A copy between hives, committed in place, reaches the disk whole.

Issue 12: `reghive copy SAM SAM NTUSER.DAT Software -s -f` (dfwinreg/SAM
into a copy of plaso/NTUSER-WIN7.DAT) reported success, but the copy
linked its new security cells into the destination's sk list by writing
the existing list cells without marking their pages, so the in-place
commit (the default) left the old links on disk and `reghive check`
then found "blink ... does not point back".  Here: the same copy, then
on the file as committed, `reghive check` is clean, and hivex and
libregf read the destination's old tree with the source's SAM subtree
merged into Software as reg copy does (values and data equal, keys
compared by path)."""
import os, shutil, subprocess, sys, tempfile

import oracle_lib

check = oracle_lib.Checks()
C = oracle_lib.corpus()
R = oracle_lib.reghive()
SRC = os.path.join(C, 'dfwinreg', 'SAM')
DST = os.path.join(C, 'plaso', 'NTUSER-WIN7.DAT')


def by_path(tree):
    """{upper-cased path: {upper-cased value name: value}}."""
    return {path.upper(): {v[0].upper(): v for v in vals}
            for path, vals in tree}


def merge_sam(want, src):
    """Copy (reg copy's meaning) the source's \\SAM key into \\Software:
    its values and subtree go into Software, replacing what is there."""
    for path, vals in by_path(src).items():
        if path != '\\SAM' and not path.startswith('\\SAM\\'):
            continue
        to = '\\SOFTWARE' + path[4:]
        want.setdefault(to, {}).update(vals)


def main():
    for f in (SRC, DST):
        if not os.path.isfile(f):
            print('skip: %s absent' % f)
            return oracle_lib.SKIP
    with tempfile.TemporaryDirectory() as d:
        h = os.path.join(d, 'NTUSER.DAT')
        shutil.copy(DST, h)
        os.chmod(h, 0o644)
        p = subprocess.run([R, 'copy', SRC, 'SAM', h, 'Software', '-s', '-f'],
                           capture_output=True, stdin=subprocess.DEVNULL)
        check(p.returncode == 0, 'copy: %r' % p.stderr)
        # in place: the commit went through the transaction log
        check(os.path.exists(h + '.LOG1') or os.path.exists(h + '.LOG2'),
              'the commit was not in place (no transaction log)')
        p = subprocess.run([R, 'check', h], capture_output=True)
        check(p.returncode == 0,
              'check after an in-place copy: %s' % p.stdout.decode())
        for name, mod, walk in (('hivex', 'hivex', oracle_lib.hivex_tree),
                                ('libregf', 'pyregf', oracle_lib.pyregf_tree)):
            try:
                __import__(mod)
            except ImportError:
                print('note: python module %s missing: %s not compared'
                      % (mod, name))
                continue
            before, src, after = walk(DST), walk(SRC), walk(h)
            if not (before['ok'] and src['ok']):
                print('note: %s cannot read the inputs' % name)
                continue
            check(after['ok'], '%s: %s' % (name, after.get('error')))
            want = by_path(before['tree'])
            merge_sam(want, src['tree'])
            check(len(want) > len(before['tree']) + 10, '%s: no SAM keys'
                  % name)
            got = by_path(after['tree'])
            check(set(got) == set(want),
                  '%s: keys differ: %s' % (name, sorted(set(got) ^ set(want))[:5]))
            bad = [k for k in want if k in got and got[k] != want[k]]
            check(not bad, '%s: values differ at %s' % (name, bad[:5]))
    return check.done('copy in place')


if __name__ == '__main__':
    sys.exit(main())
