/* test_config.c - the YAML configuration loader (src/config): the example
 * config loads, every key lands in the engine configuration the CLI would
 * build, and every class of error is refused with "FILE:LINE: KEY:
 * expected ..., got ..." (the whole message is compared). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

/* Loads text that must fail; compares the whole message. */
static void expect_error(const char *yaml, const char *want)
{
    struct tr_err err = { 0 };
    struct tr_config *c = tr_config_load_string("t.yaml", yaml, strlen(yaml), &err);
    if (c) {
        tr_config_free(c);
        fail_msg("loaded, expected the error: %s", want);
    }
    assert_int_equal(err.code, -TR_E_CONFIG);
    assert_string_equal(err.msg, want);
}

static struct tr_config *expect_ok(const char *yaml)
{
    struct tr_err err = { 0 };
    struct tr_config *c = tr_config_load_string("t.yaml", yaml, strlen(yaml), &err);
    if (!c)
        fail_msg("expected to load: %s", err.msg);
    return c;
}

/* One test per error class: config_error_<class>. */
#define ERR_CASE(name, yaml, msg)                                                                  \
    static void config_error_##name(void **state)                                                  \
    {                                                                                              \
        (void)state;                                                                               \
        expect_error(yaml, msg);                                                                   \
    }

ERR_CASE(yaml_syntax,
         "inputs:\n  a: { kind: file, path: x\n",
         "t.yaml:3: yaml: expected valid YAML, got did not find expected ',' or '}' while parsing a flow mapping")
ERR_CASE(yaml_alias,
         "inputs:\n  a: &x { kind: file, path: x }\n  b: *x\n",
         "t.yaml:3: yaml: expected plain YAML, got an alias (*anchor references are not supported)")
ERR_CASE(yaml_two_documents,
         "inputs:\n  a: { kind: file, path: x }\n---\ninputs: {}\n",
         "t.yaml:4: yaml: expected one document, got a second")
ERR_CASE(empty_document,
         "",
         "t.yaml:1: (top): expected a mapping with inputs:, got an empty document")
ERR_CASE(top_not_a_mapping,
         "- a\n- b\n",
         "t.yaml:1: (top): expected a mapping, got a list")
ERR_CASE(unknown_top_key,
         "inputs:\n  a: { kind: file, path: x }\noutptus: {}\n",
         "t.yaml:3: outptus: expected one of inputs, outputs, rules, rules_default, local_networks, sip, decap, ip_reassembly, tcp, calls, media, drain_timeout_ms, control, got an unknown key")
ERR_CASE(unknown_nested_key,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: json, path: \"-\", payloud: true }\n",
         "t.yaml:4: outputs.o.payloud: expected one of kind, path, payload, got an unknown key")
ERR_CASE(duplicate_top_key,
         "inputs:\n  a: { kind: file, path: x }\ninputs:\n  b: { kind: file, path: y }\n",
         "t.yaml:3: inputs: expected each key once, got a duplicate (first at line 1)")
ERR_CASE(duplicate_input_name,
         "inputs:\n  a: { kind: file, path: x }\n  a: { kind: file, path: y }\n",
         "t.yaml:3: inputs.a: expected each input name once, got a duplicate (first at line 2)")
ERR_CASE(inputs_missing,
         "outputs:\n  o: { kind: json, path: \"-\" }\n",
         "t.yaml:1: inputs: expected a mapping of named inputs, got nothing (required)")
ERR_CASE(input_kind_missing,
         "inputs:\n  a: { path: x }\n",
         "t.yaml:2: inputs.a.kind: expected file, iface, hep or hepipe, got nothing (kind is required)")
ERR_CASE(input_kind_unknown,
         "inputs:\n  a: { kind: pcapng, path: x }\n",
         "t.yaml:2: inputs.a.kind: expected file, iface, hep or hepipe, got \"pcapng\"")
ERR_CASE(input_source_missing,
         "inputs:\n  a: { kind: iface, filter: udp }\n",
         "t.yaml:2: inputs.a.interface: expected a value (required for kind iface), got nothing")
ERR_CASE(input_key_of_other_kind,
         "inputs:\n  a: { kind: file, path: x, interface: eth0 }\n",
         "t.yaml:2: inputs.a.interface: expected one of kind, path, filter, got an unknown key")
ERR_CASE(input_bad_name,
         "inputs:\n  \"a b\": { kind: file, path: x }\n",
         "t.yaml:2: inputs: expected an input name of 1-63 letters, digits, _ - ., got \"a b\"")
ERR_CASE(snaplen_out_of_range,
         "inputs:\n  a: { kind: iface, interface: eth0, snaplen: 10 }\n",
         "t.yaml:2: inputs.a.snaplen: expected an integer 64..262144, got \"10\"")
ERR_CASE(promisc_not_bool,
         "inputs:\n  a: { kind: iface, interface: eth0, promisc: yes }\n",
         "t.yaml:2: inputs.a.promisc: expected true or false, got \"yes\"")
ERR_CASE(hep_listen_bad,
         "inputs:\n  a: { kind: hep, listen: \"9060\" }\n",
         "t.yaml:2: inputs.a.listen: expected udp:[HOST:]PORT or tcp:[HOST:]PORT, got \"9060\"")
ERR_CASE(stdin_twice,
         "inputs:\n  a: { kind: file, path: \"-\" }\n  b: { kind: file, path: \"-\" }\n",
         "t.yaml:3: inputs.b.path: expected standard input (-) used by one input only, got \"-\"")
ERR_CASE(output_kind_unknown,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: xml, path: x }\n",
         "t.yaml:4: outputs.o.kind: expected hep, json, csv, mirror, dump or flowmeta, got \"xml\"")
