/*
 * regparse_fuzz.c - libFuzzer target for the .reg parser: parse the
 * input (encoding from its first byte's low bits, so every decoder is
 * reached), walk every operation, map its key, free.
 */
#include "../include/reghive.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags = 0;
    if (size > 0) {
        flags = data[0] % 5u;
        if (data[0] & 0x80)
            flags |= RH_REG_HEX_VERBATIM;
        data++;
        size--;
    }
    rh_reg_doc *doc;
    char err[128];
    if (rh_reg_parse(data, size, flags, &doc, err, sizeof err) != 0)
        return 0;
    rh_reg_op op;
    size_t sum = 0;
    for (size_t i = 0; rh_reg_doc_op(doc, i, &op) == 0; i++) {
        const char *rest;
        size_t n;
        if (rh_reg_map_key(op.key, op.keylen, "HKLM\\SYSTEM", &rest, &n) == 0)
            sum += n;
        sum += rh_reg_auto_prefix(op.key, op.keylen);
        for (size_t j = 0; j < op.len; j++)
            sum += op.data[j];
        sum += op.namelen ? (unsigned char)op.name[op.namelen - 1] : 0;
    }
    rh_reg_doc_free(doc);
    return (int)(sum & 0);
}
