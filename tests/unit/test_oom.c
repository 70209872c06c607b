/*
 * test_oom.c - every allocation made to fail in turn (issue 12).  Each
 * scenario below is one call (or a few) of the API: opening (file,
 * memory, dirty hives with their logs, logs named, recovery in memory),
 * every read call, export in all formats, check, stats, create, every
 * edit, copies within and between hives, save, compact, .reg parse and
 * apply, commits in place and by rewrite.  A scenario runs once to count
 * its allocations, then again with allocation n failing, for n = 1, 2, ...
 * until it runs with no failure injected; then the same with every
 * allocation from n on failing.  Each run checks:
 *  - the call returns 0 (a failure absorbed) or RH_ENOMEM, nothing else;
 *  - nothing leaks (live allocations counted through oom.c's wrappers,
 *    and LeakSanitizer under make asan);
 *  - an edited hive is still usable: rh_check and the allocator's own
 *    verification are clean, and its tree is the one before the call or
 *    the one after it; a commit after a failed call writes a clean hive
 *    holding one of the two (or is refused), a file committed in place
 *    reads back (logs replayed) as the old or the new tree, and a retry
 *    of a failed commit succeeds.
 * Scenarios on corpus hives (a dirty one per log format, real security
 * descriptors) run when the corpus is present.
 */
#include "alloc.h"
#include "t.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixtures (made once, before any injection) ----------------------- */

static char dir[64], basefile[96], dirtyfile[96], hivefile[96], outfile[96];
static uint8_t *base_img; /* the base hive */
static size_t base_len;
static uint8_t *src_img; /* a second hive, source of cross copies */
static size_t src_len;
static uint8_t *dirty_img, *dirty_log; /* dirtyfile and its LOG1 */
static size_t dirty_len, dirty_loglen;
static char corpus_new[512], corpus_old[512], corpus_sd[512];
static uint8_t big[40000];

static const char reg_doc[] = "Windows Registry Editor Version 5.00\r\n"
                              "\r\n"
                              "[HKEY_LOCAL_MACHINE\\SOFTWARE\\New\\Sub]\r\n"
                              "\"s\"=\"text\"\r\n"
                              "\"d\"=dword:00000010\r\n"
                              "\"b\"=hex:01,02,03\r\n"
                              "\"m\"=hex(7):61,00,00,00,00,00\r\n"
                              "@=\"default\"\r\n"
                              "\r\n"
                              "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\b]\r\n"
                              "\r\n"
                              "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"
                              "\"s\"=-\r\n"
                              "\"q\"=hex(b):01,00,00,00,00,00,00,00\r\n";

static uint8_t *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n)) &&
        fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = p ? (size_t)n : 0;
    return p;
}

static int
spill(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

/* Remove path and the logs and leftovers a commit may make beside it. */
static void
rm_hive(const char *path)
{
    static const char *const ext[] = {"", ".LOG1", ".LOG2", ".bak"};
    char p[160];
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        unlink(p);
    }
}

/* ---- tree dumps -------------------------------------------------------- */

typedef struct sb {
    char *p;
    size_t n, cap;
} sb;

static void
put(sb *s, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(s->p ? s->p + s->n : NULL, s->p ? s->cap - s->n : 0,
                          fmt, ap);
        va_end(ap);
        if (k < 0)
            abort();
        if (s->p && s->n + (size_t)k < s->cap) {
            s->n += (size_t)k;
            return;
        }
        s->cap = (s->n + (size_t)k + 1) * 2;
        if (!(s->p = realloc(s->p, s->cap)))
            abort();
    }
}

static void
put_hex(sb *s, const void *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    if (s->n + 2 * n + 1 > s->cap) {
        s->cap = (s->n + 2 * n + 1) * 2;
        if (!(s->p = realloc(s->p, s->cap)))
            abort();
    }
    for (size_t i = 0; i < n; i++) {
        s->p[s->n++] = hx[((const uint8_t *)p)[i] >> 4];
        s->p[s->n++] = hx[((const uint8_t *)p)[i] & 15];
    }
    s->p[s->n] = 0;
}

/* Names, class, flags, security, values with their data, then subkeys. */
static int
dump_key(rh_hive *h, rh_key k, sb *s, int depth)
{
    char *name = NULL, *cls = NULL;
    size_t nl = 0, cl = 0, nv = 0, nsub = 0;
    rh_value *vals = NULL;
    rh_key *kids = NULL;
    rh_key_stat st;
    void *sd = NULL;
    size_t sdl = 0;
    int rc = 0;
    if (depth > 64 || (rc = rh_key_name(h, k, &name, &nl)) < 0 ||
        (rc = rh_key_stat_get(h, k, &st)) < 0 ||
        (rc = rh_key_security(h, k, &sd, &sdl)) < 0 ||
        (rc = rh_key_values(h, k, &vals, &nv)) < 0 ||
        (rc = rh_key_subkeys(h, k, &kids, &nsub)) < 0)
        goto out;
    if (rh_key_class(h, k, &cls, &cl) != 0)
        cls = NULL;
    put(s, "[%s|%s|%x|%zu:", name, cls ? cls : "-", st.flags, sdl);
    put_hex(s, sd, sdl);
    put(s, "]");
    for (size_t i = 0; i < nv; i++) {
        char *vn = NULL;
        void *d = NULL;
        size_t vl = 0, dl = 0;
        uint32_t t = 0;
        if ((rc = rh_value_name(h, vals[i], &vn, &vl)) < 0 ||
            (rc = rh_value_data(h, vals[i], &t, &d, &dl)) < 0) {
            free(vn);
            goto out;
        }
        put(s, "(%s:%u:%zu:", vn, t, dl);
        put_hex(s, d, dl);
        put(s, ")");
        free(vn);
        free(d);
    }
    for (size_t i = 0; i < nsub; i++)
        if ((rc = dump_key(h, kids[i], s, depth + 1)) < 0)
            goto out;
    put(s, "/");
out:
    free(name);
    free(cls);
    free(sd);
    free(vals);
    free(kids);
    return rc;
}

