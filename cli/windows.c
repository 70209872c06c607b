/*
 * windows.c - --windows DIR: registry roots to the hive files of a mounted
 * Windows tree, and Windows paths to files under it.  Linux file systems
 * are case-sensitive and Windows is not, so every path component is
 * looked up case-insensitively (ASCII folding, as NTFS names on Linux
 * mounts are almost always ASCII in the system directories).
 */
#include "windows.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

char *
win_reg_string(rh_hive *h, rh_key k, const char *name)
{
    rh_value v;
    uint32_t t;
    char *s, **a;
    size_t n;
    if (rh_key_value(h, k, name, strlen(name), &v) < 0 ||
        rh_value_type(h, v, &t, NULL) < 0)
        return NULL;
    if (t != RH_REG_MULTI_SZ)
        return rh_value_string(h, v, &s, NULL) < 0 ? NULL : s;
    /* The service control manager reads a string value whatever its type
     * (ReactOS services/config.c ScmReadString: the data up to its first
     * NUL), and real hives hold such values (NDProxy's DisplayName is a
     * REG_MULTI_SZ in regipy's SYSTEM): a list gives its first string. */
    if (rh_value_strings(h, v, &a, &n) < 0)
        return NULL;
    s = strdup(n ? a[0] : "");
    free(a);
    return s;
}

static char *
join(const char *a, const char *b, size_t bn)
{
    size_t an = strlen(a);
    char *p = malloc(an + bn + 2);
    if (!p)
        return NULL;
    memcpy(p, a, an);
    if (an && a[an - 1] != '/')
        p[an++] = '/';
    memcpy(p + an, b, bn);
    p[an + bn] = 0;
    return p;
}

char *
win_ci_path(const char *base, const char *rel, int *found)
{
    char *path = strdup(base);
    size_t baselen = strlen(base);
    int ok = 1;
    while (path && *rel) {
        size_t n = strcspn(rel, "\\/");
        const char *c = rel;
        rel += n;
        while (*rel == '\\' || *rel == '/')
            rel++;
        if (n == 0 || (n == 1 && c[0] == '.'))
            continue;
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            /* as Windows does at a drive root: never above base */
            char *slash = strrchr(path, '/');
            if (strlen(path) > baselen && slash && slash >= path + baselen)
                *slash = 0;
            continue;
        }
        char *next = join(path, c, n);
        struct stat st;
        if (ok && next && stat(next, &st) != 0) {
            /* Not there as spelled: scan the directory for a match. */
            DIR *d = opendir(path);
            struct dirent *e;
            ok = 0;
            while (d && (e = readdir(d))) {
                if (strlen(e->d_name) == n &&
                    strncasecmp(e->d_name, c, n) == 0) {
                    free(next);
                    next = join(path, e->d_name, n);
                    ok = 1;
                    break;
                }
            }
            if (d)
                closedir(d);
        }
        free(path);
        path = next;
    }
    if (found)
        *found = path && ok;
    return path;
}

/* Open a hive quietly (no warnings printed); NULL if it cannot be read. */
static rh_hive *
quiet_open(const char *path)
{
    rh_hive *h;
    if (rh_open(path, 0, &h) < 0) {
        rh_close(h);
        return NULL;
    }
    return h;
}

static char *
config_file(const struct win *w, const char *name, int *found)
{
    char rel[64];
    snprintf(rel, sizeof rel, "System32/config/%s", name);
    return win_ci_path(w->windir, rel, found);
}

int
win_open(struct win *w, const char *dir)
{
    static const char *const cands[] = {"Windows", "WINNT"};
    memset(w, 0, sizeof *w);
    w->dir = dir;
    w->drive = 'C';
    for (size_t i = 0; i < 2 && !w->windir; i++) {
        char rel[40];
        int found;
        snprintf(rel, sizeof rel, "%s/System32/config", cands[i]);
        free(win_ci_path(dir, rel, &found));
        if (found)
            w->windir = win_ci_path(dir, cands[i], NULL);
    }
    if (!w->windir) {
        fprintf(stderr,
                "reghive: %s: no Windows directory (Windows\\System32\\"
                "config) found there\n",
                dir);
        return -1;
    }
    /* SOFTWARE names the real SystemRoot (C:\WINDOWS, D:\WINNT ...). */
    int found;
    char *sw = config_file(w, "SOFTWARE", &found);
    rh_hive *h = found ? quiet_open(sw) : NULL;
    rh_key k;
    if (h &&
        rh_key_lookup(h, "Microsoft\\Windows NT\\CurrentVersion", &k) == 0) {
        char *s = win_reg_string(h, k, "SystemRoot");
        if (s && isalpha((unsigned char)s[0]) && s[1] == ':' && s[2] == '\\' &&
            s[3]) {
            char *wd = win_ci_path(dir, s + 3, &found);
            if (found) {
                free(w->windir);
                w->windir = wd;
                w->sysroot = s;
                w->drive = (char)toupper((unsigned char)s[0]);
                s = NULL;
            } else {
                free(wd);
            }
        }
        free(s);
    }
    rh_close(h);
    free(sw);
    if (!w->sysroot) {
        const char *b = strrchr(w->windir, '/');
        b = b ? b + 1 : w->windir;
        w->sysroot = malloc(strlen(b) + 4);
        if (w->sysroot)
            sprintf(w->sysroot, "%c:\\%s", w->drive, b);
    }
    return w->sysroot ? 0 : -1;
}

