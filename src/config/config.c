/* config.c - loads the YAML configuration (YAML 1.1 via libyaml's event
 * parser; the model and every key: docs/config.md) into a struct
 * tr_engine_conf and a struct tr_rules.
 *
 * Two steps. First the events become a small tree of nodes that remember
 * their line (libyaml's marks are 0-based; we print 1-based lines). Aliases
 * are refused (no billion laughs), nesting is capped at MAX_DEPTH and the
 * tree at MAX_NODES, so a hostile file costs bounded memory and stack. Then
 * each section is checked against the keys it allows: unknown and duplicate
 * keys, wrong types, out-of-range numbers and unresolved names all stop the
 * load with "FILE:LINE: KEY: expected ..., got ...".
 *
 * Ranges are the command line's (main.c), so a value the CLI refuses is
 * refused here too.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

#define MAX_DEPTH 32
#define MAX_NODES 100000
#define MAX_FILE (4u << 20) /* a config is small; refuse anything huge */

enum node_type { N_SCALAR, N_MAP, N_SEQ };

struct node {
    enum node_type t;
    unsigned line;
    bool plain;          /* scalar written without quotes (null/bool/number forms apply) */
    char *s;             /* scalar: NUL-terminated */
    size_t len;
    struct node **kids;  /* map: key, value, key, value...; seq: items */
    unsigned n, cap;
};

struct tr_config {
    struct tr_engine_conf conf;
    struct tr_rules *rules;
    struct node *root;
    char *name;
    char *dir;           /* of the file, for relative Lua script paths; NULL: cwd */
    char **strs;         /* strings built by the loader (paths, rule names) */
    unsigned n_strs, cap_strs;
};

struct ld {
    struct tr_config *c;
    struct tr_err *err;
    unsigned n_nodes;
    const char *input_names[TR_MAX_INPUTS];
    unsigned n_inputs;
    const char *output_names[TR_MAX_OUTPUTS];
    unsigned n_outputs;
    unsigned fm_mode_line; /* the flowmeta output whose mode set the iface filters; 0: none */
};

/* ------------------------------------------------------------ errors */

static int fail(struct ld *ld, const struct node *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct ld *ld, const struct node *n, const char *key, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    int rc = tr_err_set(ld->err, -TR_E_CONFIG, "%s:%u: %s: %s", ld->c->name, n ? n->line : 0,
                        key, what);
    for (char *p = ld->err->msg; *p; p++) /* values may hold control bytes: keep one line */
        if ((unsigned char)*p < 0x20)
            *p = '?';
    return rc;
}

/* "got ..." text for a node: the scalar (cut at 40 bytes) or its kind. */
static const char *got(const struct node *n, char *buf, size_t cap)
{
    if (n->t == N_MAP)
        return "a mapping";
    if (n->t == N_SEQ)
        return "a list";
    if (n->plain && (n->len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0))
        return "nothing (null)";
    snprintf(buf, cap, "\"%.40s%s\"", n->s, n->len > 40 ? "..." : "");
    for (char *p = buf; *p; p++) /* keep the one-line message one line */
        if ((unsigned char)*p < 0x20)
            *p = '?';
    return buf;
}

static int expected(struct ld *ld, const struct node *n, const char *key, const char *what)
{
    char buf[64];
    return fail(ld, n, key, "expected %s, got %s", what, got(n, buf, sizeof(buf)));
}
#define EXPECTED expected

/* ------------------------------------------------------------ tree */

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (unsigned i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->s);
    free(n);
}

static char *keep(struct ld *ld, char *s)
{
    struct tr_config *c = ld->c;
    if (!s)
        return NULL;
    if (c->n_strs == c->cap_strs) {
        unsigned cap = c->cap_strs ? c->cap_strs * 2 : 16;
        char **n = realloc(c->strs, cap * sizeof(*n));
        if (!n) {
            free(s);
            return NULL;
        }
        c->strs = n;
        c->cap_strs = cap;
    }
    c->strs[c->n_strs++] = s;
    return s;
}

static int add_kid(struct node *p, struct node *k)
{
    if (p->n == p->cap) {
        unsigned cap = p->cap ? p->cap * 2 : 4;
        struct node **n = realloc(p->kids, cap * sizeof(*n));
        if (!n)
            return -1;
        p->kids = n;
        p->cap = cap;
    }
    p->kids[p->n++] = k;
    return 0;
}

static int yaml_fail(struct ld *ld, yaml_parser_t *p)
{
    return tr_err_set(ld->err, -TR_E_CONFIG, "%s:%zu: yaml: expected valid YAML, got %s%s%s",
                      ld->c->name, p->problem_mark.line + 1, p->problem ? p->problem : "an error",
                      p->context ? " " : "", p->context ? p->context : "");
}

/* Builds the node for the event just read (ev) and everything inside it. */
static int parse_node(struct ld *ld, yaml_parser_t *p, yaml_event_t *ev, unsigned depth,
                      struct node **out)
{
    *out = NULL;
    struct node tmp = { .line = (unsigned)ev->start_mark.line + 1 };
    if (ev->type == YAML_ALIAS_EVENT)
        return tr_err_set(ld->err, -TR_E_CONFIG, "%s:%u: yaml: expected plain YAML, got an alias "
                          "(*anchor references are not supported)", ld->c->name, tmp.line);
    if (++ld->n_nodes > MAX_NODES)
        return tr_err_set(ld->err, -TR_E_CONFIG, "%s:%u: yaml: expected at most %d nodes, got more",
                          ld->c->name, tmp.line, MAX_NODES);
    if (depth > MAX_DEPTH)
        return tr_err_set(ld->err, -TR_E_CONFIG, "%s:%u: yaml: expected nesting of at most %d, "
                          "got deeper", ld->c->name, tmp.line, MAX_DEPTH);
    struct node *n = calloc(1, sizeof(*n));
    if (!n)
        return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
    *n = tmp;
    *out = n;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->t = N_SCALAR;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->len = ev->data.scalar.length;
        n->s = malloc(n->len + 1);
        if (!n->s)
            return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
        memcpy(n->s, ev->data.scalar.value, n->len);
        n->s[n->len] = '\0';
        return TR_OK;
    }
    yaml_event_type_t end;
    if (ev->type == YAML_MAPPING_START_EVENT) {
        n->t = N_MAP;
        end = YAML_MAPPING_END_EVENT;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        n->t = N_SEQ;
        end = YAML_SEQUENCE_END_EVENT;
    } else {
        return tr_err_set(ld->err, -TR_E_CONFIG, "%s:%u: yaml: expected a node, got event %d",
                          ld->c->name, n->line, (int)ev->type);
    }
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(p, &e))
            return yaml_fail(ld, p);
        if (e.type == end) {
            yaml_event_delete(&e);
            return TR_OK;
        }
        struct node *k;
        int rc = parse_node(ld, p, &e, depth + 1, &k);
        yaml_event_delete(&e);
        if (k && add_kid(n, k) != 0) {
            node_free(k);
            return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
        }
        if (rc != TR_OK)
            return rc;
    }
}

static int parse_tree(struct ld *ld, const char *text, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = TR_OK;
    bool done = false;
    while (!done && rc == TR_OK) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            rc = yaml_fail(ld, &p);
            break;
        }
        switch (e.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            if (ld->c->root) {
                rc = tr_err_set(ld->err, -TR_E_CONFIG, "%s:%zu: yaml: expected one document, "
                                "got a second", ld->c->name, e.start_mark.line + 1);
                break;
            }
            rc = parse_node(ld, &p, &e, 0, &ld->c->root);
            break;
        }
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* ------------------------------------------------------------ typed access */

static bool is_null(const struct node *n)
{
    return n->t == N_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0);
}

/* Checks that n is a mapping whose keys are all in allowed (NULL-ended),
 * each at most once. */
static int check_map(struct ld *ld, const struct node *n, const char *path,
                     const char *const *allowed)
{
    if (n->t != N_MAP)
        return EXPECTED(ld, n, path[0] ? path : "(top)", "a mapping");
    for (unsigned i = 0; i < n->n; i += 2) {
        const struct node *k = n->kids[i];
        char kp[256];
        if (k->t != N_SCALAR)
            return EXPECTED(ld, k, path, "a plain key");
        snprintf(kp, sizeof(kp), "%s%s%s", path, path[0] ? "." : "", k->s);
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, k->s) == 0;
        if (!ok) {
            char list[200] = "";
            size_t off = 0;
            for (const char *const *a = allowed; *a; a++) {
                int w = snprintf(list + off, sizeof(list) - off, "%s%s", a == allowed ? "" : ", ", *a);
                if (w < 0 || (size_t)w >= sizeof(list) - off)
                    break;
                off += (size_t)w;
            }
            return fail(ld, k, kp, "expected one of %s, got an unknown key", list);
        }
        for (unsigned j = 0; j < i; j += 2)
            if (strcmp(n->kids[j]->s, k->s) == 0)
                return fail(ld, k, kp, "expected each key once, got a duplicate (first at line %u)",
                            n->kids[j]->line);
    }
    return TR_OK;
}

