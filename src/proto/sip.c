/* sip.c - SIP message parser: the start line, the headers trawl reports and
 * the message framing (where the body is, where the next message starts).
 *
 * Spec: RFC 3261 section 7 (message format), 7.1 (Request-Line), 7.2
 * (Status-Line), 7.3.1 (header field format: case-insensitive names, HCOLON,
 * folding), 7.3.3 (compact forms), 7.4.1/18.3 (body length by Content-Length;
 * on UDP the datagram ends the message when the header is absent), 20.10,
 * 20.20, 20.39, 20.42 (Contact/From/To/Via), 25.1 (ABNF: token, name-addr,
 * addr-spec, via-params). Leading CRLFs are keep-alives (RFC 5626 3.5.1).
 *
 *     [CRLF...]                              skipped (header_len counts them)
 *     METHOD SP Request-URI SP SIP/2.0 CRLF   or   SIP/2.0 SP 3DIGIT SP reason CRLF
 *     Name HCOLON value CRLF                 *( SP/HT continuation CRLF )
 *     ...
 *     CRLF                                   end of headers (LF alone tolerated)
 *     body                                   Content-Length bytes
 *
 * One pass over the header lines; the header name's first letter selects the
 * few names we care about, everything else costs one memchr and a short token
 * scan. Every field is a view into the payload: nothing is copied, nothing
 * allocated, no NUL terminator needed. All offsets (header_len, msg_len) are
 * from the start of the payload, including any skipped leading CRLFs.
 *
 * Tolerance, on purpose (real traffic is sloppy, and a capture agent reports
 * rather than rejects): LF-only line ends, extra spaces in the request line,
 * SP/HT before the header colon, folded values, "sip/2.0" in any case. What is
 * wrong is reported as the first defect found; fields found anyway are set.
 */
#include "proto.h"

/* ---------------------------------------------------------------- bytes */

enum {
    C_TOKEN = 1, /* RFC 3261 token: alphanum and - . ! % * _ + ` ' ~ */
    C_LWS = 2,   /* SP HT CR LF: whitespace inside (possibly folded) values */
    C_DIGIT = 4,
    C_ALPHA = 8,
    C_SCHEME = 16, /* RFC 3986 scheme chars after the first: alphanum + - . */
};

/* clang-format off */
#define A_ (C_TOKEN | C_ALPHA | C_SCHEME)
#define D_ (C_TOKEN | C_DIGIT | C_SCHEME)
#define S_ (C_TOKEN | C_SCHEME)
#define T_ C_TOKEN
#define W_ C_LWS
static const uint8_t sip_cls[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  W_, W_, 0,  0,  W_, 0,  0,  /* 0x00 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x10 */
    W_, T_, 0,  0,  0,  T_, 0,  T_, 0,  0,  T_, S_, 0,  S_, S_, 0,  /* 0x20  !"#$%&'()*+,-./ */
    D_, D_, D_, D_, D_, D_, D_, D_, D_, D_, 0,  0,  0,  0,  0,  0,  /* 0x30 0-9:;<=>? */
    0,  A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_,  /* 0x40 @A-O */
    A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, 0,  0,  0,  0,  T_, /* 0x50 P-Z[\]^_ */
    T_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, /* 0x60 `a-o */
    A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, A_, 0,  0,  0,  T_, 0,  /* 0x70 p-z{|}~ */
    /* 0x80-0xff: none of the classes */
};
#undef A_
#undef D_
#undef S_
#undef T_
#undef W_
/* clang-format on */

static inline bool is_token(char c)
{
    return sip_cls[(uint8_t)c] & C_TOKEN;
}

static inline bool is_lws(char c)
{
    return sip_cls[(uint8_t)c] & C_LWS;
}

static inline bool is_digit(char c)
{
    return sip_cls[(uint8_t)c] & C_DIGIT;
}

static inline bool is_alpha(char c)
{
    return sip_cls[(uint8_t)c] & C_ALPHA;
}

static inline bool is_scheme(char c)
{
    return sip_cls[(uint8_t)c] & C_SCHEME;
}

