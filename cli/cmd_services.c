/*
 * cmd_services.c - reghive services [HIVE | --windows DIR] [--json]
 *                  [--orphans]
 *
 * Lists every subkey of CurrentControlSet\Services (the control set
 * Select\Current names) as a service or driver, checks DependOnService /
 * DependOnGroup, and with a mounted tree resolves each image path (and a
 * svchost service's ServiceDll) to a file, to list the stale entries.
 * --remove NAME deletes Services\NAME and Enum\Root\LEGACY_NAME from every
 * ControlSet00N, keeping the old hive as HIVE.bak.
 */
#include "windows.h"

#include <ctype.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct svc {
    char *name, *display, *image, *account, *group;
    uint32_t type, start;
    int has_type, has_start, delayed;
    char **deps; /* DependOnService; "+name" entries name a group */
    size_t ndeps;
    char **gdeps; /* DependOnGroup */
    size_t ngdeps;
};

/* Problems found for --orphans (and the dependency check). */
struct problem {
    const char *svc;
    const char *kind; /* image-missing, servicedll-missing, ... */
    char *what;       /* Windows path or dependency name */
    char *file;       /* host path, or NULL */
};

struct ctx {
    rh_hive *h;
    rh_key services;
    struct svc *s;
    size_t n;
    struct problem *p;
    size_t np, pcap;
    int json;
    struct progress pg;
};

static int
get_dword(rh_hive *h, rh_key k, const char *name, uint32_t *out)
{
    rh_value v;
    return rh_key_value(h, k, name, strlen(name), &v) == 0 &&
           rh_value_u32(h, v, out) == 0;
}

/* REG_MULTI_SZ (or a lone REG_SZ / REG_EXPAND_SZ) as a malloc'd array of
 * strings.  A list ends at its first empty string, as the service control
 * manager reads it (regedit refuses empty strings inside a list). */
static char **
get_multi(rh_hive *h, rh_key k, const char *name, size_t *count)
{
    rh_value v;
    char **a, **arr, *s;
    size_t n, cnt = 0;
    uint32_t t;
    *count = 0;
    if (rh_key_value(h, k, name, strlen(name), &v) < 0 ||
        rh_value_type(h, v, &t, NULL) < 0)
        return NULL;
    if (t != RH_REG_MULTI_SZ) {
        if (rh_value_string(h, v, &s, NULL) < 0)
            return NULL;
        if (!*s || !(arr = malloc(sizeof *arr))) {
            free(s);
            return NULL;
        }
        arr[0] = s;
        *count = 1;
        return arr;
    }
    if (rh_value_strings(h, v, &a, &n) < 0)
        return NULL;
    while (cnt < n && *a[cnt])
        cnt++;
    arr = calloc(cnt ? cnt : 1, sizeof *arr);
    for (size_t i = 0; arr && i < cnt; i++) {
        if (!(arr[i] = strdup(a[i]))) {
            cnt = i;
            break;
        }
    }
    free(a);
    *count = arr ? cnt : 0;
    return arr;
}

