/*
 * value.c - value cells and their data: inline (0-4 bytes in the offset
 * field), one data cell, or big data ("db" segments, format 1.4+).
 */
#include "reg.h"

#include <stdlib.h>
#include <string.h>

int
vk_get(rh_hive *h, uint32_t off, vk *v)
{
    span c;
    int rc = cell_get_sig(h, off, "vk", &c);
    if (rc < 0)
        return rc;
    if (c.n < VK_NAME)
        return CORRUPT(h, off, "value cell of %zu bytes is too small", c.n);
    uint16_t namelen = rd_u16(c, VK_NAMELEN);
    if (!span_has(c, VK_NAME, namelen))
        return CORRUPT(h, off,
                       "value name of %u bytes runs past its cell "
                       "(%zu bytes)",
                       namelen, c.n);
    v->off = off;
    v->cell = c;
    v->name = span_sub(c, VK_NAME, namelen);
    v->comp = (rd_u16(c, VK_FLAGS) & VK_COMP_NAME) != 0;
    v->type = rd_u32(c, VK_TYPE);
    v->rawlen = rd_u32(c, VK_DATALEN);
    v->data = rd_u32(c, VK_DATA);
    /* The inline bytes live in the offset field itself. */
    if (v->rawlen & VK_INLINE) {
        if (vk_len(v) > 4)
            return CORRUPT(h, off,
                           "inline value data of %u bytes (at most "
                           "4 fit)",
                           vk_len(v));
    }
    return 0;
}

/* Big data: a "db" cell lists segment cells of DB_SEGMENT bytes each. */
static int
db_data(rh_hive *h, const vk *v, span db, span *data, sbuf *tmp)
{
    uint32_t len = vk_len(v);
    uint16_t nseg = rd_u16(db, DB_COUNT);
    uint32_t listoff = rd_u32(db, DB_LIST);
    span list;
    int rc;
    if ((rc = cell_get(h, listoff, &list)) < 0)
        return rc;
    if (!span_has(list, 0, (size_t)nseg * 4))
        return CORRUPT(h, listoff,
                       "big data segment count %u exceeds its "
                       "list cell (%zu bytes)",
                       nseg, list.n);
    if ((uint64_t)nseg * DB_SEGMENT < len)
        return CORRUPT(h, v->data,
                       "%u big data segments cannot hold %u "
                       "bytes",
                       nseg, len);
    /* Distinct segments cannot hold more than the bins: a list naming
     * one segment 65535 times would make a small file allocate 1 GiB. */
    if (len > h->bins_end)
        return CORRUPT(h, v->data,
                       "big data of %u bytes is larger than the hive "
                       "bins (0x%x bytes): segments repeat",
                       len, h->bins_end);
    tmp->n = 0;
    if (sbuf_grow(tmp, len) < 0)
        return hive_err(h, RH_ENOMEM, "out of memory");
    for (uint16_t i = 0; i < nseg && tmp->n < len; i++) {
        uint32_t so = rd_u32(list, (size_t)i * 4);
        span seg;
        if ((rc = cell_get(h, so, &seg)) < 0)
            return rc;
        size_t take = len - tmp->n;
        if (take > DB_SEGMENT)
            take = DB_SEGMENT;
        if (seg.n < take)
            return CORRUPT(h, so,
                           "big data segment of %zu bytes holds "
                           "less than %zu",
                           seg.n, take);
        sbuf_put(tmp, seg.p, take);
    }
    data->p = tmp->p;
    data->n = tmp->n;
    return 0;
}

int
vk_data(rh_hive *h, const vk *v, span *data, sbuf *tmp)
{
    uint32_t len = vk_len(v);
    span c;
    int rc;
    /* A caller's tighter limit, before any allocation (big data).  At the
     * maximum, a longer length cannot fit the file: the checks below
     * report it as the corruption it is. */
    if (len > h->lim_value && h->lim_value < RH_MAX_VALUE_SIZE)
        return hive_err(h, RH_ERANGE,
                        "value data of %u bytes exceeds the value size "
                        "limit of %u bytes",
                        len, h->lim_value);
    if (v->rawlen & VK_INLINE) {
        *data = span_sub(v->cell, VK_DATA, len); /* checked by vk_get */
        return 0;
    }
    if (len == 0) {
        data->p = (const uint8_t *)"";
        data->n = 0;
        return 0;
    }
    if ((rc = cell_get(h, v->data, &c)) < 0)
        return rc;
    /* Windows stores data over 16344 bytes as big data on 1.4+ hives
     * (CmpIsHKeyValueBig).  hivex writes it as one cell instead; accept
     * that too when the cell really is large enough. */
    if (len > DB_SEGMENT && h->minor >= 4 && rd_sig(c, 0, "db") && c.n < len)
        return db_data(h, v, c, data, tmp);
    if (c.n < len)
        return CORRUPT(h, v->data,
                       "value data of %u bytes exceeds its "
                       "cell (%zu bytes)",
                       len, c.n);
    data->p = c.p;
    data->n = len;
    return 0;
}

