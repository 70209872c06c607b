"""Shared helpers for the oracle tests (not a test itself: no test_ prefix).

A tree is a list of keys in pre-order, children in subkey-list order:
    [(path, [(value_name, type_id, data_bytes), ...]), ...]
with path "\\" for the root and "\\a\\b" below it, as `reghive export
--json` writes it.  Oracle dumps (hivex, pyregf) are cached per user in a
temp dir keyed by the hive file's path, size and mtime and the hash of this file, so the
plain and the ASan run share them.
"""
import datetime
import hashlib
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SKIP = 77


DATA = os.path.join(ROOT, "tests", "data")


def corpus_dir():
    """The corpus directory ($CORPUS, else ../shared/corpus), or None when
    it has no MANIFEST.tsv."""
    c = os.environ.get("CORPUS") or os.path.join(os.path.dirname(ROOT),
                                                 "shared", "corpus")
    return c if os.path.isfile(os.path.join(c, "MANIFEST.tsv")) else None


def corpus():
    """The corpus directory, or exit 77 (skip) when it is absent."""
    c = corpus_dir()
    if c is None:
        print("skip: corpus absent (%s)" % os.environ.get("CORPUS", ""))
        sys.exit(SKIP)
    return c


def partial(what):
    """Say that part of a suite did not run: tests/run.sh shows the
    reason on the suite's PASS line."""
    print("partial: %s" % what)


def hives(kinds=None):
    """Primary hives to test: every fixture of tests/data (always there,
    so the suite asserts something on a fresh clone), then every corpus
    hive when ../shared/corpus is present (else a partial: line says the
    corpus part was skipped).  Rows are MANIFEST dicts plus 'id' (the name
    in EXPECT tables and output: 'data/PATH' for a fixture, the corpus
    path for a corpus hive) and 'file' (the hive's path)."""
    rows = []
    for r in primaries(DATA):
        r.update(id="data/" + r["path"], file=os.path.join(DATA, r["path"]))
        rows.append(r)
    c = corpus_dir()
    if c is None:
        partial("corpus absent (%s): %d tests/data fixtures only" %
                (os.environ.get("CORPUS", "../shared/corpus"), len(rows)))
    else:
        for r in primaries(c):
            r.update(id=r["path"], file=os.path.join(c, r["path"]))
            rows.append(r)
    return rows


def reghive():
    """Path of the CLI under test ($REGHIVE, else $B/reghive)."""
    r = os.environ.get("REGHIVE") or os.path.join(
        ROOT, os.environ.get("B", "build"), "reghive")
    if not os.access(r, os.X_OK):
        print("FAIL: reghive CLI not built at %s" % r)
        sys.exit(1)
    return r


class Checks:
    """Collects failed checks: check(ok, what) prints FAIL lines; done(name)
    prints the summary and returns the exit status."""

    def __init__(self):
        self.failures = []

    def __call__(self, ok, what):
        if not ok:
            self.failures.append(what)
            print('FAIL:', what)

    def done(self, name):
        if self.failures:
            print('%d failure(s)' % len(self.failures))
            return 1
        print('%s: ok' % name)
        return 0


def need_module(name):
    """Import an oracle module or skip the test with a reason."""
    try:
        return __import__(name)
    except ImportError:
        print("skip: python module %s not installed for %s (apt-get install "
              "python3-hivex python3-libregf)" % (name, sys.executable))
        sys.exit(SKIP)