/* The tree of h (malloc'd), or NULL when it cannot be read. */
static char *
dump(rh_hive *h)
{
    sb s = {NULL, 0, 0};
    put(&s, "");
    if (dump_key(h, rh_hive_root(h), &s, 0) < 0) {
        free(s.p);
        return NULL;
    }
    return s.p;
}

static char problem[300]; /* the first problem clean() met */

static void
first_problem(void *ctx, rh_severity sev, uint64_t off, const char *msg)
{
    (void)ctx;
    (void)sev; /* a warning (a leaked cell) is a failure here too */
    if (!*problem)
        snprintf(problem, sizeof problem, "0x%llx: %s", (unsigned long long)off,
                 msg);
}

/* rh_check and the allocator's own verification find nothing. */
static int
clean(rh_hive *h)
{
    size_t ne = 0, nw = 0;
    *problem = 0;
    if (rh_check(h, first_problem, NULL, &ne, &nw) != 0 || ne || nw)
        return 0;
    if (h->wbuf && h->al && alloc_verify(h) != 0) {
        snprintf(problem, sizeof problem, "allocator: %s", rh_errmsg(h));
        return 0;
    }
    return 1;
}

/* The tree of the hive file at path (logs replayed), or NULL when it
 * does not open or is not clean. */
static char *
dump_file(const char *path)
{
    rh_hive *h = NULL;
    char *t = NULL;
    if (rh_open(path, 0, &h) == 0 && clean(h))
        t = dump(h);
    rh_close(h);
    return t;
}

/* ---- scenarios --------------------------------------------------------- */

enum {
    K_NONE, /* op does everything itself (open, parse, create ...) */
    K_RO,   /* op reads f->h, the base hive opened read-only */
    K_MEM,  /* op edits f->h, the base hive opened writable in memory */
    K_FILE  /* op edits or commits f->h, opened writable from hivefile */
};

typedef struct fx {
    rh_hive *h;   /* the hive under test */
    rh_hive *src; /* the second hive (read-only), for cross copies */
    rh_key a, b, many;
} fx;

typedef struct scen {
    const char *name;
    int kind;
    /* 1: a failure may leave the edit half done, as the API documents
     * ("do not commit it"): only the return code and leaks are checked
     * after a failure, not the tree, rh_check or a commit.  Each of these
     * is a known gap (see the report of issue 12), not a goal. */
    int partial;
    int (*prep)(fx *f); /* optional, before the injection (K_MEM/K_FILE) */
    int (*op)(fx *f);
} scen;

#define TRY(e)                                                                 \
    do {                                                                       \
        int rc_ = (e);                                                         \
        if (rc_ < 0)                                                           \
            return rc_;                                                        \
    } while (0)

/* opening */

static int
open_close(const char *path, unsigned flags)
{
    rh_hive *h = NULL;
    int rc = rh_open(path, flags, &h);
    if (rc == 0) {
        rh_recovery r;
        rc = rh_log_report(h, &r);
    }
    rh_close(h);
    return rc;
}

static int
op_open_file(fx *f)
{
    (void)f;
    return open_close(basefile, 0);
}

static int
op_open_file_write(fx *f)
{
    (void)f;
    return open_close(basefile, RH_OPEN_WRITE);
}

static int
op_open_dirty(fx *f)
{
    (void)f;
    return open_close(dirtyfile, 0);
}

static int
op_open_dirty_write(fx *f)
{
    (void)f;
    return open_close(dirtyfile, RH_OPEN_WRITE);
}

static int
op_open_corpus_new(fx *f)
{
    (void)f;
    return open_close(corpus_new, 0);
}

static int
op_open_corpus_old(fx *f)
{
    (void)f;
    return open_close(corpus_old, RH_OPEN_WRITE);
}

static int
op_open_logs(fx *f)
{
    char log[128];
    const char *logs[1] = {log};
    rh_hive *h = NULL;
    (void)f;
    snprintf(log, sizeof log, "%s.LOG1", dirtyfile);
    int rc = rh_open_logs(dirtyfile, logs, 1, 0, &h);
    rh_close(h);
    return rc;
}

static int
op_open_mem(fx *f)
{
    rh_hive *h = NULL;
    (void)f;
    int rc = rh_open_mem(base_img, base_len, 0, &h);
    rh_close(h);
    return rc;
}

