/*
 * cmd_add.c - reghive add HIVE KEY [-v NAME | -ve] [-t TYPE] [-d DATA]
 *             [-s SEP] [-f] [--data-file F] [--class TEXT] [--backup]
 *             [--rewrite] [--dry-run]
 *
 * reg add's vocabulary: missing keys along KEY are created; data is
 * parsed by type (strings as text, REG_MULTI_SZ split at "\0" or SEP,
 * REG_DWORD/REG_QWORD decimal or 0x hex, REG_BINARY and other types as
 * hex digits); --data-file takes the raw bytes from a file.
 */
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    unsigned char *p;
    size_t n, cap;
};

static int
put(struct buf *b, const void *src, size_t n)
{
    if (b->cap - b->n < n) {
        size_t cap = (b->cap + n) * 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

static int
put16(struct buf *b, uint32_t u)
{
    unsigned char t[2] = {(unsigned char)u, (unsigned char)(u >> 8)};
    return put(b, t, 2);
}

/* UTF-8 text of n bytes as UTF-16LE (no terminator). */
static int
put_utf16(struct buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i], need = c < 0x80   ? 0
                                  : c < 0xE0 ? 1
                                  : c < 0xF0 ? 2
                                             : 3;
        if (c >= 0x80 && c < 0xC0)
            return -1;
        c &= need == 0 ? 0x7F : need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07;
        if (need > n - i - 1)
            return -1;
        for (uint32_t j = 1; j <= need; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return -1;
            c = c << 6 | (s[i + j] & 0x3F);
        }
        i += need + 1;
        if (c >= 0x10000) {
            c -= 0x10000;
            if (put16(b, 0xD800 + (c >> 10)) < 0 ||
                put16(b, 0xDC00 + (c & 0x3FF)) < 0)
                return -1;
        } else if (put16(b, c) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Data bytes for type from reg add's -d text; message on error. */
static int
parse_data(long type, const char *d, const char *sep, struct buf *b)
{
    char *e;
    switch (type) {
    case RH_REG_SZ:
    case RH_REG_EXPAND_SZ:
    case RH_REG_LINK:
        if (put_utf16(b, d, strlen(d)) < 0 || put16(b, 0) < 0)
            goto bad_text;
        return 0;
    case RH_REG_MULTI_SZ: {
        size_t sl = strlen(sep);
        const char *p = d;
        while (*p) {
            const char *q = sl ? strstr(p, sep) : NULL;
            size_t n = q ? (size_t)(q - p) : strlen(p);
            if (put_utf16(b, p, n) < 0 || put16(b, 0) < 0)
                goto bad_text;
            p += n + (q ? sl : 0);
        }
        return put16(b, 0);
    }
    case RH_REG_DWORD:
    case RH_REG_DWORD_BIG_ENDIAN:
    case RH_REG_QWORD: {
        errno = 0;
        unsigned long long v = *d ? strtoull(d, &e, 0) : 0;
        if (*d && (errno || *e || *d == '-'))
            goto bad_num;
        if (type != RH_REG_QWORD && v > 0xFFFFFFFFull)
            goto bad_num;
        unsigned char t[8];
        size_t n = type == RH_REG_QWORD ? 8 : 4;
        for (size_t i = 0; i < n; i++)
            t[type == RH_REG_DWORD_BIG_ENDIAN ? 3 - i : i] =
                (unsigned char)(v >> (8 * i));
        return put(b, t, n);
    }
    default: {
        size_t n = strlen(d);
        if (n % 2)
            goto bad_hex;
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval(d[i]), lo = hexval(d[i + 1]);
            if (hi < 0 || lo < 0)
                goto bad_hex;
            unsigned char c = (unsigned char)(hi << 4 | lo);
            if (put(b, &c, 1) < 0)
                return -1;
        }
        return 0;
    }
    }
bad_text:
    fprintf(stderr, "reghive: add: data is not valid UTF-8\n");
    return -1;
bad_num:
    fprintf(stderr, "reghive: add: '%s' is not a valid %s number\n", d,
            type == RH_REG_QWORD ? "64-bit" : "32-bit");
    return -1;
bad_hex:
    fprintf(stderr, "reghive: add: binary data must be an even number of hex "
                    "digits\n");
    return -1;
}

static int
read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    char tmp[65536];
    size_t n;
    if (!f) {
        fprintf(stderr, "reghive: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (put(b, tmp, n) < 0)
            break;
    int bad = ferror(f);
    fclose(f);
    if (bad)
        fprintf(stderr, "reghive: %s: read error\n", path);
    return bad ? -1 : 0;
}

enum {
    A_HIVE,
    A_KEY,
    A_V,
    A_VE,
    A_T,
    A_S,
    A_D,
    A_DATAFILE,
    A_CLASS,
    A_F,
    A_BACKUP,
    A_REWRITE,
    A_DRYRUN
};
static const struct opt_spec add_opts[] = {
    [A_HIVE] = SPEC_HIVE("the hive file to edit"),
    [A_KEY] = SPEC_KEY(OPT_REQUIRED,
                       "the key to create (with missing parents) or to set\n"
                       "a value in"),
    [A_V] = {OPT_VALUE, "-v", "NAME", 0, "value", "the value to set"},
    [A_VE] = {OPT_SWITCH, "-ve", NULL, 0, "value",
              "set the default (unnamed) value"},
    [A_T] = {OPT_VALUE, "-t", "TYPE", OPT_TYPE, NULL,
             "REG_SZ (default), REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD,\n"
             "REG_QWORD, REG_BINARY, REG_NONE, ..."},
    [A_S] = {OPT_VALUE, "-s", "SEP", 0, NULL,
             "separator of REG_MULTI_SZ strings in -d (default \\0)"},
    [A_D] = {OPT_VALUE, "-d", "DATA", 0, "data",
             "text for REG_SZ/REG_EXPAND_SZ; SEP-separated strings for\n"
             "REG_MULTI_SZ; decimal or 0x hex for REG_DWORD/REG_QWORD;\n"
             "hex digits for REG_BINARY, REG_NONE and other types"},
    [A_DATAFILE] = {OPT_VALUE, "--data-file", "FILE", OPT_FILE, "data",
                    "take the value's bytes from FILE"},
    [A_CLASS] = {OPT_VALUE, "--class", "TEXT", 0, NULL,
                 "the class name of a key the command creates"},
    [A_F] = {OPT_SWITCH, "-f", NULL, 0, NULL,
             "overwrite an existing value without asking"},
    [A_BACKUP] = SPEC_BACKUP,
    [A_REWRITE] = SPEC_REWRITE,
    [A_DRYRUN] = SPEC_DRYRUN,
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec add_spec = {
    "add", add_opts,
    "create a key (and missing parents) and set a value, like reg add", NULL};

int
cmd_add(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(add_spec, argc, argv, &r0);
    const char *hive = r0.val[A_HIVE], *key = r0.val[A_KEY];
    const char *vname = opt_has(&r0, A_VE) ? "" : r0.val[A_V];
    const char *data = r0.val[A_D], *dfile = r0.val[A_DATAFILE];
    const char *sep = r0.val[A_S] ? r0.val[A_S] : "\\0";
    const char *tname = r0.val[A_T], *cls = r0.val[A_CLASS];
    unsigned cflags = (opt_has(&r0, A_BACKUP) ? RH_COMMIT_BACKUP : 0) |
                      (opt_has(&r0, A_REWRITE) ? RH_COMMIT_REWRITE : 0);
    int force = opt_has(&r0, A_F), dry = opt_has(&r0, A_DRYRUN), rc = 1;
    long type = RH_REG_SZ;
    if (tname && (type = type_parse(tname)) < 0) {
        fprintf(stderr, "reghive: add: unknown type '%s'\n", tname);
        return EXIT_USAGE;
    }
    if (!vname && (data || dfile || tname))
        vname = ""; /* reg add KEY /d DATA sets the default value */
    struct buf b = {0};
    if (vname && (dfile ? read_file(dfile, &b)
                        : parse_data(type, data ? data : "", sep, &b)) < 0) {
        free(b.p);
        return 1;
    }
    rh_hive *h = open_hive(hive, RH_OPEN_WRITE);
    if (!h) {
        free(b.p);
        return 1;
    }
    rh_key k;
    int created = 0, r;
    char *disp = NULL;
    if (dry) {
        r = rh_key_lookup(h, key, &k);
        if (r == RH_ENOTFOUND) {
            printf("would create key %s\n", key);
            if (vname)
                printf("would set value '%s' (%s, %zu bytes)\n", vname,
                       rh_type_name((uint32_t)type)
                           ? rh_type_name((uint32_t)type)
                           : "?",
                       b.n);
            rc = 0;
            goto out;
        }
    } else {
        r = rh_key_create_path(h, key, &k, &created);
    }
    if (r < 0) {
        die_rc(h, key, r);
        goto out;
    }
    disp = key_display(h, k, key);
    if (cls && dry) {
        printf("would set the class name of %s to '%s'\n", disp ? disp : key,
               cls);
    } else if (cls && (r = rh_key_set_class(h, k, cls, strlen(cls))) < 0) {
        die_rc(h, key, r);
        goto out;
    }
    if (vname) {
        rh_value v;
        int exists = rh_key_value(h, k, vname, strlen(vname), &v) == 0;
        if (exists && !force && !dry) {
            char q[512];
            snprintf(q, sizeof q, "Value %s exists, overwrite(Yes/No)?",
                     *vname ? vname : "(Default)");
            if (!confirm(q)) {
                printf("The operation was cancelled by the user.\n");
                rc = 0;
                goto out;
            }
        }
        if (dry) {
            printf("would %s value '%s' of %s (%s, %zu bytes)\n",
                   exists ? "replace" : "add", vname, disp ? disp : key,
                   rh_type_name((uint32_t)type) ? rh_type_name((uint32_t)type)
                                                : "?",
                   b.n);
            rc = 0;
            goto out;
        }
        r = rh_value_set(h, k, vname, strlen(vname), (uint32_t)type, b.p, b.n);
        if (r < 0) {
            die_rc(h, key, r);
            goto out;
        }
    } else if (dry) {
        printf("key %s exists: nothing to do\n", disp ? disp : key);
        rc = 0;
        goto out;
    } else if (!created && !cls) {
        printf("The operation completed successfully. (key existed)\n");
        rc = 0;
        goto out;
    }
    rc = commit_hive(h, hive, cflags);
    if (rc == 0)
        printf("The operation completed successfully.\n");
out:
    free(disp);
    free(b.p);
    rh_close(h);
    return rc;
}
