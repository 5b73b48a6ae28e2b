// Node, service, addr and PTR lookups of the Resolver, following Go's agent/dns.go
// (Consul 1.x CE) as summarised in spec/dns.md §4–§7; comments name the Go behaviour
// where it is surprising.
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <absl/random/random.h>

#include "resolver_internal.h"

namespace cairn::dns::internal {
namespace {

using catalog::Node;
using catalog::Service;
using catalog::ServiceInstance;

// Appends the dot-separated labels of `text` (node names may contain dots, as in Go's
// string concatenation of FQDNs). False when a label is empty or too long.
bool AppendDotted(Name* name, std::string_view text) {
  while (!text.empty()) {
    std::size_t dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    if (!name->AppendLabel(label).ok()) return false;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
    if (text.empty()) return false;  // trailing dot inside a node name
  }
  return true;
}

// `<prefix>.<kind>.<dc>.<domain>`, e.g. n1.node.dc1.consul.
bool CanonicalName(std::string_view prefix, std::string_view kind, std::string_view dc,
                   const Name& domain, Name* out) {
  Name n;
  if (!AppendDotted(&n, prefix) || !n.AppendLabel(kind).ok() || !AppendDotted(&n, dc) ||
      !n.Append(domain).ok()) {
    return false;
  }
  *out = n;
  return true;
}

std::string_view EffectiveDc(const Lookup& lookup, const Node& node) {
  return node.datacenter.empty() ? std::string_view(lookup.state.datacenter)
                                 : std::string_view(node.datacenter);
}

// IPv4-mapped IPv6 addresses count as IPv4, as Go's net.IP.To4 does.
IpAddress Normalise(IpAddress ip) {
  if (!ip.is_v6) return ip;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!std::equal(kMapped, kMapped + 12, ip.bytes.begin())) return ip;
  IpAddress v4;
  std::copy(ip.bytes.begin() + 12, ip.bytes.end(), v4.bytes.begin());
  return v4;
}

std::optional<IpAddress> ParseIp(std::string_view text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  if (ip) ip = Normalise(*ip);
  return ip;
}

// Spec §5.1: for A questions prefer an IPv4 form of the address, for AAAA an IPv6 one,
// taken from the lan_ipv4 / lan_ipv6 tagged address when the primary is the other family.
template <typename Lookup>
std::string_view PreferFamily(std::string_view address, RrType qtype, Lookup tagged) {
  if (address.empty() || (qtype != RrType::kA && qtype != RrType::kAaaa)) return address;
  std::optional<IpAddress> ip = ParseIp(address);
  const bool want_v6 = qtype == RrType::kAaaa;
  if (ip && ip->is_v6 == want_v6) return address;
  std::string_view alt = tagged(want_v6 ? "lan_ipv6" : "lan_ipv4");
  return alt.empty() ? address : alt;
}

std::string_view NodeAddress(const Node& node, RrType qtype) {
  return PreferFamily(node.address, qtype, [&](const char* key) -> std::string_view {
    auto it = node.tagged_addresses.find(key);
    return it == node.tagged_addresses.end() ? std::string_view() : it->second;
  });
}

std::string_view ServiceAddress(const Service& svc, RrType qtype) {
  return PreferFamily(svc.address, qtype, [&](const char* key) -> std::string_view {
    auto it = svc.tagged_addresses.find(key);
    return it == svc.tagged_addresses.end() ? std::string_view() : it->second.address;
  });
}

// RFC 1464 `key=value` (spec §4.1), or the value alone for `rfc1035-` keys.
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
  std::string escaped;
  for (std::size_t i = 0; i < lead; ++i) escaped += "` ";
  escaped.append(k, lead, k.size() - lead - trail);
  for (std::size_t i = 0; i < trail; ++i) escaped += "` ";
  std::string out = escaped + "=";
  for (char c : value) {
    if (c == '`') out += '`';
    out += c;
  }
  return out;
}

void AppendMetaTxt(const Node& node, const Name& owner, std::uint32_t ttl,
                   std::vector<ResourceRecord>* out) {
  for (const auto& [key, value] : node.meta) {
    out->push_back(ResourceRecord::Txt(owner, ttl, {MetaTxt(key, value)}));
  }
}

