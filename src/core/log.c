/*
 * log.c - transaction log recovery: validate the logs' base blocks, walk
 * new-format entries (Marvin32 hashes, consecutive sequence numbers, page
 * bounds) or the old-format dirty vector, choose logs as Windows does and
 * replay them onto a heap copy of the primary image.  Sources: msuhanov/regf
 * "Transaction log files" and "Dirty state" sections; yarp's recovery rules.
 */
#include "log.h"

#include "format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BINS 0x7FFFF000u /* largest hive bins size accepted */

static uint32_t
rotl(uint32_t x, unsigned n)
{
    return x << n | x >> (32 - n);
}

static void
mix(uint32_t *lo, uint32_t *hi, uint32_t v)
{
    *lo += v;
    *hi ^= *lo;
    *lo = rotl(*lo, 20) + *hi;
    *hi = rotl(*hi, 9) ^ *lo;
    *lo = rotl(*lo, 27) + *hi;
    *hi = rotl(*hi, 19);
}

uint64_t
marvin32(const uint8_t *p, size_t n, uint64_t seed)
{
    uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32), fin = 0x80;
    for (; n >= 4; p += 4, n -= 4)
        mix(&lo, &hi,
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                (uint32_t)p[3] << 24);
    /* The tail: 0x80 marker above the remaining bytes, little-endian. */
    for (size_t i = n; i-- > 0;)
        fin = fin << 8 | p[i];
    mix(&lo, &hi, fin);
    mix(&lo, &hi, 0);
    return (uint64_t)hi << 32 | lo;
}

static uint32_t
xor_checksum(const uint8_t *b)
{
    span s = {b, BASE_CHECKSUM};
    uint32_t x = 0;
    for (size_t i = 0; i < BASE_CHECKSUM; i += 4)
        x ^= rd_u32(s, i);
    return x == 0 ? 1 : x == 0xFFFFFFFFu ? 0xFFFFFFFEu : x;
}

/* Serial-number order with wrap-around: is a at or after b? */
static int
seq_ge(uint32_t a, uint32_t b)
{
    return (uint32_t)(a - b) <= 0x7FFFFFFFu;
}

