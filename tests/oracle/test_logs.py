#!/usr/bin/python3
"""Transaction log recovery against the corpus (ORACLES.md "Log recovery
scenarios"), plus damaged copies of corpus logs that must never crash and
never be applied.  Every hive is copied to a temp dir first."""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

R = os.environ.get("REGHIVE", "build/reghive")
# The test build's CLI, for the RH_TEST_* hooks (only there).
RT = os.environ.get("REGHIVE_TEST") or os.path.join(
    os.path.dirname(R), "reghive-test")
C = os.environ.get("CORPUS", "../shared/corpus")
if not os.path.isdir(os.path.join(C, "yarp", "NewDirtyHive1")):
    print("corpus absent (%s): skipping" % C)
    sys.exit(77)

fails = 0
T = tempfile.mkdtemp(prefix="rh-logs-")


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("FAIL:", what)


def run(*args):
    p = subprocess.run([R] + list(args), capture_output=True, text=True)
    if p.returncode < 0 or p.returncode > 2 or "AddressSanitizer" in p.stderr:
        print("CRASH", args, p.returncode, p.stderr[-2000:])
        check(False, "no crash: %s" % (args,))
    return p


def stage(name, files):
    """Copy corpus files into a fresh dir; returns the dir."""
    d = os.path.join(T, name)
    os.makedirs(d)
    for f in files:
        shutil.copy(os.path.join(C, f), d)
    return d


def info(path, *opt):
    p = run("info", path, *opt)
    return p.returncode, p.stdout, p.stderr


def keys(path, *opt):
    p = run("export", "--json", path, *opt)
    out = set()
    for line in p.stdout.splitlines():
        out.add(json.loads(line)["path"] if line.startswith("{") else line)
    return p.returncode, out


def md5_from(path, off):
    with open(path, "rb") as f:
        f.seek(off)
        return hashlib.md5(f.read()).hexdigest()


# --- NewDirtyHive1: LOG1 + LOG2, byte-identical to Windows' recovery ----
y = "yarp/NewDirtyHive1/"
d = stage("ndh1", [y + "NewDirtyHive", y + "NewDirtyHive.LOG1",
                   y + "NewDirtyHive.LOG2", y + "RecoveredHive_Windows10"])
h = os.path.join(d, "NewDirtyHive")
before = md5_from(h, 0)
p = run("recover", h, "-o", os.path.join(d, "out"))
check(p.returncode == 0, "NewDirtyHive1 recover: %s" % p.stderr)
check("4 log entries" in p.stdout and "2 -> 5" in p.stdout,
      "NewDirtyHive1 4 entries, final seq 5: %s" % p.stdout)
check(md5_from(os.path.join(d, "out"), 4096) ==
      md5_from(os.path.join(d, "RecoveredHive_Windows10"), 4096),
      "NewDirtyHive1 bytes from 4096 equal RecoveredHive_Windows10")
check(md5_from(h, 0) == before, "primary untouched")
rc, ks = keys(h)
check(rc == 0 and any(k.endswith("Key3\\Key3_3") for k in ks) and
      not any(k.endswith("Key1") for k in ks), "NewDirtyHive1 tree: %s" % ks)
rc, ks = keys(h, "--no-logs")
check(any(k.endswith("Key2\\Key2_2") for k in ks), "--no-logs: old tree")
# Logs named explicitly, in either order.
for order in (("LOG1", "LOG2"), ("LOG2", "LOG1")):
    e = os.path.join(d, "x")
    os.makedirs(e, exist_ok=True)
    shutil.copy(h, e)
    hh = os.path.join(e, "NewDirtyHive")
    args = []
    for o in order:
        args += ["--log", os.path.join(d, "NewDirtyHive." + o)]
    p = run("recover", hh, "-o", os.path.join(e, "o"), *args)
    check(p.returncode == 0 and md5_from(os.path.join(e, "o"), 4096) ==
          md5_from(os.path.join(d, "RecoveredHive_Windows10"), 4096),
          "explicit --log order %s" % (order,))

# --- NewDirtyHive2: only LOG2, final seq 5 ---------------------------------
y = "yarp/NewDirtyHive2/"
d = stage("ndh2", [y + "NewDirtyHive", y + "NewDirtyHive.LOG1",
                   y + "NewDirtyHive.LOG2"])
