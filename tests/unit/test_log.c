/* Unit tests: Marvin32, new- and old-format log replay on a synthetic
 * hive, and the cases that must not apply (clean, stale, bad hash,
 * truncated, out of bounds).  RH_WRITE_FUZZ_SEED=path writes a seed for
 * fuzz/log_fuzz.c (hive + two logs in its framing). */
#include "t.h"

#include "hive.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define BINS 0x1000u

static uint32_t
cksum(const uint8_t *b)
{
    uint32_t x = 0;
    for (int i = 0; i < 508; i += 4)
        x ^= (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 |
             (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
    return x == 0 ? 1 : x == 0xFFFFFFFFu ? 0xFFFFFFFEu : x;
}

/* Base block + one 4 KB bin holding a root nk and a free cell. */
static uint8_t *
make_hive(uint32_t seq1, uint32_t seq2, size_t *len)
{
    uint8_t *h = calloc(1, BASE_SIZE + BINS);
    memcpy(h, "regf", 4);
    wr_u32(h + BASE_SEQ1, seq1);
    wr_u32(h + BASE_SEQ2, seq2);
    wr_u32(h + BASE_MAJOR, 1);
    wr_u32(h + BASE_MINOR, 3);
    wr_u32(h + BASE_FORMAT, 1);
    wr_u32(h + BASE_ROOT, 0x20);
    wr_u32(h + BASE_BINS_SIZE, BINS);
    wr_u32(h + BASE_CLUSTER, 1);
    wr_u32(h + BASE_CHECKSUM, cksum(h));
    uint8_t *b = h + BASE_SIZE;
    memcpy(b, "hbin", 4);
    wr_u32(b + HBIN_SIZE, BINS);
    wr_u32(b + 0x20, (uint32_t)-0x60);
    memcpy(b + 0x24, "nk", 2);
    wr_u32(b + 0x80, BINS - 0x80);
    *len = BASE_SIZE + BINS;
    return h;
}

/* New-format log with base seq `seq` and n entries seq, seq+1, ...; entry
 * k rewrites the bin with byte 0x100 set to 0xA0+k. */
static uint8_t *
make_new_log(const uint8_t *hive, uint32_t seq, int n, size_t *len)
{
    size_t esz = (HVLE_HDR + 8 + BINS + 511) & ~(size_t)511;
    uint8_t *l = calloc(1, 512 + (size_t)n * esz);
    memcpy(l, hive, 512);
    wr_u32(l + BASE_SEQ1, seq);
    wr_u32(l + BASE_SEQ2, seq);
    wr_u32(l + BASE_TYPE, LOG_TYPE_NEW);
    wr_u32(l + BASE_CHECKSUM, cksum(l));
    for (int k = 0; k < n; k++) {
        uint8_t *e = l + 512 + (size_t)k * esz;
        memcpy(e, "HvLE", 4);
        wr_u32(e + HVLE_SIZE, (uint32_t)esz);
        wr_u32(e + HVLE_SEQ, seq + (uint32_t)k);
        wr_u32(e + HVLE_BINS_SIZE, BINS);
        wr_u32(e + HVLE_NPAGES, 1);
        wr_u32(e + HVLE_HDR, 0);
        wr_u32(e + HVLE_HDR + 4, BINS);
        memcpy(e + HVLE_HDR + 8, hive + BASE_SIZE, BINS);
        e[HVLE_HDR + 8 + 0x100] = (uint8_t)(0xA0 + k);
        wr_u64(e + HVLE_HASH1,
               marvin32(e + HVLE_HDR, esz - HVLE_HDR, MARVIN_SEED));
        wr_u64(e + HVLE_HASH2, marvin32(e, 32, MARVIN_SEED));
    }
    *len = 512 + (size_t)n * esz;
    return l;
}

static void
test_marvin(void)
{
    uint8_t b[32];
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    CHECK(marvin32(b, 0, MARVIN_SEED) == 0xb39efca403966e08ull);
    CHECK(marvin32((const uint8_t *)"abc", 3, MARVIN_SEED) ==
          0xb9cf3dfca41914f7ull);
    CHECK(marvin32((const uint8_t *)"abcdefg", 7, MARVIN_SEED) ==
          0x0c00597ac6bf45f2ull);
    CHECK(marvin32(b, 32, MARVIN_SEED) == 0xc64feee425c2e24cull);
}

static int
recover(const uint8_t *h, size_t hn, const uint8_t *l1, size_t n1,
        const uint8_t *l2, size_t n2, uint8_t **img, size_t *len,
        rh_recovery *r)
{
    log_src s[2] = {{l1, n1, "L1"}, {l2, n2, "L2"}};
    span f = {h, hn};
    return log_recover(f, s, l2 ? 2 : 1, img, len, r);
}

static void
test_new(void)
{
    size_t hn, n1, n2, len;
    uint8_t *img;
    rh_recovery r;
    uint8_t *h = make_hive(8, 7, &hn);
    uint8_t *l1 = make_new_log(h, 7, 2, &n1);  /* 7, 8 */
    uint8_t *l2 = make_new_log(h, 9, 3, &n2);  /* 9, 10, 11 */
    uint8_t *old = make_new_log(h, 3, 1, &n1); /* stale */
    free(old);
    l1 = (free(l1), make_new_log(h, 7, 2, &n1));

    CHECK_RC(recover(h, hn, l2, n2, l1, n1, &img, &len, &r), 0);
    CHECK(img && r.applied && r.entries == 5 && r.final_seq == 11);
    if (img) {
        span s = {img, len};
        CHECK(rd_u32(s, BASE_SEQ1) == 11 && rd_u32(s, BASE_SEQ2) == 11);
        CHECK(rd_u32(s, BASE_CHECKSUM) == cksum(img));
        CHECK(img[BASE_SIZE + 0x100] == 0xA2); /* last entry of L2 */
        rh_hive *hv;
        CHECK_RC(rh_open_mem(img, len, 0, &hv), 0);
        rh_close(hv);
        free(img);
    }
    /* Clean primary: nothing replayed. */
    wr_u32(h + BASE_SEQ1, 7);
    wr_u32(h + BASE_CHECKSUM, cksum(h));
    CHECK_RC(recover(h, hn, l1, n1, l2, n2, &img, &len, &r), 0);
    CHECK(!img && !r.dirty && !r.applied);
    /* Primary wants seq 10: L1 stale, L2 starts at 9 >= 10? no: stale. */
    wr_u32(h + BASE_SEQ1, 11);
    wr_u32(h + BASE_SEQ2, 10);
    wr_u32(h + BASE_CHECKSUM, cksum(h));
    CHECK_RC(recover(h, hn, l1, n1, l2, n2, &img, &len, &r), 0);
    CHECK(!img && r.dirty && !r.applied);
    /* Back to 8/7; a bad hash in L1's second entry: L1 gives 1 entry and
     * L2 (starting at 9) is not consecutive. */
    wr_u32(h + BASE_SEQ1, 8);
    wr_u32(h + BASE_SEQ2, 7);
    wr_u32(h + BASE_CHECKSUM, cksum(h));
    size_t esz = (n1 - 512) / 2;
    l1[512 + esz + 0x300] ^= 1;
    CHECK_RC(recover(h, hn, l1, n1, l2, n2, &img, &len, &r), 0);
    CHECK(img && r.entries == 1 && r.final_seq == 7);
    CHECK(r.logs[0].applied == 1 && r.logs[1].applied == 0);
    free(img);
    l1[512 + esz + 0x300] ^= 1;
    /* Truncated first entry: nothing at all. */
    CHECK_RC(recover(h, hn, l1, 600, l2, n2, &img, &len, &r), 0);
    CHECK(!img && !r.applied);
    /* A page outside the bins (hashes recomputed). */
    uint8_t *e = l1 + 512;
    wr_u32(e + HVLE_HDR, BINS);
    wr_u64(e + HVLE_HASH1, marvin32(e + HVLE_HDR, esz - HVLE_HDR, MARVIN_SEED));
    wr_u64(e + HVLE_HASH2, marvin32(e, 32, MARVIN_SEED));
    CHECK_RC(recover(h, hn, l1, n1, NULL, 0, &img, &len, &r), 0);
    CHECK(!img && strstr(r.logs[0].note, "outside") != NULL);
    /* Bad primary checksum: only the newest log, base block from it. */
    wr_u32(h + BASE_CHECKSUM, 0);
    CHECK_RC(recover(h, hn, l1, n1, l2, n2, &img, &len, &r), 0);
    CHECK(img && r.base_from_log && r.entries == 3 && r.final_seq == 11);
    free(img);

    const char *seed = getenv("RH_WRITE_FUZZ_SEED");
    if (seed) {
        FILE *f = fopen(seed, "wb");
        wr_u32(h + BASE_CHECKSUM, cksum(h));
        free(l1);
        l1 = make_new_log(h, 7, 2, &n1);
        uint8_t hdr[8];
        wr_u32(hdr, (uint32_t)hn);
        wr_u32(hdr + 4, (uint32_t)n1);
        fwrite(hdr, 1, 8, f);
        fwrite(h, 1, hn, f);
        fwrite(l1, 1, n1, f);
        fwrite(l2, 1, n2, f);
        fclose(f);
    }
    free(h);
    free(l1);
    free(l2);
}

static void
test_old(void)
{
    size_t hn, len;
    uint8_t *img;
    rh_recovery r;
    uint8_t *h = make_hive(5, 4, &hn);
    size_t ln = 512 + 512 + 512;
    uint8_t *l = calloc(1, ln);
    wr_u32(h + BASE_TIME, 10); /* the log's copy of it must be equal */
    wr_u32(h + BASE_CHECKSUM, cksum(h));
    memcpy(l, h, 512);
    wr_u32(l + BASE_SEQ2, 5);
    wr_u32(l + BASE_TYPE, LOG_TYPE_OLD);
    wr_u32(l + BASE_CHECKSUM, cksum(l));
    memcpy(l + 512, "DIRT", 4);
    l[516] = 0x02; /* second 512-byte page of the bins */
    memcpy(l + 1024, h + BASE_SIZE + 512, 512);
    l[1024 + 8] = 0xEE;
    CHECK_RC(recover(h, hn, l, ln, NULL, 0, &img, &len, &r), 0);
    CHECK(img && r.pages == 1 && r.final_seq == 5);
    if (img) {
        CHECK(img[BASE_SIZE + 512 + 8] == 0xEE);
        free(img);
    }
    /* Truncated: the page is missing. */
    CHECK_RC(recover(h, hn, l, 1024, NULL, 0, &img, &len, &r), 0);
    CHECK(!img && strstr(r.logs[0].note, "truncated") != NULL);
    /* Another timestamp than the primary's, older or newer: the log of
     * another hive (Windows wants them equal; yarp took any log not
     * older than the primary). */
    for (uint32_t t = 9; t <= 11; t += 2) {
        wr_u32(h + BASE_TIME, t);
        wr_u32(h + BASE_CHECKSUM, cksum(h));
        CHECK_RC(recover(h, hn, l, ln, NULL, 0, &img, &len, &r), 0);
        CHECK(!img && r.logs[0].foreign &&
              strstr(r.logs[0].note,
                     "belongs to another hive: its "
                     "last-written timestamp 0xa is not") != NULL);
        CHECK(strstr(r.status, "(L1 belongs to another hive)") != NULL);
    }
    /* Bad log checksum. */
    wr_u32(h + BASE_TIME, 10);
    wr_u32(h + BASE_CHECKSUM, cksum(h));
    l[100] ^= 1;
    CHECK_RC(recover(h, hn, l, ln, NULL, 0, &img, &len, &r), 0);
    CHECK(!img && r.logs[0].format == RH_LOG_UNUSABLE);
    free(l);
    free(h);
}

/* Set the base block identity fields of b: GUIDs (rmtm), name. */
static void
set_ident(uint8_t *b, uint8_t guid, const char *name)
{
    memset(b + BASE_RMID, 0, 0x90 - BASE_RMID);
    memset(b + BASE_TMID, 0, BASE_GUID_SIZE);
    memset(b + BASE_NAME, 0, BASE_NAME_SIZE);
    if (guid) {
        memset(b + BASE_RMID, guid, BASE_GUID_SIZE);
        memset(b + BASE_LOGID, guid, BASE_GUID_SIZE);
        memset(b + BASE_TMID, (uint8_t)(guid + 1), BASE_GUID_SIZE);
        memcpy(b + BASE_GUID_SIG, "rmtm", 4);
    }
    for (size_t i = 0; name && name[i] && i < 31; i++)
        b[BASE_NAME + 2 * i] = (uint8_t)name[i];
    wr_u32(b + BASE_CHECKSUM, cksum(b));
}

/* Recover h with l1 (and l2); 1 if l1 was applied, 0 if it was found to
 * belong to another hive with "what" in the note, -1 otherwise. */
static int
applies(const uint8_t *h, size_t hn, const uint8_t *l1, size_t n1,
        const uint8_t *l2, size_t n2, const char *what)
{
    uint8_t *img;
    size_t len;
    rh_recovery r;
    if (recover(h, hn, l1, n1, l2, n2, &img, &len, &r) < 0)
        return -1;
    free(img);
    if (img && r.logs[0].applied && !r.logs[0].foreign)
        return 1;
    if (!r.logs[0].applied && r.logs[0].foreign &&
        strstr(r.logs[0].note, "belongs to another hive") &&
        strstr(r.logs[0].note, what))
        return 0;
    fprintf(stderr, "note: %s; status: %s\n", r.logs[0].note, r.status);
    return -1;
}

/* log_belongs: the last-written timestamp (Windows' rule; the first bin's
 * when the primary base block is invalid), the GUIDs when both have them,
 * the file name case-insensitively; a log of another hive is flagged and
 * never applied, the other log still is. */
static void
test_belongs(void)
{
    size_t hn, n1, n2;
    uint8_t *h = make_hive(8, 7, &hn);
    set_ident(h, 0x41, "\\??\\C:\\Users\\A\\ntuser.dat");
    uint8_t *l = make_new_log(h, 7, 2, &n1);
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1);

    /* The timestamp: any difference. */
    wr_u32(l + BASE_TIME, 1);
    wr_u32(l + BASE_CHECKSUM, cksum(l));
    CHECK(applies(h, hn, l, n1, NULL, 0,
                  "timestamp 0x1 is not the "
                  "primary's 0x0") == 0);
    wr_u32(l + BASE_TIME, 0);

    /* Each GUID. */
    static const size_t goff[3] = {BASE_RMID, BASE_LOGID, BASE_TMID};
    static const char *const gname[3] = {"RmId {", "LogId {", "TmId {"};
    for (int g = 0; g < 3; g++) {
        l[goff[g] + 15] ^= 0x80;
        wr_u32(l + BASE_CHECKSUM, cksum(l));
        CHECK(applies(h, hn, l, n1, NULL, 0, gname[g]) == 0);
        l[goff[g] + 15] ^= 0x80;
    }
    /* Without "rmtm" on one side the GUIDs are not compared (garbage when
     * RmId is null: msuhanov/regf note 7). */
    set_ident(l, 0, "\\??\\C:\\Users\\A\\ntuser.dat");
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1);
    set_ident(l, 0x42, "\\??\\C:\\Users\\A\\ntuser.dat");
    l[BASE_GUID_SIG] = 'x';
    wr_u32(l + BASE_CHECKSUM, cksum(l));
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1);

    /* The file name: case does not matter, the path does. */
    set_ident(l, 0x41, "\\??\\C:\\USERS\\a\\NTUSER.DAT");
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1);
    set_ident(l, 0x41, "\\??\\C:\\Users\\B\\ntuser.dat");
    CHECK(applies(h, hn, l, n1, NULL, 0,
                  "file name \"\\??\\C:\\Users\\B\\ntuser.dat\" "
                  "is not the primary's \"\\??\\C:\\Users\\A") == 0);
    set_ident(l, 0x41, NULL); /* no name: nothing to compare */
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1);

    /* One log of two is another hive's: the other still applies. */
    uint8_t *l2 = make_new_log(h, 9, 3, &n2);
    set_ident(l, 0x41, "\\??\\C:\\Users\\A\\ntuser.dat");
    set_ident(l2, 0x43, "\\??\\C:\\Users\\A\\ntuser.dat");
    {
        uint8_t *img;
        size_t len;
        rh_recovery r;
        CHECK_RC(recover(h, hn, l, n1, l2, n2, &img, &len, &r), 0);
        CHECK(img && r.entries == 2 && r.final_seq == 8);
        CHECK(!r.logs[0].foreign && r.logs[0].applied == 2);
        CHECK(r.logs[1].foreign && r.logs[1].applied == 0);
        free(img);
    }

    /* Primary base block invalid: Windows compares with the first bin's
     * timestamp; the damaged block's own field is accepted too. */
    wr_u64(h + BASE_SIZE + HBIN_TIME, 77);
    wr_u32(h + BASE_CHECKSUM, 0);
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1); /* block's field: 0 */
    wr_u32(l + BASE_TIME, 77);
    wr_u32(l + BASE_CHECKSUM, cksum(l));
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1); /* first bin's */
    wr_u32(l + BASE_TIME, 78);
    wr_u32(l + BASE_CHECKSUM, cksum(l));
    CHECK(applies(h, hn, l, n1, NULL, 0, "matches neither") == 0);
    /* ... and then nothing else is compared (the block is damaged). */
    wr_u32(l + BASE_TIME, 0);
    set_ident(l, 0x55, "elsewhere");
    CHECK(applies(h, hn, l, n1, NULL, 0, "") == 1);
    free(l);
    free(l2);
    free(h);
}