void
win_close(struct win *w)
{
    free(w->windir);
    free(w->sysroot);
    w->windir = w->sysroot = NULL;
}

/* Expand the %VARIABLES% an offline system defines; NULL if unknown. */
static char *
expand(const struct win *w, const char *s)
{
    char drive[3] = {w->drive, ':', 0};
    char pf[40], pf86[48], pd[20], cpf[60];
    snprintf(pf, sizeof pf, "%s\\Program Files", drive);
    snprintf(pf86, sizeof pf86, "%s\\Program Files (x86)", drive);
    snprintf(pd, sizeof pd, "%s\\ProgramData", drive);
    snprintf(cpf, sizeof cpf, "%s\\Program Files\\Common Files", drive);
    const char *vars[][2] = {
        {"SystemRoot", w->sysroot}, {"windir", w->sysroot},
        {"SystemDrive", drive},     {"ProgramFiles", pf},
        {"ProgramW6432", pf},       {"ProgramFiles(x86)", pf86},
        {"ProgramData", pd},        {"ALLUSERSPROFILE", pd},
        {"CommonProgramFiles", cpf}};
    size_t cap = strlen(s) * 4 + 64, n = 0;
    char *out = malloc(cap);
    while (out && *s) {
        const char *e = *s == '%' ? strchr(s + 1, '%') : NULL;
        if (!e) {
            out[n++] = *s++;
            continue;
        }
        const char *val = NULL;
        size_t vn = (size_t)(e - s - 1);
        for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
            if (strlen(vars[i][0]) == vn && !strncasecmp(s + 1, vars[i][0], vn))
                val = vars[i][1];
        if (!val) {
            free(out);
            return NULL;
        }
        size_t m = strlen(val);
        if (n + m + strlen(e) + 1 > cap) {
            cap = n + m + strlen(e) + 64;
            char *o2 = realloc(out, cap);
            if (!o2) {
                free(out);
                return NULL;
            }
            out = o2;
        }
        memcpy(out + n, val, m);
        n += m;
        s = e + 1;
    }
    if (out)
        out[n] = 0;
    return out;
}

static int
iprefix(const char *s, const char *p)
{
    return strncasecmp(s, p, strlen(p)) == 0;
}

char *
win_host_path(const struct win *w, const char *path, int *found)
{
    char *x = expand(w, path), *r = NULL;
    if (found)
        *found = 0;
    if (!x)
        return NULL;
    const char *p = x;
    if (iprefix(p, "\\??\\") || iprefix(p, "\\\\?\\") || iprefix(p, "\\\\.\\"))
        p += 4;
    else if (iprefix(p, "\\DosDevices\\"))
        p += 12;
    if (iprefix(p, "\\SystemRoot\\"))
        r = win_ci_path(w->windir, p + 12, found);
    else if (isalpha((unsigned char)p[0]) && p[1] == ':')
        r = toupper((unsigned char)p[0]) == w->drive
                ? win_ci_path(w->dir, p + 2, found)
                : NULL; /* another drive: not on this mount */
    else if (p[0] == '\\' && p[1] == '\\')
        r = NULL; /* UNC */
    else if (p[0] == '\\')
        r = win_ci_path(w->dir, p, found); /* root of the system drive */
    else
        r = win_ci_path(w->windir, p, found); /* relative to SystemRoot */
    free(x);
    return r;
}

/* Profile directory (host path) for a SID or, by_user, a user name. */
static char *
profile_dir(const struct win *w, const char *id, size_t idn, int by_user)
{
    int found;
    char *sw = config_file(w, "SOFTWARE", &found), *res = NULL;
    rh_hive *h = found ? quiet_open(sw) : NULL;
    rh_key pl;
    rh_key *subs = NULL;
    size_t ns = 0;
    if (!h) {
        fprintf(stderr, "reghive: %s: cannot read the SOFTWARE hive\n", sw);
        free(sw);
        return NULL;
    }
    if (rh_key_lookup(h, "Microsoft\\Windows NT\\CurrentVersion\\ProfileList",
                      &pl) < 0 ||
        rh_key_subkeys(h, pl, &subs, &ns) < 0)
        ns = 0;
    for (size_t i = 0; i < ns && !res; i++) {
        char *sid = NULL, *img = NULL;
        size_t sn;
        if (rh_key_name(h, subs[i], &sid, &sn) == 0 &&
            (img = win_reg_string(h, subs[i], "ProfileImagePath"))) {
            const char *base = strrchr(img, '\\');
            base = base ? base + 1 : img;
            const char *cmp = by_user ? base : sid;
            if (strlen(cmp) == idn && strncasecmp(cmp, id, idn) == 0) {
                res = win_host_path(w, img, &found);
                if (res && !found) {
                    fprintf(stderr,
                            "reghive: profile %s (%s): directory "
                            "%s not found\n",
                            sid, img, res);
                    free(res);
                    res = NULL;
                    i = ns;
                }
            }
        }
        free(sid);
        free(img);
    }
    if (!res && by_user && ns) {
        fprintf(stderr, "reghive: no profile for user '%.*s'; users:", (int)idn,
                id);
        for (size_t i = 0; i < ns; i++) {
            char *img = win_reg_string(h, subs[i], "ProfileImagePath");
            const char *b = img ? strrchr(img, '\\') : NULL;
            if (b)
                fprintf(stderr, " %s", b + 1);
            free(img);
        }
        fputc('\n', stderr);
    } else if (!res && ns) {
        fprintf(stderr, "reghive: SID %.*s is not in the ProfileList\n",
                (int)idn, id);
    } else if (!res) {
        fprintf(stderr, "reghive: %s: no ProfileList\n", sw);
    }
    free(subs);
    rh_close(h);
    free(sw);
    return res;
}

