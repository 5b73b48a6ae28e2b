// Decoding the merged configuration object into the typed Config. Types were checked per
// source already (config_schema.cc), so this file only reads values and applies the
// value-level rules: port normalisation, lower-cased datacenter, split address lists, TLS
// interface resolution, and the service/check definitions.
#include <absl/strings/ascii.h>
#include <absl/strings/str_split.h>
#include <boost/json/array.hpp>

#include <cairn/base/duration.h>
#include <cairn/base/status.h>

#include "config_internal.h"
#include "config_schema.h"
#include "str_cat.h"

namespace cairn::agent::internal {
namespace {

using boost::json::object;
using boost::json::value;

// Typed reads of one object; a missing key leaves the target untouched (the default).
class Reader {
 public:
  explicit Reader(const object* o) : o_(o) {}

  const value* Find(std::string_view key) const {
    if (o_ == nullptr) return nullptr;
    auto it = o_->find(key);
    return it == o_->end() ? nullptr : &it->value();
  }
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  Reader Sub(std::string_view key) const {
    const value* v = Find(key);
    return Reader(v != nullptr && v->is_object() ? &v->get_object() : nullptr);
  }
  void Bool(std::string_view key, bool* out) const {
    if (const value* v = Find(key); v != nullptr && v->is_bool()) *out = v->get_bool();
  }
  template <typename T>
  void Int(std::string_view key, T* out) const {
    if (const value* v = Find(key); v != nullptr && v->is_int64()) {
      *out = static_cast<T>(v->get_int64());
    }
  }
  void String(std::string_view key, std::string* out) const {
    if (const value* v = Find(key); v != nullptr && v->is_string()) {
      *out = std::string(v->get_string());
    }
  }
  void Dur(std::string_view key, Duration* out) const {
    if (const value* v = Find(key); v != nullptr && v->is_string()) {
      absl::StatusOr<Duration> d = base::ParseGoDuration(v->get_string());
      if (d.ok()) *out = *d;
    }
  }
  void Strings(std::string_view key, std::vector<std::string>* out) const {
    const value* v = Find(key);
    if (v == nullptr || !v->is_array()) return;
    out->clear();
    for (const value& e : v->get_array()) {
      if (e.is_string()) out->emplace_back(e.get_string());
    }
  }
  void StringMap(std::string_view key, std::map<std::string, std::string>* out) const {
    const value* v = Find(key);
    if (v == nullptr || !v->is_object()) return;
    for (const auto& [k, e] : v->get_object()) {
      if (e.is_string()) (*out)[std::string(k)] = std::string(e.get_string());
    }
  }
  const object* raw() const { return o_; }

