/*
 * test_alloc.c - the cell allocator: alloc/free/coalesce/reuse/grow and a
 * random workload with the allocator's invariants checked throughout.
 */
#include "alloc.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

/* The whole payload of the cell at off, writable; *n its size. */
static int
cell_mut_all(rh_hive *h, uint32_t off, uint8_t **p, size_t *n)
{
    size_t cap;
    int rc = cell_cap(h, off, &cap);
    if (rc == 0 && n)
        *n = cap;
    return rc < 0 ? rc : cell_mut(h, off, 0, CELL_REST, p);
}

static rh_hive *
fresh(void)
{
    rh_hive *h;
    int rc = rh_create(5, &h);
    CHECK_RC(rc, 0);
    return h;
}

static int32_t
size_at(rh_hive *h, uint32_t off)
{
    span b = {h->data + BASE_SIZE, h->bins_end};
    return (int32_t)rd_u32(b, off);
}

static void
test_basic(void)
{
    rh_hive *h = fresh();
    uint32_t a, b, c, d;
    uint8_t *p;
    size_t n;
    CHECK_RC(cell_alloc(h, 100, &a), 0);
    CHECK_RC(cell_alloc(h, 100, &b), 0);
    CHECK_RC(cell_alloc(h, 100, &c), 0);
    CHECK(b == a + 104 && c == b + 104); /* carved in order from one hole */
    CHECK_RC(cell_mut_all(h, a, &p, &n), 0);
    CHECK(n == 100);
    for (size_t i = 0; i < n; i++)
        CHECK(p[i] == 0); /* zero-filled */
    memset(p, 0xAB, n);
    /* reuse: a freed cell of exactly the size comes back */
    CHECK_RC(cell_free(h, b), 0);
    CHECK_RC(alloc_verify(h), 0);
    CHECK_RC(cell_alloc(h, 100, &d), 0);
    CHECK(d == b);
    /* coalesce: a, (b), c freed -> one free cell with the neighbours */
    CHECK_RC(cell_free(h, a), 0);
    CHECK_RC(cell_free(h, c), 0);
    CHECK_RC(alloc_verify(h), 0);
    CHECK_RC(cell_free(h, d), 0);
    CHECK_RC(alloc_verify(h), 0);
    CHECK(size_at(h, a) == 104 * 3 + size_at(h, a) - 104 * 3);
    CHECK(size_at(h, a) > 104 * 3); /* merged with the rest of the bin */
    CHECK_RC(cell_free(h, a), RH_ECORRUPT); /* double free refused */
    /* realloc keeps the bytes, grows in place over a free neighbour */
    CHECK_RC(cell_alloc(h, 12, &a), 0);
    CHECK_RC(cell_mut_all(h, a, &p, &n), 0);
    memcpy(p, "hello world", 12);
    uint32_t a0 = a;
    CHECK_RC(cell_realloc(h, &a, 60), 0);
    CHECK(a == a0);
    CHECK_RC(cell_mut_all(h, a, &p, &n), 0);
    CHECK(n >= 60 && memcmp(p, "hello world", 12) == 0);
    CHECK_RC(cell_realloc(h, &a, 4), 0);
    CHECK(a == a0 && size_at(h, a) == -8);
    CHECK_RC(alloc_verify(h), 0);
    rh_close(h);
}

static void
test_grow(void)
{
    rh_hive *h = fresh();
    uint32_t big, small, end0 = h->bins_end;
    CHECK_RC(cell_alloc(h, 20000, &big), 0); /* own bin of 5 pages */
    CHECK(big == end0 + HBIN_HDR);
    CHECK(h->bins_end == end0 + 20480);
    CHECK(h->nbins == 2);
    CHECK(h->len == BASE_SIZE + (size_t)h->bins_end);
    span base = {h->data, BASE_SIZE};
    CHECK(rd_u32(base, BASE_BINS_SIZE) == h->bins_end);
    CHECK_RC(alloc_verify(h), 0);
    /* free space remains: small cells do not grow the hive */
    CHECK_RC(cell_alloc(h, 64, &small), 0);
    CHECK(h->bins_end == end0 + 20480);
    CHECK_RC(cell_free(h, big), 0);
    CHECK_RC(alloc_verify(h), 0);
    uint32_t again;
    CHECK_RC(cell_alloc(h, 20000, &again), 0);
    CHECK(again == big && h->bins_end == end0 + 20480); /* reused */
    CHECK_RC(cell_alloc(h, ALLOC_MAX + 1, &again), RH_ERANGE);
    rh_close(h);
}

