// Preparing service instances for answering, and the versioned cache of prepared
// lookups. The address rules follow Go's makeNodeServiceRecords and TranslateAddress for
// the local datacenter (spec/dns.md §5).
#include "resolver_cache.h"

#include <algorithm>
#include <functional>

#include "resolver_internal.h"

namespace cairn::dns::internal {
namespace {

using catalog::Node;
using catalog::Service;
using catalog::ServiceInstance;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(AsciiLower(static_cast<std::uint8_t>(c)));
  return out;
}

IpAddress Normalise(IpAddress ip) {
  if (!ip.is_v6) return ip;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!std::equal(kMapped, kMapped + 12, ip.bytes.begin())) return ip;
  IpAddress v4;
  std::copy(ip.bytes.begin() + 12, ip.bytes.end(), v4.bytes.begin());
  return v4;
}

// For A questions an IPv4 form of the address, for AAAA an IPv6 one, taken from the
// lan_ipv4 / lan_ipv6 tagged address when the primary address is of the other family.
template <typename Tagged>
std::string_view PreferFamily(std::string_view address, int family, Tagged tagged) {
  if (address.empty() || family == kFamilyOther) return address;
  std::optional<IpAddress> ip = ParseIp(address);
  const bool want_v6 = family == kFamilyAaaa;
  if (ip && ip->is_v6 == want_v6) return address;
  std::string_view alt = tagged(want_v6 ? "lan_ipv6" : "lan_ipv4");
  return alt.empty() ? address : alt;
}

std::string_view ServiceAddressFor(const Service& svc, int family) {
  return PreferFamily(svc.address, family, [&](const char* key) -> std::string_view {
    auto it = svc.tagged_addresses.find(key);
    return it == svc.tagged_addresses.end() ? std::string_view() : it->second.address;
  });
}

AddressChoice Choose(const ServiceInstance& inst, int family) {
  AddressChoice c;
  const Node& node = *inst.node;
  std::string_view service_addr = ServiceAddressFor(*inst.service, family);
  std::string_view node_addr = NodeAddressFor(node, family);
  if (service_addr.empty() && node_addr.empty()) return c;
  std::optional<IpAddress> node_ip = ParseIp(node_addr);
  std::optional<IpAddress> service_ip = ParseIp(service_addr);
  if (service_addr.empty() && node_ip) {
    c.kind = AddressChoice::kIp;
    c.ip = *node_ip;
    c.node_form = node_addr == node.address;  // a tagged address is no node name
  } else if (service_addr.empty()) {
    c.kind = AddressChoice::kHost;
    c.host = std::string(node_addr);
  } else if (service_ip) {
    c.kind = AddressChoice::kIp;
    c.ip = *service_ip;
  } else if (node_ip) {
    c.kind = AddressChoice::kHostOrNode;  // the node's address if the host is the question
    c.host = std::string(service_addr);
    c.ip = *node_ip;
    c.node_form = true;
  } else {
    c.kind = AddressChoice::kHost;
    c.host = std::string(service_addr);
  }
  return c;
}

std::string ChoiceKey(const AddressChoice& c) {
  if (c.kind == AddressChoice::kIp) {
    std::string key = c.ip.is_v6 ? "6" : "4";
    key.append(reinterpret_cast<const char*>(c.ip.bytes.data()), c.ip.is_v6 ? 16 : 4);
    return key;
  }
  std::string key = "h" + Lower(c.host);
  if (!key.empty() && key.back() == '.') key.pop_back();
  return key;
}

std::uint16_t Weight(const ServiceInstance& inst) {
  std::string_view status = inst.AggregatedStatus();
  const catalog::Weights& w = inst.service->weights;
  if (status == catalog::kStatusPassing) return static_cast<std::uint16_t>(w.passing);
  if (status == catalog::kStatusWarning) return static_cast<std::uint16_t>(w.warning);
  if (status == catalog::kStatusCritical || status == catalog::kStatusMaintenance) return 0;
  return 1;
}

// Assigns dense group numbers to keys.
class Grouper {
 public:
  int Of(std::string key) {
    auto [it, fresh] = ids_.emplace(std::move(key), static_cast<int>(ids_.size()));
    return it->second;
  }
  int size() const { return static_cast<int>(ids_.size()); }

 private:
  std::unordered_map<std::string, int> ids_;
};

}  // namespace

