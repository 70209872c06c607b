/* Unit tests of the public header's conveniences: the version, rh_errno,
 * rh_type_name, the typed value getters (strings, multi-strings, numbers:
 * odd lengths, missing NULs, empty lists, wrong types) and rh_key_walk
 * (order, depth, skip, stop, the depth limit and a cycle). */
#include "t.h"

#include "buf.h"
#include "format.h"
#include "reghive_sys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Set value name of k to type and n bytes of d; its handle. */
static rh_value
put(rh_hive *h, rh_key k, const char *name, uint32_t type, const void *d,
    size_t n)
{
    rh_value v = 0;
    CHECK_RC(rh_value_set(h, k, name, strlen(name), type, d, n), 0);
    CHECK_RC(rh_key_value(h, k, name, strlen(name), &v), 0);
    return v;
}

/* The string of value name, or NULL (rc in *rc). */
static char *
str(rh_hive *h, rh_key k, const char *name, const void *d, size_t n,
    uint32_t type, int *rc)
{
    char *s = (char *)"not touched";
    size_t len = 99;
    *rc = rh_value_string(h, put(h, k, name, type, d, n), &s, &len);
    if (*rc == 0)
        CHECK(len == strlen(s));
    else
        CHECK(s == NULL && len == 0); /* rule 1: safe to free */
    return s;
}

static void
test_strings(rh_hive *h, rh_key k)
{
    int rc;
    char *s;
    /* Terminated, as Windows stores it. */
    s = str(h, k, "a", "h\0i\0\0\0", 6, RH_REG_SZ, &rc);
    CHECK(rc == 0 && s && strcmp(s, "hi") == 0);
    free(s);
    /* No NUL at all: the whole data. */
    s = str(h, k, "b", "h\0i\0", 4, RH_REG_EXPAND_SZ, &rc);
    CHECK(rc == 0 && s && strcmp(s, "hi") == 0);
    free(s);
    /* Odd length: the half unit at the end is dropped. */
    s = str(h, k, "c", "h\0i\0x", 5, RH_REG_SZ, &rc);
    CHECK(rc == 0 && s && strcmp(s, "hi") == 0);
    free(s);
    /* Up to the first NUL: what follows is not shown by regedit. */
    s = str(h, k, "d", "a\0\0\0b\0\0\0", 8, RH_REG_LINK, &rc);
    CHECK(rc == 0 && s && strcmp(s, "a") == 0);
    free(s);
    /* Empty data, and one byte. */
    s = str(h, k, "e", "", 0, RH_REG_SZ, &rc);
    CHECK(rc == 0 && s && strcmp(s, "") == 0);
    free(s);
    s = str(h, k, "f", "x", 1, RH_REG_SZ, &rc);
    CHECK(rc == 0 && s && strcmp(s, "") == 0);
    free(s);
    /* A pair, then an unpaired high surrogate (WTF-8 ED A0 BD). */
    s = str(h, k, "g", "\x3d\xd8\x00\xde\x3d\xd8", 6, RH_REG_SZ, &rc);
    CHECK(rc == 0 && s && strcmp(s, "\xf0\x9f\x98\x80\xed\xa0\xbd") == 0);
    free(s);
    /* Not a string type. */
    s = str(h, k, "h", "h\0i\0\0\0", 6, RH_REG_BINARY, &rc);
    CHECK(rc == RH_EINVAL && s == NULL);
    CHECK(strstr(rh_errmsg(h), "REG_BINARY") != NULL);
    s = str(h, k, "i", "h\0i\0\0\0", 6, RH_REG_MULTI_SZ, &rc);
    CHECK(rc == RH_EINVAL && s == NULL);
    s = str(h, k, "j", "h\0", 2, 0x100000, &rc);
    CHECK(rc == RH_EINVAL && strstr(rh_errmsg(h), "0x100000") != NULL);
    /* Big data (over 16344 bytes, in segments) is read whole. */
    size_t bn = 40000;
    uint8_t *big = calloc(bn, 1);
    for (size_t i = 0; i + 2 < bn; i += 2)
        big[i] = 'a' + (uint8_t)(i / 2 % 26);
    s = str(h, k, "big", big, bn, RH_REG_SZ, &rc);
    CHECK(rc == 0 && s && strlen(s) == bn / 2 - 1 && s[26] == 'a');
    free(s);
    free(big);
}

