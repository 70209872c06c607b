#!/usr/bin/env python3
"""The fixtures of tests/data: they are what MANIFEST.tsv and README.md say
they are, and reghive recovers the dirty ones to their expected trees.

 - MANIFEST.tsv lists every file of tests/data (but the generator, the
   README and the expected trees) with its sha256 and size; all of it stays
   well under 1 MiB;
 - the fixtures hold what they claim, read from the raw bytes (list kinds,
   big data cells, depth, shared security cells, every value type);
 - each DIRTY fixture: `export --json` with its logs equals
   HIVE.expected.json (the tree of the commit that was interrupted, or of
   the hive the old-format log was made from), `--no-logs` does not;
   `info` names the logs applied; `recover -o` writes a clean hive that
   hivex reads as the expected tree; without its logs the hive reads as
   the primary alone, with a warning.
Needs no corpus.
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle_lib as L  # noqa: E402

D = L.DATA
ok = L.Checks()
NOT_LISTED = {"README.md", "make.py", "MANIFEST.tsv"}

# What `reghive info` must say about the logs of each dirty fixture.
RECOVERY = {
    "dirty-new/NTUSER.DAT":
        "recovered from NTUSER.DAT.LOG1: 1 log entries, 1 pages, "
        "sequence 7 -> 8",
    "dirty-new-2logs/NTUSER.DAT":
        "recovered from NTUSER.DAT.LOG1, NTUSER.DAT.LOG2: 3 log entries, "
        "3 pages, sequence 6 -> 8",
    "dirty-old/SYSTEM":
        "recovered from SYSTEM.LOG (old format): 34 pages, sequence 4",
}


def manifest():
    rows = {}
    with open(os.path.join(D, "MANIFEST.tsv"), encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            rows[r["path"]] = r
    return rows


def test_manifest(rows):
    total = 0
    for dp, _, fs in os.walk(D):
        for f in fs:
            rel = os.path.relpath(os.path.join(dp, f), D)
            total += os.path.getsize(os.path.join(D, rel))
            if rel in NOT_LISTED or rel.endswith(".expected.json"):
                continue
            ok(rel in rows, "%s is not in MANIFEST.tsv" % rel)
    for rel, r in rows.items():
        p = os.path.join(D, rel)
        if not os.path.exists(p):
            ok(False, "MANIFEST lists %s, which is missing" % rel)
            continue
        with open(p, "rb") as f:
            b = f.read()
        ok(hashlib.sha256(b).hexdigest() == r["sha256"] and
           len(b) == int(r["size"]), "%s: sha256 or size differs from "
           "MANIFEST (regenerate with tests/data/make.py)" % rel)
    ok(total < 1 << 20, "tests/data holds %d bytes, over 1 MiB" % total)
    ok(len([r for r in rows.values() if not r["kind"].startswith("LOG")])
       >= 20, "fewer than 20 fixture hives")
    print("manifest: %d files, %d bytes in tests/data" % (len(rows), total))


def read(rel):
    with open(os.path.join(D, rel), "rb") as f:
        return f.read()


def child(data, key, name):
    """Cell offset of key's subkey name (raw bytes)."""
    c = L.cell(data, key)
    lst = struct.unpack_from("<I", c, 0x1C)[0]
    for off in subkey_offsets(data, lst):
        raw, comp = L.read_nk(data, off)
        if (raw.decode("latin-1") if comp else
                raw.decode("utf-16-le", "surrogatepass")) == name:
            return off
    raise AssertionError("no subkey %r" % name)


def subkey_offsets(data, lst):
    c = L.cell(data, lst)
    n = struct.unpack_from("<H", c, 2)[0]
    if c[:2] == b"ri":
        return [k for i in range(n)
                for k in subkey_offsets(data, struct.unpack_from("<I", c, 4 + 4 * i)[0])]
    step = 4 if c[:2] == b"li" else 8
    return [struct.unpack_from("<I", c, 4 + step * i)[0] for i in range(n)]


def list_sig(data, key):
    lst = struct.unpack_from("<I", L.cell(data, key), 0x1C)[0]
    return L.cell(data, lst)[:2], lst