/* ---- public value API ----------------------------------------------- */

int
rh_key_values_foreach(rh_hive *h, rh_key key, rh_value_fn fn, void *ctx)
{
    nk k;
    span list;
    int rc = nk_get(h, key, &k);
    if (rc < 0 || (rc = nk_values(h, &k, &list)) < 0)
        return rc;
    for (size_t i = 0; i < k.nval; i++)
        cell_prefetch(h, rd_u32(list, i * 4)); /* fn reads them next */
    for (size_t i = 0; i < k.nval; i++) {
        /* and likely the next value's data (inline data makes a harmless
         * hint) */
        if (i + 1 < k.nval)
            cell_prefetch_ref(h, rd_u32(list, (i + 1) * 4), VK_DATA);
        if ((rc = fn(ctx, rd_u32(list, i * 4))) != 0)
            return rc;
    }
    return 0;
}

int
rh_key_values(rh_hive *h, rh_key key, rh_value **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    nk k;
    span list;
    int rc = nk_get(h, key, &k);
    if (rc < 0 || (rc = nk_values(h, &k, &list)) < 0)
        return rc;
    rh_value *v = malloc(((size_t)k.nval + 1) * sizeof *v);
    if (!v)
        return hive_err(h, RH_ENOMEM, "out of memory");
    for (size_t i = 0; i < k.nval; i++) {
        v[i] = rd_u32(list, i * 4);
        cell_prefetch(h, v[i]); /* the caller reads them next */
    }
    *out = v;
    *n = k.nval;
    return 0;
}

int
rh_key_value(rh_hive *h, rh_key key, const char *name, size_t namelen,
             rh_value *out)
{
    uint16_t q[16384];
    nk k;
    span list;
    long qn = utf8_to_utf16(name, namelen, q, sizeof q / sizeof q[0]);
    if (qn < 0)
        return hive_err(h, RH_EINVAL, "value name is not valid UTF-8");
    for (long i = 0; i < qn; i++)
        q[i] = upcase(q[i]);
    int rc = nk_get(h, key, &k);
    if (rc < 0 || (rc = nk_values(h, &k, &list)) < 0)
        return rc;
    for (size_t i = 0; i < k.nval; i++) {
        vk v;
        if ((rc = vk_get(h, rd_u32(list, i * 4), &v)) < 0)
            return rc;
        if (name_cmp(v.name, v.comp, q, (size_t)qn) == 0) {
            *out = v.off;
            return 0;
        }
    }
    return hive_err(h, RH_ENOTFOUND, "value not found: %.*s", (int)namelen,
                    name);
}

int
rh_value_name(rh_hive *h, rh_value val, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    vk v;
    sbuf b = {0};
    int rc = vk_get(h, val, &v);
    if (rc < 0)
        return rc;
    name_to_utf8(v.name, v.comp, &b);
    sbuf_putc(&b, 0);
    if (b.oom) {
        sbuf_free(&b);
        return hive_err(h, RH_ENOMEM, "out of memory");
    }
    if (len)
        *len = b.n - 1;
    *out = (char *)b.p;
    return 0;
}

int
rh_value_type(rh_hive *h, rh_value val, uint32_t *type, size_t *len)
{
    vk v;
    int rc = vk_get(h, val, &v);
    if (rc < 0)
        return rc;
    if (type)
        *type = v.type;
    if (len)
        *len = vk_len(&v);
    return 0;
}

int
rh_value_data(rh_hive *h, rh_value val, uint32_t *type, void **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    vk v;
    span d;
    sbuf tmp = {0};
    int rc = vk_get(h, val, &v);
    if (rc < 0 || (rc = vk_data(h, &v, &d, &tmp)) < 0) {
        sbuf_free(&tmp);
        return rc;
    }
    if (tmp.p && d.p == tmp.p) {
        sbuf_putc(&tmp, 0);
        if (tmp.oom) {
            sbuf_free(&tmp);
            return hive_err(h, RH_ENOMEM, "out of memory");
        }
        *out = tmp.p;
    } else {
        uint8_t *p = malloc(d.n + 1);
        if (!p)
            return hive_err(h, RH_ENOMEM, "out of memory");
        memcpy(p, d.p, d.n);
        p[d.n] = 0;
        *out = p;
    }
    if (type)
        *type = v.type;
    *len = d.n;
    return 0;
}

