/*
 * testing.c - the test hooks of testing.h (core layer).  Compiled into
 * the test build only; the shipped build gets an empty object.
 */
#include "testing.h"

#ifdef RH_TESTING
#include <stdlib.h>

int
rh__test_step(const char *var, int step)
{
    const char *v = getenv(var);
    return v && atoi(v) == step;
}

uint64_t
rh__test_u64(const char *var, uint64_t dflt)
{
    const char *v = getenv(var);
    return v ? strtoull(v, NULL, 0) : dflt;
}

int
rh__test_flag(const char *var)
{
    return getenv(var) != NULL;
}
#else
/* ISO C wants a declaration in every translation unit. */
typedef int rh__no_test_hooks;
#endif
