/*
 * cmd_export.c - reghive export HIVE [KEY] [-o FILE] [--prefix ROOT]
 *                [--utf8 | --utf16] [--json]
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
cmd_export(int argc, char **argv)
{
    const char *hive = NULL, *key = NULL, *out = NULL, *prefix = NULL;
    int utf = 0, json = 0; /* utf: 0 auto, 8, 16 */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(a, "--prefix") == 0 && i + 1 < argc)
            prefix = argv[++i];
        else if (strcmp(a, "--utf8") == 0)
            utf = 8;
        else if (strcmp(a, "--utf16") == 0)
            utf = 16;
        else if (strcmp(a, "--json") == 0)
            json = 1;
        else if (a[0] == '-' && a[1])
            return usage("export");
        else if (!hive)
            hive = a;
        else if (!key)
            key = a;
        else
            return usage("export");
    }
    if (!hive)
        return usage("export");
    rh_hive *h = open_hive(hive, 0);
    if (!h)
        return 1;
    rh_key k = rh_root(h);
    char *dp = NULL;
    int rc = 0;
    if (key) {
        if ((rc = rh_key_lookup(h, key, &k)) < 0) {
            die_rc(h, key, rc);
            rh_close(h);
            return 1;
        }
        if (!prefix && (dp = display_prefix(key)) && *dp)
            prefix = dp;
    }
    FILE *f = stdout;
    if (out && strcmp(out, "-") != 0) {
        f = fopen(out, "wb");
        if (!f) {
            perror(out);
            rh_close(h);
            free(dp);
            return 1;
        }
    }
    /* regedit writes UTF-16LE files; a terminal or pipe gets UTF-8. */
    if (utf == 0)
        utf = (f != stdout) ? 16 : 8;
    unsigned flags = json ? RH_EXPORT_JSON : (utf == 16 ? RH_EXPORT_UTF16 : 0);
    struct progress pg;
    progress_init(&pg, "export", "keys");
    if (pg.on)
        rh_set_progress(h, progress_update, &pg);
    rc = rh_export(h, k, prefix, flags, write_file, f);
    progress_end(&pg);
    if (rc < 0)
        die_rc(h, hive, rc);
    if (f != stdout && fclose(f) != 0) {
        perror(out);
        rc = -1;
    } else if (f == stdout && fflush(stdout) != 0) {
        rc = -1;
    }
    free(dp);
    rh_close(h);
    return rc < 0;
}