static int
op_open_mem_write(fx *f)
{
    rh_hive *h = NULL;
    (void)f;
    int rc = rh_open_mem(base_img, base_len, RH_OPEN_WRITE, &h);
    rh_close(h);
    return rc;
}

static int
op_recover_mem(fx *f)
{
    const void *logs[1] = {dirty_log};
    size_t lens[1] = {dirty_loglen};
    const char *names[1] = {"LOG1"};
    void *out = NULL;
    size_t outlen = 0;
    rh_recovery rep;
    (void)f;
    int rc = rh_recover_mem(dirty_img, dirty_len, logs, lens, names, 1, &out,
                            &outlen, &rep);
    if (rc == 0 && !out)
        rc = RH_EINVAL; /* the fixture is dirty: something must apply */
    free(out);
    return rc;
}

static int
op_create(fx *f)
{
    rh_hive *h = NULL;
    (void)f;
    int rc = rh_create(3, &h);
    rh_close(h);
    return rc;
}

static int
op_parse(fx *f)
{
    rh_reg_doc *doc = NULL;
    char err[200];
    (void)f;
    int rc =
        rh_reg_parse(reg_doc, sizeof reg_doc - 1, 0, &doc, err, sizeof err);
    rh_reg_doc_free(doc);
    return rc;
}

static int
op_parse_utf16(fx *f)
{
    /* UTF-16LE with BOM, REGEDIT4 in cp1252 too */
    static const char r4[] = "REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\K\xe9y]\r\n"
                             "\"v\"=\"\xe9t\xe9\"\r\n";
    uint8_t u[2 * sizeof reg_doc + 2];
    size_t n = 2;
    rh_reg_doc *doc = NULL;
    (void)f;
    u[0] = 0xFF;
    u[1] = 0xFE;
    for (size_t i = 0; i + 1 < sizeof reg_doc; i++) {
        u[n++] = (uint8_t)reg_doc[i];
        u[n++] = 0;
    }
    int rc = rh_reg_parse(u, n, 0, &doc, NULL, 0);
    rh_reg_doc_free(doc);
    doc = NULL;
    if (rc == 0)
        rc = rh_reg_parse(r4, sizeof r4 - 1, 0, &doc, NULL, 0);
    rh_reg_doc_free(doc);
    return rc;
}

/* reading */

static int
count_key(void *ctx, rh_key k)
{
    (void)k;
    ++*(size_t *)ctx;
    return 0;
}

static int
count_value(void *ctx, rh_value v)
{
    (void)v;
    ++*(size_t *)ctx;
    return 0;
}

static int
walk_count(void *ctx, rh_key k, unsigned depth)
{
    (void)k;
    (void)depth;
    ++*(size_t *)ctx;
    return 0;
}

/* Values of every kind the getters read (before the injection). */
static int
prep_getters(fx *f)
{
    TRY(rh_value_set(f->h, f->a, "s", 1, RH_REG_SZ, "h\0i\0\0\0", 6));
    TRY(rh_value_set(f->h, f->a, "m", 1, RH_REG_MULTI_SZ, "a\0\0\0b\0\0\0\0\0",
                     10));
    TRY(rh_value_set(f->h, f->a, "d", 1, RH_REG_DWORD, "\1\0\0\0", 4));
    return 0;
}

/* The typed getters and rh_key_walk: each allocates what it returns (the
 * walk its visited bitmap) and nothing is left behind on a failure. */
static int
op_getters(fx *f)
{
    rh_hive *h = f->h;
    rh_value v;
    char *s = NULL, **a = NULL;
    size_t n = 0;
    uint32_t x;
    uint64_t y;
    TRY(rh_key_value(h, f->a, "s", 1, &v));
    TRY(rh_value_string(h, v, &s, &n));
    free(s);
    TRY(rh_key_value(h, f->a, "m", 1, &v));
    TRY(rh_value_strings(h, v, &a, &n));
    free(a);
    TRY(rh_key_value(h, f->a, "d", 1, &v));
    TRY(rh_value_u32(h, v, &x));
    TRY(rh_value_u64(h, v, &y));
    n = 0;
    TRY(rh_key_walk(h, rh_hive_root(h), walk_count, &n));
    return 0;
}

