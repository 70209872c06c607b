/*
 * progress.c - a progress line on stderr for long operations, only when
 * stderr is a terminal: "\r"-redrawn at most 10 times a second, erased
 * when the operation ends, so output that is redirected stays clean.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
progress_init(struct progress *p, const char *what, const char *unit)
{
    memset(p, 0, sizeof *p);
    p->what = what;
    p->unit = unit;
    p->on = isatty(2);
}

void
progress_update(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    if (!p || !p->on)
        return;
    uint64_t t = now_ms();
    /* the first report and the last one always show; others at 10 Hz */
    if (p->shown && !(total && done >= total) && t - p->last < 100)
        return;
    p->last = t;
    p->shown = 1;
    if (total)
        fprintf(stderr, "\r%s: %llu/%llu %s (%u%%)\033[K", p->what,
                (unsigned long long)done, (unsigned long long)total, p->unit,
                (unsigned)(done * 100 / total));
    else
        fprintf(stderr, "\r%s: %llu %s\033[K", p->what,
                (unsigned long long)done, p->unit);
    fflush(stderr);
}

void
progress_phase(struct progress *p, const char *msg)
{
    if (!p->on)
        return;
    p->last = now_ms();
    p->shown = 1;
    fprintf(stderr, "\r%s\033[K", msg);
    fflush(stderr);
}

void
progress_end(struct progress *p)
{
    if (p->on && p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = 0;
}

static int
count_key(void *ctx, rh_key k, unsigned depth)
{
    (void)k;
    (void)depth;
    ++*(uint64_t *)ctx;
    return 0;
}

uint64_t
progress_count_keys(rh_hive *h, rh_key k)
{
    /* rh_key_walk visits each key once: a subkey list naming its own key
     * (twice, say) ends the count instead of multiplying it. */
    uint64_t total = 0;
    rh_key_walk(h, k, count_key, &total);
    return total ? total : 1;
}
