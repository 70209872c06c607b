/*
 * regparse.h - .reg text parser (text-format layer): bytes of a regedit
 * document in, a list of operations out (rh_reg_* in reghive.h).  Pure:
 * no hive access, no printing; depends only on buf.h-level C.
 * The input is decoded one line at a time (no whole-document copy).
 */
#ifndef RH_REGPARSE_H
#define RH_REGPARSE_H

#include "reghive.h"

#include <stddef.h>
#include <stdint.h>

/* Pick the input encoding: a BOM decides (*skip gets its length), else
 * enc (RH_REG_ENC_*; AUTO: REGEDIT4 -> Windows-1252, others UTF-8).
 * RH_EINVAL with "1:1: message" in err for UTF-16BE. */
int regparse_encoding(const uint8_t *buf, size_t len, unsigned enc,
                      size_t *skip, unsigned *used, char *err, size_t errlen);

#endif
