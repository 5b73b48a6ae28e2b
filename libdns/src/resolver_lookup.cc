// Node, service, addr and PTR lookups of the Resolver, following Go's agent/dns.go
// (Consul 1.x CE) as summarised in spec/dns.md §4–§7; comments name the Go behaviour
// where it is surprising.
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <absl/random/random.h>

#include "resolver_cache.h"
#include "resolver_internal.h"

namespace cairn::dns::internal {
namespace {

using catalog::Node;

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

}  // namespace

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

namespace {

std::string_view EffectiveDc(const Lookup& lookup, const Node& node) {
  return node.datacenter.empty() ? std::string_view(lookup.state.datacenter)
                                 : std::string_view(node.datacenter);
}

void AppendMetaTxt(const Node& node, const Name& owner, std::uint32_t ttl,
                   std::vector<ResourceRecord>* out) {
  for (const auto& [key, value] : node.meta) {
    out->push_back(ResourceRecord::Txt(owner, ttl, {MetaTxt(key, value)}));
  }
}

}  // namespace

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

namespace {

// Go's makeRecordFromNode: an address record for the node named `owner`, or a CNAME to
// its hostname address followed by whatever that resolves to.
void NodeRecords(const Lookup& lookup, const Node& node, RrType qtype, const Name& owner,
                 std::uint32_t ttl, std::vector<ResourceRecord>* out) {
  std::string_view address = NodeAddressFor(node, FamilyOf(qtype));
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
  if (qtype != RrType::kTxt) NodeRecords(lookup, *node, qtype, *lookup.qname, ttl, &draft->answers);
  const bool in_answer = qtype == RrType::kTxt || qtype == RrType::kAny;
  if (lookup.state.config.enable_additional_node_meta_txt || in_answer) {
    AppendMetaTxt(*node, *lookup.qname, ttl, in_answer ? &draft->answers : &draft->additionals);
  }
}

void LookupAddr(const Lookup& lookup, const ParsedQuery& q, Draft* draft) {
  const IpAddress& ip = *q.address;
  const bool in_answer =
      lookup.qtype == RrType::kAny || lookup.qtype == (ip.is_v6 ? RrType::kAaaa : RrType::kA);
  // The owner is the normalised question name, so it carries the response domain.
  Name owner = *lookup.qname;
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
    draft->answers.push_back(ResourceRecord::Ptr(*lookup.qname, 0, target));
    return true;
  }
  for (const catalog::CatalogService& cs : lookup.source.ServicesByAddress(text)) {
    if (!CanonicalName(cs.service->service, "service", EffectiveDc(lookup, *cs.node), domain,
                       &target)) {
      continue;
    }
    draft->answers.push_back(ResourceRecord::Ptr(*lookup.qname, 0, target));
    return true;
  }
  return false;
}

void Nameservers(const Lookup& lookup, std::vector<ResourceRecord>* ns,
                 std::vector<ResourceRecord>* glue) {
  const auto filter = lookup.state.config.only_passing ? catalog::HealthFilter::kPassingOnly
                                                       : catalog::HealthFilter::kNotCritical;
  std::shared_ptr<const PreparedService> servers =
      lookup.cache->Get(lookup.source, "consul", "", filter);
  const Name& domain = lookup.response_domain();
  const std::uint32_t ttl = lookup.state.node_ttl;
  std::unordered_set<std::string> seen;
  LazyShuffle shuffle(servers->instances.size());
  for (std::size_t i; shuffle.Next(&i);) {
    const Node& node = *servers->instances[i].instance.node;
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
  Lookup sub = lookup;
  sub.qname = &name;
  sub.qtype = RrType::kAny;
  sub.alt_domain = q.alt_domain;
  sub.depth = lookup.depth - 1;
  sub.max_answers = SIZE_MAX;
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