static int
ieqn(const char *s, size_t n, const char *t)
{
    return strlen(t) == n && strncasecmp(s, t, n) == 0;
}

char *
win_hive_for(const struct win *w, const char *user, const char *key)
{
    while (*key == '\\')
        key++;
    size_t n1 = strcspn(key, "\\");
    const char *c2 = key + n1 + (key[n1] == '\\');
    size_t n2 = strcspn(c2, "\\");
    char *res = NULL, *dir = NULL;
    int found = 0;
    if (ieqn(key, n1, "HKLM") || ieqn(key, n1, "HKEY_LOCAL_MACHINE")) {
        static const char *const hives[] = {"SYSTEM", "SOFTWARE", "SAM",
                                            "SECURITY", "COMPONENTS"};
        for (size_t i = 0; i < 5 && !res; i++)
            if (ieqn(c2, n2, hives[i]))
                res = config_file(w, hives[i], &found);
        if (!res && ieqn(c2, n2, "BCD00000000")) {
            res = win_ci_path(w->dir, "Boot/BCD", &found);
            if (!found) {
                free(res);
                res = win_ci_path(w->dir, "EFI/Microsoft/Boot/BCD", &found);
            }
        }
        if (!res) {
            fprintf(stderr,
                    "reghive: %s: not a hive of HKLM (SYSTEM, SOFTWARE, "
                    "SAM, SECURITY, COMPONENTS, BCD00000000)\n",
                    key);
            return NULL;
        }
    } else if (ieqn(key, n1, "HKU") || ieqn(key, n1, "HKEY_USERS")) {
        size_t sn = n2;
        int classes = sn > 8 && ieqn(c2 + sn - 8, 8, "_Classes");
        if (ieqn(c2, n2, ".DEFAULT")) {
            res = config_file(w, "DEFAULT", &found);
        } else if (n2 == 0) {
            fprintf(stderr, "reghive: %s: name a SID: HKU\\<SID>\\...\n", key);
            return NULL;
        } else if ((dir = profile_dir(w, c2, classes ? sn - 8 : sn, 0))) {
            res = win_ci_path(dir,
                              classes ? "AppData/Local/Microsoft/Windows/"
                                        "UsrClass.dat"
                                      : "NTUSER.DAT",
                              &found);
        }
    } else if (ieqn(key, n1, "HKCU") || ieqn(key, n1, "HKEY_CURRENT_USER")) {
        if (!user) {
            fprintf(stderr,
                    "reghive: %s: HKCU needs --user NAME with --windows\n",
                    key);
            return NULL;
        }
        if ((dir = profile_dir(w, user, strlen(user), 1)))
            res = win_ci_path(dir, "NTUSER.DAT", &found);
    } else {
        fprintf(stderr,
                "reghive: %s: with --windows, KEY starts with HKLM\\<hive>, "
                "HKU\\<SID> or HKCU\n",
                key);
        return NULL;
    }
    free(dir);
    if (res && !found) {
        fprintf(stderr, "reghive: %.*s: hive file %s not found\n",
                (int)(c2 + n2 - key), key, res);
        free(res);
        res = NULL;
    }
    return res;
}

static int
is_root_path(const char *a)
{
    static const char *const roots[] = {
        "HKLM", "HKEY_LOCAL_MACHINE", "HKU",  "HKEY_USERS",
        "HKCU", "HKEY_CURRENT_USER",  "HKCR", "HKEY_CLASSES_ROOT"};
    while (*a == '\\')
        a++;
    size_t n = strcspn(a, "\\");
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
        if (ieqn(a, n, roots[i]))
            return 1;
    return 0;
}

static int
is_hkcr(const char *a)
{
    while (*a == '\\')
        a++;
    size_t n = strcspn(a, "\\");
    return ieqn(a, n, "HKCR") || ieqn(a, n, "HKEY_CLASSES_ROOT");
}

