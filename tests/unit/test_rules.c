/* test_rules.c - capture-plan rules (src/rules): every match key, every
 * action, first-match/continue order, the default, Lua verdicts, tags and
 * errors, and that evaluation does not allocate. Rule sets are written in
 * YAML and loaded through the config loader, as users write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc_count.h"
#include "config/config.h"
#include "rules/rules.h"

#include <arpa/inet.h>

/* Two inputs, three outputs: bit 0 = j1, bit 1 = j2, bit 2 = c1. */
#define HEAD                                                                                    \
    "inputs:\n"                                                                                 \
    "  in_a: { kind: file, path: a.pcap }\n"                                                    \
    "  in_b: { kind: file, path: b.pcap }\n"                                                    \
    "outputs:\n"                                                                                \
    "  j1: { kind: json, path: /dev/null }\n"                                                   \
    "  j2: { kind: json, path: /dev/null }\n"                                                   \
    "  c1: { kind: csv, path: /dev/null }\n"

struct fix {
    struct tr_config *cfg;
    struct tr_rules_state *st;
    struct tr_rules_verdict v;
    struct tr_packet pkt;
    struct tr_sip_msg sip;
    struct tr_event ev;
    char text[4096];
};

static struct fix F;

static void load(const char *yaml)
{
    struct tr_err err = { 0 };
    tr_rules_state_free(F.st);
    tr_config_free(F.cfg);
    F.st = NULL;
    F.cfg = tr_config_load_string("t.yaml", yaml, strlen(yaml), &err);
    if (!F.cfg)
        fail_msg("load failed: %s", err.msg);
    const struct tr_engine_conf *c = tr_config_engine(F.cfg);
    assert_non_null(c->rules);
    F.st = tr_rules_state_new(c->rules, &err);
    if (!F.st)
        fail_msg("state failed: %s", err.msg);
}

static void addr(struct tr_addr *a, const char *s)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, s, a->a) == 1)
        a->family = TR_AF_INET;
    else if (inet_pton(AF_INET6, s, a->a) == 1)
        a->family = TR_AF_INET6;
    else
        fail_msg("bad address %s", s);
}

/* A SIP event from text ("\n" become CRLF) between two endpoints. */
static void sip_ev(const char *text, const char *src, uint16_t sport, const char *dst,
                   uint16_t dport)
{
    size_t n = 0;
    for (const char *p = text; *p && n + 2 < sizeof(F.text); p++) {
        if (*p == '\n')
            F.text[n++] = '\r';
        F.text[n++] = *p;
    }
    memset(&F.pkt, 0, sizeof(F.pkt));
    addr(&F.pkt.src, src);
    addr(&F.pkt.dst, dst);
    F.pkt.sport = sport;
    F.pkt.dport = dport;
    F.pkt.ip_proto = 17;
    F.pkt.ts_ns = 1000000000ull * 1000;
    struct tr_bytes b = { (const uint8_t *)F.text, n };
    F.pkt.payload = b;
    int rc = tr_sip_parse(b, &F.sip);
    assert_true(rc == TR_OK || rc == -TR_E_MALFORMED);
    F.ev = (struct tr_event){ .kind = TR_EV_SIP, .pkt = &F.pkt, .sip = &F.sip, .payload = b,
                              .hep_proto_type = TR_HEP_PROTO_SIP };
}

#define INVITE                                                                                  \
    "INVITE sip:bob@example.com SIP/2.0\n"                                                      \
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n"                                         \
    "From: <sip:alice@example.com>;tag=1\n"                                                     \
    "To: <sip:bob@example.com>\n"                                                               \
    "i: call-1@example.com\n"                                                                   \
    "CSeq: 1 INVITE\n"                                                                          \
    "User-Agent: FriendlyPhone/2.0\n"                                                           \
    "X-Tenant: acme-east\n"                                                                     \
    "Content-Type: application/sdp\n"                                                           \
    "Content-Length: 4\n"                                                                       \
    "\n"                                                                                        \
    "v=0\n"

#define OPTIONS                                                                                 \
    "OPTIONS sip:bob@example.com SIP/2.0\n"                                                     \
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK2\n"                                         \
    "From: <sip:alice@example.com>;tag=2\n"                                                     \
    "To: <sip:bob@example.com>\n"                                                               \
    "Call-ID: call-2@example.com\n"                                                             \
    "CSeq: 1 OPTIONS\n"                                                                         \
    "User-Agent: friendly-scanner\n"                                                            \
    "Content-Length: 0\n"                                                                       \
    "\n"

