/*
 * check.c - rh_check(): structural verification of a hive, modelled on
 * Windows' own load-time validation (HvCheckHive/HvCheckBin for bins and
 * cells, CmCheckRegistry/CmpCheckKey for the tree) and the regf spec.
 * Every cell reached is claimed in an ownership bitmap, so a cell used
 * twice, a cycle, or an allocated cell nobody references is reported.
 * One pass over the bins plus one over the tree: linear time.
 */
#include "reg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_UNITS 65535 /* nk/vk name length field is 16 bits */

typedef struct sk_ent {
    uint32_t off, refs, counted;
} sk_ent;

typedef struct ck {
    rh_hive *h;
    rh_check_fn fn;
    void *ctx;
    size_t nerr;   /* errors reported */
    size_t nwarn;  /* warnings reported */
    seen own;      /* cells claimed by a referencing structure */
    seen walked;   /* keys whose subtree was walked */
    uint16_t *up0; /* upcased names of the previous and current list */
    uint16_t *up1; /* element (sort order check) */
    sk_ent *sk;    /* the security list, sorted by offset */
    size_t nsk;
} ck;

static void problem(ck *c, uint64_t fileoff, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warning(ck *c, uint64_t fileoff, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(ck *c, rh_severity sev, uint64_t fileoff, const char *fmt, va_list ap)
{
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (sev == RH_CHECK_ERROR)
        c->nerr++;
    else
        c->nwarn++;
    if (c->fn)
        c->fn(c->ctx, sev, fileoff, msg);
}

/* Report an error at a file offset: something Windows' load-time check
 * refuses (the hive, or the key it cuts out). */
static void
problem(ck *c, uint64_t fileoff, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, RH_CHECK_ERROR, fileoff, fmt, ap);
    va_end(ap);
}

/* Report a warning: an inconsistency Windows loads as it is or repairs
 * without losing anything.  Each caller cites the rule. */
static void
warning(ck *c, uint64_t fileoff, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, RH_CHECK_WARNING, fileoff, fmt, ap);
    va_end(ap);
}

/* File offset of a cell offset (cells count from the first bin). */
static uint64_t
foff(uint32_t cell)
{
    return (uint64_t)cell + BASE_SIZE;
}

/* Report the error a model function left in h->msg ("file offset 0x..
 * (cell 0x..): text"), splitting off its offset; def when it has none. */
static void
problem_from_hive(ck *c, uint32_t def)
{
    const char *m = c->h->msg, *p = strstr(m, "file offset 0x");
    uint64_t off = foff(def);
    if (p) {
        char *end;
        off = strtoull(p + 12, &end, 16);
        m = end;
        if (strncmp(m, " (cell ", 7) == 0 && strchr(m, ')'))
            m = strchr(m, ')') + 1;
        if (m[0] == ':' && m[1] == ' ')
            m += 2;
    }
    problem(c, off, "%s", m);
}

/* Claim the cell at off for `what`: it must be the start of an allocated
 * cell and not claimed before.  Returns 0 when newly claimed. */
static int
claim(ck *c, uint32_t off, const char *what, uint32_t owner)
{
    rh_hive *h = c->h;
    if (!cell_is_used(h, off)) {
        if (off >= h->bins_end || (off & 7))
            problem(c, foff(owner),
                    "%s offset 0x%x lies outside the hive bins or is "
                    "unaligned",
                    what, off);
        else
            problem(c, foff(off),
                    "%s offset 0x%x (of cell 0x%x) is not the start of an "
                    "allocated cell",
                    what, off, owner);
        return -1;
    }
    if (seen_test_set(&c->own, off)) {
        problem(c, foff(off),
                "%s cell 0x%x (referenced from 0x%x) is already owned by "
                "another structure (cell referenced twice or a cycle)",
                what, off, owner);
        return -1;
    }
    return 0;
}

/* ---- base block and bins ------------------------------------------- */