/* Windows' order of key names: compare uppercased (ASCII). */
static int
name_cmp(const void *a, const void *b)
{
    const unsigned char *x = *(const unsigned char *const *)a,
                        *y = *(const unsigned char *const *)b;
    for (;; x++, y++) {
        int cx = toupper(*x), cy = toupper(*y);
        if (cx != cy || !cx)
            return cx - cy;
    }
}

/* Append the subkey names of k in h to *names (n, cap). */
static int
add_names(rh_hive *h, rh_key k, char ***names, size_t *n, size_t *cap)
{
    rh_key *subs;
    size_t ns;
    int rc = rh_key_subkeys(h, k, &subs, &ns);
    if (rc < 0)
        return rc;
    for (size_t i = 0; rc >= 0 && i < ns; i++) {
        if (*n == *cap) {
            size_t c2 = *cap ? *cap * 2 : 16;
            char **p = realloc(*names, c2 * sizeof *p);
            if (!p) {
                rc = RH_ENOMEM;
                break;
            }
            *names = p;
            *cap = c2;
        }
        rc = rh_key_name(h, subs[i], &(*names)[*n], NULL);
        if (rc >= 0)
            (*n)++;
    }
    free(subs);
    return rc;
}

/* Print the values of (h, k) as reg query does; the path line first when
 * there is a value or always is set.  *nv gets the number of values. */
static int
print_values(const char *path, rh_hive *h, rh_key k, int always, size_t *nv)
{
    rh_value *vals;
    int rc = rh_key_values(h, k, &vals, nv);
    if (rc < 0)
        return rc;
    if (always || *nv)
        printf("%s\n", path);
    for (size_t i = 0; i < *nv && rc >= 0; i++) {
        char *name;
        size_t nl, dl;
        void *d;
        uint32_t t;
        if ((rc = rh_value_name(h, vals[i], &name, &nl)) < 0)
            break;
        if ((rc = rh_value_data(h, vals[i], &t, &d, &dl)) < 0) {
            free(name);
            break;
        }
        const char *tn = rh_type_name(t);
        char tb[24];
        if (!tn) {
            snprintf(tb, sizeof tb, "0x%x", t);
            tn = tb;
        }
        printf("    %s    %s    ", nl ? name : "(Default)", tn);
        print_value(stdout, h, vals[i], t, d, dl, 1);
        putchar('\n');
        free(name);
        free(d);
    }
    free(vals);
    return rc < 0 ? rc : 0;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The union of the subkey names of (uh, uk) and (mh, mk) (key 0:
 * absent), sorted in Windows' order, each name once. */
static int
merged_names(rh_hive *uh, rh_key uk, rh_hive *mh, rh_key mk, char ***out,
             size_t *nout)
{
    size_t n = 0, cap = 0, m = 0;
    char **names = NULL;
    int rc = 0;
    if (uk)
        rc = add_names(uh, uk, &names, &n, &cap);
    if (rc >= 0 && mk)
        rc = add_names(mh, mk, &names, &n, &cap);
    if (rc < 0) {
        free_names(names, n);
        return rc;
    }
    if (n)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (m && !name_cmp(&names[m - 1], &names[i]))
            free(names[i]);
        else
            names[m++] = names[i];
    }
    *out = names;
    *nout = m;
    return 0;
}

/* reg query of the merged key: values of the winning key (h, k), then
 * the union of the subkey names of both keys (key 0: absent). */
static int
hkcr_list(const char *path, rh_hive *h, rh_key k, rh_hive *uh, rh_key uk,
          rh_hive *mh, rh_key mk)
{
    size_t nv, n = 0;
    char **names = NULL;
    putchar('\n');
    int rc = print_values(path, h, k, 0, &nv);
    if (rc >= 0 && nv)
        putchar('\n');
    if (rc >= 0)
        rc = merged_names(uh, uk, mh, mk, &names, &n);
    for (size_t i = 0; rc >= 0 && i < n; i++)
        printf("%s\\%s\n", path, names[i]);
    free_names(names, n);
    if (rc < 0) {
        die_rc(h, path, rc);
        return 1;
    }
    return 0;
}

/* A growing byte buffer, the sink of one key's export. */
struct bytes {
    unsigned char *p;
    size_t n, cap;
};

static int
bytes_write(void *ctx, const void *buf, size_t len)
{
    struct bytes *b = ctx;
    if (b->n + len > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->n + len)
            c *= 2;
        unsigned char *q = realloc(b->p, c);
        if (!q)
            return 1;
        b->p = q;
        b->cap = c;
    }
    memcpy(b->p + b->n, buf, len);
    b->n += len;
    return 0;
}

/* The merged walk of HKCR\REL for export and query -s. */
struct merge {
    rh_hive *uh, *mh;
    int export;     /* 1 export, 0 query -s */
    unsigned flags; /* rh_export flags (RH_EXPORT_UTF16) */
    FILE *f;
    int header; /* the .reg header is written */
    struct bytes b;
};

