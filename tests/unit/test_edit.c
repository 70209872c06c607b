/*
 * test_edit.c - the edit layer in process: sorted lists with correct lh
 * hashes / lf hints, ri splitting at 507, security refcounts, no leaked
 * cells after add+delete cycles, refusals, and rh_commit's safety checks.
 */
#include "alloc.h"
#include "reg.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct walk {
    rh_hive *h;
    int bad;
    uint32_t prev;
    size_t n;
};

/* Check a leaf: sorted keys and the hash/hint of each element. */
static void
check_leaf(struct walk *w, span c)
{
    size_t es = rd_sig(c, 0, "li") ? 4 : 8, n = rd_u16(c, LIST_COUNT);
    for (size_t i = 0; i < n; i++) {
        uint32_t off = rd_u32(c, LIST_ELEMS + i * es);
        nk k;
        if (nk_get(w->h, off, &k) < 0) {
            w->bad++;
            continue;
        }
        if (rd_sig(c, 0, "lh") &&
            rd_u32(c, LIST_ELEMS + i * es + 4) != name_hash(k.name, k.comp))
            w->bad++;
        if (rd_sig(c, 0, "lf") && k.comp &&
            memcmp(c.p + LIST_ELEMS + i * es + 4, k.name.p,
                   k.name.n < 4 ? k.name.n : 4) != 0)
            w->bad++;
        if (w->prev) {
            nk p;
            uint16_t q[256];
            nk_get(w->h, w->prev, &p);
            size_t qn = p.comp ? p.name.n : p.name.n / 2;
            for (size_t j = 0; j < qn; j++)
                q[j] = upcase(p.comp ? p.name.p[j] : rd_u16(p.name, 2 * j));
            if (name_cmp(k.name, k.comp, q, qn) <= 0)
                w->bad++; /* not strictly ascending */
        }
        w->prev = off;
        w->n++;
    }
}

/* Walk key's list: returns the number of leaves (1 for a bare leaf). */
static size_t
check_list(rh_hive *h, rh_key key, struct walk *w, size_t *maxleaf)
{
    nk k;
    span c;
    memset(w, 0, sizeof *w);
    w->h = h;
    *maxleaf = 0;
    if (nk_get(h, key, &k) < 0 || k.nsub == 0)
        return 0;
    cell_get(h, k.subs, &c);
    if (!rd_sig(c, 0, "ri")) {
        *maxleaf = rd_u16(c, LIST_COUNT);
        check_leaf(w, c);
        return 1;
    }
    size_t m = rd_u16(c, LIST_COUNT);
    for (size_t i = 0; i < m; i++) {
        span l;
        cell_get(h, rd_u32(c, LIST_ELEMS + i * 4), &l);
        if (rd_u16(l, LIST_COUNT) > *maxleaf)
            *maxleaf = rd_u16(l, LIST_COUNT);
        check_leaf(w, l);
    }
    return m;
}

static uint32_t
sk_refs(rh_hive *h, rh_key k)
{
    nk n;
    span c;
    nk_get(h, k, &n);
    cell_get(h, n.sk, &c);
    return rd_u32(c, SK_REFS);
}