static int
op_reads(fx *f)
{
    rh_hive *h = f->h;
    rh_key k, p;
    rh_value v, *vals = NULL;
    rh_key *kids = NULL;
    char *s = NULL, buf[300];
    void *d = NULL;
    size_t n = 0, nv = 0, len;
    uint32_t t;
    rh_key_stat st;
    rh_info info;
    rh_recovery rec;
    const void *img;
    int rc;
#define R(e)                                                                   \
    do {                                                                       \
        if ((rc = (e)) < 0)                                                    \
            goto out;                                                          \
    } while (0)
#define RF(e)                                                                  \
    do {                                                                       \
        R(e);                                                                  \
        free(s);                                                               \
        s = NULL;                                                              \
    } while (0)
    R(rh_hive_info(h, &info));
    R(rh_log_report(h, &rec));
    R(rh_image(h, &img, &len));
    (void)rh_warnings(h);
    R(rh_key_lookup(h, "HKLM\\SOFTWARE\\A\\many\\k0300", &k));
    R(rh_key_lookup(h, "A\\B", &k));
    RF(rh_key_path(h, k, &s, &len));
    RF(rh_key_name(h, k, &s, &len));
    R(rh_key_name_buf(h, k, buf, sizeof buf, &len));
    R(rh_key_parent(h, k, &p));
    RF(rh_key_class(h, p, &s, &len));
    R(rh_key_security(h, p, &d, &len));
    free(d);
    d = NULL;
    R(rh_key_stat_get(h, p, &st));
    R(rh_key_subkey(h, p, "MANY", 4, &k));
    R(rh_key_subkeys_foreach(h, k, count_key, &n));
    R(rh_key_subkeys(h, k, &kids, &n));
    R(rh_key_values(h, p, &vals, &nv));
    R(rh_key_values_foreach(h, p, count_value, &n));
    R(rh_key_value(h, p, "BIG", 3, &v));
    R(rh_value_type(h, v, &t, &len));
    R(rh_value_data(h, v, &t, &d, &len));
    R(rh_value_data_buf(h, v, &t, big, sizeof big, &len));
    RF(rh_value_name(h, v, &s, &len));
    R(rh_value_name_buf(h, v, buf, sizeof buf, &len));
    for (size_t i = 0; i < nv; i++) {
        free(d);
        d = NULL;
        R(rh_value_data(h, vals[i], &t, &d, &len));
    }
out:
#undef R
#undef RF
    free(s);
    free(d);
    free(vals);
    free(kids);
    return rc;
}

/* An export sink that allocates nothing. */
static size_t sink_bytes;

static int
sink(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    sink_bytes += len;
    return 0;
}

static int
op_export_reg(fx *f)
{
    return rh_export(f->h, rh_hive_root(f->h), "HKEY_LOCAL_MACHINE\\SOFTWARE",
                     0, sink, NULL);
}

static int
op_export_utf16(fx *f)
{
    return rh_export(f->h, rh_hive_root(f->h), NULL, RH_EXPORT_UTF16, sink,
                     NULL);
}

static int
op_export_json(fx *f)
{
    return rh_export(f->h, rh_hive_root(f->h), NULL, RH_EXPORT_JSON, sink,
                     NULL);
}

static int
op_export_hold(fx *f)
{
    rh_key k;
    TRY(rh_key_lookup(f->h, "A", &k));
    TRY(rh_export(f->h, k, NULL, RH_EXPORT_NORECURSE | RH_EXPORT_HOLD, sink,
                  NULL));
    return rh_export(f->h, rh_hive_root(f->h), NULL,
                     RH_EXPORT_HOLD | RH_EXPORT_UTF16, sink, NULL);
}

static void
report(void *ctx, rh_severity sev, uint64_t off, const char *msg)
{
    (void)ctx;
    (void)sev;
    (void)off;
    (void)msg;
}

static int
op_check(fx *f)
{
    size_t ne = 0, nw = 0;
    return rh_check(f->h, report, NULL, &ne, &nw);
}

static int
op_stats(fx *f)
{
    rh_stats st;
    return rh_hive_stats(f->h, &st);
}

static int
op_save(fx *f)
{
    rh_hive *s = NULL;
    int rc = rh_key_save(f->h, f->a, &s);
    rh_close(s);
    return rc;
}

/* editing */

static int
op_key_add(fx *f)
{
    rh_key k;
    return rh_key_add(f->h, f->a, "newkey", 6, &k, NULL);
}

static int
op_key_add_many(fx *f)
{
    rh_key k;
    return rh_key_add(f->h, f->many, "k0300x", 6, &k, NULL);
}

static int
op_create_path(fx *f)
{
    rh_key k;
    return rh_key_create_path(f->h, "HKLM\\SOFTWARE\\A\\b\\x\\y\\z", &k, NULL);
}

static int
op_delete(fx *f)
{
    return rh_key_delete(f->h, f->a);
}

static int
op_delete_one(fx *f)
{
    rh_key k;
    TRY(rh_key_lookup(f->h, "A\\many\\k0001", &k));
    return rh_key_delete(f->h, k);
}

static int
op_rename(fx *f)
{
    return rh_key_rename(f->h, f->b, "Zebra-renamed", 13, NULL);
}

static int
op_rename_many(fx *f)
{
    rh_key k;
    TRY(rh_key_lookup(f->h, "A\\many\\k0002", &k));
    return rh_key_rename(f->h, k, "zz-last", 7, NULL);
}

static int
op_set_class(fx *f)
{
    return rh_key_set_class(f->h, f->b, "a new class", 11);
}

static int
op_drop_class(fx *f)
{
    return rh_key_set_class(f->h, f->a, NULL, 0);
}

static int
op_value_new(fx *f)
{
    return rh_value_set(f->h, f->b, "fresh", 5, RH_REG_SZ, "v\0\0", 4);
}

static int
op_value_replace(fx *f)
{
    return rh_value_set(f->h, f->a, "s", 1, RH_REG_BINARY, big, 3000);
}

static int
op_value_big(fx *f)
{
    return rh_value_set(f->h, f->b, "huge", 4, RH_REG_BINARY, big, sizeof big);
}

