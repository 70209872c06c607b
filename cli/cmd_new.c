/*
 * cmd_new.c - reghive new HIVE [--version 1.3|1.5] [-f]: an empty hive
 * with a root key and a default security descriptor.
 */
#include "cmd.h"

#include <string.h>
#include <unistd.h>

int
cmd_new(int argc, char **argv)
{
    const char *path = NULL;
    unsigned minor = 5, flags = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "1.3") == 0)
                minor = 3;
            else if (strcmp(v, "1.5") == 0)
                minor = 5;
            else
                return usage("new");
        } else if (strcmp(argv[i], "-f") == 0) {
            flags |= RH_COMMIT_FORCE;
        } else if (argv[i][0] == '-' || path) {
            return usage("new");
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage("new");
    if (!(flags & RH_COMMIT_FORCE) && access(path, F_OK) == 0) {
        fprintf(stderr, "reghive: %s exists (use -f to replace it)\n", path);
        return 1;
    }
    rh_hive *h;
    int rc = rh_create(minor, &h);
    if (rc == 0)
        rc = rh_commit(h, path, flags);
    if (rc < 0)
        die_rc(h, path, rc);
    rh_close(h);
    return rc < 0;
}
