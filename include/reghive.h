/*
 * reghive.h - read, check, edit and export Windows registry hive files
 * (regf) offline: the whole stable interface.  (reghive_sys.h adds what
 * only the reghive tool, its tests and fuzzers use; it may change.)
 *
 * Handles: one opaque rh_hive per open hive.  Keys and values are their
 * cell offsets (rh_key, rh_value): nothing to free; 0 means "none".
 *
 * Names are rh_<noun>_<verb>, and a key's subkeys and values are read
 * alike: rh_key_subkey / rh_key_value (one by name), rh_key_subkeys /
 * rh_key_values (all, in an array), rh_key_subkeys_foreach /
 * rh_key_values_foreach (a callback each); rh_key_walk for a subtree.
 * Callback types are typedefs (rh_*_fn).
 *
 * Errors: every int-returning function returns 0 on success (or a
 * positive value where it says so) or a negative RH_E* code.  The last
 * error is kept in the hive, not in globals: rh_errmsg() gives its
 * message (a corruption names its file offset), rh_errno() the errno
 * behind an RH_EIO.
 *
 * Rules, once for the whole API:
 *  1. Anything returned through `char **`, `void **` or a `T **` array is
 *     malloc'd; the caller releases it with one free() (an array of
 *     strings from rh_value_strings is one block).  When the call fails,
 *     that output is NULL (and its length or count 0), so free() is
 *     safe.
 *  2. A returned `const T *` is borrowed: valid until the next call that
 *     changes the hive (an edit, rh_compact, rh_commit) or rh_close().
 *     rh_errmsg() and rh_warnings() text: until the next call on that
 *     hive.  Static strings (rh_strerror, rh_type_name, rh_version):
 *     always.
 *  3. rh_key and rh_value handles stay valid until rh_close(), except:
 *     deleting a key invalidates the handles of the key, its subtree and
 *     their values; deleting a value invalidates its handle; rh_key_rename
 *     may move the key (use the handle it returns); rh_compact invalidates
 *     every handle.  rh_value_set keeps the handle of a value it replaces.
 *  4. The library keeps no caller pointer after a call returns, except
 *     the buffer given to rh_open_mem() without RH_OPEN_WRITE, which it
 *     borrows (unchanged, read-only) until rh_close().
 *  5. Threads: one rh_hive is used by one thread at a time, for reads too
 *     (a read records its error in the hive and may validate bins as it
 *     goes); distinct hives may be used by distinct threads at once, and
 *     functions without a hive (rh_reg_parse, rh_recover_mem, ...) are
 *     reentrant.  Callbacks may read the hive they are called for, never
 *     change it.
 *
 * Strings are UTF-8 with an explicit length where names may hold NUL.
 * UTF-16 that is not well formed (unpaired surrogates) is carried as WTF-8
 * (the surrogate encoded as a 3-byte sequence), so names round-trip.
 *
 * What opening, walking and editing cost in memory and time: README.md,
 * "Limits".
 */
#ifndef REGHIVE_H
#define REGHIVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(RH_BUILDING)
#define RH_API __attribute__((visibility("default")))
#else
#define RH_API
#endif

/* Version of this header; rh_version() gives the library's. */
#define RH_VERSION_MAJOR 0
#define RH_VERSION_MINOR 1
#define RH_VERSION_PATCH 0
#define RH_VERSION "0.1.0"

/* The library's version string ("0.1.0"), to compare with RH_VERSION
 * when the library is linked dynamically. */
RH_API const char *rh_version(void);

typedef struct rh_hive rh_hive; /* opaque */
typedef uint32_t rh_key;        /* nk cell offset (from first hbin); 0 none */
typedef uint32_t rh_value;      /* vk cell offset; 0 none */

/* Return codes. */
enum {
    RH_OK = 0,
    RH_ECORRUPT = -1,  /* the file breaks a structural rule */
    RH_ENOTFOUND = -2, /* no such key or value */
    RH_ENOMEM = -3,
    RH_EIO = -4,       /* open/read/write/mmap failed (errno text in msg) */
    RH_EINVAL = -5,    /* bad argument */
    RH_ERANGE = -6,    /* a limit was reached (depth, size) */
    RH_EREADONLY = -7, /* write call on a hive opened read-only */
    RH_ECANCEL = -8    /* a callback asked to stop */
};

/* Open flags. */
#define RH_OPEN_WRITE 0x1u   /* edit a private copy; see rh_commit */
#define RH_OPEN_RECOVER 0x2u /* tolerate damaged bins: skip, don't refuse */
#define RH_OPEN_NOLOGS 0x4u  /* do not look for or apply transaction logs */

/* Value types (winnt.h). */
enum {
    RH_REG_NONE = 0,
    RH_REG_SZ = 1,
    RH_REG_EXPAND_SZ = 2,
    RH_REG_BINARY = 3,
    RH_REG_DWORD = 4,
    RH_REG_DWORD_BIG_ENDIAN = 5,
    RH_REG_LINK = 6,
    RH_REG_MULTI_SZ = 7,
    RH_REG_RESOURCE_LIST = 8,
    RH_REG_FULL_RESOURCE_DESCRIPTOR = 9,
    RH_REG_RESOURCE_REQUIREMENTS_LIST = 10,
    RH_REG_QWORD = 11
};

/* Key flags (rh_key_stat.flags: Windows CM_KEY_NODE.Flags as stored).
 * Other bits are storage details (0x0020: the name is stored in Latin-1;
 * rh_key_name decodes either form). */
#define RH_KEY_VOLATILE 0x0001u
#define RH_KEY_HIVE_EXIT 0x0002u
#define RH_KEY_HIVE_ENTRY 0x0004u
#define RH_KEY_NO_DELETE 0x0008u
#define RH_KEY_SYM_LINK 0x0010u

