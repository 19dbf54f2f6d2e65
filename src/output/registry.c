/* registry.c - the one list of output kinds. Adding an output: one file, one row. */
#include "output.h"

static const struct tr_output_ops *const output_kinds[] = {
    &tr_output_hep,
    &tr_output_json,
    &tr_output_csv,
    &tr_output_mirror,
    &tr_output_dump,
    &tr_output_flowmeta,
};

int tr_output_open(struct tr_output *out, const struct tr_output_conf *conf, struct tr_err *err)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < TR_ARRAY_LEN(output_kinds); i++) {
        if (strcmp(output_kinds[i]->kind, conf->kind) != 0)
            continue;
        out->ops = output_kinds[i];
        int rc = out->ops->open(out, conf, err);
        if (rc != TR_OK)
            out->ops = NULL;
        return rc;
    }
    return tr_err_set(err, -TR_E_USAGE, "unknown output kind '%s'", conf->kind);
}

void tr_output_close(struct tr_output *out)
{
    if (out->ops)
        out->ops->close(out);
    out->ops = NULL;
}
