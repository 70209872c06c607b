/*
 * cmd_save.c - reghive save HIVE KEY NEWHIVE [-f]: like reg save, a new
 * hive whose root is a copy of KEY's subtree (packed as compact lays it
 * out).
 */
#include "cmd.h"

#include <string.h>
#include <unistd.h>

int
cmd_save(int argc, char **argv)
{
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0, force = 0, dashdash = 0, r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !a[1]) {
            if (npos == 3)
                return usage("save");
            pos[npos++] = a;
        } else if (strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(a, "-f") == 0 || strcmp(a, "-y") == 0) {
            force = 1;
        } else {
            return usage("save");
        }
    }
    if (npos != 3)
        return usage("save");
    if (!force && access(pos[2], F_OK) == 0) {
        char q[1024];
        snprintf(q, sizeof q, "File %s already exists. Overwrite (Yes/No)?",
                 pos[2]);
        if (!isatty(0) || !confirm(q)) {
            fprintf(stderr, "reghive: %s exists (use -f to replace it)\n",
                    pos[2]);
            return 1;
        }
    }
    rh_hive *h = open_hive(pos[0], 0), *n = NULL;
    if (!h)
        return 1;
    rh_key k;
    int rc = 1;
    if ((r = rh_key_lookup(h, pos[1], &k)) < 0) {
        die_rc(h, pos[1], r);
    } else if ((r = rh_key_save(h, k, &n)) < 0) {
        die_rc(n ? n : h, pos[1], r);
    } else if ((r = rh_commit(n, pos[2], RH_COMMIT_FORCE)) < 0) {
        die_rc(n, pos[2], r);
    } else {
        printf("The operation completed successfully.\n");
        rc = 0;
    }
    rh_close(n);
    rh_close(h);
    return rc;
}