/* Write s (UTF-8) to m->f, as UTF-16LE when the export is. */
static int
put_text(struct merge *m, const char *s)
{
    if (!(m->flags & RH_EXPORT_UTF16))
        return fputs(s, m->f) < 0 ? -1 : 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (more)
            c &= 0x3Fu >> more;
        for (; more && (*p & 0xC0) == 0x80; more--)
            c = c << 6 | (*p++ & 0x3Fu);
        unsigned char u[4];
        size_t un = 2;
        if (c >= 0x10000) {
            uint32_t hi = 0xD800 + ((c - 0x10000) >> 10),
                     lo = 0xDC00 + ((c - 0x10000) & 0x3FF);
            u[0] = (unsigned char)hi;
            u[1] = (unsigned char)(hi >> 8);
            u[2] = (unsigned char)lo;
            u[3] = (unsigned char)(lo >> 8);
            un = 4;
        } else {
            u[0] = (unsigned char)c;
            u[1] = (unsigned char)(c >> 8);
        }
        if (fwrite(u, 1, un, m->f) != un)
            return -1;
    }
    return 0;
}

/* Export the winning key (h, k) alone as the block "[path]" and its
 * values: rh_export's output with its header (written once, before the
 * first block), its own key line and its final newline cut off. */
static int
export_node(struct merge *m, rh_hive *h, rh_key k, const char *path)
{
    int u16 = (m->flags & RH_EXPORT_UTF16) != 0;
    size_t w = u16 ? 2 : 1, nll = u16 ? 4 : 1, i, e;
    const char *nl = u16 ? "\r\n" : "\n";
    m->b.n = 0;
    int rc = rh_export(h, k, "HKEY_CLASSES_ROOT",
                       m->flags | RH_EXPORT_NORECURSE, bytes_write, &m->b);
    if (rc < 0)
        return rc;
    const unsigned char *p = m->b.p;
    size_t n = m->b.n;
    for (i = u16 ? 2 : 0; i + w <= n; i += w)
        if (p[i] == '[' && (!u16 || p[i + 1] == 0))
            break;
    for (e = i; e + w <= n; e += w)
        if (p[e] == '\n' && (!u16 || p[e + 1] == 0))
            break;
    if (e + w > n || i < nll || n < nll || e + w > n - nll)
        return RH_ECORRUPT; /* not the shape rh_export writes */
    e += w;
    if (!m->header) {
        if (fwrite(p, 1, i - nll, m->f) != i - nll)
            return RH_EIO;
        m->header = 1;
    }
    if (put_text(m, nl) < 0 || put_text(m, "[") < 0 || put_text(m, path) < 0 ||
        put_text(m, "]") < 0 || put_text(m, nl) < 0 ||
        fwrite(p + e, 1, n - nll - e, m->f) != n - nll - e)
        return RH_EIO;
    return 0;
}

/* Walk the merged key at path: (uk in m->uh) wins over (mk in m->mh);
 * subkeys are the union of both, each resolved the same way. */
static int
merge_walk(struct merge *m, const char *path, rh_key uk, rh_key mk, int depth)
{
    if (depth > RH_MAX_DEPTH)
        return RH_ERANGE;
    rh_hive *h = uk ? m->uh : m->mh;
    rh_key k = uk ? uk : mk;
    int rc;
    if (m->export) {
        rc = export_node(m, h, k, path);
    } else {
        size_t nv;
        rc = print_values(path, h, k, depth > 0, &nv);
        if (rc >= 0 && (nv || depth > 0))
            putchar('\n');
    }
    char **names = NULL;
    size_t n = 0;
    if (rc >= 0)
        rc = merged_names(m->uh, uk, m->mh, mk, &names, &n);
    size_t pl = strlen(path);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        size_t nl = strlen(names[i]);
        rh_key cu = 0, cm = 0;
        if (uk && (rc = rh_key_subkey(m->uh, uk, names[i], nl, &cu)) < 0) {
            if (rc != RH_ENOTFOUND)
                break;
            cu = 0;
        }
        if (mk && (rc = rh_key_subkey(m->mh, mk, names[i], nl, &cm)) < 0) {
            if (rc != RH_ENOTFOUND)
                break;
            cm = 0;
        }
        rc = 0;
        char *cp = malloc(pl + nl + 2);
        if (!cp) {
            rc = RH_ENOMEM;
            break;
        }
        sprintf(cp, "%s\\%s", path, names[i]);
        rc = merge_walk(m, cp, cu, cm, depth + 1);
        free(cp);
    }
    free_names(names, n);
    return rc;
}

/* export HKCR\REL [-o FILE] [--utf8 | --utf16] [--prefix ROOT] or query
 * HKCR\REL -s over the merged tree.  Returns the exit code, or -1 when
 * the options are not ones the merged walk handles. */
