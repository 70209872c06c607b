/*
 * test_door.c - every write into a cell reaches the disk: after each edit
 * and in-place commit (through the transaction log, writing only the
 * pages marked changed), the file holds exactly the image in memory.  A
 * write that bypasses the one door (cell_mut) leaves its page unmarked,
 * and the file then differs from the image.  Two cases: a cross-hive copy
 * whose relinked security cells lie in a page nothing else touches, and a
 * seeded sequence of random edits, copies between the two hives in both
 * directions included.
 */
#include "alloc.h"
#include "reg.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

/* A new hive whose root security descriptor differs from the default one
 * when variant != 0 (the SYSTEM ACE's access mask): copies between hives
 * of different variants must add and link sk cells. */
static rh_hive *
hive_variant(unsigned variant)
{
    rh_hive *h = NULL, *o = NULL;
    const void *img;
    size_t len;
    rh_key_stat st;
    CHECK_RC(rh_create(5, &h), 0);
    if (variant == 0)
        return h;
    rh_image(h, &img, &len);
    rh_key_stat_get(h, rh_hive_root(h), &st);
    uint8_t *b = malloc(len);
    memcpy(b, img, len);
    /* default_sd: header 20, owner 16, group 12, ACL header 8, then the
     * SYSTEM ACE whose mask is at byte 4 of it. */
    size_t at = BASE_SIZE + st.security + 4 + SK_SD + 20 + 16 + 12 + 8 + 4;
    wr_u32(b + at, 0x000F003Fu ^ variant);
    CHECK_RC(rh_open_mem(b, len, RH_OPEN_WRITE, &o), 0);
    free(b);
    rh_close(h);
    return o;
}

/* Does the file at path hold exactly h's image (base block and bins)? */
static int
disk_equals_image(rh_hive *h, const char *path)
{
    const void *img;
    size_t len;
    rh_image(h, &img, &len);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t *b = malloc(len);
    size_t got = fread(b, 1, len, f);
    fclose(f);
    int same = got == len && memcmp(b, img, len) == 0;
    if (!same && got == len)
        for (size_t i = 0; i < len; i++)
            if (b[i] != ((const uint8_t *)img)[i]) {
                fprintf(stderr, "%s: first difference at file offset 0x%zx\n",
                        path, i);
                break;
            }
    free(b);
    return same;
}

static int
clean(rh_hive *h)
{
    size_t ne = 0, nw = 0;
    int rc = rh_check(h, NULL, NULL, &ne, &nw);
    if (rc != 0 || ne != 0 || nw != 0)
        fprintf(stderr, "check: %d, %zu errors, %zu warnings: %s\n", rc, ne, nw,
                rh_errmsg(h));
    return rc == 0 && ne == 0 && nw == 0;
}

static int
put(void *ctx, const void *buf, size_t len)
{
    sbuf_put(ctx, buf, len);
    return 0;
}

/* The whole tree as JSON lines (names, classes, values, timestamps). */
static char *
tree(rh_hive *h)
{
    sbuf b = {0};
    CHECK_RC(rh_export(h, rh_hive_root(h), NULL, RH_EXPORT_JSON, put, &b), 0);
    sbuf_putc(&b, 0);
    return (char *)b.p;
}

/* Commit h to path (a new file), close it and open that file to edit. */
static rh_hive *
to_file(rh_hive *h, const char *path)
{
    rh_hive *o = NULL;
    CHECK_RC(rh_commit(h, path, 0), 0);
    rh_close(h);
    CHECK_RC(rh_open(path, RH_OPEN_WRITE, &o), 0);
    return o;
}

/* The defect of issue 12: copy.c wrote the destination's existing sk
 * cells (the list head's blink, the tail's flink) without marking their
 * page, so the in-place commit left the old links on disk. */
