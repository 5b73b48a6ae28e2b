// cairn/agent/config.h — the agent's configuration, fully resolved and validated.
//
// `cairn agent` takes the same flags and configuration files as `consul agent` (spec
// agent-and-cli.md, Part A). Everything they can say ends up in one `Config` value: defaults
// applied, sources merged in Consul's order, legacy keys mapped onto their modern places,
// ports normalised (≤0 means disabled, -1), durations parsed. Loading lives in
// <cairn/agent/config_loader.h>; this header only holds the types.
//
// Example:
//
//   absl::StatusOr<cairn::agent::LoadResult> loaded = cairn::agent::LoadConfig(flags, set);
//   const cairn::agent::Config& c = loaded->config;
//   if (c.server && c.bootstrap_expect > 0) { /* wait for c.bootstrap_expect servers */ }
//   if (c.ports.dns > 0) { /* serve DNS on each of c.addresses.dns, port c.ports.dns */ }
//
// Field comments name the configuration key (and flag) each field comes from, and its
// default. A value of -1 for a port means "listener disabled".
#ifndef CAIRN_AGENT_CONFIG_H_
#define CAIRN_AGENT_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <cairn/base/clock.h>
#include <cairn/base/log.h>
#include <cairn/base/tls.h>

namespace cairn::agent {

using base::Duration;

// `ports { ... }` and the -*-port flags. -1 = disabled.
struct Ports {
  int dns = 8600;       // ports.dns, -dns-port
  int http = 8500;      // ports.http, -http-port
  int https = -1;       // ports.https, -https-port
  int grpc = -1;        // ports.grpc, -grpc-port (8502 in -dev)
  int grpc_tls = -1;    // ports.grpc_tls, -grpc-tls-port (8503 on servers)
  int serf_lan = 8301;  // ports.serf_lan, -serf-lan-port (always > 0)
  int serf_wan = 8302;  // ports.serf_wan, -serf-wan-port (-1: no WAN federation)
  int server = 8300;    // ports.server, -server-port (always > 0; RPC and Raft)
  int sidecar_min_port = 21000;
  int sidecar_max_port = 21255;
  int expose_min_port = 21500;
  int expose_max_port = 21755;
};

// Where the client interfaces listen: each a list of IP addresses or `unix:///path`
// sockets, defaulting to client_addr's list.
struct Addresses {
  std::vector<std::string> dns;
  std::vector<std::string> http;
  std::vector<std::string> https;
  std::vector<std::string> grpc;
  std::vector<std::string> grpc_tls;
};

// `dns_config { ... }`.
struct DnsConfig {
  bool allow_stale = true;
  Duration max_stale = std::chrono::hours(87600);
  Duration node_ttl{0};
  // service name (or "*" for every service) → TTL of its answers.
  std::map<std::string, Duration> service_ttl;
  bool only_passing = false;
  int a_record_limit = 0;  // 0: no limit
  int udp_answer_limit = 3;
  bool enable_truncate = false;
  bool disable_compression = false;
  bool enable_additional_node_meta_txt = true;
  Duration recursor_timeout = std::chrono::seconds(2);
  std::string recursor_strategy = "sequential";  // or "random"
  bool use_cache = false;
  Duration cache_max_age{0};
  // The SOA record's timers (seconds).
  uint32_t soa_refresh = 3600;
  uint32_t soa_retry = 600;
  uint32_t soa_expire = 86400;
  uint32_t soa_min_ttl = 0;
};

// `acl { ... }` (legacy top-level acl_* keys are mapped here).
struct AclTokens {
  std::string initial_management;  // (legacy: master, acl_master_token)
  std::string agent;               // (legacy: acl_agent_token)
  std::string default_token;       // key `default` (legacy: acl_token)
  std::string agent_recovery;      // (legacy: agent_master, acl_agent_master_token)
  std::string replication;         // (legacy: acl_replication_token)
  std::string config_file_service_registration;
  std::string dns;
};
struct AclConfig {
  bool enabled = false;
  std::string default_policy = "allow";      // "allow" or "deny"
  std::string down_policy = "extend-cache";  // allow, deny, extend-cache, async-cache
  Duration token_ttl = std::chrono::seconds(30);
  Duration policy_ttl = std::chrono::seconds(30);
  Duration role_ttl = std::chrono::seconds(30);
  bool enable_token_persistence = false;
  bool enable_key_list_policy = false;
  bool enable_token_replication = false;
  AclTokens tokens;
};

// `tls { defaults, internal_rpc, https, grpc }`: each interface here is already resolved
// (its own keys over `defaults`, over the legacy top-level keys), ready for
// base::MakeServerTlsContext / MakeClientTlsContext. `server_name` is the top-level key.
struct TlsSettings {
  base::TlsConfig internal_rpc;  // verify_server_hostname lives here
  base::TlsConfig https;
  base::TlsConfig grpc;
  std::string cipher_suites;  // tls_cipher_suites of `defaults` (comma list, informational)
  bool grpc_use_auto_cert = false;
};

// `performance { ... }` and the Raft tuning keys.
struct Performance {
  int raft_multiplier = 5;  // 0 in a file means the default, 5; valid 1..10
  Duration leave_drain_time = std::chrono::seconds(5);
  Duration rpc_hold_timeout = std::chrono::seconds(7);
};

// Raft timings derived from raft_multiplier (1 → 1s/1s/500ms), or dev's fixed values.
struct RaftTimings {
  Duration heartbeat_timeout = std::chrono::seconds(5);
  Duration election_timeout = std::chrono::seconds(5);
  Duration leader_lease_timeout = std::chrono::milliseconds(2500);
};

// `gossip_lan` / `gossip_wan` (memberlist timings).
struct GossipTimings {
  int gossip_nodes = 3;
  Duration gossip_interval = std::chrono::milliseconds(200);
  Duration probe_interval = std::chrono::seconds(1);
  Duration probe_timeout = std::chrono::milliseconds(500);
  int retransmit_mult = 4;
  int suspicion_mult = 4;
};

// `ui_config { ... }` (legacy: ui, ui_dir, ui_content_path).
struct UiConfig {
  bool enabled = false;  // -ui
  std::string dir;       // -ui-dir
  std::string content_path = "/ui/";
};

// `telemetry { ... }`: the parts Cairn's metrics use.
struct Telemetry {
  bool disable_hostname = false;
  std::string metrics_prefix = "consul";
  Duration prometheus_retention_time{0};
  std::vector<std::string> prefix_filter;
  std::string statsd_address;
  std::string statsite_address;
  std::string dogstatsd_addr;
};

// One health check from a config file (spec A8). Exactly one of the type fields is set
// (`Kind()` names it); durations of zero mean "not given".
struct CheckDefinition {
  std::string id;    // default: name; for checks embedded in a service, service:<id>[:n]
  std::string name;  // default for embedded checks: "Service '<svc>' check"
  std::string notes;
  std::string service_id;
  std::string status;  // initial status: "passing", "warning", "critical" (default)
  std::string token;
  std::vector<std::string> args;  // script check (also docker_container_id + shell)
  std::string http;
  std::string method;
  std::map<std::string, std::vector<std::string>> header;
  std::string body;
  bool tls_skip_verify = false;
  std::string tls_server_name;
  bool disable_redirects = false;
  std::string tcp;
  std::string udp;
  std::string grpc;
  bool grpc_use_tls = false;
  std::string h2ping;
  bool h2ping_use_tls = true;
  std::string docker_container_id;
  std::string shell;
  std::string alias_node;
  std::string alias_service;
  std::string os_service;
  Duration ttl{0};
  Duration interval{0};
  Duration timeout{0};  // 0: the type's default (10s)
  Duration deregister_critical_service_after{0};
  int success_before_passing = 0;
  int failures_before_warning = 0;
  int failures_before_critical = 0;
  int output_max_size = 0;  // 0: check_output_max_size

