/*
 * regparse.c - parse a .reg document into operations (text-format layer;
 * pure: no hive access, no printing).  The input is read line by line,
 * each line decoded to UTF-16 units (as regedit reads it) into one reused
 * buffer; the operations and their strings/data go to one growable arena.
 *
 * Rules, as Windows regedit applies them.  Sources: [W] Wine
 * programs/regedit/regproc.c import code (parse_file_header, the parser
 * state machine, convert_hex_to_dword, convert_hex_csv_to_hex,
 * parse_data_type, REGPROC_unescape_string, prepare_hex_string_data,
 * get_lineA/W); [T] Wine programs/regedit/tests/regedit.c, whose import
 * tests pass against Windows regedit (cases named below); [M] Microsoft
 * KB 310516.  Where regedit silently skips a bad line, reghive stops with
 * an error instead (atomic import): "error" below.
 *  - Encoding: FF FE starts UTF-16LE [W import_registry_file]; anything
 *    else is the ANSI code page, read here as Windows-1252 (0x80-0x9F to
 *    U+20AC..., the five unassigned bytes to U+0081/8D/8F/90/9D as
 *    MultiByteToWideChar does) unless RH_REG_ENC_* says otherwise.  A
 *    UTF-8 BOM selects UTF-8, and a BOM-less file that is not REGEDIT4 is
 *    read as UTF-8 (what `reghive export --utf8` and hivexregedit write;
 *    regedit itself never writes 5.00 files without the UTF-16 BOM).
 *    Invalid UTF-8 and a UTF-16 odd byte count are errors.  A NUL
 *    character is kept as an ordinary character (regedit would cut the
 *    line there; names holding NUL, which reghive export writes, thus
 *    round-trip); unpaired UTF-16 surrogates are carried through unchanged
 *    (data keeps the unit, names get WTF-8), since hive names and string
 *    data are UTF-16 and may hold them.
 *  - Lines end at CR, LF or CRLF [W get_line, T TestValue4].
 *  - Header: first line, leading blanks skipped, exactly "REGEDIT4" or
 *    "Windows Registry Editor Version 5.00" (case-sensitive, nothing
 *    after) [W parse_file_header, T Test1-Test11].  "REGEDIT" (3.1) and
 *    other REGEDIT* headers are refused (Windows imports nothing).
 *  - Blank lines anywhere; leading spaces/tabs before '[', '@', '"'
 *    [T Wine2a..Wine5d].  ';' starts a comment at line start and after
 *    complete data [T test_comments]; '#' is not a comment marker inside
 *    a line [T Wine3, Wine23, Wine25c]; a line starting with '#' is
 *    ignored (regedit ignores lines it does not recognise [W
 *    line_start_state], [T Wine1 "#comment"]); any other unrecognised
 *    line is an error.
 *  - [KEY]: no blank after '[' [T Subkey1a]; the name ends at the LAST
 *    ']' of the line [W key_name_state]; only blanks or a ';' comment may
 *    follow.  [-KEY] deletes the tree; no blank after '-' [T Subkey2a].
 *    The path is kept as written (trailing '\' are dropped when mapped,
 *    [T Subkey1e]).  A value needs an open key: values before any key
 *    or after [-KEY] are errors (regedit drops them [T Wine1a]).
 *  - Value name: "..." with \\ and \" escapes, or @ for the default;
 *    blanks may surround '=' [T Wine5d]; after '=' trailing blanks are
 *    trimmed [W data_start_state].  "name"=- deletes (blanks and a ';'
 *    comment may follow) [T Wine46a-f].
 *  - Escapes in quoted names and strings: \\ -> \, \" -> ", \n -> LF,
 *    \r -> CR; \0 is an error [T Wine33a-f]; any other \c gives c (the
 *    backslash is dropped) [W REGPROC_unescape_string].  A string ends at
 *    the first unescaped '"'; only blanks or ';' may follow [T Test15a].
 *    Strings cannot continue on the next line [T Test18b].
 *  - "data": REG_SZ, UTF-16LE plus one NUL unit [T Wine23: size =
 *    chars + 1].  Type prefixes are case-sensitive [W wcsncmp].
 *  - dword: blanks, 1..8 hex digits, blanks, optional ';' comment
 *    [T Test12a-e, Test14a, Wine9a, Wine25a-d].
 *  - hex:, hex(N): N is 1..8 hex digits, no "0x" [T Wine13a-l].  Bytes
 *    are hex numbers <= 0xff [T Wine22a-b] separated by ',' directly
 *    after the digits; blanks may precede a byte; a trailing ',' is
 *    fine [T Wine15]; after a ',' a '\' continues the data on the next
 *    line (only blanks or ';' may follow the '\') [T Wine28c-f]; blank
 *    and ';' lines inside the continuation are skipped [T Multi-Line6,
 *    Wine29a-b]; the continuation line starts (after blanks) with a hex
 *    digit [T Wine29c-d, Multi-Line1-4]; a '\' not after ',' is an
 *    error [T Wine9c, Wine31]; end of file after '\' ends the data
 *    [T Wine17a-e].
 *  - hex(1), hex(2), hex(7): non-empty data whose last UTF-16 unit is
 *    not 0 gets a NUL unit appended [T Wine20a-f, Wine21a-d, Wine4d];
 *    empty data stays empty [T Wine22]; odd-length data is kept as is
 *    (regedit's behaviour there is undefined).  RH_REG_HEX_VERBATIM
 *    keeps all bytes as written.  In REGEDIT4 files these bytes are in
 *    the file's 8-bit encoding: a NUL byte is appended when the last
 *    byte is not 0, then they are converted to UTF-16LE [W
 *    prepare_hex_string_data; T Wine20a REGEDIT4 "Line" -> 5 chars].
 *  - Round trip with `reghive export` (reghive's own rule, not regedit's):
 *    reghive writes string data that is not exactly "text + one NUL" as
 *    hex(1)/hex(2)/hex(7), e.g. a REG_SZ without its terminator, which the
 *    NUL rule above would change.  So its export puts the comment line
 *    RH_REG_EXPORT_MARKER ("; reghive export: hex data verbatim") right
 *    after the header, and a file whose line 2 is exactly that comment
 *    (trailing blanks allowed) is parsed as if RH_REG_HEX_VERBATIM were
 *    given.  Files regedit, reg.exe, Wine or hivexregedit write never
 *    carry it, so they keep regedit's rule; regedit itself reads the
 *    marker as a comment (so it adds its NULs to such a file).
 */