static void
check_bins(ck *c)
{
    rh_hive *h = c->h;
    span f = {h->data, h->len};
    uint32_t bins_size = rd_u32(f, BASE_BINS_SIZE);
    if ((uint64_t)bins_size > (uint64_t)h->len - BASE_SIZE)
        problem(c, BASE_BINS_SIZE,
                "base block claims 0x%x bytes of hive bins but the file "
                "holds only 0x%zx after the base block (truncated)",
                bins_size, h->len - BASE_SIZE);
    span bins = {h->data + BASE_SIZE, h->bins_end};
    for (uint32_t off = 0; off < h->bins_end;) {
        uint32_t bsize = rd_u32(bins, off + HBIN_SIZE);
        if (!rd_sig(bins, off, "hb") || !rd_sig(bins, off + 2, "in")) {
            problem(c, foff(off), "no 'hbin' signature where a bin must start");
            off += HBIN_PAGE;
            continue;
        }
        if (rd_u32(bins, off + HBIN_OFFSET) != off) {
            problem(c, foff(off), "hive bin says it is at 0x%x, not 0x%x",
                    rd_u32(bins, off + HBIN_OFFSET), off);
            off += HBIN_PAGE;
            continue;
        }
        if (bsize < HBIN_PAGE || bsize % HBIN_PAGE ||
            bsize > h->bins_end - off) {
            problem(c, foff(off),
                    "hive bin size 0x%x is not a multiple of 4096 within "
                    "the 0x%x bytes of bins",
                    bsize, h->bins_end);
            off += HBIN_PAGE;
            continue;
        }
        for (uint32_t x = off + HBIN_HDR; x < off + bsize;) {
            int32_t sz = (int32_t)rd_u32(bins, x);
            uint32_t n = sz < 0 ? (uint32_t)0 - (uint32_t)sz : (uint32_t)sz;
            if (sz == INT32_MIN || n < 8 || (n & 7) || n > off + bsize - x) {
                problem(c, foff(x),
                        "bad cell size %d in bin at 0x%x (must be a "
                        "multiple of 8, at least 8, inside the bin); rest "
                        "of the bin skipped",
                        sz, off);
                break;
            }
            x += n;
        }
        off += bsize;
    }
}

/* ---- security cells -------------------------------------------------- */

static int
sk_cmp(const void *a, const void *b)
{
    uint32_t x = ((const sk_ent *)a)->off, y = ((const sk_ent *)b)->off;
    return x < y ? -1 : x > y;
}

static sk_ent *
sk_find(ck *c, uint32_t off)
{
    sk_ent key = {off, 0, 0};
    if (!c->nsk)
        return NULL;
    return bsearch(&key, c->sk, c->nsk, sizeof *c->sk, sk_cmp);
}

/* Check one sk cell's own fields (descriptor length). */
static void
sk_cell(ck *c, uint32_t off, span s)
{
    uint32_t n = rd_u32(s, SK_SDLEN);
    if (s.n < SK_SD)
        problem(c, foff(off), "security cell of %zu bytes is too small", s.n);
    else if (!span_has(s, SK_SD, n))
        problem(c, foff(off),
                "security descriptor of %u bytes exceeds its cell (%zu "
                "bytes)",
                n, s.n);
    else if (n < 20 || s.p[SK_SD] != 1)
        problem(c, foff(off),
                "security descriptor of %u bytes is not a revision 1 "
                "self-relative descriptor",
                n);
}

static int
seen_test(const seen *s, uint32_t off)
{
    return s->bits[off >> 6] >> ((off >> 3) & 7) & 1;
}

/* Walk the sk list from the root key's sk through flink back to the
 * start, checking each blink; collect the cells into c->sk. */
