/*
 * commit.c - rh_commit(): write a new file beside the target, fsync it,
 * rename it over the target and fsync the directory (hive-file layer).
 * Test hook (no state, read from the environment at each commit):
 * RH_TEST_COMMIT_FAIL=N makes step N fail like an I/O error, and
 * RH_TEST_COMMIT_CRASH=N ends the process with _exit(86) at step N (after
 * writing half of the bytes when step N writes), as a kill would.
 */
#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

static int
hook(const char *var, int step)
{
    const char *v = getenv(var);
    return v && atoi(v) == step;
}

/* 1 if step should fail (errno EIO); never returns if it should crash. */
static int
step_fails(int step)
{
    if (hook("RH_TEST_COMMIT_CRASH", step))
        _exit(86);
    if (hook("RH_TEST_COMMIT_FAIL", step)) {
        errno = EIO;
        return 1;
    }
    return 0;
}

static int
pwrite_all(int fd, const uint8_t *p, size_t n, off_t off, int step)
{
    if (hook("RH_TEST_COMMIT_CRASH", step)) {
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

/* Make bak (PATH.bak) a copy of path: a hard link to the old file (which
 * the rename then leaves behind), else a byte copy. */
static int
backup(const char *path, const char *bak, const char *baktmp)
{
    unlink(baktmp);
    if (link(path, baktmp) == 0)
        return rename(baktmp, bak);
    int in = open(path, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    char buf[65536];
    ssize_t n;
    if (in < 0)
        return -1;
    out = open(baktmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        goto done;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto done;
    if (n == 0 && fsync(out) == 0 && rename(baktmp, bak) == 0)
        rc = 0;
done:
    if (out >= 0)
        close(out);
    close(in);
    if (rc < 0)
        unlink(baktmp);
    return rc;
}

int
rh_commit(rh_hive *h, const char *path, unsigned flags)
{
    uint8_t saved[BASE_SIZE];
    struct stat st;
    char *tmp = NULL, *bak = NULL;
    int fd = -1, exists, rc = RH_EIO, renamed = 0;
    const char *what = "";

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
    if (!exists && errno != ENOENT)
        return hive_err(h, RH_EIO, "%s: %s", path, strerror(errno));
    if (exists && !S_ISREG(st.st_mode))
        return hive_err(h, RH_EIO, "%s: not a regular file", path);
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
    wr_u32(b + BASE_SEQ1, seq);
    wr_u64(b + BASE_TIME, filetime_now());
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
        int brc = step_fails(STEP_BACKUP) ? -1 : backup(path, bak, baktmp);
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
    if (!h->path || strcmp(h->path, path) != 0) {
        char *p = strdup(path);
        if (p) {
            free(h->path);
            h->path = p;
        }
    }
    if (stat(path, &st) == 0) {
        h->id.valid = 1;
        h->id.dev = (uint64_t)st.st_dev;
        h->id.ino = (uint64_t)st.st_ino;
        h->id.size = (uint64_t)st.st_size;
        h->id.mtime_s = (int64_t)st.st_mtim.tv_sec;
        h->id.mtime_ns = (int64_t)st.st_mtim.tv_nsec;
    }
    free(tmp);
    free(bak);
    return 0;
fail:
    rc = hive_err(h, RH_EIO, "%s: %s: %s%s", path, what, strerror(errno),
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
