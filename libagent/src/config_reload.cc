// Reload (spec A11): which settings a running agent takes from a re-read configuration.
#include <cairn/agent/config_loader.h>

#include "str_cat.h"

namespace cairn::agent {
namespace {

using internal::Cat;

bool SameTls(const base::TlsConfig& a, const base::TlsConfig& b) {
  return a.ca_file == b.ca_file && a.ca_path == b.ca_path && a.cert_file == b.cert_file &&
         a.key_file == b.key_file && a.verify_incoming == b.verify_incoming &&
         a.verify_outgoing == b.verify_outgoing &&
         a.verify_server_hostname == b.verify_server_hostname && a.server_name == b.server_name &&
         a.min_version == b.min_version;
}

// An interface's TLS settings may change, but not whether it has a certificate at all.
void ReloadTls(std::string_view name, const base::TlsConfig& fresh, base::TlsConfig& out,
               std::vector<std::string>* warnings) {
  if (SameTls(fresh, out)) return;
  if (fresh.cert_file.empty() != out.cert_file.empty()) {
    warnings->push_back(Cat("tls.", name,
                            ": TLS cannot be switched on or off by a reload: restart the agent "
                            "to apply it"));
    return;
  }
  out = fresh;
}

}  // namespace

LoadResult ApplyReload(const Config& running, const Config& fresh) {
  LoadResult r{running, {}};
  Config& c = r.config;
  c.services = fresh.services;
  c.checks = fresh.checks;
  c.acl.tokens = fresh.acl.tokens;
  c.log_level = fresh.log_level;
  c.node_meta = fresh.node_meta;
  ReloadTls("internal_rpc", fresh.tls.internal_rpc, c.tls.internal_rpc, &r.warnings);
  ReloadTls("https", fresh.tls.https, c.tls.https, &r.warnings);
  ReloadTls("grpc", fresh.tls.grpc, c.tls.grpc, &r.warnings);
  c.http_max_conns_per_client = fresh.http_max_conns_per_client;
  c.discard_check_output = fresh.discard_check_output;
  c.telemetry.prefix_filter = fresh.telemetry.prefix_filter;
  c.dns_config = fresh.dns_config;
  c.recursors = fresh.recursors;
  c.raft_snapshot_threshold = fresh.raft_snapshot_threshold;
  c.raft_snapshot_interval = fresh.raft_snapshot_interval;
  c.raft_trailing_logs = fresh.raft_trailing_logs;

  auto note = [&](bool changed, std::string_view key) {
    if (changed) r.warnings.push_back(Cat(key, " changed: restart the agent to apply it"));
  };
  note(running.server != fresh.server, "server");
  note(running.bootstrap != fresh.bootstrap, "bootstrap");
  note(running.bootstrap_expect != fresh.bootstrap_expect, "bootstrap_expect");
  note(running.data_dir != fresh.data_dir, "data_dir");
  note(running.node_name != fresh.node_name, "node_name");
  note(!fresh.node_id.empty() && running.node_id != fresh.node_id, "node_id");
  note(running.datacenter != fresh.datacenter, "datacenter");
  note(running.domain != fresh.domain, "domain");
  note(running.bind_addr != fresh.bind_addr, "bind_addr");
  note(running.advertise_addr != fresh.advertise_addr, "advertise_addr");
  note(running.client_addr != fresh.client_addr, "client_addr");
  const Ports& a = running.ports;
  const Ports& b = fresh.ports;
  note(a.dns != b.dns || a.http != b.http || a.https != b.https || a.grpc != b.grpc ||
           a.grpc_tls != b.grpc_tls || a.serf_lan != b.serf_lan || a.serf_wan != b.serf_wan ||
           a.server != b.server,
       "ports");
  note(running.encrypt != fresh.encrypt, "encrypt");
  note(running.acl.enabled != fresh.acl.enabled, "acl.enabled");
  note(running.ui_config.enabled != fresh.ui_config.enabled, "ui_config.enabled");
  note(running.performance.raft_multiplier != fresh.performance.raft_multiplier,
       "performance.raft_multiplier");
  return r;
}

}  // namespace cairn::agent
