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
