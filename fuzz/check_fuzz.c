/*
 * check_fuzz.c - fuzz target: rh_check over a hive image, opened both
 * strictly and in recovery mode.
 */
#include "../include/reghive.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink(void *ctx, rh_severity sev, uint64_t off, const char *msg)
{
    (void)off;
    (void)msg;
    size_t *calls = ctx;
    if (sev == RH_CHECK_ERROR)
        calls[0]++;
    else if (sev == RH_CHECK_WARNING)
        calls[1]++;
    else
        __builtin_trap(); /* no other severity */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned modes[] = {0, RH_OPEN_RECOVER};
    for (int i = 0; i < 2; i++) {
        rh_hive *h;
        if (rh_open_mem(data, size, modes[i], &h) == 0) {
            size_t ne = 0, nw = 0, calls[2] = {0, 0};
            int rc = rh_check(h, sink, calls, &ne, &nw);
            /* contract: rc says whether there were errors; the counts
             * agree with the calls */
            if ((rc == 0) != (ne == 0) || calls[0] != ne || calls[1] != nw)
                __builtin_trap();
        }
        rh_close(h);
    }
    return 0;
}
