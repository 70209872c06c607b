/*
 * bgwrite.c - a writer thread behind an rh_write_fn for RH_EXPORT_HOLD.
 *
 * The exporter formats the next buffer while this thread hands the last
 * one to the kernel.  On a 26 MB UTF-16 .reg, writing into the page cache
 * costs about as much as formatting, so side by side on two cores they
 * take the time of the longer one.  The exporter lends its buffers
 * (RH_EXPORT_HOLD): nothing is copied here, and a call waits only for the
 * previous buffer, which the exporter may reuse once the call returns.
 *
 * A file written from its start also gets its blocks ahead of the writes
 * (fallocate, growing geometrically; what is left past the end is cut off
 * at the close): on ext4 that spares the page-by-page delayed allocation,
 * and the file is less fragmented.
 */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct bgw {
    int fd;
    int grow;       /* preallocate (the writer's) */
    off_t pos, pre; /* bytes written, bytes preallocated (the writer's) */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a buffer came, was written, or the end came */
    const uint8_t *p;  /* the lent buffer being written (under mu) */
    size_t n;          /* its length; 0: none (under mu) */
    int done;          /* no more buffers will come (under mu) */
    int err;           /* errno of the first failed write (under mu) */
};

/* Write all n bytes of p to fd: 0, or an errno. */
static int
write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return EIO; /* no progress: never loop on it */
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Before writing n more bytes: blocks for them and for as many as were
 * written so far (2 MiB at least, 64 MiB at most).  A failure only ends
 * the preallocation (no support, no space: the write will tell). */
static void
prealloc(bgw *w, size_t n)
{
    const off_t lo = 2 << 20, hi = 64 << 20;
    off_t end = w->pos + (off_t)n;
    if (!w->grow || end <= w->pre)
        return;
    off_t add = w->pos < lo ? lo : w->pos > hi ? hi : w->pos;
    if (add < end - w->pre)
        add = end - w->pre;
    if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, w->pre, add) == 0)
        w->pre += add;
    else
        w->grow = 0;
}

static void *
writer(void *arg)
{
    bgw *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->n && !w->done)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->n)
            break;
        const uint8_t *p = w->p;
        size_t n = w->n;
        int failed = w->err;
        pthread_mutex_unlock(&w->mu);
        int e = 0;
        if (!failed) { /* after a failure the rest is dropped */
            prealloc(w, n);
            e = write_all(w->fd, p, n);
            w->pos += (off_t)n;
        }
        pthread_mutex_lock(&w->mu);
        if (e && !w->err)
            w->err = e;
        w->n = 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

bgw *
bgw_open(int fd, int grow)
{
    bgw *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->fd = fd;
    w->grow = grow;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    if (pthread_create(&w->th, NULL, writer, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        goto fail;
    }
    return w;
fail:
    free(w);
    return NULL;
}

int
bgw_write(void *ctx, const void *buf, size_t len)
{
    bgw *w = ctx;
    pthread_mutex_lock(&w->mu);
    while (w->n) /* the previous buffer is still being written */
        pthread_cond_wait(&w->cv, &w->mu);
    int err = w->err;
    if (len && !err) {
        w->p = buf;
        w->n = len;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return err ? -1 : 0;
}

int
bgw_close(bgw *w)
{
    if (!w)
        return 0;
    pthread_mutex_lock(&w->mu);
    while (w->n)
        pthread_cond_wait(&w->cv, &w->mu);
    w->done = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    int err = w->err;
    /* Give back the preallocated blocks past the end. */
    if (w->pre > w->pos && ftruncate(w->fd, w->pos) != 0 && !err)
        err = errno;
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
