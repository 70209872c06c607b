/*
 * hive.h - the hive file layer: base block, bins, cell access, errors.
 *
 * Everything above this layer reaches file bytes only through cell_get(),
 * which checks that an offset names an allocated cell that was validated
 * when the bins were walked at open.
 */
#ifndef RH_HIVE_H
#define RH_HIVE_H

#include "reghive_sys.h"
#include "buf.h"
#include "format.h"
#include "log.h"

#include <stdarg.h>

/* Free-space index of a writable hive (alloc.c fills and uses it). */
#define ALLOC_NCLASS 160
typedef struct freelist {
    uint32_t *off, *size; /* candidate free cells; may hold stale entries */
    size_t n, cap;
} freelist;
typedef struct hive_alloc {
    freelist cls[ALLOC_NCLASS];
    uint8_t *fstart;  /* bit per 8 bytes: a free cell starts here */
    uint32_t *binof;  /* per 4 KiB page of bins: offset of its bin */
    uint8_t *indexed; /* bit per bin start page: its free cells are in
                       * the lists (bins are indexed when first edited
                       * or when a request finds no fit) */
    uint32_t scan;    /* bins below this offset are all indexed */
    size_t nfree;     /* live free cells */
    size_t nentries;  /* entries in all lists (live + stale) */
    size_t nwalk;     /* cell_free fell back to walking a bin (tests) */
    int unlisted;     /* a free cell of an indexed bin missed the lists
                       * (no memory to grow one): rebuild them */
    uint64_t nonempty[(ALLOC_NCLASS + 63) / 64]; /* bit per class: n > 0 */
    uint32_t nofit[ALLOC_NCLASS]; /* 0, or a size every live entry of
                                   * the class is below */
    /* Append mode (a new image laid out in order: save, compact): cells
     * go at pos in the bin at bin; last is the cell before, last_ok when
     * it may take a bin's tail; ucap bytes allocated at used. */
    int append, last_ok;
    uint32_t bin, pos, last;
    uint64_t bintime;
    size_t ucap;
} hive_alloc;

/* Changed pages over this many bytes, and over the file's size, make a
 * commit write a new file rather than a log entry (commit.c). */
#define REWRITE_MIN (1u << 20)

/* State of in-place commits through transaction logs (commit.c). */
typedef struct hive_wlog {
    int init;      /* fields below are set (first commit happened) */
    int diskdirty; /* the primary on disk may need its logs: rewrite */
    int active;    /* log idx holds this session's entries */
    int idx;       /* 0: HIVE.LOG1, 1: HIVE.LOG2 */
    uint32_t seq0; /* base block sequence number of that log */
    uint64_t end;  /* end of its last entry (next entry goes here) */
    int relaid;    /* image laid out anew (compact): next commit rewrites */
} hive_wlog;

/* Identity of the file opened, to refuse committing over a changed file. */
typedef struct hive_id {
    int valid;
    uint64_t dev, ino, size;
    int64_t mtime_s, mtime_ns;
} hive_id;