static void
test_many_keys(unsigned minor)
{
    enum { N = 1200 };
    rh_hive *h;
    rh_stats st0, st;
    rh_key keys[N], k;
    struct walk w;
    size_t maxleaf;
    char name[32];
    CHECK_RC(rh_create(minor, &h), 0);
    CHECK_RC(rh_hive_stats(h, &st0), 0);
    unsigned seed = 99;
    int order[N];
    for (int i = 0; i < N; i++)
        order[i] = i;
    for (int i = N - 1; i > 0; i--) {
        seed = seed * 1103515245u + 12345u;
        int j = (int)((seed >> 8) % (unsigned)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < N; i++) {
        int c;
        snprintf(name, sizeof name, "key%04d%s", order[i],
                 order[i] % 3 ? "" : "\xc3\xa9"); /* some Latin-1 names */
        CHECK_RC(rh_key_add(h, rh_root(h), name, strlen(name), &keys[i], &c),
                 0);
        CHECK(c == 1);
        if (i % 5 == 0)
            CHECK_RC(rh_value_set(h, keys[i], "v", 1, RH_REG_BINARY, name,
                                  strlen(name)),
                     0);
    }
    CHECK_RC(rh_key_add(h, rh_root(h), "KEY0005", 7, &k, NULL), 0);
    CHECK(k == keys[0] || k != 0); /* existing key returned */
    size_t leaves = check_list(h, rh_root(h), &w, &maxleaf);
    CHECK(w.bad == 0);
    CHECK(w.n == N);
    CHECK(leaves >= 3 && maxleaf <= 507);
    CHECK(sk_refs(h, rh_root(h)) == N + 1);
    CHECK_RC(alloc_verify(h), 0);
    rh_key_stat ks;
    rh_key_stat_get(h, rh_root(h), &ks);
    CHECK(ks.nsubkeys == N);
    /* delete all in another order: no cell may leak */
    for (int i = 0; i < N; i += 2)
        CHECK_RC(rh_key_delete(h, keys[i]), 0);
    leaves = check_list(h, rh_root(h), &w, &maxleaf);
    CHECK(w.bad == 0 && w.n == N / 2);
    for (int i = 1; i < N; i += 2)
        CHECK_RC(rh_key_delete(h, keys[i]), 0);
    CHECK_RC(rh_hive_stats(h, &st), 0);
    CHECK(st.used_cells == st0.used_cells && st.used_bytes == st0.used_bytes);
    CHECK(sk_refs(h, rh_root(h)) == 1);
    rh_key_stat_get(h, rh_root(h), &ks);
    CHECK(ks.nsubkeys == 0);
    CHECK_RC(alloc_verify(h), 0);
    printf("v1.%u: %zu leaves, bins %llu, free cells %llu\n", minor, leaves,
           (unsigned long long)st.bins, (unsigned long long)st.free_cells);
    rh_close(h);
}

static void
test_values_and_refusals(void)
{
    rh_hive *h;
    rh_stats st0, st;
    rh_key a, b, k2;
    CHECK_RC(rh_create(5, &h), 0);
    CHECK_RC(rh_hive_stats(h, &st0), 0);
    CHECK_RC(rh_key_create_path(h, "HKLM\\SOFTWARE\\A\\B\\C", &a, NULL), 0);
    char *p;
    CHECK_RC(rh_key_path(h, a, &p, NULL), 0);
    CHECK(strcmp(p, "A\\B\\C") == 0);
    free(p);
    size_t big = 100000;
    uint8_t *d = malloc(big);
    for (size_t i = 0; i < big; i++)
        d[i] = (uint8_t)(i * 7);
    CHECK_RC(rh_value_set(h, a, "big", 3, RH_REG_BINARY, d, big), 0);
    CHECK_RC(rh_value_set(h, a, "", 0, RH_REG_SZ, "x\0\0", 4), 0);
    CHECK_RC(rh_value_set(h, a, "BIG", 3, RH_REG_BINARY, d, 20000), 0);
    rh_value v;
    void *out;
    size_t len;
    uint32_t type;
    CHECK_RC(rh_value_get(h, a, "big", 3, &v), 0);
    CHECK_RC(rh_value_data(h, v, &type, &out, &len), 0);
    CHECK(len == 20000 && memcmp(out, d, len) == 0);
    free(out);
    CHECK_RC(rh_value_delete(h, a, "nope", 4), RH_ENOTFOUND);
    /* refusals */
    CHECK_RC(rh_key_delete(h, rh_root(h)), RH_EINVAL);
    CHECK_RC(rh_key_add(h, a, "x\\y", 3, &b, NULL), RH_EINVAL);
    CHECK_RC(rh_key_add(h, a, "", 0, &b, NULL), RH_EINVAL);
    CHECK_RC(rh_key_add(h, a, "nd", 2, &b, NULL), 0);
    uint8_t *np;
    cell_mut(h, b, &np, NULL);
    wr_u16(np + NK_FLAGS,
           (uint16_t)(rd_u16((span){np, 4}, NK_FLAGS) | RH_KEY_NO_DELETE));
    CHECK_RC(rh_key_delete(h, b), RH_EINVAL);
    CHECK(strstr(rh_errmsg(h), "no-delete") != NULL);
    wr_u16(np + NK_FLAGS, RH_KEY_COMP_NAME);
    /* rename: the node moves to fit the longer name; children follow */
    rh_key bk, ren, par;
    CHECK_RC(rh_key_lookup(h, "A\\B", &bk), 0);
    const char *ln = "B with a much longer name than before \xce\xa9";
    CHECK_RC(rh_key_rename(h, bk, ln, strlen(ln), &ren), 0);
    CHECK(ren != bk);
    CHECK_RC(
        rh_key_lookup(h, "A\\b WITH A MUCH LONGER NAME THAN BEFORE \xce\xa9\\C",
                      &k2),
        0);
    CHECK_RC(rh_key_parent(h, k2, &par), 0);
    CHECK(par == ren);
    CHECK_RC(rh_key_rename(h, ren, "b", 1, &ren), 0); /* shrinks in place */
    CHECK_RC(rh_key_rename(h, h->root, "x", 1, NULL), RH_EINVAL);
    CHECK_RC(alloc_verify(h), 0);
    rh_key top;
    CHECK_RC(rh_key_lookup(h, "A", &top), 0);
    CHECK_RC(rh_key_delete(h, top), 0);
    CHECK_RC(rh_hive_stats(h, &st), 0);
    CHECK(st.used_cells == st0.used_cells && st.used_bytes == st0.used_bytes);
    CHECK_RC(alloc_verify(h), 0);
    free(d);
    rh_close(h);
}

static void
test_commit_safety(void)
{
    char dir[] = "/tmp/rh-test-XXXXXX", path[64], other[64];
    rh_hive *h, *h2;
    rh_key k;
    struct stat st;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/hive", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    CHECK_RC(rh_create(5, &h), 0);
    CHECK_RC(rh_commit(h, path, 0), 0);
    CHECK_RC(rh_commit(h, other, 0), 0);
    rh_close(h);
    chmod(path, 0604);
    CHECK_RC(rh_open(path, RH_OPEN_WRITE, &h), 0);
    CHECK_RC(rh_key_add(h, rh_root(h), "k", 1, &k, NULL), 0);
    /* not the file opened: refused unless forced */
    CHECK_RC(rh_commit(h, other, 0), RH_EIO);
    /* the file changed underneath: refused */
    CHECK_RC(rh_open(path, RH_OPEN_WRITE, &h2), 0);
    CHECK_RC(rh_value_set(h2, rh_root(h2), "x", 1, RH_REG_DWORD, "abcd", 4), 0);
    usleep(20000);
    CHECK_RC(rh_commit(h2, NULL, 0), 0);
    CHECK_RC(rh_commit(h, NULL, 0), RH_EIO);
    CHECK(strstr(rh_errmsg(h), "changed since") != NULL);
    CHECK_RC(rh_commit(h, NULL, RH_COMMIT_FORCE | RH_COMMIT_BACKUP), 0);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0604);
    CHECK(access(other, F_OK) == 0);
    char bak[80];
    snprintf(bak, sizeof bak, "%s.bak", path);
    CHECK(access(bak, F_OK) == 0);
    /* later commits of the same handle work: identity was refreshed */
    CHECK_RC(rh_value_set(h, k, "y", 1, RH_REG_SZ, "z\0\0", 4), 0);
    CHECK_RC(rh_commit(h, NULL, 0), 0);
    rh_close(h);
    rh_close(h2);
    CHECK_RC(rh_open(path, 0, &h), 0);
    CHECK_RC(rh_key_lookup(h, "k", &k), 0);
    rh_info info;
    rh_hive_info(h, &info);
    CHECK(info.seq1 == info.seq2 && !info.dirty &&
          info.checksum == info.checksum_computed);
    size_t n = 9;
    CHECK_RC(rh_check(h, NULL, NULL, &n), 0);
    rh_close(h);
    unlink(path);
    unlink(other);
    unlink(bak);
    rmdir(dir);
}

int
main(void)
{
    test_many_keys(5);
    test_many_keys(3);
    test_values_and_refusals();
    test_commit_safety();
    return T_DONE();
}