static int
hkcr_merged(const char *path, rh_hive *uh, rh_key uk, rh_hive *mh, rh_key mk,
            const struct cmd *c, int n, char **av, int k)
{
    struct merge m = {
        uh, mh, !strcmp(c->spec->name, "export"), 0, stdout, 0, {NULL, 0, 0}};
    const struct cmd_spec *sp = c->spec;
    struct opt_res r;
    int rc;
    (void)k;
    if (opt_parse(sp, n, av, OPT_PARSE_WINDOWS, &r) != OPT_OK)
        return -1;
    /* The merged walk does export's -o/--prefix/--utf8/--utf16 and plain
     * query -s; anything else runs on the winning key's own hive. */
    const char *out = m.export ? opt_get(sp, &r, "-o") : NULL;
    const char *prefix = m.export ? opt_get(sp, &r, "--prefix") : NULL;
    int utf = !m.export                    ? 0
              : opt_get(sp, &r, "--utf8")  ? 8
              : opt_get(sp, &r, "--utf16") ? 16
                                           : 0;
    for (int i = 0; sp->opts[i].kind != OPT_END; i++) {
        const char *nm = sp->opts[i].name;
        if (!r.count[i] || sp->opts[i].kind == OPT_ARG ||
            sp->opts[i].kind == OPT_ARGS)
            continue;
        if (m.export ? (strcmp(nm, "-o") && strcmp(nm, "--prefix") &&
                        strcmp(nm, "--utf8") && strcmp(nm, "--utf16"))
                     : strcmp(nm, "-s") != 0)
            return -1;
    }
    if (!m.export && !opt_get(sp, &r, "-s"))
        return -1;
    char *root = NULL;
    if (prefix) { /* --prefix replaces HKEY_CLASSES_ROOT */
        const char *rel = strchr(path, '\\');
        rel = rel ? rel : "";
        if (!(root = malloc(strlen(prefix) + strlen(rel) + 1)))
            return 1;
        sprintf(root, "%s%s", prefix, rel);
        path = root;
    }
    if (out && strcmp(out, "-") != 0 && !(m.f = fopen(out, "wb"))) {
        perror(out);
        free(root);
        return 1;
    }
    if (utf == 0)
        utf = (m.f != stdout) ? 16 : 8;
    m.flags = utf == 16 ? RH_EXPORT_UTF16 : 0;
    if (!m.export)
        putchar('\n');
    rc = merge_walk(&m, path, uk, mk, 0);
    if (rc >= 0 && m.export &&
        put_text(&m, (m.flags & RH_EXPORT_UTF16) ? "\r\n" : "\n") < 0)
        rc = RH_EIO;
    free(m.b.p);
    if (rc < 0)
        die_rc(uk ? uh : mh, path, rc);
    if (m.f != stdout && fclose(m.f) != 0) {
        perror(out);
        rc = -1;
    } else if (m.f == stdout && fflush(stdout) != 0) {
        rc = -1;
    }
    free(root);
    return rc < 0;
}

/* HKCR\REL through --windows for query, get and export (read-only): the
 * key is looked up in the user's UsrClass.dat first (with --user), then in
 * SOFTWARE\Classes; the first hive that has it supplies the values.  A
 * plain query lists the union of both keys' subkey names; export and
 * query -s walk the merged tree (hkcr_merged).  Other options (--json,
 * -v, -f ...) run on the winning key in its own hive, with a notice.
 * Writes are refused. */
