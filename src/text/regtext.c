/*
 * regtext.c - export a subtree as a .reg document (regedit 5.00 format)
 * or as JSON lines (text-format layer, above the model).
 *
 * .reg rules, each as Windows writes them.  Sources: [W] Wine
 * programs/regedit/regproc.c export code (export_registry_data, export_data,
 * export_hex_data, MAX_HEX_CHARS 77); [T] Wine programs/reg/tests/export.c,
 * whose expected files pass against Windows' reg export (same writer as
 * regedit); [M] Microsoft KB 310516 "How to add, modify, or delete registry
 * subkeys and values by using a .reg file".
 *  - File: BOM FF FE, UTF-16LE, CRLF line ends [W][T]; "Windows Registry
 *    Editor Version 5.00" is the first line [W][T][M].  reghive adds one
 *    comment line after it, "; reghive export: hex data verbatim": the
 *    importer (src/regparse.c) then stores hex(1)/hex(2)/hex(7) bytes as
 *    written instead of adding regedit's NUL, so unterminated strings
 *    round-trip; regedit and hivexregedit skip it as a comment.
 *  - Each key: a blank line, then "[full path]" unescaped [W][T]; values
 *    follow in stored order [T]; the file ends with one more blank line,
 *    so the last bytes are CRLF CRLF [W][T].
 *  - Value name: "@" for the default value, else quoted, with \\ and \"
 *    as escapes [W][T]; then "=".
 *  - REG_SZ: quoted the same way [W][T].  Windows writes only
 *    the text before the first NUL [T: "abc\0def" -> "abc"], and a CR or
 *    LF has no escape Windows documents [M] (Wine's writer invents \r \n
 *    [W]), so reghive quotes only data that re-imports to identical bytes:
 *    even length >= 2, exactly one NUL unit and it is last, no CR or LF;
 *    anything else is hex(1): (0 bytes -> "hex(1):", which [T] shows
 *    imports back as an empty REG_SZ).
 *  - REG_DWORD of exactly 4 bytes: dword:%08x [W][T]; other lengths
 *    hex(4): [T].
 *  - REG_BINARY: hex:, every other type hex(N): with N in lowercase hex
 *    (hex(0), hex(2), hex(7), hex(b), hex(abcd)) [W][T]; bytes are
 *    lowercase two-digit hex joined by ","; no data: "hex:" / "hex(N):"
 *    with nothing after [T].
 *  - Wrapping [W][T]: count the line in UTF-16 units from its start: the
 *    escaped quoted name and "=" (or "@="), then the "hex...:" prefix.
 *    After each byte but the last, write "," and add 3; when the count
 *    reaches 77 or more, write "\" and a line break, start the next line
 *    with two spaces and set the count to 2.  So a long name gets one byte
 *    on its first line, and a continuation line holds 25 bytes.  Strings
 *    and dwords are never wrapped.
 * With UTF-16 off the same text is written as UTF-8 with LF and no BOM.
 * The UTF-16 writer puts value lines straight into the output: names and
 * strings go from the hive's units to UTF-16 with no UTF-8 in between,
 * hex from a table.  The UTF-8 writer is the reference: tests require the
 * UTF-16 file to be exactly its re-encoding (tests/cli/export_utf16.sh).
 */
#include "reg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ex {
    rh_hive *h;
    unsigned flags;
    rh_write_fn fn;
    void *ctx;
    sbuf line; /* UTF-8 text of the current key block */
    sbuf out;  /* encoded bytes waiting to be written */
    sbuf held; /* RH_EXPORT_HOLD: the buffer fn was given last */
    int lent;  /* fn was given a buffer (HOLD: the closing call is owed) */
    sbuf path; /* current key path, UTF-8 */
    sbuf tmp;  /* big data scratch */
    sbuf u16;  /* scratch for decoding UTF-16 strings */
    sbuf name; /* scratch for value names */
    seen seen;
    int err;
    uint64_t done, total; /* keys written, keys in the subtree (progress) */
} ex;

static const char nl_utf8[] = "\n";

/* Encode the UTF-8/WTF-8 character at s[*i] (of n bytes) as UTF-16LE at
 * o, LF as CRLF; advances *i and returns the bytes written (2-4). */
