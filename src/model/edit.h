/*
 * edit.h - helpers of the editing layer (edit.c) shared with copy.c:
 * names in, lists, security references.  Internal; over alloc.h/reg.h.
 */
#ifndef RH_EDIT_H
#define RH_EDIT_H

#include "alloc.h"
#include "reg.h"

/* Subkey leaves reghive writes hold at most this many entries. */
#define LEAF_MAX 507 /* what fits one 4 KiB page: Windows splits here */

/* Set key's last-written time to now. */
void touch(rh_hive *h, uint32_t key);

/* UTF-8 name to UTF-16 units u (and upcased q, max units); the unit
 * count or a negative RH_E* with a message naming what. */
long name_in(rh_hive *h, const char *s, size_t len, uint16_t *u, uint16_t *q,
             size_t max, const char *what);

/* Store n units compressed (Latin-1 bytes) or as UTF-16LE at dst. */
void name_store(uint8_t *dst, const uint16_t *u, size_t n, int comp);

/* Add delta (+1/-1) to the sk cell's references; the last reference
 * unlinks and frees it. */
int sk_ref(rh_hive *h, uint32_t sk, int delta);

/* List element (8 bytes; 4 used for li) of kind sig for key off. */
int elem_make(rh_hive *h, const char sig[2], uint32_t off, uint8_t e[8]);

/* Leaf kind new lists get in h: "lh" on 1.5+, else "lf". */
const char *default_kind(rh_hive *h);

/* The subkey named q (upcased) in the list at list; RH_ENOTFOUND. */
int list_find(rh_hive *h, uint32_t list, const uint16_t *q, size_t qn,
              uint32_t *out);

/* Insert key child (named q, upcased) into parent's subkey list; parent
 * counts, largest-name field and timestamp updated. */
int list_insert(rh_hive *h, uint32_t parent, uint32_t child, const uint16_t *q,
                size_t qn);

/* A cell source for data_store: size bytes (segment: a big data segment)
 * at *off. */
typedef int (*cell_alloc_fn)(void *ctx, uint32_t size, int segment,
                             uint32_t *off);

/* Store len bytes of value data in h: inline (<= 4), one cell, or big
 * data segments on 1.4+; *rawlen and *doff are the vk's fields. */
int data_store(rh_hive *h, cell_alloc_fn alloc, void *ctx, const uint8_t *d,
               uint32_t len, uint32_t *rawlen, uint32_t *doff);

/* Free key off and every cell it owns (not unlinked from its parent). */
int free_tree(rh_hive *h, uint32_t off, int depth);

#endif