static int
hkcr_main(struct win *w, const char *user, const struct cmd *c, int n,
          char **av, int k)
{
    const char *rel = av[k];
    while (*rel == '\\')
        rel++;
    rel += strcspn(rel, "\\");
    while (*rel == '\\')
        rel++;
    if (strcmp(c->spec->name, "query") && strcmp(c->spec->name, "get") &&
        strcmp(c->spec->name, "export")) {
        fprintf(stderr,
                "reghive: %s: HKCR is a merged view and read-only with "
                "--windows; %s the real key instead: "
                "HKCU\\Software\\Classes%s%s for one user (offline: "
                "HKU\\<SID>_Classes%s%s, the user's UsrClass.dat) or "
                "HKLM\\SOFTWARE\\Classes%s%s for the machine\n",
                av[k], c->spec->name, *rel ? "\\" : "", rel, *rel ? "\\" : "",
                rel, *rel ? "\\" : "", rel);
        return 1;
    }
    int rc = 1, found;
    char *ufile = NULL, *mfile = config_file(w, "SOFTWARE", &found);
    char *mkey = NULL, *dp = display_prefix(av[k]), *path = NULL;
    rh_hive *uh = NULL, *mh = NULL;
    rh_key uk = 0, mk = 0;
    if (!mfile || !found) {
        fprintf(stderr, "reghive: HKCR: SOFTWARE hive %s not found\n",
                mfile ? mfile : "");
        goto out;
    }
    if (user) {
        char *dir = profile_dir(w, user, strlen(user), 1);
        if (!dir)
            goto out;
        ufile = win_ci_path(dir, "AppData/Local/Microsoft/Windows/UsrClass.dat",
                            &found);
        free(dir);
        if (!ufile || !found) {
            fprintf(stderr, "reghive: HKCR: user classes hive %s not found\n",
                    ufile ? ufile : "");
            goto out;
        }
        if (!(uh = open_hive(ufile, 0)))
            goto out;
        if (rh_key_lookup(uh, rel, &uk) < 0)
            uk = 0;
    } else {
        fprintf(stderr, "reghive: HKCR without --user: showing "
                        "HKLM\\SOFTWARE\\Classes only\n");
    }
    if (!(mh = open_hive(mfile, 0)))
        goto out;
    size_t rl = strlen(rel);
    if (!(mkey = malloc(rl + 32)) || !dp ||
        !(path = malloc(strlen(dp) + rl + 2)))
        goto out;
    sprintf(mkey, "HKLM\\SOFTWARE\\Classes%s%s", rl ? "\\" : "", rel);
    sprintf(path, "%s%s%s", dp, rl ? "\\" : "", rel);
    if (rh_key_lookup(mh, mkey, &mk) < 0)
        mk = 0;
    if (!uk && !mk) {
        fprintf(stderr, "reghive: %s: key not found (%s)\n", av[k],
                user ? "in neither the user's UsrClass.dat nor "
                       "HKLM\\SOFTWARE\\Classes"
                     : "not in HKLM\\SOFTWARE\\Classes");
        goto out;
    }
    if (!strcmp(c->spec->name, "query") && n == 2) {
        rc = uk ? hkcr_list(path, uh, uk, uh, uk, mh, mk)
                : hkcr_list(path, mh, mk, uh, uk, mh, mk);
        goto out;
    }
    if (strcmp(c->spec->name, "get") &&
        (rc = hkcr_merged(path, uh, uk, mh, mk, c, n, av, k)) >= 0)
        goto out;
    rc = 1;
    if (uk && mk && strcmp(c->spec->name, "get"))
        fprintf(stderr,
                "reghive: %s: from the user's UsrClass.dat only (the "
                "machine key HKLM\\SOFTWARE\\Classes%s%s is not merged in)\n",
                path, rl ? "\\" : "", rel);
    /* "CMD KEY ..." becomes "CMD HIVE KEY ..." on the winning hive. */
    char **av2 = calloc((size_t)n + 2, sizeof *av2);
    if (!av2)
        goto out;
    memcpy(av2, av, (size_t)k * sizeof *av2);
    av2[k] = uk ? ufile : mfile;
    av2[k + 1] = uk ? av[k] : mkey;
    memcpy(av2 + k + 2, av + k + 1, (size_t)(n - k - 1) * sizeof *av2);
    rh_close(uh);
    rh_close(mh);
    uh = mh = NULL;
    rc = c->fn(n + 1, av2);
    free(av2);
out:
    rh_close(uh);
    rh_close(mh);
    free(ufile);
    free(mfile);
    free(mkey);
    free(dp);
    free(path);
    return rc;
}

/* A mapped hive file and how it was before the command ran. */
struct mapped {
    char *file, *root;
    struct stat st;
    int had;
};

int
win_main(int argc, char **argv)
{
    char *dir = NULL;
    const char *user = NULL;
    static char opt[] = "--windows", uopt[] = "--user";
    int i = 1;
    for (; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--windows") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--user") == 0)
            user = argv[i + 1];
        else
            break;
    }
    if (!dir || i >= argc)
        return usage(NULL);
    const struct cmd *c = cmd_find(argv[i]);
    if (!c) {
        fprintf(stderr, "reghive: unknown command '%s'\n", argv[i]);
        return EXIT_USAGE;
    }
    const struct cmd_spec *sp = c->spec;
    int n = argc - i, rc = 1;
    /* Room for one hive file per HIVE argument the command declares. */
    char **av = calloc((size_t)n + 8, sizeof *av);
    char **cp = calloc((size_t)n + 1, sizeof *cp);
    struct mapped mp[4];
    int nmp = 0;
    struct win w = {0};
    int wopen = 0;
    if (!av || !cp)
        goto out;
    memcpy(av, argv + i, (size_t)n * sizeof *av);
    /* services and import map paths themselves */
    if (strcmp(sp->name, "services") == 0 || strcmp(sp->name, "import") == 0) {
        av[n] = opt;
        av[n + 1] = dir;
        int m = n + 2;
        if (user && strcmp(sp->name, "import") == 0) {
            av[m++] = uopt;
            av[m++] = (char *)user;
        }
        rc = c->fn(m, av);
        goto out;
    }
    /* Which words are the KEYs and HIVEs comes from the command's
     * declaration: a HIVE tied to a KEY (HIVE KEY) is not given and is
     * the file of the KEY's root; a HIVE given alone (info, compare) may
     * name a root (HKLM\SOFTWARE) instead of a file. */
    memcpy(cp, av, (size_t)n * sizeof *cp);
    struct opt_res r;
    int prc = opt_parse(sp, n, cp, OPT_PARSE_WINDOWS, &r);
    if (prc != OPT_OK) {
        rc = prc == OPT_EXIT_HELP ? 0 : EXIT_USAGE;
        goto out;
    }
    if (win_open(&w, dir) < 0)
        goto out;
    wopen = 1;
    /* Insertions go from the last argument back, so the argv indexes
     * opt_parse recorded stay right. */
    int nspec = 0;
    while (sp->opts[nspec].kind != OPT_END)
        nspec++;
    for (int hi = nspec - 1; hi >= 0; hi--) {
        const struct opt_spec *o = &sp->opts[hi];
        if (o->kind != OPT_ARG || !(o->flags & OPT_HIVE))
            continue;
        int ki = opt_key_of_hive(sp, hi);
        if (ki < 0) { /* HIVE alone: a root names its file */
            if (!r.count[hi] || !is_root_path(r.val[hi]))
                continue;
            if (nmp == 4 || !(mp[nmp].file = win_hive_for(&w, user, r.val[hi])))
                goto out;
            mp[nmp].root = display_prefix(r.val[hi]);
            av[r.argi[hi]] = mp[nmp++].file;
            continue;
        }
        if (!r.count[ki]) {
            fprintf(stderr,
                    "reghive: with --windows, %s takes a %s such as "
                    "HKLM\\SYSTEM\\... instead of a %s file\n",
                    sp->name, sp->opts[ki].name, o->name);
            rc = EXIT_USAGE;
            goto out;
        }
        const char *key = r.val[ki];
        if (is_hkcr(key)) { /* read through the merged view, or refused */
            rc = hkcr_main(&w, user, c, n, av, r.argi[ki]);
            goto out;
        }
        if (nmp == 4 || !(mp[nmp].file = win_hive_for(&w, user, key)))
            goto out;
        mp[nmp].root = display_prefix(key);
        /* "CMD KEY" becomes "CMD HIVE KEY" */
        int k = r.argi[ki];
        memmove(av + k + 1, av + k, (size_t)(n - k) * sizeof *av);
        av[k] = mp[nmp++].file;
        n++;
    }
    /* A write replaces the file or changes it in place: a new inode,
     * size or time tells that the hive changed. */
    for (int j = 0; j < nmp; j++)
        mp[j].had = stat(mp[j].file, &mp[j].st) == 0;
    rc = c->fn(n, av);
    fflush(stdout);
    for (int j = 0; j < nmp; j++) {
        struct stat st1;
        int dup = 0;
        for (int q = 0; q < j; q++)
            dup |= strcmp(mp[q].file, mp[j].file) == 0;
        if (!dup && mp[j].had && stat(mp[j].file, &st1) == 0 &&
            (mp[j].st.st_ino != st1.st_ino || mp[j].st.st_size != st1.st_size ||
             mp[j].st.st_mtim.tv_sec != st1.st_mtim.tv_sec ||
             mp[j].st.st_mtim.tv_nsec != st1.st_mtim.tv_nsec))
            printf("hive changed: %s (%s)\n", mp[j].root ? mp[j].root : "",
                   mp[j].file);
    }
