/*
 * hive.c - opening a hive: base block checks, the hive-bin walk that
 * validates every cell once, and cell_get(), the one checked path from a
 * file offset to bytes.
 */
#include "hive.h"
#include "testing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
hive_err(rh_hive *h, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->msg, sizeof h->msg, fmt, ap);
    va_end(ap);
    h->sys_errno = 0;
    return rc;
}

int
hive_ioerr(rh_hive *h, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->msg, sizeof h->msg, fmt, ap);
    va_end(ap);
    h->sys_errno = err;
    return RH_EIO;
}

int
hive_corrupt(rh_hive *h, uint32_t off, const char *fmt, ...)
{
    char tmp[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    snprintf(h->msg, sizeof h->msg, "file offset 0x%llx (cell 0x%x): %s",
             (unsigned long long)off + BASE_SIZE, off, tmp);
    h->sys_errno = 0;
    return RH_ECORRUPT;
}

static void warn(rh_hive *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn(rh_hive *h, const char *fmt, ...)
{
    size_t n = strlen(h->warn);
    va_list ap;
    if (n + 2 >= sizeof h->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(h->warn + n, sizeof h->warn - n - 1, fmt, ap);
    va_end(ap);
    n = strlen(h->warn);
    h->warn[n] = '\n';
    h->warn[n + 1] = 0;
}

uint32_t
base_checksum(const uint8_t *base)
{
    span s = {base, BASE_SIZE};
    uint32_t x = 0;
    for (size_t i = 0; i < BASE_CHECKSUM; i += 4)
        x ^= rd_u32(s, i);
    if (x == 0xFFFFFFFFu)
        x = 0xFFFFFFFEu;
    else if (x == 0)
        x = 1;
    return x;
}

static void
mark_used(rh_hive *h, uint32_t off)
{
    h->used[off >> 6] |= (uint8_t)(1u << ((off >> 3) & 7));
}

/* Validate the cells of one bin at [off, off+size) and mark them. */
static int
walk_cells(rh_hive *h, span bins, uint32_t off, uint32_t size)
{
    uint32_t end = off + size, c = off + HBIN_HDR, pf = off;
    while (c < end) {
        /* Each size says where the next is: fetch the lines ahead so the
         * misses overlap instead of following one another. */
        for (; pf < end && pf < c + 1024; pf += 64)
            __builtin_prefetch(bins.p + pf);
        int32_t sz = (int32_t)rd_u32(bins, c);
        uint32_t n = sz < 0 ? (uint32_t)0 - (uint32_t)sz : (uint32_t)sz;
        /* Windows (HvpEnlistFreeCells/HvCheckBin): size is a multiple of
         * 8, at least 8, and the cell stays inside its bin. */
        if (sz == INT32_MIN || n < 8 || (n & 7) || n > end - c)
            return CORRUPT(h, c, "bad cell size %d in bin at 0x%x", sz, off);
        if (sz < 0)
            mark_used(h, c);
        c += n;
    }
    return 0;
}

int
hive_load(rh_hive *h)
{
    span f = {h->data, h->len};
    uint32_t major, minor, type, fmt, bins_size, sum;

    if (h->len < BASE_SIZE)
        return hive_err(h, RH_ECORRUPT,
                        "file offset 0x0: file is %zu bytes, smaller than "
                        "the 4096-byte base block",
                        h->len);
    if (memcmp(h->data, "regf", 4) != 0)
        return hive_err(h, RH_ECORRUPT,
                        "file offset 0x0: no 'regf' signature: not a "
                        "registry hive");
    major = rd_u32(f, BASE_MAJOR);
    minor = rd_u32(f, BASE_MINOR);
    type = rd_u32(f, BASE_TYPE);
    fmt = rd_u32(f, BASE_FORMAT);
    if (major != 1 || minor < 2 || minor > 6)
        return hive_err(h, RH_ECORRUPT,
                        "file offset 0x14: unsupported format version "
                        "%u.%u (1.2 to 1.6 are known)",
                        major, minor);
    if (type != 0)
        return hive_err(h, RH_ECORRUPT,
                        "file offset 0x1c: file type %u is not a primary "
                        "hive (1, 2 and 6 are transaction logs)",
                        type);
    if (fmt != 1)
        return hive_err(h, RH_ECORRUPT,
                        "file offset 0x20: file format %u is not 1 "
                        "(direct memory load)",
                        fmt);
    h->minor = minor;
    sum = base_checksum(h->data);
    if (sum != rd_u32(f, BASE_CHECKSUM))
        warn(h,
             "base block checksum 0x%08x does not match computed 0x%08x "
             "(Windows accepts this when the sequence numbers agree)",
             rd_u32(f, BASE_CHECKSUM), sum);
    h->dirty = rd_u32(f, BASE_SEQ1) != rd_u32(f, BASE_SEQ2);
    if (h->dirty)
        warn(h,
             "hive is dirty: sequence numbers %u != %u; its newest changes "
             "are in the transaction logs, which are not applied",
             rd_u32(f, BASE_SEQ1), rd_u32(f, BASE_SEQ2));

    bins_size = rd_u32(f, BASE_BINS_SIZE);
    if (bins_size == 0 || bins_size % HBIN_PAGE)
        return hive_err(h, RH_ECORRUPT,
                        "file offset 0x28: hive bins size 0x%x is not a "
                        "positive multiple of 4096",
                        bins_size);
    if (bins_size > h->len - BASE_SIZE) {
        if (!(h->flags & RH_OPEN_RECOVER))
            return hive_err(h, RH_ECORRUPT,
                            "file offset 0x28: base block claims 0x%x "
                            "bytes of hive bins but the file holds only "
                            "0x%zx after the base block (truncated)",
                            bins_size, h->len - BASE_SIZE);
        bins_size = (uint32_t)((h->len - BASE_SIZE) & ~(size_t)0xFFF);
        warn(h, "truncated file: reading the first 0x%x bytes of bins",
             bins_size);
    }

    h->used = calloc((size_t)bins_size / 64 + 1, 1);
    if (!h->used)
        return hive_err(h, RH_ENOMEM, "out of memory");
    /* An open checks every bin header now and each bin's cells when
     * first touched, so a reader or an editor pays for the bins it uses
     * (and reads them while they are in cache).  Recovery-mode opens
     * (check) walk everything now. */
    int lazy = !(h->flags & RH_OPEN_RECOVER);
    if (lazy) {
        h->binof = malloc(((size_t)bins_size / HBIN_PAGE) * sizeof *h->binof);
        h->pending = calloc((size_t)bins_size / HBIN_PAGE / 8 + 1, 1);
        if (!h->binof || !h->pending)
            return hive_err(h, RH_ENOMEM, "out of memory");
    }

    span bins = {h->data + BASE_SIZE, bins_size};
    uint32_t off = 0;
    int rc;
    while (off < bins_size) {
        /* Most bins are one page: fetch the headers ahead (a hint only). */
        if ((size_t)off + 8 * HBIN_PAGE < bins_size)
            __builtin_prefetch(bins.p + off + 8 * HBIN_PAGE);
        uint32_t bsize = rd_u32(bins, off + HBIN_SIZE);
        int ok = memcmp(bins.p + off, "hbin", 4) == 0 &&
                 rd_u32(bins, off + HBIN_OFFSET) == off && bsize >= HBIN_PAGE &&
                 bsize % HBIN_PAGE == 0 && bsize <= bins_size - off;
        if (!ok) {
            if (!(h->flags & RH_OPEN_RECOVER)) {
                if (memcmp(bins.p + off, "hbin", 4) != 0)
                    return CORRUPT(h, off, "no 'hbin' signature");
                if (rd_u32(bins, off + HBIN_OFFSET) != off)
                    return CORRUPT(h, off, "hive bin says it is at 0x%x",
                                   rd_u32(bins, off + HBIN_OFFSET));
                return CORRUPT(h, off,
                               "hive bin size 0x%x is not a multiple of "
                               "4096 within the 0x%x bytes of bins",
                               bsize, bins_size);
            }
            /* Recovery: skip one page and look for the next bin. */
            off += HBIN_PAGE;
            continue;
        }
        if (lazy) {
            for (uint32_t pg = off / HBIN_PAGE; pg < (off + bsize) / HBIN_PAGE;
                 pg++)
                h->binof[pg] = off;
            h->pending[off / HBIN_PAGE / 8] |=
                (uint8_t)(1u << (off / HBIN_PAGE % 8));
        } else if ((rc = walk_cells(h, bins, off, bsize)) < 0) {
            if (!(h->flags & RH_OPEN_RECOVER))
                return rc;
        }
        h->nbins++;
        off += bsize;
    }
    h->bins_end = bins_size;
    h->lazy_end = lazy ? bins_size : 0;

    h->root = rd_u32(f, BASE_ROOT);
    span nk;
    if ((rc = cell_get_sig(h, h->root, "nk", &nk)) < 0) {
        char why[sizeof h->msg];
        memcpy(why, h->msg, sizeof why); /* h->msg is rewritten below */
        return hive_err(h, rc, "file offset 0x24: root key offset 0x%x: %s",
                        h->root, why);
    }
    return 0;
}

int
cell_bad(rh_hive *h, uint32_t off)
{
    if (off == CELL_NIL || off == 0)
        return hive_err(h, RH_ECORRUPT,
                        "cell offset 0x%x where a cell is required", off);
    if (off >= h->bins_end || (off & 7))
        return CORRUPT(h, off,
                       "cell offset outside the hive bins "
                       "or unaligned");
    return CORRUPT(h, off, "not the start of an allocated cell");
}

/* Walk the pending bin starting at b.  On damage the bin stays pending
 * with no cell marked, so every later access reports the same damage. */
static int
walk_pending(rh_hive *h, uint32_t b)
{
    span bins = {h->data + BASE_SIZE, h->bins_end};
    uint32_t bsize = rd_u32(bins, b + HBIN_SIZE);
    int rc = walk_cells(h, bins, b, bsize);
    if (rc < 0) {
        for (uint32_t c = b; c < b + bsize; c += 64)
            h->used[c >> 6] = 0;
        return rc;
    }
    h->pending[b / HBIN_PAGE / 8] &= (uint8_t) ~(1u << (b / HBIN_PAGE % 8));
    return 0;
}

static int
bin_pending(const rh_hive *h, uint32_t b)
{
    return h->pending[b / HBIN_PAGE / 8] >> (b / HBIN_PAGE % 8) & 1;
}

int
cell_miss(rh_hive *h, uint32_t off)
{
    if (h->binof && off < h->lazy_end && (off & 7) == 0) {
        uint32_t b = h->binof[off / HBIN_PAGE];
        if (b < h->lazy_end && bin_pending(h, b)) {
            int rc = walk_pending(h, b);
            if (rc < 0)
                return rc;
            if (cell_is_used(h, off))
                return 0;
        }
    }
    return cell_bad(h, off);
}

int
hive_bin_ready(rh_hive *h, uint32_t bin)
{
    if (h->binof && bin < h->lazy_end && bin_pending(h, bin))
        return walk_pending(h, bin);
    return 0;
}

void
hive_validate_all(rh_hive *h)
{
    if (!h->binof)
        return;
    span bins = {h->data + BASE_SIZE, h->bins_end};
    for (uint32_t b = 0; b < h->bins_end;) {
        uint32_t bsize = rd_u32(bins, b + HBIN_SIZE);
        if (b < h->lazy_end && bin_pending(h, b)) {
            walk_cells(h, bins, b, bsize); /* marks the valid prefix */
            h->pending[b / HBIN_PAGE / 8] &=
                (uint8_t) ~(1u << (b / HBIN_PAGE % 8));
        }
        b += bsize;
    }
    free(h->binof);
    free(h->pending);
    h->binof = NULL;
    h->pending = NULL;
    h->lazy_end = 0;
}

int
cell_bad_sig(rh_hive *h, uint32_t off, const char sig[2])
{
    return CORRUPT(h, off, "expected a '%c%c' cell", sig[0], sig[1]);
}

int
seen_init(rh_hive *h, seen *s)
{
    s->bits = calloc((size_t)h->bins_end / 64 + 1, 1);
    return s->bits ? 0 : hive_err(h, RH_ENOMEM, "out of memory");
}

void
seen_free(seen *s)
{
    free(s->bits);
    s->bits = NULL;
}

/* ---- public open/close --------------------------------------------- */

static rh_hive *
hive_new(unsigned flags)
{
    rh_hive *h = calloc(1, sizeof *h);
    if (h)
        hive_defaults(h, flags);
    return h;
}

int
depth_err(rh_hive *h, uint32_t off)
{
    if (h->lim_depth < RH_MAX_DEPTH)
        return hive_err(h, RH_ERANGE,
                        "key at file offset 0x%llx: nesting deeper than the "
                        "depth limit of %u levels",
                        (unsigned long long)off + BASE_SIZE, h->lim_depth);
    return CORRUPT(h, off, "key nesting deeper than %d levels", RH_MAX_DEPTH);
}

int
rh_limit_set(rh_hive *h, int which, uint64_t value)
{
    if (which == RH_LIMIT_DEPTH && value <= RH_MAX_DEPTH)
        h->lim_depth = (uint32_t)value;
    else if (which == RH_LIMIT_VALUE_SIZE && value <= RH_MAX_VALUE_SIZE)
        h->lim_value = (uint32_t)value;
    else
        return hive_err(h, RH_EINVAL,
                        "limit %d: unknown, or %llu is above its maximum",
                        which, (unsigned long long)value);
    return 0;
}

int
rh_limit_get(const rh_hive *h, int which, uint64_t *value)
{
    if (which == RH_LIMIT_DEPTH)
        *value = h->lim_depth;
    else if (which == RH_LIMIT_VALUE_SIZE)
        *value = h->lim_value;
    else
        return RH_EINVAL;
    return 0;
}

int
rh_open_mem(const void *buf, size_t len, unsigned flags, rh_hive **out)
{
    rh_hive *h = hive_new(flags);
    *out = h;
    if (!h)
        return RH_ENOMEM;
    if (flags & RH_OPEN_WRITE) {
        if (flags & RH_OPEN_RECOVER)
            return hive_err(h, RH_EINVAL,
                            "a hive opened in recovery mode cannot be "
                            "written");
        if (!(h->wbuf = malloc(len ? len : 1)))
            return hive_err(h, RH_ENOMEM, "out of memory");
        memcpy(h->wbuf, buf, len);
        h->wcap = len;
        buf = h->wbuf;
    }
    h->data = buf;
    h->len = len;
    return hive_load(h);
}

/* Map the file open at fd (named path) read-only; *m is NULL for an
 * empty file.  Errors go to h; fd stays open. */
static int
map_fd(rh_hive *h, int fd, const char *path, void **m, size_t *len,
       struct stat *stp)
{
    struct stat st;
    int err;
    *m = NULL;
    *len = 0;
    if (fd < 0 || fstat(fd, &st) < 0) {
        err = errno;
        return hive_ioerr(h, err, "%s: %s", path, strerror(err));
    }
    /* The open succeeds on a directory or a FIFO; what fails is reading
     * it as a mapped file: EISDIR as read(2) says for a directory, ENODEV
     * as mmap(2) says for a file type it cannot map. */
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return hive_ioerr(h, S_ISDIR(st.st_mode) ? EISDIR : ENODEV,
                          "%s: not a regular file", path);
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            err = errno;
            return hive_ioerr(h, err, "%s: mmap: %s", path, strerror(err));
        }
        *m = p;
        *len = (size_t)st.st_size;
    }
    if (stp)
        *stp = st;
    return 0;
}

/* Map path read-only (see map_fd). */
static int
map_file(rh_hive *h, const char *path, void **m, size_t *len, struct stat *stp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = map_fd(h, fd, path, m, len, stp);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---- transaction logs at open --------------------------------------- */

/* Find PATH.LOG1, PATH.LOG2 and PATH.LOG next to path, names compared
 * case-insensitively (an exact-case match wins).  Returns the count;
 * names are malloc'd into out[]. */
static size_t
find_logs(const char *path, char *out[RH_MAX_LOGS])
{
    static const char *const ext[RH_MAX_LOGS] = {".LOG1", ".LOG2", ".LOG"};
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, blen = strlen(base);
    size_t n = 0;
    char *dir = strndup(slash ? path : ".", slash ? dlen : 1);
    DIR *d = dir ? opendir(dir) : NULL;
    char *best[RH_MAX_LOGS] = {NULL, NULL, NULL};
    int exact[RH_MAX_LOGS] = {0, 0, 0};
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t nl = strlen(nm);
        if (nl <= blen || strncasecmp(nm, base, blen) != 0)
            continue;
        for (int i = 0; i < RH_MAX_LOGS; i++) {
            if (strcasecmp(nm + blen, ext[i]) != 0)
                continue;
            int ex = strncmp(nm, base, blen) == 0;
            if (best[i] && (exact[i] || !ex))
                break;
            char *full = malloc(dlen + nl + 1);
            if (!full)
                break;
            memcpy(full, path, dlen);
            memcpy(full + dlen, nm, nl + 1);
            free(best[i]);
            best[i] = full;
            exact[i] = ex;
            break;
        }
    }
    if (d)
        closedir(d);
    free(dir);
    for (int i = 0; i < RH_MAX_LOGS; i++)
        if (best[i])
            out[n++] = best[i];
    return n;
}

/* Copy the string src into dst[n], cut if it is longer. */
static void
copy_str(char *dst, size_t n, const char *src)
{
    size_t k = strnlen(src, n - 1);
    memcpy(dst, src, k);
    dst[k] = 0;
}

/* Free an image: a mapping of mapcap bytes, or heap when mapcap is 0. */
static void
image_free(uint8_t *p, size_t mapcap)
{
    if (mapcap)
        munmap(p, mapcap);
    else
        free(p);
}

static void
owned_release(rh_hive *h)
{
    image_free(h->owned, h->owned_map);
    h->owned = NULL;
    h->owned_map = 0;
}

/* Replace the image with img (owned from now on: a mapping of mapcap
 * bytes, or heap when mapcap is 0). */
static void
hive_take_image(rh_hive *h, uint8_t *img, size_t len, size_t mapcap)
{
    owned_release(h);
    h->owned = img;
    h->owned_map = mapcap;
    h->data = img;
    h->len = len;
}

static size_t reserve_size(size_t flen);
static uint8_t *map_room(int fd, size_t len, size_t need, size_t *cap);

/* Room for a recovered image: a private mapping of the primary, so only
 * the pages the logs write are copied. */
struct room {
    int fd; /* the primary, as opened */
    size_t len;
    uint8_t *p;
    size_t cap;
};

static uint8_t *
room_get(void *ctx, size_t need)
{
    struct room *r = ctx;
    return r->p = map_room(r->fd, r->len, need, &r->cap);
}

/* Reset what hive_load() fills, to load another image. */
static void
hive_unload(rh_hive *h)
{
    free(h->used);
    h->used = NULL;
    free(h->binof);
    h->binof = NULL;
    free(h->pending);
    h->pending = NULL;
    h->nbins = 0;
    h->bins_end = 0;
    h->lazy_end = 0;
    h->root = 0;
}

/* Apply the logs (paths) to h's mapped image.  Failures to read a log are
 * reported in h->rec, never fatal; only RH_ENOMEM is returned. */
static int
hive_apply_logs(rh_hive *h, int fd, const char *const *paths, size_t n)
{
    struct room room = {fd, h->len, NULL, 0};
    log_src src[RH_MAX_LOGS] = {{NULL, 0, NULL}};
    void *maps[RH_MAX_LOGS] = {NULL, NULL, NULL};
    char ioerr[RH_MAX_LOGS][160];
    uint8_t *img = NULL;
    size_t imglen = 0;
    span f = {h->data, h->len};
    /* A clean hive needs only the logs' base blocks (for reporting). */
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        ioerr[i][0] = 0;
        if (map_file(h, paths[i], &maps[i], &len, NULL) < 0)
            copy_str(ioerr[i], sizeof ioerr[i], h->msg);
        src[i].p = maps[i];
        src[i].n = len;
        src[i].name = paths[i];
    }
    h->msg[0] = 0;
    h->sys_errno = 0;
    int rc =
        log_recover_into(f, src, n, room_get, &room, &img, &imglen, &h->rec);
    for (size_t i = 0; i < n; i++) {
        if (maps[i])
            munmap(maps[i], src[i].n);
        if (ioerr[i][0])
            copy_str(h->rec.logs[i].note, sizeof h->rec.logs[i].note, ioerr[i]);
    }
    if (room.p && img != room.p)
        image_free(room.p, room.cap);
    if (rc < 0)
        return hive_err(h, rc, "out of memory recovering from the logs");
    if (img)
        hive_take_image(h, img, imglen, img == room.p ? room.cap : 0);
    return 0;
}