static void
cross_copy(void)
{
    char path[96];
    snprintf(path, sizeof path, "%s/dst.hiv", dir);
    rh_hive *s = hive_variant(7), *d = hive_variant(0);
    rh_key src, dst, k, out;
    rh_key_stat st;
    CHECK_RC(rh_key_create_path(s, "Src\\Sub", &k, NULL), 0);
    CHECK_RC(rh_value_set(s, k, "v", 1, RH_REG_DWORD, "\1\0\0\0", 4), 0);
    CHECK_RC(rh_key_lookup(s, "Src", &src), 0);
    /* Fill the first page (root key and its sk) exactly, with a value
     * whose data, vk and value list take its free cell, so that the
     * destination key and every cell the copy allocates lie in later
     * pages. */
    const void *img;
    size_t len;
    rh_image(d, &img, &len);
    span bins = {(const uint8_t *)img + BASE_SIZE, len - BASE_SIZE};
    uint32_t c = HBIN_HDR, fsz = 0;
    while (c < HBIN_PAGE) {
        int32_t sz = (int32_t)rd_u32(bins, c);
        fsz = sz > 0 ? (uint32_t)sz : 0;
        c += sz > 0 ? (uint32_t)sz : (uint32_t)-sz;
    }
    /* vk named "f": 24 + 8 bytes; value list: 8; data: the rest */
    static uint8_t fill[HBIN_PAGE];
    CHECK(fsz > 100);
    CHECK_RC(rh_value_set(d, rh_hive_root(d), "f", 1, RH_REG_BINARY, fill,
                          fsz - 32 - 8 - 4),
             0);
    CHECK_RC(rh_key_create_path(d, "Dst", &dst, NULL), 0);
    rh_key_stat_get(d, rh_hive_root(d), &st);
    CHECK(st.security / HBIN_PAGE == 0 && dst / HBIN_PAGE != 0);
    d = to_file(d, path);
    CHECK_RC(rh_key_lookup(d, "Dst", &dst), 0);
    CHECK_RC(rh_key_copy(s, src, d, dst, NULL, RH_COPY_SUBKEYS, &out), 0);
    rh_key_stat_get(d, out, &st);
    CHECK(st.security / HBIN_PAGE != 0); /* a new sk, linked to page 0's */
    CHECK(clean(d));
    char *want = tree(d);
    CHECK_RC(rh_commit(d, NULL, 0), 0);
    CHECK(disk_equals_image(d, path));
    rh_close(d);
    CHECK_RC(rh_open(path, 0, &d), 0);
    CHECK(clean(d));
    char *got = tree(d);
    CHECK(strcmp(got, want) == 0);
    free(got);
    free(want);
    rh_close(d);
    rh_close(s);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t
rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11) % n;
}

/* A random key of h, nearer the root more often; the root when
 * allow_root, else 0 when h has no other key. */
static rh_key
pick(rh_hive *h, int allow_root)
{
    rh_key k = rh_hive_root(h);
    for (int d = 0; d < 6; d++) {
        rh_key *kids = NULL;
        size_t n = 0;
        if (rh_key_subkeys(h, k, &kids, &n) < 0 || n == 0) {
            free(kids);
            break;
        }
        rh_key next = kids[rnd((uint32_t)n)];
        free(kids);
        if (d > 0 && rnd(3) == 0)
            break;
        k = next;
    }
    return k != rh_hive_root(h) || allow_root ? k : 0;
}

static uint8_t data[40000 + 100]; /* sizes[] up to 40000 at offsets < 100 */

