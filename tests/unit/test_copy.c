/*
 * test_copy.c - copies, class names, save and compact in process: trees
 * equal after copying within and between hives (ri splits included),
 * security shared or matched, refusals, no leaked cells (rh_check and the
 * allocator's own verification), compact leaves no free cell but the
 * last bin's tail and is idempotent.
 */
#include "alloc.h"
#include "reg.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

/* Serialize the subtree at k (names, class, values) into a string. */
static void
dump(rh_hive *h, rh_key k, char **s, size_t *n, size_t *cap)
{
    char *name = NULL, *cls = NULL;
    size_t nl = 0, cl = 0, nv = 0, nk_ = 0;
    rh_value *vals = NULL;
    rh_key *kids = NULL;
    rh_key_name(h, k, &name, &nl);
    if (rh_key_class(h, k, &cls, &cl) != 0)
        cls = NULL;
    rh_key_values(h, k, &vals, &nv);
    size_t need = nl + cl + 64;
    for (size_t i = 0; i < nv; i++) {
        uint32_t t;
        size_t dl;
        rh_value_type(h, vals[i], &t, &dl);
        need += dl * 2 + 300;
    }
    if (*n + need > *cap) {
        *cap = (*n + need) * 2;
        *s = realloc(*s, *cap);
    }
    *n += (size_t)sprintf(*s + *n, "[%s|%s]", name, cls ? cls : "-");
    for (size_t i = 0; i < nv; i++) {
        char *vn = NULL;
        void *d = NULL;
        size_t vl = 0, dl = 0;
        uint32_t t = 0;
        rh_value_name(h, vals[i], &vn, &vl);
        rh_value_data(h, vals[i], &t, &d, &dl);
        *n += (size_t)sprintf(*s + *n, "(%s:%u:", vn, t);
        for (size_t j = 0; j < dl; j++)
            *n += (size_t)sprintf(*s + *n, "%02x", ((unsigned char *)d)[j]);
        *n += (size_t)sprintf(*s + *n, ")");
        free(vn);
        free(d);
    }
    free(vals);
    free(name);
    free(cls);
    rh_key_subkeys(h, k, &kids, &nk_);
    for (size_t i = 0; i < nk_; i++)
        dump(h, kids[i], s, n, cap);
    if (*n + 2 > *cap) {
        *cap = *n + 64;
        *s = realloc(*s, *cap);
    }
    (*s)[(*n)++] = '/';
    (*s)[*n] = 0;
    free(kids);
}

static char *
tree(rh_hive *h, rh_key k)
{
    char *s = NULL;
    size_t n = 0, cap = 0;
    dump(h, k, &s, &n, &cap);
    return s;
}

static int
clean(rh_hive *h)
{
    size_t ne = 0, nw = 0;
    return rh_check(h, NULL, NULL, &ne, &nw) == 0 && ne == 0 && nw == 0 &&
           alloc_verify(h) == 0;
}

static rh_key
key(rh_hive *h, const char *path)
{
    rh_key k = 0;
    CHECK_RC(rh_key_create_path(h, path, &k, NULL), 0);
    return k;
}

static uint32_t
sk_of(rh_hive *h, rh_key k)
{
    rh_key_stat st;
    rh_key_stat_get(h, k, &st);
    return st.security;
}

