/*
 * cmd_query.c - reghive query HIVE [KEY] [-s] [-v NAME | -ve]
 *               [-f PATTERN [-k] [-d] [-e] [-c]] [-t TYPE] [--json]
 *
 * Output follows reg query: a blank line, the key path, its values
 * indented by four spaces as "name    TYPE    data", a blank line, then
 * the subkey paths (or, with -s, every key below in the same form).
 * With -f, "End of search: N match(es) found." closes the output.
 */
#include "cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void print_data(FILE *f, uint32_t type, const uint8_t *d, size_t n,
                int reg_style);

struct q {
    rh_hive *h;
    const char *prefix;
    int recurse;
    const char *vname; /* -v NAME, "" for -ve */
    const char *pattern;
    int in_keys, in_data, in_values, exact, casesens;
    int types[16];
    int ntypes;
    unsigned long matches;
    int err;
};

static int
wild(const char *p, const char *s, int cs)
{
    /* Iterative '*' and '?' match with one backtrack point. */
    const char *star = NULL, *ss = NULL;
    while (*s) {
        if (*p == '?' ||
            (cs ? *p == *s
                : tolower((unsigned char)*p) == tolower((unsigned char)*s))) {
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

static int
match(struct q *q, const char *text)
{
    if (q->exact)
        return wild(q->pattern, text, q->casesens);
    size_t n = strlen(q->pattern);
    char *p = malloc(n + 3);
    if (!p)
        return 0;
    p[0] = '*';
    memcpy(p + 1, q->pattern, n);
    p[n + 1] = '*';
    p[n + 2] = 0;
    int r = wild(p, text, q->casesens);
    free(p);
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
        if ((uint32_t)q->types[i] == t)
            return 1;
    return 0;
}

/* Data as text for -f -d matching. */
static char *
data_text(uint32_t t, const uint8_t *d, size_t n)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    print_data(f, t, d, n, 1);
    fclose(f);
    return buf;
}

/* Print the values of k that pass the filters; returns how many. */
static int
print_values(struct q *q, rh_key k, const char *path, int *header)
{
    rh_value *vals;
    size_t nv;
    int rc, shown = 0;
    if ((rc = rh_key_values(q->h, k, &vals, &nv)) < 0)
        return rc;
    for (size_t i = 0; i < nv; i++) {
        char *name;
        size_t nl;
        void *d;
        size_t dl;
        uint32_t t;
        if ((rc = rh_value_name(q->h, vals[i], &name, &nl)) < 0)
            break;
        int want = 1;
        if (q->vname && strcasecmp(name, q->vname) != 0)
            want = 0;
        if ((rc = rh_value_data(q->h, vals[i], &t, &d, &dl)) < 0) {
            free(name);
            break;
        }
        if (want && !type_ok(q, t))
            want = 0;
        if (want && q->pattern) {
            int hit = 0;
            if (q->in_values && match(q, nl ? name : "(Default)"))
                hit = 1;
            if (!hit && q->in_data) {
                char *s = data_text(t, d, dl);
                hit = s && match(q, s);
                free(s);
            }
            want = hit;
        }
        if (want) {
            if (!*header) {
                printf("%s\n", path);
                *header = 1;
            }
            const char *tn = type_name(t);
            char tb[24];
            if (!tn) {
                snprintf(tb, sizeof tb, "0x%x", t);
                tn = tb;
            }
            printf("    %s    %s    ", nl ? name : "(Default)", tn);
            print_data(stdout, t, d, dl, 1);
            putchar('\n');
            shown++;
            q->matches++;
        }
        free(name);
        free(d);
    }
    free(vals);
    return rc < 0 ? rc : shown;
}

static int
query_key(struct q *q, rh_key k, int depth)
{
    char *path = full_path(q, k);
    int header = 0, rc;
    if (!path)
        return RH_ENOMEM;
    if (depth > RH_MAX_DEPTH) {
        free(path);
        return RH_ERANGE;
    }
    if (q->pattern && q->in_keys && depth > 0) {
        char *name;
        if (rh_key_name(q->h, k, &name, NULL) == 0) {
            if (match(q, name)) {
                printf("%s\n", path);
                header = 1;
                q->matches++;
            }
            free(name);
        }
    }
    if (!q->pattern || q->in_values || q->in_data) {
        if (!q->pattern && !q->vname && !q->ntypes) {
            printf("%s\n", path);
            header = 1;
        }
        if ((rc = print_values(q, k, path, &header)) < 0) {
            free(path);
            return rc;
        }
    }
    if (header)
        putchar('\n');
    rh_key *subs;
    size_t ns;
    if ((rc = rh_key_subkeys(q->h, k, &subs, &ns)) < 0) {
        free(path);
        return rc;
    }
    for (size_t i = 0; i < ns && rc >= 0; i++) {
        if (q->recurse) {
            rc = query_key(q, subs[i], depth + 1);
        } else if (!q->pattern && !q->vname && !q->ntypes) {
            char *sp = full_path(q, subs[i]);
            if (sp)
                printf("%s\n", sp);
            free(sp);
        } else if (q->pattern && q->in_keys) {
            char *name;
            if (rh_key_name(q->h, subs[i], &name, NULL) == 0) {
                if (match(q, name)) {
                    char *sp = full_path(q, subs[i]);
                    if (sp)
                        printf("%s\n", sp);
                    free(sp);
                    q->matches++;
                }
                free(name);
            }
        }
    }
    free(subs);
    free(path);
    return rc < 0 ? rc : 0;
}

int
cmd_query(int argc, char **argv)
{
    struct q q = {0};
    const char *hive = NULL, *key = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-s") == 0) {
            q.recurse = 1;
        } else if (strcmp(a, "-v") == 0 && i + 1 < argc) {
            q.vname = argv[++i];
        } else if (strcmp(a, "-ve") == 0) {
            q.vname = "";
        } else if (strcmp(a, "-f") == 0 && i + 1 < argc) {
            q.pattern = argv[++i];
        } else if (strcmp(a, "-k") == 0) {
            q.in_keys = 1;
        } else if (strcmp(a, "-d") == 0) {
            q.in_data = 1;
        } else if (strcmp(a, "-e") == 0) {
            q.exact = 1;
        } else if (strcmp(a, "-c") == 0) {
            q.casesens = 1;
        } else if (strcmp(a, "-t") == 0 && i + 1 < argc) {
            char *list = strdup(argv[++i]), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t && q.ntypes < 16;
                 t = strtok_r(NULL, ",", &save)) {
                long v = type_parse(t);
                if (v < 0) {
                    fprintf(stderr, "reghive: unknown type '%s'\n", t);
                    free(list);
                    return EXIT_USAGE;
                }
                q.types[q.ntypes++] = (int)v;
            }
            free(list);
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage("query");
        } else if (!hive) {
            hive = a;
        } else if (!key) {
            key = a;
        } else {
            return usage("query");
        }
    }
    if (!hive || (q.vname && q.pattern))
        return usage("query");
    if (q.pattern && !q.in_keys && !q.in_data)
        q.in_keys = q.in_values = q.in_data = 1;
    else if (q.pattern)
        q.in_values = 0;
    if (q.pattern && !*q.pattern)
        q.pattern = "*";
    rh_hive *h = open_hive(hive, 0);
    if (!h)
        return 1;
    q.h = h;
    rh_key k = rh_root(h);
    char *dp = key ? display_prefix(key) : strdup("");
    q.prefix = dp ? dp : "";
    int rc = key ? rh_key_lookup(h, key, &k) : 0;
    if (rc < 0) {
        die_rc(h, key, rc);
    } else if (json) {
        rc = rh_export(h, k, *q.prefix ? q.prefix : NULL,
                       RH_EXPORT_JSON | (q.recurse ? 0 : RH_EXPORT_NORECURSE),
                       write_file, stdout);
        if (rc < 0)
            die_rc(h, hive, rc);
    } else {
        putchar('\n');
        rc = query_key(&q, k, 0);
        if (rc < 0)
            die_rc(h, hive, rc);
        else if (q.vname && !q.matches) {
            fprintf(stderr, "reghive: value not found: %s\n",
                    *q.vname ? q.vname : "(Default)");
            rc = RH_ENOTFOUND;
        }
        if (q.pattern && rc >= 0)
            printf("End of search: %lu match(es) found.\n", q.matches);
    }
    free(dp);
    rh_close(h);
    return rc < 0;
}
