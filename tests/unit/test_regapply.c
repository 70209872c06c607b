/*
 * test_regapply.c - rh_reg_apply on an in-memory hive: hand-written .reg
 * fixtures (regedit rules: missing parents, [-KEY] trees, absent keys and
 * values, CurrentControlSet through Select\Current, root prefixes, the
 * export marker) asserted value by value; strict and validate modes leave
 * the hive unchanged; errors name the line.
 */
#include "t.h"

#include "../../include/reghive.h"

#include <stdlib.h>
#include <string.h>

static rh_reg_doc *
parse(const char *text)
{
    rh_reg_doc *d = NULL;
    char err[200];
    int rc = rh_reg_parse(text, strlen(text), 0, &d, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "parse: %s\n", err);
    return d;
}

/* Value path\name has type and data (len bytes). */
static int
has(rh_hive *h, const char *path, const char *name, uint32_t type,
    const void *data, size_t len)
{
    rh_key k;
    rh_value v;
    uint32_t t;
    void *d;
    size_t n;
    if (rh_key_lookup(h, path, &k) < 0 ||
        rh_key_value(h, k, name, strlen(name), &v) < 0 ||
        rh_value_data(h, v, &t, &d, &n) < 0)
        return 0;
    int ok = t == type && n == len && memcmp(d, data, len) == 0;
    free(d);
    return ok;
}

static int
exists(rh_hive *h, const char *path)
{
    rh_key k;
    return rh_key_lookup(h, path, &k) == 0;
}

static int skipped;
static void
on_skip(void *ctx, const rh_reg_op *op)
{
    (void)ctx;
    (void)op;
    skipped++;
}

