/*
 * shim.c - LD_PRELOAD recorder of the file-system mutations a process makes
 * in one directory, for the power-loss tests (tests/oracle/test_powercut.py
 * replays the trace under a volatile-write-cache model, the approach of
 * ALICE and CrashMonkey; SQLite's crash tests do the same in a test VFS).
 *
 * Test code only: nothing of it is linked into the library or the CLI.
 * Environment (read here only):
 *   RH_POWERCUT_DIR    absolute path of the directory under test (no
 *                      trailing slash); only its direct entries are traced
 *   RH_POWERCUT_TRACE  the trace file (append-only; outside that directory)
 *   RH_POWERCUT_DROP_FSYNC=N  the Nth fsync/fdatasync of a file or of the
 *                      directory under test is not done (and not recorded),
 *                      so the replayer can be shown to find broken states
 *   RH_POWERCUT_FAIL_FSYNC=N  the Nth such fsync fails with EIO (not done,
 *                      not recorded), to show the error is reported
 *
 * Trace: one line per event, fields separated by spaces; a write line is
 * followed by its bytes.  Names are the entry names inside the directory.
 *   O <ino> <created> <truncated> <name>  open (created: O_CREAT made it)
 *   W <ino> <off> <len>\n<len bytes>       write, pwrite, writev, pwritev
 *   T <ino> <len>                          ftruncate, truncate
 *   A <ino> <off> <len>                    fallocate that may extend size
 *   S <ino>                                fsync/fdatasync of a file
 *   D                                      fsync/fdatasync of the directory
 *   Y                                      sync/syncfs: everything durable
 *   R <ino> <old> <new>                    rename within the directory
 *   L <ino> <old> <new>                    link within the directory
 *   U <ino> <name>                         unlink
 *   X <what>                               something the replayer cannot
 *                                          model (a shared writable map,
 *                                          a rename across the boundary)
 * The 64-bit (LFS) names are aliases on LP64 glibc but are wrapped too.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define REAL(name) real_##name
#define DECL(ret, name, args)                                                  \
    static ret(*real_##name) args;                                             \
    __attribute__((unused)) static void load_##name(void)                      \
    {                                                                          \
        if (!real_##name)                                                      \
            *(void **)&real_##name = dlsym(RTLD_NEXT, #name);                  \
    }

DECL(int, open, (const char *, int, ...))
DECL(int, open64, (const char *, int, ...))
DECL(int, openat, (int, const char *, int, ...))
DECL(int, openat64, (int, const char *, int, ...))
DECL(int, __open_2, (const char *, int))
DECL(int, __open64_2, (const char *, int))
DECL(int, creat, (const char *, mode_t))
DECL(int, creat64, (const char *, mode_t))
DECL(int, mkstemp, (char *))
DECL(int, mkostemp, (char *, int))
DECL(ssize_t, write, (int, const void *, size_t))
DECL(ssize_t, pwrite, (int, const void *, size_t, off_t))
DECL(ssize_t, pwrite64, (int, const void *, size_t, off_t))
DECL(ssize_t, writev, (int, const struct iovec *, int))
DECL(ssize_t, pwritev, (int, const struct iovec *, int, off_t))
DECL(int, ftruncate, (int, off_t))
DECL(int, ftruncate64, (int, off_t))
DECL(int, truncate, (const char *, off_t))
DECL(int, fallocate, (int, int, off_t, off_t))
DECL(int, fallocate64, (int, int, off_t, off_t))
DECL(int, posix_fallocate, (int, off_t, off_t))
DECL(int, fsync, (int))
DECL(int, fdatasync, (int))
DECL(int, syncfs, (int))
DECL(void, sync, (void))
DECL(int, rename, (const char *, const char *))
DECL(int, renameat, (int, const char *, int, const char *))
DECL(int, renameat2, (int, const char *, int, const char *, unsigned))
DECL(int, link, (const char *, const char *))
DECL(int, linkat, (int, const char *, int, const char *, int))
DECL(int, unlink, (const char *))
DECL(int, unlinkat, (int, const char *, int))
DECL(void *, mmap, (void *, size_t, int, int, int, off_t))
DECL(void *, mmap64, (void *, size_t, int, int, int, off_t))
DECL(int, msync, (void *, size_t, int))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int trace_fd = -2; /* -2: not set up yet, -1: off */
static char dir[PATH_MAX];
static size_t dirlen;
static long drop_nth, fail_nth, nsync;

