/*
 * copy.c - copying a key with everything it owns, within a hive, between
 * hives, into a new hive (rh_key_save) and into a packed rewrite of the
 * hive itself (rh_compact).  Model layer, over edit.c's helpers.  Cells
 * come from the destination's allocator: its free space (copies), or its
 * append mode, which lays a new image out in tree order with no holes
 * (save, compact).  Every write into a cell goes through cell_mut.
 */
#include "edit.h"

#include <stdlib.h>
#include <string.h>

/* Source sk offset -> destination sk offset (open addressing). */
typedef struct skmap {
    uint32_t *key, *val;
    size_t cap, n;
} skmap;

typedef struct cp {
    rh_hive *s, *d;
    int mirror;       /* save/compact: list shapes and kinds as the source */
    int keepflags;    /* save/compact: every nk flag as stored */
    uint32_t sk_head; /* first sk cell of the destination list; 0 none */
    uint32_t room;    /* levels the copy may reach below the copied key */
    skmap map;
    sbuf tmp;
} cp;

static int
oom(rh_hive *h)
{
    return hive_err(h, RH_ENOMEM, "out of memory");
}

/* ---- sk map ----------------------------------------------------------- */

static int
map_get(const skmap *m, uint32_t k, uint32_t *v)
{
    if (!m->cap)
        return 0;
    for (size_t i = (k * 2654435761u) & (m->cap - 1);;
         i = (i + 1) & (m->cap - 1)) {
        if (m->key[i] == k) {
            *v = m->val[i];
            return 1;
        }
        if (m->key[i] == 0)
            return 0;
    }
}

static int
map_put(skmap *m, uint32_t k, uint32_t v)
{
    if (2 * (m->n + 1) > m->cap) {
        skmap g = {NULL, NULL, m->cap ? 2 * m->cap : 64, 0};
        g.key = calloc(g.cap, sizeof *g.key);
        g.val = calloc(g.cap, sizeof *g.val);
        if (!g.key || !g.val) {
            free(g.key);
            free(g.val);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->key[i])
                map_put(&g, m->key[i], m->val[i]);
        free(m->key);
        free(m->val);
        *m = g;
    }
    size_t i = (k * 2654435761u) & (m->cap - 1);
    while (m->key[i] && m->key[i] != k)
        i = (i + 1) & (m->cap - 1);
    m->n += !m->key[i];
    m->key[i] = k; /* sk offsets are never 0 (the first bin's header) */
    m->val[i] = v;
    return 0;
}

static void
cp_free(cp *c)
{
    free(c->map.key);
    free(c->map.val);
    sbuf_free(&c->tmp);
}

/* ---- security --------------------------------------------------------- */