void
hive_wbuf_release(rh_hive *h)
{
    image_free(h->wbuf, h->wmap ? h->wcap : 0);
    h->wbuf = NULL;
    h->wcap = 0;
    h->wmap = 0;
}

/* Room a mapped image may grow into before it moves to the heap. */
static size_t
reserve_size(size_t flen)
{
    size_t extra = flen < ((size_t)64 << 20) ? (size_t)64 << 20 : flen;
    if (sizeof(size_t) < 8 || TEST_SMALL_RESERVE())
        extra = HBIN_PAGE * 16; /* tests: make growth move the image */
    return flen + extra;
}

/* A zero-filled anonymous reservation of need bytes plus room to grow
 * (*cap bytes in all; pages cost memory once written), or NULL. */
static uint8_t *
reserve(size_t need, size_t *cap)
{
    size_t res = reserve_size(need);
    void *r = mmap(NULL, res, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED)
        return NULL;
    *cap = res;
    return r;
}

/* Map len bytes of fd privately (copy-on-write: a page is copied when
 * first written, the file never changes) at the start of a reservation
 * of at least need bytes.  NULL when it cannot be mapped. */
static uint8_t *
map_room(int fd, size_t len, size_t need, size_t *cap)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t flen = (len + (size_t)pg - 1) & ~((size_t)pg - 1);
    uint8_t *r = reserve(need > flen ? need : flen, cap);
    if (r && mmap(r, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
                  0) == MAP_FAILED) {
        munmap(r, *cap);
        return NULL;
    }
    return r;
}

