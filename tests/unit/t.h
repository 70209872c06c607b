/*
 * t.h - a tiny test harness: CHECK(cond) records failures, T_DONE()
 * prints a summary and returns the exit status.  Unit tests are built
 * against the test build of the library (-DRH_TESTING) and oom.c:
 * FAIL_NTH_ALLOC(n) makes the nth allocation from now fail (oom.h).
 */
#ifndef RH_T_H
#define RH_T_H

#include <stdio.h>

#include "oom.h"

static int t_fail, t_pass;

#define CHECK(c)                                                               \
    do {                                                                       \
        if (c) {                                                               \
            t_pass++;                                                          \
        } else {                                                               \
            t_fail++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
                    #c);                                                       \
        }                                                                      \
    } while (0)

#define CHECK_RC(e, want)                                                      \
    do {                                                                       \
        int t_rc_ = (e);                                                       \
        if (t_rc_ == (want)) {                                                 \
            t_pass++;                                                          \
        } else {                                                               \
            t_fail++;                                                          \
            fprintf(stderr, "%s:%d: %s returned %d, want %d\n", __FILE__,      \
                    __LINE__, #e, t_rc_, (int)(want));                         \
        }                                                                      \
    } while (0)

/* Fail the nth allocation from now (0: none, only count them). */
#define FAIL_NTH_ALLOC(n) t_oom_arm((n), 0)

#define T_DONE()                                                               \
    (printf("%d checks passed, %d failed\n", t_pass, t_fail), t_fail != 0)

#endif