/* One random edit of h (o: the other hive, c: a third source). */
static void
edit(rh_hive *h, rh_hive *o, rh_hive *c)
{
    char name[16];
    int n = snprintf(name, sizeof name, "n%u", rnd(40));
    rh_key k = pick(h, 1), x;
    rh_value *vals = NULL;
    size_t nv = 0;
    int rc = 0;
    static const size_t sizes[] = {0, 4, 40, 900, 5000, 20000, 40000};
    switch (rnd(9)) {
    case 0:
    case 1:
        rc = rh_key_add(h, k, name, (size_t)n, &x, NULL);
        break;
    case 2:
        rc = rh_value_set(h, k, name, (size_t)n, RH_REG_BINARY, data + rnd(100),
                          sizes[rnd(7)]);
        break;
    case 3:
        if (rh_key_values(h, k, &vals, &nv) == 0 && nv) {
            char *vn = NULL;
            size_t vl = 0;
            if (rh_value_name(h, vals[rnd((uint32_t)nv)], &vn, &vl) == 0)
                rc = rh_value_delete(h, k, vn, vl);
            free(vn);
        }
        free(vals);
        break;
    case 4:
        if ((k = pick(h, 0)) != 0)
            rc = rh_key_delete(h, k);
        break;
    case 5: { /* between hives, either direction over the run */
        rh_hive *s = rnd(3) ? o : c;
        rh_key from = pick(s, 0);
        if (from)
            rc = rh_key_copy(s, from, h, k, rnd(2) ? name : NULL,
                             RH_COPY_SUBKEYS | RH_COPY_REPLACE, NULL);
        break;
    }
    case 6: {
        rh_key from = pick(o, 1);
        rc = rh_key_copy_into(o, from, h, k,
                              RH_COPY_SUBKEYS | (rnd(2) ? RH_COPY_REPLACE : 0u),
                              NULL);
        break;
    }
    case 7:
        if ((k = pick(h, 0)) != 0)
            rc = rh_key_rename(h, k, name, (size_t)n, NULL);
        break;
    case 8:
        if (rnd(2)) {
            rh_key from = pick(h, 0);
            if (from)
                rc = rh_key_copy(h, from, h, k, name,
                                 RH_COPY_SUBKEYS | RH_COPY_REPLACE, NULL);
        } else {
            rc = rh_key_set_class(h, k, rnd(2) ? name : NULL,
                                  rnd(2) ? (size_t)n : 0);
        }
        break;
    }
    /* Refusals (a name taken, a copy into its own subtree) are fine;
     * a damaged hive is not. */
    if (rc == RH_ECORRUPT || rc == RH_ENOMEM || rc == RH_EIO)
        fprintf(stderr, "edit: %d %s\n", rc, rh_errmsg(h));
    CHECK(rc != RH_ECORRUPT && rc != RH_ENOMEM && rc != RH_EIO);
}

static void
random_edits(void)
{
    char pa[96], pb[96];
    snprintf(pa, sizeof pa, "%s/a.hiv", dir);
    snprintf(pb, sizeof pb, "%s/b.hiv", dir);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13 + (i >> 8));
    rh_hive *h[2] = {hive_variant(0), hive_variant(3)}, *c = hive_variant(5);
    const char *path[2] = {pa, pb};
    rh_key k;
    CHECK_RC(rh_key_create_path(c, "C1\\C2\\C3", &k, NULL), 0);
    CHECK_RC(rh_value_set(c, k, "d", 1, RH_REG_BINARY, data, 300), 0);
    for (int i = 0; i < 2; i++) {
        CHECK_RC(rh_key_create_path(h[i], "Top\\Mid\\Low", &k, NULL), 0);
        h[i] = to_file(h[i], path[i]);
    }
    size_t commits = 0, mismatches = 0;
    for (int step = 0; step < 240; step++) {
        int i = (int)rnd(2);
        edit(h[i], h[!i], c);
        if (step % 60 == 59)
            CHECK_RC(rh_compact(h[i]), 0); /* the next commit rewrites */
        CHECK_RC(rh_commit(h[i], NULL, 0), 0);
        commits++;
        if (!disk_equals_image(h[i], path[i])) {
            mismatches++;
            fprintf(stderr, "step %d: hive %d differs from the file\n", step,
                    i);
        }
        if (step % 40 == 39) { /* and the file stands on its own */
            CHECK(clean(h[i]));
            rh_close(h[i]);
            CHECK_RC(rh_open(path[i], RH_OPEN_WRITE, &h[i]), 0);
            CHECK(clean(h[i]));
        }
    }
    CHECK(mismatches == 0);
    CHECK(commits == 240);
    for (int i = 0; i < 2; i++) {
        CHECK(clean(h[i]));
        rh_close(h[i]);
    }
    rh_close(c);
}

int
main(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/rh-door-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    cross_copy();
    random_edits();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!getenv("KEEP") && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return T_DONE();
}
