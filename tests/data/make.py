#!/usr/bin/env python3
"""Regenerate the small hive fixtures of tests/data/ (see README.md).

usage: python3 tests/data/make.py [--verify]

Two kinds of fixtures:
  - made by reghive itself (`reghive new`, `import`, `add`, `delete`, and
    the test-only crash injection RH_TEST_COMMIT_CRASH of src/commit.c),
    run with a clock_gettime() shim (LD_PRELOAD, compiled here with cc) so
    every timestamp reghive writes is FIXED_UNIX: regenerating gives the
    same bytes as long as reghive's writer does not change;
  - written byte by byte by the Writer class below (lists of every kind,
    class names, shared security descriptors, volatile fields, deleted
    remnants, hostile damage), with the fixed FILETIME TIME.
Then MANIFEST.tsv (sha256 and size of every file, what it holds, what
`reghive check` and `export` must say) and the expected trees of the dirty
hives (*.expected.json) are written.  --verify regenerates into a temp dir
and compares with the committed files instead of writing them.

$REGHIVE_TEST names the CLI (default build/reghive-test, from `make testing`):
a build with the test hooks (RH_TEST_COMMIT_CRASH, RH_TEST_LOG_LIMIT).
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXED_UNIX = 1704067200  # 2024-01-01T00:00:00Z
TIME = (FIXED_UNIX + 11644473600) * 10**7  # the same instant as a FILETIME
NIL = 0xFFFFFFFF
SEG = 16344  # bytes per big data segment (msuhanov/regf "Big data")

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
/* Every wall-clock read returns one instant, so reghive's timestamps
 * (nk, hbin, base block) are reproducible.  Monotonic clocks pass on. */
int clock_gettime(clockid_t id, struct timespec *ts)
{
    static int (*real)(clockid_t, struct timespec *);
    if (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) {
        ts->tv_sec = %d;
        ts->tv_nsec = 0;
        return 0;
    }
    if (!real)
        real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
                                                            "clock_gettime");
    return real(id, ts);
}
""" % FIXED_UNIX


# ---- reghive-made fixtures ---------------------------------------------

class Reghive:
    def __init__(self, tmp):
        self.exe = os.environ.get("REGHIVE_TEST") or os.path.join(
            ROOT, "build", "reghive-test")
        so = os.path.join(tmp, "fixedtime.so")
        src = os.path.join(tmp, "fixedtime.c")
        with open(src, "w") as f:
            f.write(SHIM)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", so, src,
                        "-ldl"], check=True)
        self.env = dict(os.environ, LD_PRELOAD=so)
        self.env.pop("RH_TEST_COMMIT_CRASH", None)
        self.env.pop("RH_TEST_LOG_LIMIT", None)

    def __call__(self, *args, env=None, ok=True, stdin=None):
        e = dict(self.env)
        e.update(env or {})
        # names may hold unpaired surrogates: pass them as WTF-8
        argv = [a.encode("utf-8", "surrogatepass") for a in args]
        p = subprocess.run([self.exe.encode()] + argv, env=e,
                           input=stdin, capture_output=True)
        if ok and p.returncode != 0:
            raise SystemExit("reghive %r: exit %d: %s" %
                             (args, p.returncode,
                              p.stderr.decode(errors="replace")))
        return p

    def new(self, path, version="1.5"):
        if os.path.exists(path):
            os.unlink(path)
        self("new", path, "--version", version)

    def imp(self, path, text):
        """Import .reg text (UTF-8) into path in one commit; the
        transaction log it leaves is removed (the hive is clean)."""
        regf = path + ".import.reg"
        with open(regf, "w", encoding="utf-8", newline="\n") as f:
            f.write("Windows Registry Editor Version 5.00\n\n" + text)
        self("import", path, regf)
        os.unlink(regf)
        self.drop_logs(path)

    def drop_logs(self, path):
        for ext in (".LOG1", ".LOG2"):
            if os.path.exists(path + ext):
                os.unlink(path + ext)

    def tree_json(self, path, *opts):
        return self(*opts, "export", path, "--json").stdout


def reg_hex(b):
    return ",".join("%02x" % x for x in b)


def sz(s):
    return s.encode("utf-16-le", "surrogatepass") + b"\0\0"