static size_t
utf16_char(const uint8_t *s, size_t n, size_t *i, uint8_t *o)
{
    uint32_t c = s[*i];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, m = 0;
    if (k > n - *i)
        k = n - *i;
    if (k == 2)
        c = (c & 0x1F) << 6 | (s[*i + 1] & 0x3F);
    else if (k == 3)
        c = (c & 0x0F) << 12 | (s[*i + 1] & 0x3Fu) << 6 | (s[*i + 2] & 0x3F);
    else if (k == 4)
        c = (c & 0x07) << 18 | (s[*i + 1] & 0x3Fu) << 12 |
            (s[*i + 2] & 0x3Fu) << 6 | (s[*i + 3] & 0x3F);
    *i += k;
    if (c == '\n') {
        wr_u16(o, '\r');
        m = 2;
    }
    if (c >= 0x10000) {
        c -= 0x10000;
        wr_u16(o + m, (uint16_t)(0xD800 + (c >> 10)));
        wr_u16(o + m + 2, (uint16_t)(0xDC00 + (c & 0x3FF)));
        return m + 4;
    }
    wr_u16(o + m, (uint16_t)c);
    return m + 2;
}

/* Append UTF-16LE of the UTF-8/WTF-8 text s to out, LF as CRLF.  At most
 * 4 bytes come out per byte in (LF, or 4 bytes giving a surrogate pair). */
static int
to_utf16(sbuf *out, const uint8_t *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    size_t i = 0, need;
    if (!ck_mul(n, 4, &need) || sbuf_grow(out, need) < 0)
        return -1;
    uint8_t *o = out->p + out->n, *o0 = o;
    while (i < n) {
        /* Widen 8 bytes at a time (there is room for 32 bytes of output);
         * keep those before the first LF or non-ASCII byte. */
        if (n - i >= 8) {
            uint64_t x = ld_u64(s + i);
            uint64_t lf = x ^ (ones * '\n'); /* zero byte where s has LF */
            uint64_t special = (x | ((lf - ones) & ~lf)) & high;
            wr_u64(o, widen(x));
            wr_u64(o + 8, widen(x >> 32));
            if (!special) {
                o += 16;
                i += 8;
                continue;
            }
            /* The lowest flagged byte is exact (a false flag from the
             * borrow can only sit above a real LF). */
            size_t j = (size_t)__builtin_ctzll(special) / 8;
            o += 2 * j;
            i += j;
        }
        o += utf16_char(s, n, &i, o);
    }
    out->n += (size_t)(o - o0);
    return 0;
}

/* Move the finished text in e->line to the sink, re-encoded as needed. */
static int
flush(ex *e, int force)
{
    if (e->line.oom || e->out.oom)
        return hive_err(e->h, RH_ENOMEM, "out of memory");
    if (e->line.n) { /* empty after a UTF-16 value line: nothing to do */
        if (e->flags & RH_EXPORT_UTF16) {
            if (to_utf16(&e->out, e->line.p, e->line.n) < 0)
                return hive_err(e->h, RH_ENOMEM, "out of memory");
        } else {
            sbuf_put(&e->out, e->line.p, e->line.n);
        }
        e->line.n = 0;
    }
    if (e->out.oom)
        return hive_err(e->h, RH_ENOMEM, "out of memory");
    /* A sink that holds buffers gets bigger ones: fewer hand-overs. */
    size_t chunk = (e->flags & RH_EXPORT_HOLD) ? 1048576 : 65536;
    if (e->out.n >= chunk || (force && e->out.n)) {
        e->lent = 1;
        if (e->fn(e->ctx, e->out.p, e->out.n) != 0)
            return hive_err(e->h, RH_ECANCEL, "write failed");
        if (e->flags & RH_EXPORT_HOLD) { /* fill the other buffer next */
            sbuf t = e->out;
            e->out = e->held;
            e->held = t;
        }
        e->out.n = 0;
    }
    return 0;
}

static const char hexd[] = "0123456789abcdef";