/* Deepest key nesting followed (Windows: 512 levels). */
#define RH_MAX_DEPTH 512

/* Largest value data read or written: 1 GiB, above the largest big data
 * value the format can hold (65535 segments of 16344 bytes). */
#define RH_MAX_VALUE_SIZE 0x40000000u

/* ---- opening ---------------------------------------------------------- */

/* Open the hive file at path read-only (mmap).  A dirty hive is recovered
 * in memory from the logs next to it (see "transaction logs" below)
 * unless flags has RH_OPEN_NOLOGS.  *out is set even on failure (except
 * RH_ENOMEM) so rh_errmsg() can explain; always close it.
 * Every bin header is checked at open; a bin's cells are checked when a
 * cell in it is first read (rh_check checks all), so a damaged bin that
 * an edit never touches is reported by rh_check, not by the edit.
 * With RH_OPEN_WRITE the file is locked (an open file description lock,
 * where the file system has them) until rh_close(): a second writable
 * open of it fails with RH_EIO ("in use"); read-only opens do not lock. */
RH_API int rh_open(const char *path, unsigned flags, rh_hive **out);

/* Open a hive image in memory; buf is borrowed until rh_close() (copied
 * instead with RH_OPEN_WRITE). */
RH_API int rh_open_mem(const void *buf, size_t len, unsigned flags,
                       rh_hive **out);

/* ---- transaction logs (dirty hives) ---------------------------------- *
 * A hive is dirty when its base block sequence numbers differ or its
 * checksum is wrong: its newest changes are in HIVE.LOG1/HIVE.LOG2 (new
 * format, "HvLE" entries, Windows 8.1+) or HIVE.LOG (old format, "DIRT"
 * vector).  rh_open() of a dirty hive looks for those files next to it
 * (names matched case-insensitively), validates them (base block checksum,
 * entry hashes, sequence numbers, page bounds) and replays them in memory
 * as Windows does, stopping at the first invalid entry.  rh_warnings()
 * then says so and rh_log_report() tells what was applied.  A log whose
 * base block is not the primary's (last-written timestamp, as Windows
 * compares it; hive GUIDs and file name) belongs to another hive and is
 * never applied.  The recovered image is used only when it checks clean
 * (rh_check); otherwise, or when no log can be applied, the primary is
 * opened as it is, with a warning (Windows would refuse to load such a
 * hive; a forensic reader still wants it).  A clean hive's logs are never
 * replayed (they hold already-applied or stale entries). */

#define RH_MAX_LOGS 3 /* logs considered for one hive */

enum { RH_LOG_UNUSABLE = 0, RH_LOG_OLD = 1, RH_LOG_NEW = 2 };

typedef struct rh_log_info {
    char name[160];        /* path as found or given (may be cut) */
    int format;            /* RH_LOG_* (UNUSABLE: base block rejected) */
    uint32_t seq1, seq2;   /* the log's base block sequence numbers */
    uint64_t last_written; /* the log's base block timestamp */
    uint32_t entries;      /* new: consecutive valid entries; old: pages */
    uint32_t first_seq;    /* sequence number of the first valid entry */
    uint32_t last_seq;     /* ... and of the last one */
    uint32_t applied;      /* entries (new) or 512-byte pages (old) used */
    char note[200];        /* why rejected, or where the entries end */
    int foreign;           /* its base block belongs to another hive */
} rh_log_info;

typedef struct rh_recovery {
    int dirty;           /* the primary needed recovery */
    int applied;         /* the image read is the recovered one (it
                            checked clean) */
    int base_from_log;   /* the primary base block was rebuilt */
    uint32_t seq1, seq2; /* the primary's sequence numbers */
    uint32_t final_seq;  /* sequence number after recovery */
    uint32_t bins_size;  /* hive bins size after recovery */
    uint32_t entries;    /* log entries applied (new format) */
    uint32_t pages;      /* dirty pages written */
    size_t nlogs;        /* entries used in logs[] */
    rh_log_info logs[RH_MAX_LOGS];
    char status[200]; /* one-line summary */
} rh_recovery;

/* Open path like rh_open(), but with the transaction logs named
 * explicitly (nlogs <= RH_MAX_LOGS; none are searched for). */
RH_API int rh_open_logs(const char *path, const char *const *logs, size_t nlogs,
                        unsigned flags, rh_hive **out);

/* What happened to the logs when h was opened (a copy into *out). */
RH_API int rh_log_report(rh_hive *h, rh_recovery *out);

/* Recover a hive image from log images, all in memory: on success *out is
 * a malloc'd clean image (sequence numbers equal, bins size and checksum
 * updated, rh_check clean) or NULL when nothing was applied (clean hive,
 * no usable log, or a recovered image that does not check clean); *rep
 * (optional) tells why.  names may be NULL. */
RH_API int rh_recover_mem(const void *hive, size_t len, const void *const *logs,
                          const size_t *loglens, const char *const *names,
                          size_t nlogs, void **out, size_t *outlen,
                          rh_recovery *rep);

/* Release the hive and everything it owns.  NULL is ignored. */
RH_API void rh_close(rh_hive *h);

/* Message of the last error on h (borrowed; "" if none). */
RH_API const char *rh_errmsg(const rh_hive *h);

/* The errno of the system call behind h's last error when that error was
 * RH_EIO (ENOENT for a missing file, EACCES, EISDIR for a directory,
 * ENODEV for another file that cannot be mapped, EAGAIN for a hive in
 * use, ENOSPC ...); 0 when the last error was another code, or an RH_EIO
 * refusal no system call failed for (a file changed since it was
 * opened).  Like rh_errmsg(), it describes the last failed call on h. */
