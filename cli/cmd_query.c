/*
 * cmd_query.c - reghive query HIVE [KEY] [-s] [-v NAME | -ve]
 *               [-f PATTERN [-k] [-d] [-v] [-e] [-c]] [-t TYPE] [--json]
 *
 * Output follows reg.exe query (layout taken from Wine's programs/reg
 * query.c and its tests, which pass against Windows' reg.exe): a blank
 * line; the key path, its values as "    name    TYPE    data" and a blank
 * line, or nothing for a key without values; then the subkey paths one per
 * line, or with -s every key below as path, values, blank line.  Searches
 * (-f, -t, -v/-ve with -s) print only keys with a hit and end with
 * "End of search: N match(es) found.".  -f compares case-insensitively
 * with Unicode simple case mapping (-c: exactly).  --json prints one whole-key
 * JSON object (as export --json) for every key the text form would show.
 */
#include "cmd.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

struct q {
    rh_hive *h;
    const char *prefix;
    int recurse, json;
    const char *vname; /* -v NAME, "" for -ve */
    const char *pattern;
    uint32_t *pat; /* pattern as code points, '*' around it unless -e */
    int in_keys, in_data, in_values, exact, casesens;
    uint32_t types[16];
    int ntypes;
    int search; /* a filtered listing: ends with "End of search" */
    unsigned long matches;
};

/* Text as code points (a byte that is not UTF-8 stands for itself);
 * returns a malloc'd 0-terminated array. */
static uint32_t *
decode(const char *s)
{
    size_t n = strlen(s), j = 0;
    uint32_t *o = malloc((n + 1) * sizeof *o);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n;) {
        const unsigned char *u = (const unsigned char *)s + i;
        size_t k = u[0] < 0x80 ? 1 : u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : 2;
        uint32_t c = u[0];
        if (k > 1 && i + k <= n) {
            c = k == 2 ? u[0] & 0x1Fu : k == 3 ? u[0] & 0x0Fu : u[0] & 0x07u;
            for (size_t m = 1; m < k; m++)
                c = c << 6 | (u[m] & 0x3Fu);
        } else {
            k = 1;
        }
        o[j++] = c;
        i += k;
    }
    o[j] = 0;
    return o;
}

/* Case fold for -f: towupper in a UTF-8 locale (Unicode simple case
 * mapping; Windows' own table differs only in rare letters). */
static uint32_t
fold(uint32_t c)
{
    return (uint32_t)towupper((wint_t)c);
}