/* Bytes of value data formatted as hex in one go (put_hex_value): 32 KiB
 * of data is ~100 KiB of UTF-8 text, ~200 KiB of UTF-16. */
#define HEX_PIECE 32768

/* hexw[b]: b's two hex digits and a comma as UTF-16LE (6 bytes, then 2
 * zero bytes that the next store overwrites). */
#define HX(n) ((uint64_t)((n) < 10 ? '0' + (n) : 'a' + (n)-10))
#define HW(b) (HX((b) >> 4) | HX((b)&15) << 16 | (uint64_t)',' << 32)
#define HW4(b) HW(b), HW((b) + 1), HW((b) + 2), HW((b) + 3)
#define HW16(b) HW4(b), HW4((b) + 4), HW4((b) + 8), HW4((b) + 12)
#define HW64(b) HW16(b), HW16((b) + 16), HW16((b) + 32), HW16((b) + 48)
static const uint64_t hexw[256] = {HW64(0), HW64(64), HW64(128), HW64(192)};

/* Append d as comma-separated hex pairs wrapped like regedit (a line ends
 * "\\" after the comma that reaches column 77; the next starts with two
 * spaces); col is the column after the "name"=hex: prefix, or where the
 * previous piece left off.  more: d is not the data's last piece (its
 * last byte gets a comma, and the wrap after it).  Returns the column
 * reached.  wide: as UTF-16LE with CRLF, straight into the output (hex is
 * most of a .reg file of binary data, so it skips the re-encoding). */
static size_t
put_hex_bytes(sbuf *o, span d, size_t col, int wide, int more)
{
    /* Per byte 3 characters; per wrap 5 (with CR): at most 25 bytes of 3
     * columns fit a line.  UTF-16: twice that, plus 2 bytes of slack for
     * the 8-byte stores. */
    size_t cw = wide ? 2 : 1, need = cw * (d.n * 3 + (d.n / 24 + 2) * 5) + 2;
    if (d.n == 0 || sbuf_grow(o, need) < 0)
        return col;
    uint8_t *p = o->p + o->n, *p0 = p;
    for (size_t i = 0; i < d.n;) {
        /* Bytes until the comma that reaches column 77 (at least one). */
        size_t m = col >= 74 ? 1 : (77 - col + 2) / 3;
        if (m > d.n - i)
            m = d.n - i;
        const uint8_t *s = d.p + i;
        if (wide) {
            size_t k = 0;
            for (; k + 4 <= m; k += 4, p += 24) {
                wr_u64(p, hexw[s[k]]); /* 6 bytes used */
                wr_u64(p + 6, hexw[s[k + 1]]);
                wr_u64(p + 12, hexw[s[k + 2]]);
                wr_u64(p + 18, hexw[s[k + 3]]);
            }
            for (; k < m; k++, p += 6)
                wr_u64(p, hexw[s[k]]);
        } else {
            for (size_t k = 0; k < m; k++, p += 3) {
                p[0] = (uint8_t)hexd[s[k] >> 4];
                p[1] = (uint8_t)hexd[s[k] & 15];
                p[2] = ',';
            }
        }
        i += m;
        col += 3 * m;
        if (i == d.n && !more) {
            p -= cw; /* no comma after the last byte */
            break;
        }
        if (col >= 77) {
            if (wide) {
                static const uint8_t w[10] = {'\\', 0,   '\r', 0,   '\n',
                                              0,    ' ', 0,    ' ', 0};
                memcpy(p, w, 10);
                p += 10;
            } else {
                memcpy(p, "\\\n  ", 4);
                p += 4;
            }
            col = 2;
        }
    }
    o->n += (size_t)(p - p0);
    return col;
}

/* Append s escaped for a .reg quoted string; returns the UTF-8 length
 * added, counting characters for the column (regedit counts UTF-16
 * units; the difference only matters for non-ASCII names). */
static size_t
put_escaped(sbuf *o, const uint8_t *s, size_t n)
{
    size_t cols = 0, need;
    if (!ck_mul(n, 2, &need) || sbuf_grow(o, need) < 0)
        return 0;
    uint8_t *p = o->p + o->n, *p0 = p;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '\\' || c == '"') {
            *p++ = '\\';
            cols++;
        }
        *p++ = c;
        /* Count characters; a 4-byte sequence is two UTF-16 units. */
        cols += ((c & 0xC0) != 0x80) + (c >= 0xF0);
    }
    o->n += (size_t)(p - p0);
    return cols;
}

