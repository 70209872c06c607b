/*
 * alloc.c - cell allocator of a writable hive (hive-file layer).
 *
 * Policy: segregated free lists by size class with best fit.  Cells up to
 * 1 KiB (nearly every nk, vk, list and small data cell) get one exact-size
 * class per 8 bytes, so a request is first served by a free cell of exactly
 * its size and otherwise by the smallest larger one (split, the remainder
 * stays free); larger cells go to power-of-two classes scanned first fit.
 * Registry cells come in few sizes that repeat (a deleted key's cells are
 * what the next added key needs), so exact classes reuse holes without
 * splitting; the image grows by whole bins only when no free cell fits.
 * A bin's free cells join the lists when the bin is first edited (a cell
 * in it freed or resized) or when a request finds no fit in the bins
 * indexed so far (then the next bins in file order are indexed until one
 * fits), so a small edit of a large hive walks only the bins it touches;
 * the image grows only when every bin is indexed and none fits.  Entries are
 * validated lazily (a bitmap of free-cell starts plus the stored size), so
 * coalescing never searches a list: stale entries are dropped when met and
 * the lists are rebuilt when stale ones outnumber live ones.
 * A bitmap of non-empty classes lets a request skip empty classes, and
 * each large class keeps a bound (nofit: every live entry is smaller),
 * set by a request that scanned it in vain and cleared only by a push of
 * a cell at least that large, so a miss does not rescan cells known to be
 * too small (a list that grows by reallocation frees its old, smaller
 * copy into the class its next size is asked from).
 * Freeing zeroes the cell and merges it with free neighbours in its bin.
 * Cells have no footer to find the previous one by, so the previous cell
 * start is the nearest set bit below in the used | free-start bitmaps
 * (scanned a 64-bit word at a time, never past the bin start); the walk
 * of the bin from its first cell remains as the fallback should the
 * bitmaps and the sizes disagree.
 */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NEXACT 128 /* classes 0..127: sizes 8..1024 */

static uint8_t *
binsp(rh_hive *h)
{
    return h->wbuf + BASE_SIZE;
}

static int32_t
csize(rh_hive *h, uint32_t off)
{
    span b = {binsp(h), h->bins_end};
    return (int32_t)rd_u32(b, off);
}

void
page_touch(rh_hive *h, uint32_t off, size_t n)
{
    if (n == 0 || h->dpg_all)
        return;
    size_t first = off / HBIN_PAGE, last = ((size_t)off + n - 1) / HBIN_PAGE;
    if (last / 8 >= h->dpgn) {
        size_t want = last / 8 + 1, cap = h->dpgn * 2;
        if (cap < want)
            cap = want;
        uint8_t *p = realloc(h->dpg, cap);
        if (!p) {
            h->dpg_all = 1;
            return;
        }
        memset(p + h->dpgn, 0, cap - h->dpgn);
        h->dpg = p;
        h->dpgn = cap;
    }
    for (size_t i = first; i <= last; i++) {
        uint8_t m = (uint8_t)(1u << (i % 8));
        h->ndpg += !(h->dpg[i / 8] & m);
        h->dpg[i / 8] |= m;
    }
    /* Past what a log entry is used for, the commit rewrites the file
     * (mostly_new in commit.c): stop counting pages. */
    uint64_t lim = h->id.size > REWRITE_MIN ? h->id.size : REWRITE_MIN;
    if (!h->id.valid || (uint64_t)h->ndpg * HBIN_PAGE > lim)
        h->dpg_all = 1;
}

int
page_dirty(const rh_hive *h, uint32_t page)
{
    if (h->dpg_all)
        return 1;
    return page / 8 < h->dpgn && (h->dpg[page / 8] >> (page % 8) & 1);
}

void
page_clean(rh_hive *h)
{
    if (h->dpg)
        memset(h->dpg, 0, h->dpgn);
    h->dpg_all = 0;
    h->ndpg = 0;
}

