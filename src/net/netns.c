/* netns.c - entering another network namespace for a moment (setns(2)),
 * so that capture handles and interface look-ups are made there while
 * trawl's own sockets stay in the namespace it started in (--netns). */
#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int tr_netns_path(const char *spec, char *buf, size_t cap)
{
    bool digits = spec[0] != '\0';
    for (const char *p = spec; *p; p++)
        digits &= isdigit((unsigned char)*p) != 0;
    int n;
    if (digits)
        n = snprintf(buf, cap, "/proc/%s/ns/net", spec); /* a container's PID */
    else if (!strchr(spec, '/'))
        n = snprintf(buf, cap, "/var/run/netns/%s", spec); /* ip netns NAME */
    else
        n = snprintf(buf, cap, "%s", spec);
    return n > 0 && (size_t)n < cap ? TR_OK : -TR_E_FULL;
}

int tr_netns_enter(const char *spec, int *saved_fd, struct tr_err *err)
{
    *saved_fd = -1;
    if (!spec || !spec[0])
        return TR_OK;
    char path[512];
    if (tr_netns_path(spec, path, sizeof(path)) != TR_OK)
        return tr_err_set(err, -TR_E_USAGE, "--netns %s: too long", spec);
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return tr_err_set(err, -TR_E_IO, "--netns: /proc/self/ns/net: %s", strerror(errno));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        close(self);
        return tr_err_set(err, -TR_E_IO, "--netns %s: %s: %s", spec, path, strerror(e));
    }
    int rc = setns(fd, CLONE_NEWNET);
    int e = errno;
    close(fd);
    if (rc != 0) {
        close(self);
        return tr_err_set(err, -TR_E_IO, "--netns %s: setns: %s", spec, strerror(e));
    }
    *saved_fd = self;
    return TR_OK;
}

void tr_netns_leave(int saved_fd)
{
    if (saved_fd < 0)
        return;
    if (setns(saved_fd, CLONE_NEWNET) != 0)
        tr_log(TR_LOG_ERROR, "cannot return to the original network namespace: %s",
               strerror(errno));
    close(saved_fd);
}
