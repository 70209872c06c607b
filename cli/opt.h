/*
 * opt.h - one declaration per command: its arguments and options, from
 * which the parser, the usage line, `reghive help COMMAND`, the README's
 * command table, shell completion and --windows path mapping all come
 * (after libgit2's cli_opt_spec).  Nothing in the CLI parses usage text.
 */
#ifndef RH_OPT_H
#define RH_OPT_H

#include <stddef.h>
#include <stdio.h>

enum opt_kind {
    OPT_END = 0, /* terminates a spec array */
    OPT_SWITCH,  /* -f, --backup: present or not */
    OPT_VALUE,   /* -v NAME, --prefix ROOT (also --prefix=ROOT) */
    OPT_ARG,     /* a positional argument */
    OPT_ARGS     /* the remaining positional arguments (one or more) */
};

/* flags */
#define OPT_REQUIRED 0x01u /* positional: must be given */
#define OPT_MULTI 0x02u    /* option: may be repeated, values collected */
#define OPT_HIVE 0x04u     /* positional: a hive file (see --windows) */
#define OPT_KEY 0x08u      /* positional: a registry key path */
#define OPT_FILE 0x10u     /* a file name (completion) */
#define OPT_HIDDEN 0x20u   /* accepted, not shown in help (old aliases) */
#define OPT_TYPE 0x40u     /* a registry type name (completion) */
/* OPT_VALUE whose value may be left out: the next word is its value
 * unless it starts with '-' or there is none (then val is NULL). */
#define OPT_OPTVAL 0x80u

struct opt_spec {
    enum opt_kind kind;
    /* Spellings separated by '|' ("-o|--output"); for positionals the
     * placeholder shown in usage ("HIVE"). */
    const char *name;
    const char *arg; /* OPT_VALUE: the value's placeholder ("NAME") */
    unsigned flags;
    /* Options of one group exclude each other ("-v", "-ve" and "-va" are
     * group "value"); NULL: none. */
    const char *group;
    const char *help;
};

/* A command's declaration. */
struct cmd_spec {
    const char *name;
    const struct opt_spec *opts; /* OPT_END-terminated; index = result slot */
    const char *summary;         /* one line, for the command list */
    const char *details;         /* more text for help COMMAND; or NULL */
};

#define OPT_MAX 40

/* What opt_parse found, by the index of the spec entry. */
struct opt_res {
    const char *val[OPT_MAX]; /* switch: "" when given; else the (last)
                                 value or argument */
    int count[OPT_MAX];       /* how often given (arguments: how many) */
    int argi[OPT_MAX];        /* argv index of an argument (first one) */
    /* OPT_MULTI and OPT_ARGS: every value, in order (count[i] of them);
     * they point into argv, which opt_parse reorders to hold them. */
    char **multi[OPT_MAX];
};

/* parse flags */
#define OPT_PARSE_WINDOWS 0x1u /* HIVE args tied to a KEY are not in argv */

enum { OPT_OK = 0, OPT_EXIT_HELP = 1, OPT_EXIT_USAGE = 2 };

/* Parse argv[1..argc) (argv[0] is the command name) against spec into r.
 * Prints what is wrong (to stderr) with the usage line and returns
 * OPT_EXIT_USAGE; prints help to stdout and returns OPT_EXIT_HELP for
 * -h/--help; OPT_OK otherwise.  "--" ends options; "-" alone is an
 * argument. */
int opt_parse(const struct cmd_spec *spec, int argc, char **argv,
              unsigned flags, struct opt_res *r);

/* Is option i given? */
static inline int
opt_has(const struct opt_res *r, int i)
{
    return r->count[i] > 0;
}

/* The spec index of the option or argument spelled name ("-o", "KEY"),
 * or -1.  For code that serves several commands (--windows). */
int opt_find(const struct cmd_spec *spec, const char *name);

/* The value of the option spelled name, or NULL when not given. */
const char *opt_get(const struct cmd_spec *spec, const struct opt_res *r,
                    const char *name);

/* "usage: reghive NAME ..." built from the spec. */
void opt_usage(FILE *f, const struct cmd_spec *spec);

/* The full help of a command: usage, summary, details, arguments and
 * options with their help. */
void opt_help(FILE *f, const struct cmd_spec *spec);

/* The positional spec index tied to HIVE spec index h: the first OPT_KEY
 * positional after it before the next OPT_HIVE one; -1 if none. */
int opt_key_of_hive(const struct cmd_spec *spec, int h);

#endif