int
hive_wbuf_anon(rh_hive *h, size_t len)
{
    h->wmap = (h->wbuf = reserve(len, &h->wcap)) != NULL;
    if (!h->wmap) {
        if (!(h->wbuf = calloc(1, len)))
            return -1;
        h->wcap = len;
    }
    return 0;
}

/* The writable image h->wbuf as a private mapping of len bytes of fd.
 * 0, or -1 when it cannot be mapped (the caller copies instead). */
static int
map_image(rh_hive *h, int fd, size_t len)
{
    size_t cap;
    uint8_t *p = map_room(fd, len, len, &cap);
    if (!p)
        return -1;
    h->wbuf = p;
    h->wcap = cap;
    h->wmap = 1;
    return 0;
}

/* Hold an exclusive lock on the file at fd while it is open for writing
 * (open file description locks: two writable opens conflict even in one
 * process).  Where the file system has no locks, nothing is held. */
static int
lock_file(rh_hive *h, int fd, const char *path)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0 ||
        (errno != EAGAIN && errno != EACCES))
        return 0;
    return hive_ioerr(h, errno,
                      "%s: in use: another program (or handle) has it open "
                      "for writing",
                      path);
}

/* Open path for the writable image and its lock: read-write when allowed
 * (a lock needs it), else read-only (then nothing is locked).  -1 on
 * failure with errno set. */
