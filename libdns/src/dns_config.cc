// DnsConfig validation and derivation (spec/dns.md §2, §9, §13).
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include <cairn/dns/dns_config.h>
#include <cairn/dns/name.h>

namespace cairn::dns {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(AsciiLower(static_cast<std::uint8_t>(c)));
  return out;
}

absl::StatusOr<Name> ParseZone(std::string_view key, std::string_view text) {
  absl::StatusOr<Name> n = Name::Parse(text);
  if (!n.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: invalid domain name \"{}\": {}", key, text,
                                                  std::string(n.status().message())));
  }
  n->ToLower();
  return n;
}

}  // namespace

absl::Status ValidateDnsConfig(const DnsConfig& config, std::string_view datacenter) {
  absl::StatusOr<Name> domain = ParseZone("domain", config.domain);
  if (!domain.ok()) return domain.status();
  if (domain->is_root()) return absl::InvalidArgumentError("domain: must not be the root");
  if (!config.alt_domain.empty()) {
    absl::StatusOr<Name> alt = ParseZone("alt_domain", config.alt_domain);
    if (!alt.ok()) return alt.status();
    if (alt->is_root()) return absl::InvalidArgumentError("alt_domain: must not be the root");
    std::string_view labels[Name::kMaxLabels];
    alt->Labels(labels);
    const std::string_view first = labels[0];
    for (std::string_view reserved : {"service", "connect", "node", "query", "addr"}) {
      if (first == reserved) {
        return absl::InvalidArgumentError(fmt::format(
            "alt_domain cannot start with {{service,connect,node,query,addr,{}}}", datacenter));
      }
    }
    if (!datacenter.empty() && EqualsIgnoreCase(first, datacenter)) {
      return absl::InvalidArgumentError(fmt::format(
          "alt_domain cannot start with {{service,connect,node,query,addr,{}}}", datacenter));
    }
  }
  if (absl::StatusOr<ForwarderOptions> f = ForwarderOptionsFromConfig(config); !f.ok()) {
    return f.status();
  }
  if (config.udp_answer_limit < 0) {
    return absl::InvalidArgumentError("dns_config.udp_answer_limit cannot be negative");
  }
  if (config.a_record_limit < 0) {
    return absl::InvalidArgumentError("dns_config.a_record_limit cannot be negative");
  }
  using std::chrono::milliseconds;
  auto negative = [](milliseconds d) { return d < milliseconds(0); };
  if (negative(config.node_ttl)) return absl::InvalidArgumentError("dns_config.node_ttl < 0");
  if (negative(config.max_stale)) return absl::InvalidArgumentError("dns_config.max_stale < 0");
  if (negative(config.recursor_timeout) || config.recursor_timeout == milliseconds(0)) {
    return absl::InvalidArgumentError("dns_config.recursor_timeout must be positive");
  }
  if (negative(config.cache_max_age)) {
    return absl::InvalidArgumentError("dns_config.cache_max_age < 0");
  }
  for (const auto& [key, ttl] : config.service_ttl) {
    if (negative(ttl)) {
      return absl::InvalidArgumentError(fmt::format("dns_config.service_ttl[{}] < 0", key));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DomainConfig> DomainsFromConfig(const DnsConfig& config) {
  DomainConfig out;
  absl::StatusOr<Name> domain = ParseZone("domain", config.domain);
  if (!domain.ok()) return domain.status();
  out.domain = *domain;
  if (!config.alt_domain.empty()) {
    absl::StatusOr<Name> alt = ParseZone("alt_domain", config.alt_domain);
    if (!alt.ok()) return alt.status();
    out.alt_domain = *alt;
  }
  return out;
}

absl::StatusOr<ForwarderOptions> ForwarderOptionsFromConfig(const DnsConfig& config) {
  ForwarderOptions out;
  out.timeout = config.recursor_timeout;
  out.strategy = config.recursor_strategy;
  for (const std::string& text : config.recursors) {
    absl::StatusOr<Recursor> r = ParseRecursor(text);
    if (!r.ok()) return r.status();
    if (std::find(out.recursors.begin(), out.recursors.end(), *r) == out.recursors.end()) {
      out.recursors.push_back(*r);
    }
  }
  return out;
}

std::chrono::milliseconds ServiceTtl(const DnsConfig& config, std::string_view service) {
  const std::string name = Lower(service);
  std::size_t best_len = 0;
  bool found = false;
  std::chrono::milliseconds best{0};
  for (const auto& [key, ttl] : config.service_ttl) {
    std::string k = Lower(key);
    if (k == name) return ttl;
    if (!k.empty() && k.back() == '*') {
      k.pop_back();
      if (name.compare(0, k.size(), k) == 0 && (!found || k.size() > best_len)) {
        found = true;
        best_len = k.size();
        best = ttl;
      }
    }
  }
  return found ? best : std::chrono::milliseconds(0);
}

}  // namespace cairn::dns
