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

enum { CP_SRC, CP_SKEY, CP_DST, CP_DKEY, CP_S, CP_F, CP_BACKUP, CP_DRYRUN };
static const struct opt_spec copy_opts[] = {
    [CP_SRC] = {OPT_ARG, "SRCHIVE", NULL, OPT_REQUIRED | OPT_HIVE | OPT_FILE,
                NULL, "the hive to copy from"},
    [CP_SKEY] = SPEC_KEY(OPT_REQUIRED, "the key to copy"),
    [CP_DST] = {OPT_ARG, "DSTHIVE", NULL, OPT_REQUIRED | OPT_HIVE | OPT_FILE,
                NULL, "the hive to copy into (may be SRCHIVE)"},
    [CP_DKEY] = SPEC_KEY(OPT_REQUIRED,
                         "the key that receives the values (and subkeys);\n"
                         "created when missing"),
    [CP_S] = {OPT_SWITCH, "-s", NULL, 0, NULL, "copy the whole subtree"},
    [CP_F] = {OPT_SWITCH, "-f", NULL, 0, NULL,
              "overwrite existing values without asking"},
    [CP_BACKUP] = SPEC_BACKUP,
    [CP_DRYRUN] = SPEC_DRYRUN,
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec copy_spec = {
    "copy", copy_opts,
    "copy a key's values (-s: its subtree) into another key, like reg copy",
    "Security descriptors are shared or matched in the destination's list.\n"
    "On a terminal, asks before each existing value is overwritten\n"
    "(Yes/No/All/Cancel)."};

int
cmd_copy(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(copy_spec, argc, argv, &r0);
    const char *pos[4] = {r0.val[CP_SRC], r0.val[CP_SKEY], r0.val[CP_DST],
                          r0.val[CP_DKEY]};
    int subs = opt_has(&r0, CP_S), force = opt_has(&r0, CP_F);
    int backup = opt_has(&r0, CP_BACKUP), dry = opt_has(&r0, CP_DRYRUN);
    int rc = 1, r;
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
