/*
 * key.c - key nodes, subkey lists, path lookup (model layer).
 */
#include "reg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
nk_get(rh_hive *h, uint32_t off, nk *k)
{
    int rc = cell_get_sig(h, off, "nk", &k->cell);
    if (rc < 0)
        return rc;
    span c = k->cell;
    if (c.n < NK_NAME)
        return CORRUPT(h, off, "key node cell of %zu bytes is too small", c.n);
    uint16_t namelen = rd_u16(c, NK_NAMELEN);
    if (!span_has(c, NK_NAME, namelen))
        return CORRUPT(h, off,
                       "key name of %u bytes runs past its cell "
                       "(%zu bytes)",
                       namelen, c.n);
    k->off = off;
    k->flags = rd_u16(c, NK_FLAGS);
    k->comp = (k->flags & NK_COMP_NAME) != 0;
    k->name = span_sub(c, NK_NAME, namelen);
    k->parent = rd_u32(c, NK_PARENT);
    k->nsub = rd_u32(c, NK_NSUBKEYS);
    k->subs = rd_u32(c, NK_SUBKEYS);
    k->nval = rd_u32(c, NK_NVALUES);
    k->vals = rd_u32(c, NK_VALUES);
    k->sk = rd_u32(c, NK_SECURITY);
    k->cls = rd_u32(c, NK_CLASS);
    k->clslen = rd_u16(c, NK_CLASSLEN);
    if (k->nval)
        cell_prefetch(h, k->vals); /* walks read the value list next */
    return 0;
}

/* One leaf list (li/lf/lh): element size 4 or 8. */
static int
leaf_foreach(rh_hive *h, uint32_t list, span c,
             int (*fn)(void *ctx, uint32_t off), void *ctx)
{
    size_t step = rd_sig(c, 0, "li") ? 4 : 8, need;
    uint16_t n = rd_u16(c, LIST_COUNT);
    if (!ck_mul(n, step, &need) || !span_has(c, LIST_ELEMS, need))
        return CORRUPT(h, list,
                       "subkey list count %u exceeds its cell "
                       "(%zu bytes)",
                       n, c.n);
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n) /* the next key, read after this one's subtree */
            cell_prefetch(h, rd_u32(c, LIST_ELEMS + (i + 1) * step));
        int rc = fn(ctx, rd_u32(c, LIST_ELEMS + i * step));
        if (rc)
            return rc;
    }
    return 0;
}

static int
is_leaf(span c)
{
    return rd_sig(c, 0, "lf") || rd_sig(c, 0, "lh") || rd_sig(c, 0, "li");
}

int
list_foreach(rh_hive *h, uint32_t list, int (*fn)(void *ctx, uint32_t off),
             void *ctx)
{
    span c;
    int rc = cell_get(h, list, &c);
    if (rc < 0)
        return rc;
    if (is_leaf(c))
        return leaf_foreach(h, list, c, fn, ctx);
    if (!rd_sig(c, 0, "ri"))
        return CORRUPT(h, list, "not a subkey list (li, lf, lh or ri)");
    uint16_t n = rd_u16(c, LIST_COUNT);
    if (!span_has(c, LIST_ELEMS, (size_t)n * 4))
        return CORRUPT(h, list,
                       "index root count %u exceeds its cell "
                       "(%zu bytes)",
                       n, c.n);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t leaf = rd_u32(c, LIST_ELEMS + i * 4);
        span lc;
        if ((rc = cell_get(h, leaf, &lc)) < 0)
            return rc;
        /* Windows allows only leaves under an index root (no ri in ri). */
        if (!is_leaf(lc))
            return CORRUPT(h, leaf,
                           "index root 0x%x entry is not a leaf "
                           "list (li, lf or lh)",
                           list);
        /* Bound the work (and rh_key_subkeys' array) by the file size:
         * leaves repeated in an index root would multiply it. */
        if ((total += rd_u16(lc, LIST_COUNT)) > max_keys(h))
            return CORRUPT(h, list,
                           "index root lists more keys than the hive "
                           "can hold (%zu): a leaf listed twice?",
                           max_keys(h));
        if ((rc = leaf_foreach(h, leaf, lc, fn, ctx)) != 0)
            return rc;
    }
    return 0;
}

