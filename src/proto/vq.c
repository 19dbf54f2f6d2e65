/* vq.c - the vq-rtcpxr voice quality report: the body of a SIP PUBLISH (or
 * NOTIFY) with Content-Type application/vq-rtcpxr, and its JSON form.
 *
 * Spec: RFC 6035 section 4.6 (format and ABNF), examples in 4.7. The body is
 * text lines, "Name: value"; metric lines carry "KEY=value" parameters:
 *
 *     VQSessionReport: CallTerm              (or VQIntervalReport, or
 *     CallID: 6dg37f1890463                   VQAlertReport: Type=.. Severity=.. Dir=..)
 *     LocalID: Alice <sip:alice@example.org>
 *     LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=0x1a3b5c7d
 *     ...
 *     LocalMetrics:                          (alerts write "Metrics:")
 *     Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:26:02Z
 *     SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50
 *         FMTP="annexb=no" PLC=3 SSUP=on     (a folded line: leading SP/HT)
 *     PacketLoss:NLR=5.0 JDR=2.0
 *     Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10
 *     QualityEst:RLQ=90 RCQ=85 EXTRI=90 MOSLQ=4.2 MOSCQ=4.3
 *     RemoteMetrics:
 *     ...
 *     DialogID:1890463548@alice.example.org;to-tag=8472761;from-tag=9123dh311
 *
 * ABNF quoted strings are case-insensitive (RFC 5234 2.3), so names and keys
 * are compared without case. Phones in the field bend the format: CallID
 * inside the metrics block, "FromID:"/"ToID:" (the pre-RFC draft), a colon
 * with spaces around it, a line of parameters that is neither folded nor
 * named (it continues the line before), "CallID=" instead of "CallID:".
 * Those are accepted; anything else unknown is counted and skipped.
 *
 * Nothing is copied: fields are views into the body. A folded value (RFC
 * 3261 7.3.1 folding, which 4.6 uses) stays one view across its line break;
 * the JSON writer turns each fold into one space.
 */
#include "proto.h"

/* ---------------------------------------------------------------- text */

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool ieq(struct tr_str a, const char *lit)
{
    size_t n = strlen(lit);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a.ptr[i]) != lower(lit[i]))
            return false;
    return true;
}

static struct tr_str trim(const char *p, const char *e)
{
    while (p < e && is_wsp(*p))
        p++;
    while (e > p && (is_wsp(e[-1]) || e[-1] == '\r'))
        e--;
    return (struct tr_str){p, (size_t)(e - p)};
}

/* A decimal number in thousandths: [+-] digits [. digits]. At least one
 * digit; at most 15 before the point; digits past the third decimal are
 * cut (never rounded up, so 4.9999 stays under 5). */
static bool parse_num(struct tr_str s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+'))
        neg = s.ptr[i++] == '-';
    int64_t ip = 0, fp = 0;
    size_t idig = 0, fdig = 0;
    for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, idig++) {
        if (idig >= 15)
            return false;
        ip = ip * 10 + (s.ptr[i] - '0');
    }
    if (i < s.len && s.ptr[i] == '.') {
        for (i++; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, fdig++)
            if (fdig < 3)
                fp = fp * 10 + (s.ptr[i] - '0');
    }
    if (i != s.len || idig + fdig == 0)
        return false;
    for (size_t k = fdig; k < 3; k++)
        fp *= 10;
    int64_t v = ip * 1000 + fp;
    *out = neg ? -v : v;
    return true;
}

static void bump(uint16_t *n)
{
    if (*n < UINT16_MAX)
        (*n)++;
}

/* ---------------------------------------------------------- parameters */

static const char *const num_keys[TR_VQ_N_NUM] = {
#define TR_VQ_KEY(id, key) key,
    TR_VQ_NUM_METRICS(TR_VQ_KEY)};
static const char *const text_keys[TR_VQ_N_TEXT] = {TR_VQ_TEXT_METRICS(TR_VQ_KEY)
#undef TR_VQ_KEY
};

/* What the parameters of the current line (and its continuations) fill. */
enum ctx_kind { CTX_NONE, CTX_METRICS, CTX_ADDR, CTX_ALERT, CTX_TEXT };

struct ctx {
    enum ctx_kind kind;
    struct tr_vq_addr *addr;
    struct tr_str *text;
};

struct vq_state {
    struct tr_vq *out;
    struct tr_vq_metrics *block; /* NULL until a block header: then local */
    struct ctx ctx;
};

static struct tr_vq_metrics *cur_block(struct vq_state *st)
{
    if (!st->block)
        st->block = &st->out->local;
    st->block->present = true;
    return st->block;
}