// Records for a hostname target (Go's resolveCNAME): Consul names are answered
// internally; outside names would need the recursors (not done: no extra records).
void AppendResolved(const Lookup& lookup, const Name& target, std::uint32_t ttl,
                    std::vector<ResourceRecord>* out) {
  std::size_t added = 0;
  for (ResourceRecord& rr : ResolveInternal(lookup, target)) {
    if (rr.type != RrType::kCname && rr.type != RrType::kA && rr.type != RrType::kAaaa) continue;
    rr.ttl = ttl;
    out->push_back(std::move(rr));
    if (++added == kMaxRecurseRecords && !lookup.edns) break;
  }
}

// Go's makeRecordFromNode: an address record for the node named `owner`, or a CNAME to
// its hostname address followed by whatever that resolves to.
void NodeRecords(const Lookup& lookup, const Node& node, RrType qtype, const Name& owner,
                 std::uint32_t ttl, std::vector<ResourceRecord>* out) {
  std::string_view address = NodeAddress(node, qtype);
  if (std::optional<IpAddress> ip = ParseIp(address)) {
    ResourceRecord rr;
    if (MakeAddressRecord(qtype, *ip, owner, ttl, &rr)) out->push_back(std::move(rr));
    return;
  }
  absl::StatusOr<Name> target = Name::Parse(address);
  if (address.empty() || !target.ok()) return;
  out->push_back(ResourceRecord::Cname(owner, ttl, *target));
  std::vector<ResourceRecord> more;
  AppendResolved(lookup, *target, ttl, &more);
  for (ResourceRecord& rr : more) out->push_back(std::move(rr));
}

std::uint16_t SrvWeight(const ServiceInstance& inst) {
  std::string_view status = inst.AggregatedStatus();
  if (status == catalog::kStatusPassing)
    return static_cast<std::uint16_t>(inst.service->weights.passing);
  if (status == catalog::kStatusWarning)
    return static_cast<std::uint16_t>(inst.service->weights.warning);
  if (status == catalog::kStatusCritical || status == catalog::kStatusMaintenance) return 0;
  return 1;
}

// The records of one instance (Go's makeNodeServiceRecords): for SRV, the SRV answer and
// the target's records; otherwise the address answer(s).
struct InstanceRecords {
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> extra;
};

InstanceRecords MakeInstanceRecords(const Lookup& lookup, const ServiceInstance& inst,
                                    std::uint32_t ttl) {
  InstanceRecords r;
  const Node& node = *inst.node;
  const Service& svc = *inst.service;
  const RrType qtype = lookup.qtype;
  const std::string_view dc = lookup.state.datacenter;
  std::string_view service_addr = ServiceAddress(svc, qtype);
  std::string_view node_addr = NodeAddress(node, qtype);
  if (service_addr.empty() && node_addr.empty()) return r;
  std::optional<IpAddress> node_ip = ParseIp(node_addr);
  std::optional<IpAddress> service_ip = ParseIp(service_addr);

  auto srv = [&](const Name& target) {
    r.answers.push_back(ResourceRecord::Srv(lookup.qname, ttl, 1, SrvWeight(inst),
                                            static_cast<std::uint16_t>(svc.port), target));
  };
  // The node form (target <node>.node.<dc>.<domain>) or the addr form (<hex>.addr...).
  auto from_ip = [&](const IpAddress& ip, bool node_form) {
    ResourceRecord rr;
    if (qtype != RrType::kSrv) {
      if (MakeAddressRecord(qtype, ip, lookup.qname, ttl, &rr)) r.answers.push_back(rr);
      return;
    }
    Name target;
    bool ok = node_form
                  ? CanonicalName(node.name, "node", dc, lookup.response_domain(), &target)
                  : CanonicalName(ip.HexLabel(), "addr", dc, lookup.response_domain(), &target);
    if (!ok || !MakeAddressRecord(qtype, ip, target, ttl, &rr)) return;
    srv(target);
    r.extra.push_back(std::move(rr));
  };
  // A hostname (Go's makeRecordFromFQDN): SRV target, or CNAME plus resolved records.
  auto from_hostname = [&](std::string_view host) {
    absl::StatusOr<Name> target = Name::Parse(host);
    if (!target.ok()) return;
    std::vector<ResourceRecord> resolved;
    AppendResolved(lookup, *target, ttl, &resolved);
    if (qtype == RrType::kSrv) {
      srv(*target);
      r.extra = std::move(resolved);
      return;
    }
    r.answers.push_back(ResourceRecord::Cname(lookup.qname, ttl, *target));
    for (ResourceRecord& rr : resolved) r.answers.push_back(std::move(rr));
  };

  if (service_addr.empty() && node_ip) {
    from_ip(*node_ip, node_addr == node.address);  // a tagged address is no node name
  } else if (service_addr.empty()) {
    from_hostname(node_addr);
  } else if (service_ip) {
    from_ip(*service_ip, false);
  } else if (node_ip && Name::Parse(service_addr).ok() &&
             *Name::Parse(service_addr) == lookup.qname) {
    from_ip(*node_ip, true);  // the service address names this very question
  } else {
    from_hostname(service_addr);
  }
  return r;
}