def types_reg():
    """Every value type, inline data of 0-4 bytes, and big data."""
    v = [
        ("none", 0, b"\x00\x01"),
        ("none_empty", 0, b""),
        ("sz", 1, sz('hello "world" \\ back')),
        ("sz_empty", 1, sz("")),
        ("sz_nonul", 1, "abc".encode("utf-16-le")),
        ("expand_sz", 2, sz("%SystemRoot%\\system32")),
        ("binary", 3, bytes(range(256))),
        ("binary_empty", 3, b""),
        ("inline1", 3, b"\x01"),
        ("inline2", 3, b"\x01\x02"),
        ("inline3", 3, b"\x01\x02\x03"),
        ("inline4", 3, b"\x01\x02\x03\x04"),
        ("five", 3, b"\x01\x02\x03\x04\x05"),
        ("dword", 4, struct.pack("<I", 0xDEADBEEF)),
        ("dword_short", 4, b"\x01\x02"),
        ("dword_be", 5, struct.pack(">I", 1)),
        ("link", 6, "\\Registry\\Machine\\Software\\x".encode("utf-16-le")),
        ("multi_sz", 7, sz("a") + sz("bb") + sz("") + sz("ccc") + b"\0\0"),
        ("resource_list", 8, bytes(range(40))),
        ("full_resource_descriptor", 9, bytes(range(20))),
        ("resource_requirements_list", 10, bytes(range(30))),
        ("qword", 11, struct.pack("<Q", 0x0123456789ABCDEF)),
        ("type_0x1234", 0x1234, b"\xff"),
        ("devprop_string", 0xFFFF0012, sz("device property")),
        ("big_16344", 3, bytes((i * 7) & 255 for i in range(SEG))),
        ("big_16345", 3, bytes((i * 11) & 255 for i in range(SEG + 1))),
        ("big_33000", 3, bytes((i * 13 + 5) & 255 for i in range(33000))),
        ("big_sz", 1, sz("x" * 9000)),
    ]
    out = "[\\Types]\n"
    out += '@=hex(1):%s\n' % reg_hex(sz("default value"))
    for name, t, data in v:
        out += '"%s"=hex(%x):%s\n' % (name, t, reg_hex(data))
    return out


def names_reg():
    """Non-ASCII names: Latin-1 (stored compressed), Cyrillic, CJK, a
    surrogate pair, quotes and backslashes in value names, the longest
    key name (255) and a long value name."""
    keys = ["\u00ebigenaardig", "\u041a\u043b\u044e\u0447", "\u6ce8\u518c\u8868",
            "emoji \U0001F600", "spaces and . dots", "K" * 255,
            "\u00df\u00e9\u00ff", "mixed \u00e9\u0416"]
    out = ""
    for k in keys:
        out += "[\\Names\\%s]\n" % k
        out += '"\u00e9t\u00e9"="caf\u00e9"\n'
        out += '"\u0417\u043d\u0430\u0447\u0435\u043d\u0438\u0435"=dword:00000001\n'
        out += '"quote \\" and \\\\ backslash"="q"\n'
        out += '"%s"=hex:01\n' % ("v" * 1000)
        out += '"\U0001F600"="smile \U0001F600"\n'
    return out


def system_reg():
    def services(cs):
        return (
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet00%d\\Services\\Tcpip]\n"
            '"Start"=dword:00000000\n"Type"=dword:00000001\n'
            '"ImagePath"=hex(2):%s\n\n'
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet00%d\\Services\\MSExchangeKMS]\n"
            '"DisplayName"="Microsoft Exchange Key Management"\n'
            '"Start"=dword:%08x\n"Type"=dword:00000010\n'
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet00%d\\Control\\ComputerName\\ComputerName]\n"
            '"ComputerName"="FIXTURE-%d"\n\n' %
            (cs, reg_hex(sz("System32\\drivers\\tcpip.sys")), cs,
             2 if cs == 2 else 4, cs, cs))
    return ("[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n"
            '"Current"=dword:00000002\n"Default"=dword:00000002\n'
            '"Failed"=dword:00000000\n"LastKnownGood"=dword:00000001\n\n' +
            services(1) + services(2))