RH_API int rh_errno(const rh_hive *h);

/* Static name of a return code, e.g. "corrupt hive". */
RH_API const char *rh_strerror(int rc);

/* Warnings found while opening (bad checksum, dirty hive, ...), one per
 * line, borrowed; "" if none. */
RH_API const char *rh_warnings(const rh_hive *h);

/* ---- limits ----------------------------------------------------------- *
 * Resource policy (README.md "Limits"): no input makes the library
 * allocate more than the bitmaps (1 bit per 8 bytes of bins: file size /
 * 64 at open, the same again during a walk of check, export or stats),
 * one value's data, one key's subkey or value array (bounded by its list
 * cell, so by the file size) and output buffers; nor recurse deeper than
 * the depth limit.  Every hive starts with the maximum limits; a caller
 * may tighten them per hive (never raise them above the maximum). */

enum {
    /* Key nesting followed below the starting key by rh_check, rh_export,
     * rh_hive_stats and rh_key_path (0 .. 512, default RH_MAX_DEPTH).
     * Deeper: RH_ERANGE (a corruption at the maximum; rh_check reports a
     * problem and skips the subtree).  rh_key_delete always uses the
     * maximum, so that it never stops half way. */
    RH_LIMIT_DEPTH = 1,
    /* Value data length read (rh_value_data, rh_value_data_buf, rh_export,
     * CurrentControlSet in lookups) or written (rh_value_set), in bytes
     * (0 .. RH_MAX_VALUE_SIZE, the default).  Longer: RH_ERANGE (at the
     * default, a stored length that long is a corruption). */
    RH_LIMIT_VALUE_SIZE = 2
};

/* Set limit which (RH_LIMIT_*) of h to value.  RH_EINVAL for an unknown
 * limit or a value above the maximum. */
RH_API int rh_limit_set(rh_hive *h, int which, uint64_t value);

/* Current value of limit which into *value. */
RH_API int rh_limit_get(const rh_hive *h, int which, uint64_t *value);

/* ---- the hive --------------------------------------------------------- */

typedef struct rh_info {
    uint32_t seq1, seq2;        /* primary / secondary sequence numbers */
    uint64_t last_written;      /* FILETIME */
    uint32_t major, minor;      /* format version, 1.2 .. 1.6 */
    uint32_t file_type;         /* 0 primary */
    uint32_t file_format;       /* 1 direct memory load */
    uint32_t root;              /* root cell offset */
    uint32_t bins_size;         /* hive bins data size from the base block */
    uint32_t checksum;          /* stored */
    uint32_t checksum_computed; /* computed over the first 508 bytes */
    uint64_t file_size;         /* bytes in the image */
    int dirty;                  /* seq1 != seq2 */
    char file_name[96];         /* embedded name, UTF-8 (last 64 bytes) */
} rh_info;

/* Fill *out with base block fields. */
RH_API int rh_hive_info(rh_hive *h, rh_info *out);

typedef struct rh_stats {
    uint64_t keys, values; /* reachable from the root */
    uint64_t value_bytes;  /* total value data length */
    uint64_t bins;         /* number of hive bins */
    uint64_t used_bytes;   /* bytes in allocated cells */
    uint64_t free_bytes;   /* bytes in free cells */
    uint64_t used_cells, free_cells;
} rh_stats;

/* Walk bins and tree and count.  Fails on the first corruption met. */
RH_API int rh_hive_stats(rh_hive *h, rh_stats *out);

/* The root key. */
RH_API rh_key rh_hive_root(rh_hive *h);

/* What h is: the registry root Windows loads it under, into buf (cap
 * bytes), e.g. "HKEY_LOCAL_MACHINE\SYSTEM", "HKEY_USERS\.DEFAULT",
 * "HKEY_CURRENT_USER" (NTUSER.DAT), "HKEY_CURRENT_USER\Software\Classes"
 * (UsrClass.dat); "" when unknown (hives made by rh_create or hivex,
 * Amcache.hve).  Known from the base block's embedded file name, else
 * from the contents (Select + ControlSet00N: SYSTEM; Microsoft\Windows
 * NT\CurrentVersion: SOFTWARE; SAM\Domains; Policy + RXACT: SECURITY;
 * Software + Control Panel: a user hive).  RH_ERANGE if cap is too small
 * (64 bytes always suffice). */
RH_API int rh_hive_kind(rh_hive *h, char *buf, size_t cap);

/* The registry root at the start of path (len bytes; HKLM\SYSTEM,
 * HKEY_USERS\<SID>, HKCU, HKCR, ...): *rootlen gets its length in bytes
 * (0 when path starts with no standard root) when it names h, or when
 * h's kind is unknown (then HKLM\X and HKU\X are two components, the
 * other roots one).  RH_EINVAL, with a message naming both, when it names
 * another hive (HKLM\SOFTWARE in a SYSTEM hive, HKCU in SAM, HKCR or HKCC
 * in any hive but UsrClass.dat).  rh_key_lookup, rh_key_create_path and
 * rh_reg_apply's automatic mapping all follow this rule. */
RH_API int rh_path_root(rh_hive *h, const char *path, size_t len,
                        size_t *rootlen);

/* ---- keys ------------------------------------------------------------- */

typedef struct rh_key_stat {
    uint16_t flags;        /* RH_KEY_* */
    uint64_t last_written; /* FILETIME */
    uint32_t parent;       /* parent cell offset as stored */
    uint32_t nsubkeys;     /* stable subkey count as stored */
    uint32_t nvalues;      /* value count as stored */
    uint32_t security;     /* sk cell offset */
    uint32_t class_len;    /* class name length in bytes (UTF-16) */
    uint32_t access_bits;  /* access bits / layered-key fields at 0x0C */
    uint32_t user_flags;   /* bits 16..19 of 0x34 (Wow64 flags) */
    uint32_t virt_flags;   /* bits 20..23 of 0x34 */
} rh_key_stat;

