/*
 * test_regparse.c - the .reg parser: every syntax form with its expected
 * operations (type and exact data bytes), each encoding, and malformed
 * input with the error position.  Fixtures are inline bytes.
 */
#include "regparse.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

#define S(lit) lit, sizeof(lit) - 1

static rh_reg_doc *
parse(const char *buf, size_t len, unsigned flags)
{
    rh_reg_doc *d = NULL;
    char err[256];
    int rc = rh_reg_parse(buf, len, flags, &d, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "parse failed: %s\n", err);
    CHECK(rc == 0);
    return d;
}

/* Operation i is kind/key/name/type/data. */
static void
op_is(const rh_reg_doc *d, size_t i, int kind, const char *key,
      const char *name, size_t namelen, uint32_t type, const void *data,
      size_t len, int line)
{
    rh_reg_op op;
    if (!d || rh_reg_doc_op(d, i, &op) < 0) {
        fprintf(stderr, "op %zu missing (line %d)\n", i, line);
        CHECK(0);
        return;
    }
    int ok = op.kind == kind && op.keylen == strlen(key) &&
             memcmp(op.key, key, op.keylen) == 0;
    if (name)
        ok = ok && op.name && op.namelen == namelen &&
             memcmp(op.name, name, namelen) == 0;
    if (kind == RH_REG_OP_SET_VALUE)
        ok = ok && op.type == type && op.len == len &&
             (len == 0 || memcmp(op.data, data, len) == 0);
    if (!ok) {
        fprintf(stderr,
                "test line %d: op %zu kind %d key '%s' type %u len "
                "%zu:",
                line, i, op.kind, op.key, op.type, op.len);
        for (size_t j = 0; j < op.len && j < 40; j++)
            fprintf(stderr, " %02x", op.data[j]);
        fprintf(stderr, "\n");
    }
    CHECK(ok);
}

#define KEY(d, i, k)                                                           \
    op_is(d, i, RH_REG_OP_CREATE_KEY, k, NULL, 0, 0, 0, 0, __LINE__)
#define DELKEY(d, i, k)                                                        \
    op_is(d, i, RH_REG_OP_DELETE_KEY, k, NULL, 0, 0, 0, 0, __LINE__)
#define SET(d, i, k, n, t, data)                                               \
    op_is(d, i, RH_REG_OP_SET_VALUE, k, n, strlen(n), t, data,                 \
          sizeof(data) - 1, __LINE__)
#define DELVAL(d, i, k, n)                                                     \
    op_is(d, i, RH_REG_OP_DELETE_VALUE, k, n, strlen(n), 0, 0, 0, __LINE__)

/* Parsing must fail with err starting with "LINE:COL:". */
static void
err_at(const char *buf, size_t len, unsigned flags, const char *pos, int line)
{
    rh_reg_doc *d = (rh_reg_doc *)1;
    char err[256] = "";
    int rc = rh_reg_parse(buf, len, flags, &d, err, sizeof err);
    int ok = rc == RH_EINVAL && d == NULL &&
             strncmp(err, pos, strlen(pos)) == 0 && err[strlen(pos)] == ' ';
    if (!ok)
        fprintf(stderr, "test line %d: rc %d err '%s', want '%s ...'\n", line,
                rc, err, pos);
    CHECK(ok);
}
#define ERR(lit, pos) err_at(S(lit), 0, pos, __LINE__)