static int
wild(const uint32_t *p, const uint32_t *s, int cs)
{
    /* Iterative '*' and '?' match with one backtrack point. */
    const uint32_t *star = NULL, *ss = NULL;
    while (*s) {
        if (*p == '?' || (cs ? *p == *s : fold(*p) == fold(*s))) {
            p++;
            s++;
        } else if (*p == '*') {
            star = p++;
            ss = s;
        } else if (star) {
            p = star + 1;
            s = ++ss;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == 0;
}

/* -f: the whole text with -e, else anywhere in it ('*' and '?' work). */
static int
match(struct q *q, const char *text)
{
    uint32_t *t = decode(text);
    int r = t && wild(q->pat, t, q->casesens);
    free(t);
    return r;
}

static char *
full_path(struct q *q, rh_key k)
{
    char *p;
    size_t n;
    if (rh_key_path(q->h, k, &p, &n) < 0)
        return NULL;
    size_t m = strlen(q->prefix);
    char *r = malloc(m + n + 2);
    if (r) {
        memcpy(r, q->prefix, m);
        if (n || !m)
            r[m++] = '\\';
        memcpy(r + m, p, n + 1);
    }
    free(p);
    return r;
}

static int
type_ok(struct q *q, uint32_t t)
{
    if (!q->ntypes)
        return 1;
    for (int i = 0; i < q->ntypes; i++)
        if (q->types[i] == t)
            return 1;
    return 0;
}

/* Data as reg query shows it, for -f -d matching. */
static char *
data_text(rh_hive *h, rh_value v, uint32_t t, const uint8_t *d, size_t n)
{
    char *buf = NULL;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    print_value(f, h, v, t, d, n, 1);
    fclose(f);
    return buf;
}

/* One key being listed: its path is printed before its first line. */
struct cur {
    rh_key k;
    const char *path;
    int shown; /* path printed (or, for --json, key selected) */
    int nvals; /* value lines printed */
};

static void
show_key(struct q *q, struct cur *c)
{
    if (!c->shown && !q->json)
        printf("%s\n", c->path);
    c->shown = 1;
}

static void
value_line(struct q *q, struct cur *c, rh_value v, const char *name, size_t nl,
           uint32_t t, const void *d, size_t dl)
{
    show_key(q, c);
    c->nvals++;
    if (q->json)
        return;
    const char *tn = rh_type_name(t);
    char tb[24];
    if (!tn) {
        snprintf(tb, sizeof tb, "0x%x", t);
        tn = tb;
    }
    printf("    %s    %s    ", nl ? name : "(Default)", tn);
    print_value(stdout, q->h, v, t, d, dl, 1);
    putchar('\n');
}

/* Does value v pass -v/-ve, -t and -f? */
static int
value_wanted(struct q *q, rh_value v, rh_value only, const char *name,
             size_t nl, uint32_t t, const void *d, size_t dl)
{
    if (q->vname && v != only)
        return 0;
    if (!type_ok(q, t))
        return 0;
    if (!q->pattern)
        return 1;
    if (q->in_values && match(q, nl ? name : "(Default)"))
        return 1;
    if (q->in_data) {
        char *s = data_text(q->h, v, t, d, dl);
        int hit = s && match(q, s);
        free(s);
        return hit;
    }
    return 0;
}

static int
list_values(struct q *q, struct cur *c)
{
    rh_value *vals, only = 0;
    size_t nv;
    int rc;
    if (q->vname) {
        rc = rh_key_value(q->h, c->k, q->vname, strlen(q->vname), &only);
        if (rc == RH_ENOTFOUND)
            return 0;
        if (rc < 0)
            return rc;
    }
    if ((rc = rh_key_values(q->h, c->k, &vals, &nv)) < 0)
        return rc;
    for (size_t i = 0; i < nv && rc >= 0; i++) {
        char *name;
        size_t nl, dl;
        void *d;
        uint32_t t;
        if ((rc = rh_value_name(q->h, vals[i], &name, &nl)) < 0)
            break;
        if ((rc = rh_value_data(q->h, vals[i], &t, &d, &dl)) < 0) {
            free(name);
            break;
        }
        if (value_wanted(q, vals[i], only, name, nl, t, d, dl)) {
            value_line(q, c, vals[i], name, nl, t, d, dl);
            if (q->search)
                q->matches++;
        }
        free(name);
        free(d);
    }
    free(vals);
    return rc < 0 ? rc : 0;
}

/* The key's text block is done: JSON prints the whole key instead. */
static int
end_key(struct q *q, struct cur *c)
{
    if (!q->json || !c->shown)
        return 0;
    int rc =
        rh_export(q->h, c->k, *q->prefix ? q->prefix : NULL,
                  RH_EXPORT_JSON | RH_EXPORT_NORECURSE, write_file, stdout);
    return rc;
}

/* List key k.  depth 0 is the queried key; values_too is 0 for the
 * subkeys of a non-recursive -f, which only match by name. */
static int
query_key(struct q *q, rh_key k, int depth, int values_too)
{
    int rc = 0;
    if (depth > RH_MAX_DEPTH) {
        /* A key's offset counts from the first bin (file offset - 4096). */
        fprintf(stderr,
                "reghive: key at file offset 0x%lx: nested deeper than %d "
                "levels below the queried key (a cycle?)\n",
                (unsigned long)k + 4096, RH_MAX_DEPTH);
        return RH_ECANCEL;
    }
    char *path = full_path(q, k);
    if (!path)
        return RH_ENOMEM;
    struct cur c = {k, path, 0, 0};
    if (q->pattern && q->in_keys && depth > 0) {
        char *name;
        if ((rc = rh_key_name(q->h, k, &name, NULL)) < 0)
            goto out;
        if (match(q, name)) {
            show_key(q, &c);
            q->matches++;
        }
        free(name);
    }
    if (!values_too) {
        rc = end_key(q, &c);
        goto out;
    }
    /* reg.exe: a key reached by /s always shows its path; the queried key
     * only when it has values (or --json, which always shows it). */
    if (!q->search && (depth > 0 || q->json))
        show_key(q, &c);
    if ((rc = list_values(q, &c)) < 0)
        goto out;
    if (q->vname && !*q->vname && !q->recurse && !c.nvals) {
        show_key(q, &c);
        if (!q->json)
            printf("    (Default)    REG_SZ    (value not set)\n");
        c.nvals++;
    }
    if (!q->json && (c.nvals || (!q->search && depth > 0)))
        putchar('\n');
    if ((rc = end_key(q, &c)) < 0)
        goto out;
    if (depth > 0 && !q->recurse)
        goto out;
    if (!q->recurse && (q->vname || q->ntypes) && !q->pattern)
        goto out; /* -v/-ve/-t alone: the key's own values only */
    rh_key *subs;
    size_t ns;
    if ((rc = rh_key_subkeys(q->h, k, &subs, &ns)) < 0)
        goto out;
    for (size_t i = 0; i < ns && rc >= 0; i++) {
        if (q->recurse) {
            rc = query_key(q, subs[i], depth + 1, 1);
        } else if (q->pattern) {
            if (q->in_keys)
                rc = query_key(q, subs[i], depth + 1, 0);
        } else if (!q->json) {
            char *sp = full_path(q, subs[i]);
            if (!sp) {
                rc = RH_ENOMEM;
                break;
            }
            printf("%s\n", sp);
            free(sp);
        }
    }
    free(subs);
out:
    free(path);
    return rc < 0 ? rc : 0;
}

enum { Q_HIVE, Q_KEY, Q_S, Q_V, Q_VE, Q_F, Q_K, Q_D, Q_E, Q_C, Q_T, Q_JSON };
static const struct opt_spec query_opts[] = {
    [Q_HIVE] = SPEC_HIVE("the hive to read"),
    [Q_KEY] = SPEC_KEY(0, "the key to list (default: the root)"),
    [Q_S] = {OPT_SWITCH, "-s", NULL, 0, NULL, "every key below, recursively"},
    [Q_V] = {OPT_VALUE, "-v", "NAME", OPT_OPTVAL, "value",
             "only the value NAME; with -f and no NAME: search value\n"
             "names only"},
    [Q_VE] = {OPT_SWITCH, "-ve", NULL, 0, "value",
              "only the default (unnamed) value"},
    [Q_F] = {OPT_VALUE, "-f", "PATTERN", 0, NULL,
             "search key names, value names and data for PATTERN\n"
             "(* and ? wildcards)"},
    [Q_K] = {OPT_SWITCH, "-k", NULL, 0, NULL, "with -f: search key names"},
    [Q_D] = {OPT_SWITCH, "-d", NULL, 0, NULL, "with -f: search data"},
    [Q_E] = {OPT_SWITCH, "-e", NULL, 0, NULL,
             "with -f: match the whole text only"},
    [Q_C] = {OPT_SWITCH, "-c", NULL, 0, NULL, "with -f: case-sensitive"},
    [Q_T] = {OPT_VALUE, "-t", "TYPE[,TYPE...]", OPT_TYPE, NULL,
             "only values of these types"},
    [Q_JSON] = {OPT_SWITCH, "--json", NULL, 0, NULL,
                "a JSON object per key (the keys the text form shows)"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec query_spec = {
    "query", query_opts, "list a key's values and subkeys, like reg query",
    NULL};

int
cmd_query(int argc, char **argv)
{
    struct q q = {0};
    struct opt_res r0;
    PARSE_ARGS(query_spec, argc, argv, &r0);
    const char *hive = r0.val[Q_HIVE], *key = r0.val[Q_KEY];
    int ve = opt_has(&r0, Q_VE), v_only = opt_has(&r0, Q_V) && !r0.val[Q_V];
    int opt_kd = opt_has(&r0, Q_K) || opt_has(&r0, Q_D) || opt_has(&r0, Q_E) ||
                 opt_has(&r0, Q_C);
    q.recurse = opt_has(&r0, Q_S);
    q.vname = r0.val[Q_V];
    q.pattern = r0.val[Q_F];
    q.in_keys = opt_has(&r0, Q_K);
    q.in_data = opt_has(&r0, Q_D);
    q.exact = opt_has(&r0, Q_E);
    q.casesens = opt_has(&r0, Q_C);
    q.json = opt_has(&r0, Q_JSON);
    if (r0.val[Q_T]) {
        char *list = strdup(r0.val[Q_T]), *save = NULL;
        if (!list)
            return 1;
        for (char *t = strtok_r(list, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            long v = type_parse(t);
            if (v < 0 || v > 0xFFFFFFFFL || q.ntypes == 16) {
                fprintf(stderr, "reghive: unknown type '%s'\n", t);
                free(list);
                return EXIT_USAGE;
            }
            q.types[q.ntypes++] = (uint32_t)v;
        }
        free(list);
    }
    if ((q.pattern && (q.vname || ve)) || (v_only && !q.pattern) ||
        (opt_kd && !q.pattern)) {
        fprintf(stderr, "reghive query: %s\n",
                q.pattern ? "-f searches: -v takes no NAME, and -ve is not "
                            "allowed"
                          : "-k, -d, -e, -c and -v without NAME go with -f");
        return usage("query");
    }
    if (ve)
        q.vname = "";
    if (q.pattern) {
        /* reg query /f: key names, value names and data unless -k, -d or
         * -v (value names) narrow it. */
        q.in_values = v_only;
        if (!q.in_keys && !q.in_data && !v_only)
            q.in_keys = q.in_values = q.in_data = 1;
        size_t n = strlen(q.pattern);
        char *p = malloc(n + 3);
        if (!p)
            return 1;
        snprintf(p, n + 3, q.exact ? "%s" : "*%s*", q.pattern);
        q.pat = decode(*q.pattern ? p : "*");
        free(p);
        if (!q.pat)
            return 1;
        setlocale(LC_CTYPE, "C.UTF-8");
    }
    q.search = q.pattern || q.ntypes || (q.vname && q.recurse);
    rh_hive *h = open_hive(hive, 0);
    if (!h) {
        free(q.pat);
        return 1;
    }
    q.h = h;
    rh_key k = rh_hive_root(h);
    char *dp = key ? display_prefix(key) : strdup("");
    q.prefix = dp ? dp : "";
    int rc = key ? rh_key_lookup(h, key, &k) : 0;
    rh_value v;
    if (rc < 0) {
        die_rc(h, key, rc);
    } else if (q.vname && *q.vname && !q.recurse &&
               (rc = rh_key_value(h, k, q.vname, strlen(q.vname), &v)) < 0) {
        die_rc(h, key ? key : "\\", rc);
    } else {
        if (!q.json)
            putchar('\n');
        rc = query_key(&q, k, 0, 1);
        if (rc < 0 && rc != RH_ECANCEL) /* ECANCEL: reported */
            die_rc(h, hive, rc);
        else if (q.search && !q.json)
            printf("End of search: %lu match(es) found.\n", q.matches);
    }
    free(dp);
    free(q.pat);
    rh_close(h);
    return rc < 0;
}
