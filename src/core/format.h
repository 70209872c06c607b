/*
 * format.h - offsets and sizes of regf structures.
 *
 * Sources: msuhanov/regf "Windows registry file format specification",
 * libregf's format notes, and Windows' CM_KEY_* structures.  Cell-relative
 * offsets count from the first byte after the 4-byte cell size.
 */
#ifndef RH_FORMAT_H
#define RH_FORMAT_H

/* Base block (4096 bytes at file offset 0). */
#define BASE_SIZE 4096
#define BASE_SIG 0x00 /* "regf" */
#define BASE_SEQ1 0x04
#define BASE_SEQ2 0x08
#define BASE_TIME 0x0C
#define BASE_MAJOR 0x14
#define BASE_MINOR 0x18
#define BASE_TYPE 0x1C
#define BASE_FORMAT 0x20
#define BASE_ROOT 0x24
#define BASE_BINS_SIZE 0x28
#define BASE_CLUSTER 0x2C
#define BASE_NAME 0x30 /* 64 bytes UTF-16LE */
#define BASE_NAME_SIZE 64
#define BASE_RMID 0x70  /* GUID of the hive's KTM resource manager */
#define BASE_LOGID 0x80 /* GUID naming its CLFS log (usually = RmId) */
#define BASE_FLAGS 0x90
#define BASE_TMID 0x94     /* GUID naming its TM log stream */
#define BASE_GUID_SIG 0xA4 /* "rmtm" when the three GUIDs are set */
#define BASE_GUID_SIZE 16
#define BASE_REORG_TIME 0xA8
#define BASE_CHECKSUM 0x1FC /* XOR of the 127 dwords before it */
#define BASE_BOOT_TYPE 0xFF8
#define BASE_BOOT_RECOVER 0xFFC

/* Hive bin header (32 bytes). */
#define HBIN_HDR 32
#define HBIN_SIG 0x00    /* "hbin" */
#define HBIN_OFFSET 0x04 /* from the first bin */
#define HBIN_SIZE 0x08   /* multiple of 4096 */
#define HBIN_TIME 0x14
#define HBIN_PAGE 4096

/* Key node "nk". */
#define NK_FLAGS 0x02
#define NK_TIME 0x04
#define NK_ACCESS 0x0C
#define NK_PARENT 0x10
#define NK_NSUBKEYS 0x14
#define NK_NVSUBKEYS 0x18
#define NK_SUBKEYS 0x1C
#define NK_VSUBKEYS 0x20
#define NK_NVALUES 0x24
#define NK_VALUES 0x28
#define NK_SECURITY 0x2C
#define NK_CLASS 0x30
#define NK_MAXNAME 0x34 /* bits 0-15; user flags 16-19; virt 20-23 */
#define NK_MAXCLASS 0x38
#define NK_MAXVALNAME 0x3C
#define NK_MAXVALDATA 0x40
#define NK_WORKVAR 0x44
#define NK_NAMELEN 0x48
#define NK_CLASSLEN 0x4A
#define NK_NAME 0x4C
#define NK_COMP_NAME 0x0020u /* in NK_FLAGS: name stored as Latin-1 */

/* Key value "vk". */
#define VK_NAMELEN 0x02
#define VK_DATALEN 0x04 /* bit 31: data stored in VK_DATA itself */
#define VK_DATA 0x08
#define VK_TYPE 0x0C
#define VK_FLAGS 0x10 /* 1: name compressed */
#define VK_NAME 0x14
#define VK_COMP_NAME 0x0001u
#define VK_INLINE 0x80000000u

/* Security key "sk". */
#define SK_FLINK 0x04
#define SK_BLINK 0x08
#define SK_REFS 0x0C
#define SK_SDLEN 0x10
#define SK_SD 0x14

/* Subkey lists "li" "lf" "lh" "ri": signature, u16 count, elements. */
#define LIST_COUNT 0x02
#define LIST_ELEMS 0x04

/* Big data "db": u16 segment count, u32 offset of the segment list. */
#define DB_COUNT 0x02
#define DB_LIST 0x04
#define DB_SEGMENT 16344 /* bytes of data per segment (CM_KEY_VALUE_BIG) */

/* Cell offset meaning "none". */
#define CELL_NIL 0xFFFFFFFFu

#endif
