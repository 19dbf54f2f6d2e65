/* lines.h - the file side shared by the text-line outputs (JSON lines, CSV):
 * a path or "-" (stdout), fully buffered, one fflush per batch, appended to
 * (a restart or a reload never truncates what is there), reopened by name
 * on SIGHUP after log rotation, and a header line at the top of a file that
 * is new or empty. Each format only says how one event becomes one line.
 * Private to src/output.
 */
#ifndef TRAWL_OUTPUT_LINES_H
#define TRAWL_OUTPUT_LINES_H

#include "output.h"

struct tr_line_format {
    const char *kind;   /* "json", "csv": names the output and its errors */
    const char *header; /* written at the top of a new or empty file; NULL: none */
    const char *eol;    /* "\n", "\r\n" */
    size_t max_line;    /* longest line without eol */
    /* One event into buf (cap = max_line + 1, NUL-terminated); the length
     * or -TR_E_FULL. */
    int (*format)(const struct tr_event *ev, const struct tr_output_conf *conf, char *buf,
                  size_t cap);
};

/* open for a format; the other ops are the same for every format. */
int tr_lines_open(struct tr_output *out, const struct tr_output_conf *conf,
                  const struct tr_line_format *fmt, struct tr_err *err);
void tr_lines_write(struct tr_output *out, const struct tr_event *ev);
void tr_lines_flush(struct tr_output *out);
void tr_lines_tick(struct tr_output *out, uint64_t now_mono_ns);
int tr_lines_drain(struct tr_output *out, uint64_t deadline_mono_ns);
void tr_lines_close(struct tr_output *out);
void tr_lines_reopen(struct tr_output *out);

#endif
