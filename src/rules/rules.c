/* rules.c - capture-plan rules (rules.h, docs/rules.md): match a message
 * event on protocol, SIP method/status/headers (RFC 3261 section 7, compact
 * forms section 7.3.3), addresses (CIDR, RFC 4632), ports, direction, input
 * and size; act by sending to outputs, dropping, logging, tagging, sampling
 * 1-in-N, rate limiting (GCRA on capture time), or asking a Lua 5.4 function.
 *
 * Matching never allocates and reads packet text only inside the event's
 * payload: header conditions scan the SIP header block line by line, at most
 * TR_RULE_HDR_SCAN lines; regexes run on at most TR_RULE_REGEX_MAX bytes of
 * one value, in place (REG_STARTEND), with no copy.
 */
#include "rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "../decode/decode.h"

#define LOG_PER_SEC 10
#define LUA_DEFAULT_INSTR 1000000u
#define LUA_DEFAULT_KB 16384u
#define MSG_META "trawl.msg"

/* ------------------------------------------------------------ building */

struct tr_rules *tr_rules_new(void)
{
    return calloc(1, sizeof(struct tr_rules));
}

void tr_rules_free(struct tr_rules *r)
{
    if (!r)
        return;
    /* every slot, not only n_rules: a load that failed half-way through a
     * rule leaves compiled regexes in the slot it did not count */
    for (unsigned i = 0; i < r->n_cap; i++)
        for (unsigned j = 0; j < TR_RULE_MAX_HDR; j++)
            if (r->rules[i].m.hdr[j].re_compiled)
                regfree(&r->rules[i].m.hdr[j].re);
    free(r->rules);
    free(r);
}

int tr_rules_reserve(struct tr_rules *r, unsigned n)
{
    if (r->rules || n > TR_RULES_MAX)
        return -TR_E_FULL;
    r->rules = calloc(n ? n : 1, sizeof(*r->rules));
    if (!r->rules)
        return -TR_E_NOMEM;
    r->n_cap = n;
    return TR_OK;
}

void tr_rule_match_init(struct tr_rule_match *m)
{
    memset(m, 0, sizeof(*m));
    m->malformed = -1;
    m->has_sdp = -1;
}

int tr_cidr_parse(const char *s, struct tr_cidr *out)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(buf))
        return -TR_E_CONFIG;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    memset(out, 0, sizeof(*out));
    unsigned max;
    if (inet_pton(AF_INET, buf, out->net.a) == 1) {
        out->net.family = TR_AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, out->net.a) == 1) {
        out->net.family = TR_AF_INET6;
        max = 128;
    } else {
        return -TR_E_CONFIG;
    }
    unsigned prefix = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return -TR_E_CONFIG;
        prefix = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -TR_E_CONFIG;
            prefix = prefix * 10 + (unsigned)(*p - '0');
        }
        if (prefix > max)
            return -TR_E_CONFIG;
    }
    out->prefix = (uint8_t)prefix;
    /* clear host bits so contains() compares whole bytes */
    for (unsigned bit = prefix; bit < max; bit++)
        out->net.a[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
    return TR_OK;
}

bool tr_cidr_contains(const struct tr_cidr *c, const struct tr_addr *a)
{
    if (a->family != c->net.family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(a->a, c->net.a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a->a[full] & mask) == c->net.a[full];
}

static bool parse_u16(const char *s, size_t n, unsigned max, uint16_t *out)
{
    if (n == 0 || n > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint16_t)v;
    return true;
}

static int parse_range(const char *s, unsigned min, unsigned max, struct tr_range16 *out)
{
    const char *dash = strchr(s, '-');
    if (!dash) {
        if (!parse_u16(s, strlen(s), max, &out->lo) || out->lo < min)
            return -TR_E_CONFIG;
        out->hi = out->lo;
        return TR_OK;
    }
    if (!parse_u16(s, (size_t)(dash - s), max, &out->lo) ||
        !parse_u16(dash + 1, strlen(dash + 1), max, &out->hi) || out->lo < min ||
        out->hi < out->lo)
        return -TR_E_CONFIG;
    return TR_OK;
}

int tr_status_parse(const char *s, struct tr_range16 *out)
{
    /* a class: "4xx" */
    if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '6' && (s[1] == 'x' || s[1] == 'X') &&
        (s[2] == 'x' || s[2] == 'X')) {
        out->lo = (uint16_t)((s[0] - '0') * 100);
        out->hi = (uint16_t)(out->lo + 99);
        return TR_OK;
    }
    if (parse_range(s, 100, 699, out) != TR_OK)
        return -TR_E_CONFIG;
    return TR_OK;
}

int tr_port_range_parse(const char *s, struct tr_range16 *out)
{
    return parse_range(s, 0, 65535, out);
}

/* RFC 3261 section 7.3.3 compact forms, and RFC 3515/3892/4028/... ones. */
static const struct {
    char letter;
    const char *name;
} compact_forms[] = {
    { 'a', "Accept-Contact" }, { 'b', "Referred-By" },     { 'c', "Content-Type" },
    { 'd', "Request-Disposition" }, { 'e', "Content-Encoding" }, { 'f', "From" },
    { 'i', "Call-ID" },        { 'j', "Reject-Contact" },  { 'k', "Supported" },
    { 'l', "Content-Length" }, { 'm', "Contact" },         { 'o', "Event" },
    { 'r', "Refer-To" },       { 's', "Subject" },         { 't', "To" },
    { 'u', "Allow-Events" },   { 'v', "Via" },             { 'x', "Session-Expires" },
    { 'y', "Identity" },
};

