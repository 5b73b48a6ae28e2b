// Private pieces of the Resolver shared by resolver.cc (dispatch, SOA/NS, trimming,
// encoding) and resolver_lookup.cc (node, service, addr and PTR records).
#ifndef CAIRN_DNS_SRC_RESOLVER_INTERNAL_H_
#define CAIRN_DNS_SRC_RESOLVER_INTERNAL_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <absl/random/random.h>

#include <cairn/catalog/dns_source.h>
#include <cairn/dns/dns_config.h>
#include <cairn/dns/forwarder.h>
#include <cairn/dns/message.h>
#include <cairn/dns/query_name.h>

namespace cairn::dns::internal {

class ServiceCache;

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
  ServiceCache* cache;
  const Name* qname;  // as asked (owner of answers)
  RrType qtype;
  bool edns;        // the query carried EDNS (no cap on hostname records)
  bool alt_domain;  // generated names use alt_domain
  int depth;        // CNAME resolution budget left
  // Service answers beyond this many would be cut anyway (classic UDP keeps
  // udp_answer_limit; one more shows that some were cut), so building stops there.
  std::size_t max_answers = std::numeric_limits<std::size_t>::max();

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

// `<prefix>.<kind>.<dc>.<domain>`, e.g. n1.node.dc1.consul. (prefix and dc may contain
// dots). False when the name would be invalid.
bool CanonicalName(std::string_view prefix, std::string_view kind, std::string_view dc,
                   const Name& domain, Name* out);

// Records for a hostname target (Go's resolveCNAME): Consul names are answered
// internally; outside names would need the recursors (not done: no extra records). At
// most kMaxRecurseRecords without EDNS, all with `ttl`.
void AppendResolved(const Lookup& lookup, const Name& target, std::uint32_t ttl,
                    std::vector<ResourceRecord>* out);

// A uniformly random order of 0..n-1, drawn one element at a time (a Fisher-Yates
// shuffle that stops when the caller does), from a thread-local generator.
class LazyShuffle {
 public:
  explicit LazyShuffle(std::size_t n);
  bool Next(std::size_t* index);

 private:
  std::vector<std::uint32_t> order_;
  std::size_t next_ = 0;
};

// The address record for `ip` if `qtype` takes that family (spec §5.1), owned by `owner`.
bool MakeAddressRecord(RrType qtype, const IpAddress& ip, const Name& owner, std::uint32_t ttl,
                       ResourceRecord* out);

// TTL in whole seconds, as Go's uint32(ttl / time.Second).
std::uint32_t TtlSeconds(std::chrono::milliseconds d);

}  // namespace cairn::dns::internal

#endif  // CAIRN_DNS_SRC_RESOLVER_INTERNAL_H_
