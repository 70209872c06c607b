/*
 * kind.c - what a hive is, and whether a key path's registry root names it
 * (model layer).  The one place this rule lives: key lookups
 * (rh_key_lookup), key creation (rh_key_create_path) and .reg import
 * (text/regapply.c) all ask rh_path_root(), so a path under
 * HKLM\SOFTWARE is never written into a SYSTEM hive.
 *
 * A hive's kind comes from its base block's embedded file name (the last
 * 32 UTF-16 characters of the path Windows loaded it from, e.g.
 * "\SystemRoot\System32\Config\SYSTEM", "\??\C:\Users\x\ntuser.dat":
 * msuhanov/regf, "Base block", FileName) and, when that is empty or
 * unknown (hives made by hivex or rh_create), from its contents: Select
 * with a ControlSet00N is SYSTEM, Microsoft\Windows NT\CurrentVersion at
 * the root is SOFTWARE, SAM\Domains is SAM, Policy with RXACT is SECURITY,
 * Software with Control Panel is a user hive.  Anything else is unknown,
 * and every root is then taken to name it (the caller's prefix decides).
 */
#include "reg.h"

#include <stdio.h>
#include <string.h>

enum {
    K_UNKNOWN,
    K_HKLM,   /* HKLM\<name> */
    K_USER,   /* NTUSER.DAT, DEFAULT: HKCU, HKU\<SID> */
    K_CLASSES /* UsrClass.dat: HKU\<SID>_Classes, HKCU\Software\Classes,
                 HKCR */
};

typedef struct kind {
    int cls;
    const char *name; /* the hive's name under HKLM, or the file name */
    const char *root; /* the root Windows loads it under */
    char why[128];    /* how it was known */
} kind;

/* Where Windows loads each hive file (Microsoft Docs, "Registry Hives";
 * the HKLM names are the keys of
 * HKLM\SYSTEM\CurrentControlSet\Control\hivelist). */
static const kind hklm[] = {
    {K_HKLM, "SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM", ""},
    {K_HKLM, "SOFTWARE", "HKEY_LOCAL_MACHINE\\SOFTWARE", ""},
    {K_HKLM, "SAM", "HKEY_LOCAL_MACHINE\\SAM", ""},
    {K_HKLM, "SECURITY", "HKEY_LOCAL_MACHINE\\SECURITY", ""},
    {K_HKLM, "COMPONENTS", "HKEY_LOCAL_MACHINE\\COMPONENTS", ""},
    {K_HKLM, "DRIVERS", "HKEY_LOCAL_MACHINE\\DRIVERS", ""},
    {K_HKLM, "ELAM", "HKEY_LOCAL_MACHINE\\ELAM", ""},
    {K_HKLM, "BBI", "HKEY_LOCAL_MACHINE\\BBI", ""},
    {K_HKLM, "BCD00000000", "HKEY_LOCAL_MACHINE\\BCD00000000", ""}};

static int
ieq(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if ((x >= 'a' && x <= 'z' ? x - 32 : x) !=
            (y >= 'a' && y <= 'z' ? y - 32 : y))
            return 0;
    }
    return 1;
}

/* Does s[0..n) end with the ASCII text b (case-insensitively)? */
static int
iends(const char *s, size_t n, const char *b)
{
    size_t m = strlen(b);
    return n >= m && ieq(s + n - m, m, b);
}

/* Is there a key at the '\'-separated ASCII path p below the root? */
static int
has(rh_hive *h, const char *p)
{
    rh_key k = rh_hive_root(h);
    while (*p) {
        size_t n = strcspn(p, "\\");
        if (rh_key_subkey(h, k, p, n, &k) < 0)
            return 0;
        p += n + (p[n] == '\\');
    }
    return 1;
}

/* The kind of h into *out. */
static void
hive_kind(rh_hive *h, kind *out)
{
    rh_info info;
    static const kind unknown = {K_UNKNOWN, "", "", ""};
    static const kind user = {K_USER, "NTUSER.DAT", "HKEY_CURRENT_USER", ""};
    static const kind def = {K_USER, "DEFAULT", "HKEY_USERS\\.DEFAULT", ""};
    static const kind classes = {K_CLASSES, "UsrClass.dat",
                                 "HKEY_CURRENT_USER\\Software\\Classes", ""};
    const char *why = NULL;
    *out = unknown;
    if (rh_hive_info(h, &info) == 0 && info.file_name[0]) {
        const char *f = info.file_name, *b = strrchr(f, '\\');
        b = b ? b + 1 : f;
        size_t n = strlen(b);
        /* "Vibranium-NTUSER.DAT" (regipy's corpus) is a user hive too. */
        if (iends(b, n, "ntuser.dat"))
            *out = user;
        else if (iends(b, n, "usrclass.dat"))
            *out = classes;
        else if (ieq(b, n, "DEFAULT"))
            *out = def;
        else if (ieq(b, n, "BCD") || ieq(b, n, "BCD-Template"))
            *out = hklm[8];
        for (size_t i = 0; i < sizeof hklm / sizeof hklm[0]; i++)
            if (ieq(b, n, hklm[i].name))
                *out = hklm[i];
        if (out->cls != K_UNKNOWN) {
            snprintf(out->why, sizeof out->why, "embedded name %s", f);
            return;
        }
    }
    if (has(h, "Select") &&
        (has(h, "ControlSet001") || has(h, "ControlSet002"))) {
        *out = hklm[0];
        why = "it has Select and ControlSet00N";
    } else if (has(h, "Microsoft\\Windows NT\\CurrentVersion")) {
        *out = hklm[1];
        why = "it has Microsoft\\Windows NT\\CurrentVersion";
    } else if (has(h, "SAM\\Domains")) {
        *out = hklm[2];
        why = "it has SAM\\Domains";
    } else if (has(h, "Policy") && has(h, "RXACT")) {
        *out = hklm[3];
        why = "it has Policy and RXACT";
    } else if (has(h, "Software") && has(h, "Control Panel")) {
        *out = user;
        why = "it has Software and Control Panel";
    }
    if (why)
        snprintf(out->why, sizeof out->why, "%s", why);
}

