/*
 * oom.c - allocation-failure injection and live-allocation counting for
 * the unit tests (test build only; oom.h declares the t_oom_* calls).
 *
 * How: the unit tests are linked with -Wl,--wrap=malloc,--wrap=calloc,...
 * (Makefile, WRAP_LD), so every call to those functions from the
 * library's and the test's objects reaches __wrap_X here, which counts it,
 * fails it when told to, and records the pointer; __real_X is libc's (or
 * the sanitizer's) function.  Why this and not rh__malloc() macros at the
 * call sites: it needs no edit of library code (several engineers edit
 * src/ at once, and a call site added tomorrow is covered without anyone
 * remembering), the shipped objects are the same code as the tested ones,
 * and the caller's free() of memory the library returns is seen too, so
 * the live count is exact across the API boundary.  Anonymous mmap (the
 * image reservation) is wrapped the same way.  Allocations libc makes for
 * itself (stdio buffers, opendir) are not ours and not counted;
 * tests/cli/no_hooks.sh checks that the library calls no allocating
 * function this file does not wrap.
 *
 * The counter counts only while armed (t_oom_arm .. t_oom_disarm), so a
 * test arms it around the code under test.  Single-threaded, like the
 * unit tests.
 */
#include "oom.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t m, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_mmap(void *a, size_t n, int prot, int fl, int fd, off_t off);
int __real_munmap(void *a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t m, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void *__wrap_mmap(void *a, size_t n, int prot, int fl, int fd, off_t off);
int __wrap_munmap(void *a, size_t n);

static int armed, sticky;
static long counted, nth, fired;

/* Live pointers: an open-addressing set (linear probing, deletion by
 * backward shift), grown at half load, in real (uncounted) memory. */
static uintptr_t *set;
static size_t cap, live;

static size_t
slot(uintptr_t p)
{
    return (size_t)(((uint64_t)p >> 4) * 0x9E3779B97F4A7C15u >> 20) & (cap - 1);
}

static void
set_add(uintptr_t p)
{
    if (!p)
        return;
    if ((live + 1) * 2 > cap) {
        size_t ocap = cap;
        uintptr_t *old = set;
        cap = cap ? cap * 2 : 4096;
        set = __real_calloc(cap, sizeof *set);
        if (!set)
            abort();
        live = 0;
        for (size_t i = 0; i < ocap; i++)
            if (old[i])
                set_add(old[i]);
        __real_free(old);
    }
    size_t i = slot(p);
    while (set[i])
        i = (i + 1) & (cap - 1);
    set[i] = p;
    live++;
}

static void
set_del(uintptr_t p)
{
    if (!p || !cap)
        return;
    size_t i = slot(p);
    while (set[i] && set[i] != p)
        i = (i + 1) & (cap - 1);
    if (!set[i])
        return; /* not ours (libc's own allocation) */
    live--;
    /* Shift back the entries after i that probed past it. */
    size_t j = i;
    for (;;) {
        set[i] = 0;
        for (;;) {
            j = (j + 1) & (cap - 1);
            if (!set[j])
                return;
            size_t k = slot(set[j]);
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
                continue;
            break;
        }
        set[i] = set[j];
        i = j;
    }
}

/* 1 when this allocation is to fail. */
static int
inject(void)
{
    if (!armed)
        return 0;
    counted++;
    if (nth && (counted == nth || (sticky && counted > nth))) {
        fired++;
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void
t_oom_arm(long n, int persistent)
{
    armed = 1;
    counted = fired = 0;
    nth = n;
    sticky = persistent;
}

long
t_oom_disarm(void)
{
    armed = 0;
    return counted;
}

long
t_oom_fired(void)
{
    return fired;
}

long
t_live(void)
{
    return (long)live;
}

void *
__wrap_malloc(size_t n)
{
    void *p = inject() ? NULL : __real_malloc(n);
    set_add((uintptr_t)p);
    return p;
}

void *
__wrap_calloc(size_t m, size_t n)
{
    void *p = inject() ? NULL : __real_calloc(m, n);
    set_add((uintptr_t)p);
    return p;
}

void *
__wrap_realloc(void *p, size_t n)
{
    if (inject())
        return NULL;
    void *q = __real_realloc(p, n);
    if (q || n == 0) {
        set_del((uintptr_t)p);
        set_add((uintptr_t)q);
    }
    return q;
}

void
__wrap_free(void *p)
{
    set_del((uintptr_t)p);
    __real_free(p);
}

char *
__wrap_strdup(const char *s)
{
    char *p = inject() ? NULL : __real_strdup(s);
    set_add((uintptr_t)p);
    return p;
}

char *
__wrap_strndup(const char *s, size_t n)
{
    char *p = inject() ? NULL : __real_strndup(s, n);
    set_add((uintptr_t)p);
    return p;
}

/* Only anonymous mappings are memory; a file mapping that fails is an
 * I/O error, tested elsewhere.  MAP_FIXED over a reservation is not a
 * new allocation either. */
void *
__wrap_mmap(void *a, size_t n, int prot, int fl, int fd, off_t off)
{
    if (!(fl & MAP_ANONYMOUS) || (fl & MAP_FIXED))
        return __real_mmap(a, n, prot, fl, fd, off);
    if (inject())
        return MAP_FAILED;
    void *p = __real_mmap(a, n, prot, fl, fd, off);
    if (p != MAP_FAILED)
        set_add((uintptr_t)p);
    return p;
}

int
__wrap_munmap(void *a, size_t n)
{
    set_del((uintptr_t)a);
    return __real_munmap(a, n);
}
