/*
 * test_export_hold.c - rh_export with RH_EXPORT_HOLD: the same text as
 * without it, in all three formats, and the loan kept: a lent buffer is
 * unchanged until the next call returns, a closing call with no buffer
 * ends the export (also after a failing write), nothing is called after
 * it.  The hive is big enough for many hand-overs, inside keys and inside
 * values (hex is formatted in pieces), so the buffers alternate; under
 * ASan a buffer used after the library freed or reused it is caught.
 */
#include "../../include/reghive_sys.h"
#include "buf.h"
#include "t.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int
collect(void *ctx, const void *buf, size_t len)
{
    sbuf *t = ctx;
    sbuf_put(t, buf, len);
    return t->oom ? -1 : 0;
}

struct loan {
    sbuf all; /* everything lent, in order */
    const uint8_t *p;
    size_t n;
    uint8_t *copy; /* the last buffer as it was lent */
    int calls, closed, after_close, changed, fail_at;
};

static int
hold(void *ctx, const void *buf, size_t len)
{
    struct loan *l = ctx;
    if (l->closed)
        l->after_close++;
    if (l->p && memcmp(l->p, l->copy, l->n) != 0)
        l->changed++;
    if (!buf) {
        l->closed = 1;
        l->p = NULL;
        return 0;
    }
    l->calls++;
    free(l->copy);
    l->copy = malloc(len);
    if (!l->copy)
        return -1;
    memcpy(l->copy, buf, len);
    l->p = buf;
    l->n = len;
    if (collect(&l->all, buf, len) < 0)
        return -1;
    return l->fail_at && l->calls == l->fail_at ? -1 : 0;
}

int
main(void)
{
    rh_hive *h;
    rh_key k, c;
    CHECK_RC(rh_create(5, &h), 0);
    /* Under "Big", 40 keys, each with a 96 KiB binary value (~600 KiB of UTF-16
     * hex, several 32 KiB pieces) and small string values: ~24 MB of UTF-16
     * text, ~12 MB of UTF-8 and of JSON. */
    uint8_t *big = malloc(96 * 1024);
    CHECK(big != NULL);
    if (!big)
        return T_DONE();
    for (size_t i = 0; i < 96 * 1024; i++)
        big[i] = (uint8_t)(i * 31 + 7);
    CHECK_RC(rh_key_add(h, rh_hive_root(h), "Big", 3, &k, NULL), 0);
    for (int i = 0; i < 40; i++) {
        char name[16];
        int n = snprintf(name, sizeof name, "K%02d", i);
        CHECK_RC(rh_key_add(h, k, name, (size_t)n, &c, NULL), 0);
        big[0] = (uint8_t)i;
        CHECK_RC(rh_value_set(h, c, "data", 4, RH_REG_BINARY, big, 96 * 1024),
                 0);
        CHECK_RC(rh_value_set(h, c, "s", 1, RH_REG_SZ, "a\0\"\0\\\0z\0\0", 10),
                 0);
    }
    /* Then (exported first: "A" < "Big") 2000 keys of one 1000-byte
     * value: hand-overs at the end of a value, just before the key's own
     * flush of an empty line. */
    CHECK_RC(rh_key_add(h, rh_hive_root(h), "A", 1, &k, NULL), 0);
    for (int i = 0; i < 2000; i++) {
        char name[16];
        int n = snprintf(name, sizeof name, "S%04d", i);
        CHECK_RC(rh_key_add(h, k, name, (size_t)n, &c, NULL), 0);
        CHECK_RC(rh_value_set(h, c, "d", 1, RH_REG_BINARY, big, 1000), 0);
    }
    free(big);

    static const unsigned flags[] = {RH_EXPORT_UTF16, 0, RH_EXPORT_JSON};
    for (int f = 0; f < 3; f++) {
        sbuf want = {0};
        struct loan l = {0};
        CHECK_RC(rh_export(h, rh_hive_root(h), "HKEY_LOCAL_MACHINE\\T",
                           flags[f], collect, &want),
                 0);
        CHECK_RC(rh_export(h, rh_hive_root(h), "HKEY_LOCAL_MACHINE\\T",
                           flags[f] | RH_EXPORT_HOLD, hold, &l),
                 0);
        CHECK(want.n > (4u << 20)); /* several 1 MiB hand-overs */
        CHECK(l.calls > 4);
        CHECK(l.closed == 1 && l.after_close == 0 && l.changed == 0);
        CHECK(l.all.n == want.n && memcmp(l.all.p, want.p, want.n) == 0);
        sbuf_free(&want);
        sbuf_free(&l.all);
        free(l.copy);

        /* A write that fails stops the export; the loan is still closed. */
        struct loan e = {.fail_at = 3};
        CHECK_RC(rh_export(h, rh_hive_root(h), NULL, flags[f] | RH_EXPORT_HOLD,
                           hold, &e),
                 RH_ECANCEL);
        CHECK(e.calls == 3 && e.closed == 1 && e.after_close == 0);
        CHECK(e.changed == 0);
        sbuf_free(&e.all);
        free(e.copy);
    }
    rh_close(h);
    return T_DONE();
}
