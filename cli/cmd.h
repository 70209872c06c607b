/*
 * cmd.h - the reghive command table and helpers shared by commands.
 * The CLI sees only the public API (reghive.h) and the implementation
 * details it needs (reghive_sys.h).
 */
#ifndef RH_CMD_H
#define RH_CMD_H

#include "reghive_sys.h"
#include "opt.h"

#include <signal.h>
#include <stdio.h>

/* A command: its declaration (opt.h) and the function that runs it with
 * argv[0] = the command's name. */
struct cmd {
    const struct cmd_spec *spec;
    int (*fn)(int argc, char **argv);
};

extern const struct cmd cli_cmds[];

/* The command named name, or NULL. */
const struct cmd *cmd_find(const char *name);

/* Exit codes: 0 ok, 1 error (bad input, not found, corrupt hive), 2 a
 * difference or a finding (compare, services --orphans; as reg compare
 * returns 2), 64 usage (sysexits' EX_USAGE). */
#define EXIT_FOUND 2
#define EXIT_USAGE 64

/* Parse a command's arguments into r (opt_parse); on -h/--help or a
 * usage error, return from the calling command with 0 or EXIT_USAGE. */
#define PARSE_ARGS(spec, argc, argv, r)                                        \
    do {                                                                       \
        int prc_ = opt_parse(&(spec), (argc), (argv), 0, (r));                 \
        if (prc_ != OPT_OK)                                                    \
            return prc_ == OPT_EXIT_HELP ? 0 : EXIT_USAGE;                     \
    } while (0)

/* Options several commands share, declared once. */
#define SPEC_BACKUP                                                            \
    {                                                                          \
        OPT_SWITCH, "--backup", NULL, 0, NULL,                                 \
            "keep the previous hive as HIVE.bak (fsynced before the hive "     \
            "changes)"                                                         \
    }
#define SPEC_REWRITE                                                           \
    {                                                                          \
        OPT_SWITCH, "--rewrite", NULL, 0, NULL,                                \
            "write a new file and rename it over the hive, instead of "        \
            "committing\n"                                                     \
            "in place through HIVE.LOG1/HIVE.LOG2"                             \
    }
#define SPEC_DRYRUN                                                            \
    {                                                                          \
        OPT_SWITCH, "--dry-run", NULL, 0, NULL,                                \
            "show what would change; write nothing"                            \
    }
#define SPEC_JSON                                                              \
    {                                                                          \
        OPT_SWITCH, "--json", NULL, 0, NULL, "JSON lines instead of text"      \
    }
#define SPEC_HIVE(help)                                                        \
    {                                                                          \
        OPT_ARG, "HIVE", NULL, OPT_REQUIRED | OPT_HIVE | OPT_FILE, NULL, help  \
    }
#define SPEC_KEY(flags, help)                                                  \
    {                                                                          \
        OPT_ARG, "KEY", NULL, (flags) | OPT_KEY, NULL, help                    \
    }

/* README's command table and bash completion, from the declarations
 * (docgen.c). */
void docgen_markdown(FILE *f);
void docgen_bash(FILE *f);

extern const struct cmd_spec info_spec, query_spec, get_spec, export_spec,
    import_spec, check_spec, recover_spec, compare_spec, services_spec,
    new_spec, add_spec, delete_spec, rename_spec, copy_spec, save_spec,
    compact_spec;