rc, out, err = info(os.path.join(d, "NewDirtyHive"))
check(rc == 0 and "recovered from NewDirtyHive.LOG2:" in out and
      "3 -> 5" in out and "sequence numbers     5 / 5" in out,
      "NewDirtyHive2 LOG2 only, seq 5: %s" % out)

# --- OldDirtyHive: old format ----------------------------------------------
y = "yarp/OldDirtyHive/"
d = stage("odh", [y + "OldDirtyHive", y + "OldDirtyHive.LOG1",
                  y + "RecoveredHive_Windows7"])
h = os.path.join(d, "OldDirtyHive")
rc, ks = keys(h)
rc2, ks2 = keys(os.path.join(d, "RecoveredHive_Windows7"))
check(rc == 0 and ks == ks2, "OldDirtyHive tree equals RecoveredHive_Windows7")
check(any(k.endswith("key_with_many_subkeys\\5000\\find_me_in_log")
          for k in ks), "find_me_in_log exists")
check(not any(k.endswith("key_with_many_subkeys\\1") for k in ks), "\\1 gone")
p = run("get", h, "key_with_many_subkeys\\4500", "V")
check(p.returncode == 0 and p.stdout.split() == ["a", "bb", "ccc"],
      "4500\\V multi-sz: %r" % p.stdout)
rc, ks = keys(h, "--no-logs")
check(any(k.endswith("key_with_many_subkeys\\1") for k in ks),
      "--no-logs keeps \\1")
# The clean Windows-recovered hive: nothing to recover, which is not an
# error (exit 0, said on stdout, nothing written).
p = run("recover", os.path.join(d, "RecoveredHive_Windows7"))
check(p.returncode == 0 and "clean: nothing to recover" in p.stdout and
      not os.path.exists(os.path.join(d, "RecoveredHive_Windows7.recovered")),
      "clean hive: recover says clean, exit 0")

# --- BadBaseBlockHive: base block restored from the old log ----------------
y = "yarp/BadBaseBlockHive/"
d = stage("bbb", [y + "BadBaseBlockHive", y + "BadBaseBlockHive.LOG1"])
h = os.path.join(d, "BadBaseBlockHive")
rc, out, err = info(h)
check(rc == 0 and "regf 1.3" in out and "base block rebuilt" in out,
      "BadBaseBlockHive version 3: %s %s" % (out, err))
rc, ks = keys(h)
check(any(k.endswith("key_with_many_subkeys") for k in ks),
      "BadBaseBlockHive key_with_many_subkeys")

# --- BadLogHive1/2/3: recovery fails, the primary is read as it is ------
for n, files in (("BadLogHive1", ["BadLogHive", "BadLogHive.LOG1"]),
                 ("BadLogHive2", ["BadLogHive", "BadLogHive.LOG1"]),
                 ("BadLogHive3", ["BadLogHive", "BadLogHive.LOG1",
                                  "BadLogHive.LOG2"])):
    d = stage(n, ["yarp/%s/%s" % (n, f) for f in files])
    h = os.path.join(d, "BadLogHive")
    rc, out, err = info(h)
    check(rc == 0 and "not applied" in err and "DIRTY" in out,
          "%s: opens unrecovered with a warning" % n)
    p = run("recover", h)
    check(p.returncode == 1, "%s: recover fails" % n)

# --- dfwinreg/NTUSER.DAT: stale .LOG (seq 131 < 132) not replayed ------
d = stage("dfw", ["dfwinreg/NTUSER.DAT", "dfwinreg/NTUSER.DAT.LOG"])
rc, out, err = info(os.path.join(d, "NTUSER.DAT"))
check(rc == 0 and "clean hive" in out and "stale" in out and
      "warning" not in err, "dfwinreg stale log: %s" % out)