std::string_view NodeAddressFor(const Node& node, int family) {
  return PreferFamily(node.address, family, [&](const char* key) -> std::string_view {
    auto it = node.tagged_addresses.find(key);
    return it == node.tagged_addresses.end() ? std::string_view() : it->second;
  });
}

std::optional<IpAddress> ParseIp(std::string_view text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  if (ip) ip = Normalise(*ip);
  return ip;
}

std::string MetaTxt(const std::string& key, const std::string& value) {
  if (key.size() >= 8 && EqualsIgnoreCase(std::string_view(key).substr(0, 8), "rfc1035-")) {
    return value;
  }
  std::string k;
  for (char c : key) {
    if (c == '`') {
      k += "``";
    } else if (c == '=') {
      k += "`=";
    } else {
      k += c;
    }
  }
  // Leading and trailing spaces are each written as "` ".
  std::size_t lead = 0;
  while (lead < k.size() && k[lead] == ' ') ++lead;
  std::size_t trail = 0;
  while (trail < k.size() - lead && k[k.size() - 1 - trail] == ' ') ++trail;
  std::string out;
  for (std::size_t i = 0; i < lead; ++i) out += "` ";
  out.append(k, lead, k.size() - lead - trail);
  for (std::size_t i = 0; i < trail; ++i) out += "` ";
  out += '=';
  for (char c : value) {
    if (c == '`') out += '`';
    out += c;
  }
  return out;
}

std::shared_ptr<PreparedService> Prepare(std::vector<ServiceInstance> instances,
                                         std::uint64_t version) {
  auto ps = std::make_shared<PreparedService>();
  ps->version = version;
  ps->instances.reserve(instances.size());
  std::array<Grouper, 3> groups;
  Grouper srv;
  Grouper targets;
  for (ServiceInstance& inst : instances) {
    PreparedInstance p;
    for (int f = 0; f < 3; ++f) {
      p.choice[f] = Choose(inst, f);
      if (p.choice[f].kind != AddressChoice::kNone) {
        p.choice[f].group = groups[f].Of(ChoiceKey(p.choice[f]));
      }
    }
    p.srv_group = srv.Of(inst.node->name + ":" + inst.service->address + ":" +
                         std::to_string(inst.service->port));
    // SRV targets (family "other"): the node name, the addr form or the hostname.
    const AddressChoice& c = p.choice[kFamilyOther];
    const std::string node_key = "n" + Lower(inst.node->name);
    if (c.kind == AddressChoice::kIp) {
      p.target_group = targets.Of(c.node_form ? node_key : ChoiceKey(c));
    } else if (c.kind != AddressChoice::kNone) {
      p.target_group = targets.Of(ChoiceKey(c));
    }
    p.node_target_group = targets.Of(node_key);
    p.weight = Weight(inst);
    for (const auto& [key, value] : inst.node->meta) p.meta_txt.push_back(MetaTxt(key, value));
    p.instance = std::move(inst);
    ps->instances.push_back(std::move(p));
  }
  for (int f = 0; f < 3; ++f) ps->groups[f] = groups[f].size();
  ps->srv_groups = srv.size();
  ps->target_groups = targets.size();
  return ps;
}

std::shared_ptr<const PreparedService> ServiceCache::Get(const catalog::DnsSource& source,
                                                         std::string_view service,
                                                         std::string_view tag,
                                                         catalog::HealthFilter filter) {
  // The version is read before the data (see DnsSource::ServiceVersion).
  const std::uint64_t version = source.ServiceVersion(service);
  std::string key;
  Shard* shard = nullptr;
  if (version != 0) {
    key = Lower(service);
    key += '\0';
    key += Lower(tag);
    key += '\0';
    key += static_cast<char>('0' + static_cast<int>(filter));
    shard = &shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard<std::mutex> lock(shard->mu);
    auto it = shard->entries.find(key);
    if (it != shard->entries.end() && it->second->version == version) return it->second;
  }
  std::shared_ptr<const PreparedService> ps =
      Prepare(source.ServiceInstances(service, tag, "", filter), version);
  if (shard != nullptr) {
    std::lock_guard<std::mutex> lock(shard->mu);
    if (shard->entries.size() >= kMaxEntriesPerShard) shard->entries.clear();
    shard->entries[key] = ps;
  }
  return ps;
}

}  // namespace cairn::dns::internal
