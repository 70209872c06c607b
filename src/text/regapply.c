/*
 * regapply.c - apply a parsed .reg document to a writable hive with
 * regedit's semantics (text-format layer: only the public model API, plus
 * hive_err for messages).  Keys are mapped into the hive by a root prefix
 * (rh_reg_map_key), walked component by component (names may hold NUL),
 * and created, deleted or given values in document order.
 */
#include "hive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN 64 /* path components remembered between operations */

typedef struct ap {
    rh_hive *h;
    const char *prefix;
    int per_key; /* map each key by its own root (rh_hive_root) */
    unsigned flags;
    rh_reg_skip_fn skip;
    void *ctx;
    rh_reg_stats *st;
    /* The components of the last path resolved and their keys: the next
     * path usually shares most of them (cleared when a key is deleted). */
    const char *last;   /* that path (borrowed from the doc) */
    size_t ends[CHAIN]; /* end of component i in last */
    rh_key chain[CHAIN];
    size_t depth;
    /* The key of the last [KEY] operation: its values follow it. */
    const char *cur_path; /* op.key pointer (borrowed from the doc) */
    rh_key cur;           /* 0 when the key lies outside the hive */
    int cur_outside;
} ap;

static int
ieq_ascii(const char *a, size_t n, const char *b)
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

/* The control set Select\Current names ("ControlSet00N" into name), or 0
 * when the hive has no usable Select\Current. */
static int
current_set(rh_hive *h, char *name, size_t cap)
{
    rh_key sel;
    rh_value v;
    uint32_t type, cur;
    size_t len;
    uint8_t b[4];
    if (rh_key_subkey(h, rh_hive_root(h), "Select", 6, &sel) < 0 ||
        rh_key_value(h, sel, "Current", 7, &v) < 0 ||
        rh_value_data_buf(h, v, &type, b, sizeof b, &len) < 0 || len != 4)
        return 0;
    cur = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
          (uint32_t)b[3] << 24;
    snprintf(name, cap, "ControlSet%03u", cur);
    return 1;
}

/* Resolve the hive-relative path rel[0..n) from the root; with create,
 * missing keys are added (*created counts them).  A first component
 * CurrentControlSet that is not a real key goes to the set Select\Current
 * names, read now (earlier operations may have changed it; such paths are
 * not remembered).  Returns 0, RH_ENOTFOUND (absent, without create) or an
 * error.  The components shared with the previous path are not looked up
 * again. */
static int
resolve(ap *a, const char *rel, size_t n, int create, rh_key *out,
        size_t *created)
{
    rh_hive *h = a->h;
    rh_key k = rh_hive_root(h), next;
    int rc, cacheable = 1;
    size_t i = 0, d = 0;
    char cs[32]; /* ControlSet00N */
    /* Longest run of whole components equal to the remembered path. */
    while (d < a->depth) {
        size_t e = a->ends[d];
        if (e > n || (e < n && rel[e] != '\\') ||
            memcmp(rel + i, a->last + i, e - i) != 0)
            break;
        k = a->chain[d];
        i = e + 1;
        d++;
    }
    a->depth = d;
    for (; i < n;) {
        const char *s = rel + i, *e = memchr(s, '\\', n - i);
        size_t m = e ? (size_t)(e - s) : n - i, end = i + m;
        i = end + 1;
        if (m == 0)
            continue;
        if (d == 0 && ieq_ascii(s, m, "CurrentControlSet") &&
            rh_key_subkey(h, k, s, m, &next) == RH_ENOTFOUND) {
            cacheable = 0;
            if (current_set(h, cs, sizeof cs)) {
                s = cs;
                m = strlen(cs);
            }
        }
        if (create) {
            /* rh_key_add finds an existing key by binary search. */
            int c = 0;
            rc = rh_key_add(h, k, s, m, &next, &c);
            if (rc == 0 && c && created)
                (*created)++;
        } else {
            rc = rh_key_subkey(h, k, s, m, &next);
        }
        if (rc < 0)
            return rc;
        k = next;
        if (cacheable && d < CHAIN) {
            a->ends[d] = end;
            a->chain[d] = k;
            a->depth = ++d;
            a->last = rel;
        } else {
            cacheable = 0;
            d++;
        }
    }
    *out = k;
    return 0;
}

/* Record "LINE: [KEY]: what: <the hive's message>" as the error. */
static int
op_err(ap *a, const rh_reg_op *op, int rc, const char *what)
{
    char m[sizeof a->h->msg];
    snprintf(m, sizeof m, "%s", rh_errmsg(a->h));
    return hive_err(a->h, rc, "%u: [%.*s]: %s%s%s", op->line,
                    (int)(op->keylen > 120 ? 120 : op->keylen), op->key, what,
                    *m ? ": " : "", m);
}

/* Map path[0..len) into h: through prefix, or (per_key) by the key's own
 * root when it names h (rh_hive_root: the one rule of what a hive is).
 * 0 with *rest, RH_ENOTFOUND outside (h's message says why when the root
 * names another hive: *other is set then), RH_EINVAL an empty component. */