static void
free_list(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

static int
load(struct ctx *c)
{
    rh_key *subs;
    size_t ns;
    int rc = rh_key_subkeys(c->h, c->services, &subs, &ns);
    if (rc < 0)
        return rc;
    c->s = calloc(ns ? ns : 1, sizeof *c->s);
    if (!c->s) {
        free(subs);
        return RH_ENOMEM;
    }
    for (size_t i = 0; i < ns; i++) {
        struct svc *s = &c->s[c->n];
        rh_key k = subs[i];
        progress_update(&c->pg, i, ns);
        if ((rc = rh_key_name(c->h, k, &s->name, NULL)) < 0)
            break;
        c->n++;
        s->display = win_reg_string(c->h, k, "DisplayName");
        s->image = win_reg_string(c->h, k, "ImagePath");
        s->account = win_reg_string(c->h, k, "ObjectName");
        s->group = win_reg_string(c->h, k, "Group");
        s->has_type = get_dword(c->h, k, "Type", &s->type);
        s->has_start = get_dword(c->h, k, "Start", &s->start);
        uint32_t d = 0;
        s->delayed = get_dword(c->h, k, "DelayedAutostart", &d) && d &&
                     s->has_start && s->start == 2;
        s->deps = get_multi(c->h, k, "DependOnService", &s->ndeps);
        s->gdeps = get_multi(c->h, k, "DependOnGroup", &s->ngdeps);
    }
    free(subs);
    progress_end(&c->pg);
    return rc < 0 ? rc : 0;
}

static const char *
type_str(const struct svc *s, char *buf, size_t cap)
{
    static const struct {
        uint32_t v;
        const char *n;
    } names[] = {{1, "kernel"},      {2, "filesys"},      {4, "adapter"},
                 {8, "recognizer"},  {0x10, "own"},       {0x20, "share"},
                 {0x50, "user-own"}, {0x60, "user-share"}};
    if (!s->has_type)
        return "-";
    uint32_t base = s->type & ~0x180u;
    const char *n = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].v == base)
            n = names[i].n;
    if (!n) {
        snprintf(buf, cap, "0x%x", s->type);
        return buf;
    }
    snprintf(buf, cap, "%s%s%s", n, s->type & 0x80 ? "+instance" : "",
             s->type & 0x100 ? "+interactive" : "");
    return buf;
}

static const char *
start_str(const struct svc *s)
{
    static const char *const names[] = {"boot", "system", "auto", "demand",
                                        "disabled"};
    if (!s->has_start)
        return "-";
    if (s->delayed)
        return "auto-delayed";
    return s->start < 5 ? names[s->start] : "?";
}

static int
is_driver(const struct svc *s)
{
    return s->has_type && (s->type & 0xF) != 0;
}

static int
add_problem(struct ctx *c, const char *svc, const char *kind, const char *what,
            const char *file)
{
    if (c->np == c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 16;
        struct problem *p = realloc(c->p, cap * sizeof *p);
        if (!p)
            return RH_ENOMEM;
        c->p = p;
        c->pcap = cap;
    }
    struct problem *p = &c->p[c->np++];
    p->svc = svc;
    p->kind = kind;
    p->what = strdup(what);
    p->file = file ? strdup(file) : NULL;
    return 0;
}

static int
group_exists(const struct ctx *c, const char *g)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->s[i].group && strcasecmp(c->s[i].group, g) == 0)
            return 1;
    return 0;
}

static int
check_deps(struct ctx *c)
{
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        struct svc *s = &c->s[i];
        for (size_t j = 0; j < s->ndeps && rc == 0; j++) {
            const char *d = s->deps[j];
            rh_key k;
            if (d[0] == '+') { /* SC_GROUP_IDENTIFIER */
                if (!group_exists(c, d + 1))
                    rc = add_problem(c, s->name, "missing-group", d + 1, NULL);
            } else if (rh_key_subkey(c->h, c->services, d, strlen(d), &k) ==
                       RH_ENOTFOUND) {
                rc = add_problem(c, s->name, "missing-service", d, NULL);
            }
        }
        for (size_t j = 0; j < s->ngdeps && rc == 0; j++)
            if (!group_exists(c, s->gdeps[j]))
                rc =
                    add_problem(c, s->name, "missing-group", s->gdeps[j], NULL);
    }
    return rc;
}

static int
is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int
has_ext(const char *s, size_t n)
{
    static const char *const ext[] = {".exe", ".sys", ".dll", ".com"};
    for (size_t i = 0; i < 4; i++)
        if (n >= 4 && strncasecmp(s + n - 4, ext[i], 4) == 0)
            return 1;
    return 0;
}

