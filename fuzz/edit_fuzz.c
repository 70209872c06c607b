/*
 * edit_fuzz.c - fuzz target for the write engine: decodes the input as a
 * sequence of edits (add, delete, rename keys; set, delete values, big
 * data included) applied to a fresh rh_create() hive or to a clean seed
 * hive carried in the input, then requires that the serialized image
 * re-opens, passes rh_check with zero problems and holds what a small
 * model expects (key/value counts, the last value set on each key).
 * Any violation calls abort().
 *
 * Input: byte 0 = mode (bit 0: seed hive follows as u16 length + bytes;
 * bits 1..3: format minor for rh_create), then ops until the input ends.
 */
#include "../include/reghive_sys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSLOT 32      /* keys the fuzzer can name */
#define NTRACK 16     /* last value set per key, checked at the end */
#define MAXDATA 70000 /* > 16344: big data (db) needs several segments */

typedef struct in {
    const uint8_t *p;
    size_t n;
} in;

static unsigned
take(in *s)
{
    if (!s->n)
        return 0;
    s->n--;
    return *s->p++;
}

/* A key the fuzzer knows: handle and the slot of its parent (-1 root). */
typedef struct slot {
    rh_key k;
    int parent;
    int live;
} slot;

typedef struct track {
    int slot;
    char name[320];
    size_t namelen;
    uint32_t type;
    size_t len;
    uint64_t hash;
} track;

typedef struct model {
    rh_hive *h;
    slot s[NSLOT];
    track t[NTRACK];
    size_t nt;
    uint64_t keys, values;
    int commits;
} model;

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf(stderr, "edit_fuzz: " __VA_ARGS__);                            \
        fputc('\n', stderr);                                                   \
        abort();                                                               \
    } while (0)

static uint64_t
fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        x = (x ^ b[i]) * 1099511628211ull;
    return x;
}

/* Names chosen to hit case folding, non-ASCII, surrogates and limits. */
static const char *const dict[] = {
    "a",
    "A",
    "key",
    "KEY",
    "Key",
    "\xc3\xa4",
    "\xc3\x84",
    "\xc3\x9f",
    "SS",
    "\xc7\x85",
    "\xc7\x84",
    "\xc7\x86",
    "\xf0\x9f\x98\x80",
    "\xce\xa3",
    "\xcf\x83",
    "\xcf\x82",
    "\xe2\x84\xaa",
    "k",
    "x y",
    "\xc4\xb1",
    "I",
    "i",
    "\xc4\xb0",
    "\xed\xa0\x80", /* WTF-8 lone surrogate */
    "ControlSet001",
    "Select",
    "a\\b",
    "",
};

/* Decode a name into buf (cap >= 320); returns its length. */
static size_t
get_name(in *s, char *buf)
{
    unsigned b = take(s);
    size_t n = 0;
    switch (b >> 6) {
    case 0: /* dictionary */
    case 1: {
        const char *d = dict[b % (sizeof dict / sizeof dict[0])];
        n = strlen(d);
        memcpy(buf, d, n);
        break;
    }
    case 2: /* raw bytes from the input (any encoding, maybe invalid) */
        n = b & 31;
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)take(s);
        break;
    default: { /* long: one character repeated 250..313 times */
        const char *d = dict[take(s) % 4];
        size_t dl = strlen(d), reps = 250 + (b & 63);
        for (size_t i = 0; i < reps && n + dl <= 319; i++, n += dl)
            memcpy(buf + n, d, dl);
        break;
    }
    }
    buf[n] = 0;
    return n;
}

/* A live slot picked by the input; -1 means the root. */
static int
get_slot(model *m, in *s)
{
    unsigned b = take(s);
    if (b == 0xFF)
        return -1;
    int i = (int)(b % NSLOT);
    for (int j = 0; j < NSLOT; j++)
        if (m->s[(i + j) % NSLOT].live)
            return (i + j) % NSLOT;
    return -1;
}