int
main(void)
{
    rh_hive *h;
    rh_reg_stats st;
    CHECK_RC(rh_create(5, &h), 0);
    rh_reg_doc *d = parse("Windows Registry Editor Version 5.00\n"
                          "\n"
                          "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n"
                          "\"Current\"=dword:00000002\n"
                          "[HKEY_LOCAL_MACHINE\\SYSTEM\\A\\B\\C]\n"
                          "@=\"def\"\n"
                          "\"sz\"=\"a\\\\b\\\"c\"\n"
                          "\"bin\"=hex:01,02,\\\n"
                          "  03\n"
                          "\"ms\"=hex(7):61,00,00,00,00,00\n"
                          "\"unterm\"=hex(1):61,00\n"
                          "\"q\"=hex(b):01,00,00,00,00,00,00,00\n"
                          "\"gone\"=dword:1\n"
                          "\"gone\"=-\n"
                          "\"never\"=-\n"
                          "[HKLM\\SYSTEM\\CurrentControlSet\\Services\\X]\n"
                          "\"Start\"=dword:00000004\n"
                          "[HKLM\\SYSTEM\\Del\\Sub\\Deeper]\n"
                          "[-HKLM\\SYSTEM\\Del]\n"
                          "[-HKLM\\SYSTEM\\NotThere\\Either]\n"
                          "[HKEY_CURRENT_USER\\Elsewhere]\n"
                          "\"x\"=\"y\"\n");
    CHECK(d != NULL);
    memset(&st, 0, sizeof st);
    skipped = 0;
    CHECK_RC(rh_reg_apply(h, d, NULL, 0, on_skip, NULL, &st), 0);
    CHECK(has(h, "A\\B\\C", "", RH_REG_SZ, "d\0e\0f\0\0", 8));
    CHECK(has(h, "A\\B\\C", "sz", RH_REG_SZ, "a\0\\\0b\0\"\0c\0\0", 12));
    CHECK(has(h, "A\\B\\C", "bin", RH_REG_BINARY, "\1\2\3", 3));
    CHECK(has(h, "A\\B\\C", "ms", RH_REG_MULTI_SZ, "a\0\0\0\0\0", 6));
    /* regedit's rule: an unterminated hex(1) string gains a NUL. */
    CHECK(has(h, "A\\B\\C", "unterm", RH_REG_SZ, "a\0\0\0", 4));
    CHECK(has(h, "A\\B\\C", "q", RH_REG_QWORD, "\1\0\0\0\0\0\0\0", 8));
    CHECK(!has(h, "A\\B\\C", "gone", RH_REG_DWORD, "\1\0\0\0", 4));
    /* CurrentControlSet went to ControlSet002, as Select\Current says. */
    CHECK(has(h, "ControlSet002\\Services\\X", "Start", RH_REG_DWORD,
              "\4\0\0\0", 4));
    CHECK(!exists(h, "CurrentControlSet\\Services\\X") ||
          exists(h, "ControlSet002\\Services\\X"));
    CHECK(!exists(h, "Del"));
    CHECK(!exists(h, "NotThere"));
    CHECK(!exists(h, "Elsewhere"));
    CHECK(skipped == 1 && st.skipped == 1);
    CHECK(st.keys_deleted == 1 && st.keys_absent == 1);
    CHECK(st.values_deleted == 1 && st.values_absent == 1);
    CHECK(st.values_set ==
          9); /* Current, @, sz, bin, ms, unterm, q, gone, Start */
    /* keys: Select, A, B, C, ControlSet002, Services, X, Del, Sub, Deeper */
    CHECK(st.keys_created == 10);
    size_t np = 99, nw = 99;
    CHECK_RC(rh_check(h, NULL, NULL, &np, &nw), 0);
    CHECK(np == 0 && nw == 0);
    rh_reg_doc_free(d);

    /* The export marker: hex string data verbatim, no options. */
    d = parse("Windows Registry Editor Version 5.00\n"
              "; reghive export: hex data verbatim\n\n"
              "[\\A\\B\\C]\n\"unterm\"=hex(1):61,00\n");
    CHECK(d && rh_reg_doc_hex_verbatim(d));
    CHECK_RC(rh_reg_apply(h, d, NULL, 0, NULL, NULL, NULL), 0);
    CHECK(has(h, "A\\B\\C", "unterm", RH_REG_SZ, "a\0", 2));
    rh_reg_doc_free(d);
    /* Not on line 2: an ordinary comment. */
    d = parse("Windows Registry Editor Version 5.00\n\n"
              "; reghive export: hex data verbatim\n");
    CHECK(d && !rh_reg_doc_hex_verbatim(d));
    rh_reg_doc_free(d);

    /* Strict: an outside key refuses the document before any change;
     * validate changes nothing. */
    d = parse("REGEDIT4\n[HKLM\\SYSTEM\\New1]\n[HKCU\\Out]\n");
    CHECK_RC(rh_reg_apply(h, d, "HKLM\\SYSTEM", RH_REG_APPLY_STRICT, NULL, NULL,
                          NULL),
             RH_EINVAL);
    CHECK(strstr(rh_errmsg(h), "3: [HKCU\\Out]") != NULL);
    CHECK(!exists(h, "New1"));
    CHECK_RC(rh_reg_apply(h, d, "HKLM\\SYSTEM", RH_REG_APPLY_VALIDATE, NULL,
                          NULL, NULL),
             0);
    CHECK(!exists(h, "New1"));
    CHECK_RC(rh_reg_apply(h, d, "HKLM\\SYSTEM", 0, NULL, NULL, NULL), 0);
    CHECK(exists(h, "New1"));
    rh_reg_doc_free(d);

    /* Errors while applying name the line; the root is not deletable. */
    d = parse("REGEDIT4\n\n[-HKLM\\SYSTEM]\n");
    CHECK_RC(rh_reg_apply(h, d, NULL, 0, NULL, NULL, NULL), RH_EINVAL);
    CHECK(strstr(rh_errmsg(h), "3: ") == rh_errmsg(h));
    rh_reg_doc_free(d);
    char big[400];
    snprintf(big, sizeof big, "REGEDIT4\n\n\n[\\%0300d]\n", 0);
    d = parse(big);
    CHECK(rh_reg_apply(h, d, NULL, 0, NULL, NULL, NULL) < 0);
    CHECK(strncmp(rh_errmsg(h), "4: ", 3) == 0);
    rh_reg_doc_free(d);
    /* [-KEY] then re-create: the remembered path must not survive. */
    d = parse("REGEDIT4\n[\\P\\Q\\R]\n\"v\"=\"1\"\n[-\\P\\Q]\n[\\P\\Q\\R]\n"
              "\"w\"=\"2\"\n");
    CHECK_RC(rh_reg_apply(h, d, NULL, 0, NULL, NULL, NULL), 0);
    CHECK(has(h, "P\\Q\\R", "w", RH_REG_SZ, "2\0\0\0", 4));
    CHECK(!has(h, "P\\Q\\R", "v", RH_REG_SZ, "1\0\0\0", 4));
    rh_reg_doc_free(d);
    CHECK_RC(rh_check(h, NULL, NULL, &np, &nw), 0);
    CHECK(np == 0 && nw == 0);
    rh_close(h);
    return T_DONE();
}