def test_contents():
    """The fixtures hold what README.md says, read from the raw cells."""
    d = read("lists.hiv")
    root = struct.unpack_from("<I", d, 0x24)[0]
    for name, sig in (("UsesLf", b"lf"), ("UsesLh", b"lh"), ("UsesLi", b"li"),
                      ("UsesRi", b"ri")):
        got, lst = list_sig(d, child(d, root, name))
        ok(got == sig, "lists.hiv %s: list %r, want %r" % (name, got, sig))
    _, ri = list_sig(d, child(d, root, "UsesRi"))
    c = L.cell(d, ri)
    leaves = [L.cell(d, struct.unpack_from("<I", c, 4 + 4 * i)[0])[:2]
              for i in range(struct.unpack_from("<H", c, 2)[0])]
    ok(leaves == [b"li", b"lh", b"lf"], "lists.hiv ri leaves %r" % leaves)

    for rel, minor, db in (("types-1.5.hiv", 5, True),
                           ("types-1.3.hiv", 3, False)):
        d = read(rel)
        ok(struct.unpack_from("<I", d, 0x18)[0] == minor,
           "%s: minor version" % rel)
        t = L.raw_tree(d)
        vals = {v[0]: v for v in t[1][1]}
        types = {v[1] for v in vals.values()}
        ok(set(range(12)) | {0x1234, 0xFFFF0012} <= types,
           "%s: types %s" % (rel, sorted(types)))
        ok(all(len(vals["inline%d" % n][2]) == n for n in range(1, 5)),
           "%s: inline values" % rel)
        key = child(d, struct.unpack_from("<I", d, 0x24)[0], "Types")
        kc = L.cell(d, key)
        vl = L.cell(d, struct.unpack_from("<I", kc, 0x28)[0])
        for i in range(struct.unpack_from("<I", kc, 0x24)[0]):
            off = struct.unpack_from("<I", vl, 4 * i)[0]
            name, _, _, rawlen, field = L.read_vk(d, off)
            if name == b"big_33000":
                dc = L.cell(d, struct.unpack("<I", field)[0])
                ok((dc[:2] == b"db") == db and rawlen == 33000,
                   "%s: big_33000 stored %s" % (rel, dc[:2]))

    t = L.raw_tree(read("deep.hiv"))
    ok(max(p.count("\\") for p, _ in t) == 100, "deep.hiv is not 100 deep")

    d = read("security.hiv")
    # every nk's security cell and every sk's reference count, from a
    # linear walk of the bins
    sks, refs = set(), []
    off, end = 0, struct.unpack_from("<I", d, 0x28)[0]
    while off < end:
        size = struct.unpack_from("<I", d, 4096 + off + 8)[0]
        pos = 32
        while pos < size:
            sz = struct.unpack_from("<i", d, 4096 + off + pos)[0]
            if sz < 0 and d[4096 + off + pos + 4:4096 + off + pos + 6] == b"nk":
                sks.add(struct.unpack_from("<I", d, 4096 + off + pos + 4 + 0x2C)[0])
            if sz < 0 and d[4096 + off + pos + 4:4096 + off + pos + 6] == b"sk":
                refs.append(struct.unpack_from("<I", d, 4096 + off + pos + 4 + 0x0C)[0])
            pos += abs(sz)
        off += size
    ok(len(sks) == 3 and sorted(refs) == [2, 3, 4],
       "security.hiv: %d sk cells used, refcounts %s" % (len(sks), refs))
    p = L.run(["query", os.path.join(D, "names.hiv"),
               "Names\\" + "K" * 255])
    ok(p.returncode == 0, "names.hiv: the 255-character key: %s" % p.stderr)
    print("contents: lists, types, depth, security, names as described")


def tree_of(json_bytes):
    out = []
    for line in json_bytes.decode("utf-8", "surrogatepass").splitlines():
        o = json.loads(line)
        out.append((o["path"], [(v["name"], v["type_id"],
                                 bytes.fromhex(v["raw"])) for v in o["values"]]))
    return out


def rh_logs(*args):
    """reghive with its logs (oracle_lib.run always adds --no-logs)."""
    return subprocess.run([L.reghive()] + list(args), capture_output=True)


def test_recovery(rows, tmp):
    dirty = [r for r in rows.values() if "DIRTY" in r["notes"]]
    ok(sorted(r["path"] for r in dirty) == sorted(RECOVERY),
       "DIRTY fixtures %s, expected %s" %
       (sorted(r["path"] for r in dirty), sorted(RECOVERY)))
    for rel in sorted(RECOVERY):
        hive = os.path.join(D, rel)
        want = read(rel + ".expected.json")
        p = rh_logs("export", hive, "--json")
        err = p.stderr.decode("utf-8", "replace")
        ok(p.returncode == 0 and p.stdout == want,
           "%s: export with logs differs from %s.expected.json: %s" %
           (rel, os.path.basename(rel), err[-300:]))
        ok(RECOVERY[rel] in err, "%s: stderr lacks %r: %s" %
           (rel, RECOVERY[rel], err))
        p = L.run(["export", hive, "--json"])
        ok(p.returncode == 0 and p.stdout != want,
           "%s: --no-logs gives the recovered tree" % rel)
        p = rh_logs("info", hive)
        ok(RECOVERY[rel] in p.stdout.decode(), "%s: info lacks %r" %
           (rel, RECOVERY[rel]))
        out = os.path.join(tmp, "recovered")
        if os.path.exists(out):
            os.unlink(out)
        p = rh_logs("recover", hive, "-o", out)
        ok(p.returncode == 0, "%s: recover: %s" % (rel, p.stderr))
        if p.returncode == 0:
            c = L.run(["check", out])
            ok(c.returncode == 0, "%s: recovered hive not clean: %s" %
               (rel, c.stdout + c.stderr))
            hx = L.hivex_tree(out)
            ok(hx["ok"] and not L.diff_trees(tree_of(want), hx["tree"],
                                              la="expected", lb="hivex"),
               "%s: hivex reads the recovered hive as %s" %
               (rel, L.diff_trees(tree_of(want), hx["tree"])[:3]))
            with open(out, "rb") as f:
                b = f.read(12)
            s1, s2 = struct.unpack_from("<II", b, 4)
            ok(s1 == s2, "%s: recovered hive is dirty (%d/%d)" % (rel, s1, s2))
        # the primary alone (logs not copied): read as it is, with a warning
        lone = os.path.join(tmp, "lone")
        shutil.rmtree(lone, ignore_errors=True)
        os.makedirs(lone)
        shutil.copy(hive, lone)
        p = rh_logs("export", os.path.join(lone, os.path.basename(hive)),
                    "--json")
        q = L.run(["export", hive, "--json"])
        ok(p.returncode == 0 and p.stdout == q.stdout and
           b"no transaction log found" in p.stderr,
           "%s without its logs: exit %d: %s" % (rel, p.returncode,
                                                  p.stderr[-200:]))
    print("recovery: %d dirty fixtures give their expected trees" %
          len(RECOVERY))


def main():
    L.need_module("hivex")
    rows = manifest()
    test_manifest(rows)
    test_contents()
    tmp = tempfile.mkdtemp(prefix="reghive-data-")
    try:
        test_recovery(rows, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ok.done("test_data")


if __name__ == "__main__":
    sys.exit(main())