static int
open_wfd(const char *path, int *locked)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    *locked = fd >= 0;
    if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
        fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd;
}

int
hive_remap(rh_hive *h, const char *path)
{
    int locked, fd = open_wfd(path, &locked);
    uint8_t *old = h->wbuf;
    size_t oldcap = h->wcap;
    int oldmap = h->wmap;
    struct stat st;
    size_t len = BASE_SIZE + (size_t)h->bins_end; /* what was written */
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < len ||
        map_image(h, fd, len) < 0) {
        close(fd);
        return -1;
    }
    image_free(old, oldmap ? oldcap : 0);
    h->data = h->wbuf;
    h->len = len;
    if (h->fd >= 0)
        close(h->fd);
    h->fd = fd;
    if (locked)
        lock_file(h, fd, path); /* best effort: the file is ours now */
    return 0;
}

/* Load h->data.  A writable hive edits the recovered image when the logs
 * were applied (so an edit of a dirty hive starts from its recovered
 * state), else a private mapping of the file (a heap copy if that fails). */
static int
load_image(rh_hive *h)
{
    if (h->flags & RH_OPEN_WRITE) {
        if (h->owned) {
            h->wbuf = h->owned;
            h->wmap = h->owned_map != 0;
            h->wcap = h->owned_map ? h->owned_map : h->len;
            h->owned = NULL;
            h->owned_map = 0;
        } else if (h->fd < 0 || map_image(h, h->fd, h->len) < 0) {
            if (!(h->wbuf = malloc(h->len)))
                return hive_err(h, RH_ENOMEM, "out of memory");
            memcpy(h->wbuf, h->data, h->len);
            h->wcap = h->len;
        }
        h->data = h->wbuf;
        if (h->map) {
            munmap(h->map, h->maplen);
            h->map = NULL;
        }
    }
    return hive_load(h);
}