#include "regparse.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growable byte arena ------------------------------------------ */

typedef struct arena {
    uint8_t *p;
    size_t n, cap;
    int oom;
} arena;

static int
ar_grow(arena *a, size_t extra)
{
    if (a->oom)
        return -1;
    if (extra > SIZE_MAX - a->n) {
        a->oom = 1;
        return -1;
    }
    size_t need = a->n + extra, cap = a->cap ? a->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(a->p, cap);
    if (!p) {
        a->oom = 1;
        return -1;
    }
    a->p = p;
    a->cap = cap;
    return 0;
}

static void
ar_put(arena *a, const void *src, size_t len)
{
    if (a->cap - a->n < len && ar_grow(a, len) < 0)
        return;
    if (len)
        memcpy(a->p + a->n, src, len);
    a->n += len;
}

static void
ar_putc(arena *a, uint8_t c)
{
    if (a->n == a->cap && ar_grow(a, 1) < 0)
        return;
    a->p[a->n++] = c;
}

static void
ar_u16(arena *a, uint16_t c)
{
    uint8_t b[2] = {(uint8_t)c, (uint8_t)(c >> 8)};
    ar_put(a, b, 2);
}

/* Append one code point (or lone surrogate) as UTF-8 / WTF-8. */
static void
ar_utf8(arena *a, uint32_t c)
{
    uint8_t b[4];
    size_t k;
    if (c < 0x80) {
        b[0] = (uint8_t)c;
        k = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xC0 | c >> 6);
        b[1] = (uint8_t)(0x80 | (c & 0x3F));
        k = 2;
    } else if (c < 0x10000) {
        b[0] = (uint8_t)(0xE0 | c >> 12);
        b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        b[2] = (uint8_t)(0x80 | (c & 0x3F));
        k = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | c >> 18);
        b[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
        b[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        b[3] = (uint8_t)(0x80 | (c & 0x3F));
        k = 4;
    }
    ar_put(a, b, k);
}

/* ---- decoding --------------------------------------------------------- */

/* Windows-1252 0x80..0x9F (MultiByteToWideChar maps the five unassigned
 * bytes to the C1 controls of the same value). */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

/* Line-local column (1-based, code points) of unit pos in u[0..n). */
static size_t
column(const uint16_t *u, size_t n, size_t pos)
{
    size_t c = 1;
    if (pos > n)
        pos = n;
    for (size_t i = 0; i < pos; i++)
        if (u[i] < 0xDC00 || u[i] > 0xDFFF || i == 0 || u[i - 1] < 0xD800 ||
            u[i - 1] > 0xDBFF)
            c++; /* a low surrogate after a high one is the same char */
    return c;
}

/* Is the text at p (n bytes; BOM already skipped) a REGEDIT4 header? */
static int
looks_regedit4(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (n - i < 8 || memcmp(p + i, "REGEDIT4", 8) != 0)
        return 0;
    i += 8;
    return i == n || p[i] == '\r' || p[i] == '\n';
}

int
regparse_encoding(const uint8_t *buf, size_t len, unsigned enc, size_t *skip,
                  unsigned *used, char *err, size_t errlen)
{
    *skip = 0;
    if (len >= 2 && buf[0] == 0xFF && buf[1] == 0xFE) {
        enc = RH_REG_ENC_UTF16LE;
        *skip = 2;
    } else if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
        enc = RH_REG_ENC_UTF8;
        *skip = 3;
    } else if (len >= 2 && buf[0] == 0xFE && buf[1] == 0xFF) {
        if (err && errlen)
            snprintf(err, errlen,
                     "1:1: UTF-16BE is not supported "
                     "(expected UTF-16LE with BOM FF FE)");
        return RH_EINVAL;
    } else if (enc == RH_REG_ENC_AUTO) {
        enc = looks_regedit4(buf, len) ? RH_REG_ENC_CP1252 : RH_REG_ENC_UTF8;
    }
    if (enc > RH_REG_ENC_UTF16LE)
        return RH_EINVAL;
    *used = enc;
    return 0;
}

