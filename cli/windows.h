/*
 * windows.h - a mounted Windows tree seen the way Windows sees it: the
 * Windows directory, the system drive, registry roots mapped to hive
 * files, and Windows paths (%SystemRoot%, \SystemRoot\, C:\...) mapped to
 * files under the mount, each component matched case-insensitively.
 */
#ifndef RH_WINDOWS_H
#define RH_WINDOWS_H

#include "cmd.h"

struct win {
    const char *dir; /* the mount point as given */
    char *windir;    /* host path of the Windows directory */
    char *sysroot;   /* Windows' own name for it, e.g. "C:\Windows" */
    char drive;      /* system drive letter, uppercase */
};

/* Locate the Windows directory under dir (reading SystemRoot from the
 * SOFTWARE hive when present).  Returns 0, or -1 after printing why. */
int win_open(struct win *w, const char *dir);

/* Free what win_open allocated. */
void win_close(struct win *w);

/* Join rel ('\' or '/' separated) to base, matching every component
 * case-insensitively against the directory entries; malloc'd.  *found is
 * 1 when the whole path exists (missing components are kept as given). */
char *win_ci_path(const char *base, const char *rel, int *found);

/* Map a Windows path (%SystemRoot%\x, \SystemRoot\x, \??\C:\x, C:\x,
 * system32\drivers\x.sys) to a malloc'd host path under the mount; *found
 * as for win_ci_path.  NULL when the path cannot be on the mounted system
 * drive (another drive, unknown %VARIABLE%) or on ENOMEM. */
char *win_host_path(const struct win *w, const char *path, int *found);

/* The hive file holding registry path key (HKLM\SYSTEM\..., HKU\<SID>,
 * HKCU with user): malloc'd host path, or NULL after printing why. */
char *win_hive_for(const struct win *w, const char *user, const char *key);

/* String value name of key k as malloc'd UTF-8 (rh_value_string; the
 * first string of a REG_MULTI_SZ); NULL if absent or of another type. */
char *win_reg_string(rh_hive *h, rh_key k, const char *name);

/* Hives opened for writing, by registry root or file, committed together:
 * an edit that spans hives commits each one atomically (rh_commit: the
 * file holds the old or the new hive) and reports which changed.  Across
 * hives it is not atomic: when one commit fails the ones before it stay
 * written, and the report says which. */
#define WIN_SET_MAX 8
struct win_set {
    const struct win *w; /* NULL: only hive files, no mounted tree */
    const char *user;    /* --user for HKCU */
    size_t n;
    struct win_hive {
        char *root; /* display root ("HKEY_LOCAL_MACHINE\SYSTEM") or "" */
        char *file; /* host path */
        rh_hive *h; /* opened with RH_OPEN_WRITE */
        int changed;
    } e[WIN_SET_MAX];
};

/* The writable hive holding key (a registry path rooted at HKLM\<hive>,
 * HKU\<SID>, HKCU; needs s->w) or, with file set, the hive file itself;
 * opened once per file.  NULL after printing why. */
rh_hive *win_set_open(struct win_set *s, const char *key, const char *file);

/* Note that h (from win_set_open) was edited. */
void win_set_changed(struct win_set *s, rh_hive *h);

/* Commit every changed hive (HIVE.bak kept with backup) and print
 * "hive changed: ROOT (FILE)" for each.  0, or 1 after saying which
 * hives were and were not written. */
int win_set_commit(struct win_set *s, int backup);

/* Close everything win_set_open opened. */
void win_set_close(struct win_set *s);

/* reghive --windows DIR [--user NAME] COMMAND ARGS...: rewrite the
 * command's HIVE/KEY arguments to hive files and run it.  HKCR\X is read
 * (query, get, export) from the user's UsrClass.dat when it has X, else
 * from SOFTWARE\Classes\X; writes through HKCR are refused. */
int win_main(int argc, char **argv);

#endif