static void metric_param(struct vq_state *st, struct tr_str key, struct tr_str val)
{
    for (unsigned i = 0; i < TR_VQ_N_NUM; i++) {
        if (!ieq(key, num_keys[i]))
            continue;
        int64_t v;
        if (!parse_num(val, &v)) {
            bump(&st->out->n_bad_values);
            return;
        }
        struct tr_vq_metrics *m = cur_block(st);
        m->num[i] = v;
        m->num_set |= 1ull << i;
        return;
    }
    for (unsigned i = 0; i < TR_VQ_N_TEXT; i++) {
        if (ieq(key, text_keys[i])) {
            cur_block(st)->text[i] = val;
            return;
        }
    }
    bump(&st->out->n_unknown);
}

static void addr_param(struct vq_state *st, struct tr_vq_addr *a, struct tr_str key,
                       struct tr_str val)
{
    if (ieq(key, "IP")) {
        a->ip = val;
    } else if (ieq(key, "PORT")) {
        int64_t v;
        if (parse_num(val, &v) && v % 1000 == 0 && v >= 0 && v <= 65535000)
            a->port = (int32_t)(v / 1000);
        else
            bump(&st->out->n_bad_values);
    } else if (ieq(key, "SSRC")) {
        a->ssrc = val;
    } else {
        bump(&st->out->n_unknown);
    }
}

static void alert_param(struct vq_state *st, struct tr_str key, struct tr_str val)
{
    if (ieq(key, "Type"))
        st->out->alert_type = val;
    else if (ieq(key, "Severity"))
        st->out->alert_severity = val;
    else if (ieq(key, "Dir"))
        st->out->alert_dir = val;
    else
        bump(&st->out->n_unknown);
}

/* Walks "KEY=value KEY="quoted value" ..." in s for the current context. */
static void params(struct vq_state *st, struct tr_str s)
{
    const char *p = s.ptr, *e = s.ptr + s.len;
    while (p < e) {
        while (p < e && is_wsp(*p))
            p++;
        if (p == e)
            break;
        const char *k = p;
        while (p < e && *p != '=' && !is_wsp(*p))
            p++;
        struct tr_str key = {k, (size_t)(p - k)};
        if (p == e || *p != '=') { /* a word without a value */
            bump(&st->out->n_unknown);
            continue;
        }
        p++;
        struct tr_str val;
        if (p < e && *p == '"') { /* FMTP="annexb=no": a quoted string */
            const char *q = ++p;
            while (p < e && *p != '"')
                p++;
            val = (struct tr_str){q, (size_t)(p - q)};
            if (p < e)
                p++;
        } else {
            const char *v = p;
            while (p < e && !is_wsp(*p))
                p++;
            val = (struct tr_str){v, (size_t)(p - v)};
        }
        switch (st->ctx.kind) {
        case CTX_METRICS:
            metric_param(st, key, val);
            break;
        case CTX_ADDR:
            addr_param(st, st->ctx.addr, key, val);
            break;
        case CTX_ALERT:
            alert_param(st, key, val);
            break;
        default:
            bump(&st->out->n_unknown);
            break;
        }
    }
}

/* -------------------------------------------------------------- lines */

/* The metric lines of RFC 6035 4.6 (and what their parameters fill). */
static bool metric_line(struct tr_str name)
{
    static const char *const names[] = {
        "Timestamps",   "SessionDesc", "JitterBuffer", "PacketLoss",
        "BurstGapLoss", "Delay",       "Signal",       "QualityEst",
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(names); i++)
        if (ieq(name, names[i]))
            return true;
    return false;
}

/* Session fields whose value is one text view. */
static struct tr_str *text_field(struct tr_vq *v, struct tr_str name)
{
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {
        {"CallID", offsetof(struct tr_vq, call_id)},
        {"LocalID", offsetof(struct tr_vq, local_id)},
        {"RemoteID", offsetof(struct tr_vq, remote_id)},
        {"OrigID", offsetof(struct tr_vq, orig_id)},
        {"LocalGroup", offsetof(struct tr_vq, local_group)},
        {"RemoteGroup", offsetof(struct tr_vq, remote_group)},
        {"LocalMAC", offsetof(struct tr_vq, local_mac)},
        {"RemoteMAC", offsetof(struct tr_vq, remote_mac)},
        {"DialogID", offsetof(struct tr_vq, dialog_id)},
        {"FromID", offsetof(struct tr_vq, from_id)},
        {"ToID", offsetof(struct tr_vq, to_id)},
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(fields); i++)
        if (ieq(name, fields[i].name))
            return (struct tr_str *)(void *)((char *)v + fields[i].off);
    return NULL;
}