def build_cli(rh, out, tmp, notes):
    p = os.path.join(out, "empty-1.3.hiv")
    rh.new(p, "1.3")
    notes["empty-1.3.hiv"] = ("SYNTHETIC", "reghive new --version 1.3: root "
                              "key and one security descriptor only")
    p = os.path.join(out, "empty-1.5.hiv")
    rh.new(p, "1.5")
    notes["empty-1.5.hiv"] = ("SYNTHETIC", "reghive new --version 1.5")

    for ver in ("1.3", "1.5"):
        name = "types-%s.hiv" % ver
        p = os.path.join(out, name)
        rh.new(p, ver)
        rh.imp(p, types_reg())
        notes[name] = ("SYNTHETIC", "reghive import of every value type "
                       "(0-11, 0x1234, 0xffff0012), inline data of 0-4 "
                       "bytes, data of 16344, 16345, 18002 and 33000 bytes "
                       "(%s)" % ("one cell each: v1.3 has no big data"
                                 if ver == "1.3" else "db big data cells"))

    p = os.path.join(out, "names.hiv")
    rh.new(p)
    rh.imp(p, names_reg())
    notes["names.hiv"] = ("SYNTHETIC", "reghive import: non-ASCII key and "
                          "value names (Latin-1 ones stored compressed), "
                          "surrogate pairs, a 255-character key name, a "
                          "1000-character value name")

    p = os.path.join(out, "names-surrogates.hiv")
    rh.new(p)
    # unpaired surrogates: WTF-8 on the command line (reghive add)
    for k, v in [("lone high \udbff", "v \udc00"),
                 ("lone low \udc01 x", "\ud800"), ("paired \U0001F600", "ok")]:
        rh("add", p, "Surrogates\\" + k, "-v", v, "-d", "x", "--rewrite")
    notes["names-surrogates.hiv"] = (
        "SYNTHETIC", "reghive add: key and value names holding unpaired "
        "UTF-16 surrogates (WTF-8 on the command line)")

    p = os.path.join(out, "names-crlf.hiv")
    rh.new(p)
    for k, v in [("cr\rin key", "lf\nin value"), ("lf\nin key", "both\r\n"),
                 ("plain", "cr\r")]:
        rh("add", p, "CRLF\\" + k, "-v", v, "-d", "x", "--rewrite")
    notes["names-crlf.hiv"] = ("SYNTHETIC", "reghive add: CR and LF in key "
                               "and value names (a .reg file cannot carry "
                               "them)")

    p = os.path.join(out, "deep.hiv")
    rh.new(p)
    path = "\\".join("L%03d" % i for i in range(100))
    rh.imp(p, "[\\%s]\n\"depth\"=dword:00000064\n" % path)
    notes["deep.hiv"] = ("SYNTHETIC", "reghive import: keys nested 100 "
                         "levels below the root")

    p = os.path.join(out, "SYSTEM")
    rh.new(p)
    rh.imp(p, system_reg())
    notes["SYSTEM"] = ("SYSTEM", "reghive import: Select (Current=2), "
                       "ControlSet001 and ControlSet002 with Services and "
                       "ComputerName")

    # free cells and deleted data: keys and values added, then deleted
    p = os.path.join(out, "freecells.hiv")
    rh.new(p)
    text = ""
    for i in range(12):
        text += "[\\Apps\\App%02d]\n\"Path\"=\"C:\\\\Program Files\\\\App%02d\"\n" \
                "\"Blob\"=hex:%s\n" % (i, i, reg_hex(bytes([i]) * 100))
    rh.imp(p, text)
    rh.imp(p, "".join("[-\\Apps\\App%02d]\n" % i for i in range(0, 12, 3)) +
           "[\\Apps\\App01]\n\"Path\"=-\n")
    notes["freecells.hiv"] = ("SYNTHETIC", "reghive import, then a second "
                              "import deleting 4 keys and a value: free "
                              "cells between used ones")

    build_dirty_new(rh, out, tmp, notes)
    build_dirty_old(rh, out, tmp, notes)