/* s[0..n) equals the lowercase literal lit, ASCII case-insensitively. Only
 * for token runs (header and parameter names, URI schemes) against literals of
 * letters and '-': OR-ing 0x20 maps 'A'-'Z' onto 'a'-'z', leaves '-' alone,
 * and no other token character lands on a letter or '-'. */
static inline bool lit_ieq(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((char)(s[i] | 0x20) != lit[i])
            return false;
    return true;
}

/* s[0..n) is a prefix (n <= 7) of "SIP/2.0": letters in any case, the rest
 * exactly (RFC 3261 7.1: ABNF literals are case-insensitive). */
static inline bool sip20_prefix(const char *s, size_t n)
{
    static const char ver[7] = {'s', 'i', 'p', '/', '2', '.', '0'};
    for (size_t i = 0; i < n; i++) {
        char c = i < 3 ? (char)(s[i] | 0x20) : s[i];
        if (c != ver[i])
            return false;
    }
    return true;
}

static inline struct tr_str mkstr(const char *b, const char *e)
{
    return (struct tr_str){b, (size_t)(e - b)};
}

static inline const char *skip_lws(const char *p, const char *e)
{
    while (p < e && is_lws(*p))
        p++;
    return p;
}

static inline struct tr_str trim(const char *b, const char *e)
{
    b = skip_lws(b, e);
    while (e > b && is_lws(e[-1]))
        e--;
    return mkstr(b, e);
}

/* p is at an opening '"'; returns the position after the closing quote, or
 * NULL when the string does not end before e. quoted-pair: a backslash
 * escapes the next byte (RFC 3261 25.1). */
static const char *skip_quoted(const char *p, const char *e)
{
    p++;
    while (p < e) {
        if (*p == '\\') {
            p += (e - p >= 2) ? 2 : 1;
            continue;
        }
        if (*p == '"')
            return p + 1;
        p++;
    }
    return NULL;
}

/* ---------------------------------------------------------------- parameters */

/* Finds generic-param `name` (lowercase literal) in `;a=b;name=v...` starting
 * at p, up to e or the first ',' outside quotes (the next header value). Bytes
 * before the first ';' are skipped, so p may point at a Via sent-by or just
 * after a '>'. Returns the value (empty when absent or valueless). */
static struct tr_str find_param(const char *p, const char *e, const char *name, size_t name_len)
{
    while (p < e) {
        char c = *p;
        if (c == ',')
            break;
        if (c == '"') {
            p = skip_quoted(p, e);
            if (!p)
                break;
            continue;
        }
        if (c != ';') {
            p++;
            continue;
        }
        p = skip_lws(p + 1, e);
        const char *ns = p;
        while (p < e && is_token(*p))
            p++;
        const char *ne = p;
        p = skip_lws(p, e);
        const char *vs = p, *ve = p;
        if (p < e && *p == '=') {
            p = skip_lws(p + 1, e);
            vs = p;
            if (p < e && *p == '"') {
                p = skip_quoted(p, e);
                if (!p)
                    p = e; /* unterminated: the value runs to the end */
            } else {
                while (p < e && *p != ';' && *p != ',' && !is_lws(*p))
                    p++;
            }
            ve = p;
        }
        if ((size_t)(ne - ns) == name_len && lit_ieq(ns, name, name_len))
            return mkstr(vs, ve);
    }
    return (struct tr_str){NULL, 0};
}

/* ---------------------------------------------------------------- URIs */

/* The user part of a URI in [us, ue): sip:/sips: (and any scheme with an
 * authority-like "user@host") give the userinfo before '@' without a
 * ":password"; tel: gives the telephone-subscriber before its parameters
 * (RFC 3966). No user -> empty view. */