/* Is REG_SZ data representable as a quoted string that re-imports
 * byte-identically? */
static int
sz_quotable(span d)
{
    if (d.n < 2 || (d.n & 1))
        return 0;
    size_t n = d.n / 2;
    if (rd_u16(d, d.n - 2) != 0)
        return 0;
    for (size_t i = 0; i + 1 < n; i++) {
        uint16_t c = rd_u16(d, 2 * i);
        if (c == 0 || c == '\r' || c == '\n')
            return 0;
    }
    return 1;
}

/* If the REG_SZ d is quotable (as sz_quotable decides), append it as
 * UTF-16LE "...", \\ and " escaped, and CRLF, and return 1; else 0 with
 * nothing appended.  The string's own units go out 4 at a time where none
 * is special (below 0x20, \\ or "); the lowest flagged unit is exact,
 * as in to_utf16, and is looked at alone. */
static int
put_sz_wide(sbuf *o, span d)
{
    const uint64_t ones = 0x0001000100010001u, high = 0x8000800080008000u;
    if (d.n < 2 || (d.n & 1) || rd_u16(d, d.n - 2) != 0)
        return 0;
    size_t n = d.n - 2, need; /* the final NUL is not written */
    if (!ck_mul(n, 2, &need) || !ck_add(need, 16, &need))
        o->oom = 1;
    if (o->oom || sbuf_grow(o, need) < 0)
        return 1; /* out of memory: o says so */
    const uint8_t *s = d.p;
    uint8_t *p = o->p + o->n, *p0 = p;
    wr_u16(p, '"');
    p += 2;
    for (size_t i = 0; i < n;) {
        if (n - i >= 8) {
            uint64_t x = ld_u64(s + i);
            uint64_t a = x ^ (ones * '\\'), b = x ^ (ones * '"');
            uint64_t hit = ((x - ones * 0x20) & ~x) | ((a - ones) & ~a) |
                           ((b - ones) & ~b);
            wr_u64(p, x);
            if (!(hit &= high)) {
                p += 8;
                i += 8;
                continue;
            }
            size_t j = (size_t)__builtin_ctzll(hit) / 16 * 2;
            p += j;
            i += j;
        }
        uint16_t c = (uint16_t)(s[i] | s[i + 1] << 8);
        if (c == 0 || c == '\r' || c == '\n')
            return 0;
        if (c == '\\' || c == '"') {
            wr_u16(p, '\\');
            p += 2;
        }
        wr_u16(p, c);
        p += 2;
        i += 2;
    }
    static const uint8_t end[6] = {'"', 0, '\r', 0, '\n', 0};
    memcpy(p, end, 6);
    o->n += (size_t)(p + 6 - p0);
    return 1;
}

/* The text after '=' for data that is not a quoted string: "dword:..."
 * and a newline for a 4-byte REG_DWORD (returns its length, 15), else
 * "hex:" or "hex(N):" with N in lowercase hex (returns its length, and
 * *hex is set). */
static size_t
data_prefix(uint32_t type, span d, char t[16], int *hex)
{
    *hex = 0;
    if (type == RH_REG_DWORD && d.n == 4) {
        uint32_t x = rd_u32(d, 0);
        memcpy(t, "dword:", 6);
        for (int i = 0; i < 8; i++)
            t[6 + i] = hexd[(x >> (28 - 4 * i)) & 15];
        t[14] = '\n';
        return 15;
    }
    *hex = 1;
    memcpy(t, "hex:", 4);
    if (type == RH_REG_BINARY)
        return 4;
    size_t tn = 4;
    int shift = 28;
    while (shift > 0 && !(type >> shift))
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        t[tn++] = hexd[(type >> shift) & 15];
    t[3] = '(';
    t[tn++] = ')';
    t[tn++] = ':';
    return tn;
}

