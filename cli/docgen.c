/*
 * docgen.c - text made from the command declarations: README's command
 * table (reghive help --markdown; tests/cli/options.sh checks README.md
 * holds exactly this) and bash completion (reghive completion bash).
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

/* The usage line without "usage: reghive ". */
static void
usage_text(FILE *f, const struct cmd_spec *sp)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m)
        return;
    opt_usage(m, sp);
    fclose(m);
    if (!buf)
        return;
    const char *t = buf + strlen("usage: ");
    size_t len = strcspn(t, "\n");
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '|')
            fputs("\\|", f); /* a table cell: escape the pipes */
        else
            fputc(t[i], f);
    }
    free(buf);
}

void
docgen_markdown(FILE *f)
{
    fputs("| command | what it does |\n|---|---|\n", f);
    for (const struct cmd *c = cli_cmds; c->spec; c++) {
        fputs("| `", f);
        usage_text(f, c->spec);
        fprintf(f, "` | %s |\n", c->spec->summary);
    }
}

/* Every visible spelling of the command's options, space-separated. */
static void
words(FILE *f, const struct cmd_spec *sp)
{
    for (int i = 0; sp->opts[i].kind != OPT_END; i++) {
        const struct opt_spec *o = &sp->opts[i];
        if ((o->kind != OPT_SWITCH && o->kind != OPT_VALUE) ||
            (o->flags & OPT_HIDDEN))
            continue;
        for (const char *p = o->name; *p; p++)
            fputc(*p == '|' ? ' ' : *p, f);
        fputc(' ', f);
    }
    fputs("--help", f);
}

void
docgen_bash(FILE *f)
{
    fputs("# bash completion for reghive, made by `reghive completion "
          "bash`\n_reghive()\n{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} "
          "prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n"
          "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        case ${COMP_WORDS[i]} in\n"
          "        --windows|--user|--log) ((i++)) ;;\n"
          "        -*) ;;\n"
          "        *) cmd=${COMP_WORDS[i]}; break ;;\n"
          "        esac\n    done\n"
          "    if [ -z \"$cmd\" ]; then\n"
          "        COMPREPLY=($(compgen -W \"",
          f);
    for (const struct cmd *c = cli_cmds; c->spec; c++)
        fprintf(f, "%s ", c->spec->name);
    fputs("help --windows --user --no-logs --log --version --help\" -- "
          "\"$cur\"))\n        return\n    fi\n    case $prev in\n",
          f);
    /* options whose value is a type name or a file */
    fputs("    -t) COMPREPLY=($(compgen -W \"REG_SZ REG_EXPAND_SZ REG_BINARY "
          "REG_DWORD REG_DWORD_BIG_ENDIAN REG_LINK REG_MULTI_SZ REG_NONE "
          "REG_QWORD\" -- \"$cur\")); return ;;\n"
          "    -o|--data-file|--log|--windows) COMPREPLY=($(compgen -f -- "
          "\"$cur\")); return ;;\n    esac\n    case $cmd in\n",
          f);
    for (const struct cmd *c = cli_cmds; c->spec; c++) {
        fprintf(f,
                "    %s)\n        if [[ $cur == -* ]]; then\n"
                "            COMPREPLY=($(compgen -W \"",
                c->spec->name);
        words(f, c->spec);
        fputs("\" -- \"$cur\"))\n        else\n"
              "            COMPREPLY=($(compgen -f -- \"$cur\"))\n"
              "        fi ;;\n",
              f);
    }
    fputs("    esac\n}\ncomplete -o filenames -F _reghive reghive\n", f);
}