out:
    for (int j = 0; j < nmp; j++) {
        free(mp[j].file);
        free(mp[j].root);
    }
    if (wopen)
        win_close(&w);
    free(cp);
    free(av);
    return rc;
}

rh_hive *
win_set_open(struct win_set *s, const char *key, const char *file)
{
    char *path = file ? strdup(file) : NULL;
    if (!file) {
        if (!s->w) {
            fprintf(stderr, "reghive: %s: no mounted tree (--windows DIR)\n",
                    key);
            return NULL;
        }
        if (!(path = win_hive_for(s->w, s->user, key)))
            return NULL;
    }
    if (!path)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i].file, path) == 0) {
            free(path);
            return s->e[i].h;
        }
    if (s->n == WIN_SET_MAX) {
        fprintf(stderr, "reghive: more than %d hives in one edit\n",
                WIN_SET_MAX);
        free(path);
        return NULL;
    }
    struct win_hive *e = &s->e[s->n];
    e->root = file ? strdup("") : display_prefix(key);
    e->file = path;
    e->changed = 0;
    if (!e->root || !(e->h = open_hive(path, RH_OPEN_WRITE))) {
        free(e->root);
        free(path);
        return NULL;
    }
    s->n++;
    return e->h;
}

void
win_set_changed(struct win_set *s, rh_hive *h)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].h == h)
            s->e[i].changed = 1;
}

/* "HKEY_LOCAL_MACHINE\SYSTEM (path)" or just the path. */
static void
print_hive(FILE *f, const struct win_hive *e)
{
    if (*e->root)
        fprintf(f, "%s (%s)", e->root, e->file);
    else
        fputs(e->file, f);
}

int
win_set_commit(struct win_set *s, int backup)
{
    size_t i = 0, failed = s->n;
    for (; i < s->n; i++) {
        if (!s->e[i].changed)
            continue;
        if (commit_hive(s->e[i].h, s->e[i].file,
                        backup ? RH_COMMIT_BACKUP : 0) != 0) {
            failed = i;
            break;
        }
        fputs("hive changed: ", stdout);
        print_hive(stdout, &s->e[i]);
        putchar('\n');
    }
    if (failed == s->n)
        return 0;
    fputs("reghive: not written: ", stderr);
    print_hive(stderr, &s->e[failed]);
    for (i = failed + 1; i < s->n; i++)
        if (s->e[i].changed) {
            fputs(", ", stderr);
            print_hive(stderr, &s->e[i]);
        }
    fputc('\n', stderr);
    return 1;
}

void
win_set_close(struct win_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        rh_close(s->e[i].h);
        free(s->e[i].root);
        free(s->e[i].file);
    }
    s->n = 0;
}