/* A read-only hive keeps no descriptor (its mapping stands alone). */
static int
open_done(rh_hive *h, int rc)
{
    if (!(h->flags & RH_OPEN_WRITE) && h->fd >= 0) {
        close(h->fd);
        h->fd = -1;
    }
    return rc;
}

int
hive_open_begin(const char *path, const char *const *logs, size_t nlogs,
                int explicit_logs, unsigned flags, rh_hive **out)
{
    rh_hive *h = hive_new(flags);
    void *m;
    size_t len;
    int rc;
    *out = h;
    if (!h)
        return RH_ENOMEM;
    struct stat st;
    if ((flags & RH_OPEN_WRITE) && (flags & RH_OPEN_RECOVER))
        return hive_err(h, RH_EINVAL,
                        "a hive opened in recovery mode cannot be written");
    if (nlogs > RH_MAX_LOGS)
        return hive_err(h, RH_EINVAL, "at most %d transaction logs",
                        RH_MAX_LOGS);
    /* One descriptor for the mapping, the recovered image and (writing)
     * the editable image and its lock, so all are the same file. */
    int locked = 0;
    h->fd = (flags & RH_OPEN_WRITE) ? open_wfd(path, &locked)
                                    : open(path, O_RDONLY | O_CLOEXEC);
    if ((rc = map_fd(h, h->fd, path, &m, &len, &st)) < 0)
        return rc;
    if (!m)
        return hive_err(h, RH_ECORRUPT, "file offset 0x0: file is empty");
    h->map = m;
    h->maplen = len;
    h->data = m;
    h->len = len;
    if (flags & RH_OPEN_WRITE) {
        /* Remember what was opened, so rh_commit can refuse to replace a
         * file that changed underneath. */
        if (!(h->path = strdup(path)))
            return hive_err(h, RH_ENOMEM, "out of memory");
        if (locked && (rc = lock_file(h, h->fd, path)) < 0)
            return rc;
        h->id.valid = 1;
        h->id.dev = (uint64_t)st.st_dev;
        h->id.ino = (uint64_t)st.st_ino;
        h->id.size = (uint64_t)st.st_size;
        h->id.mtime_s = (int64_t)st.st_mtim.tv_sec;
        h->id.mtime_ns = (int64_t)st.st_mtim.tv_nsec;
    }
    if (flags & RH_OPEN_NOLOGS) {
        snprintf(h->rec.status, sizeof h->rec.status,
                 "transaction logs not consulted (no-logs option)");
        return 0;
    }

    char *found[RH_MAX_LOGS] = {NULL, NULL, NULL};
    if (!explicit_logs) {
        nlogs = find_logs(path, found);
        logs = (const char *const *)found;
    }
    rc = hive_apply_logs(h, h->fd, logs, nlogs);
    for (size_t i = 0; i < RH_MAX_LOGS; i++)
        free(found[i]);
    return rc;
}

