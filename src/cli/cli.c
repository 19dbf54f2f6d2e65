/* cli.c - the table of subcommands (cli.h). Each lives in its own file. */
#include "cli.h"

#include <stddef.h>

const struct tr_subcommand tr_subcommands[] = {
    {NULL, NULL, NULL},
};
