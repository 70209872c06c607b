/*
 * main.c - reghive: dispatch through the command table.
 */
#include "cmd.h"
#include "windows.h"

#include <stdlib.h>
#include <string.h>

const struct cmd cli_cmds[] = {
    {"info", cmd_info, "info HIVE",
     "header fields, version, dirty state, counts and free space"},
    {"query", cmd_query,
     "query HIVE [KEY] [-s] [-v NAME | -ve] [-f PATTERN [-k] [-d] [-e] "
     "[-c]] [-t TYPE] [--json]",
     "list a key's values and subkeys, like reg query"},
    {"get", cmd_get, "get HIVE KEY [NAME] [--raw]",
     "print one value's data decoded by type (default value if no NAME)"},
    {"export", cmd_export,
     "export HIVE [KEY] [-o FILE] [--prefix ROOT] [--utf8 | --utf16] "
     "[--json]",
     "write a subtree as a .reg file (regedit 5.00) or JSON lines"},
    {"import", cmd_import,
     "import HIVE FILE.reg... [--prefix ROOT] [--encoding CP] [--strict] "
     "[--backup] [--dry-run] [--hex-verbatim]",
     "apply .reg files (regedit 4/5, any encoding) in one atomic commit; "
     "--dry-run prints the plan"},
    {"check", cmd_check, "check HIVE [--strict]",
     "verify every structural invariant; errors (what Windows refuses) "
     "exit 1, warnings (what it tolerates) only with --strict"},
    /* transaction logs */
    {"recover", cmd_recover, "recover HIVE [-o OUT] [--log FILE]...",
     "replay the transaction logs; write a clean hive (default "
     "HIVE.recovered)"},
    {"compare", cmd_compare,
     "compare HIVE1 HIVE2 [KEY] [-s] [-v NAME | -ve] [-oa|-od|-os|-on] "
     "[--json]",
     "added, removed and changed keys and values, like reg compare"},
    {"services", cmd_services,
     "services [HIVE | --windows DIR] [--json] [--orphans] "
     "[--remove NAME [--dry-run] [-f]]",
     "services and drivers of the active control set; stale entries;\n"
     "           --remove deletes a service from every control set\n"
     "           (keeps HIVE.bak)"},
    {"new", cmd_new, "new HIVE [--version 1.3|1.5] [-f]",
     "create an empty hive (root key, default security); -f replaces"},
    {"add", cmd_add,
     "add HIVE KEY [-v NAME | -ve] [-t TYPE] [-d DATA] [-s SEP] [-f] "
     "[--data-file F] [--class TEXT] [--backup] [--rewrite] [--dry-run]",
     "create KEY (and missing parents) and set a value, like reg add;\n"
     "           -d is text for REG_SZ/EXPAND_SZ, \\0-separated (or SEP) for\n"
     "           REG_MULTI_SZ, decimal or 0x hex for REG_DWORD/QWORD, hex\n"
     "           digits for REG_BINARY, REG_NONE and other types; -f\n"
     "           overwrites an existing value without asking"},
    {"delete", cmd_delete,
     "delete HIVE KEY [-v NAME | -ve | -va] [-f] [--backup] [--rewrite] "
     "[--dry-run] "
     "[--all-control-sets]",
     "delete KEY with its subtree (or values), like reg delete; asks\n"
     "           first when stdin is a terminal, proceeds without asking\n"
     "           otherwise (or with -f); --backup keeps HIVE.bak;\n"
     "           commits go in place through HIVE.LOG1/LOG2 (as Windows);\n"
     "           --rewrite writes a new file and renames it instead;\n"
     "           --dry-run only shows what would change;\n"
     "           --all-control-sets deletes from every ControlSet00N"},
    {"rename", cmd_rename,
     "rename HIVE KEY NEWNAME [--backup] [--rewrite] [--dry-run]",
     "rename a key (its subtree and values move with it)"},
    {"copy", cmd_copy,
     "copy SRCHIVE KEY DSTHIVE KEY [-s] [-f] [--backup] [--dry-run]",
     "copy a key's values (-s: its subtree) into another key, like reg copy"},
    {"save", cmd_save, "save HIVE KEY NEWHIVE [-f]",
     "write KEY's subtree as a new hive (KEY becomes its root), like reg save"},
    {"compact", cmd_compact,
     "compact HIVE [-o OUT [-f]] [--backup] [--dry-run]",
     "rewrite the hive packed, keys in tree order, no free space"},
    {NULL, NULL, NULL, NULL}};

int
usage(const char *name)
{
    for (const struct cmd *c = cli_cmds; c->name; c++)
        if (!name || strcmp(c->name, name) == 0)
            fprintf(stderr, "usage: reghive %s\n", c->usage);
    return EXIT_USAGE;
}

static void
help(void)
{
    printf("reghive - read, check, export and edit Windows registry hives "
           "offline\n\nusage: reghive COMMAND ARGS...\n\n");
    for (const struct cmd *c = cli_cmds; c->name; c++)
        printf("  %-8s %s\n           reghive %s\n", c->name, c->help,
               c->usage);
    printf("\nKEY paths are '\\'-separated from the hive root; a leading "
           "HKLM\\SYSTEM\\-style\nprefix is accepted, and "
           "CurrentControlSet resolves through Select\\Current.\n"
           "\nreghive --windows DIR [--user NAME] COMMAND ... takes KEY paths "
           "rooted at\nHKLM\\<hive>, HKU\\<SID> or HKCU on a mounted Windows "
           "tree instead of HIVE.\n"
           "add, delete and rename take '--' to end options (for a KEY "
           "starting with '-').\n");

    printf("\nA dirty hive is read with its transaction logs (HIVE.LOG1, "
           "HIVE.LOG2, HIVE.LOG\nnext to it) applied in memory. Options "
           "for every command: --no-logs reads\nthe primary file as it is; "
           "--log FILE (repeatable) names the logs.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        help();
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("reghive 0.1\n");
        return 0;
    }
    if (cli_log_options(&argc, argv) < 0)
        return EXIT_USAGE;
    if (argc < 2)
        return usage(NULL);
    if (!strcmp(argv[1], "--windows") || !strcmp(argv[1], "--user"))
        return win_main(argc, argv); /* maps KEY roots to hive files */
    for (const struct cmd *c = cli_cmds; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "reghive: unknown command '%s' (try reghive --help)\n",
            argv[1]);
    return EXIT_USAGE;
}