/* Append the ASCII s (n bytes) as UTF-16LE, LF as CRLF. */
static void
put_wide(sbuf *o, const char *s, size_t n)
{
    if (sbuf_grow(o, 4 * n) < 0)
        return;
    uint8_t *p = o->p + o->n, *p0 = p;
    for (size_t i = 0; i < n; i++, p += 2) {
        if (s[i] == '\n') {
            wr_u16(p, '\r');
            p += 2;
        }
        wr_u16(p, (uint8_t)s[i]);
    }
    o->n += (size_t)(p - p0);
}

/* Append the value name raw (compressed: Latin-1 bytes, else UTF-16LE
 * units, an odd last byte ignored) as a UTF-16LE quoted string with \\
 * and " escaped; returns the columns taken (UTF-16 units). */
static size_t
put_name_wide(sbuf *o, span raw, int compressed)
{
    size_t n = compressed ? raw.n : raw.n / 2, need;
    if (!ck_mul(n, 4, &need) || !ck_add(need, 4, &need))
        o->oom = 1;
    if (o->oom || sbuf_grow(o, need) < 0)
        return 0; /* out of memory: o says so */
    uint8_t *p = o->p + o->n, *p0 = p;
    wr_u16(p, '"');
    p += 2;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = raw.p[compressed ? i : 2 * i];
        if (!compressed)
            c = (uint16_t)(c | raw.p[2 * i + 1] << 8);
        if (c == '\\' || c == '"') {
            wr_u16(p, '\\');
            p += 2;
        }
        wr_u16(p, c);
        p += 2;
    }
    wr_u16(p, '"');
    p += 2;
    o->n += (size_t)(p - p0);
    return (size_t)(p - p0) / 2;
}

/* The hex of d and the line's end, from column col: into e->out (wide)
 * or e->line.  In pieces, each handed on as the output fills: the buffers
 * stay near their hand-over size however big the value. */
static int
put_hex_value(ex *e, span d, size_t col, int wide)
{
    sbuf *o = wide ? &e->out : &e->line;
    int rc;
    for (size_t off = 0, n;; off += n) {
        n = d.n - off < HEX_PIECE ? d.n - off : HEX_PIECE;
        int more = off + n < d.n;
        col = put_hex_bytes(o, span_sub(d, off, n), col, wide, more);
        if (!more)
            break;
        if ((rc = flush(e, 0)) < 0)
            return rc;
    }
    if (wide)
        put_wide(o, "\n", 1);
    else
        sbuf_putc(o, '\n');
    return flush(e, 0);
}

/* A value's line in UTF-16: written straight into e->out (after the text
 * in e->line), as the data is UTF-16 or hex already and the names need no
 * trip through UTF-8. */
static int
reg_value_wide(ex *e, const vk *v, span d)
{
    sbuf *o = &e->out;
    size_t col = 1;
    char t[16];
    int hex;
    if (v->name.n == 0)
        put_wide(o, "@", 1);
    else
        col = put_name_wide(o, v->name, v->comp);
    put_wide(o, "=", 1);
    col++;
    if (v->type == RH_REG_SZ && put_sz_wide(o, d))
        return flush(e, 0);
    size_t tn = data_prefix(v->type, d, t, &hex);
    put_wide(o, t, tn);
    if (!hex)
        return flush(e, 0);
    return put_hex_value(e, d, col + tn, 1);
}

static int
reg_value(ex *e, const vk *v)
{
    sbuf *o = &e->line;
    span d;
    int rc;
    size_t col;
    if ((rc = vk_data(e->h, v, &d, &e->tmp)) < 0)
        return rc;
    if (e->flags & RH_EXPORT_UTF16)
        return reg_value_wide(e, v, d);
    if (v->name.n == 0) {
        sbuf_putc(o, '@');
        col = 1;
    } else {
        e->name.n = 0;
        name_to_utf8(v->name, v->comp, &e->name);
        sbuf_putc(o, '"');
        col = 2 + put_escaped(o, e->name.p, e->name.n);
        sbuf_putc(o, '"');
    }
    sbuf_putc(o, '=');
    col++;
    if (v->type == RH_REG_SZ && sz_quotable(d)) {
        e->u16.n = 0;
        utf16_to_utf8(d, 1, &e->u16);
        sbuf_putc(o, '"');
        put_escaped(o, e->u16.p, e->u16.n);
        sbuf_puts(o, "\"\n");
        return 0;
    }
    char t[16];
    int hex;
    size_t tn = data_prefix(v->type, d, t, &hex);
    sbuf_put(o, t, tn);
    return hex ? put_hex_value(e, d, col + tn, 0) : 0;
}