static const char *response(unsigned status)
{
    static char buf[512];
    snprintf(buf, sizeof(buf),
             "SIP/2.0 %u Whatever\n"
             "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n"
             "From: <sip:alice@example.com>;tag=1\n"
             "To: <sip:bob@example.com>;tag=9\n"
             "Call-ID: call-1@example.com\n"
             "CSeq: 1 INVITE\n"
             "Server: Core/1\n"
             "Content-Length: 0\n"
             "\n",
             status);
    return buf;
}

static uint32_t eval(void)
{
    tr_rules_eval(F.st, &F.ev, &F.v);
    return F.v.outputs;
}

static uint32_t eval_sip(const char *text)
{
    sip_ev(text, "10.0.0.1", 5060, "192.0.2.9", 5060);
    return eval();
}

static int teardown(void **state)
{
    (void)state;
    tr_rules_state_free(F.st);
    tr_config_free(F.cfg);
    memset(&F, 0, sizeof(F));
    return 0;
}

struct counters_of {
    const char *name;
    struct tr_rule_counters c;
};

static void grab(void *user, const char *name, const struct tr_rule_counters *c)
{
    struct counters_of *w = user;
    if (strcmp(name, w->name) == 0)
        w->c = *c;
}

static struct tr_rule_counters counters(const char *name)
{
    struct counters_of w = { name, { 0 } };
    tr_rules_foreach(F.st, grab, &w);
    return w.c;
}

/* ------------------------------------------------------------ matches */

static void method_matches_only_listed_requests(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { name: r, match: { method: [INVITE, BYE] }, action: { send: [j1] } }\n");
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(eval_sip(OPTIONS), 0);
    assert_int_equal(eval_sip(response(200)), 0); /* responses have no method */
    assert_int_equal(tr_rules_unmatched(F.st), 2);
}

static void status_code_class_and_range_match_responses(void **state)
{
    (void)state;
    load(HEAD "rules:\n"
              "  - { match: { status: 180 }, action: { send: [j1] } }\n"
              "  - { match: { status: 4xx }, action: { send: [j2] } }\n"
              "  - { match: { status: 500-503 }, action: { send: [c1] } }\n");
    assert_int_equal(eval_sip(response(180)), 1);
    assert_int_equal(eval_sip(response(183)), 0);
    assert_int_equal(eval_sip(response(404)), 2);
    assert_int_equal(eval_sip(response(499)), 2);
    assert_int_equal(eval_sip(response(503)), 4);
    assert_int_equal(eval_sip(response(504)), 0);
    assert_int_equal(eval_sip(INVITE), 0);
}

static void type_request_or_response(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { type: response }, action: { send: [j1] } }\n"
              "  - { match: { type: request }, action: { send: [j2] } }\n");
    assert_int_equal(eval_sip(response(200)), 1);
    assert_int_equal(eval_sip(INVITE), 2);
}

static void header_exact_prefix_contains_regex(void **state)
{
    (void)state;
    load(HEAD "rules:\n"
              "  - { match: { header: { X-Tenant: acme-east } }, action: { send: [j1] }, continue: true }\n"
              "  - { match: { header: { X-Tenant: { prefix: acme- } } }, action: { send: [j2] }, continue: true }\n"
              "  - { match: { header: { x-tenant: { contains: EAST, nocase: true } } }, action: { send: [c1] }, continue: true }\n"
              "  - { name: re, match: { header: { X-Tenant: { regex: \"^acme-(east|west)$\" } } }, action: { tag: { re: hit } } }\n");
    assert_int_equal(eval_sip(INVITE), 7);
    assert_int_equal(F.v.n_tags, 1);
    assert_int_equal(counters("re").matched, 1);
    assert_int_equal(eval_sip(OPTIONS), 0); /* no X-Tenant header */
}

static void header_exact_is_case_sensitive_unless_nocase(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { header: { X-Tenant: ACME-EAST } }, action: { send: [j1] } }\n"
              "  - { match: { header: { X-Tenant: { exact: ACME-EAST, nocase: true } } }, action: { send: [j2] } }\n");
    assert_int_equal(eval_sip(INVITE), 2);
}

static void header_name_matches_compact_form(void **state)
{
    (void)state;
    /* the INVITE carries "i:" (RFC 3261 7.3.3), the rule names Call-ID */
    load(HEAD "rules:\n  - { match: { header: { Call-ID: call-1@example.com } }, action: { send: [j1] } }\n");
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(eval_sip(OPTIONS), 0);
}