/* The destination sk for the source sk ssk, one more reference counted. */
static int
sk_for(cp *c, uint32_t ssk, uint32_t *out)
{
    rh_hive *s = c->s, *d = c->d;
    span sc;
    uint32_t got, off;
    int rc;
    if (s == d) {
        *out = ssk;
        return sk_ref(d, ssk, 1);
    }
    if (map_get(&c->map, ssk, &got)) {
        *out = got;
        return sk_ref(d, got, 1);
    }
    if ((rc = cell_get_sig(s, ssk, "sk", &sc)) < 0)
        return rc;
    uint32_t sdlen = rd_u32(sc, SK_SDLEN);
    if (!span_has(sc, SK_SD, sdlen))
        return CORRUPT(s, ssk,
                       "security descriptor of %u bytes exceeds its "
                       "cell",
                       sdlen);
    const uint8_t *sd = sc.p + SK_SD; /* s's image never moves here */
    if (!c->mirror && c->sk_head) {   /* an identical descriptor? */
        uint32_t at = c->sk_head;
        for (size_t i = 0; i < 1000000; i++) {
            span dc;
            if ((rc = cell_get_sig(d, at, "sk", &dc)) < 0)
                return rc;
            if (rd_u32(dc, SK_SDLEN) == sdlen && span_has(dc, SK_SD, sdlen) &&
                memcmp(dc.p + SK_SD, sd, sdlen) == 0) {
                if (map_put(&c->map, ssk, at) < 0)
                    return oom(d);
                *out = at;
                return sk_ref(d, at, 1);
            }
            if ((at = rd_u32(dc, SK_FLINK)) == c->sk_head)
                break;
        }
    }
    uint8_t *p;
    if ((rc = cell_alloc(d, SK_SD + sdlen, &off)) < 0 ||
        (rc = cell_mut(d, off, 0, SK_SD + sdlen, &p)) < 0)
        return rc;
    p[0] = 's';
    p[1] = 'k';
    wr_u32(p + SK_REFS, 1);
    wr_u32(p + SK_SDLEN, sdlen);
    memcpy(p + SK_SD, sd, sdlen);
    if (!c->sk_head) {
        wr_u32(p + SK_FLINK, off);
        wr_u32(p + SK_BLINK, off);
        c->sk_head = off;
    } else { /* link in last: before the head */
        span hc, tc;
        if ((rc = cell_get_sig(d, c->sk_head, "sk", &hc)) < 0)
            return rc;
        uint32_t tail = rd_u32(hc, SK_BLINK);
        if ((rc = cell_get_sig(d, tail, "sk", &tc)) < 0 ||
            (rc = cell_put_u32(d, off, SK_FLINK, c->sk_head)) < 0 ||
            (rc = cell_put_u32(d, off, SK_BLINK, tail)) < 0 ||
            (rc = cell_put_u32(d, tail, SK_FLINK, off)) < 0 ||
            (rc = cell_put_u32(d, c->sk_head, SK_BLINK, off)) < 0)
            return rc;
    }
    if (map_put(&c->map, ssk, off) < 0)
        return oom(d);
    *out = off;
    return 0;
}

/* ---- values ----------------------------------------------------------- */

/* Copy the value at svoff; *out is the new vk cell. */
static int
cp_value(cp *c, uint32_t svoff, uint32_t *out)
{
    rh_hive *s = c->s, *d = c->d;
    vk v;
    span data;
    uint8_t head[VK_NAME];
    uint8_t *buf = NULL;
    uint32_t off, rawlen = 0, doff = 0;
    int rc;
    if ((rc = vk_get(s, svoff, &v)) < 0)
        return rc;
    memcpy(head, v.cell.p, VK_NAME);
    size_t nb = v.name.n, len = vk_len(&v);
    if (!(buf = malloc(nb + len + 1)))
        return oom(d);
    memcpy(buf, v.name.p, nb);
    if (len) {
        if ((rc = vk_data(s, &v, &data, &c->tmp)) < 0)
            goto out;
        if (data.n < len) {
            rc = CORRUPT(s, svoff, "value data shorter than its length");
            goto out;
        }
        memcpy(buf + nb, data.p, len);
    }
    uint8_t *p;
    if ((rc = cell_alloc(d, (uint32_t)(VK_NAME + nb), &off)) < 0 ||
        (rc = data_store(d, buf + nb, (uint32_t)len, &rawlen, &doff)) < 0 ||
        (rc = cell_mut(d, off, 0, VK_NAME + nb, &p)) < 0)
        goto out;
    memcpy(p, head, VK_NAME);
    memcpy(p + VK_NAME, buf, nb);
    wr_u32(p + VK_DATALEN, rawlen);
    wr_u32(p + VK_DATA, doff);
    *out = off;
out:
    free(buf);
    return rc;
}

/* ---- keys ------------------------------------------------------------- */

/* Shape of a subkey list: leaves (kind, count) in order; ri if more. */
typedef struct shape {
    char (*sig)[2];
    size_t *cnt;
    size_t nleaf;
} shape;

/* The source list's own shape when it holds exactly n keys in leaves of
 * known kinds, else 0. */