int
rh_hive_kind(rh_hive *h, char *buf, size_t cap)
{
    kind k;
    if (!h || !buf || !cap)
        return RH_EINVAL;
    hive_kind(h, &k);
    if (strlen(k.root) >= cap)
        return hive_err(h, RH_ERANGE, "hive kind: buffer too small");
    strcpy(buf, k.root);
    return 0;
}

/* Component i ([*s, *s + *n)) of path[0..len), or 0 when there is none. */
static int
comp(const char *path, size_t len, int i, const char **s, size_t *n)
{
    const char *p = path, *end = path + len;
    for (;; i--) {
        const char *e = memchr(p, '\\', (size_t)(end - p));
        *s = p;
        *n = e ? (size_t)(e - p) : (size_t)(end - p);
        if (i == 0)
            return *n > 0;
        if (!e)
            return 0;
        p = e + 1;
    }
}

int
rh_path_root(rh_hive *h, const char *path, size_t len, size_t *rootlen)
{
    const char *s1, *s2 = NULL, *s3;
    size_t n1, n2 = 0, n3, two, one;
    kind k;
    const char *start = path;
    *rootlen = 0;
    while (len && *path == '\\') /* a leading '\' as reg.exe tolerates */
        path++, len--;
    if (!comp(path, len, 0, &s1, &n1))
        return 0;
    int lm = ieq(s1, n1, "HKLM") || ieq(s1, n1, "HKEY_LOCAL_MACHINE");
    int hu = ieq(s1, n1, "HKU") || ieq(s1, n1, "HKEY_USERS");
    int cu = ieq(s1, n1, "HKCU") || ieq(s1, n1, "HKEY_CURRENT_USER");
    int cr = ieq(s1, n1, "HKCR") || ieq(s1, n1, "HKEY_CLASSES_ROOT");
    int cc = ieq(s1, n1, "HKCC") || ieq(s1, n1, "HKEY_CURRENT_CONFIG");
    if (!lm && !hu && !cu && !cr && !cc)
        return 0;
    /* HKLM and HKU hold hives, the next component names one. */
    if ((lm || hu) && !comp(path, len, 1, &s2, &n2))
        return 0;
    one = (size_t)(s1 + n1 - start);
    two = (lm || hu) ? (size_t)(s2 + n2 - start) : one;
    hive_kind(h, &k);
    int ok = 0;
    switch (k.cls) {
    case K_UNKNOWN: /* no refusal: the caller's prefix decides */
        *rootlen = two;
        return 0;
    case K_HKLM:
        ok = lm && ieq(s2, n2, k.name);
        break;
    case K_USER:
        /* HKU\.DEFAULT and HKU\S-1-5-18 are DEFAULT, HKU\<SID> a user's
         * NTUSER.DAT; both are what HKCU shows for that account. */
        ok = cu || (hu && !iends(s2, n2, "_Classes") &&
                    (!ieq(s2, n2, ".DEFAULT") || !strcmp(k.name, "DEFAULT")));
        break;
    case K_CLASSES:
        /* HKCU\Software\Classes is the user's UsrClass.dat (HKCR merges it
         * with HKLM\SOFTWARE\Classes and shows it first). */
        if (cu && comp(path, len, 1, &s2, &n2) && ieq(s2, n2, "Software") &&
            comp(path, len, 2, &s3, &n3) && ieq(s3, n3, "Classes")) {
            *rootlen = (size_t)(s3 + n3 - start);
            return 0;
        }
        ok = cr || (hu && iends(s2, n2, "_Classes"));
        break;
    }
    if (ok) {
        *rootlen = two;
        return 0;
    }
    size_t shown = (size_t)(start + two - path);
    return hive_err(h, RH_EINVAL, "%.*s is not this hive, which is %s (%s)",
                    (int)(shown > 100 ? 100 : shown), path, k.root, k.why);
}
