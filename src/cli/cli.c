/* cli.c - the table of subcommands (cli.h). Each lives in its own file. */
#include "cli.h"

#include <stddef.h>

const struct tr_subcommand tr_subcommands[] = {
    {"recollect", "print a flow metadata server's records as text (docs/flowmeta.md)",
     tr_cli_recollect},
    {"pcapper", "PCapper's command line on the flow metadata service (docs/flowmeta.md)",
     tr_cli_pcapper},
    {"pktminerg", "packet-agent's command line on the mirror outputs (docs/mirror.md)",
     tr_cli_pktminerg},
    {NULL, NULL, NULL},
};