/* Check value name's list against want (count n). */
static void
multi(rh_hive *h, rh_key k, const char *data, size_t len,
      const char *const *want, size_t n, int line)
{
    char **a = NULL;
    size_t count = 99;
    rh_value v = put(h, k, "m", RH_REG_MULTI_SZ, data, len);
    int rc = rh_value_strings(h, v, &a, &count);
    CHECK(rc == 0 && a);
    if (rc || !a)
        return;
    int ok = count == n && a[n] == NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(a[i], want[i]) == 0;
    if (!ok)
        fprintf(stderr, "line %d: multi-string differs (count %zu)\n", line,
                count);
    CHECK(ok);
    free(a); /* one block */
}

#define MULTI(d, ...)                                                          \
    do {                                                                       \
        static const char *const w_[] = {__VA_ARGS__};                         \
        multi(h, k, d, sizeof d - 1, w_ + 1, sizeof w_ / sizeof w_[0] - 1,     \
              __LINE__);                                                       \
    } while (0)

static char *n_dummy;

static void
test_multi(rh_hive *h, rh_key k)
{
    /* The first entry of each list is a placeholder (no empty arrays). */
    /* UTF-16LE: "a\0" is the character a, "\0\0" a NUL character. */
    MULTI("a\0\0\0b\0\0\0\0\0", "", "a", "b");
    MULTI("a\0\0\0b\0\0\0", "", "a", "b");             /* one terminator only */
    MULTI("a\0\0\0b\0", "", "a", "b");                 /* none */
    MULTI("a\0\0\0\0\0b\0\0\0\0\0", "", "a", "", "b"); /* inner "" kept */
    MULTI("", "");                                     /* empty lists */
    MULTI("\0\0", "");
    MULTI("\0\0\0\0", "");
    MULTI("\0\0\0\0\0\0", "", "", "");     /* three NULs: reg query's "\0" */
    MULTI("\0\0x\0\0\0\0\0", "", "", "x"); /* a leading empty string */
    MULTI("a\0\0\0b\0\0\0\0\0x", "", "a", "b"); /* odd byte dropped */
    MULTI("\xe9\0\0\0\0\0", "", "\xc3\xa9");

    char **a = (char **)&n_dummy;
    size_t n = 5;
    rh_value v = put(h, k, "s", RH_REG_SZ, "a\0\0\0", 4);
    CHECK_RC(rh_value_strings(h, v, &a, &n), RH_EINVAL);
    CHECK(a == NULL && n == 0);
    /* count may be NULL: the array ends with NULL. */
    v = put(h, k, "m2", RH_REG_MULTI_SZ, "x\0\0\0y\0\0\0\0\0", 10);
    CHECK_RC(rh_value_strings(h, v, &a, NULL), 0);
    CHECK(a && strcmp(a[0], "x") == 0 && strcmp(a[1], "y") == 0 && !a[2]);
    free(a);
}

