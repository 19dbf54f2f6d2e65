/* mirror_blast.c - bench/mirror.sh's traffic source: replays the frames of a
 * classic pcap on an interface through an AF_PACKET socket, sendmmsg(2) in
 * batches of 64, paced to RATE frames/s (0: as fast as it goes), for COUNT
 * frames (looping over the file); between batches it sleeps, it does not
 * spin. Prints "sent N achieved PPS". tcpreplay tops out near 176k frames/s
 * on this machine; this reaches several times that, so the mirror under
 * test, not the sender, is the limit.
 *
 *   mirror_blast IFACE PCAP RATE COUNT
 *
 * Benchmark tool only (built by bench/mirror.sh with cc -O2). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FRAMES 100000

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s IFACE PCAP RATE COUNT\n", argv[0]);
        return 2;
    }
    double rate = atof(argv[3]);
    unsigned long long count = strtoull(argv[4], NULL, 10);
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    static unsigned char *frames[MAX_FRAMES];
    static size_t lens[MAX_FRAMES];
    unsigned n = 0;
    unsigned char gh[24], rh[16];
    if (fread(gh, 1, 24, f) != 24)
        return 1;
    while (n < MAX_FRAMES && fread(rh, 1, 16, f) == 16) {
        uint32_t incl;
        memcpy(&incl, rh + 8, 4);
        if (incl > 65535)
            return 1;
        frames[n] = malloc(incl);
        if (!frames[n] || fread(frames[n], 1, incl, f) != incl)
            return 1;
        lens[n++] = incl;
    }
    fclose(f);
    if (n == 0)
        return 1;
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    int sndbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(argv[1]) };
    if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
        perror(argv[1]);
        return 1;
    }
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    unsigned long long sent = 0, idx = 0;
    uint64_t t0 = now_ns();
    while (sent < count) {
        unsigned b = count - sent < BATCH ? (unsigned)(count - sent) : BATCH;
        if (rate > 0) { /* pace: sleep until this batch is due (no busy wait:
                         * on 2 cores a spinning sender would take a whole
                         * core from the mirror under test) */
            uint64_t due = t0 + (uint64_t)((double)sent * 1e9 / rate);
            if (now_ns() < due) {
                struct timespec ts = { .tv_sec = (time_t)(due / 1000000000u),
                                       .tv_nsec = (long)(due % 1000000000u) };
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
                    ;
            }
        }
        for (unsigned i = 0; i < b; i++, idx++) {
            iov[i] = (struct iovec){ frames[idx % n], lens[idx % n] };
            msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int rc = sendmmsg(fd, msgs, b, 0);
        if (rc <= 0) {
            idx -= b;
            continue; /* ENOBUFS: retry the batch */
        }
        idx -= b - (unsigned)rc;
        sent += (unsigned)rc;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("sent %llu achieved %.0f\n", sent, secs > 0 ? (double)sent / secs : 0);
    return 0;
}
