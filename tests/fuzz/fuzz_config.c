/* fuzz_config.c - fuzz target for the YAML config loader (src/config):
 * any bytes give either a config or one error, never a crash, a leak or a
 * hang. Checks what the engine relies on: at least one input and at most
 * TR_MAX_INPUTS/TR_MAX_OUTPUTS, every input and output has its strings,
 * rules address only outputs and inputs that exist (and never a packet
 * output: mirror, dump, flowmeta), and an error is
 * -TR_E_CONFIG with a "NAME:LINE: " message. Inputs naming a Lua script are
 * skipped: loading one reads a file by that name (the unit tests cover Lua). */
#include "fuzz.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536 || memmem(data, size, "script", 6))
        return 0;
    struct tr_err err = { 0 };
    struct tr_config *c = tr_config_load_string("f.yaml", (const char *)data, size, &err);
    if (!c) {
        CHECK(err.code == -TR_E_CONFIG || err.code == -TR_E_NOMEM);
        CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
        CHECK(strncmp(err.msg, "f.yaml:", 7) == 0 || err.code == -TR_E_NOMEM);
        CHECK(strchr(err.msg, '\n') == NULL);
        return 0;
    }
    const struct tr_engine_conf *e = tr_config_engine(c);
    CHECK(e->n_inputs >= 1 && e->n_inputs <= TR_MAX_INPUTS);
    CHECK(e->n_outputs <= TR_MAX_OUTPUTS);
    for (unsigned i = 0; i < e->n_inputs; i++)
        CHECK(e->inputs[i].name && e->inputs[i].source && e->inputs[i].source[0]);
    uint32_t packet_outs = 0; /* mirror, dump, flowmeta: rules never send to them */
    for (unsigned i = 0; i < e->n_outputs; i++) {
        const struct tr_output_conf *o = &e->outputs[i];
        CHECK(o->name && o->kind);
        if (strcmp(o->kind, "flowmeta") == 0) {
            CHECK(o->flowmeta.listen || o->flowmeta.lines_path || o->flowmeta.multicast);
            CHECK(!o->flowmeta.log_path || o->flowmeta.listen);
        } else {
            CHECK(o->target && o->target[0]);
        }
        if (strcmp(o->kind, "mirror") == 0 || strcmp(o->kind, "dump") == 0 ||
            strcmp(o->kind, "flowmeta") == 0)
            packet_outs |= 1u << i;
        CHECK(o->mirror.slice == 0 || (o->mirror.slice >= 14 && o->mirror.slice <= 65535));
        CHECK(o->mirror.mbps >= 0 && o->mirror.mbps <= 100000);
    }
    if (e->rules) {
        const struct tr_rules *r = e->rules;
        CHECK(r->n_rules <= TR_RULES_MAX);
        uint32_t outs = e->n_outputs >= 32 ? UINT32_MAX : (1u << e->n_outputs) - 1;
        uint32_t ins = (1u << e->n_inputs) - 1;
        for (unsigned i = 0; i < r->n_rules; i++) {
            CHECK(r->rules[i].name && r->rules[i].name[0]);
            CHECK((r->rules[i].a.send & ~outs) == 0);
            CHECK((r->rules[i].a.send & packet_outs) == 0);
            CHECK((r->rules[i].m.inputs & ~ins) == 0);
            CHECK(!(r->rules[i].a.send && r->rules[i].a.drop));
        }
    }
    tr_config_free(c);
    return 0;
}