int
nk_values(rh_hive *h, const nk *k, span *list)
{
    int rc;
    if (k->nval == 0) {
        list->p = NULL;
        list->n = 0;
        return 0;
    }
    if ((rc = cell_get(h, k->vals, list)) < 0)
        return rc;
    if (k->nval > list->n / 4)
        return CORRUPT(h, k->vals,
                       "value count %u of key 0x%x exceeds "
                       "its value list (%zu bytes)",
                       k->nval, k->off, list->n);
    list->n = (size_t)k->nval * 4;
    return 0;
}

struct find {
    rh_hive *h;
    const uint16_t *q;
    size_t qn;
    uint32_t found;
};

static int
find_cb(void *ctx, uint32_t off)
{
    struct find *f = ctx;
    nk c;
    int rc = nk_get(f->h, off, &c);
    if (rc < 0)
        return rc;
    if (name_cmp(c.name, c.comp, f->q, f->qn) == 0) {
        f->found = off;
        return 1;
    }
    return 0;
}

int
nk_child(rh_hive *h, const nk *k, const uint16_t *q, size_t qn, uint32_t *out)
{
    struct find f = {h, q, qn, 0};
    if (k->nsub == 0)
        return RH_ENOTFOUND;
    int rc = list_foreach(h, k->subs, find_cb, &f);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return RH_ENOTFOUND;
    *out = f.found;
    return 0;
}

/* ---- public key API ------------------------------------------------- */

int
rh_key_stat_get(rh_hive *h, rh_key key, rh_key_stat *out)
{
    nk k;
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->flags = k.flags;
    out->last_written = rd_u64(k.cell, NK_TIME);
    out->parent = k.parent;
    out->nsubkeys = k.nsub;
    out->nvalues = k.nval;
    out->security = k.sk;
    out->class_len = k.clslen;
    out->access_bits = rd_u32(k.cell, NK_ACCESS);
    out->user_flags = (rd_u32(k.cell, NK_MAXNAME) >> 16) & 0xF;
    out->virt_flags = (rd_u32(k.cell, NK_MAXNAME) >> 20) & 0xF;
    return 0;
}

static int
finish(rh_hive *h, sbuf *b, char **out, size_t *len)
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
rh_key_name(rh_hive *h, rh_key key, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    nk k;
    sbuf b = {0};
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    name_to_utf8(k.name, k.comp, &b);
    return finish(h, &b, out, len);
}

int
rh_key_name_buf(rh_hive *h, rh_key key, char *buf, size_t cap, size_t *len)
{
    nk k;
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    if ((rc = name_to_buf(k.name, k.comp, buf, cap, len)) < 0)
        return hive_err(h, rc,
                        "buffer of %zu bytes too small for a key "
                        "name",
                        cap);
    return 0;
}

int
rh_key_class(rh_hive *h, rh_key key, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    nk k;
    span c;
    sbuf b = {0};
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    if (k.clslen == 0 || k.cls == CELL_NIL)
        return RH_ENOTFOUND;
    if ((rc = cell_get(h, k.cls, &c)) < 0)
        return rc;
    if (c.n < k.clslen)
        return CORRUPT(h, k.cls,
                       "class name of %u bytes exceeds its cell "
                       "(%zu bytes)",
                       k.clslen, c.n);
    c.n = k.clslen;
    utf16_to_utf8(c, 0, &b);
    return finish(h, &b, out, len);
}

int
rh_key_security(rh_hive *h, rh_key key, void **sd, size_t *len)
{
    *sd = NULL;
    if (len)
        *len = 0;
    nk k;
    span c;
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    if ((rc = cell_get_sig(h, k.sk, "sk", &c)) < 0)
        return rc;
    uint32_t n = rd_u32(c, SK_SDLEN);
    if (!span_has(c, SK_SD, n))
        return CORRUPT(h, k.sk,
                       "security descriptor of %u bytes exceeds "
                       "its cell (%zu bytes)",
                       n, c.n);
    void *p = malloc(n ? n : 1);
    if (!p)
        return hive_err(h, RH_ENOMEM, "out of memory");
    memcpy(p, c.p + SK_SD, n);
    *sd = p;
    *len = n;
    return 0;
}

struct kfe {
    rh_key_fn fn;
    void *ctx;
};

static int
kfe_cb(void *ctx, uint32_t off)
{
    struct kfe *k = ctx;
    return k->fn(k->ctx, off);
}