/* The program file of a command line as Windows finds it: a quoted path,
 * else each space-split prefix as given or with ".exe" appended.  Sets
 * *winpath (malloc'd) and returns the host path (NULL if not on this
 * mount); *found says whether the file exists. */
static char *
resolve_cmd(const struct win *w, const char *cmd, char **winpath, int *found)
{
    while (*cmd == ' ' || *cmd == '\t')
        cmd++;
    *found = 0;
    if (*cmd == '"') {
        size_t n = strcspn(cmd + 1, "\"");
        *winpath = strndup(cmd + 1, n);
        char *h = *winpath ? win_host_path(w, *winpath, found) : NULL;
        *found = *found && h && is_file(h);
        return h;
    }
    size_t len = strlen(cmd), guess = 0;
    while (len && (cmd[len - 1] == ' ' || cmd[len - 1] == '\t'))
        len--;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && cmd[i] != ' ')
            continue;
        if (!guess && has_ext(cmd, i))
            guess = i;
        for (int ext = 0; ext < 2; ext++) {
            char *cand = malloc(i + 5);
            if (!cand)
                return NULL;
            memcpy(cand, cmd, i);
            strcpy(cand + i, ext ? ".exe" : "");
            int f;
            char *h = win_host_path(w, cand, &f);
            if (h && f && is_file(h)) {
                *winpath = cand;
                *found = 1;
                return h;
            }
            free(h);
            free(cand);
        }
    }
    /* Missing: report the prefix that looks like a program file. */
    *winpath = strndup(cmd, guess ? guess : len);
    return *winpath ? win_host_path(w, *winpath, found) : NULL;
}

static int
basename_is(const char *winpath, const char *name)
{
    const char *b = strrchr(winpath, '\\');
    return strcasecmp(b ? b + 1 : winpath, name) == 0;
}

static int
check_images(struct ctx *c, const struct win *w, size_t *unchecked)
{
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        struct svc *s = &c->s[i];
        progress_update(&c->pg, i, c->n);
        char *img = s->image ? strdup(s->image) : NULL;
        if (!img && is_driver(s) && (img = malloc(strlen(s->name) + 24)))
            sprintf(img, "System32\\drivers\\%s.sys", s->name);
        if (!img)
            continue; /* a service key with nothing to run */
        char *winpath = NULL;
        int found;
        char *host = resolve_cmd(w, img, &winpath, &found);
        if (!host) {
            progress_end(&c->pg); /* the message gets its own line */
            fprintf(stderr,
                    "reghive: services: %s: %s is not on the mounted "
                    "system drive; not checked\n",
                    s->name, img);
            (*unchecked)++;
        } else if (!found) {
            rc = add_problem(c, s->name, "image-missing", winpath, host);
        } else if (basename_is(winpath, "svchost.exe")) {
            rh_key k, pk;
            char *dll = NULL;
            if (rh_key_subkey(c->h, c->services, s->name, strlen(s->name),
                              &k) == 0) {
                if (rh_key_subkey(c->h, k, "Parameters", 10, &pk) == 0)
                    dll = win_reg_string(c->h, pk, "ServiceDll");
                if (!dll)
                    dll = win_reg_string(c->h, k, "ServiceDll");
            }
            char *dh = dll ? win_host_path(w, dll, &found) : NULL;
            if (dll && !dh) {
                progress_end(&c->pg);
                fprintf(stderr,
                        "reghive: services: %s: ServiceDll %s is not on "
                        "the mounted system drive; not checked\n",
                        s->name, dll);
                (*unchecked)++;
            } else if (dll && !(found && is_file(dh))) {
                rc = add_problem(c, s->name, "servicedll-missing", dll, dh);
            }
            free(dh);
            free(dll);
        }
        free(host);
        free(winpath);
        free(img);
    }
    progress_end(&c->pg);
    return rc;
}

static void
json_field(const char *field, const char *v)
{
    printf(",\"%s\":", field);
    if (v)
        json_string(stdout, v, strlen(v));
    else
        fputs("null", stdout);
}

