/*
 * log.h - transaction logs: parse the old ("DIRT" vector) and new ("HvLE"
 * entries) formats and replay them onto a primary image.  Pure: bytes in,
 * a new image out; knows nothing about keys or the open hive.
 */
#ifndef RH_LOG_H
#define RH_LOG_H

#include "reghive.h"
#include "buf.h"

/* Transaction log layout (msuhanov/regf, "Format of transaction log
 * files"). */
#define LOG_BASE_SIZE 512   /* partial base block copy at the start */
#define LOG_TYPE_OLD 1      /* file type of an old-format log */
#define LOG_TYPE_VERYOLD 2  /* the same format, older type number */
#define LOG_TYPE_NEW 6      /* file type of a new-format log */
#define LOG_DIRT_SIG 0x200  /* "DIRT", then the bitmap (old format) */
#define LOG_PAGE_OLD 512    /* one bit of the dirty vector */
#define HVLE_SIZE 0x04      /* entry size, multiple of 512 */
#define HVLE_FLAGS 0x08     /* copy of the base block flags */
#define HVLE_SEQ 0x0C       /* sequence number */
#define HVLE_BINS_SIZE 0x10 /* hive bins size after this entry */
#define HVLE_NPAGES 0x14    /* dirty page references that follow */
#define HVLE_HASH1 0x18     /* Marvin32 of bytes [40, size) */
#define HVLE_HASH2 0x20     /* Marvin32 of bytes [0, 32) */
#define HVLE_HDR 40         /* then npages x (u32 offset, u32 size) */
#define MARVIN_SEED 0x82EF4D887A4E55C5ull

/* One log image and its display name (may be NULL). */
typedef struct log_src {
    const uint8_t *p;
    size_t n;
    const char *name;
} log_src;

/* Marvin32 of n bytes with the given seed (as Windows' log entries). */
uint64_t marvin32(const uint8_t *p, size_t n, uint64_t seed);

/* Recover the primary image `hive` with the logs.  Fills *rep (always).
 * On 0, *out is a malloc'd recovered image of *outlen bytes, or NULL when
 * nothing was applied (rep->status says why).  RH_ENOMEM otherwise. */
int log_recover(span hive, const log_src *logs, size_t nlogs, uint8_t **out,
                size_t *outlen, rh_recovery *rep);

/* Room for the recovered image: get(ctx, cap) returns cap writable bytes
 * that start with a copy of the primary and are zero after it (say a
 * private mapping of the file), or NULL for a heap copy. */
typedef uint8_t *(*log_img_fn)(void *ctx, size_t cap);

/* log_recover, building the image in get's room when it gives one: then
 * *out is that room (or NULL) and the caller releases it either way. */
int log_recover_into(span hive, const log_src *logs, size_t nlogs,
                     log_img_fn get, void *ctx, uint8_t **out, size_t *outlen,
                     rh_recovery *rep);

/* ---- writer side (commit.c) ------------------------------------------ */

/* Fill dst[LOG_BASE_SIZE] with the log base block for the primary base
 * block base: its first 512 bytes with file type 6, both sequence numbers
 * seq, hive bins size bins and the checksum recomputed. */
void log_base_make(uint8_t *dst, const uint8_t *base, uint32_t seq,
                   uint32_t bins);

/* Bytes of an HvLE entry with nrefs page references and data bytes of
 * pages, padded to a multiple of 512. */
size_t log_entry_size(uint32_t nrefs, size_t data);

/* Seal the entry at e of size bytes whose nrefs references and page bytes
 * are already in place after the header: signature, size, flags, seq,
 * bins size, page count, then hash-1 and hash-2 (as entry_check wants). */
void log_entry_seal(uint8_t *e, uint32_t size, uint32_t flags, uint32_t seq,
                    uint32_t bins, uint32_t nrefs);

/* Validate log l as a new-format log: 0 with its base block sequence
 * number, count of valid consecutive entries from it, the last entry's
 * sequence number and the end of the last valid entry; -1 if its base
 * block is not a valid new-format one. */
int log_scan(span l, uint32_t *seq0, uint32_t *nent, uint32_t *last,
             size_t *end);

#endif