static rh_key
key_of(model *m, int i)
{
    return i < 0 ? rh_hive_root(m->h) : m->s[i].k;
}

static int
count_cb(void *ctx, rh_value v)
{
    (void)v;
    (*(uint64_t *)ctx)++;
    return 0;
}

struct sub {
    rh_hive *h;
    uint64_t keys, values;
};

static int
sub_cb(void *ctx, rh_key k)
{
    struct sub *c = ctx;
    c->keys++;
    if (rh_key_values_foreach(c->h, k, count_cb, &c->values) < 0)
        FAIL("value_foreach failed: %s", rh_errmsg(c->h));
    if (rh_key_subkeys_foreach(c->h, k, sub_cb, c) < 0)
        FAIL("key_foreach failed: %s", rh_errmsg(c->h));
    return 0;
}

/* Is slot i (or any ancestor) slot d? */
static int
under(model *m, int i, int d)
{
    for (int depth = 0; i >= 0 && depth <= NSLOT; depth++) {
        if (i == d)
            return 1;
        i = m->s[i].parent;
    }
    return 0;
}

/* Forget the value tracked for slot sl (-2: none) and those of dead keys. */
static void
drop_tracks(model *m, int sl)
{
    size_t o = 0;
    for (size_t i = 0; i < m->nt; i++) {
        int ts = m->t[i].slot;
        if (ts != sl && (ts < 0 || m->s[ts].live))
            m->t[o++] = m->t[i];
    }
    m->nt = o;
}

static void
check_value(rh_hive *h, rh_key k, const track *t, const char *when)
{
    rh_value v;
    uint32_t type;
    void *d;
    size_t len;
    if (rh_key_value(h, k, t->name, t->namelen, &v) < 0)
        FAIL("%s: value of %zu-byte name lost: %s", when, t->namelen,
             rh_errmsg(h));
    if (rh_value_data(h, v, &type, &d, &len) < 0)
        FAIL("%s: value data unreadable: %s", when, rh_errmsg(h));
    if (type != t->type || len != t->len || fnv(d, len) != t->hash)
        FAIL("%s: value read back differs (type %u/%u, len %zu/%zu)", when,
             type, t->type, len, t->len);
    free(d);
}

static void
report(void *ctx, rh_severity sev, uint64_t off, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "check: %sfile offset 0x%llx: %s\n",
            sev == RH_CHECK_WARNING ? "warning: " : "", (unsigned long long)off,
            msg);
}

/* Serialize (as rh_commit would: bins size and checksum in the base
 * block), re-open from memory, check, compare with the model. */
static void
verify(model *m)
{
    const void *img;
    size_t len;
    rh_stats st;
    if (rh_image(m->h, &img, &len) < 0 || len < 4096)
        FAIL("rh_image");
    uint8_t *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, img, len);
    /* What rh_commit writes: the bins, not any slack after them (a seed
     * image may be longer than its bins). */
    uint32_t bins = 0, sum = 0;
    while (4096 + (size_t)bins + 32 <= len &&
           memcmp(copy + 4096 + bins, "hbin", 4) == 0) {
        uint32_t bsz;
        memcpy(&bsz, copy + 4096 + bins + 8, 4);
        if (bsz < 4096 || bsz % 4096 || bsz > len - 4096 - bins)
            break;
        bins += bsz;
    }
    len = 4096 + (size_t)bins;
    memcpy(copy + 0x28, &bins, 4);
    memcpy(copy + 8, copy + 4, 4); /* seq2 = seq1 */
    for (int i = 0; i < 508; i += 4) {
        uint32_t w;
        memcpy(&w, copy + i, 4);
        sum ^= w;
    }
    if (sum == 0xFFFFFFFFu)
        sum = 0xFFFFFFFEu;
    else if (sum == 0)
        sum = 1;
    memcpy(copy + 508, &sum, 4);
    rh_hive *h2;
    if (rh_open_mem(copy, len, 0, &h2) < 0)
        FAIL("image does not re-open: %s", rh_errmsg(h2));
    if (*rh_warnings(h2))
        FAIL("image re-opens with warnings: %s", rh_warnings(h2));
    size_t ne = 0, nw = 0;
    /* Edits must leave nothing Windows would even repair: no warnings. */
    if (rh_check(h2, report, NULL, &ne, &nw) != 0 || ne || nw)
        FAIL("rh_check: %zu errors, %zu warnings", ne, nw);
    if (rh_hive_stats(h2, &st) < 0)
        FAIL("stats: %s", rh_errmsg(h2));
    if (st.keys != m->keys || st.values != m->values)
        FAIL("model: %llu keys %llu values, hive: %llu keys %llu values",
             (unsigned long long)m->keys, (unsigned long long)m->values,
             (unsigned long long)st.keys, (unsigned long long)st.values);
    for (size_t i = 0; i < m->nt; i++)
        check_value(h2, key_of(m, m->t[i].slot), &m->t[i], "re-opened");
    rh_close(h2);
    free(copy);
}