int
rh_value_name_buf(rh_hive *h, rh_value val, char *buf, size_t cap, size_t *len)
{
    vk v;
    int rc = vk_get(h, val, &v);
    if (rc < 0)
        return rc;
    if ((rc = name_to_buf(v.name, v.comp, buf, cap, len)) < 0)
        return hive_err(h, rc,
                        "buffer of %zu bytes too small for a value "
                        "name",
                        cap);
    return 0;
}

int
rh_value_data_buf(rh_hive *h, rh_value val, uint32_t *type, void *buf,
                  size_t cap, size_t *len)
{
    vk v;
    span d;
    int rc = vk_get(h, val, &v);
    if (rc < 0)
        return rc;
    if (type)
        *type = v.type;
    *len = vk_len(&v);
    if (!buf || cap < vk_len(&v))
        return hive_err(h, RH_ERANGE,
                        "buffer of %zu bytes too small for "
                        "%u bytes of value data",
                        cap, vk_len(&v));
    /* Big data is gathered straight into the caller's buffer. */
    sbuf tmp = {buf, 0, cap, 0, 1};
    if ((rc = vk_data(h, &v, &d, &tmp)) < 0)
        return rc;
    if (d.p != (const uint8_t *)buf)
        memcpy(buf, d.p, d.n);
    *len = d.n;
    return 0;
}

/* ---- typed getters ---------------------------------------------------- */

static const char *const type_names[] = {"REG_NONE",
                                         "REG_SZ",
                                         "REG_EXPAND_SZ",
                                         "REG_BINARY",
                                         "REG_DWORD",
                                         "REG_DWORD_BIG_ENDIAN",
                                         "REG_LINK",
                                         "REG_MULTI_SZ",
                                         "REG_RESOURCE_LIST",
                                         "REG_FULL_RESOURCE_DESCRIPTOR",
                                         "REG_RESOURCE_REQUIREMENTS_LIST",
                                         "REG_QWORD"};

const char *
rh_type_name(uint32_t type)
{
    /* reg.exe has names for these only; Wine's programs/reg/query.c
     * (reg_type_to_wchar) returns NULL for any other type, and real
     * hives hold such types (0x100000, 0xffff0009 in DriverDatabase and
     * Setup\Upgrade keys of Windows 10): the caller shows the number. */
    return type < sizeof type_names / sizeof type_names[0] ? type_names[type]
                                                           : NULL;
}

/* The value's type and data (borrowed, or gathered into tmp) after
 * checking that its type is one of want[0..nwant) (RH_EINVAL if not,
 * naming what was wanted). */
static int
typed_data(rh_hive *h, rh_value val, const uint32_t *want, size_t nwant,
           const char *wanted, vk *v, span *d, sbuf *tmp)
{
    int rc = vk_get(h, val, v);
    if (rc < 0)
        return rc;
    size_t i = 0;
    while (i < nwant && want[i] != v->type)
        i++;
    if (i == nwant) {
        const char *tn = rh_type_name(v->type);
        if (tn)
            return hive_err(h, RH_EINVAL, "value 0x%x is %s, not %s", val, tn,
                            wanted);
        return hive_err(h, RH_EINVAL, "value 0x%x has type 0x%x, not %s", val,
                        v->type, wanted);
    }
    return vk_data(h, v, d, tmp);
}

/* Hand the NUL-terminated text in b to the caller as *out (b's memory). */
static int
give_text(rh_hive *h, sbuf *b, char **out, size_t *len)
{
    sbuf_putc(b, 0);
    if (b->oom) {
        sbuf_free(b);
        return hive_err(h, RH_ENOMEM, "out of memory");
    }
    if (len)
        *len = b->n - 1;
    *out = (char *)b->p;
    return 0;
}

int
rh_value_string(rh_hive *h, rh_value val, char **out, size_t *len)
{
    static const uint32_t want[] = {RH_REG_SZ, RH_REG_EXPAND_SZ, RH_REG_LINK};
    vk v;
    span d;
    sbuf tmp = {0}, b = {0};
    *out = NULL;
    if (len)
        *len = 0;
    int rc = typed_data(h, val, want, 3, "a string (REG_SZ, EXPAND_SZ, LINK)",
                        &v, &d, &tmp);
    if (rc < 0) {
        sbuf_free(&tmp);
        return rc;
    }
    /* Up to the first NUL, as regedit and reg query show a string (the
     * stored terminator, and anything an application left after it, are
     * not part of it); no NUL: all of it; an odd last byte is half a
     * UTF-16 unit and dropped (utf16_to_utf8 reads whole units). */
    utf16_to_utf8(d, 1, &b);
    sbuf_free(&tmp);
    return give_text(h, &b, out, len);
}

