/*
 * main.c - reghive: dispatch through the command table.
 */
#include "cmd.h"
#include "windows.h"

#include <stdlib.h>
#include <string.h>

/* Every command, in the order help lists them. */
const struct cmd cli_cmds[] = {{&info_spec, cmd_info},
                               {&query_spec, cmd_query},
                               {&get_spec, cmd_get},
                               {&export_spec, cmd_export},
                               {&import_spec, cmd_import},
                               {&check_spec, cmd_check},
                               {&recover_spec, cmd_recover},
                               {&compare_spec, cmd_compare},
                               {&services_spec, cmd_services},
                               {&new_spec, cmd_new},
                               {&add_spec, cmd_add},
                               {&delete_spec, cmd_delete},
                               {&rename_spec, cmd_rename},
                               {&copy_spec, cmd_copy},
                               {&save_spec, cmd_save},
                               {&compact_spec, cmd_compact},
                               {NULL, NULL}};

const struct cmd *
cmd_find(const char *name)
{
    for (const struct cmd *c = cli_cmds; c->spec; c++)
        if (strcmp(c->spec->name, name) == 0)
            return c;
    return NULL;
}

int
usage(const char *name)
{
    for (const struct cmd *c = cli_cmds; c->spec; c++)
        if (!name || strcmp(c->spec->name, name) == 0)
            opt_usage(stderr, c->spec);
    return EXIT_USAGE;
}

static void
help(void)
{
    printf("reghive - read, check, export and edit Windows registry hives "
           "offline\n\nusage: reghive [--windows DIR [--user NAME]] "
           "COMMAND ARGS...\n       reghive help COMMAND\n\n");
    for (const struct cmd *c = cli_cmds; c->spec; c++)
        printf("  %-9s %s\n", c->spec->name, c->spec->summary);
    printf("\nKEY paths are '\\'-separated from the hive root; a leading "
           "HKLM\\SYSTEM\\-style\nprefix is accepted, and "
           "CurrentControlSet resolves through Select\\Current.\n"
           "\nreghive --windows DIR [--user NAME] COMMAND ... takes KEY paths "
           "rooted at\nHKLM\\<hive>, HKU\\<SID> or HKCU on a mounted Windows "
           "tree instead of HIVE.\n"
           "'--' ends a command's options (for a KEY starting with '-').\n");
    printf("\nA dirty hive is read with its transaction logs (HIVE.LOG1, "
           "HIVE.LOG2, HIVE.LOG\nnext to it) applied in memory. Options "
           "for every command: --no-logs reads\nthe primary file as it is; "
           "--log FILE (repeatable) names the logs.\n"
           "\nExit status: 0 success, 1 error, 2 a difference or finding "
           "(compare,\nservices --orphans), 64 usage.\n");
}

/* reghive help [COMMAND] */
static int
help_cmd(int argc, char **argv)
{
    if (argc < 3) {
        help();
        return 0;
    }
    if (strcmp(argv[2], "--markdown") == 0) { /* README's table */
        docgen_markdown(stdout);
        return 0;
    }
    const struct cmd *c = cmd_find(argv[2]);
    if (!c) {
        fprintf(stderr, "reghive: unknown command '%s' (try reghive help)\n",
                argv[2]);
        return EXIT_USAGE;
    }
    opt_help(stdout, c->spec);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "help") == 0)
        return help_cmd(argc, argv);
    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        help();
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "completion") == 0) {
        if (argc != 3 || strcmp(argv[2], "bash") != 0) {
            fprintf(stderr, "usage: reghive completion bash\n");
            return EXIT_USAGE;
        }
        docgen_bash(stdout);
        return 0;
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
    const struct cmd *c = cmd_find(argv[1]);
    if (c)
        return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "reghive: unknown command '%s' (try reghive --help)\n",
            argv[1]);
    return EXIT_USAGE;
}
