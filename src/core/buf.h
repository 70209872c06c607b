/*
 * buf.h - bounds-checked little-endian byte access (lowest layer).
 *
 * A span is a pointer and a length.  Readers take a span and an offset and
 * return 0 past the end, so callers check lengths once, up front, with
 * span_has() and the checked arithmetic below.
 */
#ifndef RH_BUF_H
#define RH_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct span {
    const uint8_t *p;
    size_t n;
} span;

static inline int
span_has(span s, size_t off, size_t len)
{
    return off <= s.n && len <= s.n - off;
}

static inline span
span_sub(span s, size_t off, size_t len)
{
    span r = {NULL, 0};
    if (span_has(s, off, len)) {
        r.p = s.p + off;
        r.n = len;
    }
    return r;
}

static inline uint16_t
rd_u16(span s, size_t off)
{
    if (!span_has(s, off, 2))
        return 0;
    return (uint16_t)(s.p[off] | (s.p[off + 1] << 8));
}

static inline uint32_t
rd_u32(span s, size_t off)
{
    if (!span_has(s, off, 4))
        return 0;
    return (uint32_t)s.p[off] | (uint32_t)s.p[off + 1] << 8 |
           (uint32_t)s.p[off + 2] << 16 | (uint32_t)s.p[off + 3] << 24;
}

static inline uint64_t
rd_u64(span s, size_t off)
{
    return (uint64_t)rd_u32(s, off) | (uint64_t)rd_u32(s, off + 4) << 32;
}

static inline int
rd_sig(span s, size_t off, const char sig[2])
{
    return span_has(s, off, 2) && s.p[off] == (uint8_t)sig[0] &&
           s.p[off + 1] == (uint8_t)sig[1];
}

static inline void
wr_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void
wr_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void
wr_u64(uint8_t *p, uint64_t v)
{
    wr_u32(p, (uint32_t)v);
    wr_u32(p + 4, (uint32_t)(v >> 32));
}

/* Unchecked little-endian load of p[0..7]: for loops over a span whose
 * length they have already checked.  One load (GCC does not merge the
 * byte loads of rd_u64 into one). */
static inline uint64_t
ld_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The low 4 bytes of x spread to 8 with zero high bytes: 0xAABBCCDD ->
 * 0x00AA00BB00CC00DD (four ASCII characters as UTF-16LE units). */
static inline uint64_t
widen(uint64_t x)
{
    x &= 0xFFFFFFFFu;
    x = (x | x << 16) & 0x0000FFFF0000FFFFu;
    return (x | x << 8) & 0x00FF00FF00FF00FFu;
}

/* Checked size arithmetic: return 0 on overflow, else store the result. */
static inline int
ck_add(size_t a, size_t b, size_t *r)
{
    return !__builtin_add_overflow(a, b, r);
}

static inline int
ck_mul(size_t a, size_t b, size_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}

/* Growable byte buffer used by encoders (utf8 names, export lines). */
typedef struct sbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
    int fixed; /* p is the caller's buffer: never grow, set oom instead */
} sbuf;

/* Make room for extra more bytes (a no-op when there is room); -1 and
 * oom set on failure. */
int sbuf_grow(sbuf *b, size_t extra);

static inline void
sbuf_put(sbuf *b, const void *src, size_t len)
{
    /* Nothing to add: b may have no storage yet (memcpy to NULL is UB). */
    if (len == 0 || (b->cap - b->n < len && sbuf_grow(b, len) < 0))
        return;
    memcpy(b->p + b->n, src, len);
    b->n += len;
}

static inline void
sbuf_putc(sbuf *b, uint8_t c)
{
    if (b->n == b->cap && sbuf_grow(b, 1) < 0)
        return;
    b->p[b->n++] = c;
}

static inline void
sbuf_puts(sbuf *b, const char *s)
{
    sbuf_put(b, s, strlen(s));
}

void sbuf_free(sbuf *b);

#endif