/* ---- JSON --------------------------------------------------------- */

static void
json_str(sbuf *o, const uint8_t *s, size_t n)
{
    sbuf_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            sbuf_putc(o, '\\');
            sbuf_putc(o, c);
        } else if (c < 0x20) {
            char t[8];
            snprintf(t, sizeof t, "\\u%04x", c);
            sbuf_puts(o, t);
        } else if (c == 0xED && i + 2 < n && s[i + 1] >= 0xA0) {
            /* WTF-8 surrogate: JSON can carry it as \uXXXX. */
            unsigned u = (c & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 |
                         (s[i + 2] & 0x3Fu);
            char t[8];
            snprintf(t, sizeof t, "\\u%04x", u);
            sbuf_puts(o, t);
            i += 2;
        } else {
            sbuf_putc(o, c);
        }
    }
    sbuf_putc(o, '"');
}

static int
json_value(ex *e, const vk *v, int first)
{
    sbuf *o = &e->line;
    span d;
    int rc;
    if ((rc = vk_data(e->h, v, &d, &e->tmp)) < 0)
        return rc;
    if (!first)
        sbuf_putc(o, ',');
    sbuf_puts(o, "{\"name\":");
    e->name.n = 0;
    name_to_utf8(v->name, v->comp, &e->name);
    json_str(o, e->name.p, e->name.n);
    char t[64];
    if (rh_type_name(v->type))
        snprintf(t, sizeof t, ",\"type\":\"%s\"", rh_type_name(v->type));
    else
        snprintf(t, sizeof t, ",\"type\":\"0x%x\"", v->type);
    sbuf_puts(o, t);
    snprintf(t, sizeof t, ",\"type_id\":%u,\"size\":%zu", v->type, d.n);
    sbuf_puts(o, t);
    switch (v->type) {
    case RH_REG_SZ:
    case RH_REG_EXPAND_SZ:
    case RH_REG_LINK:
        e->u16.n = 0;
        utf16_to_utf8(d, 1, &e->u16);
        sbuf_puts(o, ",\"data\":");
        json_str(o, e->u16.p, e->u16.n);
        break;
    case RH_REG_MULTI_SZ: {
        sbuf_puts(o, ",\"data\":[");
        size_t i = 0, n = d.n / 2, s = 0;
        int any = 0;
        for (; i <= n; i++) {
            if (i == n || rd_u16(d, 2 * i) == 0) {
                if (i == s && (i == n || i + 1 >= n))
                    break; /* the final empty string ends the list */
                if (any)
                    sbuf_putc(o, ',');
                e->u16.n = 0;
                utf16_to_utf8(span_sub(d, 2 * s, 2 * (i - s)), 0, &e->u16);
                json_str(o, e->u16.p, e->u16.n);
                any = 1;
                s = i + 1;
            }
        }
        sbuf_putc(o, ']');
        break;
    }
    case RH_REG_DWORD:
        if (d.n == 4) {
            snprintf(t, sizeof t, ",\"data\":%u", rd_u32(d, 0));
            sbuf_puts(o, t);
        }
        break;
    case RH_REG_DWORD_BIG_ENDIAN:
        if (d.n == 4) {
            uint32_t x = (uint32_t)d.p[0] << 24 | (uint32_t)d.p[1] << 16 |
                         (uint32_t)d.p[2] << 8 | d.p[3];
            snprintf(t, sizeof t, ",\"data\":%u", x);
            sbuf_puts(o, t);
        }
        break;
    case RH_REG_QWORD:
        if (d.n == 8) {
            snprintf(t, sizeof t, ",\"data\":%llu",
                     (unsigned long long)rd_u64(d, 0));
            sbuf_puts(o, t);
        }
        break;
    }
    sbuf_puts(o, ",\"raw\":\"");
    for (size_t i = 0; i < d.n; i++) {
        char x[2] = {hexd[d.p[i] >> 4], hexd[d.p[i] & 15]};
        sbuf_put(o, x, 2);
    }
    sbuf_puts(o, "\"}");
    return 0;
}