static void
test_basic(void)
{
    rh_reg_doc *d = parse(S("Windows Registry Editor Version 5.00\r\n"
                            "\r\n"
                            "; a comment\r\n"
                            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"
                            "\"s\"=\"abc\"\r\n"
                            "@=\"def\"\r\n"
                            "\"e\"=\"\"\r\n"
                            "\"d\"=dword:0000002a\r\n"
                            "\"b\"=hex:01,ff,00\r\n"
                            "\"z\"=hex:\r\n"
                            "\"n\"=-\r\n"
                            "@=-\r\n"
                            "\r\n"
                            "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\B]\r\n"
                            "\r\n"),
                          0);
    CHECK(rh_reg_doc_count(d) == 10);
    CHECK(rh_reg_doc_version(d) == 5);
    CHECK(rh_reg_doc_encoding(d) == RH_REG_ENC_UTF8);
    const char *k = "HKEY_LOCAL_MACHINE\\SOFTWARE\\A";
    KEY(d, 0, k);
    SET(d, 1, k, "s", RH_REG_SZ, "a\0b\0c\0\0\0");
    SET(d, 2, k, "", RH_REG_SZ, "d\0e\0f\0\0\0");
    SET(d, 3, k, "e", RH_REG_SZ, "\0\0");
    SET(d, 4, k, "d", RH_REG_DWORD, "\x2a\0\0\0");
    SET(d, 5, k, "b", RH_REG_BINARY, "\x01\xff\x00");
    SET(d, 6, k, "z", RH_REG_BINARY, "");
    DELVAL(d, 7, k, "n");
    DELVAL(d, 8, k, "");
    DELKEY(d, 9, "HKEY_LOCAL_MACHINE\\SOFTWARE\\B");
    rh_reg_op op;
    CHECK(rh_reg_doc_op(d, 1, &op) == 0 && op.line == 5);
    CHECK(rh_reg_doc_op(d, 10, &op) == RH_ERANGE);
    rh_reg_doc_free(d);
}

static void
test_escapes_and_blanks(void)
{
    /* \\ \" \n \r and an unknown escape (backslash dropped, as Wine's
     * REGPROC_unescape_string); blanks around '=' and before lines;
     * trailing blanks and ';' comments after data; '#' lines ignored;
     * CR-only and LF line ends; no final newline. */
    rh_reg_doc *d =
        parse(S("  REGEDIT4\r\r"
                "\t[HKCU\\K]  ;c\n"
                "#ignored line\n"
                " \"a\\\\b\\\"c\"  =  \"x\\\\y\\\"z\\n\\r\\q\"  ;comment\n"
                "\"sp\"=\"  two  \"\t\n"
                "\"With=Equals\"=dword:  1 ;c\n"
                "\"semi;\"=\"v;#\"\n"
                "@ = hex:0a ; c\n"
                "\"last\"=\"No newline\""),
              0);
    const char *k = "HKCU\\K";
    CHECK(rh_reg_doc_count(d) == 7);
    KEY(d, 0, k);
    SET(d, 1, k, "a\\b\"c", RH_REG_SZ, "x\0\\\0y\0\"\0z\0\n\0\r\0q\0\0\0");
    SET(d, 2, k, "sp", RH_REG_SZ, " \0 \0t\0w\0o\0 \0 \0\0\0");
    SET(d, 3, k, "With=Equals", RH_REG_DWORD, "\1\0\0\0");
    SET(d, 4, k, "semi;", RH_REG_SZ, "v\0;\0#\0\0\0");
    SET(d, 5, k, "", RH_REG_BINARY, "\x0a");
    SET(d, 6, k, "last", RH_REG_SZ, "N\0o\0 \0n\0e\0w\0l\0i\0n\0e\0\0\0");
    rh_reg_doc_free(d);
}

