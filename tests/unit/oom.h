/*
 * oom.h - allocation-failure injection for the unit tests (oom.c; the
 * test build links every unit test with it and --wrap=malloc,...).
 */
#ifndef RH_T_OOM_H
#define RH_T_OOM_H

/* Count allocations (malloc, calloc, realloc, strdup, strndup, anonymous
 * mmap) from now on and fail the nth (1-based; 0 fails none), and with
 * persistent every one after it too. */
void t_oom_arm(long nth, int persistent);
/* Stop counting; returns the number counted since t_oom_arm. */
long t_oom_disarm(void);
/* Failures injected since t_oom_arm. */
long t_oom_fired(void);
/* Allocations and anonymous mappings live now (made through the wrappers
 * and not yet freed, by anyone). */
long t_live(void);

#endif