def build_dirty_new(rh, out, tmp, notes):
    """A commit killed after the log is complete and the primary's base
    block marked dirty, before any page is written (RH_TEST_COMMIT_CRASH=6,
    step IP_SYNC1 of src/commit.c).  Earlier commits with a small log limit
    left entries in both LOG1 and LOG2."""
    d = os.path.join(out, "dirty-new")
    os.makedirs(d, exist_ok=True)
    work = os.path.join(tmp, "dirty-new")
    ref = os.path.join(tmp, "dirty-new-ref")
    for w in (work, ref):
        shutil.rmtree(w, ignore_errors=True)
        os.makedirs(w)
        h = os.path.join(w, "NTUSER.DAT")
        rh.new(h)
        rh.imp(h, "".join("[\\Software\\Vendor%d]\n\"Setting\"=dword:%08x\n" %
                          (i, i) for i in range(6)))
    edits = [("add", "Software\\Vendor1", "-v", "Color", "-d", "blue"),
             ("add", "Software\\Vendor2\\Sub", "-v", "N", "-t", "REG_DWORD",
              "-d", "2"),
             ("delete", "Software\\Vendor3", "-f"),
             ("add", "Software\\Vendor4", "-v", "Data", "-t", "REG_BINARY",
              "-d", "00" * 3000),
             ("add", "Software\\Vendor5", "-v", "Last", "-d", "crashed edit")]
    limit = {"RH_TEST_LOG_LIMIT": "6000"}
    snaps = {}  # the reference primary after each commit, by seq2
    for i, e in enumerate(edits):
        last = i == len(edits) - 1
        for w in (work, ref):
            h = os.path.join(w, "NTUSER.DAT")
            args = [e[0], h] + list(e[1:])
            if w == work and last:
                p = rh(*args, env=dict(limit, RH_TEST_COMMIT_CRASH="6"),
                       ok=False)
                assert p.returncode == 86, p
            else:
                rh(*args, env=limit)
        with open(os.path.join(ref, "NTUSER.DAT"), "rb") as f:
            b = f.read()
        snaps[struct.unpack_from("<I", b, 8)[0]] = b
    names = sorted(os.listdir(work))
    assert names == ["NTUSER.DAT", "NTUSER.DAT.LOG1", "NTUSER.DAT.LOG2"], names
    for n in names:
        shutil.copyfile(os.path.join(work, n), os.path.join(d, n))
    exp = rh.tree_json(os.path.join(ref, "NTUSER.DAT"), "--no-logs")
    with open(os.path.join(d, "NTUSER.DAT.expected.json"), "wb") as f:
        f.write(exp)
    notes["dirty-new/NTUSER.DAT"] = (
        "NTUSER", "reghive: 5 in-place commits with RH_TEST_LOG_LIMIT=6000, "
        "the last killed by RH_TEST_COMMIT_CRASH=6 (log written and synced, "
        "base block dirty, no page written); DIRTY; logs next to it: "
        "NTUSER.DAT.LOG1, NTUSER.DAT.LOG2; recovered tree in "
        "NTUSER.DAT.expected.json")
    notes["dirty-new/NTUSER.DAT.LOG1"] = ("LOG:NTUSER", "new-format log (HvLE)")
    notes["dirty-new/NTUSER.DAT.LOG2"] = ("LOG:NTUSER", "new-format log (HvLE)")

    # A primary that lags behind both logs, as Windows 8.1+ leaves one
    # when it flushed the logs but not yet the hive (lazy flush): the
    # reference primary as it was when LOG2 was started, marked dirty,
    # with the reference's final LOG1 and LOG2.  Recovery must replay
    # LOG2's entries, then continue into LOG1 (msuhanov/regf, "New
    # format": logs are applied in sequence order across both files).
    d2 = os.path.join(out, "dirty-new-2logs")
    os.makedirs(d2, exist_ok=True)
    with open(os.path.join(ref, "NTUSER.DAT.LOG2"), "rb") as f:
        seq2 = struct.unpack_from("<I", f.read(), 4)[0]
    prim = bytearray(snaps[seq2])
    struct.pack_into("<I", prim, 4, seq2 + 1)
    struct.pack_into("<I", prim, 0x1FC, xor_checksum(prim))
    with open(os.path.join(d2, "NTUSER.DAT"), "wb") as f:
        f.write(prim)
    for n in ("NTUSER.DAT.LOG1", "NTUSER.DAT.LOG2"):
        shutil.copyfile(os.path.join(ref, n), os.path.join(d2, n))
    with open(os.path.join(d2, "NTUSER.DAT.expected.json"), "wb") as f:
        f.write(exp)
    notes["dirty-new-2logs/NTUSER.DAT"] = (
        "NTUSER", "the reference run of dirty-new (no crash): its primary "
        "as it was when LOG2 was started (seq2 %d), marked dirty by "
        "make.py, with the final LOG1 and LOG2; DIRTY; logs next to it: "
        "NTUSER.DAT.LOG1, NTUSER.DAT.LOG2; recovery replays LOG2 then "
        "LOG1; recovered tree in NTUSER.DAT.expected.json" % seq2)
    notes["dirty-new-2logs/NTUSER.DAT.LOG1"] = ("LOG:NTUSER",
                                                "new-format log (HvLE)")
    notes["dirty-new-2logs/NTUSER.DAT.LOG2"] = ("LOG:NTUSER",
                                                "new-format log (HvLE)")


