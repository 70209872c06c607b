/*
 * cmd_check.c - reghive check HIVE [--strict]: one line per problem, errors
 * as "HIVE: file offset 0x...: message", warnings (what Windows tolerates)
 * as "HIVE: warning: file offset 0x...: message", then a summary.  Exit 1
 * when there are errors, or warnings under --strict; else 0.  The hive is
 * opened in recovery mode so damaged bins are reported by rh_check
 * instead of stopping the open.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

static void
report(void *ctx, rh_severity sev, uint64_t off, const char *msg)
{
    const char *path = ctx;
    printf("%s: %sfile offset 0x%llx: %s\n", path,
           sev == RH_CHECK_WARNING ? "warning: " : "", (unsigned long long)off,
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

enum { CK_HIVE, CK_STRICT };
static const struct opt_spec check_opts[] = {
    [CK_HIVE] = SPEC_HIVE("the hive to verify"),
    [CK_STRICT] = {OPT_SWITCH, "--strict", NULL, 0, NULL,
                   "warnings (what Windows tolerates) fail the check too"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec check_spec = {
    "check", check_opts,
    "verify the structure; errors exit 1, warnings only with --strict",
    "One line per problem, with its file offset. Errors are what Windows\n"
    "refuses; warnings, marked \"warning:\", what it tolerates or repairs\n"
    "at load (leaked cells, stale hash hints, reference counts)."};

int
cmd_check(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(check_spec, argc, argv, &r0);
    const char *path = r0.val[CK_HIVE];
    int strict = opt_has(&r0, CK_STRICT);
    argv[1] = (char *)path; /* the messages below name it as argv[1] */
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
    size_t ne = 0, nw = 0;
    rc = rh_check(h, report, argv[1], &ne, &nw);
    if (rc < 0 && !ne) {
        die_rc(h, argv[1], rc); /* the check itself failed */
        rh_close(h);
        return 1;
    }
    if (ne)
        printf("%s: %zu error%s", argv[1], ne, ne == 1 ? "" : "s");
    else if (nw && strict)
        printf("%s: not clean (--strict)", argv[1]);
    else
        printf("%s: ok", argv[1]);
    if (nw)
        printf("%s %zu warning%s", ne || strict ? "," : " with", nw,
               nw == 1 ? "" : "s");
    printf("\n");
    rh_close(h);
    return ne || (strict && nw);
}
