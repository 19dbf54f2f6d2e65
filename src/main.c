/* main.c - command line to engine configuration, privilege drop, exit code.
 * Exit codes: 0 success, 1 runtime failure (input error or messages lost),
 * 2 usage or configuration error. */
#include "cli/cli.h"
#include "config/config.h"
#include "control/control.h"
#include "engine/engine.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("usage: trawl (-r FILE | -r - | -i IFACE | --hep-listen SPEC)... [options]\n"
          "Capture SIP from pcap/pcapng files or live interfaces and send it as HEP v3\n"
          "and/or JSON lines.\n"
          "\n"
          "Input:\n"
          "  -r FILE              read a pcap or pcapng file (repeatable; '-' = stdin)\n"
          "  -i IFACE             capture live on an interface (repeatable)\n"
          "  -f EXPR              BPF filter for every input\n"
          "  -s SNAPLEN           live snapshot length (default 262144)\n"
          "  --no-promisc         do not put interfaces in promiscuous mode\n"
          "  --buffer-mb N        live capture ring size in MiB (default 32; 8 when every\n"
          "                       output is a packet output: mirror, dump, flow metadata)\n"
          "  --user NAME          user to run as after opening live interfaces as root\n"
          "                       (default nobody; 'root' keeps privileges)\n"
          "  --hep-listen udp:[HOST:]PORT | tcp:[HOST:]PORT\n"
          "                       receive HEP from other agents (repeatable; HOST default\n"
          "                       127.0.0.1, 0.0.0.0 or [::] for all; UDP: HEP v1/v2/v3,\n"
          "                       TCP: HEP v3 only); relayed to the outputs\n"
          "  --hep-listen-key SECRET  refuse (and count) HEP input without this auth key\n"
          "  --hep-listen-conns N TCP connections per HEP listener (default 64)\n"
          "  --hepipe SOURCE      log lines ts_sec;ts_usec;corr_id;src;sport;dst;dport;text\n"
          "                       sent as HEP logs (type 100): '-' (stdin), a file (followed\n"
          "                       like tail -F), a FIFO, or udp:[HOST:]PORT (repeatable;\n"
          "                       docs/hepipe.md)\n"
          "SIP:\n"
          "  --sip-ports LIST     ports always parsed as SIP (default 5060,5061); SIP on\n"
          "                       other ports is still found by content\n"
          "  --sip-ports-only     look for SIP only on --sip-ports\n"
          "  --drop-malformed     do not forward malformed SIP (default: counted, forwarded)\n"
          "  --no-decap LIST      leave these tunnels encapsulated: ipip,gre,erspan,vxlan,\n"
          "                       geneve,all (default: all decapsulated)\n"
          "  --vxlan-ports LIST   UDP destination ports read as VXLAN (default 4789)\n"
          "  --geneve-ports LIST  UDP destination ports read as GENEVE (default 6081)\n"
          "  --frag-max N         IP reassembly table slots (default 1024)\n"
          "  --frag-mem BYTES     IP reassembly memory cap (default 16777216)\n"
          "  --frag-timeout SEC   IP reassembly timeout (default 30)\n"
          "  --tcp-max-flows N    TCP stream table slots (default 4096; LRU evicted)\n"
          "  --tcp-mem BYTES      TCP stream buffers, all flows (default 67108864)\n"
          "  --tcp-stream-mem BYTES  per direction: partial + out-of-order (default 262144)\n"
          "  --tcp-idle SEC       TCP flow idle timeout (default 300)\n"
          "Calls and media:\n"
          "  --no-rtcp            do not forward RTCP (default: HEP type 5, tagged with the call)\n"
          "  --rtcp-tracked-only  RTCP only on media endpoints learned from calls\n"
          "                       (default: also any strictly valid RTCP, without a call id)\n"
          "  --no-rtp-stats       no RTP stream statistics reports\n"
          "  --rtp-report SEC     also report RTP statistics every SEC seconds (default: at end)\n"
          "  --max-calls N        call table slots (default 32768; LRU evicted, counted)\n"
          "  --call-idle SEC      a call without BYE is forgotten after SEC (default 600)\n"
          "  --no-nat-learning    do not learn NAT'd media endpoints from RTP/RTCP\n"
          "Output:\n"
          "  --hep udp:HOST:PORT  send HEP v3 over UDP (repeatable)\n"
          "  --hep tcp:HOST:PORT  send HEP v3 over TCP (repeatable; [v6] in brackets)\n"
          "  --hep-id N           HEP capture agent id (default 2001)\n"
          "  --hep-key SECRET     HEP authentication key\n"
          "  --hep-node NAME      HEP capture node name\n"
          "  --hep-queue BYTES    TCP send queue cap per destination (default 8388608)\n"
          "  --hep-restamp        HEP input: send with our --hep-id/--hep-key/--hep-node\n"
          "                       (default: v3 relayed byte for byte, v1/v2 as v3)\n"
          "  --json FILE|-        one JSON object per SIP message (docs/json.md)\n"
          "  --json-payload       include the SIP message text in JSON\n"
          "  --csv FILE|-         one CSV row per message, RFC 4180, header line first\n"
          "                       (docs/csv.md)\n"
          "Flow metadata (PCapper-compatible, docs/flowmeta.md):\n"
          "  --flowmeta [ADDR:]PORT | ADDR  serve every packet's 28-byte record to\n"
          "                       recollect clients (PORT default 7073, PCapper's; ADDR\n"
          "                       default 127.0.0.1; 0.0.0.0 or [::] for all)\n"
          "  --flowmeta-log FILE  text lines, written only while a client is connected\n"
          "  --flowmeta-lines FILE|-  every packet's text line, always (no host records)\n"
          "  --flowmeta-multicast GROUP:PORT  also publish the records over UDP\n"
          "  --flowmeta-ttl N     multicast TTL / hop limit (default 1)\n"
          "  --flowmeta-mode src|dst|spoof  PCapper's selection from the -i interface's\n"
          "                       MAC and addresses (and-ed with -f)\n"
          "  --flowmeta-first-frag  account fragments at the first one (PCapper-exact)\n"
          "                       (default: when the datagram completes)\n"
          "  --flowmeta-mgen-dst  MGEN flow id only if its dst matches the packet's\n"
          "  --flowmeta-client-buf BYTES  queue per client before it loses records\n"
          "                       (default 1048576)\n"
          "  --flowmeta-max-clients N  (default 1024)\n"
          "  --flowmeta-no-host   no per-second CPU and memory records\n"
          "Mirror and dump (packet-agent's job, docs/mirror.md):\n"
          "  --mirror gre:HOST[:KEY] | vxlan:HOST[:PORT[:VNI]] | zmq:tcp://HOST:PORT\n"
          "                       send every captured frame there (repeatable; options\n"
          "                       ,slice=N,mbps=X,key=N after the spec; KEY/VNI default 1)\n"
          "  --mirror-dir auto|host_ADDR|nic.IFACE|none  direction in the high 4 bits of\n"
          "                       the GRE key / VNI: 1 in, 2 out (default none)\n"
          "  --slice N            keep the first N bytes of each mirrored/dumped frame\n"
          "  --mbps X             rate limit per mirror in Mbit/s (excess dropped, counted)\n"
          "  --dump DIR           write every captured frame to pcap files in DIR\n"
          "  --dump-interval SEC  start a new file every SEC seconds\n"
          "  --dump-size MB       start a new file before one exceeds MB MiB\n"
          "  --dump-files N       keep at most N files (the oldest are removed)\n"
          "  --dump-format pcap|pcapng  (default pcap, nanosecond timestamps)\n"
          "  --netns PATH|NAME|PID  capture in that network namespace (-i names, nic.IFACE)\n"
          "  --iface-retry SEC    recheck a missing or down -i interface every SEC (default 2)\n"
          "  --drain-timeout MS   at the end of files, wait this long for outputs (default 5000)\n"
          "Other:\n"
          "  -c FILE              load the YAML configuration (etc/trawl.yaml, docs/config.md);\n"
          "                       the file is the whole model: only -q, -v, --user go with it\n"
          "  --check-config       with -c: check the file, print OK or the error (exit 0/2)\n"
          "  --http [ADDR:]PORT   HTTP API: GET /stats, GET /metrics (Prometheus), PUT\n"
          "                       /inputs/NAME/filter, POST /reload (docs/api.md; ADDR\n"
          "                       default 127.0.0.1; with -c: the control: section)\n"
          "  --http-token TOKEN   the API requires Authorization: Bearer TOKEN\n"
          "  -q                   no summary and no progress on stderr\n"
          "  -v                   more log messages\n"
          "  -V, --version        print the version\n"
          "  -h, --help           this help\n"
          "Signals: SIGINT/SIGTERM stop, SIGUSR1 prints the summary, SIGHUP reopens\n"
          "output files and, with -c, reloads the config (the old one stays on error).\n",
          f);
    bool any = false;
    for (const struct tr_subcommand *s = tr_subcommands; s->name; s++) {
        if (!any)
            fputs("Subcommands (trawl NAME --help for each):\n", f);
        any = true;
        fprintf(f, "  %-20s %s\n", s->name, s->summary);
    }
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("trawl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see trawl --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* Parses an unsigned decimal in [min, max]. */
static bool parse_uint(const char *s, unsigned long long min, unsigned long long max,
                       unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A short list of single ports for a UDP tunnel: 1..TR_DECODE_MAX_TUN_PORTS
 * entries, each 1..65535. */
static int parse_tunnel_ports(const char *list, uint16_t *ports, uint8_t *n_out)
{
    char buf[256];
    if (strlen(list) >= sizeof(buf))
        return -1;
    strcpy(buf, list);
    char *save = NULL;
    unsigned n = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned long long v;
        if (n == TR_DECODE_MAX_TUN_PORTS || !parse_uint(tok, 1, 65535, &v))
            return -1;
        ports[n++] = (uint16_t)v;
    }
    if (n == 0)
        return -1;
    *n_out = (uint8_t)n;
    return 0;
}

static int parse_ports(struct tr_engine_conf *conf, const char *list)
{
    memset(conf->sip_ports, 0, sizeof(conf->sip_ports));
    char buf[1024];
    if (strlen(list) >= sizeof(buf))
        return -1;
    strcpy(buf, list);
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned long long lo, hi;
        char *dash = strchr(tok, '-');
        if (dash) {
            *dash = '\0';
            if (!parse_uint(tok, 1, 65535, &lo) || !parse_uint(dash + 1, lo, 65535, &hi))
                return -1;
        } else {
            if (!parse_uint(tok, 1, 65535, &lo))
                return -1;
            hi = lo;
        }
        for (unsigned long long p = lo; p <= hi; p++)
            tr_engine_conf_set_sip_port(conf, (uint16_t)p);
        n++;
    }
    return n > 0 ? 0 : -1;
}

