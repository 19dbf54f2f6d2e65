/* endpoint.c - "udp:HOST:PORT" / "tcp:[v6]:PORT" parsing, and carrier dispatch. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>

int tr_endpoint_parse(const char *spec, struct tr_endpoint *ep, struct tr_err *err)
{
    memset(ep, 0, sizeof(*ep));
    const char *rest;
    if (strncmp(spec, "udp:", 4) == 0) {
        ep->proto = IPPROTO_UDP;
    } else if (strncmp(spec, "tcp:", 4) == 0) {
        ep->proto = IPPROTO_TCP;
    } else {
        return tr_err_set(err, -TR_E_USAGE,
                          "'%s': expected udp:HOST:PORT or tcp:HOST:PORT", spec);
    }
    rest = spec + 4;

    char host[256];
    const char *port_s;
    if (rest[0] == '[') {
        const char *close = strchr(rest, ']');
        if (!close || close[1] != ':' || (size_t)(close - rest - 1) >= sizeof(host))
            return tr_err_set(err, -TR_E_USAGE, "'%s': expected tcp:[IPv6]:PORT", spec);
        memcpy(host, rest + 1, (size_t)(close - rest - 1));
        host[close - rest - 1] = '\0';
        port_s = close + 2;
    } else {
        const char *colon = strrchr(rest, ':');
        if (!colon || colon == rest || (size_t)(colon - rest) >= sizeof(host))
            return tr_err_set(err, -TR_E_USAGE, "'%s': missing HOST:PORT", spec);
        memcpy(host, rest, (size_t)(colon - rest));
        host[colon - rest] = '\0';
        if (strchr(host, ':'))
            return tr_err_set(err, -TR_E_USAGE,
                              "'%s': write IPv6 addresses in brackets, e.g. udp:[::1]:9060", spec);
        port_s = colon + 1;
    }
    char *end;
    errno = 0;
    long port = strtol(port_s, &end, 10);
    if (*port_s == '\0' || *end != '\0' || errno || port < 1 || port > 65535)
        return tr_err_set(err, -TR_E_USAGE, "'%s': port '%s' is not in 1..65535", spec, port_s);

    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = ep->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0 || !res)
        return tr_err_set(err, -TR_E_USAGE, "'%s': cannot resolve '%s': %s", spec, host,
                          gai_strerror(rc));
    memcpy(&ep->ss, res->ai_addr, res->ai_addrlen);
    ep->ss_len = res->ai_addrlen;
    freeaddrinfo(res);

    ep->port = (uint16_t)port;
    if (ep->ss.ss_family == AF_INET) {
        ep->addr.family = TR_AF_INET;
        memcpy(ep->addr.a, &((struct sockaddr_in *)&ep->ss)->sin_addr, 4);
    } else {
        ep->addr.family = TR_AF_INET6;
        memcpy(ep->addr.a, &((struct sockaddr_in6 *)&ep->ss)->sin6_addr, 16);
    }
    char abuf[TR_ADDR_STRLEN];
    tr_addr_format(&ep->addr, abuf, sizeof(abuf));
    snprintf(ep->text, sizeof(ep->text), ep->addr.family == TR_AF_INET6 ? "%s:[%s]:%u" : "%s:%s:%u",
             ep->proto == IPPROTO_UDP ? "udp" : "tcp", abuf, ep->port);
    return TR_OK;
}

int tr_carrier_open(struct tr_carrier *c, const struct tr_endpoint *to,
                    const struct tr_carrier_conf *conf, struct tr_err *err)
{
    memset(c, 0, sizeof(*c));
    c->ops = to->proto == IPPROTO_UDP ? &tr_carrier_udp : &tr_carrier_tcp;
    c->to = *to;
    int rc = c->ops->open(c, to, conf, err);
    if (rc != TR_OK)
        c->ops = NULL;
    return rc;
}