static void
setup(void)
{
    if (trace_fd != -2)
        return;
    load_open();
    const char *d = getenv("RH_POWERCUT_DIR");
    const char *t = getenv("RH_POWERCUT_TRACE");
    const char *n = getenv("RH_POWERCUT_DROP_FSYNC");
    drop_nth = n ? atol(n) : 0;
    n = getenv("RH_POWERCUT_FAIL_FSYNC");
    fail_nth = n ? atol(n) : 0;
    if (!d || !t || strlen(d) >= sizeof dir || d[0] != '/') {
        trace_fd = -1;
        return;
    }
    strcpy(dir, d);
    dirlen = strlen(dir);
    trace_fd = REAL(open)(t, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

/* Append a record (and data) to the trace in one locked step. */
static void
emit(const void *data, size_t n, const char *fmt, ...)
{
    char line[3 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof line)
        len = snprintf(line, sizeof line, "X record too long\n");
    load_write();
    pthread_mutex_lock(&mu);
    REAL(write)(trace_fd, line, (size_t)len);
    if (n)
        REAL(write)(trace_fd, data, n);
    pthread_mutex_unlock(&mu);
}

/* The entry name of path inside the directory under test, or NULL.
 * dfd: AT_FDCWD or a directory descriptor for a relative path. */
static const char *
entry(int dfd, const char *path, char *abs)
{
    setup();
    if (trace_fd < 0 || !path)
        return NULL;
    if (path[0] == '/') {
        if (snprintf(abs, PATH_MAX, "%s", path) >= PATH_MAX)
            return NULL;
    } else {
        char base[PATH_MAX];
        if (dfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base))
                return NULL;
        } else {
            char pl[64];
            snprintf(pl, sizeof pl, "/proc/self/fd/%d", dfd);
            ssize_t k = readlink(pl, base, sizeof base - 1);
            if (k < 0)
                return NULL;
            base[k] = 0;
        }
        const char *p = path;
        while (p[0] == '.' && p[1] == '/')
            p += 2;
        if (snprintf(abs, PATH_MAX, "%s/%s", base, p) >= PATH_MAX)
            return NULL;
    }
    if (strncmp(abs, dir, dirlen) != 0 || abs[dirlen] != '/')
        return NULL;
    const char *name = abs + dirlen + 1;
    if (!*name || strchr(name, '/'))
        return NULL;
    return name;
}

/* What fd is: 1 a file in the directory (its inode in *ino), 2 the
 * directory itself, 0 anything else. */
static int
fd_kind(int fd, unsigned long long *ino)
{
    char pl[64], p[PATH_MAX];
    struct stat st;
    setup();
    if (trace_fd < 0 || fd < 0 || fd == trace_fd)
        return 0;
    snprintf(pl, sizeof pl, "/proc/self/fd/%d", fd);
    ssize_t k = readlink(pl, p, sizeof p - 1);
    if (k < 0)
        return 0;
    p[k] = 0;
    if (fstat(fd, &st) < 0)
        return 0;
    *ino = (unsigned long long)st.st_ino;
    if (strcmp(p, dir) == 0)
        return 2;
    if (strncmp(p, dir, dirlen) == 0 && p[dirlen] == '/' &&
        !strchr(p + dirlen + 1, '/') && S_ISREG(st.st_mode))
        return 1;
    return 0;
}

