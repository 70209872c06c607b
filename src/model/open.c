/*
 * open.c - rh_open(), rh_open_logs() and rh_recover_mem() (model layer,
 * above the hive layer that maps the file and replays its logs, so that
 * it can hold the image rebuilt from the logs to rh_check).  A log that
 * passes every header, hash and sequence test, and whose base block is
 * the primary's, can still hold pages that do not fit the primary: a log
 * of a hive copied from the same template (same timestamp, GUIDs and name:
 * nothing tells them apart before the pages are laid down), or bytes
 * damaged before the hashes were computed.  Windows checks a hive's
 * structure when it loads it (CmCheckRegistry) and repairs what it can;
 * reghive does not repair, so an image in which rh_check finds an error
 * (warnings are what Windows repairs) is not used: the primary is read
 * as it is, with a warning that says why (as when no log applies), and
 * `reghive recover` has nothing to write.  Falling back rather than
 * failing keeps the hive readable, which a forensic reader needs; the
 * caller still sees it dirty (rh_log_report, rh_hive_info), and rh_commit
 * refuses to write over a dirty primary whose logs were not applied.
 */
#include "hive.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The errors rh_check reports: what Windows refuses or cuts out at load.
 * Its warnings (allocated cells nothing references, stale hashes and
 * hints, security reference counts) are what Windows loads as they are or
 * repairs, and what its own recovery leaves (yarp's NewDirtyHive1 as
 * Windows 10 recovered it has 8 leaked cells): they do not reject. */
struct found {
    size_t n;
    uint64_t off;
    char msg[120];
};

static void
found_problem(void *ctx, rh_severity sev, uint64_t off, const char *msg)
{
    struct found *f = ctx;
    if (sev != RH_CHECK_ERROR)
        return;
    if (f->n++ == 0) {
        f->off = off;
        snprintf(f->msg, sizeof f->msg, "%s", msg);
    }
}

/* 0 when the image opens and rh_check finds no error in it; 1 when not
 * (why says what is wrong); RH_ENOMEM. */
static int
image_checks(const uint8_t *img, size_t len, char *why, size_t wn)
{
    rh_hive *t = NULL;
    struct found f = {0, 0, ""};
    int rc = rh_open_mem(img, len, 0, &t);
    if (rc == RH_ENOMEM) {
        rh_close(t);
        return RH_ENOMEM;
    }
    if (rc < 0) {
        snprintf(why, wn, "%s", rh_errmsg(t));
        rh_close(t);
        return 1;
    }
    rc = rh_check(t, found_problem, &f, NULL, NULL);
    if (rc < 0 && rc != RH_ECORRUPT && rc != RH_ENOMEM)
        snprintf(why, wn, "%s", rh_errmsg(t)); /* the check stopped */
    rh_close(t);
    if (rc == RH_ENOMEM)
        return rc;
    if (rc < 0 && rc != RH_ECORRUPT)
        return 1;
    if (f.n == 0)
        return 0;
    snprintf(why, wn, "%zu problem%s, the first at file offset 0x%llx: %s", f.n,
             f.n == 1 ? "" : "s", (unsigned long long)f.off, f.msg);
    return 1;
}

static int
open_checked(const char *path, const char *const *logs, size_t nlogs,
             int explicit_logs, unsigned flags, rh_hive **out)
{
    const uint8_t *img;
    size_t len;
    char why[160];
    int rc = hive_open_begin(path, logs, nlogs, explicit_logs, flags, out);
    if (rc < 0)
        return rc;
    if (hive_recovered(*out, &img, &len)) {
        if ((rc = image_checks(img, len, why, sizeof why)) < 0)
            return hive_err(*out, rc,
                            "out of memory checking the image "
                            "recovered from the logs");
        if (rc)
            hive_recovery_reject(*out, why);
    }
    return hive_open_end(*out);
}

int
rh_open(const char *path, unsigned flags, rh_hive **out)
{
    return open_checked(path, NULL, 0, 0, flags, out);
}

int
rh_open_logs(const char *path, const char *const *logs, size_t nlogs,
             unsigned flags, rh_hive **out)
{
    return open_checked(path, logs, nlogs, 1, flags, out);
}

int
rh_recover_mem(const void *hive, size_t len, const void *const *logs,
               const size_t *loglens, const char *const *names, size_t nlogs,
               void **out, size_t *outlen, rh_recovery *rep)
{
    log_src src[RH_MAX_LOGS] = {{NULL, 0, NULL}};
    rh_recovery tmp;
    uint8_t *img = NULL;
    span f = {hive, len};
    char why[160];
    *out = NULL;
    *outlen = 0;
    if (!rep)
        rep = &tmp;
    if (nlogs > RH_MAX_LOGS || (!hive && len))
        return RH_EINVAL;
    for (size_t i = 0; i < nlogs; i++) {
        src[i].p = logs[i];
        src[i].n = logs[i] ? loglens[i] : 0;
        src[i].name = names ? names[i] : NULL;
    }
    int rc = log_recover(f, src, nlogs, &img, outlen, rep);
    if (rc == 0 && img) {
        rc = image_checks(img, *outlen, why, sizeof why);
        if (rc != 0) {
            free(img);
            img = NULL;
            *outlen = 0;
            if (rc > 0)
                log_report_reject(rep, why);
            rc = rc < 0 ? rc : 0;
        }
    }
    *out = img;
    return rc;
}