static void
print_json(const struct ctx *c)
{
    char tb[48];
    for (size_t i = 0; i < c->n; i++) {
        const struct svc *s = &c->s[i];
        fputs("{\"name\":", stdout);
        json_string(stdout, s->name, strlen(s->name));
        json_field("display_name", s->display);
        if (s->has_type)
            printf(",\"type\":%u", s->type);
        else
            fputs(",\"type\":null", stdout);
        json_field("type_name",
                   s->has_type ? type_str(s, tb, sizeof tb) : NULL);
        if (s->has_start)
            printf(",\"start\":%u", s->start);
        else
            fputs(",\"start\":null", stdout);
        json_field("start_name", s->has_start ? start_str(s) : NULL);
        printf(",\"delayed_autostart\":%s", s->delayed ? "true" : "false");
        json_field("image_path", s->image);
        json_field("account", s->account);
        json_field("group", s->group);
        fputs(",\"depend_on_service\":[", stdout);
        for (size_t j = 0; j < s->ndeps; j++) {
            if (j)
                putchar(',');
            json_string(stdout, s->deps[j], strlen(s->deps[j]));
        }
        fputs("],\"depend_on_group\":[", stdout);
        for (size_t j = 0; j < s->ngdeps; j++) {
            if (j)
                putchar(',');
            json_string(stdout, s->gdeps[j], strlen(s->gdeps[j]));
        }
        fputs("],\"missing_dependencies\":[", stdout);
        int first = 1;
        for (size_t j = 0; j < c->np; j++) {
            if (strcmp(c->p[j].svc, s->name) != 0)
                continue;
            if (!first)
                putchar(',');
            first = 0;
            printf("{\"kind\":\"%s\",\"name\":", c->p[j].kind);
            json_string(stdout, c->p[j].what, strlen(c->p[j].what));
            putchar('}');
        }
        puts("]}");
    }
}

/* Dependencies as one column: services, then "+group" entries. */
static char *
deps_str(const struct svc *s)
{
    size_t n = 2;
    for (size_t i = 0; i < s->ndeps; i++)
        n += strlen(s->deps[i]) + 1;
    for (size_t i = 0; i < s->ngdeps; i++)
        n += strlen(s->gdeps[i]) + 2;
    char *r = malloc(n);
    if (!r)
        return NULL;
    *r = 0;
    for (size_t i = 0; i < s->ndeps; i++) {
        if (*r)
            strcat(r, ",");
        strcat(r, s->deps[i]);
    }
    for (size_t i = 0; i < s->ngdeps; i++) {
        if (*r)
            strcat(r, ",");
        strcat(r, "+");
        strcat(r, s->gdeps[i]);
    }
    if (!*r)
        strcpy(r, "-");
    return r;
}

#define NCOL 8

static void
print_table(const struct ctx *c)
{
    static const char *const head[NCOL] = {
        "NAME",  "TYPE",       "START",      "ACCOUNT",
        "GROUP", "DEPENDS ON", "IMAGE PATH", "DISPLAY NAME"};
    size_t wd[NCOL];
    char tb[48];
    for (int j = 0; j < NCOL; j++)
        wd[j] = strlen(head[j]);
    char **cells = calloc(c->n * NCOL + 1, sizeof *cells);
    if (!cells)
        return;
    for (size_t i = 0; i < c->n; i++) {
        const struct svc *s = &c->s[i];
        const char *v[NCOL] = {s->name,      type_str(s, tb, sizeof tb),
                               start_str(s), s->account,
                               s->group,     NULL,
                               s->image,     s->display};
        for (int j = 0; j < NCOL; j++) {
            char *x = j == 5 ? deps_str(s) : strdup(v[j] ? v[j] : "-");
            cells[i * NCOL + j] = x;
            if (x && strlen(x) > wd[j])
                wd[j] = strlen(x);
        }
    }
    for (size_t i = 0; i <= c->n; i++)
        for (int j = 0; j < NCOL; j++) {
            const char *x = i ? cells[(i - 1) * NCOL + j] : head[j];
            if (j < NCOL - 1)
                printf("%-*s  ", (int)wd[j], x ? x : "?");
            else
                printf("%s\n", x ? x : "?");
        }
    for (size_t i = 0; i < c->n * NCOL; i++)
        free(cells[i]);
    free(cells);
}

