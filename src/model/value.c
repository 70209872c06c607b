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
rh_value_foreach(rh_hive *h, rh_key key, int (*fn)(void *ctx, rh_value v),
                 void *ctx)
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
rh_value_get(rh_hive *h, rh_key key, const char *name, size_t namelen,
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
