/*
 * commit.c - rh_commit() (hive-file layer).  Default, as Windows 8.1+
 * does: the pages changed since the last commit go into an "HvLE" entry
 * of HIVE.LOG1 or HIVE.LOG2 (fsynced), then into the primary in place
 * between two base block writes (seq1 first, seq2 last).  RH_COMMIT_REWRITE
 * (and every case where in place is impossible, or where over 1 MiB of
 * changed pages outweighs the file on disk) writes a new file beside
 * the target, fsyncs it, renames it over the target, fsyncs the directory.
 * Test hooks (testing.h; test build only): a step numbered below can be
 * made to fail like an I/O error (TEST_COMMIT_FAIL) or to end the process
 * with _exit(86) (TEST_COMMIT_CRASH; after writing half of the bytes when
 * the step writes), as a kill would; TEST_LOG_LIMIT replaces LOG_LIMIT.
 */
#include "alloc.h"
#include "log.h"
#include "testing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* A log that reached this size is not appended to: the next commit starts
 * the other one. */
#define LOG_LIMIT (1u << 20)

enum {
    STEP_CREATE = 1, /* create the temp file */
    STEP_WRITE,      /* write the image (seq2 still the old number) */
    STEP_FSYNC,      /* fsync it */
    STEP_BASE,       /* rewrite the base block with seq2 == seq1 */
    STEP_FSYNC2,     /* fsync again */
    STEP_BACKUP,     /* link the old file as PATH.bak */
    STEP_RENAME,     /* rename the temp file over PATH */
    STEP_DIRSYNC     /* fsync the directory */
};

/* Steps of an in-place commit (same hooks, own numbers). */
enum {
    IP_BACKUP = 1, /* copy PATH to PATH.bak (with RH_COMMIT_BACKUP) */
    IP_LOGOPEN,    /* open or create the log; starting afresh: reset the
                      other log to a base block that cannot apply */
    IP_LOGWRITE,   /* write the entry (after a log base block if fresh) */
    IP_LOGSYNC,    /* fsync the log */
    IP_BASE1,      /* primary base block: seq1 = new, seq2 older */
    IP_SYNC1,      /* fsync the primary */
    IP_PAGES,      /* write the changed pages in place */
    IP_SYNC2,      /* fsync */
    IP_BASE2,      /* primary base block: seq2 = seq1, new bins size */
    IP_SYNC3       /* fsync */
};

/* 1 if step should fail (errno EIO); never returns if it should crash. */
static int
step_fails(int step)
{
    if (TEST_COMMIT_CRASH(step))
        _exit(86);
    if (TEST_COMMIT_FAIL(step)) {
        errno = EIO;
        return 1;
    }
    return 0;
}

