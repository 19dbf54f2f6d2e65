/* stats.c - the one table of counters (control.h) and its three printers:
 * the summary (stderr at exit and on SIGUSR1), JSON (GET /stats) and the
 * Prometheus text exposition format 0.0.4 (GET /metrics; the format is
 * described at prometheus.io "Exposition formats": one # HELP and one # TYPE
 * line per metric family, all samples of a family together, label values
 * with \, " and newline escaped).
 */
#include "control.h"

#include <stdarg.h>
#include <stdlib.h>

/* Label value escaping (Prometheus): backslash, double quote, newline. */
static size_t put_label_value(char *dst, size_t cap, const char *v)
{
    size_t n = 0;
    for (; *v; v++) {
        const char *rep = NULL;
        char one[2] = { *v, 0 };
        if (*v == '\\')
            rep = "\\\\";
        else if (*v == '"')
            rep = "\\\"";
        else if (*v == '\n')
            rep = "\\n";
        else
            rep = one;
        size_t k = strlen(rep);
        if (n + k >= cap)
            break;
        memcpy(dst + n, rep, k);
        n += k;
    }
    dst[n] = '\0';
    return n;
}

bool tr_stat_add(struct tr_stat_table *t, const char *name, const char *metric, uint64_t v,
                 unsigned flags, ...)
{
    if (t->n >= t->cap)
        return false;
    struct tr_stat *s = &t->items[t->n];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->metric, sizeof(s->metric), "%s", metric);
    for (char *m = s->metric; *m; m++) /* Prometheus names: [a-zA-Z0-9_] after "trawl_" */
        if (!((*m >= 'a' && *m <= 'z') || (*m >= 'A' && *m <= 'Z') || (*m >= '0' && *m <= '9')))
            *m = '_';
    s->v = v;
    s->flags = flags;
    va_list ap;
    va_start(ap, flags);
    size_t len = 0;
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *val = va_arg(ap, const char *);
        int w = snprintf(s->labels + len, sizeof(s->labels) - len, "%s%s=\"", len ? "," : "", k);
        if (w < 0 || (size_t)w >= sizeof(s->labels) - len)
            break;
        len += (size_t)w;
        len += put_label_value(s->labels + len, sizeof(s->labels) - len - 1, val ? val : "");
        s->labels[len++] = '"';
        s->labels[len] = '\0';
    }
    va_end(ap);
    t->n++;
    return true;
}

void tr_stats_write_summary(FILE *f, const struct tr_stat *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct tr_stat *s = &items[i];
        if ((s->flags & TR_STAT_NOSUMMARY) || ((s->flags & TR_STAT_SPARSE) && s->v == 0))
            continue;
        fprintf(f, "  %-44s %llu\n", s->name, (unsigned long long)s->v);
    }
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void tr_stats_write_json(FILE *f, const struct tr_stat *items, size_t n, double uptime_s,
                         const char *inputs_json)
{
    fprintf(f, "{\"uptime_s\":%.3f,\"counters\":{", uptime_s);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        json_string(f, items[i].name);
        fprintf(f, ":%llu", (unsigned long long)items[i].v);
    }
    fputc('}', f);
    if (inputs_json)
        fprintf(f, ",\"inputs\":%s", inputs_json);
    fputs("}\n", f);
}

/* Sort by family, keeping the table's order within one. */
struct order {
    const struct tr_stat *s;
    size_t i;
};

static int by_family(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    int c = strcmp(x->s->metric, y->s->metric);
    if (c)
        return c;
    /* gauges and counters of the same name are different families */
    int gx = (x->s->flags & TR_STAT_GAUGE) != 0, gy = (y->s->flags & TR_STAT_GAUGE) != 0;
    if (gx != gy)
        return gx - gy;
    return x->i < y->i ? -1 : x->i > y->i;
}

void tr_stats_write_prometheus(FILE *f, const struct tr_stat *items, size_t n, double uptime_s)
{
    fputs("# HELP trawl_uptime_seconds Seconds since trawl started.\n"
          "# TYPE trawl_uptime_seconds gauge\n",
          f);
    fprintf(f, "trawl_uptime_seconds %.3f\n", uptime_s);
    struct order *o = malloc((n ? n : 1) * sizeof(*o));
    if (!o)
        return;
    for (size_t i = 0; i < n; i++)
        o[i] = (struct order){ &items[i], i };
    qsort(o, n, sizeof(*o), by_family);
    for (size_t i = 0; i < n; i++) {
        const struct tr_stat *s = o[i].s;
        bool gauge = (s->flags & TR_STAT_GAUGE) != 0;
        const char *suffix = gauge ? "" : "_total";
        bool first = i == 0 || strcmp(o[i - 1].s->metric, s->metric) != 0 ||
                     ((o[i - 1].s->flags & TR_STAT_GAUGE) != 0) != gauge;
        if (first) {
            /* HELP names the summary line (the first of the family) it comes from. */
            fprintf(f, "# HELP trawl_%s%s trawl %s (summary: ", s->metric, suffix,
                    gauge ? "gauge" : "counter");
            for (const char *c = s->name; *c; c++) { /* HELP escapes \ and newline */
                if (*c == '\\')
                    fputs("\\\\", f);
                else if (*c == '\n')
                    fputs("\\n", f);
                else
                    fputc(*c, f);
            }
            fputs(")\n", f);
            fprintf(f, "# TYPE trawl_%s%s %s\n", s->metric, suffix, gauge ? "gauge" : "counter");
        }
        fprintf(f, "trawl_%s%s", s->metric, suffix);
        if (s->labels[0])
            fprintf(f, "{%s}", s->labels);
        fprintf(f, " %llu\n", (unsigned long long)s->v);
    }
    free(o);
}