struct rh_hive {
    const uint8_t *data; /* the whole image (mmap, caller buffer, wbuf) */
    size_t len;
    void *map; /* mmap base when we own the mapping */
    size_t maplen;
    unsigned flags;
    uint32_t minor;
    uint32_t root;
    uint32_t bins_end; /* end of validated bins (from the first bin) */
    uint8_t *used;     /* bit per 8 bytes: an allocated cell starts here */
    uint64_t nbins;
    /* Lazy validation (read-only opens): a bin's cells are walked when a
     * cell in it is first asked for.  binof[page] is the offset of the bin
     * holding that 4 KiB page; pending has a bit per bin start page whose
     * cells are not walked yet.  NULL when everything was walked at open. */
    uint32_t *binof;
    uint8_t *pending;
    uint32_t lazy_end; /* binof/pending cover the bins below this */
    uint8_t *owned;    /* image recovered from logs that data points to */
    size_t owned_map;  /* 0: owned is heap; else a mapping of this size */
    rh_recovery rec;   /* what the transaction logs did at open */
    uint8_t *wbuf;     /* writable image owned by the hive; NULL if read-only */
    size_t wcap;       /* bytes allocated (or reserved, wmap) at wbuf */
    int wmap;          /* wbuf is a private copy-on-write mapping of the file
                        * (in a reservation of wcap bytes), not heap */
    int fd;            /* file opened for writing (held for its lock), or -1 */
    hive_alloc *al;    /* free-space index, built on the first edit */
    char *path;        /* file opened (malloc'd), for rh_commit(h, NULL) */
    hive_id id;
    uint8_t *dpg; /* bit per 4 KiB page of the bins: changed since commit */
    size_t dpgn;  /* bytes allocated at dpg */
    int dpg_all;  /* every page counts as changed: dpg could not grow, or
                   * the next commit rewrites the file anyway (no file
                   * behind the image, or more changed than it holds) */
    size_t ndpg;  /* pages marked in dpg */
    hive_wlog wl; /* in-place commit state */
    int dirty;    /* sequence numbers differed at open (logs not applied) */
    rh_progress_fn progress; /* or NULL */
    void *progress_ctx;
    uint32_t lim_depth; /* RH_LIMIT_DEPTH (hive_defaults sets it) */
    uint32_t lim_value; /* RH_LIMIT_VALUE_SIZE */
    char msg[256];
    int sys_errno; /* errno behind the last error (RH_EIO), else 0 */
    char warn[1024];
};

