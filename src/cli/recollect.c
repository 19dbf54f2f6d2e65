/* recollect.c - `trawl recollect HOST[:PORT]`: a client of the flow
 * metadata service (trawl --flowmeta, or PCapper itself) that prints each
 * received 28-byte record as PCapper's text line (docs/flowmeta.md).
 *
 * Spec: PCapper's wire form (fortian/mwmg ftfm.h struct wire; summarised
 * in /work/shared/reference/pcapper.md): after the TCP connect the server
 * sends a bare stream of 28-byte records, no handshake. The records are
 * cut from the stream here (a read may end inside one) and formatted by
 * tr_flowmeta_record_line.
 */
#include "cli.h"

#include "../output/output.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECOLLECT_PORT "7073"

static void recollect_usage(FILE *f)
{
    fputs("usage: trawl recollect [-n COUNT] [--no-host] HOST[:PORT]\n"
          "Connects to a flow metadata server (trawl --flowmeta, PCapper) and prints\n"
          "every record as a text line: sec.usec:src:sport:dst:dport:len:flowid:proto\n"
          "  HOST[:PORT]   IPv4, [IPv6] or a name; PORT default 7073\n"
          "  -n COUNT      exit after COUNT lines\n"
          "  --no-host     leave out the per-second CPU and memory records (proto 61)\n"
          "Exit: 0 when the server closes (or COUNT is reached), 1 on errors, 2 usage.\n",
          f);
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port". */
static int split_target(const char *spec, char *host, size_t host_cap, char *port,
                        size_t port_cap)
{
    const char *p = spec;
    const char *hend;
    if (*p == '[') {
        hend = strchr(p, ']');
        if (!hend)
            return -1;
        p++;
    } else {
        hend = strrchr(p, ':');
        if (hend && strchr(p, ':') != hend)
            hend = NULL; /* bare IPv6 without brackets: no port */
        if (!hend)
            hend = p + strlen(p);
    }
    size_t hl = (size_t)(hend - p);
    if (hl == 0 || hl >= host_cap)
        return -1;
    memcpy(host, p, hl);
    host[hl] = '\0';
    if (*hend == ']')
        hend++;
    const char *ps = *hend == ':' ? hend + 1 : RECOLLECT_PORT;
    if (*hend && *hend != ':')
        return -1;
    if (!*ps || strlen(ps) >= port_cap || strspn(ps, "0123456789") != strlen(ps))
        return -1;
    strcpy(port, ps);
    return 0;
}

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "trawl recollect: %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        fprintf(stderr, "trawl recollect: connect %s port %s: %s\n", host, port, strerror(err));
    return fd;
}

int tr_cli_recollect(int argc, char **argv, tr_trawl_main_fn run_trawl)
{
    (void)run_trawl;
    static const struct option longopts[] = {
        { "no-host", no_argument, NULL, 'H' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long long count = 0;
    bool no_host = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n': {
            char *end;
            errno = 0;
            count = strtoull(optarg, &end, 10);
            if (*end || errno || count == 0 || *optarg == '-') {
                fprintf(stderr, "trawl recollect: -n %s: expected a positive count\n", optarg);
                return 2;
            }
            break;
        }
        case 'H': no_host = true; break;
        case 'h': recollect_usage(stdout); return 0;
        default: recollect_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        recollect_usage(stderr);
        return 2;
    }
    char host[256], port[8];
    if (split_target(argv[optind], host, sizeof(host), port, sizeof(port)) != 0) {
        fprintf(stderr, "trawl recollect: %s: expected HOST[:PORT]\n", argv[optind]);
        return 2;
    }
    int fd = connect_to(host, port);
    if (fd < 0)
        return 1;

    /* Records are cut from the stream; a read may end inside one. */
    uint8_t buf[65536];
    size_t have = 0;
    unsigned long long printed = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "trawl recollect: read: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        size_t off = 0;
        while (have - off >= TR_FLOWMETA_REC_LEN) {
            const uint8_t *r = buf + off;
            off += TR_FLOWMETA_REC_LEN;
            if (no_host && r[26] == 61 && r[22] == 0xff && r[23] == 0xff && r[24] == 0xff)
                continue; /* flow id 0xFFFFFFFF/0xFFFFFFFE, proto 61: a host record */
            char line[TR_FLOWMETA_LINE_MAX];
            int len = tr_flowmeta_record_line(r, TR_FLOWMETA_REC_LEN, line, sizeof(line));
            if (len > 0)
                fwrite(line, 1, (size_t)len, stdout);
            if (count && ++printed == count)
                goto done;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
        if (fflush(stdout) != 0) {
            rc = 1;
            break;
        }
    }
done:
    if (have && rc == 0 && (!count || printed < count))
        fprintf(stderr, "trawl recollect: %zu bytes of an incomplete record at the end\n", have);
    close(fd);
    if (fflush(stdout) != 0)
        rc = 1;
    return rc;
}
