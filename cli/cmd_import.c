/*
 * cmd_import.c - reghive import HIVE FILE.reg... [--prefix ROOT]
 *                [--encoding CP] [--strict] [--backup] [--dry-run]
 *                [--hex-verbatim]
 * Every file is parsed completely first (a syntax error anywhere stops
 * everything); --dry-run then prints the plan against the hive as it is
 * now.  Otherwise every file is applied in order to the in-memory hive
 * (rh_reg_apply) and the result committed once: all files or none.
 * Through --windows DIR (win_main passes it on), each key goes to the hive
 * its root maps to, and each changed hive is committed on its own.
 */
#include "cmd.h"
#include "windows.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- reading input ---------------------------------------------------- */

static int
slurp(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0, r;
    struct stat st;
    /* A regular file is read into a buffer of its size (plus one byte,
     * to see the end) at once: no doubling copies. */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size < SIZE_MAX / 2)
        cap = (size_t)st.st_size + 1;
    uint8_t *b = malloc(cap);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!b || bad) {
        fprintf(stderr, "reghive: %s: %s\n", path,
                b ? "read error" : "out of memory");
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* ---- plan state: what earlier operations of the plan did -------------- */

typedef struct ent {
    char *k; /* upcased path, or path "\x01" name for values */
    size_t kn;
    long cre, del;       /* sequence of the last create/set and delete, -1 */
    uint32_t type;       /* value: type and data of the set that made it */
    const uint8_t *data; /* (borrowed from the document) */
    size_t len;
} ent;

typedef struct tab {
    ent *e;
    size_t cap, n;
} tab;

static uint64_t
fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static ent *
tab_find(tab *t, const char *k, size_t kn, int add)
{
    if (add && (t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        ent *e = calloc(cap, sizeof *e);
        if (!e)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->e[i].k)
                continue;
            size_t j = fnv(t->e[i].k, t->e[i].kn) & (cap - 1);
            while (e[j].k)
                j = (j + 1) & (cap - 1);
            e[j] = t->e[i];
        }
        free(t->e);
        t->e = e;
        t->cap = cap;
    }
    if (!t->cap)
        return NULL;
    size_t j = fnv(k, kn) & (t->cap - 1);
    while (t->e[j].k) {
        if (t->e[j].kn == kn && memcmp(t->e[j].k, k, kn) == 0)
            return &t->e[j];
        j = (j + 1) & (t->cap - 1);
    }
    if (!add)
        return NULL;
    char *c = malloc(kn + 1);
    if (!c)
        return NULL;
    memcpy(c, k, kn);
    c[kn] = 0;
    t->e[j].k = c;
    t->e[j].kn = kn;
    t->e[j].cre = t->e[j].del = -1;
    t->n++;
    return &t->e[j];
}

static void
tab_free(tab *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->e[i].k);
    free(t->e);
}

/* ASCII-upcased copy (Windows compares names case-insensitively; the
 * plan state folds ASCII only, the hive lookups fold fully). */
static char *
upcopy(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++)
        c[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    c[n] = 0;
    return c;
}

/* Latest deletion (seq) of path p or one of its ancestors in the plan. */
static long
deleted_at(tab *t, const char *p, size_t n)
{
    long best = -1;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\\')
            continue;
        ent *e = tab_find(t, p, i, 0);
        if (e && e->del > best)
            best = e->del;
    }
    return best;
}

/* ---- the dry run ------------------------------------------------------ */

struct run {
    rh_hive *h;
    tab t;
    long seq;
    const char *file;
    int strict, errors;
    size_t counts[8];
};

