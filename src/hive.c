/*
 * hive.c - opening a hive: base block checks, the hive-bin walk that
 * validates every cell once, and cell_get(), the one checked path from a
 * file offset to bytes.
 */
#include "hive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    return rc;
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
    uint32_t end = off + size, c = off + HBIN_HDR;
    while (c < end) {
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

    span bins = {h->data + BASE_SIZE, bins_size};
    uint32_t off = 0;
    int rc;
    while (off < bins_size) {
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
        if ((rc = walk_cells(h, bins, off, bsize)) < 0) {
            if (!(h->flags & RH_OPEN_RECOVER))
                return rc;
        }
        h->nbins++;
        off += bsize;
    }
    h->bins_end = bins_size;

    h->root = rd_u32(f, BASE_ROOT);
    span nk;
    if ((rc = cell_get_sig(h, h->root, "nk", &nk)) < 0)
        return hive_err(h, rc, "file offset 0x24: root key offset 0x%x: %s",
                        h->root, h->msg);
    return 0;
}

int
cell_get(rh_hive *h, uint32_t off, span *out)
{
    if (!cell_is_used(h, off)) {
        if (off == CELL_NIL || off == 0)
            return hive_err(h, RH_ECORRUPT,
                            "cell offset 0x%x where a cell is required", off);
        if (off >= h->bins_end || (off & 7))
            return CORRUPT(h, off,
                           "cell offset outside the hive bins "
                           "or unaligned");
        return CORRUPT(h, off, "not the start of an allocated cell");
    }
    span bins = {h->data + BASE_SIZE, h->bins_end};
    int32_t sz = (int32_t)rd_u32(bins, off);
    out->p = bins.p + off + 4;
    out->n = (size_t)(-(int64_t)sz) - 4;
    return 0;
}

int
cell_get_sig(rh_hive *h, uint32_t off, const char sig[2], span *out)
{
    int rc = cell_get(h, off, out);
    if (rc < 0)
        return rc;
    if (!rd_sig(*out, 0, sig))
        return CORRUPT(h, off, "expected a '%c%c' cell", sig[0], sig[1]);
    return 0;
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
        h->flags = flags;
    return h;
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

/* Read the whole file into a heap buffer owned by h (writable hives). */
static int
read_all(rh_hive *h, int fd, const char *path, size_t size)
{
    size_t got = 0;
    if (!(h->wbuf = malloc(size)))
        return hive_err(h, RH_ENOMEM, "out of memory");
    h->wcap = size;
    while (got < size) {
        ssize_t r = read(fd, h->wbuf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return hive_err(h, RH_EIO, "%s: read: %s", path,
                            r < 0 ? strerror(errno) : "short read");
        got += (size_t)r;
    }
    h->data = h->wbuf;
    h->len = size;
    return 0;
}

int
rh_open(const char *path, unsigned flags, rh_hive **out)
{
    rh_hive *h = hive_new(flags);
    struct stat st;
    int fd;
    *out = h;
    if (!h)
        return RH_ENOMEM;
    if ((flags & RH_OPEN_WRITE) && (flags & RH_OPEN_RECOVER))
        return hive_err(h, RH_EINVAL,
                        "a hive opened in recovery mode cannot be written");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hive_err(h, RH_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        close(fd);
        return hive_err(h, RH_EIO, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        close(fd);
        return hive_err(h, RH_EIO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return hive_err(h, RH_ECORRUPT, "%s: file is empty", path);
    }
    if (flags & RH_OPEN_WRITE) {
        int rc = read_all(h, fd, path, (size_t)st.st_size);
        close(fd);
        if (rc < 0)
            return rc;
        if (!(h->path = strdup(path)))
            return hive_err(h, RH_ENOMEM, "out of memory");
        h->id.valid = 1;
        h->id.dev = (uint64_t)st.st_dev;
        h->id.ino = (uint64_t)st.st_ino;
        h->id.size = (uint64_t)st.st_size;
        h->id.mtime_s = (int64_t)st.st_mtim.tv_sec;
        h->id.mtime_ns = (int64_t)st.st_mtim.tv_nsec;
        return hive_load(h);
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return hive_err(h, RH_EIO, "%s: mmap: %s", path, strerror(errno));
    h->map = m;
    h->maplen = (size_t)st.st_size;
    h->data = m;
    h->len = h->maplen;
    return hive_load(h);
}

void
rh_close(rh_hive *h)
{
    if (!h)
        return;
    if (h->map)
        munmap(h->map, h->maplen);
    hive_wfree(h);
    free(h->used);
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
        free(h->al);
        h->al = NULL;
    }
    free(h->wbuf);
    h->wbuf = NULL;
    free(h->path);
    h->path = NULL;
}

const char *
rh_errmsg(const rh_hive *h)
{
    return h ? h->msg : "out of memory";
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
rh_root(rh_hive *h)
{
    return h->root;
}