static int
op_value_big_shrink(fx *f)
{
    return rh_value_set(f->h, f->a, "big", 3, RH_REG_DWORD, "\1\2\3\4", 4);
}

static int
op_value_delete(fx *f)
{
    return rh_value_delete(f->h, f->a, "big", 3);
}

static int
op_value_delete_all(fx *f)
{
    return rh_value_delete_all(f->h, f->a);
}

static int
op_copy_within(fx *f)
{
    rh_key k;
    return rh_key_copy(f->h, f->a, f->h, rh_hive_root(f->h), "Copy",
                       RH_COPY_SUBKEYS, &k);
}

static int
op_copy_replace(fx *f)
{
    return rh_key_copy(f->h, f->b, f->h, f->a, "many", RH_COPY_REPLACE, NULL);
}

static int
op_copy_between(fx *f)
{
    rh_key k;
    TRY(rh_key_lookup(f->src, "S", &k));
    return rh_key_copy(f->src, k, f->h, f->b, NULL, RH_COPY_SUBKEYS, NULL);
}

static int
op_copy_corpus(fx *f)
{
    rh_hive *s = NULL;
    /* a real hive's descriptors: matched or added to the sk list */
    int rc = rh_open(corpus_sd, 0, &s);
    if (rc == 0)
        rc = rh_key_copy(s, rh_hive_root(s), f->h, f->b, "Real",
                         RH_COPY_SUBKEYS, NULL);
    rh_close(s);
    return rc;
}

static int
op_copy_into(fx *f)
{
    rh_key k;
    size_t n;
    TRY(rh_key_lookup(f->src, "S", &k));
    return rh_key_copy_into(f->src, k, f->h, f->a,
                            RH_COPY_SUBKEYS | RH_COPY_REPLACE, &n);
}

static int
ask(void *ctx, rh_hive *dst, rh_key k, const char *name)
{
    (void)dst;
    (void)k;
    (void)name;
    return (++*(int *)ctx & 1); /* yes, no, yes, ... */
}

static int
op_copy_into_ask(fx *f)
{
    rh_key k;
    size_t n;
    int calls = 0;
    TRY(rh_key_lookup(f->src, "S", &k));
    return rh_key_copy_into_ask(f->src, k, f->h, f->a, RH_COPY_SUBKEYS, ask,
                                &calls, &n);
}

static int
op_compact(fx *f)
{
    return rh_compact(f->h);
}

static rh_reg_doc *apply_doc; /* reg_doc, parsed once */

static int
op_apply(fx *f)
{
    rh_reg_stats st;
    memset(&st, 0, sizeof st);
    return rh_reg_apply(f->h, apply_doc, NULL, 0, NULL, NULL, &st);
}

/* committing (K_FILE: f->h is hivefile opened writable) */

static int
prep_edit(fx *f)
{
    TRY(rh_value_set(f->h, f->b, "committed", 9, RH_REG_BINARY, big, 5000));
    rh_key k;
    return rh_key_create_path(f->h, "A\\Com\\mit", &k, NULL);
}

static int
op_commit(fx *f)
{
    return rh_commit(f->h, NULL, 0);
}

static int
op_commit_backup(fx *f)
{
    return rh_commit(f->h, NULL, RH_COMMIT_BACKUP);
}

static int
op_commit_rewrite(fx *f)
{
    return rh_commit(f->h, NULL, RH_COMMIT_REWRITE | RH_COMMIT_BACKUP);
}

static int
op_edit_commit(fx *f)
{
    TRY(op_value_big(f));
    return rh_commit(f->h, NULL, 0);
}

static int
op_compact_commit(fx *f)
{
    TRY(rh_compact(f->h));
    return rh_commit(f->h, NULL, 0);
}