static const struct node *find(const struct node *map, const char *key)
{
    /* callers may look before check_map ran: a key can still be a mapping */
    for (unsigned i = 0; i + 1 < map->n; i += 2)
        if (map->kids[i]->t == N_SCALAR && strcmp(map->kids[i]->s, key) == 0)
            return map->kids[i + 1];
    return NULL;
}

static void sub(char *out, size_t cap, const char *path, const char *key)
{
    /* Key paths only name things in error messages: a cut one still helps. */
    int n = snprintf(out, cap, "%s%s%s", path, path[0] ? "." : "", key);
    if (n < 0 && cap)
        out[0] = '\0';
}

static int get_str(struct ld *ld, const struct node *n, const char *path, const char **out)
{
    if (n->t != N_SCALAR || is_null(n) || n->len == 0)
        return EXPECTED(ld, n, path, "a non-empty string");
    if (strlen(n->s) != n->len)
        return EXPECTED(ld, n, path, "a string without NUL bytes");
    *out = n->s;
    return TR_OK;
}

static int get_bool(struct ld *ld, const struct node *n, const char *path, bool *out)
{
    if (n->t == N_SCALAR && n->plain && strcmp(n->s, "true") == 0) {
        *out = true;
        return TR_OK;
    }
    if (n->t == N_SCALAR && n->plain && strcmp(n->s, "false") == 0) {
        *out = false;
        return TR_OK;
    }
    return EXPECTED(ld, n, path, "true or false");
}

