/*
 * diff_hivex.c - differential test against hivex (standalone, not
 * libFuzzer): for every input file (or every file of a directory) that
 * hivex opens and walks completely, reghive must read the same tree
 * (key paths, value names, types and data, in list order) or reject the
 * hive with a corruption error.  Each input runs in a child process (a
 * crash or hang of either library is reported, not fatal).
 *   diff_hivex [-v] FILE|DIR...
 * Prints one line per difference; exits 1 if there was any.
 */
#include "../include/reghive.h"

#include <dirent.h>
#include <hivex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    SAME = 0,           /* both read the same tree */
    HIVEX_REJECTS = 10, /* hivex could not open or walk it: not compared */
    RH_CORRUPT = 11,    /* reghive refused it as corrupt (allowed) */
    RH_OTHER = 12,      /* reghive failed otherwise (a difference) */
    DIFFERENT = 13      /* both read it, trees differ */
};

#define MAXKEYS 200000 /* walk budget per hive (both sides) */

/* A growing text dump of one tree. */
typedef struct dump {
    char *p;
    size_t n, cap;
    size_t keys;
    int err; /* walk failed */
    uint8_t *seen;
    size_t nseen;
} dump;

static void
put(dump *d, const char *s, size_t n)
{
    if (d->n + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 65536;
        while (cap < d->n + n + 1)
            cap *= 2;
        char *p = realloc(d->p, cap);
        if (!p) {
            d->err = 1;
            return;
        }
        d->p = p;
        d->cap = cap;
    }
    memcpy(d->p + d->n, s, n);
    d->n += n;
    d->p[d->n] = 0;
}

static void
putf(dump *d, const char *fmt, unsigned long long a, unsigned long long b)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, fmt, a, b);
    put(d, tmp, (size_t)n);
}

/* Names escaped so that a NUL or newline inside cannot fake a line. */
static void
put_name(dump *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '\\' || c == '%') {
            char e[4];
            snprintf(e, sizeof e, "%%%02x", c);
            put(d, e, 3);
        } else {
            put(d, (const char *)&c, 1);
        }
    }
}

static uint64_t
fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        x = (x ^ b[i]) * 1099511628211ull;
    return x;
}

/* Mark offset off visited; 1 if it already was (or is out of range). */
static int
visit(dump *d, uint64_t off)
{
    if ((off >> 3) / 8 >= d->nseen)
        return 1;
    uint8_t m = (uint8_t)(1u << ((off >> 3) & 7));
    int was = d->seen[off >> 6] & m;
    d->seen[off >> 6] |= m;
    return was != 0;
}

/* ---- hivex side ------------------------------------------------------ */

static void
hx_key(hive_h *h, hive_node_h n, const char *path, size_t plen, int depth,
       dump *d)
{
    if (d->err || depth > RH_MAX_DEPTH || ++d->keys > MAXKEYS) {
        d->err = 1;
        return;
    }
    if (visit(d, n)) /* a key listed twice: walked once, like reghive */
        return;
    put(d, "K ", 2);
    put(d, path, plen);
    put(d, "\n", 1);
    hive_value_h *vals = hivex_node_values(h, n);
    if (!vals) {
        d->err = 1;
        return;
    }
    for (size_t i = 0; vals[i] && !d->err; i++) {
        char *name = hivex_value_key(h, vals[i]);
        hive_type t;
        size_t len;
        char *data = name ? hivex_value_value(h, vals[i], &t, &len) : NULL;
        if (!data) {
            free(name);
            d->err = 1;
            break;
        }
        put(d, "V ", 2);
        put_name(d, name, strlen(name));
        putf(d, " %llu %llu", (unsigned long long)t, len);
        putf(d, " %016llx%.0llu\n", fnv(data, len), 0);
        free(name);
        free(data);
    }
    free(vals);
    hive_node_h *kids = hivex_node_children(h, n);
    if (!kids) {
        d->err = 1;
        return;
    }
    for (size_t i = 0; kids[i] && !d->err; i++) {
        char *name = hivex_node_name(h, kids[i]);
        if (!name) {
            d->err = 1;
            break;
        }
        dump tmp = {0};
        put(&tmp, path, plen);
        put(&tmp, "\\", 1);
        put_name(&tmp, name, strlen(name));
        free(name);
        if (tmp.err || !tmp.p) {
            d->err = 1;
            free(tmp.p);
            break;
        }
        hx_key(h, kids[i], tmp.p, tmp.n, depth + 1, d);
        free(tmp.p);
    }
    free(kids);
}