static void
note_open(int fd, const char *name, int existed, int flags)
{
    struct stat st;
    if (fd < 0 || !name || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    emit(NULL, 0, "O %llu %d %d %s\n", (unsigned long long)st.st_ino, !existed,
         existed && (flags & O_TRUNC) && (flags & O_ACCMODE), name);
}

static int
exists_at(int dfd, const char *path)
{
    struct stat st;
    return fstatat(dfd, path, &st, 0) == 0;
}

static int
do_open(int dfd, const char *path, int flags, mode_t mode, int how)
{
    char abs[PATH_MAX];
    const char *name = entry(dfd, path, abs);
    int existed = name ? exists_at(dfd, path) : 1, fd;
    switch (how) {
    case 0:
        load_open();
        fd = REAL(open)(path, flags, mode);
        break;
    case 1:
        load_openat();
        fd = REAL(openat)(dfd, path, flags, mode);
        break;
    default:
        load___open_2();
        fd = REAL(__open_2)(path, flags);
        break;
    }
    int e = errno;
    note_open(fd, name, existed, flags);
    errno = e;
    return fd;
}

static mode_t
mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int
open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    return do_open(AT_FDCWD, path, flags, m, 0);
}

int
open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    return do_open(AT_FDCWD, path, flags, m, 0);
}

int
openat(int dfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    return do_open(dfd, path, flags, m, 1);
}

int
openat64(int dfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_arg(flags, ap);
    va_end(ap);
    return do_open(dfd, path, flags, m, 1);
}

/* What _FORTIFY_SOURCE builds call for open without a constant mode. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

int
__open_2(const char *path, int flags)
{
    return do_open(AT_FDCWD, path, flags, 0, 2);
}

int
__open64_2(const char *path, int flags)
{
    return do_open(AT_FDCWD, path, flags, 0, 2);
}

int
creat(const char *path, mode_t mode)
{
    return do_open(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode, 0);
}

int
creat64(const char *path, mode_t mode)
{
    return creat(path, mode);
}

/* glibc's mkstemp opens through an internal call: record it here. */
int
mkostemp(char *tmpl, int flags)
{
    load_mkostemp();
    int fd = REAL(mkostemp)(tmpl, flags), e = errno;
    char abs[PATH_MAX];
    if (fd >= 0)
        note_open(fd, entry(AT_FDCWD, tmpl, abs), 0, 0);
    errno = e;
    return fd;
}

int
mkstemp(char *tmpl)
{
    return mkostemp(tmpl, 0);
}

/* Record n bytes written at off (as the kernel took them). */
static void
note_write(unsigned long long ino, off_t off, const void *p, ssize_t n)
{
    if (n > 0)
        emit(p, (size_t)n, "W %llu %lld %zd\n", ino, (long long)off, n);
}

ssize_t
write(int fd, const void *p, size_t n)
{
    unsigned long long ino;
    load_write();
    if (fd_kind(fd, &ino) != 1)
        return REAL(write)(fd, p, n);
    off_t off = lseek(fd, 0, SEEK_CUR);
    if (fcntl(fd, F_GETFL) & O_APPEND) {
        struct stat st;
        off = fstat(fd, &st) == 0 ? st.st_size : -1;
    }
    ssize_t w = REAL(write)(fd, p, n);
    int e = errno;
    if (off < 0)
        emit(NULL, 0, "X write at an unknown offset\n");
    else
        note_write(ino, off, p, w);
    errno = e;
    return w;
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
    unsigned long long ino;
    load_pwrite();
    if (fd_kind(fd, &ino) != 1)
        return REAL(pwrite)(fd, p, n, off);
    ssize_t w = REAL(pwrite)(fd, p, n, off);
    int e = errno;
    note_write(ino, off, p, w);
    errno = e;
    return w;
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
    return pwrite(fd, p, n, off);
}