static struct tr_str uri_user(const char *us, const char *ue)
{
    const char *s = us;
    if (s == ue || !is_alpha(*s))
        return (struct tr_str){NULL, 0};
    while (s < ue && is_scheme(*s))
        s++;
    if (s == ue || *s != ':')
        return (struct tr_str){NULL, 0};
    const char *u = s + 1;
    if (s - us == 3 && lit_ieq(us, "tel", 3)) {
        const char *x = u;
        while (x < ue && *x != ';' && *x != '?')
            x++;
        return mkstr(u, x);
    }
    const char *at = memchr(u, '@', (size_t)(ue - u));
    if (!at)
        return (struct tr_str){NULL, 0};
    const char *x = u;
    while (x < at && *x != ':')
        x++;
    return mkstr(u, x);
}

/* From/To value (RFC 3261 20.20, 20.39):
 *   name-addr: [ display-name ] "<" URI ">" *( ";" param )
 *   addr-spec: URI *( ";" param )   (the URI then has no ';', ',' or '?')
 * The tag is a header parameter, so it is looked for only after the URI. */
static void parse_addr(const char *v, const char *ve, struct tr_str *user, struct tr_str *tag)
{
    const char *p = skip_lws(v, ve);
    const char *q = p;
    const char *lt = NULL;
    while (q < ve) {
        char c = *q;
        if (c == '"') {
            const char *after = skip_quoted(q, ve);
            if (!after) {
                /* Unterminated quote (seen in the wild: `\"arik\" <sip:...>`):
                 * fall back to the first '<' after it, if any. */
                lt = memchr(q, '<', (size_t)(ve - q));
                q = ve;
                break;
            }
            q = after;
            continue;
        }
        if (c == '<') {
            lt = q;
            break;
        }
        if (c == ';' || c == ',')
            break;
        q++;
    }
    const char *us, *ue, *params;
    if (lt) {
        us = lt + 1;
        const char *gt = memchr(us, '>', (size_t)(ve - us));
        ue = gt ? gt : ve;
        params = gt ? gt + 1 : ve;
    } else {
        us = p;
        ue = q;
        while (ue > us && is_lws(ue[-1]))
            ue--;
        params = q;
    }
    *user = uri_user(skip_lws(us, ue), ue);
    *tag = find_param(params, ve, "tag", 3);
}

/* ---------------------------------------------------------------- numbers */

/* CSeq = 1*DIGIT LWS Method (RFC 3261 20.16); the number is < 2^31. */
static bool parse_cseq(struct tr_str v, struct tr_sip_msg *out)
{
    const char *p = v.ptr, *e = v.ptr + v.len;
    uint32_t n = 0;
    const char *ds = p;
    while (p < e && is_digit(*p)) {
        uint32_t d = (uint32_t)(*p - '0');
        if (n > (UINT32_C(0x7fffffff) - d) / 10)
            return false;
        n = n * 10 + d;
        p++;
    }
    if (p == ds)
        return false;
    out->cseq = n;
    if (p == e || !is_lws(*p))
        return false;
    p = skip_lws(p, e);
    const char *ms = p;
    while (p < e && is_token(*p))
        p++;
    if (p == ms || p != e)
        return false;
    out->cseq_method = mkstr(ms, e);
    return true;
}

