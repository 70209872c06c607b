/*
 * opt.c - the option parser, usage and help of every command, all from the
 * command's declaration (opt.h).
 */
#include "opt.h"

#include <stdlib.h>
#include <string.h>

/* Does spelling list names ("-o|--output") hold the n bytes of a? */
static int
spelled(const char *names, const char *a, size_t n)
{
    for (const char *p = names; *p;) {
        size_t l = strcspn(p, "|");
        if (l == n && memcmp(p, a, n) == 0)
            return 1;
        p += l + (p[l] == '|');
    }
    return 0;
}

/* The first spelling of names, for messages. */
static int
first_len(const char *names)
{
    return (int)strcspn(names, "|");
}

static int
is_option(const struct opt_spec *o)
{
    return o->kind == OPT_SWITCH || o->kind == OPT_VALUE;
}

/* Positionals left out of argv in --windows mode: a HIVE tied to a KEY. */
static int
skipped(const struct cmd_spec *spec, int i, unsigned flags)
{
    return (flags & OPT_PARSE_WINDOWS) && (spec->opts[i].flags & OPT_HIVE) &&
           opt_key_of_hive(spec, i) >= 0;
}

int
opt_key_of_hive(const struct cmd_spec *spec, int h)
{
    for (int i = h + 1; spec->opts[i].kind != OPT_END; i++) {
        const struct opt_spec *o = &spec->opts[i];
        if (o->kind != OPT_ARG && o->kind != OPT_ARGS)
            continue;
        if (o->flags & OPT_HIVE)
            return -1;
        if (o->flags & OPT_KEY)
            return i;
    }
    return -1;
}

static int
bad(const struct cmd_spec *spec, const char *fmt, const char *a, int n)
{
    fprintf(stderr, "reghive %s: ", spec->name);
    fprintf(stderr, fmt, n, a);
    fputc('\n', stderr);
    opt_usage(stderr, spec);
    fprintf(stderr, "(reghive help %s for more)\n", spec->name);
    return OPT_EXIT_USAGE;
}

int
opt_parse(const struct cmd_spec *spec, int argc, char **argv, unsigned flags,
          struct opt_res *r)
{
    const struct opt_spec *o = spec->opts;
    int nspec = 0;
    memset(r, 0, sizeof *r);
    while (o[nspec].kind != OPT_END)
        nspec++;
    /* owner[k]: the spec entry argv[k] belongs to (-1: an option word). */
    int *owner = malloc(((size_t)argc + 1) * sizeof *owner);
    if (!owner) {
        fprintf(stderr, "reghive: out of memory\n");
        return OPT_EXIT_USAGE;
    }
    int rc = OPT_OK, dashdash = 0, next_pos = 0;
    for (int k = 1; k < argc && rc == OPT_OK; k++) {
        const char *a = argv[k];
        owner[k] = -1;
        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = 1;
            continue;
        }
        if (!dashdash && a[0] == '-' && a[1]) {
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 ||
                strcmp(a, "-?") == 0) {
                free(owner);
                opt_help(stdout, spec);
                return OPT_EXIT_HELP;
            }
            size_t n = strlen(a);
            const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
            int i = 0;
            for (; i < nspec; i++)
                if (is_option(&o[i]) &&
                    (spelled(o[i].name, a, n) ||
                     (eq && o[i].kind == OPT_VALUE &&
                      spelled(o[i].name, a, (size_t)(eq - a)))))
                    break;
            if (i == nspec) {
                rc = bad(spec, "unknown option '%.*s'", a, (int)n);
                break;
            }
            if (r->count[i] && !(o[i].flags & OPT_MULTI)) {
                rc = bad(spec, "option %.*s given twice", o[i].name,
                         first_len(o[i].name));
                break;
            }
            for (int j = 0; o[i].group && j < nspec; j++)
                if (j != i && r->count[j] && o[j].group &&
                    strcmp(o[j].group, o[i].group) == 0) {
                    fprintf(stderr,
                            "reghive %s: %.*s and %.*s cannot be combined\n",
                            spec->name, first_len(o[j].name), o[j].name,
                            first_len(o[i].name), o[i].name);
                    opt_usage(stderr, spec);
                    rc = OPT_EXIT_USAGE;
                    break;
                }
            if (rc != OPT_OK)
                break;
            r->count[i]++;
            if (o[i].kind == OPT_SWITCH) {
                r->val[i] = "";
            } else if (eq && !spelled(o[i].name, a, n)) {
                r->val[i] = eq + 1;
                owner[k] = i; /* the word is its own value */
            } else if ((o[i].flags & OPT_OPTVAL) &&
                       (k + 1 == argc || argv[k + 1][0] == '-')) {
                r->val[i] = NULL;
            } else if (k + 1 < argc) {
                r->val[i] = argv[++k];
                owner[k] = i;
            } else {
                rc = bad(spec, "option %.*s needs a value", o[i].name,
                         first_len(o[i].name));
            }
            continue;
        }
        /* A positional argument: the next positional slot. */
        while (next_pos < nspec &&
               (is_option(&o[next_pos]) || skipped(spec, next_pos, flags) ||
                (o[next_pos].kind == OPT_ARG && r->count[next_pos])))
            next_pos++;
        if (next_pos == nspec) {
            rc = bad(spec, "unexpected argument '%.*s'", a, (int)strlen(a));
            break;
        }
        owner[k] = next_pos;
        if (!r->count[next_pos]) {
            r->val[next_pos] = a;
            r->argi[next_pos] = k;
        }
        r->count[next_pos]++;
    }
    for (int i = 0; rc == OPT_OK && i < nspec; i++)
        if ((o[i].flags & OPT_REQUIRED) && !r->count[i] &&
            !skipped(spec, i, flags))
            rc = bad(spec, "missing %.*s", o[i].name, first_len(o[i].name));
    if (rc != OPT_OK) {
        free(owner);
        return rc;
    }
    /* Gather every value of a repeatable option or argument list, in
     * order, into argv[1...] (each takes at least one word there, so they
     * fit); single values stay where they are (val[] already has them). */
    char **tmp = malloc(((size_t)argc + 1) * sizeof *tmp);
    if (!tmp) {
        free(owner);
        fprintf(stderr, "reghive: out of memory\n");
        return OPT_EXIT_USAGE;
    }
    int w = 0;
    for (int i = 0; i < nspec; i++) {
        if (!(o[i].kind == OPT_ARGS || (o[i].flags & OPT_MULTI)))
            continue;
        r->multi[i] = argv + 1 + w;
        for (int k = 1; k < argc; k++) {
            if (owner[k] != i)
                continue;
            const char *a = argv[k];
            if (o[i].kind == OPT_VALUE && strncmp(a, "--", 2) == 0 &&
                strchr(a, '=') && !spelled(o[i].name, a, strlen(a)))
                a = strchr(a, '=') + 1; /* --log=FILE */
            tmp[w++] = (char *)a;
        }
    }
    /* The single values keep pointing at their strings, which do not
     * move: only argv's pointer array is rewritten. */
    memcpy(argv + 1, tmp, (size_t)w * sizeof *tmp);
    free(tmp);
    free(owner);
    return OPT_OK;
}

