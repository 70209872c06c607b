/* Unit test of rh_progress_set: rh_export reports 0 of the total first,
 * then every 1024 keys, then total of total; nothing once turned off. */
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

static int
sink(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return 0;
}

int
main(void)
{
    rh_hive *h;
    rh_key a, k;
    struct log l = {0};
    CHECK_RC(rh_create(0, &h), 0);
    CHECK_RC(rh_key_add(h, rh_hive_root(h), "A", 1, &a, NULL), 0);
    for (int i = 0; i < 2999; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%04d", i);
        CHECK_RC(rh_key_add(h, a, name, strlen(name), &k, NULL), 0);
    }
    /* 3001 keys: root, A and 2999 under A */
    rh_progress_set(h, record, &l);
    CHECK_RC(rh_export(h, rh_hive_root(h), NULL, 0, sink, NULL), 0);
    CHECK(l.n == 4); /* start, 1024, 2048, end */
    CHECK(l.done[0] == 0 && l.total[0] == 3001);
    CHECK(l.done[1] == 1024 && l.total[1] == 3001);
    CHECK(l.done[2] == 2048 && l.total[2] == 3001);
    CHECK(l.done[3] == 3001 && l.total[3] == 3001);
    /* a subtree, and no recursion */
    l.n = 0;
    CHECK_RC(rh_export(h, a, NULL, RH_EXPORT_JSON, sink, NULL), 0);
    CHECK(l.n >= 2 && l.total[0] == 3000 && l.done[l.n - 1] == 3000);
    l.n = 0;
    CHECK_RC(rh_export(h, a, NULL, RH_EXPORT_NORECURSE, sink, NULL), 0);
    CHECK(l.n == 2 && l.total[0] == 1 && l.done[1] == 1);
    rh_progress_set(h, NULL, NULL);
    l.n = 0;
    CHECK_RC(rh_export(h, rh_hive_root(h), NULL, 0, sink, NULL), 0);
    CHECK(l.n == 0);
    rh_progress_set(NULL, record, &l); /* ignored */
    rh_close(h);
    return T_DONE();
}