int
rh_key_subkeys_foreach(rh_hive *h, rh_key key, rh_key_fn fn, void *ctx)
{
    nk k;
    struct kfe f = {fn, ctx};
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    if (k.nsub == 0)
        return 0;
    return list_foreach(h, k.subs, kfe_cb, &f);
}

struct collect {
    uint32_t *v;
    size_t n, cap;
};

static int
collect_cb(void *ctx, uint32_t off)
{
    struct collect *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        uint32_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return RH_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = off;
    return 0;
}

int
rh_key_subkeys(rh_hive *h, rh_key key, rh_key **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct collect c = {0};
    nk k;
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    /* Size the array from the stored count, bounded by what the bins can
     * hold (a key node takes at least 80 bytes), so it is allocated once. */
    if (k.nsub) {
        c.cap = k.nsub < h->bins_end / 80 ? k.nsub : h->bins_end / 80 + 1;
        if (!(c.v = malloc(c.cap * sizeof *c.v)))
            return hive_err(h, RH_ENOMEM, "out of memory");
        rc = list_foreach(h, k.subs, collect_cb, &c);
    }
    if (rc == RH_ENOMEM)
        hive_err(h, rc, "out of memory");
    if (rc < 0) {
        free(c.v);
        return rc;
    }
    *out = c.v ? c.v : malloc(sizeof(rh_key));
    *n = c.n;
    return *out ? 0 : hive_err(h, RH_ENOMEM, "out of memory");
}

/* Upcased UTF-16 of a UTF-8 name component; q has room for cap units. */
static long
query_name(rh_hive *h, const char *name, size_t n, uint16_t *q, size_t cap)
{
    long qn = utf8_to_utf16(name, n, q, cap);
    if (qn < 0)
        return hive_err(h, RH_EINVAL,
                        "name is not valid UTF-8 or longer "
                        "than 255 characters");
    for (long i = 0; i < qn; i++)
        q[i] = upcase(q[i]);
    return qn;
}

#define NAME_CAP 512 /* units; names are at most 255 characters on disk */

int
rh_key_subkey(rh_hive *h, rh_key parent, const char *name, size_t namelen,
              rh_key *out)
{
    uint16_t q[NAME_CAP];
    nk k;
    long qn = query_name(h, name, namelen, q, NAME_CAP);
    if (qn < 0)
        return (int)qn;
    int rc = nk_get(h, parent, &k);
    if (rc < 0)
        return rc;
    return nk_child(h, &k, q, (size_t)qn, out);
}