static void header_exists_and_not(void **state)
{
    (void)state;
    load(HEAD "rules:\n"
              "  - { match: { header: { X-Tenant: { exists: true } } }, action: { send: [j1] } }\n"
              "  - { match: { header: { X-Tenant: { exists: true, not: true } } }, action: { send: [j2] } }\n");
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(eval_sip(OPTIONS), 2);
}

static void header_body_lines_are_not_headers(void **state)
{
    (void)state;
    /* "v=0" is in the body; a header named "v" (Via compact) must not see it */
    load(HEAD "rules:\n  - { match: { header: { Via: { prefix: \"0\" } } }, action: { send: [j1] } }\n");
    assert_int_equal(eval_sip(INVITE), 0);
}

static void user_agent_regex_nocase_and_server_fallback(void **state)
{
    (void)state;
    load(HEAD "rules:\n"
              "  - { match: { user_agent: { regex: \"friendly-scanner|sipvicious\", nocase: true } }, action: { drop: true } }\n"
              "  - { match: { user_agent: { prefix: Core/ } }, action: { send: [j2] } }\n"
              "rules_default: send_all\n");
    assert_int_equal(eval_sip(OPTIONS), 0);
    assert_int_equal(counters("rule1").dropped, 1);
    assert_int_equal(eval_sip(response(200)), 2); /* Server: stands in for User-Agent */
    assert_int_equal(eval_sip(INVITE), UINT32_MAX);
}

static void cidr_source_destination_and_either(void **state)
{
    (void)state;
    load(HEAD "rules:\n"
              "  - { match: { src: 10.0.0.0/8, dst: \"192.0.2.0/24\" }, action: { send: [j1] } }\n"
              "  - { match: { addr: \"2001:db8::/32\" }, action: { send: [j2] } }\n");
    sip_ev(INVITE, "10.1.2.3", 5060, "192.0.2.200", 5060);
    assert_int_equal(eval(), 1);
    sip_ev(INVITE, "11.1.2.3", 5060, "192.0.2.200", 5060);
    assert_int_equal(eval(), 0);
    sip_ev(INVITE, "2001:db9::1", 5060, "2001:db8:ffff::1", 5060);
    assert_int_equal(eval(), 2);
    sip_ev(INVITE, "2001:db9::1", 5060, "2001:db7::1", 5060);
    assert_int_equal(eval(), 0);
}

static void cidr_parse_clears_host_bits_and_rejects_junk(void **state)
{
    (void)state;
    struct tr_cidr c;
    struct tr_addr a;
    assert_int_equal(tr_cidr_parse("10.1.2.3/12", &c), TR_OK);
    addr(&a, "10.15.255.255");
    assert_true(tr_cidr_contains(&c, &a));
    addr(&a, "10.16.0.0");
    assert_false(tr_cidr_contains(&c, &a));
    assert_int_equal(tr_cidr_parse("0.0.0.0/0", &c), TR_OK);
    assert_true(tr_cidr_contains(&c, &a));
    assert_int_equal(tr_cidr_parse("10.0.0.0/33", &c), -TR_E_CONFIG);
    assert_int_equal(tr_cidr_parse("10.0.0/8", &c), -TR_E_CONFIG);
    assert_int_equal(tr_cidr_parse("::/129", &c), -TR_E_CONFIG);
    assert_int_equal(tr_cidr_parse("10.0.0.0/", &c), -TR_E_CONFIG);
}

static void ports_source_destination_and_either(void **state)
{
    (void)state;
    load(HEAD "rules:\n"
              "  - { match: { sport: 5062, dport: 5070-5080 }, action: { send: [j1] } }\n"
              "  - { match: { port: [5090, 6000-6001] }, action: { send: [j2] } }\n");
    sip_ev(INVITE, "10.0.0.1", 5062, "10.0.0.2", 5075);
    assert_int_equal(eval(), 1);
    sip_ev(INVITE, "10.0.0.1", 5062, "10.0.0.2", 5081);
    assert_int_equal(eval(), 0);
    sip_ev(INVITE, "10.0.0.1", 6001, "10.0.0.2", 1);
    assert_int_equal(eval(), 2);
}

