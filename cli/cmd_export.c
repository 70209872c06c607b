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

enum { E_HIVE, E_KEY, E_O, E_PREFIX, E_UTF8, E_UTF16, E_JSON };
static const struct opt_spec export_opts[] = {
    [E_HIVE] = SPEC_HIVE("the hive to read"),
    [E_KEY] = SPEC_KEY(0, "the subtree to export (default: the whole hive)"),
    [E_O] = {OPT_VALUE, "-o", "FILE", OPT_FILE, NULL,
             "write to FILE (default: standard output)"},
    [E_PREFIX] = {OPT_VALUE, "--prefix", "ROOT", 0, NULL,
                  "write key paths under ROOT (HKEY_LOCAL_MACHINE\\SYSTEM)"},
    [E_UTF8] = {OPT_SWITCH, "--utf8", NULL, 0, "enc",
                "UTF-8 text (the default on a terminal or pipe)"},
    [E_UTF16] = {OPT_SWITCH, "--utf16", NULL, 0, "enc",
                 "UTF-16LE with BOM and CRLF, as regedit writes (the\n"
                 "default into a file)"},
    [E_JSON] = {OPT_SWITCH, "--json", NULL, 0, NULL,
                "JSON lines, one object per key"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec export_spec = {
    "export", export_opts,
    "write a subtree as a .reg file (regedit 5.00) or JSON lines", NULL};

int
cmd_export(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(export_spec, argc, argv, &r0);
    const char *hive = r0.val[E_HIVE], *key = r0.val[E_KEY];
    const char *out = r0.val[E_O], *prefix = r0.val[E_PREFIX];
    int json = opt_has(&r0, E_JSON); /* utf: 0 auto, 8, 16 */
    int utf = opt_has(&r0, E_UTF8) ? 8 : opt_has(&r0, E_UTF16) ? 16 : 0;
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
    struct outfile of;
    if (out && strcmp(out, "-") != 0) {
        /* Whole or absent: a temporary file renamed over OUT at the end
         * (outfile.c); an error or an interrupt removes it. */
        if (outfile_open(&of, out, NULL) < 0) {
            rh_close(h);
            free(dp);
            return 1;
        }
        fd = of.fd;
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
    bgw *w = bgw_open(fd, out != NULL && !of.direct);
    if (!w && out && !(f = fdopen(fd, "wb"))) {
        perror(out);
        outfile_abort(&of);
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
    if (out) {
        if (!w) { /* the FILE owns the descriptor: flushed above */
            of.fd = dup(fileno(f));
            fclose(f);
        }
        if (werr == 0 && rc >= 0) {
            if (outfile_commit(&of) != 0)
                werr = -1, saved = errno;
        } else {
            outfile_abort(&of); /* no partial .reg under OUT's name */
        }
    }
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