static int drop_privileges(const char *user)
{
    if (geteuid() != 0 || strcmp(user, "root") == 0)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "trawl: --user %s: no such user\n", user);
        return -1;
    }
    /* CAP_NET_RAW alone survives the drop: enough to reopen a capture when
     * an interface comes back (packet sockets) and nothing more; every
     * other capability and the root uid are gone. */
    if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 || setgroups(0, NULL) != 0 ||
        setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "trawl: cannot drop privileges to %s: %s\n", user, strerror(errno));
        return -1;
    }
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
    caps[0].effective = caps[0].permitted = 1u << CAP_NET_RAW;
    /* With KEEPCAPS the permitted set is still full after setuid: capset
     * must succeed, or the drop has not happened. */
    if (syscall(SYS_capset, &hdr, caps) != 0) {
        fprintf(stderr, "trawl: cannot limit capabilities after dropping to %s: %s\n", user,
                strerror(errno));
        return -1;
    }
    prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
    if (setuid(0) == 0) { /* must not be able to get root back */
        fprintf(stderr, "trawl: privilege drop to %s did not hold\n", user);
        return -1;
    }
    tr_log(TR_LOG_INFO, "running as %s with CAP_NET_RAW only (to reopen captures)", user);
    return 0;
}

enum {
    OPT_NO_PROMISC = 1000,
    OPT_BUFFER_MB,
    OPT_USER,
    OPT_SIP_PORTS,
    OPT_SIP_PORTS_ONLY,
    OPT_DROP_MALFORMED,
    OPT_FRAG_MAX,
    OPT_FRAG_MEM,
    OPT_FRAG_TIMEOUT,
    OPT_TCP_MAX_FLOWS,
    OPT_TCP_MEM,
    OPT_TCP_STREAM_MEM,
    OPT_TCP_IDLE,
    OPT_NO_RTCP,
    OPT_RTCP_TRACKED_ONLY,
    OPT_NO_RTP_STATS,
    OPT_RTP_REPORT,
    OPT_MAX_CALLS,
    OPT_CALL_IDLE,
    OPT_NO_NAT_LEARNING,
    OPT_HEP,
    OPT_HEP_ID,
    OPT_HEP_KEY,
    OPT_HEP_NODE,
    OPT_HEP_QUEUE,
    OPT_JSON,
    OPT_JSON_PAYLOAD,
    OPT_DRAIN_TIMEOUT,
    OPT_NO_DECAP,
    OPT_VXLAN_PORTS,
    OPT_GENEVE_PORTS,
    OPT_HEP_LISTEN,
    OPT_HEP_LISTEN_KEY,
    OPT_HEP_LISTEN_CONNS,
    OPT_HEP_RESTAMP,
    OPT_FLOWMETA,
    OPT_FLOWMETA_LOG,
    OPT_FLOWMETA_LINES,
    OPT_FLOWMETA_MULTICAST,
    OPT_FLOWMETA_TTL,
    OPT_FLOWMETA_MODE,
    OPT_FLOWMETA_FIRST_FRAG,
    OPT_FLOWMETA_MGEN_DST,
    OPT_FLOWMETA_CLIENT_BUF,
    OPT_FLOWMETA_MAX_CLIENTS,
    OPT_FLOWMETA_NO_HOST,
    OPT_MIRROR, /* mirror and dump (docs/mirror.md) */
    OPT_MIRROR_DIR,
    OPT_SLICE,
    OPT_MBPS,
    OPT_DUMP,
    OPT_DUMP_INTERVAL,
    OPT_DUMP_SIZE,
    OPT_DUMP_FILES,
    OPT_DUMP_FORMAT,
    OPT_NETNS,
    OPT_IFACE_RETRY,
};