static void
set_csize(rh_hive *h, uint32_t off, int32_t sz)
{
    wr_u32(binsp(h) + off, (uint32_t)sz);
    page_touch(h, off, 4);
}

void
cell_touch(rh_hive *h, uint32_t off)
{
    if (h->dpg_all)
        return;
    int32_t sz = (int32_t)rd_u32((span){binsp(h), h->bins_end}, off);
    page_touch(h, off, sz < 0 ? (size_t)(-(int64_t)sz) : (size_t)sz);
}

static void
bit_set(uint8_t *m, uint32_t off, int on)
{
    uint8_t b = (uint8_t)(1u << ((off >> 3) & 7));
    if (on)
        m[off >> 6] |= b;
    else
        m[off >> 6] &= (uint8_t)~b;
}

static int
bit_get(const uint8_t *m, uint32_t off)
{
    return (m[off >> 6] >> ((off >> 3) & 7)) & 1;
}

static size_t
class_of(uint32_t n)
{
    if (n <= 8 * NEXACT)
        return n / 8 - 1;
    size_t b = 31 - (size_t)__builtin_clz(n); /* >= 10 */
    return NEXACT + b - 10;
}

uint64_t
filetime_now(void)
{
    struct timespec ts;
#ifdef CLOCK_REALTIME_COARSE
    /* Windows stamps keys from its ~15 ms system tick; the coarse clock
     * (a few ms) is as fine and much cheaper per edited key. */
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
#else
    clock_gettime(CLOCK_REALTIME, &ts);
#endif
    return ((uint64_t)ts.tv_sec + 11644473600u) * 10000000u +
           (uint64_t)ts.tv_nsec / 100;
}

static void
mark_class(hive_alloc *al, size_t c, int on)
{
    uint64_t b = (uint64_t)1 << (c % 64);
    if (on)
        al->nonempty[c / 64] |= b;
    else
        al->nonempty[c / 64] &= ~b;
}

/* First class >= c with entries, or ALLOC_NCLASS. */
static size_t
next_class(const hive_alloc *al, size_t c)
{
    while (c < ALLOC_NCLASS) {
        uint64_t w = al->nonempty[c / 64] >> (c % 64);
        if (w)
            return c + (size_t)__builtin_ctzll(w);
        c = (c / 64 + 1) * 64;
    }
    return ALLOC_NCLASS;
}

/* List the free cell (off, size).  Never fails: the lists only index the
 * free cells the image holds, so when one cannot grow the cell stays
 * free, unlisted, and the next allocation rebuilds the lists (an edit
 * that failed here half way would leave a changed image behind). */
static void
push(rh_hive *h, uint32_t off, uint32_t size)
{
    size_t c = class_of(size);
    freelist *l = &h->al->cls[c];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        uint32_t *o = realloc(l->off, cap * sizeof *o);
        if (o)
            l->off = o;
        uint32_t *s = o ? realloc(l->size, cap * sizeof *s) : NULL;
        if (!s) {
            h->al->unlisted = 1;
            return;
        }
        l->size = s;
        l->cap = cap;
    }
    if (size >= h->al->nofit[c])
        h->al->nofit[c] = 0; /* may fit requests that missed before */
    mark_class(h->al, c, 1);
    l->off[l->n] = off;
    l->size[l->n++] = size;
    h->al->nentries++;
}

/* Is (off, size) still a free cell of exactly that size? */
static int
live(rh_hive *h, uint32_t off, uint32_t size)
{
    return off < h->bins_end && bit_get(h->al->fstart, off) &&
           csize(h, off) == (int32_t)size;
}

static void
drop(hive_alloc *al, freelist *l, size_t i)
{
    l->off[i] = l->off[l->n - 1];
    l->size[i] = l->size[l->n - 1];
    l->n--;
    al->nentries--;
    if (l->n == 0)
        mark_class(al, (size_t)(l - al->cls), 0);
}