def primaries(c):
    """MANIFEST rows (dicts) of every primary hive: kind not LOG*."""
    rows = []
    with open(os.path.join(c, "MANIFEST.tsv"), encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            if not r["kind"].startswith("LOG"):
                rows.append(r)
    return rows


_hook = sys.unraisablehook


def _quiet_hivex_del(u):
    """hivex.Hivex.__del__ raises AttributeError when the constructor
    failed (the hive was refused); that is noise, not a test result."""
    if isinstance(u.exc_value, AttributeError) and "_o" in str(u.exc_value):
        return
    _hook(u)


sys.unraisablehook = _quiet_hivex_del


def _cache_dir():
    d = os.path.join(tempfile.gettempdir(),
                     "reghive-oracle-cache-%d" % os.getuid())
    os.makedirs(d, exist_ok=True)
    return d


with open(os.path.abspath(__file__), "rb") as _f:
    _SELF = hashlib.sha256(_f.read()).hexdigest()[:16]


def cached(tag, path, fn):
    """fn() memoized on disk under (tag, the hive file's path, size and
    mtime, the version of this file)."""
    st = os.stat(path)
    key = hashlib.sha256(("%s\0%d\0%d" % (os.path.abspath(path), st.st_size,
                                            st.st_mtime_ns)).encode())
    p = os.path.join(_cache_dir(), "%s-%s-%s.pickle" %
                     (tag, key.hexdigest()[:24], _SELF))
    try:
        with open(p, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        pass
    r = fn()
    tmp = p + ".%d" % os.getpid()
    with open(tmp, "wb") as f:
        pickle.dump(r, f)
    os.replace(tmp, p)
    return r


def join(parent, name):
    return "\\" + name if parent == "\\" else parent + "\\" + name


# ---- hivex ---------------------------------------------------------------

def deeper(path):
    """Neither oracle detects a cycle of subkey lists (hivex walks
    tests/data/hostile-subkey-cycle.hiv forever): stop a walk past
    Windows' 512 levels (RH_MAX_DEPTH) as an error."""
    if path.count("\\") > 512:
        raise RecursionError("deeper than 512 levels (a cycle?): %s..." %
                             path[:80])


def hivex_tree(path):
    """{'ok': bool, 'error': str, 'tree': [...]} from python3-hivex.

    The walk is iterative (pre-order, children in list order) and stops at
    the first error hivex raises; 'tree' then holds what was read."""
    hivex = need_module("hivex")
    out = {"ok": True, "error": "", "tree": [], "offsets": [], "quirks": [],
           "meta": []}
    try:
        h = hivex.Hivex(path)
    except Exception as e:  # hivex refuses the file
        return {"ok": False, "error": "open: %r" % e, "tree": [],
                "offsets": []}
    try:
        stack = [(h.root(), "\\")]
        while stack:
            n, p = stack.pop()
            deeper(p)
            vals = []
            for v in h.node_values(n):
                try:
                    t, data = h.value_value(v)
                except RuntimeError:
                    # hivex 1.3.23 refuses (EFAULT) a value whose length
                    # is 0 when its data offset is invalid, e.g. the
                    # tombstone values of yarp/System_Delta (offset
                    # 0xffffffff).  Length 0 means no data: take b"".
                    t, n_ = h.value_type(v)
                    if n_ != 0:
                        raise
                    data = b""
                    out["quirks"].append((p, h.value_key(v)))
                vals.append((h.value_key(v), t, bytes(data)))
            out["tree"].append((p, vals))
            out["offsets"].append(n - 4096)  # hivex: file offsets
            out["meta"].append((filetime_iso(h.node_timestamp(n)), None))
            kids = h.node_children(n)
            for c in reversed(kids):
                stack.append((c, join(p, h.node_name(c))))
    except Exception as e:
        out["ok"] = False
        out["error"] = "walk after %d keys: %r" % (len(out["tree"]), e)
    return out


# ---- pyregf --------------------------------------------------------------

def pyregf_tree(path):
    """Same shape from pyregf (libregf).  'short' lists (path, name) of
    values whose data libregf gave as 1-3 bytes inline (known defect)."""
    pyregf = need_module("pyregf")
    out = {"ok": True, "error": "", "tree": [], "offsets": [], "meta": []}
    f = pyregf.file()
    f.set_ascii_codepage("windows-1252")  # the default, made explicit
    try:
        f.open(path)
        root = f.get_root_key()
    except Exception as e:
        return {"ok": False, "error": "open: %r" % e, "tree": [],
                "offsets": []}
    try:
        stack = [(root, "\\")]
        while stack:
            k, p = stack.pop()
            deeper(p)
            vals, voffs = [], []
            for i in range(k.get_number_of_values()):
                v = k.get_value(i)
                d = v.get_data()
                vals.append((v.get_name() or "", v.get_type(),
                             bytes(d) if d is not None else b""))
                voffs.append(v.get_offset() - 4096 - 4)
            out["tree"].append((p, vals))
            # pyregf offsets point past the cell size: make them cell
            # offsets (from the first hbin), as reghive and the spec count
            out["offsets"].append((k.get_offset() - 4096 - 4, voffs))
            out["meta"].append((filetime_iso(
                k.get_last_written_time_as_integer()), k.get_class_name()))
            kids = [k.get_sub_key(i) for i in range(k.get_number_of_sub_keys())]
            for c in reversed(kids):
                stack.append((c, join(p, c.get_name())))
    except Exception as e:
        out["ok"] = False
        out["error"] = "walk after %d keys: %r" % (len(out["tree"]), e)
    finally:
        f.close()
    return out


# ---- reghive -------------------------------------------------------------

def reghive_tree(path):
    """{'rc', 'stderr', 'tree'} from `reghive export HIVE --json`."""
    p = run(["export", path, "--json"])
    tree, meta = [], []
    for line in p.stdout.decode("utf-8", "surrogatepass").splitlines():
        o = json.loads(line)
        meta.append((o["last_written"], o.get("class")))
        tree.append((o["path"], [(v["name"], v["type_id"],
                                  bytes.fromhex(v["raw"]))
                                 for v in o["values"]]))
    return {"rc": p.returncode, "stderr": p.stderr.decode("utf-8", "replace"),
            "tree": tree, "meta": meta}


def argv(args):
    """reghive's argv for args (command first).  Always --no-logs: the
    oracles (hivex, libregf, the other projects' facts) read the primary
    file as it is, so reghive must not replay the transaction logs that
    lie next to dirty corpus hives (tests/oracle/test_logs.py covers
    recovery)."""
    return [reghive(), args[0], "--no-logs"] + list(args[1:])


def run(args, **kw):
    """Run reghive (see argv) capturing stdout and stderr."""
    return subprocess.run(argv(args), capture_output=True, **kw)


# ---- comparison ----------------------------------------------------------

def filetime_iso(ft):
    """FILETIME as reghive's JSON writes it: 2017-03-04T16:37:31.1234567Z."""
    s, frac = divmod(ft, 10 ** 7)
    d = datetime.datetime(1601, 1, 1) + datetime.timedelta(seconds=s)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % frac


def diff_meta(a, b, lb, classes, limit=3):
    """Differences of per-key (last_written, class) between reghive's
    tree a and an oracle's b (same keys, same order); classes: does the
    oracle report class names."""
    out = []
    for (p, _), (p2, _), ma, mb in zip(a["tree"], b["tree"], a["meta"],
                                       b["meta"]):
        if ma[0] != mb[0]:
            out.append("%s: last written %s, %s %s" % (p, ma[0], lb, mb[0]))
        if classes and ma[1] != (mb[1] or None):
            out.append("%s: class %r, %s %r" % (p, ma[1], lb, mb[1]))
        if len(out) >= limit:
            break
    return out

def diff_trees(a, b, la="reghive", lb="oracle", limit=5, value_filter=None):
    """List of human-readable differences between two trees (first few).

    value_filter(path, va, vb) may return True to accept a value pair
    that differs (a documented oracle defect)."""
    out = []
    if len(a) != len(b):
        out.append("%d keys in %s, %d in %s" % (len(a), la, len(b), lb))
    for i, (ka, kb) in enumerate(zip(a, b)):
        if len(out) >= limit:
            break
        if ka[0] != kb[0]:
            out.append("key #%d: %s %r, %s %r" % (i, la, ka[0], lb, kb[0]))
            break  # everything after is shifted
        va, vb = ka[1], kb[1]
        if len(va) != len(vb):
            out.append("%s: %d values in %s, %d in %s" %
                       (ka[0], len(va), la, len(vb), lb))
            continue
        for x, y in zip(va, vb):
            if x == y:
                continue
            if value_filter and value_filter(ka[0], x, y):
                continue
            out.append("%s value %r: %s %s, %s %s" %
                       (ka[0], x[0], la, short(x), lb, short(y)))
            break
    return out


def short(v):
    d = v[2]
    h = d[:24].hex() + ("...(%d bytes)" % len(d) if len(d) > 24 else "")
    return "(%r, type %d, %s)" % (v[0], v[1], h)


# ---- raw cell access (independent of reghive and the oracles) -----------

def read_vk(data, off):
    """Parse the vk cell at cell offset off of a hive image: returns
    (name_bytes, comp, type, rawlen, data_field_bytes)."""
    c = 4096 + off
    size = struct.unpack_from("<i", data, c)[0]
    assert size < 0 and data[c + 4:c + 6] == b"vk", "no vk at 0x%x" % off
    nlen, rawlen = struct.unpack_from("<HI", data, c + 6)
    typ, flags = struct.unpack_from("<IH", data, c + 16)
    name = data[c + 24:c + 24 + nlen]
    return name, flags & 1, typ, rawlen, data[c + 12:c + 16]


def cell(data, off):
    """Payload of the allocated cell at cell offset off (after the size)."""
    c = 4096 + off
    size = struct.unpack_from("<i", data, c)[0]
    assert size < 0, "cell 0x%x is free" % off
    return data[c + 4:c - size]


def read_nk(data, off):
    """(name_bytes, compressed) of the nk cell at cell offset off."""
    c = cell(data, off)
    assert c[:2] == b"nk", "no nk at 0x%x" % off
    flags = struct.unpack_from("<H", c, 2)[0]
    nlen = struct.unpack_from("<H", c, 0x48)[0]
    return c[0x4C:0x4C + nlen], bool(flags & 0x20)


def raw_value(data, off):
    """(name, type, bytes) of the vk at cell offset off, decoded here from
    the file bytes alone: inline data, one data cell, or a db list."""
    name, comp, typ, rawlen, field = read_vk(data, off)
    name = name.decode("latin-1") if comp else name.decode(
        "utf-16-le", "surrogatepass")
    n = rawlen & 0x7FFFFFFF
    if rawlen & 0x80000000:
        return name, typ, field[:n]
    if n == 0:
        return name, typ, b""
    d = cell(data, struct.unpack("<I", field)[0])
    minor = struct.unpack_from("<I", data, 0x18)[0]
    if n > 16344 and minor >= 4 and d[:2] == b"db" and len(d) < n:
        nseg, lst = struct.unpack_from("<HI", d, 2)
        segs = cell(data, lst)
        out = b""
        for i in range(nseg):
            so = struct.unpack_from("<I", segs, 4 * i)[0]
            out += cell(data, so)[:16344]
        return name, typ, out[:n]
    return name, typ, d[:n]


def raw_tree(data):
    """The tree read from the file bytes alone (a third reader, for hives
    neither hivex nor libregf can read): pre-order, subkeys in list order
    (lf/lh/li leaves, ri over leaves), names decoded as stored (Latin-1
    when compressed, else UTF-16LE keeping lone surrogates)."""
    out = []

    def subkeys(off):
        c = cell(data, off)
        n = struct.unpack_from("<H", c, 2)[0]
        if c[:2] == b"ri":
            return [k for i in range(n)
                    for k in subkeys(struct.unpack_from("<I", c, 4 + 4 * i)[0])]
        step = 4 if c[:2] == b"li" else 8
        assert c[:2] in (b"li", b"lf", b"lh"), "no list at 0x%x" % off
        return [struct.unpack_from("<I", c, 4 + step * i)[0] for i in range(n)]

    def walk(off, path, depth):
        assert depth <= 512, "deeper than 512 levels at %s" % path[:80]
        c = cell(data, off)
        nsub, lst = struct.unpack_from("<I", c, 0x14)[0], \
            struct.unpack_from("<I", c, 0x1C)[0]
        nval, vl = struct.unpack_from("<II", c, 0x24)
        vals = []
        if nval:
            vc = cell(data, vl)
            vals = [raw_value(data, struct.unpack_from("<I", vc, 4 * i)[0])
                    for i in range(nval)]
        out.append((path, vals))
        for k in (subkeys(lst) if nsub else []):
            raw, comp = read_nk(data, k)
            name = raw.decode("latin-1") if comp else raw.decode(
                "utf-16-le", "surrogatepass")
            walk(k, join(path, name), depth + 1)

    walk(struct.unpack_from("<I", data, 0x24)[0], "\\", 0)
    return out
