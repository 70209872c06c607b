/*
 * name.h - registry names: decoding (Latin-1 or UTF-16LE to UTF-8/WTF-8),
 * UTF-8 to UTF-16, Windows uppercase, comparison and the lh hash.
 * Pure functions; no hive access.
 */
#ifndef RH_NAME_H
#define RH_NAME_H

#include "reghive.h"
#include "buf.h"

uint16_t upcase_slow(uint16_t c);

static inline uint16_t
upcase(uint16_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') ? (uint16_t)(c - 32) : c;
    return upcase_slow(c);
}

/* Append the UTF-8 (WTF-8) form of a stored name to out.  compressed:
 * one Latin-1 byte per character, else UTF-16LE (a trailing odd byte is
 * dropped). */
void name_to_utf8(span raw, int compressed, sbuf *out);

/* Append UTF-8 of UTF-16LE bytes, stopping at the first NUL unit when
 * stop_at_nul. */
void utf16_to_utf8(span raw, int stop_at_nul, sbuf *out);

/* Decode UTF-8 (WTF-8 surrogates accepted) to UTF-16 units in out (cap
 * units).  Returns the unit count, or -1 on invalid UTF-8 or overflow. */
long utf8_to_utf16(const char *s, size_t n, uint16_t *out, size_t cap);

/* Compare a stored name with q (already upcased UTF-16), Windows style:
 * <0, 0, >0. */
int name_cmp(span raw, int compressed, const uint16_t *q, size_t qn);

/* lh hash of a name given as upcased UTF-16 units. */
static inline uint32_t
lh_hash(const uint16_t *q, size_t qn)
{
    uint32_t h = 0;
    for (size_t i = 0; i < qn; i++)
        h = h * 37 + q[i];
    return h;
}

/* lh hash of a stored name. */
uint32_t name_hash(span raw, int compressed);

/* lf name hint of a stored name as Windows computes it (read as a
 * little-endian u32 of the 4 hint bytes): the first 4 characters as bytes,
 * zero padded, case kept; 0 when one of them is above U+00FF. */
uint32_t name_hint(span raw, int compressed);

/* Bytes of the UTF-8 (WTF-8) form of a stored name. */
size_t name_utf8_len(span raw, int compressed);

/* Decode a stored name into buf (cap bytes, NUL-terminated).  *len gets
 * the length without the NUL.  RH_ERANGE when cap is too small. */
int name_to_buf(span raw, int compressed, char *buf, size_t cap, size_t *len);

/* Can the UTF-16 name be stored compressed (every unit < 0x100)? */
int name_fits_latin1(const uint16_t *q, size_t qn);

#endif