/* FNV-1a of a header name in lower case; a compact form hashes as its full name. */
static uint32_t name_hash(const char *p, size_t n)
{
    if (n == 1) {
        char c = (char)tolower((unsigned char)p[0]);
        for (size_t i = 0; i < TR_ARRAY_LEN(compact_forms); i++)
            if (compact_forms[i].letter == c) {
                p = compact_forms[i].name;
                n = strlen(p);
                break;
            }
    }
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)p[i];
        h ^= c >= 'A' && c <= 'Z' ? c | 0x20u : c; /* ASCII only: header names are tokens */
        h *= 16777619u;
    }
    return h;
}

/* glibc's regcomp copies a subexpression once per repetition a {m,n}
 * asks for, and nests copies for stacked quantifiers ("a++"): a short
 * pattern can take gigabytes. Refuse what could: longer than 1024 bytes, a
 * quantifier right after another, or {m,n} counts whose product (over the
 * whole pattern, which bounds any nesting) passes 10000. NULL: acceptable. */
static const char *regex_too_costly(const char *p, size_t n)
{
    if (n > 1024)
        return "more than 1024 bytes";
    uint64_t product = 1;
    bool after_quant = false;
    bool in_bracket = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_bracket) {
            if (c == ']' && i > 0 && p[i - 1] != '[')
                in_bracket = false;
            continue;
        }
        if (c == '\\') {
            i++;
            after_quant = false;
            continue;
        }
        if (c == '[') {
            in_bracket = true;
            after_quant = false;
            continue;
        }
        if (c == '*' || c == '+' || c == '?' || c == '{') {
            if (after_quant)
                return "a quantifier right after another";
            after_quant = true;
            if (c == '{') {
                unsigned long hi = 0, cur = 0;
                size_t j = i + 1;
                for (; j < n && p[j] != '}'; j++) {
                    if (p[j] >= '0' && p[j] <= '9') {
                        cur = cur * 10 + (unsigned long)(p[j] - '0');
                        if (cur > 100000)
                            cur = 100000;
                    } else {
                        hi = cur > hi ? cur : hi;
                        cur = 0;
                    }
                }
                hi = cur > hi ? cur : hi;
                product *= hi + 1;
                if (product > 10000)
                    return "{m,n} repeat counts multiplying past 10000";
                i = j;
            }
            continue;
        }
        after_quant = false;
    }
    return NULL;
}

/* Skips a bracket expression starting at p[i] == '['; returns the index after ']'. */
static size_t skip_bracket(const char *p, size_t i, size_t n)
{
    i++;
    if (i < n && p[i] == '^')
        i++;
    if (i < n && p[i] == ']')
        i++; /* a leading ']' is a member */
    while (i < n && p[i] != ']') {
        if (p[i] == '[' && i + 1 < n && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
            char close = p[i + 1];
            i += 2;
            while (i + 1 < n && !(p[i] == close && p[i + 1] == ']'))
                i++;
            i += 2;
            continue;
        }
        i++;
    }
    return i < n ? i + 1 : n;
}

/* Fills h->lits from the regex source: for each top-level alternative, its
 * longest run of plain characters that every match of that alternative
 * contains (outside groups and brackets, not made optional by * ? {}).
 * Anything it is unsure of leaves n_lits 0: the pre-check is off. */
static void regex_literals(struct tr_hdr_cond *h)
{
    const char *p = h->value.ptr;
    size_t n = h->value.len, i = 0;
    h->n_lits = 0;
    for (;;) { /* one alternative per pass */
        char run[32], best[32];
        size_t rl = 0, bl = 0;
        bool end_alt = false;
        while (i < n && !end_alt) {
            char c = p[i];
            bool lit = false;
            char lc = 0;
            if (c == '|') {
                end_alt = true;
                i++;
            } else if (c == '(') {
                int depth = 0;
                while (i < n) { /* skip the group */
                    if (p[i] == '\\') {
                        i += 2;
                        continue;
                    }
                    if (p[i] == '[') {
                        i = skip_bracket(p, i, n);
                        continue;
                    }
                    if (p[i] == '(')
                        depth++;
                    if (p[i] == ')' && --depth == 0) {
                        i++;
                        break;
                    }
                    i++;
                }
            } else if (c == '[') {
                i = skip_bracket(p, i, n);
            } else if (c == '{') {
                while (i < n && p[i] != '}')
                    i++;
                i++;
            } else if (c == '\\') {
                if (i + 1 >= n || isalnum((unsigned char)p[i + 1]) || p[i + 1] == '<' ||
                    p[i + 1] == '>' || p[i + 1] == '`' || p[i + 1] == '\'') {
                    h->n_lits = 0; /* \w, \b, back-references, GNU operators: give up */
                    return;
                }
                lit = true;
                lc = p[i + 1];
                i += 2;
            } else if (strchr(".*+?)^$", c)) {
                i++;
            } else {
                lit = true;
                lc = c;
                i++;
            }
            if (lit) {
                char q = i < n ? p[i] : 0;
                if (q == '*' || q == '?' || q == '{') {
                    lit = false; /* optional: it ends the run */
                } else if (rl < sizeof(run) - 1) {
                    run[rl++] = lc;
                    if (q != '+')
                        continue;
                }
            }
            if (rl > bl) {
                memcpy(best, run, rl);
                bl = rl;
            }
            rl = 0;
        }
        if (rl > bl) {
            memcpy(best, run, rl);
            bl = rl;
        }
        if (bl == 0 || h->n_lits == TR_ARRAY_LEN(h->lits)) {
            h->n_lits = 0; /* an alternative without a literal: no pre-check */
            return;
        }
        memcpy(h->lits[h->n_lits], best, bl);
        h->lit_len[h->n_lits++] = (uint8_t)bl;
        if (i >= n)
            return;
    }
}

