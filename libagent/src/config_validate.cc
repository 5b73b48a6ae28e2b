// Cross-key validation of a decoded Config, with Consul's error and warning texts where
// the spec gives them (agent/config/builder.go's validate and build steps).
#include <cerrno>
#include <cstring>
#include <set>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_join.h>

#include <cairn/agent/config_loader.h>
#include <cairn/base/status.h>

#include "config_internal.h"
#include "str_cat.h"
#include <arpa/inet.h>
#include <sys/stat.h>

namespace cairn::agent::internal {
namespace {

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(base::ToAbsl(message));
}

bool IsIp(std::string_view s) {
  std::string text(s);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool IsAny(std::string_view s) { return s == "0.0.0.0" || s == "::" || s == "[::]"; }

absl::Status CheckAddress(std::string_view key, std::string_view addr, bool allow_unix) {
  if (absl::StrContains(base::ToAbsl(addr), "{{")) {
    return Invalid(Cat(key, ": go-sockaddr templates are not supported by Cairn: ", addr,
                       " (give an IP address)"));
  }
  if (absl::StartsWith(base::ToAbsl(addr), "unix://")) {
    if (allow_unix) return absl::OkStatus();
    return Invalid(Cat(key, " cannot be a unix socket"));
  }
  if (!IsIp(addr)) return Invalid(Cat(key, ": \"", addr, "\" is not a valid IP address"));
  return absl::OkStatus();
}

bool IsDnsLabel(std::string_view name) {
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

bool IsValidDatacenter(std::string_view dc) {
  for (char c : dc) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return false;
    }
  }
  return !dc.empty();
}

// Consul's structs.ValidateNodeMetadata.
absl::Status ValidateMeta(const std::map<std::string, std::string>& meta) {
  if (meta.size() > 64) {
    return Invalid("node_meta invalid: Node metadata cannot contain more than 64 key/value pairs");
  }
  for (const auto& [k, v] : meta) {
    if (k.empty()) return Invalid("node_meta invalid: Key cannot be blank");
    for (char c : k) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
        return Invalid(Cat("node_meta invalid: Key contains invalid characters: ", k));
      }
    }
    if (k.size() > 128) {
      return Invalid(Cat("node_meta invalid: Key is too long (limit: 128 characters): ", k));
    }
    if (absl::StartsWith(k, "consul-")) {
      return Invalid(
          Cat("node_meta invalid: Key prefix 'consul-' is reserved for internal use: ", k));
    }
    if (v.size() > 512) {
      return Invalid(Cat("node_meta invalid: Value is too long (limit: 512 characters): ", k));
    }
  }
  return absl::OkStatus();
}

// Strict standard base64 (with padding), as Go's base64.StdEncoding; returns the decoded
// length or the offending byte's offset in the error.
absl::StatusOr<size_t> DecodedBase64Length(std::string_view s) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t padding = 0;
  while (padding < s.size() && padding < 2 && s[s.size() - 1 - padding] == '=') ++padding;
  for (size_t i = 0; i + padding < s.size(); ++i) {
    if (kAlphabet.find(s[i]) == std::string_view::npos) {
      return Invalid(Cat("illegal base64 data at input byte ", i));
    }
  }
  if (s.size() % 4 != 0) {
    return Invalid(Cat("illegal base64 data at input byte ", s.size() - s.size() % 4));
  }
  return s.size() / 4 * 3 - padding;
}

absl::Status ValidateCheck(CheckDefinition& c, const Config& config, const std::string& where) {
  int types = 0;
  for (bool t : {!c.args.empty(), !c.http.empty(), !c.tcp.empty(), !c.udp.empty(), !c.grpc.empty(),
                 !c.h2ping.empty(), c.ttl.count() > 0,
                 !c.alias_node.empty() || !c.alias_service.empty(), !c.os_service.empty()}) {
    types += t ? 1 : 0;
  }
  if (!c.docker_container_id.empty() && c.args.empty()) types += 1;
  if (types == 0) {
    return Invalid(Cat(where,
                       ": a check needs one of args, http, tcp, udp, grpc, "
                       "h2ping, ttl, alias_service, alias_node or os_service"));
  }
  if (types > 1) return Invalid(Cat(where, ": a check can only have one type"));
  std::string kind = c.Kind();
  bool interval_check = kind == "script" || kind == "docker" || kind == "http" || kind == "tcp" ||
                        kind == "udp" || kind == "grpc" || kind == "h2ping" || kind == "os_service";
  if (c.interval.count() > 0 && c.ttl.count() > 0) {
    return Invalid(Cat(where, ": Interval and TTL cannot both be specified"));
  }
  if (interval_check && c.interval.count() <= 0) {
    return Invalid(
        Cat(where, ": Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or gRPC checks"));
  }
  if ((kind == "script" || kind == "docker") && !config.enable_script_checks &&
      !config.enable_local_script_checks) {
    return Invalid(Cat(where,
                       ": Scripts are disabled on this agent; to enable, configure "
                       "'enable_script_checks' or 'enable_local_script_checks' to true"));
  }
  if (c.status.empty()) c.status = "critical";
  if (c.status != "passing" && c.status != "warning" && c.status != "critical") {
    return Invalid(
        Cat(where, ": status must be passing, warning or critical, not \"", c.status, "\""));
  }
  if (c.timeout.count() == 0 && interval_check) c.timeout = std::chrono::seconds(10);
  if (c.output_max_size < 0) {
    return Invalid(Cat(where, ": output_max_size must be positive"));
  }
  if (c.output_max_size == 0) c.output_max_size = config.check_output_max_size;
  return absl::OkStatus();
}