static void say(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

#define NOTE(li, ...) say((li)->note, sizeof(li)->note, __VA_ARGS__)
#define STATUS(r, ...) say((r)->status, sizeof(r)->status, __VA_ARGS__)

/* A log under consideration. */
typedef struct plog {
    span s;
    rh_log_info *info;
    uint32_t seq, bins;
    uint64_t ts;
    int fmt;
    /* Largest image a log may rebuild: the primary plus all the logs.
     * Windows logs the bins a hive grows by as dirty pages, so growth
     * comes from log bytes; without this bound a 4 KiB entry claiming
     * 2 GiB of bins would make recovery allocate (and zero) 2 GiB. */
    uint64_t cap;
} plog;

/* The image being rebuilt. */
typedef struct img {
    uint8_t *p;
    size_t n;
    uint32_t bins, flags;
    size_t ext; /* > 0: p is the caller's zero-filled room of ext bytes */
} img;

static int
img_grow(img *im, size_t need)
{
    if (need <= im->n)
        return 0;
    if (im->ext) { /* beyond n it is still zero: never shrunk */
        if (need > im->ext)
            return RH_ENOMEM;
        im->n = need;
        return 0;
    }
    uint8_t *q = realloc(im->p, need);
    if (!q)
        return RH_ENOMEM;
    memset(q + im->n, 0, need - im->n);
    im->p = q;
    im->n = need;
    return 0;
}

/* Validate a log's base block; sets pl->fmt (RH_LOG_UNUSABLE on error,
 * with the reason in the note). */
static void
check_base(plog *pl)
{
    span s = pl->s;
    rh_log_info *li = pl->info;
    pl->fmt = RH_LOG_UNUSABLE;
    if (s.n < LOG_BASE_SIZE) {
        NOTE(li,
             "file is %zu bytes, shorter than the 512-byte log base "
             "block",
             s.n);
        return;
    }
    li->seq1 = rd_u32(s, BASE_SEQ1);
    li->seq2 = rd_u32(s, BASE_SEQ2);
    li->last_written = rd_u64(s, BASE_TIME);
    pl->seq = li->seq1;
    pl->ts = li->last_written;
    pl->bins = rd_u32(s, BASE_BINS_SIZE);
    uint32_t type = rd_u32(s, BASE_TYPE), sum = rd_u32(s, BASE_CHECKSUM);
    if (memcmp(s.p, "regf", 4) != 0)
        NOTE(li, "no 'regf' signature: not a transaction log");
    else if (xor_checksum(s.p) != sum)
        NOTE(li,
             "log base block checksum 0x%08x does not match computed "
             "0x%08x",
             sum, xor_checksum(s.p));
    else if (li->seq1 != li->seq2)
        NOTE(li,
             "log base block sequence numbers %u != %u: the log itself "
             "was not completely written",
             li->seq1, li->seq2);
    else if (type != LOG_TYPE_OLD && type != LOG_TYPE_VERYOLD &&
             type != LOG_TYPE_NEW)
        NOTE(li, "file type %u is not a transaction log (1, 2 or 6)", type);
    else if (rd_u32(s, BASE_MAJOR) != 1 || rd_u32(s, BASE_MINOR) > 6 ||
             rd_u32(s, BASE_FORMAT) != 1)
        NOTE(li, "unsupported version %u.%u or format %u",
             rd_u32(s, BASE_MAJOR), rd_u32(s, BASE_MINOR),
             rd_u32(s, BASE_FORMAT));
    else if (pl->bins == 0 || pl->bins % HBIN_PAGE || pl->bins > MAX_BINS)
        NOTE(li, "hive bins size 0x%x is not a positive multiple of 4096",
             pl->bins);
    else
        pl->fmt = type == LOG_TYPE_NEW ? RH_LOG_NEW : RH_LOG_OLD;
    li->format = pl->fmt;
}

/* ---- new format ------------------------------------------------------ */

typedef struct entry {
    size_t off;
    uint32_t size, flags, seq, bins, npages;
} entry;

/* Validate the entry at off expecting sequence number want.  0 if valid;
 * else -1 with the reason in why. */
static int
entry_check(span L, size_t off, uint32_t want, entry *e, char *why, size_t wn)
{
    if (off >= L.n) {
        say(why, wn, "entries end at the end of the file (0x%zx)", off);
        return -1;
    }
    if (!span_has(L, off, HVLE_HDR) || memcmp(L.p + off, "HvLE", 4) != 0) {
        say(why, wn, "entries end at 0x%zx (no 'HvLE' entry there)", off);
        return -1;
    }
    span h = span_sub(L, off, L.n - off);
    e->off = off;
    e->size = rd_u32(h, HVLE_SIZE);
    e->flags = rd_u32(h, HVLE_FLAGS);
    e->seq = rd_u32(h, HVLE_SEQ);
    e->bins = rd_u32(h, HVLE_BINS_SIZE);
    e->npages = rd_u32(h, HVLE_NPAGES);
    if (e->size < LOG_BASE_SIZE || e->size % LOG_BASE_SIZE) {
        say(why, wn, "entry at 0x%zx: size 0x%x is not a multiple of 512", off,
            e->size);
        return -1;
    }
    if (e->size > h.n) {
        say(why, wn,
            "entry at 0x%zx (seq %u): size 0x%x runs past the end of the "
            "file (truncated log)",
            off, e->seq, e->size);
        return -1;
    }
    if (marvin32(h.p, 32, MARVIN_SEED) != rd_u64(h, HVLE_HASH2)) {
        say(why, wn, "entry at 0x%zx: hash-2 (header) mismatch", off);
        return -1;
    }
    if (marvin32(h.p + HVLE_HDR, e->size - HVLE_HDR, MARVIN_SEED) !=
        rd_u64(h, HVLE_HASH1)) {
        say(why, wn, "entry at 0x%zx (seq %u): hash-1 (data) mismatch", off,
            e->seq);
        return -1;
    }
    if (e->seq != want) {
        say(why, wn,
            "entry at 0x%zx has sequence number %u where %u comes next "
            "(older entries or a gap: stop)",
            off, e->seq, want);
        return -1;
    }
    if (e->bins == 0 || e->bins % HBIN_PAGE || e->bins > MAX_BINS) {
        say(why, wn, "entry at 0x%zx: hive bins size 0x%x is invalid", off,
            e->bins);
        return -1;
    }
    size_t refs = (size_t)e->npages * 8, data, total = 0;
    if (e->npages == 0 || !ck_add(HVLE_HDR, refs, &data) || data > e->size) {
        say(why, wn, "entry at 0x%zx: %u dirty pages do not fit the entry", off,
            e->npages);
        return -1;
    }
    for (uint32_t i = 0; i < e->npages; i++) {
        uint32_t po = rd_u32(h, HVLE_HDR + (size_t)i * 8);
        uint32_t ps = rd_u32(h, HVLE_HDR + (size_t)i * 8 + 4);
        if (ps == 0 || po % LOG_PAGE_OLD || ps % LOG_PAGE_OLD ||
            (uint64_t)po + ps > e->bins) {
            say(why, wn,
                "entry at 0x%zx: dirty page %u (offset 0x%x, size 0x%x) "
                "lies outside the 0x%x bytes of hive bins",
                off, i, po, ps, e->bins);
            return -1;
        }
        total += ps;
        if (total > e->size - data) {
            say(why, wn, "entry at 0x%zx: dirty pages overrun the entry", off);
            return -1;
        }
    }
    return 0;
}

/* Write the pages of a validated entry into the image. */
static int
entry_apply(span L, const entry *e, img *im, rh_recovery *rep)
{
    span h = span_sub(L, e->off, e->size);
    size_t src = HVLE_HDR + (size_t)e->npages * 8;
    if (img_grow(im, (size_t)BASE_SIZE + e->bins) < 0)
        return RH_ENOMEM;
    for (uint32_t i = 0; i < e->npages; i++) {
        uint32_t po = rd_u32(h, HVLE_HDR + (size_t)i * 8);
        uint32_t ps = rd_u32(h, HVLE_HDR + (size_t)i * 8 + 4);
        memcpy(im->p + BASE_SIZE + po, h.p + src, ps);
        src += ps;
    }
    im->bins = e->bins;
    /* Only bit 0 (KTM locked) of the base block flags is logged. */
    im->flags = (im->flags & ~1u) | (e->flags & 1u);
    rep->pages += e->npages;
    return 0;
}

/* Walk pl's entries from its base block sequence number; apply them to im
 * unless im is NULL.  Returns RH_ENOMEM or 0. */
static int
walk_new(plog *pl, img *im, rh_recovery *rep)
{
    rh_log_info *li = pl->info;
    size_t off = LOG_BASE_SIZE;
    uint32_t want = pl->seq;
    entry e;
    li->entries = li->applied = 0;
    while (entry_check(pl->s, off, want, &e, li->note, sizeof li->note) == 0) {
        if ((uint64_t)BASE_SIZE + e.bins > pl->cap) {
            NOTE(li,
                 "entry at 0x%zx: hive bins size 0x%x is more than the "
                 "primary and its logs hold",
                 off, e.bins);
            break;
        }
        if (li->entries++ == 0)
            li->first_seq = e.seq;
        li->last_seq = e.seq;
        if (im) {
            if (entry_apply(pl->s, &e, im, rep) < 0)
                return RH_ENOMEM;
            li->applied++;
            rep->entries++;
            rep->final_seq = e.seq;
        }
        off += e.size;
        want = e.seq + 1;
    }
    return 0;
}

/* ---- old format ------------------------------------------------------ */

/* Dirty vector: bitmap length in bytes, start of the pages, page count.
 * 0 if the log holds all of them, else -1 with the note set. */
static int
old_layout(plog *pl, size_t *vlen, size_t *start, uint32_t *count)
{
    span s = pl->s;
    *vlen = pl->bins / HBIN_PAGE;                   /* 1 bit per 512 bytes */
    if ((uint64_t)BASE_SIZE + pl->bins > pl->cap) { /* see plog.cap */
        NOTE(pl->info,
             "hive bins size 0x%x is more than the primary and its logs "
             "hold",
             pl->bins);
        return -1;
    }
    if (!span_has(s, LOG_DIRT_SIG, 4 + *vlen) ||
        memcmp(s.p + LOG_DIRT_SIG, "DIRT", 4) != 0) {
        NOTE(pl->info, "no 'DIRT' dirty vector at 0x200 (or it is cut "
                       "short)");
        return -1;
    }
    *start = (LOG_DIRT_SIG + 4 + *vlen + LOG_PAGE_OLD - 1) &
             ~(size_t)(LOG_PAGE_OLD - 1);
    uint32_t c = 0;
    for (size_t i = 0; i < *vlen; i++)
        c += (uint32_t)__builtin_popcount(s.p[LOG_DIRT_SIG + 4 + i]);
    *count = c;
    pl->info->entries = c;
    if (c == 0) {
        NOTE(pl->info, "the dirty vector marks no page");
        return -1;
    }
    if ((s.n - *start) / LOG_PAGE_OLD < c) {
        NOTE(pl->info,
             "truncated: the dirty vector marks %u pages but the file holds "
             "%zu",
             c, s.n > *start ? (s.n - *start) / LOG_PAGE_OLD : 0);
        return -1;
    }
    NOTE(pl->info, "%u dirty 512-byte pages for 0x%x bytes of bins", c,
         pl->bins);
    return 0;
}

static int
old_apply(plog *pl, size_t vlen, size_t start, img *im, rh_recovery *rep)
{
    const uint8_t *bm = pl->s.p + LOG_DIRT_SIG + 4;
    if (img_grow(im, (size_t)BASE_SIZE + pl->bins) < 0)
        return RH_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < vlen * 8; i++) {
        if (!(bm[i / 8] >> (i % 8) & 1))
            continue;
        memcpy(im->p + BASE_SIZE + i * LOG_PAGE_OLD,
               pl->s.p + start + k * LOG_PAGE_OLD, LOG_PAGE_OLD);
        k++;
    }
    pl->info->applied = (uint32_t)k;
    rep->pages += (uint32_t)k;
    im->bins = pl->bins;
    return 0;
}

