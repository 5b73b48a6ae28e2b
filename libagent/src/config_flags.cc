// The `cairn agent` flags (spec A3) and their translation into configuration sources.
// Help texts follow Consul's command/agent flags.
#include <boost/json/array.hpp>

#include <cairn/base/duration.h>

#include "config_internal.h"
#include "str_cat.h"

namespace cairn::agent {

using internal::Cat;

void RegisterAgentFlags(base::FlagSet& f, AgentFlags* o) {
  f.Bool("dev", &o->dev, "Starts the agent in development mode.");
  f.StringList("config-file", &o->config_files,
               "Path to a file in JSON or HCL format with a matching file extension. Can be "
               "specified multiple times.");
  f.StringList("config-dir", &o->config_files,
               "Path to a directory to read configuration files from. This will read every "
               "file ending in '.json' or '.hcl' as configuration in this directory in "
               "alphabetical order. Can be specified multiple times.");
  f.String("config-format", &o->config_format,
           "Config files are in this format irrespective of their extension. Must be 'hcl' "
           "or 'json'");
  f.StringList("hcl", &o->hcl, "hcl config fragment. Can be specified multiple times.");

  f.Bool("server", &o->server, "Switches agent to server mode.");
  f.Bool("bootstrap", &o->bootstrap, "Sets server to bootstrap mode.");
  f.Int("bootstrap-expect", &o->bootstrap_expect, "Sets server to expect bootstrap mode.");
  f.String("data-dir", &o->data_dir, "Path to a data directory to store agent state.");
  f.String("node", &o->node, "Name of this node. Must be unique in the cluster.");
  f.String("node-id", &o->node_id,
           "A unique ID for this node across space and time. Defaults to a randomly-generated "
           "ID that persists in the data-dir.");
  f.Bool("disable-host-node-id", &o->disable_host_node_id,
         "Setting this to true will prevent Consul from using information from the host to "
         "generate a node ID.");
  f.StringList("node-meta", &o->node_meta,
               "An arbitrary metadata key/value pair for this node, of the format "
               "`key:value`. Can be specified multiple times.");
  f.String("bind", &o->bind, "Sets the bind address for cluster communication.");
  f.String("advertise", &o->advertise, "Sets the advertise address to use.");
  f.String("advertise-wan", &o->advertise_wan,
           "Sets address to advertise on WAN instead of -advertise address.");
  f.String("client", &o->client,
           "Sets the address to bind for client access. This includes RPC, DNS, HTTP, HTTPS "
           "and gRPC (if configured).");
  f.String("serf-lan-bind", &o->serf_lan_bind, "Address to bind Serf LAN listeners to.");
  f.String("serf-wan-bind", &o->serf_wan_bind, "Address to bind Serf WAN listeners to.");
  f.String("datacenter", &o->datacenter, "Datacenter of the agent.");
  f.String("domain", &o->domain, "Domain to use for DNS interface.");
  f.String("alt-domain", &o->alt_domain, "Alternate domain to use for DNS interface.");
  f.StringList("recursor", &o->recursor,
               "Address of an upstream DNS server. Can be specified multiple times.");
  f.StringList("join", &o->join,
               "Address of an agent to join at start time. Can be specified multiple times.");
  f.StringList("join-wan", &o->join_wan,
               "Address of an agent to join -wan at start time. Can be specified multiple "
               "times.");
  f.StringList("retry-join", &o->retry_join,
               "Address of an agent to join at start time with retries enabled. Can be "
               "specified multiple times.");
  f.StringList("retry-join-wan", &o->retry_join_wan,
               "Address of an agent to join -wan at start time with retries enabled. Can be "
               "specified multiple times.");
  f.Duration("retry-interval", &o->retry_interval, "Time to wait between join attempts.");
  f.Duration("retry-interval-wan", &o->retry_interval_wan,
             "Time to wait between join -wan attempts.");
  f.Int("retry-max", &o->retry_max,
        "Maximum number of join attempts. Defaults to 0, which will retry indefinitely.");
  f.Int("retry-max-wan", &o->retry_max_wan,
        "Maximum number of join -wan attempts. Defaults to 0, which will retry "
        "indefinitely.");
  f.Bool("rejoin", &o->rejoin, "Ignores a previous leave and attempts to rejoin the cluster.");
  f.Bool("ui", &o->ui, "Enables the built-in static web UI server.");
  f.String("ui-dir", &o->ui_dir, "Path to directory containing the web UI resources.");
  f.String("ui-content-path", &o->ui_content_path,
           "Sets the external UI path to a string. Defaults to: /ui/");
  f.String("encrypt", &o->encrypt, "Provides the gossip encryption key.");
  f.Bool("disable-keyring-file", &o->disable_keyring_file,
         "Disables the backing up of the keyring to a file.");
  f.Int("http-port", &o->http_port, "Sets the HTTP API port to listen on.");
  f.Int("https-port", &o->https_port, "Sets the HTTPS API port to listen on.");
  f.Int("grpc-port", &o->grpc_port, "Sets the gRPC API port to listen on.");
  f.Int("grpc-tls-port", &o->grpc_tls_port, "Sets the gRPC-TLS API port to listen on.");
  f.Int("dns-port", &o->dns_port, "DNS port to use.");
  f.Int("serf-lan-port", &o->serf_lan_port, "Sets the Serf LAN port to listen on.");
  f.Int("serf-wan-port", &o->serf_wan_port, "Sets the Serf WAN port to listen on.");
  f.Int("server-port", &o->server_port, "Sets the server port to listen on.");
  f.String("log-level", &o->log_level, "Log level of the agent.");
  f.Bool("log-json", &o->log_json, "Output logs in JSON format.");
  f.String("log-file", &o->log_file, "Path to the file the logs get written to");
  f.Int("log-rotate-bytes", &o->log_rotate_bytes,
        "Maximum number of bytes that should be written to a log file");
  f.Duration("log-rotate-duration", &o->log_rotate_duration,
             "Time after which log rotation needs to be performed");
  f.Int("log-rotate-max-files", &o->log_rotate_max_files,
        "Maximum number of log file archives to keep");
  f.Bool("syslog", &o->syslog, "Enables logging to syslog.");
  f.String("pid-file", &o->pid_file, "Path to file to store agent PID.");
  f.Int("protocol", &o->protocol, "Sets the protocol version. Defaults to latest.");
  f.Int("raft-protocol", &o->raft_protocol, "Sets the Raft protocol version. Defaults to latest.");
  f.Bool("enable-script-checks", &o->enable_script_checks, "Enables health check scripts.");
  f.Bool("enable-local-script-checks", &o->enable_local_script_checks,
         "Enables health check scripts from configuration file.");
}

namespace internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

void SetPath(object& o, std::string_view a, std::string_view b, value v) {
  value& block = o[a];
  if (!block.is_object()) block = object();
  block.get_object()[b] = std::move(v);
}

array ToArray(const std::vector<std::string>& list) {
  array out;
  for (const std::string& s : list) out.emplace_back(s);
  return out;
}

}  // namespace

