/*
 * reghive_sys.h - implementation details of libreghive that the reghive
 * tool, the unit tests and the fuzzers use.  Not part of the stable
 * interface (in the spirit of libgit2's include/git2/sys/): anything here
 * may change or go in any release, and it is not to be installed with
 * reghive.h.  Ownership and thread rules are reghive.h's.
 */
#ifndef REGHIVE_SYS_H
#define REGHIVE_SYS_H

#include "reghive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The image the hive is read from (borrowed, rule 2): the mapped file, the
 * caller's buffer, or the recovered or writable private copy.  reghive
 * recover writes it out; tests and fuzzers inspect and damage copies. */
RH_API int rh_image(rh_hive *h, const void **data, size_t *len);

/* rh_export flag: a buffer loan, so that fn may hand buf to a writer
 * thread and go on.  buf stays unchanged until fn's next call returns,
 * and a closing call fn(ctx, NULL, 0), made whenever fn got a buffer
 * (after a failure too), ends the loan.  Buffers are handed over in
 * 1 MiB blocks instead of 64 KiB (reghive export's writer thread). */
#define RH_EXPORT_HOLD 0x8u

#ifdef __cplusplus
}
#endif
#endif
