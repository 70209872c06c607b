/*
 * cmd_get.c - reghive get HIVE KEY [NAME] [--raw]
 *
 * Prints one value's data: strings up to the first NUL, REG_MULTI_SZ one
 * string per line, numbers in decimal, other types as lowercase hex;
 * --raw writes the stored bytes unchanged.  Also holds print_value(), the
 * data formatter reg query's layout uses.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

/* reg_style: as reg query shows data (0x hex numbers, MULTI_SZ joined by
 * "\0", binary in uppercase hex); else as get prints it (decimal numbers,
 * one string per line, lowercase hex).  Strings and numbers are decoded
 * by the library's getters (one rule for every reader); data they refuse
 * (a number of another size, say) is shown as hex, as reg query does. */
void
print_value(FILE *f, rh_hive *h, rh_value v, uint32_t type, const uint8_t *d,
            size_t n, int reg_style)
{
    char *s, **a;
    size_t count;
    uint32_t x;
    uint64_t y;
    switch (type) {
    case RH_REG_SZ:
    case RH_REG_EXPAND_SZ:
    case RH_REG_LINK:
        if (rh_value_string(h, v, &s, &count) == 0) {
            fwrite(s, 1, count, f);
            free(s);
            return;
        }
        break;
    case RH_REG_MULTI_SZ:
        if (rh_value_strings(h, v, &a, &count) == 0) {
            for (size_t i = 0; i < count; i++)
                fprintf(f, "%s%s", i ? (reg_style ? "\\0" : "\n") : "", a[i]);
            free(a);
            return;
        }
        break;
    case RH_REG_DWORD:
    case RH_REG_DWORD_BIG_ENDIAN:
        if (rh_value_u32(h, v, &x) == 0) {
            fprintf(f, reg_style ? "0x%x" : "%u", x);
            return;
        }
        break;
    case RH_REG_QWORD:
        if (rh_value_u64(h, v, &y) == 0) {
            fprintf(f, reg_style ? "0x%llx" : "%llu", (unsigned long long)y);
            return;
        }
        break;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, reg_style ? "%02X" : "%02x", d[i]);
}

enum { G_HIVE, G_KEY, G_NAME, G_RAW };
static const struct opt_spec get_opts[] = {
    [G_HIVE] = SPEC_HIVE("the hive to read"),
    [G_KEY] = SPEC_KEY(OPT_REQUIRED, "the key holding the value"),
    [G_NAME] = {OPT_ARG, "NAME", NULL, 0, NULL,
                "the value's name (default: the default value)"},
    [G_RAW] = {OPT_SWITCH, "--raw", NULL, 0, NULL,
               "write the data's bytes as stored"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec get_spec = {
    "get", get_opts, "print one value's data decoded by type",
    "Strings print as text, one line per REG_MULTI_SZ string, numbers in\n"
    "decimal and other data in lowercase hex."};

int
cmd_get(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(get_spec, argc, argv, &r0);
    const char *pos[3] = {r0.val[G_HIVE], r0.val[G_KEY], r0.val[G_NAME]};
    int raw = opt_has(&r0, G_RAW);
    rh_hive *h = open_hive(pos[0], 0);
    if (!h)
        return 1;
    rh_key k;
    rh_value v;
    const char *name = pos[2] ? pos[2] : "";
    int rc = rh_key_lookup(h, pos[1], &k);
    if (rc < 0) {
        die_rc(h, pos[1], rc);
    } else if ((rc = rh_key_value(h, k, name, strlen(name), &v)) < 0) {
        if (rc == RH_ENOTFOUND && !*name)
            fprintf(stderr, "reghive: %s: value not found: (Default)\n",
                    pos[1]);
        else
            die_rc(h, pos[1], rc);
    } else {
        void *d;
        size_t n;
        uint32_t t;
        if ((rc = rh_value_data(h, v, &t, &d, &n)) < 0) {
            die_rc(h, pos[1], rc);
        } else {
            if (raw) {
                fwrite(d, 1, n, stdout);
            } else {
                print_value(stdout, h, v, t, d, n, 0);
                putchar('\n');
            }
            free(d);
        }
    }
    rh_close(h);
    return rc < 0;
}