absl::StatusOr<FlagSources> FlagsToSources(const AgentFlags& v, const base::FlagSet& f) {
  FlagSources out;
  object& s = out.slices;
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"recursors", &v.recursor},
      {"start_join", &v.join},
      {"start_join_wan", &v.join_wan},
      {"retry_join", &v.retry_join},
      {"retry_join_wan", &v.retry_join_wan}};
  for (const auto& [key, list] : lists) {
    if (!list->empty()) s[key] = ToArray(*list);
  }

  object& o = out.values;
  auto str = [&](const char* flag, const char* key, const std::string& val) {
    if (f.IsSet(flag)) o[key] = val;
  };
  auto boolean = [&](const char* flag, const char* key, bool val) {
    if (f.IsSet(flag)) o[key] = val;
  };
  auto integer = [&](const char* flag, const char* key, int64_t val) {
    if (f.IsSet(flag)) o[key] = val;
  };
  auto duration = [&](const char* flag, const char* key, base::Duration val) {
    if (f.IsSet(flag)) o[key] = base::FormatGoDuration(val);
  };
  boolean("server", "server", v.server);
  boolean("bootstrap", "bootstrap", v.bootstrap);
  integer("bootstrap-expect", "bootstrap_expect", v.bootstrap_expect);
  str("data-dir", "data_dir", v.data_dir);
  str("node", "node_name", v.node);
  str("node-id", "node_id", v.node_id);
  boolean("disable-host-node-id", "disable_host_node_id", v.disable_host_node_id);
  str("bind", "bind_addr", v.bind);
  str("advertise", "advertise_addr", v.advertise);
  str("advertise-wan", "advertise_addr_wan", v.advertise_wan);
  str("client", "client_addr", v.client);
  str("serf-lan-bind", "serf_lan", v.serf_lan_bind);
  str("serf-wan-bind", "serf_wan", v.serf_wan_bind);
  str("datacenter", "datacenter", v.datacenter);
  str("domain", "domain", v.domain);
  str("alt-domain", "alt_domain", v.alt_domain);
  duration("retry-interval", "retry_interval", v.retry_interval);
  duration("retry-interval-wan", "retry_interval_wan", v.retry_interval_wan);
  integer("retry-max", "retry_max", v.retry_max);
  integer("retry-max-wan", "retry_max_wan", v.retry_max_wan);
  boolean("rejoin", "rejoin_after_leave", v.rejoin);
  str("encrypt", "encrypt", v.encrypt);
  boolean("disable-keyring-file", "disable_keyring_file", v.disable_keyring_file);
  str("log-level", "log_level", v.log_level);
  boolean("log-json", "log_json", v.log_json);
  str("log-file", "log_file", v.log_file);
  integer("log-rotate-bytes", "log_rotate_bytes", v.log_rotate_bytes);
  duration("log-rotate-duration", "log_rotate_duration", v.log_rotate_duration);
  integer("log-rotate-max-files", "log_rotate_max_files", v.log_rotate_max_files);
  boolean("syslog", "enable_syslog", v.syslog);
  str("pid-file", "pid_file", v.pid_file);
  integer("protocol", "protocol", v.protocol);
  integer("raft-protocol", "raft_protocol", v.raft_protocol);
  boolean("enable-script-checks", "enable_script_checks", v.enable_script_checks);
  boolean("enable-local-script-checks", "enable_local_script_checks", v.enable_local_script_checks);
  if (f.IsSet("ui")) SetPath(o, "ui_config", "enabled", v.ui);
  if (f.IsSet("ui-dir")) SetPath(o, "ui_config", "dir", value(v.ui_dir));
  if (f.IsSet("ui-content-path")) SetPath(o, "ui_config", "content_path", value(v.ui_content_path));
  const std::pair<const char*, std::pair<const char*, int64_t>> ports[] = {
      {"http-port", {"http", v.http_port}},
      {"https-port", {"https", v.https_port}},
      {"grpc-port", {"grpc", v.grpc_port}},
      {"grpc-tls-port", {"grpc_tls", v.grpc_tls_port}},
      {"dns-port", {"dns", v.dns_port}},
      {"serf-lan-port", {"serf_lan", v.serf_lan_port}},
      {"serf-wan-port", {"serf_wan", v.serf_wan_port}},
      {"server-port", {"server", v.server_port}}};
  for (const auto& [flag, key_value] : ports) {
    if (f.IsSet(flag)) SetPath(o, "ports", key_value.first, key_value.second);
  }
  if (!v.node_meta.empty()) {
    object meta;
    for (const std::string& pair : v.node_meta) {
      // Consul's parseMetaPair: "key:value", or "key" alone for an empty value.
      size_t colon = pair.find(':');
      if (colon == std::string::npos) {
        meta[pair] = "";
      } else {
        meta[pair.substr(0, colon)] = pair.substr(colon + 1);
      }
    }
    o["node_meta"] = std::move(meta);
  }
  return out;
}

}  // namespace internal
}  // namespace cairn::agent