static int
shape_mirror(rh_hive *s, uint32_t list, size_t n, shape *sh)
{
    span top, lc;
    if (cell_get(s, list, &top) < 0)
        return 0;
    size_t m = rd_sig(top, 0, "ri") ? rd_u16(top, LIST_COUNT) : 1, tot = 0;
    if (m == 0 || (m > 1 && !span_has(top, LIST_ELEMS, m * 4)))
        return 0;
    if (!(sh->sig = malloc(m * sizeof *sh->sig)) ||
        !(sh->cnt = malloc(m * sizeof *sh->cnt)))
        return 0;
    for (size_t i = 0; i < m; i++) {
        if (rd_sig(top, 0, "ri")) {
            if (cell_get(s, rd_u32(top, LIST_ELEMS + 4 * i), &lc) < 0)
                return 0;
        } else {
            lc = top;
        }
        if (!rd_sig(lc, 0, "li") && !rd_sig(lc, 0, "lf") &&
            !rd_sig(lc, 0, "lh"))
            return 0;
        sh->sig[i][0] = (char)lc.p[0];
        sh->sig[i][1] = (char)lc.p[1];
        sh->cnt[i] = rd_u16(lc, LIST_COUNT);
        tot += sh->cnt[i];
    }
    sh->nleaf = m;
    return tot == n;
}

/* Leaves of kind sig of at most LEAF_MAX keys, counts as even as
 * leaf_insert splits them. */
static int
shape_new(const char *sig, size_t n, shape *sh)
{
    size_t m = n <= LEAF_MAX ? 1 : (n + LEAF_MAX - 1) / LEAF_MAX;
    free(sh->sig);
    free(sh->cnt);
    if (!(sh->sig = malloc(m * sizeof *sh->sig)) ||
        !(sh->cnt = malloc(m * sizeof *sh->cnt)))
        return -1;
    for (size_t i = 0; i < m; i++) {
        sh->sig[i][0] = sig[0];
        sh->sig[i][1] = sig[1];
        sh->cnt[i] = n / m + (i < n % m);
    }
    sh->nleaf = m;
    return 0;
}

static int copy_node(cp *c, uint32_t soff, uint32_t dparent, const uint16_t *u,
                     size_t un, int subs, int depth, uint32_t *out);

/* Copy the subkeys kids[0..n) of the source key with list slist under
 * the new key off, with a list of the same order. */
static int
copy_kids(cp *c, uint32_t off, uint32_t slist, const rh_key *kids, size_t n,
          int depth)
{
    rh_hive *d = c->d;
    shape sh = {NULL, NULL, 0};
    uint32_t *leaf = NULL, *dk = NULL, ri = 0;
    uint8_t e[8];
    int rc = 0;
    if (!c->mirror || !shape_mirror(c->s, slist, n, &sh)) {
        const char *kind = default_kind(d);
        if (c->s == d) { /* keep the list kind the hive uses */
            span top;
            if (cell_get(d, slist, &top) == 0 && !rd_sig(top, 0, "ri") &&
                (rd_sig(top, 0, "lf") || rd_sig(top, 0, "li") ||
                 rd_sig(top, 0, "lh")))
                kind = (const char *)top.p;
        }
        char k2[2] = {kind[0], kind[1]};
        if (shape_new(k2, n, &sh) < 0) {
            rc = oom(d); /* out frees the half-made shape */
            goto out;
        }
    }
    if (!(leaf = calloc(sh.nleaf, sizeof *leaf)) ||
        !(dk = calloc(n ? n : 1, sizeof *dk))) {
        rc = oom(d);
        goto out;
    }
    if (sh.nleaf > 1 &&
        (rc = cell_alloc(d, (uint32_t)(LIST_ELEMS + 4 * sh.nleaf), &ri)) < 0)
        goto out;
    for (size_t i = 0; i < sh.nleaf; i++) {
        size_t es = sh.sig[i][1] == 'i' ? 4 : 8;
        if ((rc = cell_alloc(d, (uint32_t)(LIST_ELEMS + es * sh.cnt[i]),
                             &leaf[i])) < 0)
            goto out;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = copy_node(c, kids[i], off, NULL, 0, 1, depth + 1, &dk[i])) <
            0)
            goto out;
    for (size_t i = 0, at = 0; i < sh.nleaf; i++) {
        size_t es = sh.sig[i][1] == 'i' ? 4 : 8;
        uint8_t *p;
        for (size_t j = 0; j < sh.cnt[i]; j++, at++)
            if ((rc = elem_make(d, sh.sig[i], dk[at], e)) < 0 ||
                (rc = cell_put(d, leaf[i], LIST_ELEMS + j * es, e, es)) < 0)
                goto out;
        if ((rc = cell_mut(d, leaf[i], 0, LIST_ELEMS, &p)) < 0)
            goto out;
        p[0] = (uint8_t)sh.sig[i][0];
        p[1] = (uint8_t)sh.sig[i][1];
        wr_u16(p + LIST_COUNT, (uint16_t)sh.cnt[i]);
        if (ri && (rc = cell_put_u32(d, ri, LIST_ELEMS + 4 * i, leaf[i])) < 0)
            goto out;
    }
    uint8_t *p;
    if (ri) {
        if ((rc = cell_mut(d, ri, 0, LIST_ELEMS, &p)) < 0)
            goto out;
        p[0] = 'r';
        p[1] = 'i';
        wr_u16(p + LIST_COUNT, (uint16_t)sh.nleaf);
    }
    if ((rc = cell_mut(d, off, 0, NK_NAME, &p)) < 0)
        goto out;
    wr_u32(p + NK_SUBKEYS, ri ? ri : leaf[0]);
    wr_u32(p + NK_NSUBKEYS, (uint32_t)n);
