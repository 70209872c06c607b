/*
 * build_w128.c - bulk-build the W128 shape through the library:
 * \Bench\GroupNNN\ItemNNNNNNN, KEYS keys under min(997, KEYS) groups in
 * the order /work/shared/bench/mkreg.py writes them, VPK values each
 * cycling REG_SZ, DWORD, BINARY, MULTI_SZ, EXPAND_SZ, QWORD with the same
 * sizes (random bytes from a fixed-seed xorshift, not Python's).
 * usage: build_w128 KEYS VPK OUT.  Prints build and commit seconds.
 */
#include "../include/reghive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ASCII s as UTF-16LE with a NUL unit; returns bytes. */
static size_t
u16(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (uint8_t)s[i];
        out[2 * i + 1] = 0;
    }
    out[2 * n] = out[2 * n + 1] = 0;
    return 2 * n + 2;
}

/* prefix followed by v in decimal, zero-padded to width digits, at out;
 * returns the length.  (snprintf was a tenth of the build time: what is
 * timed here is the library, not libc's formatting.) */
static int
fmt(char *out, const char *prefix, long v, int width)
{
    char dig[24];
    int n = 0, len = (int)strlen(prefix);
    memcpy(out, prefix, (size_t)len);
    do {
        dig[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        dig[n++] = '0';
    while (n)
        out[len++] = dig[--n];
    out[len] = 0;
    return len;
}

static void
die(rh_hive *h, const char *what, int rc)
{
    fprintf(stderr, "build_w128: %s: %s\n", what,
            *rh_errmsg(h) ? rh_errmsg(h) : rh_strerror(rc));
    exit(1);
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: build_w128 KEYS VPK OUT\n");
        return 2;
    }
    long n = atol(argv[1]), vpk = atol(argv[2]);
    long groups = n < 997 ? n : 997;
    rh_hive *h;
    rh_key bench, g, k;
    uint8_t d[256];
    char name[64], txt[128];
    int rc;
    double t0 = now();
    if ((rc = rh_create(5, &h)) < 0)
        die(h, "create", rc);
    if ((rc = rh_key_add(h, rh_hive_root(h), "Bench", 5, &bench, NULL)) < 0)
        die(h, "Bench", rc);
    for (long gi = 0; gi < groups; gi++) {
        int len = fmt(name, "Group", gi, 3);
        if ((rc = rh_key_add(h, bench, name, (size_t)len, &g, NULL)) < 0)
            die(h, name, rc);
        for (long i = gi; i < n; i += groups) {
            len = fmt(name, "Item", i, 7);
            if ((rc = rh_key_add(h, g, name, (size_t)len, &k, NULL)) < 0)
                die(h, name, rc);
            for (long j = 0; j < vpk; j++) {
                char vn[16];
                int vl = fmt(vn, "Value", j, 1);
                uint32_t type;
                size_t dl;
                switch ((i + j) % 6) {
                case 0: {
                    int t = fmt(txt, "text-", i, 1);
                    txt[t++] = '-';
                    long x = (long)(rnd() % 40);
                    memset(txt + t, 'x', (size_t)x);
                    type = RH_REG_SZ;
                    dl = u16(txt, (size_t)(t + x), d);
                    break;
                }
                case 1:
                    type = RH_REG_DWORD;
                    dl = 4;
                    memcpy(d, &(uint32_t){(uint32_t)rnd()}, 4);
                    break;
                case 2:
                    type = RH_REG_BINARY;
                    dl = 1 + rnd() % 63;
                    for (size_t b = 0; b < dl; b++)
                        d[b] = (uint8_t)rnd();
                    break;
                case 3:
                    type = RH_REG_MULTI_SZ;
                    dl = u16("a\0bb\0ccc\0", 9, d);
                    break;
                case 4:
                    type = RH_REG_EXPAND_SZ;
                    dl = u16("%SystemRoot%\\x", 14, d);
                    break;
                default:
                    type = RH_REG_QWORD;
                    dl = 8;
                    for (size_t b = 0; b < 8; b++)
                        d[b] = (uint8_t)rnd();
                }
                if ((rc = rh_value_set(h, k, vn, (size_t)vl, type, d, dl)) < 0)
                    die(h, vn, rc);
            }
        }
    }
    double t1 = now();
    if ((rc = rh_commit(h, argv[3], RH_COMMIT_FORCE)) < 0)
        die(h, "commit", rc);
    double t2 = now();
    printf("keys %ld build %.3f s commit %.3f s total %.3f s per-key %.3f us\n",
           n, t1 - t0, t2 - t1, t2 - t0, (t2 - t0) / (double)n * 1e6);
    rh_close(h);
    return 0;
}