int
hive_recovered(rh_hive *h, const uint8_t **img, size_t *len)
{
    *img = h->rec.applied ? h->owned : NULL;
    *len = h->rec.applied ? h->len : 0;
    return h->rec.applied;
}

void
hive_recovery_reject(rh_hive *h, const char *why)
{
    owned_release(h);
    h->data = h->map;
    h->len = h->maplen;
    log_report_reject(&h->rec, why);
    h->rec.bins_size = rd_u32((span){h->map, h->maplen}, BASE_BINS_SIZE);
}

int
hive_open_end(rh_hive *h)
{
    int rc;
    for (size_t i = 0; i < h->rec.nlogs; i++) {
        const rh_log_info *l = &h->rec.logs[i];
        const char *sl = strrchr(l->name, '/');
        if (l->foreign)
            warn(h, "log %s %s; not applied", sl ? sl + 1 : l->name, l->note);
    }
    if (h->rec.applied)
        warn(h,
             "%s; read in memory, the file on disk is unchanged "
             "(--no-logs reads it as it is)",
             h->rec.status);
    else if (h->rec.dirty)
        warn(h, "transaction logs not applied: %s", h->rec.status);
    if ((rc = load_image(h)) == 0 || !h->owned)
        return open_done(h, rc);
    /* The recovered image does not hold together: read the primary. */
    warn(h,
         "the recovered image is corrupt (%s); reading the primary "
         "file as it is",
         h->msg);
    owned_release(h);
    h->data = h->map;
    h->len = h->maplen;
    h->rec.applied = 0;
    hive_unload(h);
    return open_done(h, load_image(h));
}