/* Commit to a temporary file (tmpfs when there is one) and re-open it. */
static void
commit_file(model *m)
{
    char path[64];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/rh-edit-fuzz-%ld.hive", dir,
             (long)getpid());
    unlink(path);
    if (rh_commit(m->h, path, RH_COMMIT_FORCE) < 0) {
        unlink(path);
        return; /* an I/O problem of the machine, not of the library */
    }
    rh_hive *h2;
    size_t ne = 0, nw = 0;
    rh_stats st;
    if (rh_open(path, RH_OPEN_NOLOGS, &h2) < 0)
        FAIL("committed file does not open: %s", rh_errmsg(h2));
    if (*rh_warnings(h2))
        FAIL("committed file opens with warnings: %s", rh_warnings(h2));
    if (rh_check(h2, report, NULL, &ne, &nw) != 0 || ne || nw)
        FAIL("committed file: rh_check: %zu errors, %zu warnings", ne, nw);
    if (rh_hive_stats(h2, &st) < 0 || st.keys != m->keys ||
        st.values != m->values)
        FAIL("committed file: counts differ from the model");
    rh_close(h2);
    unlink(path);
}

static void
op_add(model *m, in *s)
{
    char name[320];
    int p = get_slot(m, s);
    size_t n = get_name(s, name);
    rh_key k, parent = key_of(m, p);
    int created = 0;
    rh_key_stat a, b;
    rh_key_stat_get(m->h, parent, &a);
    int rc = rh_key_add(m->h, parent, name, n, &k, &created);
    if (rc < 0) {
        if (rc != RH_EINVAL && rc != RH_ERANGE)
            FAIL("key_add: %s", rh_errmsg(m->h));
        return;
    }
    rh_key_stat_get(m->h, parent, &b);
    if (b.nsubkeys != a.nsubkeys + (created ? 1u : 0u))
        FAIL("key_add: subkey count %u -> %u (created %d)", a.nsubkeys,
             b.nsubkeys, created);
    rh_key found;
    if (rh_key_subkey(m->h, parent, name, n, &found) < 0 || found != k)
        FAIL("key_add: new key not found by name: %s", rh_errmsg(m->h));
    if (created)
        m->keys++;
    for (int i = 0; i < NSLOT; i++)
        if (m->s[i].live && m->s[i].k == k)
            return;
    for (int i = 0; i < NSLOT; i++)
        if (!m->s[i].live) {
            m->s[i] = (slot){k, p, 1};
            return;
        }
}

