/*
 * cmd_delete.c - reghive delete HIVE KEY [-v NAME | -ve | -va] [-f]
 *                [--backup] [--rewrite] [--dry-run] [--all-control-sets]
 *
 * reg delete's vocabulary: without -v/-ve/-va the key and its whole
 * subtree go.  --all-control-sets applies a path through CurrentControlSet
 * (or ControlSet00N) to every ControlSet00N of a SYSTEM hive.
 */
#include "cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct del {
    rh_hive *h;
    const char *vname; /* NULL: the key; "" default; "*" with all */
    int all_values, force, dry;
    unsigned long keys, values;
    /* What was deleted, said only once the commit wrote it. */
    FILE *rep;
    char *repbuf;
    size_t replen;
};

static void
count(rh_hive *h, rh_key k, unsigned long *keys, unsigned long *values)
{
    rh_key *subs;
    rh_value *vals;
    size_t n;
    (*keys)++;
    if (rh_key_values(h, k, &vals, &n) == 0) {
        *values += n;
        free(vals);
    }
    if (rh_key_subkeys(h, k, &subs, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            count(h, subs[i], keys, values);
        free(subs);
    }
}

/* Apply the deletion to key k; 1 done/planned, 0 declined, -1 error. */
static int
apply(struct del *d, rh_key k, const char *disp)
{
    char q[1024];
    int rc;
    if (!d->vname && !d->all_values) {
        unsigned long keys = 0, values = 0;
        count(d->h, k, &keys, &values);
        if (d->dry) {
            printf("would delete key %s (%lu key%s, %lu value%s)\n", disp, keys,
                   keys == 1 ? "" : "s", values, values == 1 ? "" : "s");
            return 1;
        }
        snprintf(q, sizeof q,
                 "Permanently delete the registry key %s (Yes/No)?", disp);
        if (!d->force && !confirm(q))
            return 0;
        if ((rc = rh_key_delete(d->h, k)) < 0) {
            die_rc(d->h, disp, rc);
            return -1;
        }
        fprintf(d->rep, "deleted key %s (%lu key%s, %lu value%s)\n", disp, keys,
                keys == 1 ? "" : "s", values, values == 1 ? "" : "s");
        return 1;
    }
    if (d->all_values) {
        rh_value *vals;
        size_t n;
        if ((rc = rh_key_values(d->h, k, &vals, &n)) < 0) {
            die_rc(d->h, disp, rc);
            return -1;
        }
        free(vals);
        if (d->dry) {
            printf("would delete all %zu values of %s\n", n, disp);
            return 1;
        }
        snprintf(q, sizeof q,
                 "Delete all values under the registry key %s "
                 "(Yes/No)?",
                 disp);
        if (!d->force && !confirm(q))
            return 0;
        if ((rc = rh_value_delete_all(d->h, k)) < 0) {
            die_rc(d->h, disp, rc);
            return -1;
        }
        fprintf(d->rep, "deleted %zu values of %s\n", n, disp);
        return 1;
    }
    rh_value v;
    const char *shown = *d->vname ? d->vname : "(Default)";
    if ((rc = rh_key_value(d->h, k, d->vname, strlen(d->vname), &v)) < 0) {
        fprintf(stderr, "reghive: %s: value %s not found\n", disp, shown);
        return -1;
    }
    if (d->dry) {
        printf("would delete value %s of %s\n", shown, disp);
        return 1;
    }
    snprintf(q, sizeof q, "Delete the registry value %s (Yes/No)?", shown);
    if (!d->force && !confirm(q))
        return 0;
    if ((rc = rh_value_delete(d->h, k, d->vname, strlen(d->vname))) < 0) {
        die_rc(d->h, disp, rc);
        return -1;
    }
    fprintf(d->rep, "deleted value %s of %s\n", shown, disp);
    return 1;
}

static int
is_cs(const char *s, size_t n)
{
    if (n == 17 && strncasecmp(s, "CurrentControlSet", 17) == 0)
        return 1;
    return n == 13 && strncasecmp(s, "ControlSet", 10) == 0 &&
           isdigit((unsigned char)s[10]) && isdigit((unsigned char)s[11]) &&
           isdigit((unsigned char)s[12]);
}

/* The part of path after its CurrentControlSet/ControlSetNNN component,
 * or NULL if there is none. */
static const char *
after_cs(const char *path)
{
    const char *p = path;
    while (*p) {
        while (*p == '\\')
            p++;
        size_t n = strcspn(p, "\\");
        if (is_cs(p, n))
            return p + n;
        p += n;
    }
    return NULL;
}

enum {
    D_HIVE,
    D_KEY,
    D_V,
    D_VE,
    D_VA,
    D_F,
    D_BACKUP,
    D_REWRITE,
    D_DRYRUN,
    D_ALLCS
};
static const struct opt_spec delete_opts[] = {
    [D_HIVE] = SPEC_HIVE("the hive to edit"),
    [D_KEY] = SPEC_KEY(OPT_REQUIRED,
                       "the key to delete with its subtree (or whose values\n"
                       "to delete)"),
    [D_V] = {OPT_VALUE, "-v", "NAME", 0, "value", "delete the value NAME"},
    [D_VE] = {OPT_SWITCH, "-ve", NULL, 0, "value",
              "delete the default (unnamed) value"},
    [D_VA] = {OPT_SWITCH, "-va", NULL, 0, "value",
              "delete every value of KEY (not its subkeys)"},
    [D_F] = {OPT_SWITCH, "-f", NULL, 0, NULL,
             "do not ask (reghive asks only when standard input is a\n"
             "terminal)"},
    [D_BACKUP] = SPEC_BACKUP,
    [D_REWRITE] = SPEC_REWRITE,
    [D_DRYRUN] = SPEC_DRYRUN,
    [D_ALLCS] = {OPT_SWITCH, "--all-control-sets", NULL, 0, NULL,
                 "apply a CurrentControlSet path to every ControlSet00N"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec delete_spec = {
    "delete", delete_opts,
    "delete a key with its subtree, or values, like reg delete", NULL};

int
cmd_delete(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(delete_spec, argc, argv, &r0);
    const char *hive = r0.val[D_HIVE], *key = r0.val[D_KEY];
    struct del d = {0};
    d.vname = opt_has(&r0, D_VE) ? "" : r0.val[D_V];
    d.all_values = opt_has(&r0, D_VA);
    d.force = opt_has(&r0, D_F);
    d.dry = opt_has(&r0, D_DRYRUN);
    unsigned cflags = (opt_has(&r0, D_BACKUP) ? RH_COMMIT_BACKUP : 0) |
                      (opt_has(&r0, D_REWRITE) ? RH_COMMIT_REWRITE : 0);
    int allcs = opt_has(&r0, D_ALLCS), rc = 1, done = 0, failed = 0;
    const char *rest = allcs ? after_cs(key) : NULL;
    if (allcs && !rest) {
        fprintf(stderr, "reghive: delete: --all-control-sets needs a KEY "
                        "through CurrentControlSet or ControlSet00N\n");
        return EXIT_USAGE;
    }
    if (!(d.rep = open_memstream(&d.repbuf, &d.replen)))
        return 1;
    if (!(d.h = open_hive(hive, RH_OPEN_WRITE))) {
        fclose(d.rep);
        free(d.repbuf);
        return 1;
    }
    char *pre = display_prefix(key);
    if (!allcs) {
        rh_key k;
        int r = rh_key_lookup(d.h, key, &k);
        if (r < 0) {
            die_rc(d.h, key, r);
            goto out;
        }
        char *disp = key_display(d.h, k, key);
        r = apply(&d, k, disp ? disp : key);
        free(disp);
        done += r > 0;
        failed += r < 0;
    } else {
        rh_key *subs;
        size_t n;
        if (rh_key_subkeys(d.h, rh_hive_root(d.h), &subs, &n) < 0) {
            die_rc(d.h, hive, -1);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            char *name, path[4096], disp[4200];
            size_t nl;
            if (rh_key_name(d.h, subs[i], &name, &nl) < 0)
                continue;
            if (nl != 13 || !is_cs(name, nl) ||
                strncasecmp(name, "ControlSet", 10) != 0) {
                free(name);
                continue;
            }
            snprintf(path, sizeof path, "%s%s", name, rest);
            snprintf(disp, sizeof disp, "%s%s%s%s", pre ? pre : "",
                     pre && *pre ? "\\" : "", name, rest);
            free(name);
            rh_key k;
            if (rh_key_lookup(d.h, path, &k) < 0) {
                printf("not present: %s\n", disp);
                continue;
            }
            int r = apply(&d, k, disp);
            done += r > 0;
            failed += r < 0;
        }
        free(subs);
        if (!done && !failed) {
            fprintf(stderr, "reghive: %s: not found in any control set\n", key);
            goto out;
        }
    }
    if (failed) {
        fprintf(stderr, "reghive: nothing written\n");
        goto out;
    }
    if (!done) {
        printf("The operation was cancelled by the user.\n");
        rc = 0;
        goto out;
    }
    if (d.dry) {
        printf("dry run: %s not written\n", hive);
        rc = 0;
        goto out;
    }
    rc = commit_hive(d.h, hive, cflags);
    fflush(d.rep);
    if (rc == 0)
        printf("%.*sThe operation completed successfully.\n", (int)d.replen,
               d.repbuf ? d.repbuf : "");
out:
    fclose(d.rep);
    free(d.repbuf);
    free(pre);
    rh_close(d.h);
    return rc;
}