# --- regipy / artifactmuseum dirty hives: recover, export, check -------
REAL = [
    ("regipy", "transactions_NTUSER.DAT",
     ["transactions_ntuser.dat.log1", "transactions_ntuser.dat.log2"],
     "132 pages"),
    ("regipy", "SYSTEM_B", ["SYSTEM_B.LOG1", "SYSTEM_B.LOG2"], "315 pages"),
    ("regipy", "UsrClass.dat", ["UsrClass.dat.LOG1", "UsrClass.dat.LOG2"],
     "158 pages"),
    ("artifactmuseum/Win10/RathbunVM", "NTUSER.DAT",
     ["ntuser.dat.LOG1", "ntuser.dat.LOG2"], None),
    ("artifactmuseum/Win10/RathbunVM", "DEFAULT",
     ["DEFAULT.LOG1", "DEFAULT.LOG2"], None),
    ("artifactmuseum/Amcache/Win10/RathbunVM", "Amcache.hve",
     ["Amcache.hve.LOG1", "Amcache.hve.LOG2"], None),
]
for i, (sub, hv, logs, pages) in enumerate(REAL):
    if not os.path.exists(os.path.join(C, sub, hv)):
        continue
    d = stage("real%d" % i, [sub + "/" + f for f in [hv] + logs])
    h = os.path.join(d, hv)
    rc, out, err = info(h)
    check(rc == 0 and "recovered from" in out, "%s recovered" % hv)
    if pages:
        check(pages in out, "%s: %s" % (hv, pages))
    p = run("export", "--json", h)
    check(p.returncode == 0 and p.stdout, "%s export --json" % hv)
    p = run("check", "--strict", h)
    check(p.returncode == 0, "%s check clean: %s" % (hv, p.stdout[-300:]))
    if i == 0:
        p = run("recover", h, "-o", os.path.join(d, "rec"))
        check(p.returncode == 0, "recover writes")
        rc, out, err = info(os.path.join(d, "rec"))
        check("clean" in out and "588 / 588" in out, "recovered file clean")

# --- logs of another hive (issue 12) ---------------------------------------
# A primary with the LOG1/LOG2 of another hive beside it: every Win10
# NTUSER.DAT of RathbunVM starts as a copy of Default's (same timestamp 0,
# same RmId), so only the file name tells them apart; regipy's SYSTEM_2
# and python-registry's orphan SYSTEM logs share a timestamp but not the
# RmId.  Never applied (the status and a warning per log say why), the
# primary is read as it is, and recover writes nothing.
def problems(path):
    """reghive check's errors (its warnings, leaked cells among them, are
    what Windows loads or repairs)."""
    p = run("--no-logs", "check", path)
    return [ln for ln in p.stdout.splitlines()
            if "file offset" in ln and ": warning: " not in ln]


RB = "artifactmuseum/Win10/RathbunVM/"
MIX = [
    (RB + "NTUSER.DAT", [RB + "NetworkService/NTUSER.DAT.LOG1",
                         RB + "NetworkService/NTUSER.DAT.LOG2"],
     "NTUSER.DAT", "its file name \"files\\NetworkService\\NTUSER.DAT\""),
    (RB + "NetworkService/NTUSER.DAT", [RB + "ntuser.dat.LOG1",
                                        RB + "ntuser.dat.LOG2"],
     "NTUSER.DAT", "its file name \"\\Users\\AndrewRathbun"),
    (RB + "LocalService/NTUSER.DAT", [RB + "NetworkService/NTUSER.DAT.LOG1",
                                      RB + "NetworkService/NTUSER.DAT.LOG2"],
     "NTUSER.DAT", "its file name"),
    ("regipy/SYSTEM_2", ["python-registry/orphan_logs/new_log_2/SYSTEM.LOG1",
                         "python-registry/orphan_logs/new_log_2/SYSTEM.LOG2"],
     "SYSTEM", "its RmId {b4f92067-714a-11e4-80c6-b8ca3aee1197} is not"),
]
for i, (prim, logs, name, why) in enumerate(MIX):
    if not all(os.path.exists(os.path.join(C, f)) for f in [prim] + logs):
        continue
    d = os.path.join(T, "mix%d" % i)
    os.makedirs(d)
    h = os.path.join(d, name)
    shutil.copy(os.path.join(C, prim), h)
    for k, f in enumerate(logs):
        shutil.copy(os.path.join(C, f), "%s.LOG%d" % (h, k + 1))
    what = "%s + %s" % (prim, logs[0])
    rc, out, err = info(h)
    check(rc == 0 and "DIRTY" in out and
          out.count("belongs to another hive: " + why) == 2 and
          "belong to another hive); reading the primary as it is" in out,
          "%s: both logs belong to another hive: %s" % (what, out))
    for k in (1, 2):
        check("warning: log %s.LOG%d belongs to another hive: %s" % (name, k, why)
              in err, "%s: warning for LOG%d: %s" % (what, k, err))
    rc1, ks = keys(h)
    rc2, ks2 = keys(h, "--no-logs")
    check(rc1 == 0 and ks == ks2, "%s: the primary is read as it is" % what)
    for args in ([], ["--log", h + ".LOG1", "--log", h + ".LOG2"]):
        p = run("recover", h, *args)
        check(p.returncode == 1 and "belong to another hive" in p.stderr and
              not os.path.exists(h + ".recovered"),
              "%s %s: recover refuses: %s %s" % (what, args, p.stdout,
                                                 p.stderr))
