#!/usr/bin/env python3
"""Every primary hive of tests/data and of the corpus: reghive's tree
equals python3-hivex's tree.

For each MANIFEST row whose kind is not LOG* (tests/data always, the
corpus when present; fixtures are named data/PATH): dump every key path (pre-order,
subkeys in list order) with its values in stored order (name, type, data
bytes, and each key's last-written time) through hivex and through `reghive export HIVE --json`, and require
them equal.  Hives where hivex and reghive must disagree (hivex refuses,
reghive refuses) and every DELIBERATE row of MANIFEST have an explicit entry
in EXPECT below, with the reason and, where reghive reads what hivex cannot,
an independent check of reghive's reading from the raw bytes.
"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle_lib as L  # noqa: E402

OFFSET = re.compile(r"file offset 0x[0-9a-f]+")


def shares_a_key(data, rh, hx):
    """hivex walked one nk cell twice (two lists hold it): reghive is right
    to refuse a key with two parents."""
    offs = hx["offsets"]
    dup = sorted({o for o in offs if offs.count(o) > 1})
    assert dup, "hivex did not visit any key twice"
    m = re.search(r"cell 0x([0-9a-f]+)", rh["stderr"])
    assert m and int(m.group(1), 16) in dup, (
        "reghive's error does not name the shared key %s: %s" %
        ([hex(d) for d in dup], rh["stderr"].strip()))


def garbage_hive(data, rh, hx):
    """hivex refuses the base block checksum; the hive itself (one bin of
    4096 bytes, MANIFEST census nk=1 vk=0) is intact."""
    csum = 0
    for i in range(0, 508, 4):
        csum ^= struct.unpack_from("<I", data, i)[0]
    assert csum != struct.unpack_from("<I", data, 508)[0]
    assert struct.unpack_from("<I", data, 0x28)[0] == 4096
    assert len(rh["tree"]) == 1 and rh["tree"][0][1] == [], rh["tree"]
    assert "checksum" in rh["stderr"], "no checksum warning from reghive"


def truncated_pair(data, rh, hx):
    """hivex's iconv rejects the unpaired surrogate in the third root
    subkey name; reghive carries it as a lone surrogate (WTF-8 inside,
    \\udXXX in JSON).  Check every name against the raw nk bytes."""
    root = struct.unpack_from("<I", data, 0x24)[0]
    c = L.cell(data, root)
    nsub, lst = struct.unpack_from("<II", c, 0x14)[0], \
        struct.unpack_from("<I", c, 0x1C)[0]
    lc = L.cell(data, lst)
    names = []
    for i in range(struct.unpack_from("<H", lc, 2)[0]):
        off = struct.unpack_from("<I", lc, 4 + 8 * i)[0]
        raw, comp = L.read_nk(data, off)
        names.append(raw.decode("latin-1") if comp else
                     raw.decode("utf-16-le", "surrogatepass"))
    assert len(names) == nsub == 3, names
    got = [p for p, _ in rh["tree"]]
    assert got == ["\\"] + ["\\" + n for n in names], (got, names)
    assert names[:2] == ["ss1", "SS3"], names
    assert len(names[2]) == 1 and 0xD800 <= ord(names[2]) < 0xDC00, \
        "third name is not a lone high surrogate: %r" % names[2]


def raw_reading(data, rh, hx):
    """Neither hivex nor libregf reads the hive: reghive's tree must equal
    the one read from the raw cells (oracle_lib.raw_tree)."""
    d = L.diff_trees(rh["tree"], L.raw_tree(data), lb="raw cells")
    assert not d, d


# path -> expectations.  hivex: does hivex read the whole tree;
# export: does `reghive export --json` succeed (fail = non-zero exit and a
# message naming a file offset); check: `reghive check` must fail ("fail"),
# must pass ("ok"), is not asserted (None, see why), or "gap": it should
# fail but rh_check does not yet verify that rule (printed, not failed).
# verify: independent evidence for reghive's side where the oracles differ.
EXPECT = {
    "plaso/regf/corrupt_sub_key_list.hiv": dict(
        hivex="fail", export="fail", check="fail",
        why="a subkey list entry is not an allocated cell (plaso skips it "
            "with a warning; hivex and reghive stop)"),
    "regipy/corrupted_system_hive": dict(
        hivex="fail", export="fail", check="fail",
        why="hbin at 0x1a000 is zeroed; strict open refuses it"),
    "yarp/BadBaseBlockHive/BadBaseBlockHive": dict(
        hivex="fail", export="fail", check="fail",
        why="base block says version 1.1; only the LOG1 can repair it"),
    "yarp/BadListHive": dict(
        hivex="ok", export="fail", check="fail", verify=shares_a_key,
        why="two subkey lists hold the same key; hivex walks it twice, "
            "reghive (like yarp's WalkException) refuses"),
    "yarp/BadSubkeyHive": dict(
        hivex="ok", export="fail", check="fail", verify=shares_a_key,
        why="as BadListHive: a subkey reachable from two parents"),
    "yarp/BadLogHive1/BadLogHive": dict(
        hivex="ok", export="ok", check=None,
        why="the corruption is in the LOG1, which reading does not apply; "
            "the dirty primary itself is sound"),
    "yarp/BadLogHive2/BadLogHive": dict(
        hivex="ok", export="ok", check=None,
        why="as BadLogHive1 (corrupt log, sound primary)"),
    "yarp/BadLogHive3/BadLogHive": dict(
        hivex="ok", export="ok", check=None,
        why="corrupt new-format logs; the primary is NewDirtyHive1's"),
    "yarp/DuplicateSubkeysHive": dict(
        hivex="ok", export="ok", check="gap",
        why="a list holds two keys of one name; readable, but check "
            "should report it (yarp: WalkException)"),
    "yarp/GarbageHive": dict(
        hivex="fail", export="ok", check=None, verify=garbage_hive,
        why="hivex refuses the bad base block checksum; reghive warns and "
            "reads the intact single-bin hive (garbage after it ignored)"),
    "yarp/InvalidParentHive": dict(
        hivex="ok", export="ok", check="gap",
        why="a key's parent field is wrong; the tree walk does not use "
            "it, but check should report it (yarp: WalkException)"),
    "yarp/TruncatedDirtyHive": dict(
        hivex="fail", export="fail", check="fail",
        why="file 12288 bytes, base block claims 487424 of bins"),
    "yarp/TruncatedHive": dict(
        hivex="fail", export="fail", check="fail",
        why="file 12288 bytes, base block claims 487424 of bins"),
    "yarp/TruncatedNameHive": dict(
        hivex="fail", export="fail", check="fail",
        why="a key name runs past its cell"),
    "yarp/TruncatedPairHive": dict(
        hivex="fail", export="ok", check=None, verify=truncated_pair,
        why="unpaired surrogate in a key name: hivex cannot convert it; "
            "the structure is sound and reghive keeps the name as WTF-8"),
    "data/hostile-bin-past-end.hiv": dict(
        hivex="fail", export="fail", check="fail",
        why="the second bin's size runs past the end of the bins"),
    "data/hostile-cell-crosses-bin.hiv": dict(
        hivex="fail", export="fail", check="fail",
        why="a cell's size runs past the end of its bin"),
    "data/hostile-subkey-cycle.hiv": dict(
        hivex="fail", export="fail", check="fail",
        why="a key lists its grandparent as subkey: hivex walks the cycle "
            "forever (stopped at 512 levels), reghive refuses"),
    "data/names-surrogates.hiv": dict(
        hivex="fail", export="ok", check="ok", verify=raw_reading,
        why="unpaired surrogates in names: hivex's iconv refuses them, "
            "reghive keeps them as WTF-8 (checked from the raw cells)"),
    "yarp/WrongOrderHive": dict(
        hivex="ok", export="ok", check="gap",
        why="subkey lists not sorted; readable in stored order, but check "
            "should report it (yarp: WalkException)"),
}


def main():
    L.need_module("hivex")
    rows = L.hives()
    bad, gaps, nkeys, nvals, quirks = [], [], 0, 0, 0
    seen = set()
    for r in rows:
        rel, path = r["id"], r["file"]
        exp = EXPECT.get(rel)
        seen.add(rel)
        if "DELIBERATE" in r["notes"] and exp is None:
            bad.append(rel)
            print("FAIL %s: DELIBERATE in MANIFEST but no EXPECT entry" % rel)
            continue
        hx = L.cached("hivex", path, lambda: L.hivex_tree(path))
        rh = L.reghive_tree(path)
        quirks += len(hx.get("quirks", []))
        problems = []
        hx_state = "ok" if hx["ok"] else "fail"
        rh_state = "ok" if rh["rc"] == 0 else "fail"
        want_hx = exp["hivex"] if exp else "ok"
        want_rh = exp["export"] if exp else "ok"
        if hx_state != want_hx:
            problems.append("hivex %s, expected %s (%s)" %
                            (hx_state, want_hx, hx["error"]))
        if rh_state != want_rh:
            problems.append("reghive export %s, expected %s: %s" %
                            (rh_state, want_rh, rh["stderr"].strip()[-300:]))
        if rh_state == "fail" and not OFFSET.search(rh["stderr"]):
            problems.append("reghive's error names no file offset: %s" %
                            rh["stderr"].strip())
        if hx_state == "ok" and rh_state == "ok":
            problems += L.diff_trees(rh["tree"], hx["tree"], lb="hivex")
            if not problems:
                problems += L.diff_meta(rh, hx, "hivex", classes=False)
        if exp and exp.get("verify") and not problems:
            try:
                with open(path, "rb") as f:
                    exp["verify"](f.read(), rh, hx)
            except AssertionError as e:
                problems.append("independent check: %s" % e)
        if exp and exp["check"] is not None:
            p = L.run(["check", path])
            out = (p.stdout + p.stderr).decode("utf-8", "replace")
            failed = p.returncode != 0
            if exp["check"] == "fail" and not (failed and OFFSET.search(out)):
                problems.append("check should fail naming an offset: %s" %
                                out.strip())
            elif exp["check"] == "ok" and failed:
                problems.append("check should pass: %s" % out.strip())
            elif exp["check"] == "gap":
                gaps.append("%s: %s" % (rel, "now detected (update EXPECT)"
                                        if failed else "not yet detected"))
        if rh_state == "ok":
            nkeys += len(rh["tree"])
            nvals += sum(len(v) for _, v in rh["tree"])
        if problems:
            bad.append(rel)
            print("FAIL %s" % rel)
            for p in problems:
                print("     %s" % p)
        elif exp:
            print("ok   %-45s hivex %s, export %s, check %s: %s" %
                  (rel, hx_state, rh_state, exp["check"], exp["why"]))
        else:
            print("ok   %-45s %6d keys %7d values equal" %
                  (rel, len(rh["tree"]), sum(len(v) for _, v in rh["tree"])))
    corpus = L.corpus_dir() is not None
    for rel in sorted(e for e in set(EXPECT) - seen
                      if corpus or e.startswith("data/")):
        bad.append(rel)
        print("FAIL %s: in EXPECT but not a primary hive in MANIFEST" % rel)
    for g in gaps:
        print("GAP  check: %s" % g)
    print("\nhivex: %d hives, %d failed; %d keys and %d values compared; "
          "%d zero-length values hivex refused (taken as empty); "
          "%d check gaps" % (len(rows), len(bad), nkeys, nvals, quirks,
                             len(gaps)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