static void
test_numbers(rh_hive *h, rh_key k)
{
    uint32_t x = 7;
    uint64_t y = 7;
    rh_value v = put(h, k, "d", RH_REG_DWORD, "\x01\x02\x03\x04", 4);
    CHECK_RC(rh_value_u32(h, v, &x), 0);
    CHECK(x == 0x04030201u);
    CHECK_RC(rh_value_u64(h, v, &y), 0); /* widened */
    CHECK(y == 0x04030201u);
    v = put(h, k, "be", RH_REG_DWORD_BIG_ENDIAN, "\x01\x02\x03\x04", 4);
    CHECK_RC(rh_value_u32(h, v, &x), 0);
    CHECK(x == 0x01020304u);
    CHECK_RC(rh_value_u64(h, v, &y), 0);
    CHECK(y == 0x01020304u);
    v = put(h, k, "q", RH_REG_QWORD, "\x01\x02\x03\x04\x05\x06\x07\x88", 8);
    CHECK_RC(rh_value_u64(h, v, &y), 0);
    CHECK(y == 0x8807060504030201ull);
    x = 7;
    CHECK_RC(rh_value_u32(h, v, &x), RH_EINVAL); /* no narrowing */
    CHECK(x == 7);
    /* Exact sizes only. */
    v = put(h, k, "d3", RH_REG_DWORD, "\x01\x02\x03", 3);
    CHECK_RC(rh_value_u32(h, v, &x), RH_EINVAL);
    CHECK(strstr(rh_errmsg(h), "3 bytes") != NULL);
    CHECK_RC(rh_value_u64(h, v, &y), RH_EINVAL);
    v = put(h, k, "d8", RH_REG_DWORD, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    CHECK_RC(rh_value_u32(h, v, &x), RH_EINVAL);
    CHECK_RC(rh_value_u64(h, v, &y), RH_EINVAL);
    v = put(h, k, "q4", RH_REG_QWORD, "\x01\x02\x03\x04", 4);
    CHECK_RC(rh_value_u64(h, v, &y), RH_EINVAL);
    CHECK(x == 7 && y == 0x8807060504030201ull); /* untouched on error */
    /* Other types: a 4-byte REG_BINARY is not a number. */
    v = put(h, k, "b4", RH_REG_BINARY, "\x01\x02\x03\x04", 4);
    CHECK_RC(rh_value_u32(h, v, &x), RH_EINVAL);
    CHECK_RC(rh_value_u64(h, v, &y), RH_EINVAL);
    v = put(h, k, "sz", RH_REG_SZ, "1\0\0\0", 4);
    CHECK_RC(rh_value_u32(h, v, &x), RH_EINVAL);
}

static rh_hive *walk_h; /* the hive walk_cb reads names from */

struct seen_keys {
    char names[64][16];
    unsigned depth[64];
    size_t n;
    const char *skip, *stop;
};

static int
walk_cb(void *ctx, rh_key k, unsigned depth)
{
    struct seen_keys *s = ctx;
    (void)k;
    size_t len;
    if (s->n == 64)
        return -100;
    if (rh_key_name_buf(walk_h, k, s->names[s->n], 16, &len) < 0)
        return -101;
    s->depth[s->n] = depth;
    const char *name = s->names[s->n++];
    if (s->skip && strcmp(name, s->skip) == 0)
        return RH_WALK_SKIP;
    if (s->stop && strcmp(name, s->stop) == 0)
        return RH_WALK_STOP;
    return 0;
}

static void
join(const struct seen_keys *s, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t i = 0; i < s->n; i++) {
        size_t m = strlen(out);
        snprintf(out + m, cap - m, "%s%s/%u", i ? " " : "", s->names[i],
                 s->depth[i]);
    }
}

static void
test_walk(void)
{
    rh_hive *h;
    rh_key root, a, b, c, x;
    char got[512];
    CHECK_RC(rh_create(0, &h), 0);
    walk_h = h;
    root = rh_hive_root(h);
    /* ROOT { A { C { X } } B } */
    CHECK_RC(rh_key_add(h, root, "B", 1, &b, NULL), 0);
    CHECK_RC(rh_key_add(h, root, "A", 1, &a, NULL), 0);
    CHECK_RC(rh_key_add(h, a, "C", 1, &c, NULL), 0);
    CHECK_RC(rh_key_add(h, c, "X", 1, &x, NULL), 0);

    struct seen_keys s = {0};
    CHECK_RC(rh_key_walk(h, root, walk_cb, &s), 0);
    join(&s, got, sizeof got);
    CHECK(strcmp(got, "ROOT/0 A/1 C/2 X/3 B/1") == 0);

    memset(&s, 0, sizeof s);
    s.skip = "C";
    CHECK_RC(rh_key_walk(h, root, walk_cb, &s), 0);
    join(&s, got, sizeof got);
    CHECK(strcmp(got, "ROOT/0 A/1 C/2 B/1") == 0);

    memset(&s, 0, sizeof s);
    s.stop = "C";
    CHECK_RC(rh_key_walk(h, root, walk_cb, &s), RH_WALK_STOP);
    join(&s, got, sizeof got);
    CHECK(strcmp(got, "ROOT/0 A/1 C/2") == 0);

    /* From a subkey: depths count from it. */
    memset(&s, 0, sizeof s);
    CHECK_RC(rh_key_walk(h, a, walk_cb, &s), 0);
    join(&s, got, sizeof got);
    CHECK(strcmp(got, "A/0 C/1 X/2") == 0);

    /* A tightened depth limit: X (depth 3) is past a limit of 2. */
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, 2), 0);
    memset(&s, 0, sizeof s);
    CHECK_RC(rh_key_walk(h, root, walk_cb, &s), RH_ERANGE);
    CHECK(s.n == 3);
    memset(&s, 0, sizeof s);
    CHECK_RC(rh_key_walk(h, a, walk_cb, &s), 0); /* 2 levels below A */
    CHECK_RC(rh_key_walk(h, root, NULL, NULL), RH_EINVAL);

    /* A cycle: C's subkey list names C itself.  The walk must end (with a
     * corruption) instead of visiting C until the depth limit. */
    const void *img;
    size_t len;
    CHECK_RC(rh_image(h, &img, &len), 0);
    uint8_t *copy = malloc(len);
    memcpy(copy, img, len);
    uint8_t *nkc = copy + BASE_SIZE + c + 4;
    uint32_t list = (uint32_t)(nkc[NK_SUBKEYS] | nkc[NK_SUBKEYS + 1] << 8 |
                               nkc[NK_SUBKEYS + 2] << 16 |
                               (uint32_t)nkc[NK_SUBKEYS + 3] << 24);
    wr_u32(copy + BASE_SIZE + list + 4 + LIST_ELEMS, c);
    rh_close(h);
    CHECK_RC(rh_open_mem(copy, len, RH_OPEN_NOLOGS, &h), 0);
    walk_h = h;
    memset(&s, 0, sizeof s);
    CHECK_RC(rh_key_walk(h, rh_hive_root(h), walk_cb, &s), RH_ECORRUPT);
    CHECK(strstr(rh_errmsg(h), "reached twice") != NULL);
    CHECK(s.n == 3); /* ROOT A C, and C only once */
    rh_close(h);
    free(copy);
}

