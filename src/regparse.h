/*
 * regparse.h - .reg text parser (text-format layer): bytes of a regedit
 * document in, a list of operations out (rh_reg_* in reghive.h).  Pure:
 * no hive access, no printing; depends only on buf.h-level C.
 * Internal helpers below are exposed for the unit tests.
 */
#ifndef RH_REGPARSE_H
#define RH_REGPARSE_H

#include "../include/reghive.h"

#include <stddef.h>
#include <stdint.h>

/* Decode a whole document to UTF-16 code units (BOM removed).  enc is an
 * RH_REG_ENC_* value (AUTO picks by BOM and header).  On success *units is
 * malloc'd (*n units) and *used gets the encoding chosen.  On error returns
 * RH_EINVAL (or RH_ENOMEM) and writes "LINE:COL: message" to err. */
int regparse_decode(const uint8_t *buf, size_t len, unsigned enc,
                    uint16_t **units, size_t *n, unsigned *used, char *err,
                    size_t errlen);

/* Line and column (1-based; columns count code points) of unit index pos
 * in u[0..n). */
void regparse_position(const uint16_t *u, size_t n, size_t pos, size_t *line,
                       size_t *col);

#endif
