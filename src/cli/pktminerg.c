/* pktminerg.c - `trawl pktminerg ...`: a front end that accepts
 * packet-agent's (Netis cloud-probe pktminerg) main flags and runs trawl's
 * mirror outputs with the same meaning (docs/mirror.md, "pktminerg").
 *
 * Spec: pktminerg's options (cloud-probe src/pktminerg.cpp, USAGE.md;
 * /work/shared/reference/packet-agent.md):
 *   -i NIC            capture interface (repeatable here; one in pktminerg)
 *   -f PCAP           read a file instead (pktminerg's offline mode)
 *   -r IP[,IP...]     remote probes (one mirror output each)
 *   -k KEYBIT         GRE key (default 1)          -> --mirror gre:IP:KEYBIT
 *   -n VNI            VXLAN with this VNI          -> --mirror vxlan:IP:PORT:VNI
 *   -x PORT           VXLAN UDP port (default 4789)
 *   -z/--zmq_port P   ZMQ PUSH to tcp://IP:P       -> --mirror zmq:tcp://IP:P,key=KEYBIT
 *   --slice N, --mbps X, --dir auto|host_A|nic.X -> --slice, --mbps, --mirror-dir
 *   --dump DIR --interval S   pcap files (S >= 0 turns dumping on; 0: one file)
 *                             -> --dump DIR [--dump-interval S]
 *   -s SNAPLEN, -b MB, --expression FILTER (and positional words: the filter)
 *   -t SEC, -m HWM, -p, --cpu N: accepted and ignored (trawl has no use for them)
 * Refused, with a message: -B (bind device), -M (PMTU discovery), -c (count),
 * --nofilter (trawl always leaves its own mirror traffic out of the capture).
 * pktminerg runs as root and so does this front end (--user root): the dump
 * directory is usually root's, and interface recovery needs the privilege.
 * Anything after "--" is passed to trawl unchanged.
 */
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKTMINERG_MAX_ARGS 128
#define PKTMINERG_MAX_REMOTES 15

static void pktminerg_usage(FILE *f)
{
    fputs("usage: trawl pktminerg (-i NIC | -f PCAP) -r IP[,IP...] [-k KEYBIT | -n VNI [-x PORT] |\n"
          "                       -z ZMQ_PORT] [--slice N] [--mbps X] [--dir auto|host_A|nic.X]\n"
          "                       [--dump DIR --interval SEC] [-s SNAPLEN] [-b MB]\n"
          "                       [--expression FILTER | FILTER...] [-- trawl options...]\n"
          "packet-agent's command line on trawl's mirror outputs (docs/mirror.md):\n"
          "  GRE (default, key -k, 1), VXLAN (-n VNI, -x port, 4789) or ZMQ (-z port) to every\n"
          "  -r address; --dump DIR with --interval SEC >= 0 also writes pcap files.\n"
          "  Ignored: -t -m -p --cpu. Refused: -B -M -c --nofilter.\n",
          f);
}

static int refuse(const char *what, const char *why)
{
    fprintf(stderr, "trawl pktminerg: %s is not supported: %s (see trawl pktminerg -h)\n", what,
            why);
    return 2;
}