int
opt_find(const struct cmd_spec *spec, const char *name)
{
    for (int i = 0; spec->opts[i].kind != OPT_END; i++)
        if (spelled(spec->opts[i].name, name, strlen(name)))
            return i;
    return -1;
}

const char *
opt_get(const struct cmd_spec *spec, const struct opt_res *r, const char *name)
{
    int i = opt_find(spec, name);
    return i >= 0 && r->count[i] ? r->val[i] : NULL;
}

static void
usage_item(FILE *f, const struct opt_spec *o)
{
    int opt = is_option(o), req = (o->flags & OPT_REQUIRED) != 0;
    if (!req)
        fputc('[', f);
    if (opt) {
        /* every visible spelling: "-o|--output" */
        fputs(o->name, f);
        if (o->kind == OPT_VALUE)
            fprintf(f, (o->flags & OPT_OPTVAL) ? " [%s]" : " %s", o->arg);
    } else {
        fputs(o->name, f);
        if (o->kind == OPT_ARGS)
            fputs("...", f);
    }
    if (!req)
        fputc(']', f);
    if (o->flags & OPT_MULTI)
        fputs("...", f);
}

void
opt_usage(FILE *f, const struct cmd_spec *spec)
{
    const struct opt_spec *o = spec->opts;
    fprintf(f, "usage: reghive %s", spec->name);
    for (int i = 0; o[i].kind != OPT_END; i++) {
        if (o[i].flags & OPT_HIDDEN)
            continue;
        /* A group prints as one alternative: [-v NAME | -ve | -va]. */
        if (o[i].group && is_option(&o[i])) {
            int first = 1;
            for (int j = 0; j < i; j++)
                if (o[j].group && strcmp(o[j].group, o[i].group) == 0 &&
                    is_option(&o[j]) && !(o[j].flags & OPT_HIDDEN))
                    first = 0;
            if (!first)
                continue;
            fputs(" [", f);
            for (int j = i; o[j].kind != OPT_END; j++) {
                if (!o[j].group || strcmp(o[j].group, o[i].group) != 0 ||
                    (o[j].flags & OPT_HIDDEN))
                    continue;
                if (j != i)
                    fputs(" | ", f);
                fputs(o[j].name, f);
                if (o[j].kind == OPT_VALUE)
                    fprintf(f, (o[j].flags & OPT_OPTVAL) ? " [%s]" : " %s",
                            o[j].arg);
            }
            fputc(']', f);
            continue;
        }
        fputc(' ', f);
        usage_item(f, &o[i]);
    }
    fputc('\n', f);
}

void
opt_help(FILE *f, const struct cmd_spec *spec)
{
    const struct opt_spec *o = spec->opts;
    opt_usage(f, spec);
    fprintf(f, "\n%s\n", spec->summary);
    if (spec->details)
        fprintf(f, "\n%s\n", spec->details);
    for (int pass = 0; pass < 2; pass++) {
        int any = 0;
        for (int i = 0; o[i].kind != OPT_END; i++) {
            if ((o[i].flags & OPT_HIDDEN) || is_option(&o[i]) != pass ||
                !o[i].help)
                continue;
            if (!any)
                fprintf(f, "\n%s:\n", pass ? "options" : "arguments");
            any = 1;
            char left[96];
            if (o[i].kind == OPT_VALUE)
                snprintf(left, sizeof left, "%s %s", o[i].name, o[i].arg);
            else
                snprintf(left, sizeof left, "%s", o[i].name);
            if (strlen(left) > 20)
                fprintf(f, "  %s\n  %-20s  ", left, "");
            else
                fprintf(f, "  %-20s  ", left);
            /* continuation lines of the help text line up */
            for (const char *p = o[i].help; *p; p++) {
                fputc(*p, f);
                if (*p == '\n')
                    fprintf(f, "  %-20s  ", "");
            }
            fputc('\n', f);
        }
    }
}