static void
filetime_iso(uint64_t ft, char *buf, size_t n)
{
    /* FILETIME: 100 ns since 1601-01-01.  Civil date from days (Howard
     * Hinnant's algorithm) to avoid gmtime's range limits. */
    uint64_t secs = ft / 10000000u;
    uint64_t frac = ft % 10000000u;
    int64_t days = (int64_t)(secs / 86400) - 134774; /* to 1970 */
    uint64_t rem = secs % 86400;
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, n, "%04lld-%02lld-%02lldT%02u:%02u:%02u.%07lluZ",
             (long long)y, (long long)m, (long long)d, (unsigned)(rem / 3600),
             (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
             (unsigned long long)frac);
}

/* ---- the walk ----------------------------------------------------- */

struct vcb {
    ex *e;
    int n;
};

static int
key_block(ex *e, const nk *k)
{
    span list;
    int rc;
    if ((rc = nk_values(e->h, k, &list)) < 0)
        return rc;
    sbuf *o = &e->line;
    if (e->flags & RH_EXPORT_JSON) {
        char t[48];
        sbuf_puts(o, "{\"path\":");
        if (e->path.n)
            json_str(o, e->path.p, e->path.n);
        else
            sbuf_puts(o, "\"\\\\\"");
        filetime_iso(rd_u64(k->cell, NK_TIME), t, sizeof t);
        sbuf_puts(o, ",\"last_written\":\"");
        sbuf_puts(o, t);
        sbuf_puts(o, "\"");
        if (k->clslen && k->cls != CELL_NIL) {
            span c;
            if ((rc = cell_get(e->h, k->cls, &c)) < 0)
                return rc;
            if (c.n < k->clslen)
                return CORRUPT(e->h, k->cls, "class name exceeds its cell");
            e->u16.n = 0;
            utf16_to_utf8(span_sub(c, 0, k->clslen), 0, &e->u16);
            sbuf_puts(o, ",\"class\":");
            json_str(o, e->u16.p, e->u16.n);
        }
        snprintf(t, sizeof t, ",\"subkeys\":%u", k->nsub);
        sbuf_puts(o, t);
        sbuf_puts(o, ",\"values\":[");
    } else {
        sbuf_puts(o, "\n[");
        if (e->path.n)
            sbuf_put(o, e->path.p, e->path.n);
        else
            sbuf_putc(o, '\\');
        sbuf_puts(o, "]\n");
        /* UTF-16 values go straight to e->out, after this header. */
        if ((e->flags & RH_EXPORT_UTF16) && k->nval && (rc = flush(e, 0)) < 0)
            return rc;
    }
    for (size_t i = 0; i < k->nval; i++) {
        vk v;
        if ((rc = vk_get(e->h, rd_u32(list, i * 4), &v)) < 0)
            return rc;
        rc = (e->flags & RH_EXPORT_JSON) ? json_value(e, &v, i == 0)
                                         : reg_value(e, &v);
        if (rc < 0)
            return rc;
    }
    if (e->flags & RH_EXPORT_JSON)
        sbuf_puts(o, "]}\n");
    return flush(e, 0);
}

struct walk {
    ex *e;
    int depth;
};

static int walk_key(ex *e, uint32_t off, int depth);

static int
child_cb(void *ctx, uint32_t off)
{
    struct walk *w = ctx;
    ex *e = w->e;
    size_t save = e->path.n;
    nk c;
    int rc = nk_get(e->h, off, &c);
    if (rc < 0)
        return rc;
    sbuf_putc(&e->path, '\\');
    name_to_utf8(c.name, c.comp, &e->path);
    rc = walk_key(e, off, w->depth + 1);
    e->path.n = save;
    return rc;
}

