/*
 * cmd_rename.c - reghive rename HIVE KEY NEWNAME [--backup] [--rewrite]
 * [--dry-run]
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

enum { RN_HIVE, RN_KEY, RN_NEW, RN_BACKUP, RN_REWRITE, RN_DRYRUN };
static const struct opt_spec rename_opts[] = {
    [RN_HIVE] = SPEC_HIVE("the hive file to edit"),
    [RN_KEY] = SPEC_KEY(OPT_REQUIRED, "the key to rename"),
    [RN_NEW] = {OPT_ARG, "NEWNAME", NULL, OPT_REQUIRED, NULL,
                "its new name (one component, no '\\\\')"},
    [RN_BACKUP] = SPEC_BACKUP,
    [RN_REWRITE] = SPEC_REWRITE,
    [RN_DRYRUN] = SPEC_DRYRUN,
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec rename_spec = {
    "rename", rename_opts, "rename a key; its subtree and values move with it",
    NULL};

int
cmd_rename(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(rename_spec, argc, argv, &r0);
    const char *pos[3] = {r0.val[RN_HIVE], r0.val[RN_KEY], r0.val[RN_NEW]};
    unsigned cflags = (opt_has(&r0, RN_BACKUP) ? RH_COMMIT_BACKUP : 0) |
                      (opt_has(&r0, RN_REWRITE) ? RH_COMMIT_REWRITE : 0);
    int dry = opt_has(&r0, RN_DRYRUN), rc = 1;
    rh_hive *h = open_hive(pos[0], RH_OPEN_WRITE);
    if (!h)
        return 1;
    rh_key k;
    int r = rh_key_lookup(h, pos[1], &k);
    char *disp = r == 0 ? key_display(h, k, pos[1]) : NULL;
    if (r < 0) {
        die_rc(h, pos[1], r);
    } else if ((r = rh_key_rename(h, k, pos[2], strlen(pos[2]), &k)) < 0) {
        die_rc(h, pos[1], r);
    } else if (dry) {
        printf("would rename %s to %s\ndry run: %s not written\n",
               disp ? disp : pos[1], pos[2], pos[0]);
        rc = 0;
    } else if ((rc = commit_hive(h, pos[0], cflags)) == 0) {
        printf("renamed %s to %s\nThe operation completed successfully.\n",
               disp ? disp : pos[1], pos[2]);
    }
    free(disp);
    rh_close(h);
    return rc;
}
