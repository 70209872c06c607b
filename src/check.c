/*
 * check.c - rh_check(): structural verification of a hive.
 * First version: the open-time bin/cell validation plus a full tree walk.
 */
#include "reg.h"

#include <stdlib.h>
#include <string.h>

int
rh_check(rh_hive *h, rh_report_fn fn, void *ctx, size_t *nproblems)
{
    rh_stats st;
    size_t n = 0;
    int rc = rh_hive_stats(h, &st);
    if (rc < 0) {
        unsigned long long off = 0;
        const char *m = strstr(h->msg, "file offset 0x");
        if (m)
            off = strtoull(m + 12, NULL, 16);
        if (fn)
            fn(ctx, off, h->msg);
        n++;
    }
    if (nproblems)
        *nproblems = n;
    return n ? RH_ECORRUPT : 0;
}
