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

enum { CM_HIVE, CM_O, CM_F, CM_BACKUP, CM_DRYRUN };
static const struct opt_spec compact_opts[] = {
    [CM_HIVE] = SPEC_HIVE("the hive to compact"),
    [CM_O] = {OPT_VALUE, "-o", "OUT", OPT_FILE, NULL,
              "write the compacted hive to OUT instead of replacing HIVE"},
    [CM_F] = {OPT_SWITCH, "-f", NULL, 0, NULL, "replace an existing OUT"},
    [CM_BACKUP] = SPEC_BACKUP,
    [CM_DRYRUN] = SPEC_DRYRUN,
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec compact_spec = {
    "compact", compact_opts,
    "rewrite the hive packed, keys in tree order, no free space",
    "Names, classes, timestamps, flags, security and value order are kept."};

int
cmd_compact(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(compact_spec, argc, argv, &r0);
    const char *path = r0.val[CM_HIVE], *out = r0.val[CM_O];
    int backup = opt_has(&r0, CM_BACKUP), dry = opt_has(&r0, CM_DRYRUN);
    int force = opt_has(&r0, CM_F), r;
    if (force && !out) {
        fprintf(stderr, "reghive compact: -f goes with -o OUT\n");
        return usage("compact");
    }
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
