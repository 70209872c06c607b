/*
 * cmd_check.c - reghive check HIVE: one line per problem
 * ("HIVE: file offset 0x...: message"), then a summary; exit 0 only if clean.
 * The hive is opened in recovery mode so damaged bins are reported by
 * rh_check instead of stopping the open.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

struct ctx {
    const char *path;
    size_t orphans; /* "unreferenced allocated cell" problems */
};

static void
report(void *ctx, uint64_t off, const char *msg)
{
    struct ctx *c = ctx;
    if (strstr(msg, "unreferenced allocated cell"))
        c->orphans++;
    printf("%s: file offset 0x%llx: %s\n", c->path, (unsigned long long)off,
           msg);
}

/* Print an open error, turning its leading "file offset 0x.. (cell
 * 0x..): " into the common "file offset 0x..: " form. */
static void
report_open(const char *path, const char *msg)
{
    const char *p = strstr(msg, "file offset 0x");
    if (p != msg) {
        printf("%s: %s\n", path, msg);
        return;
    }
    char *end;
    unsigned long long off = strtoull(p + 12, &end, 16);
    const char *rest = end;
    if (strncmp(rest, " (cell ", 7) == 0 && strchr(rest, ')'))
        rest = strchr(rest, ')') + 1;
    if (rest[0] == ':' && rest[1] == ' ')
        rest += 2;
    printf("%s: file offset 0x%llx: %s\n", path, off, rest);
}

enum { CK_HIVE };
static const struct opt_spec check_opts[] = {
    [CK_HIVE] = SPEC_HIVE("the hive to verify"),
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec check_spec = {
    "check", check_opts,
    "verify every structural invariant; exit 0 only when clean",
    "One line per problem, with its file offset."};

int
cmd_check(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(check_spec, argc, argv, &r0);
    argv[1] = (char *)r0.val[CK_HIVE]; /* after "--" too */
    rh_hive *h;
    /* cli_open, not rh_open: honour --no-logs / --log like every other
     * command; RH_OPEN_RECOVER so damaged bins are reported, not fatal. */
    int rc = cli_open(argv[1], RH_OPEN_RECOVER, &h);
    if (rc < 0) {
        if (h)
            report_open(argv[1], rh_errmsg(h));
        else
            printf("%s: %s\n", argv[1], rh_strerror(rc));
        rh_close(h);
        return 1;
    }
    const char *w = rh_warnings(h);
    while (*w) {
        const char *e = strchr(w, '\n');
        int n = e ? (int)(e - w) : (int)strlen(w);
        printf("%s: warning: %.*s\n", argv[1], n, w);
        w += n + (e != NULL);
    }
    struct ctx c = {argv[1], 0};
    size_t n = 0;
    rc = rh_check(h, report, &c, &n);
    if (rc == 0)
        printf("%s: ok\n", argv[1]);
    else if (n && c.orphans)
        printf("%s: %zu problem%s (%zu of them unreferenced allocated "
               "cells)\n",
               argv[1], n, n == 1 ? "" : "s", c.orphans);
    else if (n)
        printf("%s: %zu problem%s\n", argv[1], n, n == 1 ? "" : "s");
    else
        die_rc(h, argv[1], rc);
    rh_close(h);
    return rc < 0;
}
