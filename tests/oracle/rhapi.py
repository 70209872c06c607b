"""ctypes binding of build/libreghive.so for the oracle tests (not a test
itself: no test_ prefix).  Only what the model-based tester needs: every
mutating call of include/reghive.h and the readers that dump a tree.

The library is $B/libreghive.so (tests/run.sh sets B; `make asan` runs
the tests with B=build-asan).  An ASan-instrumented library cannot be
dlopen()ed into a Python that was not started with the ASan runtime, so
ensure_runtime() re-executes the script with LD_PRELOAD set to the
runtime the library links (leak detection off: CPython itself "leaks").
"""
import ctypes
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

OK, ECORRUPT, ENOTFOUND, ENOMEM, EIO, EINVAL, ERANGE, EREADONLY, ECANCEL = \
    0, -1, -2, -3, -4, -5, -6, -7, -8
OPEN_WRITE, OPEN_RECOVER, OPEN_NOLOGS = 1, 2, 4
COPY_SUBKEYS, COPY_REPLACE = 1, 2
COMMIT_BACKUP, COMMIT_FORCE, COMMIT_REWRITE = 1, 2, 4
KEY_HIVE_ENTRY, KEY_NO_DELETE, KEY_COMP_NAME = 0x4, 0x8, 0x20
REG_OP_CREATE_KEY, REG_OP_DELETE_KEY, REG_OP_SET_VALUE, REG_OP_DELETE_VALUE = \
    1, 2, 3, 4
REG_APPLY_STRICT, REG_APPLY_VALIDATE, REG_APPLY_NOPREFIX = 1, 2, 4
REG_HEX_VERBATIM = 0x100


def lib_path():
    return os.path.join(ROOT, os.environ.get("B", "build"), "libreghive.so")


def ensure_runtime():
    """Re-exec under the sanitizer runtime the library needs (once)."""
    path = lib_path()
    if not os.path.exists(path) or os.environ.get("RH_MODEL_PRELOADED"):
        return
    try:
        out = subprocess.run(["ldd", path], capture_output=True,
                             text=True).stdout
    except OSError:
        return
    pre = [l.split("=>")[1].split()[0] for l in out.splitlines()
           if "=>" in l and "libasan" in l]
    if not pre:
        return
    env = dict(os.environ)
    env["RH_MODEL_PRELOADED"] = "1"
    env["LD_PRELOAD"] = " ".join(pre)
    env["ASAN_OPTIONS"] = "detect_leaks=0:" + env.get("ASAN_OPTIONS", "")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


class rh_key_stat(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint16), ("last_written", ctypes.c_uint64),
                ("parent", ctypes.c_uint32), ("nsubkeys", ctypes.c_uint32),
                ("nvalues", ctypes.c_uint32), ("security", ctypes.c_uint32),
                ("class_len", ctypes.c_uint32),
                ("access_bits", ctypes.c_uint32),
                ("user_flags", ctypes.c_uint32),
                ("virt_flags", ctypes.c_uint32)]


class rh_reg_stats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "keys_created", "keys_deleted", "keys_absent", "values_set",
        "values_deleted", "values_absent", "skipped")]


P = ctypes.c_void_p
U32 = ctypes.c_uint32
SZ = ctypes.c_size_t
INT = ctypes.c_int
CP = ctypes.c_char_p
PU32 = ctypes.POINTER(U32)
PSZ = ctypes.POINTER(SZ)
PINT = ctypes.POINTER(INT)
PP = ctypes.POINTER(P)
OVERWRITE_FN = ctypes.CFUNCTYPE(INT, P, P, U32, CP)
REPORT_FN = ctypes.CFUNCTYPE(None, P, INT, ctypes.c_uint64, CP)

_SIGS = {
    "rh_create": (INT, [ctypes.c_uint, PP]),
    "rh_open": (INT, [CP, ctypes.c_uint, PP]),
    "rh_close": (None, [P]),
    "rh_errmsg": (CP, [P]),
    "rh_hive_root": (U32, [P]),
    "rh_image": (INT, [P, PP, PSZ]),
    "rh_key_add": (INT, [P, U32, CP, SZ, PU32, PINT]),
    "rh_key_create_path": (INT, [P, CP, PU32, PINT]),
    "rh_key_delete": (INT, [P, U32]),
    "rh_key_rename": (INT, [P, U32, CP, SZ, PU32]),
    "rh_value_set": (INT, [P, U32, CP, SZ, U32, CP, SZ]),
    "rh_value_delete": (INT, [P, U32, CP, SZ]),
    "rh_value_delete_all": (INT, [P, U32]),
    "rh_key_set_class": (INT, [P, U32, CP, SZ]),
    "rh_key_copy": (INT, [P, U32, P, U32, CP, ctypes.c_uint, PU32]),
    "rh_key_copy_into": (INT, [P, U32, P, U32, ctypes.c_uint, PSZ]),
    "rh_key_copy_into_ask": (INT, [P, U32, P, U32, ctypes.c_uint,
                                   OVERWRITE_FN, P, PSZ]),
    "rh_key_save": (INT, [P, U32, PP]),
    "rh_compact": (INT, [P]),
    "rh_commit": (INT, [P, CP, ctypes.c_uint]),
    "rh_check": (INT, [P, REPORT_FN, P, PSZ, PSZ]),
    "rh_reg_parse": (INT, [CP, SZ, ctypes.c_uint, PP, CP, SZ]),
    "rh_reg_apply": (INT, [P, P, CP, ctypes.c_uint, P, P,
                           ctypes.POINTER(rh_reg_stats)]),
    "rh_reg_doc_free": (None, [P]),
    "rh_key_subkey": (INT, [P, U32, CP, SZ, PU32]),
    "rh_key_subkeys": (INT, [P, U32, ctypes.POINTER(PU32), PSZ]),
    "rh_key_name": (INT, [P, U32, PP, PSZ]),
    "rh_key_class": (INT, [P, U32, PP, PSZ]),
    "rh_key_security": (INT, [P, U32, PP, PSZ]),
    "rh_key_stat_get": (INT, [P, U32, ctypes.POINTER(rh_key_stat)]),
    "rh_key_values": (INT, [P, U32, ctypes.POINTER(PU32), PSZ]),
    "rh_value_name": (INT, [P, U32, PP, PSZ]),
    "rh_value_data": (INT, [P, U32, PU32, PP, PSZ]),
}