static int
map_path(rh_hive *h, const char *prefix, int per_key, const char *path,
         size_t len, const char **rest, size_t *restlen, int *other)
{
    size_t rl;
    int rc;
    *other = 0;
    if (!per_key || (len && path[0] == '\\'))
        return rh_reg_map_key(path, len, prefix, rest, restlen);
    if ((rc = rh_path_root(h, path, len, &rl)) < 0) {
        *other = 1;
        return RH_ENOTFOUND;
    }
    if (rl == 0)
        return RH_ENOTFOUND;
    char *root = malloc(rl + 1);
    if (!root)
        return hive_err(h, RH_ENOMEM, "out of memory");
    memcpy(root, path, rl);
    root[rl] = 0;
    rc = rh_reg_map_key(path, len, root, rest, restlen);
    free(root);
    return rc;
}

/* Map op's key; 1 when it lies outside the hive, 0 inside, <0 error.
 * *other (may be NULL) is set when its root names another hive. */
static int
map(ap *a, const rh_reg_op *op, const char **rel, size_t *n, int *other)
{
    int oth;
    int rc = map_path(a->h, a->prefix, a->per_key, op->key, op->keylen, rel, n,
                      &oth);
    int shown = (int)(op->keylen > 120 ? 120 : op->keylen);
    if (other)
        *other = oth;
    if (rc == RH_EINVAL)
        return hive_err(a->h, rc, "%u: [%.*s]: empty component in key path",
                        op->line, shown, op->key);
    if (rc == RH_ENOTFOUND) {
        if (!(a->flags & RH_REG_APPLY_STRICT))
            return 1;
        if (oth) {
            char m[sizeof a->h->msg];
            snprintf(m, sizeof m, "%s", rh_errmsg(a->h));
            return hive_err(a->h, RH_EINVAL, "%u: [%.*s]: %s", op->line, shown,
                            op->key, m);
        }
        return hive_err(
            a->h, RH_EINVAL, "%u: [%.*s]: key is outside the hive (prefix %s)",
            op->line, shown, op->key, a->prefix ? a->prefix : "none");
    }
    return rc;
}

static int
apply_op(ap *a, const rh_reg_op *op)
{
    rh_hive *h = a->h;
    const char *rel;
    size_t n;
    int rc, out;
    rh_key k;
    if (op->kind == RH_REG_OP_SET_VALUE || op->kind == RH_REG_OP_DELETE_VALUE) {
        if (op->key == a->cur_path && a->cur_outside)
            return 0; /* reported with its key */
        if (op->key == a->cur_path && a->cur) {
            k = a->cur;
        } else {
            if ((out = map(a, op, &rel, &n, NULL)) != 0)
                return out < 0 ? out : 0;
            if ((rc = resolve(a, rel, n, 1, &k, &a->st->keys_created)) < 0)
                return op_err(a, op, rc, "cannot create key");
        }
        if (op->kind == RH_REG_OP_SET_VALUE) {
            rc = rh_value_set(h, k, op->name, op->namelen, op->type, op->data,
                              op->len);
            if (rc < 0)
                return op_err(a, op, rc, "cannot set value");
            a->st->values_set++;
            return 0;
        }
        rc = rh_value_delete(h, k, op->name, op->namelen);
        if (rc == RH_ENOTFOUND) {
            a->st->values_absent++;
            return 0;
        }
        if (rc < 0)
            return op_err(a, op, rc, "cannot delete value");
        a->st->values_deleted++;
        return 0;
    }
    a->cur_path = op->key;
    a->cur = 0;
    a->cur_outside = 0;
    if ((out = map(a, op, &rel, &n, NULL)) < 0)
        return out;
    if (out) {
        a->cur_outside = 1;
        a->st->skipped++;
        if (a->skip)
            a->skip(a->ctx, op);
        return 0;
    }
    if (op->kind == RH_REG_OP_CREATE_KEY) {
        if ((rc = resolve(a, rel, n, 1, &k, &a->st->keys_created)) < 0)
            return op_err(a, op, rc, "cannot create key");
        a->cur = k;
        return 0;
    }
    /* [-KEY]: RegDeleteTree; an absent key is not an error. */
    rc = resolve(a, rel, n, 0, &k, NULL);
    if (rc == RH_ENOTFOUND) {
        a->st->keys_absent++;
        return 0;
    }
    if (rc < 0)
        return op_err(a, op, rc, "cannot look up key");
    if (k == rh_hive_root(h))
        return hive_err(
            h, RH_EINVAL, "%u: [-%.*s]: the hive root cannot be deleted",
            op->line, (int)(op->keylen > 120 ? 120 : op->keylen), op->key);
    a->depth = 0; /* remembered handles may lie in the deleted tree */
    if ((rc = rh_key_delete(h, k)) < 0)
        return op_err(a, op, rc, "cannot delete key");
    a->st->keys_deleted++;
    return 0;
}

/* The root prefix of the document's first key that names a standard hive
 * root (malloc'd), or NULL (*oom set when that was for want of memory:
 * going on without the prefix would skip every key as outside the hive
 * and report success). */
