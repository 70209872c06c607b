#!/usr/bin/env python3
"""reghive import, checked against hivex and hivexregedit.

For every hive of tests/data and of the corpus when present (read with
--no-logs, as hivex ignores logs; the DELIBERATE corrupt ones are skipped;
a hive with CR/LF in names, which .reg cannot carry, must fail to import
naming file:line:column and leave the target unchanged):
  - `export` -> `import` into a `reghive new` hive -> `export` gives the
    same bytes (no import options: the export's marker line makes hex
    string data verbatim), `reghive check` is clean, and hivex reads the
    imported hive as the same tree (names, types, data bytes).
  - cross-tool: `hivexregedit --export HIVE '\\'` imports (--hex-verbatim,
    as hivexregedit --merge stores its hex(1/2/7) data) into the same
    tree; `hivexregedit --merge` (input read as UTF-8: perl -Ci) of
    reghive's export into an empty hive gives the same tree.
Every hive under 1 MB gets all checks; the larger ones the byte round
trip, plus the hivex comparisons on one sampled hive; the hivexregedit
checks (perl: seconds on hives of many keys) run on hives under 200 KB and
on one larger one (runtime).
Malformed input (truncated lines, bad hex, unknown header, unterminated
strings, a 10 MB line, invalid UTF-16/UTF-8, a bad file after a good one,
--strict) exits 1 naming file:line:column, and leaves the hive file as it
was: same bytes and same mtime.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle_lib as L  # noqa: E402
from test_export_roundtrip import CRLF  # noqa: E402

BIG = 1 << 20
CROSS = 200 << 10
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def rh(*args):
    return L.run(list(args))


def tree(path):
    t = L.hivex_tree(path)
    return t["tree"] if t["ok"] else None


def fresh(tmp, name):
    p = os.path.join(tmp, name)
    if os.path.exists(p):
        os.unlink(p)
    r = rh("new", p)
    assert r.returncode == 0, r.stderr
    return p


def roundtrip(tmp, rel, path, full, cross):
    a, b = os.path.join(tmp, "a.reg"), os.path.join(tmp, "b.reg")
    if rh("export", path, "-o", a, "--utf8").returncode:
        check(False, "%s: export failed" % rel)
        return
    n = fresh(tmp, "n.hive")
    r = rh("import", n, a)
    if r.returncode:
        check(False, "%s: import failed: %s" % (rel, r.stderr[-300:]))
        return
    rh("export", n, "-o", b, "--utf8")
    with open(a, "rb") as f1, open(b, "rb") as f2:
        check(f1.read() == f2.read(), "%s: export/import/export differs" % rel)
    r = rh("check", "--strict", n)
    check(r.returncode == 0, "%s: check of the imported hive: %s" %
          (rel, (r.stdout + r.stderr)[-300:]))
    if not full:
        return
    orig = L.cached("hivex", path, lambda: L.hivex_tree(path))
    if not orig["ok"]:
        return  # hivex cannot read the original: the bytes above suffice
    got = tree(n)
    check(got is not None and not L.diff_trees(got, orig["tree"]),
          "%s: hivex tree of the imported hive differs: %s" %
          (rel, L.diff_trees(got or [], orig["tree"])[:3]))
    if not cross:
        return
    # hivexregedit --merge of our export into an empty hive.  hivex's
    # node_add_child takes C strings: names holding NUL cannot be merged.
    if any("\0" in p or any("\0" in v[0] for v in vals)
           for p, vals in orig["tree"]):
        print("n/a  %s: a name holds NUL; hivexregedit --merge cannot "
              "create it" % rel)
        return
    e = fresh(tmp, "e.hive")
    r = subprocess.run(["perl", "-Ci", shutil.which("hivexregedit"),
                        "--merge", e, a], capture_output=True)
    if r.returncode == 0:
        got = tree(e)
        if got is not None and L.diff_trees(got, orig["tree"]) and \
                hivex_order(got, orig["tree"]):
            print("     %s: hivex ordered non-ASCII sibling names its own "
                  "way (tree equal otherwise)" % rel)
            got = orig["tree"]
        check(got is not None and not L.diff_trees(got, orig["tree"]),
              "%s: hivexregedit --merge of the export differs: %s" %
              (rel, L.diff_trees(got or [], orig["tree"])[:3]))
    else:
        check(False, "%s: hivexregedit --merge failed: %s" %
              (rel, r.stderr[-200:]))
    # hivexregedit --export imported by reghive.
    hx = os.path.join(tmp, "hx.reg")
    with open(hx, "wb") as f:
        if subprocess.run(["hivexregedit", "--export", path, "\\"], stdout=f,
                          stderr=subprocess.DEVNULL).returncode:
            return
    opts = ["--hex-verbatim"]
    try:
        open(hx, "rb").read().decode("utf-8")
    except UnicodeDecodeError:
        return  # mixed encodings in hivexregedit's output: not pure
    h = fresh(tmp, "h.hive")
    r = rh("import", h, hx, *opts)
    check(r.returncode == 0, "%s: import of hivexregedit's export: %s" %
          (rel, r.stderr[-300:]))
    # hivexregedit writes each key's values sorted by name.
    got = tree(h)
    srt = [(p, sorted(v)) for p, v in got or []]
    want = [(p, sorted(v)) for p, v in orig["tree"]]
    check(got is not None and not L.diff_trees(srt, want),
          "%s: hivexregedit export imported differs: %s" %
          (rel, L.diff_trees(srt, want)[:3]))


def hivex_order(got, want):
    """hivex 1.3.23's node_add_child places a new key among its siblings by
    its own comparison, not by Windows' uppercased UTF-16 order: in
    tests/data/names.hiv it puts 'ßéÿ' (U+00DF, which Windows does not
    uppercase) before 'ëigenaardig' (uppercased to U+00CB).  Accept a
    difference of exactly that shape: the same keys with the same values,
    and in each key's subkeys the ASCII-named ones in the same order."""
    if sorted(got) != sorted(want):
        return False

    def ascii_orders(t):
        kids = {}
        for p, _ in t:
            parent, _, name = p.rpartition("\\")
            if name.isascii():
                kids.setdefault(parent, []).append(name)
        return kids
    return ascii_orders(got) == ascii_orders(want)