static void
test_hex_types(void)
{
    rh_reg_doc *d =
        parse(S("Windows Registry Editor Version 5.00\n"
                "[\\K]\n"
                "\"n\"=hex(0):56,00\n"
                "\"sz\"=hex(1):61,00,00,00\n"
                "\"sz2\"=hex(1):61,00\n"           /* NUL unit added */
                "\"x\"=hex(2):25,00,50,00\n"       /* NUL unit added */
                "\"x0\"=hex(2):\n"                 /* empty stays empty */
                "\"odd\"=hex(7):61,00,62\n"        /* odd: kept */
                "\"m\"=hex(7):61,00,00,00,00,00\n" /* terminated: kept */
                "\"q\"=hex(b):01,02,03,04,05,06,07,08\n"
                "\"big\"=hex(ffffffff):0ff,1\n"
                "\"A\"=hex(ABCD): 01,\\\n"
                "  02\n"),
              0);
    const char *k = "\\K";
    CHECK(rh_reg_doc_count(d) == 11);
    SET(d, 1, k, "n", RH_REG_NONE, "V\0");
    SET(d, 2, k, "sz", RH_REG_SZ, "a\0\0\0");
    SET(d, 3, k, "sz2", RH_REG_SZ, "a\0\0\0");
    SET(d, 4, k, "x", RH_REG_EXPAND_SZ, "%\0P\0\0\0");
    SET(d, 5, k, "x0", RH_REG_EXPAND_SZ, "");
    SET(d, 6, k, "odd", RH_REG_MULTI_SZ, "a\0b");
    SET(d, 7, k, "m", RH_REG_MULTI_SZ, "a\0\0\0\0\0");
    SET(d, 8, k, "q", RH_REG_QWORD, "\1\2\3\4\5\6\7\x08");
    SET(d, 9, k, "big", 0xffffffffu, "\xff\x01");
    SET(d, 10, k, "A", 0xabcd, "\x01\x02");
    rh_reg_doc_free(d);
    /* Verbatim: no NUL added. */
    d = parse(S("Windows Registry Editor Version 5.00\n[\\K]\n"
                "\"sz2\"=hex(1):61,00\n"),
              RH_REG_HEX_VERBATIM);
    SET(d, 1, "\\K", "sz2", RH_REG_SZ, "a\0");
    rh_reg_doc_free(d);
}

static void
test_continuation(void)
{
    /* As regedit writes (two leading spaces), with blank and ';' lines
     * inside, a ';' comment after '\'. */
    rh_reg_doc *d = parse(S("Windows Registry Editor Version 5.00\r\n"
                            "[\\K]\r\n"
                            "\"b\"=hex:01,02,\\\r\n"
                            "  03,04,\\ ;c\r\n"
                            "\r\n"
                            "  ; comment\r\n"
                            "\t05\r\n"
                            "\"c\"=hex(2):\\\n"
                            "  41,00,\\\n"
                            "  42,00\n"),
                          0);
    CHECK(rh_reg_doc_count(d) == 3);
    SET(d, 1, "\\K", "b", RH_REG_BINARY, "\1\2\3\4\5");
    SET(d, 2, "\\K", "c", RH_REG_EXPAND_SZ, "A\0B\0\0\0");
    rh_reg_doc_free(d);
    /* A file that ends inside a value is cut short: refused with where,
     * though regedit takes EOF after '\' as the end [T Wine17]. */
    static const char *const cut[] = {
        "REGEDIT4\n[\\K]\n\"b\"=hex:01,02,\\\n",            /* open '\' */
        "REGEDIT4\n[\\K]\n\"b\"=hex:01,02,\\\n  03,\\\n\n", /* and blank */
        "REGEDIT4\n[\\K]\n\"b\"=hex:01,02,",                /* after ',' */
        "REGEDIT4\n[\\K]\n\"b\"=hex:01,0",                  /* in a byte */
        "REGEDIT4\n[\\K]\n\"b\"=\"abc",                     /* a string */
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        char err[128] = "";
        rh_reg_doc *c = NULL;
        CHECK(rh_reg_parse(cut[i], strlen(cut[i]), 0, &c, err, sizeof err) ==
              RH_EINVAL);
        CHECK(c == NULL);
        CHECK(err[0] >= '3' && err[0] <= '5' && err[1] == ':');
        CHECK(strstr(err, i == 4 ? "unterminated string" : "cut short"));
    }
}