enum { OPT_CHECK_CONFIG = 3000, OPT_CSV }; /* config file and CSV options */
enum { OPT_HTTP = 4000, OPT_HTTP_TOKEN, OPT_HEPIPE }; /* HTTP API and HEPipe (docs/api.md) */

/* -c FILE: the config file is the whole model (docs/config.md); only -q,
 * -v and --user may be given with it (anything else is a usage error, so
 * there is no precedence to remember). --check-config loads it and says OK
 * or prints the error: exit 0 or 2. */
static int run_config(const char *path, bool check_only, bool quiet, const char *user)
{
    struct tr_err err = { 0 };
    struct tr_config *cfg = tr_config_load_file(path, &err);
    if (!cfg) {
        fprintf(stderr, "trawl: %s\n", err.msg);
        return err.code == -TR_E_CONFIG || check_only ? EXIT_USAGE : 1;
    }
    if (check_only) {
        printf("%s: OK\n", path);
        tr_config_free(cfg);
        return 0;
    }
    static struct tr_engine_conf conf; /* 8 KiB port bitmap: keep it off the stack */
    conf = *tr_config_engine(cfg);
    conf.config_path = path;
    bool live = false;
    for (unsigned i = 0; i < conf.n_inputs; i++)
        live |= conf.inputs[i].kind != TR_INPUT_FILE;
    conf.progress = !quiet && !live && isatty(STDERR_FILENO);
    tr_engine_install_signals();
    struct tr_engine *e = tr_engine_open(&conf, &err);
    if (!e) {
        fprintf(stderr, "trawl: %s\n", err.msg);
        tr_config_free(cfg);
        return err.code == -TR_E_USAGE || err.code == -TR_E_CONFIG ? EXIT_USAGE : 1;
    }
    int rc = EXIT_USAGE;
    if (!live || drop_privileges(user) == 0) {
        rc = tr_engine_run(e);
        if (!quiet)
            tr_engine_print_summary(e, stderr);
    }
    tr_engine_close(e);
    tr_config_free(cfg);
    return rc;
}