def crlf(tmp, rel, path):
    """The export of a hive with CR/LF in names breaks its key lines: the
    import must refuse it as a syntax error and change nothing."""
    a = os.path.join(tmp, "a.reg")
    check(rh("export", path, "-o", a).returncode == 0,
          "%s: export failed" % rel)
    n = fresh(tmp, "n.hive")
    with open(n, "rb") as f:
        before = f.read()
    r = rh("import", n, a)
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 1 and re.search(r"a\.reg:\d+:\d+: ", err),
          "%s: import of an export with CR/LF names: exit %d: %s" %
          (rel, r.returncode, err[:200]))
    with open(n, "rb") as f:
        check(f.read() == before, "%s: failed import changed the hive" % rel)
    print("n/a  %-45s CR/LF names: import refused (%s)" %
          (rel, err.strip()[:60]))


def malformed(tmp, hive_src):
    """Each bad input: exit 1, 'file:line:col' on stderr, hive untouched."""
    h = os.path.join(tmp, "m.hive")
    shutil.copy(hive_src, h)
    os.utime(h, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    with open(h, "rb") as f:
        before = f.read()
    good = os.path.join(tmp, "good.reg")
    with open(good, "w") as f:
        f.write("Windows Registry Editor Version 5.00\n\n[\\Added]\n"
                "\"v\"=dword:00000001\n")
    v5 = b"Windows Registry Editor Version 5.00\r\n"
    cases = [
        ("truncated key line", v5 + b"[\\a\\b", "2:6"),
        ("truncated value line", v5 + b"[\\a]\n\"v\"", "3:4"),
        ("bad hex", v5 + b"[\\a]\n\"v\"=hex:01,0g", "3:13"),
        ("hex out of range", v5 + b"[\\a]\n\"v\"=hex:100", "3:9"),
        ("unknown header", b"Windows Registry Editor Version 6.00\n", "1:1"),
        ("unterminated string", v5 + b"[\\a]\n\"v\"=\"abc", "3:9"),
        ("unterminated name", v5 + b"[\\a]\n\"v=\"abc\"", ""),
        ("10 MB line", v5 + b"[\\a]\n\"v\"=hex:" + b"00," * 3500000 +
         b"zz", "3:10500009"),
        ("odd UTF-16", b"\xff\xfe" + v5.decode().encode("utf-16-le") +
         b"[\0\\", "2:2"),
        ("invalid UTF-8", v5 + b"[\\a\xff]\n", "2:4"),
    ]
    for label, data, pos in cases:
        bad = os.path.join(tmp, "bad.reg")
        with open(bad, "wb") as f:
            f.write(data)
        # A good file before the bad one: nothing of it may be applied.
        r = rh("import", h, good, bad)
        err = r.stderr.decode("utf-8", "replace")
        check(r.returncode == 1 and ("bad.reg:" + pos) in err,
              "malformed %s: exit %d, want 1 and bad.reg:%s: %s" %
              (label, r.returncode, pos, err[:200]))
        st = os.stat(h)
        with open(h, "rb") as f:
            check(f.read() == before and
                  st.st_mtime_ns == 1_000_000_000_000_000_000,
                  "malformed %s: hive file changed" % label)
    # --strict: a key outside the hive in the second file refuses all.
    out = os.path.join(tmp, "out.reg")
    with open(out, "w") as f:
        f.write("REGEDIT4\n\n[HKEY_CURRENT_USER\\X]\n")
    r = rh("import", h, good, out, "--strict", "--prefix", "HKLM\\SOFTWARE")
    check(r.returncode == 1 and b"outside the hive" in r.stderr,
          "--strict: exit %d: %s" % (r.returncode, r.stderr[:200]))
    with open(h, "rb") as f:
        check(f.read() == before and os.stat(h).st_mtime_ns ==
              1_000_000_000_000_000_000, "--strict: hive file changed")
    # An error while applying (a key name over 255 characters).
    long_ = os.path.join(tmp, "long.reg")
    with open(long_, "w") as f:
        f.write("Windows Registry Editor Version 5.00\n\n[\\%s]\n" % ("k" * 300))
    r = rh("import", h, good, long_)
    check(r.returncode == 1 and b"long.reg:3:" in r.stderr,
          "apply error: exit %d: %s" % (r.returncode, r.stderr[:200]))
    with open(h, "rb") as f:
        check(f.read() == before and os.stat(h).st_mtime_ns ==
              1_000_000_000_000_000_000, "apply error: hive file changed")
    # And the good file alone does change it.
    r = rh("import", h, good)
    check(r.returncode == 0 and os.stat(h).st_mtime_ns !=
          1_000_000_000_000_000_000, "good import did not write: %s" %
          r.stderr[:200])


def main():
    L.need_module("hivex")
    if not shutil.which("hivexregedit"):
        print("skip: hivexregedit not installed")
        return L.SKIP
    tmp = tempfile.mkdtemp(prefix="reghive-import-")
    try:
        rows = L.hives()
        small = big = 0
        sampled = None
        ncross_big = 0
        for r in sorted(rows, key=lambda r: int(r["size"])):
            rel, path = r["id"], r["file"]
            if "DELIBERATE" in r["notes"]:
                continue
            if rel in CRLF:
                crlf(tmp, rel, path)
                continue
            full = int(r["size"]) < BIG
            if not full and sampled is None:
                sampled = rel  # the smallest large hive gets every check
                full = True
            t0 = time.time()
            # hivexregedit (perl) takes seconds on hives of many keys: the
            # cross-tool checks run where the export is small, plus once.
            cross = full and (os.path.getsize(path) < CROSS or not ncross_big)
            ncross_big += cross and os.path.getsize(path) >= CROSS
            roundtrip(tmp, rel, path, full, cross)
            if os.environ.get("TIMING"):
                print("%6.2fs %s" % (time.time() - t0, rel))
            small += int(r["size"]) < BIG
            big += int(r["size"]) >= BIG
        malformed(tmp, os.path.join(L.DATA, "SYSTEM"))
        print("%d hives under 1 MB fully checked, %d larger ones round-"
              "tripped (hivex checks also on %s)" % (small, big, sampled))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
