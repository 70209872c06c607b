/*
 * check_fuzz.c - fuzz target: rh_check over a hive image, opened both
 * strictly and in recovery mode.
 */
#include "../include/reghive.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink(void *ctx, uint64_t off, const char *msg)
{
    (void)off;
    (void)msg;
    (*(size_t *)ctx)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned modes[] = {0, RH_OPEN_RECOVER};
    for (int i = 0; i < 2; i++) {
        rh_hive *h;
        if (rh_open_mem(data, size, modes[i], &h) == 0) {
            size_t n = 0, calls = 0;
            int rc = rh_check(h, sink, &calls, &n);
            if ((rc == 0) != (n == 0) || calls != n)
                __builtin_trap(); /* contract: rc and count agree */
        }
        rh_close(h);
    }
    return 0;
}