static void direction_uses_local_networks(void **state)
{
    (void)state;
    load(HEAD "local_networks: [10.0.0.0/8]\n"
              "rules:\n"
              "  - { match: { direction: inbound }, action: { send: [j1] } }\n"
              "  - { match: { direction: outbound }, action: { send: [j2] } }\n"
              "  - { match: { direction: internal }, action: { send: [c1] } }\n"
              "  - { match: { direction: external }, action: { send: [j1, j2] } }\n");
    sip_ev(INVITE, "192.0.2.1", 5060, "10.0.0.2", 5060);
    assert_int_equal(eval(), 1);
    sip_ev(INVITE, "10.0.0.2", 5060, "192.0.2.1", 5060);
    assert_int_equal(eval(), 2);
    sip_ev(INVITE, "10.0.0.2", 5060, "10.0.0.3", 5060);
    assert_int_equal(eval(), 4);
    sip_ev(INVITE, "192.0.2.1", 5060, "192.0.2.2", 5060);
    assert_int_equal(eval(), 3);
}

static void input_matches_the_packets_input(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { input: in_b }, action: { send: [j1] } }\n");
    sip_ev(INVITE, "10.0.0.1", 5060, "10.0.0.2", 5060);
    F.pkt.input_id = 0;
    assert_int_equal(eval(), 0);
    F.pkt.input_id = 1;
    assert_int_equal(eval(), 1);
}

static void size_min_and_max(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { size: { max: 99 } }, action: { drop: true } }\n"
              "  - { match: { size: { min: 100, max: 250 } }, action: { send: [j1] } }\n"
              "  - { match: { size: { min: 251 } }, action: { send: [j2] } }\n");
    assert_int_equal(eval_sip(response(200)), 1); /* 222 bytes */
    assert_int_equal(eval_sip(INVITE), 2);       /* 296 bytes */
    sip_ev("OPTIONS sip:x SIP/2.0\n\n", "10.0.0.1", 1, "10.0.0.2", 2);
    assert_int_equal(eval(), 0);
    assert_int_equal(counters("rule1").dropped, 1);
}

static void protocol_selects_event_kinds(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { protocol: rtcp }, action: { send: [j1] } }\n"
              "  - { match: { hep_type: 100 }, action: { send: [j2] } }\n"
              "  - { match: { protocol: sip, transport: tcp }, action: { send: [c1] } }\n");
    sip_ev(INVITE, "10.0.0.1", 5060, "10.0.0.2", 5060);
    assert_int_equal(eval(), 0);
    F.pkt.ip_proto = 6;
    assert_int_equal(eval(), 4);
    F.ev.kind = TR_EV_RTCP;
    F.ev.sip = NULL;
    assert_int_equal(eval(), 1);
    F.ev.kind = TR_EV_LOG;
    F.ev.hep_proto_type = TR_HEP_PROTO_LOG;
    assert_int_equal(eval(), 2);
}

static void sip_conditions_fail_on_events_without_sip(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { method: INVITE }, action: { send: [j1] } }\n"
              "  - { match: { header: { X-Tenant: { exists: true, not: true } } }, action: { send: [j2] } }\n");
    sip_ev(INVITE, "10.0.0.1", 5060, "10.0.0.2", 5060);
    F.ev.kind = TR_EV_RTCP;
    F.ev.sip = NULL;
    assert_int_equal(eval(), 0);
}

static void malformed_and_has_sdp(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { malformed: true }, action: { send: [j1] } }\n"
              "  - { match: { has_sdp: true }, action: { send: [j2] } }\n"
              "  - { match: { has_sdp: false, malformed: false }, action: { send: [c1] } }\n");
    assert_int_equal(eval_sip(INVITE), 2);
    assert_int_equal(eval_sip(OPTIONS), 4);
    assert_int_equal(eval_sip("OPTIONS sip:x SIP/2.0\nCSeq: 1 OPTIONS\n\n"), 1); /* no Call-ID */
}

/* ------------------------------------------------------------ order and actions */

static void first_match_decides(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { name: a, match: { method: INVITE }, action: { send: [j1] } }\n"
              "  - { name: b, match: { protocol: sip }, action: { send: [j2] } }\n");
    assert_int_equal(eval_sip(INVITE), 1);
    assert_string_equal(F.v.decided_by->name, "a");
    assert_int_equal(counters("b").matched, 0);
    assert_int_equal(eval_sip(OPTIONS), 2);
}

