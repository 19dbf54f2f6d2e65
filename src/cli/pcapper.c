/* pcapper.c - `trawl pcapper [-f LOG] [-p PORT] [-i IFACE] [-m MODE]`: a
 * front end that accepts PCapper's command line and runs trawl's flow
 * metadata service with the same meaning (docs/flowmeta.md).
 *
 * Spec: PCapper's usage (fortian/mwmg pcapper.c main, config/pcapper/
 * README.md; /work/shared/reference/pcapper.md):
 *   -f logfile   text log, written only while recollect clients are
 *                connected (default pcapper.log in the working directory)
 *   -p port      TCP port of the record service (default 7073), all
 *                interfaces
 *   -i iface     the monitored interface (its MAC and IP make the mode's
 *                filter)
 *   -m mode      src (default), dst or spoof
 * Translated to
 *   trawl -i IFACE --flowmeta 0.0.0.0:PORT --flowmeta-log LOG
 *         --flowmeta-mode MODE --flowmeta-first-frag --user root [TRAWL_OPTS]
 * first-frag because PCapper accounts a fragmented datagram at its first
 * fragment; --user root because PCapper runs as root and the log is opened
 * (in the working directory) only when the first client connects. Anything
 * after "--" is passed to trawl unchanged (e.g. -f BPF, -v). PCapper's -r
 * (MAC of another device) and -s (disabled in PCapper) are refused.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAPPER_MAX_ARGS 64

static void pcapper_usage(FILE *f)
{
    fputs("usage: trawl pcapper [-f logfile] [-p port] -i interface [-m src|dst|spoof]\n"
          "                     [-- trawl options...]\n"
          "PCapper's command line on trawl's flow metadata service (docs/flowmeta.md):\n"
          "  -f logfile   text log while clients are connected (default pcapper.log)\n"
          "  -p port      record service port on all interfaces (default 7073)\n"
          "  -i interface capture interface; its MAC/IP build the mode's filter\n"
          "  -m mode      src (default): sent by it; dst: not sent by it;\n"
          "               spoof: its source address, not its MAC\n"
          "Runs: trawl -i IF --flowmeta 0.0.0.0:PORT --flowmeta-log LOG\n"
          "      --flowmeta-mode MODE --flowmeta-first-frag --user root [trawl options]\n",
          f);
}

int tr_cli_pcapper(int argc, char **argv, tr_trawl_main_fn run_trawl)
{
    const char *log = "pcapper.log", *port = "7073", *iface = NULL, *mode = "src";
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            pcapper_usage(stdout);
            return 0;
        }
        if (strcmp(a, "-r") == 0 || strcmp(a, "-s") == 0) {
            fprintf(stderr, "trawl pcapper: %s is not supported (see trawl pcapper -h)\n", a);
            return 2;
        }
        if (strcmp(a, "-f") && strcmp(a, "-p") && strcmp(a, "-i") && strcmp(a, "-m")) {
            pcapper_usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "trawl pcapper: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        switch (a[1]) {
        case 'f': log = v; break;
        case 'p': {
            char *end;
            long p = strtol(v, &end, 10);
            if (*end || p < 1 || p > 65535) {
                fprintf(stderr, "trawl pcapper: -p %s: invalid port\n", v);
                return 2;
            }
            port = v;
            break;
        }
        case 'i': iface = v; break;
        default:
            if (strcmp(v, "src") && strcmp(v, "dst") && strcmp(v, "spoof")) {
                fprintf(stderr, "trawl pcapper: -m %s: valid modes are src, dst or spoof\n", v);
                return 2;
            }
            mode = v;
            break;
        }
    }
    if (!iface) {
        fprintf(stderr, "trawl pcapper: -i interface is required\n");
        return 2;
    }
    static char listen[32];
    snprintf(listen, sizeof(listen), "0.0.0.0:%s", port);
    char *args[PCAPPER_MAX_ARGS];
    int n = 0;
    char *fixed[] = { "trawl", "-i", (char *)iface, "--flowmeta", listen, "--flowmeta-log",
                      (char *)log, "--flowmeta-mode", (char *)mode, "--flowmeta-first-frag",
                      "--user", "root" };
    for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
        args[n++] = fixed[k];
    for (; i < argc; i++) {
        if (n == PCAPPER_MAX_ARGS - 1) {
            fprintf(stderr, "trawl pcapper: too many arguments\n");
            return 2;
        }
        args[n++] = argv[i];
    }
    args[n] = NULL;
    optind = 0; /* run_trawl parses with getopt again */
    return run_trawl(n, args);
}