static const scen scens[] = {
    {"open file", K_NONE, 0, NULL, op_open_file},
    {"open file writable", K_NONE, 0, NULL, op_open_file_write},
    {"open dirty (logs replayed)", K_NONE, 0, NULL, op_open_dirty},
    {"open dirty writable", K_NONE, 0, NULL, op_open_dirty_write},
    {"open with logs named", K_NONE, 0, NULL, op_open_logs},
    {"open corpus new-format dirty", K_NONE, 0, NULL, op_open_corpus_new},
    {"open corpus old-format dirty", K_NONE, 0, NULL, op_open_corpus_old},
    {"open mem", K_NONE, 0, NULL, op_open_mem},
    {"open mem writable", K_NONE, 0, NULL, op_open_mem_write},
    {"recover mem", K_NONE, 0, NULL, op_recover_mem},
    {"create", K_NONE, 0, NULL, op_create},
    {".reg parse", K_NONE, 0, NULL, op_parse},
    {".reg parse utf16/regedit4", K_NONE, 0, NULL, op_parse_utf16},
    {"read calls", K_RO, 0, NULL, op_reads},
    {"typed getters, walk", K_MEM, 0, prep_getters, op_getters},
    {"export reg", K_RO, 0, NULL, op_export_reg},
    {"export utf16", K_RO, 0, NULL, op_export_utf16},
    {"export json", K_RO, 0, NULL, op_export_json},
    {"export hold", K_RO, 0, NULL, op_export_hold},
    {"check", K_RO, 0, NULL, op_check},
    {"stats", K_RO, 0, NULL, op_stats},
    {"save", K_RO, 0, NULL, op_save},
    {"key add", K_MEM, 0, NULL, op_key_add},
    {"key add into a big list", K_MEM, 1, NULL, op_key_add_many},
    {"create path", K_MEM, 1, NULL, op_create_path},
    {"delete subtree", K_MEM, 1, NULL, op_delete},
    {"delete from a big list", K_MEM, 0, NULL, op_delete_one},
    {"rename", K_MEM, 1, NULL, op_rename},
    {"rename in a big list", K_MEM, 1, NULL, op_rename_many},
    {"set class", K_MEM, 0, NULL, op_set_class},
    {"drop class", K_MEM, 0, NULL, op_drop_class},
    {"value set new", K_MEM, 0, NULL, op_value_new},
    {"value set replace", K_MEM, 0, NULL, op_value_replace},
    {"value set big data", K_MEM, 0, NULL, op_value_big},
    {"value set big to small", K_MEM, 0, NULL, op_value_big_shrink},
    {"value delete", K_MEM, 0, NULL, op_value_delete},
    {"value delete all", K_MEM, 0, NULL, op_value_delete_all},
    {"copy within", K_MEM, 1, NULL, op_copy_within},
    {"copy replace", K_MEM, 1, NULL, op_copy_replace},
    {"copy between hives", K_MEM, 1, NULL, op_copy_between},
    {"copy from corpus hive", K_MEM, 1, NULL, op_copy_corpus},
    {"copy into", K_MEM, 1, NULL, op_copy_into},
    {"copy into ask", K_MEM, 1, NULL, op_copy_into_ask},
    {"compact", K_MEM, 0, NULL, op_compact},
    {".reg apply", K_MEM, 1, NULL, op_apply},
    {"edit in file mapping", K_FILE, 0, NULL, op_value_big},
    {"delete in file mapping", K_FILE, 1, NULL, op_delete},
    {"commit in place", K_FILE, 0, prep_edit, op_commit},
    {"commit in place with backup", K_FILE, 0, prep_edit, op_commit_backup},
    {"commit rewrite", K_FILE, 0, prep_edit, op_commit_rewrite},
    {"edit and commit", K_FILE, 0, NULL, op_edit_commit},
    {"compact and commit", K_FILE, 0, prep_edit, op_compact_commit},
};

/* ---- the runner -------------------------------------------------------- */

static int
needs_corpus(const scen *sc)
{
    return (sc->op == op_open_corpus_new && !*corpus_new) ||
           (sc->op == op_open_corpus_old && !*corpus_old) ||
           (sc->op == op_copy_corpus && !*corpus_sd);
}

/* Open the scenario's hives (no injection). */
static int
setup(const scen *sc, fx *f)
{
    memset(f, 0, sizeof *f);
    switch (sc->kind) {
    case K_NONE:
        return 0;
    case K_RO:
        TRY(rh_open_mem(base_img, base_len, 0, &f->h));
        break;
    case K_MEM:
        TRY(rh_open_mem(base_img, base_len, RH_OPEN_WRITE, &f->h));
        break;
    case K_FILE:
        rm_hive(hivefile);
        if (spill(hivefile, base_img, base_len) < 0)
            return RH_EIO;
        TRY(rh_open(hivefile, RH_OPEN_WRITE, &f->h));
        break;
    }
    TRY(rh_open_mem(src_img, src_len, 0, &f->src));
    TRY(rh_key_lookup(f->h, "A", &f->a));
    TRY(rh_key_lookup(f->h, "A\\b", &f->b));
    TRY(rh_key_lookup(f->h, "A\\many", &f->many));
    return sc->prep ? sc->prep(f) : 0;
}

static void
teardown(fx *f)
{
    rh_close(f->h);
    rh_close(f->src);
    f->h = f->src = NULL;
}

/* Is t one of the two trees?  NULL t never is. */
static int
one_of(const char *t, const char *x, const char *y)
{
    return t && ((x && strcmp(t, x) == 0) || (y && strcmp(t, y) == 0));
}

static int scen_fail;