static void named_line(struct vq_state *st, struct tr_str name, struct tr_str value)
{
    struct tr_vq *v = st->out;
    struct tr_str *field;
    st->ctx = (struct ctx){CTX_NONE, NULL, NULL};
    if (ieq(name, "VQSessionReport") || ieq(name, "VQIntervalReport") ||
        ieq(name, "VQAlertReport")) {
        if (v->report != TR_VQ_NONE) { /* one report per body */
            bump(&v->n_unknown);
            return;
        }
        v->report = lower(name.ptr[2]) == 's'   ? TR_VQ_SESSION
                    : lower(name.ptr[2]) == 'i' ? TR_VQ_INTERVAL
                                                : TR_VQ_ALERT;
        if (v->report == TR_VQ_ALERT) {
            st->ctx.kind = CTX_ALERT;
            params(st, value);
        } else if (ieq(value, "CallTerm")) {
            v->call_term = true;
        } else if (value.len) {
            bump(&v->n_unknown);
        }
    } else if ((field = text_field(v, name))) {
        *field = value;
        st->ctx = (struct ctx){CTX_TEXT, NULL, field};
    } else if (ieq(name, "LocalAddr") || ieq(name, "RemoteAddr")) {
        st->ctx.kind = CTX_ADDR;
        st->ctx.addr = lower(name.ptr[0]) == 'l' ? &v->local_addr : &v->remote_addr;
        params(st, value);
    } else if (ieq(name, "LocalMetrics") || ieq(name, "Metrics")) {
        st->block = &v->local;
        v->local.present = true;
        st->ctx.kind = CTX_METRICS;
    } else if (ieq(name, "RemoteMetrics")) {
        st->block = &v->remote;
        v->remote.present = true;
        st->ctx.kind = CTX_METRICS;
    } else if (metric_line(name)) {
        st->ctx.kind = CTX_METRICS;
        params(st, value);
    } else {
        bump(&v->n_unknown); /* e.g. x-UserAgent:, LocalGroup variants, vendor lines */
    }
}

/* A folded line (leading SP/HT) or a line of bare parameters: it continues
 * the line before. */
static void continuation(struct vq_state *st, struct tr_str line, bool folded)
{
    if (st->ctx.kind == CTX_TEXT) {
        if (!folded) { /* bare parameters never extend a Call-ID */
            bump(&st->out->n_unknown);
            return;
        }
        struct tr_str *f = st->ctx.text;
        if (!f->ptr || f->len == 0)
            *f = line;
        else /* one view over the fold: the writer makes it a single space */
            f->len = (size_t)(line.ptr + line.len - f->ptr);
        return;
    }
    params(st, line);
}

int tr_vq_parse(struct tr_bytes body, struct tr_vq *out)
{
    memset(out, 0, sizeof(*out));
    out->local_addr.port = -1;
    out->remote_addr.port = -1;
    if (!body.ptr)
        return TR_DECLINED;
    struct vq_state st = {.out = out};
    const char *p = (const char *)body.ptr, *end = p + body.len;
    bool seen = false; /* a first line cannot be a fold */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        bool folded = seen && is_wsp(*p);
        struct tr_str line = trim(p, le);
        p = nl ? nl + 1 : end;
        if (line.len == 0)
            continue;
        seen = true;
        if (folded) {
            continuation(&st, line, true);
            continue;
        }
        const char *colon = memchr(line.ptr, ':', line.len);
        const char *eq = memchr(line.ptr, '=', line.len);
        if (colon && (!eq || colon < eq)) {
            struct tr_str name = trim(line.ptr, colon);
            struct tr_str value = trim(colon + 1, line.ptr + line.len);
            if (name.len) {
                named_line(&st, name, value);
                continue;
            }
        } else if (eq) {
            /* "CallID=abc" (seen from some gateways) names the field; any
             * other bare "KEY=value ..." continues the line before. */
            struct tr_str name = trim(line.ptr, eq);
            if (ieq(name, "CallID"))
                named_line(&st, name, trim(eq + 1, line.ptr + line.len));
            else
                continuation(&st, line, false);
            continue;
        }
        /* No colon, no parameters: "VQSessionReport" alone is legal (the
         * HCOLON is optional in the ABNF), so are block headers. */
        named_line(&st, line, (struct tr_str){line.ptr + line.len, 0});
    }
    return out->report == TR_VQ_NONE ? TR_DECLINED : TR_OK;
}

/* ----------------------------------------------------------------- JSON */

/* A text view as a JSON string, each fold (CR LF or LF, then SP/HT) written
 * as one space (RFC 3261 7.3.1: folding is equivalent to one SP). */
static void text(struct tr_json_buf *w, struct tr_str s)
{
    TR_JSON_LIT(w, "\"");
    size_t i = 0, run = 0;
    while (i < s.len) {
        char c = s.ptr[i];
        if (c != '\r' && c != '\n') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s.len && (s.ptr[j] == '\r' || s.ptr[j] == '\n'))
            j++;
        size_t k = j;
        while (k < s.len && is_wsp(s.ptr[k]))
            k++;
        if (k == j) { /* a line break that is not a fold: keep it, escaped */
            i = j;
            continue;
        }
        size_t keep = i; /* drop the blanks before the fold too */
        while (keep > run && is_wsp(s.ptr[keep - 1]))
            keep--;
        tr_json_str_part(w, s.ptr + run, keep - run);
        TR_JSON_LIT(w, " ");
        i = run = k;
    }
    tr_json_str_part(w, s.ptr + run, s.len - run);
    TR_JSON_LIT(w, "\"");
}

