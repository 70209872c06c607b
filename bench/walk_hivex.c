/*
 * walk_hivex.c - benchmark peer of walk_reghive.c: the same full walk
 * (every key name, value name and value data) through libhivex's C API.
 * Usage: walk_hivex HIVE [REPS]
 */
#include <hivex.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int
walk(hive_h *h, hive_node_h node, struct tot *t)
{
    char *name = hivex_node_name(h, node);
    if (!name)
        return -1;
    t->keys++;
    t->namebytes += strlen(name);
    free(name);
    hive_value_h *vals = hivex_node_values(h, node);
    if (!vals)
        return -1;
    int rc = 0;
    for (size_t i = 0; vals[i] && rc == 0; i++) {
        hive_type type;
        size_t len;
        char *key = hivex_value_key(h, vals[i]);
        if (!key) {
            rc = -1;
            break;
        }
        t->namebytes += strlen(key);
        free(key);
        char *data = hivex_value_value(h, vals[i], &type, &len);
        if (!data) {
            rc = -1;
            break;
        }
        t->values++;
        t->bytes += len;
        free(data);
    }
    free(vals);
    if (rc < 0)
        return rc;
    hive_node_h *subs = hivex_node_children(h, node);
    if (!subs)
        return -1;
    for (size_t i = 0; subs[i] && rc == 0; i++)
        rc = walk(h, subs[i], t);
    free(subs);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: walk_hivex HIVE [REPS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    double t0 = now();
    hive_h *h = hivex_open(argv[1], 0);
    if (!h) {
        perror(argv[1]);
        return 1;
    }
    double topen = now() - t0, best = 1e9;
    struct tot t = {0};
    for (int r = 0; r < (reps > 0 ? reps : 1); r++) {
        struct tot x = {0};
        double s = now();
        if (walk(h, hivex_root(h), &x) < 0) {
            perror("walk_hivex");
            hivex_close(h);
            return 1;
        }
        s = now() - s;
        if (s < best)
            best = s;
        t = x;
    }
    hivex_close(h);
    printf("open %.4f walk %.4f keys %llu values %llu bytes %llu "
           "namebytes %llu\n",
           topen, best, t.keys, t.values, t.bytes, t.namebytes);
    return 0;
}
