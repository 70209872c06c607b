/*
 * test_depth.c - edits keep keys within Windows' 512 levels (the root is
 * level 0, as rh_check counts): a key 512 levels below the root can be
 * created, checks clean and deletes; one level more is refused with
 * RH_ERANGE and nothing written, whether by rh_key_add, a path, a copy
 * (within a hive or from another, with or without the subtree walk),
 * rh_key_copy_into or a .reg document.
 */
#include "edit.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

static int
clean(rh_hive *h)
{
    size_t ne = 0, nw = 0;
    return rh_check(h, NULL, NULL, &ne, &nw) == 0 && ne == 0 && nw == 0;
}

/* A path of n components "k\\k\\...". */
static char *
deep_path(size_t n, const char *first)
{
    size_t fl = strlen(first);
    char *s = malloc(fl + 2 * n + 1), *p = s;
    memcpy(p, first, fl);
    p += fl;
    for (size_t i = 1; i < n; i++) {
        memcpy(p, "\\k", 2);
        p += 2;
    }
    *p = 0;
    return s;
}

/* A copy of h's image, to show that a refused edit wrote nothing. */
static uint8_t *
snap(rh_hive *h, size_t *len)
{
    const void *img;
    rh_image(h, &img, len);
    uint8_t *b = malloc(*len);
    memcpy(b, img, *len);
    return b;
}

static int
same(rh_hive *h, const uint8_t *b, size_t len)
{
    const void *img;
    size_t n;
    rh_image(h, &img, &n);
    return n == len && memcmp(img, b, len) == 0;
}

/* The key n levels below k along the "k" chain. */
static rh_key
down(rh_hive *h, rh_key k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rh_key_subkey(h, k, "k", 1, &k) < 0)
            return 0;
    return k;
}

int
main(void)
{
    rh_hive *h, *s;
    rh_key k, deep, x;
    size_t len;
    uint8_t *b;
    uint32_t d;

    CHECK_RC(rh_create(5, &h), 0);
    /* 513 levels at once: refused, nothing written */
    char *p513 = deep_path(513, "k"), *p512 = deep_path(512, "k");
    b = snap(h, &len);
    CHECK_RC(rh_key_create_path(h, p513, &k, NULL), RH_ERANGE);
    CHECK(strstr(rh_errmsg(h), "513 levels") != NULL);
    CHECK(same(h, b, len));
    free(b);
    /* exactly 512: created, checks clean (rh_check's rule agrees) */
    CHECK_RC(rh_key_create_path(h, p512, &deep, NULL), 0);
    CHECK_RC(key_depth(h, deep, &d), 0);
    CHECK(d == 512);
    CHECK(clean(h));
    CHECK_RC(rh_key_lookup(h, p512, &k), 0);
    CHECK(k == deep);
    /* one more below it: by rh_key_add and by a path through it */
    b = snap(h, &len);
    CHECK_RC(rh_key_add(h, deep, "x", 1, &x, NULL), RH_ERANGE);
    CHECK_RC(rh_key_create_path(h, p513, &k, NULL), RH_ERANGE);
    CHECK(same(h, b, len));
    free(b);
    /* an existing 512-deep path is found, not refused */
    CHECK_RC(rh_key_create_path(h, p512, &k, NULL), 0);
    CHECK(k == deep);

    /* copies: a subtree 3 levels high (A\B\C\D) */
    CHECK_RC(rh_key_create_path(h, "A\\B\\C\\D", &x, NULL), 0);
    rh_key a;
    CHECK_RC(rh_key_lookup(h, "A", &a), 0);
    rh_key at509 = down(h, rh_hive_root(h), 509),
           at508 = down(h, rh_hive_root(h), 508);
    b = snap(h, &len);
    /* under level 509: A at 510, D at 513 (the subtree walk refuses) */
    CHECK_RC(rh_key_copy(h, a, h, at509, NULL, RH_COPY_SUBKEYS, NULL),
             RH_ERANGE);
    /* under level 512: the key itself would lie at 513 */
    CHECK_RC(rh_key_copy(h, a, h, deep, NULL, 0, NULL), RH_ERANGE);
    /* into level 510 (B at 511, C 512, D 513) */
    CHECK_RC(
        rh_key_copy_into(h, a, h, down(h, at509, 1), RH_COPY_SUBKEYS, NULL),
        RH_ERANGE);
    CHECK(same(h, b, len));
    free(b);
    /* under level 508: D lands at 512 exactly */
    CHECK_RC(rh_key_copy(h, a, h, at508, NULL, RH_COPY_SUBKEYS, &x), 0);
    CHECK_RC(rh_key_lookup(h, "A\\B\\C", &k), 0);
    CHECK(clean(h));

    /* from another hive: the same refusal */
    CHECK_RC(rh_create(5, &s), 0);
    CHECK_RC(rh_key_create_path(s, "S\\T\\U\\V\\W", &k, NULL), 0);
    rh_key sk;
    CHECK_RC(rh_key_lookup(s, "S", &sk), 0);
    b = snap(h, &len);
    CHECK_RC(rh_key_copy(s, sk, h, at508, NULL, RH_COPY_SUBKEYS, NULL),
             RH_ERANGE);
    CHECK(strstr(rh_errmsg(h), "512") != NULL);
    CHECK(same(h, b, len));
    free(b);
    /* a deep source copied no deeper than it was: no walk needed */
    CHECK_RC(rh_key_copy(h, down(h, rh_hive_root(h), 1), s, rh_hive_root(s),
                         "K", RH_COPY_SUBKEYS, &k),
             0);
    CHECK(clean(s));
    rh_close(s);

    /* a .reg document 600 levels deep */
    size_t cap = 64 + 2 * 600 + 64;
    char *doc = malloc(cap);
    char *p600 = deep_path(600, "r");
    int n = snprintf(doc, cap,
                     "Windows Registry Editor Version 5.00\r\n\r\n[\\%s]\r\n",
                     p600);
    rh_reg_doc *rd = NULL;
    char err[256];
    CHECK_RC(rh_reg_parse(doc, (size_t)n, 0, &rd, err, sizeof err), 0);
    if (rd) {
        rh_reg_stats st;
        CHECK_RC(rh_reg_apply(h, rd, NULL, 0, NULL, NULL, &st), RH_ERANGE);
        rh_reg_doc_free(rd);
    }
    free(doc);
    free(p600);

    /* the 512-deep chain deletes (the partial .reg keys first) */
    rh_key r;
    if (rh_key_lookup(h, "r", &r) == 0)
        CHECK_RC(rh_key_delete(h, r), 0);
    CHECK_RC(rh_key_delete(h, down(h, rh_hive_root(h), 1)), 0);
    CHECK_RC(rh_key_lookup(h, "k", &k), RH_ENOTFOUND);
    CHECK(clean(h));
    CHECK_RC(alloc_verify(h), 0);
    free(p512);
    free(p513);
    rh_close(h);
    return T_DONE();
}
