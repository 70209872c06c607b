#!/usr/bin/env python3
"""Interrupts at random moments (seeded) of export -o, import, compact and
save on a 11 MB corpus SYSTEM hive: SIGINT and SIGKILL.  The target must
be whole or absent (export -o / save: absent or the complete output;
import / compact: the hive is the old or the new one and checks clean),
and after SIGINT no temporary file may remain beside it (cli/outfile.c
removes its own; rh_commit runs with SIGINT held).  SIGKILL may leave a
temporary file: only the target is checked then.
"""
import hashlib, os, random, shutil, signal, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
R = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')
CORPUS = os.environ.get('CORPUS') or os.path.join(HERE, '../../../shared/corpus')
SRC = os.path.join(CORPUS, 'regipy/SYSTEM')


def run(*args):
    return subprocess.run([R] + list(args), capture_output=True, stdin=subprocess.DEVNULL)


def export_sum(path):
    p = run('export', path)
    return hashlib.sha256(p.stdout).hexdigest() if p.returncode == 0 else None


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    if not os.path.exists(R) or not os.path.exists(SRC):
        print('skip: reghive not built or corpus hive missing')
        return 77
    rnd = random.Random(13)
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        hive = os.path.join(d, 'SYSTEM')
        shutil.copy(SRC, hive)
        reg = os.path.join(d, 'add.reg')
        with open(reg, 'w') as f:
            f.write('Windows Registry Editor Version 5.00\n\n'
                    '[HKEY_LOCAL_MACHINE\\SYSTEM\\Interrupted]\n"v"=dword:00000001\n')
        # The references: the old tree, the tree after the import, the
        # whole export, the whole save.
        old = export_sum(hive)
        ref_reg = os.path.join(d, 'ref.reg')
        assert run('export', hive, '-o', ref_reg).returncode == 0
        ref_export = digest(ref_reg)
        ref_save = os.path.join(d, 'ref.hive')
        assert run('save', hive, 'ControlSet001', ref_save, '-f').returncode == 0
        ref_saved = export_sum(ref_save)
        tmp = os.path.join(d, 'new')
        shutil.copy(hive, tmp)
        assert run('import', tmp, reg).returncode == 0
        new = export_sum(tmp)
        os.unlink(tmp)
        for f in os.listdir(d):
            if f.startswith('new'):
                os.unlink(os.path.join(d, f))
        cases = {
            'export': (['export', hive, '-o', os.path.join(d, 'out.reg')], 'out.reg'),
            'import': (['import', hive, reg], None),
            'compact': (['compact', hive], None),
            'save': (['save', hive, 'ControlSet001', os.path.join(d, 'out.hive'), '-f'],
                     'out.hive'),
        }
        for name, (args, target) in cases.items():
            for i in range(6):
                sig = signal.SIGINT if i % 2 == 0 else signal.SIGKILL
                if target and os.path.exists(os.path.join(d, target)):
                    os.unlink(os.path.join(d, target))
                p = subprocess.Popen([R] + args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
                time.sleep(rnd.uniform(0, 0.25))
                p.send_signal(sig)
                p.wait()
                what = '%s %s run %d (exit %s)' % (name, sig.name, i, p.returncode)
                if target:
                    t = os.path.join(d, target)
                    if os.path.exists(t):
                        ok = (digest(t) == ref_export if name == 'export'
                              else export_sum(t) == ref_saved)
                        if not ok:
                            print('FAIL %s: %s is partial' % (what, target))
                            fails += 1
                else:
                    s = export_sum(hive)
                    if s not in (old, new):
                        print('FAIL %s: the hive is neither old nor new' % what)
                        fails += 1
                    if run('check', hive).returncode != 0:
                        print('FAIL %s: the hive does not check clean' % what)
                        fails += 1
                left = [f for f in os.listdir(d) if f.endswith('.tmp')]
                if sig == signal.SIGINT and left:
                    print('FAIL %s: temporary files left: %s' % (what, left))
                    fails += 1
                for f in left:
                    os.unlink(os.path.join(d, f))
    print('ok' if not fails else '%d failure(s)' % fails)
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