static void continue_unions_sends_and_tags(void **state)
{
    (void)state;
    load(HEAD "rules:\n"
              "  - { match: { method: INVITE }, action: { send: [j1], tag: { a: \"1\" } }, continue: true }\n"
              "  - { match: { protocol: sip }, action: { send: [c1], tag: { b: \"2\" } } }\n");
    assert_int_equal(eval_sip(INVITE), 5);
    assert_int_equal(F.v.n_tags, 2);
    assert_memory_equal(F.v.tags[0].key.ptr, "a", 1);
    assert_memory_equal(F.v.tags[1].value.ptr, "2", 1);
}

static void continue_sends_stand_when_nothing_else_matches(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { method: INVITE }, action: { send: [j1] }, continue: true }\n");
    assert_int_equal(eval_sip(INVITE), 1);
    assert_null(F.v.decided_by);
}

static void drop_discards_sends_of_earlier_rules(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { protocol: sip }, action: { send: [j1] }, continue: true }\n"
              "  - { match: { method: OPTIONS }, action: { drop: true } }\n");
    assert_int_equal(eval_sip(OPTIONS), 0);
    assert_int_equal(eval_sip(INVITE), 1);
}

static void default_drop_or_send_all(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { method: BYE }, action: { send: [j1] } }\n");
    assert_int_equal(eval_sip(INVITE), 0);
    load(HEAD "rules:\n  - { match: { method: BYE }, action: { send: [j1] } }\n"
              "rules_default: send_all\n");
    assert_int_equal(eval_sip(INVITE), UINT32_MAX);
}

static void sample_passes_one_in_n(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { name: s, match: { method: OPTIONS }, action: { send: [j1], sample: 4 } }\n");
    unsigned passed = 0;
    for (int i = 0; i < 40; i++)
        passed += eval_sip(OPTIONS) == 1;
    assert_int_equal(passed, 10);
    assert_int_equal(counters("s").sampled_out, 30);
    assert_int_equal(counters("s").matched, 40);
}

static void rate_limits_on_capture_time(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { name: r, match: { protocol: sip }, action: { send: [j1], rate: 10 } }\n");
    sip_ev(OPTIONS, "10.0.0.1", 5060, "10.0.0.2", 5060);
    unsigned passed = 0;
    /* 100 messages in the same nanosecond: a one-second bucket (10) passes */
    for (int i = 0; i < 100; i++)
        passed += eval() == 1;
    assert_int_equal(passed, 10);
    /* one second later there is room for 10 more */
    F.pkt.ts_ns += 1000000000ull;
    passed = 0;
    for (int i = 0; i < 100; i++)
        passed += eval() == 1;
    assert_int_equal(passed, 10);
    assert_int_equal(counters("r").rate_limited, 180);
}

static void rate_burst_sets_bucket_depth(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { protocol: sip }, action: { send: [j1], rate: 10, burst: 2 } }\n");
    sip_ev(OPTIONS, "10.0.0.1", 5060, "10.0.0.2", 5060);
    unsigned passed = 0;
    for (int i = 0; i < 100; i++)
        passed += eval() == 1;
    assert_int_equal(passed, 2);
}

static void log_counts_and_limits_to_ten_a_second(void **state)
{
    (void)state;
    tr_log_set_level(TR_LOG_ERROR); /* keep the test output quiet; counting still happens */
    load(HEAD "rules:\n  - { name: l, match: { protocol: sip }, action: { send: [j1], log: true } }\n");
    for (int i = 0; i < 25; i++)
        assert_int_equal(eval_sip(OPTIONS), 1);
    assert_int_equal(counters("l").logged, 10);
    assert_int_equal(counters("l").log_suppressed, 15);
}

static void tags_from_rule(void **state)
{
    (void)state;
    load(HEAD "rules:\n  - { match: { protocol: sip }, action: { send: [j1], tag: { k1: v1, k2: \"v 2\" } } }\n");
    eval_sip(INVITE);
    assert_int_equal(F.v.n_tags, 2);
    assert_int_equal(F.v.tags[1].value.len, 3);
    assert_memory_equal(F.v.tags[1].value.ptr, "v 2", 3);
}

