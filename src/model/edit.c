/*
 * edit.c - editing the registry model (model layer, over alloc.c): new
 * hives, creating and deleting keys, setting and deleting values.  Every
 * edit keeps what Windows relies on: subkey lists sorted by uppercase name
 * with lh hashes / lf hints (split into an ri of leaves of at most 507),
 * counts and largest-name/data fields, security refcounts, timestamps.
 */
#include "edit.h"

#include <stdlib.h>
#include <string.h>

#define KEY_NAME_MAX 255
#define VALUE_NAME_MAX 16383

int
touch(rh_hive *h, uint32_t key)
{
    return cell_put_u64(h, key, NK_TIME, filetime_now());
}

/* UTF-8 name to UTF-16 units u (and upcased q); checks the length. */
long
name_in(rh_hive *h, const char *s, size_t len, uint16_t *u, uint16_t *q,
        size_t max, const char *what)
{
    long n = utf8_to_utf16(s, len, u, max);
    if (n < 0)
        return hive_err(h, RH_EINVAL,
                        "%s name is not valid UTF-8 or longer than %zu "
                        "characters",
                        what, max);
    for (long i = 0; i < n; i++)
        q[i] = upcase(u[i]);
    return n;
}

/* A value name in UTF-16 (*u) and upcased (*q): in small[2 * SMALL_NAME]
 * when it fits, else in a buffer malloc'd at *u (free it when *u !=
 * small).  Returns the unit count or an error (then nothing to free). */
#define SMALL_NAME 128
static long
value_name_in(rh_hive *h, const char *s, size_t len, uint16_t *small,
              uint16_t **u, uint16_t **q)
{
    /* A UTF-16 unit takes at least one UTF-8 byte. */
    size_t cap = len < VALUE_NAME_MAX ? len : VALUE_NAME_MAX;
    long n;
    *u = small;
    *q = small + SMALL_NAME;
    if (cap > SMALL_NAME) {
        if (!(*u = malloc(2 * cap * sizeof **u)))
            return hive_err(h, RH_ENOMEM, "out of memory");
        *q = *u + cap;
    }
    n = utf8_to_utf16(s, len, *u, cap);
    if (n < 0) {
        if (*u != small)
            free(*u);
        return hive_err(h, RH_EINVAL,
                        "value name is not valid UTF-8 or longer than %d "
                        "characters",
                        VALUE_NAME_MAX);
    }
    for (long i = 0; i < n; i++)
        (*q)[i] = upcase((*u)[i]);
    return n;
}

/* Store n units compressed (Latin-1) or as UTF-16LE; returns bytes. */
static size_t
name_bytes(const uint16_t *u, size_t n, int comp)
{
    (void)u;
    return comp ? n : 2 * n;
}

void
name_store(uint8_t *dst, const uint16_t *u, size_t n, int comp)
{
    for (size_t i = 0; i < n; i++) {
        if (comp)
            dst[i] = (uint8_t)u[i];
        else
            wr_u16(dst + 2 * i, u[i]);
    }
}

static uint32_t
max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* Make the cell at *off (0: none yet) hold size bytes.  A cell that fits
 * and is not wasteful is kept; one that is too small grows by half again
 * (up to maxcap): lists grow an entry at a time, and exact-size cells
 * would leave a trail of just-too-small holes behind them. */
static int
fit_cell(rh_hive *h, uint32_t *off, uint32_t size, uint32_t maxcap)
{
    size_t cap;
    int rc;
    if (!*off)
        return cell_alloc(h, size, off);
    if ((rc = cell_cap(h, *off, &cap)) < 0)
        return rc;
    if (cap >= size && cap <= 2 * (size_t)size + 64)
        return 0;
    uint32_t want = size;
    if (cap < size) {
        want = size + size / 2;
        if (want > maxcap)
            want = maxcap > size ? maxcap : size;
    }
    return cell_realloc(h, off, want);
}

/* ---- security cells --------------------------------------------------- */

int
sk_ref(rh_hive *h, uint32_t sk, int delta)
{
    span c;
    int rc;
    if ((rc = cell_get_sig(h, sk, "sk", &c)) < 0)
        return rc;
    uint32_t refs = rd_u32(c, SK_REFS);
    if (delta > 0 || refs > 1)
        return cell_put_u32(h, sk, SK_REFS, delta > 0 ? refs + 1 : refs - 1);
    /* Last reference: unlink from the circular list, then free. */
    uint32_t f = rd_u32(c, SK_FLINK), b = rd_u32(c, SK_BLINK);
    if (f != sk) {
        span fc, bc;
        if ((rc = cell_get_sig(h, f, "sk", &fc)) < 0 ||
            (rc = cell_get_sig(h, b, "sk", &bc)) < 0 ||
            (rc = cell_put_u32(h, b, SK_FLINK, f)) < 0 ||
            (rc = cell_put_u32(h, f, SK_BLINK, b)) < 0)
            return rc;
    }
    return cell_free(h, sk);
}

/* ---- subkey lists ----------------------------------------------------- */

static size_t
elem_size(const uint8_t *sig)
{
    return sig[0] == 'l' && sig[1] == 'i' ? 4 : 8;
}

/* List element for key off of kind sig: offset plus lh hash / lf hint. */
int
elem_make(rh_hive *h, const char sig[2], uint32_t off, uint8_t e[8])
{
    nk k;
    int rc = nk_get(h, off, &k);
    if (rc < 0)
        return rc;
    wr_u32(e, off);
    if (sig[1] == 'h') {
        wr_u32(e + 4, name_hash(k.name, k.comp));
    } else if (sig[1] == 'f') {
        wr_u32(e + 4, name_hint(k.name, k.comp));
    }
    return 0;
}

/* (Re)write a leaf of kind sig holding cnt elements of es bytes.  *off 0
 * allocates a new cell.  e must not point into the hive. */
static int
leaf_write(rh_hive *h, uint32_t *off, const char sig[2], const uint8_t *e,
           size_t cnt, size_t es)
{
    uint32_t size = (uint32_t)(LIST_ELEMS + cnt * es);
    uint8_t *p;
    int rc = fit_cell(h, off, size, (uint32_t)(LIST_ELEMS + LEAF_MAX * es));
    if (rc < 0 || (rc = cell_mut(h, *off, 0, size, &p)) < 0)
        return rc;
    p[0] = (uint8_t)sig[0];
    p[1] = (uint8_t)sig[1];
    wr_u16(p + LIST_COUNT, (uint16_t)cnt);
    memcpy(p + LIST_ELEMS, e, cnt * es);
    return 0;
}