static int
bin_indexed(const hive_alloc *al, uint32_t bin)
{
    return al->indexed[bin / HBIN_PAGE / 8] >> (bin / HBIN_PAGE % 8) & 1;
}

/* List the free cells of the bin at bin (validated by hive_bin_ready).
 * Returns the largest free cell's size found, or a negative error. */
static int64_t
walk_free(rh_hive *h, uint32_t bin)
{
    hive_alloc *al = h->al;
    span b = {binsp(h), h->bins_end};
    uint32_t bsize = rd_u32(b, bin + HBIN_SIZE), best = 0;
    for (uint32_t c = bin + HBIN_HDR; c < bin + bsize;) {
        int32_t sz = csize(h, c);
        uint32_t n = sz < 0 ? (uint32_t)-sz : (uint32_t)sz;
        if (sz > 0) {
            bit_set(al->fstart, c, 1);
            al->nfree++;
            push(h, c, n);
            if (n > best)
                best = n;
        }
        c += n;
    }
    return best;
}

/* Index the bin at bin (validating its cells first, if still pending);
 * returns its largest free cell's size, or a negative error. */
static int64_t
index_bin(rh_hive *h, uint32_t bin)
{
    hive_alloc *al = h->al;
    int rc;
    if (bin_indexed(al, bin))
        return 0;
    if ((rc = hive_bin_ready(h, bin)) < 0)
        return rc;
    al->indexed[bin / HBIN_PAGE / 8] |= (uint8_t)(1u << (bin / HBIN_PAGE % 8));
    return walk_free(h, bin);
}

/* Index bins not yet indexed, in file order, until one holds a free cell
 * of need bytes: 1 when one did, 0 when every bin is indexed, or an
 * error (a damaged bin: it cannot be allocated from). */
static int
index_more(rh_hive *h, uint32_t need)
{
    hive_alloc *al = h->al;
    span b = {binsp(h), h->bins_end};
    while (al->scan < h->bins_end) {
        uint32_t bin = al->scan;
        al->scan = bin + rd_u32(b, bin + HBIN_SIZE); /* checked at open */
        int64_t best = index_bin(h, bin);
        if (best < 0)
            return (int)best;
        if (best >= need)
            return 1;
    }
    return 0;
}

/* Drop the stale entries: list again the free cells of the indexed bins. */
static int
rebuild(rh_hive *h)
{
    hive_alloc *al = h->al;
    span b = {binsp(h), h->bins_end};
    for (size_t i = 0; i < ALLOC_NCLASS; i++)
        al->cls[i].n = 0;
    memset(al->nonempty, 0, sizeof al->nonempty);
    memset(al->nofit, 0, sizeof al->nofit);
    al->nentries = al->nfree = 0;
    al->unlisted = 0;
    memset(al->fstart, 0, (size_t)h->bins_end / 64 + 1);
    for (uint32_t bin = 0; bin < h->bins_end;) {
        uint32_t bsize = rd_u32(b, bin + HBIN_SIZE);
        if (bin_indexed(al, bin) && walk_free(h, bin) < 0)
            return RH_ENOMEM;
        bin += bsize;
    }
    return 0;
}