static size_t
subtree_count(rh_hive *h, rh_key k, int depth)
{
    rh_key *subs;
    size_t n, total = 0;
    if (depth > RH_MAX_DEPTH || rh_key_subkeys(h, k, &subs, &n) < 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        total += 1 + subtree_count(h, subs[i], depth + 1);
    free(subs);
    return total;
}

/* rh_key_lookup, or a walk by rh_key_subkey when a name holds NUL. */
static int
lookup(rh_hive *h, const char *rel, size_t n, rh_key *k)
{
    if (strlen(rel) == n)
        return rh_key_lookup(h, rel, k);
    rh_key cur = rh_hive_root(h);
    for (size_t i = 0; i < n;) {
        const char *e = memchr(rel + i, '\\', n - i);
        size_t m = e ? (size_t)(e - (rel + i)) : n - i;
        int rc = rh_key_subkey(h, cur, rel + i, m, &cur);
        if (rc < 0)
            return rc;
        i += m + 1;
    }
    *k = cur;
    return 0;
}

/* Does the key exist now (plan first, then the hive)?  *k gets the hive
 * key when the answer comes from the hive. */
static int
key_exists(struct run *r, const char *rel, const char *up, size_t n, rh_key *k)
{
    long del = deleted_at(&r->t, up, n);
    ent *e = tab_find(&r->t, up, n, 0);
    *k = 0;
    /* The hive key counts unless a deletion in the plan removed it. */
    int inhive = del < 0 && lookup(r->h, rel, n, k) == 0;
    if (!inhive)
        *k = 0;
    return inhive || (e && e->cre > del);
}

static void
print_name(const rh_reg_op *op)
{
    if (op->namelen == 0) {
        fputs("@", stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < op->namelen; i++) {
        if (op->name[i] == '"' || op->name[i] == '\\')
            putchar('\\');
        putchar(op->name[i]);
    }
    putchar('"');
}

static void
line_out(struct run *r, const rh_reg_op *op, const char *action,
         const char *rel, int value)
{
    printf("%s:%u: %s: \\%s", r->file, op->line, action, rel);
    if (value) {
        fputs(": ", stdout);
        print_name(op);
    }
    putchar('\n');
}

enum {
    C_ADDKEY,
    C_DELKEY,
    C_SET_NEW,
    C_SET_CHANGED,
    C_SET_SAME,
    C_DELVAL,
    C_SKIP,
    C_NOP
};

static int
plan_op(struct run *r, const rh_reg_doc *doc, const rh_reg_op *op,
        const char *prefix, unsigned mapflags)
{
    const char *rest;
    size_t rn;
    int rc = rh_reg_map_op(r->h, doc, prefix, mapflags, op->key, op->keylen,
                           &rest, &rn);
    int value =
        op->kind == RH_REG_OP_SET_VALUE || op->kind == RH_REG_OP_DELETE_VALUE;
    if (rc == RH_EINVAL) {
        fprintf(stderr, "reghive: %s:%u: empty component in key path '%s'\n",
                r->file, op->line, op->key);
        r->errors++;
        return 0;
    }
    if (rc < 0) {
        if (r->strict) {
            fprintf(stderr,
                    "reghive: %s:%u: key '%s' is outside the hive "
                    "(--strict)\n",
                    r->file, op->line, op->key);
            r->errors++;
            return 0;
        }
        /* Report each outside key once, not every value under it. */
        if (!value) {
            const char *why = rh_errmsg(r->h);
            printf("%s:%u: skip: outside hive: [%s]%s%s%s\n", r->file, op->line,
                   op->key, *why ? " (" : "", why, *why ? ")" : "");
            r->counts[C_SKIP]++;
        }
        return 0;
    }
    char *rel = malloc(rn + 1), *up = upcopy(rest, rn);
    if (!rel || !up) {
        free(rel);
        free(up);
        return -1;
    }
    memcpy(rel, rest, rn);
    rel[rn] = 0;
    long seq = r->seq++;
    rh_key k;
    int exists = key_exists(r, rel, up, rn, &k);
    char action[64];
    switch (op->kind) {
    case RH_REG_OP_CREATE_KEY: {
        line_out(r, op, exists ? "add key (exists)" : "add key (new)", rel, 0);
        r->counts[C_ADDKEY]++;
        /* The key and its missing parents now exist. */
        for (size_t i = 0; i <= rn; i++) {
            if (i < rn && up[i] != '\\')
                continue;
            ent *e = tab_find(&r->t, up, i, 1);
            if (!e) {
                free(rel);
                free(up);
                return -1;
            }
            e->cre = seq;
        }
        break;
    }
    case RH_REG_OP_DELETE_KEY: {
        if (!exists) {
            snprintf(action, sizeof action, "delete key (absent)");
        } else {
            size_t nsub = k ? subtree_count(r->h, k, 0) : 0;
            if (k)
                snprintf(action, sizeof action, "delete key (%zu subkeys)",
                         nsub);
            else
                snprintf(action, sizeof action,
                         "delete key (added by this plan)");
        }
        line_out(r, op, action, rel, 0);
        r->counts[C_DELKEY]++;
        ent *e = tab_find(&r->t, up, rn, 1);
        if (!e) {
            free(rel);
            free(up);
            return -1;
        }
        e->del = seq;
        break;
    }
    default: {
        /* Value state: plan events, then the hive. */
        size_t vn = rn + 1 + op->namelen;
        char *vk = malloc(vn + 1);
        if (!vk) {
            free(rel);
            free(up);
            return -1;
        }
        memcpy(vk, up, rn);
        vk[rn] = 1;
        for (size_t i = 0; i < op->namelen; i++) {
            char c = op->name[i];
            vk[rn + 1 + i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
        }
        ent *e = tab_find(&r->t, vk, vn, 1);
        free(vk);
        if (!e) {
            free(rel);
            free(up);
            return -1;
        }
        long kdel = deleted_at(&r->t, up, rn);
        int have = 0;
        uint32_t otype = 0;
        const void *odata = NULL;
        size_t olen = 0;
        void *hdata = NULL;
        if (e->cre > kdel && e->cre > e->del) {
            have = 1;
            otype = e->type;
            odata = e->data;
            olen = e->len;
        } else if (e->del < 0 && kdel < 0 && k) {
            rh_value v;
            if (rh_key_value(r->h, k, op->name, op->namelen, &v) == 0 &&
                rh_value_data(r->h, v, &otype, &hdata, &olen) == 0) {
                have = 1;
                odata = hdata;
            }
        }
        if (op->kind == RH_REG_OP_DELETE_VALUE) {
            line_out(r, op, have ? "delete value" : "delete value (absent)",
                     rel, 1);
            r->counts[C_DELVAL]++;
            e->del = seq;
        } else {
            const char *what = "set value (new)";
            int c = C_SET_NEW;
            if (have && otype == op->type && olen == op->len &&
                (olen == 0 || memcmp(odata, op->data, olen) == 0)) {
                what = "set value (unchanged)";
                c = C_SET_SAME;
            } else if (have) {
                what = "set value (changed)";
                c = C_SET_CHANGED;
            }
            line_out(r, op, what, rel, 1);
            r->counts[c]++;
            e->cre = seq;
            e->type = op->type;
            e->data = op->data;
            e->len = op->len;
        }
        free(hdata);
        break;
    }
    }
    free(rel);
    free(up);
    return 0;
}

/* ---- applying --------------------------------------------------------- */

struct skip_ctx {
    rh_hive *h;
    const char *file;
};

/* A skipped key, with the reason when its root names another hive. */
static void
skip_cb(void *ctx, const rh_reg_op *op)
{
    struct skip_ctx *c = ctx;
    const char *why = rh_errmsg(c->h);
    int other = strstr(why, " is not this hive") != NULL;
    printf("%s:%u: skip: outside hive: [%s]%s%s%s\n", c->file, op->line,
           op->key, other ? " (" : "", other ? why : "", other ? ")" : "");
}

static const char *
shown(const char *f)
{
    return strcmp(f, "-") == 0 ? "<stdin>" : f;
}

/* Validate every file's key mapping, apply them all, commit once. */
static int
apply_all(const char *hive, const char **files, rh_reg_doc **docs, int nfiles,
          const char *prefix, int strict, int backup)
{
    rh_hive *h = open_hive(hive, RH_OPEN_WRITE);
    if (!h)
        return 1;
    rh_reg_stats st;
    int rc = 1, i;
    unsigned fl = strict ? RH_REG_APPLY_STRICT : 0;
    memset(&st, 0, sizeof st);
    /* prefix NULL: each key by its own root (rh_reg_apply). */
    for (i = 0; i < nfiles; i++) {
        if (rh_reg_apply(h, docs[i], prefix, fl | RH_REG_APPLY_VALIDATE, NULL,
                         NULL, NULL) < 0) {
            fprintf(stderr, "reghive: %s:%s\n", shown(files[i]), rh_errmsg(h));
            fprintf(stderr, "reghive: nothing written\n");
            goto out;
        }
    }
    struct progress pg;
    progress_init(&pg, "import", "operations");
    if (pg.on)
        rh_progress_set(h, progress_update, &pg);
    for (i = 0; i < nfiles; i++) {
        struct skip_ctx sc = {h, shown(files[i])};
        if (rh_reg_apply(h, docs[i], prefix, fl, skip_cb, &sc, &st) < 0) {
            progress_end(&pg);
            fprintf(stderr, "reghive: %s:%s\n", sc.file, rh_errmsg(h));
            fprintf(stderr, "reghive: nothing written\n");
            goto out;
        }
    }
    progress_end(&pg);
    rh_progress_set(h, NULL, NULL);
    printf("import: %zu key%s created, %zu deleted (%zu absent), %zu value%s "
           "set, %zu deleted (%zu absent), %zu key%s skipped\n",
           st.keys_created, st.keys_created == 1 ? "" : "s", st.keys_deleted,
           st.keys_absent, st.values_set, st.values_set == 1 ? "" : "s",
           st.values_deleted, st.values_absent, st.skipped,
           st.skipped == 1 ? "" : "s");
    if (st.keys_created + st.keys_deleted + st.values_set + st.values_deleted ==
        0) {
        printf("nothing to change: %s not written\n", hive);
        rc = 0;
        goto out;
    }
    rc = commit_hive(h, hive, backup ? RH_COMMIT_BACKUP : 0);
out:
    rh_close(h);
    return rc;
}

/* ---- through --windows: every root to its own hive ------------------ */

/* The roots (as first written) that the documents' keys name, one per
 * root compared case-insensitively with short forms equal to long ones. */
struct roots {
    char *name[64];
    size_t n;
};

/* The root of op's key (its length in *n), or NULL when it has none. */
static const char *
op_root(const rh_reg_op *op, size_t *n)
{
    *n = op->keylen && op->key[0] != '\\'
             ? rh_reg_auto_prefix(op->key, op->keylen)
             : 0;
    return *n ? op->key : NULL;
}

/* Does op's key lie under root (rh_reg_map_key's comparison)? */
static int
under_root(const rh_reg_op *op, const char *root)
{
    const char *rest;
    size_t rn;
    size_t n;
    return op_root(op, &n) && rh_reg_map_key(op->key, op->keylen, root, &rest,
                                             &rn) != RH_ENOTFOUND;
}

/* Skip callback of a per-hive apply: keys of other roots are applied by
 * their own hive's pass, so nothing is said. */
static void
skip_quiet(void *ctx, const rh_reg_op *op)
{
    (void)ctx;
    (void)op;
}

/* Collect the distinct roots of every key operation; a key without a
 * standard root is left to the caller.  -1 on no memory or too many. */
static int
collect_roots(rh_reg_doc **docs, int nfiles, struct roots *r)
{
    for (int i = 0; i < nfiles; i++) {
        rh_reg_op op;
        for (size_t j = 0; rh_reg_doc_op(docs[i], j, &op) == 0; j++) {
            size_t n, k;
            if (op.kind != RH_REG_OP_CREATE_KEY &&
                op.kind != RH_REG_OP_DELETE_KEY)
                continue;
            if (!op_root(&op, &n))
                continue;
            for (k = 0; k < r->n; k++)
                if (under_root(&op, r->name[k]))
                    break;
            if (k < r->n)
                continue;
            if (r->n == sizeof r->name / sizeof r->name[0]) {
                fprintf(stderr, "reghive: import: too many registry roots\n");
                return -1;
            }
            if (!(r->name[r->n] = malloc(n + 1)))
                return -1;
            memcpy(r->name[r->n], op.key, n);
            r->name[r->n++][n] = 0;
        }
    }
    return 0;
}

/* Is op's key mapped: under one of the roots that have a hive (ok[k])? */
static int
op_mapped(const rh_reg_op *op, const struct roots *r, const int *ok)
{
    for (size_t k = 0; k < r->n; k++)
        if (ok[k] && under_root(op, r->name[k]))
            return 1;
    return 0;
}

/* import through --windows DIR: each key goes to the hive its root maps
 * to.  Every mapping is checked before anything changes; each changed
 * hive is then committed on its own (atomic per hive, not across). */
static int
import_windows(const char *dir, const char *user, const char **files,
               rh_reg_doc **docs, int nfiles, int strict, int backup, int dry)
{
    struct win w;
    struct win_set set;
    struct roots r;
    int ok[64], rc = 1, errors = 0, i;
    size_t k, skipped = 0;
    rh_reg_stats tot;
    memset(&r, 0, sizeof r);
    memset(&set, 0, sizeof set);
    memset(&tot, 0, sizeof tot);
    if (win_open(&w, dir) < 0)
        return 1;
    set.w = &w;
    set.user = user;
    if (collect_roots(docs, nfiles, &r) < 0)
        goto out;
    /* Which roots have a hive (win_hive_for says why not). */
    for (k = 0; k < r.n; k++) {
        char *f = win_hive_for(&w, user, r.name[k]);
        ok[k] = f != NULL;
        free(f);
    }
    /* Keys without a hive: refused with --strict, else skipped. */
    for (i = 0; i < nfiles; i++) {
        rh_reg_op op;
        for (size_t j = 0; rh_reg_doc_op(docs[i], j, &op) == 0; j++) {
            if (op.kind != RH_REG_OP_CREATE_KEY &&
                op.kind != RH_REG_OP_DELETE_KEY)
                continue;
            if (op_mapped(&op, &r, ok))
                continue;
            if (strict) {
                fprintf(stderr,
                        "reghive: %s:%u: key '%s' maps to no hive of the "
                        "mounted tree (--strict)\n",
                        shown(files[i]), op.line, op.key);
                errors++;
            } else {
                printf("%s:%u: skip: no hive: [%s]\n", shown(files[i]), op.line,
                       op.key);
                skipped++;
            }
        }
    }
    if (errors) {
        fprintf(stderr, "reghive: nothing written\n");
        goto out;
    }
    if (dry) {
        /* The plan of each hive, from the hive as it is now. */
        struct run run;
        memset(&run, 0, sizeof run);
        for (k = 0; k < r.n; k++) {
            if (!ok[k])
                continue;
            char *f = win_hive_for(&w, user, r.name[k]);
            rh_hive *h = f ? open_hive(f, 0) : NULL;
            free(f);
            if (!h)
                goto out;
            tab_free(&run.t);
            memset(&run.t, 0, sizeof run.t);
            run.h = h;
            for (i = 0; i < nfiles; i++) {
                rh_reg_op op;
                run.file = shown(files[i]);
                for (size_t j = 0; rh_reg_doc_op(docs[i], j, &op) == 0; j++) {
                    if (!under_root(&op, r.name[k]))
                        continue;
                    if (plan_op(&run, docs[i], &op, r.name[k],
                                RH_REG_APPLY_NOPREFIX) < 0) {
                        fprintf(stderr, "reghive: out of memory\n");
                        rh_close(h);
                        tab_free(&run.t);
                        goto out;
                    }
                }
            }
            rh_close(h);
        }
        tab_free(&run.t);
        printf("plan: %zu add key, %zu delete key, %zu set value (%zu new, "
               "%zu changed, %zu unchanged), %zu delete value, %zu skipped\n",
               run.counts[C_ADDKEY], run.counts[C_DELKEY],
               run.counts[C_SET_NEW] + run.counts[C_SET_CHANGED] +
                   run.counts[C_SET_SAME],
               run.counts[C_SET_NEW], run.counts[C_SET_CHANGED],
               run.counts[C_SET_SAME], run.counts[C_DELVAL], skipped);
        rc = run.errors ? 1 : 0;
        goto out;
    }
    /* Open every hive and validate every document against it first. */
    rh_hive *hs[64];
    for (k = 0; k < r.n; k++) {
        hs[k] = ok[k] ? win_set_open(&set, r.name[k], NULL) : NULL;
        if (ok[k] && !hs[k])
            goto out;
        for (i = 0; ok[k] && i < nfiles; i++)
            if (rh_reg_apply(hs[k], docs[i], r.name[k],
                             RH_REG_APPLY_NOPREFIX | RH_REG_APPLY_VALIDATE,
                             NULL, NULL, NULL) < 0) {
                fprintf(stderr, "reghive: %s:%s\n", shown(files[i]),
                        rh_errmsg(hs[k]));
                fprintf(stderr, "reghive: nothing written\n");
                goto out;
            }
    }
    for (k = 0; k < r.n; k++) {
        if (!ok[k])
            continue;
        rh_reg_stats st;
        struct progress pg;
        memset(&st, 0, sizeof st);
        progress_init(&pg, "import", "operations");
        if (pg.on)
            rh_progress_set(hs[k], progress_update, &pg);
        for (i = 0; i < nfiles; i++)
            if (rh_reg_apply(hs[k], docs[i], r.name[k], RH_REG_APPLY_NOPREFIX,
                             skip_quiet, NULL, &st) < 0) {
                progress_end(&pg);
                fprintf(stderr, "reghive: %s:%s\n", shown(files[i]),
                        rh_errmsg(hs[k]));
                fprintf(stderr, "reghive: nothing written\n");
                goto out;
            }
        progress_end(&pg);
        rh_progress_set(hs[k], NULL, NULL);
        if (st.keys_created + st.keys_deleted + st.values_set +
            st.values_deleted)
            win_set_changed(&set, hs[k]);
        tot.keys_created += st.keys_created;
        tot.keys_deleted += st.keys_deleted;
        tot.keys_absent += st.keys_absent;
        tot.values_set += st.values_set;
        tot.values_deleted += st.values_deleted;
        tot.values_absent += st.values_absent;
    }
    printf("import: %zu key%s created, %zu deleted (%zu absent), %zu value%s "
           "set, %zu deleted (%zu absent), %zu key%s skipped\n",
           tot.keys_created, tot.keys_created == 1 ? "" : "s", tot.keys_deleted,
           tot.keys_absent, tot.values_set, tot.values_set == 1 ? "" : "s",
           tot.values_deleted, tot.values_absent, skipped,
           skipped == 1 ? "" : "s");
    fflush(stdout);
    rc = win_set_commit(&set, backup);
out:
    win_set_close(&set);
    for (k = 0; k < r.n; k++)
        free(r.name[k]);
    win_close(&w);
    return rc;
}

static unsigned
parse_encoding(const char *s)
{
    if (!strcasecmp(s, "utf-8") || !strcasecmp(s, "utf8"))
        return RH_REG_ENC_UTF8;
    if (!strcasecmp(s, "cp1252") || !strcasecmp(s, "windows-1252") ||
        !strcasecmp(s, "1252"))
        return RH_REG_ENC_CP1252;
    if (!strcasecmp(s, "latin1") || !strcasecmp(s, "latin-1") ||
        !strcasecmp(s, "iso-8859-1") || !strcasecmp(s, "28591"))
        return RH_REG_ENC_LATIN1;
    if (!strcasecmp(s, "utf-16le") || !strcasecmp(s, "utf16le"))
        return RH_REG_ENC_UTF16LE;
    return 0xFFu;
}

enum {
    I_HIVE,
    I_FILES,
    I_PREFIX,
    I_ENCODING,
    I_STRICT,
    I_BACKUP,
    I_DRYRUN,
    I_N,
    I_HEXV,
    I_WINDOWS,
    I_USER
};
static const struct opt_spec import_opts[] = {
    [I_HIVE] = {OPT_ARG, "HIVE", NULL, OPT_REQUIRED | OPT_FILE, NULL,
                "the hive to change"},
    [I_FILES] = {OPT_ARGS, "FILE.reg", NULL, OPT_FILE, NULL,
                 "the .reg files, applied in order ('-': standard input)"},
    [I_PREFIX] = {OPT_VALUE, "--prefix", "ROOT", 0, NULL,
                  "the registry path of the hive's root (default: from the\n"
                  "file's first standard root)"},
    [I_ENCODING] = {OPT_VALUE, "--encoding", "CP", 0, NULL,
                    "REGEDIT4's code page (default Windows-1252)"},
    [I_STRICT] = {OPT_SWITCH, "--strict", NULL, 0, NULL,
                  "refuse keys outside the hive instead of skipping them"},
    [I_BACKUP] = SPEC_BACKUP,
    [I_DRYRUN] = {OPT_SWITCH, "--dry-run", NULL, 0, NULL,
                  "print the plan; write nothing"},
    [I_N] = {OPT_SWITCH, "-n", NULL, OPT_HIDDEN, NULL, NULL},
    [I_HEXV] = {OPT_SWITCH, "--hex-verbatim", NULL, 0, NULL,
                "store hex(1)/hex(2)/hex(7) data as written (no NUL added)"},
    /* given by reghive --windows DIR [--user NAME] import ... */
    [I_WINDOWS] = {OPT_VALUE, "--windows", "DIR", OPT_HIDDEN, NULL, NULL},
    [I_USER] = {OPT_VALUE, "--user", "NAME", OPT_HIDDEN, NULL, NULL},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec import_spec = {
    "import", import_opts,
    "apply .reg files with regedit's semantics in one atomic commit",
    "Every file is parsed first: a syntax error anywhere prints\n"
    "file:line:column and leaves the hive untouched."};

int
cmd_import(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(import_spec, argc, argv, &r0);
    const char *hive = r0.val[I_HIVE], *prefix = r0.val[I_PREFIX];
    const char *windir = r0.val[I_WINDOWS], *user = r0.val[I_USER];
    int strict = opt_has(&r0, I_STRICT), backup = opt_has(&r0, I_BACKUP);
    int dry = opt_has(&r0, I_DRYRUN) || opt_has(&r0, I_N), rc = 1;
    unsigned flags = opt_has(&r0, I_HEXV) ? RH_REG_HEX_VERBATIM : 0;
    if (r0.val[I_ENCODING]) {
        unsigned e = parse_encoding(r0.val[I_ENCODING]);
        if (e == 0xFFu) {
            fprintf(stderr,
                    "reghive: import: unknown encoding '%s' (utf-8, "
                    "cp1252, latin1, utf-16le)\n",
                    r0.val[I_ENCODING]);
            return EXIT_USAGE;
        }
        flags |= e;
    }
    /* With --windows (reghive --windows DIR import FILE...) there is no
     * HIVE: the first word is a file too. */
    int nfiles = r0.count[I_FILES] + (windir ? 1 : 0);
    const char **files = calloc((size_t)nfiles + 1, sizeof *files);
    if (!files)
        return 1;
    if (windir) {
        files[0] = hive;
        hive = NULL;
    }
    for (int i = 0; i < r0.count[I_FILES]; i++)
        files[(windir ? 1 : 0) + i] = r0.multi[I_FILES][i];
    if (nfiles == 0 || (windir && prefix)) {
        fprintf(stderr, "reghive import: %s\n",
                nfiles ? "--prefix does not go with --windows"
                       : "missing FILE.reg");
        free(files);
        return usage("import");
    }
    /* Parse everything before touching the hive. */
    rh_reg_doc **docs = calloc((size_t)nfiles, sizeof *docs);
    if (!docs) {
        free(files);
        return 1;
    }
    int ok = 1;
    for (int i = 0; i < nfiles && ok; i++) {
        uint8_t *buf;
        size_t len;
        char err[256];
        if (slurp(files[i], &buf, &len) < 0) {
            ok = 0;
            break;
        }
        int prc = rh_reg_parse(buf, len, flags, &docs[i], err, sizeof err);
        free(buf);
        if (prc < 0) {
            fprintf(stderr, "reghive: %s:%s\n",
                    strcmp(files[i], "-") == 0 ? "<stdin>" : files[i],
                    *err ? err : rh_strerror(prc));
            ok = 0;
        }
    }
    if (!ok)
        goto out;
    if (windir) {
        rc = import_windows(windir, user, files, docs, nfiles, strict, backup,
                            dry);
        goto out;
    }
    if (!dry) {
        rc = apply_all(hive, files, docs, nfiles, prefix, strict, backup);
        goto out;
    }
    rh_hive *h = open_hive(hive, 0);
    if (!h)
        goto out;
    struct run r;
    memset(&r, 0, sizeof r);
    r.h = h;
    r.strict = strict;
    for (int i = 0; i < nfiles; i++) {
        r.file = shown(files[i]);
        /* The same mapping checks as applying: --strict, or a file whose
         * keys all belong to another hive, stop before any plan. */
        if (rh_reg_apply(h, docs[i], prefix,
                         RH_REG_APPLY_VALIDATE |
                             (strict ? RH_REG_APPLY_STRICT : 0),
                         NULL, NULL, NULL) < 0) {
            fprintf(stderr, "reghive: %s:%s\n", r.file, rh_errmsg(h));
            tab_free(&r.t);
            rh_close(h);
            goto out;
        }
    }
    for (int i = 0; i < nfiles; i++) {
        r.file = shown(files[i]);
        rh_reg_op op;
        for (size_t j = 0; rh_reg_doc_op(docs[i], j, &op) == 0; j++) {
            if (plan_op(&r, docs[i], &op, prefix, 0) < 0) {
                fprintf(stderr, "reghive: out of memory\n");
                tab_free(&r.t);
                rh_close(h);
                goto out;
            }
        }
    }
    printf("plan: %zu add key, %zu delete key, %zu set value (%zu new, "
           "%zu changed, %zu unchanged), %zu delete value, %zu skipped\n",
           r.counts[C_ADDKEY], r.counts[C_DELKEY],
           r.counts[C_SET_NEW] + r.counts[C_SET_CHANGED] + r.counts[C_SET_SAME],
           r.counts[C_SET_NEW], r.counts[C_SET_CHANGED], r.counts[C_SET_SAME],
           r.counts[C_DELVAL], r.counts[C_SKIP]);
    rc = r.errors ? 1 : 0;
    tab_free(&r.t);
    rh_close(h);
out:
    for (int i = 0; i < nfiles; i++)
        rh_reg_doc_free(docs[i]);
    free(docs);
    free(files);
    return rc;
}
