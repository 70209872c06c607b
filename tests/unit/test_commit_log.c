/* Unit tests of in-place commits: after every commit of a series (adds,
 * big values that grow the bins, deletes, renames) the file equals the
 * in-memory image (so every write path marked its pages dirty); the log
 * written is parsed back by log_scan and replayed by log_recover onto the
 * old primary made dirty as the commit makes it, and the result equals
 * the committed file; LOG1 and LOG2 alternate at the size limit; a
 * rewrite (RH_COMMIT_REWRITE, rh_open_mem) writes no log. */
#include "t.h"

#include "alloc.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t *
slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    *n = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc(len > 0 ? (size_t)len : 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p)
        *n = (size_t)len;
    return p;
}

static char dir[64], hpath[128], l1[128], l2[128];

/* Does the file equal the hive's image? */
static int
file_is_image(rh_hive *h)
{
    const void *img;
    size_t ilen, flen;
    rh_image(h, &img, &ilen);
    uint8_t *f = slurp(hpath, &flen);
    int ok = f && flen == ilen && memcmp(f, img, ilen) == 0;
    free(f);
    return ok;
}

/* Replay the logs onto old (the primary before the commit) made dirty as
 * the commit's first base block write makes it; compare with the file. */
static void
check_replay(const uint8_t *old, size_t oldlen, int *which)
{
    size_t n1, n2, flen, outlen;
    uint8_t *a = slurp(l1, &n1), *b = slurp(l2, &n2), *f = slurp(hpath, &flen);
    uint32_t s0[2] = {0, 0}, ne[2] = {0, 0}, last[2] = {0, 0};
    size_t end[2];
    int v[2] = {
        a && log_scan((span){a, n1}, &s0[0], &ne[0], &last[0], &end[0]) == 0,
        b && log_scan((span){b, n2}, &s0[1], &ne[1], &last[1], &end[1]) == 0};
    span fs = {f, flen};
    uint32_t s = rd_u32(fs, BASE_SEQ1), p = rd_u32((span){old, oldlen}, 0x4);
    CHECK(s == p + 1 && rd_u32(fs, BASE_SEQ2) == s);
    /* Exactly one log holds the new entry, last in its chain. */
    int x = v[0] && ne[0] && last[0] == s ? 0 : 1;
    CHECK(v[x] && ne[x] > 0 && last[x] == s && s0[x] + ne[x] - 1 == s);
    CHECK(!v[!x] || !(ne[!x] && last[!x] == s));
    *which = x;
    uint8_t *d = malloc(oldlen);
    memcpy(d, old, oldlen);
    wr_u32(d + BASE_SEQ1, s);
    wr_u32(d + BASE_SEQ2, s0[x] == s ? p : s0[x]);
    wr_u32(d + BASE_CHECKSUM, base_checksum(d));
    log_src src[2] = {{a, n1, "LOG1"}, {b, n2, "LOG2"}};
    uint8_t *out = NULL;
    rh_recovery rep;
    CHECK_RC(log_recover((span){d, oldlen}, src, 2, &out, &outlen, &rep), 0);
    CHECK(out != NULL && rep.final_seq == s);
    if (out) {
        span os = {out, outlen};
        uint32_t bins = rd_u32(os, BASE_BINS_SIZE);
        CHECK(bins == rd_u32(fs, BASE_BINS_SIZE));
        CHECK(outlen >= BASE_SIZE + (size_t)bins &&
              flen >= BASE_SIZE + (size_t)bins &&
              memcmp(out + BASE_SIZE, f + BASE_SIZE, bins) == 0);
        CHECK(rd_u32(os, BASE_ROOT) == rd_u32(fs, BASE_ROOT));
    }
    free(out);
    free(d);
    free(a);
    free(b);
    free(f);
}

