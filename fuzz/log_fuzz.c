/*
 * log_fuzz.c - libFuzzer target for transaction log recovery.  Input
 * framing: u32 hive length, u32 LOG1 length (little-endian), then the
 * hive, LOG1 and LOG2 (the rest) bytes, each cut to what is there.  The
 * recovered image, if any, is then opened and walked.
 */
#include "../include/reghive.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    size_t hn = get32(data), n1 = get32(data + 4), rest = size - 8;
    const uint8_t *p = data + 8;
    if (hn > rest)
        hn = rest;
    if (n1 > rest - hn)
        n1 = rest - hn;
    const void *logs[2] = {p + hn, p + hn + n1};
    size_t lens[2] = {n1, rest - hn - n1};
    void *img = NULL;
    size_t len = 0;
    rh_recovery r;
    if (rh_recover_mem(p, hn, logs, lens, NULL, 2, &img, &len, &r) == 0 &&
        img) {
        rh_hive *h;
        rh_stats st;
        if (rh_open_mem(img, len, 0, &h) == 0)
            rh_hive_stats(h, &st);
        rh_close(h);
        free(img);
    }
    return 0;
}