int
alloc_start(rh_hive *h)
{
    if (!h->wbuf)
        return hive_err(h, RH_EREADONLY,
                        "hive is opened read-only (open it with "
                        "RH_OPEN_WRITE to edit)");
    if (h->al)
        return 0;
    size_t npg = (size_t)h->bins_end / HBIN_PAGE;
    hive_alloc *al = calloc(1, sizeof *al);
    if (al) {
        al->fstart = calloc((size_t)h->bins_end / 64 + 1, 1);
        al->binof = calloc(npg + 1, sizeof(uint32_t));
        al->indexed = calloc(npg / 8 + 1, 1);
    }
    /* h->al is set only when whole: alloc_begin() takes it as ready. */
    if (!al || !al->fstart || !al->binof || !al->indexed) {
        if (al) {
            free(al->fstart);
            free(al->binof);
            free(al->indexed);
            free(al);
        }
        return hive_err(h, RH_ENOMEM, "out of memory");
    }
    h->al = al;
    /* Bytes past the bins (slack after the last bin) are dropped: new
     * bins are appended at bins_end and commit writes up to there. */
    h->len = BASE_SIZE + (size_t)h->bins_end;
    if (h->binof && h->lazy_end == h->bins_end) {
        memcpy(al->binof, h->binof, npg * sizeof *al->binof);
    } else { /* bin headers were checked at open */
        span b = {binsp(h), h->bins_end};
        for (uint32_t bin = 0; bin < h->bins_end;) {
            uint32_t bsize = rd_u32(b, bin + HBIN_SIZE);
            for (uint32_t p = 0; p < bsize; p += HBIN_PAGE)
                al->binof[(bin + p) / HBIN_PAGE] = bin;
            bin += bsize;
        }
    }
    return 0;
}

/* Find and return a live free cell of at least need bytes, unlinked; or,
 * when the part left after need bytes stays in the same class, with its
 * entry moved to that part (*kept = 1: carve lists nothing). */
static int
take(rh_hive *h, uint32_t need, uint32_t *off, uint32_t *size, int *kept)
{
    hive_alloc *al = h->al;
    for (size_t c = next_class(al, class_of(need)); c < ALLOC_NCLASS;
         c = next_class(al, c + 1)) {
        freelist *l = &al->cls[c];
        if (al->nofit[c] && need >= al->nofit[c])
            continue; /* a smaller request already found nothing here */
        for (size_t i = l->n; i-- > 0;) {
            if (i >= l->n)
                continue;
            if (!live(h, l->off[i], l->size[i])) {
                drop(al, l, i);
                continue;
            }
            if (l->size[i] < need)
                continue; /* only in the shared large classes */
            *off = l->off[i];
            *size = l->size[i];
            uint32_t rest = l->size[i] - need;
            *kept = rest && class_of(rest) == c; /* a bin's tail, say */
            if (*kept) {
                l->off[i] += need;
                l->size[i] = rest;
            } else {
                drop(al, l, i);
            }
            return 1;
        }
        if (c >= NEXACT) /* exact classes: every live entry fits */
            al->nofit[c] = need;
    }
    return 0;
}

static int
grow_maps(rh_hive *h, uint32_t newend)
{
    size_t oldm = (size_t)h->bins_end / 64 + 1, newm = (size_t)newend / 64 + 1;
    uint8_t *u = realloc(h->used, newm);
    if (!u)
        return hive_err(h, RH_ENOMEM, "out of memory");
    memset(u + oldm, 0, newm - oldm);
    h->used = u;
    uint8_t *f = realloc(h->al->fstart, newm);
    if (!f)
        return hive_err(h, RH_ENOMEM, "out of memory");
    memset(f + oldm, 0, newm - oldm);
    h->al->fstart = f;
    uint32_t *bo =
        realloc(h->al->binof, ((size_t)newend / HBIN_PAGE + 1) * sizeof *bo);
    if (!bo)
        return hive_err(h, RH_ENOMEM, "out of memory");
    h->al->binof = bo;
    size_t oldx = (size_t)h->bins_end / HBIN_PAGE / 8 + 1,
           newx = (size_t)newend / HBIN_PAGE / 8 + 1;
    uint8_t *x = realloc(h->al->indexed, newx);
    if (!x)
        return hive_err(h, RH_ENOMEM, "out of memory");
    memset(x + oldx, 0, newx - oldx);
    h->al->indexed = x;
    return 0;
}

/* Make room for total bytes of image: a mapped image that outgrows its
 * reservation moves to the heap (one copy). */
