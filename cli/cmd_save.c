/*
 * cmd_save.c - reghive save HIVE KEY NEWHIVE [-f]: like reg save, a new
 * hive whose root is a copy of KEY's subtree (packed as compact lays it
 * out).
 */
#include "cmd.h"

#include <string.h>
#include <unistd.h>

enum { SV_HIVE, SV_KEY, SV_NEW, SV_F, SV_Y };
static const struct opt_spec save_opts[] = {
    [SV_HIVE] = SPEC_HIVE("the hive to read"),
    [SV_KEY] = SPEC_KEY(OPT_REQUIRED, "the key whose subtree is saved"),
    [SV_NEW] = {OPT_ARG, "NEWHIVE", NULL, OPT_REQUIRED | OPT_FILE, NULL,
                "the hive file to write (KEY becomes its root)"},
    [SV_F] = {OPT_SWITCH, "-f", NULL, 0, NULL,
              "replace NEWHIVE without asking"},
    [SV_Y] = {OPT_SWITCH, "-y", NULL, OPT_HIDDEN, NULL, NULL}, /* reg save /y */
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec save_spec = {
    "save", save_opts,
    "write KEY's subtree as a new hive (KEY becomes its root), like reg save",
    NULL};

int
cmd_save(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(save_spec, argc, argv, &r0);
    const char *pos[3] = {r0.val[SV_HIVE], r0.val[SV_KEY], r0.val[SV_NEW]};
    int force = opt_has(&r0, SV_F) || opt_has(&r0, SV_Y), r;
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