// A key identifying a record's owner, type and data, for de-duplication.
std::string RecordKey(const ResourceRecord& rr) {
  std::string key(reinterpret_cast<const char*>(rr.name.wire().data()), rr.name.wire_length());
  for (char& c : key) c = static_cast<char>(AsciiLower(static_cast<std::uint8_t>(c)));
  key.push_back(static_cast<char>(rr.type));
  if (const auto* a = std::get_if<ARdata>(&rr.rdata)) {
    key.append(a->address.begin(), a->address.end());
  } else if (const auto* aaaa = std::get_if<AaaaRdata>(&rr.rdata)) {
    key.append(aaaa->address.begin(), aaaa->address.end());
  } else if (const auto* d = std::get_if<DomainRdata>(&rr.rdata)) {
    std::string t = d->name.ToString();
    for (char& c : t) c = static_cast<char>(AsciiLower(static_cast<std::uint8_t>(c)));
    key += t;
  }
  return key;
}

void ShuffleInstances(std::vector<ServiceInstance>* instances) {
  thread_local absl::InsecureBitGen gen;
  std::shuffle(instances->begin(), instances->end(), gen);
}

void AddressAnswers(const Lookup& lookup, const std::vector<ServiceInstance>& instances,
                    std::uint32_t ttl, Draft* draft) {
  // Go's addServiceNodeRecordsToMessage: one answer set per instance, de-duplicated on
  // its first record; CNAME sets are used only when no instance has a plain address.
  std::unordered_set<std::string> handled;
  std::vector<ResourceRecord> first_cname;
  const int limit = lookup.state.config.a_record_limit;
  int count = 0;
  for (const ServiceInstance& inst : instances) {
    InstanceRecords rec = MakeInstanceRecords(lookup, inst, ttl);
    if (rec.answers.empty()) continue;
    if (!handled.insert(RecordKey(rec.answers.front())).second) continue;
    if (rec.answers.front().type == RrType::kCname) {
      if (first_cname.empty()) first_cname = std::move(rec.answers);
      continue;
    }
    for (ResourceRecord& rr : rec.answers) draft->answers.push_back(std::move(rr));
    if (++count == limit) break;
  }
  if (draft->answers.empty() && !first_cname.empty()) draft->answers = std::move(first_cname);
}

void SrvAnswers(const Lookup& lookup, const std::vector<ServiceInstance>& instances,
                std::uint32_t ttl, Draft* draft) {
  // Go dedupes on node:serviceAddress:port; the additional records are grouped per
  // target so that cutting answers cuts their records too.
  std::unordered_set<std::string> handled;
  std::unordered_map<std::string, int> group_of_target;
  const bool meta_txt = lookup.state.config.enable_additional_node_meta_txt;
  for (const ServiceInstance& inst : instances) {
    const Service& svc = *inst.service;
    std::string tuple = inst.node->name;
    tuple += ':';
    tuple += svc.address;
    tuple += ':';
    tuple += std::to_string(svc.port);
    if (!handled.insert(std::move(tuple)).second) continue;
    InstanceRecords rec = MakeInstanceRecords(lookup, inst, ttl);
    if (rec.answers.empty()) continue;
    const auto& srv = std::get<SrvRdata>(rec.answers.front().rdata);
    std::string key = srv.target.ToString();
    for (char& c : key) c = static_cast<char>(AsciiLower(static_cast<std::uint8_t>(c)));
    auto [it, fresh] = group_of_target.emplace(std::move(key), 0);
    if (fresh) {
      it->second = static_cast<int>(draft->extra_groups.size());
      std::vector<ResourceRecord> group = std::move(rec.extra);
      Name node_name;
      if (meta_txt && CanonicalName(inst.node->name, "node", lookup.state.datacenter,
                                    lookup.response_domain(), &node_name)) {
        AppendMetaTxt(*inst.node, node_name, ttl, &group);
      }
      draft->extra_groups.push_back(std::move(group));
    }
    draft->answers.push_back(std::move(rec.answers.front()));
    draft->answer_group.push_back(it->second);
  }
}