static int
image_room(rh_hive *h, size_t total)
{
    if (total <= h->wcap)
        return 0;
    size_t cap = h->wcap + h->wcap / 2;
    if (cap < total)
        cap = total;
    uint8_t *p;
    if (h->wmap) {
        if (!(p = malloc(cap)))
            return hive_err(h, RH_ENOMEM, "out of memory");
        memcpy(p, h->wbuf, h->len);
        hive_wbuf_release(h);
    } else if (!(p = realloc(h->wbuf, cap))) {
        return hive_err(h, RH_ENOMEM, "out of memory");
    }
    h->wbuf = p;
    h->data = p;
    h->wcap = cap;
    return 0;
}

/* Append a bin big enough for a cell of need bytes; index its free cell. */
static int
grow(rh_hive *h, uint32_t need)
{
    uint32_t bsize = (need + HBIN_HDR + HBIN_PAGE - 1) & ~(uint32_t)0xFFF;
    uint32_t off = h->bins_end;
    size_t total = BASE_SIZE + (size_t)off + bsize;
    int rc;
    if ((uint64_t)off + bsize > 0x7FFFF000u)
        return hive_err(h, RH_ERANGE, "hive would exceed 2 GiB");
    if ((rc = image_room(h, total)) < 0 || (rc = grow_maps(h, off + bsize)) < 0)
        return rc;
    uint8_t *b = binsp(h) + off;
    memset(b, 0, bsize);
    page_touch(h, off, bsize);
    memcpy(b, "hbin", 4);
    wr_u32(b + HBIN_OFFSET, off);
    wr_u32(b + HBIN_SIZE, bsize);
    wr_u64(b + HBIN_TIME, filetime_now());
    for (uint32_t p = 0; p < bsize; p += HBIN_PAGE)
        h->al->binof[(off + p) / HBIN_PAGE] = off;
    h->al->indexed[off / HBIN_PAGE / 8] |=
        (uint8_t)(1u << (off / HBIN_PAGE % 8));
    h->bins_end = off + bsize;
    h->nbins++;
    h->len = total;
    wr_u32(h->wbuf + BASE_BINS_SIZE, h->bins_end);
    set_csize(h, off + HBIN_HDR, (int32_t)(bsize - HBIN_HDR));
    bit_set(h->al->fstart, off + HBIN_HDR, 1);
    h->al->nfree++;
    push(h, off + HBIN_HDR, bsize - HBIN_HDR);
    return 0;
}

/* Turn the free cell (off, size) into a used cell of need bytes; the rest
 * stays free (listed already when kept). */
static int
carve(rh_hive *h, uint32_t off, uint32_t size, uint32_t need, int kept)
{
    hive_alloc *al = h->al;
    bit_set(al->fstart, off, 0);
    if (size > need) {
        uint32_t rest = off + need;
        set_csize(h, rest, (int32_t)(size - need));
        bit_set(al->fstart, rest, 1);
        if (!kept)
            push(h, rest, size - need);
    } else {
        al->nfree--;
    }
    set_csize(h, off, -(int32_t)need);
    bit_set(h->used, off, 1);
    memset(binsp(h) + off + 4, 0, need - 4);
    page_touch(h, off, need);
    return 0;
}

int
cell_alloc(rh_hive *h, uint32_t size, uint32_t *out)
{
    uint32_t need, off, have;
    int rc, kept;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if (size > ALLOC_MAX)
        return hive_err(h, RH_ERANGE, "cell of %u bytes is too large", size);
    need = (size + 4 + 7) & ~(uint32_t)7;
    if (need < 8)
        need = 8;
    if ((h->al->unlisted || h->al->nentries > 2 * h->al->nfree + 4096) &&
        rebuild(h) < 0)
        return hive_err(h, RH_ENOMEM, "out of memory");
    while (!take(h, need, &off, &have, &kept)) {
        if ((rc = index_more(h, need)) < 0)
            return rc;
        if (rc > 0)
            continue;
        if ((rc = grow(h, need)) < 0)
            return rc;
        if (!take(h, need, &off, &have, &kept))
            return h->al->unlisted /* push() could not list it */
                       ? hive_err(h, RH_ENOMEM, "out of memory")
                       : hive_err(h, RH_ECORRUPT,
                                  "allocator: new bin not found");
        break;
    }
    if ((rc = carve(h, off, have, need, kept)) < 0)
        return rc;
    *out = off;
    return 0;
}