/* ---- choosing and applying ------------------------------------------- */

/* Sort new-format logs by base block sequence number (wrap-aware). */
static void
sort_by_seq(plog **v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && !seq_ge(v[j]->seq, v[j - 1]->seq); j--) {
            plog *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* New format, as Windows: when the primary base block is valid, start
 * from the oldest log not older than the primary's secondary sequence
 * number and continue into the next log only if it starts right after
 * the last applied entry; when it is invalid, only the newest log is
 * used (and supplies the base block).  Returns the last log applied. */
static int
recover_new(plog **v, size_t nv, int p_ok, uint32_t p_seq2, img *im,
            rh_recovery *rep, plog **base_log)
{
    sort_by_seq(v, nv);
    size_t i = 0;
    if (!p_ok) {
        i = nv - 1;
        for (size_t j = 0; j < i; j++)
            say(v[j]->info->note, sizeof v[j]->info->note,
                "not used: the primary base block is invalid, so only the "
                "newest log (seq %u) is replayed",
                v[i]->seq);
    } else {
        while (i < nv && !seq_ge(v[i]->seq, p_seq2)) {
            if (walk_new(v[i], NULL, rep) < 0)
                return RH_ENOMEM;
            say(v[i]->info->note, sizeof v[i]->info->note,
                "stale: log sequence number %u is older than the primary's "
                "%u",
                v[i]->seq, p_seq2);
            i++;
        }
    }
    /* The chain: the first eligible log, then each log that starts right
     * after the last applied entry.  A log with no valid first entry ends
     * the chain (stop at the first invalid entry). */
    for (size_t first = i; i < nv; i++) {
        plog *pl = v[i];
        int ok = i == first || (*base_log && pl->seq == rep->final_seq + 1);
        if (!ok) {
            if (walk_new(pl, NULL, rep) < 0)
                return RH_ENOMEM;
            if (*base_log)
                say(pl->info->note, sizeof pl->info->note,
                    "not applied: starts at sequence number %u, not %u "
                    "right after the last applied entry",
                    pl->seq, rep->final_seq + 1);
            else
                say(pl->info->note, sizeof pl->info->note,
                    "not applied: the log before it (seq %u) has no valid "
                    "entry, so the sequence is broken",
                    v[first]->seq);
            continue;
        }
        uint32_t before = rep->entries;
        if (walk_new(pl, im, rep) < 0)
            return RH_ENOMEM;
        if (rep->entries > before)
            *base_log = pl;
        if (!p_ok)
            break;
    }
    return 0;
}

static void
finish_base(img *im, const plog *bl, int p_ok, uint32_t seq)
{
    uint8_t *b = im->p;
    if (!p_ok) {
        memset(b, 0, BASE_SIZE);
        memcpy(b, bl->s.p, LOG_BASE_SIZE);
    }
    wr_u32(b + BASE_SEQ1, seq);
    wr_u32(b + BASE_SEQ2, seq);
    wr_u32(b + BASE_TYPE, 0);
    wr_u32(b + BASE_BINS_SIZE, im->bins);
    wr_u32(b + BASE_FLAGS, im->flags);
    wr_u32(b + BASE_CHECKSUM, xor_checksum(b));
}

static size_t
join_names(char *dst, size_t n, plog *const *v, size_t nv)
{
    size_t k = 0;
    dst[0] = 0;
    for (size_t i = 0; i < nv; i++) {
        if (!v[i]->info->applied)
            continue;
        const char *nm = v[i]->info->name;
        const char *sl = strrchr(nm, '/');
        const char *parts[2] = {k ? ", " : "", sl ? sl + 1 : nm};
        for (int j = 0; j < 2; j++) {
            size_t have = strlen(dst), add = strlen(parts[j]);
            if (add > n - 1 - have)
                add = n - 1 - have;
            memcpy(dst + have, parts[j], add);
            dst[have + add] = 0;
        }
        k++;
    }
    return k;
}

int
log_recover(span hive, const log_src *logs, size_t nlogs, uint8_t **out,
            size_t *outlen, rh_recovery *rep)
{
    return log_recover_into(hive, logs, nlogs, NULL, NULL, out, outlen, rep);
}

int
log_recover_into(span hive, const log_src *logs, size_t nlogs, log_img_fn get,
                 void *ctx, uint8_t **out, size_t *outlen, rh_recovery *rep)
{
    plog pl[RH_MAX_LOGS], *nv[RH_MAX_LOGS], *ov[RH_MAX_LOGS];
    size_t nn = 0, no = 0;
    img im = {NULL, 0, 0, 0, 0};
    plog *base_log = NULL;
    int rc = 0;

    memset(rep, 0, sizeof *rep);
    *out = NULL;
    *outlen = 0;
    if (nlogs > RH_MAX_LOGS)
        nlogs = RH_MAX_LOGS;
    rep->nlogs = nlogs;
    if (hive.n < BASE_SIZE || memcmp(hive.p, "regf", 4) != 0 ||
        rd_u32(hive, BASE_TYPE) != 0) {
        STATUS(rep, "not a primary hive file: logs not consulted");
        return 0;
    }
    int p_ok = xor_checksum(hive.p) == rd_u32(hive, BASE_CHECKSUM);
    rep->seq1 = rd_u32(hive, BASE_SEQ1);
    rep->seq2 = rd_u32(hive, BASE_SEQ2);
    rep->dirty = !p_ok || rep->seq1 != rep->seq2;
    rep->final_seq = rep->seq1;
    rep->bins_size = rd_u32(hive, BASE_BINS_SIZE);

    uint64_t cap = hive.n;
    for (size_t i = 0; i < nlogs; i++)
        cap += logs[i].p ? logs[i].n : 0;
    for (size_t i = 0; i < nlogs; i++) {
        rh_log_info *li = &rep->logs[i];
        pl[i].cap = cap;
        pl[i].s.p = logs[i].p;
        pl[i].s.n = logs[i].p ? logs[i].n : 0;
        pl[i].info = li;
        snprintf(li->name, sizeof li->name, "%s",
                 logs[i].name ? logs[i].name : "(memory)");
        check_base(&pl[i]);
        if (pl[i].fmt == RH_LOG_NEW)
            nv[nn++] = &pl[i];
        else if (pl[i].fmt == RH_LOG_OLD)
            ov[no++] = &pl[i];
    }

    if (!rep->dirty) {
        /* A clean hive's logs hold applied or stale entries: never
         * replayed.  Only their base blocks were read. */
        for (size_t i = 0; i < nlogs; i++)
            if (pl[i].fmt != RH_LOG_UNUSABLE)
                NOTE(pl[i].info,
                     "not replayed: the primary is clean (seq %u); log "
                     "seq %u is %s",
                     rep->seq1, pl[i].seq,
                     seq_ge(pl[i].seq, rep->seq1 + 1) ? "newer (ignored, as "
                                                        "Windows does)"
                                                      : "stale");
        STATUS(rep,
               "clean hive (sequence numbers %u/%u): no recovery "
               "needed",
               rep->seq1, rep->seq2);
        return 0;
    }
    if (nlogs == 0) {
        STATUS(rep, "dirty hive (seq %u/%u%s) but no transaction log found",
               rep->seq1, rep->seq2, p_ok ? "" : ", bad checksum");
        return 0;
    }

    im.n = hive.n;
    if (get && (im.p = get(ctx, (size_t)cap)) != NULL) {
        im.ext = (size_t)cap; /* pages are copied as entries write them */
    } else {
        if (!(im.p = malloc(im.n)))
            return RH_ENOMEM;
        memcpy(im.p, hive.p, im.n);
    }
    im.bins = rd_u32(hive, BASE_BINS_SIZE);
    im.flags = rd_u32(hive, BASE_FLAGS);

    if (nn > 0) {
        rc = recover_new(nv, nn, p_ok, rep->seq2, &im, rep, &base_log);
        for (size_t i = 0; i < no; i++)
            NOTE(ov[i]->info, "not used: new-format logs take precedence");
    } else if (no > 0) {
        /* Old format: the newest log whose timestamp is not older than
         * the primary's (the first bin's when the base block is bad). */
        span tb = p_ok ? hive : span_sub(hive, BASE_SIZE, HBIN_HDR);
        uint64_t pts = rd_u64(tb, p_ok ? BASE_TIME : HBIN_TIME);
        plog *best = NULL;
        size_t vlen = 0, start = 0;
        for (size_t i = 0; i < no; i++) {
            size_t vl, st;
            uint32_t c;
            if (ov[i]->ts < pts) {
                NOTE(ov[i]->info,
                     "stale: log timestamp is older than the primary's");
                continue;
            }
            if (old_layout(ov[i], &vl, &st, &c) < 0)
                continue;
            if (!best || ov[i]->ts > best->ts) {
                best = ov[i];
                vlen = vl;
                start = st;
            }
        }
        if (best) {
            if ((rc = old_apply(best, vlen, start, &im, rep)) == 0) {
                base_log = best;
                rep->final_seq = p_ok ? rep->seq1 : best->seq;
            }
        }
    }
    if (rc < 0 || !base_log) {
        if (!im.ext) /* the caller's room is the caller's to release */
            free(im.p);
        if (rc == 0)
            STATUS(rep,
                   "dirty hive (seq %u/%u%s): no log could be applied; "
                   "reading the primary as it is",
                   rep->seq1, rep->seq2, p_ok ? "" : ", bad checksum");
        return rc;
    }
    rep->base_from_log = !p_ok;
    finish_base(&im, base_log, p_ok, rep->final_seq);
    rep->applied = 1;
    rep->bins_size = im.bins;
    char names[120];
    plog *all[RH_MAX_LOGS];
    for (size_t i = 0; i < nlogs; i++)
        all[i] = &pl[i];
    join_names(names, sizeof names, all, nlogs);
    if (base_log->fmt == RH_LOG_NEW)
        STATUS(rep,
               "recovered from %s: %u log entries, %u pages, sequence "
               "%u -> %u%s",
               names, rep->entries, rep->pages, rep->seq2, rep->final_seq,
               p_ok ? "" : " (base block rebuilt from the log)");
    else
        STATUS(rep,
               "recovered from %s (old format): %u pages, sequence "
               "%u%s",
               names, rep->pages, rep->final_seq,
               p_ok ? "" : " (base block rebuilt from the log)");
    *out = im.p;
    *outlen = im.n;
    return 0;
}

/* ---- writer side ------------------------------------------------------ */

void
log_base_make(uint8_t *dst, const uint8_t *base, uint32_t seq, uint32_t bins)
{
    memcpy(dst, base, LOG_BASE_SIZE);
    wr_u32(dst + BASE_SEQ1, seq);
    wr_u32(dst + BASE_SEQ2, seq);
    wr_u32(dst + BASE_TYPE, LOG_TYPE_NEW);
    wr_u32(dst + BASE_BINS_SIZE, bins);
    wr_u32(dst + BASE_CHECKSUM, xor_checksum(dst));
}

size_t
log_entry_size(uint32_t nrefs, size_t data)
{
    size_t n = HVLE_HDR + (size_t)nrefs * 8 + data;
    return (n + LOG_BASE_SIZE - 1) & ~(size_t)(LOG_BASE_SIZE - 1);
}

void
log_entry_seal(uint8_t *e, uint32_t size, uint32_t flags, uint32_t seq,
               uint32_t bins, uint32_t nrefs)
{
    memcpy(e, "HvLE", 4);
    wr_u32(e + HVLE_SIZE, size);
    wr_u32(e + HVLE_FLAGS, flags);
    wr_u32(e + HVLE_SEQ, seq);
    wr_u32(e + HVLE_BINS_SIZE, bins);
    wr_u32(e + HVLE_NPAGES, nrefs);
    wr_u64(e + HVLE_HASH1,
           marvin32(e + HVLE_HDR, size - HVLE_HDR, MARVIN_SEED));
    wr_u64(e + HVLE_HASH2, marvin32(e, 32, MARVIN_SEED));
}

int
log_scan(span l, uint32_t *seq0, uint32_t *nent, uint32_t *last, size_t *end)
{
    rh_log_info info;
    plog pl;
    entry e;
    memset(&info, 0, sizeof info);
    pl.s = l;
    pl.info = &info;
    check_base(&pl);
    if (pl.fmt != RH_LOG_NEW)
        return -1;
    size_t off = LOG_BASE_SIZE;
    uint32_t want = pl.seq;
    *seq0 = pl.seq;
    *nent = 0;
    *last = pl.seq - 1;
    while (entry_check(l, off, want, &e, info.note, sizeof info.note) == 0) {
        (*nent)++;
        *last = e.seq;
        off += e.size;
        want = e.seq + 1;
    }
    *end = off;
    return 0;
}