static void
print_problems(const struct ctx *c)
{
    if (c->json) {
        for (size_t i = 0; i < c->np; i++) {
            const struct problem *p = &c->p[i];
            fputs("{\"name\":", stdout);
            json_string(stdout, p->svc, strlen(p->svc));
            printf(",\"problem\":\"%s\"", p->kind);
            json_field(p->file ? "path" : "dependency", p->what);
            if (p->file)
                json_field("file", p->file);
            puts("}");
        }
        return;
    }
    size_t w0 = 4, w1 = 7;
    for (size_t i = 0; i < c->np; i++) {
        if (strlen(c->p[i].svc) > w0)
            w0 = strlen(c->p[i].svc);
        if (strlen(c->p[i].kind) > w1)
            w1 = strlen(c->p[i].kind);
    }
    printf("%-*s  %-*s  %s\n", (int)w0, "NAME", (int)w1, "PROBLEM", "DETAIL");
    for (size_t i = 0; i < c->np; i++) {
        const struct problem *p = &c->p[i];
        printf("%-*s  %-*s  %s", (int)w0, p->svc, (int)w1, p->kind, p->what);
        if (p->file)
            printf(" (%s)", p->file);
        putchar('\n');
    }
}

/* Keys of service name in one control set, relative to the hive root. */
static int
is_controlset(const char *s, size_t n)
{
    return n == 13 && strncasecmp(s, "ControlSet", 10) == 0 &&
           isdigit((unsigned char)s[10]) && isdigit((unsigned char)s[11]) &&
           isdigit((unsigned char)s[12]);
}

static void
count_tree(rh_hive *h, rh_key k, unsigned long *keys, unsigned long *values)
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
            count_tree(h, subs[i], keys, values);
        free(subs);
    }
}

/* services --remove NAME: delete the service from every ControlSet00N of
 * the SYSTEM hive h (and its Enum\Root\LEGACY_NAME device keys, which
 * Windows creates for non-PnP services and which would otherwise name a
 * service that no longer exists), then commit with a backup.  Warns about
 * services of the current control set that depend on it. */