/* ,"key": -- or "key": for the first key of an object (tr_json_key knows). */
static void key(struct tr_json_buf *w, const char *k)
{
    tr_json_key(w, k, strlen(k));
}

static void key_text(struct tr_json_buf *w, const char *k, struct tr_str s)
{
    if (s.len == 0)
        return;
    key(w, k);
    text(w, s);
}

/* Thousandths as a JSON number: 5000 -> 5, 4200 -> 4.2, -21000 -> -21. */
static void thousandths(struct tr_json_buf *w, int64_t v)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        TR_JSON_LIT(w, "-");
    tr_json_u64(w, a / 1000);
    unsigned f = (unsigned)(a % 1000);
    if (f == 0)
        return;
    char t[4] = {'.', (char)('0' + f / 100), (char)('0' + f / 10 % 10), (char)('0' + f % 10)};
    size_t n = 4;
    while (t[n - 1] == '0')
        n--;
    tr_json_put(w, t, n);
}

static void metrics(struct tr_json_buf *w, const char *k, const struct tr_vq_metrics *m)
{
    if (!m->present)
        return;
    key(w, k);
    TR_JSON_LIT(w, "{");
    /* Timestamps first, then the numbers in RFC order, then the other texts. */
    for (unsigned i = 0; i < TR_VQ_N_TEXT; i++) {
        if (i == TR_VQ_T_PD) {
            for (unsigned n = 0; n < TR_VQ_N_NUM; n++) {
                if (!(m->num_set & (1ull << n)))
                    continue;
                key(w, num_keys[n]);
                thousandths(w, m->num[n]);
            }
        }
        key_text(w, text_keys[i], m->text[i]);
    }
    TR_JSON_LIT(w, "}");
}

static void addr(struct tr_json_buf *w, const char *k, const struct tr_vq_addr *a)
{
    if (a->ip.len == 0 && a->port < 0 && a->ssrc.len == 0)
        return;
    key(w, k);
    TR_JSON_LIT(w, "{");
    key_text(w, "ip", a->ip);
    if (a->port >= 0) {
        key(w, "port");
        tr_json_u64(w, (uint64_t)a->port);
    }
    key_text(w, "ssrc", a->ssrc);
    TR_JSON_LIT(w, "}");
}

int tr_vq_json(const struct tr_vq *v, char *buf, size_t cap)
{
    static const char *const reports[] = {"none", "VQSessionReport", "VQIntervalReport",
                                          "VQAlertReport"};
    const char *report = reports[(unsigned)v->report < TR_ARRAY_LEN(reports) ? v->report : 0];
    struct tr_json_buf w;
    tr_json_init(&w, buf, cap);
    TR_JSON_LIT(&w, "{");
    key(&w, "report");
    tr_json_str(&w, report, strlen(report));
    if (v->call_term) {
        key(&w, "call_term");
        TR_JSON_LIT(&w, "true");
    }
    if (v->alert_type.len || v->alert_severity.len || v->alert_dir.len) {
        key(&w, "alert");
        TR_JSON_LIT(&w, "{");
        key_text(&w, "type", v->alert_type);
        key_text(&w, "severity", v->alert_severity);
        key_text(&w, "dir", v->alert_dir);
        TR_JSON_LIT(&w, "}");
    }
    key_text(&w, "call_id", v->call_id);
    key_text(&w, "local_id", v->local_id);
    key_text(&w, "remote_id", v->remote_id);
    key_text(&w, "orig_id", v->orig_id);
    key_text(&w, "from_id", v->from_id);
    key_text(&w, "to_id", v->to_id);
    key_text(&w, "local_group", v->local_group);
    key_text(&w, "remote_group", v->remote_group);
    addr(&w, "local_addr", &v->local_addr);
    key_text(&w, "local_mac", v->local_mac);
    addr(&w, "remote_addr", &v->remote_addr);
    key_text(&w, "remote_mac", v->remote_mac);
    key_text(&w, "dialog_id", v->dialog_id);
    metrics(&w, "local_metrics", &v->local);
    metrics(&w, "remote_metrics", &v->remote);
    if (v->n_unknown) {
        key(&w, "unknown");
        tr_json_u64(&w, v->n_unknown);
    }
    if (v->n_bad_values) {
        key(&w, "bad_values");
        tr_json_u64(&w, v->n_bad_values);
    }
    TR_JSON_LIT(&w, "}");
    return tr_json_finish(&w);
}