/* Bits of word wi (bits wi*64 .. wi*64+63) of bitmap m, reading no byte
 * past index last. */
static uint64_t
map_word(const uint8_t *m, size_t wi, size_t last)
{
    uint64_t w = 0;
    size_t b0 = wi * 8, nb = last - b0 + 1 < 8 ? last - b0 + 1 : 8;
    for (size_t k = 0; k < nb; k++)
        w |= (uint64_t)m[b0 + k] << (8 * k);
    return w;
}

/* Start of the cell before off in its bin (first cell at lo), or 0 when
 * off is the first cell; from the used | free-start bitmaps. */
static uint32_t
prev_start(rh_hive *h, uint32_t lo, uint32_t off)
{
    if (off <= lo)
        return 0;
    size_t hi = (off >> 3) - 1, lob = lo >> 3; /* bit indexes, inclusive */
    size_t last = hi / 8;                      /* last byte we may read */
    for (size_t wi = hi / 64;; wi--) {
        uint64_t w =
            map_word(h->used, wi, last) | map_word(h->al->fstart, wi, last);
        if (wi == hi / 64 && hi % 64 != 63)
            w &= ((uint64_t)1 << (hi % 64 + 1)) - 1;
        if (wi == lob / 64)
            w &= ~(((uint64_t)1 << (lob % 64)) - 1);
        if (w)
            return (uint32_t)((wi * 64 + 63 - (size_t)__builtin_clzll(w)) << 3);
        if (wi == lob / 64)
            return 0;
    }
}

int
cell_free(rh_hive *h, uint32_t off)
{
    hive_alloc *al;
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    al = h->al;
    if (off >= h->bins_end || (off & 7))
        return CORRUPT(h, off, "freeing a cell that is not allocated");
    uint32_t bin = al->binof[off / HBIN_PAGE];
    int64_t ix = index_bin(h, bin);
    if (ix < 0)
        return (int)ix;
    if (!cell_is_used(h, off))
        return CORRUPT(h, off, "freeing a cell that is not allocated");
    uint32_t n = (uint32_t)-csize(h, off);
    span b = {binsp(h), h->bins_end};
    uint32_t bend = bin + rd_u32(b, bin + HBIN_SIZE);
    uint32_t start = off, tot = n;
    uint32_t prev = prev_start(h, bin + HBIN_HDR, off);
    int32_t psz = prev ? csize(h, prev) : 0;
    if (prev ? prev + (psz < 0 ? (uint32_t)-psz : (uint32_t)psz) != off
             : off != bin + HBIN_HDR) {
        prev = 0; /* bitmaps disagree with the sizes: walk the bin */
        al->nwalk++;
        for (uint32_t c = bin + HBIN_HDR; c < off;) {
            int32_t sz = csize(h, c);
            prev = c;
            c += sz < 0 ? (uint32_t)-sz : (uint32_t)sz;
        }
    }
    bit_set(h->used, off, 0);
    memset(binsp(h) + off, 0, n);
    page_touch(h, off, n);
    if (prev && csize(h, prev) > 0) { /* merge into the free cell before */
        start = prev;
        tot += (uint32_t)csize(h, prev);
        al->nfree--;
    }
    uint32_t next = off + n;
    if (next < bend && csize(h, next) > 0) { /* absorb the free cell after */
        tot += (uint32_t)csize(h, next);
        bit_set(al->fstart, next, 0);
        set_csize(h, next, 0);
        al->nfree--;
    }
    set_csize(h, start, (int32_t)tot);
    bit_set(al->fstart, start, 1);
    al->nfree++;
    push(h, start, tot);
    return 0;
}

