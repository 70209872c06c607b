/*
 * export_fuzz.c - fuzz target: rh_export of the whole hive as .reg
 * (UTF-8 and UTF-16) and as JSON lines into a discarding sink.
 */
#include "../include/reghive.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
discard(void *ctx, const void *buf, size_t len)
{
    (void)buf;
    *(size_t *)ctx += len;
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
            rh_export(h, rh_root(h), "HKEY_LOCAL_MACHINE\\FUZZ", flags[i],
                      discard, &n);
        }
    }
    rh_close(h);
    return 0;
}
