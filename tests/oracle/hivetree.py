"""Read a hive's full tree with python3-hivex and with pyregf (libregf).

A tree is {path tuple: {value name: (type, bytes)}}; every key appears,
the root as ().  Names keep their case; subkey order is checked separately.
"""
import hivex
import pyregf


def tree_hivex(path):
    h = hivex.Hivex(path)
    out, order = {}, {}

    def walk(node, p):
        vals = {}
        for v in h.node_values(node):
            t, data = h.value_value(v)
            vals[h.value_key(v)] = (t, data)
        out[p] = vals
        kids = h.node_children(node)
        order[p] = [h.node_name(c) for c in kids]
        for c in kids:
            walk(c, p + (h.node_name(c),))

    walk(h.root(), ())
    return out, order


def tree_pyregf(path):
    """pyregf tree; data of 1-3 byte values is None (libregf 20201007
    returns zeros for short inline data: a known oracle defect)."""
    f = pyregf.file()
    f.open(path)
    out = {}

    def walk(key, p):
        vals = {}
        for i in range(key.get_number_of_values()):
            v = key.get_value(i)
            data = v.get_data() or b''
            size = v.get_data_size()
            vals[v.get_name() or ''] = (v.get_type(), None if 0 < size < 4 else data)
        out[p] = vals
        for i in range(key.get_number_of_sub_keys()):
            k = key.get_sub_key(i)
            walk(k, p + (k.get_name(),))

    walk(f.get_root_key(), ())
    f.close()
    return out


def mask_short(tree):
    """The same tree with 1-3 byte data replaced by None, for pyregf."""
    return {p: {n: (t, None if 0 < len(d) < 4 else d) for n, (t, d) in v.items()}
            for p, v in tree.items()}


def ascii_order_ok(names):
    """Windows sorts subkeys by uppercase UTF-16; check the ASCII-named
    subsequence (where Python's upper() agrees with Windows)."""
    a = [n.upper() for n in names if n.isascii()]
    return all(x.encode('utf-16-be') < y.encode('utf-16-be') for x, y in zip(a, a[1:]))


# ---- ordered trees (tests/oracle/test_model.py) ---------------------------

class Node:
    """One key as a reader saw it: name, values in stored order as
    (name, type, bytes), subkeys in list order; cls, sd, flags and off
    (nk cell offset from the first hbin) are None where the reader cannot
    tell."""
    __slots__ = ("name", "vals", "kids", "cls", "sd", "flags", "off")

    def __init__(self, name, vals, kids, cls=None, sd=None, flags=None,
                 off=None):
        self.name, self.vals, self.kids = name, vals, kids
        self.cls, self.sd, self.flags, self.off = cls, sd, flags, off


def ordered_hivex(path):
    """Node tree from python3-hivex (iterative: keys may nest 512 deep)."""
    h = hivex.Hivex(path)

    def node(n):
        vals = []
        for v in h.node_values(n):
            try:
                t, data = h.value_value(v)
            except RuntimeError:
                # hivex 1.3.23 refuses (EFAULT) an empty value whose data
                # offset is not a cell; length 0 means no data.
                t, ln = h.value_type(v)
                if ln != 0:
                    raise
                data = b""
            vals.append((h.value_key(v), t, bytes(data)))
        return Node(h.node_name(n), vals, [], off=n - 4096)

    root = node(h.root())
    stack = [(h.root(), root)]
    while stack:
        n, nd = stack.pop()
        for c in h.node_children(n):
            cn = node(c)
            nd.kids.append(cn)
            stack.append((c, cn))
    return root


def ordered_pyregf(path):
    """Node tree from pyregf (libregf) with class names and offsets.  Value
    data is what libregf returns, defects included (see
    pyregf_value_ok)."""
    f = pyregf.file()
    f.open(path)

    def node(k):
        vals = []
        for i in range(k.get_number_of_values()):
            v = k.get_value(i)
            d = v.get_data()
            vals.append((v.get_name() or "", v.get_type(),
                         bytes(d) if d is not None else b""))
        return Node(k.get_name(), vals, [], cls=k.get_class_name(),
                    off=k.get_offset() - 4096 - 4)

    try:
        r = f.get_root_key()
        root = node(r)
        stack = [(r, root)]
        while stack:
            k, nd = stack.pop()
            for i in range(k.get_number_of_sub_keys()):
                c = k.get_sub_key(i)
                cn = node(c)
                nd.kids.append(cn)
                stack.append((c, cn))
    finally:
        f.close()
    return root


def pyregf_value_ok(want, got, minor=5):
    """Does libregf 20201007's (type, data) got match the stored (type,
    data) want, given its known defects (tests/oracle/README.md and below)?
      - 1-3 byte inline data is taken from the wrong end of the field;
      - REG_SZ and REG_EXPAND_SZ data may come cut after the first NUL
        unit (not always: seen on one-cell data from 100 bytes up in
        1.3 hives, from 12 in 1.5; never on big data), or with cell slack
        after it when it has no NUL unit;
      - in a format 1.4 hive, data over 16344 bytes (a big data record,
        which the regf spec uses from minor version 4 on) comes back as
        the raw db cell: "db", segment count, list offset; libregf reads
        big data only from 1.5 on (checked with rh_create(4) hives)."""
    (t, d), (t2, d2) = want, got
    if t != t2:
        return False
    if d2 == d:
        return True
    if 0 < len(d) < 4:
        return len(d2) == len(d) or t in (1, 2)
    if minor == 4 and len(d) > 16344:
        return (d2[:2] == b"db" and len(d2) >= 8 and
                int.from_bytes(d2[2:4], "little") == -(-len(d) // 16344))
    if t in (1, 2):
        cut = next((i + 2 for i in range(0, len(d) - 1, 2)
                    if d[i:i + 2] == b"\0\0"), None)
        if cut is not None:
            return d2 == d[:cut]
        return d2[:len(d)] == d
    return False
