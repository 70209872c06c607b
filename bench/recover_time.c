/*
 * recover_time.c - benchmark: opening a dirty hive (its transaction logs
 * replayed in memory by rh_open) against reading the primary and the logs
 * once with read() into memory, the floor the issue sets.  Best of REPS
 * alternating runs in one process, files in the page cache.
 * Usage: recover_time REPS HIVE [LOG...]   (the logs for the read floor;
 * rh_open finds them itself)
 */
#include "reghive.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read path whole into fresh memory, as a process that loads it once
 * does (a reused heap buffer would skip the page faults every reader's
 * first read pays); returns its size, or -1. */
static long
slurp(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0)
        return -1;
    size_t cap = (size_t)st.st_size + 1;
    char *buf = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t got = 0;
    ssize_t n = 1;
    if (buf == MAP_FAILED) {
        close(fd);
        return -1;
    }
    while (got < (size_t)st.st_size &&
           (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
        got += (size_t)n;
    close(fd);
    volatile char sink = got ? buf[got / 2] : 0; /* keep the read */
    (void)sink;
    munmap(buf, cap);
    return n < 0 ? -1 : (long)got;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: recover_time REPS HIVE [LOG...]\n");
        return 2;
    }
    int reps = atoi(argv[1]);
    double best_open = 1e9, best_read = 1e9;
    long bytes = 0;
    int applied = 0;
    for (int r = 0; r < (reps > 0 ? reps : 1); r++) {
        double t = now();
        rh_hive *h;
        int rc = rh_open(argv[2], 0, &h);
        if (rc < 0) {
            fprintf(stderr, "recover_time: %s: %s\n", argv[2],
                    h ? rh_errmsg(h) : rh_strerror(rc));
            rh_close(h);
            return 1;
        }
        rh_recovery rec;
        rh_log_report(h, &rec);
        applied = rec.applied;
        rh_close(h);
        t = now() - t;
        if (t < best_open)
            best_open = t;
        t = now();
        bytes = 0;
        for (int i = 2; i < argc; i++) {
            long n = slurp(argv[i]);
            if (n < 0) {
                perror(argv[i]);
                return 1;
            }
            bytes += n;
        }
        t = now() - t;
        if (t < best_read)
            best_read = t;
    }
    printf("open %.4f read %.4f bytes %ld applied %d\n", best_open, best_read,
           bytes, applied);
    return 0;
}