static char *
doc_prefix(const rh_reg_doc *doc, int *oom)
{
    rh_reg_op op;
    for (size_t i = 0; rh_reg_doc_op(doc, i, &op) == 0; i++) {
        if (op.kind != RH_REG_OP_CREATE_KEY && op.kind != RH_REG_OP_DELETE_KEY)
            continue;
        if (op.keylen && op.key[0] == '\\')
            continue;
        size_t n = rh_reg_auto_prefix(op.key, op.keylen);
        if (!n)
            return NULL;
        char *p = malloc(n + 1);
        if (p) {
            memcpy(p, op.key, n);
            p[n] = 0;
        }
        *oom = !p;
        return p;
    }
    return NULL;
}

/* Set up a's mapping: prefix as given; NULL (and not NOPREFIX): by each
 * key's own root in a hive whose kind is known, else by the root of the
 * document's first rooted key (*auto_p, malloc'd).  -1: no memory. */
static int
map_init(ap *a, const rh_reg_doc *doc, const char *prefix, unsigned flags,
         char **auto_p)
{
    char kind[64];
    int oom = 0;
    *auto_p = NULL;
    if (!prefix && !(flags & RH_REG_APPLY_NOPREFIX)) {
        if (rh_hive_kind(a->h, kind, sizeof kind) == 0 && kind[0])
            a->per_key = 1;
        else
            prefix = *auto_p = doc_prefix(doc, &oom);
    }
    a->prefix = prefix;
    return oom ? -1 : 0;
}

int
rh_reg_map_op(rh_hive *h, const rh_reg_doc *doc, const char *prefix,
              unsigned flags, const char *path, size_t len, const char **rest,
              size_t *restlen)
{
    ap a;
    char *auto_p;
    int other;
    if (!h || !doc || !path || !rest || !restlen)
        return RH_EINVAL;
    memset(&a, 0, sizeof a);
    a.h = h;
    if (map_init(&a, doc, prefix, flags, &auto_p) < 0)
        return hive_err(h, RH_ENOMEM, "out of memory");
    int rc = map_path(h, a.prefix, a.per_key, path, len, rest, restlen, &other);
    free(auto_p);
    return rc;
}

int
rh_reg_apply(rh_hive *h, const rh_reg_doc *doc, const char *prefix,
             unsigned flags, rh_reg_skip_fn skip, void *ctx,
             rh_reg_stats *stats)
{
    rh_reg_stats dummy;
    ap a;
    rh_reg_op op;
    char *auto_p = NULL;
    int rc = 0;
    if (!h || !doc)
        return RH_EINVAL;
    if (!stats) {
        memset(&dummy, 0, sizeof dummy);
        stats = &dummy;
    }
    memset(&a, 0, sizeof a);
    a.h = h;
    a.flags = flags;
    a.skip = skip;
    a.ctx = ctx;
    a.st = stats;
    if (map_init(&a, doc, prefix, flags, &auto_p) < 0)
        return hive_err(h, RH_ENOMEM, "out of memory");
    /* Pass 1: every key maps (or is outside and may be), before any
     * change.  Mapped by their own roots, keys that all name other hives
     * mean the document was meant for another hive: refused whole (a
     * SYSTEM .reg into SOFTWARE would otherwise write nothing and say
     * little, or, mapped by its first root, write \CurrentControlSet). */
    size_t inside = 0, first_other = 0;
    int have_other = 0;
    char why[sizeof h->msg];
    for (size_t i = 0; rh_reg_doc_op(doc, i, &op) == 0; i++) {
        const char *rel;
        size_t n;
        int other;
        if (op.kind != RH_REG_OP_CREATE_KEY && op.kind != RH_REG_OP_DELETE_KEY)
            continue;
        if ((rc = map(&a, &op, &rel, &n, &other)) < 0)
            goto out;
        if (rc == 0)
            inside++;
        else if (other && !have_other) {
            have_other = 1;
            first_other = i;
            snprintf(why, sizeof why, "%s", rh_errmsg(h));
        }
    }
    rc = 0;
    if (have_other && !inside) {
        rh_reg_doc_op(doc, first_other, &op);
        rc = hive_err(h, RH_EINVAL,
                      "%u: %s, and no key of the document is in it (a "
                      "prefix chooses where keys go)",
                      op.line, why);
        goto out;
    }
    if (flags & RH_REG_APPLY_VALIDATE)
        goto out;
    /* Progress: operations done of the document's total, at the start,
     * every 1024 operations and at the end (not after an error). */
    uint64_t total = rh_reg_doc_count(doc), done = 0;
    if (h->progress)
        h->progress(h->progress_ctx, 0, total);
    for (size_t i = 0; rh_reg_doc_op(doc, i, &op) == 0; i++) {
        if ((rc = apply_op(&a, &op)) < 0)
            break;
        if (h->progress && ++done % 1024 == 0 && done < total)
            h->progress(h->progress_ctx, done, total);
    }
    if (rc >= 0 && h->progress)
        h->progress(h->progress_ctx, total, total);
out:
    free(auto_p);
    return rc;
}