int
main(void)
{
    rh_hive *h;
    rh_key k;
    strcpy(dir, "/tmp/rh_commit_log_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(hpath, sizeof hpath, "%s/HIVE", dir);
    snprintf(l1, sizeof l1, "%s/HIVE.LOG1", dir);
    snprintf(l2, sizeof l2, "%s/HIVE.LOG2", dir);
    setenv("RH_TEST_LOG_LIMIT", "40000", 1);

    CHECK_RC(rh_create(0, &h), 0);
    CHECK_RC(rh_key_create_path(h, "Software\\Base", &k, NULL), 0);
    CHECK_RC(rh_commit(h, hpath, 0), 0); /* new file: rewrite */
    CHECK(access(l1, F_OK) != 0 && access(l2, F_OK) != 0);
    rh_close(h);

    CHECK_RC(rh_open(hpath, RH_OPEN_WRITE, &h), 0);
    int used[2] = {0, 0}, switches = 0, prev = -1;
    for (int i = 0; i < 40; i++) {
        char name[64];
        uint8_t big[9000];
        size_t oldlen;
        uint8_t *old = slurp(hpath, &oldlen);
        snprintf(name, sizeof name, "Software\\K%02d\\Sub", i);
        CHECK_RC(rh_key_create_path(h, name, &k, NULL), 0);
        memset(big, 'a' + i % 26, sizeof big);
        size_t blen = i % 5 == 0 ? sizeof big : (size_t)(10 + i);
        CHECK_RC(rh_value_set(h, k, "v", 1, 3, big, blen), 0);
        if (i % 7 == 6) {
            rh_key d;
            snprintf(name, sizeof name, "Software\\K%02d", i - 3);
            CHECK_RC(rh_key_lookup(h, name, &d), 0);
            CHECK_RC(rh_key_delete(h, d), 0);
        }
        if (i % 9 == 8) {
            rh_key r;
            snprintf(name, sizeof name, "Software\\K%02d", i - 1);
            CHECK_RC(rh_key_lookup(h, name, &r), 0);
            snprintf(name, sizeof name, "Renamed%02d", i);
            CHECK_RC(rh_key_rename(h, r, name, strlen(name), NULL), 0);
        }
        CHECK_RC(rh_commit(h, NULL, 0), 0);
        CHECK(file_is_image(h));
        int x = -1;
        check_replay(old, oldlen, &x);
        if (x >= 0) {
            used[x]++;
            switches += prev >= 0 && x != prev;
            prev = x;
        }
        free(old);
    }
    CHECK(used[0] > 0 && used[1] > 0 && switches >= 2);
    CHECK_RC(rh_check(h, NULL, NULL, NULL, NULL), 0);
    rh_close(h);

    /* A new process continues the chain of the last log. */
    CHECK_RC(rh_open(hpath, RH_OPEN_WRITE, &h), 0);
    {
        size_t oldlen;
        uint8_t *old = slurp(hpath, &oldlen);
        CHECK_RC(rh_key_create_path(h, "Software\\Again", &k, NULL), 0);
        CHECK_RC(rh_commit(h, NULL, 0), 0);
        CHECK(file_is_image(h));
        int x = -1;
        check_replay(old, oldlen, &x);
        CHECK(x == prev);
        free(old);
    }
    /* RH_COMMIT_REWRITE: a new file; the logs stay as they are. */
    {
        size_t n1, n2, m1, m2;
        uint8_t *a = slurp(l1, &n1), *b = slurp(l2, &n2);
        struct stat s1, s2;
        stat(hpath, &s1);
        CHECK_RC(rh_key_create_path(h, "Software\\Rewritten", &k, NULL), 0);
        CHECK_RC(rh_commit(h, NULL, RH_COMMIT_REWRITE), 0);
        stat(hpath, &s2);
        CHECK(s1.st_ino != s2.st_ino);
        CHECK(file_is_image(h));
        uint8_t *c = slurp(l1, &m1), *d = slurp(l2, &m2);
        CHECK(m1 == n1 && m2 == n2 && memcmp(a, c, n1) == 0 &&
              memcmp(b, d, n2) == 0);
        free(a);
        free(b);
        free(c);
        free(d);
        /* and the next commit is in place again, in a fresh log */
        size_t oldlen;
        uint8_t *old = slurp(hpath, &oldlen);
        CHECK_RC(rh_key_create_path(h, "Software\\InPlace", &k, NULL), 0);
        CHECK_RC(rh_commit(h, NULL, 0), 0);
        stat(hpath, &s1);
        CHECK(s1.st_ino == s2.st_ino);
        CHECK(file_is_image(h));
        int x = -1;
        check_replay(old, oldlen, &x);
        free(old);
    }
    rh_close(h);

    /* rh_open_mem: no file of its own, so the commit rewrites. */
    {
        size_t n;
        uint8_t *img = slurp(hpath, &n);
        char other[160];
        snprintf(other, sizeof other, "%s/MEM", dir);
        CHECK_RC(rh_open_mem(img, n, RH_OPEN_WRITE, &h), 0);
        CHECK_RC(rh_key_create_path(h, "Software\\Mem", &k, NULL), 0);
        CHECK_RC(rh_commit(h, other, 0), 0);
        snprintf(other, sizeof other, "%s/MEM.LOG1", dir);
        CHECK(access(other, F_OK) != 0);
        rh_close(h);
        free(img);
    }

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return T_DONE();
}
