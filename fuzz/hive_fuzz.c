/*
 * hive_fuzz.c - fuzz target: open a hive image from memory and walk it
 * all through the public API (names, classes, security, values, data),
 * then rh_hive_stats.
 */
#include "../include/reghive.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
    rh_hive *h;
    int depth;
    uint8_t *seen; /* bit per 8-byte offset: key already walked */
    size_t nseen;
};

static int
on_value(void *ctx, rh_value v)
{
    struct walk *w = ctx;
    char *name;
    void *d;
    size_t n;
    uint32_t type;
    if (rh_value_name(w->h, v, &name, &n) == 0)
        free(name);
    rh_value_type(w->h, v, &type, &n);
    if (rh_value_data(w->h, v, &type, &d, &n) == 0)
        free(d);
    return 0;
}

static int
on_key(void *ctx, rh_key k)
{
    struct walk *w = ctx;
    rh_key_stat st;
    char *s;
    void *sd;
    size_t n;
    rh_key parent;
    /* Walk each key once: a list holding a key twice must not make the
     * walk exponential. */
    if (w->depth > RH_MAX_DEPTH || (size_t)(k >> 6) >= w->nseen ||
        (w->seen[k >> 6] >> ((k >> 3) & 7) & 1))
        return 0;
    w->seen[k >> 6] |= (uint8_t)(1u << ((k >> 3) & 7));
    rh_key_stat_get(w->h, k, &st);
    if (rh_key_name(w->h, k, &s, &n) == 0)
        free(s);
    if (rh_key_class(w->h, k, &s, &n) == 0)
        free(s);
    if (rh_key_security(w->h, k, &sd, &n) == 0)
        free(sd);
    if (rh_key_path(w->h, k, &s, &n) == 0)
        free(s);
    rh_key_parent(w->h, k, &parent);
    rh_key_values_foreach(w->h, k, on_value, w);
    w->depth++;
    /* Child errors (cycles, bad cells) end this subtree only. */
    rh_key_subkeys_foreach(w->h, k, on_key, w);
    w->depth--;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rh_hive *h;
    if (rh_open_mem(data, size, 0, &h) == 0) {
        struct walk w = {h, 0, calloc(size / 64 + 1, 1), size / 64 + 1};
        rh_stats st;
        rh_key k;
        if (w.seen)
            on_key(&w, rh_hive_root(h));
        free(w.seen);
        rh_hive_stats(h, &st);
        rh_key_lookup(h, "HKLM\\SYSTEM\\CurrentControlSet\\Services", &k);
    }
    rh_close(h);
    return 0;
}