out:
    free(sh.sig);
    free(sh.cnt);
    free(leaf);
    free(dk);
    return rc;
}

/* Copy key soff (named u when u, else as stored) under dparent, with
 * its subkeys when subs; *out gets the new key.  In tree order: the key
 * node, its sk at first use, class, value list, values and data, subkey
 * lists, then the subkeys. */
static int
copy_node(cp *c, uint32_t soff, uint32_t dparent, const uint16_t *u, size_t un,
          int subs, int depth, uint32_t *out)
{
    rh_hive *s = c->s, *d = c->d;
    uint8_t hdr[NK_NAME];
    uint8_t *name = NULL, *cls = NULL;
    uint32_t *vals = NULL;
    rh_key *kids = NULL;
    size_t nb, nkids = 0, clslen = 0;
    uint32_t off, x;
    int comp, rc;
    nk k;
    if ((uint32_t)depth > c->room) /* a source deeper than it may be */
        return depth > RH_MAX_DEPTH
                   ? CORRUPT(s, soff, "key nesting deeper than %d levels",
                             RH_MAX_DEPTH)
                   : hive_err(d, RH_ERANGE,
                              "the copy would nest keys deeper than the "
                              "%d levels Windows allows",
                              RH_MAX_DEPTH);
    if ((rc = nk_get(s, soff, &k)) < 0)
        return rc;
    memcpy(hdr, k.cell.p, NK_NAME);
    comp = u ? name_fits_latin1(u, un) : k.comp;
    nb = u ? (comp ? un : 2 * un) : k.name.n;
    if (!(name = malloc(nb + 1)))
        return oom(d);
    if (u)
        name_store(name, u, un, comp);
    else
        memcpy(name, k.name.p, nb);
    if (k.clslen && k.cls != CELL_NIL) {
        span cc;
        if ((rc = cell_get(s, k.cls, &cc)) < 0)
            goto out;
        if (!span_has(cc, 0, k.clslen)) {
            rc = CORRUPT(s, k.cls, "class name exceeds its cell");
            goto out;
        }
        clslen = k.clslen;
        if (!(cls = malloc(clslen))) {
            rc = oom(d);
            goto out;
        }
        memcpy(cls, cc.p, clslen);
    }
    if (k.nval) {
        span list;
        if ((rc = nk_values(s, &k, &list)) < 0)
            goto out;
        if (!(vals = malloc(k.nval * sizeof *vals))) {
            rc = oom(d);
            goto out;
        }
        for (uint32_t i = 0; i < k.nval; i++)
            vals[i] = rd_u32(list, 4 * i);
    }
    if (subs && k.nsub && k.subs != CELL_NIL &&
        (rc = rh_key_subkeys(s, soff, &kids, &nkids)) < 0)
        goto out;
    uint32_t nval = k.nval, ssk = k.sk, slist = k.subs;
    /* s's image may move from here on when s == d: k is stale. */
    uint8_t *p;
    if ((rc = cell_alloc(d, (uint32_t)(NK_NAME + nb), &off)) < 0 ||
        (rc = cell_mut(d, off, 0, NK_NAME + nb, &p)) < 0)
        goto out;
    span hs = {hdr, NK_NAME};
    uint16_t fl = rd_u16(hs, NK_FLAGS) & (uint16_t)~NK_COMP_NAME;
    if (!c->keepflags) {
        fl &= (uint16_t)~RH_KEY_HIVE_ENTRY;
        if (soff == s->root)
            fl &= (uint16_t)~RH_KEY_NO_DELETE;
    }
    memcpy(p, hdr, NK_NAME);
    memcpy(p + NK_NAME, name, nb);
    wr_u16(p + NK_FLAGS, (uint16_t)(fl | (comp ? NK_COMP_NAME : 0)));
    wr_u32(p + NK_PARENT, dparent);
    wr_u32(p + NK_NSUBKEYS, 0);
    wr_u32(p + NK_NVSUBKEYS, 0);
    wr_u32(p + NK_SUBKEYS, CELL_NIL);
    wr_u32(p + NK_VSUBKEYS, CELL_NIL);
    wr_u32(p + NK_NVALUES, 0);
    wr_u32(p + NK_VALUES, CELL_NIL);
    wr_u32(p + NK_SECURITY, CELL_NIL);
    wr_u32(p + NK_CLASS, CELL_NIL);
    wr_u16(p + NK_CLASSLEN, 0);
    wr_u16(p + NK_NAMELEN, (uint16_t)nb);
    if (!nkids) {
        wr_u32(p + NK_MAXNAME, rd_u32(hs, NK_MAXNAME) & 0xFFFF0000u);
        wr_u32(p + NK_MAXCLASS, 0);
    }
    if (!nval) {
        wr_u32(p + NK_MAXVALNAME, 0);
        wr_u32(p + NK_MAXVALDATA, 0);
    }
    *out = off;
    if ((rc = sk_for(c, ssk, &x)) < 0 ||
        (rc = cell_put_u32(d, off, NK_SECURITY, x)) < 0)
        goto out;
    if (clslen) {
        if ((rc = cell_alloc(d, (uint32_t)clslen, &x)) < 0 ||
            (rc = cell_put(d, x, 0, cls, clslen)) < 0 ||
            (rc = cell_put_u32(d, off, NK_CLASS, x)) < 0 ||
            (rc = cell_put_u16(d, off, NK_CLASSLEN, (uint16_t)clslen)) < 0)
            goto out;
    }
    if (nval) {
        uint32_t vl;
        if ((rc = cell_alloc(d, nval * 4, &vl)) < 0 ||
            (rc = cell_put_u32(d, off, NK_VALUES, vl)) < 0)
            goto out;
        for (uint32_t i = 0; i < nval; i++)
            if ((rc = cp_value(c, vals[i], &x)) < 0 ||
                (rc = cell_put_u32(d, vl, 4 * i, x)) < 0 ||
                (rc = cell_put_u32(d, off, NK_NVALUES, i + 1)) < 0)
                goto out;
    }
    if (nkids)
        rc = copy_kids(c, off, slist, kids, nkids, depth);
out:
    free(name);
    free(cls);
    free(vals);
    free(kids);
    return rc;
}