int cmd_info(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_services(int argc, char **argv);
int cmd_import(int argc, char **argv);

/* Transaction logs (cmd_recover.c). */
int cmd_recover(int argc, char **argv);
/* Take the global --no-logs / --log FILE options out of argv. */
int cli_log_options(int *argc, char **argv);
/* rh_open / rh_open_logs with the global log options applied. */
int cli_open(const char *path, unsigned flags, rh_hive **out);
/* The "transaction logs" section of reghive info. */
void print_log_state(rh_hive *h);
int cmd_new(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_compact(int argc, char **argv);

/* Ask prompt on stderr and read Yes/No from stdin when stdin is a TTY;
 * returns 1 for yes.  Not a TTY: returns 1 without asking. */
int confirm(const char *prompt);

/* Display form of key k ("HKEY_LOCAL_MACHINE\SYSTEM\..." when the user
 * path had a root prefix); malloc'd, NULL on error. */
char *key_display(rh_hive *h, rh_key k, const char *userpath);

/* Commit h back to its file with RH_COMMIT_* flags (--backup, --rewrite),
 * printing errors; returns 0 or 1. */
int commit_hive(rh_hive *h, const char *path, unsigned flags);

/* Outputs whole or absent, interrupts without leftovers (outfile.c).
 * outfile_open: a temporary file beside path (path itself when it is a
 * device or pipe) in o->fd, with the mode of the file it replaces, else
 * of the file mode_from (may be NULL), else 0666 less the umask; SIGINT,
 * SIGTERM and SIGHUP remove it until outfile_commit (fsync, rename over
 * path with those signals blocked, fsync the directory) or outfile_abort
 * (close, remove).  Each prints nothing but outfile_open's errors;
 * outfile_commit returns -1 with errno, the temporary file removed. */
struct outfile {
    int fd;
    const char *path;
    char *tmp;
    int direct;
};
int outfile_open(struct outfile *o, const char *path, const char *mode_from);
int outfile_commit(struct outfile *o);
void outfile_abort(struct outfile *o);
/* rh_commit with SIGINT, SIGTERM and SIGHUP held until it returns: the
 * library's temporary files never outlive an interrupt. */
int cli_commit(rh_hive *h, const char *path, unsigned flags);
/* Block those signals (the previous mask into *old) / restore it. */
void sig_block(sigset_t *old);
void sig_restore(const sigset_t *old);

/* Print "reghive: <what>: <message>" for rc from h. */
void die_rc(rh_hive *h, const char *what, int rc);
/* Open path read-only; prints errors and warnings; returns NULL on error
 * (after printing). */
rh_hive *open_hive(const char *path, unsigned flags);
/* The messages of open_hive for cli_open's result (rc, h): the error (h
 * closed, NULL) or the warnings (h returned). */
rh_hive *opened_hive(const char *path, int rc, rh_hive *h);
/* Print the usage line of command name (every command: NULL) to stderr
 * and return EXIT_USAGE. */
int usage(const char *name);

/* Split a user path into a display prefix ("HKEY_LOCAL_MACHINE\SYSTEM",
 * or "" when the path has no root prefix); returns malloc'd prefix. */
char *display_prefix(const char *path);

/* Value v of h (type, and data d of n bytes as read) printed as reg query
 * shows it (reg_style) or as get does (cmd_get.c). */
void print_value(FILE *f, rh_hive *h, rh_value v, uint32_t type,
                 const uint8_t *d, size_t n, int reg_style);

/* Type from a name (rh_type_name's, REG_DWORD_LITTLE_ENDIAN and
 * REG_QWORD_LITTLE_ENDIAN, or a number); -1 if unknown. */
long type_parse(const char *s);

/* s (n bytes) as a JSON string literal. */
void json_string(FILE *f, const char *s, size_t n);

/* rh_write_fn over a FILE *. */
int write_file(void *ctx, const void *buf, size_t len);

/* A writer thread that writes to fd the buffers an exporter lends it
 * (bgwrite.c): bgw_write is an rh_write_fn for rh_export with
 * RH_EXPORT_HOLD and a bgw as ctx, so formatting and writing overlap.
 * bgw_open: NULL if no memory or thread (write directly then); grow: fd
 * is a regular file written from offset 0, whose blocks may be allocated
 * ahead of the writes (and cut to what was written at the close).
 * bgw_close: waits for the writes, joins and frees; 0, or -1 with errno
 * of the first failed write.  fd stays open. */
typedef struct bgw bgw;
bgw *bgw_open(int fd, int grow);
int bgw_write(void *ctx, const void *buf, size_t len);
int bgw_close(bgw *w);

/* A progress line on stderr, drawn only when stderr is a TTY
 * (progress.c). */
struct progress {
    const char *what, *unit;
    int on, shown;
    uint64_t last; /* ms of the last redraw */
};
/* Start: what ("export") and unit ("keys") are borrowed. */
void progress_init(struct progress *p, const char *what, const char *unit);
/* Report done of total (0: unknown); ctx is a struct progress.  Redraws
 * at most 10 times a second (the first and the final report always). */
void progress_update(void *ctx, uint64_t done, uint64_t total);
/* Draw msg (not copied) as the whole line: a phase without a count. */
void progress_phase(struct progress *p, const char *msg);
/* Erase the line if one was drawn. */
void progress_end(struct progress *p);
/* Keys in the subtree at k (k included), for a progress total; stops
 * counting at what it cannot read. */
uint64_t progress_count_keys(rh_hive *h, rh_key k);

#endif
