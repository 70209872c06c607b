/*
 * export_fuzz.c - fuzz target: rh_export of the whole hive as .reg
 * (UTF-8 and UTF-16) and as JSON lines into a discarding sink, and the
 * three again with RH_EXPORT_HOLD into a sink that checks the loan: the
 * buffer it was lent last is unchanged (and alive, for ASan) at the next
 * call.
 */
#include "../include/reghive_sys.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
discard(void *ctx, const void *buf, size_t len)
{
    (void)buf;
    *(size_t *)ctx += len;
    return 0;
}

struct loan {
    const uint8_t *p; /* the buffer lent last, NULL after the close */
    size_t n;
    uint64_t sum;
    int closed;
};

static uint64_t
fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

static int
hold(void *ctx, const void *buf, size_t len)
{
    struct loan *l = ctx;
    if (l->closed || (l->p && fnv(l->p, l->n) != l->sum))
        abort(); /* a call after the close, or a lent buffer changed */
    l->p = buf;
    l->n = len;
    l->closed = buf == NULL;
    if (buf)
        l->sum = fnv(buf, len);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned flags[] = {0, RH_EXPORT_UTF16, RH_EXPORT_JSON};
    rh_hive *h;
    if (rh_open_mem(data, size, 0, &h) == 0) {
        for (int i = 0; i < 3; i++) {
            size_t n = 0;
            rh_export(h, rh_hive_root(h), "HKEY_LOCAL_MACHINE\\FUZZ", flags[i],
                      discard, &n);
        }
        for (int i = 0; i < 3; i++) {
            struct loan l = {0};
            rh_export(h, rh_hive_root(h), NULL, flags[i] | RH_EXPORT_HOLD, hold,
                      &l);
            if (l.p && !l.closed)
                abort(); /* a buffer still lent when rh_export returned */
        }
    }
    rh_close(h);
    return 0;
}