  // "script", "http", "tcp", "udp", "grpc", "h2ping", "docker", "alias", "os_service",
  // "ttl".
  std::string Kind() const;
};

// One service from a config file (spec A8).
struct ServiceDefinition {
  struct TaggedAddress {
    std::string address;
    int port = 0;
  };
  std::string id;  // default: name
  std::string name;
  std::string kind;
  std::vector<std::string> tags;
  std::string address;
  std::map<std::string, TaggedAddress> tagged_addresses;
  int port = 0;
  std::string socket_path;
  std::map<std::string, std::string> meta;
  bool enable_tag_override = false;
  int weight_passing = 1;
  int weight_warning = 1;
  std::string token;
  std::vector<CheckDefinition> checks;  // `check` and `checks`, ids/service_id filled in
};

// The whole agent configuration.
struct Config {
  // -- mode --
  bool dev_mode = false;     // -dev
  bool server = false;       // server, -server
  bool bootstrap = false;    // bootstrap, -bootstrap (also set by bootstrap_expect=1)
  int bootstrap_expect = 0;  // bootstrap_expect, -bootstrap-expect
  std::string data_dir;      // data_dir, -data-dir (empty only in -dev: in memory)
  std::string node_name;     // node_name, -node (default: host name)
  std::string node_id;       // node_id, -node-id (empty: see EnsureNodeId)
  bool disable_host_node_id = true;
  std::map<std::string, std::string> node_meta;  // node_meta, -node-meta k:v

