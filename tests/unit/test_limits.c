/* Unit tests of resource limits: rh_limit_set / rh_limit_get (the depth
 * limit in every walker, the value size limit in the value readers, the
 * exporter and rh_value_set) and the bound on keys one subkey list may
 * yield.  Run from the repository root (reads a fuzz corpus file). */
#include "t.h"

#include "reghive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
sink(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

static void
count(void *ctx, rh_severity sev, uint64_t off, const char *msg)
{
    (void)sev;
    (void)off;
    (void)msg;
    (*(int *)ctx)++;
}

/* An index root naming one leaf of 3000 entries 3000 times (9 million
 * subkeys from a 32 KiB file): refused before the work is done. */
static void
ri_amplification(void)
{
    static uint8_t img[65536];
    FILE *f = fopen("fuzz/corpus/hive/regress-ri-repeated-leaf", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    size_t len = fread(img, 1, sizeof img, f);
    fclose(f);
    rh_hive *h;
    rh_key *subs = NULL;
    size_t n = 0, np = 0, nw = 0;
    int problems = 0;
    CHECK_RC(rh_open_mem(img, len, 0, &h), 0);
    CHECK_RC(rh_key_subkeys(h, rh_hive_root(h), &subs, &n), RH_ECORRUPT);
    CHECK(strstr(rh_errmsg(h), "more keys than the hive can hold") != NULL);
    CHECK_RC(rh_check(h, count, &problems, &np, &nw), RH_ECORRUPT);
    CHECK(np > 0 && np + nw < 10 && (size_t)problems == np + nw);
    rh_close(h);
}

/* A log entry (valid hashes) claiming 2 GiB of hive bins: recovery must
 * not build an image larger than the primary and its logs (it used to
 * allocate and zero 2 GiB). */
static void
log_growth(void)
{
    static uint8_t in[65536];
    FILE *f = fopen("fuzz/corpus/log/regress-bins-2gib", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    size_t len = fread(in, 1, sizeof in, f);
    fclose(f);
    CHECK(len > 8);
    size_t hn = (size_t)in[0] | (size_t)in[1] << 8 | (size_t)in[2] << 16;
    size_t n1 = (size_t)in[4] | (size_t)in[5] << 8 | (size_t)in[6] << 16;
    CHECK(8 + hn + n1 <= len);
    const void *logs[2] = {in + 8 + hn, in + 8 + hn + n1};
    size_t lens[2] = {n1, len - 8 - hn - n1};
    void *img = NULL;
    size_t outlen = 0;
    rh_recovery r;
    CHECK_RC(rh_recover_mem(in + 8, hn, logs, lens, NULL, 2, &img, &outlen, &r),
             0);
    CHECK(img == NULL || outlen <= len);
    CHECK(strstr(r.logs[0].note, "more than the primary and its logs") != NULL);
    free(img);
}

/* A big data value whose segment list names one 16 KiB segment 8000
 * times (130 MB of data from a 56 KiB file): refused, nothing allocated. */
static void
db_amplification(void)
{
    static uint8_t img[65536];
    FILE *f = fopen("fuzz/corpus/hive/regress-db-repeated-segment", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    size_t len = fread(img, 1, sizeof img, f), n;
    fclose(f);
    rh_hive *h;
    rh_value v;
    uint32_t type;
    void *d = NULL;
    CHECK_RC(rh_open_mem(img, len, 0, &h), 0);
    CHECK_RC(rh_key_value(h, rh_hive_root(h), "v", 1, &v), 0);
    CHECK_RC(rh_value_data(h, v, &type, &d, &n), RH_ECORRUPT);
    CHECK(strstr(rh_errmsg(h), "segments repeat") != NULL);
    rh_close(h);
}

int
main(void)
{
    ri_amplification();
    db_amplification();
    log_growth();
    rh_hive *h;
    rh_key k, keys[6];
    rh_value v;
    uint64_t lim;
    rh_stats st;
    CHECK_RC(rh_create(5, &h), 0);
    /* Defaults, and only tightening is allowed. */
    CHECK_RC(rh_limit_get(h, RH_LIMIT_DEPTH, &lim), 0);
    CHECK(lim == RH_MAX_DEPTH);
    CHECK_RC(rh_limit_get(h, RH_LIMIT_VALUE_SIZE, &lim), 0);
    CHECK(lim == RH_MAX_VALUE_SIZE);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, RH_MAX_DEPTH + 1), RH_EINVAL);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_VALUE_SIZE, RH_MAX_VALUE_SIZE + 1ull),
             RH_EINVAL);
    CHECK_RC(rh_limit_set(h, 99, 1), RH_EINVAL);
    CHECK_RC(rh_limit_get(h, 99, &lim), RH_EINVAL);

    /* A chain ROOT\a\a\a\a\a (depth 5) with a 20000-byte value (big data)
     * and a 10-byte one at the bottom. */
    k = rh_hive_root(h);
    for (int i = 0; i < 5; i++) {
        CHECK_RC(rh_key_add(h, k, "a", 1, &k, NULL), 0);
        keys[i] = k;
    }
    uint8_t *big = calloc(1, 20000);
    CHECK(big != NULL);
    CHECK_RC(rh_value_set(h, k, "big", 3, RH_REG_BINARY, big, 20000), 0);
    CHECK_RC(rh_value_set(h, k, "small", 5, RH_REG_BINARY, big, 10), 0);

    CHECK_RC(rh_hive_stats(h, &st), 0);
    CHECK(st.keys == 6);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, 5), 0);
    CHECK_RC(rh_hive_stats(h, &st), 0); /* exactly at the limit */
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, 4), 0);
    CHECK_RC(rh_limit_get(h, RH_LIMIT_DEPTH, &lim), 0);
    CHECK(lim == 4);
    CHECK_RC(rh_hive_stats(h, &st), RH_ERANGE);
    CHECK(strstr(rh_errmsg(h), "depth limit of 4") != NULL);
    CHECK_RC(rh_export(h, rh_hive_root(h), NULL, 0, sink, NULL), RH_ERANGE);
    CHECK_RC(rh_export(h, keys[0], NULL, 0, sink, NULL), 0); /* relative */
    char *path;
    size_t n;
    CHECK_RC(rh_key_path(h, keys[4], &path, &n), RH_ERANGE);
    CHECK_RC(rh_key_path(h, keys[3], &path, &n), 0);
    if (path)
        CHECK(strcmp(path, "a\\a\\a\\a") == 0);
    free(path);
    int problems = 0;
    size_t np = 0, nw = 0;
    CHECK_RC(rh_check(h, count, &problems, &np, &nw), RH_ECORRUPT);
    /* The cut (an error), then the cells of the skipped subtree as
     * unreferenced (warnings). */
    CHECK(np >= 1 && (size_t)problems == np + nw);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, 0), 0);
    CHECK_RC(
        rh_export(h, rh_hive_root(h), NULL, RH_EXPORT_NORECURSE, sink, NULL),
        0);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, RH_MAX_DEPTH), 0);
    CHECK_RC(rh_check(h, NULL, NULL, &np, &nw), 0);
    CHECK(np == 0 && nw == 0);

    /* Value size. */
    void *d;
    uint32_t type;
    uint8_t buf[64];
    CHECK_RC(rh_key_value(h, k, "big", 3, &v), 0);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_VALUE_SIZE, 16344), 0);
    CHECK_RC(rh_value_data(h, v, &type, &d, &n), RH_ERANGE);
    CHECK(strstr(rh_errmsg(h), "value size limit") != NULL);
    CHECK_RC(rh_value_type(h, v, &type, &n), 0); /* length only: allowed */
    CHECK(n == 20000);
    CHECK_RC(rh_export(h, rh_hive_root(h), NULL, 0, sink, NULL), RH_ERANGE);
    CHECK_RC(rh_value_set(h, k, "big2", 4, RH_REG_BINARY, big, 16345),
             RH_ERANGE);
    CHECK_RC(rh_value_set(h, k, "ok", 2, RH_REG_BINARY, big, 16344), 0);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_VALUE_SIZE, 9), 0);
    CHECK_RC(rh_key_value(h, k, "small", 5, &v), 0);
    CHECK_RC(rh_value_data_buf(h, v, &type, buf, sizeof buf, &n), RH_ERANGE);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_VALUE_SIZE, 10), 0);
    CHECK_RC(rh_value_data_buf(h, v, &type, buf, sizeof buf, &n), 0);
    CHECK(n == 10);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_VALUE_SIZE, RH_MAX_VALUE_SIZE), 0);
    CHECK_RC(rh_key_value(h, k, "big", 3, &v), 0);
    CHECK_RC(rh_value_data(h, v, &type, &d, &n), 0);
    CHECK(n == 20000);
    free(d);

    /* Delete walks to the format maximum whatever the limit: it must not
     * stop half way. */
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, 2), 0);
    CHECK_RC(rh_key_delete(h, keys[0]), 0);
    CHECK_RC(rh_limit_set(h, RH_LIMIT_DEPTH, RH_MAX_DEPTH), 0);
    CHECK_RC(rh_check(h, NULL, NULL, &np, &nw), 0);
    CHECK(np == 0 && nw == 0);
    CHECK_RC(rh_hive_stats(h, &st), 0);
    CHECK(st.keys == 1);
    free(big);
    rh_close(h);
    return T_DONE();
}
