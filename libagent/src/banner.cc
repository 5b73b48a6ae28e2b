// The start-up banner (spec A15): Consul's layout, Cairn's name.
#include <string_view>

#include <fmt/format.h>

#include <cairn/agent/banner.h>

namespace cairn::agent {
namespace {

std::string_view TlsVersionText(base::TlsVersion v) {
  return v == base::TlsVersion::kTls13 ? "TLSv1_3" : "TLSv1_2";
}

std::string_view Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string StartupBanner(const Config& config, const BannerInfo& info) {
  std::string out = "==> Starting Cairn agent...\n";
  auto line = [&out](std::string_view label, std::string_view value) {
    out += fmt::format("    {:>17}: {}\n", label, value);
  };
  line("Version", fmt::format("'{}'", info.version));
  if (!info.revision.empty()) line("Revision", fmt::format("'{}'", info.revision));
  if (!info.build_date.empty()) line("Build Date", fmt::format("'{}'", info.build_date));
  line("Node ID", fmt::format("'{}'", config.node_id));
  line("Node name", fmt::format("'{}'", config.node_name));
  // Servers serve every network segment; clients belong to the default (unnamed) one.
  line("Datacenter",
       fmt::format("'{}' (Segment: '{}')", config.datacenter, config.server ? "<all>" : ""));
  line("Server", fmt::format("{} (Bootstrap: {})", Bool(config.server), Bool(config.bootstrap)));
  const std::vector<std::string>& client =
      config.addresses.http.empty() ? config.client_addr : config.addresses.http;
  line("Client Addr", fmt::format("[{}] (HTTP: {}, HTTPS: {}, gRPC: {}, gRPC-TLS: {}, DNS: {})",
                                  fmt::join(client, " "), config.ports.http, config.ports.https,
                                  config.ports.grpc, config.ports.grpc_tls, config.ports.dns));
  line("Cluster Addr", fmt::format("{} (LAN: {}, WAN: {})", info.cluster_addr,
                                   config.ports.serf_lan, config.ports.serf_wan));
  line("Gossip Encryption", Bool(!config.encrypt.empty()));
  line("Auto-Encrypt-TLS", "false");
  line("ACLs Enabled", Bool(config.acl.enabled));
  const TlsSettings& tls = config.tls;
  line("HTTPS TLS", fmt::format("Verify Incoming: {}, Verify Outgoing: {}, Min Version: {}",
                                Bool(tls.https.verify_incoming), Bool(tls.https.verify_outgoing),
                                TlsVersionText(tls.https.min_version)));
  line("gRPC TLS",
       fmt::format("Verify Incoming: {}, Min Version: {}", Bool(tls.grpc.verify_incoming),
                   TlsVersionText(tls.grpc.min_version)));
  line("Internal RPC TLS",
       fmt::format("Verify Incoming: {}, Verify Outgoing: {} (Verify Hostname: {}), Min "
                   "Version: {}",
                   Bool(tls.internal_rpc.verify_incoming), Bool(tls.internal_rpc.verify_outgoing),
                   Bool(tls.internal_rpc.verify_server_hostname),
                   TlsVersionText(tls.internal_rpc.min_version)));
  out += "\n==> Log data will now stream in as it occurs:\n\n";
  return out;
}

}  // namespace cairn::agent