int tr_hdr_cond_compile(struct tr_hdr_cond *h, struct tr_err *err)
{
    h->compact = 0;
    for (size_t i = 0; i < TR_ARRAY_LEN(compact_forms); i++) {
        struct tr_str n = { compact_forms[i].name, strlen(compact_forms[i].name) };
        if (tr_str_ieq(n, h->name))
            h->compact = compact_forms[i].letter;
    }
    h->name_hash = name_hash(h->name.ptr, h->name.len);
    if (h->op == TR_HDR_REGEX) {
        const char *why = regex_too_costly(h->value.ptr, h->value.len);
        if (why)
            return tr_err_set(err, -TR_E_CONFIG, "expected a POSIX extended regex of bounded "
                              "size, got one with %s", why);
        int flags = REG_EXTENDED | REG_NOSUB | (h->nocase ? REG_ICASE : 0);
        int rc = regcomp(&h->re, h->value.ptr, flags);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &h->re, msg, sizeof(msg));
            return tr_err_set(err, -TR_E_CONFIG, "expected a POSIX extended regex, got \"%s\" (%s)",
                              h->value.ptr, msg);
        }
        h->re_compiled = true;
        regex_literals(h);
    }
    return TR_OK;
}

/* ------------------------------------------------------------ state */

struct lua_msg {
    const struct tr_event *ev; /* NULL outside a call: a kept reference reads nothing */
    const struct tr_rules *rules;
};

struct lua_rule {
    lua_State *L;
    int fn_ref, msg_ref;
    struct lua_msg *msg;
    size_t mem_used, mem_cap;
    uint32_t max_instr;
    bool error_logged;
};

struct rule_state {
    struct tr_rule_counters c;
    uint64_t sample_n;
    uint64_t rate_tat;   /* GCRA theoretical arrival time, ns of capture time */
    uint64_t log_tat;
    struct lua_rule *lua;
};

/* One header line of the message being evaluated: built once per message,
 * on the first header condition, so 20 rules do not scan the headers 20 times. */
struct hdr_ix {
    const char *name, *val;
    uint32_t val_len;
    uint16_t name_len;
    uint32_t hash; /* name_hash() */
};

/* Which groups of conditions a rule has, so evaluation touches only the
 * parts of its (large) match it needs: one small word per rule. */
enum {
    NEED_KIND = 1u << 0,   /* kinds, hep_types */
    NEED_SIZE = 1u << 1,
    NEED_INPUT = 1u << 2,
    NEED_TRANSPORT = 1u << 3,
    NEED_ADDR = 1u << 4,   /* CIDRs, ports, direction */
    NEED_SIP = 1u << 5,    /* method, status, type, malformed, has_sdp, headers */
};

struct tr_rules_state {
    const struct tr_rules *r;
    unsigned n_rules; /* r->n_rules, kept for free */
    uint8_t *need;  /* per rule: NEED_* */
    uint64_t unmatched;
    bool ix_built;  /* for the event being evaluated */
    unsigned n_ix;
    struct hdr_ix ix[TR_RULE_HDR_SCAN];
    char lua_tags[TR_RULES_LUA_TAG_BYTES]; /* tag text from Lua, for one evaluation */
    size_t lua_tags_len;
    struct rule_state rs[];
};

/* Lua's allocator: the C heap under a per-interpreter cap, so a script
 * cannot take the capture's memory; past the cap Lua raises "not enough
 * memory", which counts as a script error. */
static void *lua_capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct lua_rule *lr = ud;
    if (!ptr)
        osize = 0; /* then osize encodes the object type, not a size */
    if (nsize == 0) {
        free(ptr);
        lr->mem_used -= osize;
        return NULL;
    }
    if (nsize > osize && lr->mem_used + (nsize - osize) > lr->mem_cap)
        return NULL;
    void *n = realloc(ptr, nsize);
    if (!n)
        return NULL;
    lr->mem_used = lr->mem_used - osize + nsize;
    return n;
}

static void lua_instr_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "instruction limit reached");
}

static void push_str(lua_State *L, struct tr_str s)
{
    if (s.ptr)
        lua_pushlstring(L, s.ptr, s.len);
    else
        lua_pushnil(L);
}

static bool find_header(const struct tr_event *ev, struct tr_str name, char compact,
                        struct tr_str *value, size_t *pos);

static const struct lua_msg *check_msg(lua_State *L)
{
    const struct lua_msg *m = luaL_checkudata(L, 1, MSG_META);
    if (!m->ev)
        luaL_error(L, "the message is only readable during the call that received it");
    return m;
}

/* msg:header(name) -> the first value of that header, or nil */
static int lua_msg_header(lua_State *L)
{
    const struct lua_msg *m = check_msg(L);
    size_t n;
    const char *name = luaL_checklstring(L, 2, &n);
    struct tr_str v;
    size_t pos = 0;
    char compact = 0;
    for (size_t i = 0; i < TR_ARRAY_LEN(compact_forms); i++)
        if (strlen(compact_forms[i].name) == n && strncasecmp(compact_forms[i].name, name, n) == 0)
            compact = compact_forms[i].letter;
    if (find_header(m->ev, (struct tr_str){ name, n }, compact, &v, &pos))
        lua_pushlstring(L, v.ptr, v.len);
    else
        lua_pushnil(L);
    return 1;
}