int
rh_log_report(rh_hive *h, rh_recovery *out)
{
    *out = h->rec;
    return 0;
}

int
rh_image(rh_hive *h, const void **data, size_t *len)
{
    *data = h->data;
    *len = h->len;
    return 0;
}

void
rh_close(rh_hive *h)
{
    if (!h)
        return;
    if (h->map)
        munmap(h->map, h->maplen);
    owned_release(h);
    hive_wfree(h);
    if (h->fd >= 0)
        close(h->fd);
    free(h->used);
    free(h->binof);
    free(h->pending);
    free(h);
}

void
hive_wfree(rh_hive *h)
{
    if (h->al) {
        for (size_t i = 0; i < ALLOC_NCLASS; i++) {
            free(h->al->cls[i].off);
            free(h->al->cls[i].size);
        }
        free(h->al->fstart);
        free(h->al->binof);
        free(h->al->indexed);
        free(h->al);
        h->al = NULL;
    }
    hive_wbuf_release(h);
    free(h->dpg);
    h->dpg = NULL;
    h->dpgn = 0;
    h->ndpg = 0;
    free(h->path);
    h->path = NULL;
}

const char *
rh_errmsg(const rh_hive *h)
{
    return h ? h->msg : "out of memory";
}

int
rh_errno(const rh_hive *h)
{
    return h ? h->sys_errno : 0;
}