static int
remove_service(struct ctx *c, struct win_set *set, const char *pre,
               const char *name, int dry, int force)
{
    rh_hive *h = c->h;
    rh_key *subs = NULL, cur = 0;
    size_t ns = 0, nt = 0, cap = 0;
    char **paths = NULL, *curname = NULL, q[600];
    int rc = 1;
    if (rh_key_lookup(h, "CurrentControlSet", &cur) == 0)
        rh_key_name(h, cur, &curname, NULL);
    for (size_t i = 0; i < c->n; i++)
        for (size_t j = 0; j < c->s[i].ndeps; j++)
            if (strcasecmp(c->s[i].deps[j], name) == 0)
                fprintf(stderr,
                        "reghive: services: warning: %s depends on %s "
                        "(DependOnService); it will fail to start\n",
                        c->s[i].name, c->s[i].deps[j]);
    if (rh_key_subkeys(h, rh_hive_root(h), &subs, &ns) < 0) {
        die_rc(h, "services", RH_ECORRUPT);
        return 1;
    }
    for (size_t i = 0; i < ns; i++) {
        char *cs;
        size_t cn;
        if (rh_key_name(h, subs[i], &cs, &cn) < 0)
            continue;
        for (int legacy = 0; legacy < 2 && is_controlset(cs, cn); legacy++) {
            char path[600];
            rh_key k;
            snprintf(path, sizeof path, "%s\\%s%s", cs,
                     legacy ? "Enum\\Root\\LEGACY_" : "Services\\", name);
            if (rh_key_lookup(h, path, &k) < 0)
                continue;
            if (nt == cap) {
                cap = cap ? cap * 2 : 8;
                char **p2 = realloc(paths, cap * sizeof *paths);
                if (!p2)
                    break;
                paths = p2;
            }
            if ((paths[nt] = strdup(path)))
                nt++;
        }
        free(cs);
    }
    free(subs);
    if (!nt) {
        fprintf(stderr,
                "reghive: services: %s: no such service in any control "
                "set\n",
                name);
        goto out;
    }
    snprintf(q, sizeof q,
             "Permanently delete the service %s from every control set "
             "(Yes/No)?",
             name);
    if (!dry && !force && !confirm(q)) {
        printf("The operation was cancelled by the user.\n");
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < nt; i++) {
        rh_key k;
        unsigned long keys = 0, values = 0;
        int r = rh_key_lookup(h, paths[i], &k);
        int iscur = curname && strncasecmp(paths[i], curname, 13) == 0;
        char *kp = NULL;
        if (r == 0) {
            count_tree(h, k, &keys, &values);
            rh_key_path(h, k, &kp, NULL); /* as stored, for display */
        }
        if (r == 0 && !dry)
            r = rh_key_delete(h, k);
        if (r < 0) {
            free(kp);
            die_rc(h, paths[i], r);
            fprintf(stderr, "reghive: nothing written\n");
            goto out;
        }
        printf("%s key %s%s%s (%lu key%s, %lu value%s)%s\n",
               dry ? "would delete" : "deleted", pre, *pre ? "\\" : "",
               kp ? kp : paths[i], keys, keys == 1 ? "" : "s", values,
               values == 1 ? "" : "s",
               iscur ? " (the current control set)" : "");
        free(kp);
    }
    if (dry) {
        printf("dry run: %s not written\n", set->e[0].file);
        rc = 0;
        goto out;
    }
    win_set_changed(set, h);
    rc = win_set_commit(set, 1);
    if (rc == 0)
        printf("The operation completed successfully.\n");
out:
    for (size_t i = 0; i < nt; i++)
        free(paths[i]);
    free(paths);
    free(curname);
    return rc;
}