/* ---- reghive side ---------------------------------------------------- */

struct rw {
    rh_hive *h;
    dump *d;
    const char *path;
    size_t plen;
    int depth;
    int rc;
};

static void rh_walk(rh_hive *h, rh_key k, const char *path, size_t plen,
                    int depth, dump *d, int *rc);

static int
rh_val(void *ctx, rh_value v)
{
    struct rw *w = ctx;
    char *name;
    size_t nlen, len;
    uint32_t type;
    void *data;
    int rc;
    if ((rc = rh_value_name(w->h, v, &name, &nlen)) < 0)
        return rc;
    if ((rc = rh_value_data(w->h, v, &type, &data, &len)) < 0) {
        free(name);
        return rc;
    }
    put(w->d, "V ", 2);
    put_name(w->d, name, strnlen(name, nlen)); /* see rh_kid */
    putf(w->d, " %llu %llu", type, len);
    putf(w->d, " %016llx%.0llu\n", fnv(data, len), 0);
    free(name);
    free(data);
    return 0;
}

static int
rh_kid(void *ctx, rh_key k)
{
    struct rw *w = ctx;
    char *name;
    size_t nlen;
    int rc;
    if ((rc = rh_key_name(w->h, k, &name, &nlen)) < 0)
        return rc;
    dump tmp = {0};
    put(&tmp, w->path, w->plen);
    put(&tmp, "\\", 1);
    /* hivex returns names as C strings: one holding U+0000 is cut there
     * (hivex's API cannot say more), so compare only that much. */
    put_name(&tmp, name, strnlen(name, nlen));
    free(name);
    if (tmp.err || !tmp.p) {
        free(tmp.p);
        return RH_ENOMEM;
    }
    rh_walk(w->h, k, tmp.p, tmp.n, w->depth + 1, w->d, &rc);
    free(tmp.p);
    return rc;
}

static void
rh_walk(rh_hive *h, rh_key k, const char *path, size_t plen, int depth, dump *d,
        int *rc)
{
    *rc = 0;
    if (depth > RH_MAX_DEPTH || ++d->keys > MAXKEYS) {
        *rc = RH_ERANGE;
        return;
    }
    if (visit(d, (uint64_t)k + 4096))
        return;
    put(d, "K ", 2);
    put(d, path, plen);
    put(d, "\n", 1);
    struct rw w = {h, d, path, plen, depth, 0};
    if ((*rc = rh_key_values_foreach(h, k, rh_val, &w)) < 0)
        return;
    *rc = rh_key_subkeys_foreach(h, k, rh_kid, &w);
}

/* ---- one input ------------------------------------------------------- */

static const char *cur_path; /* the input the child is comparing */

/* Name the input before the first line said about it. */
static void
header(void)
{
    if (cur_path)
        printf("%s\n", cur_path);
    cur_path = NULL;
}