RH_API int rh_key_stat_get(rh_hive *h, rh_key k, rh_key_stat *out);

/* Key name as UTF-8 (malloc'd, NUL-terminated); *len, if not NULL, gets
 * the byte length (names may contain NUL). */
RH_API int rh_key_name(rh_hive *h, rh_key k, char **out, size_t *len);

/* Key name as UTF-8 into buf (cap bytes, NUL-terminated); *len gets its
 * length.  RH_ERANGE if cap is too small (*len then says how many bytes
 * are needed, without the NUL).  Never allocates. */
RH_API int rh_key_name_buf(rh_hive *h, rh_key k, char *buf, size_t cap,
                           size_t *len);

/* Class name as UTF-8 (malloc'd); RH_ENOTFOUND if the key has none. */
RH_API int rh_key_class(rh_hive *h, rh_key k, char **out, size_t *len);

/* Security descriptor bytes (malloc'd copy of the sk cell's descriptor). */
RH_API int rh_key_security(rh_hive *h, rh_key k, void **sd, size_t *len);

/* Called for each key of an iteration: return 0 to go on; any other
 * value stops the iteration, which returns it. */
typedef int (*rh_key_fn)(void *ctx, rh_key k);

/* Call fn(ctx, child) for every subkey in list order (sorted by Windows'
 * uppercase order). */
RH_API int rh_key_subkeys_foreach(rh_hive *h, rh_key k, rh_key_fn fn,
                                  void *ctx);

/* All subkeys in a malloc'd array. */
RH_API int rh_key_subkeys(rh_hive *h, rh_key k, rh_key **out, size_t *n);

/* Child by name, case-insensitive with Windows' uppercase rules.
 * name is UTF-8 of namelen bytes.  RH_ENOTFOUND if absent. */
RH_API int rh_key_subkey(rh_hive *h, rh_key parent, const char *name,
                         size_t namelen, rh_key *out);

/* Path lookup from the root: '\'-separated, case-insensitive; "" or "\"
 * is the root.  A leading root prefix naming the hive (HKLM\SYSTEM\,
 * HKEY_LOCAL_MACHINE\SOFTWARE\, HKU\<sid>\, HKCU\ ...) is stripped when
 * the rest resolves.  In a SYSTEM hive, CurrentControlSet resolves through
 * Select\Current to ControlSet00N. */
RH_API int rh_key_lookup(rh_hive *h, const char *path, rh_key *out);

/* Parent key (0 for the root).  */
RH_API int rh_key_parent(rh_hive *h, rh_key k, rh_key *out);

/* Full path from the root (malloc'd UTF-8, "" for the root). */
RH_API int rh_key_path(rh_hive *h, rh_key k, char **out, size_t *len);

/* Called by rh_key_walk for each key, with its depth below the start key
 * (0 for the start key itself): return 0 to go on into its subkeys,
 * RH_WALK_SKIP to pass them by, or any other value to stop the walk,
 * which returns that value (RH_WALK_STOP, or an RH_E* code).  fn may read
 * h but not change it. */
typedef int (*rh_walk_fn)(void *ctx, rh_key k, unsigned depth);
enum { RH_WALK_SKIP = 1, RH_WALK_STOP = 2 };

/* Visit start and its subtree in pre-order (a key, then each subkey's
 * subtree in list order).  Bounded as rh_export: a key nested deeper
 * than the depth limit is RH_ERANGE or a corruption (see RH_LIMIT_DEPTH),
 * and a key reached twice (a cycle, a shared list) is a corruption, so a
 * walk ends on any input.  Returns 0 when every key was visited. */
RH_API int rh_key_walk(rh_hive *h, rh_key start, rh_walk_fn fn, void *ctx);

/* ---- values ----------------------------------------------------------- */

/* Called for each value of an iteration: 0 goes on, anything else stops
 * the iteration, which returns it. */
typedef int (*rh_value_fn)(void *ctx, rh_value v);

/* Call fn(ctx, v) for every value of k in stored order. */
RH_API int rh_key_values_foreach(rh_hive *h, rh_key k, rh_value_fn fn,
                                 void *ctx);

/* All values of k in a malloc'd array. */
RH_API int rh_key_values(rh_hive *h, rh_key k, rh_value **out, size_t *n);

/* Value by name (case-insensitive); "" is the default value. */
RH_API int rh_key_value(rh_hive *h, rh_key k, const char *name, size_t namelen,
                        rh_value *out);

/* Value name as UTF-8 (malloc'd); "" for the default value. */
RH_API int rh_value_name(rh_hive *h, rh_value v, char **out, size_t *len);

/* Value name into buf, as rh_key_name_buf.  Never allocates. */
RH_API int rh_value_name_buf(rh_hive *h, rh_value v, char *buf, size_t cap,
                             size_t *len);

/* Value data copied into buf (cap bytes), like RegQueryValueEx: *len gets
 * the data length; RH_ERANGE (nothing copied) if cap is smaller.  Never
 * allocates, big data included. */
RH_API int rh_value_data_buf(rh_hive *h, rh_value v, uint32_t *type, void *buf,
                             size_t cap, size_t *len);

/* Type and data length without reading the data. */
RH_API int rh_value_type(rh_hive *h, rh_value v, uint32_t *type, size_t *len);

/* Raw data bytes (malloc'd, plus one extra NUL byte not counted in *len). */
RH_API int rh_value_data(rh_hive *h, rh_value v, uint32_t *type, void **data,
                         size_t *len);

