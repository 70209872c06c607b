#!/usr/bin/env python3
"""`reghive copy` into an existing key asks, like reg copy, once per value
that already exists at the destination when stdin is a terminal: Yes
overwrites it, No keeps it, All overwrites it and the rest without asking,
Cancel stops with nothing written.  -f, or stdin that is not a terminal,
overwrites without asking.  Values the destination lacks are always
copied."""
import os, subprocess, sys, tempfile

import oracle_lib

R = oracle_lib.reghive()
check = oracle_lib.Checks()


def run(*args):
    return subprocess.run([R] + list(args), capture_output=True,
                          stdin=subprocess.DEVNULL)


def pty_copy(args, answers):
    """Run copy with stdin on a pseudo-terminal holding the answers typed
    ahead; returns (rc, stdout, stderr)."""
    m, s = os.openpty()
    os.write(m, answers.encode())
    p = subprocess.run([R] + args, stdin=s, capture_output=True)
    os.close(s)
    os.close(m)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def get(h, key, name):
    p = run('get', h, key, name)
    return p.stdout.decode().strip() if p.returncode == 0 else None


def fresh(d):
    h = os.path.join(d, 'h')
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    assert run('new', h).returncode == 0
    for key, vals in (('A', (('v1', '1'), ('v2', '2'), ('v3', '3'))),
                      ('Z', (('v1', 'old1'), ('v2', 'old2')))):
        for n, v in vals:
            assert run('add', h, key, '-v', n, '-d', v, '-f').returncode == 0
    return h


def main():
    with tempfile.TemporaryDirectory() as d:
        h = fresh(d)
        rc, out, err = pty_copy(['copy', h, 'A', h, 'Z'], 'n\ny\n')
        check(rc == 0, f'copy (No, Yes) exits 0: {rc} {err}')
        check(err.count('overwrite (Yes/No/All/Cancel)?') == 2,
              f'two questions: {err!r}')
        check('Value v1 exists in Z' in err, f'names the value and key: {err!r}')
        check([get(h, 'Z', v) for v in ('v1', 'v2', 'v3')] ==
              ['old1', '2', '3'], 'No keeps v1, Yes overwrites v2, v3 copied')

        h = fresh(d)
        rc, out, err = pty_copy(['copy', h, 'A', h, 'Z'], 'a\n')
        check(rc == 0 and err.count('overwrite') == 1,
              f'All answers once: {rc} {err!r}')
        check([get(h, 'Z', v) for v in ('v1', 'v2', 'v3')] == ['1', '2', '3'],
              'All overwrites the rest')

        h = fresh(d)
        before = open(h, 'rb').read()
        rc, out, err = pty_copy(['copy', h, 'A', h, 'Z'], 'y\nc\n')
        check(rc == 0 and 'cancelled by the user' in out,
              f'Cancel says so: {rc} {out!r}')
        check(open(h, 'rb').read() == before, 'Cancel writes nothing')

        h = fresh(d)
        rc, out, err = pty_copy(['copy', h, 'A', h, 'Z', '-f'], '')
        check(rc == 0 and 'overwrite' not in err, '-f does not ask')
        check([get(h, 'Z', v) for v in ('v1', 'v2')] == ['1', '2'],
              '-f overwrites')

        h = fresh(d)
        p = run('copy', h, 'A', h, 'Z')
        check(p.returncode == 0 and b'overwrite' not in p.stderr,
              'stdin not a terminal: no question')
        check([get(h, 'Z', v) for v in ('v1', 'v2')] == ['1', '2'],
              'stdin not a terminal: overwrites')
        check(run('check', '--strict', h).returncode == 0, 'hive clean after the copies')
    return check.done('copy questions')


if __name__ == '__main__':
    sys.exit(main())