int
rh_value_strings(rh_hive *h, rh_value val, char ***out, size_t *count)
{
    static const uint32_t want[] = {RH_REG_MULTI_SZ};
    vk v;
    span d;
    sbuf tmp = {0}, b = {0};
    size_t n = 0;
    *out = NULL;
    if (count)
        *count = 0;
    int rc = typed_data(h, val, want, 1, "REG_MULTI_SZ", &v, &d, &tmp);
    if (rc < 0) {
        sbuf_free(&tmp);
        return rc;
    }
    /* reg query's rule (Wine programs/reg/query.c, reg_data_to_wchar):
     * the list terminator, the last string's NUL and the empty string's,
     * is not data; every NUL before it separates two strings, so an
     * empty string inside the list is kept ("a\0\0b" is a, "", b) and an
     * unterminated last string is too.  We drop only NUL units there
     * (Wine drops the last two units whatever they hold). */
    size_t m = d.n / 2;
    for (int t = 0; t < 2 && m && rd_u16(d, 2 * m - 2) == 0; t++)
        m--;
    for (size_t i = 0, s = 0; m && i <= m; i++) {
        if (i < m && rd_u16(d, 2 * i) != 0)
            continue;
        utf16_to_utf8(span_sub(d, 2 * s, 2 * (i - s)), 0, &b);
        sbuf_putc(&b, 0);
        n++;
        s = i + 1;
    }
    sbuf_free(&tmp);
    /* One block: the n + 1 pointers, then the strings they point to. */
    size_t ptrs = (n + 1) * sizeof(char *);
    char **a = b.oom ? NULL : malloc(ptrs + b.n);
    if (!a) {
        sbuf_free(&b);
        return hive_err(h, RH_ENOMEM, "out of memory");
    }
    char *p = (char *)a + ptrs;
    if (b.n)
        memcpy(p, b.p, b.n);
    for (size_t i = 0; i < n; i++) {
        a[i] = p;
        p += strlen(p) + 1;
    }
    a[n] = NULL;
    sbuf_free(&b);
    *out = a;
    if (count)
        *count = n;
    return 0;
}

/* A REG_DWORD or REG_DWORD_BIG_ENDIAN of exactly 4 bytes in d. */
static int
dword_of(rh_hive *h, rh_value val, const vk *v, span d, uint32_t *out)
{
    if (d.n != 4)
        return hive_err(h, RH_EINVAL,
                        "value 0x%x: %s of %zu bytes (a number has 4)", val,
                        rh_type_name(v->type), d.n);
    *out = v->type == RH_REG_DWORD
               ? rd_u32(d, 0)
               : (uint32_t)d.p[0] << 24 | (uint32_t)d.p[1] << 16 |
                     (uint32_t)d.p[2] << 8 | d.p[3];
    return 0;
}

int
rh_value_u32(rh_hive *h, rh_value val, uint32_t *out)
{
    static const uint32_t want[] = {RH_REG_DWORD, RH_REG_DWORD_BIG_ENDIAN};
    vk v;
    span d;
    sbuf tmp = {0};
    int rc = typed_data(h, val, want, 2, "REG_DWORD or REG_DWORD_BIG_ENDIAN",
                        &v, &d, &tmp);
    if (rc == 0)
        rc = dword_of(h, val, &v, d, out);
    sbuf_free(&tmp);
    return rc;
}

int
rh_value_u64(rh_hive *h, rh_value val, uint64_t *out)
{
    static const uint32_t want[] = {RH_REG_QWORD, RH_REG_DWORD,
                                    RH_REG_DWORD_BIG_ENDIAN};
    vk v;
    span d;
    sbuf tmp = {0};
    uint32_t x;
    int rc =
        typed_data(h, val, want, 3, "REG_QWORD or a REG_DWORD", &v, &d, &tmp);
    if (rc == 0 && v.type != RH_REG_QWORD) {
        if ((rc = dword_of(h, val, &v, d, &x)) == 0)
            *out = x;
    } else if (rc == 0 && d.n != 8) {
        rc = hive_err(h, RH_EINVAL,
                      "value 0x%x: REG_QWORD of %zu bytes (a number has 8)",
                      val, d.n);
    } else if (rc == 0) {
        *out = rd_u64(d, 0);
    }
    sbuf_free(&tmp);
    return rc;
}