static int trawl_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "no-promisc", no_argument, NULL, OPT_NO_PROMISC },
        { "buffer-mb", required_argument, NULL, OPT_BUFFER_MB },
        { "user", required_argument, NULL, OPT_USER },
        { "sip-ports", required_argument, NULL, OPT_SIP_PORTS },
        { "sip-ports-only", no_argument, NULL, OPT_SIP_PORTS_ONLY },
        { "drop-malformed", no_argument, NULL, OPT_DROP_MALFORMED },
        { "frag-max", required_argument, NULL, OPT_FRAG_MAX },
        { "frag-mem", required_argument, NULL, OPT_FRAG_MEM },
        { "frag-timeout", required_argument, NULL, OPT_FRAG_TIMEOUT },
        { "tcp-max-flows", required_argument, NULL, OPT_TCP_MAX_FLOWS },
        { "tcp-mem", required_argument, NULL, OPT_TCP_MEM },
        { "tcp-stream-mem", required_argument, NULL, OPT_TCP_STREAM_MEM },
        { "tcp-idle", required_argument, NULL, OPT_TCP_IDLE },
        { "no-rtcp", no_argument, NULL, OPT_NO_RTCP },
        { "rtcp-tracked-only", no_argument, NULL, OPT_RTCP_TRACKED_ONLY },
        { "no-rtp-stats", no_argument, NULL, OPT_NO_RTP_STATS },
        { "rtp-report", required_argument, NULL, OPT_RTP_REPORT },
        { "max-calls", required_argument, NULL, OPT_MAX_CALLS },
        { "call-idle", required_argument, NULL, OPT_CALL_IDLE },
        { "no-nat-learning", no_argument, NULL, OPT_NO_NAT_LEARNING },
        { "hep", required_argument, NULL, OPT_HEP },
        { "hep-id", required_argument, NULL, OPT_HEP_ID },
        { "hep-key", required_argument, NULL, OPT_HEP_KEY },
        { "hep-node", required_argument, NULL, OPT_HEP_NODE },
        { "hep-queue", required_argument, NULL, OPT_HEP_QUEUE },
        { "json", required_argument, NULL, OPT_JSON },
        { "json-payload", no_argument, NULL, OPT_JSON_PAYLOAD },
        { "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
        { "no-decap", required_argument, NULL, OPT_NO_DECAP },
        { "vxlan-ports", required_argument, NULL, OPT_VXLAN_PORTS },
        { "geneve-ports", required_argument, NULL, OPT_GENEVE_PORTS },
        { "hep-listen", required_argument, NULL, OPT_HEP_LISTEN },
        { "hep-listen-key", required_argument, NULL, OPT_HEP_LISTEN_KEY },
        { "hep-listen-conns", required_argument, NULL, OPT_HEP_LISTEN_CONNS },
        { "hep-restamp", no_argument, NULL, OPT_HEP_RESTAMP },
        { "flowmeta", required_argument, NULL, OPT_FLOWMETA },
        { "flowmeta-log", required_argument, NULL, OPT_FLOWMETA_LOG },
        { "flowmeta-lines", required_argument, NULL, OPT_FLOWMETA_LINES },
        { "flowmeta-multicast", required_argument, NULL, OPT_FLOWMETA_MULTICAST },
        { "flowmeta-ttl", required_argument, NULL, OPT_FLOWMETA_TTL },
        { "flowmeta-mode", required_argument, NULL, OPT_FLOWMETA_MODE },
        { "flowmeta-first-frag", no_argument, NULL, OPT_FLOWMETA_FIRST_FRAG },
        { "flowmeta-mgen-dst", no_argument, NULL, OPT_FLOWMETA_MGEN_DST },
        { "flowmeta-client-buf", required_argument, NULL, OPT_FLOWMETA_CLIENT_BUF },
        { "flowmeta-max-clients", required_argument, NULL, OPT_FLOWMETA_MAX_CLIENTS },
        { "flowmeta-no-host", no_argument, NULL, OPT_FLOWMETA_NO_HOST },
        { "mirror", required_argument, NULL, OPT_MIRROR },
        { "mirror-dir", required_argument, NULL, OPT_MIRROR_DIR },
        { "slice", required_argument, NULL, OPT_SLICE },
        { "mbps", required_argument, NULL, OPT_MBPS },
        { "dump", required_argument, NULL, OPT_DUMP },
        { "dump-interval", required_argument, NULL, OPT_DUMP_INTERVAL },
        { "dump-size", required_argument, NULL, OPT_DUMP_SIZE },
        { "dump-files", required_argument, NULL, OPT_DUMP_FILES },
        { "dump-format", required_argument, NULL, OPT_DUMP_FORMAT },
        { "netns", required_argument, NULL, OPT_NETNS },
        { "iface-retry", required_argument, NULL, OPT_IFACE_RETRY },
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
        { "http", required_argument, NULL, OPT_HTTP },
        { "http-token", required_argument, NULL, OPT_HTTP_TOKEN },
        { "hepipe", required_argument, NULL, OPT_HEPIPE },
        { "csv", required_argument, NULL, OPT_CSV },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };

    static struct tr_engine_conf conf; /* 8 KiB port bitmap: keep it off the stack */
    tr_engine_conf_init(&conf);
    const char *filter = NULL, *user = "nobody";
    int snaplen = 0, buffer_mb = 0;
    bool promisc = true, quiet = false, stdin_used = false;
    unsigned long long hep_id = 2001, hep_queue = 0;
    const char *hep_key = NULL, *hep_node = NULL;
    bool json_payload = false, json_seen = false;
    const char *hep_listen_key = NULL;
    unsigned hep_listen_conns = 0;
    bool hep_restamp = false;
    struct tr_flowmeta_conf fm = { 0 };
    const char *fm_mode = NULL;
    struct tr_mirror_conf mir = { 0 }; /* mirror and dump outputs */
    int iface_retry = 0;
    unsigned long long v;

    const char *config_path = NULL, *cli_model_opt = NULL; /* -c: see run_config */
    bool check_config = false, csv_seen = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "r:i:f:s:qvVhc:", longopts, NULL)) != -1) {
        if (opt != 'c' && opt != OPT_CHECK_CONFIG && opt != 'q' && opt != 'v' && opt != OPT_USER &&
            opt != 'V' && opt != 'h' && !cli_model_opt)
            cli_model_opt = optarg && optind >= 2 && optarg == argv[optind - 1] ? argv[optind - 2]
                                                                               : argv[optind - 1];
        switch (opt) {
        case 'c': config_path = optarg; break;
        case OPT_CHECK_CONFIG: check_config = true; break;
        case OPT_HTTP: {
            struct sockaddr_storage ss;
            struct tr_err herr = { 0 };
            if (tr_control_parse_listen(optarg, &ss, &herr) != TR_OK)
                return usage_error("%s", herr.msg);
            conf.http_listen = optarg;
            break;
        }
        case OPT_HTTP_TOKEN: conf.http_token = optarg; break;
        case OPT_HEPIPE:
            if (conf.n_inputs == TR_MAX_INPUTS)
                return usage_error("at most %d inputs", TR_MAX_INPUTS);
            if (strcmp(optarg, "-") == 0) {
                if (stdin_used)
                    return usage_error("--hepipe -: standard input can be read only once");
                stdin_used = true;
            }
            conf.inputs[conf.n_inputs++] = (struct tr_input_conf){ .kind = TR_INPUT_HEPIPE,
                                                                   .source = optarg };
            break;
        case OPT_CSV:
            if (csv_seen)
                return usage_error("--csv given twice");
            if (conf.n_outputs == TR_MAX_OUTPUTS)
                return usage_error("at most %d outputs", TR_MAX_OUTPUTS);
            csv_seen = true;
            conf.outputs[conf.n_outputs++] = (struct tr_output_conf){ .kind = "csv",
                                                                      .target = optarg };
            break;
        case 'r':
        case 'i':
            if (conf.n_inputs == TR_MAX_INPUTS)
                return usage_error("at most %d inputs", TR_MAX_INPUTS);
            if (opt == 'r' && strcmp(optarg, "-") == 0) {
                if (stdin_used)
                    return usage_error("-r -: standard input can be read only once");
                stdin_used = true;
            }
            conf.inputs[conf.n_inputs++] = (struct tr_input_conf){
                .kind = opt == 'r' ? TR_INPUT_FILE : TR_INPUT_LIVE, .source = optarg };
            break;
        case 'f': filter = optarg; break;
        case 's':
            if (!parse_uint(optarg, 64, 262144, &v))
                return usage_error("-s %s: snapshot length must be 64..262144", optarg);
            snaplen = (int)v;
            break;
        case OPT_NO_PROMISC: promisc = false; break;
        case OPT_BUFFER_MB:
            if (!parse_uint(optarg, 1, 4096, &v))
                return usage_error("--buffer-mb %s: must be 1..4096", optarg);
            buffer_mb = (int)v;
            break;
        case OPT_USER: user = optarg; break;
        case OPT_SIP_PORTS:
            if (parse_ports(&conf, optarg) != 0)
                return usage_error("--sip-ports %s: expected a list like 5060,5080-5090",
                                   optarg);
            break;
        case OPT_SIP_PORTS_ONLY: conf.sip_ports_only = true; break;
        case OPT_DROP_MALFORMED: conf.drop_malformed = true; break;
        case OPT_FRAG_MAX:
            if (!parse_uint(optarg, 1, 1u << 20, &v))
                return usage_error("--frag-max %s: must be 1..1048576", optarg);
            conf.defrag.max_datagrams = (unsigned)v;
            break;
        case OPT_FRAG_MEM:
            if (!parse_uint(optarg, 65536, 1ull << 34, &v))
                return usage_error("--frag-mem %s: must be 65536..17179869184", optarg);
            conf.defrag.max_bytes = (size_t)v;
            break;
        case OPT_FRAG_TIMEOUT:
            if (!parse_uint(optarg, 1, 3600, &v))
                return usage_error("--frag-timeout %s: must be 1..3600 seconds", optarg);
            conf.defrag.timeout_ns = v * 1000000000ull;
            break;
        case OPT_TCP_MAX_FLOWS:
            if (!parse_uint(optarg, 1, 1u << 24, &v))
                return usage_error("--tcp-max-flows %s: must be 1..16777216", optarg);
            conf.tcp.max_flows = (unsigned)v;
            break;
        case OPT_TCP_MEM:
            if (!parse_uint(optarg, 65536, 1ull << 36, &v))
                return usage_error("--tcp-mem %s: must be 65536..68719476736", optarg);
            conf.tcp.max_bytes = (size_t)v;
            break;
        case OPT_TCP_STREAM_MEM:
            if (!parse_uint(optarg, 4096, 1u << 30, &v))
                return usage_error("--tcp-stream-mem %s: must be 4096..1073741824", optarg);
            conf.tcp.max_stream_bytes = (size_t)v;
            break;
        case OPT_TCP_IDLE:
            if (!parse_uint(optarg, 1, 86400, &v))
                return usage_error("--tcp-idle %s: must be 1..86400 seconds", optarg);
            conf.tcp.idle_ns = v * 1000000000ull;
            break;
        case OPT_NO_RTCP: conf.no_rtcp = true; break;
        case OPT_RTCP_TRACKED_ONLY: conf.rtcp_tracked_only = true; break;
        case OPT_NO_RTP_STATS: conf.no_rtp_stats = true; break;
        case OPT_NO_NAT_LEARNING: conf.calls.no_learn = true; break;
        case OPT_RTP_REPORT:
            if (!parse_uint(optarg, 1, 86400, &v))
                return usage_error("--rtp-report %s: must be 1..86400 seconds", optarg);
            conf.rtp.report_interval_ns = v * 1000000000ull;
            break;
        case OPT_MAX_CALLS:
            if (!parse_uint(optarg, 1, 1u << 22, &v))
                return usage_error("--max-calls %s: must be 1..4194304", optarg);
            conf.calls.max_calls = (unsigned)v;
            break;
        case OPT_CALL_IDLE:
            if (!parse_uint(optarg, 1, 86400, &v))
                return usage_error("--call-idle %s: must be 1..86400 seconds", optarg);
            conf.calls.idle_ns = v * 1000000000ull;
            break;
        case OPT_HEP:
            if (conf.n_outputs == TR_MAX_OUTPUTS)
                return usage_error("at most %d outputs", TR_MAX_OUTPUTS);
            conf.outputs[conf.n_outputs++] = (struct tr_output_conf){ .kind = "hep",
                                                                      .target = optarg };
            break;
        case OPT_HEP_ID:
            if (!parse_uint(optarg, 0, UINT32_MAX, &hep_id))
                return usage_error("--hep-id %s: must be 0..4294967295", optarg);
            break;
        case OPT_HEP_KEY: hep_key = optarg; break;
        case OPT_HEP_NODE: hep_node = optarg; break;
        case OPT_HEP_QUEUE:
            if (!parse_uint(optarg, 1 << 17, 1ull << 32, &hep_queue))
                return usage_error("--hep-queue %s: must be 131072..4294967296", optarg);
            break;
        case OPT_JSON:
            if (json_seen)
                return usage_error("--json given twice");
            if (conf.n_outputs == TR_MAX_OUTPUTS)
                return usage_error("at most %d outputs", TR_MAX_OUTPUTS);
            json_seen = true;
            conf.outputs[conf.n_outputs++] = (struct tr_output_conf){ .kind = "json",
                                                                      .target = optarg };
            break;
        case OPT_JSON_PAYLOAD: json_payload = true; break;
        case OPT_NO_DECAP: {
            struct tr_err e;
            if (tr_decode_decap_parse(optarg, &conf.decode.decap_off, &e) != TR_OK)
                return usage_error("--no-decap %s: %s", optarg, e.msg);
            break;
        }
        case OPT_VXLAN_PORTS:
            if (parse_tunnel_ports(optarg, conf.decode.vxlan_ports, &conf.decode.n_vxlan_ports))
                return usage_error("--vxlan-ports %s: expected 1 to %d ports like 4789,8472",
                                   optarg, TR_DECODE_MAX_TUN_PORTS);
            break;
        case OPT_GENEVE_PORTS:
            if (parse_tunnel_ports(optarg, conf.decode.geneve_ports, &conf.decode.n_geneve_ports))
                return usage_error("--geneve-ports %s: expected 1 to %d ports like 6081",
                                   optarg, TR_DECODE_MAX_TUN_PORTS);
            break;
        case OPT_HEP_LISTEN:
            if (conf.n_inputs == TR_MAX_INPUTS)
                return usage_error("at most %d inputs", TR_MAX_INPUTS);
            conf.inputs[conf.n_inputs++] = (struct tr_input_conf){ .kind = TR_INPUT_HEP,
                                                                   .source = optarg };
            break;
        case OPT_HEP_LISTEN_KEY: hep_listen_key = optarg; break;
        case OPT_HEP_LISTEN_CONNS:
            if (!parse_uint(optarg, 1, 65536, &v))
                return usage_error("--hep-listen-conns %s: must be 1..65536", optarg);
            hep_listen_conns = (unsigned)v;
            break;
        case OPT_HEP_RESTAMP: hep_restamp = true; break;
        /* flow metadata (docs/flowmeta.md) */
        case OPT_FLOWMETA: fm.listen = optarg; break;
        case OPT_FLOWMETA_LOG: fm.log_path = optarg; break;
        case OPT_FLOWMETA_LINES: fm.lines_path = optarg; break;
        case OPT_FLOWMETA_MULTICAST: fm.multicast = optarg; break;
        case OPT_FLOWMETA_TTL:
            if (!parse_uint(optarg, 1, 255, &v))
                return usage_error("--flowmeta-ttl %s: must be 1..255", optarg);
            fm.mcast_ttl = (unsigned)v;
            break;
        case OPT_FLOWMETA_MODE: fm_mode = optarg; break;
        case OPT_FLOWMETA_FIRST_FRAG: fm.first_frag = true; break;
        case OPT_FLOWMETA_MGEN_DST: fm.mgen_dst = true; break;
        case OPT_FLOWMETA_CLIENT_BUF:
            if (!parse_uint(optarg, 28, 1u << 30, &v))
                return usage_error("--flowmeta-client-buf %s: must be 28..1073741824", optarg);
            fm.client_buf = (size_t)v;
            break;
        case OPT_FLOWMETA_MAX_CLIENTS:
            if (!parse_uint(optarg, 1, 65536, &v))
                return usage_error("--flowmeta-max-clients %s: must be 1..65536", optarg);
            fm.max_clients = (unsigned)v;
            break;
        case OPT_FLOWMETA_NO_HOST: fm.no_host = true; break;
        /* mirror and dump (docs/mirror.md) */
        case OPT_MIRROR:
        case OPT_DUMP:
            if (conf.n_outputs == TR_MAX_OUTPUTS)
                return usage_error("at most %d outputs", TR_MAX_OUTPUTS);
            if (opt == OPT_MIRROR) {
                struct tr_mirror_spec ms;
                struct tr_err merr = { 0 };
                if (tr_mirror_spec_parse(optarg, &ms, &merr) != TR_OK)
                    return usage_error("%s", merr.msg);
            }
            conf.outputs[conf.n_outputs++] = (struct tr_output_conf){
                .kind = opt == OPT_MIRROR ? "mirror" : "dump", .target = optarg };
            break;
        case OPT_MIRROR_DIR: mir.dir = optarg; break;
        case OPT_SLICE:
            if (!parse_uint(optarg, 14, 65535, &v))
                return usage_error("--slice %s: must be 14..65535", optarg);
            mir.slice = (uint32_t)v;
            break;
        case OPT_MBPS:
            if (!tr_mirror_mbps_parse(optarg, &mir.mbps))
                return usage_error("--mbps %s: must be > 0 and <= 100000", optarg);
            break;
        case OPT_DUMP_INTERVAL:
            if (!parse_uint(optarg, 1, 86400 * 366, &v))
                return usage_error("--dump-interval %s: must be 1..31622400 seconds", optarg);
            mir.dump_interval_s = (uint32_t)v;
            break;
        case OPT_DUMP_SIZE:
            if (!parse_uint(optarg, 1, 1u << 20, &v))
                return usage_error("--dump-size %s: must be 1..1048576 MiB", optarg);
            mir.dump_size = v << 20;
            break;
        case OPT_DUMP_FILES:
            if (!parse_uint(optarg, 1, 100000, &v))
                return usage_error("--dump-files %s: must be 1..100000", optarg);
            mir.dump_files = (unsigned)v;
            break;
        case OPT_DUMP_FORMAT:
            if (!tr_dump_format_parse(optarg, &mir.dump_pcapng))
                return usage_error("--dump-format %s: pcap or pcapng", optarg);
            break;
        case OPT_NETNS: mir.netns = optarg; break;
        case OPT_IFACE_RETRY:
            if (!parse_uint(optarg, 1, 3600, &v))
                return usage_error("--iface-retry %s: must be 1..3600 seconds", optarg);
            iface_retry = (int)v;
            break;
        case OPT_DRAIN_TIMEOUT:
            if (!parse_uint(optarg, 0, 3600000, &v))
                return usage_error("--drain-timeout %s: must be 0..3600000 ms", optarg);
            conf.drain_ms = (int)v;
            break;
        case 'q': quiet = true; break;
        case 'v': tr_log_set_level(TR_LOG_DEBUG); break;
        case 'V': printf("trawl %s\n", TRAWL_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: return usage_error("unknown option");
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (check_config && !config_path)
        return usage_error("--check-config needs -c FILE");
    if (config_path && cli_model_opt)
        return usage_error("-c %s: the config file is the whole model; %s cannot be combined "
                           "with it (only -q, -v, --user, --check-config)", config_path,
                           cli_model_opt);
    if (config_path)
        return run_config(config_path, check_config, quiet, user);
    if (conf.n_inputs == 0)
        return usage_error("no input: give -r FILE, -i IFACE, --hep-listen SPEC or --hepipe SOURCE");
    /* flow metadata: one packet output; a selection mode becomes the filter */
    if (fm.listen || fm.lines_path || fm.multicast) {
        if (conf.n_outputs == TR_MAX_OUTPUTS)
            return usage_error("at most %d outputs", TR_MAX_OUTPUTS);
        conf.outputs[conf.n_outputs++] = (struct tr_output_conf){ .kind = "flowmeta",
                                                                  .flowmeta = fm };
    } else if (fm.log_path) {
        return usage_error("--flowmeta-log needs --flowmeta [ADDR:]PORT (clients)");
    } else if (fm_mode) {
        return usage_error("--flowmeta-mode needs --flowmeta, --flowmeta-lines or "
                           "--flowmeta-multicast");
    }
    if (fm_mode) {
        static char fm_filter[4096];
        const char *iface = NULL;
        for (unsigned i = 0; i < conf.n_inputs && !iface; i++)
            if (conf.inputs[i].kind == TR_INPUT_LIVE)
                iface = conf.inputs[i].source;
        struct tr_err ferr = { 0 };
        if (tr_flowmeta_mode_filter(fm_mode, iface, filter, fm_filter, sizeof(fm_filter),
                                    &ferr) != TR_OK)
            return usage_error("--flowmeta-mode: %s", ferr.msg);
        filter = fm_filter;
        tr_log(TR_LOG_INFO, "flowmeta: capture filter '%s'", filter);
    }

    bool live = false;
    for (unsigned i = 0; i < conf.n_inputs; i++) {
        struct tr_input_conf *ic = &conf.inputs[i];
        ic->filter = filter;
        ic->snaplen = snaplen;
        ic->promisc = promisc;
        ic->buffer_mb = buffer_mb;
        ic->hep_key = hep_listen_key;
        ic->hep_max_conns = hep_listen_conns;
        live |= ic->kind == TR_INPUT_LIVE || ic->kind == TR_INPUT_HEP ||
                ic->kind == TR_INPUT_HEPIPE;
    }
    for (unsigned i = 0; i < conf.n_outputs; i++) {
        struct tr_output_conf *oc = &conf.outputs[i];
        oc->capture_id = (uint32_t)hep_id;
        oc->auth_key = hep_key;
        oc->node_name = hep_node;
        oc->json_payload = json_payload;
        oc->hep_restamp = hep_restamp;
        oc->carrier.queue_bytes = (size_t)hep_queue;
        /* Reading files, wait for a slow collector rather than drop: nothing is lost by waiting. */
        oc->carrier.full_wait_ms = live ? 0 : 1000;
    }
    /* mirror and dump: shared settings; direction auto needs each input's interface */
    for (unsigned i = 0; i < conf.n_inputs; i++) {
        if (conf.inputs[i].kind != TR_INPUT_LIVE)
            continue;
        conf.inputs[i].netns = mir.netns;
        conf.inputs[i].retry_s = iface_retry;
        if (i < TR_ARRAY_LEN(mir.ifaces))
            mir.ifaces[i] = conf.inputs[i].source;
    }
    for (unsigned i = 0; i < conf.n_outputs; i++)
        conf.outputs[i].mirror = mir;
    conf.progress = !quiet && !live && isatty(STDERR_FILENO);

    tr_engine_install_signals();
    struct tr_err err = { 0 };
    struct tr_engine *e = tr_engine_open(&conf, &err);
    if (!e) {
        fprintf(stderr, "trawl: %s\n", err.msg);
        return err.code == -TR_E_USAGE || err.code == -TR_E_CONFIG ? EXIT_USAGE : 1;
    }
    if (live && drop_privileges(user) != 0) {
        tr_engine_close(e);
        return EXIT_USAGE;
    }
    int rc = tr_engine_run(e);
    if (!quiet)
        tr_engine_print_summary(e, stderr);
    tr_engine_close(e);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        for (const struct tr_subcommand *s = tr_subcommands; s->name; s++)
            if (strcmp(argv[1], s->name) == 0)
                return s->run(argc - 1, argv + 1, trawl_main);
    return trawl_main(argc, argv);
}