static int
sk_list(ck *c, uint32_t start)
{
    rh_hive *h = c->h;
    size_t cap = 0;
    uint32_t off = start;
    span s;
    if (cell_get_sig(h, start, "sk", &s) < 0) {
        problem(c, foff(h->root),
                "root key's security offset 0x%x is not an allocated 'sk' "
                "cell",
                start);
        return 0;
    }
    if (claim(c, start, "security", h->root) < 0)
        return 0;
    for (;;) {
        cell_get_sig(h, off, "sk", &s);
        sk_cell(c, off, s);
        if (c->nsk == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            sk_ent *v = realloc(c->sk, ncap * sizeof *v);
            if (!v)
                return hive_err(h, RH_ENOMEM, "out of memory");
            c->sk = v;
            cap = ncap;
        }
        c->sk[c->nsk++] = (sk_ent){off, rd_u32(s, SK_REFS), 0};
        uint32_t next = rd_u32(s, SK_FLINK);
        span ns;
        if (cell_get_sig(h, next, "sk", &ns) < 0) {
            problem(c, foff(off),
                    "security cell's flink 0x%x is not an allocated 'sk' "
                    "cell",
                    next);
            break;
        }
        if (rd_u32(ns, SK_BLINK) != off)
            problem(c, foff(next),
                    "security cell's blink 0x%x does not point back to 0x%x "
                    "whose flink names it",
                    rd_u32(ns, SK_BLINK), off);
        if (next == start)
            break;
        if (seen_test(&c->own, next)) {
            problem(c, foff(off),
                    "security list flink 0x%x loops back without returning "
                    "to the first cell 0x%x",
                    next, start);
            break;
        }
        claim(c, next, "security", off);
        off = next;
    }
    if (c->nsk > 1)
        qsort(c->sk, c->nsk, sizeof *c->sk, sk_cmp);
    return 0;
}

/* A key references its sk cell. */
static void
key_sk(ck *c, uint32_t key, uint32_t off)
{
    sk_ent *e = sk_find(c, off);
    span s;
    if (e) {
        e->counted++;
        return;
    }
    if (!cell_is_used(c->h, off) || cell_get_sig(c->h, off, "sk", &s) < 0) {
        problem(c, foff(key),
                "key's security offset 0x%x is not an allocated 'sk' cell",
                off);
        return;
    }
    /* A valid sk cell off the list: report once (the first key). */
    if (!seen_test_set(&c->own, off)) {
        problem(c, foff(off),
                "security cell 0x%x used by key 0x%x is not on the "
                "security list",
                off, key);
        sk_cell(c, off, s);
    }
}

/* ---- values ------------------------------------------------------- */

static void
check_data(ck *c, const vk *v)
{
    rh_hive *h = c->h;
    uint32_t len = vk_len(v);
    span d;
    if (v->rawlen & VK_INLINE)
        return; /* vk_get checked len <= 4 */
    if (len == 0)
        return;
    if (claim(c, v->data, "value data", v->off) < 0)
        return;
    cell_get(h, v->data, &d);
    if (len > DB_SEGMENT && h->minor >= 4 && rd_sig(d, 0, "db") && d.n < len) {
        uint16_t nseg = rd_u16(d, DB_COUNT);
        uint32_t lo = rd_u32(d, DB_LIST);
        uint32_t need =
            (uint32_t)(((uint64_t)len + DB_SEGMENT - 1) / DB_SEGMENT);
        span l;
        if (d.n < 8) {
            problem(c, foff(v->data), "big data cell is too small");
            return;
        }
        if (nseg != need)
            problem(c, foff(v->data),
                    "big data of %u bytes needs %u segments but the db "
                    "cell says %u",
                    len, need, nseg);
        if (claim(c, lo, "big data segment list", v->data) < 0)
            return;
        cell_get(h, lo, &l);
        if (!span_has(l, 0, (size_t)nseg * 4)) {
            problem(c, foff(lo),
                    "big data segment count %u exceeds its list cell (%zu "
                    "bytes)",
                    nseg, l.n);
            nseg = (uint16_t)(l.n / 4);
        }
        uint64_t left = len;
        for (uint16_t i = 0; i < nseg; i++) {
            uint32_t so = rd_u32(l, (size_t)i * 4);
            span seg;
            if (claim(c, so, "big data segment", lo) < 0)
                continue;
            cell_get(h, so, &seg);
            uint64_t take = left > DB_SEGMENT ? DB_SEGMENT : left;
            if (seg.n < take)
                problem(c, foff(so),
                        "big data segment of %zu bytes holds less than "
                        "its %llu bytes",
                        seg.n, (unsigned long long)take);
            left -= take;
        }
        return;
    }
    if (d.n < len)
        problem(c, foff(v->data),
                "value data of %u bytes exceeds its cell (%zu bytes)", len,
                d.n);
}