#define SCHECK(c, ...)                                                         \
    do {                                                                       \
        if (c) {                                                               \
            t_pass++;                                                          \
        } else {                                                               \
            t_fail++;                                                          \
            scen_fail++;                                                       \
            fprintf(stderr, "%s (alloc %ld%s): CHECK failed: %s: ", sc->name,  \
                    n, sticky ? " on" : "", #c);                               \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

/* Run scenario sc with allocation n failing (and every later one when
 * sticky; n 0: none).  want_mem and want_disk are the trees after a run
 * without failure (NULL in that run); *count gets the allocations made
 * and the return value says how many failures were injected. */
static long
run_one(const scen *sc, long n, int sticky, const char *want_mem,
        const char *want_disk, char **got_mem, char **got_disk, long *count)
{
    fx f;
    long live0 = t_live();
    char *before = NULL, *disk_before = NULL, *after = NULL, *disk = NULL;
    int rc = setup(sc, &f);
    SCHECK(rc == 0, "setup: %s", rh_strerror(rc));
    if (rc < 0) {
        teardown(&f);
        *count = 0;
        return 0;
    }
    if (sc->kind >= K_MEM)
        before = dump(f.h);
    if (sc->kind == K_FILE)
        disk_before = dump_file(hivefile);
    t_oom_arm(n, sticky);
    rc = sc->op(&f);
    *count = t_oom_disarm();
    long fired = t_oom_fired();
    if (fired)
        SCHECK(rc == 0 || rc == RH_ENOMEM, "returned %s (%d): %s",
               rh_strerror(rc), rc, f.h ? rh_errmsg(f.h) : "");
    else
        SCHECK(rc == 0, "returned %s (%d) with no failure injected: %s",
               rh_strerror(rc), rc, f.h ? rh_errmsg(f.h) : "");
    if (sc->kind >= K_MEM && (rc == 0 || !sc->partial)) {
        SCHECK(clean(f.h), "the hive is not clean after %s (%s): %s",
               rh_strerror(rc), rh_errmsg(f.h), problem);
        after = dump(f.h);
        if (!want_mem) {
            *got_mem = after;
            after = NULL;
        } else if (rc == 0) {
            SCHECK(one_of(after, want_mem, NULL), "tree not the new one");
        } else {
            SCHECK(one_of(after, before, want_mem),
                   "tree neither the old nor the new one");
        }
    }
    if (sc->kind == K_FILE) {
        disk = dump_file(hivefile);
        if (!want_disk) {
            *got_disk = disk;
            disk = NULL;
        } else if (rc == 0 || !sc->partial) {
            SCHECK(one_of(disk, disk_before, want_disk),
                   "the file is neither the old nor the new hive");
        }
    }
    if (rc < 0 && sc->kind >= K_MEM && !sc->partial) {
        /* A commit after the failure: refused, or a clean hive holding
         * the tree before or after the failed call. */
        char *mem = dump(f.h), *c;
        int crc;
        if (sc->kind == K_FILE) {
            crc = rh_commit(f.h, NULL, 0);
            c = crc == 0 ? dump_file(hivefile) : NULL;
        } else {
            rm_hive(outfile);
            crc = rh_commit(f.h, outfile, 0);
            c = crc == 0 ? dump_file(outfile) : NULL;
        }
        if (crc == 0)
            SCHECK(one_of(c, before, want_mem) && one_of(c, mem, NULL),
                   "commit after the failure wrote another tree");
        free(c);
        free(mem);
    }
    teardown(&f);
    free(before);
    free(disk_before);
    free(after);
    free(disk);
    long kept = (got_mem && *got_mem) + (got_disk && *got_disk);
    SCHECK(t_live() - kept == live0, "%ld allocations leaked",
           t_live() - kept - live0);
    return fired;
}

static void
run_scen(const scen *sc)
{
    char *want_mem = NULL, *want_disk = NULL;
    long total = 0, runs = 0, n = 0;
    int sticky = 0;
    scen_fail = 0;
    run_one(sc, 0, 0, NULL, NULL, &want_mem, &want_disk, &total);
    SCHECK(sc->kind < K_MEM || want_mem, "no tree after the call");
    for (sticky = 0; sticky < 2 && !scen_fail; sticky++) {
        /* Every allocation fails once in turn; with all later ones
         * failing too, every allocation of a small scenario but only
         * about 50 spread over a large one (the time make check has). */
        long step = sticky && total > 100 ? total / 50 : 1;
        for (n = 1; n <= total + 1 && scen_fail < 3; n += step) {
            long c;
            runs++;
            if (!run_one(sc, n, sticky, want_mem, want_disk, NULL, NULL, &c))
                break; /* ran to the end with no failure */
        }
        SCHECK(n <= total + step, "still failing past the %ld allocations",
               total);
    }
    printf("%-32s %5ld allocations, %5ld runs%s\n", sc->name, total, runs,
           scen_fail ? "  FAILED" : "");
    free(want_mem);
    free(want_disk);
}

/* ---- fixtures ---------------------------------------------------------- */

static void
find_corpus(void)
{
    const char *c = getenv("CORPUS");
    char m[512];
    snprintf(m, sizeof m, "%s/MANIFEST.tsv", c ? c : "../shared/corpus");
    if (access(m, R_OK) != 0)
        return;
    if (!c)
        c = "../shared/corpus";
    snprintf(corpus_new, sizeof corpus_new,
             "%s/yarp/NewDirtyHive1/NewDirtyHive", c);
    snprintf(corpus_old, sizeof corpus_old, "%s/yarp/OldDirtyHive/OldDirtyHive",
             c);
    snprintf(corpus_sd, sizeof corpus_sd,
             "%s/aiowinreg/win2008_32/security.reg", c);
    char *p[] = {corpus_new, corpus_old, corpus_sd};
    for (size_t i = 0; i < 3; i++)
        if (access(p[i], R_OK) != 0)
            *p[i] = 0;
}

static int
make_fixtures(void)
{
    rh_hive *h, *s;
    rh_key a, b, many, k;
    char name[32];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + i / 251);
    /* tmpfs where there is one: the scenarios commit (fsync) a lot */
    strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/rh_oom_XXXXXX"
                                              : "/tmp/rh_oom_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(basefile, sizeof basefile, "%s/base", dir);
    snprintf(dirtyfile, sizeof dirtyfile, "%s/dirty", dir);
    snprintf(hivefile, sizeof hivefile, "%s/hive", dir);
    snprintf(outfile, sizeof outfile, "%s/out", dir);

    /* the base hive: classes, every kind of value, big data, a subkey
     * list of several leaves */
    TRY(rh_create(5, &h));
    TRY(rh_key_create_path(h, "A\\b", &b, NULL));
    TRY(rh_key_create_path(h, "A\\many", &many, NULL));
    TRY(rh_key_lookup(h, "A", &a));
    TRY(rh_key_set_class(h, a, "Klasse\xe2\x82\xac", 9));
    TRY(rh_value_set(h, a, "s", 1, RH_REG_SZ, "x\0\0", 4));
    TRY(rh_value_set(h, a, "big", 3, RH_REG_BINARY, big, sizeof big));
    TRY(rh_value_set(h, a, "m", 1, RH_REG_MULTI_SZ, "a\0b\0\0\0", 6));
    TRY(rh_value_set(h, b, "", 0, RH_REG_DWORD, "\1\0\0\0", 4));
    for (int i = 0; i < 600; i++) {
        int n = snprintf(name, sizeof name, "k%04d", i);
        TRY(rh_key_add(h, many, name, (size_t)n, &k, NULL));
    }
    TRY(rh_value_set(h, k, "last", 4, RH_REG_QWORD, "12345678", 8));
    TRY(rh_commit(h, basefile, 0));
    rh_close(h);
    if (!(base_img = slurp(basefile, &base_len)))
        return -1;

    /* the source of cross-hive copies: another version, other names */
    TRY(rh_create(3, &s));
    TRY(rh_key_create_path(s, "S\\sub\\deeper", &k, NULL));
    TRY(rh_value_set(s, k, "deep", 4, RH_REG_BINARY, big, 20000));
    TRY(rh_key_lookup(s, "S", &k));
    TRY(rh_key_set_class(s, k, "src", 3));
    TRY(rh_value_set(s, k, "s", 1, RH_REG_SZ, "y\0\0", 4));
    TRY(rh_value_set(s, k, "m", 1, RH_REG_SZ, "z\0\0", 4));
    TRY(rh_value_set(s, k, "new", 3, RH_REG_DWORD, "\2\0\0\0", 4));
    TRY(rh_key_create_path(s, "S\\many\\k0005\\below", &k, NULL));
    const void *img;
    size_t len;
    TRY(rh_image(s, &img, &len));
    if (!(src_img = malloc(len)))
        return -1;
    memcpy(src_img, img, len);
    src_len = len;
    rh_close(s);

    /* a dirty hive: its commit in place failed after the log entry and
     * the first base block reached the file (the pages step, 7) */
    TRY(rh_create(5, &h));
    TRY(rh_key_create_path(h, "D\\e", &k, NULL));
    TRY(rh_commit(h, dirtyfile, 0));
    rh_close(h);
    TRY(rh_open(dirtyfile, RH_OPEN_WRITE, &h));
    TRY(rh_key_create_path(h, "D\\logged", &k, NULL));
    TRY(rh_value_set(h, k, "v", 1, RH_REG_BINARY, big, 9000));
    setenv("RH_TEST_COMMIT_FAIL", "7", 1);
    int rc = rh_commit(h, NULL, 0);
    unsetenv("RH_TEST_COMMIT_FAIL");
    rh_close(h);
    CHECK_RC(rc, RH_EIO);
    char log[128];
    snprintf(log, sizeof log, "%s.LOG1", dirtyfile);
    if (!(dirty_img = slurp(dirtyfile, &dirty_len)) ||
        !(dirty_log = slurp(log, &dirty_loglen)))
        return -1;
    TRY(rh_open(dirtyfile, 0, &h));
    rh_recovery r;
    TRY(rh_log_report(h, &r));
    CHECK(r.dirty && r.applied);
    CHECK_RC(rh_key_lookup(h, "D\\logged", &k), 0);
    rh_close(h);

    TRY(rh_reg_parse(reg_doc, sizeof reg_doc - 1, 0, &apply_doc, NULL, 0));
    find_corpus();
    return 0;
}

int
main(int argc, char **argv)
{
    long live0 = t_live();
    CHECK_RC(make_fixtures(), 0);
    if (t_fail)
        return T_DONE();
    for (size_t i = 0; i < sizeof scens / sizeof *scens; i++) {
        const scen *sc = &scens[i];
        if (argc > 1 && !strstr(sc->name, argv[1]))
            continue;
        if (needs_corpus(sc)) {
            printf("%-32s skipped: corpus absent\n", sc->name);
            continue;
        }
        run_scen(sc);
    }
    rh_reg_doc_free(apply_doc);
    free(base_img);
    free(src_img);
    free(dirty_img);
    free(dirty_log);
    CHECK(t_live() == live0);
    rm_hive(basefile);
    rm_hive(dirtyfile);
    rm_hive(hivefile);
    rm_hive(outfile);
    rmdir(dir);
    return T_DONE();
}
