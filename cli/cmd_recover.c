/*
 * cmd_recover.c - transaction logs in the CLI: the global --no-logs and
 * --log FILE options of the read commands, the log section of `reghive
 * info`, and `reghive recover HIVE [-o OUT]`, which writes the recovered
 * image as a clean hive (temp file next to OUT, fsync, rename).
 */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned log_flags;
static const char *log_files[RH_MAX_LOGS];
static size_t nlog_files;

int
cli_log_options(int *argc, char **argv)
{
    int j = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--no-logs") == 0) {
            log_flags |= RH_OPEN_NOLOGS;
        } else if (strcmp(argv[i], "--log") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "reghive: --log needs a FILE\n");
                return -1;
            }
            if (nlog_files == RH_MAX_LOGS) {
                fprintf(stderr, "reghive: at most %d --log files\n",
                        RH_MAX_LOGS);
                return -1;
            }
            log_files[nlog_files++] = argv[++i];
        } else {
            argv[j++] = argv[i];
        }
    }
    argv[j] = NULL;
    *argc = j;
    if ((log_flags & RH_OPEN_NOLOGS) && nlog_files) {
        fprintf(stderr, "reghive: --no-logs and --log exclude each other\n");
        return -1;
    }
    return 0;
}

int
cli_open(const char *path, unsigned flags, rh_hive **out)
{
    flags |= log_flags;
    if (nlog_files)
        return rh_open_logs(path, log_files, nlog_files, flags, out);
    return rh_open(path, flags, out);
}

static const char *
fmt_name(int f)
{
    return f == RH_LOG_NEW   ? "new format (HvLE entries)"
           : f == RH_LOG_OLD ? "old format (DIRT vector)"
                             : "unusable";
}

void
print_log_state(rh_hive *h)
{
    rh_recovery r;
    rh_log_report(h, &r);
    printf("%-20s %s\n", "transaction logs", r.status);
    for (size_t i = 0; i < r.nlogs; i++) {
        const rh_log_info *l = &r.logs[i];
        printf("  %s\n", l->name);
        printf("    %s; base block seq %u/%u\n", fmt_name(l->format), l->seq1,
               l->seq2);
        if (l->format == RH_LOG_NEW && l->entries)
            printf("    %u valid entries, seq %u..%u; %u applied\n", l->entries,
                   l->first_seq, l->last_seq, l->applied);
        else if (l->format == RH_LOG_OLD && l->applied)
            printf("    %u dirty pages applied\n", l->applied);
        if (l->note[0])
            printf("    %s\n", l->note);
    }
}

/* Write n bytes, reporting the bytes written to pg (NULL: none). */
static int
write_all(int fd, const unsigned char *p, size_t n, struct progress *pg)
{
    size_t total = n, chunk = (size_t)1 << 20;
    if (pg)
        progress_update(pg, 0, total);
    while (n) {
        ssize_t w = write(fd, p, n < chunk ? n : chunk);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        if (pg)
            progress_update(pg, total - n, total);
    }
    return 0;
}

/* Write len bytes to out atomically: temp file in out's directory, fsync,
 * rename over out, fsync the directory.  The bytes written go to pg. */
static int
write_atomic(const char *out, const void *data, size_t len, struct progress *pg)
{
    size_t n = strlen(out);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return -1;
    snprintf(tmp, n + 16, "%s.tmp-XXXXXX", out);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        progress_end(pg);
        fprintf(stderr, "reghive: %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = write_all(fd, data, len, pg) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    progress_end(pg);
    if (ok && rename(tmp, out) != 0)
        ok = 0;
    if (!ok) {
        fprintf(stderr, "reghive: %s: %s\n", out, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    /* The new name is durable only once the directory is: a failure here
     * is reported (out may be the primary, and its logs still beside it),
     * as rh_commit reports its own. */
    char *dir = strdup(out), *sl = dir ? strrchr(dir, '/') : NULL;
    int drc = -1, e = ENOMEM;
    if (dir) {
        if (sl)
            sl[sl == dir] = 0;
        int dfd = open(sl ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        drc = dfd >= 0 ? fsync(dfd) : -1;
        e = errno;
        if (dfd >= 0)
            close(dfd);
        free(dir);
    }
    if (drc != 0) {
        fprintf(stderr,
                "reghive: %s: fsync directory: %s (the new file is "
                "in place)\n",
                out, strerror(e));
        return -1;
    }
    return 0;
}

enum { RC_HIVE, RC_O };
static const struct opt_spec recover_opts[] = {
    [RC_HIVE] = SPEC_HIVE("the dirty hive"),
    [RC_O] = {OPT_VALUE, "-o", "OUT", OPT_FILE, NULL,
              "where to write the clean hive (default HIVE.recovered)"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec recover_spec = {
    "recover", recover_opts,
    "replay the transaction logs and write a clean hive",
    "Logs are found next to the hive (HIVE.LOG1, HIVE.LOG2, HIVE.LOG) or\n"
    "named with --log FILE (repeatable)."};

int
cmd_recover(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(recover_spec, argc, argv, &r0);
    const char *hive = r0.val[RC_HIVE], *out = r0.val[RC_O];
    if (log_flags & RH_OPEN_NOLOGS) {
        fprintf(stderr, "reghive recover: --no-logs leaves nothing to "
                        "recover\n");
        return usage("recover");
    }
    /* Log replay happens inside the open: on a terminal, say so while it
     * runs, then count the bytes written. */
    struct progress pg;
    size_t ml = strlen(hive) + 64;
    char *msg = malloc(ml);
    if (!msg)
        return 1;
    snprintf(msg, ml, "reading %s and its logs\u2026", hive);
    progress_init(&pg, NULL, "bytes");
    progress_phase(&pg, msg);
    rh_hive *h;
    int orc = cli_open(hive, 0, &h);
    progress_end(&pg);
    free(msg);
    if (!(h = opened_hive(hive, orc, h)))
        return 1;
    rh_recovery r;
    rh_log_report(h, &r);
    if (!r.applied) {
        fprintf(stderr, "reghive: %s: nothing recovered: %s\n", hive, r.status);
        rh_close(h);
        return 1;
    }
    /* The default output is HIVE.recovered: the primary is replaced only
     * when -o names it. */
    char *def = NULL;
    if (!out) {
        size_t n = strlen(hive) + sizeof ".recovered";
        def = malloc(n);
        if (!def) {
            rh_close(h);
            return 1;
        }
        snprintf(def, n, "%s.recovered", hive);
        out = def;
    }
    const void *img;
    size_t len;
    rh_image(h, &img, &len);
    size_t wl = strlen(out) + 16;
    char *what = malloc(wl);
    if (what)
        snprintf(what, wl, "writing %s", out);
    pg.what = what ? what : "writing";
    int rc = write_atomic(out, img, len, &pg);
    free(what);
    if (rc == 0)
        printf("%s: %s\nwrote %s (%zu bytes, sequence %u, clean)\n", hive,
               r.status, out, len, r.final_seq);
    free(def);
    rh_close(h);
    return rc == 0 ? 0 : 1;
}