static void evaluation_does_not_allocate(void **state)
{
    (void)state;
    load(HEAD "local_networks: [10.0.0.0/8]\nrules:\n"
              "  - { match: { user_agent: { regex: \"scanner\" }, header: { X-Tenant: { contains: east } } }, action: { send: [j1], tag: { a: b } }, continue: true }\n"
              "  - { match: { src: 10.0.0.0/8, direction: outbound, status: 4xx }, action: { send: [j2], sample: 2, rate: 1000, log: true } }\n"
              "  - { match: { method: [INVITE, OPTIONS] }, action: { send: [c1] } }\n");
    tr_log_set_level(TR_LOG_ERROR);
    sip_ev(INVITE, "10.0.0.1", 5060, "192.0.2.1", 5060);
    eval(); /* warm up */
    start_counting();
    unsigned long before = allocs_so_far();
    for (int i = 0; i < 1000; i++) {
        eval();
        eval_sip(response(404));
        eval_sip(OPTIONS);
    }
    assert_int_equal(allocs_so_far() - before, 0);
}

/* The regex pre-check (literals every match holds) never changes a result:
 * each pattern against each value, rules vs plain regexec. */
static void regex_precheck_agrees_with_regexec(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "friendly-scanner|sipvicious|sipcli", "received=203\\.0\\.113\\.[0-9]+",
        "^multipart/(mixed|related)", "ab*c", "ab+c", "a(b|c)d", "x{2}y", "[abc]def",
        "^(acme|globex)-[a-z]+$", "foo|[0-9]+", "a.c", "a\\.c", "(ab)?cd", "cause=(1[6-9]|2[0-9])",
        "Asterisk PBX 1\\.", "^$", "q?r", "[]x]yz", "[[:digit:]]+abc",
    };
    static const char *const values[] = {
        "friendly-scanner", "SIPVICIOUS 1.0", "x sipcli y", "received=203.0.113.7", "received=203x0.113.7",
        "multipart/mixed", "Multipart/related", "text/multipart/mixed", "ac", "abc", "abbbc", "abd",
        "acd", "xxy", "xy", "adef", "ddef", "acme-east", "acme-EAST", "foo", "123", "abc", "a.c",
        "cd", "abcd", "cause=17", "cause=31", "Asterisk PBX 1.8", "", "r", "qr", "]yz", "xyz",
        "9abc", "abc9",
    };
    tr_log_set_level(TR_LOG_ERROR);
    for (size_t pi = 0; pi < TR_ARRAY_LEN(patterns); pi++) {
        for (int nocase = 0; nocase < 2; nocase++) {
            char yaml[1024];
            snprintf(yaml, sizeof(yaml),
                     HEAD "rules:\n  - { match: { header: { X-V: { regex: '%s', nocase: %s } } }, "
                          "action: { send: [j1] } }\n",
                     patterns[pi], nocase ? "true" : "false");
            load(yaml);
            regex_t re;
            assert_int_equal(regcomp(&re, patterns[pi], REG_EXTENDED | REG_NOSUB |
                                                           (nocase ? REG_ICASE : 0)), 0);
            for (size_t vi = 0; vi < TR_ARRAY_LEN(values); vi++) {
                char msg[512];
                snprintf(msg, sizeof(msg), "OPTIONS sip:x SIP/2.0\nCall-ID: c\nCSeq: 1 OPTIONS\n"
                                           "X-V: %s\n\n", values[vi]);
                bool want = regexec(&re, values[vi], 0, NULL, 0) == 0;
                bool got = eval_sip(msg) == 1;
                if (want != got)
                    fail_msg("pattern '%s' nocase %d value '%s': regexec %d, rules %d", patterns[pi],
                             nocase, values[vi], want, got);
            }
            regfree(&re);
        }
    }
}

static void regex_precheck_finds_alternatives(void **state)
{
    (void)state;
    struct tr_hdr_cond h = { .name = TR_STR_LIT("User-Agent"), .op = TR_HDR_REGEX,
                             .value = TR_STR_LIT("friendly-scanner|sip(vicious|cli)|x+y") };
    struct tr_err err;
    assert_int_equal(tr_hdr_cond_compile(&h, &err), TR_OK);
    assert_int_equal(h.n_lits, 3);
    assert_memory_equal(h.lits[0], "friendly-scanner", 16);
    assert_memory_equal(h.lits[1], "sip", 3);
    assert_int_equal(h.lit_len[2], 1); /* "x" (required once), "y" */
    regfree(&h.re);
    struct tr_hdr_cond g = { .name = TR_STR_LIT("X"), .op = TR_HDR_REGEX,
                             .value = TR_STR_LIT("abc|[0-9]+") };
    assert_int_equal(tr_hdr_cond_compile(&g, &err), TR_OK);
    assert_int_equal(g.n_lits, 0); /* an alternative without a literal: always regexec */
    regfree(&g.re);
}

/* ------------------------------------------------------------ Lua */

static char lua_path[64];