bool LocalDatacenter(const Lookup& lookup, const std::string& dc) {
  return dc.empty() || dc == lookup.state.datacenter;
}

}  // namespace

std::uint32_t TtlSeconds(std::chrono::milliseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s <= 0) return 0;
  return s > 0x7fffffff ? 0x7fffffffu : static_cast<std::uint32_t>(s);
}

bool MakeAddressRecord(RrType qtype, const IpAddress& ip, const Name& owner, std::uint32_t ttl,
                       ResourceRecord* out) {
  const bool any_family = qtype == RrType::kSrv || qtype == RrType::kAny || qtype == RrType::kNs ||
                          qtype == RrType::kTxt;
  if (!ip.is_v6) {
    if (!any_family && qtype != RrType::kA) return false;
    *out = ResourceRecord::A(owner, ttl, {ip.bytes[0], ip.bytes[1], ip.bytes[2], ip.bytes[3]});
    return true;
  }
  if (!any_family && qtype != RrType::kAaaa) return false;
  *out = ResourceRecord::Aaaa(owner, ttl, ip.bytes);
  return true;
}

void LookupNode(const Lookup& lookup, const ParsedQuery& q, Draft* draft) {
  const RrType qtype = lookup.qtype;
  // Go answers other types with an empty NOERROR before even looking the node up.
  if (qtype != RrType::kAny && qtype != RrType::kA && qtype != RrType::kAaaa &&
      qtype != RrType::kTxt) {
    return;
  }
  std::shared_ptr<const Node> node;
  if (LocalDatacenter(lookup, q.datacenter)) node = lookup.source.LookupNode(q.node);
  if (node == nullptr) {
    draft->rcode = kNxDomain;
    draft->add_soa = true;
    return;
  }
  const std::uint32_t ttl = lookup.state.node_ttl;
  if (qtype != RrType::kTxt) NodeRecords(lookup, *node, qtype, lookup.qname, ttl, &draft->answers);
  const bool in_answer = qtype == RrType::kTxt || qtype == RrType::kAny;
  if (lookup.state.config.enable_additional_node_meta_txt || in_answer) {
    AppendMetaTxt(*node, lookup.qname, ttl, in_answer ? &draft->answers : &draft->additionals);
  }
}

void LookupService(const Lookup& lookup, const ParsedQuery& q, Draft* draft) {
  std::vector<ServiceInstance> instances;
  if (LocalDatacenter(lookup, q.datacenter)) {
    const auto filter = lookup.state.config.only_passing ? catalog::HealthFilter::kPassingOnly
                                                         : catalog::HealthFilter::kNotCritical;
    instances = lookup.source.ServiceInstances(q.service, q.tag, "", filter);
  }
  if (instances.empty()) {
    draft->rcode = kNxDomain;  // Go: no instances is NXDOMAIN, not NODATA
    draft->add_soa = true;
    return;
  }
  ShuffleInstances(&instances);
  const std::uint32_t ttl = TtlSeconds(ServiceTtl(lookup.state.config, q.service));
  if (lookup.qtype == RrType::kSrv) {
    SrvAnswers(lookup, instances, ttl, draft);
  } else {
    AddressAnswers(lookup, instances, ttl, draft);
  }
  if (draft->answers.empty()) draft->add_soa = true;  // NODATA (RFC 2308 §2.2)
}