/* ---- the document ----------------------------------------------------- */

typedef struct op {
    uint8_t kind;
    uint32_t type, line;
    size_t key, keylen; /* arena offsets */
    size_t name, namelen;
    size_t data, len;
} op;

struct rh_reg_doc {
    arena ar; /* strings and data */
    op *ops;
    size_t nops, cap;
    int version;
    unsigned enc;
    int hex_verbatim; /* the export marker was seen */
};

typedef struct ps {
    const uint8_t *b; /* input after the BOM */
    size_t blen;
    size_t bpos;     /* start of the next line in b */
    size_t nlf, ncr; /* next LF / CR at or after bpos (SIZE_MAX: unknown) */
    unsigned enc;    /* RH_REG_ENC_* of b */
    uint16_t *u;     /* the current line, decoded to UTF-16 units */
    size_t ucap;     /* units allocated at u */
    size_t n;        /* units in the line */
    size_t ls, le;   /* current line [ls, le) in u (ls is 0) */
    size_t line;     /* current line number, 1-based */
    rh_reg_doc *d;
    unsigned flags;
    int have_key;       /* an open key for values */
    size_t key, keylen; /* its path in the arena */
    char *err;
    size_t errlen;
    int rc;
} ps;

static int
fail(ps *s, size_t at, const char *msg)
{
    if (s->rc == 0) {
        if (s->err && s->errlen)
            snprintf(s->err, s->errlen, "%zu:%zu: %s", s->line ? s->line : 1,
                     column(s->u, s->n, at), msg);
        s->rc = RH_EINVAL;
    }
    return s->rc;
}

/* Decode b[i..e) (no line breaks) into s->u; 0 or an error. */
static int
decode(ps *s, size_t i, size_t e)
{
    const uint8_t *p = s->b;
    size_t need = s->enc == RH_REG_ENC_UTF16LE ? (e - i) / 2 + 1 : e - i + 1;
    if (need > s->ucap) {
        size_t cap = s->ucap ? s->ucap : 256;
        while (cap < need)
            cap *= 2;
        uint16_t *nu = realloc(s->u, cap * sizeof *nu);
        if (!nu)
            return s->rc = RH_ENOMEM;
        s->u = nu;
        s->ucap = cap;
    }
    uint16_t *u = s->u;
    size_t k = 0;
    if (s->enc == RH_REG_ENC_UTF16LE) {
        for (; i + 1 < e; i += 2)
            u[k++] = (uint16_t)(p[i] | p[i + 1] << 8);
        s->n = k;
        if (i < e)
            return fail(s, k,
                        "UTF-16 text has an odd number of bytes "
                        "(truncated last character)");
    } else if (s->enc == RH_REG_ENC_CP1252 || s->enc == RH_REG_ENC_LATIN1) {
        int cp = s->enc == RH_REG_ENC_CP1252;
        for (; i < e; i++) {
            uint8_t c = p[i];
            u[k++] = (cp && c >= 0x80 && c < 0xA0) ? cp1252_hi[c - 0x80] : c;
        }
    } else {
        while (i < e) {
            uint32_t c = p[i], min;
            size_t m;
            /* 8 ASCII bytes at a time. */
            while (e - i >= 8) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & 0x8080808080808080u)
                    break;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                uint64_t lo = widen(w), hi = widen(w >> 32);
                memcpy(u + k, &lo, 8); /* units in host order */
                memcpy(u + k + 4, &hi, 8);
#else
                for (int j = 0; j < 8; j++)
                    u[k + (size_t)j] = p[i + (size_t)j];
#endif
                k += 8;
                i += 8;
            }
            if (i == e)
                break;
            c = p[i];
            if (c < 0x80) {
                u[k++] = (uint16_t)c;
                i++;
                continue;
            } else if ((c & 0xE0) == 0xC0) {
                m = 2;
                c &= 0x1F;
                min = 0x80;
            } else if ((c & 0xF0) == 0xE0) {
                m = 3;
                c &= 0x0F;
                min = 0x800;
            } else if ((c & 0xF8) == 0xF0) {
                m = 4;
                c &= 0x07;
                min = 0x10000;
            } else {
                goto bad;
            }
            if (e - i < m)
                goto bad;
            for (size_t j = 1; j < m; j++) {
                if ((p[i + j] & 0xC0) != 0x80)
                    goto bad;
                c = c << 6 | (p[i + j] & 0x3Fu);
            }
            /* Surrogates (WTF-8) are accepted: they round-trip to the
             * UTF-16 unit. */
            if (c < min || c > 0x10FFFF)
                goto bad;
            if (c >= 0x10000) {
                c -= 0x10000;
                u[k++] = (uint16_t)(0xD800 + (c >> 10));
                u[k++] = (uint16_t)(0xDC00 + (c & 0x3FF));
            } else {
                u[k++] = (uint16_t)c;
            }
            i += m;
        }
    }
    s->n = k;
    return 0;