def xor_checksum(b):
    x = 0
    for i in range(0, 508, 4):
        x ^= struct.unpack_from("<I", b, i)[0]
    return {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(x, x)


def build_dirty_old(rh, out, tmp, notes):
    """An old-format (Windows XP-8) log, written byte by byte: reghive
    writes only new-format logs.  A = a SYSTEM-like hive, B = A after an
    import; the primary is A marked dirty (seq1 = seq2 + 1), SYSTEM.LOG
    holds a base block (file type 1, B's bins size), the "DIRT" dirty
    vector at 0x200 (one bit per 512-byte page of bins) and the pages of
    B that differ from A (msuhanov/regf, "Old format" of "Transaction log
    files")."""
    d = os.path.join(out, "dirty-old")
    os.makedirs(d, exist_ok=True)
    a = os.path.join(tmp, "old-A")
    rh.new(a)
    rh.imp(a, system_reg())
    b = os.path.join(tmp, "old-B")
    shutil.copyfile(a, b)
    rh.imp(b, "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services\\NewSvc]\n"
           "\"Start\"=dword:00000003\n\"ImagePath\"=\"C:\\\\new.exe\"\n"
           "[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\MSExchangeKMS]\n"
           + "".join("[HKEY_LOCAL_MACHINE\\SYSTEM\\Grow\\K%03d]\n"
                     "\"Pad\"=hex:%s\n" % (i, reg_hex(bytes(200)))
                     for i in range(40)))
    with open(a, "rb") as f:
        A = bytearray(f.read())
    with open(b, "rb") as f:
        B = f.read()
    binsA = struct.unpack_from("<I", A, 0x28)[0]
    binsB = struct.unpack_from("<I", B, 0x28)[0]
    assert binsB > binsA, "the edit should grow the hive"
    seq = struct.unpack_from("<I", A, 0x04)[0]
    prim = bytearray(A)
    struct.pack_into("<I", prim, 0x04, seq + 1)  # dirty: seq1 != seq2
    struct.pack_into("<I", prim, 0x1FC, xor_checksum(prim))
    log = bytearray(B[:512])
    struct.pack_into("<II", log, 0x04, seq + 1, seq + 1)
    struct.pack_into("<I", log, 0x1C, 1)  # file type: old-format log
    struct.pack_into("<I", log, 0x1FC, xor_checksum(log))
    oldbins = A[4096:4096 + binsA] + bytes(binsB - binsA)
    newbins = B[4096:4096 + binsB]
    vec = bytearray(binsB // 4096)
    pages = b""
    for i in range(binsB // 512):
        if oldbins[i * 512:(i + 1) * 512] != newbins[i * 512:(i + 1) * 512]:
            vec[i // 8] |= 1 << (i % 8)
            pages += newbins[i * 512:(i + 1) * 512]
    log += b"DIRT" + vec
    log += bytes(-len(log) % 512) + pages
    with open(os.path.join(d, "SYSTEM"), "wb") as f:
        f.write(prim)
    with open(os.path.join(d, "SYSTEM.LOG"), "wb") as f:
        f.write(log)
    with open(os.path.join(d, "SYSTEM.expected.json"), "wb") as f:
        f.write(rh.tree_json(b, "--no-logs"))
    notes["dirty-old/SYSTEM"] = (
        "SYSTEM", "the SYSTEM fixture's tree (reghive import), base block "
        "marked dirty; DIRTY; log next to it: SYSTEM.LOG (old format, "
        "written by make.py); recovered tree in SYSTEM.expected.json")
    notes["dirty-old/SYSTEM.LOG"] = ("LOG:SYSTEM", "old-format log (DIRT "
                                     "vector, %d dirty pages)" %
                                     (len(pages) // 512))


# ---- byte-level fixtures -----------------------------------------------

def lh_hash(name):
    """Hash of an lh element: h = h * 37 + upcase(c) over UTF-16 units
    (msuhanov/regf "Hash leaf"); ASCII-only names here."""
    h = 0
    for u in struct.unpack("<%dH" % len(name), name.upper().encode("utf-16-le")):
        h = (h * 37 + u) & 0xFFFFFFFF
    return h


def sid(auth, *subs):
    return struct.pack("<BB", 1, len(subs)) + auth.to_bytes(6, "big") + \
        b"".join(struct.pack("<I", s) for s in subs)


def sd(owner, mask):
    """A self-relative security descriptor: owner, group SYSTEM, a DACL
    granting Everyone mask."""
    group, everyone = sid(5, 18), sid(1, 0)
    ace = struct.pack("<BBHI", 0, 0x02, 8 + len(everyone), mask) + everyone
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(ace), 1, 0) + ace
    return struct.pack("<BBHIIII", 1, 0, 0x8004, 20, 20 + len(owner), 0,
                       20 + len(owner) + len(group)) + owner + group + acl


def encode_name(name):
    """(bytes, compressed): Windows stores a name whose every character
    is below 256 as one byte per character (KEY_COMP_NAME)."""
    if all(ord(c) < 256 for c in name):
        return name.encode("latin-1"), True
    return name.encode("utf-16-le", "surrogatepass"), False


class Key:
    def __init__(self, name, values=(), children=(), cls=None, sk=0,
                 flags=0, lst="lh", nvolatile=0, volatile_list=NIL):
        self.name, self.values, self.children = name, list(values), list(children)
        self.cls, self.sk, self.flags, self.lst = cls, sk, flags, lst
        self.nvolatile, self.volatile_list = nvolatile, volatile_list


class Writer:
    """Raw regf writer: cells are appended to 4 KiB bins (a larger bin for
    a larger cell); offsets are cell offsets from the first bin."""

    def __init__(self, minor=5):
        self.minor = minor
        self.buf = bytearray()
        self.bin_end = 0
        self.sks = []

    def _open_bin(self, need):
        self.close_bin()
        size = max(4096, (need + 32 + 4095) & ~4095)
        start = len(self.buf)
        self.bin_end = start + size
        self.buf += b"hbin" + struct.pack("<IIIIQI", start, size, 0, 0,
                                          TIME if start == 0 else 0, 0)

    def close_bin(self):
        left = self.bin_end - len(self.buf)
        if left:
            self.buf += struct.pack("<i", left) + bytes(left - 4)

    def alloc(self, payload, free=False):
        n = (4 + len(payload) + 7) & ~7
        if self.bin_end - len(self.buf) < n:
            self._open_bin(n)
        off = len(self.buf)
        self.buf += struct.pack("<i", n if free else -n) + payload + \
            bytes(n - 4 - len(payload))
        return off

    def put32(self, off, field, v):
        struct.pack_into("<I", self.buf, off + 4 + field, v & 0xFFFFFFFF)

    def get32(self, off, field):
        return struct.unpack_from("<I", self.buf, off + 4 + field)[0]

    def security(self, sds):
        """sk cells for the descriptors, linked in a ring; refcounts are
        filled in by key()."""
        self.sks = [self.alloc(b"sk" + struct.pack("<HIIII", 0, 0, 0, 0, len(s)) + s)
                    for s in sds]
        n = len(self.sks)
        for i, c in enumerate(self.sks):
            self.put32(c, 4, self.sks[(i + 1) % n])
            self.put32(c, 8, self.sks[i - 1])

    def data(self, data):
        if len(data) <= SEG or self.minor < 4:
            return self.alloc(data)
        segs = [self.alloc(data[i:i + SEG]) for i in range(0, len(data), SEG)]
        lst = self.alloc(b"".join(struct.pack("<I", s) for s in segs))
        return self.alloc(b"db" + struct.pack("<HI", len(segs), lst))

    def vk(self, name, typ, data):
        nm, comp = encode_name(name)
        if len(data) <= 4:
            dlen, field = len(data) | 0x80000000, data.ljust(4, b"\0")
        else:
            dlen, field = len(data), struct.pack("<I", self.data(data))
        return self.alloc(b"vk" + struct.pack("<HI", len(nm), dlen) + field +
                          struct.pack("<IHH", typ, 1 if comp else 0, 0) + nm)

    def key(self, k, parent=0, root=False):
        nm, comp = encode_name(k.name)
        flags = k.flags | (0x20 if comp else 0) | (0x2C if root else 0)
        off = self.alloc(b"nk" + struct.pack("<HQII", flags, TIME, 0, parent) +
                         struct.pack("<IIIIII", 0, k.nvolatile, NIL,
                                     k.volatile_list, 0, NIL) +
                         struct.pack("<II", self.sks[k.sk], NIL) + bytes(20) +
                         struct.pack("<HH", len(nm), 0) + nm)
        sk = self.sks[k.sk]
        self.put32(sk, 0x0C, self.get32(sk, 0x0C) + 1)
        if k.cls is not None:
            c = k.cls.encode("utf-16-le")
            self.put32(off, 0x30, self.alloc(c))
            struct.pack_into("<H", self.buf, off + 4 + 0x4A, len(c))
        if k.values:
            vks = [self.vk(*v) for v in k.values]
            self.put32(off, 0x24, len(vks))
            self.put32(off, 0x28, self.alloc(b"".join(struct.pack("<I", v)
                                                      for v in vks)))
            self.put32(off, 0x3C, max(len(encode_name(v[0])[0]) for v in k.values))
            self.put32(off, 0x40, max(len(v[2]) for v in k.values))
        if k.children:
            kids = sorted(k.children, key=lambda c: c.name.upper())
            offs = [(self.key(c, off), c.name) for c in kids]
            self.put32(off, 0x14, len(offs))
            self.put32(off, 0x1C, self.list(k.lst, offs))
            self.put32(off, 0x34, max(len(c.name) * 2 for c in kids))
            self.put32(off, 0x38, max(len((c.cls or "").encode("utf-16-le"))
                                      for c in kids))
        return off

    def leaf(self, sig, keys):
        out = sig + struct.pack("<H", len(keys))
        for off, name in keys:
            out += struct.pack("<I", off)
            if sig == b"lh":
                out += struct.pack("<I", lh_hash(name))
            elif sig == b"lf":
                out += encode_name(name)[0][:4].ljust(4, b"\0")
        return self.alloc(out)

    def list(self, kind, keys):
        """kind: li, lf, lh, or ri:X,Y,... (an index root over one leaf of
        each kind, the keys split evenly in order)."""
        if not kind.startswith("ri:"):
            return self.leaf(kind.encode(), keys)
        sigs = kind[3:].split(",")
        per = -(-len(keys) // len(sigs))
        leaves = [self.leaf(s.encode(), keys[i * per:(i + 1) * per])
                  for i, s in enumerate(sigs)]
        return self.alloc(b"ri" + struct.pack("<H", len(leaves)) +
                          b"".join(struct.pack("<I", x) for x in leaves))

    def image(self, root, name):
        self.close_bin()
        base = bytearray(4096)
        struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, TIME, 1,
                         self.minor, 0, 1, root, len(self.buf), 1)
        n = name.encode("utf-16-le")[:64]
        base[0x30:0x30 + len(n)] = n
        struct.pack_into("<I", base, 0x1FC, xor_checksum(base))
        return bytearray(base + self.buf)


def build(tree, name, sds=None, minor=5, extra=None):
    w = Writer(minor)
    w.security(sds or [sd(sid(5, 32, 544), 0x000F003F)])
    root = w.key(tree, root=True)
    if extra:
        extra(w)
    return w.image(root, name), w


def dw(n):
    return struct.pack("<I", n)


def build_bytes(out, notes):
    def save(name, img, kind, note):
        with open(os.path.join(out, name), "wb") as f:
            f.write(img)
        notes[name] = (kind, note)

    # lists of every kind: lf, lh, li, and an ri over an li, an lh and an lf
    def kids(prefix, n):
        return [Key("%s%02d" % (prefix, i), [("i", 4, dw(i))]) for i in range(n)]
    tree = Key("ROOT", children=[
        Key("UsesLf", children=kids("f", 5), lst="lf"),
        Key("UsesLh", children=kids("h", 5), lst="lh"),
        Key("UsesLi", children=kids("i", 5), lst="li"),
        Key("UsesRi", children=kids("r", 12), lst="ri:li,lh,lf"),
        Key("Empty")], lst="lh")
    img, _ = build(tree, "lists")
    save("lists.hiv", img, "SYNTHETIC", "written by make.py: subkey lists "
         "lf, lh, li and an ri (index root) over three leaves (li, lh, lf) "
         "of 4 keys each")

    # class names and several security descriptors shared by keys
    sds = [sd(sid(5, 32, 544), 0x000F003F), sd(sid(5, 18), 0x00020019),
           sd(sid(5, 21, 1, 2, 3, 1001), 0x000F003F)]
    tree = Key("ROOT", sk=0, children=[
        Key("Admin", sk=0, cls="AdminClass", children=[
            Key("A1", sk=0), Key("A2", sk=1, cls="\u00e9\u0416 class")]),
        Key("System", sk=1, cls="S", children=[Key("S1", sk=1)]),
        Key("User", sk=2, cls="x" * 200, values=[("v", 1, sz("u"))],
            children=[Key("U1", sk=2), Key("U2", sk=0)])])
    img, _ = build(tree, "security", sds)
    save("security.hiv", img, "SYNTHETIC", "written by make.py: three "
         "security descriptors in one sk ring, each shared by several keys "
         "(reference counts 4, 3, 2), class names (1 character, ASCII, "
         "non-ASCII, 200 characters)")

    # volatile: a key flagged KEY_VOLATILE and a key whose volatile subkey
    # fields hold what a live system left there.  Volatile keys live only
    # in memory, so the fields mean nothing on disk and loaders ignore
    # them (msuhanov/regf "Key node": "volatile subkeys ... not written").
    tree = Key("ROOT", children=[
        Key("VolatileFlag", flags=0x0001, values=[("x", 4, dw(1))]),
        Key("VolatileCount", nvolatile=3, volatile_list=0x12345678,
            children=[Key("Stable")])])
    img, _ = build(tree, "volatile")
    save("volatile.hiv", img, "SYNTHETIC", "written by make.py: a key with "
         "the KEY_VOLATILE flag and a key with a volatile subkey count 3 "
         "and list offset 0x12345678 (meaningless on disk)")

    # deleted remnants in free cells, as Windows leaves them after a
    # delete: a free nk, a free vk and its data, free space at bin ends
    def remnants(w):
        nm = b"DeletedKey"
        w.alloc(b"nk" + struct.pack("<HQII", 0x20, TIME, 0, 0x20) +
                struct.pack("<IIIIII", 0, 0, NIL, NIL, 0, NIL) +
                struct.pack("<II", w.sks[0], NIL) + bytes(20) +
                struct.pack("<HH", len(nm), 0) + nm, free=True)
        d = w.alloc(sz("deleted secret"), free=True)
        w.alloc(b"vk" + struct.pack("<HI", 7, 30) + struct.pack("<I", d) +
                struct.pack("<IHH", 1, 1, 0) + b"Deleted", free=True)
        w.alloc(bytes(200), free=True)
    tree = Key("ROOT", children=[Key("Kept", [("v", 1, sz("kept"))])])
    img, _ = build(tree, "deleted", extra=remnants)
    save("deleted.hiv", img, "SYNTHETIC", "written by make.py: free cells "
         "holding a deleted nk, vk and its data; cells: nk=2 vk=1 "
         "(allocated); deleted remnants in free cells (nk=1, vk=1)")

    # hostile
    def base_tree():
        return Key("ROOT", children=[
            Key("A", [("big", 3, bytes(range(256)) * 20)],
                children=[Key("A1", children=[Key("A1a")])]),
            Key("B", [("v", 1, sz("b"))])])

    img, w = build(base_tree(), "hostile")
    assert len(img) > 4096 + 8192, "need two bins"
    second = 4096 + struct.unpack_from("<I", img, 4096 + 8)[0]
    struct.pack_into("<I", img, second + 8, 0x10000)
    save("hostile-bin-past-end.hiv", img, "SYNTHETIC", "DELIBERATE: the "
         "second hbin's size 0x10000 runs past the end of the hive bins")

    img, w = build(base_tree(), "hostile")
    # the last cell of the first bin (free space) made to cross into the
    # second bin
    off, last = 32, None
    while off < 4096:
        last = off
        off += abs(struct.unpack_from("<i", img, 4096 + off)[0])
    struct.pack_into("<i", img, 4096 + last, 4096 - last + 64)
    save("hostile-cell-crosses-bin.hiv", img, "SYNTHETIC", "DELIBERATE: the "
         "free cell at 0x%x of the first bin is 0x%x bytes, past the bin's "
         "end" % (last, 4096 - last + 64))

    img, w = build(base_tree(), "hostile")
    # A1a's subkey list holds A: a cycle A -> A1 -> A1a -> A
    root = struct.unpack_from("<I", img, 0x24)[0]
    c = lambda off: 4096 + off + 4

    def child(k, i):
        lst = struct.unpack_from("<I", img, c(k) + 0x1C)[0]
        return struct.unpack_from("<I", img, c(lst) + 4 + 8 * i)[0]
    a = child(root, 0)
    a1a = child(child(a, 0), 0)
    w.buf = img[4096:]
    lst = w.alloc(b"lh" + struct.pack("<HII", 1, a, lh_hash("A")))
    img = w.image(root, "hostile")
    struct.pack_into("<II", img, c(a1a) + 0x14, 1, 0)
    struct.pack_into("<I", img, c(a1a) + 0x1C, lst)
    save("hostile-subkey-cycle.hiv", img, "SYNTHETIC", "DELIBERATE: key "
         "A1a (0x%x) lists its grandparent A (0x%x) as its subkey: a cycle"
         % (a1a, a))


# ---- MANIFEST ----------------------------------------------------------

def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_all(out):
    notes = {}
    tmp = tempfile.mkdtemp(prefix="reghive-fixtures-")
    try:
        rh = Reghive(tmp)
        build_cli(rh, out, tmp, notes)
        build_bytes(out, notes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    head = ["path", "sha256", "size", "source_repo", "source_path",
            "source_commit", "license_of_repo", "kind", "notes"]
    rows = ["\t".join(head)]
    for rel in sorted(notes):
        kind, note = notes[rel]
        p = os.path.join(out, rel)
        rows.append("\t".join([rel, sha(p), str(os.path.getsize(p)),
                               "reghive", "tests/data/make.py", "-",
                               "same as reghive", kind, note]))
    with open(os.path.join(out, "MANIFEST.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    return sorted(notes)


def main():
    if sys.argv[1:] == ["--verify"]:
        out = tempfile.mkdtemp(prefix="reghive-fixtures-verify-")
        try:
            make_all(out)
            bad = 0
            for dp, _, fs in os.walk(out):
                for f in fs:
                    p = os.path.join(dp, f)
                    rel = os.path.relpath(p, out)
                    q = os.path.join(HERE, rel)
                    if not os.path.exists(q) or sha(p) != sha(q):
                        print("differs: %s" % rel)
                        bad += 1
            print("%s" % ("identical" if not bad else "%d differ" % bad))
            return 1 if bad else 0
        finally:
            shutil.rmtree(out, ignore_errors=True)
    made = make_all(HERE)
    print("%d files; MANIFEST.tsv written" % len(made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