/* Content-Length = 1*DIGIT (RFC 3261 20.14). Digits only; no sign, no hex. */
static bool parse_content_length(struct tr_str v, int64_t *out)
{
    if (v.len == 0)
        return false;
    int64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (!is_digit(v.ptr[i]))
            return false;
        if (n > (INT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (v.ptr[i] - '0');
    }
    *out = n;
    return true;
}

/* ---------------------------------------------------------------- start line */

static inline void set_defect(struct tr_sip_msg *m, enum tr_sip_defect d)
{
    if (m->defect == TR_SIP_DEFECT_NONE)
        m->defect = d;
}

/* Version field "SIP/2.0" (RFC 3261 7.1: case-insensitive like all ABNF
 * literals). */
static inline bool is_sip20(const char *s, size_t n)
{
    return n == 7 && sip20_prefix(s, 7);
}

/* Parses the start line [s, e) (no line end). Returns TR_OK (possibly with a
 * START_LINE defect) or TR_DECLINED when this is not SIP. */
static int parse_start_line(const char *s, const char *e, struct tr_sip_msg *out)
{
    size_t n = (size_t)(e - s);

    /* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
    if (n >= 7 && sip20_prefix(s, 7)) {
        out->is_request = false;
        if (n < 11 || s[7] != ' ' || !is_digit(s[8]) || !is_digit(s[9]) || !is_digit(s[10]) ||
            (n > 11 && s[11] != ' ')) {
            set_defect(out, TR_SIP_DEFECT_START_LINE);
            return TR_OK;
        }
        unsigned code =
            (unsigned)(s[8] - '0') * 100 + (unsigned)(s[9] - '0') * 10 + (unsigned)(s[10] - '0');
        out->status = (uint16_t)code;
        if (code < 100 || code > 699)
            set_defect(out, TR_SIP_DEFECT_START_LINE);
        if (n > 11)
            out->reason = trim(s + 12, e);
        return TR_OK;
    }

    /* Request-Line = Method SP Request-URI SP SIP-Version */
    const char *p = s;
    while (p < e && is_token(*p))
        p++;
    if (p == s || p == e || *p != ' ')
        return TR_DECLINED;
    const char *ms = s, *me = p;

    const char *rest = p + 1;
    const char *ve = e;
    while (ve > rest && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    const char *vs = ve;
    while (vs > rest && vs[-1] != ' ')
        vs--;
    if (!is_sip20(vs, (size_t)(ve - vs))) {
        /* "SIP/x.y" is SIP gone wrong; "HTTP/1.1", "RTSP/1.0" are not ours. */
        if (ve - vs >= 4 && sip20_prefix(vs, 4)) {
            out->is_request = true;
            out->method = mkstr(ms, me);
            set_defect(out, TR_SIP_DEFECT_START_LINE);
            return TR_OK;
        }
        return TR_DECLINED;
    }
    out->is_request = true;
    out->method = mkstr(ms, me);

    /* The URI is what lies between; extra spaces around it are tolerated. */
    const char *us = rest, *ue = vs;
    while (us < ue && *us == ' ')
        us++;
    while (ue > us && ue[-1] == ' ')
        ue--;
    if (us == ue) {
        set_defect(out, TR_SIP_DEFECT_START_LINE);
        return TR_OK;
    }
    out->request_uri = mkstr(us, ue);
    /* absoluteURI / SIP-URI: scheme ":" ..., no SP or CTL inside. */
    const char *x = us;
    if (!is_alpha(*x)) {
        set_defect(out, TR_SIP_DEFECT_START_LINE);
        return TR_OK;
    }
    while (x < ue && is_scheme(*x))
        x++;
    if (x == ue || *x != ':') {
        set_defect(out, TR_SIP_DEFECT_START_LINE);
        return TR_OK;
    }
    for (; x < ue; x++) {
        uint8_t c = (uint8_t)*x;
        if (c <= 0x20 || c == 0x7f) {
            set_defect(out, TR_SIP_DEFECT_START_LINE);
            break;
        }
    }
    return TR_OK;
}

/* A start line without its line end: could it still become SIP? Tells "wait
 * for more" (a stream cut inside the start line, e.g. "INV" after a previous
 * message) from "not SIP". */
static bool start_line_prefix(const char *s, const char *e)
{
    size_t n = (size_t)(e - s);
    if (sip20_prefix(s, n < 7 ? n : 7))
        return true;
    const char *p = s;
    while (p < e && is_token(*p))
        p++;
    if (p == e)
        return true; /* a method still arriving */
    if (p == s || *p != ' ')
        return false;
    p++;
    if (p == e)
        return true;
    if (!is_alpha(*p))
        return false;
    while (p < e && *p != ' ') { /* the Request-URI */
        uint8_t c = (uint8_t)*p;
        if (c < 0x20 || c == 0x7f)
            return false;
        p++;
    }
    while (p < e && *p == ' ')
        p++;
    size_t m = (size_t)(e - p);
    if (m <= 7)
        return sip20_prefix(p, m);
    if (!sip20_prefix(p, 7))
        return false;
    for (p += 7; p < e; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return false;
    return true;
}

/* ---------------------------------------------------------------- headers */

struct hdr_state {
    bool call_id, from, to, via, cseq, clen, ctype, ua, server;
    struct tr_str server_val; /* becomes user_agent on responses without User-Agent */
};

static void hdr_call_id(const char *v, const char *le, struct tr_sip_msg *out, struct hdr_state *st)
{
    if (st->call_id)
        return;
    struct tr_str id = trim(v, le);
    if (id.len > 0) { /* an empty Call-ID identifies nothing: treat it as absent */
        st->call_id = true;
        out->call_id = id;
    }
}

static void hdr_content_length(const char *v, const char *le, struct tr_sip_msg *out,
                               struct hdr_state *st)
{
    if (st->clen)
        return;
    st->clen = true;
    if (!parse_content_length(trim(v, le), &out->content_length)) {
        out->content_length = -1;
        set_defect(out, TR_SIP_DEFECT_BAD_CONTENT_LENGTH);
    }
}

/* One header field [p, le): the line plus its continuation lines, without the
 * final line end. The first occurrence of each header counts. */
static void parse_header(const char *p, const char *le, struct tr_sip_msg *out,
                         struct hdr_state *st)
{
    const char *n = p;
    while (n < le && is_token(*n))
        n++;
    size_t nlen = (size_t)(n - p);
    const char *c = n;
    while (c < le && (*c == ' ' || *c == '\t'))
        c++;
    if (nlen == 0 || c == le || *c != ':') {
        set_defect(out, TR_SIP_DEFECT_HEADER_LINE);
        return;
    }
    const char *v = c + 1;

    switch (p[0] | 0x20) {
    case 'c':
        if (nlen == 1 || (nlen == 12 && lit_ieq(p, "content-type", 12))) {
            if (!st->ctype) {
                st->ctype = true;
                out->content_type = trim(v, le);
            }
        } else if (nlen == 7 && lit_ieq(p, "call-id", 7)) {
            hdr_call_id(v, le, out, st);
        } else if (nlen == 4 && lit_ieq(p, "cseq", 4)) {
            if (!st->cseq) {
                st->cseq = true;
                if (!parse_cseq(trim(v, le), out))
                    set_defect(out, TR_SIP_DEFECT_BAD_CSEQ);
            }
        } else if (nlen == 14 && lit_ieq(p, "content-length", 14)) {
            hdr_content_length(v, le, out, st);
        }
        break;
    case 'i':
        if (nlen == 1)
            hdr_call_id(v, le, out, st);
        break;
    case 'l':
        if (nlen == 1)
            hdr_content_length(v, le, out, st);
        break;
    case 'f':
        if ((nlen == 1 || (nlen == 4 && lit_ieq(p, "from", 4))) && !st->from) {
            st->from = true;
            parse_addr(v, le, &out->from_user, &out->from_tag);
        }
        break;
    case 't':
        if ((nlen == 1 || (nlen == 2 && lit_ieq(p, "to", 2))) && !st->to) {
            st->to = true;
            parse_addr(v, le, &out->to_user, &out->to_tag);
        }
        break;
    case 'v':
        /* Only the topmost Via: the first value of the first Via header. */
        if ((nlen == 1 || (nlen == 3 && lit_ieq(p, "via", 3))) && !st->via) {
            st->via = true;
            out->via_branch = find_param(v, le, "branch", 6);
        }
        break;
    case 'u':
        if (nlen == 10 && lit_ieq(p, "user-agent", 10) && !st->ua) {
            st->ua = true;
            out->user_agent = trim(v, le);
        }
        break;
    case 's': /* "s" alone is Subject */
        if (nlen == 6 && lit_ieq(p, "server", 6) && !st->server) {
            st->server = true;
            st->server_val = trim(v, le);
        }
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- API */

const char *tr_sip_defect_name(enum tr_sip_defect d)
{
#define TR_SIP_DEFECT_NAME(id, name) name,
    static const char *const names[] = {TR_SIP_DEFECTS(TR_SIP_DEFECT_NAME)};
#undef TR_SIP_DEFECT_NAME
    if ((unsigned)d >= TR_ARRAY_LEN(names))
        return "unknown";
    return names[d];
}

bool tr_sip_probe(struct tr_bytes payload)
{
    if (!payload.ptr)
        return false;
    const char *p = (const char *)payload.ptr, *e = p + payload.len;
    while (p < e && (*p == '\r' || *p == '\n'))
        p++;
    size_t n = (size_t)(e - p);
    if (n >= 8 && sip20_prefix(p, 7) && p[7] == ' ')
        return true;
    /* Method SP, then a Request-URI that starts with its scheme's letter.
     * That already turns away HTTP requests ("GET /", "OPTIONS *") and
     * responses ("HTTP/1.1" has a '/', not a token char). Extra spaces are
     * skipped because the parser tolerates them. */
    const char *q = p;
    while (q < e && is_token(*q))
        q++;
    if (q == p || q == e || *q != ' ')
        return false;
    while (q < e && *q == ' ')
        q++;
    return q < e && is_alpha(*q);
}

static int decline(struct tr_sip_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->content_length = -1;
    return TR_DECLINED;
}

int tr_sip_parse(struct tr_bytes payload, struct tr_sip_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->content_length = -1;
    if (!payload.ptr || payload.len == 0)
        return TR_DECLINED;

    const char *base = (const char *)payload.ptr;
    const char *end = base + payload.len;
    const char *p = base;

    /* Keep-alives (and stray line ends between messages on a stream). A
     * payload of nothing else is declined; msg_len then tells a stream
     * framer how many bytes to drop. */
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    if (p == end) {
        out->msg_len = payload.len;
        return TR_DECLINED;
    }

    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) {
        if (!start_line_prefix(p, end))
            return decline(out);
        out->defect = TR_SIP_DEFECT_NO_HEADER_END;
        return -TR_E_TRUNCATED;
    }
    const char *le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
    if (parse_start_line(p, le, out) != TR_OK)
        return decline(out);
    p = nl + 1;

    struct hdr_state st = {0};
    const char *body = NULL;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        if (nl == p || (nl == p + 1 && *p == '\r')) {
            body = nl + 1; /* the empty line */
            break;
        }
        /* Folding: a following line that starts with SP/HT continues this
         * header (RFC 3261 7.3.1). Its end must be seen too. */
        while (end - nl > 1 && (nl[1] == ' ' || nl[1] == '\t')) {
            nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
            if (!nl)
                break;
        }
        if (!nl)
            break;
        le = nl[-1] == '\r' ? nl - 1 : nl; /* nl > p here: the line is not empty */
        parse_header(p, le, out, &st);
        p = nl + 1;
    }

    if (!body) {
        /* Headers still arriving (stream) or cut (snaplen): fields seen so
         * far stay set, but there is no message length yet. */
        out->defect = TR_SIP_DEFECT_NO_HEADER_END;
        return -TR_E_TRUNCATED;
    }

    if (!out->is_request && !st.ua && st.server)
        out->user_agent = st.server_val;
    if (!st.call_id)
        set_defect(out, TR_SIP_DEFECT_NO_CALL_ID);
    if (!st.cseq)
        set_defect(out, TR_SIP_DEFECT_NO_CSEQ);

    out->header_len = (size_t)(body - base);
    size_t avail = (size_t)(end - body);
    size_t blen = avail;
    if (out->content_length >= 0) {
        if ((uint64_t)out->content_length > avail)
            set_defect(out, TR_SIP_DEFECT_BODY_SHORT);
        else
            blen = (size_t)out->content_length;
    }
    out->body = (struct tr_bytes){(const uint8_t *)body, blen};
    out->msg_len = out->header_len + blen;

    return out->defect == TR_SIP_DEFECT_NONE ? TR_OK : -TR_E_MALFORMED;
}
