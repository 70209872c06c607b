/* Unit test of progress in rh_reg_apply: 0 of the document's operations
 * first, then every 1024 operations, then total of total; nothing in a
 * validating pass, nothing once turned off, no final report on error. */
#include "t.h"

#include "reghive.h"

#include <stdlib.h>
#include <string.h>

struct log {
    uint64_t done[16], total[16];
    int n;
};

static void
record(void *ctx, uint64_t done, uint64_t total)
{
    struct log *l = ctx;
    if (l->n < 16) {
        l->done[l->n] = done;
        l->total[l->n] = total;
    }
    l->n++;
}

/* A document of one [KEY] and nvals values under it: 1 + nvals ops. */
static rh_reg_doc *
make_doc(int nvals)
{
    size_t cap = 64 + (size_t)nvals * 32, n = 0;
    char *t = malloc(cap);
    rh_reg_doc *d = NULL;
    char err[256];
    if (!t)
        return NULL;
    n += (size_t)snprintf(t + n, cap - n,
                          "Windows Registry Editor Version 5.00\r\n\r\n"
                          "[\\A]\r\n");
    for (int i = 0; i < nvals; i++)
        n += (size_t)snprintf(t + n, cap - n, "\"v%05d\"=dword:%08x\r\n", i,
                              (unsigned)i);
    if (rh_reg_parse(t, n, 0, &d, err, sizeof err) < 0)
        d = NULL;
    free(t);
    return d;
}

int
main(void)
{
    rh_hive *h;
    struct log l = {0};
    rh_reg_doc *d = make_doc(2999); /* 3000 operations */
    CHECK(d != NULL);
    if (!d)
        return T_DONE();
    CHECK(rh_reg_doc_count(d) == 3000);
    CHECK_RC(rh_create(0, &h), 0);
    rh_progress_set(h, record, &l);
    /* validating changes nothing and reports nothing */
    CHECK_RC(rh_reg_apply(h, d, NULL,
                          RH_REG_APPLY_NOPREFIX | RH_REG_APPLY_VALIDATE, NULL,
                          NULL, NULL),
             0);
    CHECK(l.n == 0);
    CHECK_RC(rh_reg_apply(h, d, NULL, RH_REG_APPLY_NOPREFIX, NULL, NULL, NULL),
             0);
    CHECK(l.n == 4); /* start, 1024, 2048, end */
    CHECK(l.done[0] == 0 && l.total[0] == 3000);
    CHECK(l.done[1] == 1024 && l.total[1] == 3000);
    CHECK(l.done[2] == 2048 && l.total[2] == 3000);
    CHECK(l.done[3] == 3000 && l.total[3] == 3000);
    /* exactly 2048 operations: no duplicate report at the end */
    rh_reg_doc_free(d);
    d = make_doc(2047);
    CHECK(d != NULL);
    l.n = 0;
    CHECK_RC(rh_reg_apply(h, d, NULL, RH_REG_APPLY_NOPREFIX, NULL, NULL, NULL),
             0);
    CHECK(l.n == 3);
    CHECK(l.done[1] == 1024 && l.done[2] == 2048 && l.total[2] == 2048);
    /* off: nothing */
    rh_progress_set(h, NULL, NULL);
    l.n = 0;
    CHECK_RC(rh_reg_apply(h, d, NULL, RH_REG_APPLY_NOPREFIX, NULL, NULL, NULL),
             0);
    CHECK(l.n == 0);
    rh_reg_doc_free(d);
    /* an error while applying: the start, but no final report */
    {
        char err[256];
        const char *txt = "Windows Registry Editor Version 5.00\r\n\r\n"
                          "[-\\]\r\n";
        CHECK_RC(rh_reg_parse(txt, strlen(txt), 0, &d, err, sizeof err), 0);
        rh_progress_set(h, record, &l);
        l.n = 0;
        CHECK(rh_reg_apply(h, d, NULL, RH_REG_APPLY_NOPREFIX, NULL, NULL,
                           NULL) < 0);
        CHECK(l.n == 1 && l.done[0] == 0);
        rh_reg_doc_free(d);
    }
    rh_close(h);
    return T_DONE();
}