/* ---- typed data ------------------------------------------------------ *
 * Each getter decodes one kind of data the way reg.exe and regedit show
 * it, so no caller decodes UTF-16 or byte order by hand.  A value of
 * another type, or a number of another size, is RH_EINVAL (rh_errmsg says
 * what it is); nothing is converted between kinds. */

/* Name of a value type: "REG_SZ", ... for 0..11 (RH_REG_*); NULL for any
 * other number (reg.exe has no name for it either; show the number). */
RH_API const char *rh_type_name(uint32_t type);

/* REG_SZ, REG_EXPAND_SZ or REG_LINK data as UTF-8 (malloc'd, NUL-ended;
 * *len, if not NULL, gets its length): up to the first NUL character, or
 * all of the data when it holds none; an odd last byte is dropped;
 * unpaired surrogates come out as WTF-8, as in names.  %VARS% of an
 * EXPAND_SZ are not expanded. */
RH_API int rh_value_string(rh_hive *h, rh_value v, char **out, size_t *len);

/* REG_MULTI_SZ data as *count UTF-8 strings: *out is a NULL-terminated
 * array of them, in one malloc'd block (one free(*out) releases all).
 * Rule (reg query's): the list's terminator (up to two NUL characters at
 * the end) is dropped and every other NUL separates two strings, so
 * "a\0b\0\0" is {"a", "b"}, "a\0\0b\0\0" is {"a", "", "b"}, an
 * unterminated "a\0b" is {"a", "b"}, and "", "\0" and "\0\0" are
 * empty lists (*count 0).  Regedit refuses empty strings inside a list
 * and Windows' readers stop at the first one: a caller that wants that
 * stops at the first "".  count may be NULL. */
RH_API int rh_value_strings(rh_hive *h, rh_value v, char ***out, size_t *count);

/* REG_DWORD (little-endian) or REG_DWORD_BIG_ENDIAN of exactly 4 bytes. */
RH_API int rh_value_u32(rh_hive *h, rh_value v, uint32_t *out);

/* REG_QWORD of exactly 8 bytes, or a number rh_value_u32 reads, widened
 * (Windows stores many counters as either). */
RH_API int rh_value_u64(rh_hive *h, rh_value v, uint64_t *out);

/* ---- editing ---------------------------------------------------------- */
/*
 * A hive opened with RH_OPEN_WRITE (rh_open, rh_open_mem) or made by
 * rh_create() is edited in a private copy owned by the hive; edits change
 * only that copy, and rh_commit() writes it out.  An edit that fails with
 * RH_ECORRUPT or RH_ENOMEM (a damaged cell found part way, say) may have
 * changed part of the copy: do not commit it; rh_close() drops it and the
 * file stays as it was.  Write calls on a read-only hive return
 * RH_EREADONLY.  Handles: rule 3 above.
 */

/* Create an empty hive in memory, format 1.minor (0 means 1.5; 3..6):
 * a root key "ROOT" flagged as Windows flags roots (HIVE_ENTRY, NO_DELETE)
 * and a default security descriptor (owner Administrators, group SYSTEM,
 * full control to SYSTEM and Administrators, read to Everyone, inherited
 * by subkeys).  *out is set even on failure (except RH_ENOMEM); close it. */
RH_API int rh_create(unsigned minor, rh_hive **out);

/* Subkey name (UTF-8, namelen bytes, 1..255 characters, no '\') of
 * parent: the existing key if there is one, else a new key inheriting the
 * parent's security.  *created (may be NULL) tells which.  A new key more
 * than RH_MAX_DEPTH levels below the root (the root is level 0), here or
 * by rh_key_create_path and the copies, is refused with RH_ERANGE and
 * nothing written (Windows' limit: a registry tree is 512 levels deep). */
RH_API int rh_key_add(rh_hive *h, rh_key parent, const char *name,
                      size_t namelen, rh_key *out, int *created);

/* Key at path, creating missing keys along it like `reg add` (path syntax
 * as rh_key_lookup: root prefixes stripped, CurrentControlSet resolved).
 * *created (may be NULL) is 1 if any key was created. */
RH_API int rh_key_create_path(rh_hive *h, const char *path, rh_key *out,
                              int *created);

/* Delete key k and its whole subtree, freeing every cell they own.  The
 * root and keys Windows flags KEY_NO_DELETE are refused (RH_EINVAL). */
RH_API int rh_key_delete(rh_hive *h, rh_key k);

/* Rename key k (re-sorting its parent's list).  The key node may move:
 * *out (may be NULL) gets its handle, and k is invalid afterwards.  A
 * sibling of that name, the root and KEY_NO_DELETE keys are refused. */
RH_API int rh_key_rename(rh_hive *h, rh_key k, const char *name, size_t namelen,
                         rh_key *out);

/* Create or replace value name ("" = default) of k with type and len
 * bytes of data (copied; data may be NULL when len is 0). */
RH_API int rh_value_set(rh_hive *h, rh_key k, const char *name, size_t namelen,
                        uint32_t type, const void *data, size_t len);

/* Delete value name of k; RH_ENOTFOUND if absent. */
RH_API int rh_value_delete(rh_hive *h, rh_key k, const char *name,
                           size_t namelen);

/* Delete every value of k. */
RH_API int rh_value_delete_all(rh_hive *h, rh_key k);

/* Set key's class name to len bytes of UTF-8 (NULL or len 0 removes it).
 * Stored as UTF-16LE; the parent's largest-class field follows. */
RH_API int rh_key_set_class(rh_hive *h, rh_key k, const char *cls, size_t len);

/* Copy flags. */
#define RH_COPY_SUBKEYS 0x1u /* the whole subtree (else only the values) */
#define RH_COPY_REPLACE 0x2u /* replace what exists at the destination */

