/* flowmeta_select.c - PCapper's traffic selection modes as a BPF filter.
 *
 * Spec: PCapper (fortian/mwmg pcapper.c, SRCFILTER, DSTFILTER, SPOFILTER;
 * /work/shared/reference/pcapper.md), filter syntax pcap-filter(7). PCapper
 * reads the MAC and the IPv4 address of the monitored interface and
 * captures
 *   src    ether src MAC                  what this host sends
 *   dst    ether src not MAC              what it receives (and overhears)
 *   spoof  src IP and ether src not MAC   frames claiming its address that
 *                                         it did not send
 * trawl does the same, and for spoof also takes every IPv6 address of the
 * interface ("src host A or src host B ..."), which PCapper did not know.
 * A user filter (-f) is and-ed on, in parentheses. The interface must have
 * a 6-byte hardware address (Ethernet, veth, ...).
 */
#include "output.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct sel {
    char *buf;
    size_t cap, n;
    bool full;
};

static void sel_put(struct sel *s, const char *text)
{
    size_t len = strlen(text);
    if (s->n + len + 1 > s->cap) {
        s->full = true;
        return;
    }
    memcpy(s->buf + s->n, text, len + 1);
    s->n += len;
}

/* The interface's MAC ("aa:bb:...") and, for spoof, its source-host
 * clause; false when it has no 6-byte hardware address. */
static bool iface_info(const char *iface, char mac[18], char *hosts, size_t hosts_cap,
                       unsigned *n_hosts)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) != 0)
        return false;
    bool have_mac = false;
    size_t hn = 0;
    hosts[0] = '\0';
    *n_hosts = 0;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || strcmp(i->ifa_name, iface) != 0)
            continue;
        int fam = i->ifa_addr->sa_family;
        if (fam == AF_PACKET) {
            const struct sockaddr_ll *ll = (const struct sockaddr_ll *)i->ifa_addr;
            if (ll->sll_halen == 6) {
                snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", ll->sll_addr[0],
                         ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4],
                         ll->sll_addr[5]);
                have_mac = true;
            }
        } else if (fam == AF_INET || fam == AF_INET6) {
            char text[INET6_ADDRSTRLEN];
            const void *a = fam == AF_INET
                                ? (const void *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr
                                : (const void *)&((const struct sockaddr_in6 *)i->ifa_addr)
                                      ->sin6_addr;
            if (!inet_ntop(fam, a, text, sizeof(text)))
                continue;
            int w = snprintf(hosts + hn, hosts_cap - hn, "%ssrc host %s", hn ? " or " : "",
                             text);
            if (w < 0 || (size_t)w >= hosts_cap - hn)
                break; /* enough addresses */
            hn += (size_t)w;
            (*n_hosts)++;
        }
    }
    freeifaddrs(ifa);
    return have_mac;
}

int tr_flowmeta_mode_filter(const char *mode, const char *iface, const char *user_filter,
                            char *buf, size_t cap, struct tr_err *err)
{
    bool src = strcmp(mode, "src") == 0, dst = strcmp(mode, "dst") == 0,
         spoof = strcmp(mode, "spoof") == 0;
    if (!src && !dst && !spoof)
        return tr_err_set(err, -TR_E_USAGE, "flowmeta mode '%s': expected src, dst or spoof",
                          mode);
    if (!iface || !*iface)
        return tr_err_set(err, -TR_E_USAGE, "flowmeta mode %s needs the interface (-i)", mode);
    char mac[18] = "", hosts[1024];
    unsigned n_hosts = 0;
    if (!iface_info(iface, mac, hosts, sizeof(hosts), &n_hosts))
        return tr_err_set(err, -TR_E_USAGE, "flowmeta mode %s: %s has no Ethernet address",
                          mode, iface);
    if (spoof && n_hosts == 0)
        return tr_err_set(err, -TR_E_USAGE, "flowmeta mode spoof: %s has no IP address", iface);

    struct sel s = { .buf = buf, .cap = cap };
    if (cap)
        buf[0] = '\0';
    if (src) {
        sel_put(&s, "ether src ");
        sel_put(&s, mac);
    } else if (dst) {
        sel_put(&s, "not ether src ");
        sel_put(&s, mac);
    } else {
        sel_put(&s, "(");
        sel_put(&s, hosts);
        sel_put(&s, ") and not ether src ");
        sel_put(&s, mac);
    }
    if (user_filter && *user_filter) {
        /* parenthesised both sides: "a or b" in either must not re-associate */
        char head[1200];
        snprintf(head, sizeof(head), "(%s) and (", s.full ? "" : buf);
        s.n = 0;
        s.full = s.full || strlen(head) + 1 > cap;
        if (!s.full) {
            memmove(buf, head, strlen(head) + 1);
            s.n = strlen(head);
        }
        sel_put(&s, user_filter);
        sel_put(&s, ")");
    }
    if (s.full)
        return tr_err_set(err, -TR_E_FULL, "flowmeta mode %s: filter too long", mode);
    return TR_OK;
}
