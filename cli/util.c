/*
 * util.c - helpers shared by the commands: opening, errors, type names.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* "reghive: what: msg", or "reghive: msg" when msg names what already
 * (the library's messages name the file or key they are about: saying it
 * twice, "reghive: X: X: No such file or directory", says nothing more). */
static void
say(const char *what, const char *msg)
{
    size_t n = strlen(what);
    if (n && strncmp(msg, what, n) == 0 && msg[n] == ':')
        fprintf(stderr, "reghive: %s\n", msg);
    else if (n && strstr(msg, what) && strlen(msg) > n)
        fprintf(stderr, "reghive: %s\n", msg);
    else
        fprintf(stderr, "reghive: %s: %s\n", what, msg);
}

void
die_rc(rh_hive *h, const char *what, int rc)
{
    const char *m = h ? rh_errmsg(h) : "";
    say(what, *m ? m : rh_strerror(rc));
}

rh_hive *
open_hive(const char *path, unsigned flags)
{
    rh_hive *h;
    int rc = cli_open(path, flags, &h);
    return opened_hive(path, rc, h);
}

rh_hive *
opened_hive(const char *path, int rc, rh_hive *h)
{
    if (rc < 0) {
        say(path, h && *rh_errmsg(h) ? rh_errmsg(h) : rh_strerror(rc));
        rh_close(h);
        return NULL;
    }
    const char *w = rh_warnings(h);
    while (*w) {
        const char *e = strchr(w, '\n');
        int n = e ? (int)(e - w) : (int)strlen(w);
        fprintf(stderr, "reghive: %s: warning: %.*s\n", path, n, w);
        w += n + (e != NULL);
    }
    return h;
}

static const char *const roots[][2] = {
    {"HKLM", "HKEY_LOCAL_MACHINE"},  {"HKEY_LOCAL_MACHINE", NULL},
    {"HKU", "HKEY_USERS"},           {"HKEY_USERS", NULL},
    {"HKCU", "HKEY_CURRENT_USER"},   {"HKEY_CURRENT_USER", NULL},
    {"HKCR", "HKEY_CLASSES_ROOT"},   {"HKEY_CLASSES_ROOT", NULL},
    {"HKCC", "HKEY_CURRENT_CONFIG"}, {"HKEY_CURRENT_CONFIG", NULL}};

char *
display_prefix(const char *path)
{
    while (*path == '\\')
        path++;
    size_t n = strcspn(path, "\\");
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        if (strlen(roots[i][0]) != n || strncasecmp(path, roots[i][0], n))
            continue;
        const char *full = roots[i][1] ? roots[i][1] : roots[i][0];
        const char *rest = path + n;
        size_t m = 0;
        if (i < 4 && *rest == '\\') { /* HKLM\SYSTEM, HKU\<sid> */
            rest++;
            m = strcspn(rest, "\\");
        }
        char *p = malloc(strlen(full) + m + 2);
        if (!p)
            return NULL;
        strcpy(p, full);
        for (char *q = p; *q; q++)
            if (*q >= 'a' && *q <= 'z')
                *q = (char)(*q - 32);
        if (m) {
            strcat(p, "\\");
            strncat(p, rest, m);
        }
        return p;
    }
    return strdup("");
}

long
type_parse(const char *s)
{
    for (uint32_t i = 0; rh_type_name(i); i++)
        if (strcasecmp(s, rh_type_name(i)) == 0)
            return (long)i;
    if (strcasecmp(s, "REG_DWORD_LITTLE_ENDIAN") == 0)
        return RH_REG_DWORD;
    if (strcasecmp(s, "REG_QWORD_LITTLE_ENDIAN") == 0)
        return RH_REG_QWORD;
    char *e;
    long v = strtol(s, &e, 0);
    return (*s && !*e && v >= 0) ? v : -1;
}

int
write_file(void *ctx, const void *buf, size_t len)
{
    return fwrite(buf, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

int
confirm(const char *prompt)
{
    char line[64];
    if (!isatty(0))
        return 1;
    fprintf(stderr, "%s ", prompt);
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == 'y' || line[0] == 'Y';
}

char *
key_display(rh_hive *h, rh_key k, const char *userpath)
{
    char *kp, *pre = display_prefix(userpath), *out;
    size_t n;
    if (!pre)
        return NULL;
    if (rh_key_path(h, k, &kp, &n) < 0) {
        free(pre);
        return NULL;
    }
    out = malloc(strlen(pre) + n + 2);
    if (out)
        sprintf(out, "%s%s%s", pre, *pre && n ? "\\" : "", kp);
    free(pre);
    free(kp);
    return out;
}

int
commit_hive(rh_hive *h, const char *path, unsigned flags)
{
    int rc = cli_commit(h, path, flags);
    if (rc < 0) {
        die_rc(h, "commit", rc);
        return 1;
    }
    if (flags & RH_COMMIT_BACKUP)
        printf("previous hive kept as %s.bak\n", path);
    return 0;
}