static void
check_values(ck *c, const nk *k)
{
    rh_hive *h = c->h;
    span l;
    if (k->nval == 0)
        return;
    if (claim(c, k->vals, "value list", k->off) < 0)
        return;
    cell_get(h, k->vals, &l);
    size_t n = k->nval;
    if (n > l.n / 4) {
        problem(c, foff(k->vals),
                "value count %u of key 0x%x exceeds its value list (%zu "
                "bytes)",
                k->nval, k->off, l.n);
        n = l.n / 4;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t vo = rd_u32(l, i * 4);
        vk v;
        if (claim(c, vo, "value", k->vals) < 0)
            continue;
        if (vk_get(h, vo, &v) < 0) {
            problem_from_hive(c, vo);
            continue;
        }
        check_data(c, &v);
    }
}

/* ---- keys and subkey lists ----------------------------------------- */

/* Upcased UTF-16 units of a stored name into out; returns the count. */
static size_t
upname(span raw, int comp, uint16_t *out)
{
    size_t n = comp ? raw.n : raw.n / 2;
    for (size_t i = 0; i < n; i++)
        out[i] = upcase(comp ? raw.p[i] : rd_u16(raw, 2 * i));
    return n;
}

static void
name_str(const nk *k, char *buf, size_t cap)
{
    sbuf b = {0};
    name_to_utf8(k->name, k->comp, &b);
    snprintf(buf, cap, "%.*s", b.oom ? 0 : (int)(b.n > 60 ? 60 : b.n),
             b.p ? (const char *)b.p : "");
    sbuf_free(&b);
}

struct lst {
    uint32_t key;  /* owning key */
    size_t count;  /* elements seen */
    size_t prevn;  /* units of the previous name, in up0 */
    uint32_t prev; /* previous element (0: none) */
    size_t depth;  /* depth of the owning key */
    int (*fn)(ck *, struct lst *, uint32_t elem, uint32_t list, span lc,
              size_t i);
};

/* Pass 1 over one element: claim, parse, parent, hash/hint, order. */
static int
elem_check(ck *c, struct lst *s, uint32_t off, uint32_t list, span lc, size_t i)
{
    rh_hive *h = c->h;
    nk k;
    s->count++;
    if (claim(c, off, "subkey", list) < 0)
        return 0;
    if (nk_get(h, off, &k) < 0) {
        problem_from_hive(c, off);
        return 0;
    }
    if (k.parent != s->key)
        problem(c, foff(off),
                "key's parent offset 0x%x is not 0x%x, the key whose subkey "
                "list holds it",
                k.parent, s->key);
    if (k.flags & RH_KEY_HIVE_ENTRY)
        problem(c, foff(off), "non-root key has the KEY_HIVE_ENTRY flag");
    if (k.name.n == 0)
        problem(c, foff(off), "key has an empty name");
    size_t un = upname(k.name, k.comp, c->up1);
    /* A wrong lh hash or lf hint is a warning: Windows' load-time check
     * (CmpCheckLeaf, called by CmpCheckKey) recomputes each one and, with
     * self-healing on (the default, CmpSelfHeal), writes the right value
     * and loads the hive; a lookup meanwhile would miss the key, never
     * lose it.  Both values come from name.c, the functions edits use. */
    if (rd_sig(lc, 0, "lh")) {
        uint32_t stored = rd_u32(lc, LIST_ELEMS + i * 8 + 4);
        uint32_t want = lh_hash(c->up1, un);
        if (stored != want)
            warning(c, foff(list),
                    "lh hash 0x%08x of element %zu (key 0x%x) should be "
                    "0x%08x",
                    stored, i, off, want);
    } else if (rd_sig(lc, 0, "lf")) {
        uint32_t stored = rd_u32(lc, LIST_ELEMS + i * 8 + 4);
        uint32_t want = name_hint(k.name, k.comp);
        if (stored != want)
            warning(c, foff(list),
                    "lf name hint 0x%08x of element %zu (key 0x%x) should "
                    "be 0x%08x",
                    stored, i, off, want);
    }
    if (s->prev) {
        size_t m = s->prevn < un ? s->prevn : un, j = 0;
        while (j < m && c->up0[j] == c->up1[j])
            j++;
        int cmp = j < m ? (c->up0[j] < c->up1[j] ? -1 : 1)
                        : (s->prevn < un ? -1 : s->prevn > un);
        if (cmp >= 0) {
            char name[64];
            name_str(&k, name, sizeof name);
            problem(c, foff(off),
                    cmp == 0 ? "duplicate subkey name '%s' (same as key "
                               "0x%x) in the list of key 0x%x"
                             : "subkey '%s' is out of order: it sorts "
                               "before the previous key 0x%x in the list "
                               "of key 0x%x",
                    name, s->prev, s->key);
        }
    }
    uint16_t *t = c->up0;
    c->up0 = c->up1;
    c->up1 = t;
    s->prevn = un;
    s->prev = off;
    return 0;
}

