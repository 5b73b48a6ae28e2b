// cairn/dns/dns_config.h — the DNS settings of a Consul agent configuration.
//
// DnsConfig holds every key of the `dns_config` block (spec/dns.md §13) plus the related
// top-level keys (`domain`, `alt_domain`, `recursors`, `ports.dns`, `addresses.dns`,
// `translate_wan_addrs`), each defaulting to Consul's value, so a configuration layer can
// start from `DnsConfig{}` and overwrite what the user set. Nothing here does I/O.
//
// Example (the agent's config layer):
//
//   DnsConfig dns;                                   // Consul's defaults
//   dns.domain = "cairn.";
//   dns.recursors = {"8.8.8.8", "[::1]:5353"};
//   dns.service_ttl["web*"] = std::chrono::seconds(10);
//   CAIRN_RETURN_IF_ERROR(ValidateDnsConfig(dns, /*datacenter=*/"dc1"));
//   CAIRN_ASSIGN_OR_RETURN(ForwarderOptions fwd, ForwarderOptionsFromConfig(dns));
//
// Durations are kept in milliseconds; TTLs are emitted in whole seconds, truncated, as Go
// does with `uint32(ttl / time.Second)`.
#ifndef CAIRN_DNS_DNS_CONFIG_H_
#define CAIRN_DNS_DNS_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/dns/forwarder.h>
#include <cairn/dns/query_name.h>

namespace cairn::dns {

// `dns_config.soa`: the fields of the SOA record Consul synthesises (seconds).
struct SoaConfig {
  std::uint32_t refresh = 3600;
  std::uint32_t retry = 600;
  std::uint32_t expire = 86400;
  std::uint32_t min_ttl = 0;  // also the SOA record's own TTL
};

struct DnsConfig {
  // --- top-level keys ---
  std::string domain = "consul.";  // `domain` / -domain; made absolute and lower-cased
  std::string alt_domain;          // `alt_domain` / -alt-domain; empty = none
  // `recursors` / -recursor, as written ("1.2.3.4", "1.2.3.4:5353", "[::1]:53").
  std::vector<std::string> recursors;
  int port = 8600;      // `ports.dns` / -dns-port; <= 0 or > 65535 disables DNS
  std::string address;  // `addresses.dns`; empty = `client_addr`
  bool translate_wan_addrs = false;

  // --- the dns_config block ---
  bool allow_stale = true;
  std::chrono::milliseconds max_stale = std::chrono::hours(87600);
  std::chrono::milliseconds node_ttl{0};
  // Service name -> TTL. Keys are exact names, `prefix*` (longest prefix wins) or `*`.
  // Matched case-insensitively.
  std::map<std::string, std::chrono::milliseconds> service_ttl;
  bool enable_truncate = false;
  bool only_passing = false;
  RecursorStrategy recursor_strategy = RecursorStrategy::kSequential;
  std::chrono::milliseconds recursor_timeout{2000};
  bool disable_compression = false;
  int udp_answer_limit = 3;  // non-EDNS UDP answers; capped at 8 when applied
  int a_record_limit = 0;    // A/AAAA answers over UDP and TCP; 0 = unlimited
  bool enable_additional_node_meta_txt = true;
  SoaConfig soa;
  bool use_cache = false;
  std::chrono::milliseconds cache_max_age{0};
  bool prefer_namespace = false;  // Enterprise, deprecated: accepted and ignored
};

// Checks what Consul checks when loading the configuration, with its messages where it
// has one: `domain` and `alt_domain` must be valid names; `alt_domain`'s first label must
// not be `service`, `connect`, `node`, `query`, `addr` or `datacenter`; every recursor
// must parse (ParseRecursor); limits and durations must not be negative. kInvalidArgument.
absl::Status ValidateDnsConfig(const DnsConfig& config, std::string_view datacenter);

// The zones of `config` (absolute, lower-cased). kInvalidArgument for a bad name.
absl::StatusOr<DomainConfig> DomainsFromConfig(const DnsConfig& config);

// Recursors parsed and de-duplicated (first occurrence kept), with recursor_timeout and
// recursor_strategy. kInvalidArgument naming the entry that does not parse.
absl::StatusOr<ForwarderOptions> ForwarderOptionsFromConfig(const DnsConfig& config);

// The TTL of answers about `service` (spec §7): the exact key, else the longest matching
// `prefix*` key, else 0. Case-insensitive.
std::chrono::milliseconds ServiceTtl(const DnsConfig& config, std::string_view service);

}  // namespace cairn::dns

#endif  // CAIRN_DNS_DNS_CONFIG_H_