static void lua_file(const char *src)
{
    snprintf(lua_path, sizeof(lua_path), "/tmp/trawl_test_rules_%d.lua", (int)getpid());
    FILE *f = fopen(lua_path, "w");
    assert_non_null(f);
    fputs(src, f);
    fclose(f);
}

static void load_lua(const char *src, const char *extra)
{
    lua_file(src);
    char yaml[2048];
    snprintf(yaml, sizeof(yaml),
             HEAD "rules:\n"
                  "  - name: l\n"
                  "    match: { protocol: sip }\n"
                  "    action: { send: [j1], lua: { script: \"%s\"%s } }\n"
                  "  - { name: next, match: { protocol: sip }, action: { send: [j2] } }\n",
             lua_path, extra ? extra : "");
    load(yaml);
}

static void lua_verdicts_send_drop_continue_default(void **state)
{
    (void)state;
    load_lua("function verdict(m)\n"
             "  if m.method == 'INVITE' then return 'drop' end\n"
             "  if m.method == 'OPTIONS' then return 'continue' end\n"
             "  if m.status == 200 then return 'send' end\n"
             "  return nil\n"
             "end\n", NULL);
    assert_int_equal(eval_sip(INVITE), 0);
    assert_int_equal(counters("l").dropped, 1);
    assert_int_equal(eval_sip(OPTIONS), 2); /* went on to the next rule */
    assert_int_equal(eval_sip(response(200)), 1);
    assert_int_equal(eval_sip(response(404)), 1); /* nil: the rule's own action */
    assert_int_equal(counters("l").lua_calls, 4);
    assert_int_equal(counters("l").lua_errors, 0);
}

static void lua_sees_fields_headers_and_returns_tags(void **state)
{
    (void)state;
    load_lua("function verdict(m)\n"
             "  local t = m:header('x-tenant')\n"
             "  return 'default', { tenant = t, cid = m.call_id, src = m.src .. ':' .. m.sport,\n"
             "                      n = m.len, ua = m.user_agent, inp = m.input, k = m.kind }\n"
             "end\n", NULL);
    sip_ev(INVITE, "10.0.0.1", 5060, "10.0.0.2", 5070);
    F.pkt.input_id = 1;
    assert_int_equal(eval(), 1);
    assert_int_equal(counters("l").lua_errors, 0);
    assert_int_equal(F.v.n_tags, 7);
    bool seen_tenant = false, seen_cid = false, seen_src = false, seen_inp = false;
    for (unsigned i = 0; i < F.v.n_tags; i++) {
        struct tr_tag t = F.v.tags[i];
        if (tr_str_eq(t.key, TR_STR_LIT("tenant")))
            seen_tenant = tr_str_eq(t.value, TR_STR_LIT("acme-east"));
        if (tr_str_eq(t.key, TR_STR_LIT("cid")))
            seen_cid = tr_str_eq(t.value, TR_STR_LIT("call-1@example.com"));
        if (tr_str_eq(t.key, TR_STR_LIT("src")))
            seen_src = tr_str_eq(t.value, TR_STR_LIT("10.0.0.1:5060"));
        if (tr_str_eq(t.key, TR_STR_LIT("inp")))
            seen_inp = tr_str_eq(t.value, TR_STR_LIT("in_b"));
    }
    assert_true(seen_tenant && seen_cid && seen_src && seen_inp);
}

static void lua_runtime_error_counts_and_falls_back(void **state)
{
    (void)state;
    tr_log_set_level(TR_LOG_ERROR);
    load_lua("function verdict(m) return m.nothing.field end\n", NULL);
    assert_int_equal(eval_sip(INVITE), 1); /* the rule's send */
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(counters("l").lua_errors, 2);
}

static void lua_bad_return_is_an_error(void **state)
{
    (void)state;
    tr_log_set_level(TR_LOG_ERROR);
    load_lua("function verdict(m) if m.method == 'INVITE' then return 42 end return 'maybe' end\n",
             NULL);
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(eval_sip(OPTIONS), 1);
    assert_int_equal(counters("l").lua_errors, 2);
}

static void lua_message_is_read_only(void **state)
{
    (void)state;
    tr_log_set_level(TR_LOG_ERROR);
    load_lua("function verdict(m) m.method = 'BYE'; return 'drop' end\n", NULL);
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(counters("l").lua_errors, 1);
}

