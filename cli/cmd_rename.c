/*
 * cmd_rename.c - reghive rename HIVE KEY NEWNAME [--backup] [--rewrite]
 * [--dry-run]
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

int
cmd_rename(int argc, char **argv)
{
    const char *pos[3] = {NULL, NULL, NULL};
    unsigned cflags = 0;
    int npos = 0, dry = 0, dashdash = 0, rc = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !a[1]) {
            if (npos == 3)
                return usage("rename");
            pos[npos++] = a;
        } else if (strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(a, "--backup") == 0) {
            cflags |= RH_COMMIT_BACKUP;
        } else if (strcmp(a, "--rewrite") == 0) {
            cflags |= RH_COMMIT_REWRITE;
        } else if (strcmp(a, "--dry-run") == 0) {
            dry = 1;
        } else {
            return usage("rename");
        }
    }
    if (npos != 3)
        return usage("rename");
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
