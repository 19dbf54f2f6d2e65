/* cli.h - subcommands and compatibility front ends of the trawl binary.
 *
 * `trawl NAME args...` runs the subcommand NAME when argv[1] names one;
 * otherwise argv is trawl's own command line (main.c). A front end for
 * another tool (PCapper, packet-agent) translates that tool's flags into
 * trawl's own argv and runs it through run_trawl, so there is one model
 * and one parser; what cannot be translated is a usage error that says so.
 */
#ifndef TRAWL_CLI_H
#define TRAWL_CLI_H

typedef int (*tr_trawl_main_fn)(int argc, char **argv);

struct tr_subcommand {
    const char *name;
    const char *summary; /* one line for trawl --help */
    /* argv[0] is the subcommand's name; returns the exit code. A front end
     * that parsed its flags with getopt sets optind = 0 before run_trawl. */
    int (*run)(int argc, char **argv, tr_trawl_main_fn run_trawl);
};

/* The subcommands, ending with a zeroed entry (cli.c). */
extern const struct tr_subcommand tr_subcommands[];

/* recollect.c: connect to a flow metadata server and print its records as
 * text lines; pcapper.c: PCapper's flags on the flow metadata service. */
int tr_cli_recollect(int argc, char **argv, tr_trawl_main_fn run_trawl);
int tr_cli_pcapper(int argc, char **argv, tr_trawl_main_fn run_trawl);
/* pktminerg.c: packet-agent's flags on the mirror outputs (docs/mirror.md). */
int tr_cli_pktminerg(int argc, char **argv, tr_trawl_main_fn run_trawl);

#endif