  // -- addresses --
  std::string bind_addr = "0.0.0.0";  // -bind: one IP
  // -advertise / -advertise-wan; empty: derive at start (bind addr, or the private IP when
  // bind is ANY).
  std::string advertise_addr;
  std::string advertise_addr_wan;
  std::string advertise_addr_ipv4, advertise_addr_ipv6;
  std::string advertise_addr_wan_ipv4, advertise_addr_wan_ipv6;
  std::string serf_lan_bind;  // serf_lan, -serf-lan-bind (empty: bind_addr)
  std::string serf_wan_bind;  // serf_wan, -serf-wan-bind (empty: bind_addr)
  std::vector<std::string> client_addr = {"127.0.0.1"};  // -client, space-separated
  Addresses addresses;                                   // each defaults to client_addr
  Ports ports;

  // -- identity and DNS --
  std::string datacenter = "dc1";  // lower-cased, [a-z0-9_-]
  std::string primary_datacenter;  // (legacy: acl_datacenter) default: datacenter
  std::string domain = "consul.";  // always ends in '.'
  std::string alt_domain;
  std::vector<std::string> recursors;  // -recursor
  DnsConfig dns_config;

  // -- joining --
  std::vector<std::string> start_join, start_join_wan;  // -join, -join-wan
  std::vector<std::string> retry_join, retry_join_wan;  // -retry-join, -retry-join-wan
  Duration retry_interval = std::chrono::seconds(30);
  Duration retry_interval_wan = std::chrono::seconds(30);
  int retry_max = 0;  // 0: forever
  int retry_max_wan = 0;
  bool rejoin_after_leave = false;  // -rejoin
  Duration reconnect_timeout = std::chrono::hours(72);
  Duration reconnect_timeout_wan = std::chrono::hours(72);

  // -- logging and process --
  base::LogLevel log_level = base::LogLevel::kInfo;  // log_level, -log-level
  bool log_json = false;
  std::string log_file;
  int64_t log_rotate_bytes = 0;
  Duration log_rotate_duration = std::chrono::hours(24);
  int log_rotate_max_files = 0;
  bool enable_syslog = false;
  std::string syslog_facility = "LOCAL0";
  std::string pid_file;
  // Shutdown behaviour; the defaults depend on `server` (spec A10).
  bool leave_on_terminate = true;
  bool skip_leave_on_interrupt = false;

  // -- gossip --
  std::string encrypt;  // base64 key of 16, 24 or 32 bytes, validated
  bool encrypt_verify_incoming = true;
  bool encrypt_verify_outgoing = true;
  bool disable_keyring_file = false;
  int protocol = 2;
  int raft_protocol = 3;
  GossipTimings gossip_lan;
  GossipTimings gossip_wan{
      4, std::chrono::milliseconds(500), std::chrono::seconds(5), std::chrono::seconds(3), 4, 6};

  // -- raft --
  Performance performance;
  RaftTimings raft_timings;  // derived from performance.raft_multiplier (or -dev)
  int raft_snapshot_threshold = 16384;
  Duration raft_snapshot_interval = std::chrono::seconds(30);
  int raft_trailing_logs = 10000;
  bool raft_in_memory = false;  // -dev: no Raft state on disk

  // -- security --
  AclConfig acl;
  TlsSettings tls;
  std::string server_name;

  // -- UI, telemetry, limits --
  UiConfig ui_config;
  Telemetry telemetry;
  int http_max_conns_per_client = 200;
  uint64_t kv_max_value_size = 512 * 1024;                   // limits.kv_max_value_size
  int txn_max_req_len = 512 * 1024;                          // limits.txn_max_req_len
  std::map<std::string, std::string> http_response_headers;  // http_config.response_headers
  bool disable_update_check = false;
  bool disable_remote_exec = true;

  // -- checks and services --
  bool enable_script_checks = false;        // -enable-script-checks
  bool enable_local_script_checks = false;  // -enable-local-script-checks
  int check_output_max_size = 4096;
  bool discard_check_output = false;
  std::vector<ServiceDefinition> services;  // `services` + every `service`
  std::vector<CheckDefinition> checks;      // `checks` + every `check`
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_CONFIG_H_
