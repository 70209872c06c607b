/*
 * cmd_compact.c - reghive compact HIVE [-o OUT [-f]] [--backup] [--dry-run]:
 * rewrite the hive with no free space, keys in tree order, and commit it
 * atomically (over HIVE, or to OUT: a new file, replaced only with -f).
 * Writing to OUT leaves HIVE and its logs alone, so a hive read with
 * --no-logs may be written there even when it is dirty.
 */
#include "cmd.h"

#include <string.h>
#include <unistd.h>

int
cmd_compact(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int backup = 0, dry = 0, force = 0, r;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "-f") == 0)
            force = 1;
        else if (strcmp(argv[i], "--backup") == 0)
            backup = 1;
        else if (strcmp(argv[i], "--dry-run") == 0)
            dry = 1;
        else if (argv[i][0] == '-' || path)
            return usage("compact");
        else
            path = argv[i];
    }
    if (!path || (force && !out))
        return usage("compact");
    if (out && !force && access(out, F_OK) == 0) {
        fprintf(stderr, "reghive: %s exists (use -f to replace it)\n", out);
        return 1;
    }
    rh_hive *h = open_hive(path, RH_OPEN_WRITE);
    if (!h)
        return 1;
    rh_stats a, b;
    int rc = 1;
    if ((r = rh_hive_stats(h, &a)) < 0 || (r = rh_compact(h)) < 0 ||
        (r = rh_hive_stats(h, &b)) < 0) {
        die_rc(h, path, r);
        goto out;
    }
    uint64_t before = 4096 + a.used_bytes + a.free_bytes + 32 * a.bins;
    uint64_t after = 4096 + b.used_bytes + b.free_bytes + 32 * b.bins;
    printf("%s: %llu keys, %llu values; %llu -> %llu bytes (free %llu -> "
           "%llu)\n",
           path, (unsigned long long)b.keys, (unsigned long long)b.values,
           (unsigned long long)before, (unsigned long long)after,
           (unsigned long long)a.free_bytes, (unsigned long long)b.free_bytes);
    if (dry) {
        printf("dry run: nothing written\n");
        rc = 0;
    } else if (out) {
        if ((r = rh_commit(h, out, RH_COMMIT_FORCE)) < 0)
            die_rc(h, out, r);
        else
            rc = 0;
    } else {
        rc = commit_hive(h, path, backup ? RH_COMMIT_BACKUP : 0);
    }
out:
    rh_close(h);
    return rc;
}
