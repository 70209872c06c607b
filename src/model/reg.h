/*
 * reg.h - the registry model over cells: key nodes, subkey lists, values,
 * value data, security cells.  Parsers take a checked cell span and return
 * plain structs; nothing here prints.
 */
#ifndef RH_REG_H
#define RH_REG_H

#include "hive.h"
#include "name.h"

typedef struct nk {
    uint32_t off;
    span cell;
    uint16_t flags;
    span name;
    int comp;
    uint32_t parent, nsub, subs, nval, vals, sk, cls;
    uint16_t clslen;
} nk;

typedef struct vk {
    uint32_t off;
    span cell;
    span name;
    int comp;
    uint32_t type;
    uint32_t rawlen; /* as stored, with the inline bit */
    uint32_t data;
} vk;

/* Parse the key node at off. */
int nk_get(rh_hive *h, uint32_t off, nk *out);

/* Call fn(ctx, off) for every key offset in the subkey list at list
 * (li, lf, lh, or ri of those).  Element offsets are not yet checked. */
int list_foreach(rh_hive *h, uint32_t list, int (*fn)(void *ctx, uint32_t off),
                 void *ctx);

/* Parse the value at off. */
int vk_get(rh_hive *h, uint32_t off, vk *out);

/* Data length of a value. */
static inline uint32_t
vk_len(const vk *v)
{
    return v->rawlen & ~VK_INLINE;
}

/* Value data: borrowed *data when contiguous, else copied into tmp (and
 * *data points there).  tmp is reset first; free it with sbuf_free. */
int vk_data(rh_hive *h, const vk *v, span *data, sbuf *tmp);

/* The value-list cell of a key, checked to hold nval offsets. */
int nk_values(rh_hive *h, const nk *k, span *list);

/* Look up a child by upcased UTF-16 name. */
int nk_child(rh_hive *h, const nk *k, const uint16_t *q, size_t qn,
             uint32_t *out);

#endif