bad:
    s->n = k;
    return fail(s, k, "invalid UTF-8 byte sequence");
}

/* Next line, decoded, into u[ls, le); 0 at end of input (or on a
 * decoding error: s->rc says so). */
static int
next_line(ps *s)
{
    const uint8_t *p = s->b;
    size_t n = s->blen, i = s->bpos, e;
    if (i >= n && !(i == 0 && n == 0))
        return 0;
    if (s->enc == RH_REG_ENC_UTF16LE) {
        for (e = i; e + 1 < n; e += 2)
            if (p[e + 1] == 0 && (p[e] == '\r' || p[e] == '\n'))
                break;
        if (e + 1 >= n)
            e = n; /* the last line (and an odd byte, if any) */
    } else {
        /* The next LF and CR at or after i, each found once by memchr
         * (a file of CR-only lines does not rescan to the next LF). */
        if (s->nlf == SIZE_MAX || s->nlf < i) {
            const uint8_t *f = memchr(p + i, '\n', n - i);
            s->nlf = f ? (size_t)(f - p) : n;
        }
        if (s->ncr == SIZE_MAX || s->ncr < i) {
            const uint8_t *f = memchr(p + i, '\r', n - i);
            s->ncr = f ? (size_t)(f - p) : n;
        }
        e = s->nlf < s->ncr ? s->nlf : s->ncr;
    }
    s->line++;
    s->ls = 0;
    if (decode(s, i, e) < 0) {
        s->le = s->n;
        return 0;
    }
    s->le = s->n;
    size_t w = s->enc == RH_REG_ENC_UTF16LE ? 2 : 1;
    if (e < n) {
        if (p[e] == '\r' && e + 2 * w - 1 < n && p[e + w] == '\n' &&
            (w == 1 || p[e + w + 1] == 0))
            e += w;
        e += w;
    } else {
        e = n + 1; /* no more lines after one without a terminator */
    }
    s->bpos = e;
    return 1;
}

static int
blank(uint16_t c)
{
    return c == ' ' || c == '\t';
}

static size_t
skip_blanks(const ps *s, size_t i)
{
    while (i < s->le && blank(s->u[i]))
        i++;
    return i;
}