class RhError(Exception):
    def __init__(self, what, rc, msg):
        super().__init__("%s -> %d (%s)" % (what, rc, msg))
        self.rc = rc


class Lib:
    def __init__(self, path=None):
        self.L = ctypes.CDLL(path or lib_path())
        for name, (res, args) in _SIGS.items():
            f = getattr(self.L, name)
            f.restype = res
            f.argtypes = args
            setattr(self, name[3:], f)
        libc = ctypes.CDLL(None)
        self.free = libc.free
        self.free.argtypes = [P]
        self.free.restype = None

    # ---- helpers returning Python objects; they raise RhError ----------
    def err(self, h):
        m = self.errmsg(h)
        return m.decode("utf-8", "replace") if m else ""

    def take(self, p, n):
        """bytes of a malloc'd buffer, freed."""
        b = ctypes.string_at(p, n) if n else b""
        self.free(p)
        return b

    def image_bytes(self, h):
        p, n = P(), SZ()
        rc = self.L.rh_image(h, ctypes.byref(p), ctypes.byref(n))
        if rc:
            raise RhError("rh_image", rc, self.err(h))
        return ctypes.string_at(p, n.value)

    def child(self, h, k, name):
        b = name.encode("utf-8", "surrogatepass")
        out = U32()
        rc = self.key_subkey(h, k, b, len(b), ctypes.byref(out))
        return rc, out.value

    def names_of(self, getter, h, x):
        p, n = P(), SZ()
        rc = getter(h, x, ctypes.byref(p), ctypes.byref(n))
        if rc:
            return rc, None
        return 0, self.take(p, n.value).decode("utf-8", "surrogatepass")

    def array(self, getter, h, k):
        p, n = PU32(), SZ()
        rc = getter(h, k, ctypes.byref(p), ctypes.byref(n))
        if rc:
            raise RhError(getter.__name__, rc, self.err(h))
        out = [p[i] for i in range(n.value)]
        self.free(ctypes.cast(p, P))
        return out

    def value(self, h, v):
        rc, name = self.names_of(self.value_name, h, v)
        if rc:
            raise RhError("rh_value_name", rc, self.err(h))
        t, p, n = U32(), P(), SZ()
        rc = self.value_data(h, v, ctypes.byref(t), ctypes.byref(p),
                             ctypes.byref(n))
        if rc:
            raise RhError("rh_value_data", rc, self.err(h))
        return name, t.value, self.take(p, n.value)

    def key_info(self, h, k):
        """(name, class or None, security bytes, flags) of key k."""
        rc, name = self.names_of(self.key_name, h, k)
        if rc:
            raise RhError("rh_key_name", rc, self.err(h))
        rc, cls = self.names_of(self.key_class, h, k)
        if rc == ENOTFOUND:
            cls = None
        elif rc:
            raise RhError("rh_key_class", rc, self.err(h))
        p, n = P(), SZ()
        rc = self.key_security(h, k, ctypes.byref(p), ctypes.byref(n))
        if rc:
            raise RhError("rh_key_security", rc, self.err(h))
        sd = self.take(p, n.value)
        st = rh_key_stat()
        rc = self.key_stat_get(h, k, ctypes.byref(st))
        if rc:
            raise RhError("rh_key_stat_get", rc, self.err(h))
        return name, cls, sd, st.flags

    def check_problems(self, h):
        """rh_check: (rc, [(offset, message)]), warnings included (their
        message starts with "warning: ")."""
        probs = []

        def rep(ctx, sev, off, msg):
            probs.append((off, ("warning: " if sev == 2 else "") +
                          msg.decode("utf-8", "replace")))

        fn = REPORT_FN(rep)
        ne, nw = SZ(), SZ()
        rc = self.L.rh_check(h, fn, None, ctypes.byref(ne), ctypes.byref(nw))
        return rc, probs
