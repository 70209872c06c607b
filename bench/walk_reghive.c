/*
 * walk_reghive.c - benchmark: read every key name, value name and value
 * data of a hive through the public API of reghive.h.  Prints the open and
 * walk times (best of REPS walks) and totals that must match walk_hivex.
 * Usage: walk_reghive HIVE [REPS]
 */
#include "reghive.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct tot {
    unsigned long long keys, values, bytes, namebytes;
};

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ctx {
    rh_hive *h;
    struct tot *t;
    unsigned char buf[65536]; /* value data of up to 64 KiB */
};

static int
value_cb(void *p, rh_value v)
{
    struct ctx *c = p;
    char name[1024];
    unsigned char *data = c->buf;
    size_t n;
    uint32_t type;
    int rc = rh_value_name_buf(c->h, v, name, sizeof name, &n);
    if (rc == RH_ERANGE) { /* names of over 1023 bytes: rare */
        char *big;
        if ((rc = rh_value_name(c->h, v, &big, &n)) == 0)
            free(big);
    }
    if (rc < 0)
        return rc;
    c->t->namebytes += n;
    rc = rh_value_data_buf(c->h, v, &type, data, sizeof c->buf, &n);
    if (rc == RH_ERANGE) { /* big data over 64 KiB */
        void *big;
        if ((rc = rh_value_data(c->h, v, &type, &big, &n)) == 0)
            free(big);
    }
    if (rc < 0)
        return rc;
    c->t->values++;
    c->t->bytes += n;
    return 0;
}

static int
key_cb(void *p, rh_key k)
{
    struct ctx *c = p;
    char name[1024]; /* key names are at most 255 UTF-16 units */
    size_t n;
    int rc;
    if ((rc = rh_key_name_buf(c->h, k, name, sizeof name, &n)) < 0)
        return rc;
    c->t->keys++;
    c->t->namebytes += n;
    if ((rc = rh_key_values_foreach(c->h, k, value_cb, c)) != 0)
        return rc;
    return rh_key_subkeys_foreach(c->h, k, key_cb, c);
}

/* Depth-first from k: rh_key_subkeys_foreach / rh_key_values_foreach (no
 * arrays), one malloc'd string per name and one malloc'd copy per value's data.
 */
static int
walk(rh_hive *h, rh_key k, struct tot *t)
{
    static struct ctx c; /* 64 KiB: not on the stack */
    c.h = h;
    c.t = t;
    return key_cb(&c, k);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: walk_reghive HIVE [REPS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    double t0 = now();
    rh_hive *h;
    int rc = rh_open(argv[1], 0, &h);
    if (rc < 0) {
        fprintf(stderr, "walk_reghive: %s: %s\n", argv[1],
                h ? rh_errmsg(h) : rh_strerror(rc));
        rh_close(h);
        return 1;
    }
    double topen = now() - t0, best = 1e9;
    struct tot t = {0};
    for (int r = 0; r < (reps > 0 ? reps : 1); r++) {
        struct tot x = {0};
        double s = now();
        if ((rc = walk(h, rh_hive_root(h), &x)) < 0) {
            fprintf(stderr, "walk_reghive: %s: %s\n", argv[1], rh_errmsg(h));
            rh_close(h);
            return 1;
        }
        s = now() - s;
        if (s < best)
            best = s;
        t = x;
    }
    rh_close(h);
    printf("open %.4f walk %.4f keys %llu values %llu bytes %llu "
           "namebytes %llu\n",
           topen, best, t.keys, t.values, t.bytes, t.namebytes);
    return 0;
}
