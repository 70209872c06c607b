/*
 * cmd_info.c - reghive info HIVE
 */
#include "cmd.h"

#include <string.h>
#include <time.h>

static void
print_time(const char *label, uint64_t ft)
{
    char buf[64] = "never";
    if (ft >= 116444736000000000ull) {
        time_t t = (time_t)((ft - 116444736000000000ull) / 10000000u);
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    printf("%-20s %s\n", label, buf);
}

enum { IN_HIVE };
static const struct opt_spec info_opts[] = {
    [IN_HIVE] = {OPT_ARG, "HIVE", NULL, OPT_REQUIRED | OPT_HIVE | OPT_FILE,
                 NULL,
                 "the hive (with --windows: a root such as HKLM\\SYSTEM)"},
    {OPT_END, NULL, NULL, 0, NULL, NULL}};
const struct cmd_spec info_spec = {
    "info", info_opts,
    "base block fields, version, dirty state, counts and free space", NULL};

int
cmd_info(int argc, char **argv)
{
    struct opt_res r0;
    PARSE_ARGS(info_spec, argc, argv, &r0);
    argv[1] = (char *)r0.val[IN_HIVE]; /* after "--" too */
    rh_hive *h = open_hive(argv[1], 0);
    if (!h)
        return 1;
    rh_info in;
    rh_stats st;
    rh_hive_info(h, &in);
    printf("%-20s %s\n", "file", argv[1]);
    printf("%-20s %llu bytes\n", "size", (unsigned long long)in.file_size);
    printf("%-20s regf %u.%u\n", "version", in.major, in.minor);
    printf("%-20s %s\n", "embedded name", in.file_name);
    printf("%-20s %u / %u\n", "sequence numbers", in.seq1, in.seq2);
    printf("%-20s %s\n", "state",
           in.dirty ? "DIRTY (sequence numbers differ: newest changes are "
                      "in the transaction logs)"
                    : "clean");
    printf("%-20s 0x%08x (%s)\n", "checksum", in.checksum,
           in.checksum == in.checksum_computed ? "valid" : "MISMATCH");
    print_time("last written", in.last_written);
    printf("%-20s 0x%x\n", "root cell", in.root);
    printf("%-20s %u bytes\n", "hive bins size", in.bins_size);
    print_log_state(h);
    int rc = rh_hive_stats(h, &st);
    if (rc == 0) {
        printf("%-20s %llu\n", "bins", (unsigned long long)st.bins);
        printf("%-20s %llu\n", "keys", (unsigned long long)st.keys);
        printf("%-20s %llu\n", "values", (unsigned long long)st.values);
        printf("%-20s %llu bytes\n", "value data",
               (unsigned long long)st.value_bytes);
        printf("%-20s %llu bytes in %llu cells\n", "used",
               (unsigned long long)st.used_bytes,
               (unsigned long long)st.used_cells);
        printf("%-20s %llu bytes in %llu cells\n", "free",
               (unsigned long long)st.free_bytes,
               (unsigned long long)st.free_cells);
    } else {
        die_rc(h, argv[1], rc);
    }
    rh_close(h);
    return rc < 0;
}
