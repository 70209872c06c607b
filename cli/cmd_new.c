/*
 * cmd_new.c - reghive new HIVE [--version 1.3|1.5] [-f]: an empty hive
 * with a root key and a default security descriptor.
 */
#include "cmd.h"

#include <string.h>
#include <unistd.h>

enum { NW_HIVE, NW_VERSION, NW_F };
static const struct opt_spec new_opts[] = {
    [NW_HIVE] = {OPT_ARG, "HIVE", NULL, OPT_REQUIRED | OPT_FILE, NULL,
                 "the hive file to create"},
    [NW_VERSION] = {OPT_VALUE, "--version", "1.3|1.5", 0, NULL,
                    "the format version (default 1.5; 1.3 for Windows XP)"},
    [NW_F] = {OPT_SWITCH, "-f", NULL, 0, NULL, "replace an existing file"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec new_spec = {
    "new", new_opts,
    "create an empty hive: a root key and a default security descriptor",
    "The descriptor gives Administrators and SYSTEM full control and\n"
    "Everyone read access."};

int
cmd_new(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(new_spec, argc, argv, &r0);
    const char *path = r0.val[NW_HIVE], *v = r0.val[NW_VERSION];
    unsigned minor = 5, flags = opt_has(&r0, NW_F) ? RH_COMMIT_FORCE : 0;
    if (v && strcmp(v, "1.3") == 0) {
        minor = 3;
    } else if (v && strcmp(v, "1.5") != 0) {
        fprintf(stderr, "reghive new: --version takes 1.3 or 1.5\n");
        return usage("new");
    }
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
