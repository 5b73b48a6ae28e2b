// Private pieces of the Resolver shared by resolver.cc (dispatch, SOA/NS, trimming,
// encoding) and resolver_lookup.cc (node, service, addr and PTR records).
#ifndef CAIRN_DNS_SRC_RESOLVER_INTERNAL_H_
#define CAIRN_DNS_SRC_RESOLVER_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <cairn/catalog/dns_source.h>
#include <cairn/dns/dns_config.h>
#include <cairn/dns/forwarder.h>
#include <cairn/dns/message.h>
#include <cairn/dns/query_name.h>

namespace cairn::dns::internal {

// One configuration, immutable once built; queries hold it by shared_ptr.
struct ResolverState {
  DnsConfig config;
  DomainConfig domains;
  std::string datacenter;  // the agent's, lower-case
  std::uint32_t node_ttl = 0;
  std::unique_ptr<Forwarder> forwarder;  // null without recursors
  bool recursion_available() const { return forwarder != nullptr; }
};

// How deep CNAME targets inside the Consul domain are resolved (Go's
// maxRecursionLevelDefault).
inline constexpr int kMaxRecursion = 3;
// Records added for a hostname target unless the query had EDNS (Go's maxRecurseRecords).
inline constexpr std::size_t kMaxRecurseRecords = 5;

// An answer under construction, before trimming and encoding.
struct Draft {
  std::uint16_t rcode = kNoError;
  bool add_soa = false;  // put the SOA in the authority section (negative answers)
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;
  std::vector<ResourceRecord> additionals;  // kept whatever answers are cut
  // SRV answers: the additional records of answer i are extra_groups[answer_group[i]]
  // (-1: none); groups are shared by answers with the same target, so trimming answers
  // keeps the additional section in step with the targets left (Go's syncExtra).
  std::vector<std::vector<ResourceRecord>> extra_groups;
  std::vector<int> answer_group;
};

// One question being answered.
struct Lookup {
  const ResolverState& state;
  const catalog::DnsSource& source;
  const Name& qname;  // as asked (owner of answers)
  RrType qtype;
  bool edns;        // the query carried EDNS (no cap on hostname records)
  bool alt_domain;  // generated names use alt_domain
  int depth;        // CNAME resolution budget left

  const Name& response_domain() const {
    return alt_domain && state.domains.alt_domain ? *state.domains.alt_domain
                                                  : state.domains.domain;
  }
};

// Runs one parsed question (kNode, kService, kAddr) against the catalog into `draft`.
void LookupNode(const Lookup& lookup, const ParsedQuery& q, Draft* draft);
void LookupService(const Lookup& lookup, const ParsedQuery& q, Draft* draft);
void LookupAddr(const Lookup& lookup, const ParsedQuery& q, Draft* draft);
// PTR for `q.address`: true and one answer when a node or service has that address.
bool LookupPtr(const Lookup& lookup, const ParsedQuery& q, Draft* draft);
// NS records for the response domain and their glue (at most three servers).
void Nameservers(const Lookup& lookup, std::vector<ResourceRecord>* ns,
                 std::vector<ResourceRecord>* glue);
// Answers for `name` as an ANY question when it lies in the Consul domain (CNAME targets
// that are Consul names), nothing otherwise or when the depth budget is spent.
std::vector<ResourceRecord> ResolveInternal(const Lookup& lookup, const Name& name);

// The address record for `ip` if `qtype` takes that family (spec §5.1), owned by `owner`.
bool MakeAddressRecord(RrType qtype, const IpAddress& ip, const Name& owner, std::uint32_t ttl,
                       ResourceRecord* out);

// TTL in whole seconds, as Go's uint32(ttl / time.Second).
std::uint32_t TtlSeconds(std::chrono::milliseconds d);

}  // namespace cairn::dns::internal

#endif  // CAIRN_DNS_SRC_RESOLVER_INTERNAL_H_