const char *
rh_version(void)
{
    return RH_VERSION;
}

const char *
rh_warnings(const rh_hive *h)
{
    return h ? h->warn : "";
}

const char *
rh_strerror(int rc)
{
    switch (rc) {
    case RH_OK:
        return "success";
    case RH_ECORRUPT:
        return "corrupt hive";
    case RH_ENOTFOUND:
        return "not found";
    case RH_ENOMEM:
        return "out of memory";
    case RH_EIO:
        return "input/output error";
    case RH_EINVAL:
        return "invalid argument";
    case RH_ERANGE:
        return "limit exceeded";
    case RH_EREADONLY:
        return "hive is read-only";
    case RH_ECANCEL:
        return "cancelled";
    }
    return "unknown error";
}

int
rh_hive_info(rh_hive *h, rh_info *out)
{
    span f = {h->data, h->len};
    memset(out, 0, sizeof *out);
    out->seq1 = rd_u32(f, BASE_SEQ1);
    out->seq2 = rd_u32(f, BASE_SEQ2);
    out->last_written = rd_u64(f, BASE_TIME);
    out->major = rd_u32(f, BASE_MAJOR);
    out->minor = rd_u32(f, BASE_MINOR);
    out->file_type = rd_u32(f, BASE_TYPE);
    out->file_format = rd_u32(f, BASE_FORMAT);
    out->root = rd_u32(f, BASE_ROOT);
    out->bins_size = rd_u32(f, BASE_BINS_SIZE);
    out->checksum = rd_u32(f, BASE_CHECKSUM);
    out->checksum_computed = base_checksum(h->data);
    out->file_size = h->len;
    out->dirty = out->seq1 != out->seq2;
    /* The embedded name is UTF-16LE, NUL-padded; keep it ASCII-safe. */
    size_t j = 0;
    for (size_t i = 0; i + 1 < BASE_NAME_SIZE; i += 2) {
        uint16_t c = rd_u16(f, BASE_NAME + i);
        if (c == 0)
            break;
        if (j + 4 >= sizeof out->file_name)
            break;
        if (c < 0x80) {
            out->file_name[j++] = (char)c;
        } else if (c < 0x800) {
            out->file_name[j++] = (char)(0xC0 | c >> 6);
            out->file_name[j++] = (char)(0x80 | (c & 0x3F));
        } else {
            out->file_name[j++] = (char)(0xE0 | c >> 12);
            out->file_name[j++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out->file_name[j++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out->file_name[j] = 0;
    return 0;
}

rh_key
rh_hive_root(rh_hive *h)
{
    return h->root;
}