/* Copy key src_key of src_h as a new subkey of dst_parent in dst_h (the
 * same hive or another writable one), named newname (UTF-8, NUL-ended;
 * NULL keeps the source name): names, classes, timestamps, flags (less
 * the root-only HIVE_ENTRY, and NO_DELETE of a root), values in stored
 * order and security.  Within a hive the copy shares the sk cells
 * (references counted); into another hive each descriptor is matched
 * with an identical one in the destination's sk list or added to it.
 * An existing subkey of that name is replaced with RH_COPY_REPLACE, else
 * refused (RH_EINVAL), as is copying a key into its own subtree.
 * *out (may be NULL) gets the new key.  A copy that fails half way (out
 * of memory, a corrupt source) may leave cells no key reaches in dst_h:
 * close it without committing. */
RH_API int rh_key_copy(rh_hive *src_h, rh_key src_key, rh_hive *dst_h,
                       rh_key dst_parent, const char *newname, unsigned flags,
                       rh_key *out);

/* Copy the values of src_key (and with RH_COPY_SUBKEYS its subkeys) into
 * the existing key dst_key, like `reg copy`: subkeys missing at the
 * destination are copied whole (as rh_key_copy), existing ones merged
 * recursively; an existing value is overwritten with RH_COPY_REPLACE,
 * else kept.  *changed (may be NULL) counts keys and values written. */
RH_API int rh_key_copy_into(rh_hive *src_h, rh_key src_key, rh_hive *dst_h,
                            rh_key dst_key, unsigned flags, size_t *changed);

/* Asked before a value that exists at the destination is overwritten:
 * dst_key is the destination key, name the value's name (UTF-8).  Return
 * 1 to overwrite it, 0 to keep it, or a negative number to stop. */
typedef int (*rh_overwrite_fn)(void *ctx, rh_hive *dst_h, rh_key dst_key,
                               const char *name);

/* rh_key_copy_into that asks ask (reg copy's per-value question) for each
 * existing value instead of following RH_COPY_REPLACE; a negative answer
 * stops the merge with RH_ECANCEL (what was written stays in dst_h; do
 * not commit it if that matters). */
RH_API int rh_key_copy_into_ask(rh_hive *src_h, rh_key src_key, rh_hive *dst_h,
                                rh_key dst_key, unsigned flags,
                                rh_overwrite_fn ask, void *ctx,
                                size_t *changed);

/* A new hive (in memory, writable, same format version as h) whose root
 * is a copy of key k's subtree, like `reg save`: the root keeps k's name,
 * class, timestamp, security and values, flagged HIVE_ENTRY|NO_DELETE.
 * Laid out like rh_compact's output.  Close *out; commit it to a path. */
RH_API int rh_key_save(rh_hive *h, rh_key k, rh_hive **out);

/* Rewrite h's image with no free space but the tail of the last bin:
 * keys in tree order (key node, its sk at first use, class, value list,
 * values and their data, subkey lists, then the subkeys), bins packed.
 * Everything read is kept: names, classes, timestamps, flags, security
 * (sk cells in order of first use, references recounted), value order,
 * list kinds and shapes.  Unreachable cells are dropped.  Handles of keys
 * and values are invalid afterwards.  rh_commit() writes it. */
RH_API int rh_compact(rh_hive *h);

/* Commit flags. */
#define RH_COMMIT_BACKUP 0x1u /* keep the replaced file as PATH.bak */
/* RH_COMMIT_FORCE: replace PATH even if it is not the file opened or it
 * changed since. */
#define RH_COMMIT_FORCE 0x2u
/* RH_COMMIT_REWRITE: write a new file and rename it over PATH instead of
 * updating PATH in place through its transaction logs. */
#define RH_COMMIT_REWRITE 0x4u

/* Write the hive to path (NULL: the file it was opened from): base block
 * sequence numbers, timestamp, sizes and checksum are updated.  Default,
 * when path is the file opened, unchanged and clean: in place, as
 * Windows does: the 4 KiB pages changed since the last commit go into a
 * new-format entry of PATH.LOG1 or PATH.LOG2 (fsynced), then into path
 * between a base block write that makes it dirty and one that makes it
 * clean again, so an interrupted commit is recovered (by rh_open and by
 * Windows) to the old or the new hive; RH_COMMIT_BACKUP copies path to
 * PATH.bak first.  Otherwise (RH_COMMIT_REWRITE, another path, a hive
 * from rh_open_mem or rh_create, one that was dirty when opened, or over
 * 1 MiB of changed pages, more than the file on disk holds, where a log
 * entry would cost more than a new file) the
 * image goes to a new file in the same directory, is fsynced and renamed
 * over path (mode and owner kept), then the directory is fsynced, so path
 * holds the old or the new hive whatever happens.  Refuses (RH_EIO) to replace
 * a file that changed since rh_open or that is not the one opened, and
 * (RH_EINVAL) a hive that was dirty when opened (unapplied transaction
 * logs would be lost), unless RH_COMMIT_FORCE.  A hive edited in a mapping
 * of its file refuses (RH_EIO) every commit, even forced, once that file
 * was changed in place by another program: the pages it did not edit
 * would be the other program's (a file replaced by rename is fine).  The
 * hive stays open and writable. */
RH_API int rh_commit(rh_hive *h, const char *path, unsigned flags);

/* ---- checking and text ------------------------------------------------ */

/* How serious a problem rh_check found, judged by what Windows does when
 * it loads the hive (HvCheckHive / CmCheckRegistry). */