int
cell_realloc(rh_hive *h, uint32_t *off, uint32_t size)
{
    uint32_t need = (size + 4 + 7) & ~(uint32_t)7, o = *off, n, nw;
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if (o < h->bins_end && !(o & 7)) {
        int64_t ix = index_bin(h, h->al->binof[o / HBIN_PAGE]);
        if (ix < 0)
            return (int)ix;
    }
    if (!cell_is_used(h, o))
        return CORRUPT(h, o, "resizing a cell that is not allocated");
    if (size > ALLOC_MAX)
        return hive_err(h, RH_ERANGE, "cell of %u bytes is too large", size);
    n = (uint32_t)-csize(h, o);
    if (need <= n) {
        if (n - need >= 8) { /* give the tail back */
            set_csize(h, o, -(int32_t)need);
            set_csize(h, o + need, -(int32_t)(n - need));
            bit_set(h->used, o + need, 1);
            return cell_free(h, o + need);
        }
        return 0;
    }
    /* Grow in place over a free cell that follows in the same bin. */
    uint32_t bin = h->al->binof[o / HBIN_PAGE];
    span b = {binsp(h), h->bins_end};
    uint32_t next = o + n;
    if (next < bin + rd_u32(b, bin + HBIN_SIZE) && csize(h, next) > 0 &&
        n + (uint32_t)csize(h, next) >= need) {
        uint32_t fsz = (uint32_t)csize(h, next);
        /* carve() the neighbour then fuse it into this cell. */
        if ((rc = carve(h, next, fsz, need - n, 0)) < 0)
            return rc;
        bit_set(h->used, next, 0);
        memset(binsp(h) + next, 0, 4);
        page_touch(h, next, 4);
        set_csize(h, o, -(int32_t)need);
        return 0;
    }
    if ((rc = cell_alloc(h, size, &nw)) < 0)
        return rc;
    memcpy(binsp(h) + nw + 4, binsp(h) + o + 4, n - 4);
    page_touch(h, nw, n);
    if ((rc = cell_free(h, o)) < 0)
        return rc;
    *off = nw;
    return 0;
}

int
cell_mut(rh_hive *h, uint32_t off, uint8_t **p, size_t *n)
{
    if (!h->wbuf)
        return hive_err(h, RH_EREADONLY, "hive is opened read-only");
    if (!cell_is_used(h, off))
        return CORRUPT(h, off, "writing a cell that is not allocated");
    *p = binsp(h) + off + 4;
    cell_touch(h, off);
    if (n)
        *n = (size_t)(uint32_t)-csize(h, off) - 4;
    return 0;
}

int
alloc_new_image(rh_hive *h, uint32_t minor)
{
    size_t len = BASE_SIZE + HBIN_PAGE;
    uint64_t now = filetime_now();
    if (hive_wbuf_anon(h, len) < 0 ||
        !(h->used = calloc(HBIN_PAGE / 64 + 1, 1)))
        return hive_err(h, RH_ENOMEM, "out of memory");
    h->data = h->wbuf;
    h->len = len;
    h->minor = minor;
    uint8_t *base = h->wbuf;
    memcpy(base, "regf", 4);
    wr_u32(base + BASE_SEQ1, 1);
    wr_u32(base + BASE_SEQ2, 1);
    wr_u64(base + BASE_TIME, now);
    wr_u32(base + BASE_MAJOR, 1);
    wr_u32(base + BASE_MINOR, minor);
    wr_u32(base + BASE_TYPE, 0);
    wr_u32(base + BASE_FORMAT, 1);
    wr_u32(base + BASE_BINS_SIZE, HBIN_PAGE);
    wr_u32(base + BASE_CLUSTER, 1);
    uint8_t *b = base + BASE_SIZE;
    memcpy(b, "hbin", 4);
    wr_u32(b + HBIN_SIZE, HBIN_PAGE);
    wr_u64(b + HBIN_TIME, now);
    wr_u32(b + HBIN_HDR, HBIN_PAGE - HBIN_HDR);
    h->bins_end = HBIN_PAGE;
    h->nbins = 1;
    page_touch(h, 0, HBIN_PAGE);
    wr_u32(base + BASE_CHECKSUM, base_checksum(base));
    return alloc_begin(h);
}