ERR_CASE(hep_target_bad,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: hep, target: \"127.0.0.1:9060\" }\n",
         "t.yaml:4: outputs.o.target: expected udp:HOST:PORT or tcp:HOST:PORT, got \"127.0.0.1:9060\"")
ERR_CASE(capture_id_not_a_number,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: hep, target: \"udp:127.0.0.1:9060\", capture_id: x }\n",
         "t.yaml:4: outputs.o.capture_id: expected an integer 0..4294967295, got \"x\"")
ERR_CASE(capture_id_too_big,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: hep, target: \"udp:127.0.0.1:9060\", capture_id: 4294967296 }\n",
         "t.yaml:4: outputs.o.capture_id: expected an integer 0..4294967295, got \"4294967296\"")
ERR_CASE(wrong_type_map_for_string,
         "inputs:\n  a: { kind: file, path: { x: 1 } }\n",
         "t.yaml:2: inputs.a.path: expected a non-empty string, got a mapping")
ERR_CASE(null_value,
         "inputs:\n  a: { kind: file, path: }\n",
         "t.yaml:2: inputs.a.path: expected a non-empty string, got nothing (null)")
ERR_CASE(rules_not_a_list,
         "inputs:\n  a: { kind: file, path: x }\nrules: { a: 1 }\n",
         "t.yaml:3: rules: expected a list of rules, got a mapping")
ERR_CASE(rule_action_missing,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { method: INVITE }\n",
         "t.yaml:4: rules[0].action: expected a mapping (send, drop, log, tag, sample, rate, lua), got nothing (required)")
ERR_CASE(rule_send_unknown_output,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: json, path: \"-\" }\nrules:\n  - action: { send: [p] }\n",
         "t.yaml:6: rules[0].action.send: expected the name of an output under outputs:, got \"p\"")
