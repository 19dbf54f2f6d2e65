/* lines.c - the file side of the text-line outputs (lines.h). */
#include "lines.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

struct lines_priv {
    const struct tr_line_format *fmt;
    struct tr_output_conf conf; /* for format(); strings borrowed from the engine's conf */
    char path[PATH_MAX];        /* "" for stdout */
    FILE *f;
    size_t eol_len;
    char *line;                 /* max_line + eol */
};

/* Opens (or reopens) the file for appending; the header goes on top of a
 * file that is new or empty, and always on stdout. */
static int open_file(struct lines_priv *p, struct tr_err *err)
{
    if (!p->path[0]) {
        p->f = stdout;
    } else {
        p->f = fopen(p->path, "ae");
        if (!p->f)
            return tr_err_set(err, -TR_E_IO, "%s %s: %s", p->fmt->kind, p->path, strerror(errno));
    }
    /* Fully buffered even on a terminal: flush() runs once per batch. */
    setvbuf(p->f, NULL, _IOFBF, 0);
    /* Where "a" starts is up to the C library: ask for the end explicitly. */
    if (p->fmt->header && (!p->path[0] || (fseek(p->f, 0, SEEK_END) == 0 && ftell(p->f) == 0))) {
        fputs(p->fmt->header, p->f);
        fputs(p->fmt->eol, p->f);
    }
    return TR_OK;
}

int tr_lines_open(struct tr_output *out, const struct tr_output_conf *conf,
                  const struct tr_line_format *fmt, struct tr_err *err)
{
    struct lines_priv *p = calloc(1, sizeof(*p));
    if (!p)
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    p->fmt = fmt;
    p->conf = *conf;
    p->eol_len = strlen(fmt->eol);
    if (strcmp(conf->target, "-") != 0 &&
        snprintf(p->path, sizeof(p->path), "%s", conf->target) >= (int)sizeof(p->path)) {
        free(p);
        return tr_err_set(err, -TR_E_USAGE, "%s %s: path too long", fmt->kind, conf->target);
    }
    p->line = malloc(fmt->max_line + p->eol_len + 1);
    if (!p->line) {
        free(p);
        return tr_err_set(err, -TR_E_NOMEM, "out of memory");
    }
    int rc = open_file(p, err);
    if (rc != TR_OK) {
        free(p->line);
        free(p);
        return rc;
    }
    out->priv = p;
    snprintf(out->name, sizeof(out->name), "%s %s", fmt->kind, conf->target);
    return TR_OK;
}

void tr_lines_write(struct tr_output *out, const struct tr_event *ev)
{
    struct lines_priv *p = out->priv;
    out->c.events++;
    if (!p->f) { /* a reopen failed: counted until one succeeds */
        out->c.write_errors++;
        return;
    }
    int n = p->fmt->format(ev, &p->conf, p->line, p->fmt->max_line + 1);
    if (n < 0) {
        out->c.encode_errors++;
        return;
    }
    memcpy(p->line + n, p->fmt->eol, p->eol_len);
    size_t len = (size_t)n + p->eol_len;
    if (fwrite(p->line, 1, len, p->f) != len)
        out->c.write_errors++;
    else
        out->c.written++;
}

void tr_lines_flush(struct tr_output *out)
{
    struct lines_priv *p = out->priv;
    if (p->f && fflush(p->f) != 0)
        out->c.write_errors++;
}

void tr_lines_tick(struct tr_output *out, uint64_t now_mono_ns)
{
    (void)out;
    (void)now_mono_ns;
}

int tr_lines_drain(struct tr_output *out, uint64_t deadline_mono_ns)
{
    (void)deadline_mono_ns;
    tr_lines_flush(out);
    return TR_OK;
}

static void close_file(struct tr_output *out, struct lines_priv *p)
{
    if (!p->f)
        return;
    if (fflush(p->f) != 0)
        out->c.write_errors++;
    if (p->f != stdout && fclose(p->f) != 0)
        out->c.write_errors++;
    p->f = NULL;
}

void tr_lines_close(struct tr_output *out)
{
    struct lines_priv *p = out->priv;
    if (!p)
        return;
    close_file(out, p);
    free(p->line);
    free(p);
    out->priv = NULL;
}

void tr_lines_reopen(struct tr_output *out)
{
    struct lines_priv *p = out->priv;
    if (!p->path[0])
        return;
    close_file(out, p);
    struct tr_err err;
    if (open_file(p, &err) != TR_OK) {
        p->f = NULL;
        tr_log(TR_LOG_WARN, "%s", err.msg);
    }
}