static int
is_hex(uint16_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* 1 + the value of an ASCII hex digit, 0 for anything else. */
static const uint8_t hex1[128] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

static unsigned
hexval(uint16_t c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Rest of the line from i must be blanks or a ';' comment. */
static int
end_ok(const ps *s, size_t i)
{
    i = skip_blanks(s, i);
    return i == s->le || s->u[i] == ';';
}

static int
match(const ps *s, size_t i, const char *lit)
{
    for (; *lit; lit++, i++)
        if (i >= s->le || s->u[i] != (uint16_t)(unsigned char)*lit)
            return 0;
    return 1;
}

static int
push_op(ps *s, int kind, size_t line, op **out)
{
    rh_reg_doc *d = s->d;
    if (d->nops == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        op *o = realloc(d->ops, cap * sizeof *o);
        if (!o)
            return s->rc = RH_ENOMEM;
        d->ops = o;
        d->cap = cap;
    }
    op *o = &d->ops[d->nops++];
    memset(o, 0, sizeof *o);
    o->kind = (uint8_t)kind;
    o->line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
    *out = o;
    return 0;
}

/* Append u[a..b) as UTF-8/WTF-8 to the arena. */
static void
put_text(ps *s, size_t a, size_t b)
{
    arena *ar = &s->d->ar;
    /* ASCII runs (nearly all names) are copied without ar_utf8. */
    if (b > a && ar->cap - ar->n < b - a && ar_grow(ar, b - a) < 0)
        return;
    for (size_t i = a; i < b; i++) {
        uint32_t c = s->u[i];
        if (c < 0x80 && ar->n < ar->cap) {
            ar->p[ar->n++] = (uint8_t)c;
            continue;
        }
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < b && s->u[i + 1] >= 0xDC00 &&
            s->u[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (s->u[i + 1] - 0xDC00u);
            i++;
        }
        ar_utf8(ar, c);
    }
}

/* Unescape a quoted string starting after its opening quote at i;
 * append it as UTF-16LE units (utf16) or UTF-8 (else).  *end gets the
 * index after the closing quote. */
static int
quoted(ps *s, size_t i, int utf16, size_t *end)
{
    arena *ar = &s->d->ar;
    size_t run = i; /* start of the unescaped run not yet copied */
    for (; i < s->le; i++) {
        uint16_t c = s->u[i];
        if (c != '\\' && c != '"')
            continue;
        /* Flush u[run..i). */
        if (utf16) {
            if (ar->cap - ar->n < 2 * (i - run) &&
                ar_grow(ar, 2 * (i - run)) < 0)
                return s->rc = RH_ENOMEM;
            uint8_t *q = ar->p + ar->n;
            for (size_t j = run; j < i; j++) {
                *q++ = (uint8_t)s->u[j];
                *q++ = (uint8_t)(s->u[j] >> 8);
            }
            ar->n += 2 * (i - run);
        } else {
            put_text(s, run, i);
        }
        if (c == '"') {
            *end = i + 1;
            return 0;
        }
        if (i + 1 >= s->le)
            return fail(s, i + 1, "unterminated string: expected '\"'");
        uint16_t e = s->u[++i];
        if (e == '0')
            return fail(s, i - 1,
                        "\\0 is not allowed in a string "
                        "(regedit rejects embedded NULs)");
        uint16_t out = e == 'n' ? '\n' : e == 'r' ? '\r' : e;
        if (utf16)
            ar_u16(ar, out);
        else
            ar_utf8(ar, out);
        run = i + 1;
    }
    return fail(s, s->le, "unterminated string: expected '\"'");
}

/* Data of 8-bit hex(1/2/7) in a REGEDIT4 file: convert the bytes at
 * arena[off..) to UTF-16LE in place (re-appended). */
static int
ansi_to_utf16(ps *s, size_t off, size_t at)
{
    arena *ar = &s->d->ar;
    size_t n = ar->n - off;
    if (n == 0)
        return 0;
    if (ar->p[ar->n - 1] != 0) {
        ar_putc(ar, 0);
        n++;
    }
    if (ar->oom)
        return s->rc = RH_ENOMEM;
    uint8_t *tmp = malloc(n);
    if (!tmp)
        return s->rc = RH_ENOMEM;
    memcpy(tmp, ar->p + off, n);
    ar->n = off;
    unsigned enc = s->d->enc;
    for (size_t i = 0; i < n;) {
        uint32_t c = tmp[i];
        if (enc == RH_REG_ENC_UTF8 && c >= 0x80) {
            size_t m = (c & 0xE0) == 0xC0   ? 2
                       : (c & 0xF0) == 0xE0 ? 3
                       : (c & 0xF8) == 0xF0 ? 4
                                            : 0;
            uint32_t v = c & (m == 2 ? 0x1Fu : m == 3 ? 0x0Fu : 0x07u);
            if (m == 0 || n - i < m) {
                free(tmp);
                return fail(s, at, "hex string data is not valid UTF-8");
            }
            for (size_t j = 1; j < m; j++) {
                if ((tmp[i + j] & 0xC0) != 0x80) {
                    free(tmp);
                    return fail(s, at, "hex string data is not valid UTF-8");
                }
                v = v << 6 | (tmp[i + j] & 0x3Fu);
            }
            if (v >= 0x10000 && v <= 0x10FFFF) {
                v -= 0x10000;
                ar_u16(ar, (uint16_t)(0xD800 + (v >> 10)));
                ar_u16(ar, (uint16_t)(0xDC00 + (v & 0x3FF)));
            } else {
                ar_u16(ar, (uint16_t)v);
            }
            i += m;
            continue;
        }
        if (enc == RH_REG_ENC_CP1252 && c >= 0x80 && c < 0xA0)
            c = cp1252_hi[c - 0x80];
        ar_u16(ar, (uint16_t)c);
        i++;
    }
    free(tmp);
    return ar->oom ? (s->rc = RH_ENOMEM) : 0;
}

/* hex data from i on the current line (continuation lines follow). */
static int
hex_data(ps *s, size_t i)
{
    arena *ar = &s->d->ar;
    for (;;) {
        /* At data start or just after a ',': a byte, the end, a ';'
         * comment or a '\' continuation. */
        i = skip_blanks(s, i);
        if (i == s->le || s->u[i] == ';')
            return 0;
        if (s->u[i] == '\\') {
            if (!end_ok(s, i + 1))
                return fail(s, skip_blanks(s, i + 1),
                            "expected end of line after '\\'");
            for (;;) {
                if (!next_line(s))
                    return s->rc; /* end of file ends the data [T Wine17] */
                i = skip_blanks(s, s->ls);
                if (i < s->le && s->u[i] != ';')
                    break;
            }
            if (!is_hex(s->u[i]))
                return fail(s, i,
                            "expected a hex byte on the "
                            "continuation line");
            continue;
        }
        /* Fast path: "hh," - two digits and a comma, the common form;
         * room for every byte the line can still hold is made once. */
        const uint16_t *u = s->u;
        size_t room = (s->le - i) / 3 + 1;
        if (ar->cap - ar->n < room && ar_grow(ar, room) < 0)
            return s->rc = RH_ENOMEM;
        uint8_t *q = ar->p + ar->n;
        while (i + 2 < s->le && u[i + 2] == ',') {
            unsigned h1 = u[i] < 128 ? hex1[u[i]] : 0;
            unsigned h2 = u[i + 1] < 128 ? hex1[u[i + 1]] : 0;
            if (!h1 || !h2)
                break;
            *q++ = (uint8_t)((h1 - 1) << 4 | (h2 - 1));
            i += 3;
            while (i < s->le && blank(u[i]))
                i++;
        }
        ar->n = (size_t)(q - ar->p);
        if (i == s->le || u[i] == ';' || u[i] == '\\')
            continue; /* the end, a comment or a continuation (above) */
        if (!is_hex(s->u[i]))
            return fail(s, i, "expected a hex byte (00-ff)");
        unsigned v = 0;
        size_t start = i;
        for (; i < s->le && is_hex(s->u[i]); i++) {
            v = v << 4 | hexval(s->u[i]);
            if (v > 0xFF)
                return fail(s, start, "hex byte out of range (00-ff)");
        }
        ar_putc(ar, (uint8_t)v);
        if (ar->oom)
            return s->rc = RH_ENOMEM;
        if (i < s->le && s->u[i] == ',') {
            i++;
            continue;
        }
        if (!end_ok(s, i))
            return fail(s, skip_blanks(s, i), "expected ',' after a hex byte");
        return 0;
    }
}

/* The value part after '=' (from i), for the value op o. */
static int
value_data(ps *s, size_t i, size_t line)
{
    arena *ar = &s->d->ar;
    op *o;
    /* Trailing blanks are trimmed [W data_start_state]. */
    size_t le = s->le;
    while (le > i && blank(s->u[le - 1]))
        le--;
    s->le = le;
    if (i < le && s->u[i] == '-') {
        if (!end_ok(s, i + 1))
            return fail(s, skip_blanks(s, i + 1),
                        "expected end of line after '-' (value deletion)");
        s->d->ops[s->d->nops - 1].kind = RH_REG_OP_DELETE_VALUE;
        return 0;
    }
    o = &s->d->ops[s->d->nops - 1];
    o->data = ar->n;
    if (i < le && s->u[i] == '"') {
        size_t end;
        if (quoted(s, i + 1, 1, &end) < 0)
            return s->rc;
        if (!end_ok(s, end))
            return fail(s, skip_blanks(s, end),
                        "expected end of line after the string");
        ar_u16(ar, 0);
        o->type = RH_REG_SZ;
    } else if (match(s, i, "dword:")) {
        i = skip_blanks(s, i + 6);
        size_t start = i;
        uint32_t v = 0;
        for (; i < le && is_hex(s->u[i]); i++) {
            if (i - start == 8)
                return fail(s, start, "dword: takes at most 8 hex digits");
            v = v << 4 | hexval(s->u[i]);
        }
        if (i == start)
            return fail(s, i, "expected hex digits after 'dword:'");
        if (!end_ok(s, i))
            return fail(s, skip_blanks(s, i),
                        "expected end of line after the dword");
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                        (uint8_t)(v >> 24)};
        ar_put(ar, b, 4);
        o->type = RH_REG_DWORD;
    } else if (match(s, i, "hex:") || match(s, i, "hex(")) {
        uint32_t type = RH_REG_BINARY;
        if (s->u[i + 3] == '(') {
            size_t start = i + 4;
            i = start;
            type = 0;
            for (; i < le && is_hex(s->u[i]); i++) {
                if (i - start == 8)
                    return fail(s, start,
                                "hex(N): N takes at most 8 hex "
                                "digits");
                type = type << 4 | hexval(s->u[i]);
            }
            if (i == start || !match(s, i, "):"))
                return fail(s, i,
                            i == start ? "expected a hex type number in "
                                         "hex(N):"
                                       : "expected '):' after hex(N");
            i += 2;
        } else {
            i += 4;
        }
        size_t off = ar->n, at = i;
        if (hex_data(s, i) < 0)
            return s->rc;
        o = &s->d->ops[s->d->nops - 1];
        o->type = type;
        int str = type == RH_REG_SZ || type == RH_REG_EXPAND_SZ ||
                  type == RH_REG_MULTI_SZ;
        if (str && s->d->version == 4 && s->d->enc != RH_REG_ENC_UTF16LE) {
            if (ansi_to_utf16(s, off, at) < 0)
                return s->rc;
        } else if (str && !(s->flags & RH_REG_HEX_VERBATIM)) {
            size_t n = ar->n - off;
            if (n >= 2 && n % 2 == 0 &&
                (ar->p[ar->n - 1] | ar->p[ar->n - 2]) != 0)
                ar_u16(ar, 0);
        }
    } else {
        return fail(s, i,
                    i == le ? "expected value data after '='"
                            : "expected '\"', 'dword:', 'hex:', "
                              "'hex(N):' or '-' after '='");
    }
    (void)line;
    o = &s->d->ops[s->d->nops - 1];
    o->len = ar->n - o->data;
    return ar->oom ? (s->rc = RH_ENOMEM) : 0;
}

/* A value line: name at i ('"' or '@'). */
static int
value_line(ps *s, size_t i)
{
    arena *ar = &s->d->ar;
    size_t line = s->line, name = 0, namelen = 0;
    if (!s->have_key)
        return fail(s, i,
                    s->d->nops ? "value after a key deletion: "
                                 "expected '[KEY]' first"
                               : "value outside a key: expected "
                                 "'[KEY]' first");
    if (s->u[i] == '@') {
        i++;
        name = ar->n;
    } else {
        name = ar->n;
        size_t end;
        if (quoted(s, i + 1, 0, &end) < 0)
            return s->rc;
        namelen = ar->n - name;
        i = end;
    }
    ar_putc(ar, 0);
    i = skip_blanks(s, i);
    if (i >= s->le || s->u[i] != '=')
        return fail(s, i, "expected '=' after the value name");
    i = skip_blanks(s, i + 1);
    op *o;
    if (push_op(s, RH_REG_OP_SET_VALUE, line, &o) < 0)
        return s->rc;
    o->key = s->key;
    o->keylen = s->keylen;
    o->name = name;
    o->namelen = namelen;
    return value_data(s, i, line);
}

static int
key_line(ps *s, size_t i)
{
    arena *ar = &s->d->ar;
    size_t line = s->line, a = i + 1, b = s->le;
    if (a < s->le && blank(s->u[a]))
        return fail(s, a, "key name must not start with a blank");
    while (b > a && s->u[b - 1] != ']')
        b--;
    if (b == a)
        return fail(s, s->le, "expected ']' to end the key name");
    if (!end_ok(s, b))
        return fail(s, skip_blanks(s, b), "expected end of line after ']'");
    b--; /* the ']' */
    int del = a < b && s->u[a] == '-';
    if (del) {
        a++;
        if (a < b && blank(s->u[a]))
            return fail(s, a, "key name must not start with a blank");
    }
    if (a == b)
        return fail(s, a, "empty key name");
    op *o;
    if (push_op(s, del ? RH_REG_OP_DELETE_KEY : RH_REG_OP_CREATE_KEY, line,
                &o) < 0)
        return s->rc;
    size_t key = ar->n;
    put_text(s, a, b);
    o = &s->d->ops[s->d->nops - 1];
    o->key = key;
    o->keylen = ar->n - key;
    ar_putc(ar, 0);
    s->have_key = !del;
    s->key = key;
    s->keylen = o->keylen;
    return ar->oom ? (s->rc = RH_ENOMEM) : 0;
}

/* Is line [i, le) the comment `reghive export` writes on line 2
 * (RH_REG_EXPORT_MARKER; trailing blanks allowed)? */
static int
is_marker(const ps *s, size_t i)
{
    static const char m[] = RH_REG_EXPORT_MARKER;
    return match(s, i, m) && end_ok(s, i + sizeof m - 1) &&
           skip_blanks(s, i + sizeof m - 1) == s->le;
}

static int
header(ps *s)
{
    if (!next_line(s))
        return fail(s, 0,
                    "empty file: expected 'Windows Registry Editor "
                    "Version 5.00' or 'REGEDIT4'");
    size_t i = skip_blanks(s, s->ls);
    static const char v5[] = "Windows Registry Editor Version 5.00";
    if (match(s, i, v5) && i + sizeof v5 - 1 == s->le) {
        s->d->version = 5;
        return 0;
    }
    if (match(s, i, "REGEDIT4") && i + 8 == s->le) {
        s->d->version = 4;
        return 0;
    }
    if (match(s, i, "REGEDIT") && i + 7 == s->le)
        return fail(s, i, "Windows 3.1 'REGEDIT' files are not supported");
    return fail(s, i,
                "unknown header: expected 'Windows Registry Editor "
                "Version 5.00' or 'REGEDIT4'");
}

int
rh_reg_parse(const void *buf, size_t len, unsigned flags, rh_reg_doc **out,
             char *err, size_t errlen)
{
    ps s;
    int rc;
    memset(&s, 0, sizeof s);
    *out = NULL;
    if (err && errlen)
        err[0] = 0;
    if (!buf && len)
        return RH_EINVAL;
    rh_reg_doc *d = calloc(1, sizeof *d);
    if (!d)
        return RH_ENOMEM;
    size_t skip = 0;
    if (!buf)
        buf = "";
    rc = regparse_encoding(buf, len, flags & RH_REG_ENC_MASK, &skip, &d->enc,
                           err, errlen);
    if (rc < 0) {
        free(d);
        return rc;
    }
    s.b = (const uint8_t *)buf + skip;
    s.blen = len - skip;
    s.nlf = s.ncr = SIZE_MAX;
    s.enc = d->enc;
    s.d = d;
    s.flags = flags;
    s.err = err;
    s.errlen = errlen;
    /* Roughly: data is at most a third of the hex text; one reservation
     * avoids most regrowth (untouched pages cost nothing). */
    ar_grow(&d->ar, s.blen / 2 + 64);
    if (header(&s) < 0)
        goto out;
    while (next_line(&s)) {
        size_t i = skip_blanks(&s, s.ls);
        if (s.line == 2 && is_marker(&s, i)) {
            s.flags |= RH_REG_HEX_VERBATIM;
            d->hex_verbatim = 1;
            continue;
        }
        if (i == s.le || s.u[i] == ';' || s.u[i] == '#')
            continue;
        if (s.u[i] == '[')
            rc = key_line(&s, i);
        else if (s.u[i] == '"' || s.u[i] == '@')
            rc = value_line(&s, i);
        else
            rc = fail(&s, i,
                      "expected '[KEY]', a value (\"name\"= or @=), "
                      "a ';' comment or a blank line");
        if (rc < 0 || s.rc < 0)
            goto out;
    }
    if (d->ar.oom)
        s.rc = RH_ENOMEM;
out:
    free(s.u);
    if (s.rc < 0) {
        if (s.rc == RH_ENOMEM && err && errlen)
            snprintf(err, errlen, "out of memory");
        rh_reg_doc_free(d);
        return s.rc;
    }
    *out = d;
    return 0;
}

size_t
rh_reg_doc_count(const rh_reg_doc *doc)
{
    return doc ? doc->nops : 0;
}

int
rh_reg_doc_op(const rh_reg_doc *doc, size_t i, rh_reg_op *out)
{
    if (!doc || i >= doc->nops)
        return RH_ERANGE;
    const op *o = &doc->ops[i];
    const uint8_t *base = doc->ar.p;
    memset(out, 0, sizeof *out);
    out->kind = o->kind;
    out->key = (const char *)base + o->key;
    out->keylen = o->keylen;
    out->line = o->line;
    if (o->kind == RH_REG_OP_SET_VALUE || o->kind == RH_REG_OP_DELETE_VALUE) {
        out->name = (const char *)base + o->name;
        out->namelen = o->namelen;
    }
    if (o->kind == RH_REG_OP_SET_VALUE) {
        out->type = o->type;
        out->data = base + o->data;
        out->len = o->len;
    }
    return 0;
}

int
rh_reg_doc_version(const rh_reg_doc *doc)
{
    return doc ? doc->version : 0;
}

unsigned
rh_reg_doc_encoding(const rh_reg_doc *doc)
{
    return doc ? doc->enc : 0;
}

int
rh_reg_doc_hex_verbatim(const rh_reg_doc *doc)
{
    return doc ? doc->hex_verbatim : 0;
}

void
rh_reg_doc_free(rh_reg_doc *doc)
{
    if (!doc)
        return;
    free(doc->ar.p);
    free(doc->ops);
    free(doc);
}

/* ---- key path mapping ------------------------------------------------- */

static const char *const root_names[][2] = {{"HKLM", "HKEY_LOCAL_MACHINE"},
                                            {"HKU", "HKEY_USERS"},
                                            {"HKCU", "HKEY_CURRENT_USER"},
                                            {"HKCR", "HKEY_CLASSES_ROOT"},
                                            {"HKCC", "HKEY_CURRENT_CONFIG"}};

static int
ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'a' && x <= 'z')
            x = (unsigned char)(x - 32);
        if (y >= 'a' && y <= 'z')
            y = (unsigned char)(y - 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* Index of the root named by s[0..n) in root_names, or -1. */
static int
root_index(const char *s, size_t n)
{
    for (int i = 0; i < 5; i++)
        if (ieq(s, n, root_names[i][0], strlen(root_names[i][0])) ||
            ieq(s, n, root_names[i][1], strlen(root_names[i][1])))
            return i;
    return -1;
}

size_t
rh_reg_auto_prefix(const char *path, size_t len)
{
    const char *e = memchr(path, '\\', len);
    size_t n = e ? (size_t)(e - path) : len;
    int r = root_index(path, n);
    if (r < 0)
        return 0;
    if (r >= 2)
        return n;
    if (!e)
        return 0; /* HKLM or HKU alone is not a hive */
    const char *p = e + 1, *end = path + len;
    const char *f = memchr(p, '\\', (size_t)(end - p));
    size_t m = f ? (size_t)(f - p) : (size_t)(end - p);
    return m ? (size_t)(p + m - path) : 0;
}

int
rh_reg_map_key(const char *path, size_t len, const char *prefix,
               const char **rest, size_t *restlen)
{
    const char *p = path, *end = path + len;
    while (end > p && end[-1] == '\\')
        end--; /* trailing '\' are ignored [T Subkey1e] */
    if (len && path[0] == '\\') {
        p = path + 1;
        if (end < p)
            end = p;
    } else {
        if (!prefix)
            return RH_ENOTFOUND;
        const char *q = prefix, *qe = prefix + strlen(prefix);
        while (qe > q && qe[-1] == '\\')
            qe--;
        int first = 1;
        while (q < qe) {
            const char *qs = memchr(q, '\\', (size_t)(qe - q));
            size_t qn = qs ? (size_t)(qs - q) : (size_t)(qe - q);
            if (p >= end)
                return RH_ENOTFOUND;
            const char *ps_ = memchr(p, '\\', (size_t)(end - p));
            size_t pn = ps_ ? (size_t)(ps_ - p) : (size_t)(end - p);
            int same = ieq(p, pn, q, qn);
            if (!same && first) {
                int a = root_index(p, pn), b = root_index(q, qn);
                same = a >= 0 && a == b;
            }
            if (!same)
                return RH_ENOTFOUND;
            first = 0;
            p += pn;
            q += qn;
            if (q < qe)
                q++;
            if (p < end) {
                if (q >= qe)
                    p++; /* the '\' before the hive-relative part */
                else
                    p++;
            }
        }
    }
    if (p > end)
        p = end;
    /* Empty components in the middle are not key names. */
    for (const char *c = p; c < end; c++)
        if (*c == '\\' && (c == p || c[-1] == '\\'))
            return RH_EINVAL;
    *rest = p;
    *restlen = (size_t)(end - p);
    return 0;
}