absl::Status ValidateDefinitions(Config& c) {
  std::set<std::string> service_ids;
  for (size_t i = 0; i < c.services.size(); ++i) {
    ServiceDefinition& s = c.services[i];
    if (s.name.empty()) return Invalid(Cat("services[", i, "]: missing service name"));
    std::string where = Cat("service \"", s.name, "\"");
    if (s.id.empty()) s.id = s.name;
    if (!service_ids.insert(s.id).second) {
      return Invalid(Cat(where, ": duplicate service id \"", s.id, "\""));
    }
    if (s.port < 0 || s.port > 65535) {
      return Invalid(Cat(where, ": invalid port ", s.port));
    }
    for (size_t j = 0; j < s.checks.size(); ++j) {
      CheckDefinition& ch = s.checks[j];
      if (ch.id.empty()) {
        ch.id = s.checks.size() > 1 ? Cat("service:", s.id, ":", j + 1) : Cat("service:", s.id);
      }
      if (ch.name.empty()) ch.name = Cat("Service '", s.name, "' check");
      ch.service_id = s.id;
      absl::Status st = ValidateCheck(ch, c, Cat(where, ": check \"", ch.name, "\""));
      if (!st.ok()) return st;
    }
  }
  for (size_t i = 0; i < c.checks.size(); ++i) {
    CheckDefinition& ch = c.checks[i];
    if (ch.name.empty()) return Invalid(Cat("checks[", i, "]: missing check name"));
    std::string where = Cat("check \"", ch.name, "\"");
    if (ch.id.empty()) ch.id = ch.name;
    absl::Status st = ValidateCheck(ch, c, where);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ValidateAddresses(const Config& c) {
  if (absl::Status s = CheckAddress("bind_addr", c.bind_addr, false); !s.ok()) return s;
  for (const auto& [key, addr] :
       {std::pair{"advertise_addr", &c.advertise_addr},
        std::pair{"advertise_addr_wan", &c.advertise_addr_wan},
        std::pair{"advertise_addr_ipv4", &c.advertise_addr_ipv4},
        std::pair{"advertise_addr_ipv6", &c.advertise_addr_ipv6},
        std::pair{"advertise_addr_wan_ipv4", &c.advertise_addr_wan_ipv4},
        std::pair{"advertise_addr_wan_ipv6", &c.advertise_addr_wan_ipv6},
        std::pair{"serf_lan", &c.serf_lan_bind}, std::pair{"serf_wan", &c.serf_wan_bind}}) {
    if (addr->empty()) continue;
    if (absl::Status s = CheckAddress(key, *addr, false); !s.ok()) return s;
    if (absl::StartsWith(key, "advertise") && IsAny(*addr)) {
      return Invalid(absl::StrContains(key, "wan")
                         ? "Advertise WAN address cannot be 0.0.0.0, :: or [::]"
                         : "Advertise address cannot be 0.0.0.0, :: or [::]");
    }
  }
  if (c.client_addr.empty()) return Invalid("client_addr cannot be empty");
  for (const auto& [key, list] :
       {std::pair{"client_addr", &c.client_addr}, std::pair{"addresses.dns", &c.addresses.dns},
        std::pair{"addresses.http", &c.addresses.http},
        std::pair{"addresses.https", &c.addresses.https},
        std::pair{"addresses.grpc", &c.addresses.grpc},
        std::pair{"addresses.grpc_tls", &c.addresses.grpc_tls}}) {
    bool unix_ok = std::string_view(key) != "addresses.dns";
    for (const std::string& a : *list) {
      if (absl::Status s = CheckAddress(key, a, unix_ok); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePorts(const Ports& p) {
  if (p.server <= 0) return Invalid("ports.server must be between 1 and 65535");
  if (p.serf_lan <= 0) return Invalid("ports.serf_lan must be between 1 and 65535");
  if (p.sidecar_min_port > p.sidecar_max_port) {
    return Invalid("sidecar_min_port must be less than or equal to sidecar_max_port");
  }
  if (p.expose_min_port > p.expose_max_port) {
    return Invalid("expose_min_port must be less than or equal to expose_max_port");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateConfig(Config& c, std::vector<std::string>* warnings) {
  // -- mode and bootstrap (spec A1, A13); dev first, as its error is the most specific --
  if (c.bootstrap_expect < 0) {
    return Invalid(Cat("bootstrap_expect cannot be ", c.bootstrap_expect,
                       ". Must be greater than or equal to zero"));
  }
  if (c.bootstrap_expect > 0 && c.dev_mode) {
    return Invalid("'bootstrap_expect > 0' not allowed in dev mode");
  }
  if (c.bootstrap_expect > 0 && !c.server) {
    return Invalid("'bootstrap_expect > 0' requires 'server = true'");
  }
  if (c.bootstrap && !c.server) return Invalid("'bootstrap = true' requires 'server = true'");
  if (c.bootstrap_expect > 0 && c.bootstrap) {
    return Invalid("'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
  }
  if (c.bootstrap_expect == 1) {
    warnings->push_back("BootstrapExpect is set to 1; this is the same as Bootstrap mode.");
    c.bootstrap_expect = 0;
    c.bootstrap = true;
  }
  if (c.bootstrap && !c.dev_mode) {
    warnings->push_back("bootstrap = true: do not enable unless necessary");
  }
  if (c.bootstrap_expect == 2) {
    warnings->push_back(
        "bootstrap_expect = 2: A cluster with 2 servers will provide no failure tolerance. "
        "See https://www.consul.io/docs/internals/consensus.html#deployment-table");
  } else if (c.bootstrap_expect > 2 && c.bootstrap_expect % 2 == 0) {
    warnings->push_back(
        "bootstrap_expect is even number: A cluster with an even number of servers does not "
        "achieve optimum fault tolerance. See "
        "https://www.consul.io/docs/internals/consensus.html#deployment-table");
  }
  if (c.bootstrap_expect > 0) {
    warnings->push_back(Cat("bootstrap_expect > 0: expecting ", c.bootstrap_expect, " servers"));
  }

  // -- data dir --
  if (c.data_dir.empty() && !c.dev_mode) return Invalid("data_dir cannot be empty");
  if (!c.dev_mode) {  // dev mode keeps its state in memory and never uses the directory
    struct stat st;
    if (stat(c.data_dir.c_str(), &st) != 0) {
      if (errno != ENOENT) {
        return Invalid(Cat("Error getting info on data_dir: ", std::strerror(errno)));
      }
    } else if (!S_ISDIR(st.st_mode)) {
      return Invalid(Cat("data_dir \"", c.data_dir, "\" is not a directory"));
    }
  }

  // -- identity --
  if (c.datacenter.empty()) return Invalid("datacenter cannot be empty");
  if (!IsValidDatacenter(c.datacenter)) {
    return Invalid(
        Cat("datacenter can only contain lowercase alphanumeric, - or _ characters. "
            "received: \"",
            c.datacenter, "\""));
  }
  if (c.primary_datacenter.empty()) c.primary_datacenter = c.datacenter;
  if (!IsValidDatacenter(c.primary_datacenter)) {
    return Invalid(
        Cat("primary_datacenter can only contain lowercase alphanumeric, - or _ "
            "characters. received: \"",
            c.primary_datacenter, "\""));
  }
  if (c.node_name.empty()) return Invalid("node_name cannot be empty");
  if (!IsDnsLabel(c.node_name)) {
    warnings->push_back(Cat("Node name \"", c.node_name,
                            "\" will not be discoverable via DNS due to invalid "
                            "characters. Valid characters include all alpha-numerics "
                            "and dashes."));
  } else if (c.node_name.size() > 63) {
    warnings->push_back(Cat("Node name \"", c.node_name,
                            "\" will not be discoverable via DNS due to it being too "
                            "long. Valid lengths are between 1 and 63 bytes."));
  }
  if (!c.node_id.empty() && !IsValidUuid(c.node_id)) {
    return Invalid(Cat("node_id \"", c.node_id, "\" is not a valid UUID"));
  }
  if (absl::Status s = ValidateMeta(c.node_meta); !s.ok()) return s;
  if (c.domain == ".") return Invalid("domain cannot be empty");
  for (std::string_view label : {"service", "connect", "node", "query", "addr"}) {
    if (absl::StartsWith(c.alt_domain, Cat(label, ".")) ||
        absl::StartsWith(c.alt_domain, Cat(c.datacenter, "."))) {
      return Invalid(
          Cat("alt_domain cannot start with {service,connect,node,query,addr,", c.datacenter, "}"));
    }
  }

  // -- network --
  if (absl::Status s = ValidateAddresses(c); !s.ok()) return s;
  if (absl::Status s = ValidatePorts(c.ports); !s.ok()) return s;
  for (const std::string& r : c.recursors) {
    if (absl::StrContains(r, "{{")) {
      return Invalid(Cat("recursors: go-sockaddr templates are not supported: ", r));
    }
    if (IsAny(r)) return Invalid("DNS recursor address cannot be 0.0.0.0, :: or [::]");
  }
  if (c.reconnect_timeout < std::chrono::hours(8) ||
      c.reconnect_timeout_wan < std::chrono::hours(8)) {
    return Invalid("reconnect_timeout must be >= 8h");
  }
  if (c.retry_max < 0 || c.retry_max_wan < 0) return Invalid("retry_max cannot be negative");

  // -- gossip --
  if (!c.encrypt.empty()) {
    absl::StatusOr<size_t> n = DecodedBase64Length(c.encrypt);
    if (!n.ok()) return Invalid(Cat("encrypt has invalid key: ", n.status().message()));
    if (*n != 16 && *n != 24 && *n != 32) {
      return Invalid("encrypt has invalid key: key size must be 16, 24 or 32 bytes");
    }
  }
  if (c.protocol < 2 || c.protocol > 3) {
    return Invalid(
        Cat("protocol version '", c.protocol, "' is not supported. Must be in range: [2, 3]"));
  }
  if (c.raft_protocol != 3) {
    return Invalid(Cat("raft_protocol version ", c.raft_protocol,
                       " is not supported by this version of Cairn"));
  }

  // -- acl, dns, ui --
  if (c.acl.default_policy != "allow" && c.acl.default_policy != "deny") {
    return Invalid(
        Cat("acl.default_policy: invalid value \"", c.acl.default_policy, "\" (allow or deny)"));
  }
  static const std::set<std::string> kDown = {"allow", "deny", "extend-cache", "async-cache"};
  if (kDown.count(c.acl.down_policy) == 0) {
    return Invalid(Cat("acl.down_policy: invalid value \"", c.acl.down_policy,
                       "\" (allow, deny, extend-cache or async-cache)"));
  }
  if (c.dns_config.recursor_strategy != "sequential" &&
      c.dns_config.recursor_strategy != "random") {
    return Invalid(Cat("dns_config.recursor_strategy: invalid value \"",
                       c.dns_config.recursor_strategy, "\" (sequential or random)"));
  }
  if (c.dns_config.udp_answer_limit < 0) {
    return Invalid(Cat("dns_config.udp_answer_limit cannot be ", c.dns_config.udp_answer_limit,
                       ". Must be greater than or equal to zero"));
  }
  if (c.dns_config.a_record_limit < 0) {
    return Invalid(Cat("dns_config.a_record_limit cannot be ", c.dns_config.a_record_limit,
                       ". Must be greater than or equal to zero"));
  }
  // In dev mode the UI is on by default, so -ui-dir alone must still work there.
  if (!c.dev_mode && c.ui_config.enabled && !c.ui_config.dir.empty()) {
    return Invalid(
        "Both the ui_config.enabled and ui_config.dir (or -ui and -ui-dir) were specified, "
        "please provide only one.\n"
        "If trying to use your own web UI resources, use ui_config.dir or the -ui-dir flag.\n"
        "The web UI is included in the binary so use ui_config.enabled or the -ui flag to "
        "enable it");
  }
  for (char ch : c.ui_config.content_path) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '/' && ch != '_' &&
        ch != '-') {
      return Invalid(Cat("ui-content-path can only contain alphanumeric, -, _, or /. received: \"",
                         c.ui_config.content_path, "\""));
    }
  }
  if (!absl::StartsWith(c.ui_config.content_path, "/")) {
    c.ui_config.content_path = "/" + c.ui_config.content_path;
  }
  if (!absl::EndsWith(c.ui_config.content_path, "/")) c.ui_config.content_path += "/";
  if (c.check_output_max_size < 1) {
    return Invalid(
        "check_output_max_size must be positive, to discard check output use the "
        "discard_check_output flag");
  }
  if (c.performance.raft_multiplier < 1 || c.performance.raft_multiplier > 10) {
    return Invalid(Cat("performance.raft_multiplier cannot be ", c.performance.raft_multiplier,
                       ". Must be between 1 and 10"));
  }
  return ValidateDefinitions(c);
}

}  // namespace cairn::agent::internal