enum { SV_HIVE, SV_WINDOWS, SV_JSON, SV_ORPHANS, SV_REMOVE, SV_DRYRUN, SV_F };
static const struct opt_spec services_opts[] = {
    [SV_HIVE] = {OPT_ARG, "HIVE", NULL, OPT_FILE, "src", "a SYSTEM hive file"},
    [SV_WINDOWS] = {OPT_VALUE, "--windows", "DIR", OPT_FILE, "src",
                    "the mounted Windows tree (its SYSTEM hive; image paths\n"
                    "checked under DIR)"},
    [SV_JSON] = SPEC_JSON,
    [SV_ORPHANS] = {OPT_SWITCH, "--orphans", NULL, 0, NULL,
                    "only entries whose image file or ServiceDll is gone, or\n"
                    "whose dependencies do not exist (exit 2 when found)"},
    [SV_REMOVE] = {OPT_VALUE, "--remove", "NAME", 0, NULL,
                   "delete service NAME from every ControlSet00N (keeps\n"
                   "HIVE.bak)"},
    [SV_DRYRUN] = SPEC_DRYRUN,
    [SV_F] = {OPT_SWITCH, "-f", NULL, 0, NULL, "with --remove: do not ask"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec services_spec = {
    "services", services_opts,
    "services and drivers of the active control set; stale entries", NULL};

int
cmd_services(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(services_spec, argc, argv, &r0);
    const char *hive = r0.val[SV_HIVE], *dir = r0.val[SV_WINDOWS];
    const char *remove = r0.val[SV_REMOVE];
    int orphans = opt_has(&r0, SV_ORPHANS), rc = 0;
    int dry = opt_has(&r0, SV_DRYRUN), force = opt_has(&r0, SV_F);
    struct win_set set = {0};
    struct ctx c = {0};
    struct win w = {0};
    c.json = opt_has(&r0, SV_JSON);
    progress_init(&c.pg, "services", "services");
    if (!hive == !dir || (remove && (orphans || c.json)) ||
        ((dry || force) && !remove)) {
        fprintf(stderr, "reghive services: %s\n",
                !hive == !dir ? "give HIVE or --windows DIR"
                : remove      ? "--remove goes without --orphans and --json"
                              : "--dry-run and -f go with --remove");
        return usage("services");
    }
    if (remove && (!*remove || strchr(remove, '\\') || strlen(remove) > 255)) {
        fprintf(stderr, "reghive: services: --remove takes a service name "
                        "(a key name under Services, no '\\')\n");
        return EXIT_USAGE;
    }
    char *sysfile = NULL;
    if (dir) {
        if (win_open(&w, dir) < 0 ||
            !(sysfile = win_hive_for(&w, NULL, "HKLM\\SYSTEM"))) {
            win_close(&w);
            return 1;
        }
        hive = sysfile;
    }
    if (remove) {
        set.w = dir ? &w : NULL;
        c.h =
            win_set_open(&set, dir ? "HKLM\\SYSTEM" : NULL, dir ? NULL : hive);
    } else {
        c.h = open_hive(hive, 0);
    }
    if (!c.h) {
        rc = RH_EIO;
        goto out;
    }
    if ((rc = rh_key_lookup(c.h, "CurrentControlSet\\Services", &c.services)) <
        0) {
        die_rc(c.h, hive, rc);
        goto out;
    }
    if ((rc = load(&c)) < 0 || (rc = check_deps(&c)) < 0) {
        die_rc(c.h, hive, rc);
        goto out;
    }
    size_t ndep = c.np, unchecked = 0;
    if (remove) {
        rc = remove_service(&c, &set, set.e[0].root, remove, dry, force);
        goto out;
    }
    if (orphans && dir) {
        if ((rc = check_images(&c, &w, &unchecked)) < 0)
            goto out;
    } else if (orphans) {
        fprintf(stderr,
                "reghive: services: image files not checked: %s is a lone "
                "hive; give --windows DIR (a mounted Windows tree) to "
                "check them\n",
                hive);
    }
    if (orphans) {
        print_problems(&c);
        rc = c.np ? EXIT_FOUND : 0;
    } else if (c.json) {
        print_json(&c);
    } else {
        char *cs = NULL;
        print_table(&c);
        if (rh_key_path(c.h, c.services, &cs, NULL) == 0)
            printf("\n%zu services and drivers in %s\n", c.n, cs);
        free(cs);
        if (ndep) {
            printf("\nDependency problems:\n");
            print_problems(&c);
        }
    }
    if (unchecked)
        fprintf(stderr, "reghive: services: %zu image path%s not checked\n",
                unchecked, unchecked == 1 ? "" : "s");
out:
    for (size_t i = 0; i < c.n; i++) {
        struct svc *s = &c.s[i];
        free(s->name);
        free(s->display);
        free(s->image);
        free(s->account);
        free(s->group);
        free_list(s->deps, s->ndeps);
        free_list(s->gdeps, s->ngdeps);
    }
    for (size_t i = 0; i < c.np; i++) {
        free(c.p[i].what);
        free(c.p[i].file);
    }
    free(c.s);
    free(c.p);
    if (remove)
        win_set_close(&set);
    else
        rh_close(c.h);
    free(sysfile);
    win_close(&w);
    return rc < 0 ? 1 : rc;
}