typedef enum rh_severity {
    /* Windows refuses the hive, or drops the key that holds the problem
     * (a corrupt key is cut out of its parent's list by the load-time
     * check): data is lost. */
    RH_CHECK_ERROR = 1,
    /* Windows loads the hive as it is, or repairs the field at load (lh
     * hashes and lf hints, security reference counts), and nothing is
     * lost: allocated cells nothing references, a stale hash or hint, a
     * wrong security reference count. */
    RH_CHECK_WARNING = 2
} rh_severity;

/* Report function for rh_check: offset is the file offset of the problem,
 * msg says what is wrong (without a severity prefix). */
typedef void (*rh_check_fn)(void *ctx, rh_severity sev, uint64_t offset,
                            const char *msg);

/* Verify every structural invariant; report each problem to fn (may be
 * NULL) with its severity.  *nerrors and *nwarnings (either may be NULL)
 * count them.  Returns 0 when no error was found (warnings alone do not
 * fail), RH_ECORRUPT when there were errors, or another RH_E* code when
 * the check itself failed (RH_ENOMEM). */
RH_API int rh_check(rh_hive *h, rh_check_fn fn, void *ctx, size_t *nerrors,
                    size_t *nwarnings);

/* Byte sink for exporters: return 0, or non-zero to stop. */
typedef int (*rh_write_fn)(void *ctx, const void *buf, size_t len);

#define RH_EXPORT_UTF16 0x1u /* UTF-16LE with BOM and CRLF (regedit file) */
#define RH_EXPORT_JSON 0x2u  /* JSON lines: one object per key */
#define RH_EXPORT_NORECURSE 0x4u
/* 0x8u: RH_EXPORT_HOLD (reghive_sys.h).  Without it, buf is valid only
 * during the call to fn. */

/* Progress report for long operations on h (rh_export: keys;
 * rh_reg_apply: the document's operations): fn(ctx, done, total) is
 * called once at the start, then after every 1024 keys or operations, and
 * once at the end with done == total (total 0 when unknown).  The caller
 * limits how often it redraws.  fn NULL turns it off.  Counting the total
 * costs one extra walk of the subtree, only when fn is set. */
typedef void (*rh_progress_fn)(void *ctx, uint64_t done, uint64_t total);
RH_API void rh_progress_set(rh_hive *h, rh_progress_fn fn, void *ctx);

/* Export key k and its subtree as a .reg document (or JSON lines).
 * prefix is the root path written for the hive root, e.g.
 * "HKEY_LOCAL_MACHINE\\SYSTEM"; NULL means none. */
RH_API int rh_export(rh_hive *h, rh_key k, const char *prefix, unsigned flags,
                     rh_write_fn fn, void *ctx);

/* ---- .reg documents (parser; no hive needed) -------------------------- *
 * rh_reg_parse() turns a regedit file (REGEDIT4 or "Windows Registry
 * Editor Version 5.00"; UTF-16LE with BOM, UTF-8 with or without BOM, or
 * an 8-bit code page) into an ordered list of operations.  It is all or
 * nothing: any syntax error anywhere returns RH_EINVAL and no document,
 * with "LINE:COLUMN: what was expected" in err (columns count characters
 * from 1).  Grammar and decisions, with sources: src/regparse.c. */

enum {
    RH_REG_OP_CREATE_KEY = 1,  /* [KEY]: create (with missing parents) */
    RH_REG_OP_DELETE_KEY = 2,  /* [-KEY]: delete the key and its subtree */
    RH_REG_OP_SET_VALUE = 3,   /* "name"=data, @=data */
    RH_REG_OP_DELETE_VALUE = 4 /* "name"=- , @=- */
};

/* Input encoding (flags & RH_REG_ENC_MASK).  AUTO: a BOM decides (FF FE
 * UTF-16LE, EF BB BF UTF-8); without one a REGEDIT4 file is read in
 * Windows-1252 and any other in UTF-8.  The others force the decoding of
 * BOM-less input. */
#define RH_REG_ENC_AUTO 0u
#define RH_REG_ENC_UTF8 1u
#define RH_REG_ENC_CP1252 2u
#define RH_REG_ENC_LATIN1 3u
#define RH_REG_ENC_UTF16LE 4u
#define RH_REG_ENC_MASK 0xFu
/* Store hex(1)/hex(2)/hex(7) bytes exactly as written (as hivexregedit
 * --merge does) instead of adding the NUL terminator regedit adds. */
#define RH_REG_HEX_VERBATIM 0x100u
/* The comment line rh_export() writes after the header.  A document whose
 * second line is exactly this is parsed with RH_REG_HEX_VERBATIM, so
 * reghive's own exports import back unchanged (regedit's files never
 * carry it and keep regedit's NUL rule). */
#define RH_REG_EXPORT_MARKER "; reghive export: hex data verbatim"

typedef struct rh_reg_doc rh_reg_doc; /* opaque; one allocation arena */

typedef struct rh_reg_op {
    int kind;         /* RH_REG_OP_* */
    const char *key;  /* key path as written, UTF-8 (WTF-8), NUL-ended */
    size_t keylen;    /* bytes in key */
    const char *name; /* value name, "" for the default value, NULL for
                         key operations; may hold NUL: use namelen */
    size_t namelen;
    uint32_t type;       /* RH_REG_* (SET_VALUE) */
    const uint8_t *data; /* value bytes as the hive stores them */
    size_t len;
    uint32_t line; /* line of the [KEY] or value in the file */
} rh_reg_op;

/* Parse buf (len bytes; borrowed only during the call).  flags:
 * RH_REG_ENC_* | RH_REG_HEX_VERBATIM.  On success *out owns everything
 * (free with rh_reg_doc_free); on failure *out is NULL and err (may be
 * NULL) holds the message. */
RH_API int rh_reg_parse(const void *buf, size_t len, unsigned flags,
                        rh_reg_doc **out, char *err, size_t errlen);