/* The layout commits write: the log started afresh (base seq s, its
 * entry s) beside the other log reset to a bare base block of seq p - 1:
 * whichever order the logs come in, the entry applies; with the primary
 * base block invalid, the newest log is used. */
static void
test_dual_layout(void)
{
    size_t hn, n1, n2, len;
    uint8_t *img;
    rh_recovery r;
    uint8_t *h = make_hive(8, 7, &hn);
    uint8_t *cur = make_new_log(h, 8, 1, &n1);
    uint8_t *rst = make_new_log(h, 6, 0, &n2);
    CHECK(n2 == 512);
    for (int order = 0; order < 2; order++) {
        CHECK_RC(order ? recover(h, hn, rst, n2, cur, n1, &img, &len, &r)
                       : recover(h, hn, cur, n1, rst, n2, &img, &len, &r),
                 0);
        CHECK(img && r.entries == 1 && r.final_seq == 8);
        CHECK(img && img[BASE_SIZE + 0x100] == 0xA0);
        CHECK(strstr(r.logs[!order].note, "stale") != NULL);
        free(img);
    }
    wr_u32(h + BASE_CHECKSUM, 0);
    CHECK_RC(recover(h, hn, rst, n2, cur, n1, &img, &len, &r), 0);
    CHECK(img && r.entries == 1 && r.final_seq == 8 && r.base_from_log);
    free(img);
    free(h);
    free(cur);
    free(rst);
}

int
main(void)
{
    test_marvin();
    test_new();
    test_old();
    test_belongs();
    test_dual_layout();
    return T_DONE();
}
