/*
 * alloc.h - the cell allocator of a writable hive (hive-file layer, above
 * hive.c, below the key/value model; knows nothing about keys).
 *
 * CAUTION: cell_alloc() and cell_realloc() may move the whole image, so any
 * span or pointer from cell_get()/cell_mut() is stale after them; re-fetch.
 * Writes into cells go through cell_mut() alone, which marks the pages an
 * in-place commit writes.
 * cell_free() never moves the image.
 */
#ifndef RH_ALLOC_H
#define RH_ALLOC_H

#include "hive.h"

#include <stdint.h>
#include <string.h>

/* Largest cell payload we allocate (keeps sizes inside int32). */
#define ALLOC_MAX 0x40000000u

/* RH_EREADONLY unless h is writable; sets up the free-space index on the
 * first call.  Every edit entry point calls it first (inline: once per
 * edit, and nearly always already done). */
int alloc_start(rh_hive *h);
static inline int
alloc_begin(rh_hive *h)
{
    return h->al && h->wbuf ? 0 : alloc_start(h);
}

/* Allocate a zero-filled cell with room for size payload bytes; *off gets
 * its offset.  May grow the image by whole bins. */
int cell_alloc(rh_hive *h, uint32_t size, uint32_t *off);

/* cell_alloc for a big data segment: in append mode it never takes its
 * bin's tail as slack (readers use a segment's cell size). */
int cell_alloc_seg(rh_hive *h, uint32_t size, uint32_t *off);

/* Free the allocated cell at off: zero it, coalesce with free neighbours
 * in its bin and index the result for reuse. */
int cell_free(rh_hive *h, uint32_t off);

/* Resize the cell at *off to hold size payload bytes, keeping the first
 * min(old, size) bytes; *off may change (then the old cell is freed). */
int cell_realloc(rh_hive *h, uint32_t *off, uint32_t size);

/* The one door for writes into cells (as SQLite writes no page except
 * through sqlite3PagerWrite): checks that off is an allocated cell of a
 * writable image and that payload bytes [at, at + n) lie inside it
 * (n == CELL_REST: up to the payload's end), marks their 4 KiB pages
 * changed for the next in-place commit and sets *p to payload byte at.
 * Write only those bytes, and only until the next call that may move the
 * image (cell_alloc, cell_realloc): never keep *p across calls.  Every
 * byte the model writes into a cell goes through here (or cell_put*);
 * only the allocator's own bookkeeping writes elsewhere, marking too. */
#define CELL_REST SIZE_MAX
int cell_mut(rh_hive *h, uint32_t off, size_t at, size_t n, uint8_t **p);

/* Payload capacity of the allocated cell at off (RH_ECORRUPT if off is
 * not one). */
int cell_cap(rh_hive *h, uint32_t off, size_t *n);

/* Field writers over cell_mut: value v (or n bytes of src, which may lie
 * in the image) at payload byte at of the cell at off. */
static inline int
cell_put_u16(rh_hive *h, uint32_t off, size_t at, uint16_t v)
{
    uint8_t *p;
    int rc = cell_mut(h, off, at, 2, &p);
    if (rc == 0)
        wr_u16(p, v);
    return rc;
}

static inline int
cell_put_u32(rh_hive *h, uint32_t off, size_t at, uint32_t v)
{
    uint8_t *p;
    int rc = cell_mut(h, off, at, 4, &p);
    if (rc == 0)
        wr_u32(p, v);
    return rc;
}

static inline int
cell_put_u64(rh_hive *h, uint32_t off, size_t at, uint64_t v)
{
    uint8_t *p;
    int rc = cell_mut(h, off, at, 8, &p);
    if (rc == 0)
        wr_u64(p, v);
    return rc;
}

static inline int
cell_put(rh_hive *h, uint32_t off, size_t at, const void *src, size_t n)
{
    uint8_t *p;
    int rc = n ? cell_mut(h, off, at, n, &p) : 0;
    if (rc == 0 && n)
        memmove(p, src, n);
    return rc;
}

/* Did the 4 KiB page at bins offset page * 4096 change since the last
 * commit? */
int page_dirty(const rh_hive *h, uint32_t page);

/* Forget the dirty pages (after a commit wrote them). */
void page_clean(rh_hive *h);

/* Current FILETIME (100 ns since 1601). */
uint64_t filetime_now(void);

/* Lay out an empty image in h: base block for version 1.minor and one
 * 4 KiB bin holding a single free cell.  h must be fresh (no data). */
int alloc_new_image(rh_hive *h, uint32_t minor);

/* Append mode, for an image laid out anew in tree order (save, compact):
 * h is a fresh handle (hive_defaults only); its image starts as the base
 * block base (4096 bytes) with no bins, and cell_alloc then hands out
 * cells in order at the end, no free-space search and no holes: a new
 * bin (header time bintime) when a cell does not fit the current one.
 * cell_free and cell_realloc are refused until alloc_append_end, which
 * frees the last bin's tail as one cell and sets the base block's bins
 * size; the image is then edited as any other. */
int alloc_append_start(rh_hive *h, const uint8_t *base, uint64_t bintime);
int alloc_append_end(rh_hive *h);

/* Is h's allocator in append mode (cells cannot be freed)? */
static inline int
alloc_appending(const rh_hive *h)
{
    return h->al && h->al->append;
}

/* Make root the root key (h->root and the base block). */
void alloc_set_root(rh_hive *h, uint32_t root);

/* h takes the image laid out in from (which keeps none; close it): the
 * old image is released, path, lock and limits stay, and the next commit
 * rewrites the file. */
void alloc_adopt(rh_hive *h, rh_hive *from);

/* Walk the bins and verify the allocator's view (free index, bitmaps,
 * coalescing).  For tests: returns 0 or RH_ECORRUPT with a message. */
int alloc_verify(rh_hive *h);

#endif