static int lua_msg_index(lua_State *L)
{
    const struct lua_msg *m = check_msg(L);
    const char *k = lua_tostring(L, 2);
    const struct tr_event *ev = m->ev;
    const struct tr_packet *pkt = ev->pkt;
    const struct tr_sip_msg *sip = ev->sip;
    if (!k) {
        lua_pushnil(L);
        return 1;
    }
    char buf[TR_ADDR_STRLEN];
    if (strcmp(k, "kind") == 0) {
        lua_pushstring(L, tr_event_kind_name(ev->kind));
    } else if (strcmp(k, "header") == 0) {
        lua_pushcfunction(L, lua_msg_header);
    } else if (strcmp(k, "payload") == 0) {
        lua_pushlstring(L, (const char *)ev->payload.ptr, ev->payload.len);
    } else if (strcmp(k, "len") == 0) {
        lua_pushinteger(L, (lua_Integer)ev->payload.len);
    } else if (strcmp(k, "hep_type") == 0) {
        lua_pushinteger(L, ev->hep_proto_type);
    } else if (strcmp(k, "input") == 0) {
        const char *n = pkt && pkt->input_id < TR_ARRAY_LEN(m->rules->input_names)
                            ? m->rules->input_names[pkt->input_id] : NULL;
        if (n)
            lua_pushstring(L, n);
        else if (pkt)
            lua_pushinteger(L, pkt->input_id);
        else
            lua_pushnil(L);
    } else if (!pkt) {
        lua_pushnil(L);
    } else if (strcmp(k, "src") == 0) {
        lua_pushstring(L, tr_addr_format(&pkt->src, buf, sizeof(buf)));
    } else if (strcmp(k, "dst") == 0) {
        lua_pushstring(L, tr_addr_format(&pkt->dst, buf, sizeof(buf)));
    } else if (strcmp(k, "sport") == 0) {
        lua_pushinteger(L, pkt->sport);
    } else if (strcmp(k, "dport") == 0) {
        lua_pushinteger(L, pkt->dport);
    } else if (strcmp(k, "transport") == 0) {
        lua_pushstring(L, tr_transport_name(pkt->ip_proto));
    } else if (strcmp(k, "family") == 0) {
        lua_pushinteger(L, pkt->src.family);
    } else if (strcmp(k, "ts") == 0) {
        lua_pushnumber(L, (lua_Number)pkt->ts_ns / 1e9);
    } else if (strcmp(k, "vlan") == 0) {
        if (pkt->flags & TR_PKT_HAS_VLAN)
            lua_pushinteger(L, pkt->vlan);
        else
            lua_pushnil(L);
    } else if (!sip) {
        lua_pushnil(L);
    } else if (strcmp(k, "method") == 0) {
        push_str(L, sip->is_request ? sip->method : (struct tr_str){ 0 });
    } else if (strcmp(k, "ruri") == 0) {
        push_str(L, sip->is_request ? sip->request_uri : (struct tr_str){ 0 });
    } else if (strcmp(k, "status") == 0) {
        if (!sip->is_request && sip->status)
            lua_pushinteger(L, sip->status);
        else
            lua_pushnil(L);
    } else if (strcmp(k, "reason") == 0) {
        push_str(L, sip->is_request ? (struct tr_str){ 0 } : sip->reason);
    } else if (strcmp(k, "call_id") == 0) {
        push_str(L, sip->call_id);
    } else if (strcmp(k, "cseq") == 0) {
        lua_pushinteger(L, sip->cseq);
    } else if (strcmp(k, "cseq_method") == 0) {
        push_str(L, sip->cseq_method);
    } else if (strcmp(k, "from_user") == 0) {
        push_str(L, sip->from_user);
    } else if (strcmp(k, "from_tag") == 0) {
        push_str(L, sip->from_tag);
    } else if (strcmp(k, "to_user") == 0) {
        push_str(L, sip->to_user);
    } else if (strcmp(k, "to_tag") == 0) {
        push_str(L, sip->to_tag);
    } else if (strcmp(k, "via_branch") == 0) {
        push_str(L, sip->via_branch);
    } else if (strcmp(k, "user_agent") == 0) {
        push_str(L, sip->user_agent);
    } else if (strcmp(k, "content_type") == 0) {
        push_str(L, sip->content_type);
    } else if (strcmp(k, "body") == 0) {
        lua_pushlstring(L, (const char *)sip->body.ptr, sip->body.len);
    } else if (strcmp(k, "malformed") == 0) {
        lua_pushboolean(L, sip->defect != TR_SIP_DEFECT_NONE);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int lua_msg_newindex(lua_State *L)
{
    return luaL_error(L, "the message is read-only");
}

static void lua_rule_free(struct lua_rule *lr)
{
    if (!lr)
        return;
    if (lr->L)
        lua_close(lr->L);
    free(lr);
}

/* Only libraries that cannot reach the file system, processes or the
 * network: a rule script computes a verdict, nothing else. */
static void open_safe_libs(lua_State *L)
{
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },       { LUA_TABLIBNAME, luaopen_table },
        { LUA_STRLIBNAME, luaopen_string }, { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 },
    };
    for (size_t i = 0; i < TR_ARRAY_LEN(libs); i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    /* base's file loaders would read any file */
    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
}

static struct lua_rule *lua_rule_new(const struct tr_rules *r, const struct tr_rule *rule,
                                     struct tr_err *err)
{
    struct lua_rule *lr = calloc(1, sizeof(*lr));
    if (!lr) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        return NULL;
    }
    lr->mem_cap = (size_t)(rule->a.lua_max_kb ? rule->a.lua_max_kb : LUA_DEFAULT_KB) * 1024u;
    lr->max_instr = rule->a.lua_max_instructions ? rule->a.lua_max_instructions
                                                 : LUA_DEFAULT_INSTR;
    const char *fn = rule->a.lua_function ? rule->a.lua_function : "verdict";
    lr->L = lua_newstate(lua_capped_alloc, lr);
    if (!lr->L) {
        tr_err_set(err, -TR_E_NOMEM, "rule %s: cannot create a Lua state", rule->name);
        goto fail;
    }
    lua_State *L = lr->L;
    open_safe_libs(L);
    /* loading runs the chunk's top level: bound it like a call */
    lua_sethook(L, lua_instr_hook, LUA_MASKCOUNT, (int)lr->max_instr);
    if (luaL_loadfilex(L, rule->a.lua_script, "t") != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK) {
        tr_err_set(err, -TR_E_CONFIG, "rule %s: lua script %s: %s", rule->name,
                   rule->a.lua_script, lua_tostring(L, -1));
        goto fail;
    }
    lua_sethook(L, NULL, 0, 0);
    lua_getglobal(L, fn);
    if (!lua_isfunction(L, -1)) {
        tr_err_set(err, -TR_E_CONFIG, "rule %s: lua script %s: expected a function '%s', got %s",
                   rule->name, rule->a.lua_script, fn, luaL_typename(L, -1));
        goto fail;
    }
    lr->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lr->msg = lua_newuserdatauv(L, sizeof(*lr->msg), 0);
    lr->msg->ev = NULL;
    lr->msg->rules = r;
    luaL_newmetatable(L, MSG_META);
    lua_pushcfunction(L, lua_msg_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, lua_msg_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable"); /* getmetatable() cannot reach the C functions */
    lua_setmetatable(L, -2);
    lr->msg_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* keeps it alive; lr->msg points into it */
    lua_settop(L, 0);
    return lr;
fail:
    lua_rule_free(lr);
    return NULL;
}

static uint8_t rule_needs(const struct tr_rule_match *m);

struct tr_rules_state *tr_rules_state_new(const struct tr_rules *r, struct tr_err *err)
{
    struct tr_rules_state *s = calloc(1, sizeof(*s) + r->n_rules * sizeof(s->rs[0]));
    if (!s) {
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        return NULL;
    }
    s->r = r;
    s->n_rules = r->n_rules;
    s->need = calloc(r->n_rules ? r->n_rules : 1, 1);
    if (!s->need) {
        free(s);
        tr_err_set(err, -TR_E_NOMEM, "out of memory");
        return NULL;
    }
    for (unsigned i = 0; i < r->n_rules; i++)
        s->need[i] = rule_needs(&r->rules[i].m);
    for (unsigned i = 0; i < r->n_rules; i++) {
        if (!r->rules[i].a.lua_script)
            continue;
        s->rs[i].lua = lua_rule_new(r, &r->rules[i], err);
        if (!s->rs[i].lua) {
            tr_rules_state_free(s);
            return NULL;
        }
    }
    return s;
}

void tr_rules_state_free(struct tr_rules_state *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->n_rules; i++) /* s->r may already be gone */
        lua_rule_free(s->rs[i].lua);
    free(s->need);
    free(s);
}