int
main(void)
{
    rh_hive *h;
    rh_key k;

    CHECK(strcmp(rh_version(), RH_VERSION) == 0);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", RH_VERSION_MAJOR, RH_VERSION_MINOR,
             RH_VERSION_PATCH);
    CHECK(strcmp(v, RH_VERSION) == 0);

    CHECK(strcmp(rh_type_name(RH_REG_NONE), "REG_NONE") == 0);
    CHECK(strcmp(rh_type_name(RH_REG_SZ), "REG_SZ") == 0);
    CHECK(strcmp(rh_type_name(RH_REG_DWORD_BIG_ENDIAN),
                 "REG_DWORD_BIG_ENDIAN") == 0);
    CHECK(strcmp(rh_type_name(RH_REG_QWORD), "REG_QWORD") == 0);
    CHECK(rh_type_name(12) == NULL && rh_type_name(0xffff0009u) == NULL);

    /* rh_errno: the errno behind RH_EIO, 0 after other errors. */
    CHECK_RC(rh_open("/nonexistent/reghive-test/hive", 0, &h), RH_EIO);
    CHECK(h && rh_errno(h) == ENOENT);
    rh_close(h);
    CHECK_RC(rh_open("/", 0, &h), RH_EIO);
    CHECK(h && rh_errno(h) == EISDIR);
    rh_close(h);
    CHECK_RC(rh_open("/", RH_OPEN_WRITE, &h), RH_EIO);
    CHECK(h && rh_errno(h) == EISDIR);
    rh_close(h);
    CHECK_RC(rh_open("/dev/null", 0, &h), RH_EIO); /* a character device */
    CHECK(h && rh_errno(h) == ENODEV);
    rh_close(h);
    CHECK(rh_errno(NULL) == 0);

    CHECK_RC(rh_create(0, &h), 0);
    CHECK(rh_errno(h) == 0);
    CHECK_RC(rh_key_add(h, rh_hive_root(h), "T", 1, &k, NULL), 0);
    /* A commit into a directory that does not exist: ENOENT. */
    CHECK_RC(rh_commit(h, "/nonexistent/reghive-test/hive", 0), RH_EIO);
    CHECK(rh_errno(h) == ENOENT);
    /* A later error of another kind resets it. */
    rh_key nk;
    CHECK_RC(rh_key_lookup(h, "nope", &nk), RH_ENOTFOUND);
    CHECK(rh_errno(h) == 0);
    /* A commit over a directory. */
    CHECK_RC(rh_commit(h, "/", 0), RH_EIO);
    CHECK(rh_errno(h) == EISDIR);

    test_strings(h, k);
    test_multi(h, k);
    test_numbers(h, k);
    rh_close(h);

    test_walk();
    return T_DONE();
}