/* Gather iov into one buffer for the trace (w bytes of it). */
static void
note_writev(unsigned long long ino, off_t off, const struct iovec *iov, int cnt,
            ssize_t w)
{
    if (w <= 0)
        return;
    char *buf = malloc((size_t)w);
    if (!buf) {
        emit(NULL, 0, "X out of memory\n");
        return;
    }
    size_t at = 0;
    for (int i = 0; i < cnt && at < (size_t)w; i++) {
        size_t k = iov[i].iov_len;
        if (k > (size_t)w - at)
            k = (size_t)w - at;
        memcpy(buf + at, iov[i].iov_base, k);
        at += k;
    }
    note_write(ino, off, buf, w);
    free(buf);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
    unsigned long long ino;
    load_writev();
    if (fd_kind(fd, &ino) != 1)
        return REAL(writev)(fd, iov, cnt);
    off_t off = lseek(fd, 0, SEEK_CUR);
    ssize_t w = REAL(writev)(fd, iov, cnt);
    int e = errno;
    note_writev(ino, off, iov, cnt, w);
    errno = e;
    return w;
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    unsigned long long ino;
    load_pwritev();
    if (fd_kind(fd, &ino) != 1)
        return REAL(pwritev)(fd, iov, cnt, off);
    ssize_t w = REAL(pwritev)(fd, iov, cnt, off);
    int e = errno;
    note_writev(ino, off, iov, cnt, w);
    errno = e;
    return w;
}

int
ftruncate(int fd, off_t len)
{
    unsigned long long ino;
    load_ftruncate();
    int k = fd_kind(fd, &ino);
    int rc = REAL(ftruncate)(fd, len), e = errno;
    if (k == 1 && rc == 0)
        emit(NULL, 0, "T %llu %lld\n", ino, (long long)len);
    errno = e;
    return rc;
}

int
ftruncate64(int fd, off_t len)
{
    return ftruncate(fd, len);
}

int
truncate(const char *path, off_t len)
{
    char abs[PATH_MAX];
    struct stat st;
    const char *name = entry(AT_FDCWD, path, abs);
    load_truncate();
    int rc = REAL(truncate)(path, len), e = errno;
    if (name && rc == 0 && stat(path, &st) == 0)
        emit(NULL, 0, "T %llu %lld\n", (unsigned long long)st.st_ino,
             (long long)len);
    errno = e;
    return rc;
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
    unsigned long long ino;
    load_fallocate();
    int k = fd_kind(fd, &ino);
    int rc = REAL(fallocate)(fd, mode, off, len), e = errno;
    /* KEEP_SIZE changes no byte a reader sees; anything else might. */
    if (k == 1 && rc == 0 && !(mode & FALLOC_FL_KEEP_SIZE))
        emit(NULL, 0, "A %llu %lld %lld\n", ino, (long long)off,
             (long long)len);
    errno = e;
    return rc;
}

int
fallocate64(int fd, int mode, off_t off, off_t len)
{
    return fallocate(fd, mode, off, len);
}

int
posix_fallocate(int fd, off_t off, off_t len)
{
    unsigned long long ino;
    load_posix_fallocate();
    int k = fd_kind(fd, &ino);
    int rc = REAL(posix_fallocate)(fd, off, len);
    if (k == 1 && rc == 0)
        emit(NULL, 0, "A %llu %lld %lld\n", ino, (long long)off,
             (long long)len);
    return rc;
}

/* fsync and fdatasync: the same record (data and size reach the disk;
 * the file's directory entry does not). */
static int
do_sync(int fd, int data_only)
{
    unsigned long long ino;
    int k = fd_kind(fd, &ino);
    if (k) {
        pthread_mutex_lock(&mu);
        long nth = ++nsync;
        pthread_mutex_unlock(&mu);
        if (nth == drop_nth)
            return 0; /* dropped: neither done nor recorded */
        if (nth == fail_nth) {
            errno = EIO;
            return -1;
        }
    }
    load_fsync();
    load_fdatasync();
    int rc = data_only ? REAL(fdatasync)(fd) : REAL(fsync)(fd), e = errno;
    if (rc == 0 && k == 1)
        emit(NULL, 0, "S %llu\n", ino);
    else if (rc == 0 && k == 2)
        emit(NULL, 0, "D\n");
    errno = e;
    return rc;
}

int
fsync(int fd)
{
    return do_sync(fd, 0);
}

int
fdatasync(int fd)
{
    return do_sync(fd, 1);
}

int
syncfs(int fd)
{
    load_syncfs();
    int rc = REAL(syncfs)(fd), e = errno;
    setup();
    if (rc == 0 && trace_fd >= 0)
        emit(NULL, 0, "Y\n");
    errno = e;
    return rc;
}