ERR_CASE(rule_input_unknown,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { input: b }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.input: expected the name of an input under inputs:, got \"b\"")
ERR_CASE(rule_bad_cidr,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { src: 10.0.0.0/33 }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.src: expected an address or CIDR like 10.0.0.0/8 or 2001:db8::/32, got \"10.0.0.0/33\"")
ERR_CASE(rule_bad_status,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { status: 7xx }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.status: expected a status 100..699, a class like 4xx, or a range like 500-599, got \"7xx\"")
ERR_CASE(rule_bad_port,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { dport: 70000 }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.dport: expected a port 0..65535 or a range like 5060-5070, got \"70000\"")
ERR_CASE(rule_bad_regex,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { header: { X-A: { regex: \"a(b\" } } }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.header.X-A: expected a POSIX extended regex, got \"a(b\" (Unmatched ( or \\()")
ERR_CASE(rule_regex_stacked_quantifiers,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { user_agent: { regex: \"a++\" } }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.user_agent: expected a POSIX extended regex of bounded size, got one with a quantifier right after another")
ERR_CASE(rule_regex_repeat_blowup,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { user_agent: { regex: \"((a{100}){100}){100}\" } }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.user_agent: expected a POSIX extended regex of bounded size, got one with {m,n} repeat counts multiplying past 10000")
ERR_CASE(rule_two_value_ops,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { user_agent: { prefix: a, regex: b } }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.user_agent.regex: expected only one of exact, prefix, contains, regex, exists, got prefix and regex")
ERR_CASE(rule_bad_protocol,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { protocol: [sip, rtp] }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.protocol: expected sip, rtcp, vq, rtp_stats, hep or log, got \"rtp\"")
ERR_CASE(rule_bad_method,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { method: \"IN VITE\" }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.method: expected a SIP method token like INVITE, got \"IN VITE\"")
ERR_CASE(rule_send_and_drop,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  o: { kind: json, path: \"-\" }\nrules:\n  - action: { send: o, drop: true }\n",
         "t.yaml:6: rules[0].action.drop: expected either send or drop, got both")
ERR_CASE(rule_duplicate_name,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - { name: r, action: { drop: true } }\n  - { name: r, action: { drop: true } }\n",
         "t.yaml:5: rules[1].name: expected a unique rule name, got \"r\" again (first at line 4)")
ERR_CASE(rule_burst_without_rate,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - action: { burst: 5 }\n",
         "t.yaml:4: rules[0].action.burst: expected rate to be set with burst, got no rate")
ERR_CASE(rule_sample_zero,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - action: { sample: 0 }\n",
         "t.yaml:4: rules[0].action.sample: expected an integer 1..1000000000, got \"0\"")
ERR_CASE(rule_direction_without_local,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { direction: inbound }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.direction: expected local_networks (top level) to be set for direction, got none")
ERR_CASE(rule_size_max_below_min,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - match: { size: { min: 100, max: 10 } }\n    action: { drop: true }\n",
         "t.yaml:4: rules[0].match.size.max: expected at least min (100), got 10")
ERR_CASE(rule_lua_script_missing,
         "inputs:\n  a: { kind: file, path: x }\nrules:\n  - action: { lua: { script: /nonexistent/x.lua } }\n",
         "t.yaml:4: rules[0].action.lua: expected a Lua script that loads and defines its function, got: rule rule1: lua script /nonexistent/x.lua: cannot open /nonexistent/x.lua: No such file or directory")
ERR_CASE(rules_default_without_rules,
         "inputs:\n  a: { kind: file, path: x }\nrules_default: send_all\n",
         "t.yaml:3: rules_default: expected rules: to be present, got no rules")
ERR_CASE(rules_default_bad,
         "inputs:\n  a: { kind: file, path: x }\nrules: []\nrules_default: keep\n",
         "t.yaml:4: rules_default: expected drop or send_all, got \"keep\"")
ERR_CASE(sip_ports_bad,
         "inputs:\n  a: { kind: file, path: x }\nsip: { ports: [5060, \"0-10\"] }\n",
         "t.yaml:3: sip.ports: expected a port 1..65535 or a range like 5080-5090, got \"0-10\"")
ERR_CASE(tcp_idle_out_of_range,
         "inputs:\n  a: { kind: file, path: x }\ntcp: { idle: 0 }\n",
         "t.yaml:3: tcp.idle: expected an integer 1..86400, got \"0\"")
ERR_CASE(media_unknown_key,
         "inputs:\n  a: { kind: file, path: x }\nmedia: { rtcp: true, rtp: false }\n",
         "t.yaml:3: media.rtp: expected one of rtcp, rtcp_tracked_only, rtp_stats, rtp_report_interval, got an unknown key")
ERR_CASE(decap_bad,
         "inputs:\n  a: { kind: file, path: x }\ndecap: { off: [gre, ppp] }\n",
         "t.yaml:3: decap.off: expected ipip, gre, erspan, vxlan, geneve or all, got \"ppp\"")
ERR_CASE(control_http_bad,
         "inputs:\n  a: { kind: file, path: x }\ncontrol: { http: \"localhost\" }\n",
         "t.yaml:3: control.http: expected HOST:PORT like 127.0.0.1:8080 or [::1]:8080, got \"localhost\"")
ERR_CASE(drain_negative,
         "inputs:\n  a: { kind: file, path: x }\ndrain_timeout_ms: -1\n",
         "t.yaml:3: drain_timeout_ms: expected an integer 0..3600000, got \"-1\"")
ERR_CASE(deep_nesting,
         "inputs: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
         "t.yaml:1: yaml: expected nesting of at most 32, got deeper")

/* Packet outputs (mirror, dump, flowmeta) and the iface keys netns, retry. */
ERR_CASE(input_netns_on_a_file,
         "inputs:\n  a: { kind: file, path: x, netns: n }\n",
         "t.yaml:2: inputs.a.netns: expected one of kind, path, filter, got an unknown key")
ERR_CASE(input_retry_out_of_range,
         "inputs:\n  a: { kind: iface, interface: lo, retry: 0 }\n",
         "t.yaml:2: inputs.a.retry: expected an integer 1..3600, got \"0\"")
ERR_CASE(input_netns_empty,
         "inputs:\n  a: { kind: iface, interface: lo, netns: \"\" }\n",
         "t.yaml:2: inputs.a.netns: expected a non-empty string, got \"\"")
ERR_CASE(mirror_target_missing,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, slice: 100 }\n",
         "t.yaml:4: outputs.m.target: expected a value (required for kind mirror), got nothing")
ERR_CASE(mirror_slice_out_of_range,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\", slice: 13 }\n",
         "t.yaml:4: outputs.m.slice: expected an integer 14..65535, got \"13\"")
ERR_CASE(mirror_mbps_zero,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\", mbps: 0 }\n",
         "t.yaml:4: outputs.m.mbps: expected Mbit/s > 0 and <= 100000 like 100 or 2.5, got \"0\"")
ERR_CASE(mirror_mbps_exponent,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\", mbps: 1e3 }\n",
         "t.yaml:4: outputs.m.mbps: expected Mbit/s > 0 and <= 100000 like 100 or 2.5, got \"1e3\"")
ERR_CASE(mirror_direction_bad,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\", direction: sideways }\n",
         "t.yaml:4: outputs.m.direction: expected none, auto, host_ADDR or nic.IFACE, got \"sideways\"")
ERR_CASE(mirror_direction_host_not_an_address,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\", direction: host_x }\n",
         "t.yaml:4: outputs.m.direction: expected none, auto, host_ADDR or nic.IFACE, got \"host_x\"")
ERR_CASE(mirror_direction_auto_across_netns,
         "inputs:\n  a: { kind: iface, interface: lo, netns: n1 }\n  b: { kind: iface, interface: lo, netns: n2 }\n"
         "outputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\", direction: auto }\n",
         "t.yaml:5: outputs.m.direction: expected every iface input in one netns for direction auto, got inputs.a and inputs.b in different ones")
ERR_CASE(mirror_key_of_dump,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\", files: 3 }\n",
         "t.yaml:4: outputs.m.files: expected one of kind, target, direction, slice, mbps, got an unknown key")
ERR_CASE(dump_path_missing,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  d: { kind: dump, files: 3 }\n",
         "t.yaml:4: outputs.d.path: expected a value (required for kind dump), got nothing")
ERR_CASE(dump_interval_out_of_range,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  d: { kind: dump, path: /tmp, interval: 0 }\n",
         "t.yaml:4: outputs.d.interval: expected an integer 1..31622400, got \"0\"")
ERR_CASE(dump_size_out_of_range,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  d: { kind: dump, path: /tmp, size_mb: 1048577 }\n",
         "t.yaml:4: outputs.d.size_mb: expected an integer 1..1048576, got \"1048577\"")
ERR_CASE(dump_files_out_of_range,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  d: { kind: dump, path: /tmp, files: 100001 }\n",
         "t.yaml:4: outputs.d.files: expected an integer 1..100000, got \"100001\"")
ERR_CASE(dump_format_bad,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  d: { kind: dump, path: /tmp, format: pcapx }\n",
         "t.yaml:4: outputs.d.format: expected pcap or pcapng, got \"pcapx\"")
ERR_CASE(dump_key_of_mirror,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  d: { kind: dump, path: /tmp, mbps: 5 }\n",
         "t.yaml:4: outputs.d.mbps: expected one of kind, path, interval, size_mb, files, format, slice, got an unknown key")
ERR_CASE(flowmeta_nothing_to_serve,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  fm: { kind: flowmeta, ttl: 2 }\n",
         "t.yaml:4: outputs.fm: expected at least one of listen, lines, multicast, got none")
ERR_CASE(flowmeta_log_without_listen,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  fm: { kind: flowmeta, lines: /dev/null, log: /tmp/fm.log }\n",
         "t.yaml:4: outputs.fm.log: expected listen: too (the log is written while clients are connected), got no listen")
ERR_CASE(flowmeta_ttl_out_of_range,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  fm: { kind: flowmeta, multicast: \"239.1.1.1:7074\", ttl: 256 }\n",
         "t.yaml:4: outputs.fm.ttl: expected an integer 1..255, got \"256\"")
ERR_CASE(flowmeta_client_buf_too_small,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  fm: { kind: flowmeta, listen: \"7073\", client_buf: 27 }\n",
         "t.yaml:4: outputs.fm.client_buf: expected an integer 28..1073741824, got \"27\"")
ERR_CASE(flowmeta_max_clients_out_of_range,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  fm: { kind: flowmeta, listen: \"7073\", max_clients: 65537 }\n",
         "t.yaml:4: outputs.fm.max_clients: expected an integer 1..65536, got \"65537\"")
ERR_CASE(flowmeta_host_records_not_bool,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  fm: { kind: flowmeta, listen: \"7073\", host_records: no }\n",
         "t.yaml:4: outputs.fm.host_records: expected true or false, got \"no\"")
ERR_CASE(flowmeta_mode_bad,
         "inputs:\n  a: { kind: iface, interface: lo }\noutputs:\n  fm: { kind: flowmeta, lines: /dev/null, mode: both }\n",
         "t.yaml:4: outputs.fm.mode: expected src, dst or spoof, got \"both\"")
ERR_CASE(flowmeta_mode_without_iface_input,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  fm: { kind: flowmeta, lines: /dev/null, mode: src }\n",
         "t.yaml:4: outputs.fm.mode: expected an iface input (the mode is built from its MAC and addresses), got none")
ERR_CASE(flowmeta_mode_interface_unknown,
         "inputs:\n  a: { kind: iface, interface: nosuch0 }\noutputs:\n  fm: { kind: flowmeta, lines: /dev/null, mode: dst }\n",
         "t.yaml:4: outputs.fm.mode: expected a mode for inputs.a, got: flowmeta mode dst: nosuch0 has no Ethernet address")
ERR_CASE(flowmeta_mode_on_two_outputs,
         "inputs:\n  a: { kind: iface, interface: lo }\noutputs:\n  f1: { kind: flowmeta, lines: /dev/null, mode: src }\n"
         "  f2: { kind: flowmeta, listen: \"7073\", mode: dst }\n",
         "t.yaml:5: outputs.f2.mode: expected mode on one flowmeta output only, got a second (first at line 4)")
ERR_CASE(flowmeta_lines_stdout_twice,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  j: { kind: json, path: \"-\" }\n  fm: { kind: flowmeta, lines: \"-\" }\n",
         "t.yaml:5: outputs.fm.lines: expected standard output (-) used by one output only, got \"-\"")
ERR_CASE(rule_send_to_packet_output,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  j: { kind: json, path: /dev/null }\n  d: { kind: dump, path: /tmp }\n"
         "rules:\n  - { action: { send: [j, d] } }\n",
         "t.yaml:7: rules[0].action.send: expected a message output (hep, json, csv), got \"d\", a dump output: packet outputs get every frame, rules do not apply to them")

ERR_CASE(mirror_target_bad,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"udp:1.2.3.4\" }\n",
         "t.yaml:4: outputs.m.target: expected a mirror spec (docs/mirror.md), got \"udp:1.2.3.4\": expected gre:HOST[:KEY], vxlan:HOST[:PORT[:VNI]] or zmq:tcp://HOST:PORT")
ERR_CASE(mirror_target_option_bad,
         "inputs:\n  a: { kind: file, path: x }\noutputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1,slice=5\" }\n",
         "t.yaml:4: outputs.m.target: expected a mirror spec (docs/mirror.md), got \"gre:127.0.0.1,slice=5\": slice must be 14..65535")
/* The repository root, from this file's path (tests/unit/test_config.c). */
static const char *repo_file(const char *rel)
{
    static char buf[4096];
    const char *me = __FILE__;
    const char *cut = strstr(me, "tests/unit/test_config.c");
    assert_non_null(cut);
    snprintf(buf, sizeof(buf), "%.*s%s", (int)(cut - me), me, rel);
    return buf;
}

static void example_config_loads(void **state)
{
    (void)state;
    struct tr_err err = { 0 };
    struct tr_config *c = tr_config_load_file(repo_file("etc/trawl.yaml"), &err);
    if (!c)
        fail_msg("etc/trawl.yaml: %s", err.msg);
    const struct tr_engine_conf *e = tr_config_engine(c);
    assert_int_equal(e->n_inputs, 2);
    assert_string_equal(e->inputs[0].name, "lan");
    assert_int_equal(e->inputs[0].kind, TR_INPUT_LIVE);
    assert_string_equal(e->inputs[0].source, "eth0");
    assert_int_equal(e->n_outputs, 3);
    assert_string_equal(e->outputs[2].kind, "csv");
    assert_non_null(e->rules);
    assert_int_equal(e->rules->n_rules, 7);
    assert_string_equal(e->rules->rules[5].name, "core-errors");
    assert_non_null(strstr(e->rules->rules[5].a.lua_script, "etc/verdict.lua"));
    assert_string_equal(e->http_listen, "127.0.0.1:8080");
    tr_config_free(c);
}

static void every_knob_reaches_the_engine_conf(void **state)
{
    (void)state;
    struct tr_config *c = expect_ok(
        "inputs:\n"
        "  f: { kind: file, path: a.pcap, filter: \"udp\" }\n"
        "  i: { kind: iface, interface: lo, snaplen: 1500, promisc: false, buffer_mb: 8 }\n"
        "  h: { kind: hep, listen: \"tcp:127.0.0.1:9061\", auth_key: k, max_conns: 3 }\n"
        "  p: { kind: hepipe, path: /tmp/fifo }\n"
        "outputs:\n"
        "  o: { kind: hep, target: \"tcp:127.0.0.1:9060\", capture_id: 7, auth_key: s,\n"
        "       node_name: n, queue_bytes: 131072, restamp: true }\n"
        "  j: { kind: json, path: \"-\", payload: true }\n"
        "sip: { ports: [5060, \"5080-5082\"], ports_only: true, drop_malformed: true }\n"
        "decap: { off: [gre, vxlan], vxlan_ports: [4789, 8472], geneve_ports: 6081 }\n"
        "ip_reassembly: { max_datagrams: 10, max_bytes: 65536, timeout: 3 }\n"
        "tcp: { max_flows: 11, max_bytes: 65536, stream_bytes: 4096, idle: 4 }\n"
        "calls: { max_calls: 12, idle: 5, nat_learning: false }\n"
        "media: { rtcp: false, rtcp_tracked_only: true, rtp_stats: false, rtp_report_interval: 6 }\n"
        "drain_timeout_ms: 0\n"
        "control: { http: \"[::1]:8081\", token: tok }\n");
    const struct tr_engine_conf *e = tr_config_engine(c);
    assert_null(e->rules); /* no rules: section: every message to every output */
    assert_int_equal(e->n_inputs, 4);
    assert_string_equal(e->inputs[0].filter, "udp");
    assert_int_equal(e->inputs[1].snaplen, 1500);
    assert_false(e->inputs[1].promisc);
    assert_int_equal(e->inputs[1].buffer_mb, 8);
    assert_string_equal(e->inputs[2].hep_key, "k");
    assert_int_equal(e->inputs[2].hep_max_conns, 3);
    assert_int_equal(e->inputs[3].kind, TR_INPUT_HEPIPE);
    assert_int_equal(e->outputs[0].capture_id, 7);
    assert_string_equal(e->outputs[0].auth_key, "s");
    assert_string_equal(e->outputs[0].node_name, "n");
    assert_int_equal(e->outputs[0].carrier.queue_bytes, 131072);
    assert_int_equal(e->outputs[0].carrier.full_wait_ms, 0); /* live inputs: never wait */
    assert_true(e->outputs[0].hep_restamp);
    assert_true(e->outputs[1].json_payload);
    assert_true(e->sip_ports[5060 >> 3] & (1u << (5060 & 7)));
    assert_true(e->sip_ports[5081 >> 3] & (1u << (5081 & 7)));
    assert_false(e->sip_ports[5061 >> 3] & (1u << (5061 & 7))); /* the list replaces the default */
    assert_true(e->sip_ports_only);
    assert_true(e->drop_malformed);
    assert_int_not_equal(e->decode.decap_off, 0);
    assert_int_equal(e->decode.n_vxlan_ports, 2);
    assert_int_equal(e->decode.vxlan_ports[1], 8472);
    assert_int_equal(e->decode.n_geneve_ports, 1);
    assert_int_equal(e->defrag.max_datagrams, 10);
    assert_int_equal(e->defrag.timeout_ns, 3000000000ull);
    assert_int_equal(e->tcp.max_flows, 11);
    assert_int_equal(e->tcp.max_stream_bytes, 4096);
    assert_int_equal(e->tcp.idle_ns, 4000000000ull);
    assert_int_equal(e->calls.max_calls, 12);
    assert_int_equal(e->calls.idle_ns, 5000000000ull);
    assert_true(e->calls.no_learn);
    assert_true(e->no_rtcp);
    assert_true(e->rtcp_tracked_only);
    assert_true(e->no_rtp_stats);
    assert_int_equal(e->rtp.report_interval_ns, 6000000000ull);
    assert_int_equal(e->drain_ms, 0);
    assert_string_equal(e->http_listen, "[::1]:8081");
    assert_string_equal(e->http_token, "tok");
    tr_config_free(c);
}

static void defaults_match_the_cli(void **state)
{
    (void)state;
    struct tr_config *c = expect_ok("inputs:\n  f: { kind: file, path: a.pcap }\n"
                                    "outputs:\n  o: { kind: hep, target: \"udp:127.0.0.1:9060\" }\n");
    const struct tr_engine_conf *e = tr_config_engine(c);
    assert_int_equal(e->outputs[0].capture_id, 2001);
    assert_int_equal(e->outputs[0].carrier.full_wait_ms, 1000); /* files only: wait, never drop */
    assert_true(e->inputs[0].promisc);
    assert_true(e->sip_ports[5061 >> 3] & (1u << (5061 & 7)));
    assert_int_equal(e->drain_ms, 5000);
    assert_null(e->http_listen);
    tr_config_free(c);
}

static void rules_resolve_names_to_indexes(void **state)
{
    (void)state;
    struct tr_config *c = expect_ok("inputs:\n  a: { kind: file, path: a.pcap }\n"
                                    "  b: { kind: file, path: b.pcap }\n"
                                    "outputs:\n  x: { kind: json, path: /dev/null }\n"
                                    "  y: { kind: csv, path: /dev/null }\n"
                                    "rules:\n  - { match: { input: [b] }, action: { send: [y, x] } }\n"
                                    "  - { name: second, action: { drop: true } }\n");
    const struct tr_rules *r = tr_config_engine(c)->rules;
    assert_int_equal(r->n_rules, 2);
    assert_string_equal(r->rules[0].name, "rule1");
    assert_int_equal(r->rules[0].m.inputs, 2);
    assert_int_equal(r->rules[0].a.send, 3);
    assert_int_equal(r->rules[0].line, 8);
    assert_true(r->rules[1].a.drop);
    assert_false(r->default_send_all);
    tr_config_free(c);
}

static void lua_function_missing_is_an_error(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/trawl_test_config_%d.lua", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("function other(m) return 'send' end\n", f);
    fclose(f);
    char yaml[512], want[512];
    snprintf(yaml, sizeof(yaml),
             "inputs:\n  a: { kind: file, path: x }\nrules:\n"
             "  - { name: l, action: { lua: { script: \"%s\" } } }\n", path);
    snprintf(want, sizeof(want),
             "t.yaml:4: rules[0].action.lua: expected a Lua script that loads and defines its "
             "function, got: rule l: lua script %s: expected a function 'verdict', got nil", path);
    expect_error(yaml, want);
    /* ... and a syntax error in the script */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("function verdict(m) return end end\n", f);
    fclose(f);
    struct tr_err err = { 0 };
    assert_null(tr_config_load_string("t.yaml", yaml, strlen(yaml), &err));
    assert_non_null(strstr(err.msg, "t.yaml:4: rules[0].action.lua: expected a Lua script"));
    unlink(path);
}

static void lua_script_path_is_relative_to_the_config_file(void **state)
{
    (void)state;
    char dir[64], yaml_path[96], lua_path[96];
    snprintf(dir, sizeof(dir), "/tmp/trawl_test_config_dir_%d", (int)getpid());
    snprintf(yaml_path, sizeof(yaml_path), "%s/c.yaml", dir);
    snprintf(lua_path, sizeof(lua_path), "%s/v.lua", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    FILE *f = fopen(lua_path, "w");
    assert_non_null(f);
    fputs("function verdict(m) return 'send' end\n", f);
    fclose(f);
    f = fopen(yaml_path, "w");
    assert_non_null(f);
    fputs("inputs:\n  a: { kind: file, path: x }\nrules:\n  - action: { lua: { script: v.lua } }\n", f);
    fclose(f);
    struct tr_err err = { 0 };
    struct tr_config *c = tr_config_load_file(yaml_path, &err);
    if (!c)
        fail_msg("%s", err.msg);
    assert_string_equal(tr_config_engine(c)->rules->rules[0].a.lua_script, lua_path);
    tr_config_free(c);
    unlink(lua_path);
    unlink(yaml_path);
    rmdir(dir);
}

static void missing_file_is_an_io_error_naming_it(void **state)
{
    (void)state;
    struct tr_err err = { 0 };
    assert_null(tr_config_load_file("/nonexistent/trawl.yaml", &err));
    assert_int_equal(err.code, -TR_E_IO);
    assert_string_equal(err.msg, "/nonexistent/trawl.yaml: cannot open: No such file or directory");
}

static void errors_in_a_file_name_the_file(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/trawl_test_config_%d.yaml", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# comment\ninputs:\n  a: { kind: file, path: x }\nsip:\n  ports_only: maybe\n", f);
    fclose(f);
    struct tr_err err = { 0 };
    assert_null(tr_config_load_file(path, &err));
    char want[256];
    snprintf(want, sizeof(want), "%s:5: sip.ports_only: expected true or false, got \"maybe\"",
             path);
    assert_string_equal(err.msg, want);
    unlink(path);
}

static void a_long_error_value_is_cut(void **state)
{
    (void)state;
    expect_error("inputs:\n  a: { kind: iface, interface: x, snaplen: "
                 "1234567890123456789012345678901234567890123456789 }\n",
                 "t.yaml:2: inputs.a.snaplen: expected an integer 64..262144, got "
                 "\"1234567890123456789012345678901234567890...\"");
}

/* Every key of the packet outputs lands where the CLI's options put it
 * (main.c: --mirror*, --slice, --mbps, --dump*, --flowmeta*, --netns,
 * --iface-retry), and the mirror learns each iface input's interface by
 * input id, as --mirror-dir auto does from -i. */
static void packet_outputs_reach_the_engine_conf(void **state)
{
    (void)state;
    struct tr_config *c = expect_ok(
        "inputs:\n"
        "  f: { kind: file, path: a.pcap }\n"
        "  i: { kind: iface, interface: lo, netns: /run/netns/cap, retry: 5 }\n"
        "  j: { kind: iface, interface: eth9, netns: /run/netns/cap }\n"
        "outputs:\n"
        "  m: { kind: mirror, target: \"vxlan:127.0.0.1:4789:7,key=9\", direction: auto,\n"
        "       slice: 128, mbps: 2.5 }\n"
        "  d: { kind: dump, path: /tmp, interval: 60, size_mb: 10, files: 3, format: pcapng,\n"
        "       slice: 64 }\n"
        "  fm: { kind: flowmeta, listen: \"127.0.0.1:7073\", log: /tmp/fm.log, lines: \"-\",\n"
        "        multicast: \"239.1.1.1:7074\", ttl: 2, first_frag: true, mgen_dst: true,\n"
        "        client_buf: 4096, max_clients: 5, host_records: false }\n");
    const struct tr_engine_conf *e = tr_config_engine(c);
    assert_string_equal(e->inputs[1].netns, "/run/netns/cap");
    assert_int_equal(e->inputs[1].retry_s, 5);
    assert_int_equal(e->inputs[2].retry_s, 0); /* 0: the input's default (2 s) */
    assert_null(e->inputs[0].netns);
    assert_int_equal(e->n_outputs, 3);
    const struct tr_output_conf *m = &e->outputs[0], *d = &e->outputs[1], *fm = &e->outputs[2];
    assert_string_equal(m->kind, "mirror");
    assert_string_equal(m->name, "m");
    assert_string_equal(m->target, "vxlan:127.0.0.1:4789:7,key=9");
    assert_string_equal(m->mirror.dir, "auto");
    assert_int_equal(m->mirror.slice, 128);
    assert_true(m->mirror.mbps == 2.5);
    assert_null(m->mirror.ifaces[0]); /* a file: no interface */
    assert_string_equal(m->mirror.ifaces[1], "lo");
    assert_string_equal(m->mirror.ifaces[2], "eth9");
    assert_string_equal(m->mirror.netns, "/run/netns/cap");
    assert_int_equal(m->carrier.full_wait_ms, 0); /* live inputs: never wait */
    assert_string_equal(d->kind, "dump");
    assert_string_equal(d->target, "/tmp");
    assert_int_equal(d->mirror.dump_interval_s, 60);
    assert_int_equal(d->mirror.dump_size, 10ull << 20);
    assert_int_equal(d->mirror.dump_files, 3);
    assert_true(d->mirror.dump_pcapng);
    assert_int_equal(d->mirror.slice, 64);
    assert_string_equal(fm->kind, "flowmeta");
    assert_null(fm->target);
    assert_string_equal(fm->flowmeta.listen, "127.0.0.1:7073");
    assert_string_equal(fm->flowmeta.log_path, "/tmp/fm.log");
    assert_string_equal(fm->flowmeta.lines_path, "-");
    assert_string_equal(fm->flowmeta.multicast, "239.1.1.1:7074");
    assert_int_equal(fm->flowmeta.mcast_ttl, 2);
    assert_true(fm->flowmeta.first_frag);
    assert_true(fm->flowmeta.mgen_dst);
    assert_int_equal(fm->flowmeta.client_buf, 4096);
    assert_int_equal(fm->flowmeta.max_clients, 5);
    assert_true(fm->flowmeta.no_host);
    tr_config_free(c);
}

/* Without their optional keys, packet outputs have the CLI's defaults. */
static void packet_output_defaults_match_the_cli(void **state)
{
    (void)state;
    struct tr_config *c = expect_ok("inputs:\n  f: { kind: file, path: a.pcap }\n"
                                    "outputs:\n  m: { kind: mirror, target: \"gre:127.0.0.1\" }\n"
                                    "  d: { kind: dump, path: /tmp }\n"
                                    "  fm: { kind: flowmeta, lines: /dev/null }\n");
    const struct tr_engine_conf *e = tr_config_engine(c);
    assert_null(e->outputs[0].mirror.dir);
    assert_int_equal(e->outputs[0].mirror.slice, 0);
    assert_true(e->outputs[0].mirror.mbps == 0);
    assert_null(e->outputs[0].mirror.netns);
    assert_int_equal(e->outputs[1].mirror.dump_interval_s, 0);
    assert_int_equal(e->outputs[1].mirror.dump_size, 0);
    assert_int_equal(e->outputs[1].mirror.dump_files, 0);
    assert_false(e->outputs[1].mirror.dump_pcapng);
    assert_false(e->outputs[2].flowmeta.no_host);
    assert_false(e->outputs[2].flowmeta.first_frag);
    assert_null(e->outputs[2].flowmeta.listen);
    assert_int_equal(e->outputs[2].flowmeta.mcast_ttl, 0);
    assert_int_equal(e->outputs[2].carrier.full_wait_ms, 1000);
    tr_config_free(c);
}

/* mode: each iface input's filter becomes exactly what --flowmeta-mode
 * builds from -i and -f (tr_flowmeta_mode_filter); files keep theirs. */
static void flowmeta_mode_sets_each_iface_filter_as_the_cli(void **state)
{
    (void)state;
    struct tr_config *c = expect_ok("inputs:\n  i: { kind: iface, interface: lo, filter: udp }\n"
                                    "  f: { kind: file, path: a.pcap, filter: tcp }\n"
                                    "outputs:\n  fm: { kind: flowmeta, lines: /dev/null, mode: dst }\n");
    char want[4096];
    struct tr_err err = { 0 };
    assert_int_equal(tr_flowmeta_mode_filter("dst", "lo", "udp", want, sizeof(want), &err), TR_OK);
    const struct tr_engine_conf *e = tr_config_engine(c);
    assert_string_equal(e->inputs[0].filter, want);
    assert_non_null(strstr(want, "ether src"));
    assert_string_equal(e->inputs[1].filter, "tcp");
    tr_config_free(c);
}

/* A packet output is routed no message, so it may stand beside rules. */
static void rules_may_sit_beside_packet_outputs(void **state)
{
    (void)state;
    struct tr_config *c = expect_ok("inputs:\n  a: { kind: file, path: a.pcap }\n"
                                    "outputs:\n  d: { kind: dump, path: /tmp }\n"
                                    "  j: { kind: json, path: /dev/null }\n"
                                    "rules:\n  - { action: { send: [j] } }\n");
    assert_int_equal(tr_config_engine(c)->rules->rules[0].a.send, 2);
    tr_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_error_yaml_syntax),
        cmocka_unit_test(config_error_yaml_alias),
        cmocka_unit_test(config_error_yaml_two_documents),
        cmocka_unit_test(config_error_empty_document),
        cmocka_unit_test(config_error_top_not_a_mapping),
        cmocka_unit_test(config_error_unknown_top_key),
        cmocka_unit_test(config_error_unknown_nested_key),
        cmocka_unit_test(config_error_duplicate_top_key),
        cmocka_unit_test(config_error_duplicate_input_name),
        cmocka_unit_test(config_error_inputs_missing),
        cmocka_unit_test(config_error_input_kind_missing),
        cmocka_unit_test(config_error_input_kind_unknown),
        cmocka_unit_test(config_error_input_source_missing),
        cmocka_unit_test(config_error_input_key_of_other_kind),
        cmocka_unit_test(config_error_input_bad_name),
        cmocka_unit_test(config_error_snaplen_out_of_range),
        cmocka_unit_test(config_error_promisc_not_bool),
        cmocka_unit_test(config_error_hep_listen_bad),
        cmocka_unit_test(config_error_stdin_twice),
        cmocka_unit_test(config_error_output_kind_unknown),
        cmocka_unit_test(config_error_hep_target_bad),
        cmocka_unit_test(config_error_capture_id_not_a_number),
        cmocka_unit_test(config_error_capture_id_too_big),
        cmocka_unit_test(config_error_wrong_type_map_for_string),
        cmocka_unit_test(config_error_null_value),
        cmocka_unit_test(config_error_rules_not_a_list),
        cmocka_unit_test(config_error_rule_action_missing),
        cmocka_unit_test(config_error_rule_send_unknown_output),
        cmocka_unit_test(config_error_rule_input_unknown),
        cmocka_unit_test(config_error_rule_bad_cidr),
        cmocka_unit_test(config_error_rule_bad_status),
        cmocka_unit_test(config_error_rule_bad_port),
        cmocka_unit_test(config_error_rule_bad_regex),
        cmocka_unit_test(config_error_rule_regex_stacked_quantifiers),
        cmocka_unit_test(config_error_rule_regex_repeat_blowup),
        cmocka_unit_test(config_error_rule_two_value_ops),
        cmocka_unit_test(config_error_rule_bad_protocol),
        cmocka_unit_test(config_error_rule_bad_method),
        cmocka_unit_test(config_error_rule_send_and_drop),
        cmocka_unit_test(config_error_rule_duplicate_name),
        cmocka_unit_test(config_error_rule_burst_without_rate),
        cmocka_unit_test(config_error_rule_sample_zero),
        cmocka_unit_test(config_error_rule_direction_without_local),
        cmocka_unit_test(config_error_rule_size_max_below_min),
        cmocka_unit_test(config_error_rule_lua_script_missing),
        cmocka_unit_test(config_error_rules_default_without_rules),
        cmocka_unit_test(config_error_rules_default_bad),
        cmocka_unit_test(config_error_sip_ports_bad),
        cmocka_unit_test(config_error_tcp_idle_out_of_range),
        cmocka_unit_test(config_error_media_unknown_key),
        cmocka_unit_test(config_error_decap_bad),
        cmocka_unit_test(config_error_control_http_bad),
        cmocka_unit_test(config_error_drain_negative),
        cmocka_unit_test(config_error_deep_nesting),
        cmocka_unit_test(config_error_mirror_target_bad),
        cmocka_unit_test(config_error_mirror_target_option_bad),
        cmocka_unit_test(config_error_input_netns_on_a_file),
        cmocka_unit_test(config_error_input_retry_out_of_range),
        cmocka_unit_test(config_error_input_netns_empty),
        cmocka_unit_test(config_error_mirror_target_missing),
        cmocka_unit_test(config_error_mirror_slice_out_of_range),
        cmocka_unit_test(config_error_mirror_mbps_zero),
        cmocka_unit_test(config_error_mirror_mbps_exponent),
        cmocka_unit_test(config_error_mirror_direction_bad),
        cmocka_unit_test(config_error_mirror_direction_host_not_an_address),
        cmocka_unit_test(config_error_mirror_direction_auto_across_netns),
        cmocka_unit_test(config_error_mirror_key_of_dump),
        cmocka_unit_test(config_error_dump_path_missing),
        cmocka_unit_test(config_error_dump_interval_out_of_range),
        cmocka_unit_test(config_error_dump_size_out_of_range),
        cmocka_unit_test(config_error_dump_files_out_of_range),
        cmocka_unit_test(config_error_dump_format_bad),
        cmocka_unit_test(config_error_dump_key_of_mirror),
        cmocka_unit_test(config_error_flowmeta_nothing_to_serve),
        cmocka_unit_test(config_error_flowmeta_log_without_listen),
        cmocka_unit_test(config_error_flowmeta_ttl_out_of_range),
        cmocka_unit_test(config_error_flowmeta_client_buf_too_small),
        cmocka_unit_test(config_error_flowmeta_max_clients_out_of_range),
        cmocka_unit_test(config_error_flowmeta_host_records_not_bool),
        cmocka_unit_test(config_error_flowmeta_mode_bad),
        cmocka_unit_test(config_error_flowmeta_mode_without_iface_input),
        cmocka_unit_test(config_error_flowmeta_mode_interface_unknown),
        cmocka_unit_test(config_error_flowmeta_mode_on_two_outputs),
        cmocka_unit_test(config_error_flowmeta_lines_stdout_twice),
        cmocka_unit_test(config_error_rule_send_to_packet_output),
        cmocka_unit_test(example_config_loads),
        cmocka_unit_test(every_knob_reaches_the_engine_conf),
        cmocka_unit_test(defaults_match_the_cli),
        cmocka_unit_test(rules_resolve_names_to_indexes),
        cmocka_unit_test(lua_function_missing_is_an_error),
        cmocka_unit_test(lua_script_path_is_relative_to_the_config_file),
        cmocka_unit_test(missing_file_is_an_io_error_naming_it),
        cmocka_unit_test(errors_in_a_file_name_the_file),
        cmocka_unit_test(a_long_error_value_is_cut),
        cmocka_unit_test(packet_outputs_reach_the_engine_conf),
        cmocka_unit_test(packet_output_defaults_match_the_cli),
        cmocka_unit_test(flowmeta_mode_sets_each_iface_filter_as_the_cli),
        cmocka_unit_test(rules_may_sit_beside_packet_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
