/*
 * name.c - name encodings and Windows-style case-insensitive comparison.
 */
#include "name.h"

#include <stdlib.h>
#include <string.h>

int
sbuf_grow(sbuf *b, size_t extra)
{
    size_t cap = b->cap ? b->cap : 64, need;
    if (b->oom || !ck_add(b->n, extra, &need))
        goto oom;
    if (b->p && need <= b->cap)
        return 0;
    if (b->fixed)
        goto oom;
    while (cap < need) {
        if (!ck_mul(cap, 2, &cap))
            goto oom;
    }
    uint8_t *p = b->p ? realloc(b->p, cap) : malloc(cap);
    if (!p)
        goto oom;
    b->p = p;
    b->cap = cap;
    return 0;
oom:
    b->oom = 1;
    return -1;
}

void
sbuf_free(sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* Write code point c as UTF-8 (WTF-8 for a lone surrogate) at t; returns
 * the byte count (1-4). */
static size_t
put_cp(uint8_t *t, uint32_t c)
{
    if (c < 0x80) {
        t[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        t[0] = (uint8_t)(0xC0 | c >> 6);
        t[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        t[0] = (uint8_t)(0xE0 | c >> 12);
        t[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        t[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    t[0] = (uint8_t)(0xF0 | c >> 18);
    t[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    t[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    t[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

/* Both decoders reserve the worst case once (3 bytes per UTF-16 unit, a
 * pair of units giving 4; 2 bytes per Latin-1 byte) and write directly. */
void
utf16_to_utf8(span raw, int stop_at_nul, sbuf *out)
{
    size_t n = raw.n / 2, need;
    if (!ck_mul(n, 3, &need) || sbuf_grow(out, need) < 0)
        return;
    const uint8_t *s = raw.p;
    uint8_t *o = out->p + out->n, *o0 = o;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)s[2 * i] | (uint32_t)s[2 * i + 1] << 8;
        if (c < 0x80 && c != 0) {
            *o++ = (uint8_t)c;
            continue;
        }
        if (c == 0 && stop_at_nul)
            break;
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
            uint32_t d = (uint32_t)s[2 * i + 2] | (uint32_t)s[2 * i + 3] << 8;
            if (d >= 0xDC00 && d < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
                i++;
            }
        }
        o += put_cp(o, c); /* an unpaired surrogate goes out as WTF-8 */
    }
    out->n += (size_t)(o - o0);
}

void
name_to_utf8(span raw, int compressed, sbuf *out)
{
    if (!compressed) {
        utf16_to_utf8(raw, 0, out);
        return;
    }
    size_t need;
    if (!ck_mul(raw.n, 2, &need) || sbuf_grow(out, need) < 0)
        return;
    uint8_t *o = out->p + out->n, *o0 = o;
    for (size_t i = 0; i < raw.n; i++) {
        uint8_t c = raw.p[i];
        if (c < 0x80) {
            *o++ = c;
        } else {
            *o++ = (uint8_t)(0xC0 | c >> 6);
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        }
    }
    out->n += (size_t)(o - o0);
}

long
utf8_to_utf16(const char *str, size_t n, uint16_t *out, size_t cap)
{
    const uint8_t *s = (const uint8_t *)str;
    size_t i = 0, k = 0;
    while (i < n) {
        uint32_t c = s[i], need, min;
        if (c < 0x80) {
            need = 0;
            min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            c &= 0x1F;
            need = 1;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            c &= 0x0F;
            need = 2;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            c &= 0x07;
            need = 3;
            min = 0x10000;
        } else {
            return -1;
        }
        if (need > n - i - 1)
            return -1;
        for (uint32_t j = 1; j <= need; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return -1;
            c = c << 6 | (s[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF)
            return -1;
        i += need + 1;
        if (c >= 0x10000) {
            if (k + 2 > cap)
                return -1;
            c -= 0x10000;
            out[k++] = (uint16_t)(0xD800 + (c >> 10));
            out[k++] = (uint16_t)(0xDC00 + (c & 0x3FF));
        } else {
            if (k + 1 > cap)
                return -1;
            out[k++] = (uint16_t)c;
        }
    }
    return (long)k;
}

static inline uint16_t
unit_at(span raw, int compressed, size_t i)
{
    return compressed ? raw.p[i] : rd_u16(raw, 2 * i);
}

int
name_cmp(span raw, int compressed, const uint16_t *q, size_t qn)
{
    size_t n = compressed ? raw.n : raw.n / 2;
    size_t m = n < qn ? n : qn;
    for (size_t i = 0; i < m; i++) {
        uint16_t a = upcase(unit_at(raw, compressed, i));
        if (a != q[i])
            return a < q[i] ? -1 : 1;
    }
    return n < qn ? -1 : n > qn ? 1 : 0;
}

uint32_t
name_hash(span raw, int compressed)
{
    size_t n = compressed ? raw.n : raw.n / 2;
    uint32_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 37 + upcase(unit_at(raw, compressed, i));
    return h;
}

/* Windows 10's load-time check (CmpCheckLeaf in ntoskrnl, which rewrites a
 * hint that differs) computes it this way: compressed names give their
 * first bytes; UTF-16 names their first units, and a unit above 0xFF
 * zeroes the whole hint (hint[0] == 0 tells the lookup to compare full
 * names).  The NT 5.2 CmpAddToLeaf filled the hint backwards and stopped
 * at such a unit, leaving only the characters after it; Windows 10 heals
 * those.  msuhanov's regf spec, "Fast leaf": "if it isn't [possible], the
 * first byte of the Name hint field is null". */
uint32_t
name_hint(span raw, int compressed)
{
    size_t n = compressed ? raw.n : raw.n / 2;
    uint32_t hint = 0;
    for (size_t i = 0; i < 4 && i < n; i++) {
        uint16_t c = unit_at(raw, compressed, i);
        if (c > 0xFF)
            return 0;
        hint |= (uint32_t)c << (8 * i);
    }
    return hint;
}

int
name_fits_latin1(const uint16_t *q, size_t qn)
{
    for (size_t i = 0; i < qn; i++)
        if (q[i] > 0xFF)
            return 0;
    return 1;
}

size_t
name_utf8_len(span raw, int compressed)
{
    size_t n = 0;
    if (compressed) {
        for (size_t i = 0; i < raw.n; i++)
            n += raw.p[i] < 0x80 ? 1 : 2;
        return n;
    }
    for (size_t i = 0; i + 1 < raw.n; i += 2) {
        uint16_t c = rd_u16(raw, i);
        if (c < 0x80) {
            n += 1;
        } else if (c < 0x800) {
            n += 2;
        } else if (c >= 0xD800 && c < 0xDC00 && i + 3 < raw.n &&
                   rd_u16(raw, i + 2) >= 0xDC00 &&
                   rd_u16(raw, i + 2) < 0xE000) {
            n += 4;
            i += 2;
        } else {
            n += 3;
        }
    }
    return n;
}

/* ASCII names (nearly all of them) are copied as they are: 8 bytes of a
 * compressed name or 4 UTF-16 units are tested at a time.  Returns the
 * length written (NUL added), or -1 when the name is not all ASCII or
 * does not fit cap. */
static long
ascii_to_buf(span raw, int compressed, char *buf, size_t cap)
{
    size_t n = compressed ? raw.n : raw.n / 2, i = 0;
    uint64_t w;
    if (n >= cap)
        return -1;
    if (compressed) {
        for (; i + 8 <= n; i += 8) {
            memcpy(&w, raw.p + i, 8);
            if (w & 0x8080808080808080ull)
                return -1;
        }
        for (; i < n; i++)
            if (raw.p[i] & 0x80)
                return -1;
        memcpy(buf, raw.p, n);
    } else {
        for (; i + 4 <= n; i += 4) {
            w = ld_u64(raw.p + 2 * i); /* unit j in bits 16j.. */
            if (w & 0xFF80FF80FF80FF80ull || !(w & 0xFFull << 48) ||
                !(w & 0xFFull << 32) || !(w & 0xFFull << 16) || !(w & 0xFF))
                return -1; /* non-ASCII, or a NUL unit (kept as is) */
            buf[i] = (char)w;
            buf[i + 1] = (char)(w >> 16);
            buf[i + 2] = (char)(w >> 32);
            buf[i + 3] = (char)(w >> 48);
        }
        for (; i < n; i++) {
            uint16_t c = (uint16_t)(raw.p[2 * i] | raw.p[2 * i + 1] << 8);
            if (c >= 0x80 || c == 0)
                return -1;
            buf[i] = (char)c;
        }
    }
    buf[n] = 0;
    return (long)n;
}

int
name_to_buf(span raw, int compressed, char *buf, size_t cap, size_t *len)
{
    long an = buf ? ascii_to_buf(raw, compressed, buf, cap) : -1;
    if (an >= 0) {
        if (len)
            *len = (size_t)an;
        return 0;
    }
    /* Worst case: 2 bytes per Latin-1 byte, 3 per UTF-16 unit.  When that
     * fits, decode in one pass; else measure first. */
    size_t worst = compressed ? 2 * raw.n : 3 * (raw.n / 2);
    size_t need = worst < cap ? 0 : name_utf8_len(raw, compressed);
    if (worst >= cap) {
        if (len)
            *len = need;
        if (!buf || cap <= need)
            return RH_ERANGE;
    }
    sbuf b = {(uint8_t *)buf, 0, cap, 0, 1};
    name_to_utf8(raw, compressed, &b);
    buf[b.n] = 0;
    if (len)
        *len = b.n;
    return 0;
}