/* Number of operations. */
RH_API size_t rh_reg_doc_count(const rh_reg_doc *doc);

/* Operation i (pointers borrowed from doc until rh_reg_doc_free);
 * RH_ERANGE if i is past the end. */
RH_API int rh_reg_doc_op(const rh_reg_doc *doc, size_t i, rh_reg_op *out);

/* 4 for REGEDIT4, 5 for version 5.00. */
RH_API int rh_reg_doc_version(const rh_reg_doc *doc);

/* The encoding the document was decoded from (RH_REG_ENC_*). */
RH_API unsigned rh_reg_doc_encoding(const rh_reg_doc *doc);

/* 1 if the document carried RH_REG_EXPORT_MARKER (hex data verbatim). */
RH_API int rh_reg_doc_hex_verbatim(const rh_reg_doc *doc);

RH_API void rh_reg_doc_free(rh_reg_doc *doc);

/* Length of the standard hive root at the start of a key path (0 if
 * none): HKEY_LOCAL_MACHINE\X and HKEY_USERS\X (two components; short
 * forms HKLM, HKU), HKEY_CURRENT_USER, HKEY_CLASSES_ROOT,
 * HKEY_CURRENT_CONFIG (one; HKCU, HKCR, HKCC). */
RH_API size_t rh_reg_auto_prefix(const char *path, size_t len);

/* Map a key path from a document into a hive: 0 with *rest and *restlen set
 * to the hive-relative path ("" for the root; trailing '\' dropped, as
 * Windows does), RH_ENOTFOUND when the path lies outside the hive, or
 * RH_EINVAL for an empty component.  "\..." (what hivexregedit and
 * reghive export write without a prefix) is always relative to the hive
 * root; otherwise the path must start with prefix (NULL: none matches),
 * compared component by component, ASCII case-insensitively, with short
 * roots (HKLM ...) equal to long ones. */
RH_API int rh_reg_map_key(const char *path, size_t len, const char *prefix,
                          const char **rest, size_t *restlen);

/* ---- applying a .reg document to a hive ------------------------------ *
 * rh_reg_apply() carries out a document's operations in order on a
 * writable hive, as regedit imports a file: [KEY] creates the key and its
 * missing parents; [-KEY] deletes the key and its subtree (RegDeleteTree;
 * an absent key is not an error; the hive root is refused); values are
 * set with exactly the parsed bytes; "name"=- deletes a value (absent:
 * fine).  Key paths map through prefix (see rh_reg_map_key); a first
 * component CurrentControlSet that is not a real key goes to the set
 * Select\Current names when the operation runs.  Keys outside the hive
 * are skipped (reported through skip) or, with RH_REG_APPLY_STRICT,
 * refused.  Every key path is mapped before anything changes, so a
 * mapping error or a strict refusal leaves the hive as it was; an error
 * while applying (a name too long, a KEY_NO_DELETE key, no memory) leaves
 * the in-memory hive with the operations before it done: do not commit
 * it then.  Nothing is written to disk: rh_commit() does that, so any
 * number of documents applied before one commit go in together or not at
 * all.  Errors: rh_errmsg() says "LINE: [KEY]: what went wrong". */

#define RH_REG_APPLY_STRICT 0x1u   /* a key outside the hive is an error */
#define RH_REG_APPLY_VALIDATE 0x2u /* only map every key; change nothing */
/* prefix NULL means none (only "\..." paths map) instead of automatic. */
#define RH_REG_APPLY_NOPREFIX 0x4u

typedef struct rh_reg_stats {
    size_t keys_created;   /* keys that did not exist before */
    size_t keys_deleted;   /* [-KEY] that removed a key (with its subtree) */
    size_t keys_absent;    /* [-KEY] of a key that was not there */
    size_t values_set;     /* values created or replaced */
    size_t values_deleted; /* "name"=- that removed a value */
    size_t values_absent;  /* "name"=- of a value that was not there */
    size_t skipped;        /* key operations outside the hive (their
                              values are skipped with them) */
} rh_reg_stats;

/* Told about each key operation skipped as outside the hive. */
typedef void (*rh_reg_skip_fn)(void *ctx, const rh_reg_op *op);

/* Apply doc to h (opened with RH_OPEN_WRITE or made by rh_create).
 * prefix: the root path that means the hive root (e.g.
 * "HKEY_LOCAL_MACHINE\SYSTEM"); NULL maps each key by its own root: a
 * root that names h (rh_path_root) maps to h's root, one that names
 * another hive is outside (skipped, or refused with STRICT); when no key
 * of the document lies in h and some name another hive, the document is
 * refused whole (RH_EINVAL).  For a hive of unknown kind (rh_hive_kind
 * ""), NULL picks the standard root (rh_reg_auto_prefix) of the
 * document's first key that has one.  flags: RH_REG_APPLY_*.  skip and
 * stats may be NULL; stats are added to (zero them first).  When skip is
 * called for a key whose root names another hive, rh_errmsg(h) says so. */
RH_API int rh_reg_apply(rh_hive *h, const rh_reg_doc *doc, const char *prefix,
                        unsigned flags, rh_reg_skip_fn skip, void *ctx,
                        rh_reg_stats *stats);

/* Map key path (len bytes) of doc into h as rh_reg_apply(h, doc, prefix,
 * flags, ...) maps it: 0 with *rest and *restlen (the hive-relative
 * path), RH_ENOTFOUND when it lies outside h (rh_errmsg says why when its
 * root names another hive), RH_EINVAL for an empty component. */
RH_API int rh_reg_map_op(rh_hive *h, const rh_reg_doc *doc, const char *prefix,
                         unsigned flags, const char *path, size_t len,
                         const char **rest, size_t *restlen);

#ifdef __cplusplus
}
#endif
#endif