static int
ieq(const char *a, size_t n, const char *b)
{
    size_t m = strlen(b);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 32);
        if (y >= 'a' && y <= 'z')
            y = (char)(y - 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* Resolve components [p, end) from key k. */
static int
walk_path(rh_hive *h, rh_key k, const char *p, const char *end, int top,
          rh_key *out)
{
    int rc;
    while (p < end) {
        const char *s = p;
        while (p < end && *p != '\\')
            p++;
        size_t n = (size_t)(p - s);
        if (p < end)
            p++;
        if (n == 0)
            continue;
        rh_key next;
        rc = rh_key_subkey(h, k, s, n, &next);
        /* Offline there is no CurrentControlSet: Select\Current names
         * the control set Windows would link it to. */
        if (rc == RH_ENOTFOUND && top && ieq(s, n, "CurrentControlSet")) {
            rh_key sel;
            rh_value cur;
            void *d;
            size_t len;
            uint32_t type;
            char name[32];
            if (rh_key_subkey(h, k, "Select", 6, &sel) == 0 &&
                rh_key_value(h, sel, "Current", 7, &cur) == 0 &&
                rh_value_data(h, cur, &type, &d, &len) == 0) {
                uint32_t v = len >= 4 ? rd_u32((span){d, len}, 0) : 0;
                free(d);
                snprintf(name, sizeof name, "ControlSet%03u", v);
                rc = rh_key_subkey(h, k, name, strlen(name), &next);
            }
            if (rc == RH_ENOTFOUND)
                return hive_err(h, rc,
                                "CurrentControlSet: no Select\\"
                                "Current naming an existing "
                                "ControlSet00N");
        }
        if (rc < 0)
            return rc;
        k = next;
        top = 0;
    }
    *out = k;
    return 0;
}

int
rh_key_lookup(rh_hive *h, const char *path, rh_key *out)
{
    const char *end = path + strlen(path);
    size_t rl;
    int rc = rh_path_root(h, path, (size_t)(end - path), &rl);
    if (rc < 0) {
        /* A root naming another hive (kind.c), unless the first component
         * is a real key name after all. */
        char m[sizeof h->msg];
        memcpy(m, h->msg, sizeof m);
        if (walk_path(h, h->root, path, end, 1, out) == 0)
            return 0;
        memcpy(h->msg, m, sizeof m);
        return rc;
    }
    if (rl) {
        rc = walk_path(h, h->root, path + rl, end, 1, out);
        if (rc != RH_ENOTFOUND)
            return rc;
        /* the first component may be a real key name after all */
    }
    rc = walk_path(h, h->root, path, end, 1, out);
    if (rc == RH_ENOTFOUND && !strstr(h->msg, "CurrentControlSet"))
        hive_err(h, rc, "key not found: %s", path);
    return rc;
}

int
rh_key_parent(rh_hive *h, rh_key key, rh_key *out)
{
    nk k;
    int rc = nk_get(h, key, &k);
    if (rc < 0)
        return rc;
    if (key == h->root) {
        *out = 0;
        return 0;
    }
    if ((rc = nk_get(h, k.parent, &k)) < 0)
        return rc;
    *out = k.off;
    return 0;
}

int
rh_key_path(rh_hive *h, rh_key key, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    uint32_t chain[RH_MAX_DEPTH + 1];
    size_t depth = 0;
    sbuf b = {0};
    nk k;
    int rc;
    while (key != h->root) {
        if (depth == h->lim_depth && h->lim_depth < RH_MAX_DEPTH)
            return depth_err(h, key); /* a caller's tighter limit */
        if (depth == RH_MAX_DEPTH + 1) {
            return CORRUPT(h, key,
                           "parent chain deeper than %d levels "
                           "(cycle?)",
                           RH_MAX_DEPTH);
        }
        chain[depth++] = key;
        if ((rc = nk_get(h, key, &k)) < 0)
            return rc;
        key = k.parent;
    }
    while (depth--) {
        if ((rc = nk_get(h, chain[depth], &k)) < 0)
            return rc;
        name_to_utf8(k.name, k.comp, &b);
        if (depth)
            sbuf_putc(&b, '\\');
    }
    return finish(h, &b, out, len);
}

/* ---- pre-order walk ------------------------------------------------- */

struct kwalk {
    rh_hive *h;
    rh_walk_fn fn;
    void *ctx;
    seen seen;
    unsigned depth;
    uint32_t end; /* bins size when the walk began (the bitmap's span) */
};

static int kw_key(struct kwalk *w, uint32_t off);

static int
kw_child(void *ctx, uint32_t off)
{
    return kw_key(ctx, off);
}

static int
kw_key(struct kwalk *w, uint32_t off)
{
    nk k;
    int rc;
    /* As the other walks (export, stats): nesting past the depth limit
     * is an error, and a key met twice (a cycle, or a list shared by two
     * keys) is a corruption rather than a second visit. */
    if (w->depth > w->h->lim_depth)
        return depth_err(w->h, off);
    if ((rc = nk_get(w->h, off, &k)) < 0)
        return rc;
    if (off >= w->end) /* only if fn grew the hive, which it must not */
        return hive_err(w->h, RH_EINVAL, "hive changed during rh_key_walk");
    if (seen_test_set(&w->seen, off))
        return CORRUPT(w->h, off, "key reached twice");
    if ((rc = w->fn(w->ctx, off, w->depth)) != 0)
        return rc == RH_WALK_SKIP ? 0 : rc;
    if (k.nsub == 0)
        return 0;
    w->depth++;
    rc = list_foreach(w->h, k.subs, kw_child, w);
    w->depth--;
    return rc;
}

int
rh_key_walk(rh_hive *h, rh_key start, rh_walk_fn fn, void *ctx)
{
    struct kwalk w = {h, fn, ctx, {0}, 0, h->bins_end};
    int rc;
    if (!fn)
        return hive_err(h, RH_EINVAL, "rh_key_walk: no callback");
    if ((rc = seen_init(h, &w.seen)) < 0)
        return rc;
    rc = kw_key(&w, start);
    seen_free(&w.seen);
    return rc;
}