static int get_u64(struct ld *ld, const struct node *n, const char *path, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    char what[96];
    snprintf(what, sizeof(what), "an integer %llu..%llu", (unsigned long long)min,
             (unsigned long long)max);
    if (n->t != N_SCALAR || n->len == 0 || n->len > 20)
        return EXPECTED(ld, n, path, what);
    uint64_t v = 0;
    for (size_t i = 0; i < n->len; i++) {
        if (n->s[i] < '0' || n->s[i] > '9')
            return EXPECTED(ld, n, path, what);
        unsigned d = (unsigned)(n->s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return EXPECTED(ld, n, path, what);
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return EXPECTED(ld, n, path, what);
    *out = v;
    return TR_OK;
}

/* A scalar or a list of scalars: items[] gets up to max of them. */
static int get_list(struct ld *ld, const struct node *n, const char *path, unsigned max,
                    const struct node **items, unsigned *n_items)
{
    char what[64];
    snprintf(what, sizeof(what), "a value or a list of at most %u values", max);
    if (n->t == N_SCALAR && !is_null(n)) {
        items[0] = n;
        *n_items = 1;
        return TR_OK;
    }
    if (n->t != N_SEQ || n->n == 0 || n->n > max)
        return EXPECTED(ld, n, path, what);
    for (unsigned i = 0; i < n->n; i++) {
        char ip[280];
        snprintf(ip, sizeof(ip), "%s[%u]", path, i);
        if (n->kids[i]->t != N_SCALAR || is_null(n->kids[i]) || n->kids[i]->len == 0)
            return EXPECTED(ld, n->kids[i], ip, "a value");
        items[i] = n->kids[i];
    }
    *n_items = n->n;
    return TR_OK;
}

static int pick(struct ld *ld, const struct node *n, const char *path, const char *const *names,
                const char *what, unsigned *out)
{
    if (n->t == N_SCALAR)
        for (unsigned i = 0; names[i]; i++)
            if (strcmp(names[i], n->s) == 0) {
                *out = i;
                return TR_OK;
            }
    return EXPECTED(ld, n, path, what);
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ inputs */

static int load_inputs(struct ld *ld, const struct node *n)
{
    struct tr_engine_conf *conf = &ld->c->conf;
    if (n->t != N_MAP || n->n == 0)
        return EXPECTED(ld, n, "inputs", "a mapping of input names to inputs");
    for (unsigned i = 0; i < n->n; i += 2) {
        const struct node *k = n->kids[i], *v = n->kids[i + 1];
        char path[256];
        if (k->t != N_SCALAR || !valid_name(k->s))
            return EXPECTED(ld, k, "inputs", "an input name of 1-63 letters, digits, _ - .");
        snprintf(path, sizeof(path), "inputs.%s", k->s);
        for (unsigned j = 0; j < i; j += 2)
            if (strcmp(n->kids[j]->s, k->s) == 0)
                return fail(ld, k, path, "expected each input name once, got a duplicate "
                            "(first at line %u)", n->kids[j]->line);
        if (conf->n_inputs == TR_MAX_INPUTS)
            return fail(ld, k, path, "expected at most %d inputs, got more", TR_MAX_INPUTS);
        if (v->t != N_MAP)
            return EXPECTED(ld, v, path, "a mapping with kind: file, iface, hep or hepipe");
        const struct node *kind = find(v, "kind");
        char kp[300];
        sub(kp, sizeof(kp), path, "kind");
        if (!kind)
            return fail(ld, v, kp, "expected file, iface, hep or hepipe, got nothing (kind is "
                        "required)");
        static const char *const kinds[] = { "file", "iface", "hep", "hepipe", NULL };
        unsigned ki = 0;
        if (pick(ld, kind, kp, kinds, "file, iface, hep or hepipe", &ki) != TR_OK)
            return ld->err->code;
        static const char *const k_file[] = { "kind", "path", "filter", NULL };
        static const char *const k_iface[] = { "kind", "interface", "filter", "snaplen", "promisc",
                                               "buffer_mb", "netns", "retry", NULL };
        static const char *const k_hep[] = { "kind", "listen", "auth_key", "max_conns", NULL };
        static const char *const k_hepipe[] = { "kind", "path", NULL };
        static const char *const *const allowed[] = { k_file, k_iface, k_hep, k_hepipe };
        static const char *const source_key[] = { "path", "interface", "listen", "path" };
        static const enum tr_input_kind ikind[] = { TR_INPUT_FILE, TR_INPUT_LIVE, TR_INPUT_HEP,
                                                    TR_INPUT_HEPIPE };
        if (check_map(ld, v, path, allowed[ki]) != TR_OK)
            return ld->err->code;
        struct tr_input_conf *ic = &conf->inputs[conf->n_inputs];
        *ic = (struct tr_input_conf){ .name = k->s, .kind = ikind[ki], .promisc = true };
        const struct node *x;
        sub(kp, sizeof(kp), path, source_key[ki]);
        if (!(x = find(v, source_key[ki])))
            return fail(ld, v, kp, "expected a value (required for kind %s), got nothing",
                        kinds[ki]);
        if (get_str(ld, x, kp, &ic->source) != TR_OK)
            return ld->err->code;
        if (ki == 2 && strncmp(ic->source, "udp:", 4) != 0 && strncmp(ic->source, "tcp:", 4) != 0)
            return EXPECTED(ld, x, kp, "udp:[HOST:]PORT or tcp:[HOST:]PORT");
        if (ic->kind == TR_INPUT_FILE && strcmp(ic->source, "-") == 0)
            for (unsigned j = 0; j < conf->n_inputs; j++)
                if (conf->inputs[j].kind == TR_INPUT_FILE && strcmp(conf->inputs[j].source, "-") == 0)
                    return EXPECTED(ld, x, kp, "standard input (-) used by one input only");
        uint64_t u = 0;
        if ((x = find(v, "filter"))) {
            sub(kp, sizeof(kp), path, "filter");
            if (get_str(ld, x, kp, &ic->filter) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(v, "snaplen"))) {
            sub(kp, sizeof(kp), path, "snaplen");
            if (get_u64(ld, x, kp, 64, 262144, &u) != TR_OK)
                return ld->err->code;
            ic->snaplen = (int)u;
        }
        if ((x = find(v, "promisc"))) {
            sub(kp, sizeof(kp), path, "promisc");
            if (get_bool(ld, x, kp, &ic->promisc) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(v, "buffer_mb"))) {
            sub(kp, sizeof(kp), path, "buffer_mb");
            if (get_u64(ld, x, kp, 1, 4096, &u) != TR_OK)
                return ld->err->code;
            ic->buffer_mb = (int)u;
        }
        if ((x = find(v, "auth_key"))) {
            sub(kp, sizeof(kp), path, "auth_key");
            if (get_str(ld, x, kp, &ic->hep_key) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(v, "max_conns"))) {
            sub(kp, sizeof(kp), path, "max_conns");
            if (get_u64(ld, x, kp, 1, 65536, &u) != TR_OK)
                return ld->err->code;
            ic->hep_max_conns = (unsigned)u;
        }
        if ((x = find(v, "netns"))) { /* --netns, for this input only */
            sub(kp, sizeof(kp), path, "netns");
            if (get_str(ld, x, kp, &ic->netns) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(v, "retry"))) { /* --iface-retry */
            sub(kp, sizeof(kp), path, "retry");
            if (get_u64(ld, x, kp, 1, 3600, &u) != TR_OK)
                return ld->err->code;
            ic->retry_s = (int)u;
        }
        ld->input_names[conf->n_inputs] = k->s;
        conf->n_inputs++;
    }
    return TR_OK;
}

/* ------------------------------------------------------------ outputs */

/* Optional keys of an output mapping v: TR_OK with *have false when absent. */
static int opt_u64(struct ld *ld, const struct node *v, const char *path, const char *key,
                   uint64_t min, uint64_t max, uint64_t *out, bool *have)
{
    char kp[300];
    const struct node *x = find(v, key);
    *have = x != NULL;
    if (!x)
        return TR_OK;
    sub(kp, sizeof(kp), path, key);
    return get_u64(ld, x, kp, min, max, out);
}

static int opt_str(struct ld *ld, const struct node *v, const char *path, const char *key,
                   const char **out)
{
    char kp[300];
    const struct node *x = find(v, key);
    if (!x)
        return TR_OK;
    sub(kp, sizeof(kp), path, key);
    return get_str(ld, x, kp, out);
}

static int opt_bool(struct ld *ld, const struct node *v, const char *path, const char *key,
                    bool *out)
{
    char kp[300];
    const struct node *x = find(v, key);
    if (!x)
        return TR_OK;
    sub(kp, sizeof(kp), path, key);
    return get_bool(ld, x, kp, out);
}

/* Packet outputs get every captured frame and no messages (output.h). */
static bool packet_kind(const char *kind)
{
    return strcmp(kind, "mirror") == 0 || strcmp(kind, "dump") == 0 ||
           strcmp(kind, "flowmeta") == 0;
}

static bool uses_stdout(const struct tr_output_conf *oc)
{
    if (strcmp(oc->kind, "flowmeta") == 0)
        return oc->flowmeta.lines_path && strcmp(oc->flowmeta.lines_path, "-") == 0;
    return (strcmp(oc->kind, "json") == 0 || strcmp(oc->kind, "csv") == 0) &&
           strcmp(oc->target, "-") == 0;
}

/* mirror and dump: --slice, --mbps, --mirror-dir, --dump-*. The interfaces
 * and the namespace (direction auto, nic.IFACE) come from the iface inputs,
 * as the CLI takes them from -i and --netns. */
static int load_mirror_keys(struct ld *ld, const struct node *v, const char *path,
                            struct tr_output_conf *oc)
{
    struct tr_engine_conf *conf = &ld->c->conf;
    struct tr_mirror_conf *mc = &oc->mirror;
    const struct node *x;
    char kp[300];
    uint64_t u = 0;
    bool have = false;
    if (opt_u64(ld, v, path, "slice", 14, 65535, &u, &have) != TR_OK)
        return ld->err->code;
    if (have)
        mc->slice = (uint32_t)u;
    if ((x = find(v, "mbps"))) {
        sub(kp, sizeof(kp), path, "mbps");
        if (x->t != N_SCALAR || !tr_mirror_mbps_parse(x->s, &mc->mbps))
            return EXPECTED(ld, x, kp, "Mbit/s > 0 and <= 100000 like 100 or 2.5");
    }
    if ((x = find(v, "direction"))) {
        sub(kp, sizeof(kp), path, "direction");
        if (get_str(ld, x, kp, &mc->dir) != TR_OK)
            return ld->err->code;
        /* nic.IFACE is looked up when the output opens (in the capture
         * namespace), as on the command line; the rest is checked now */
        struct tr_mirror_dir d;
        struct tr_err e = { 0 };
        bool ok = strncmp(mc->dir, "nic.", 4) == 0
                      ? x->len > 4 && x->len < 4 + 16
                      : tr_mirror_dir_parse(mc->dir, &d, &e) == TR_OK;
        if (!ok)
            return EXPECTED(ld, x, kp, "none, auto, host_ADDR or nic.IFACE");
    }
    if (opt_u64(ld, v, path, "interval", 1, 86400 * 366, &u, &have) != TR_OK)
        return ld->err->code;
    if (have)
        mc->dump_interval_s = (uint32_t)u;
    if (opt_u64(ld, v, path, "size_mb", 1, 1u << 20, &u, &have) != TR_OK)
        return ld->err->code;
    if (have)
        mc->dump_size = u << 20;
    if (opt_u64(ld, v, path, "files", 1, 100000, &u, &have) != TR_OK)
        return ld->err->code;
    if (have)
        mc->dump_files = (unsigned)u;
    if ((x = find(v, "format"))) {
        sub(kp, sizeof(kp), path, "format");
        if (x->t != N_SCALAR || !tr_dump_format_parse(x->s, &mc->dump_pcapng))
            return EXPECTED(ld, x, kp, "pcap or pcapng");
    }
    /* Each input id's interface, and the one namespace they are in. */
    bool needs_ns = mc->dir && (strcmp(mc->dir, "auto") == 0 || strncmp(mc->dir, "nic.", 4) == 0);
    const struct tr_input_conf *first = NULL;
    for (unsigned i = 0; i < conf->n_inputs; i++) {
        const struct tr_input_conf *ic = &conf->inputs[i];
        if (ic->kind != TR_INPUT_LIVE)
            continue;
        if (i < TR_ARRAY_LEN(mc->ifaces))
            mc->ifaces[i] = ic->source;
        if (!first) {
            first = ic;
            mc->netns = ic->netns;
        } else if (needs_ns && !str_same(first->netns, ic->netns)) {
            sub(kp, sizeof(kp), path, "direction");
            return fail(ld, find(v, "direction"), kp, "expected every iface input in one "
                        "netns for direction %s, got inputs.%s and inputs.%s in different ones",
                        mc->dir, first->name, ic->name);
        }
    }
    return TR_OK;
}

/* flowmeta: --flowmeta* (docs/flowmeta.md). mode becomes the filter of each
 * iface input, built from that input's interface and and-ed with its own
 * filter, as --flowmeta-mode does with -i and -f. */
static int load_flowmeta_keys(struct ld *ld, const struct node *v, const char *path,
                              struct tr_output_conf *oc)
{
    struct tr_engine_conf *conf = &ld->c->conf;
    struct tr_flowmeta_conf *fm = &oc->flowmeta;
    const struct node *x;
    char kp[300];
    uint64_t u = 0;
    bool have = false, host = true;
    if (opt_str(ld, v, path, "listen", &fm->listen) != TR_OK ||
        opt_str(ld, v, path, "log", &fm->log_path) != TR_OK ||
        opt_str(ld, v, path, "lines", &fm->lines_path) != TR_OK ||
        opt_str(ld, v, path, "multicast", &fm->multicast) != TR_OK ||
        opt_bool(ld, v, path, "first_frag", &fm->first_frag) != TR_OK ||
        opt_bool(ld, v, path, "mgen_dst", &fm->mgen_dst) != TR_OK ||
        opt_bool(ld, v, path, "host_records", &host) != TR_OK)
        return ld->err->code;
    fm->no_host = !host;
    if (!fm->listen && !fm->lines_path && !fm->multicast)
        return fail(ld, v, path, "expected at least one of listen, lines, multicast, got none");
    if (fm->log_path && !fm->listen) {
        sub(kp, sizeof(kp), path, "log");
        return fail(ld, find(v, "log"), kp, "expected listen: too (the log is written while "
                    "clients are connected), got no listen");
    }
    if (opt_u64(ld, v, path, "ttl", 1, 255, &u, &have) != TR_OK)
        return ld->err->code;
    if (have)
        fm->mcast_ttl = (unsigned)u;
    if (opt_u64(ld, v, path, "client_buf", 28, 1u << 30, &u, &have) != TR_OK)
        return ld->err->code;
    if (have)
        fm->client_buf = (size_t)u;
    if (opt_u64(ld, v, path, "max_clients", 1, 65536, &u, &have) != TR_OK)
        return ld->err->code;
    if (have)
        fm->max_clients = (unsigned)u;
    if (!(x = find(v, "mode")))
        return TR_OK;
    sub(kp, sizeof(kp), path, "mode");
    static const char *const modes[] = { "src", "dst", "spoof", NULL };
    unsigned w = 0;
    if (pick(ld, x, kp, modes, "src, dst or spoof", &w) != TR_OK)
        return ld->err->code;
    if (ld->fm_mode_line)
        return fail(ld, x, kp, "expected mode on one flowmeta output only, got a second "
                    "(first at line %u)", ld->fm_mode_line);
    ld->fm_mode_line = x->line;
    bool any = false;
    for (unsigned i = 0; i < conf->n_inputs; i++) {
        struct tr_input_conf *ic = &conf->inputs[i];
        if (ic->kind != TR_INPUT_LIVE)
            continue;
        char buf[4096];
        struct tr_err e = { 0 };
        if (tr_flowmeta_mode_filter(modes[w], ic->source, ic->filter, buf, sizeof(buf), &e) !=
            TR_OK)
            return fail(ld, x, kp, "expected a mode for inputs.%s, got: %s", ic->name, e.msg);
        char *f = keep(ld, strdup(buf));
        if (!f)
            return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
        ic->filter = f;
        any = true;
    }
    if (!any)
        return fail(ld, x, kp, "expected an iface input (the mode is built from its MAC and "
                    "addresses), got none");
    return TR_OK;
}

static int load_outputs(struct ld *ld, const struct node *n)
{
    struct tr_engine_conf *conf = &ld->c->conf;
    if (n->t != N_MAP || n->n == 0)
        return EXPECTED(ld, n, "outputs", "a mapping of output names to outputs");
    for (unsigned i = 0; i < n->n; i += 2) {
        const struct node *k = n->kids[i], *v = n->kids[i + 1];
        char path[256], kp[300];
        if (k->t != N_SCALAR || !valid_name(k->s))
            return EXPECTED(ld, k, "outputs", "an output name of 1-63 letters, digits, _ - .");
        snprintf(path, sizeof(path), "outputs.%s", k->s);
        for (unsigned j = 0; j < i; j += 2)
            if (strcmp(n->kids[j]->s, k->s) == 0)
                return fail(ld, k, path, "expected each output name once, got a duplicate "
                            "(first at line %u)", n->kids[j]->line);
        if (conf->n_outputs == TR_MAX_OUTPUTS)
            return fail(ld, k, path, "expected at most %d outputs, got more", TR_MAX_OUTPUTS);
        static const char kinds_text[] = "hep, json, csv, mirror, dump or flowmeta";
        if (v->t != N_MAP)
            return fail(ld, v, path, "expected a mapping with kind: %s, got %s", kinds_text,
                        v->t == N_SEQ ? "a list" : "a value");
        const struct node *kind = find(v, "kind");
        sub(kp, sizeof(kp), path, "kind");
        if (!kind)
            return fail(ld, v, kp, "expected %s, got nothing (kind is required)", kinds_text);
        enum { K_HEP, K_JSON, K_CSV, K_MIRROR, K_DUMP, K_FLOWMETA };
        static const char *const kinds[] = { "hep", "json", "csv", "mirror", "dump", "flowmeta",
                                             NULL };
        unsigned ki = 0;
        if (pick(ld, kind, kp, kinds, kinds_text, &ki) != TR_OK)
            return ld->err->code;
        static const char *const k_hep[] = { "kind", "target", "capture_id", "auth_key",
                                             "node_name", "queue_bytes", "restamp", NULL };
        static const char *const k_json[] = { "kind", "path", "payload", NULL };
        static const char *const k_csv[] = { "kind", "path", NULL };
        static const char *const k_mirror[] = { "kind", "target", "direction", "slice", "mbps",
                                                NULL };
        static const char *const k_dump[] = { "kind", "path", "interval", "size_mb", "files",
                                              "format", "slice", NULL };
        static const char *const k_flowmeta[] = { "kind", "listen", "log", "lines", "multicast",
                                                  "ttl", "mode", "first_frag", "mgen_dst",
                                                  "client_buf", "max_clients", "host_records",
                                                  NULL };
        static const char *const *const allowed[] = { k_hep, k_json, k_csv, k_mirror, k_dump,
                                                      k_flowmeta };
        static const char *const tkeys[] = { "target", "path", "path", "target", "path", NULL };
        if (check_map(ld, v, path, allowed[ki]) != TR_OK)
            return ld->err->code;
        struct tr_output_conf *oc = &conf->outputs[conf->n_outputs];
        *oc = (struct tr_output_conf){ .name = k->s, .kind = kinds[ki], .capture_id = 2001 };
        const struct node *x;
        if (tkeys[ki]) { /* flowmeta has no one target: listen, lines, multicast */
            x = find(v, tkeys[ki]);
            sub(kp, sizeof(kp), path, tkeys[ki]);
            if (!x)
                return fail(ld, v, kp, "expected a value (required for kind %s), got nothing",
                            kinds[ki]);
            if (get_str(ld, x, kp, &oc->target) != TR_OK)
                return ld->err->code;
            if (ki == K_HEP && strncmp(oc->target, "udp:", 4) != 0 &&
                strncmp(oc->target, "tcp:", 4) != 0)
                return EXPECTED(ld, x, kp, "udp:HOST:PORT or tcp:HOST:PORT");
            if (ki == K_MIRROR) {
                struct tr_mirror_spec ms;
                struct tr_err e = { 0 };
                char buf[64];
                if (tr_mirror_spec_parse(oc->target, &ms, &e) != TR_OK) {
                    /* the parser's reason, without its "--mirror SPEC: " */
                    const char *why = e.msg;
                    size_t sl = strlen(oc->target);
                    if (strncmp(why, "--mirror ", 9) == 0 && strlen(why) > 11 + sl &&
                        strncmp(why + 9, oc->target, sl) == 0 &&
                        strncmp(why + 9 + sl, ": ", 2) == 0)
                        why += 11 + sl;
                    return fail(ld, x, kp, "expected a mirror spec (docs/mirror.md), got %s: %s",
                                got(x, buf, sizeof(buf)), why);
                }
            }
        }
        if (ki == K_MIRROR || ki == K_DUMP) {
            if (load_mirror_keys(ld, v, path, oc) != TR_OK)
                return ld->err->code;
        } else if (ki == K_FLOWMETA) {
            if (load_flowmeta_keys(ld, v, path, oc) != TR_OK)
                return ld->err->code;
        }
        if (uses_stdout(oc))
            for (unsigned j = 0; j < conf->n_outputs; j++)
                if (uses_stdout(&conf->outputs[j])) {
                    const char *key = ki == K_FLOWMETA ? "lines" : "path";
                    sub(kp, sizeof(kp), path, key);
                    return EXPECTED(ld, find(v, key), kp, "standard output (-) used by one "
                                    "output only");
                }
        uint64_t u = 0;
        if ((x = find(v, "capture_id"))) {
            sub(kp, sizeof(kp), path, "capture_id");
            if (get_u64(ld, x, kp, 0, UINT32_MAX, &u) != TR_OK)
                return ld->err->code;
            oc->capture_id = (uint32_t)u;
        }
        if ((x = find(v, "auth_key"))) {
            sub(kp, sizeof(kp), path, "auth_key");
            if (get_str(ld, x, kp, &oc->auth_key) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(v, "node_name"))) {
            sub(kp, sizeof(kp), path, "node_name");
            if (get_str(ld, x, kp, &oc->node_name) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(v, "queue_bytes"))) {
            sub(kp, sizeof(kp), path, "queue_bytes");
            if (get_u64(ld, x, kp, 1u << 17, 1ull << 32, &u) != TR_OK)
                return ld->err->code;
            oc->carrier.queue_bytes = (size_t)u;
        }
        if ((x = find(v, "restamp"))) {
            sub(kp, sizeof(kp), path, "restamp");
            if (get_bool(ld, x, kp, &oc->hep_restamp) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(v, "payload"))) {
            sub(kp, sizeof(kp), path, "payload");
            if (get_bool(ld, x, kp, &oc->json_payload) != TR_OK)
                return ld->err->code;
        }
        ld->output_names[conf->n_outputs] = k->s;
        conf->n_outputs++;
    }
    return TR_OK;
}

/* ------------------------------------------------------------ rules */

static int name_index(const char *const *names, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* A value condition: "text" (exact) or {exact|prefix|contains|regex: text,
 * exists: true, nocase: bool, not: bool}. */
static int load_value_cond(struct ld *ld, const struct node *n, const char *path,
                           struct tr_hdr_cond *h)
{
    if (n->t == N_SCALAR) {
        h->op = TR_HDR_EXACT;
        if (n->len > 0 && strlen(n->s) != n->len)
            return EXPECTED(ld, n, path, "a string without NUL bytes");
        h->value = (struct tr_str){ n->s, n->len };
    } else {
        static const char *const keys[] = { "exact", "prefix", "contains", "regex", "exists",
                                            "nocase", "not", NULL };
        if (check_map(ld, n, path, keys) != TR_OK)
            return ld->err->code;
        static const char *const ops[] = { "exists", "exact", "prefix", "contains", "regex" };
        static const enum tr_hdr_op opv[] = { TR_HDR_EXISTS, TR_HDR_EXACT, TR_HDR_PREFIX,
                                              TR_HDR_CONTAINS, TR_HDR_REGEX };
        int found = -1;
        for (int i = 0; i < 5; i++) {
            const struct node *x = find(n, ops[i]);
            if (!x)
                continue;
            char kp[300];
            sub(kp, sizeof(kp), path, ops[i]);
            if (found >= 0)
                return fail(ld, x, kp, "expected only one of exact, prefix, contains, regex, "
                            "exists, got %s and %s", ops[found], ops[i]);
            found = i;
            h->op = opv[i];
            if (i == 0) {
                bool b = false;
                if (get_bool(ld, x, kp, &b) != TR_OK)
                    return ld->err->code;
                if (!b)
                    return EXPECTED(ld, x, kp, "true (use not: true for absence)");
            } else {
                if (x->t != N_SCALAR || (x->len > 0 && strlen(x->s) != x->len))
                    return EXPECTED(ld, x, kp, "a string");
                h->value = (struct tr_str){ x->s, x->len };
            }
        }
        if (found < 0)
            return fail(ld, n, path, "expected one of exact, prefix, contains, regex, exists, "
                        "got none");
        const struct node *x;
        char kp[300];
        if ((x = find(n, "nocase"))) {
            sub(kp, sizeof(kp), path, "nocase");
            if (get_bool(ld, x, kp, &h->nocase) != TR_OK)
                return ld->err->code;
        }
        if ((x = find(n, "not"))) {
            sub(kp, sizeof(kp), path, "not");
            if (get_bool(ld, x, kp, &h->negate) != TR_OK)
                return ld->err->code;
        }
    }
    struct tr_err e = { 0 };
    if (tr_hdr_cond_compile(h, &e) != TR_OK)
        return fail(ld, n, path, "%s", e.msg);
    return TR_OK;
}

static int load_cidrs(struct ld *ld, const struct node *n, const char *path, struct tr_cidr *out,
                      unsigned *n_out)
{
    const struct node *items[TR_RULE_MAX_LIST];
    unsigned k;
    if (get_list(ld, n, path, TR_RULE_MAX_LIST, items, &k) != TR_OK)
        return ld->err->code;
    for (unsigned i = 0; i < k; i++)
        if (tr_cidr_parse(items[i]->s, &out[i]) != TR_OK)
            return EXPECTED(ld, items[i], path, "an address or CIDR like 10.0.0.0/8 or 2001:db8::/32");
    *n_out = k;
    return TR_OK;
}

static int load_ranges(struct ld *ld, const struct node *n, const char *path, bool status,
                       struct tr_range16 *out, unsigned *n_out)
{
    const struct node *items[TR_RULE_MAX_LIST];
    unsigned k;
    if (get_list(ld, n, path, TR_RULE_MAX_LIST, items, &k) != TR_OK)
        return ld->err->code;
    for (unsigned i = 0; i < k; i++) {
        int rc = status ? tr_status_parse(items[i]->s, &out[i])
                        : tr_port_range_parse(items[i]->s, &out[i]);
        if (rc != TR_OK)
            return EXPECTED(ld, items[i], path,
                            status ? "a status 100..699, a class like 4xx, or a range like 500-599"
                                   : "a port 0..65535 or a range like 5060-5070");
    }
    *n_out = k;
    return TR_OK;
}

static int load_match(struct ld *ld, const struct node *n, const char *path, struct tr_rule_match *m)
{
    static const char *const keys[] = { "protocol", "hep_type", "transport", "method", "type",
                                        "status", "header", "user_agent", "src", "dst", "addr",
                                        "sport", "dport", "port", "direction", "input", "size",
                                        "malformed", "has_sdp", NULL };
    if (check_map(ld, n, path, keys) != TR_OK)
        return ld->err->code;
    const struct node *x, *items[TR_RULE_MAX_LIST];
    unsigned k;
    char kp[300];
    if ((x = find(n, "protocol"))) {
        sub(kp, sizeof(kp), path, "protocol");
        static const char *const names[] = { "sip", "rtcp", "vq", "rtp_stats", "hep", "log", NULL };
        static const enum tr_event_kind kinds[] = { TR_EV_SIP, TR_EV_RTCP, TR_EV_VQ,
                                                    TR_EV_RTP_STATS, TR_EV_HEP, TR_EV_LOG };
        if (get_list(ld, x, kp, TR_RULE_MAX_LIST, items, &k) != TR_OK)
            return ld->err->code;
        for (unsigned i = 0; i < k; i++) {
            unsigned w = 0;
            if (pick(ld, items[i], kp, names, "sip, rtcp, vq, rtp_stats, hep or log", &w) != TR_OK)
                return ld->err->code;
            m->kinds |= 1u << kinds[w];
        }
    }
    if ((x = find(n, "hep_type"))) {
        sub(kp, sizeof(kp), path, "hep_type");
        if (get_list(ld, x, kp, TR_RULE_MAX_LIST, items, &k) != TR_OK)
            return ld->err->code;
        for (unsigned i = 0; i < k; i++) {
            uint64_t u = 0;
            if (get_u64(ld, items[i], kp, 0, 255, &u) != TR_OK)
                return ld->err->code;
            m->hep_types[i] = (uint8_t)u;
        }
        m->n_hep_types = k;
    }
    if ((x = find(n, "transport"))) {
        sub(kp, sizeof(kp), path, "transport");
        static const char *const names[] = { "udp", "tcp", "sctp", NULL };
        if (get_list(ld, x, kp, 3, items, &k) != TR_OK)
            return ld->err->code;
        for (unsigned i = 0; i < k; i++) {
            unsigned w = 0;
            if (pick(ld, items[i], kp, names, "udp, tcp or sctp", &w) != TR_OK)
                return ld->err->code;
            m->transports |= (uint8_t)(1u << w);
        }
    }
    if ((x = find(n, "method"))) {
        sub(kp, sizeof(kp), path, "method");
        if (get_list(ld, x, kp, TR_RULE_MAX_LIST, items, &k) != TR_OK)
            return ld->err->code;
        for (unsigned i = 0; i < k; i++) {
            for (size_t j = 0; j < items[i]->len; j++) {
                char ch = items[i]->s[j];
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_' ||
                      ch == '.' || ch == '!' || ch == '%' || ch == '*' || ch == '+' ||
                      ch == '`' || ch == '\'' || ch == '~' || (ch >= '0' && ch <= '9')))
                    return EXPECTED(ld, items[i], kp, "a SIP method token like INVITE");
            }
            m->methods[i] = (struct tr_str){ items[i]->s, items[i]->len };
        }
        m->n_methods = k;
    }
    if ((x = find(n, "type"))) {
        sub(kp, sizeof(kp), path, "type");
        static const char *const names[] = { "request", "response", NULL };
        unsigned w = 0;
        if (pick(ld, x, kp, names, "request or response", &w) != TR_OK)
            return ld->err->code;
        m->requests_only = w == 0;
        m->responses_only = w == 1;
    }
    if ((x = find(n, "status"))) {
        sub(kp, sizeof(kp), path, "status");
        if (load_ranges(ld, x, kp, true, m->status, &m->n_status) != TR_OK)
            return ld->err->code;
    }
    if ((x = find(n, "header"))) {
        sub(kp, sizeof(kp), path, "header");
        if (x->t != N_MAP || x->n == 0)
            return EXPECTED(ld, x, kp, "a mapping of header names to conditions");
        for (unsigned i = 0; i < x->n; i += 2) {
            const struct node *hk = x->kids[i];
            char hp[400];
            if (hk->t != N_SCALAR || hk->len == 0 || hk->len > 64 || strlen(hk->s) != hk->len ||
                strpbrk(hk->s, ": \t\r\n"))
                return EXPECTED(ld, hk, kp, "a header name");
            snprintf(hp, sizeof(hp), "%s.%s", kp, hk->s);
            for (unsigned j = 0; j < i; j += 2)
                if (tr_str_ieq((struct tr_str){ x->kids[j]->s, x->kids[j]->len },
                               (struct tr_str){ hk->s, hk->len }))
                    return fail(ld, hk, hp, "expected each header once, got a duplicate (first "
                                "at line %u)", x->kids[j]->line);
            if (m->n_hdr == TR_RULE_MAX_HDR)
                return fail(ld, hk, hp, "expected at most %d header conditions, got more",
                            TR_RULE_MAX_HDR);
            struct tr_hdr_cond *h = &m->hdr[m->n_hdr];
            h->name = (struct tr_str){ hk->s, hk->len };
            if (load_value_cond(ld, x->kids[i + 1], hp, h) != TR_OK)
                return ld->err->code;
            m->n_hdr++;
        }
    }
    if ((x = find(n, "user_agent"))) {
        sub(kp, sizeof(kp), path, "user_agent");
        if (m->n_hdr == TR_RULE_MAX_HDR)
            return fail(ld, x, kp, "expected at most %d header conditions, got more",
                        TR_RULE_MAX_HDR);
        struct tr_hdr_cond *h = &m->hdr[m->n_hdr];
        h->name = TR_STR_LIT("User-Agent");
        h->user_agent = true;
        if (load_value_cond(ld, x, kp, h) != TR_OK)
            return ld->err->code;
        m->n_hdr++;
    }
    static const char *const cidr_keys[] = { "src", "dst", "addr" };
    struct tr_cidr *cidr_out[] = { m->src, m->dst, m->addr };
    unsigned *cidr_n[] = { &m->n_src, &m->n_dst, &m->n_addr };
    for (int i = 0; i < 3; i++)
        if ((x = find(n, cidr_keys[i]))) {
            sub(kp, sizeof(kp), path, cidr_keys[i]);
            if (load_cidrs(ld, x, kp, cidr_out[i], cidr_n[i]) != TR_OK)
                return ld->err->code;
        }
    static const char *const port_keys[] = { "sport", "dport", "port" };
    struct tr_range16 *port_out[] = { m->sport, m->dport, m->port };
    unsigned *port_n[] = { &m->n_sport, &m->n_dport, &m->n_port };
    for (int i = 0; i < 3; i++)
        if ((x = find(n, port_keys[i]))) {
            sub(kp, sizeof(kp), path, port_keys[i]);
            if (load_ranges(ld, x, kp, false, port_out[i], port_n[i]) != TR_OK)
                return ld->err->code;
        }
    if ((x = find(n, "direction"))) {
        sub(kp, sizeof(kp), path, "direction");
        static const char *const names[] = { "inbound", "outbound", "internal", "external", NULL };
        unsigned w = 0;
        if (pick(ld, x, kp, names, "inbound, outbound, internal or external", &w) != TR_OK)
            return ld->err->code;
        m->direction = (enum tr_direction)(TR_DIR_INBOUND + w);
        if (ld->c->rules->n_local == 0)
            return fail(ld, x, kp, "expected local_networks (top level) to be set for direction, "
                        "got none");
    }
    if ((x = find(n, "input"))) {
        sub(kp, sizeof(kp), path, "input");
        if (get_list(ld, x, kp, TR_MAX_INPUTS, items, &k) != TR_OK)
            return ld->err->code;
        for (unsigned i = 0; i < k; i++) {
            int idx = name_index(ld->input_names, ld->n_inputs, items[i]->s);
            if (idx < 0)
                return EXPECTED(ld, items[i], kp, "the name of an input under inputs:");
            m->inputs |= 1u << idx;
        }
    }
    if ((x = find(n, "size"))) {
        sub(kp, sizeof(kp), path, "size");
        static const char *const sk[] = { "min", "max", NULL };
        if (check_map(ld, x, kp, sk) != TR_OK)
            return ld->err->code;
        const struct node *y;
        uint64_t u = 0;
        char sp[340];
        if ((y = find(x, "min"))) {
            sub(sp, sizeof(sp), kp, "min");
            if (get_u64(ld, y, sp, 0, 1u << 20, &u) != TR_OK)
                return ld->err->code;
            m->size_min = (uint32_t)u;
        }
        if ((y = find(x, "max"))) {
            sub(sp, sizeof(sp), kp, "max");
            if (get_u64(ld, y, sp, 1, 1u << 20, &u) != TR_OK)
                return ld->err->code;
            m->size_max = (uint32_t)u;
            if (m->size_max < m->size_min)
                return fail(ld, y, sp, "expected at least min (%u), got %u", m->size_min,
                            m->size_max);
        }
    }
    static const char *const tri_keys[] = { "malformed", "has_sdp" };
    int8_t *tri_out[] = { &m->malformed, &m->has_sdp };
    for (int i = 0; i < 2; i++)
        if ((x = find(n, tri_keys[i]))) {
            bool b = false;
            sub(kp, sizeof(kp), path, tri_keys[i]);
            if (get_bool(ld, x, kp, &b) != TR_OK)
                return ld->err->code;
            *tri_out[i] = b ? 1 : 0;
        }
    return TR_OK;
}

/* A path relative to the config file's directory (when loaded from a file). */
static const char *resolve_path(struct ld *ld, const char *p)
{
    if (p[0] == '/' || !ld->c->dir)
        return p;
    size_t n = strlen(ld->c->dir) + strlen(p) + 2;
    char *s = malloc(n);
    if (!s)
        return NULL;
    snprintf(s, n, "%s/%s", ld->c->dir, p);
    return keep(ld, s);
}

static int load_action(struct ld *ld, const struct node *n, const char *path, struct tr_rule *r)
{
    static const char *const keys[] = { "send", "drop", "log", "tag", "sample", "rate", "burst",
                                        "lua", NULL };
    if (check_map(ld, n, path, keys) != TR_OK)
        return ld->err->code;
    struct tr_rule_action *a = &r->a;
    const struct node *x, *items[TR_MAX_OUTPUTS];
    unsigned k;
    char kp[300];
    uint64_t u = 0;
    if ((x = find(n, "send"))) {
        sub(kp, sizeof(kp), path, "send");
        if (get_list(ld, x, kp, TR_MAX_OUTPUTS, items, &k) != TR_OK)
            return ld->err->code;
        for (unsigned i = 0; i < k; i++) {
            int idx = name_index(ld->output_names, ld->n_outputs, items[i]->s);
            if (idx < 0)
                return EXPECTED(ld, items[i], kp, "the name of an output under outputs:");
            const char *okind = ld->c->conf.outputs[idx].kind;
            if (packet_kind(okind))
                return fail(ld, items[i], kp, "expected a message output (hep, json, csv), got "
                            "\"%s\", a %s output: packet outputs get every frame, rules do not "
                            "apply to them", items[i]->s, okind);
            a->send |= 1u << idx;
        }
    }
    if ((x = find(n, "drop"))) {
        sub(kp, sizeof(kp), path, "drop");
        if (get_bool(ld, x, kp, &a->drop) != TR_OK)
            return ld->err->code;
        if (a->drop && a->send)
            return fail(ld, x, kp, "expected either send or drop, got both");
    }
    if ((x = find(n, "log"))) {
        sub(kp, sizeof(kp), path, "log");
        if (get_bool(ld, x, kp, &a->log) != TR_OK)
            return ld->err->code;
    }
    if ((x = find(n, "tag"))) {
        sub(kp, sizeof(kp), path, "tag");
        if (x->t != N_MAP || x->n == 0 || x->n / 2 > TR_RULE_MAX_TAGS)
            return EXPECTED(ld, x, kp, "a mapping of at most 8 tag names to values");
        for (unsigned i = 0; i < x->n; i += 2) {
            const struct node *tk = x->kids[i], *tv = x->kids[i + 1];
            char tp[400];
            if (tk->t != N_SCALAR || !valid_name(tk->s))
                return EXPECTED(ld, tk, kp, "a tag name of 1-63 letters, digits, _ - .");
            snprintf(tp, sizeof(tp), "%s.%s", kp, tk->s);
            for (unsigned j = 0; j < i; j += 2)
                if (strcmp(x->kids[j]->s, tk->s) == 0)
                    return fail(ld, tk, tp, "expected each tag once, got a duplicate (first at "
                                "line %u)", x->kids[j]->line);
            if (tv->t != N_SCALAR || strlen(tv->s) != tv->len)
                return EXPECTED(ld, tv, tp, "a value");
            a->tags[a->n_tags++] = (struct tr_tag){ { tk->s, tk->len }, { tv->s, tv->len } };
        }
    }
    if ((x = find(n, "sample"))) {
        sub(kp, sizeof(kp), path, "sample");
        if (get_u64(ld, x, kp, 1, 1000000000, &u) != TR_OK)
            return ld->err->code;
        a->sample = (uint32_t)u;
    }
    if ((x = find(n, "rate"))) {
        sub(kp, sizeof(kp), path, "rate");
        if (get_u64(ld, x, kp, 1, 1000000000, &u) != TR_OK)
            return ld->err->code;
        a->rate = (uint32_t)u;
    }
    if ((x = find(n, "burst"))) {
        sub(kp, sizeof(kp), path, "burst");
        if (!a->rate)
            return fail(ld, x, kp, "expected rate to be set with burst, got no rate");
        if (get_u64(ld, x, kp, 1, 1000000000, &u) != TR_OK)
            return ld->err->code;
        a->burst = (uint32_t)u;
    }
    if ((x = find(n, "lua"))) {
        sub(kp, sizeof(kp), path, "lua");
        static const char *const lk[] = { "script", "function", "max_instructions", "max_memory_kb",
                                          NULL };
        if (check_map(ld, x, kp, lk) != TR_OK)
            return ld->err->code;
        const struct node *y;
        char lp[340];
        sub(lp, sizeof(lp), kp, "script");
        if (!(y = find(x, "script")))
            return fail(ld, x, lp, "expected a path to a Lua file, got nothing (required)");
        const char *script;
        if (get_str(ld, y, lp, &script) != TR_OK)
            return ld->err->code;
        if (!(a->lua_script = resolve_path(ld, script)))
            return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
        if ((y = find(x, "function"))) {
            sub(lp, sizeof(lp), kp, "function");
            if (get_str(ld, y, lp, &a->lua_function) != TR_OK)
                return ld->err->code;
        }
        if ((y = find(x, "max_instructions"))) {
            sub(lp, sizeof(lp), kp, "max_instructions");
            if (get_u64(ld, y, lp, 1000, 1000000000, &u) != TR_OK)
                return ld->err->code;
            a->lua_max_instructions = (uint32_t)u;
        }
        if ((y = find(x, "max_memory_kb"))) {
            sub(lp, sizeof(lp), kp, "max_memory_kb");
            if (get_u64(ld, y, lp, 256, 1u << 20, &u) != TR_OK)
                return ld->err->code;
            a->lua_max_kb = (uint32_t)u;
        }
    }
    return TR_OK;
}

static int load_rules(struct ld *ld, const struct node *n)
{
    struct tr_rules *rs = ld->c->rules;
    if (n->t != N_SEQ)
        return EXPECTED(ld, n, "rules", "a list of rules");
    if (n->n > TR_RULES_MAX)
        return fail(ld, n, "rules", "expected at most %d rules, got %u", TR_RULES_MAX, n->n);
    if (tr_rules_reserve(rs, n->n) != TR_OK)
        return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
    for (unsigned i = 0; i < n->n; i++) {
        const struct node *v = n->kids[i];
        char path[64], kp[300];
        snprintf(path, sizeof(path), "rules[%u]", i);
        static const char *const keys[] = { "name", "match", "action", "continue", NULL };
        if (check_map(ld, v, path, keys) != TR_OK)
            return ld->err->code;
        struct tr_rule *r = &rs->rules[rs->n_rules];
        tr_rule_match_init(&r->m);
        r->line = v->line;
        const struct node *x;
        if ((x = find(v, "name"))) {
            sub(kp, sizeof(kp), path, "name");
            if (x->t != N_SCALAR || !valid_name(x->s))
                return EXPECTED(ld, x, kp, "a rule name of 1-63 letters, digits, _ - .");
            for (unsigned j = 0; j < rs->n_rules; j++)
                if (strcmp(rs->rules[j].name, x->s) == 0)
                    return fail(ld, x, kp, "expected a unique rule name, got \"%s\" again (first "
                                "at line %u)", x->s, rs->rules[j].line);
            r->name = x->s;
        } else {
            char *s = malloc(16);
            if (!s || !keep(ld, s))
                return tr_err_set(ld->err, -TR_E_NOMEM, "out of memory");
            snprintf(s, 16, "rule%u", i + 1);
            r->name = s;
        }
        if ((x = find(v, "match"))) {
            sub(kp, sizeof(kp), path, "match");
            if (load_match(ld, x, kp, &r->m) != TR_OK)
                return ld->err->code;
        }
        sub(kp, sizeof(kp), path, "action");
        if (!(x = find(v, "action")))
            return fail(ld, v, kp, "expected a mapping (send, drop, log, tag, sample, rate, lua), "
                        "got nothing (required)");
        if (load_action(ld, x, kp, r) != TR_OK)
            return ld->err->code;
        if ((x = find(v, "continue"))) {
            sub(kp, sizeof(kp), path, "continue");
            if (get_bool(ld, x, kp, &r->cont) != TR_OK)
                return ld->err->code;
        }
        rs->n_rules++;
    }
    return TR_OK;
}

/* ------------------------------------------------------------ global knobs */

/* Every numeric knob: section, key, range and where it goes; ranges as main.c's. */
enum knob_dest { K_U, K_SZ, K_NS, K_I };
struct knob {
    const char *section, *key;
    uint64_t min, max;
    enum knob_dest how;
    size_t off; /* in struct tr_engine_conf */
};

#define OFF(f) offsetof(struct tr_engine_conf, f)
static const struct knob knobs[] = {
    { "ip_reassembly", "max_datagrams", 1, 1u << 20, K_U, OFF(defrag.max_datagrams) },
    { "ip_reassembly", "max_bytes", 65536, 1ull << 34, K_SZ, OFF(defrag.max_bytes) },
    { "ip_reassembly", "timeout", 1, 3600, K_NS, OFF(defrag.timeout_ns) },
    { "tcp", "max_flows", 1, 1u << 24, K_U, OFF(tcp.max_flows) },
    { "tcp", "max_bytes", 65536, 1ull << 36, K_SZ, OFF(tcp.max_bytes) },
    { "tcp", "stream_bytes", 4096, 1u << 30, K_SZ, OFF(tcp.max_stream_bytes) },
    { "tcp", "idle", 1, 86400, K_NS, OFF(tcp.idle_ns) },
    { "calls", "max_calls", 1, 1u << 22, K_U, OFF(calls.max_calls) },
    { "calls", "idle", 1, 86400, K_NS, OFF(calls.idle_ns) },
    { "media", "rtp_report_interval", 1, 86400, K_NS, OFF(rtp.report_interval_ns) },
};

struct flag {
    const char *section, *key;
    bool invert; /* the conf field says the opposite ("no_rtcp" for rtcp: true) */
    size_t off;
};

static const struct flag flags[] = {
    { "sip", "ports_only", false, OFF(sip_ports_only) },
    { "sip", "drop_malformed", false, OFF(drop_malformed) },
    { "calls", "nat_learning", true, OFF(calls.no_learn) },
    { "media", "rtcp", true, OFF(no_rtcp) },
    { "media", "rtcp_tracked_only", false, OFF(rtcp_tracked_only) },
    { "media", "rtp_stats", true, OFF(no_rtp_stats) },
};

static int load_knobs(struct ld *ld, const struct node *sec, const char *name)
{
    struct tr_engine_conf *conf = &ld->c->conf;
    char kp[300];
    for (size_t i = 0; i < TR_ARRAY_LEN(knobs); i++) {
        const struct node *x;
        if (strcmp(knobs[i].section, name) != 0 || !(x = find(sec, knobs[i].key)))
            continue;
        sub(kp, sizeof(kp), name, knobs[i].key);
        uint64_t u = 0;
        if (get_u64(ld, x, kp, knobs[i].min, knobs[i].max, &u) != TR_OK)
            return ld->err->code;
        char *f = (char *)conf + knobs[i].off;
        switch (knobs[i].how) {
        case K_U: *(unsigned *)(void *)f = (unsigned)u; break;
        case K_SZ: *(size_t *)(void *)f = (size_t)u; break;
        case K_NS: *(uint64_t *)(void *)f = u * 1000000000ull; break;
        case K_I: *(int *)(void *)f = (int)u; break;
        }
    }
    for (size_t i = 0; i < TR_ARRAY_LEN(flags); i++) {
        const struct node *x;
        if (strcmp(flags[i].section, name) != 0 || !(x = find(sec, flags[i].key)))
            continue;
        sub(kp, sizeof(kp), name, flags[i].key);
        bool b = false;
        if (get_bool(ld, x, kp, &b) != TR_OK)
            return ld->err->code;
        *(bool *)((char *)conf + flags[i].off) = b != flags[i].invert;
    }
    return TR_OK;
}

static int load_sip(struct ld *ld, const struct node *n)
{
    static const char *const keys[] = { "ports", "ports_only", "drop_malformed", NULL };
    if (check_map(ld, n, "sip", keys) != TR_OK)
        return ld->err->code;
    const struct node *x = find(n, "ports");
    if (x) {
        const struct node *items[64];
        unsigned k;
        if (get_list(ld, x, "sip.ports", 64, items, &k) != TR_OK)
            return ld->err->code;
        memset(ld->c->conf.sip_ports, 0, sizeof(ld->c->conf.sip_ports));
        for (unsigned i = 0; i < k; i++) {
            struct tr_range16 r;
            if (tr_port_range_parse(items[i]->s, &r) != TR_OK || r.lo == 0)
                return EXPECTED(ld, items[i], "sip.ports", "a port 1..65535 or a range like 5080-5090");
            for (unsigned p = r.lo; p <= r.hi; p++)
                tr_engine_conf_set_sip_port(&ld->c->conf, (uint16_t)p);
        }
    }
    return load_knobs(ld, n, "sip");
}

static int load_tun_ports(struct ld *ld, const struct node *x, const char *kp, uint16_t *ports,
                          uint8_t *n_out)
{
    const struct node *items[TR_DECODE_MAX_TUN_PORTS];
    unsigned k;
    if (get_list(ld, x, kp, TR_DECODE_MAX_TUN_PORTS, items, &k) != TR_OK)
        return ld->err->code;
    for (unsigned i = 0; i < k; i++) {
        uint64_t u = 0;
        if (get_u64(ld, items[i], kp, 1, 65535, &u) != TR_OK)
            return ld->err->code;
        ports[i] = (uint16_t)u;
    }
    *n_out = (uint8_t)k;
    return TR_OK;
}

static int load_decap(struct ld *ld, const struct node *n)
{
    static const char *const keys[] = { "off", "vxlan_ports", "geneve_ports", NULL };
    if (check_map(ld, n, "decap", keys) != TR_OK)
        return ld->err->code;
    struct tr_decode_conf *d = &ld->c->conf.decode;
    const struct node *x;
    if ((x = find(n, "off"))) {
        const struct node *items[8];
        unsigned k;
        if (get_list(ld, x, "decap.off", 8, items, &k) != TR_OK)
            return ld->err->code;
        for (unsigned i = 0; i < k; i++) {
            uint32_t bits = 0;
            struct tr_err e;
            if (strchr(items[i]->s, ',') || tr_decode_decap_parse(items[i]->s, &bits, &e) != TR_OK)
                return EXPECTED(ld, items[i], "decap.off", "ipip, gre, erspan, vxlan, geneve or all");
            d->decap_off |= bits;
        }
    }
    if ((x = find(n, "vxlan_ports")) &&
        load_tun_ports(ld, x, "decap.vxlan_ports", d->vxlan_ports, &d->n_vxlan_ports) != TR_OK)
        return ld->err->code;
    if ((x = find(n, "geneve_ports")) &&
        load_tun_ports(ld, x, "decap.geneve_ports", d->geneve_ports, &d->n_geneve_ports) != TR_OK)
        return ld->err->code;
    return TR_OK;
}

static int load_control(struct ld *ld, const struct node *n)
{
    static const char *const keys[] = { "http", "token", NULL };
    if (check_map(ld, n, "control", keys) != TR_OK)
        return ld->err->code;
    const struct node *x;
    if ((x = find(n, "http"))) {
        if (get_str(ld, x, "control.http", &ld->c->conf.http_listen) != TR_OK)
            return ld->err->code;
        const char *colon = strrchr(x->s, ':');
        uint64_t port = 0;
        bool ok = colon && colon != x->s && colon[1];
        for (const char *p = colon ? colon + 1 : ""; ok && *p; p++) {
            ok = *p >= '0' && *p <= '9' && port <= 65535;
            port = port * 10 + (uint64_t)(*p - '0');
        }
        if (!ok || port == 0 || port > 65535)
            return EXPECTED(ld, x, "control.http", "HOST:PORT like 127.0.0.1:8080 or [::1]:8080");
    }
    if ((x = find(n, "token")) && get_str(ld, x, "control.token", &ld->c->conf.http_token) != TR_OK)
        return ld->err->code;
    return TR_OK;
}

/* ------------------------------------------------------------ top level */

static int load_root(struct ld *ld)
{
    const struct node *root = ld->c->root;
    struct tr_engine_conf *conf = &ld->c->conf;
    if (!root || is_null(root))
        return tr_err_set(ld->err, -TR_E_CONFIG, "%s:1: (top): expected a mapping with inputs:, "
                          "got an empty document", ld->c->name);
    static const char *const keys[] = { "inputs", "outputs", "rules", "rules_default",
                                        "local_networks", "sip", "decap", "ip_reassembly", "tcp",
                                        "calls", "media", "drain_timeout_ms", "control", NULL };
    if (check_map(ld, root, "", keys) != TR_OK)
        return ld->err->code;
    const struct node *x;
    if (!(x = find(root, "inputs")))
        return fail(ld, root, "inputs", "expected a mapping of named inputs, got nothing "
                    "(required)");
    if (load_inputs(ld, x) != TR_OK)
        return ld->err->code;
    ld->n_inputs = conf->n_inputs;
    if ((x = find(root, "outputs"))) {
        if (load_outputs(ld, x) != TR_OK)
            return ld->err->code;
        ld->n_outputs = conf->n_outputs;
    }
    for (unsigned i = 0; i < conf->n_inputs; i++)
        ld->c->rules->input_names[i] = conf->inputs[i].name;
    if ((x = find(root, "local_networks")) &&
        load_cidrs(ld, x, "local_networks", ld->c->rules->local, &ld->c->rules->n_local) != TR_OK)
        return ld->err->code;
    bool have_rules = false;
    if ((x = find(root, "rules"))) {
        if (load_rules(ld, x) != TR_OK)
            return ld->err->code;
        have_rules = true;
    }
    if ((x = find(root, "rules_default"))) {
        static const char *const names[] = { "drop", "send_all", NULL };
        unsigned w = 0;
        if (pick(ld, x, "rules_default", names, "drop or send_all", &w) != TR_OK)
            return ld->err->code;
        if (!have_rules)
            return fail(ld, x, "rules_default", "expected rules: to be present, got no rules");
        ld->c->rules->default_send_all = w == 1;
    }
    static const char *const k_ipr[] = { "max_datagrams", "max_bytes", "timeout", NULL };
    static const char *const k_tcp[] = { "max_flows", "max_bytes", "stream_bytes", "idle", NULL };
    static const char *const k_calls[] = { "max_calls", "idle", "nat_learning", NULL };
    static const char *const k_media[] = { "rtcp", "rtcp_tracked_only", "rtp_stats",
                                           "rtp_report_interval", NULL };
    static const struct {
        const char *name;
        const char *const *keys;
    } sections[] = {
        { "ip_reassembly", k_ipr }, { "tcp", k_tcp }, { "calls", k_calls }, { "media", k_media },
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(sections); i++) {
        if (!(x = find(root, sections[i].name)))
            continue;
        if (check_map(ld, x, sections[i].name, sections[i].keys) != TR_OK ||
            load_knobs(ld, x, sections[i].name) != TR_OK)
            return ld->err->code;
    }
    if ((x = find(root, "sip")) && load_sip(ld, x) != TR_OK)
        return ld->err->code;
    if ((x = find(root, "decap")) && load_decap(ld, x) != TR_OK)
        return ld->err->code;
    if ((x = find(root, "control")) && load_control(ld, x) != TR_OK)
        return ld->err->code;
    if ((x = find(root, "drain_timeout_ms"))) {
        uint64_t u = 0;
        if (get_u64(ld, x, "drain_timeout_ms", 0, 3600000, &u) != TR_OK)
            return ld->err->code;
        conf->drain_ms = (int)u;
    }
    /* As the CLI: reading only files, wait for a slow collector rather than drop. */
    bool live = false;
    for (unsigned i = 0; i < conf->n_inputs; i++)
        live |= conf->inputs[i].kind != TR_INPUT_FILE;
    for (unsigned i = 0; i < conf->n_outputs; i++)
        conf->outputs[i].carrier.full_wait_ms = live ? 0 : 1000;
    if (have_rules) {
        conf->rules = ld->c->rules;
        /* Load every Lua script once now, so a broken one fails the check, not the run. */
        struct tr_err e = { 0 };
        struct tr_rules_state *st = tr_rules_state_new(ld->c->rules, &e);
        if (!st) {
            /* the state loads scripts in rule order: the failing one is the
             * first whose name the message carries */
            unsigned line = 0, idx = 0;
            for (unsigned i = ld->c->rules->n_rules; i-- > 0;) {
                const struct tr_rule *r = &ld->c->rules->rules[i];
                char tag[80];
                snprintf(tag, sizeof(tag), "rule %s:", r->name);
                if (r->a.lua_script && strncmp(e.msg, tag, strlen(tag)) == 0) {
                    line = r->line;
                    idx = i;
                }
            }
            tr_err_set(ld->err, e.code, "%s:%u: rules[%u].action.lua: expected a Lua script "
                       "that loads and defines its function, got: %s", ld->c->name, line, idx,
                       e.msg);
            for (char *p = ld->err->msg; *p; p++) /* Lua's message may quote a line break */
                if ((unsigned char)*p < 0x20)
                    *p = '?';
            return ld->err->code;
        }
        tr_rules_state_free(st);
    }
    return TR_OK;
}

void tr_config_free(struct tr_config *c)
{
    if (!c)
        return;
    node_free(c->root);
    tr_rules_free(c->rules);
    for (unsigned i = 0; i < c->n_strs; i++)
        free(c->strs[i]);
    free(c->strs);
    free(c->name);
    free(c->dir);
    free(c);
}

static struct tr_config *load(const char *name, const char *dir, const char *text, size_t len,
                              struct tr_err *err)
{
    struct tr_config *c = calloc(1, sizeof(*c));
    if (!c) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        return NULL;
    }
    c->name = strdup(name);
    c->dir = dir ? strdup(dir) : NULL;
    c->rules = tr_rules_new();
    if (!c->name || (dir && !c->dir) || !c->rules) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        tr_config_free(c);
        return NULL;
    }
    tr_engine_conf_init(&c->conf);
    struct ld ld = { .c = c, .err = err };
    if (len > MAX_FILE) {
        tr_err_set(err, -TR_E_CONFIG, "%s:1: (file): expected at most %u bytes, got %zu", name,
                   MAX_FILE, len);
        tr_config_free(c);
        return NULL;
    }
    if (parse_tree(&ld, text, len) != TR_OK || load_root(&ld) != TR_OK) {
        tr_config_free(c);
        return NULL;
    }
    return c;
}

struct tr_config *tr_config_load_string(const char *name, const char *text, size_t len,
                                        struct tr_err *err)
{
    return load(name, NULL, text, len, err);
}

struct tr_config *tr_config_load_file(const char *path, struct tr_err *err)
{
    FILE *f = fopen(path, "rbe");
    if (!f) {
        tr_err_set(err, -TR_E_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        return NULL;
    }
    size_t n = fread(buf, 1, MAX_FILE + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        tr_err_set(err, -TR_E_IO, "%s: cannot read", path);
        return NULL;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    struct tr_config *c = load(path, dir, buf, n, err);
    free(buf);
    return c;
}

const struct tr_engine_conf *tr_config_engine(const struct tr_config *c)
{
    return &c->conf;
}
