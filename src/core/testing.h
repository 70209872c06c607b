/*
 * testing.h - test hooks (core layer).  Crash and failure injection and
 * size overrides exist only in the test build (-DRH_TESTING, objects in
 * $(B)/testing/), as SQLite keeps its controls under SQLITE_TEST: there
 * each hook reads an RH_TEST_* environment variable when it is reached.
 * In the shipped build every hook is a constant, so the library reads no
 * test variable and holds none of their names (tests/cli/no_hooks.sh
 * checks the shipped binaries).  Library code reads the same either way.
 *
 * Allocation failure is injected without a hook here: the unit tests link
 * the library with -Wl,--wrap=malloc,... (tests/unit/oom.c says why).
 */
#ifndef RH_TESTING_H
#define RH_TESTING_H

#include <stdint.h>

#ifdef RH_TESTING
/* 1 when environment variable var holds the number step. */
int rh__test_step(const char *var, int step);
/* The number in var (strtoull, any base), or dflt when var is unset. */
uint64_t rh__test_u64(const char *var, uint64_t dflt);
/* 1 when var is set. */
int rh__test_flag(const char *var);

/* Commit step step ends the process (_exit(86), a torn write first when
 * the step writes), as a kill would. */
#define TEST_COMMIT_CRASH(step) rh__test_step("RH_TEST_COMMIT_CRASH", (step))
/* Commit step step fails like an I/O error (errno EIO). */
#define TEST_COMMIT_FAIL(step) rh__test_step("RH_TEST_COMMIT_FAIL", (step))
/* Log size after which a commit starts the other log. */
#define TEST_LOG_LIMIT(dflt) rh__test_u64("RH_TEST_LOG_LIMIT", (dflt))
/* A writable image's address reservation is small, so growth moves it. */
#define TEST_SMALL_RESERVE() rh__test_flag("RH_TEST_RESERVE")
#else
#define TEST_COMMIT_CRASH(step) ((void)(step), 0)
#define TEST_COMMIT_FAIL(step) ((void)(step), 0)
#define TEST_LOG_LIMIT(dflt) ((uint64_t)(dflt))
#define TEST_SMALL_RESERVE() 0
#endif

#endif