static void
test_random(void)
{
    enum { N = 400 };
    uint32_t off[N] = {0}, len[N] = {0};
    unsigned seed = 12345;
    rh_hive *h = fresh();
    int bad = 0;
    for (int it = 0; it < 20000 && !bad; it++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8, i = r % N;
        if (!off[i]) {
            uint32_t sz =
                (r >> 9) % 7 == 0 ? (r >> 12) % 30000 : (r >> 12) % 300;
            if (cell_alloc(h, sz, &off[i]) < 0) {
                bad = 1;
                break;
            }
            len[i] = sz;
            uint8_t *p;
            cell_mut_all(h, off[i], &p, NULL);
            memset(p, (int)(i & 0xFF), sz);
        } else if ((r >> 9) % 3 == 0) {
            uint32_t sz = (r >> 12) % 600;
            if (cell_realloc(h, &off[i], sz) < 0) {
                bad = 1;
                break;
            }
            uint8_t *p;
            cell_mut_all(h, off[i], &p, NULL);
            uint32_t keep = sz < len[i] ? sz : len[i];
            for (uint32_t j = 0; j < keep; j++)
                if (p[j] != (uint8_t)(i & 0xFF))
                    bad = 2;
            memset(p, (int)(i & 0xFF), sz);
            len[i] = sz;
        } else {
            if (cell_free(h, off[i]) < 0)
                bad = 3;
            off[i] = 0;
        }
        if (it % 500 == 0 && alloc_verify(h) < 0) {
            fprintf(stderr, "iteration %d: %s\n", it, rh_errmsg(h));
            bad = 4;
        }
    }
    CHECK(bad == 0);
    /* every live cell still holds its bytes */
    for (int i = 0; i < N; i++) {
        if (!off[i])
            continue;
        uint8_t *p;
        CHECK_RC(cell_mut_all(h, off[i], &p, NULL), 0);
        for (uint32_t j = 0; j < len[i]; j++)
            if (p[j] != (uint8_t)(i & 0xFF)) {
                CHECK(!"cell contents changed");
                break;
            }
        CHECK_RC(cell_free(h, off[i]), 0);
    }
    CHECK_RC(alloc_verify(h), 0);
    CHECK(h->al->nwalk == 0); /* bitmaps always named the previous cell */
    /* with everything freed, each bin is one free cell after the root's */
    rh_stats st;
    CHECK_RC(rh_hive_stats(h, &st), 0);
    CHECK(st.free_cells <= st.bins);
    printf("bins %llu, free cells %llu\n", (unsigned long long)st.bins,
           (unsigned long long)st.free_cells);
    rh_close(h);
}

/* The fast paths: a large class that once missed is served again after a
 * push into it; the previous cell of a freed one always comes from the
 * bitmaps (never the fallback walk of the bin), across words and pages. */
static void
test_fastpaths(void)
{
    rh_hive *h = fresh();
    uint32_t a, b, c, d, e;
    CHECK_RC(cell_alloc(h, 9000, &a), 0); /* own 3-page bin */
    CHECK_RC(cell_free(h, a), 0);         /* 12256 free, class 8192.. */
    uint32_t end0 = h->bins_end;
    CHECK_RC(cell_alloc(h, 13000, &b), 0); /* misses that class: grows */
    CHECK(h->bins_end > end0);
    end0 = h->bins_end;
    CHECK_RC(cell_alloc(h, 13000, &c), 0); /* the miss is remembered */
    CHECK(h->bins_end > end0 && c != b);
    CHECK_RC(cell_free(h, b), 0); /* pushes a fitting cell */
    end0 = h->bins_end;
    CHECK_RC(cell_alloc(h, 13000, &d), 0);
    CHECK(d == b && h->bins_end == end0); /* reused, no growth */
    CHECK_RC(cell_alloc(h, 9000, &e), 0);
    CHECK(e == a && h->bins_end == end0);
    CHECK_RC(alloc_verify(h), 0);
    /* many cells of mixed sizes, freed in a scattered order */
    enum { N = 600 };
    uint32_t cells[N];
    for (int i = 0; i < N; i++)
        CHECK_RC(cell_alloc(h, (uint32_t)(4 + (i * 37) % 1500), &cells[i]), 0);
    for (int k = 0; k < 7; k++)
        for (int i = k; i < N; i += 7) {
            CHECK_RC(cell_free(h, cells[i]), 0);
            if (i % 13 == 0)
                CHECK_RC(alloc_verify(h), 0);
        }
    CHECK_RC(alloc_verify(h), 0);
    CHECK(h->al->nwalk == 0);
    rh_close(h);
}

static void
test_readonly(void)
{
    rh_hive *h = fresh(), *ro;
    CHECK_RC(rh_commit(h, "/nonexistent-dir/x", 0), RH_EIO);
    /* an in-memory read-only copy refuses writes */
    CHECK_RC(rh_open_mem(h->data, h->len, 0, &ro), 0);
    uint32_t off;
    rh_key k;
    CHECK_RC(cell_alloc(ro, 8, &off), RH_EREADONLY);
    CHECK_RC(rh_key_add(ro, rh_hive_root(ro), "x", 1, &k, NULL), RH_EREADONLY);
    rh_close(ro);
    rh_close(h);
}

int
main(void)
{
    test_basic();
    test_grow();
    test_random();
    test_fastpaths();
    test_readonly();
    return T_DONE();
}