static int
walk_key(ex *e, uint32_t off, int depth)
{
    nk k;
    int rc;
    if (depth > (int)e->h->lim_depth)
        return depth_err(e->h, off);
    if ((rc = nk_get(e->h, off, &k)) < 0)
        return rc;
    if (seen_test_set(&e->seen, off))
        return CORRUPT(e->h, off,
                       "key reached twice (subkey lists form "
                       "a cycle or share a key)");
    if ((rc = key_block(e, &k)) < 0)
        return rc;
    if (e->h->progress && ++e->done % 1024 == 0)
        e->h->progress(e->h->progress_ctx, e->done,
                       e->total > e->done ? e->total : e->done);
    if (k.nsub == 0 || (e->flags & RH_EXPORT_NORECURSE))
        return 0;
    struct walk w = {e, depth};
    return list_foreach(e->h, k.subs, child_cb, &w);
}

void
rh_progress_set(rh_hive *h, rh_progress_fn fn, void *ctx)
{
    if (!h)
        return;
    h->progress = fn;
    h->progress_ctx = ctx;
}

struct count {
    rh_hive *h;
    seen *seen;
    uint64_t n;
    int depth;
};

/* Keys in the subtree at off, for the progress total; a damaged or
 * cyclic tree just stops the count (the export itself reports it). */
static int
count_cb(void *ctx, uint32_t off)
{
    struct count *c = ctx;
    nk k;
    int rc;
    if (c->depth > RH_MAX_DEPTH || nk_get(c->h, off, &k) < 0 ||
        seen_test_set(c->seen, off))
        return 1;
    c->n++;
    if (k.nsub == 0)
        return 0;
    c->depth++;
    rc = list_foreach(c->h, k.subs, count_cb, c);
    c->depth--;
    return rc;
}

static uint64_t
count_keys(rh_hive *h, uint32_t off, unsigned flags)
{
    seen s;
    struct count c = {h, &s, 0, 0};
    if (flags & RH_EXPORT_NORECURSE)
        return 1;
    if (seen_init(h, &s) < 0)
        return 0;
    count_cb(&c, off);
    seen_free(&s);
    return c.n;
}

int
rh_export(rh_hive *h, rh_key k, const char *prefix, unsigned flags,
          rh_write_fn fn, void *ctx)
{
    ex e = {0};
    int rc;
    e.h = h;
    e.flags = flags;
    e.fn = fn;
    e.ctx = ctx;
    if ((rc = seen_init(h, &e.seen)) < 0)
        return rc;
    if (prefix)
        sbuf_puts(&e.path, prefix);
    if (k != h->root) {
        char *p;
        size_t n;
        if ((rc = rh_key_path(h, k, &p, &n)) < 0)
            goto out;
        sbuf_putc(&e.path, '\\');
        sbuf_put(&e.path, p, n);
        free(p);
    }
    if (flags & RH_EXPORT_UTF16)
        sbuf_put(&e.out, "\xff\xfe", 2);
    if (!(flags & RH_EXPORT_JSON))
        sbuf_puts(&e.line,
                  "Windows Registry Editor Version 5.00\n" RH_REG_EXPORT_MARKER
                  "\n");
    if (h->progress) {
        e.total = count_keys(h, k, flags);
        h->progress(h->progress_ctx, 0, e.total);
    }
    if ((rc = walk_key(&e, k, 0)) < 0)
        goto out;
    if (!(flags & RH_EXPORT_JSON))
        sbuf_puts(&e.line, nl_utf8);
    rc = flush(&e, 1);
    if (rc >= 0 && h->progress)
        h->progress(h->progress_ctx, e.done, e.done);
out:
    /* The sink lets go of the last buffer before it is freed. */
    if ((flags & RH_EXPORT_HOLD) && e.lent && fn(ctx, NULL, 0) != 0 && rc >= 0)
        rc = hive_err(h, RH_ECANCEL, "write failed");
    sbuf_free(&e.line);
    sbuf_free(&e.out);
    sbuf_free(&e.held);
    sbuf_free(&e.path);
    sbuf_free(&e.tmp);
    sbuf_free(&e.u16);
    sbuf_free(&e.name);
    seen_free(&e.seen);
    return rc;
}
