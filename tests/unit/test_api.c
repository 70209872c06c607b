/* Unit tests of the public read API on a hive built in memory: the
 * zero-allocation *_buf calls, lookups and errors. */
#include "t.h"

#include "buf.h"
#include "format.h"
#include "reghive.h"

#include <stdlib.h>
#include <string.h>

static uint8_t img[8192];
static size_t pos = 0x20; /* next free cell offset (from the first bin) */

static uint32_t
add_cell(const void *payload, size_t n)
{
    size_t size = (4 + n + 7) & ~(size_t)7;
    uint32_t off = (uint32_t)pos;
    wr_u32(img + 4096 + pos, (uint32_t) - (int32_t)size);
    memcpy(img + 4096 + pos + 4, payload, n);
    pos += size;
    return off;
}

/* A hive: root "ROOT" with one subkey "Kéy" (compressed) holding values
 * "v" = REG_SZ "hello" and "" (default) = 3 inline bytes. */
static void
build(void)
{
    uint8_t nk[0x60], vk[0x20], sk[0x40];
    memset(img, 0, sizeof img);
    memcpy(img, "regf", 4);
    wr_u32(img + BASE_SEQ1, 1);
    wr_u32(img + BASE_SEQ2, 1);
    wr_u32(img + BASE_MAJOR, 1);
    wr_u32(img + BASE_MINOR, 5);
    wr_u32(img + BASE_FORMAT, 1);
    wr_u32(img + BASE_BINS_SIZE, 4096);
    memcpy(img + 4096, "hbin", 4);
    wr_u32(img + 4096 + HBIN_SIZE, 4096);

    memset(sk, 0, sizeof sk);
    memcpy(sk, "sk", 2);
    uint32_t sko = add_cell(sk, 0x14 + 20);
    uint8_t data[] = {'h', 0, 'e', 0, 'l', 0, 'l', 0, 'o', 0, 0, 0};
    uint32_t dato = add_cell(data, sizeof data);

    memset(vk, 0, sizeof vk);
    memcpy(vk, "vk", 2);
    wr_u16(vk + VK_NAMELEN, 1);
    wr_u32(vk + VK_DATALEN, sizeof data);
    wr_u32(vk + VK_DATA, dato);
    wr_u32(vk + VK_TYPE, RH_REG_SZ);
    wr_u16(vk + VK_FLAGS, VK_COMP_NAME);
    vk[VK_NAME] = 'v';
    uint32_t v1 = add_cell(vk, VK_NAME + 1);
    memset(vk, 0, sizeof vk);
    memcpy(vk, "vk", 2);
    wr_u32(vk + VK_DATALEN, 0x80000003u);
    memcpy(vk + VK_DATA, "abc", 3);
    wr_u32(vk + VK_TYPE, RH_REG_BINARY);
    uint32_t v2 = add_cell(vk, VK_NAME);
    uint8_t vl[8];
    wr_u32(vl, v1);
    wr_u32(vl + 4, v2);
    uint32_t vlo = add_cell(vl, 8);

    /* The child comes first, the root right after it. */
    uint32_t rooto = (uint32_t)(pos + ((4 + NK_NAME + 3 + 7) & ~7));
    memset(nk, 0, sizeof nk);
    memcpy(nk, "nk", 2);
    wr_u16(nk + NK_FLAGS, NK_COMP_NAME);
    wr_u32(nk + NK_PARENT, rooto);
    wr_u32(nk + NK_SUBKEYS, CELL_NIL);
    wr_u32(nk + NK_NVALUES, 2);
    wr_u32(nk + NK_VALUES, vlo);
    wr_u32(nk + NK_SECURITY, sko);
    wr_u32(nk + NK_CLASS, CELL_NIL);
    wr_u16(nk + NK_NAMELEN, 3);
    memcpy(nk + NK_NAME, "K\xe9y", 3);
    uint32_t child = add_cell(nk, NK_NAME + 3);
    (void)child;

    uint8_t li[8];
    memcpy(li, "li", 2);
    wr_u16(li + 2, 1);
    wr_u32(li + 4, child);
    memset(nk, 0, sizeof nk);
    memcpy(nk, "nk", 2);
    wr_u16(nk + NK_FLAGS, NK_COMP_NAME | RH_KEY_HIVE_ENTRY);
    wr_u32(nk + NK_PARENT, 0);
    wr_u32(nk + NK_NSUBKEYS, 1);
    wr_u32(nk + NK_SUBKEYS, (uint32_t)(rooto + ((4 + NK_NAME + 4 + 7) & ~7)));
    wr_u32(nk + NK_VALUES, CELL_NIL);
    wr_u32(nk + NK_SECURITY, sko);
    wr_u32(nk + NK_CLASS, CELL_NIL);
    wr_u16(nk + NK_NAMELEN, 4);
    memcpy(nk + NK_NAME, "ROOT", 4);
    uint32_t r = add_cell(nk, NK_NAME + 4);
    CHECK(r == rooto);
    add_cell(li, 8);
    wr_u32(img + BASE_ROOT, rooto);
    /* The rest of the bin is one free cell. */
    wr_u32(img + 4096 + pos, (uint32_t)(4096 - pos));
    uint32_t x = 0;
    for (int i = 0; i < 0x1FC; i += 4)
        x ^= (uint32_t)img[i] | (uint32_t)img[i + 1] << 8 |
             (uint32_t)img[i + 2] << 16 | (uint32_t)img[i + 3] << 24;
    wr_u32(img + BASE_CHECKSUM, x);
}