uint64_t tr_rules_unmatched(const struct tr_rules_state *s)
{
    return s->unmatched;
}

void tr_rules_foreach(const struct tr_rules_state *s,
                      void (*cb)(void *user, const char *name, const struct tr_rule_counters *c),
                      void *user)
{
    for (unsigned i = 0; i < s->r->n_rules; i++)
        cb(user, s->r->rules[i].name, &s->rs[i].c);
}

/* ------------------------------------------------------------ matching */

static bool in_ranges(const struct tr_range16 *r, unsigned n, unsigned v)
{
    for (unsigned i = 0; i < n; i++)
        if (v >= r[i].lo && v <= r[i].hi)
            return true;
    return false;
}

static bool in_cidrs(const struct tr_cidr *c, unsigned n, const struct tr_addr *a)
{
    for (unsigned i = 0; i < n; i++)
        if (tr_cidr_contains(&c[i], a))
            return true;
    return false;
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* The next header at or after *pos in the SIP header block (the start line
 * is skipped when *pos is 0) whose name is `name` or its compact letter.
 * Views into the payload; folded continuation lines are not joined (the
 * first line's value is used). */
static bool find_header(const struct tr_event *ev, struct tr_str name, char compact,
                        struct tr_str *value, size_t *pos)
{
    if (!ev->sip)
        return false;
    const char *p = (const char *)ev->payload.ptr;
    size_t end = ev->payload.len;
    if (ev->sip->header_len && ev->sip->header_len < end)
        end = ev->sip->header_len;
    size_t i = *pos;
    if (i == 0) { /* skip the start line */
        while (i < end && p[i] != '\n')
            i++;
        i++;
    }
    for (unsigned lines = 0; i < end && lines < TR_RULE_HDR_SCAN; lines++) {
        size_t ls = i;
        while (i < end && p[i] != '\n')
            i++;
        size_t le = i; /* line end (exclusive), before '\n' */
        i++;           /* past '\n' */
        if (le > ls && p[le - 1] == '\r')
            le--;
        if (le == ls)
            return false; /* the empty line: headers end */
        if (is_ws((uint8_t)p[ls]))
            continue; /* a continuation line */
        size_t colon = ls;
        while (colon < le && p[colon] != ':')
            colon++;
        if (colon == le)
            continue;
        size_t ne = colon;
        while (ne > ls && is_ws((uint8_t)p[ne - 1]))
            ne--;
        struct tr_str n = { p + ls, ne - ls };
        bool hit = tr_str_ieq(n, name) ||
                   (compact && n.len == 1 && tolower((unsigned char)n.ptr[0]) == compact);
        if (!hit)
            continue;
        size_t vs = colon + 1;
        while (vs < le && is_ws((uint8_t)p[vs]))
            vs++;
        size_t ve = le;
        while (ve > vs && is_ws((uint8_t)p[ve - 1]))
            ve--;
        *value = (struct tr_str){ p + vs, ve - vs };
        *pos = i;
        return true;
    }
    return false;
}

/* Indexes the SIP header block of ev (the same walk as find_header). */
static void build_index(struct tr_rules_state *s, const struct tr_event *ev)
{
    s->ix_built = true;
    s->n_ix = 0;
    if (!ev->sip)
        return;
    const char *p = (const char *)ev->payload.ptr;
    size_t end = ev->payload.len;
    if (ev->sip->header_len && ev->sip->header_len < end)
        end = ev->sip->header_len;
    size_t i = 0;
    while (i < end && p[i] != '\n')
        i++;
    i++;
    for (unsigned lines = 0; i < end && lines < TR_RULE_HDR_SCAN; lines++) {
        size_t ls = i;
        const char *nl = memchr(p + i, '\n', end - i);
        size_t le = nl ? (size_t)(nl - p) : end;
        i = le + 1;
        if (le > ls && p[le - 1] == '\r')
            le--;
        if (le == ls)
            return; /* the empty line */
        if (is_ws((uint8_t)p[ls]))
            continue;
        const char *colon = memchr(p + ls, ':', le - ls);
        if (!colon)
            continue;
        size_t ne = (size_t)(colon - p);
        while (ne > ls && is_ws((uint8_t)p[ne - 1]))
            ne--;
        size_t vs = (size_t)(colon - p) + 1;
        while (vs < le && is_ws((uint8_t)p[vs]))
            vs++;
        size_t ve = le;
        while (ve > vs && is_ws((uint8_t)p[ve - 1]))
            ve--;
        if (ne - ls > UINT16_MAX)
            continue;
        struct hdr_ix *x = &s->ix[s->n_ix++];
        x->name = p + ls;
        x->name_len = (uint16_t)(ne - ls);
        x->val = p + vs;
        x->val_len = (uint32_t)(ve - vs);
        x->hash = name_hash(x->name, x->name_len);
    }
}

static bool ieq_n(const char *a, const char *b, size_t n)
{
    return strncasecmp(a, b, n) == 0;
}

static bool has_text(struct tr_str v, const char *t, size_t tn, bool nocase)
{
    if (tn == 0)
        return true;
    if (v.len < tn)
        return false;
    if (!nocase) { /* values are short: memchr on the first byte beats memmem's setup */
        const char *p = v.ptr, *end = v.ptr + (v.len - tn) + 1;
        while (p < end && (p = memchr(p, t[0], (size_t)(end - p))) != NULL) {
            if (memcmp(p, t, tn) == 0)
                return true;
            p++;
        }
        return false;
    }
    /* first byte in both cases before the whole comparison */
    unsigned char lo = (unsigned char)tolower((unsigned char)t[0]);
    unsigned char up = (unsigned char)toupper((unsigned char)t[0]);
    for (size_t i = 0; i + tn <= v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if ((c == lo || c == up) && ieq_n(v.ptr + i, t, tn))
            return true;
    }
    return false;
}

static bool value_matches(const struct tr_hdr_cond *h, struct tr_str v)
{
    switch (h->op) {
    case TR_HDR_EXISTS:
        return true;
    case TR_HDR_EXACT:
        return v.len == h->value.len &&
               (h->nocase ? ieq_n(v.ptr, h->value.ptr, v.len) : memcmp(v.ptr, h->value.ptr, v.len) == 0);
    case TR_HDR_PREFIX:
        return v.len >= h->value.len &&
               (h->nocase ? ieq_n(v.ptr, h->value.ptr, h->value.len)
                          : memcmp(v.ptr, h->value.ptr, h->value.len) == 0);
    case TR_HDR_CONTAINS:
        return has_text(v, h->value.ptr, h->value.len, h->nocase);
    case TR_HDR_REGEX: {
        size_t n = v.len < TR_RULE_REGEX_MAX ? v.len : TR_RULE_REGEX_MAX;
        if (h->n_lits) {
            bool any = false;
            for (unsigned k = 0; k < h->n_lits && !any; k++)
                any = has_text((struct tr_str){ v.ptr, n }, h->lits[k], h->lit_len[k], h->nocase);
            if (!any)
                return false;
        }
#ifdef REG_STARTEND
        regmatch_t pm[1] = { { .rm_so = 0, .rm_eo = (regoff_t)n } };
        return regexec(&h->re, v.ptr ? v.ptr : "", 0, pm, REG_STARTEND) == 0;
#else
        char buf[TR_RULE_REGEX_MAX + 1];
        memcpy(buf, v.ptr, n);
        buf[n] = '\0';
        return regexec(&h->re, buf, 0, NULL, 0) == 0;
#endif
    }
    }
    return false;
}

static bool hdr_holds(struct tr_rules_state *s, const struct tr_hdr_cond *h,
                      const struct tr_event *ev)
{
    bool found = false;
    if (h->user_agent) {
        found = ev->sip && ev->sip->user_agent.ptr && value_matches(h, ev->sip->user_agent);
    } else {
        if (!s->ix_built)
            build_index(s, ev);
        for (unsigned i = 0; i < s->n_ix && !found; i++) {
            const struct hdr_ix *x = &s->ix[i];
            if (x->hash != h->name_hash)
                continue;
            /* confirm: the same name, or its compact form */
            struct tr_str n = { x->name, x->name_len };
            bool same = n.len == 1 ? h->compact && tolower((unsigned char)n.ptr[0]) == h->compact
                                   : tr_str_ieq(n, h->name);
            if (same)
                found = value_matches(h, (struct tr_str){ x->val, x->val_len });
        }
    }
    return found != h->negate;
}

static bool is_local(const struct tr_rules *r, const struct tr_addr *a)
{
    return in_cidrs(r->local, r->n_local, a);
}

static uint8_t rule_needs(const struct tr_rule_match *m)
{
    uint8_t need = 0;
    if (m->kinds || m->n_hep_types)
        need |= NEED_KIND;
    if (m->size_min || m->size_max)
        need |= NEED_SIZE;
    if (m->inputs)
        need |= NEED_INPUT;
    if (m->transports)
        need |= NEED_TRANSPORT;
    if (m->n_src || m->n_dst || m->n_addr || m->n_sport || m->n_dport || m->n_port || m->direction)
        need |= NEED_ADDR;
    if (m->n_methods || m->n_status || m->requests_only || m->responses_only ||
        m->malformed >= 0 || m->has_sdp >= 0 || m->n_hdr)
        need |= NEED_SIP;
    return need;
}

static bool rule_matches(struct tr_rules_state *s, unsigned idx, const struct tr_event *ev)
{
    uint8_t need = s->need[idx];
    if (!need)
        return true;
    const struct tr_rules *r = s->r;
    const struct tr_rule_match *m = &r->rules[idx].m;
    const struct tr_packet *pkt = ev->pkt;
    const struct tr_sip_msg *sip = ev->sip;
    if ((need & NEED_KIND) && m->kinds && !(m->kinds & (1u << ev->kind)))
        return false;
    if ((need & NEED_KIND) && m->n_hep_types) {
        bool any = false;
        for (unsigned i = 0; i < m->n_hep_types && !any; i++)
            any = m->hep_types[i] == ev->hep_proto_type;
        if (!any)
            return false;
    }
    if ((need & NEED_SIZE) && m->size_min && ev->payload.len < m->size_min)
        return false;
    if ((need & NEED_SIZE) && m->size_max && ev->payload.len > m->size_max)
        return false;
    if ((need & NEED_INPUT) &&
        (!pkt || pkt->input_id >= 32 || !(m->inputs & (1u << pkt->input_id))))
        return false;
    if (need & NEED_TRANSPORT) {
        unsigned bit = !pkt ? 8 : pkt->ip_proto == 17 ? 0 : pkt->ip_proto == 6 ? 1
                                 : pkt->ip_proto == 132 ? 2 : 8;
        if (bit == 8 || !(m->transports & (1u << bit)))
            return false;
    }
    if (need & NEED_ADDR) {
        if (!pkt)
            return false;
        if (m->n_src && !in_cidrs(m->src, m->n_src, &pkt->src))
            return false;
        if (m->n_dst && !in_cidrs(m->dst, m->n_dst, &pkt->dst))
            return false;
        if (m->n_addr && !in_cidrs(m->addr, m->n_addr, &pkt->src) &&
            !in_cidrs(m->addr, m->n_addr, &pkt->dst))
            return false;
        if (m->n_sport && !in_ranges(m->sport, m->n_sport, pkt->sport))
            return false;
        if (m->n_dport && !in_ranges(m->dport, m->n_dport, pkt->dport))
            return false;
        if (m->n_port && !in_ranges(m->port, m->n_port, pkt->sport) &&
            !in_ranges(m->port, m->n_port, pkt->dport))
            return false;
        if (m->direction) {
            bool ls = is_local(r, &pkt->src), ld = is_local(r, &pkt->dst);
            enum tr_direction d = ls && ld ? TR_DIR_INTERNAL : ld ? TR_DIR_INBOUND
                                : ls ? TR_DIR_OUTBOUND : TR_DIR_EXTERNAL;
            if (d != m->direction)
                return false;
        }
    }
    /* SIP-only conditions: an event without a parsed SIP message fails them */
    if (!(need & NEED_SIP))
        return true;
    if (!sip) {
        /* only negated header conditions could hold; keep it simple: no */
        return false;
    }
    if (m->requests_only && !sip->is_request)
        return false;
    if (m->responses_only && (sip->is_request || !sip->status))
        return false;
    if (m->n_methods) {
        if (!sip->is_request)
            return false;
        bool any = false;
        for (unsigned i = 0; i < m->n_methods && !any; i++)
            any = tr_str_eq(m->methods[i], sip->method);
        if (!any)
            return false;
    }
    if (m->n_status && (sip->is_request || !in_ranges(m->status, m->n_status, sip->status)))
        return false;
    if (m->malformed >= 0 && (sip->defect != TR_SIP_DEFECT_NONE) != (m->malformed == 1))
        return false;
    if (m->has_sdp >= 0) {
        struct tr_str ct = sip->content_type;
        bool sdp = sip->body.len > 0 && ct.len >= 15 && ieq_n(ct.ptr, "application/sdp", 15);
        if (sdp != (m->has_sdp == 1))
            return false;
    }
    for (unsigned i = 0; i < m->n_hdr; i++)
        if (!hdr_holds(s, &m->hdr[i], ev))
            return false;
    return true;
}

/* ------------------------------------------------------------ actions */

/* GCRA: true when an event at now_ns fits `rate` per second with a bucket
 * of `burst` events. Works on capture time, so offline runs are exact. */
static bool gcra_allow(uint64_t *tat, uint64_t now_ns, uint32_t rate, uint32_t burst)
{
    uint64_t interval = 1000000000ull / rate;
    if (interval == 0)
        interval = 1;
    uint64_t tolerance = interval * (uint64_t)(burst ? burst : rate);
    uint64_t t = *tat > now_ns ? *tat : now_ns;
    if (t - now_ns >= tolerance)
        return false;
    *tat = t + interval;
    return true;
}

static void log_match(const struct tr_rule *rule, struct rule_state *st, const struct tr_event *ev)
{
    uint64_t now = ev->pkt ? ev->pkt->ts_ns : 0;
    if (!gcra_allow(&st->log_tat, now, LOG_PER_SEC, LOG_PER_SEC)) {
        st->c.log_suppressed++;
        return;
    }
    st->c.logged++;
    char src[TR_ADDR_STRLEN] = "?", dst[TR_ADDR_STRLEN] = "?";
    unsigned sport = 0, dport = 0;
    if (ev->pkt) {
        tr_addr_format(&ev->pkt->src, src, sizeof(src));
        tr_addr_format(&ev->pkt->dst, dst, sizeof(dst));
        sport = ev->pkt->sport;
        dport = ev->pkt->dport;
    }
    char what[64];
    const struct tr_sip_msg *sip = ev->sip;
    if (sip && sip->is_request)
        snprintf(what, sizeof(what), "%.*s", (int)(sip->method.len > 32 ? 32 : sip->method.len),
                 sip->method.ptr ? sip->method.ptr : "");
    else if (sip)
        snprintf(what, sizeof(what), "%u", sip->status);
    else
        snprintf(what, sizeof(what), "%s", tr_event_kind_name(ev->kind));
    struct tr_str cid = sip ? sip->call_id : ev->corr_id;
    tr_log(TR_LOG_INFO, "rule %s: %s %s:%u -> %s:%u len %zu call-id %.*s", rule->name, what, src,
           sport, dst, dport, ev->payload.len, (int)(cid.len > 128 ? 128 : cid.len),
           cid.ptr ? cid.ptr : "");
}

/* Copies a Lua string into the state's tag buffer. */
static bool keep_lua_text(struct tr_rules_state *s, const char *p, size_t n, struct tr_str *out)
{
    if (n > sizeof(s->lua_tags) - s->lua_tags_len)
        return false;
    memcpy(s->lua_tags + s->lua_tags_len, p, n);
    *out = (struct tr_str){ s->lua_tags + s->lua_tags_len, n };
    s->lua_tags_len += n;
    return true;
}

/* Runs a rule's Lua function. Returns its verdict; TR_LUA_DEFAULT, counted as
 * an error, when it fails or returns something else than documented. */
static enum tr_lua_verdict run_lua(struct tr_rules_state *s, const struct tr_rule *rule,
                                   struct rule_state *st, const struct tr_event *ev,
                                   struct tr_rules_verdict *out)
{
    struct lua_rule *lr = st->lua;
    lua_State *L = lr->L;
    st->c.lua_calls++;
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lr->fn_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lr->msg_ref);
    lr->msg->ev = ev;
    lua_sethook(L, lua_instr_hook, LUA_MASKCOUNT, (int)lr->max_instr); /* resets the count */
    int rc = lua_pcall(L, 1, 2, 0);
    lua_sethook(L, NULL, 0, 0);
    lr->msg->ev = NULL;
    const char *why = NULL;
    enum tr_lua_verdict v = TR_LUA_DEFAULT;
    if (rc != LUA_OK) {
        why = lua_tostring(L, -1);
        if (!why)
            why = "error object is not a string";
        goto error;
    }
    if (lua_type(L, 1) == LUA_TSTRING) {
        const char *vs = lua_tostring(L, 1);
        if (strcmp(vs, "send") == 0)
            v = TR_LUA_SEND;
        else if (strcmp(vs, "drop") == 0)
            v = TR_LUA_DROP;
        else if (strcmp(vs, "continue") == 0)
            v = TR_LUA_CONTINUE;
        else if (strcmp(vs, "default") != 0) {
            why = "verdict must be \"send\", \"drop\", \"continue\", \"default\" or nil";
            goto error;
        }
    } else if (!lua_isnil(L, 1)) {
        why = "verdict must be a string or nil";
        goto error;
    }
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, 2) != 0) {
            /* keys must stay strings for lua_next: check the type, never convert */
            if (lua_type(L, -2) == LUA_TSTRING &&
                (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) &&
                out->n_tags < TR_RULES_MAX_TAGS) {
                size_t kn, vn;
                const char *k = lua_tolstring(L, -2, &kn);
                lua_pushvalue(L, -1); /* convert a copy: numbers become text */
                const char *val = lua_tolstring(L, -1, &vn);
                struct tr_tag t;
                if (keep_lua_text(s, k, kn, &t.key) && keep_lua_text(s, val, vn, &t.value))
                    out->tags[out->n_tags++] = t;
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, 2)) {
        why = "tags must be a table or nil";
        goto error;
    }
    lua_settop(L, 0);
    return v;
