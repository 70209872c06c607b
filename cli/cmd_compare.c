/*
 * cmd_compare.c - reghive compare HIVE1 HIVE2 [KEY] [-s] [-v NAME | -ve]
 *                 [-oa | -od | -os | -on] [--json]
 *
 * reg compare for two hive files: lines "< " (only or different in HIVE1),
 * "> " (in HIVE2) and "= " (identical), each "Key: PATH" or
 * "Value: PATH  NAME  TYPE  DATA", then "Result Compared: Identical" or
 * "Different".  Exit 0 identical, 2 different, 1 error.  Keys and values
 * are matched by name as Windows does (rh_key_subkey, rh_key_value: case-
 * insensitive with Windows' uppercase table); values compare by type and
 * data bytes.  Built on the public API only: it needs nothing the
 * enumeration and lookup calls do not give.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { SHOW_DIFF = 1, SHOW_SAME = 2 };

struct cmp {
    rh_hive *h[2];
    int recurse, show, json;
    const char *vname; /* -v NAME; "" for -ve */
    unsigned long ndiff;
    struct progress pg;
    uint64_t done, total; /* keys compared, keys under KEY in HIVE1 */
};

void
json_string(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static char *
child_path(const char *parent, const char *name, size_t n)
{
    size_t m = strlen(parent);
    char *p = malloc(m + n + 2);
    if (p) {
        memcpy(p, parent, m);
        p[m] = '\\';
        memcpy(p + m + 1, name, n);
        p[m + 1 + n] = 0;
    }
    return p;
}

/* One value as read from a side. */
struct val {
    rh_hive *h;
    rh_value v;
    char *name;
    size_t nlen;
    uint32_t type;
    void *data;
    size_t len;
};

static int
val_read(rh_hive *h, rh_value v, struct val *out)
{
    out->h = h;
    out->v = v;
    int rc = rh_value_name(h, v, &out->name, &out->nlen);
    if (rc < 0)
        return rc;
    if ((rc = rh_value_data(h, v, &out->type, &out->data, &out->len)) < 0)
        free(out->name);
    return rc;
}

static void
val_free(struct val *v)
{
    free(v->name);
    free(v->data);
}

static void
json_hex(const char *field, const struct val *v)
{
    printf(",\"%s\":\"", field);
    for (size_t i = 0; i < v->len; i++)
        printf("%02x", ((const uint8_t *)v->data)[i]);
    putchar('"');
}

static void
text_value(char mark, const char *path, const struct val *v)
{
    const char *tn = rh_type_name(v->type);
    char tb[24];
    if (!tn) {
        snprintf(tb, sizeof tb, "0x%x", v->type);
        tn = tb;
    }
    printf("%c Value: %s  %s  %s  ", mark, *path ? path : "\\",
           v->nlen ? v->name : "(Default)", tn);
    print_value(stdout, v->h, v->v, v->type, v->data, v->len, 1);
    putchar('\n');
}

/* Report a value: a (in HIVE1) and/or b (in HIVE2); same when equal. */
static void
report_value(struct cmp *c, const char *pa, const char *pb, const struct val *a,
             const struct val *b)
{
    int same = a && b && a->type == b->type && a->len == b->len &&
               memcmp(a->data, b->data, a->len) == 0;
    if (!same)
        c->ndiff++;
    if (!(c->show & (same ? SHOW_SAME : SHOW_DIFF)))
        return;
    if (c->json) {
        const struct val *v = a ? a : b;
        printf("{\"op\":\"%s\",\"kind\":\"value\",\"path\":", same ? "same"
                                                              : !b ? "removed"
                                                              : !a ? "added"
                                                                   : "changed");
        json_string(stdout, a ? pa : pb, strlen(a ? pa : pb));
        fputs(",\"name\":", stdout);
        json_string(stdout, v->name, v->nlen);
        if (a && b && !same) {
            printf(",\"type1\":%u", a->type);
            json_hex("data1", a);
            printf(",\"type2\":%u", b->type);
            json_hex("data2", b);
        } else {
            printf(",\"type\":%u", v->type);
            json_hex("data", v);
        }
        puts("}");
        return;
    }
    if (same) {
        text_value('=', pa, a);
        return;
    }
    if (a)
        text_value('<', pa, a);
    if (b)
        text_value('>', pb, b);
}

static void
report_key(struct cmp *c, char mark, const char *path)
{
    if (mark != '=')
        c->ndiff++;
    if (!(c->show & (mark == '=' ? SHOW_SAME : SHOW_DIFF)))
        return;
    if (c->json) {
        printf("{\"op\":\"%s\",\"kind\":\"key\",\"path\":", mark == '=' ? "same"
                                                            : mark == '<'
                                                                ? "removed"
                                                                : "added");
        json_string(stdout, path, strlen(path));
        puts("}");
    } else {
        printf("%c Key: %s\n", mark, path);
    }
}

/* Values of k[side] matched in the other key; side 1 reports only the
 * values missing from side 0. */
static int
cmp_values(struct cmp *c, rh_key k[2], const char *p[2], int side)
{
    rh_hive *h = c->h[side], *o = c->h[!side], *eh = h; /* eh: who failed */
    rh_value *vals;
    size_t nv;
    int rc = rh_key_values(h, k[side], &vals, &nv);
    for (size_t i = 0; rc >= 0 && i < nv; i++) {
        struct val v, w;
        rh_value ov;
        if ((rc = val_read(h, vals[i], &v)) < 0)
            break;
        if (c->vname && strcasecmp(v.name, c->vname) != 0) {
            val_free(&v);
            continue;
        }
        eh = o;
        rc = rh_key_value(o, k[!side], v.name, v.nlen, &ov);
        if (rc == RH_ENOTFOUND) {
            rc = 0;
            if (side == 0)
                report_value(c, p[0], p[1], &v, NULL);
            else
                report_value(c, p[0], p[1], NULL, &v);
        } else if (rc == 0 && side == 0 && (rc = val_read(o, ov, &w)) == 0) {
            report_value(c, p[0], p[1], &v, &w);
            val_free(&w);
        }
        val_free(&v);
        if (rc >= 0)
            eh = h;
    }
    free(vals);
    if (rc < 0)
        die_rc(eh, "compare", rc);
    return rc;
}

static int cmp_key(struct cmp *c, rh_key k[2], const char *p[2], int depth);

/* Subkeys of k[side] matched by name in the other key. */
static int
cmp_subkeys(struct cmp *c, rh_key k[2], const char *p[2], int side, int depth)
{
    rh_hive *h = c->h[side], *eh = h; /* eh: the hive that failed */
    rh_key *subs;
    size_t ns;
    int rc = rh_key_subkeys(h, k[side], &subs, &ns);
    for (size_t i = 0; rc >= 0 && i < ns; i++) {
        char *name, *sp = NULL, *op = NULL;
        size_t nl;
        rh_key ch[2];
        if ((rc = rh_key_name(h, subs[i], &name, &nl)) < 0)
            break;
        ch[side] = subs[i];
        eh = c->h[!side];
        rc = rh_key_subkey(c->h[!side], k[!side], name, nl, &ch[!side]);
        if (!(sp = child_path(p[side], name, nl))) {
            rc = RH_ENOMEM;
        } else if (rc == RH_ENOTFOUND) {
            report_key(c, side ? '>' : '<', sp);
            rc = 0;
        } else if (rc == 0 && side == 0) {
            char *oname;
            size_t onl;
            eh = c->h[1];
            if ((rc = rh_key_name(c->h[1], ch[1], &oname, &onl)) == 0) {
                op = child_path(p[1], oname, onl);
                free(oname);
                const char *cp[2] = {sp, op};
                report_key(c, '=', sp);
                if (!op)
                    rc = RH_ENOMEM;
                else if (c->recurse)
                    rc = cmp_key(c, ch, cp, depth + 1);
            }
        }
        free(sp);
        free(op);
        free(name);
        if (rc >= 0)
            eh = h;
    }
    free(subs);
    if (rc < 0 && rc != RH_ECANCEL)
        die_rc(eh, "compare", rc);
    return rc < 0 ? RH_ECANCEL : 0; /* reported once */
}

static int
cmp_key(struct cmp *c, rh_key k[2], const char *p[2], int depth)
{
    int rc;
    if (depth > RH_MAX_DEPTH) {
        fprintf(stderr, "reghive: compare: deeper than %d levels\n",
                RH_MAX_DEPTH);
        return RH_ECANCEL;
    }
    c->done++;
    progress_update(&c->pg, c->done < c->total ? c->done : c->total, c->total);
    if ((rc = cmp_values(c, k, p, 0)) < 0 || (rc = cmp_values(c, k, p, 1)) < 0)
        return RH_ECANCEL;
    if (c->vname)
        return 0;
    if ((rc = cmp_subkeys(c, k, p, 0, depth)) < 0 ||
        (rc = cmp_subkeys(c, k, p, 1, depth)) < 0)
        return rc;
    return 0;
}

enum { C_H1, C_H2, C_KEY, C_S, C_V, C_VE, C_OA, C_OD, C_OS, C_ON, C_JSON };
static const struct opt_spec compare_opts[] = {
    [C_H1] = {OPT_ARG, "HIVE1", NULL, OPT_REQUIRED | OPT_HIVE | OPT_FILE, NULL,
              "the first hive (with --windows: a root such as\n"
              "HKLM\\SOFTWARE, or a file)"},
    [C_H2] = {OPT_ARG, "HIVE2", NULL, OPT_REQUIRED | OPT_HIVE | OPT_FILE, NULL,
              "the second hive"},
    [C_KEY] = {OPT_ARG, "KEY", NULL, 0, NULL,
               "the key to compare in both (default: the roots)"},
    [C_S] = {OPT_SWITCH, "-s", NULL, 0, NULL, "compare the subtrees"},
    [C_V] = {OPT_VALUE, "-v", "NAME", 0, "value", "only the value NAME"},
    [C_VE] = {OPT_SWITCH, "-ve", NULL, 0, "value", "only the default value"},
    [C_OA] = {OPT_SWITCH, "-oa", NULL, 0, "show",
              "show differences and matches"},
    [C_OD] = {OPT_SWITCH, "-od", NULL, 0, "show", "show differences (default)"},
    [C_OS] = {OPT_SWITCH, "-os", NULL, 0, "show", "show matches only"},
    [C_ON] = {OPT_SWITCH, "-on", NULL, 0, "show",
              "show nothing; exit status only"},
    [C_JSON] = SPEC_JSON,
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec compare_spec = {
    "compare", compare_opts,
    "added, removed and changed keys and values, like reg compare",
    "Exit status: 0 identical, 2 different, 1 error."};

int
cmd_compare(int argc, char **argv)
{
    struct cmp c = {.show = SHOW_DIFF};
    struct opt_res r0;
    PARSE_ARGS(compare_spec, argc, argv, &r0);
    const char *pos[3] = {r0.val[C_H1], r0.val[C_H2], r0.val[C_KEY]};
    c.recurse = opt_has(&r0, C_S);
    c.vname = opt_has(&r0, C_VE) ? "" : r0.val[C_V];
    c.json = opt_has(&r0, C_JSON);
    c.show = opt_has(&r0, C_OA)   ? SHOW_DIFF | SHOW_SAME
             : opt_has(&r0, C_OS) ? SHOW_SAME
             : opt_has(&r0, C_ON) ? 0
                                  : SHOW_DIFF;
    if (c.vname && c.recurse) {
        fprintf(stderr, "reghive compare: -s and -v/-ve cannot be combined\n");
        return usage("compare");
    }
    const char *key = pos[2] ? pos[2] : "";
    rh_key k[2];
    char *rel[2] = {NULL, NULL}, *path[2] = {NULL, NULL};
    char *dp = display_prefix(key);
    int rc = dp ? 0 : RH_ENOMEM;
    for (int s = 0; s < 2 && rc == 0; s++) {
        if (!(c.h[s] = open_hive(pos[s], 0)))
            rc = RH_EIO;
        else if ((rc = rh_key_lookup(c.h[s], key, &k[s])) < 0)
            die_rc(c.h[s], *key ? key : pos[s], rc);
        else if ((rc = rh_key_path(c.h[s], k[s], &rel[s], NULL)) < 0)
            die_rc(c.h[s], pos[s], rc);
        else if (!(path[s] = malloc(strlen(dp) + strlen(rel[s]) + 2)))
            rc = RH_ENOMEM;
        else
            sprintf(path[s], "%s%s%s", dp, *rel[s] ? "\\" : "", rel[s]);
    }
    if (rc == 0) {
        const char *p[2] = {path[0], path[1]};
        progress_init(&c.pg, "compare", "keys");
        c.pg.on = c.pg.on && c.recurse;
        if (c.pg.on)
            c.total = progress_count_keys(c.h[0], k[0]);
        rc = cmp_key(&c, k, p, 0);
        progress_update(&c.pg, c.total, c.total);
        progress_end(&c.pg);
    }
    if (rc == 0 && c.vname && !c.ndiff && !(c.show & SHOW_SAME)) {
        /* nothing reported: make sure the value exists at all */
        rh_value v;
        if (rh_key_value(c.h[0], k[0], c.vname, strlen(c.vname), &v) < 0) {
            fprintf(stderr, "reghive: compare: value not found: %s\n",
                    *c.vname ? c.vname : "(Default)");
            rc = RH_ENOTFOUND;
        }
    }
    if (rc == 0 && !c.json)
        printf("\nResult Compared: %s\n", c.ndiff ? "Different" : "Identical");
    for (int s = 0; s < 2; s++) {
        rh_close(c.h[s]);
        free(rel[s]);
        free(path[s]);
    }
    free(dp);
    if (rc < 0)
        return 1;
    return c.ndiff ? EXIT_FOUND : 0;
}
