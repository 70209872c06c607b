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
# The clean Windows-recovered hive: nothing to recover.
p = run("recover", os.path.join(d, "RecoveredHive_Windows7"))
check(p.returncode == 1 and "nothing recovered" in p.stderr,
      "clean hive: recover fails")

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