int
main(void)
{
    rh_hive *h, *d, *s = NULL;
    uint8_t big[40000];
    char name[32];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    CHECK_RC(rh_create(5, &h), 0);
    rh_key a = key(h, "A"), b = key(h, "A\\b"), many = key(h, "A\\many");
    CHECK_RC(rh_key_set_class(h, a, "Klasse\xe2\x82\xac", 9), 0);
    CHECK_RC(rh_value_set(h, a, "s", 1, RH_REG_SZ, "x\0\0", 4), 0);
    CHECK_RC(rh_value_set(h, a, "big", 3, RH_REG_BINARY, big, sizeof big), 0);
    CHECK_RC(rh_value_set(h, b, "", 0, RH_REG_DWORD, "\1\0\0\0", 4), 0);
    for (int i = 0; i < 1100; i++) { /* more than two leaves of 507 */
        int n = snprintf(name, sizeof name, "k%04d", i);
        rh_key k;
        CHECK_RC(rh_key_add(h, many, name, (size_t)n, &k, NULL), 0);
    }
    char *want = tree(h, a);

    /* class names: set, read, replace, remove */
    char *cls = NULL;
    size_t cl = 0;
    CHECK_RC(rh_key_class(h, a, &cls, &cl), 0);
    CHECK(cl == 9 && memcmp(cls, "Klasse\xe2\x82\xac", 9) == 0);
    free(cls);
    CHECK_RC(rh_key_set_class(h, b, "tmp", 3), 0);
    CHECK_RC(rh_key_set_class(h, b, NULL, 0), 0);
    CHECK_RC(rh_key_class(h, b, &cls, &cl), RH_ENOTFOUND);
    CHECK(clean(h));

    /* within a hive: shared security, same tree, refusals */
    uint32_t sk = sk_of(h, a);
    rh_key c, c2;
    CHECK_RC(rh_key_copy(h, a, h, rh_hive_root(h), "C", RH_COPY_SUBKEYS, &c),
             0);
    CHECK(sk_of(h, c) == sk);
    char *got = tree(h, c);
    CHECK(strcmp(got + 3, want + 3) == 0); /* names differ: [C| vs [A| */
    free(got);
    CHECK_RC(rh_key_copy(h, a, h, rh_hive_root(h), "C", RH_COPY_SUBKEYS, NULL),
             RH_EINVAL);
    CHECK_RC(rh_key_copy(h, a, h, many, "x", RH_COPY_SUBKEYS, NULL), RH_EINVAL);
    CHECK_RC(rh_key_copy_into(h, a, h, b, RH_COPY_SUBKEYS, NULL), RH_EINVAL);
    CHECK_RC(rh_key_copy(h, a, h, rh_hive_root(h), "C", RH_COPY_REPLACE, &c2),
             0);
    rh_key *kids = NULL;
    size_t nk_ = 9;
    CHECK_RC(rh_key_subkeys(h, c2, &kids, &nk_), 0);
    CHECK(nk_ == 0);
    free(kids);
    CHECK(clean(h));

    /* between hives: an identical descriptor is reused */
    CHECK_RC(rh_create(3, &d), 0);
    rh_key x;
    CHECK_RC(rh_key_copy(h, a, d, rh_hive_root(d), NULL, RH_COPY_SUBKEYS, &x),
             0);
    got = tree(d, x);
    CHECK(strcmp(got, want) == 0);
    free(got);
    CHECK(sk_of(d, x) == sk_of(d, rh_hive_root(d)));
    CHECK(clean(d));
    size_t changed = 0;
    rh_key y = key(d, "Y");
    CHECK_RC(rh_key_copy_into(h, a, d, y, RH_COPY_SUBKEYS, &changed), 0);
    CHECK(changed == 4); /* 2 values, 2 subkeys */
    CHECK_RC(rh_key_copy_into(h, a, d, y, RH_COPY_SUBKEYS, &changed), 0);
    CHECK(changed == 0); /* nothing replaced without RH_COPY_REPLACE */
    CHECK(clean(d));

    /* save: KEY becomes the root */
    CHECK_RC(rh_key_save(h, a, &s), 0);
    got = tree(s, rh_hive_root(s));
    CHECK(strcmp(got, want) == 0);
    free(got);
    CHECK(clean(s));
    rh_key_stat st;
    rh_key_stat_get(s, rh_hive_root(s), &st);
    CHECK((st.flags & (RH_KEY_HIVE_ENTRY | RH_KEY_NO_DELETE)) ==
          (RH_KEY_HIVE_ENTRY | RH_KEY_NO_DELETE));
    rh_close(s);

    /* compact: same tree, one free cell at most, idempotent */
    CHECK_RC(rh_key_delete(h, c), 0);
    char *all = tree(h, rh_hive_root(h));
    CHECK_RC(rh_compact(h), 0);
    got = tree(h, rh_hive_root(h));
    CHECK(strcmp(got, all) == 0);
    free(got);
    CHECK(clean(h));
    rh_stats a1, a2;
    CHECK_RC(rh_hive_stats(h, &a1), 0);
    CHECK(a1.free_cells <= 1 && a1.free_bytes < HBIN_PAGE);
    const void *img;
    size_t len;
    rh_image(h, &img, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, img, len);
    CHECK_RC(rh_compact(h), 0);
    rh_image(h, &img, &len);
    CHECK(memcmp((const uint8_t *)img + BASE_SIZE, copy + BASE_SIZE,
                 len - BASE_SIZE) == 0);
    CHECK_RC(rh_hive_stats(h, &a2), 0);
    CHECK(a2.used_bytes == a1.used_bytes);
    free(copy);
    /* and it stays editable */
    rh_key z = key(h, "Z\\z");
    CHECK_RC(rh_value_set(h, z, "v", 1, RH_REG_BINARY, big, sizeof big), 0);
    CHECK(clean(h));
    free(all);
    free(want);
    rh_close(d);
    rh_close(h);
    return T_DONE();
}