void LookupAddr(const Lookup& lookup, const ParsedQuery& q, Draft* draft) {
  const IpAddress& ip = *q.address;
  const bool in_answer =
      lookup.qtype == RrType::kAny || lookup.qtype == (ip.is_v6 ? RrType::kAaaa : RrType::kA);
  // The owner is the normalised question name, so it carries the response domain.
  Name owner = lookup.qname;
  owner.ToLower();
  ResourceRecord rr;
  MakeAddressRecord(ip.is_v6 ? RrType::kAaaa : RrType::kA, ip, owner, lookup.state.node_ttl, &rr);
  (in_answer ? draft->answers : draft->additionals).push_back(std::move(rr));
}

bool LookupPtr(const Lookup& lookup, const ParsedQuery& q, Draft* draft) {
  if (!q.address) return false;
  const std::string text = q.address->ToString();
  const Name& domain = lookup.state.domains.domain;  // PTR answers use the primary domain
  Name target;
  for (const auto& node : lookup.source.NodesByAddress(text)) {
    // Go compares the node's Address only (not its tagged addresses).
    std::optional<IpAddress> ip = ParseIp(node->address);
    if (!ip || !(*ip == *q.address)) continue;
    if (!CanonicalName(node->name, "node", EffectiveDc(lookup, *node), domain, &target)) continue;
    draft->answers.push_back(ResourceRecord::Ptr(lookup.qname, 0, target));
    return true;
  }
  for (const catalog::CatalogService& cs : lookup.source.ServicesByAddress(text)) {
    if (!CanonicalName(cs.service->service, "service", EffectiveDc(lookup, *cs.node), domain,
                       &target)) {
      continue;
    }
    draft->answers.push_back(ResourceRecord::Ptr(lookup.qname, 0, target));
    return true;
  }
  return false;
}

void Nameservers(const Lookup& lookup, std::vector<ResourceRecord>* ns,
                 std::vector<ResourceRecord>* glue) {
  const auto filter = lookup.state.config.only_passing ? catalog::HealthFilter::kPassingOnly
                                                       : catalog::HealthFilter::kNotCritical;
  std::vector<ServiceInstance> servers = lookup.source.ServiceInstances("consul", "", "", filter);
  ShuffleInstances(&servers);
  const Name& domain = lookup.response_domain();
  const std::uint32_t ttl = lookup.state.node_ttl;
  std::unordered_set<std::string> seen;
  for (const ServiceInstance& inst : servers) {
    const Node& node = *inst.node;
    // Go skips node names that are not valid DNS labels ([A-Za-z0-9-] only).
    if (node.name.empty() || !std::all_of(node.name.begin(), node.name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      continue;
    }
    if (!seen.insert(node.name).second) continue;  // one NS per server node
    Name fqdn;
    if (!CanonicalName(node.name, "node", EffectiveDc(lookup, node), domain, &fqdn)) continue;
    fqdn.ToLower();
    ns->push_back(ResourceRecord::Ns(domain, ttl, fqdn));
    NodeRecords(lookup, node, RrType::kAny, fqdn, ttl, glue);
    if (ns->size() >= 3) break;
  }
}

std::vector<ResourceRecord> ResolveInternal(const Lookup& lookup, const Name& name) {
  const bool inside =
      name.IsSubdomainOf(lookup.state.domains.domain) ||
      (lookup.state.domains.alt_domain && name.IsSubdomainOf(*lookup.state.domains.alt_domain));
  if (!inside || lookup.depth < 1) return {};  // Go logs "infinite recursion" here
  ParsedQuery q = ParseQueryName(name, RrType::kAny, lookup.state.domains);
  Lookup sub{lookup.state, lookup.source,   name, RrType::kAny, lookup.edns,
             q.alt_domain, lookup.depth - 1};
  Draft draft;
  switch (q.kind) {
    case QueryKind::kNode:
      LookupNode(sub, q, &draft);
      break;
    case QueryKind::kService:
      LookupService(sub, q, &draft);
      break;
    case QueryKind::kAddr:
      LookupAddr(sub, q, &draft);
      break;
    default:
      break;
  }
  return std::move(draft.answers);
}

}  // namespace cairn::dns::internal