static void
op_delete(model *m, in *s)
{
    int d = get_slot(m, s);
    if (d < 0) {
        if (rh_key_delete(m->h, rh_hive_root(m->h)) == 0)
            FAIL("root deleted");
        return;
    }
    struct sub c = {m->h, 0, 0};
    sub_cb(&c, m->s[d].k);
    rh_key parent = key_of(m, m->s[d].parent);
    rh_key_stat a, b;
    rh_key_stat_get(m->h, parent, &a);
    int rc = rh_key_delete(m->h, m->s[d].k);
    if (rc == RH_EINVAL) { /* refused: KEY_NO_DELETE keys only */
        rh_key_stat ks;
        rh_key_stat_get(m->h, m->s[d].k, &ks);
        if (ks.flags & RH_KEY_NO_DELETE)
            return;
    }
    if (rc < 0)
        FAIL("key_delete: %s", rh_errmsg(m->h));
    rh_key_stat_get(m->h, parent, &b);
    if (b.nsubkeys + 1 != a.nsubkeys)
        FAIL("key_delete: subkey count %u -> %u", a.nsubkeys, b.nsubkeys);
    m->keys -= c.keys;
    m->values -= c.values;
    for (int i = 0; i < NSLOT; i++)
        if (m->s[i].live && under(m, i, d))
            m->s[i].live = 0;
    drop_tracks(m, -2);
}

static void
op_set(model *m, in *s)
{
    static uint8_t buf[MAXDATA];
    char name[320];
    int sl = get_slot(m, s);
    size_t n = get_name(s, name);
    unsigned t = take(s), sz = take(s);
    uint32_t type = t < 12 ? t : (t < 250 ? t % 12 : 0xFFFF0000u | t);
    size_t len;
    if (sz < 128)
        len = sz & 15; /* tiny: inline data (<= 4) and small cells */
    else if (sz < 192)
        len = (size_t)(sz & 63) * 64;
    else /* big: around and above 16344 (one db segment) */
        len = 16344 - 8 + (size_t)(sz & 63) * 813;
    if (len > MAXDATA)
        len = MAXDATA;
    unsigned fill = take(s);
    for (size_t i = 0; i < len; i++)
        buf[i] = s->n && i < 8 ? (uint8_t)take(s) : (uint8_t)(fill + i * 7);
    rh_key k = key_of(m, sl);
    rh_value old;
    int existed = rh_key_value(m->h, k, name, n, &old) == 0;
    int rc = rh_value_set(m->h, k, name, n, type, buf, len);
    if (rc < 0) {
        if (rc != RH_EINVAL && rc != RH_ERANGE)
            FAIL("value_set: %s", rh_errmsg(m->h));
        return;
    }
    if (!existed)
        m->values++;
    drop_tracks(m, sl);
    track tr = {sl, {0}, n, type, len, fnv(buf, len)};
    memcpy(tr.name, name, n);
    check_value(m->h, k, &tr, "value_set");
    if (m->nt < NTRACK)
        m->t[m->nt++] = tr;
}

static void
op_value_delete(model *m, in *s, int all)
{
    char name[320];
    int sl = get_slot(m, s);
    rh_key k = key_of(m, sl);
    uint64_t before = 0, after = 0;
    rh_key_values_foreach(m->h, k, count_cb, &before);
    if (all) {
        if (rh_value_delete_all(m->h, k) < 0)
            FAIL("value_delete_all: %s", rh_errmsg(m->h));
    } else {
        size_t n = get_name(s, name);
        int rc = rh_value_delete(m->h, k, name, n);
        if (rc < 0 && rc != RH_ENOTFOUND && rc != RH_EINVAL)
            FAIL("value_delete: %s", rh_errmsg(m->h));
        rh_value v;
        if (rc == 0 && rh_key_value(m->h, k, name, n, &v) == 0)
            FAIL("value_delete: value still there");
    }
    rh_key_values_foreach(m->h, k, count_cb, &after);
    m->values -= before - after;
    drop_tracks(m, sl);
}