# The file name forged to the logs' hive, so that nothing in the base
# blocks tells them apart: the pages replayed do not fit this primary, the
# image does not check clean, and it is not used.
d = os.path.join(T, "forged")
os.makedirs(d)
h = os.path.join(d, "NTUSER.DAT")
b = bytearray(open(os.path.join(C, RB + "NTUSER.DAT"), "rb").read())
lg = open(os.path.join(C, RB + "NetworkService/NTUSER.DAT.LOG1"), "rb").read()
b[0x30:0x70] = lg[0x30:0x70]
x = 0
for i in range(0, 508, 4):
    x ^= struct.unpack_from("<I", b, i)[0]
struct.pack_into("<I", b, 508, x if x not in (0, 0xFFFFFFFF) else 1)
open(h, "wb").write(bytes(b))
for k in (1, 2):
    shutil.copy(os.path.join(C, RB + "NetworkService/NTUSER.DAT.LOG%d" % k), d)
rc, out, err = info(h)
check(rc == 0 and "DIRTY" in out and "belongs to another" not in out and
      "does not check clean" in out and "not used" in out,
      "forged name: replayed, not used: %s" % out)
p = run("recover", h)
check(p.returncode == 1 and "does not check clean" in p.stderr and
      not os.path.exists(h + ".recovered"),
      "forged name: recover writes nothing: %s" % p.stderr)
# recover never writes an image that does not check clean: every hive of
# the corpus with logs beside it, recovered, has no error (warnings, such
# as the leaked cells Windows' own recovery leaves: NewDirtyHive1 below).
for prim in sorted(set(os.path.splitext(f)[0] for f in
                       subprocess.run(["find", C, "-iname", "*.log[12]"],
                                      capture_output=True, text=True)
                       .stdout.split())):
    if not os.path.isfile(prim):
        continue
    d = os.path.join(T, "all-" + hashlib.md5(prim.encode()).hexdigest())
    os.makedirs(d)
    h = os.path.join(d, os.path.basename(prim))
    shutil.copy(prim, h)
    for f in os.listdir(os.path.dirname(prim)):
        if f.lower().startswith(os.path.basename(prim).lower() + ".log"):
            shutil.copy(os.path.join(os.path.dirname(prim), f), d)
    p = run("recover", h, "-o", h + ".rec")
    if p.returncode == 0:
        bad = problems(h + ".rec")
        check(not bad, "%s: recovered image checks clean: %s" % (prim, bad[:3]))
    else:
        check(not os.path.exists(h + ".rec"), "%s: nothing written" % prim)
p = run("check", os.path.join(C, "yarp/NewDirtyHive1/RecoveredHive_Windows10"))
check(p.stdout.count(": unreferenced allocated cell") == 8 and
      p.stdout.count(": warning: file offset") == 8 and
      "ok with 8 warnings" in p.stdout,
      "Windows 10's own recovery of NewDirtyHive1 leaks 8 cells: %s" %
      p.stdout[-200:])

# --- hives with an old-style single .LOG stay editable ---------------------
# The first in-place commit adds LOG1 and LOG2 (valid base blocks of the
# hive) and leaves the .LOG as it is; a commit that dies half way is
# recovered from the new logs.
def log_base_ok(path, primary):
    b = open(path, "rb").read(512)
    p = open(primary, "rb").read(512)
    x = 0
    for i in range(0, 508, 4):
        x ^= struct.unpack_from("<I", b, i)[0]
    x = 1 if x == 0 else 0xFFFFFFFE if x == 0xFFFFFFFF else x
    return (len(b) == 512 and b[:4] == b"regf" and b[4:8] == b[8:12] and
            struct.unpack_from("<I", b, 28)[0] == 6 and
            struct.unpack_from("<I", b, 508)[0] == x and b[12:20] == p[12:20])


