/*
 * cmd_copy.c - reghive copy SRCHIVE KEY DSTHIVE KEY [-s] [-f] [--backup]
 *              [--dry-run]
 *
 * reg copy's vocabulary: the values of the source key (with -s, its whole
 * subtree) go into the destination key.  A destination key that does not
 * exist is created as a copy of the source key (name aside: class,
 * timestamp, flags and security come along); an existing one is merged
 * into, asking before each existing value is overwritten (Yes, No, All,
 * Cancel) unless -f or stdin is not a terminal.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
           x.st_ino == y.st_ino;
}

struct ask {
    const char *dst; /* the destination key as the user typed it */
    int all;         /* answered All: overwrite the rest */
};

/* Value NAME exists in KEY\SUB, overwrite (Yes/No/All/Cancel)? */
static int
ask_value(void *ctx, rh_hive *dh, rh_key key, const char *name)
{
    struct ask *a = ctx;
    char line[64], *kp = NULL;
    size_t n;
    if (a->all)
        return 1;
    if (rh_key_path(dh, key, &kp, &n) < 0)
        kp = NULL;
    fprintf(stderr, "Value %s exists in %s, overwrite (Yes/No/All/Cancel)? ",
            *name ? name : "(Default)", kp ? (*kp ? kp : "\\") : a->dst);
    fflush(stderr);
    free(kp);
    if (!fgets(line, sizeof line, stdin))
        return -1;
    switch (line[0]) {
    case 'a':
    case 'A':
        a->all = 1;
        return 1;
    case 'y':
    case 'Y':
        return 1;
    case 'n':
    case 'N':
        return 0;
    default:
        return -1;
    }
}

int
cmd_copy(int argc, char **argv)
{
    const char *pos[4] = {NULL, NULL, NULL, NULL};
    int npos = 0, subs = 0, force = 0, backup = 0, dry = 0, dashdash = 0;
    int rc = 1, r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !a[1]) {
            if (npos == 4)
                return usage("copy");
            pos[npos++] = a;
        } else if (strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(a, "-s") == 0) {
            subs = 1;
        } else if (strcmp(a, "-f") == 0) {
            force = 1;
        } else if (strcmp(a, "--backup") == 0) {
            backup = 1;
        } else if (strcmp(a, "--dry-run") == 0) {
            dry = 1;
        } else {
            return usage("copy");
        }
    }
    if (npos != 4)
        return usage("copy");
    int same = same_file(pos[0], pos[2]);
    rh_hive *dh = open_hive(pos[2], RH_OPEN_WRITE);
    if (!dh)
        return 1;
    rh_hive *sh = same ? dh : open_hive(pos[0], 0);
    if (!sh) {
        rh_close(dh);
        return 1;
    }
    rh_key src, dst;
    unsigned flags = subs ? RH_COPY_SUBKEYS : 0;
    if ((r = rh_key_lookup(sh, pos[1], &src)) < 0) {
        die_rc(sh, pos[1], r);
        goto out;
    }
    r = rh_key_lookup(dh, pos[3], &dst);
    if (r == RH_ENOTFOUND) {
        /* Create the parent path, then copy the key itself under it. */
        size_t n = strlen(pos[3]);
        while (n && pos[3][n - 1] == '\\')
            n--;
        size_t cut = n;
        while (cut && pos[3][cut - 1] != '\\')
            cut--;
        char *parent = strndup(pos[3], cut ? cut - 1 : 0);
        char *name = strndup(pos[3] + cut, n - cut);
        rh_key p;
        if (!parent || !name || !*name) {
            fprintf(stderr, "reghive: copy: bad destination key '%s'\n",
                    pos[3]);
        } else if (dry) {
            printf("would create %s as a copy of %s%s\n", pos[3], pos[1],
                   subs ? " and its subtree" : " (values only)");
            rc = 0;
        } else if ((r = rh_key_create_path(dh, parent, &p, NULL)) < 0 ||
                   (r = rh_key_copy(sh, src, dh, p, name, flags, NULL)) < 0) {
            die_rc(dh, pos[3], r);
        } else {
            rc = 0;
        }
        free(parent);
        free(name);
        if (rc != 0 || dry)
            goto out;
    } else if (r < 0) {
        die_rc(dh, pos[3], r);
        goto out;
    } else {
        if (dry) {
            printf("would copy the values%s of %s into the existing %s\n",
                   subs ? " and subkeys" : "", pos[1], pos[3]);
            rc = 0;
            goto out;
        }
        /* reg copy asks once per value that exists at the destination
         * (on a terminal; -f, or stdin not a terminal: overwrite all). */
        struct ask a = {pos[3], 0};
        size_t changed = 0;
        r = force || !isatty(0)
                ? rh_key_copy_into(sh, src, dh, dst, flags | RH_COPY_REPLACE,
                                   &changed)
                : rh_key_copy_into_ask(sh, src, dh, dst, flags, ask_value, &a,
                                       &changed);
        if (r == RH_ECANCEL) {
            printf("The operation was cancelled by the user.\n");
            rc = 0;
            goto out;
        }
        if (r < 0) {
            die_rc(dh, pos[3], r);
            goto out;
        }
    }
    if ((rc = commit_hive(dh, pos[2], backup ? RH_COMMIT_BACKUP : 0)) == 0)
        printf("The operation completed successfully.\n");
out:
    if (sh != dh)
        rh_close(sh);
    rh_close(dh);
    return rc;
}