static void
first_diff(const char *a, const char *b)
{
    size_t line = 1;
    header();
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    printf("    line %zu\n    hivex:   %.*s\n    reghive: %.*s\n", line,
           (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

static int
compare(uint8_t *buf, size_t len, int verbose)
{
    /* hivex refuses a bad base block checksum where reghive only warns:
     * fix it (in both sides' copy) so that mutated inputs get compared. */
    if (len >= 4096) {
        uint32_t x = 0, w;
        for (int i = 0; i < 508; i += 4) {
            memcpy(&w, buf + i, 4);
            x ^= w;
        }
        x = x == 0 ? 1 : x == 0xFFFFFFFFu ? 0xFFFFFFFEu : x;
        memcpy(buf + 508, &x, 4);
    }
    int fd = memfd_create("hive", 0);
    char path[64];
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
        return HIVEX_REJECTS;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    hive_h *hx = hivex_open(path, 0);
    if (!hx)
        return HIVEX_REJECTS;
    size_t nseen = len / 64 + 1;
    dump a = {0}, b = {0};
    a.seen = calloc(nseen, 1);
    b.seen = calloc(nseen, 1);
    a.nseen = b.nseen = nseen;
    if (!a.seen || !b.seen)
        return HIVEX_REJECTS;
    hive_node_h root = hivex_root(hx);
    if (!root)
        return HIVEX_REJECTS;
    hx_key(hx, root, "", 0, 0, &a);
    hivex_close(hx);
    if (a.err || !a.p)
        return HIVEX_REJECTS;

    rh_hive *h;
    int rc = rh_open_mem(buf, len, 0, &h);
    rh_stats st;
    if (rc == 0)
        rc = rh_hive_stats(h, &st); /* reghive's own (strict) walker */
    if (rc == 0)
        rh_walk(h, rh_hive_root(h), "", 0, 0, &b, &rc);
    if (rc < 0) {
        if (verbose || rc != RH_ECORRUPT) {
            header();
            printf("  reghive: %s: %s\n", rh_strerror(rc), rh_errmsg(h));
        }
        rh_close(h);
        return rc == RH_ECORRUPT ? RH_CORRUPT : RH_OTHER;
    }
    rh_close(h);
    if (!b.p || strcmp(a.p, b.p) != 0) {
        first_diff(a.p, b.p ? b.p : "");
        return DIFFERENT;
    }
    return SAME;
}

static int verbose;
static size_t tally[5], crashes;

static void
run_file(const char *path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = fopen(path, "rb");
        if (!f)
            _exit(HIVEX_REJECTS);
        struct stat st;
        fstat(fileno(f), &st);
        size_t len = (size_t)st.st_size;
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf || fread(buf, 1, len, f) != len)
            _exit(HIVEX_REJECTS);
        fclose(f);
        alarm(20);
        cur_path = path;
        int r = compare(buf, len, verbose);
        fflush(stdout);
        _exit(r);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        perror("fork");
        exit(2);
    }
    if (WIFSIGNALED(status)) {
        printf("  CRASH or TIMEOUT (signal %d): %s\n", WTERMSIG(status), path);
        crashes++;
        return;
    }
    int r = WEXITSTATUS(status);
    if (r == SAME)
        tally[0]++;
    else if (r >= HIVEX_REJECTS && r <= DIFFERENT)
        tally[r - HIVEX_REJECTS + 1]++;
    if (r == DIFFERENT || r == RH_OTHER)
        printf("  DIFFERENCE (%s): %s\n",
               r == DIFFERENT ? "tree" : "reghive error", path);
}

int
main(int argc, char **argv)
{
    int i = 1;
    if (i < argc && strcmp(argv[i], "-v") == 0) {
        verbose = 1;
        i++;
    }
    for (; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                char p[4096];
                if (e->d_name[0] == '.')
                    continue;
                snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
                run_file(p);
            }
            if (d)
                closedir(d);
        } else {
            run_file(argv[i]);
        }
    }
    printf("same %zu, hivex rejects %zu, reghive corrupt %zu, reghive "
           "other error %zu, different %zu, crashes/timeouts %zu\n",
           tally[0], tally[1], tally[2], tally[3], tally[4], crashes);
    return tally[3] || tally[4] || crashes;
}