static void
test_encodings(void)
{
    /* UTF-16LE with BOM, a supplementary character and an unpaired
     * surrogate (kept as the unit in data, WTF-8 in names). */
    const uint16_t w[] = {
        0xFEFF, 'R',    'E',    'G',    'E', 'D',  'I', 'T',    '4', '\r', '\n',
        '[',    '\\',   0xD83D, 0xDE00, ']', '\n', '"', 0xD800, '"', '=',  '"',
        0x20AC, 0xDC00, '"',    '\n',   '"', 'h',  '"', '=',    'h', 'e',  'x',
        '(',    '2',    ')',    ':',    '4', '1',  ',', '0',    '0'};
    uint8_t b[sizeof w];
    for (size_t i = 0; i < sizeof w / 2; i++) {
        b[2 * i] = (uint8_t)w[i];
        b[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    rh_reg_doc *d = parse((const char *)b, sizeof b, 0);
    CHECK(rh_reg_doc_encoding(d) == RH_REG_ENC_UTF16LE);
    CHECK(rh_reg_doc_version(d) == 4);
    KEY(d, 0, "\\\xF0\x9F\x98\x80");
    SET(d, 1, "\\\xF0\x9F\x98\x80", "\xED\xA0\x80", RH_REG_SZ,
        "\xac\x20\x00\xdc\0\0");
    /* REGEDIT4 in a UTF-16 file: hex(2) bytes are UTF-16 already. */
    SET(d, 2, "\\\xF0\x9F\x98\x80", "h", RH_REG_EXPAND_SZ, "A\0\0\0");
    rh_reg_doc_free(d);

    /* UTF-8 with BOM; 5.00 without BOM is UTF-8 too. */
    d = parse(S("\xEF\xBB\xBFWindows Registry Editor Version 5.00\n"
                "[\\\xD0\x9A]\n\"\xC3\xA9\"=\"\xE2\x82\xAC\"\n"),
              0);
    SET(d, 1, "\\\xD0\x9A", "\xC3\xA9", RH_REG_SZ, "\xac\x20\0\0");
    rh_reg_doc_free(d);

    /* REGEDIT4 without BOM: Windows-1252, 0x80 -> U+20AC, 0x9F -> U+0178,
     * 0x81 -> U+0081; hex(2)/hex(7) bytes are ANSI, NUL appended and
     * converted [W prepare_hex_string_data]; hex(1) too. */
    d = parse(S("REGEDIT4\r\n[HKLM\\S\\\x80]\r\n"
                "\"\x9f\x81\"=\"\xe9\"\r\n"
                "\"x\"=hex(2):80,41\r\n"
                "\"m\"=hex(7):41,00,9f,00,00\r\n"
                "\"e\"=hex(7):\r\n"
                "\"b\"=hex:80\r\n"),
              0);
    CHECK(rh_reg_doc_encoding(d) == RH_REG_ENC_CP1252);
    const char *k = "HKLM\\S\\\xE2\x82\xAC";
    KEY(d, 0, k);
    SET(d, 1, k, "\xC5\xB8\xC2\x81", RH_REG_SZ, "\xe9\0\0\0");
    SET(d, 2, k, "x", RH_REG_EXPAND_SZ,
        "\xac\x20"
        "A\0\0\0");
    SET(d, 3, k, "m", RH_REG_MULTI_SZ, "A\0\0\0\x78\x01\0\0\0\0");
    SET(d, 4, k, "e", RH_REG_MULTI_SZ, "");
    SET(d, 5, k, "b", RH_REG_BINARY, "\x80");
    rh_reg_doc_free(d);
    /* --encoding latin1: 0x80 stays U+0080. */
    d = parse(S("REGEDIT4\n[\\\x80]\n"), RH_REG_ENC_LATIN1);
    KEY(d, 0, "\\\xC2\x80");
    rh_reg_doc_free(d);
    /* NUL in a name is an ordinary character (round-trips). */
    d = parse(S("Windows Registry Editor Version 5.00\n[\\a\0b]\n"
                "\"z\0v\"=dword:1\n"),
              0);
    rh_reg_op op;
    CHECK(d && rh_reg_doc_op(d, 0, &op) == 0 && op.keylen == 4 &&
          memcmp(op.key, "\\a\0b", 4) == 0);
    CHECK(d && rh_reg_doc_op(d, 1, &op) == 0 && op.namelen == 3 &&
          memcmp(op.name, "z\0v", 3) == 0 && op.len == 4);
    rh_reg_doc_free(d);
}

static void
test_keys(void)
{
    /* The name ends at the last ']'; trailing '\' kept as written;
     * [-\...] form. */
    rh_reg_doc *d = parse(S("Windows Registry Editor Version 5.00\n"
                            "[HKCU\\a]b]\n[HKCU\\c\\]\n[-\\x\\y]\n[HKCU\\d]\n"),
                          0);
    KEY(d, 0, "HKCU\\a]b");
    KEY(d, 1, "HKCU\\c\\");
    DELKEY(d, 2, "\\x\\y");
    KEY(d, 3, "HKCU\\d");
    rh_reg_doc_free(d);
}

static void
test_map(void)
{
    const char *rest;
    size_t n;
#define MAP(p, pre, want)                                                      \
    do {                                                                       \
        int rc_ = rh_reg_map_key(p, strlen(p), pre, &rest, &n);                \
        CHECK(rc_ == 0 && n == strlen(want) && memcmp(rest, want, n) == 0);    \
    } while (0)
    MAP("\\", NULL, "");
    MAP("\\A\\B", NULL, "A\\B");
    MAP("\\A\\B\\\\", "HKLM\\X", "A\\B");
    MAP("HKEY_LOCAL_MACHINE\\SYSTEM\\Select", "HKLM\\system", "Select");
    MAP("hklm\\SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM\\", "");
    MAP("HKCU\\Software\\x", "HKEY_CURRENT_USER", "Software\\x");
    CHECK(rh_reg_map_key(S("HKLM\\SOFTWARE\\x"), "HKLM\\SYSTEM", &rest, &n) ==
          RH_ENOTFOUND);
    CHECK(rh_reg_map_key(S("HKLM\\SYSTEMX"), "HKLM\\SYSTEM", &rest, &n) ==
          RH_ENOTFOUND);
    CHECK(rh_reg_map_key(S("HKLM\\SYSTEM"), NULL, &rest, &n) == RH_ENOTFOUND);
    CHECK(rh_reg_map_key(S("\\a\\\\b"), NULL, &rest, &n) == RH_EINVAL);
    CHECK(rh_reg_auto_prefix(S("HKEY_LOCAL_MACHINE\\SYSTEM\\x")) == 25);
    CHECK(rh_reg_auto_prefix(S("HKU\\S-1-5-18\\x")) == 12);
    CHECK(rh_reg_auto_prefix(S("HKEY_CURRENT_USER\\Software")) == 17);
    CHECK(rh_reg_auto_prefix(S("HKLM")) == 0);
    CHECK(rh_reg_auto_prefix(S("FOO\\bar")) == 0);
}

static void
test_errors(void)
{
    ERR("", "1:1:");
    ERR("REGEDIT5\n[\\a]\n", "1:1:");
    ERR("  regedit4\n", "1:3:");
    ERR("REGEDIT4 \n", "1:1:");
    ERR("REGEDIT\n", "1:1:");
    ERR("Windows Registry Editor Version 4.00\n", "1:1:");
    ERR("\xFE\xFF\0R", "1:1:");
    /* Truncated and unterminated lines. */
    ERR("REGEDIT4\n[\\a]\n\"v\"=\"abc\n", "3:9:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=\n", "3:5:");
    ERR("REGEDIT4\n[\\a]\n\"v\n", "3:3:");
    ERR("REGEDIT4\n[\\a\n", "2:4:");
    ERR("REGEDIT4\n[\\a]x\n", "2:5:");
    ERR("REGEDIT4\n[ \\a]\n", "2:2:");
    ERR("REGEDIT4\n[]\n", "2:2:");
    ERR("REGEDIT4\n[- \\a]\n", "2:3:");
    ERR("REGEDIT4\n[\\a]\n\"v\" \"x\"\n", "3:5:");
    ERR("REGEDIT4\n[\\a]\nv=\"x\"\n", "3:1:");
    ERR("REGEDIT4\n\"v\"=\"x\"\n", "2:1:");
    ERR("REGEDIT4\n[-\\a]\n\"v\"=\"x\"\n", "3:1:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=\"x\"y\n", "3:8:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=\"x\"#c\n", "3:8:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=\"\\0\"\n", "3:6:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=-x\n", "3:6:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=str:\"x\"\n", "3:5:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=DWORD:1\n", "3:5:");
    /* dword. */
    ERR("REGEDIT4\n[\\a]\n\"v\"=dword:\n", "3:11:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=dword:123456789\n", "3:11:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=dword:0x1\n", "3:12:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=dword:12 34\n", "3:14:");
    /* Bad hex. */
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:1g\n", "3:10:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:100\n", "3:9:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:01,,02\n", "3:12:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:01 ,02\n", "3:12:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:01\\\n  02\n", "3:11:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:01,\\x\n", "3:13:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:01,\\\n  ,02\n", "4:3:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:01,\\\n\"w\"=dword:1\n", "4:1:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex:01,\\\n#c\n  02\n", "4:1:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex(0x2):01\n", "3:10:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex(100000000):01\n", "3:9:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex():01\n", "3:9:");
    ERR("REGEDIT4\n[\\a]\n\"v\"=hex(2:01\n", "3:10:");
    /* Invalid UTF-8 and UTF-16. */
    ERR("Windows Registry Editor Version 5.00\n[\\\xC3(]\n", "2:3:");
    ERR("Windows Registry Editor Version 5.00\n[\\\xE2\x82]\n", "2:3:");
    ERR("Windows Registry Editor Version 5.00\n\xC0\x80\n", "2:1:");
    ERR("\xFF\xFER\0E\0G\0E\0D\0I\0T\0"
        "4\0\n\0[\0",
        "2:2:");
    err_at(S("REGEDIT4\n[\\a]\n\"v\"=hex(2):c3,28\n"), RH_REG_ENC_UTF8,
           "3:12:", __LINE__);
}

/* A 10 MB line, parsed in time linear in its size; and a 10 MB line
 * with an error at its end gives the right column. */
static void
test_big_line(void)
{
    size_t nbytes = 10u << 20, pre = 18, n3 = nbytes / 3;
    char *b = malloc(pre + n3 * 3 + 16);
    CHECK(b != NULL);
    if (!b)
        return;
    memcpy(b, "REGEDIT4\n[\\a]\n\"v\"=hex:", 22);
    size_t p = 22;
    for (size_t i = 0; i < n3; i++) {
        memcpy(b + p, "ab,", 3);
        p += 3;
    }
    b[p - 1] = '\n';
    rh_reg_doc *d = parse(b, p, 0);
    rh_reg_op op;
    CHECK(d && rh_reg_doc_op(d, 1, &op) == 0 && op.len == n3 &&
          op.data[0] == 0xab && op.data[n3 - 1] == 0xab);
    rh_reg_doc_free(d);
    /* Same line, last byte bad: error column = its position. */
    b[p - 2] = 'g';
    char want[32];
    snprintf(want, sizeof want, "3:%zu:", p - 2 - 14 + 1);
    err_at(b, p, 0, want, __LINE__);
    /* A 10 MB string value. */
    pre = 14 + 4; /* "v"= */
    memcpy(b + pre, "\"", 1);
    memset(b + pre + 1, 'x', n3 * 3 - 8);
    b[pre + n3 * 3 - 7] = '"';
    d = parse(b, pre + n3 * 3 - 6, 0);
    CHECK(d && rh_reg_doc_op(d, 1, &op) == 0 && op.len == 2 * (n3 * 3 - 8) + 2);
    rh_reg_doc_free(d);
    free(b);
}

int
main(void)
{
    test_basic();
    test_escapes_and_blanks();
    test_hex_types();
    test_continuation();
    test_encodings();
    test_keys();
    test_map();
    test_errors();
    test_big_line();
    return T_DONE();
}