/* Compare q with the last of the cnt keys of leaf c: 1 when q sorts
 * after it (or the leaf is empty), 2 when it is q, 0 when q sorts
 * before, or an error. */
static int
last_cmp(rh_hive *h, span c, size_t es, size_t cnt, const uint16_t *q,
         size_t qn)
{
    nk k;
    int rc;
    if (cnt == 0)
        return 1;
    if ((rc = nk_get(h, rd_u32(c, LIST_ELEMS + (cnt - 1) * es), &k)) < 0)
        return rc;
    rc = name_cmp(k.name, k.comp, q, qn);
    return rc < 0 ? 1 : rc == 0 ? 2 : 0;
}

/* Index at which the key named q belongs in the leaf (binary search). */
static int
leaf_pos(rh_hive *h, span c, size_t es, const uint16_t *q, size_t qn,
         size_t *pos)
{
    size_t lo = 0, hi = rd_u16(c, LIST_COUNT);
    int rc = last_cmp(h, c, es, hi, q, qn);
    if (rc < 0)
        return rc;
    if (rc == 1) { /* after the last: keys often come in order */
        *pos = hi;
        return 0;
    }
    if (rc == 2)
        return hive_err(h, RH_EINVAL, "key already in the list");
    if (hi)
        hi--; /* before the last */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        nk k;
        if ((rc = nk_get(h, rd_u32(c, LIST_ELEMS + mid * es), &k)) < 0)
            return rc;
        int cmp = name_cmp(k.name, k.comp, q, qn);
        if (cmp == 0)
            return hive_err(h, RH_EINVAL, "key already in the list");
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

/* Insert element e (for name q) into leaf *leaf.  On return leaves[0..*nl)
 * are the leaves replacing it (more than one when it had to split);
 * *leaves is malloc'd. */
static int
leaf_insert(rh_hive *h, uint32_t leaf, const uint8_t e[8], const uint16_t *q,
            size_t qn, uint32_t **leaves, size_t *nl)
{
    span c;
    size_t pos = 0, es, cnt;
    char sig[2];
    int rc;
    if ((rc = cell_get(h, leaf, &c)) < 0)
        return rc;
    sig[0] = (char)c.p[0];
    sig[1] = (char)c.p[1];
    es = elem_size(c.p);
    cnt = rd_u16(c, LIST_COUNT);
    if (!span_has(c, LIST_ELEMS, cnt * es))
        return CORRUPT(h, leaf, "subkey list count %zu exceeds its cell", cnt);
    if ((rc = leaf_pos(h, c, es, q, qn, &pos)) < 0)
        return rc;
    size_t tot = cnt + 1, k = tot <= LEAF_MAX ? 1 : tot / LEAF_MAX + 1;
    uint8_t *buf = malloc(tot * es);
    uint32_t *out = calloc(k, sizeof *out);
    if (!buf || !out) {
        free(buf);
        free(out);
        return hive_err(h, RH_ENOMEM, "out of memory");
    }
    memcpy(buf, c.p + LIST_ELEMS, pos * es);
    memcpy(buf + pos * es, e, es);
    memcpy(buf + (pos + 1) * es, c.p + LIST_ELEMS + pos * es, (cnt - pos) * es);
    /* The new leaves first, the old one last: out of memory part way
     * then leaves the old leaf whole and the new cells given back. */
    size_t n0 = tot / k + (0 < tot % k);
    for (size_t i = 1, at = n0; i < k && rc == 0; i++) {
        size_t n = tot / k + (i < tot % k);
        rc = leaf_write(h, &out[i], sig, buf + at * es, n, es);
        at += n;
    }
    if (rc == 0) {
        out[0] = leaf;
        rc = leaf_write(h, &out[0], sig, buf, n0, es);
    }
    free(buf);
    if (rc < 0) {
        for (size_t i = 1; i < k; i++)
            if (out[i])
                cell_free(h, out[i]);
        free(out);
        return rc;
    }
    *leaves = out;
    *nl = k;
    return 0;
}

static int
set_subs(rh_hive *h, uint32_t parent, uint32_t list)
{
    return cell_put_u32(h, parent, NK_SUBKEYS, list);
}

/* Write an ri holding the given leaves into *ri (0: new cell). */
static int
ri_write(rh_hive *h, uint32_t *ri, const uint32_t *leaves, size_t n)
{
    uint8_t *e = malloc(n * 4 + 1);
    if (!e)
        return hive_err(h, RH_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        wr_u32(e + 4 * i, leaves[i]);
    int rc = leaf_write(h, ri, "ri", e, n, 4);
    free(e);
    return rc;
}

const char *
default_kind(rh_hive *h)
{
    return h->minor >= 5 ? "lh" : "lf";
}

/* Binary search of an ri's leaves: *at = the first leaf whose last key
 * sorts at or after q (m when none does). */
static int
ri_pick(rh_hive *h, uint32_t ri, span top, const uint16_t *q, size_t qn,
        size_t *at)
{
    size_t lo = 0, hi = rd_u16(top, LIST_COUNT);
    if (!span_has(top, LIST_ELEMS, hi * 4))
        return CORRUPT(h, ri, "bad index root count %zu", hi);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t leaf = rd_u32(top, LIST_ELEMS + mid * 4);
        span lc;
        nk k;
        int rc = cell_get(h, leaf, &lc);
        if (rc < 0)
            return rc;
        size_t cnt = rd_u16(lc, LIST_COUNT), es = elem_size(lc.p);
        if (cnt == 0 || !span_has(lc, LIST_ELEMS, cnt * es))
            return CORRUPT(h, leaf, "empty or overlong leaf under an ri");
        if ((rc = nk_get(h, rd_u32(lc, LIST_ELEMS + (cnt - 1) * es), &k)) < 0)
            return rc;
        if (name_cmp(k.name, k.comp, q, qn) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return 0;
}

/* The subkey named q of a key whose list is at list, by binary search as
 * Windows looks keys up (lists are sorted); RH_ENOTFOUND if absent. */
int
list_find(rh_hive *h, uint32_t list, const uint16_t *q, size_t qn,
          uint32_t *out)
{
    span c;
    size_t at;
    int rc;
    if ((rc = cell_get(h, list, &c)) < 0)
        return rc;
    if (rd_sig(c, 0, "ri")) {
        if ((rc = ri_pick(h, list, c, q, qn, &at)) < 0)
            return rc;
        if (at == rd_u16(c, LIST_COUNT))
            return RH_ENOTFOUND;
        list = rd_u32(c, LIST_ELEMS + at * 4);
        if ((rc = cell_get(h, list, &c)) < 0)
            return rc;
    } else if (!rd_sig(c, 0, "lf") && !rd_sig(c, 0, "lh") &&
               !rd_sig(c, 0, "li")) {
        return CORRUPT(h, list, "not a subkey list (li, lf, lh or ri)");
    }
    size_t es = elem_size(c.p), cnt = rd_u16(c, LIST_COUNT);
    if (!span_has(c, LIST_ELEMS, cnt * es))
        return CORRUPT(h, list, "subkey list count %zu exceeds its cell", cnt);
    /* The last key first: a new key usually sorts after it. */
    if ((rc = last_cmp(h, c, es, cnt, q, qn)) < 0)
        return rc;
    if (rc == 1)
        return RH_ENOTFOUND;
    if (rc == 2) {
        *out = rd_u32(c, LIST_ELEMS + (cnt - 1) * es);
        return 0;
    }
    size_t lo = 0, hi = cnt - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        nk k;
        if ((rc = nk_get(h, rd_u32(c, LIST_ELEMS + mid * es), &k)) < 0)
            return rc;
        int cmp = name_cmp(k.name, k.comp, q, qn);
        if (cmp == 0) {
            *out = k.off;
            return 0;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return RH_ENOTFOUND;
}

/* Add key child (named q) to parent's subkey list; counts and fields. */
int
list_insert(rh_hive *h, uint32_t parent, uint32_t child, const uint16_t *q,
            size_t qn)
{
    nk p;
    span top;
    uint8_t e[8];
    uint32_t *leaves = NULL, list = 0;
    size_t nl = 0;
    int rc;
    if ((rc = nk_get(h, parent, &p)) < 0)
        return rc;
    if (p.nsub == 0 || p.subs == CELL_NIL) {
        if ((rc = elem_make(h, default_kind(h), child, e)) < 0 ||
            (rc = leaf_write(h, &list, default_kind(h), e, 1, 8)) < 0)
            return rc;
    } else {
        if ((rc = cell_get(h, p.subs, &top)) < 0)
            return rc;
        if (!rd_sig(top, 0, "ri")) {
            char sig[2] = {(char)top.p[0], (char)top.p[1]};
            if ((rc = elem_make(h, sig, child, e)) < 0 ||
                (rc = leaf_insert(h, p.subs, e, q, qn, &leaves, &nl)) < 0)
                return rc;
            if (nl == 1)
                list = leaves[0];
            else if ((rc = ri_write(h, &list, leaves, nl)) < 0)
                goto out;
        } else {
            size_t m = rd_u16(top, LIST_COUNT), at;
            uint32_t ri = p.subs;
            if (m == 0)
                return CORRUPT(h, ri, "empty index root");
            /* The first leaf whose last key sorts after q takes it. */
            if ((rc = ri_pick(h, ri, top, q, qn, &at)) < 0)
                return rc;
            if (at == m)
                at = m - 1;
            uint32_t leaf = rd_u32(top, LIST_ELEMS + at * 4);
            span lc;
            if ((rc = cell_get(h, leaf, &lc)) < 0)
                return rc;
            char sig[2] = {(char)lc.p[0], (char)lc.p[1]};
            if ((rc = elem_make(h, sig, child, e)) < 0 ||
                (rc = leaf_insert(h, leaf, e, q, qn, &leaves, &nl)) < 0)
                return rc;
            uint32_t *all = malloc((m + nl) * sizeof *all);
            if (!all) {
                rc = hive_err(h, RH_ENOMEM, "out of memory");
                goto out;
            }
            if ((rc = cell_get(h, ri, &top)) < 0) {
                free(all);
                goto out;
            }
            for (size_t i = 0; i < at; i++)
                all[i] = rd_u32(top, LIST_ELEMS + i * 4);
            memcpy(all + at, leaves, nl * sizeof *all);
            for (size_t i = at + 1; i < m; i++)
                all[i + nl - 1] = rd_u32(top, LIST_ELEMS + i * 4);
            rc = ri_write(h, &ri, all, m + nl - 1);
            free(all);
            if (rc < 0)
                goto out;
            list = ri;
        }
    }
    uint8_t *pp;
    if ((rc = set_subs(h, parent, list)) < 0 ||
        (rc = cell_mut(h, parent, 0, NK_NAME, &pp)) < 0)
        goto out;
    span pc = {pp, NK_NAME};
    wr_u32(pp + NK_NSUBKEYS, rd_u32(pc, NK_NSUBKEYS) + 1);
    uint32_t mx = rd_u32(pc, NK_MAXNAME);
    if ((mx & 0xFFFF) < qn * 2)
        wr_u32(pp + NK_MAXNAME, (mx & 0xFFFF0000u) | (uint32_t)(qn * 2));
    rc = touch(h, parent);
out:
    free(leaves);
    return rc;
}

/* Remove element i from the leaf at off (count cnt, element size es). */
static int
leaf_remove(rh_hive *h, uint32_t off, size_t i, size_t cnt, size_t es)
{
    uint8_t *p;
    int rc = cell_mut(h, off, 0, LIST_ELEMS + cnt * es, &p);
    if (rc < 0)
        return rc;
    memmove(p + LIST_ELEMS + i * es, p + LIST_ELEMS + (i + 1) * es,
            (cnt - i - 1) * es);
    wr_u16(p + LIST_COUNT, (uint16_t)(cnt - 1));
    /* Shrinking keeps the cell where it is. */
    return fit_cell(h, &off, (uint32_t)(LIST_ELEMS + (cnt - 1) * es), 0);
}

/* Find child in the leaf: index or -1. */
static long
leaf_find(span c, uint32_t child, size_t *cnt, size_t *es)
{
    *es = elem_size(c.p);
    *cnt = rd_u16(c, LIST_COUNT);
    if (!span_has(c, LIST_ELEMS, *cnt * *es))
        return -1;
    for (size_t i = 0; i < *cnt; i++)
        if (rd_u32(c, LIST_ELEMS + i * *es) == child)
            return (long)i;
    return -1;
}

/* Take key child out of parent's subkey list; counts and fields. */
static int
list_remove(rh_hive *h, uint32_t parent, uint32_t child)
{
    nk p;
    span top, c;
    size_t cnt, es;
    long i;
    int rc;
    if ((rc = nk_get(h, parent, &p)) < 0 ||
        (rc = cell_get(h, p.subs, &top)) < 0)
        return rc;
    if (!rd_sig(top, 0, "ri")) {
        if ((i = leaf_find(top, child, &cnt, &es)) < 0)
            return CORRUPT(h, p.subs, "key 0x%x missing from its list", child);
        if (cnt == 1) {
            if ((rc = cell_free(h, p.subs)) < 0 ||
                (rc = set_subs(h, parent, CELL_NIL)) < 0)
                return rc;
        } else if ((rc = leaf_remove(h, p.subs, (size_t)i, cnt, es)) < 0) {
            return rc;
        }
    } else {
        size_t m = rd_u16(top, LIST_COUNT), j;
        if (!span_has(top, LIST_ELEMS, m * 4))
            return CORRUPT(h, p.subs, "bad index root count %zu", m);
        for (j = 0, i = -1; j < m && i < 0; j++) {
            uint32_t leaf = rd_u32(top, LIST_ELEMS + j * 4);
            if ((rc = cell_get(h, leaf, &c)) < 0)
                return rc;
            if ((i = leaf_find(c, child, &cnt, &es)) < 0)
                continue;
            if (cnt > 1)
                rc = leaf_remove(h, leaf, (size_t)i, cnt, es);
            else if ((rc = cell_free(h, leaf)) == 0) /* drop the leaf */
                rc = leaf_remove(h, p.subs, j, m, 4);
            if (rc < 0)
                return rc;
        }
        if (i < 0)
            return CORRUPT(h, p.subs, "key 0x%x missing from its list", child);
        if ((rc = cell_get(h, p.subs, &top)) < 0)
            return rc;
        m = rd_u16(top, LIST_COUNT);
        if (m <= 1) { /* an ri of one leaf (or none) collapses */
            uint32_t leaf = m ? rd_u32(top, LIST_ELEMS) : CELL_NIL;
            if ((rc = cell_free(h, p.subs)) < 0 ||
                (rc = set_subs(h, parent, leaf)) < 0)
                return rc;
        }
    }
    uint8_t *pp;
    if ((rc = cell_mut(h, parent, 0, NK_NAME, &pp)) < 0)
        return rc;
    span pc = {pp, NK_NAME};
    uint32_t n = rd_u32(pc, NK_NSUBKEYS) - 1;
    wr_u32(pp + NK_NSUBKEYS, n);
    if (n == 0) { /* as Windows does when the last subkey goes */
        wr_u32(pp + NK_MAXNAME, rd_u32(pc, NK_MAXNAME) & 0xFFFF0000u);
        wr_u32(pp + NK_MAXCLASS, 0);
        wr_u32(pp + NK_SUBKEYS, CELL_NIL);
    }
    return touch(h, parent);
}

/* Free a subkey list: the leaves of an ri, then the list itself. */
static int
list_free(rh_hive *h, uint32_t list)
{
    span c;
    int rc;
    if ((rc = cell_get(h, list, &c)) < 0)
        return rc;
    if (rd_sig(c, 0, "ri")) {
        size_t m = rd_u16(c, LIST_COUNT);
        if (!span_has(c, LIST_ELEMS, m * 4))
            return CORRUPT(h, list, "bad index root count %zu", m);
        for (size_t i = 0; i < m; i++)
            if ((rc = cell_free(h, rd_u32(c, LIST_ELEMS + i * 4))) < 0)
                return rc;
    }
    return cell_free(h, list);
}

/* ---- value data ------------------------------------------------------- */

/* Store len bytes as a value's data: inline (<= 4), one cell, or big data
 * segments (over 16344 bytes on 1.4+ hives).  Cells come from h's
 * allocator: its free space, or in order in append mode (save, compact),
 * where segments are allocated as such (cell_alloc_seg). */
int
data_store(rh_hive *h, const uint8_t *d, uint32_t len, uint32_t *rawlen,
           uint32_t *doff)
{
    uint32_t c, list, db;
    int rc;
    if (len <= 4) {
        uint8_t t[4] = {0, 0, 0, 0};
        if (len)
            memcpy(t, d, len);
        *doff = rd_u32((span){t, 4}, 0);
        *rawlen = len | VK_INLINE;
        return 0;
    }
    *rawlen = len;
    if (len <= DB_SEGMENT || h->minor < 4) {
        if ((rc = cell_alloc(h, len, &c)) < 0 ||
            (rc = cell_put(h, c, 0, d, len)) < 0)
            return rc;
        *doff = c;
        return 0;
    }
    uint32_t nseg = (len + DB_SEGMENT - 1) / DB_SEGMENT;
    if (nseg > 0xFFFF)
        return hive_err(h, RH_ERANGE, "value data of %u bytes is too large",
                        len);
    uint8_t *p;
    if ((rc = cell_alloc(h, 12, &db)) < 0)
        return rc;
    if ((rc = cell_alloc(h, nseg * 4, &list)) < 0 ||
        (rc = cell_mut(h, db, 0, 8, &p)) < 0) {
        if (!alloc_appending(h))
            cell_free(h, db);
        return rc;
    }
    p[0] = 'd';
    p[1] = 'b';
    wr_u16(p + DB_COUNT, (uint16_t)nseg);
    wr_u32(p + DB_LIST, list);
    for (uint32_t i = 0; i < nseg; i++) {
        uint32_t n = len - i * DB_SEGMENT;
        if (n > DB_SEGMENT)
            n = DB_SEGMENT;
        /* Segment cells keep 4 bytes spare, as in Windows' hives: a
         * full segment fills a 16352-byte cell (16 KiB bin less its
         * header), and hivex and libregf read at most cell size - 8
         * bytes from each segment. */
        rc = cell_alloc_seg(h, n + 4, &c);
        if (rc == 0 &&
            ((rc = cell_put(h, c, 0, d + (size_t)i * DB_SEGMENT, n)) < 0 ||
             (rc = cell_put_u32(h, list, 4 * i, c)) < 0) &&
            !alloc_appending(h))
            cell_free(h, c);
        if (rc < 0) {
            /* Out of memory part way: give back what this store took
             * (an image laid out in append mode is dropped whole). */
            if (!alloc_appending(h)) {
                span l;
                if (cell_get(h, list, &l) == 0)
                    for (uint32_t j = 0; j < i; j++)
                        cell_free(h, rd_u32(l, j * 4));
                cell_free(h, list);
                cell_free(h, db);
            }
            return rc;
        }
    }
    *doff = db;
    return 0;
}

/* Free the cells holding a value's data (mirrors vk_data's reading). */
static int
data_free(rh_hive *h, const vk *v)
{
    uint32_t len = vk_len(v);
    span c, list;
    int rc;
    if ((v->rawlen & VK_INLINE) || len == 0)
        return 0;
    if ((rc = cell_get(h, v->data, &c)) < 0)
        return rc;
    if (len > DB_SEGMENT && h->minor >= 4 && rd_sig(c, 0, "db") && c.n < len) {
        uint16_t nseg = rd_u16(c, DB_COUNT);
        uint32_t lo = rd_u32(c, DB_LIST);
        if ((rc = cell_get(h, lo, &list)) < 0)
            return rc;
        if (!span_has(list, 0, (size_t)nseg * 4))
            return CORRUPT(h, lo, "big data segment count %u exceeds its list",
                           nseg);
        for (uint16_t i = 0; i < nseg; i++)
            if ((rc = cell_free(h, rd_u32(list, (size_t)i * 4))) < 0)
                return rc;
        if ((rc = cell_free(h, lo)) < 0)
            return rc;
    }
    return cell_free(h, v->data);
}

/* ---- values ----------------------------------------------------------- */

/* Index of the value named q in key k's list, or -1. */
static int
value_find(rh_hive *h, const nk *k, const uint16_t *q, size_t qn, long *idx,
           uint32_t *voff)
{
    span list;
    int rc = nk_values(h, k, &list);
    if (rc < 0)
        return rc;
    *idx = -1;
    for (size_t i = 0; i < k->nval; i++) {
        vk v;
        if ((rc = vk_get(h, rd_u32(list, i * 4), &v)) < 0)
            return rc;
        if (name_cmp(v.name, v.comp, q, qn) == 0) {
            *idx = (long)i;
            *voff = v.off;
            return 0;
        }
    }
    return 0;
}

int
rh_value_set(rh_hive *h, rh_key key, const char *name, size_t namelen,
             uint32_t type, const void *data, size_t len)
{
    static const uint8_t none[1] = {0};
    uint16_t small[2 * SMALL_NAME], *u = NULL, *q = NULL;
    uint32_t rawlen = 0, doff = 0, voff = 0, newvk = 0;
    long n, idx;
    nk k;
    int rc, stored = 0;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if (len > ALLOC_MAX || len > h->lim_value)
        return hive_err(h, RH_ERANGE,
                        "value data of %zu bytes exceeds the value size "
                        "limit of %u bytes",
                        len, h->lim_value);
    if (!data)
        data = none;
    if ((n = value_name_in(h, name, namelen, small, &u, &q)) < 0)
        return (int)n;
    if ((rc = nk_get(h, key, &k)) < 0 ||
        (rc = value_find(h, &k, q, (size_t)n, &idx, &voff)) < 0)
        goto out;
    if ((rc = data_store(h, data, (uint32_t)len, &rawlen, &doff)) < 0)
        goto out;
    stored = 1;
    if (idx >= 0) { /* replace the data, keep the name and the position */
        vk v;
        if ((rc = vk_get(h, voff, &v)) < 0 || (rc = data_free(h, &v)) < 0)
            goto out;
    } else {
        int comp = name_fits_latin1(u, (size_t)n);
        size_t nb = name_bytes(u, (size_t)n, comp);
        uint32_t vl;
        uint8_t *p;
        if ((rc = cell_alloc(h, (uint32_t)(VK_NAME + nb), &voff)) < 0)
            goto out;
        newvk = voff;
        if ((rc = cell_mut(h, voff, 0, VK_NAME + nb, &p)) < 0)
            goto out;
        p[0] = 'v';
        p[1] = 'k';
        wr_u16(p + VK_NAMELEN, (uint16_t)nb);
        wr_u16(p + VK_FLAGS, comp ? VK_COMP_NAME : 0);
        name_store(p + VK_NAME, u, (size_t)n, comp);
        if ((rc = nk_get(h, key, &k)) < 0)
            goto out;
        vl = k.nval ? k.vals : 0;
        if ((rc = fit_cell(h, &vl, (k.nval + 1) * 4, 0xFFFFFFFFu)) < 0 ||
            (rc = cell_put_u32(h, vl, k.nval * 4, voff)) < 0 ||
            (rc = cell_put_u32(h, key, NK_VALUES, vl)) < 0 ||
            (rc = cell_put_u32(h, key, NK_NVALUES, k.nval + 1)) < 0)
            goto out;
    }
    uint8_t *p, *kp;
    if ((rc = cell_mut(h, voff, 0, VK_NAME, &p)) < 0)
        goto out;
    wr_u32(p + VK_DATALEN, rawlen);
    wr_u32(p + VK_DATA, doff);
    wr_u32(p + VK_TYPE, type);
    if ((rc = cell_mut(h, key, 0, NK_NAME, &kp)) < 0)
        goto out;
    span kc = {kp, NK_NAME};
    wr_u32(kp + NK_MAXVALNAME,
           max_u32(rd_u32(kc, NK_MAXVALNAME), (uint32_t)n * 2));
    wr_u32(kp + NK_MAXVALDATA,
           max_u32(rd_u32(kc, NK_MAXVALDATA), (uint32_t)len));
    rc = touch(h, key);
out:
    if (rc < 0 && stored) {
        /* Not linked (out of memory for the vk or the value list): give
         * back the new cells, so the hive is as before the call. */
        vk nv;
        memset(&nv, 0, sizeof nv);
        nv.rawlen = rawlen;
        nv.data = doff;
        data_free(h, &nv);
        if (newvk)
            cell_free(h, newvk);
    }
    if (u != small)
        free(u);
    return rc;
}

/* Delete value i (at voff) of key. */
static int
value_remove(rh_hive *h, uint32_t key, size_t i, uint32_t voff)
{
    nk k;
    vk v;
    int rc;
    if ((rc = vk_get(h, voff, &v)) < 0 || (rc = data_free(h, &v)) < 0 ||
        (rc = cell_free(h, voff)) < 0 || (rc = nk_get(h, key, &k)) < 0)
        return rc;
    if (k.nval == 1) {
        uint8_t *kp;
        if ((rc = cell_free(h, k.vals)) < 0 ||
            (rc = cell_mut(h, key, 0, NK_NAME, &kp)) < 0)
            return rc;
        wr_u32(kp + NK_VALUES, CELL_NIL);
        wr_u32(kp + NK_MAXVALNAME, 0);
        wr_u32(kp + NK_MAXVALDATA, 0);
    } else {
        uint8_t *l;
        uint32_t vl = k.vals;
        if ((rc = cell_mut(h, vl, 0, k.nval * 4, &l)) < 0)
            return rc;
        memmove(l + i * 4, l + (i + 1) * 4, (k.nval - i - 1) * 4);
        /* Shrinking keeps the cell where it is. */
        if ((rc = fit_cell(h, &vl, (k.nval - 1) * 4, 0)) < 0)
            return rc;
    }
    if ((rc = cell_put_u32(h, key, NK_NVALUES, k.nval - 1)) < 0)
        return rc;
    return touch(h, key);
}

int
rh_value_delete(rh_hive *h, rh_key key, const char *name, size_t namelen)
{
    uint16_t small[2 * SMALL_NAME], *u, *q;
    uint32_t voff = 0;
    long n, idx = -1;
    nk k;
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if ((n = value_name_in(h, name, namelen, small, &u, &q)) < 0)
        return (int)n;
    if ((rc = nk_get(h, key, &k)) == 0 &&
        (rc = value_find(h, &k, q, (size_t)n, &idx, &voff)) == 0) {
        if (idx < 0)
            rc = hive_err(h, RH_ENOTFOUND, "value not found: %.*s",
                          (int)namelen, name);
        else
            rc = value_remove(h, key, (size_t)idx, voff);
    }
    if (u != small)
        free(u);
    return rc;
}

int
rh_value_delete_all(rh_hive *h, rh_key key)
{
    nk k;
    span list;
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    for (;;) {
        if ((rc = nk_get(h, key, &k)) < 0 || (rc = nk_values(h, &k, &list)) < 0)
            return rc;
        if (k.nval == 0)
            return 0;
        uint32_t last = rd_u32(list, (k.nval - 1) * 4);
        if ((rc = value_remove(h, key, k.nval - 1, last)) < 0)
            return rc;
    }
}

/* ---- keys ------------------------------------------------------------- */

int
key_depth(rh_hive *h, uint32_t key, uint32_t *out)
{
    uint32_t d = 0;
    while (key != h->root && d <= RH_MAX_DEPTH) {
        nk k;
        int rc = nk_get(h, key, &k);
        if (rc < 0)
            return rc;
        key = k.parent;
        d++;
    }
    *out = d;
    return 0;
}

/* Windows keeps a registry tree to 512 levels ("A registry tree can be
 * 512 levels deep": Microsoft, "Registry element size limits",
 * learn.microsoft.com/windows/win32/sysinfo/registry-element-size-limits).
 * rh_check counts the root as level 0 and reports a key at level 512
 * that has subkeys, so a key may lie at most RH_MAX_DEPTH levels below
 * the root.  Edits refuse to create one deeper, before writing anything:
 * reghive's own check, delete and export stop there, as Windows does. */
int
depth_room(rh_hive *h, uint32_t key, uint32_t levels)
{
    uint32_t d;
    int rc = key_depth(h, key, &d);
    if (rc < 0)
        return rc;
    if ((uint64_t)d + levels > RH_MAX_DEPTH)
        return hive_err(h, RH_ERANGE,
                        "key would be nested %llu levels below the root; "
                        "Windows allows %d",
                        (unsigned long long)d + levels, RH_MAX_DEPTH);
    return 0;
}

/* A new key node named u under parent, with security sk. */
static int
nk_new(rh_hive *h, uint32_t parent, const uint16_t *u, size_t n, uint16_t flags,
       uint32_t sk, uint32_t *out)
{
    int comp = name_fits_latin1(u, n);
    size_t nb = name_bytes(u, n, comp);
    uint32_t off;
    uint8_t *p;
    int rc = cell_alloc(h, (uint32_t)(NK_NAME + nb), &off);
    if (rc < 0 || (rc = cell_mut(h, off, 0, NK_NAME + nb, &p)) < 0)
        return rc;
    p[0] = 'n';
    p[1] = 'k';
    wr_u16(p + NK_FLAGS, (uint16_t)(flags | (comp ? NK_COMP_NAME : 0)));
    wr_u64(p + NK_TIME, filetime_now());
    wr_u32(p + NK_PARENT, parent);
    wr_u32(p + NK_SUBKEYS, CELL_NIL);
    wr_u32(p + NK_VSUBKEYS, CELL_NIL);
    wr_u32(p + NK_VALUES, CELL_NIL);
    wr_u32(p + NK_SECURITY, sk);
    wr_u32(p + NK_CLASS, CELL_NIL);
    wr_u16(p + NK_NAMELEN, (uint16_t)nb);
    name_store(p + NK_NAME, u, n, comp);
    *out = off;
    return 0;
}

int
rh_key_add(rh_hive *h, rh_key parent, const char *name, size_t namelen,
           rh_key *out, int *created)
{
    uint16_t u[KEY_NAME_MAX + 1], q[KEY_NAME_MAX + 1];
    uint32_t off = 0;
    nk p;
    int rc;
    long n;
    if (created)
        *created = 0;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if ((n = name_in(h, name, namelen, u, q, KEY_NAME_MAX, "key")) < 0)
        return (int)n;
    if (n == 0)
        return hive_err(h, RH_EINVAL, "key name is empty");
    for (long i = 0; i < n; i++)
        if (u[i] == '\\')
            return hive_err(h, RH_EINVAL, "key name contains '\\'");
    if ((rc = nk_get(h, parent, &p)) < 0)
        return rc;
    rc = p.nsub && p.subs != CELL_NIL ? list_find(h, p.subs, q, (size_t)n, &off)
                                      : RH_ENOTFOUND;
    if (rc == 0) {
        *out = off;
        return 0;
    }
    if (rc != RH_ENOTFOUND)
        return rc;
    if ((rc = depth_room(h, parent, 1)) < 0 ||
        (rc = nk_new(h, parent, u, (size_t)n, 0, p.sk, &off)) < 0)
        return rc;
    if ((rc = sk_ref(h, p.sk, 1)) < 0) {
        cell_free(h, off);
        return rc;
    }
    if ((rc = list_insert(h, parent, off, q, (size_t)n)) < 0) {
        /* Not linked (out of memory for the list): as before the call. */
        sk_ref(h, p.sk, -1);
        cell_free(h, off);
        return rc;
    }
    *out = off;
    if (created)
        *created = 1;
    return 0;
}

static int
ieq(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if ((x >= 'a' && x <= 'z' ? x - 32 : x) !=
            (y >= 'a' && y <= 'z' ? y - 32 : y))
            return 0;
    }
    return 1;
}

int
rh_key_create_path(rh_hive *h, const char *path, rh_key *out, int *created)
{
    const char *p = path, *end = path + strlen(path);
    rh_key k = h->root, next;
    int rc, c, top = 1, roomy = 0;
    size_t rl;
    if (created)
        *created = 0;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if (rh_key_lookup(h, path, out) == 0)
        return 0;
    /* A leading HKLM\SYSTEM\-style prefix names the hive (refused when it
     * names another: kind.c), unless the root really has a key of that
     * name. */
    while (p < end && *p == '\\')
        p++;
    size_t n = strcspn(p, "\\");
    if ((rc = rh_path_root(h, p, (size_t)(end - p), &rl)) < 0 &&
        rh_key_subkey(h, k, p, n, &next) != 0)
        return rh_path_root(h, p, (size_t)(end - p), &rl);
    if (rc == 0 && rl && rh_key_subkey(h, k, p, n, &next) != 0)
        p += rl;
    while (p < end) {
        n = strcspn(p, "\\");
        if (n == 0) {
            p++;
            continue;
        }
        if (top && ieq(p, n, "CurrentControlSet") &&
            rh_key_subkey(h, k, p, n, &next) == RH_ENOTFOUND) {
            if ((rc = rh_key_lookup(h, "CurrentControlSet", &next)) < 0)
                return rc;
        } else {
            /* Existing keys are followed; at the first key to create,
             * would the last one lie too deep?  Then none is created. */
            rc = roomy ? RH_ENOTFOUND : rh_key_subkey(h, k, p, n, &next);
            if (rc == RH_ENOTFOUND && !roomy) {
                uint32_t levels = 0;
                for (const char *q = p; q < end;) {
                    size_t m = strcspn(q, "\\");
                    levels += m > 0;
                    q += m + (q + m < end);
                }
                if ((rc = depth_room(h, k, levels)) < 0)
                    return rc;
                roomy = 1;
                rc = RH_ENOTFOUND;
            }
            if (rc == RH_ENOTFOUND) {
                if ((rc = rh_key_add(h, k, p, n, &next, &c)) < 0)
                    return rc;
                if (c && created)
                    *created = 1;
            } else if (rc < 0) {
                return rc;
            }
        }
        k = next;
        top = 0;
        p += n;
    }
    *out = k;
    return 0;
}

/* Free key off and everything it owns (subkeys first). */
int
free_tree(rh_hive *h, uint32_t off, int depth)
{
    nk k;
    span list;
    rh_key *subs = NULL;
    size_t nsubs = 0;
    int rc;
    /* The format maximum, not the caller's limit: a delete refused half
     * way would leave the subtree half freed. */
    if (depth > RH_MAX_DEPTH)
        return CORRUPT(h, off, "key nesting deeper than %d levels",
                       RH_MAX_DEPTH);
    if ((rc = nk_get(h, off, &k)) < 0)
        return rc;
    if (k.nsub && k.subs != CELL_NIL) {
        if ((rc = rh_key_subkeys(h, off, &subs, &nsubs)) < 0)
            return rc;
        for (size_t i = 0; i < nsubs && rc == 0; i++)
            rc = free_tree(h, subs[i], depth + 1);
        free(subs);
        if (rc < 0 || (rc = list_free(h, k.subs)) < 0)
            return rc;
    }
    if ((rc = nk_values(h, &k, &list)) < 0)
        return rc;
    for (size_t i = 0; i < k.nval; i++) {
        vk v;
        if ((rc = vk_get(h, rd_u32(list, i * 4), &v)) < 0 ||
            (rc = data_free(h, &v)) < 0 || (rc = cell_free(h, v.off)) < 0)
            return rc;
    }
    if (k.nval && (rc = cell_free(h, k.vals)) < 0)
        return rc;
    if (k.clslen && k.cls != CELL_NIL && (rc = cell_free(h, k.cls)) < 0)
        return rc;
    if ((rc = sk_ref(h, k.sk, -1)) < 0)
        return rc;
    return cell_free(h, off);
}

int
rh_key_delete(rh_hive *h, rh_key key)
{
    nk k;
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if (key == h->root)
        return hive_err(h, RH_EINVAL, "the root key cannot be deleted");
    if ((rc = nk_get(h, key, &k)) < 0)
        return rc;
    if (k.flags & RH_KEY_NO_DELETE)
        return hive_err(h, RH_EINVAL,
                        "Windows marks this key no-delete "
                        "(KEY_NO_DELETE); refusing to delete it");
    nk p;
    if ((rc = nk_get(h, k.parent, &p)) < 0)
        return rc;
    if ((rc = list_remove(h, k.parent, key)) < 0)
        return rc;
    return free_tree(h, key, 0);
}

int
rh_key_rename(rh_hive *h, rh_key key, const char *name, size_t namelen,
              rh_key *out)
{
    uint16_t u[KEY_NAME_MAX + 1], q[KEY_NAME_MAX + 1];
    uint32_t other = 0, off = key;
    nk k, p;
    int rc;
    long n;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if (key == h->root)
        return hive_err(h, RH_EINVAL, "the root key cannot be renamed");
    if ((n = name_in(h, name, namelen, u, q, KEY_NAME_MAX, "key")) < 0)
        return (int)n;
    if (n == 0)
        return hive_err(h, RH_EINVAL, "key name is empty");
    for (long i = 0; i < n; i++)
        if (u[i] == '\\')
            return hive_err(h, RH_EINVAL, "key name contains '\\'");
    if ((rc = nk_get(h, key, &k)) < 0 || (rc = nk_get(h, k.parent, &p)) < 0)
        return rc;
    if (k.flags & RH_KEY_NO_DELETE)
        return hive_err(h, RH_EINVAL,
                        "Windows marks this key no-delete "
                        "(KEY_NO_DELETE); refusing to rename it");
    rc = list_find(h, p.subs, q, (size_t)n, &other);
    if (rc == 0 && other != key)
        return hive_err(h, RH_EINVAL, "a key named %.*s already exists",
                        (int)namelen, name);
    if (rc < 0 && rc != RH_ENOTFOUND)
        return rc;
    uint32_t parent = k.parent;
    if ((rc = list_remove(h, parent, key)) < 0)
        return rc;
    int comp = name_fits_latin1(u, (size_t)n);
    size_t nb = name_bytes(u, (size_t)n, comp);
    if ((rc = cell_realloc(h, &off, (uint32_t)(NK_NAME + nb))) < 0)
        return rc;
    uint8_t *np;
    if ((rc = cell_mut(h, off, 0, NK_NAME + nb, &np)) < 0)
        return rc;
    span nc = {np, NK_NAME};
    uint16_t fl = rd_u16(nc, NK_FLAGS) & (uint16_t)~NK_COMP_NAME;
    wr_u16(np + NK_FLAGS, (uint16_t)(fl | (comp ? NK_COMP_NAME : 0)));
    wr_u16(np + NK_NAMELEN, (uint16_t)nb);
    name_store(np + NK_NAME, u, (size_t)n, comp);
    if (off != key) { /* the node moved: its subkeys point back to it */
        rh_key *subs = NULL;
        size_t ns = 0;
        if ((rc = rh_key_subkeys(h, off, &subs, &ns)) < 0)
            return rc;
        for (size_t i = 0; i < ns && rc == 0; i++)
            rc = cell_put_u32(h, subs[i], NK_PARENT, off);
        free(subs);
        if (rc < 0)
            return rc;
    }
    if ((rc = touch(h, off)) < 0 ||
        (rc = list_insert(h, parent, off, q, (size_t)n)) < 0)
        return rc;
    if (out)
        *out = off;
    return 0;
}

/* ---- new hives -------------------------------------------------------- */

/* Default security: owner Administrators, group SYSTEM; DACL: full
 * control to SYSTEM and Administrators, read to Everyone, each inherited
 * by subkeys (CONTAINER_INHERIT_ACE). */
static size_t
default_sd(uint8_t *sd)
{
    static const uint8_t admins[] = {1,  2, 0, 0, 0,  0, 0, 5,
                                     32, 0, 0, 0, 32, 2, 0, 0};
    static const uint8_t system[] = {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};
    static const uint8_t everyone[] = {1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    const struct {
        const uint8_t *sid;
        size_t n;
        uint32_t mask;
    } aces[] = {{system, sizeof system, 0x000F003F},
                {admins, sizeof admins, 0x000F003F},
                {everyone, sizeof everyone, 0x00020019}};
    size_t o = 20;
    memset(sd, 0, 20);
    sd[0] = 1;                   /* revision */
    wr_u16(sd + 2, 0x8004);      /* SE_SELF_RELATIVE | SE_DACL_PRESENT */
    wr_u32(sd + 4, (uint32_t)o); /* owner */
    memcpy(sd + o, admins, sizeof admins);
    o += sizeof admins;
    wr_u32(sd + 8, (uint32_t)o); /* group */
    memcpy(sd + o, system, sizeof system);
    o += sizeof system;
    wr_u32(sd + 16, (uint32_t)o); /* DACL */
    size_t acl = o;
    o += 8;
    for (size_t i = 0; i < 3; i++) {
        sd[o] = 0;     /* ACCESS_ALLOWED_ACE_TYPE */
        sd[o + 1] = 2; /* CONTAINER_INHERIT_ACE */
        wr_u16(sd + o + 2, (uint16_t)(8 + aces[i].n));
        wr_u32(sd + o + 4, aces[i].mask);
        memcpy(sd + o + 8, aces[i].sid, aces[i].n);
        o += 8 + aces[i].n;
    }
    sd[acl] = 2; /* ACL_REVISION */
    sd[acl + 1] = 0;
    wr_u16(sd + acl + 2, (uint16_t)(o - acl));
    wr_u16(sd + acl + 4, 3);
    wr_u16(sd + acl + 6, 0);
    return o;
}

int
rh_create(unsigned minor, rh_hive **out)
{
    static const uint16_t root[] = {'R', 'O', 'O', 'T'};
    uint8_t sd[128];
    uint32_t nk_off, sk_off;
    int rc;
    rh_hive *h = calloc(1, sizeof *h);
    *out = h;
    if (!h)
        return RH_ENOMEM;
    hive_defaults(h, RH_OPEN_WRITE);
    if (minor == 0)
        minor = 5;
    if (minor < 3 || minor > 6)
        return hive_err(h, RH_EINVAL,
                        "format version 1.%u is not supported for new "
                        "hives (1.3 to 1.6)",
                        minor);
    if ((rc = alloc_new_image(h, minor)) < 0)
        return rc;
    size_t sdlen = default_sd(sd);
    if ((rc = nk_new(h, 0, root, 4, RH_KEY_HIVE_ENTRY | RH_KEY_NO_DELETE, 0,
                     &nk_off)) < 0 ||
        (rc = cell_alloc(h, (uint32_t)(SK_SD + sdlen), &sk_off)) < 0)
        return rc;
    uint8_t *p;
    if ((rc = cell_mut(h, sk_off, 0, SK_SD + sdlen, &p)) < 0)
        return rc;
    p[0] = 's';
    p[1] = 'k';
    wr_u32(p + SK_FLINK, sk_off);
    wr_u32(p + SK_BLINK, sk_off);
    wr_u32(p + SK_REFS, 1);
    wr_u32(p + SK_SDLEN, (uint32_t)sdlen);
    memcpy(p + SK_SD, sd, sdlen);
    if ((rc = cell_put_u32(h, nk_off, NK_SECURITY, sk_off)) < 0)
        return rc;
    alloc_set_root(h, nk_off);
    return 0;
}

/* ---- class names ------------------------------------------------------ */

int
rh_key_set_class(rh_hive *h, rh_key key, const char *cls, size_t len)
{
    uint16_t *u;
    nk k;
    long n = 0;
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    if ((rc = nk_get(h, key, &k)) < 0)
        return rc;
    if (!(u = malloc(32768 * sizeof *u)))
        return hive_err(h, RH_ENOMEM, "out of memory");
    if (cls && len &&
        (n = utf8_to_utf16(cls, len, u, 32767)) < 0) { /* u16 byte length */
        free(u);
        return hive_err(h, RH_EINVAL,
                        "class name is not valid UTF-8 or longer than "
                        "32767 characters");
    }
    uint32_t off = k.clslen && k.cls != CELL_NIL ? k.cls : 0;
    if (n == 0) {
        if ((off && (rc = cell_free(h, off)) < 0) ||
            (rc = cell_put_u32(h, key, NK_CLASS, CELL_NIL)) < 0 ||
            (rc = cell_put_u16(h, key, NK_CLASSLEN, 0)) < 0)
            goto out;
    } else {
        uint32_t nb = (uint32_t)n * 2;
        uint8_t *p;
        if ((rc = off ? cell_realloc(h, &off, nb) : cell_alloc(h, nb, &off)) <
                0 ||
            (rc = cell_mut(h, off, 0, nb, &p)) < 0)
            goto out;
        for (long i = 0; i < n; i++)
            wr_u16(p + 2 * i, u[i]);
        if ((rc = cell_put_u32(h, key, NK_CLASS, off)) < 0 ||
            (rc = cell_put_u16(h, key, NK_CLASSLEN, (uint16_t)nb)) < 0)
            goto out;
        nk pk;
        if (key != h->root && nk_get(h, k.parent, &pk) == 0 &&
            rd_u32(pk.cell, NK_MAXCLASS) < nb &&
            (rc = cell_put_u32(h, k.parent, NK_MAXCLASS, nb)) < 0)
            goto out;
    }
    rc = touch(h, key);
out:
    free(u);
    return rc;
}