int tr_cli_pktminerg(int argc, char **argv, tr_trawl_main_fn run_trawl)
{
    static char specs[PKTMINERG_MAX_REMOTES][320];
    static char remotes_buf[4096];
    static char filter[4096];
    static char *out[PKTMINERG_MAX_ARGS];
    const char *remotes = NULL, *keybit = "1", *vni = NULL, *vport = "4789", *zport = NULL;
    const char *dump = NULL, *interval = NULL, *file = NULL;
    const char *ifaces[8];
    unsigned n_if = 0;
    int n = 0;
    size_t flen = 0;
    filter[0] = '\0';
    out[n++] = argv[0];

    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            pktminerg_usage(stdout);
            return 0;
        }
        /* --name=value */
        char name[64];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        if (eq && (size_t)(eq - a) < sizeof(name)) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            a = name;
            v = eq + 1;
        }
        static const char *const with_value[] = {
            "-i", "--interface", "-f", "--pcapfile", "-r", "--remoteip", "-k", "--keybit",
            "-n", "--vni", "-x", "--vxlan_port", "-z", "--zmq_port", "--slice", "--mbps",
            "--dir", "--dump", "--interval", "-s", "--snaplen", "-b", "--buffsize",
            "--expression", "-t", "--timeout", "-m", "--zmq_hwm", "--cpu", "-B",
            "--bind_device", "-M", "--pmtudisc_option", "-c", "--count",
        };
        bool takes = false;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            takes |= strcmp(a, with_value[k]) == 0;
        if (a[0] != '-') { /* pktminerg: positional words are the filter expression */
            v = a;
            a = "--expression";
        } else if (takes && !v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "trawl pktminerg: %s needs a value\n", a);
                return 2;
            }
            v = argv[++i];
        } else if (!takes && strcmp(a, "-p") && strcmp(a, "--priority") &&
                   strcmp(a, "--nofilter")) {
            fprintf(stderr, "trawl pktminerg: unknown option %s\n", a);
            pktminerg_usage(stderr);
            return 2;
        }

        if (!strcmp(a, "-i") || !strcmp(a, "--interface")) {
            if (n_if == 8)
                return refuse("more than 8 -i", "too many interfaces");
            ifaces[n_if++] = v;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--pcapfile")) {
            file = v;
        } else if (!strcmp(a, "-r") || !strcmp(a, "--remoteip")) {
            remotes = v;
        } else if (!strcmp(a, "-k") || !strcmp(a, "--keybit")) {
            keybit = v;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--vni")) {
            vni = v;
        } else if (!strcmp(a, "-x") || !strcmp(a, "--vxlan_port")) {
            vport = v;
        } else if (!strcmp(a, "-z") || !strcmp(a, "--zmq_port")) {
            zport = strcmp(v, "0") == 0 ? NULL : v; /* 0: disabled, as pktminerg */
        } else if (!strcmp(a, "--dump")) {
            dump = v;
        } else if (!strcmp(a, "--interval")) {
            interval = v;
        } else if (!strcmp(a, "--slice") || !strcmp(a, "--mbps") || !strcmp(a, "--dir")) {
            if (n + 2 >= PKTMINERG_MAX_ARGS)
                return refuse("this many options", "too many");
            out[n++] = !strcmp(a, "--dir") ? "--mirror-dir" : (char *)a;
            out[n++] = (char *)v;
            if (!strcmp(a, "--slice") && strcmp(v, "0") == 0)
                n -= 2; /* pktminerg: 0 = whole packets */
        } else if (!strcmp(a, "-s") || !strcmp(a, "--snaplen") || !strcmp(a, "-b") ||
                   !strcmp(a, "--buffsize")) {
            if (n + 2 >= PKTMINERG_MAX_ARGS)
                return refuse("this many options", "too many");
            out[n++] = a[1] == 's' || !strcmp(a, "--snaplen") ? "-s" : "--buffer-mb";
            out[n++] = (char *)v;
        } else if (!strcmp(a, "--expression")) {
            int w = snprintf(filter + flen, sizeof(filter) - flen, "%s%s", flen ? " " : "", v);
            if (w < 0 || (size_t)w >= sizeof(filter) - flen)
                return refuse("--expression", "longer than 4 KiB");
            flen += (size_t)w;
        } else if (!strcmp(a, "-B") || !strcmp(a, "--bind_device")) {
            return refuse(a, "trawl sends through the routing table");
        } else if (!strcmp(a, "-M") || !strcmp(a, "--pmtudisc_option")) {
            return refuse(a, "trawl lets the kernel fragment (DF clear)");
        } else if (!strcmp(a, "-c") || !strcmp(a, "--count")) {
            return refuse(a, "trawl runs until stopped");
        } else if (!strcmp(a, "--nofilter")) {
            return refuse(a, "trawl always leaves its own mirror traffic out");
        } else {
            fprintf(stderr, "trawl pktminerg: %s ignored\n", a); /* -t -m -p --cpu */
        }
    }

    if ((n_if == 0) == (file == NULL)) {
        fprintf(stderr, "trawl pktminerg: give one of -i NIC or -f PCAP\n");
        return 2;
    }
    bool dumping = interval && interval[0] != '-'; /* pktminerg: --interval >= 0 dumps */
    if (dumping && !dump)
        dump = "."; /* pktminerg's default --dump ./ */
    if (!remotes && !dumping) {
        fprintf(stderr, "trawl pktminerg: set the remote with -r IP or dump with --dump DIR "
                        "--interval SEC\n");
        return 2;
    }
    for (unsigned k = 0; k < n_if; k++) {
        out[n++] = "-i";
        out[n++] = (char *)ifaces[k];
    }
    if (file) {
        out[n++] = "-r";
        out[n++] = (char *)file;
    }
    if (remotes) {
        snprintf(remotes_buf, sizeof(remotes_buf), "%s", remotes);
        char *save = NULL;
        unsigned nr = 0;
        for (char *ip = strtok_r(remotes_buf, ",", &save); ip; ip = strtok_r(NULL, ",", &save)) {
            if (nr == PKTMINERG_MAX_REMOTES || n + 2 >= PKTMINERG_MAX_ARGS)
                return refuse("-r with this many addresses", "at most 15");
            bool v6 = strchr(ip, ':') != NULL;
            const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";
            if (zport)
                snprintf(specs[nr], sizeof(specs[nr]), "zmq:tcp://%s%s%s:%s,key=%s", lb, ip, rb,
                         zport, keybit);
            else if (vni)
                snprintf(specs[nr], sizeof(specs[nr]), "vxlan:%s%s%s:%s:%s", lb, ip, rb, vport,
                         vni);
            else
                snprintf(specs[nr], sizeof(specs[nr]), "gre:%s%s%s:%s", lb, ip, rb, keybit);
            out[n++] = "--mirror";
            out[n++] = specs[nr++];
        }
    }
    if (dumping) {
        out[n++] = "--dump";
        out[n++] = (char *)dump;
        if (strcmp(interval, "0") != 0) {
            out[n++] = "--dump-interval";
            out[n++] = (char *)interval;
        }
    }
    if (flen) {
        out[n++] = "-f";
        out[n++] = filter;
    }
    out[n++] = "--user";
    out[n++] = "root";
    for (; i < argc && n < PKTMINERG_MAX_ARGS - 1; i++)
        out[n++] = argv[i];
    out[n] = NULL;
    if (getenv("TRAWL_PKTMINERG_SHOW")) { /* tests and the curious: the translation */
        for (int k = 1; k < n; k++)
            printf("%s%s", k > 1 ? " " : "", out[k]);
        putchar('\n');
        return 0;
    }
    return run_trawl(n, out);
}