static int
pwrite_all(int fd, const uint8_t *p, size_t n, off_t off, int step)
{
    if (TEST_COMMIT_CRASH(step)) {
        if (pwrite(fd, p, n / 2, off) < 0) /* a torn write, then death */
            _exit(87);
        _exit(86);
    }
    if (step_fails(step))
        return -1;
    while (n) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

static int
fsync_dir(const char *path)
{
    char *d = strdup(path);
    if (!d)
        return -1;
    char *s = strrchr(d, '/');
    if (!s)
        strcpy(d, ".");
    else if (s == d)
        d[1] = 0;
    else
        *s = 0;
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(d);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Make bak (PATH.bak) a copy of path: when link is set, a hard link to
 * the old file (which the rename then leaves behind), else (or if linking
 * fails) a byte copy, fsynced.  Either way the directory is fsynced before
 * this returns, because the caller changes or replaces path next: until
 * then the new name is only in the page cache, and a power cut could keep
 * the change to path and lose PATH.bak (fsync(2): "Calling fsync() does not
 * necessarily ensure that the entry in the directory containing the file
 * has also reached disk.  For that an explicit fsync() on a file descriptor
 * for the directory is also needed."; tests/oracle/test_powercut.py). */
static int
backup(const char *path, const char *bak, const char *baktmp, int link_ok)
{
    unlink(baktmp);
    if (link_ok && link(path, baktmp) == 0) {
        if (rename(baktmp, bak) < 0) {
            int e = errno;
            unlink(baktmp);
            errno = e;
            return -1;
        }
        return fsync_dir(bak);
    }
    int in = open(path, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    char buf[65536];
    ssize_t n;
    struct stat st;
    if (in < 0)
        return -1;
    out = open(baktmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    /* The copy keeps the hive's mode (a SAM's .bak as private as the SAM;
     * created 0600 so it is never wider in between). */
    if (out < 0 || fstat(in, &st) < 0 || fchmod(out, st.st_mode & 07777) < 0)
        goto done;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto done;
    if (n == 0 && fsync(out) == 0 && rename(baktmp, bak) == 0)
        rc = fsync_dir(bak);
done:;
    int e = errno; /* the cause, not what the cleanup says (ENOENT) */
    if (out >= 0)
        close(out);
    close(in);
    if (rc < 0)
        unlink(baktmp);
    errno = e;
    return rc;
}

/* The last-written time of a new file: from the precise clock (keys are
 * stamped from the coarse one, a few ms), and after the old time, since
 * it is what tells this hive's logs from those of another hive written
 * moments apart (log_belongs). */
static uint64_t
stamp_now(uint64_t old)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t t = ((uint64_t)ts.tv_sec + 11644473600u) * 10000000u +
                 (uint64_t)ts.tv_nsec / 100;
    return t > old ? t : old + 1;
}

/* Record the identity of path after a commit (for the next one). */
static void
remember(rh_hive *h, const char *path, const struct stat *st)
{
    if (!h->path || strcmp(h->path, path) != 0) {
        char *p = strdup(path);
        if (p) {
            free(h->path);
            h->path = p;
        }
    }
    h->id.valid = 1;
    h->id.dev = (uint64_t)st->st_dev;
    h->id.ino = (uint64_t)st->st_ino;
    h->id.size = (uint64_t)st->st_size;
    h->id.mtime_s = (int64_t)st->st_mtim.tv_sec;
    h->id.mtime_ns = (int64_t)st->st_mtim.tv_nsec;
}

/* Write a new file beside path and rename it over path. */
static int
commit_rewrite(rh_hive *h, const char *path, unsigned flags, int exists,
               struct stat st)
{
    uint8_t saved[BASE_SIZE];
    char *tmp = NULL, *bak = NULL;
    int fd = -1, rc = RH_EIO, renamed = 0, err;
    const char *what = "";
    size_t plen = strlen(path);
    tmp = malloc(plen + 40);
    bak = malloc(plen + 40);
    if (tmp)
        tmp[0] = 0;
    if (!tmp || !bak) {
        free(tmp);
        free(bak);
        return hive_err(h, RH_ENOMEM, "out of memory");
    }

    /* Base block: seq1 moves first, seq2 catches up in a second write. */
    uint8_t *b = h->wbuf;
    span bs = {b, BASE_SIZE};
    memcpy(saved, b, BASE_SIZE);
    uint32_t s1 = rd_u32(bs, BASE_SEQ1), s2 = rd_u32(bs, BASE_SEQ2);
    uint32_t seq = (s1 > s2 ? s1 : s2) + 1;
    uint64_t now = stamp_now(rd_u64(bs, BASE_TIME));
    wr_u32(b + BASE_SEQ1, seq);
    /* A new file: a new last-written time.  The logs beside the old file
     * no longer match it (log_belongs): they are all applied.  The first
     * bin's copy of the time (msuhanov/regf, hive bin note 3), which
     * Windows compares a log with when the base block is damaged, stays
     * as it was: rewriting it would make every rewrite change the bins
     * (compacting twice must give the same bytes). */
    wr_u64(b + BASE_TIME, now);
    wr_u32(b + BASE_BINS_SIZE, h->bins_end);
    wr_u32(b + BASE_CHECKSUM, base_checksum(b));
    size_t len = BASE_SIZE + (size_t)h->bins_end;

    what = "create temporary file";
    if (!step_fails(STEP_CREATE)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        for (unsigned i = 0; i < 100 && fd < 0; i++) {
            snprintf(tmp, plen + 40, "%s.%ld-%lx.tmp", path, (long)getpid(),
                     (unsigned long)ts.tv_nsec + i);
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                      exists ? 0600 : 0666);
            if (fd < 0 && errno != EEXIST)
                break;
        }
    }
    if (fd < 0)
        goto fail;
    if (exists) {
        what = "keep mode and owner";
        if (fchmod(fd, st.st_mode & 07777) < 0)
            goto fail;
        if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
            fchown(fd, st.st_uid, st.st_gid) < 0 && st.st_uid != geteuid())
            goto fail;
    }
    what = "write";
    if (pwrite_all(fd, b, len, 0, STEP_WRITE) < 0)
        goto fail;
    what = "fsync";
    if (step_fails(STEP_FSYNC) || fsync(fd) < 0)
        goto fail;
    wr_u32(b + BASE_SEQ2, seq);
    wr_u32(b + BASE_CHECKSUM, base_checksum(b));
    what = "write base block";
    if (pwrite_all(fd, b, BASE_SIZE, 0, STEP_BASE) < 0)
        goto fail;
    what = "fsync";
    if (step_fails(STEP_FSYNC2) || fsync(fd) < 0)
        goto fail;
    what = "close";
    rc = close(fd);
    fd = -1;
    rc = RH_EIO;
    if (exists && (flags & RH_COMMIT_BACKUP)) {
        what = "back up the old hive";
        snprintf(bak, plen + 40, "%s.bak", path);
        char *baktmp = malloc(plen + 40);
        if (!baktmp)
            goto fail;
        snprintf(baktmp, plen + 40, "%s.bak.%ld.tmp", path, (long)getpid());
        int brc = step_fails(STEP_BACKUP) ? -1 : backup(path, bak, baktmp, 1);
        free(baktmp);
        if (brc < 0)
            goto fail;
    }
    what = "rename";
    if (step_fails(STEP_RENAME) || rename(tmp, path) < 0)
        goto fail;
    renamed = 1;
    what = "fsync directory";
    if (step_fails(STEP_DIRSYNC) || fsync_dir(path) < 0)
        goto fail;
    if (stat(path, &st) == 0) {
        remember(h, path, &st);
        /* Edit on over the new file (the same bytes), locked: the old one
         * may be changed by others now. */
        hive_remap(h, path);
    }
    /* The file on disk is the image: nothing is pending, and the logs
     * beside it hold only older sequence numbers. */
    page_clean(h);
    h->wl.diskdirty = 0;
    h->wl.active = 0;
    free(tmp);
    free(bak);
    return 0;
fail:
    err = errno;
    /* A step that ran out of memory (a path copy, say) is RH_ENOMEM. */
    if (err == ENOMEM)
        rc = hive_err(h, RH_ENOMEM, "%s: %s: %s%s", path, what, strerror(err),
                      renamed ? " (the new hive is in place)" : "");
    else
        rc = hive_ioerr(h, err, "%s: %s: %s%s", path, what, strerror(err),
                        renamed ? " (the new hive is in place)" : "");
    if (fd >= 0)
        close(fd);
    if (!renamed) {
        if (*tmp)
            unlink(tmp);
        memcpy(b, saved, BASE_SIZE);
    }
    free(tmp);
    free(bak);
    return rc;
}

/* ---- in place, through the logs -------------------------------------- */

/* Serial-number order with wrap-around: is a at or after b? */
static int
seq_ge(uint32_t a, uint32_t b)
{
    return (uint32_t)(a - b) <= 0x7FFFFFFFu;
}

/* PATH + ext beside path: an existing file whose name matches it
 * case-insensitively (exact case preferred, as at open), else the name
 * spelled as ext.  malloc'd; NULL without memory. */
static char *
log_path(const char *path, const char *ext)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, blen = strlen(base);
    size_t elen = strlen(ext);
    char *out = malloc(dlen + blen + elen + 1);
    if (!out)
        return NULL;
    memcpy(out, path, dlen + blen);
    memcpy(out + dlen + blen, ext, elen + 1);
    if (access(out, F_OK) == 0)
        return out;
    char *dir = strndup(slash ? path : ".", slash ? dlen : 1);
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strlen(nm) == blen + elen && strncasecmp(nm, base, blen) == 0 &&
            strcasecmp(nm + blen, ext) == 0) {
            memcpy(out + dlen, nm, blen + elen + 1);
            break;
        }
    }
    if (d)
        closedir(d);
    free(dir);
    return out;
}

