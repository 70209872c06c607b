/*
 * cmd_check.c - reghive check HIVE: one line per problem, exit 0 if clean.
 */
#include "cmd.h"

struct ctx {
    const char *path;
};

static void
report(void *ctx, uint64_t off, const char *msg)
{
    struct ctx *c = ctx;
    (void)off;
    printf("%s: %s\n", c->path, msg);
}

int
cmd_check(int argc, char **argv)
{
    if (argc != 2)
        return usage("check");
    rh_hive *h;
    /* cli_open, not rh_open: honour --no-logs / --log like every other
     * command (yarp/BadBaseBlockHive passed check with --no-logs because
     * its LOG1 was applied anyway). */
    int rc = cli_open(argv[1], 0, &h);
    if (rc < 0) {
        printf("%s: %s\n", argv[1], h ? rh_errmsg(h) : rh_strerror(rc));
        rh_close(h);
        return 1;
    }
    struct ctx c = {argv[1]};
    size_t n = 0;
    rc = rh_check(h, report, &c, &n);
    if (rc == 0)
        printf("%s: ok\n", argv[1]);
    else if (n)
        printf("%s: %zu problem%s\n", argv[1], n, n == 1 ? "" : "s");
    else
        die_rc(h, argv[1], rc);
    rh_close(h);
    return rc < 0;
}
