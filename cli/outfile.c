/*
 * outfile.c - files the CLI writes appear whole or not at all, and an
 * interrupt leaves no temporary file behind.
 *
 * An output (export -o, recover -o) is written to a temporary file in the
 * target's directory, fsynced, and renamed over the target, as rh_commit
 * does for hives; a failure or an interrupt removes the temporary file.
 * The library installs no signal handlers (it is a library), so the CLI
 * does both halves:
 *  - while an output is written, SIGINT, SIGTERM and SIGHUP run a handler
 *    that unlinks the temporary file (unlink is async-signal-safe) and
 *    re-raises the signal with its default action, so the exit status
 *    still tells the shell what killed us;
 *  - around a rename, and around rh_commit (whose own temporary files,
 *    HIVE.<pid>-<n>.tmp and HIVE.bak.<pid>.tmp, live inside the library),
 *    those signals are blocked (sigprocmask) and delivered when the step
 *    is over: the commit finishes (it takes as long as writing the hive)
 *    and the process then dies of the signal with the hive already safe.
 * SIGKILL cannot be caught: a temporary file may remain then, but the
 * target still holds the old or the new file, never a part.
 */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary file to remove on a signal ("" none).  Written only with
 * the signals blocked, read by the handler. */
static char tmp_path[4096];
static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

static void
on_signal(int sig)
{
    if (tmp_path[0])
        unlink(tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

void
sig_block(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&set, sigs[i]);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

void
sig_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

int
cli_commit(rh_hive *h, const char *path, unsigned flags)
{
    sigset_t old;
    sig_block(&old);
    int rc = rh_commit(h, path, flags);
    sig_restore(&old);
    return rc;
}

/* Handlers on (path: the temporary file) or off (NULL). */
static void
watch(const char *path)
{
    sigset_t old;
    sig_block(&old);
    if (path) {
        snprintf(tmp_path, sizeof tmp_path, "%s", path);
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_signal;
            sigemptyset(&sa.sa_mask);
            /* An ignored signal (nohup) stays ignored. */
            struct sigaction cur;
            if (sigaction(sigs[i], NULL, &cur) == 0 &&
                cur.sa_handler == SIG_IGN)
                continue;
            sigaction(sigs[i], &sa, NULL);
        }
    } else {
        tmp_path[0] = 0;
    }
    sig_restore(&old);
}

int
outfile_open(struct outfile *o, const char *path, const char *mode_from)
{
    struct stat st;
    memset(o, 0, sizeof o[0]);
    o->path = path;
    o->fd = -1;
    /* A device or a pipe named as the output is written as it is. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0) {
            fprintf(stderr, "reghive: %s: %s\n", path, strerror(errno));
            return -1;
        }
        o->direct = 1;
        return 0;
    }
    size_t n = strlen(path) + 48;
    if (n > sizeof tmp_path || !(o->tmp = malloc(n))) {
        fprintf(stderr, "reghive: %s: %s\n", path, strerror(ENAMETOOLONG));
        return -1;
    }
    snprintf(o->tmp, n, "%s.reghive-%ld.tmp", path, (long)getpid());
    /* The mode: the replaced file's, the hive's (mode_from), or the
     * umask's: a recovered SAM stays as private as the SAM. */
    mode_t mode = 0666;
    int keep = 0;
    if (stat(path, &st) == 0 || (mode_from && stat(mode_from, &st) == 0))
        mode = st.st_mode & 07777, keep = 1;
    o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (o->fd < 0) {
        fprintf(stderr, "reghive: %s: %s\n", path, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    watch(o->tmp);
    if (!keep) {
        mode_t um = umask(0);
        umask(um);
        mode &= ~um;
    }
    if (fchmod(o->fd, mode) != 0) {
        int e = errno;
        outfile_abort(o);
        fprintf(stderr, "reghive: %s: %s\n", path, strerror(e));
        return -1;
    }
    return 0;
}

void
outfile_abort(struct outfile *o)
{
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    if (o->tmp) {
        unlink(o->tmp);
        watch(NULL);
        free(o->tmp);
        o->tmp = NULL;
    }
}

int
outfile_commit(struct outfile *o)
{
    int e = 0;
    if (o->direct) {
        if (close(o->fd) != 0)
            e = errno;
        o->fd = -1;
    } else {
        if (fsync(o->fd) != 0)
            e = errno;
        if (close(o->fd) != 0 && !e)
            e = errno;
        o->fd = -1;
        if (!e) {
            sigset_t old;
            sig_block(&old);
            if (rename(o->tmp, o->path) != 0)
                e = errno;
            else
                tmp_path[0] = 0; /* nothing left to remove */
            sig_restore(&old);
        }
        if (e) {
            outfile_abort(o);
        } else {
            watch(NULL);
            free(o->tmp);
            o->tmp = NULL;
            /* The rename itself made durable.  A failure is reported: the
             * new file is in place, but a power cut could still undo the
             * rename (and recover -o may have replaced the primary). */
            char *dir = strdup(o->path), *sl = dir ? strrchr(dir, '/') : NULL;
            int dfd = -1;
            if (dir) {
                if (sl)
                    sl[sl == dir] = 0;
                dfd = open(sl ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                free(dir);
            }
            if (dfd < 0 || fsync(dfd) != 0)
                e = dfd < 0 && !errno ? ENOMEM : errno;
            if (dfd >= 0)
                close(dfd);
        }
    }
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}