void
sync(void)
{
    load_sync();
    REAL(sync)();
    setup();
    if (trace_fd >= 0)
        emit(NULL, 0, "Y\n");
}

/* Renames and links: both names inside (recorded), both outside (not),
 * or across the boundary (X: not modelled). */
static int
dir_op(char op, int ofd, const char *o, int nfd, const char *n, int rc,
       unsigned long long ino)
{
    char a[PATH_MAX], b[PATH_MAX];
    const char *on = entry(ofd, o, a), *nn = entry(nfd, n, b);
    if (rc == 0 && on && nn)
        emit(NULL, 0, "%c %llu %s %s\n", op, ino, on, nn);
    else if (rc == 0 && (on || nn))
        emit(NULL, 0, "X %c across the directory boundary\n", op);
    return rc;
}

static unsigned long long
ino_at(int dfd, const char *path)
{
    struct stat st;
    return fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0
               ? (unsigned long long)st.st_ino
               : 0;
}

int
renameat2(int ofd, const char *o, int nfd, const char *n, unsigned fl)
{
    load_renameat2();
    unsigned long long ino = ino_at(ofd, o);
    int rc = REAL(renameat2)(ofd, o, nfd, n, fl), e = errno;
    if (fl && rc == 0)
        emit(NULL, 0, "X renameat2 flags %u\n", fl);
    dir_op('R', ofd, o, nfd, n, rc, ino);
    errno = e;
    return rc;
}

int
renameat(int ofd, const char *o, int nfd, const char *n)
{
    load_renameat();
    unsigned long long ino = ino_at(ofd, o);
    int rc = REAL(renameat)(ofd, o, nfd, n), e = errno;
    dir_op('R', ofd, o, nfd, n, rc, ino);
    errno = e;
    return rc;
}

int
rename(const char *o, const char *n)
{
    load_rename();
    unsigned long long ino = ino_at(AT_FDCWD, o);
    int rc = REAL(rename)(o, n), e = errno;
    dir_op('R', AT_FDCWD, o, AT_FDCWD, n, rc, ino);
    errno = e;
    return rc;
}

int
linkat(int ofd, const char *o, int nfd, const char *n, int fl)
{
    load_linkat();
    unsigned long long ino = ino_at(ofd, o);
    int rc = REAL(linkat)(ofd, o, nfd, n, fl), e = errno;
    dir_op('L', ofd, o, nfd, n, rc, ino);
    errno = e;
    return rc;
}

int
link(const char *o, const char *n)
{
    load_link();
    unsigned long long ino = ino_at(AT_FDCWD, o);
    int rc = REAL(link)(o, n), e = errno;
    dir_op('L', AT_FDCWD, o, AT_FDCWD, n, rc, ino);
    errno = e;
    return rc;
}

int
unlinkat(int dfd, const char *path, int fl)
{
    char abs[PATH_MAX];
    const char *name = entry(dfd, path, abs);
    unsigned long long ino = name ? ino_at(dfd, path) : 0;
    load_unlinkat();
    int rc = REAL(unlinkat)(dfd, path, fl), e = errno;
    if (name && rc == 0)
        emit(NULL, 0, "U %llu %s\n", ino, name);
    errno = e;
    return rc;
}

int
unlink(const char *path)
{
    return unlinkat(AT_FDCWD, path, 0);
}

/* Writes through a shared writable mapping bypass the trace. */
static void
check_map(int prot, int flags, int fd)
{
    unsigned long long ino;
    if ((prot & PROT_WRITE) && (flags & MAP_SHARED) && fd_kind(fd, &ino) == 1)
        emit(NULL, 0, "X shared writable mmap of inode %llu\n", ino);
}

void *
mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
    load_mmap();
    check_map(prot, flags, fd);
    return REAL(mmap)(a, n, prot, flags, fd, off);
}

void *
mmap64(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
    return mmap(a, n, prot, flags, fd, off);
}

int
msync(void *a, size_t n, int flags)
{
    load_msync();
    setup();
    if (trace_fd >= 0)
        emit(NULL, 0, "X msync\n");
    return REAL(msync)(a, n, flags);
}