int
alloc_verify(rh_hive *h)
{
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    hive_alloc *al = h->al;
    span b = {binsp(h), h->bins_end};
    uint8_t *listed = calloc((size_t)h->bins_end / 64 + 1, 1);
    size_t nfree = 0;
    if (!listed)
        return hive_err(h, RH_ENOMEM, "out of memory");
    for (size_t c = 0; c < ALLOC_NCLASS; c++)
        for (size_t i = 0; i < al->cls[c].n; i++)
            if (live(h, al->cls[c].off[i], al->cls[c].size[i])) {
                if (class_of(al->cls[c].size[i]) != c)
                    rc = CORRUPT(h, al->cls[c].off[i], "wrong class");
                bit_set(listed, al->cls[c].off[i], 1);
            }
    for (uint32_t bin = 0; bin < h->bins_end && rc == 0;) {
        uint32_t bsize = rd_u32(b, bin + HBIN_SIZE);
        if (!rd_sig(b, bin, "hb") || rd_u32(b, bin + HBIN_OFFSET) != bin ||
            bsize < HBIN_PAGE || bsize % HBIN_PAGE ||
            bsize > h->bins_end - bin) {
            rc = CORRUPT(h, bin, "bad bin header");
            break;
        }
        for (uint32_t p = 0; p < bsize; p += HBIN_PAGE)
            if (al->binof[(bin + p) / HBIN_PAGE] != bin)
                rc = CORRUPT(h, bin + p, "page maps to the wrong bin");
        int prevfree = 0;
        uint32_t c = bin + HBIN_HDR;
        if (!bin_indexed(al, bin)) { /* not listed yet: nothing to agree */
            for (uint32_t q = bin; q < bin + bsize && rc == 0; q += 8)
                if (bit_get(al->fstart, q))
                    rc = CORRUPT(h, q, "free-start bit in an unindexed bin");
            c = bin + bsize;
        }
        while (c < bin + bsize && rc == 0) {
            int32_t sz = csize(h, c);
            uint32_t n = sz < 0 ? (uint32_t)-sz : (uint32_t)sz;
            if (n < 8 || n % 8 || n > bin + bsize - c) {
                rc = CORRUPT(h, c, "bad cell size %d", sz);
                break;
            }
            if (sz > 0) {
                nfree++;
                if (prevfree)
                    rc = CORRUPT(h, c, "two adjacent free cells");
                else if (cell_is_used(h, c) || !bit_get(al->fstart, c))
                    rc = CORRUPT(h, c, "free cell with wrong bitmap bits");
                else if (!bit_get(listed, c) && !al->unlisted)
                    rc = CORRUPT(h, c, "free cell missing from the lists");
            } else if (!cell_is_used(h, c) || bit_get(al->fstart, c)) {
                rc = CORRUPT(h, c, "used cell with wrong bitmap bits");
            }
            prevfree = sz > 0;
            c += n;
        }
        if (rc == 0 && c != bin + bsize)
            rc = CORRUPT(h, bin, "cells overrun their bin");
        bin += bsize;
    }
    if (rc == 0 && nfree != al->nfree)
        rc = hive_err(h, RH_ECORRUPT, "free cell count %zu, index says %zu",
                      nfree, al->nfree);
    free(listed);
    return rc;
}