error:
    st->c.lua_errors++;
    if (!lr->error_logged) { /* once per rule: the counter says how often */
        lr->error_logged = true;
        tr_log(TR_LOG_WARN, "rule %s: lua %s: %s (counted; the rule's action applies)", rule->name,
               rule->a.lua_script, why);
    }
    lua_settop(L, 0);
    return TR_LUA_DEFAULT;
}

static void add_tags(struct tr_rules_verdict *out, const struct tr_rule *rule)
{
    for (unsigned i = 0; i < rule->a.n_tags && out->n_tags < TR_RULES_MAX_TAGS; i++)
        out->tags[out->n_tags++] = rule->a.tags[i];
}

void tr_rules_eval(struct tr_rules_state *s, const struct tr_event *ev,
                   struct tr_rules_verdict *out)
{
    const struct tr_rules *r = s->r;
    out->outputs = 0;
    out->decided_by = NULL;
    out->n_tags = 0;
    s->lua_tags_len = 0;
    s->ix_built = false;
    uint64_t now = ev->pkt ? ev->pkt->ts_ns : 0;
    for (unsigned i = 0; i < r->n_rules; i++) {
        const struct tr_rule *rule = &r->rules[i];
        struct rule_state *st = &s->rs[i];
        if (!rule_matches(s, i, ev))
            continue;
        st->c.matched++;
        enum tr_lua_verdict lv = st->lua ? run_lua(s, rule, st, ev, out) : TR_LUA_DEFAULT;
        if (lv == TR_LUA_CONTINUE)
            continue;
        bool drop = lv == TR_LUA_DROP || (lv == TR_LUA_DEFAULT && rule->a.drop);
        if (drop) {
            st->c.dropped++;
            goto discard;
        }
        if (rule->a.sample > 1 && st->sample_n++ % rule->a.sample != 0) {
            st->c.sampled_out++;
            goto discard;
        }
        if (rule->a.rate && !gcra_allow(&st->rate_tat, now, rule->a.rate, rule->a.burst)) {
            st->c.rate_limited++;
            goto discard;
        }
        if (rule->a.log)
            log_match(rule, st, ev);
        add_tags(out, rule);
        out->outputs |= rule->a.send;
        if (!rule->cont || lv == TR_LUA_SEND) {
            out->decided_by = rule;
            return;
        }
        continue;
    discard:
        out->outputs = 0;
        out->decided_by = rule;
        return;
    }
    /* No rule decided: continue-rules' sends stand, plus the default. */
    s->unmatched++;
    if (r->default_send_all)
        out->outputs = UINT32_MAX;
}