/* ---- public: copies --------------------------------------------------- */

/* Is k a or inside a's subtree? */
static int
within(rh_hive *h, uint32_t k, uint32_t a)
{
    for (int i = 0; i <= RH_MAX_DEPTH && k; i++) {
        nk n;
        if (k == a)
            return 1;
        if (k == h->root || nk_get(h, k, &n) < 0)
            return 0;
        k = n.parent;
    }
    return 0;
}

/* RH_ERANGE (in d) when a key of the subtree at key of s lies more
 * than room levels below key. */
static int
fits(rh_hive *s, rh_hive *d, uint32_t key, uint32_t room)
{
    rh_key *kids = NULL;
    size_t n = 0;
    nk k;
    int rc;
    if ((rc = nk_get(s, key, &k)) < 0)
        return rc;
    if (k.nsub == 0 || k.subs == CELL_NIL)
        return 0;
    if (room == 0)
        return hive_err(d, RH_ERANGE,
                        "the copy would nest keys deeper than the %d "
                        "levels Windows allows",
                        RH_MAX_DEPTH);
    if ((rc = rh_key_subkeys(s, key, &kids, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fits(s, d, kids[i], room - 1);
    free(kids);
    return rc;
}

/* Levels the subtree of src (in s) may reach below a copy of it whose
 * parent lies dd levels below d's root (depth_room's limit), in *room;
 * RH_ERANGE, before anything is written, when the copy would not fit.
 * A source whose keys lie no deeper than Windows allows has at most
 * RH_MAX_DEPTH - depth(src) levels below src: copied no deeper than it
 * was, it fits without a walk. */
static int
copy_room(rh_hive *s, uint32_t src, rh_hive *d, uint32_t dd, int subs,
          uint32_t *room)
{
    uint32_t sd;
    int rc;
    if (dd + 1 > RH_MAX_DEPTH)
        return hive_err(d, RH_ERANGE,
                        "key would be nested %u levels below the root; "
                        "Windows allows %d",
                        dd + 1, RH_MAX_DEPTH);
    *room = RH_MAX_DEPTH - dd - 1;
    if (!subs)
        return 0;
    if ((rc = key_depth(s, src, &sd)) < 0 ||
        (sd < dd + 1 && (rc = fits(s, d, src, *room)) < 0))
        return s == d || rc == RH_ERANGE
                   ? rc
                   : hive_err(d, rc, "source: %s", rh_errmsg(s));
    return 0;
}

static void
cp_init(cp *c, rh_hive *s, rh_hive *d)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->d = d;
    c->room = RH_MAX_DEPTH;
    nk r;
    if (s != d && d->bins_end && nk_get(d, d->root, &r) == 0)
        c->sk_head = r.sk; /* an existing hive: match its descriptors */
}

int
rh_key_copy(rh_hive *sh, rh_key src, rh_hive *dh, rh_key dparent,
            const char *newname, unsigned flags, rh_key *out)
{
    uint16_t u[256], q[256];
    uint32_t off = 0, other = 0, dd, room;
    long n;
    nk k, p;
    int rc;
    if (!sh || !dh)
        return RH_EINVAL;
    if ((rc = alloc_begin(dh)) < 0)
        return rc;
    if ((rc = nk_get(sh, src, &k)) < 0)
        return sh == dh ? rc : hive_err(dh, rc, "source: %s", rh_errmsg(sh));
    if ((rc = nk_get(dh, dparent, &p)) < 0)
        return rc;
    if (newname) {
        n = name_in(dh, newname, strlen(newname), u, q, 255, "key");
        if (n < 0)
            return (int)n;
        if (n == 0)
            return hive_err(dh, RH_EINVAL, "key name is empty");
        for (long i = 0; i < n; i++)
            if (u[i] == '\\')
                return hive_err(dh, RH_EINVAL, "key name contains '\\'");
    } else {
        n = (long)(k.comp ? k.name.n : k.name.n / 2);
        if (n > 255 || n == 0)
            return hive_err(dh, RH_EINVAL, "source key name of %ld characters",
                            n);
        for (long i = 0; i < n; i++)
            u[i] = k.comp ? k.name.p[i] : rd_u16(k.name, 2 * (size_t)i);
        for (long i = 0; i < n; i++)
            q[i] = upcase(u[i]);
    }
    if (sh == dh && within(dh, dparent, src))
        return hive_err(dh, RH_EINVAL,
                        "cannot copy a key into its own subtree");
    if ((rc = key_depth(dh, dparent, &dd)) < 0 ||
        (rc = copy_room(sh, src, dh, dd, (flags & RH_COPY_SUBKEYS) != 0,
                        &room)) < 0)
        return rc;
    rc = p.nsub && p.subs != CELL_NIL
             ? list_find(dh, p.subs, q, (size_t)n, &other)
             : RH_ENOTFOUND;
    if (rc == 0) {
        if (!(flags & RH_COPY_REPLACE))
            return hive_err(dh, RH_EINVAL, "the destination key exists");
        if (sh == dh && within(dh, src, other))
            return hive_err(dh, RH_EINVAL,
                            "the destination key holds the source");
        if ((rc = rh_key_delete(dh, other)) < 0)
            return rc;
    } else if (rc != RH_ENOTFOUND) {
        return rc;
    }
    cp c;
    cp_init(&c, sh, dh);
    c.room = room;
    rc = copy_node(&c, src, dparent, newname ? u : NULL, (size_t)n,
                   (flags & RH_COPY_SUBKEYS) != 0, 0, &off);
    cp_free(&c);
    if (rc < 0 || (rc = list_insert(dh, dparent, off, q, (size_t)n)) < 0)
        return rc;
    nk nn;
    if ((rc = nk_get(dh, off, &nn)) < 0)
        return rc;
    if (nn.clslen && (rc = nk_get(dh, dparent, &p)) == 0 &&
        rd_u32(p.cell, NK_MAXCLASS) < nn.clslen)
        rc = cell_put_u32(dh, dparent, NK_MAXCLASS, nn.clslen);
    if (rc < 0)
        return rc;
    if (out)
        *out = off;
    return 0;
}

/* The overwrite decision for a value that exists at the destination. */
typedef struct asker {
    rh_overwrite_fn fn; /* NULL: RH_COPY_REPLACE decides */
    void *ctx;
} asker;

static int
merge(rh_hive *sh, rh_key src, rh_hive *dh, rh_key dst, unsigned flags,
      const asker *ask, size_t *changed, int depth)
{
    rh_value *vals = NULL;
    rh_key *kids = NULL;
    size_t n = 0;
    int rc;
    if (depth > RH_MAX_DEPTH)
        return hive_err(dh, RH_ERANGE, "key nesting deeper than %d levels",
                        RH_MAX_DEPTH);
    if ((rc = rh_key_values(sh, src, &vals, &n)) < 0)
        return sh == dh ? rc : hive_err(dh, rc, "source: %s", rh_errmsg(sh));
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *name = NULL;
        void *data = NULL;
        size_t nl, dl;
        uint32_t type;
        rh_value v;
        int put = 1;
        if ((rc = rh_value_name(sh, vals[i], &name, &nl)) == 0 &&
            rh_key_value(dh, dst, name, nl, &v) == 0) {
            put = ask->fn ? ask->fn(ask->ctx, dh, dst, name)
                          : (flags & RH_COPY_REPLACE) != 0;
            if (put < 0)
                rc = hive_err(dh, RH_ECANCEL, "copy stopped at value %s", name);
        }
        if (rc == 0 && put > 0 &&
            (rc = rh_value_data(sh, vals[i], &type, &data, &dl)) == 0 &&
            (rc = rh_value_set(dh, dst, name, nl, type, data, dl)) == 0)
            (*changed)++;
        free(name);
        free(data);
    }
    free(vals);
    if (rc < 0 || !(flags & RH_COPY_SUBKEYS))
        return rc;
    if ((rc = rh_key_subkeys(sh, src, &kids, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *name = NULL;
        size_t nl;
        rh_key dk;
        if ((rc = rh_key_name(sh, kids[i], &name, &nl)) < 0)
            break;
        if (rh_key_subkey(dh, dst, name, nl, &dk) == 0) {
            rc = merge(sh, kids[i], dh, dk, flags, ask, changed, depth + 1);
        } else if ((rc = rh_key_copy(sh, kids[i], dh, dst, NULL,
                                     RH_COPY_SUBKEYS, NULL)) == 0) {
            (*changed)++;
        }
        free(name);
    }
    free(kids);
    return rc;
}

int
rh_key_copy_into(rh_hive *sh, rh_key src, rh_hive *dh, rh_key dst,
                 unsigned flags, size_t *changed)
{
    return rh_key_copy_into_ask(sh, src, dh, dst, flags, NULL, NULL, changed);
}

int
rh_key_copy_into_ask(rh_hive *sh, rh_key src, rh_hive *dh, rh_key dst,
                     unsigned flags, rh_overwrite_fn fn, void *ctx,
                     size_t *changed)
{
    asker ask = {fn, ctx};
    size_t dummy = 0;
    uint32_t dd, room;
    nk k;
    int rc;
    if (!sh || !dh)
        return RH_EINVAL;
    if (!changed)
        changed = &dummy;
    *changed = 0;
    if ((rc = alloc_begin(dh)) < 0)
        return rc;
    if ((rc = nk_get(sh, src, &k)) < 0 || (rc = nk_get(dh, dst, &k)) < 0)
        return rc;
    if (sh == dh && within(dh, dst, src))
        return hive_err(dh, RH_EINVAL,
                        "cannot copy a key into itself or its "
                        "own subtree");
    /* src's subkeys land under dst: as a copy under dst's parent. */
    if ((flags & RH_COPY_SUBKEYS) &&
        ((rc = key_depth(dh, dst, &dd)) < 0 ||
         (dd > 0 && (rc = copy_room(sh, src, dh, dd - 1, 1, &room)) < 0)))
        return rc;
    return merge(sh, src, dh, dst, flags, &ask, changed, 0);
}

/* ---- public: save and compact ----------------------------------------- */

/* Lay out a new image holding key k of s (and its subtree) as its root,
 * in *out, with d's allocator in append mode; base is the base block to
 * start from. */
static int
build(rh_hive *s, rh_key k, const uint8_t *base, int as_root, rh_hive **out)
{
    rh_hive *d = calloc(1, sizeof *d);
    cp c;
    uint32_t root;
    uint8_t *p;
    nk r;
    int rc;
    *out = d;
    if (!d)
        return RH_ENOMEM;
    hive_defaults(d, RH_OPEN_WRITE);
    /* New bins carry the time of the source's first bin. */
    span sb = {s->data + BASE_SIZE, s->bins_end};
    if ((rc = alloc_append_start(d, base, rd_u64(sb, HBIN_TIME))) < 0)
        return rc;
    if ((rc = nk_get(s, k, &r)) < 0)
        return hive_err(d, rc, "%s", rh_errmsg(s));
    cp_init(&c, s, d);
    c.mirror = c.keepflags = 1;
    rc = copy_node(&c, k, as_root ? 0 : r.parent, NULL, 0, 1, 0, &root);
    cp_free(&c);
    if (rc < 0) {
        if (s->msg[0] && !d->msg[0])
            hive_err(d, rc, "%s", rh_errmsg(s));
        return rc;
    }
    if ((rc = alloc_append_end(d)) < 0)
        return rc;
    if (as_root) {
        if ((rc = cell_mut(d, root, 0, NK_NAME, &p)) < 0)
            return rc;
        span ps = {p, NK_NAME};
        wr_u16(p + NK_FLAGS,
               rd_u16(ps, NK_FLAGS) | RH_KEY_HIVE_ENTRY | RH_KEY_NO_DELETE);
    }
    alloc_set_root(d, root);
    return 0;
}

int
rh_key_save(rh_hive *h, rh_key k, rh_hive **out)
{
    uint8_t base[BASE_SIZE];
    memset(base, 0, sizeof base);
    memcpy(base, "regf", 4);
    wr_u32(base + BASE_SEQ1, 1);
    wr_u32(base + BASE_SEQ2, 1);
    wr_u64(base + BASE_TIME, filetime_now());
    wr_u32(base + BASE_MAJOR, 1);
    wr_u32(base + BASE_MINOR, h->minor);
    wr_u32(base + BASE_FORMAT, 1);
    wr_u32(base + BASE_CLUSTER, 1);
    return build(h, k, base, 1, out);
}

int
rh_compact(rh_hive *h)
{
    rh_hive *n = NULL;
    int rc;
    if ((rc = alloc_begin(h)) < 0)
        return rc;
    rc = build(h, h->root, h->data, 0, &n);
    if (rc < 0) {
        if (n && n->msg[0])
            hive_err(h, rc, "%s", n->msg);
        rh_close(n);
        return rc;
    }
    /* The new image replaces h's; h keeps its path and identity. */
    alloc_adopt(h, n);
    rh_close(n);
    return 0;
}