 private:
  const object* o_;
};

// Splits a space-separated address list ("0.0.0.0", "10.0.0.1 ::1").
std::vector<std::string> SplitAddresses(std::string_view s) {
  return absl::StrSplit(base::ToAbsl(s), absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

absl::Status Port(const Reader& r, std::string_view key, int* out) {
  const value* v = r.Find(key);
  if (v == nullptr || !v->is_int64()) return absl::OkStatus();
  int64_t p = v->get_int64();
  if (p > 65535) {
    return absl::InvalidArgumentError(Cat("ports.", key, ": invalid port: ", p));
  }
  *out = p <= 0 ? -1 : static_cast<int>(p);
  return absl::OkStatus();
}

void DecodeGossip(const Reader& r, GossipTimings* g) {
  r.Int("gossip_nodes", &g->gossip_nodes);
  r.Dur("gossip_interval", &g->gossip_interval);
  r.Dur("probe_interval", &g->probe_interval);
  r.Dur("probe_timeout", &g->probe_timeout);
  r.Int("retransmit_mult", &g->retransmit_mult);
  r.Int("suspicion_mult", &g->suspicion_mult);
}

// One TLS interface: `defaults` overlaid with the interface's own block.
absl::Status DecodeTls(const Reader& tls, std::string_view name, base::TlsConfig* out,
                       std::string* cipher_suites) {
  object merged;
  if (const value* d = tls.Find("defaults"); d != nullptr) merged = d->get_object();
  if (const value* i = tls.Find(name); i != nullptr) MergeInto(merged, i->get_object());
  Reader r(&merged);
  r.String("ca_file", &out->ca_file);
  r.String("ca_path", &out->ca_path);
  r.String("cert_file", &out->cert_file);
  r.String("key_file", &out->key_file);
  r.Bool("verify_incoming", &out->verify_incoming);
  if (name != "grpc") r.Bool("verify_outgoing", &out->verify_outgoing);
  if (name == "internal_rpc") r.Bool("verify_server_hostname", &out->verify_server_hostname);
  if (cipher_suites != nullptr) r.String("tls_cipher_suites", cipher_suites);
  std::string version;
  r.String("tls_min_version", &version);
  if (!version.empty()) {
    absl::StatusOr<base::TlsVersion> v = base::ParseTlsMinVersion(version);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          Cat("tls.", name, ".tls_min_version: ", v.status().message()));
    }
    out->min_version = *v;
  }
  if (out->cert_file.empty() != out->key_file.empty()) {
    return absl::InvalidArgumentError(
        Cat("tls.", name, ": cert_file and key_file must both be set or both be empty"));
  }
  return absl::OkStatus();
}

CheckDefinition DecodeCheck(const Reader& r) {
  CheckDefinition c;
  r.String("id", &c.id);
  r.String("name", &c.name);
  r.String("notes", &c.notes);
  r.String("service_id", &c.service_id);
  r.String("status", &c.status);
  r.String("token", &c.token);
  r.Strings("script_args", &c.args);
  r.Strings("args", &c.args);
  r.String("http", &c.http);
  r.String("method", &c.method);
  if (const value* h = r.Find("header"); h != nullptr) {
    for (const auto& [k, vals] : h->get_object()) {
      std::vector<std::string>& list = c.header[std::string(k)];
      for (const value& e : vals.get_array()) list.emplace_back(e.get_string());
    }
  }
  r.String("body", &c.body);
  r.Bool("tls_skip_verify", &c.tls_skip_verify);
  r.String("tls_server_name", &c.tls_server_name);
  r.Bool("disable_redirects", &c.disable_redirects);
  r.String("tcp", &c.tcp);
  r.String("udp", &c.udp);
  r.String("grpc", &c.grpc);
  r.Bool("grpc_use_tls", &c.grpc_use_tls);
  r.String("h2ping", &c.h2ping);
  r.Bool("h2ping_use_tls", &c.h2ping_use_tls);
  r.String("docker_container_id", &c.docker_container_id);
  r.String("shell", &c.shell);
  r.String("alias_node", &c.alias_node);
  r.String("alias_service", &c.alias_service);
  r.String("os_service", &c.os_service);
  r.Dur("ttl", &c.ttl);
  r.Dur("interval", &c.interval);
  r.Dur("timeout", &c.timeout);
  r.Dur("deregister_critical_service_after", &c.deregister_critical_service_after);
  r.Int("success_before_passing", &c.success_before_passing);
  r.Int("failures_before_warning", &c.failures_before_warning);
  r.Int("failures_before_critical", &c.failures_before_critical);
  r.Int("output_max_size", &c.output_max_size);
  return c;
}

ServiceDefinition DecodeService(const Reader& r) {
  ServiceDefinition s;
  r.String("id", &s.id);
  r.String("name", &s.name);
  r.String("kind", &s.kind);
  r.Strings("tags", &s.tags);
  r.String("address", &s.address);
  if (const value* t = r.Find("tagged_addresses"); t != nullptr) {
    for (const auto& [k, e] : t->get_object()) {
      Reader a(&e.get_object());
      ServiceDefinition::TaggedAddress& ta = s.tagged_addresses[std::string(k)];
      a.String("address", &ta.address);
      a.Int("port", &ta.port);
    }
  }
  r.Int("port", &s.port);
  r.String("socket_path", &s.socket_path);
  r.StringMap("meta", &s.meta);
  r.Bool("enable_tag_override", &s.enable_tag_override);
  r.Sub("weights").Int("passing", &s.weight_passing);
  r.Sub("weights").Int("warning", &s.weight_warning);
  r.String("token", &s.token);
  if (const value* cs = r.Find("checks"); cs != nullptr) {
    for (const value& c : cs->get_array()) s.checks.push_back(DecodeCheck(Reader(&c.get_object())));
  }
  return s;
}

}  // namespace

absl::Status DecodeConfig(const object& merged, bool dev_mode, Config& c) {
  Reader r(&merged);
  c.dev_mode = dev_mode;
  c.raft_in_memory = dev_mode;
  r.Bool("server", &c.server);
  r.Bool("bootstrap", &c.bootstrap);
  r.Int("bootstrap_expect", &c.bootstrap_expect);
  r.String("data_dir", &c.data_dir);
  r.String("node_name", &c.node_name);
  r.String("node_id", &c.node_id);
  c.node_id = absl::AsciiStrToLower(c.node_id);
  r.Bool("disable_host_node_id", &c.disable_host_node_id);
  r.StringMap("node_meta", &c.node_meta);
  r.String("datacenter", &c.datacenter);
  c.datacenter = absl::AsciiStrToLower(c.datacenter);
  r.String("primary_datacenter", &c.primary_datacenter);
  c.primary_datacenter = absl::AsciiStrToLower(c.primary_datacenter);
  r.String("domain", &c.domain);
  if (!c.domain.empty() && c.domain.back() != '.') c.domain += '.';
  r.String("alt_domain", &c.alt_domain);
  if (!c.alt_domain.empty() && c.alt_domain.back() != '.') c.alt_domain += '.';
  r.Strings("recursors", &c.recursors);

  r.String("bind_addr", &c.bind_addr);
  r.String("advertise_addr", &c.advertise_addr);
  r.String("advertise_addr_wan", &c.advertise_addr_wan);
  r.String("advertise_addr_ipv4", &c.advertise_addr_ipv4);
  r.String("advertise_addr_ipv6", &c.advertise_addr_ipv6);
  r.String("advertise_addr_wan_ipv4", &c.advertise_addr_wan_ipv4);
  r.String("advertise_addr_wan_ipv6", &c.advertise_addr_wan_ipv6);
  r.String("serf_lan", &c.serf_lan_bind);
  r.String("serf_wan", &c.serf_wan_bind);
  if (const value* v = r.Find("client_addr"); v != nullptr) {
    c.client_addr = SplitAddresses(v->get_string());
  }
  Reader addresses = r.Sub("addresses");
  const std::pair<std::string_view, std::vector<std::string>*> address_keys[] = {
      {"dns", &c.addresses.dns},
      {"http", &c.addresses.http},
      {"https", &c.addresses.https},
      {"grpc", &c.addresses.grpc},
      {"grpc_tls", &c.addresses.grpc_tls}};
  for (const auto& [key, target] : address_keys) {
    const value* v = addresses.Find(key);
    if (v != nullptr) {
      *target = SplitAddresses(v->get_string());
    } else {
      *target = c.client_addr;
      if (key == "dns") {  // DNS cannot serve on a unix socket: skip those of client_addr
        std::erase_if(*target, [](const std::string& a) { return a.rfind("unix://", 0) == 0; });
      }
    }
  }
  Reader ports = r.Sub("ports");
  if (c.server) c.ports.grpc_tls = 8503;
  const std::pair<std::string_view, int*> port_keys[] = {
      {"dns", &c.ports.dns},
      {"http", &c.ports.http},
      {"https", &c.ports.https},
      {"grpc", &c.ports.grpc},
      {"grpc_tls", &c.ports.grpc_tls},
      {"serf_lan", &c.ports.serf_lan},
      {"serf_wan", &c.ports.serf_wan},
      {"server", &c.ports.server},
      {"sidecar_min_port", &c.ports.sidecar_min_port},
      {"sidecar_max_port", &c.ports.sidecar_max_port},
      {"expose_min_port", &c.ports.expose_min_port},
      {"expose_max_port", &c.ports.expose_max_port}};
  for (const auto& [key, target] : port_keys) {
    if (absl::Status s = Port(ports, key, target); !s.ok()) return s;
  }

  r.Strings("start_join", &c.start_join);
  r.Strings("start_join_wan", &c.start_join_wan);
  r.Strings("retry_join", &c.retry_join);
  r.Strings("retry_join_wan", &c.retry_join_wan);
  r.Dur("retry_interval", &c.retry_interval);
  r.Dur("retry_interval_wan", &c.retry_interval_wan);
  r.Int("retry_max", &c.retry_max);
  r.Int("retry_max_wan", &c.retry_max_wan);
  r.Bool("rejoin_after_leave", &c.rejoin_after_leave);
  r.Dur("reconnect_timeout", &c.reconnect_timeout);
  r.Dur("reconnect_timeout_wan", &c.reconnect_timeout_wan);

  if (const value* v = r.Find("log_level"); v != nullptr) {
    absl::StatusOr<base::LogLevel> level = base::ParseLogLevel(v->get_string());
    if (!level.ok()) {
      return absl::InvalidArgumentError(Cat("log_level: ", level.status().message()));
    }
    c.log_level = *level;
  }
  r.Bool("log_json", &c.log_json);
  r.String("log_file", &c.log_file);
  r.Int("log_rotate_bytes", &c.log_rotate_bytes);
  r.Dur("log_rotate_duration", &c.log_rotate_duration);
  r.Int("log_rotate_max_files", &c.log_rotate_max_files);
  r.Bool("enable_syslog", &c.enable_syslog);
  r.String("syslog_facility", &c.syslog_facility);
  r.String("pid_file", &c.pid_file);
  // Spec A10: clients leave on SIGTERM and on SIGINT; servers on neither, by default.
  c.leave_on_terminate = !c.server;
  c.skip_leave_on_interrupt = c.server;
  r.Bool("leave_on_terminate", &c.leave_on_terminate);
  r.Bool("skip_leave_on_interrupt", &c.skip_leave_on_interrupt);

  r.String("encrypt", &c.encrypt);
  r.Bool("encrypt_verify_incoming", &c.encrypt_verify_incoming);
  r.Bool("encrypt_verify_outgoing", &c.encrypt_verify_outgoing);
  r.Bool("disable_keyring_file", &c.disable_keyring_file);
  r.Int("protocol", &c.protocol);
  r.Int("raft_protocol", &c.raft_protocol);
  DecodeGossip(r.Sub("gossip_lan"), &c.gossip_lan);
  DecodeGossip(r.Sub("gossip_wan"), &c.gossip_wan);

  Reader perf = r.Sub("performance");
  int multiplier = 0;
  perf.Int("raft_multiplier", &multiplier);
  if (multiplier < 0 || multiplier > 10) {
    return absl::InvalidArgumentError(
        Cat("performance.raft_multiplier cannot be ", multiplier, ". Must be between 1 and 10"));
  }
  c.performance.raft_multiplier = multiplier == 0 ? 5 : multiplier;
  perf.Dur("leave_drain_time", &c.performance.leave_drain_time);
  perf.Dur("rpc_hold_timeout", &c.performance.rpc_hold_timeout);
  if (dev_mode) {  // Consul's DevConsulSource: fixed, tighter than multiplier 1
    c.raft_timings = {std::chrono::milliseconds(35), std::chrono::milliseconds(52),
                      std::chrono::milliseconds(20)};
  } else {
    int m = c.performance.raft_multiplier;
    c.raft_timings = {std::chrono::seconds(1) * m, std::chrono::seconds(1) * m,
                      std::chrono::milliseconds(500) * m};
  }
  r.Int("raft_snapshot_threshold", &c.raft_snapshot_threshold);
  r.Dur("raft_snapshot_interval", &c.raft_snapshot_interval);
  r.Int("raft_trailing_logs", &c.raft_trailing_logs);

  Reader dns = r.Sub("dns_config");
  DnsConfig& d = c.dns_config;
  dns.Bool("allow_stale", &d.allow_stale);
  dns.Dur("max_stale", &d.max_stale);
  dns.Dur("node_ttl", &d.node_ttl);
  if (const value* ttl = dns.Find("service_ttl"); ttl != nullptr) {
    for (const auto& [k, e] : ttl->get_object()) {
      d.service_ttl[std::string(k)] = *base::ParseGoDuration(e.get_string());
    }
  }
  dns.Bool("only_passing", &d.only_passing);
  dns.Int("a_record_limit", &d.a_record_limit);
  dns.Int("udp_answer_limit", &d.udp_answer_limit);
  dns.Bool("enable_truncate", &d.enable_truncate);
  dns.Bool("disable_compression", &d.disable_compression);
  dns.Bool("enable_additional_node_meta_txt", &d.enable_additional_node_meta_txt);
  dns.Dur("recursor_timeout", &d.recursor_timeout);
  dns.String("recursor_strategy", &d.recursor_strategy);
  dns.Bool("use_cache", &d.use_cache);
  dns.Dur("cache_max_age", &d.cache_max_age);
  Reader soa = dns.Sub("soa");
  soa.Int("refresh", &d.soa_refresh);
  soa.Int("retry", &d.soa_retry);
  soa.Int("expire", &d.soa_expire);
  soa.Int("min_ttl", &d.soa_min_ttl);

  Reader acl = r.Sub("acl");
  acl.Bool("enabled", &c.acl.enabled);
  acl.String("default_policy", &c.acl.default_policy);
  acl.String("down_policy", &c.acl.down_policy);
  acl.Dur("token_ttl", &c.acl.token_ttl);
  acl.Dur("policy_ttl", &c.acl.policy_ttl);
  acl.Dur("role_ttl", &c.acl.role_ttl);
  acl.Bool("enable_token_persistence", &c.acl.enable_token_persistence);
  acl.Bool("enable_key_list_policy", &c.acl.enable_key_list_policy);
  acl.Bool("enable_token_replication", &c.acl.enable_token_replication);
  Reader tokens = acl.Sub("tokens");
  tokens.String("initial_management", &c.acl.tokens.initial_management);
  tokens.String("agent", &c.acl.tokens.agent);
  tokens.String("default", &c.acl.tokens.default_token);
  tokens.String("agent_recovery", &c.acl.tokens.agent_recovery);
  tokens.String("replication", &c.acl.tokens.replication);
  tokens.String("config_file_service_registration", &c.acl.tokens.config_file_service_registration);
  tokens.String("dns", &c.acl.tokens.dns);

  Reader tls = r.Sub("tls");
  for (auto [name, target] : {std::pair{"internal_rpc", &c.tls.internal_rpc},
                              std::pair{"https", &c.tls.https}, std::pair{"grpc", &c.tls.grpc}}) {
    std::string* suites = std::string_view(name) == "internal_rpc" ? &c.tls.cipher_suites : nullptr;
    if (absl::Status s = DecodeTls(tls, name, target, suites); !s.ok()) return s;
  }
  tls.Sub("grpc").Bool("use_auto_cert", &c.tls.grpc_use_auto_cert);
  r.String("server_name", &c.server_name);
  c.tls.internal_rpc.server_name = c.server_name;

  Reader ui = r.Sub("ui_config");
  ui.Bool("enabled", &c.ui_config.enabled);
  ui.String("dir", &c.ui_config.dir);
  ui.String("content_path", &c.ui_config.content_path);

  Reader tel = r.Sub("telemetry");
  tel.Bool("disable_hostname", &c.telemetry.disable_hostname);
  tel.String("metrics_prefix", &c.telemetry.metrics_prefix);
  tel.Dur("prometheus_retention_time", &c.telemetry.prometheus_retention_time);
  tel.Strings("prefix_filter", &c.telemetry.prefix_filter);
  tel.String("statsd_address", &c.telemetry.statsd_address);
  tel.String("statsite_address", &c.telemetry.statsite_address);
  tel.String("dogstatsd_addr", &c.telemetry.dogstatsd_addr);
  Reader limits = r.Sub("limits");
  limits.Int("http_max_conns_per_client", &c.http_max_conns_per_client);
  limits.Int("kv_max_value_size", &c.kv_max_value_size);
  limits.Int("txn_max_req_len", &c.txn_max_req_len);
  r.Sub("http_config").StringMap("response_headers", &c.http_response_headers);
  r.Bool("disable_update_check", &c.disable_update_check);
  r.Bool("disable_remote_exec", &c.disable_remote_exec);

  r.Bool("enable_script_checks", &c.enable_script_checks);
  r.Bool("enable_local_script_checks", &c.enable_local_script_checks);
  r.Int("check_output_max_size", &c.check_output_max_size);
  r.Bool("discard_check_output", &c.discard_check_output);
  if (const value* s = r.Find("services"); s != nullptr) {
    for (const value& e : s->get_array())
      c.services.push_back(DecodeService(Reader(&e.get_object())));
  }
  if (const value* s = r.Find("checks"); s != nullptr) {
    for (const value& e : s->get_array()) c.checks.push_back(DecodeCheck(Reader(&e.get_object())));
  }
  return absl::OkStatus();
}

}  // namespace cairn::agent::internal