OLD = [("dfwinreg/history/XP/", "NTUSER.DAT", "NTUSER.DAT.LOG", "NTUSER.DAT.LOG"),
       ("dfwinreg/", "NTUSER.DAT", "NTUSER.DAT.LOG", "NTUSER.DAT.LOG"),
       ("yarp/OldDirtyHive/", "OldDirtyHive", "OldDirtyHive.LOG1", "OldDirtyHive.LOG")]
for i, (sub, hv, lg, as_name) in enumerate(OLD):
    d = os.path.join(T, "old%d" % i)
    os.makedirs(d)
    h = os.path.join(d, hv)
    shutil.copy(os.path.join(C, sub + hv), h)
    shutil.copy(os.path.join(C, sub + lg), os.path.join(d, as_name))
    os.chmod(h, 0o644)
    logmd5 = md5_from(os.path.join(d, as_name), 0)
    rc, before = keys(h)
    # a dirty hive is rewritten by its first edit, a clean one edited in place
    for k in range(2):
        p = run("add", h, "RhOld\\K%d" % k, "-v", "x", "-d", str(k))
        check(p.returncode == 0, "%s: edit %d: %s" % (hv, k, p.stderr))
    ok = all(log_base_ok(h + x, h) for x in (".LOG1", ".LOG2"))
    check(ok, "%s: LOG1 and LOG2 with valid base blocks of the hive" % hv)
    check(md5_from(os.path.join(d, as_name), 0) == logmd5, "%s: .LOG kept" % hv)
    env = dict(os.environ, RH_TEST_COMMIT_CRASH="7")
    p = subprocess.run([RT, "add", h, "RhOld\\Crash", "-v", "x", "-d", "c"],
                       capture_output=True, text=True, env=env)
    rc, out, err = info(h)
    check(p.returncode == 86 and "recovered from " + hv + ".LOG1:" in out,
          "%s: crash recovered from LOG1: %d %s" % (hv, p.returncode, out))
    rc, after = keys(h)
    check(after == before | {"\\RhOld", "\\RhOld\\K0", "\\RhOld\\K1",
                             "\\RhOld\\Crash"},
          "%s: the new tree: %s" % (hv, sorted(after - before)))
    check(run("check", h).returncode == 0, "%s: check clean" % hv)

# --- damaged logs: never crash, never applied ------------------------------
y = "yarp/NewDirtyHive1/"
src = {f: open(os.path.join(C, y + f), "rb").read()
       for f in ("NewDirtyHive", "NewDirtyHive.LOG1", "NewDirtyHive.LOG2")}
good = md5_from(os.path.join(C, y + "RecoveredHive_Windows10"), 4096)


def damaged(name, log1, log2, expect_entries):
    """Recover with damaged logs; expect_entries applied (0: none)."""
    d = os.path.join(T, "dmg-" + name)
    os.makedirs(d)
    open(os.path.join(d, "NewDirtyHive"), "wb").write(src["NewDirtyHive"])
    for nm, data in (("LOG1", log1), ("LOG2", log2)):
        if data is not None:
            open(os.path.join(d, "NewDirtyHive." + nm), "wb").write(data)
    rc, out, err = info(os.path.join(d, "NewDirtyHive"))
    if expect_entries == 0:
        check(rc == 0 and "not applied" in err,
              "%s: nothing applied: %s" % (name, out))
    else:
        check("%d log entries" % expect_entries in out,
              "%s: %d entries applied: %s" % (name, expect_entries, out))
        check(md5_from(os.path.join(d, "NewDirtyHive"), 0) ==
              hashlib.md5(src["NewDirtyHive"]).hexdigest(), "untouched")
    return d


L1, L2 = src["NewDirtyHive.LOG1"], src["NewDirtyHive.LOG2"]


def patch(b, off, data):
    b = bytearray(b)
    b[off:off + len(data)] = data
    return bytes(b)


def fix_base(b):
    b = bytearray(b)
    x = 0
    for i in range(0, 508, 4):
        x ^= struct.unpack_from("<I", b, i)[0]
    struct.pack_into("<I", b, 508, x if x not in (0, 0xFFFFFFFF) else 1)
    return bytes(b)


