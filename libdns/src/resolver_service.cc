// Service lookups (spec/dns.md §4.2, §4.3, §6): the prepared instances of the service
// in a fresh random order, turned into A/AAAA/CNAME answers or SRV answers with their
// targets' records grouped for the additional section. Go's handleServiceQuery,
// addServiceNodeRecordsToMessage and addServiceSRVRecordsToMessage.
#include <numeric>

#include "resolver_cache.h"
#include "resolver_internal.h"

namespace cairn::dns::internal {
namespace {

// The choice actually used for this question: a kHostOrNode host that names the question
// itself means the node's address (Go: "the service address is a CNAME for the service
// we are looking for").
AddressChoice::Kind Resolve(const Lookup& lookup, const AddressChoice& c, Name* host) {
  if (c.kind == AddressChoice::kNone || c.kind == AddressChoice::kIp) return c.kind;
  absl::StatusOr<Name> parsed = Name::Parse(c.host);
  if (!parsed.ok()) return AddressChoice::kNone;
  if (c.kind == AddressChoice::kHostOrNode && *parsed == *lookup.qname) return AddressChoice::kIp;
  *host = std::move(*parsed);
  return AddressChoice::kHost;
}

void AddressAnswers(const Lookup& lookup, const PreparedService& ps, std::uint32_t ttl,
                    Draft* draft) {
  // One answer set per instance, de-duplicated on its first record; CNAME sets are used
  // only when no instance has a plain address, and then only the first one.
  const int family = FamilyOf(lookup.qtype);
  std::vector<bool> handled(ps.groups[family], false);
  std::vector<ResourceRecord> first_cname;
  const int limit = lookup.state.config.a_record_limit;
  int count = 0;
  LazyShuffle order(ps.instances.size());
  for (std::size_t i; order.Next(&i);) {
    const AddressChoice& c = ps.instances[i].choice[family];
    Name host;
    const AddressChoice::Kind kind = Resolve(lookup, c, &host);
    if (kind == AddressChoice::kNone) continue;
    if (kind == AddressChoice::kIp) {
      ResourceRecord rr;
      if (!MakeAddressRecord(lookup.qtype, c.ip, *lookup.qname, ttl, &rr)) continue;
      if (handled[c.group]) continue;
      handled[c.group] = true;
      draft->answers.push_back(std::move(rr));
      if (++count == limit || draft->answers.size() >= lookup.max_answers) break;
      continue;
    }
    if (handled[c.group]) continue;
    handled[c.group] = true;
    if (first_cname.empty()) {
      first_cname.push_back(ResourceRecord::Cname(*lookup.qname, ttl, host));
      AppendResolved(lookup, host, ttl, &first_cname);
    }
  }
  if (draft->answers.empty() && !first_cname.empty()) draft->answers = std::move(first_cname);
}

void SrvAnswers(const Lookup& lookup, const PreparedService& ps, std::uint32_t ttl, Draft* draft) {
  std::vector<bool> handled(ps.srv_groups, false);
  std::vector<int> group_of_target(ps.target_groups, -1);
  const bool meta_txt = lookup.state.config.enable_additional_node_meta_txt;
  const Name& domain = lookup.response_domain();
  const std::string_view dc = lookup.state.datacenter;
  LazyShuffle order(ps.instances.size());
  for (std::size_t i; order.Next(&i);) {
    const PreparedInstance& p = ps.instances[i];
    if (handled[p.srv_group]) continue;
    handled[p.srv_group] = true;
    const AddressChoice& c = p.choice[kFamilyOther];
    Name host;
    const AddressChoice::Kind kind = Resolve(lookup, c, &host);
    if (kind == AddressChoice::kNone) continue;
    const int target_group = c.kind == AddressChoice::kHostOrNode && kind == AddressChoice::kIp
                                 ? p.node_target_group
                                 : p.target_group;
    const std::string& node_name = p.instance.node->name;
    Name target;
    if (kind == AddressChoice::kIp) {
      const bool ok = c.node_form ? CanonicalName(node_name, "node", dc, domain, &target)
                                  : CanonicalName(c.ip.HexLabel(), "addr", dc, domain, &target);
      if (!ok) continue;
    } else {
      target = host;
    }
    int& group = group_of_target[target_group];
    if (group < 0) {
      // The target's records, once per target, dropped with the last answer naming it.
      group = static_cast<int>(draft->extra_groups.size());
      std::vector<ResourceRecord> extra;
      if (kind == AddressChoice::kIp) {
        ResourceRecord rr;
        if (MakeAddressRecord(RrType::kSrv, c.ip, target, ttl, &rr)) extra.push_back(rr);
      } else {
        AppendResolved(lookup, host, ttl, &extra);
      }
      Name node_fqdn;
      if (meta_txt && !p.meta_txt.empty() &&
          CanonicalName(node_name, "node", dc, domain, &node_fqdn)) {
        for (const std::string& txt : p.meta_txt) {
          extra.push_back(ResourceRecord::Txt(node_fqdn, ttl, {txt}));
        }
      }
      draft->extra_groups.push_back(std::move(extra));
    }
    draft->answers.push_back(
        ResourceRecord::Srv(*lookup.qname, ttl, 1, p.weight,
                            static_cast<std::uint16_t>(p.instance.service->port), target));
    draft->answer_group.push_back(group);
    if (draft->answers.size() >= lookup.max_answers) break;
  }
}

}  // namespace

LazyShuffle::LazyShuffle(std::size_t n) : order_(n) { std::iota(order_.begin(), order_.end(), 0u); }

bool LazyShuffle::Next(std::size_t* index) {
  thread_local absl::InsecureBitGen gen;
  if (next_ >= order_.size()) return false;
  const std::size_t j = absl::Uniform<std::size_t>(gen, next_, order_.size());
  std::swap(order_[next_], order_[j]);
  *index = order_[next_++];
  return true;
}

void LookupService(const Lookup& lookup, const ParsedQuery& q, Draft* draft) {
  std::shared_ptr<const PreparedService> ps;
  if (q.datacenter.empty() || q.datacenter == lookup.state.datacenter) {
    const auto filter = lookup.state.config.only_passing ? catalog::HealthFilter::kPassingOnly
                                                         : catalog::HealthFilter::kNotCritical;
    ps = lookup.cache->Get(lookup.source, q.service, q.tag, filter);
  }
  if (ps == nullptr || ps->instances.empty()) {
    draft->rcode = kNxDomain;  // Go: no instances is NXDOMAIN, not NODATA
    draft->add_soa = true;
    return;
  }
  const std::uint32_t ttl = TtlSeconds(ServiceTtl(lookup.state.config, q.service));
  if (lookup.qtype == RrType::kSrv) {
    SrvAnswers(lookup, *ps, ttl, draft);
  } else {
    AddressAnswers(lookup, *ps, ttl, draft);
  }
  if (draft->answers.empty()) draft->add_soa = true;  // NODATA (RFC 2308 §2.2)
}

}  // namespace cairn::dns::internal
