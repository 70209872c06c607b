/*
 * cmd_get.c - reghive get HIVE KEY [NAME] [--raw]
 *
 * Prints one value's data: strings up to the first NUL, REG_MULTI_SZ one
 * string per line, numbers in decimal, other types as lowercase hex;
 * --raw writes the stored bytes unchanged.  Also holds print_data(), the
 * data formatter reg query's layout uses.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

/* Print UTF-16LE text as UTF-8 (up to a NUL unit, or all of it). */
static void
put_utf16(FILE *f, const uint8_t *p, size_t n, int stop)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t c = (uint32_t)(p[i] | p[i + 1] << 8);
        if (c == 0 && stop)
            break;
        if (c >= 0xD800 && c < 0xDC00 && i + 3 < n) {
            uint32_t d = (uint32_t)(p[i + 2] | p[i + 3] << 8);
            if (d >= 0xDC00 && d < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
                i += 2;
            }
        }
        if (c < 0x80) {
            fputc((int)c, f);
        } else if (c < 0x800) {
            fputc((int)(0xC0 | c >> 6), f);
            fputc((int)(0x80 | (c & 0x3F)), f);
        } else if (c < 0x10000) {
            fputc((int)(0xE0 | c >> 12), f);
            fputc((int)(0x80 | ((c >> 6) & 0x3F)), f);
            fputc((int)(0x80 | (c & 0x3F)), f);
        } else {
            fputc((int)(0xF0 | c >> 18), f);
            fputc((int)(0x80 | ((c >> 12) & 0x3F)), f);
            fputc((int)(0x80 | ((c >> 6) & 0x3F)), f);
            fputc((int)(0x80 | (c & 0x3F)), f);
        }
    }
}

void print_data(FILE *f, uint32_t type, const uint8_t *d, size_t n,
                int reg_style);

/* reg_style: as reg query shows data (0x hex numbers, MULTI_SZ joined by
 * "\0", binary in uppercase hex); else as get prints it (decimal numbers,
 * one string per line, lowercase hex). */
void
print_data(FILE *f, uint32_t type, const uint8_t *d, size_t n, int reg_style)
{
    switch (type) {
    case RH_REG_SZ:
    case RH_REG_EXPAND_SZ:
    case RH_REG_LINK:
        put_utf16(f, d, n, 1);
        return;
    case RH_REG_MULTI_SZ: {
        /* Drop the list terminator (up to two NUL units: the last
         * string's and the empty string's), then show every NUL left as
         * a separator, as reg query does ("a\0b"); get prints one string
         * per line.  An unterminated last string is kept. */
        size_t m = n / 2;
        for (int t = 0; t < 2 && m && !d[2 * m - 2] && !d[2 * m - 1]; t++)
            m--;
        size_t s = 0;
        for (size_t i = 0; i <= m; i++) {
            if (i < m && (d[2 * i] || d[2 * i + 1]))
                continue;
            if (s)
                fputs(reg_style ? "\\0" : "\n", f);
            put_utf16(f, d + 2 * s, 2 * (i - s), 0);
            s = i + 1;
        }
        return;
    }
    case RH_REG_DWORD:
    case RH_REG_DWORD_BIG_ENDIAN:
        if (n == 4) {
            uint32_t v = type == RH_REG_DWORD
                             ? (uint32_t)(d[0] | d[1] << 8 | d[2] << 16 |
                                          (uint32_t)d[3] << 24)
                             : (uint32_t)(d[3] | d[2] << 8 | d[1] << 16 |
                                          (uint32_t)d[0] << 24);
            fprintf(f, reg_style ? "0x%x" : "%u", v);
            return;
        }
        break;
    case RH_REG_QWORD:
        if (n == 8) {
            uint64_t v = 0;
            for (int i = 7; i >= 0; i--)
                v = v << 8 | d[i];
            fprintf(f, reg_style ? "0x%llx" : "%llu", (unsigned long long)v);
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
    } else if ((rc = rh_value_get(h, k, name, strlen(name), &v)) < 0) {
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
                print_data(stdout, t, d, n, 0);
                putchar('\n');
            }
            free(d);
        }
    }
    rh_close(h);
    return rc < 0;
}
