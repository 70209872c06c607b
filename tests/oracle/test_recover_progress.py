#!/usr/bin/env python3
"""Progress of `reghive recover` on a terminal: a hive made dirty by a
commit that dies after its log is written (RH_TEST_COMMIT_CRASH=7, the
pages step) is recovered with stderr on a pty, which shows the phase line
"reading HIVE and its logs…", then "writing OUT: N/T bytes (P%)", each
erased; with stderr redirected there is no progress at all, and the
messages are the same apart from the progress draws."""
import os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
R = os.environ.get('REGHIVE') or os.path.join(HERE, '../../build/reghive')
# The test build's CLI, for the crash hook (RH_TEST_* exist only there).
RT = os.environ.get('REGHIVE_TEST') or os.path.join(
    HERE, '../..', os.environ.get('B', 'build'), 'reghive-test')
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print('FAIL:', what)


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([RT if env else R] + list(args), capture_output=True,
                          stdin=subprocess.DEVNULL, env=e)


def pty_run(args):
    """Run with stderr on a pseudo-terminal; returns (rc, stderr bytes)."""
    m, s = os.openpty()
    p = subprocess.run([R] + args, stdout=subprocess.DEVNULL, stderr=s,
                       stdin=subprocess.DEVNULL)
    os.close(s)
    out = b''
    while True:
        try:
            d = os.read(m, 65536)
        except OSError:  # EIO once the slave side is closed
            break
        if not d:
            break
        out += d
    os.close(m)
    return p.returncode, out


def main():
    for r in (R, RT):
        if not os.path.exists(r):
            print('reghive not built:', r)
            return 1
    with tempfile.TemporaryDirectory() as d:
        h = os.path.join(d, 'h')
        assert run('new', h).returncode == 0
        for i in range(20):
            assert run('add', h, 'A\\K%d' % i, '-v', 'x', '-d', 'y' * 300,
                       '-f').returncode == 0
        p = run('add', h, 'A\\Last', '-v', 'x', '-d', 'z', '-f',
                env={'RH_TEST_COMMIT_CRASH': '7'})
        check(p.returncode != 0, f'the crashed commit fails: {p.returncode}')
        out = os.path.join(d, 'out')
        rc, err = pty_run(['recover', h, '-o', out])
        size = os.path.getsize(out) if os.path.exists(out) else -1
        check(rc == 0 and size > 0, f'recover on a TTY: {rc} {err!r}')
        phase = b'\rreading ' + h.encode() + b' and its logs\xe2\x80\xa6\x1b[K'
        check(err.startswith(phase + b'\r\x1b[K'),
              f'phase line first, erased before the messages: {err!r}')
        draws = re.findall(rb'\rwriting ' + re.escape(out.encode()) +
                           rb': (\d+)/(\d+) bytes \(\d+%\)\x1b\[K', err)
        check(draws and draws[-1] == (str(size).encode(),) * 2,
              f'writing line counts the bytes up to {size}: {draws!r}')
        rest = re.sub(rb'\r(reading|writing) [^\x1b]*\x1b\[K', b'', err)
        rest = rest.replace(b'\r\x1b[K', b'')
        last = err.rfind(b'bytes (100%)\x1b[K')
        check(last > 0 and err[last + 15:].startswith(b'\r\x1b[K'),
              f'the writing line is erased: {err!r}')
        p = run('recover', h, '-o', out + '2')
        check(p.returncode == 0 and b'\r' not in p.stderr and
              b'\x1b' not in p.stderr and b'reading' not in p.stderr,
              f'no progress when stderr is redirected: {p.stderr!r}')
        check(rest == p.stderr.replace(b'\n', b'\r\n'),
              f'messages intact around the progress: {rest!r} vs {p.stderr!r}')
        check(open(out, 'rb').read() == open(out + '2', 'rb').read(),
              'both runs write the same hive')
    if failures:
        print(f'{len(failures)} failures')
        return 1
    print('recover progress ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