static void lua_endless_loop_hits_instruction_limit(void **state)
{
    (void)state;
    tr_log_set_level(TR_LOG_ERROR);
    load_lua("function verdict(m) while true do end end\n", ", max_instructions: 10000");
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(counters("l").lua_errors, 2);
}

static void lua_memory_cap_is_an_error_not_a_crash(void **state)
{
    (void)state;
    tr_log_set_level(TR_LOG_ERROR);
    load_lua("local keep = {}\n"
             "function verdict(m)\n"
             "  for i = 1, 1e7 do keep[#keep + 1] = string.rep('x', 100) .. i end\n"
             "  return 'drop'\n"
             "end\n", ", max_memory_kb: 1024, max_instructions: 1000000000");
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(counters("l").lua_errors, 1);
}

static void lua_has_no_io_or_os(void **state)
{
    (void)state;
    tr_log_set_level(TR_LOG_ERROR);
    load_lua("function verdict(m)\n"
             "  if io or os or require or dofile or loadfile then return 'drop' end\n"
             "  return 'send'\n"
             "end\n", NULL);
    assert_int_equal(eval_sip(INVITE), 1);
    assert_int_equal(counters("l").lua_errors, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(method_matches_only_listed_requests, teardown),
        cmocka_unit_test_teardown(status_code_class_and_range_match_responses, teardown),
        cmocka_unit_test_teardown(type_request_or_response, teardown),
        cmocka_unit_test_teardown(header_exact_prefix_contains_regex, teardown),
        cmocka_unit_test_teardown(header_exact_is_case_sensitive_unless_nocase, teardown),
        cmocka_unit_test_teardown(header_name_matches_compact_form, teardown),
        cmocka_unit_test_teardown(header_exists_and_not, teardown),
        cmocka_unit_test_teardown(header_body_lines_are_not_headers, teardown),
        cmocka_unit_test_teardown(user_agent_regex_nocase_and_server_fallback, teardown),
        cmocka_unit_test_teardown(cidr_source_destination_and_either, teardown),
        cmocka_unit_test(cidr_parse_clears_host_bits_and_rejects_junk),
        cmocka_unit_test_teardown(ports_source_destination_and_either, teardown),
        cmocka_unit_test_teardown(direction_uses_local_networks, teardown),
        cmocka_unit_test_teardown(input_matches_the_packets_input, teardown),
        cmocka_unit_test_teardown(size_min_and_max, teardown),
        cmocka_unit_test_teardown(protocol_selects_event_kinds, teardown),
        cmocka_unit_test_teardown(sip_conditions_fail_on_events_without_sip, teardown),
        cmocka_unit_test_teardown(malformed_and_has_sdp, teardown),
        cmocka_unit_test_teardown(first_match_decides, teardown),
        cmocka_unit_test_teardown(continue_unions_sends_and_tags, teardown),
        cmocka_unit_test_teardown(continue_sends_stand_when_nothing_else_matches, teardown),
        cmocka_unit_test_teardown(drop_discards_sends_of_earlier_rules, teardown),
        cmocka_unit_test_teardown(default_drop_or_send_all, teardown),
        cmocka_unit_test_teardown(sample_passes_one_in_n, teardown),
        cmocka_unit_test_teardown(rate_limits_on_capture_time, teardown),
        cmocka_unit_test_teardown(rate_burst_sets_bucket_depth, teardown),
        cmocka_unit_test_teardown(log_counts_and_limits_to_ten_a_second, teardown),
        cmocka_unit_test_teardown(tags_from_rule, teardown),
        cmocka_unit_test_teardown(evaluation_does_not_allocate, teardown),
        cmocka_unit_test_teardown(regex_precheck_agrees_with_regexec, teardown),
        cmocka_unit_test(regex_precheck_finds_alternatives),
        cmocka_unit_test_teardown(lua_verdicts_send_drop_continue_default, teardown),
        cmocka_unit_test_teardown(lua_sees_fields_headers_and_returns_tags, teardown),
        cmocka_unit_test_teardown(lua_runtime_error_counts_and_falls_back, teardown),
        cmocka_unit_test_teardown(lua_bad_return_is_an_error, teardown),
        cmocka_unit_test_teardown(lua_message_is_read_only, teardown),
        cmocka_unit_test_teardown(lua_endless_loop_hits_instruction_limit, teardown),
        cmocka_unit_test_teardown(lua_memory_cap_is_an_error_not_a_crash, teardown),
        cmocka_unit_test_teardown(lua_has_no_io_or_os, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (lua_path[0])
        unlink(lua_path);
    return rc;
}
