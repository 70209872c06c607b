#!/usr/bin/env python3
"""Run a command and print its wall time and I/O: "WALL WCHAR WRITE_BYTES
RCHAR" (seconds, bytes).  The counts are this wrapper's /proc/self/io
deltas: the kernel adds a reaped child's I/O accounting to its parent,
so they are the child's (wchar: bytes passed to write calls;
write_bytes: bytes sent toward storage).  usage: ioexec.py [-i FILE] CMD...
(-i: stdin from FILE)."""
import subprocess, sys, time


def io():
    d = {}
    for line in open('/proc/self/io'):
        k, v = line.split(':')
        d[k] = int(v)
    return d


args = sys.argv[1:]
stdin = None
if args[:1] == ['-i']:
    stdin = open(args[1], 'rb')
    args = args[2:]
a = io()
t = time.monotonic()
p = subprocess.run(args, stdin=stdin, stdout=subprocess.DEVNULL)
t = time.monotonic() - t
b = io()
if p.returncode:
    sys.exit('ioexec: %s exited %d' % (args[0], p.returncode))
print('%.4f %d %d %d' % (t, b['wchar'] - a['wchar'], b['write_bytes'] - a['write_bytes'],
                         b['rchar'] - a['rchar']))
