/*
 * stats.c - counting: bins and cells (linear), keys and values (tree).
 */
#include "reg.h"

#include <string.h>

struct st {
    rh_hive *h;
    rh_stats *s;
    seen seen;
    int depth;
};

static int st_key(struct st *t, uint32_t off);

static int
st_child(void *ctx, uint32_t off)
{
    return st_key(ctx, off);
}

static int
st_key(struct st *t, uint32_t off)
{
    nk k;
    span list;
    int rc;
    if (t->depth > (int)t->h->lim_depth)
        return depth_err(t->h, off);
    if ((rc = nk_get(t->h, off, &k)) < 0)
        return rc;
    if (seen_test_set(&t->seen, off))
        return CORRUPT(t->h, off, "key reached twice");
    t->s->keys++;
    if ((rc = nk_values(t->h, &k, &list)) < 0)
        return rc;
    for (size_t i = 0; i < k.nval; i++) {
        vk v;
        if ((rc = vk_get(t->h, rd_u32(list, i * 4), &v)) < 0)
            return rc;
        t->s->values++;
        t->s->value_bytes += vk_len(&v);
    }
    if (k.nsub == 0)
        return 0;
    t->depth++;
    rc = list_foreach(t->h, k.subs, st_child, t);
    t->depth--;
    return rc;
}

int
rh_hive_stats(rh_hive *h, rh_stats *out)
{
    span bins = {h->data + BASE_SIZE, h->bins_end};
    struct st t = {h, out, {0}, 0};
    int rc;
    memset(out, 0, sizeof *out);
    out->bins = h->nbins;
    /* Cells were validated at open; walk the same bins to sum them. */
    for (uint32_t off = 0; off < h->bins_end;) {
        uint32_t bsize = rd_u32(bins, off + HBIN_SIZE);
        if (!rd_sig(bins, off, "hb") || bsize < HBIN_PAGE ||
            bsize > h->bins_end - off || rd_u32(bins, off + 4) != off) {
            off += HBIN_PAGE; /* skipped in recovery mode */
            continue;
        }
        for (uint32_t c = off + HBIN_HDR; c < off + bsize;) {
            int32_t sz = (int32_t)rd_u32(bins, c);
            uint32_t n = sz < 0 ? (uint32_t)0 - (uint32_t)sz : (uint32_t)sz;
            if (n < 8 || n > off + bsize - c)
                break;
            if (sz < 0) {
                out->used_cells++;
                out->used_bytes += n;
            } else {
                out->free_cells++;
                out->free_bytes += n;
            }
            c += n;
        }
        off += bsize;
    }
    if ((rc = seen_init(h, &t.seen)) < 0)
        return rc;
    rc = st_key(&t, h->root);
    seen_free(&t.seen);
    return rc;
}
