/* core.c - error table, address formatting, clocks and the logger. */
#include "core.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

bool tr_str_ieq(struct tr_str a, struct tr_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        unsigned char x = (unsigned char)a.ptr[i], y = (unsigned char)b.ptr[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

const char *tr_strerror(int code)
{
#define TR_ERR_MSG(name, msg) msg,
    static const char *const msgs[] = { TR_ERRORS(TR_ERR_MSG) };
#undef TR_ERR_MSG
    if (code == TR_OK)
        return "success";
    if (code == TR_DECLINED)
        return "declined";
    if (code < 0 && -code <= TR_N_ERRORS)
        return msgs[-code - 1];
    return "unknown error";
}

int tr_err_set(struct tr_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *tr_addr_format(const struct tr_addr *a, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    if (a->family == TR_AF_INET) {
        if (!inet_ntop(AF_INET, a->a, buf, (socklen_t)cap))
            buf[0] = '\0';
    } else if (a->family == TR_AF_INET6) {
        if (!inet_ntop(AF_INET6, a->a, buf, (socklen_t)cap))
            buf[0] = '\0';
    } else {
        buf[0] = '\0';
    }
    return buf;
}

uint32_t tr_hash_addr_pair(uint64_t h, const uint8_t a[16], const uint8_t b[16])
{
    for (size_t i = 0; i < 16; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        h = (h ^ x) * 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
        h = (h ^ y) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

uint64_t tr_now_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t tr_now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum tr_log_level log_level = TR_LOG_INFO;

void tr_log_set_level(enum tr_log_level lvl)
{
    log_level = lvl;
}

void tr_log(enum tr_log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    if (lvl > log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "trawl: %s: %s\n", names[lvl], line);
}
