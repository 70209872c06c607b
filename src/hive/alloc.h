/*
 * alloc.h - the cell allocator of a writable hive (hive-file layer, above
 * hive.c, below the key/value model; knows nothing about keys).
 *
 * CAUTION: cell_alloc() and cell_realloc() may move the whole image, so any
 * span or pointer from cell_get()/cell_mut() is stale after them; re-fetch.
 * cell_free() never moves the image.
 */
#ifndef RH_ALLOC_H
#define RH_ALLOC_H

#include "hive.h"

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

/* Free the allocated cell at off: zero it, coalesce with free neighbours
 * in its bin and index the result for reuse. */
int cell_free(rh_hive *h, uint32_t off);

/* Resize the cell at *off to hold size payload bytes, keeping the first
 * min(old, size) bytes; *off may change (then the old cell is freed). */
int cell_realloc(rh_hive *h, uint32_t *off, uint32_t size);

/* Writable payload of the allocated cell at off (after its size field);
 * *n, if not NULL, gets the payload capacity. */
int cell_mut(rh_hive *h, uint32_t off, uint8_t **p, size_t *n);

/* Record that bytes [off, off + n) of the bins changed since the last
 * commit (4 KiB dirty pages for an in-place commit).  Never fails: when
 * the bitmap cannot grow, every page counts as changed.  Every write to
 * the image goes through this (or the allocator functions above). */
void page_touch(rh_hive *h, uint32_t off, size_t n);

/* page_touch over the whole allocated cell at off (size field included). */
void cell_touch(rh_hive *h, uint32_t off);

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

/* Walk the bins and verify the allocator's view (free index, bitmaps,
 * coalescing).  For tests: returns 0 or RH_ECORRUPT with a message. */
int alloc_verify(rh_hive *h);

#endif
