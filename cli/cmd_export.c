/*
 * cmd_export.c - reghive export HIVE [KEY] [-o FILE] [--prefix ROOT]
 *                [--utf8 | --utf16] [--json]
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
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
    rh_key k = rh_hive_root(h);
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
    int fd = 1;
    if (out && strcmp(out, "-") != 0) {
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) {
            perror(out);
            rh_close(h);
            free(dp);
            return 1;
        }
    } else {
        out = NULL;
    }
    /* regedit writes UTF-16LE files; a terminal or pipe gets UTF-8. */
    if (utf == 0)
        utf = out ? 16 : 8;
    unsigned flags = json ? RH_EXPORT_JSON : (utf == 16 ? RH_EXPORT_UTF16 : 0);
    struct progress pg;
    progress_init(&pg, "export", "keys");
    if (pg.on)
        rh_progress_set(h, progress_update, &pg);
    /* Nothing else goes to stdout; what is buffered goes first. */
    fflush(stdout);
    FILE *f = stdout;
    bgw *w = bgw_open(fd, out != NULL);
    if (!w && out && !(f = fdopen(fd, "wb"))) {
        perror(out);
        close(fd);
        free(dp);
        rh_close(h);
        return 1;
    }
    if (w)
        rc = rh_export(h, k, prefix, flags | RH_EXPORT_HOLD, bgw_write, w);
    else
        rc = rh_export(h, k, prefix, flags, write_file, f);
    /* Finish the writes first: their error is the cause of rh_export's. */
    int saved = 0;
    int werr = w ? bgw_close(w) : (fflush(f) != 0 || ferror(f)) ? -1 : 0;
    if (werr != 0)
        saved = errno;
    progress_end(&pg);
    if (out && (w ? close(fd) : fclose(f)) != 0 && werr == 0)
        werr = -1, saved = errno;
    /* A failed write stops the export: name the output, not the hive. */
    if (werr != 0)
        fprintf(stderr, "reghive: %s: %s\n", out ? out : "stdout",
                strerror(saved));
    else if (rc < 0)
        die_rc(h, hive, rc);
    if (werr != 0)
        rc = -1;
    free(dp);
    rh_close(h);
    return rc < 0;
}