static int
pread_all(int fd, uint8_t *p, size_t n, off_t off)
{
    while (n) {
        ssize_t r = pread(fd, p, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

/* What a log beside the hive holds (new format only). */
typedef struct logstate {
    int valid;         /* a valid new-format base block */
    int belongs;       /* ... that is the primary's (log_belongs) */
    uint32_t seq0;     /* its sequence number */
    uint32_t nent;     /* valid entries from it */
    uint32_t last;     /* sequence number of the last one */
    uint64_t end, len; /* end of the last valid entry; file size */
} logstate;

/* Read the log at lp (absent or unreadable: not valid) of the primary
 * whose base block is disk.  Entries are walked only when the file is at
 * most limit bytes. */
static void
log_state(const char *lp, const uint8_t *disk, uint64_t limit, logstate *ls)
{
    struct stat st;
    memset(ls, 0, sizeof *ls);
    int fd = open(lp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && st.st_size >= LOG_BASE_SIZE) {
        ls->len = (uint64_t)st.st_size;
        size_t n = ls->len <= limit ? (size_t)ls->len : LOG_BASE_SIZE;
        uint8_t *p = malloc(n);
        size_t end = 0;
        if (p && pread_all(fd, p, n, 0) == 0 &&
            log_scan((span){p, n}, &ls->seq0, &ls->nent, &ls->last, &end) ==
                0) {
            char why[200];
            ls->valid = 1;
            ls->belongs = log_belongs((span){disk, BASE_SIZE}, (span){p, n},
                                      why, sizeof why) == 0;
            ls->end = end;
            if (n < ls->len)
                ls->nent = 0; /* not walked */
        }
        free(p);
    }
    close(fd);
}

/* A run of changed pages: bins offset and length. */
typedef struct run {
    uint32_t off, len;
} run;

/* Write the runs of the image in place; a crash hook tears the writes
 * after half of the bytes. */
static int
write_pages(int fd, const uint8_t *bins, const run *r, size_t nr, size_t total)
{
    int crash = TEST_COMMIT_CRASH(IP_PAGES);
    size_t done = 0;
    if (!crash && step_fails(IP_PAGES))
        return -1;
    for (size_t i = 0; i < nr; i++) {
        size_t n = r[i].len;
        if (crash && done + n >= total / 2) {
            if (pwrite(fd, bins + r[i].off, total / 2 - done,
                       (off_t)BASE_SIZE + r[i].off) < 0)
                _exit(87);
            _exit(86);
        }
        if (pwrite_all(fd, bins + r[i].off, n, (off_t)BASE_SIZE + r[i].off,
                       -1) < 0)
            return -1;
        done += n;
    }
    return 0;
}

/* Copy path to its .bak (a real copy: the original changes in place). */
static int
backup_copy(const char *path)
{
    size_t plen = strlen(path);
    char *bak = malloc(plen + 40), *tmp = malloc(plen + 40);
    int rc = -1;
    if (bak && tmp) {
        snprintf(bak, plen + 40, "%s.bak", path);
        snprintf(tmp, plen + 40, "%s.bak.%ld.tmp", path, (long)getpid());
        rc = backup(path, bak, tmp, 0);
    }
    free(bak);
    free(tmp);
    return rc;
}

/* Open the log lp for writing, creating it like the hive (mode, owner);
 * *created says whether it was.  The caller fsyncs the directory once
 * after creating the logs, so the new names survive a crash. */
static int
log_open(const char *lp, const struct stat *st, int *created)
{
    int fd = open(lp, O_RDWR | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    fd = open(lp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 0666);
    if (fd < 0)
        return -1;
    if (fchmod(fd, st->st_mode & 0666) < 0 ||
        ((st->st_uid != geteuid() || st->st_gid != getegid()) &&
         fchown(fd, st->st_uid, st->st_gid) < 0 && st->st_uid != geteuid())) {
        close(fd);
        unlink(lp);
        return -1;
    }
    *created = 1;
    return fd;
}

/* 1 when path can be committed in place: it is the file opened, unchanged
 * since, and its primary was clean (nothing pending in its logs). */
static int
inplace_ok(rh_hive *h, const char *path, unsigned flags, int exists,
           const struct stat *st)
{
    if (!h->wl.init) {
        h->wl.init = 1;
        h->wl.diskdirty = h->dirty || h->rec.dirty || h->rec.applied;
    }
    return !(flags & RH_COMMIT_REWRITE) && exists && !h->wl.diskdirty &&
           !h->wl.relaid && h->path && strcmp(h->path, path) == 0 &&
           h->id.valid && (uint64_t)st->st_dev == h->id.dev &&
           (uint64_t)st->st_ino == h->id.ino &&
           (uint64_t)st->st_size == h->id.size &&
           (int64_t)st->st_mtim.tv_sec == h->id.mtime_s &&
           (int64_t)st->st_mtim.tv_nsec == h->id.mtime_ns &&
           h->bins_end >= HBIN_PAGE;
}

/* The in-place commit.  Returns 1 when the file turns out not to be
 * what the image came from (then the caller rewrites), else 0 or an
 * error. */
static int
commit_inplace(rh_hive *h, const char *path, unsigned flags,
               const struct stat *st)
{
    uint8_t disk[BASE_SIZE], nb[BASE_SIZE], lb[LOG_BASE_SIZE],
        ob[LOG_BASE_SIZE];
    char *lp[2] = {NULL, NULL};
    run *runs = NULL;
    uint8_t *buf = NULL;
    int fd = -1, lfd = -1, rc = RH_EIO, touched = 0, err;
    const char *what = "open";
    uint64_t limit = TEST_LOG_LIMIT(LOG_LIMIT);
    span bs = {h->wbuf, BASE_SIZE};

    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        goto fail;
    /* The primary must be the clean image we started from. */
    what = "read base block";
    if (pread_all(fd, disk, BASE_SIZE, 0) < 0)
        goto fail;
    span ds = {disk, BASE_SIZE};
    uint32_t p = rd_u32(ds, BASE_SEQ1);
    if (memcmp(disk, "regf", 4) != 0 || p != rd_u32(ds, BASE_SEQ2) ||
        base_checksum(disk) != rd_u32(ds, BASE_CHECKSUM) ||
        p != rd_u32(bs, BASE_SEQ1) || p != rd_u32(bs, BASE_SEQ2)) {
        close(fd);
        return 1;
    }
    uint32_t s = p + 1;

    /* The changed pages, as runs. */
    size_t nr = 0, cap = 0, total = 0;
    uint32_t npg = h->bins_end / HBIN_PAGE;
    for (uint32_t i = 0; i < npg; i++) {
        if (!page_dirty(h, i))
            continue;
        if (nr && runs[nr - 1].off + runs[nr - 1].len == i * HBIN_PAGE) {
            runs[nr - 1].len += HBIN_PAGE;
        } else {
            if (nr == cap) {
                cap = cap ? 2 * cap : 64;
                run *q = realloc(runs, cap * sizeof *q);
                if (!q) {
                    rc = hive_err(h, RH_ENOMEM, "out of memory");
                    goto out;
                }
                runs = q;
            }
            runs[nr].off = i * HBIN_PAGE;
            runs[nr++].len = HBIN_PAGE;
        }
        total += HBIN_PAGE;
    }
    if (nr == 0) { /* a log entry needs a page: the first one */
        if (!(runs = malloc(sizeof *runs))) {
            rc = hive_err(h, RH_ENOMEM, "out of memory");
            goto out;
        }
        runs[nr++] = (run){0, HBIN_PAGE};
        total = HBIN_PAGE;
    }

    /* Which log, and where: continue this session's log, or (first
     * commit) a log whose entries end exactly at the primary's sequence
     * number while the other one could not apply; else start afresh on
     * the other log. */
    if (!(lp[0] = log_path(path, ".LOG1")) ||
        !(lp[1] = log_path(path, ".LOG2"))) {
        rc = hive_err(h, RH_ENOMEM, "out of memory");
        goto out;
    }
    int fresh = 1, idx = 0;
    uint32_t seq0 = s;
    uint64_t at = LOG_BASE_SIZE;
    logstate ls[2];
    if (h->wl.active) {
        idx = h->wl.idx;
        if (h->wl.end < limit) {
            fresh = 0;
            seq0 = h->wl.seq0;
            at = h->wl.end;
        } else {
            idx = !idx;
        }
        log_state(lp[!idx], disk, LOG_BASE_SIZE, &ls[!idx]);
        if (fresh && ls[!idx].valid) { /* this session wrote it, up to p */
            ls[!idx].nent = 1;
            ls[!idx].last = p;
        }
    } else {
        /* Walked when at most a few times the limit: a log goes past it
         * by its last entry (Windows' logs can be far larger; a log not
         * walked is neither continued nor kept as the chain's start). */
        log_state(lp[0], disk, 4 * limit, &ls[0]);
        log_state(lp[1], disk, 4 * limit, &ls[1]);
        int x =
            ls[1].valid && (!ls[0].valid || !seq_ge(ls[0].seq0, ls[1].seq0));
        if (ls[x].valid && ls[x].belongs && ls[x].nent && ls[x].last == p &&
            ls[x].end < limit &&
            (!ls[!x].valid || !seq_ge(ls[!x].seq0, ls[x].seq0))) {
            fresh = 0;
            idx = x;
            seq0 = ls[x].seq0;
            at = ls[x].end;
        } else {
            idx = ls[x].valid ? !x : 0;
        }
    }

    /* Dual logging as Windows lays it out: HIVE.LOG1 and HIVE.LOG2 side
     * by side, written in turn, the older one keeping its applied entries
     * (msuhanov/regf, "Multiple transaction log files", new format; yarp
     * refuses to recover a hive with only one of them).  Starting afresh
     * on one, the other is reset to a base block that cannot apply when
     * it is missing or not this hive's, or when it could apply during
     * this commit (its base sequence number at or after the primary's:
     * Windows and yarp replay the older eligible log first) without its
     * entries ending right before the new one; its entries are all in
     * the clean primary. */
    const logstate *o = &ls[!idx];
    int reset_other =
        fresh && (!o->valid || !o->belongs ||
                  (seq_ge(o->seq0, p) && !(o->nent && o->last == p)));

    /* The entry (after the log base block when starting afresh). */
    uint32_t bins = h->bins_end;
    size_t esz = log_entry_size((uint32_t)nr, total);
    size_t lead = fresh ? LOG_BASE_SIZE : 0;
    if (esz > 0x7FFFF000u || !(buf = calloc(1, lead + esz))) {
        rc = hive_err(h, RH_ENOMEM, "out of memory");
        goto out;
    }
    /* The last-written time stays as it is, as Windows 8.1 and later
     * leave it (msuhanov/regf, base block note 9): each log's base block
     * carries it, and a log applies only while it equals the primary's
     * (log_belongs), through every step of this and later commits. */
    memcpy(nb, h->wbuf, BASE_SIZE);
    wr_u32(nb + BASE_BINS_SIZE, bins);
    if (fresh) {
        log_base_make(lb, nb, s, bins);
        memcpy(buf, lb, LOG_BASE_SIZE);
        /* The other log's reset: a base block older than anything that
         * can apply (seq p - 1, below the primary's seq2 while this
         * commit or the next ones on this log are under way), no entry. */
        log_base_make(ob, nb, p - 1, bins);
    }
    uint8_t *e = buf + lead, *d = e + HVLE_HDR + nr * 8;
    const uint8_t *bp = h->wbuf + BASE_SIZE;
    for (size_t i = 0; i < nr; i++) {
        wr_u32(e + HVLE_HDR + i * 8, runs[i].off);
        wr_u32(e + HVLE_HDR + i * 8 + 4, runs[i].len);
        memcpy(d, bp + runs[i].off, runs[i].len);
        d += runs[i].len;
    }
    log_entry_seal(e, (uint32_t)esz, rd_u32(bs, BASE_FLAGS), s, bins,
                   (uint32_t)nr);

    if (flags & RH_COMMIT_BACKUP) {
        what = "back up the old hive";
        if (step_fails(IP_BACKUP) || backup_copy(path) < 0)
            goto fail;
    }
    /* The other log first (reset or created), then this one, then one
     * directory fsync for the names created. */
    what = "open the transaction log";
    int created = 0;
    if (step_fails(IP_LOGOPEN))
        goto fail;
    touched = 1;
    if (reset_other) {
        what = "reset the other transaction log";
        int ofd = log_open(lp[!idx], st, &created);
        int bad = ofd < 0 || pwrite_all(ofd, ob, LOG_BASE_SIZE, 0, -1) < 0 ||
                  ftruncate(ofd, LOG_BASE_SIZE) < 0 || fsync(ofd) < 0;
        if (ofd >= 0)
            close(ofd);
        if (bad)
            goto fail;
    }
    what = "open the transaction log";
    if ((lfd = log_open(lp[idx], st, &created)) < 0 ||
        (created && fsync_dir(lp[idx]) < 0))
        goto fail;
    /* Nothing of an older or failed write may follow the new entry. */
    what = "truncate the transaction log";
    struct stat lst;
    if (fstat(lfd, &lst) < 0 ||
        ((uint64_t)lst.st_size > at && ftruncate(lfd, (off_t)at) < 0))
        goto fail;
    what = "write the transaction log";
    if (pwrite_all(lfd, buf, lead + esz, (off_t)(at - lead), IP_LOGWRITE) < 0)
        goto fail;
    what = "fsync the transaction log";
    if (step_fails(IP_LOGSYNC) || fsync(lfd) < 0)
        goto fail;

    /* The primary: seq1 moves first (seq2 stays at or before the log's
     * base block number, so recovery replays this log), pages, then
     * seq2 catches up with the new base block. */
    wr_u32(disk + BASE_SEQ1, s);
    wr_u32(disk + BASE_SEQ2, fresh ? p : seq0);
    wr_u32(disk + BASE_CHECKSUM, base_checksum(disk));
    what = "write base block";
    touched = 2;
    if (pwrite_all(fd, disk, BASE_SIZE, 0, IP_BASE1) < 0)
        goto fail;
    what = "fsync";
    if (step_fails(IP_SYNC1) || fsync(fd) < 0)
        goto fail;
    what = "write pages";
    if (write_pages(fd, bp, runs, nr, total) < 0)
        goto fail;
    what = "fsync";
    if (step_fails(IP_SYNC2) || fsync(fd) < 0)
        goto fail;
    wr_u32(nb + BASE_SEQ1, s);
    wr_u32(nb + BASE_SEQ2, s);
    wr_u32(nb + BASE_CHECKSUM, base_checksum(nb));
    what = "write base block";
    if (pwrite_all(fd, nb, BASE_SIZE, 0, IP_BASE2) < 0)
        goto fail;
    what = "fsync";
    if (step_fails(IP_SYNC3) || fsync(fd) < 0)
        goto fail;

    memcpy(h->wbuf, nb, BASE_SIZE);
    page_clean(h);
    h->wl.active = 1;
    h->wl.idx = idx;
    h->wl.seq0 = seq0;
    h->wl.end = at + esz;
    struct stat nst;
    if (fstat(fd, &nst) == 0)
        remember(h, path, &nst);
    rc = 0;
    goto out;
fail:
    err = errno;
    if (err == ENOMEM)
        rc = hive_err(h, RH_ENOMEM, "%s: %s: %s", path, what, strerror(err));
    else
        rc = hive_ioerr(h, err, "%s: %s: %s", path, what, strerror(err));
    /* Nothing pending is lost: the pages stay marked.  A log touched
     * is started afresh next time; a primary touched may be dirty on
     * disk (its logs recover it), so the next commit rewrites it, with a
     * sequence number above this one. */
    if (touched)
        h->wl.active = 0;
    if (touched == 2) {
        h->wl.diskdirty = 1;
        wr_u32(h->wbuf + BASE_SEQ1, s);
        wr_u32(h->wbuf + BASE_SEQ2, s);
        wr_u32(h->wbuf + BASE_CHECKSUM, base_checksum(h->wbuf));
    }
out:
    if (fd >= 0)
        close(fd);
    if (lfd >= 0)
        close(lfd);
    free(lp[0]);
    free(lp[1]);
    free(runs);
    free(buf);
    return rc;
}

/* 1 when the pages changed since the last commit are over LOG_LIMIT and
 * outweigh the file on disk (say a large import into a new hive): the log
 * would carry the whole image once more, so writing a new file is half
 * the I/O and as safe.  Small commits stay in place, as Windows does. */
static int
mostly_new(const rh_hive *h, const struct stat *st)
{
    uint64_t dirty = 0;
    if (h->dpg_all)
        return 1;
    for (uint32_t pg = 0; pg < h->bins_end / HBIN_PAGE; pg++)
        if (page_dirty(h, pg))
            dirty += HBIN_PAGE;
    return dirty > REWRITE_MIN && dirty > (uint64_t)st->st_size;
}

int
rh_commit(rh_hive *h, const char *path, unsigned flags)
{
    struct stat st;
    int exists, rc;

    if (!h->wbuf)
        return hive_err(h, RH_EREADONLY, "hive is opened read-only");
    if (h->dirty && !(flags & RH_COMMIT_FORCE))
        return hive_err(h, RH_EINVAL,
                        "hive is dirty (its sequence numbers differ): its "
                        "newest changes are in transaction logs that are "
                        "not applied, and committing would discard them");
    if (!path && !(path = h->path))
        return hive_err(h, RH_EINVAL, "no file to commit to");
    exists = stat(path, &st) == 0;
    if (!exists && (rc = errno) != ENOENT)
        return hive_ioerr(h, rc, "%s: %s", path, strerror(rc));
    if (exists && !S_ISREG(st.st_mode)) /* errno as in map_fd (hive.c) */
        return hive_ioerr(h, S_ISDIR(st.st_mode) ? EISDIR : ENODEV,
                          "%s: not a regular file", path);
    if (exists && !(flags & RH_COMMIT_FORCE)) {
        int same_path = h->path && strcmp(h->path, path) == 0;
        if (!same_path && (!h->id.valid || (uint64_t)st.st_dev != h->id.dev ||
                           (uint64_t)st.st_ino != h->id.ino))
            return hive_err(h, RH_EIO,
                            "%s exists and is not the hive that was "
                            "opened; refusing to replace it",
                            path);
        if ((uint64_t)st.st_dev != h->id.dev ||
            (uint64_t)st.st_ino != h->id.ino ||
            (uint64_t)st.st_size != h->id.size ||
            (int64_t)st.st_mtim.tv_sec != h->id.mtime_s ||
            (int64_t)st.st_mtim.tv_nsec != h->id.mtime_ns)
            return hive_err(h, RH_EIO,
                            "%s changed since it was opened; refusing to "
                            "replace it",
                            path);
    }
    /* A mapped image reads the pages it did not edit from the file it
     * maps: if that file was changed in place since, the image mixes two
     * hives, and no path may receive it (a file replaced by rename leaves
     * the mapped one as it was). */
    struct stat ms;
    if (h->wmap && h->fd >= 0 && h->id.valid && fstat(h->fd, &ms) == 0 &&
        ((uint64_t)ms.st_size != h->id.size ||
         (int64_t)ms.st_mtim.tv_sec != h->id.mtime_s ||
         (int64_t)ms.st_mtim.tv_nsec != h->id.mtime_ns))
        return hive_err(h, RH_EIO,
                        "%s was changed in place by another program since "
                        "it was opened; the edits cannot be committed "
                        "(open it again and redo them)",
                        h->path ? h->path : path);
    if (inplace_ok(h, path, flags, exists, &st) && !mostly_new(h, &st) &&
        (rc = commit_inplace(h, path, flags, &st)) <= 0)
        return rc;
    rc = commit_rewrite(h, path, flags, exists, st);
    if (rc == 0)
        h->wl.relaid = 0;
    return rc;
}