int
main(void)
{
    rh_hive *h;
    rh_key k;
    rh_value v;
    char name[8];
    uint8_t data[16];
    size_t n;
    uint32_t type;

    build();
    CHECK_RC(rh_open_mem(img, sizeof img, 0, &h), 0);
    if (t_fail) {
        fprintf(stderr, "%s\n", rh_errmsg(h));
        return 1;
    }
    CHECK(*rh_warnings(h) == 0);
    CHECK_RC(rh_key_lookup(h, "HKLM\\SOFTWARE\\KÉY", &k), 0);
    CHECK_RC(rh_key_lookup(h, "\\kéy", &k), 0);
    CHECK_RC(rh_key_lookup(h, "nope", &k), RH_ENOTFOUND);

    CHECK_RC(rh_key_name_buf(h, k, name, sizeof name, &n), 0);
    CHECK(n == 4 && strcmp(name, "K\xc3\xa9y") == 0);
    CHECK_RC(rh_key_name_buf(h, k, name, 4, &n), RH_ERANGE);
    CHECK(n == 4);

    CHECK_RC(rh_key_value(h, k, "V", 1, &v), 0);
    CHECK_RC(rh_value_name_buf(h, v, name, sizeof name, &n), 0);
    CHECK(n == 1 && strcmp(name, "v") == 0);
    CHECK_RC(rh_value_data_buf(h, v, &type, data, sizeof data, &n), 0);
    CHECK(type == RH_REG_SZ && n == 12 && memcmp(data, "h\0e\0l", 5) == 0);
    CHECK_RC(rh_value_data_buf(h, v, &type, data, 11, &n), RH_ERANGE);
    CHECK(n == 12);

    CHECK_RC(rh_key_value(h, k, "", 0, &v), 0);
    CHECK_RC(rh_value_data_buf(h, v, &type, data, sizeof data, &n), 0);
    CHECK(type == RH_REG_BINARY && n == 3 && memcmp(data, "abc", 3) == 0);
    void *d;
    CHECK_RC(rh_value_data(h, v, &type, &d, &n), 0);
    CHECK(n == 3 && memcmp(d, "abc", 4) == 0); /* extra NUL byte */
    free(d);

    char *p;
    CHECK_RC(rh_key_path(h, k, &p, &n), 0);
    CHECK(strcmp(p, "K\xc3\xa9y") == 0);
    free(p);

    /* Every call that returns memory leaves NULL (length 0) when it fails,
     * so a caller's free() is safe on any path.  `reghive compare` once
     * freed an uninitialised list after a failed rh_key_values. */
    {
        rh_key bad = 8; /* inside a cell, not a key node */
        void *junk = (void *)&n;
        char *s = junk;
        void *b = junk;
        rh_key *ks = junk;
        rh_value *vs = junk;
        size_t len = 99;
        CHECK(rh_key_name(h, bad, &s, &len) < 0 && !s && len == 0);
        len = 99, s = junk;
        CHECK(rh_key_class(h, bad, &s, &len) < 0 && !s && len == 0);
        len = 99, s = junk;
        CHECK(rh_key_path(h, bad, &s, &len) < 0 && !s && len == 0);
        len = 99;
        CHECK(rh_key_security(h, bad, &b, &len) < 0 && !b && len == 0);
        len = 99;
        CHECK(rh_key_subkeys(h, bad, &ks, &len) < 0 && !ks && len == 0);
        len = 99;
        CHECK(rh_key_values(h, bad, &vs, &len) < 0 && !vs && len == 0);
        len = 99, s = junk;
        CHECK(rh_value_name(h, bad, &s, &len) < 0 && !s && len == 0);
        len = 99, b = junk;
        CHECK(rh_value_data(h, bad, &type, &b, &len) < 0 && !b && len == 0);
    }
    rh_close(h);

    /* A damaged cell size is reported with its file offset. */
    wr_u32(img + 4096 + 0x20, 0xFFFFFFF3u);
    CHECK_RC(rh_open_mem(img, sizeof img, 0, &h), RH_ECORRUPT);
    CHECK(strstr(rh_errmsg(h), "file offset 0x1020") != NULL);
    rh_close(h);
    return T_DONE();
}