static void
op_rename(model *m, in *s)
{
    char name[320];
    int sl = get_slot(m, s);
    size_t n = get_name(s, name);
    rh_key k = key_of(m, sl), nk;
    int rc = rh_key_rename(m->h, k, name, n, &nk);
    if (sl < 0) {
        if (rc == 0)
            FAIL("root renamed");
        return;
    }
    if (rc < 0) {
        if (rc != RH_EINVAL && rc != RH_ERANGE)
            FAIL("key_rename: %s", rh_errmsg(m->h));
        return;
    }
    rh_key found, parent = key_of(m, m->s[sl].parent);
    if (rh_key_subkey(m->h, parent, name, n, &found) < 0 || found != nk)
        FAIL("key_rename: renamed key not found by its new name");
    m->s[sl].k = nk;
}

static void
op_path(model *m, in *s)
{
    char path[3 * 321];
    size_t n = 0;
    unsigned parts = 1 + take(s) % 3;
    for (unsigned i = 0; i < parts; i++) {
        char name[320];
        size_t l = get_name(s, name);
        if (l > 300)
            l = 300;
        if (i)
            path[n++] = '\\';
        memcpy(path + n, name, l);
        n += l;
    }
    path[n] = 0;
    if (strlen(path) != n)
        return; /* the path API takes a C string */
    struct sub c = {m->h, 0, 0};
    sub_cb(&c, rh_hive_root(m->h));
    rh_key k;
    int created = 0;
    int rc = rh_key_create_path(m->h, path, &k, &created);
    if (rc < 0 && rc != RH_EINVAL && rc != RH_ERANGE && rc != RH_ENOTFOUND)
        FAIL("key_create_path: %s", rh_errmsg(m->h));
    struct sub d = {m->h, 0, 0};
    sub_cb(&d, rh_hive_root(m->h));
    if (d.values != c.values || d.keys < c.keys ||
        (rc == 0 && !created && d.keys != c.keys))
        FAIL("key_create_path: counts %llu -> %llu", (unsigned long long)c.keys,
             (unsigned long long)d.keys);
    m->keys += d.keys - c.keys;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in s = {data, size};
    model m;
    memset(&m, 0, sizeof m);
    unsigned mode = take(&s);
    if (mode & 1) {
        size_t hl = take(&s) | (size_t)take(&s) << 8;
        if (hl > s.n)
            hl = s.n;
        int rc = rh_open_mem(s.p, hl, RH_OPEN_WRITE, &m.h);
        s.p += hl;
        s.n -= hl;
        size_t ne = 0, nw = 0;
        /* Only a clean, log-free hive must stay clean. */
        if (rc < 0 || *rh_warnings(m.h) ||
            rh_check(m.h, NULL, NULL, &ne, &nw) || ne || nw) {
            rh_close(m.h);
            return 0;
        }
    } else if (rh_create((mode >> 1) & 7, &m.h) < 0) {
        rh_close(m.h);
        return 0;
    }
    struct sub c = {m.h, 0, 0};
    sub_cb(&c, rh_hive_root(m.h));
    m.keys = c.keys;
    m.values = c.values;
    for (unsigned nops = 0; s.n && nops < 200; nops++) {
        switch (take(&s) % 9) {
        case 0:
        case 1:
            op_add(&m, &s);
            break;
        case 2:
            op_delete(&m, &s);
            break;
        case 3:
            op_set(&m, &s);
            break;
        case 4:
            op_value_delete(&m, &s, 0);
            break;
        case 5:
            op_rename(&m, &s);
            break;
        case 6:
            op_value_delete(&m, &s, 1);
            break;
        case 7:
            op_path(&m, &s);
            break;
        default:
            /* Mid-sequence commit: to memory, or (twice at most) a file. */
            if (take(&s) & 1 && m.commits++ < 2)
                commit_file(&m);
            else
                verify(&m);
            break;
        }
    }
    verify(&m);
    rh_close(m.h);
    return 0;
}