static int check_key(ck *c, uint32_t off, size_t depth);

/* Pass 2 over one element: descend once into keys this list claimed. */
static int
elem_walk(ck *c, struct lst *s, uint32_t off, uint32_t list, span lc, size_t i)
{
    (void)list;
    (void)lc;
    (void)i;
    /* Bad cells were reported in pass 1; a key reached again (shared or
     * a cycle) is not walked twice. */
    nk k;
    if (!cell_is_used(c->h, off) || nk_get(c->h, off, &k) < 0 ||
        seen_test_set(&c->walked, off))
        return 0;
    return check_key(c, off, s->depth + 1);
}

static int
is_leaf(span c)
{
    return rd_sig(c, 0, "lf") || rd_sig(c, 0, "lh") || rd_sig(c, 0, "li");
}

/* Elements of one leaf list; pass 1 also checks its count. */
static int
leaf_each(ck *c, struct lst *s, uint32_t list, span lc, int pass1)
{
    size_t step = rd_sig(lc, 0, "li") ? 4 : 8;
    size_t n = rd_u16(lc, LIST_COUNT);
    if (n > (lc.n - LIST_ELEMS) / step) {
        if (pass1)
            problem(c, foff(list),
                    "subkey list count %zu exceeds its cell (%zu bytes)", n,
                    lc.n);
        n = (lc.n - LIST_ELEMS) / step;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = s->fn(c, s, rd_u32(lc, LIST_ELEMS + i * step), list, lc, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Run s->fn over the subkey list of key k.  pass1 claims the list cells
 * and reports their problems; pass 2 only re-reads what pass 1 owned. */
static int
list_each(ck *c, const nk *k, struct lst *s, int pass1)
{
    rh_hive *h = c->h;
    span lc;
    int rc;
    if (pass1 && claim(c, k->subs, "subkey list", k->off) < 0)
        return 1;
    if (!pass1 && !cell_is_used(h, k->subs))
        return 0;
    cell_get(h, k->subs, &lc);
    if (lc.n < LIST_ELEMS) {
        if (pass1)
            problem(c, foff(k->subs), "subkey list cell is too small");
        return 1;
    }
    if (is_leaf(lc))
        return leaf_each(c, s, k->subs, lc, pass1);
    if (!rd_sig(lc, 0, "ri")) {
        if (pass1)
            problem(c, foff(k->subs),
                    "not a subkey list (li, lf, lh or ri): signature "
                    "0x%02x%02x",
                    lc.p[0], lc.p[1]);
        return 1;
    }
    size_t n = rd_u16(lc, LIST_COUNT);
    if (n > (lc.n - LIST_ELEMS) / 4) {
        if (pass1)
            problem(c, foff(k->subs),
                    "index root count %zu exceeds its cell (%zu bytes)", n,
                    lc.n);
        n = (lc.n - LIST_ELEMS) / 4;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t leaf = rd_u32(lc, LIST_ELEMS + i * 4);
        span l;
        if (pass1 && claim(c, leaf, "index root entry", k->subs) < 0)
            continue;
        if (!cell_is_used(h, leaf))
            continue;
        cell_get(h, leaf, &l);
        /* Windows allows only leaves under an index root (no ri in ri). */
        if (!is_leaf(l) || l.n < LIST_ELEMS) {
            if (pass1)
                problem(c, foff(leaf),
                        "entry %zu of index root 0x%x is not a leaf list "
                        "(li, lf or lh)",
                        i, k->subs);
            continue;
        }
        /* A leaf repeated in the index root (reported by claim in pass
         * 1) must not multiply the second pass: stop at the most keys the
         * bins can hold. */
        if ((total += rd_u16(l, LIST_COUNT)) > max_keys(h)) {
            if (pass1)
                problem(c, foff(k->subs),
                        "index root lists more keys than the hive can "
                        "hold (%zu)",
                        max_keys(h));
            return 1;
        }
        if ((rc = leaf_each(c, s, leaf, l, pass1)) < 0)
            return rc;
    }
    return 0;
}

static int
check_key(ck *c, uint32_t off, size_t depth)
{
    rh_hive *h = c->h;
    nk k;
    int rc;
    if (nk_get(h, off, &k) < 0) {
        problem_from_hive(c, off);
        return 0;
    }
    if (k.name.n > 510 || (k.comp && k.name.n > 255))
        problem(c, foff(off),
                "key name of %zu bytes is longer than 255 characters",
                k.name.n);
    if (k.cls != CELL_NIL && (k.clslen || cell_is_used(h, k.cls))) {
        span cl;
        if (claim(c, k.cls, "class name", off) == 0) {
            cell_get(h, k.cls, &cl);
            if (cl.n < k.clslen)
                problem(c, foff(k.cls),
                        "class name of %u bytes exceeds its cell (%zu "
                        "bytes)",
                        k.clslen, cl.n);
        }
    }
    key_sk(c, off, k.sk);
    check_values(c, &k);
    if (k.nsub == 0)
        return 0;
    if (depth >= h->lim_depth) {
        problem(c, foff(off),
                "key nesting deeper than %u levels: subtree not checked",
                h->lim_depth);
        return 0;
    }
    struct lst s = {off, 0, 0, 0, depth, elem_check};
    if ((rc = list_each(c, &k, &s, 1)) < 0)
        return rc;
    if (rc == 0 && s.count != k.nsub)
        problem(c, foff(k.subs),
                "subkey list holds %zu keys but key 0x%x says %u", s.count, off,
                k.nsub);
    if (rc != 0)
        return 0;
    struct lst w = {off, 0, 0, 0, depth, elem_walk};
    return list_each(c, &k, &w, 0);
}

/* ---- unreferenced cells and sk refcounts ---------------------------- */

static void
check_unreferenced(ck *c)
{
    rh_hive *h = c->h;
    span bins = {h->data + BASE_SIZE, h->bins_end};
    size_t nbytes = (size_t)h->bins_end / 64 + 1;
    for (size_t i = 0; i < nbytes; i++) {
        uint8_t orphan = (uint8_t)(h->used[i] & ~c->own.bits[i]);
        for (unsigned b = 0; orphan && b < 8; b++) {
            if (!(orphan >> b & 1))
                continue;
            uint32_t off = (uint32_t)(i * 64 + b * 8);
            uint32_t sz = (uint32_t)0 - rd_u32(bins, off);
            span s;
            cell_get(h, off, &s);
            char sig[8] = "";
            if (s.n >= 2 && s.p[0] >= 'a' && s.p[0] <= 'z' && s.p[1] >= 'a' &&
                s.p[1] <= 'z')
                snprintf(sig, sizeof sig, " '%c%c'", s.p[0], s.p[1]);
            warning(c, foff(off),
                    "unreferenced allocated cell%s of %u bytes (leaked: no "
                    "structure reachable from the root uses it)",
                    sig, sz);
        }
    }
}

static void
check_sk_refs(ck *c)
{
    for (size_t i = 0; i < c->nsk; i++) {
        sk_ent *e = &c->sk[i];
        /* Windows recounts them at load and fixes the field
         * (CmpCheckAndFixSecurityCellsRefcount, after the tree walk of
         * CmCheckRegistry): a warning. */
        if (e->refs != e->counted)
            warning(c, foff(e->off),
                    "security cell reference count %u but %u key%s use it",
                    e->refs, e->counted, e->counted == 1 ? "" : "s");
    }
}

/*
 * Severity follows what Windows does when it loads the hive.  Errors:
 * everything HvCheckHive/HvCheckBin refuse (bins, cell sizes) and what
 * CmCheckRegistry/CmpCheckKey find wrong in a key (bad offsets, cells used
 * twice, parent links, names, order and duplicates via
 * CmpCheckLexicographicalOrder, lists and counts): it refuses the hive, or
 * "self-heals" it by cutting the key out of its parent's list
 * (CmpRemoveSubKeyCellNoCellRef), which loses the subtree.  (Function
 * names and behaviour as in Windows 10's ntoskrnl, CmpCheckRegistry2 /
 * CmpCheckLeaf; Project Zero's "Windows Registry Adventure" series walks
 * through the same load-time checks; msuhanov's regf spec states the
 * invariants.)  Warnings: what
 * Windows loads unchanged or repairs without loss, each cited where it is
 * reported (leaked cells, lh hash / lf hint, sk reference counts).
 *
 * Decisions, following Windows:
 *  - The root must carry KEY_HIVE_ENTRY (CmpCheckKey rejects a root
 *    without it; the kernel links hives by that flag).  yarp's
 *    DeletedTreeNoRootFlagHive lacks it and is reported.
 *  - Allocated cells nothing references are warnings ("unreferenced
 *    allocated cell"): Windows does not look for them, and writes them
 *    itself (yarp's RecoveredHive_Windows10, Windows' own log recovery
 *    output, holds eight leaked nk cells).
 *  - The max-name/class/value-name/value-data fields of a key are not
 *    checked: Windows recomputes them silently when they are too small.
 */
int
rh_check(rh_hive *h, rh_check_fn fn, void *ctx, size_t *nerrors,
         size_t *nwarnings)
{
    ck c = {0};
    int rc = 0;
    nk root;
    c.h = h;
    hive_validate_all(h); /* the checks below test cell_is_used() directly */
    c.fn = fn;
    c.ctx = ctx;
    if (nerrors)
        *nerrors = 0;
    if (nwarnings)
        *nwarnings = 0;
    c.up0 = malloc(NAME_MAX_UNITS * sizeof *c.up0);
    c.up1 = malloc(NAME_MAX_UNITS * sizeof *c.up1);
    if (!c.up0 || !c.up1 || seen_init(h, &c.own) < 0 ||
        seen_init(h, &c.walked) < 0) {
        rc = hive_err(h, RH_ENOMEM, "out of memory");
        goto out;
    }
    check_bins(&c);
    seen_test_set(&c.own, h->root); /* validated as an nk cell at open */
    seen_test_set(&c.walked, h->root);
    if (nk_get(h, h->root, &root) < 0) {
        problem_from_hive(&c, h->root);
    } else {
        if (!(root.flags & RH_KEY_HIVE_ENTRY))
            problem(&c, foff(h->root),
                    "root key lacks the KEY_HIVE_ENTRY flag (0x4)");
        if ((rc = sk_list(&c, root.sk)) < 0)
            goto out;
        if ((rc = check_key(&c, h->root, 0)) < 0)
            goto out;
        check_sk_refs(&c);
        check_unreferenced(&c);
    }
    if (nerrors)
        *nerrors = c.nerr;
    if (nwarnings)
        *nwarnings = c.nwarn;
    rc = c.nerr ? RH_ECORRUPT : 0;
out:
    free(c.up0);
    free(c.up1);
    free(c.sk);
    seen_free(&c.own);
    seen_free(&c.walked);
    return rc;
}