/* Record an error; returns rc.  Never allocates. */
int hive_err(rh_hive *h, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record an I/O failure: RH_EIO with the message, and err (the errno of
 * the failed call, 0 if there was none) for rh_errno().  Callers pass
 * err explicitly because formatting the message may change errno. */
int hive_ioerr(rh_hive *h, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a corruption at cell offset off (from the first bin). */
int hive_corrupt(rh_hive *h, uint32_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CORRUPT(h, off, ...) hive_corrupt((h), (off), __VA_ARGS__)

/* Parse the base block and walk the bins of h->data/len. */
int hive_load(rh_hive *h);

/* Free the writable-image state (wbuf, free lists). */
void hive_wfree(rh_hive *h);

/* Initial state every new rh_hive gets (limits at their maximum). */
static inline void
hive_defaults(rh_hive *h, unsigned flags)
{
    h->flags = flags;
    h->fd = -1;
    h->lim_depth = RH_MAX_DEPTH;
    h->lim_value = RH_MAX_VALUE_SIZE;
}

/* Error for key off nested deeper than h's depth limit: RH_ERANGE when a
 * caller tightened it, a corruption at the format maximum. */
int depth_err(rh_hive *h, uint32_t off);

/* Most distinct keys the bins can hold (an nk cell takes >= 80 bytes): a
 * subkey list yielding more repeats entries, e.g. an index root naming
 * one leaf many times (65535 x 65535 keys from a 512 KiB file). */
static inline size_t
max_keys(const rh_hive *h)
{
    return (size_t)h->bins_end / 80 + 1;
}

/* Is off the start of an allocated cell? */
static inline int
cell_is_used(const rh_hive *h, uint32_t off)
{
    return (off & 7) == 0 && off < h->bins_end &&
           (h->used[off >> 6] >> ((off >> 3) & 7) & 1);
}

/* Record why off is not an allocated cell; returns RH_ECORRUPT. */
int cell_bad(rh_hive *h, uint32_t off);

/* off is not marked allocated: walk its bin if that is still pending
 * (lazy validation), then 0 if off is an allocated cell after all, else
 * RH_ECORRUPT with the reason (the bin's own damage, or cell_bad's). */
int cell_miss(rh_hive *h, uint32_t off);

/* Make sure the cells of the bin at bins offset bin are validated (walk
 * it if pending).  0, or RH_ECORRUPT with the bin's damage. */
int hive_bin_ready(rh_hive *h, uint32_t bin);

/* A new zero-filled writable image of len bytes for h (an anonymous
 * reservation it can grow in, else heap).  0, or -1 out of memory. */
int hive_wbuf_anon(rh_hive *h, size_t len);

/* Release the writable image (heap or mapping). */
void hive_wbuf_release(rh_hive *h);

/* After a commit wrote the whole image to path: map the image from that
 * file instead (same bytes) and lock it.  0, or -1 (nothing changed). */
int hive_remap(rh_hive *h, const char *path);

/* Opening a file, in two halves around the check of a recovered image
 * (rh_open in open.c, a layer above, holds that check):
 * hive_open_begin maps path and replays its logs (found beside it, or the
 * nlogs given when explicit_logs) into an owned image; *out as rh_open;
 * hive_recovered gives that image (1) when the logs were applied, else 0;
 * hive_recovery_reject drops it, why saying what was wrong with it, and
 * the primary is read as it is; hive_open_end warns about what happened
 * to the logs and loads the image.  Both return 0 or an RH_E* code. */
int hive_open_begin(const char *path, const char *const *logs, size_t nlogs,
                    int explicit_logs, unsigned flags, rh_hive **out);
int hive_recovered(rh_hive *h, const uint8_t **img, size_t *len);
void hive_recovery_reject(rh_hive *h, const char *why);
int hive_open_end(rh_hive *h);

/* Walk every pending bin now, marking what is valid (errors ignored: the
 * caller re-walks the bins to report them).  For whole-hive passes that
 * test cell_is_used() directly (check, the allocator). */
void hive_validate_all(rh_hive *h);

/* Record that the cell at off lacks signature sig; returns RH_ECORRUPT. */
int cell_bad_sig(rh_hive *h, uint32_t off, const char sig[2]);

/* Span over the payload of the allocated cell at off (after its size
 * field).  RH_ECORRUPT if off is not the start of an allocated cell.
 * Inline: every record read starts here. */
static inline int
cell_get(rh_hive *h, uint32_t off, span *out)
{
    if (!cell_is_used(h, off) && cell_miss(h, off) < 0) {
        out->p = NULL;
        out->n = 0;
        return RH_ECORRUPT;
    }
    /* Validated by its bin walk: a negative size of at least 8 inside its
     * bin. */
    span bins = {h->data + BASE_SIZE, h->bins_end};
    int32_t sz = (int32_t)rd_u32(bins, off);
    out->p = bins.p + off + 4;
    out->n = (size_t)(-(int64_t)sz) - 4;
    return 0;
}

/* Like cell_get but checks the 2-byte signature too. */
static inline int
cell_get_sig(rh_hive *h, uint32_t off, const char sig[2], span *out)
{
    int rc = cell_get(h, off, out);
    if (rc < 0)
        return rc;
    if (!rd_sig(*out, 0, sig))
        return cell_bad_sig(h, off, sig);
    return 0;
}

/* Hint that the cell at off will be read soon (reads nothing; any off). */
static inline void
cell_prefetch(const rh_hive *h, uint32_t off)
{
    if (off < h->bins_end)
        __builtin_prefetch(h->data + BASE_SIZE + off);
}

/* Hint that the cell whose offset is stored at payload byte at of the
 * cell at off will be read soon: reads that field unchecked (any bytes
 * inside the bins will do for a hint) and prefetches what it names. */
static inline void
cell_prefetch_ref(const rh_hive *h, uint32_t off, uint32_t at)
{
    if ((uint64_t)off + 4 + at + 4 <= h->bins_end) {
        const uint8_t *p = h->data + BASE_SIZE + off + 4 + at;
        cell_prefetch(h, (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                             (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    }
}

/* Base block checksum of the first 508 bytes, with Windows' 0/-1 fixups. */
uint32_t base_checksum(const uint8_t *base);

/* Per-walk visited bitmap over cell offsets (detects cycles and keys
 * reached twice). */
typedef struct seen {
    uint8_t *bits;
} seen;
int seen_init(rh_hive *h, seen *s);
void seen_free(seen *s);
/* Returns 1 if already set, else sets it and returns 0. */
static inline int
seen_test_set(seen *s, uint32_t off)
{
    uint8_t m = (uint8_t)(1u << ((off >> 3) & 7));
    int was = s->bits[off >> 6] & m;
    s->bits[off >> 6] |= m;
    return was != 0;
}

#endif