damaged("truncated-log1", L1[:4096], L2, 0)  # entry 2 cut: chain breaks
damaged("truncated-log2", L1, L2[:8192 + 100], 2)  # entries 2, 3 only
damaged("empty-logs", b"", b"", 0)
damaged("tiny-logs", L1[:100], L2[:511], 0)
damaged("hash1-log1", patch(L1, 512 + 4096, b"\xff"), L2, 0)
damaged("hash2-log2-entry2", L1, patch(L2, 8192 + 8, b"\x01"), 2)
# A page reference outside the hive bins, with hashes recomputed so only
# the bounds check can reject it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def marvin(b, seed=0x82EF4D887A4E55C5):
    M = 0xFFFFFFFF

    def rotl(x, n):
        return ((x << n) | (x >> (32 - n))) & M

    def mix(lo, hi, v):
        lo = (lo + v) & M
        hi ^= lo
        lo = (rotl(lo, 20) + hi) & M
        hi = rotl(hi, 9) ^ lo
        lo = (rotl(lo, 27) + hi) & M
        hi = rotl(hi, 19)
        return lo, hi
    lo, hi, n, p = seed & M, seed >> 32, len(b), 0
    while n >= 4:
        lo, hi = mix(lo, hi, struct.unpack_from("<I", b, p)[0])
        p += 4
        n -= 4
    f = 0x80
    for i in range(n - 1, -1, -1):
        f = (f << 8) | b[p + i]
    lo, hi = mix(lo, hi, f)
    lo, hi = mix(lo, hi, 0)
    return (hi << 32) | lo


def rehash(log, off):
    b = bytearray(log)
    size = struct.unpack_from("<I", b, off + 4)[0]
    struct.pack_into("<Q", b, off + 24, marvin(bytes(b[off + 40:off + size])))
    struct.pack_into("<Q", b, off + 32, marvin(bytes(b[off:off + 32])))
    return bytes(b)


h1 = struct.unpack_from("<Q", L1, 512 + 24)[0]
check(h1 == marvin(L1[512 + 40:512 + 24064]), "python marvin32 matches hash-1")
out_of_hive = rehash(patch(L1, 512 + 40, struct.pack("<I", 0x7000)), 512)
damaged("page-outside", out_of_hive, L2, 0)
huge_bins = rehash(patch(L1, 512 + 16, struct.pack("<I", 0x80000000)), 512)
damaged("bins-too-large", huge_bins, L2, 0)
many_pages = rehash(patch(L1, 512 + 20, struct.pack("<I", 0x40000000)), 512)
damaged("page-count", many_pages, L2, 0)
# Sequence gap: LOG2 entries renumbered 4,5,6 (base block 4): LOG1 applies,
# LOG2 is not consecutive.
gap = fix_base(patch(L2, 4, struct.pack("<II", 4, 4)))
off = 512
for s in (4, 5, 6):
    size = struct.unpack_from("<I", gap, off + 4)[0]
    gap = rehash(patch(gap, off + 12, struct.pack("<I", s)), off)
    off += size
damaged("seq-gap", L1, gap, 1)
# A log from another hive (old format, other timestamps) as LOG1 only.
other = open(os.path.join(C, "yarp/OldDirtyHive/OldDirtyHive.LOG1"),
             "rb").read()
damaged("other-hive", other, None, 0)
# Random flips in the logs: never crash; whatever applies, the hive opens.
import random
rnd = random.Random(5)
for i in range(40):
    a, b = bytearray(L1), bytearray(L2)
    for _ in range(rnd.randint(1, 8)):
        t = a if rnd.random() < 0.5 else b
        t[rnd.randrange(len(t))] = rnd.randrange(256)
    d = os.path.join(T, "flip%d" % i)
    os.makedirs(d)
    open(os.path.join(d, "NewDirtyHive"), "wb").write(src["NewDirtyHive"])
    open(os.path.join(d, "NewDirtyHive.LOG1"), "wb").write(a)
    open(os.path.join(d, "NewDirtyHive.LOG2"), "wb").write(b)
    run("info", os.path.join(d, "NewDirtyHive"))
    run("export", "--json", os.path.join(d, "NewDirtyHive"))

shutil.rmtree(T)
print("%s" % ("ok" if not fails else "%d failures" % fails))
sys.exit(1 if fails else 0)
