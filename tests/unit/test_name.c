/* Unit tests: name encodings, Windows uppercase, lh hash, span reads. */
#include "t.h"

#include "name.h"

#include <stdlib.h>
#include <string.h>

static void
test_upcase(void)
{
    CHECK(upcase('a') == 'A');
    CHECK(upcase('Z') == 'Z');
    CHECK(upcase(0x00E4) == 0x00C4); /* a umlaut */
    CHECK(upcase(0x00DF) == 0x00DF); /* sharp s: no one-unit uppercase */
    CHECK(upcase(0x00FF) == 0x0178); /* y diaeresis */
    CHECK(upcase(0x043F) == 0x041F); /* Cyrillic pe */
    CHECK(upcase(0xD801) == 0xD801); /* surrogates stay */
}

/* Issue 12: letters whose full uppercase is several characters but whose
 * simple uppercase (UnicodeData field 12) is one: the table used to skip
 * them.  25 map as UnicodeData says (and as Windows' $UpCase has them). */
static void
test_upcase_simple(void)
{
    static const uint16_t firsts[] = {0x1F80, 0x1F90, 0x1FA0};
    int n = 0;
    for (size_t r = 0; r < 3; r++)
        for (uint16_t c = firsts[r]; c < firsts[r] + 8; c++) {
            CHECK(upcase(c) == c + 8);
            CHECK(upcase((uint16_t)(c + 8)) == c + 8); /* capitals stay */
            n++;
        }
    CHECK(upcase(0x1FB3) == 0x1FBC);
    CHECK(upcase(0x1FBC) == 0x1FBC);
    n++;
    /* The other two of the 27 differ in Windows' table (NTFS $UpCase of
     * Vista+): it keeps U+1FC3/1FF3 and maps the capitals down to them.
     * Either way each pair is one name; the lh hash takes Windows'. */
    CHECK(upcase(0x1FC3) == 0x1FC3 && upcase(0x1FCC) == 0x1FC3);
    CHECK(upcase(0x1FF3) == 0x1FF3 && upcase(0x1FFC) == 0x1FF3);
    n += 2;
    CHECK(n == 27);
    /* Letters whose uppercase does not lowercase back: Windows leaves them
     * (so "\u0131" is not "I"), unlike UnicodeData. */
    CHECK(upcase(0x0131) == 0x0131); /* dotless i */
    CHECK(upcase(0x017F) == 0x017F); /* long s */
    CHECK(upcase(0x00B5) == 0x00B5); /* micro sign */
    CHECK(upcase(0x01C5) == 0x01C5); /* titlecase Dz */
    CHECK(upcase(0x03C2) == 0x03A3); /* final sigma: Windows upcases it */
    CHECK(upcase(0x2C65) == 0x2C65 && upcase(0x023A) == 0x2C65);
}

/* lf hints as Windows 10's CmpCheckLeaf computes them. */
static void
test_hint(void)
{
    uint8_t comp[] = {'a', 'B', 'c', 'd', 'e'};
    CHECK(name_hint((span){comp, 5}, 1) == 0x64634261); /* case kept */
    CHECK(name_hint((span){comp, 2}, 1) == 0x4261);     /* zero padded */
    uint8_t hi[] = {0x9F};
    CHECK(name_hint((span){hi, 1}, 1) == 0x9F);
    uint8_t w[] = {'a', 0, 'b', 0, 'c', 0, 0x0D, 0xF0, 'e', 0};
    CHECK(name_hint((span){w, 10}, 0) == 0); /* U+F00D in the first four */
    CHECK(name_hint((span){w + 2, 8}, 0) == 0);
    uint8_t l1[] = {0xE9, 0, 'x', 0, 'y', 0, 'z', 0, 0x0D, 0xF0};
    CHECK(name_hint((span){l1, 10}, 0) == 0x7A7978E9); /* fifth: ignored */
}

static void
test_utf(void)
{
    uint16_t q[16];
    CHECK(utf8_to_utf16("abc", 3, q, 16) == 3);
    CHECK(utf8_to_utf16("\xc3\xa4", 2, q, 16) == 1 && q[0] == 0xE4);
    /* U+10400 becomes a surrogate pair. */
    CHECK(utf8_to_utf16("\xf0\x90\x90\x80", 4, q, 16) == 2 && q[0] == 0xD801 &&
          q[1] == 0xDC00);
    /* WTF-8 lone surrogate round-trips. */
    CHECK(utf8_to_utf16("\xed\xa0\x81", 3, q, 16) == 1 && q[0] == 0xD801);
    CHECK(utf8_to_utf16("\xc3", 1, q, 16) == -1);
    CHECK(utf8_to_utf16("\xc0\x80", 2, q, 16) == -1); /* overlong */
    CHECK(utf8_to_utf16("abcd", 4, q, 3) == -1);      /* no room */

    uint8_t raw[] = {0x01, 0xD8, 0x00, 0xDC, 0x41, 0x00, 0x02, 0xD8};
    sbuf b = {0};
    name_to_utf8((span){raw, sizeof raw}, 0, &b);
    CHECK(b.n == 4 + 1 + 3 && memcmp(b.p,
                                     "\xf0\x90\x90\x80"
                                     "A"
                                     "\xed\xa0\x82",
                                     8) == 0);
    b.n = 0;
    uint8_t l1[] = {'x', 0xEB};
    name_to_utf8((span){l1, 2}, 1, &b);
    CHECK(b.n == 3 && memcmp(b.p, "x\xc3\xab", 3) == 0);
    sbuf_free(&b);
}

static void
test_cmp_hash(void)
{
    uint16_t q[] = {'A', 'B', 'C'};
    uint8_t comp[] = {'a', 'b', 'c'};
    uint8_t wide[] = {'a', 0, 'B', 0, 'c', 0};
    CHECK(name_cmp((span){comp, 3}, 1, q, 3) == 0);
    CHECK(name_cmp((span){wide, 6}, 0, q, 3) == 0);
    CHECK(name_cmp((span){comp, 2}, 1, q, 3) < 0);
    CHECK(name_hash((span){comp, 3}, 1) == lh_hash(q, 3));
    CHECK(lh_hash(q, 3) == ((uint32_t)'A' * 37 + 'B') * 37 + 'C');
}

static void
test_span(void)
{
    uint8_t d[] = {1, 2, 3, 4, 5};
    span s = {d, 5};
    CHECK(rd_u32(s, 0) == 0x04030201);
    CHECK(rd_u32(s, 2) == 0); /* past the end reads as 0 */
    CHECK(rd_u16(s, 4) == 0);
    CHECK(!span_has(s, 6, 0));
    CHECK(span_has(s, 5, 0));
    CHECK(!span_has(s, 1, (size_t)-1));
    size_t r;
    CHECK(!ck_mul((size_t)-1, 2, &r));
    CHECK(!ck_add((size_t)-1, 1, &r));
}

int
main(void)
{
    test_upcase();
    test_upcase_simple();
    test_hint();
    test_utf();
    test_cmp_hash();
    test_span();
    return T_DONE();
}
