// cairn/dns/resolver.h — the Consul DNS interface answered from the catalog.
//
// Resolver is the dns::Handler behind a Consul agent's DNS port. It answers the Consul
// naming scheme (spec/dns.md §3–§12) from a catalog::DnsSource:
//   - `<node>.node[.<dc>].<domain>`: A/AAAA (CNAME for hostname addresses), TXT from the
//     node's meta (RFC 1464), ANY;
//   - `[<tag>.]<service>.service[.<dc>].<domain>` and RFC 2782 `_<service>._<tag|tcp>...`:
//     A/AAAA per instance, or SRV with the target addresses (and node meta TXT) in the
//     additional section; passing and warning instances (passing only with
//     only_passing), shuffled on every query;
//   - `<hex>.addr.<domain>`, PTR under in-addr.arpa./ip6.arpa. for node and service
//     addresses, SOA and NS for any name in the domain, the alt_domain;
//   - NXDOMAIN with the SOA in authority for unknown names (and unknown datacenters),
//     NOERROR with the SOA for names with no record of the asked type;
//   - a_record_limit, udp_answer_limit, the UDP size cut (512 or the EDNS size) and the
//     TCP cut done Consul's way (authority first, then answers, the additional section
//     kept in step with the SRV answers left), TC only with enable_truncate;
//   - names outside every zone (and PTR names not in the catalog) go to the recursors
//     through a Forwarder; without recursors they are REFUSED (resp. NXDOMAIN).
//
// Cost: a service's instances are read from the DnsSource and prepared (addresses parsed
// and classified, de-duplication groups, meta TXT) once per change of its
// DnsSource::ServiceVersion and cached; each query then draws a fresh random order and
// builds only the answers that can be sent (bench/dns_resolver_bench measures it). A
// DnsSource without versions is simply read on every query.
//
// Example (the agent's DNS wiring):
//
//   ResolverOptions options;
//   options.config = dns_config;             // DnsConfig from the agent configuration
//   options.datacenter = "dc1";
//   options.node_name = "agent-one";
//   options.metrics = &metrics;              // optional
//   CAIRN_ASSIGN_OR_RETURN(auto resolver, Resolver::Create(catalog, io, options));
//   ServerOptions server_options;
//   server_options.recursion_available = resolver->recursion_available();
//   CAIRN_ASSIGN_OR_RETURN(auto server, Server::Start(io, server_options, *resolver));
//   ...
//   CAIRN_RETURN_IF_ERROR(resolver->Reconfigure(new_dns_config));   // on SIGHUP
//
// Not done here (documented gaps): prepared queries (`.query` names answer NXDOMAIN, as
// for an unknown query), other datacenters (answered as unknown: NXDOMAIN, since the
// DnsSource holds the local datacenter only; hence translate_wan_addrs never applies),
// and resolving hostname addresses outside the Consul domain through the recursors
// (the CNAME is returned without the upstream records, as Consul does without
// recursors). allow_stale, max_stale, use_cache and cache_max_age are carried in
// DnsConfig for the agent: the resolver reads whatever consistency its DnsSource gives.
#ifndef CAIRN_DNS_RESOLVER_H_
#define CAIRN_DNS_RESOLVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <boost/asio/io_context.hpp>

#include <cairn/base/metrics.h>
#include <cairn/catalog/dns_source.h>
#include <cairn/dns/dns_config.h>
#include <cairn/dns/message.h>
#include <cairn/dns/server.h>

namespace cairn::dns {

struct ResolverOptions {
  DnsConfig config;
  // The agent's datacenter (`datacenter`, lower-case): names without a datacenter, or
  // with this one, are answered from the DnsSource; any other is unknown (NXDOMAIN).
  std::string datacenter = "dc1";
  // The agent's node name, the `node` label of the consul.dns.* metrics.
  std::string node_name;
  // When set (it must outlive the Resolver), registers: samples consul.dns.domain_query
  // and consul.dns.ptr_query {node} (milliseconds), counters cairn.dns.responses
  // {rcode} and cairn.dns.forwarded. Queries, malformed packets and overall latency are
  // the Server's metrics (server.h).
  base::MetricsRegistry* metrics = nullptr;
};

namespace internal {
struct ResolverState;
class ServiceCache;
}  // namespace internal

// What Resolve did with a query.
enum class ResolveOutcome {
  kAnswered,  // `out` holds the complete reply
  kForward,   // the name belongs to the recursors (only when some are configured)
};

// Answers queries from a borrowed DnsSource. Thread-safe: Handle, Resolve and
// Reconfigure may be called from any threads concurrently; each query works on one
// configuration snapshot. The DnsSource and the io_context (used for recursor
// forwarding) must outlive the Resolver and any forward still in progress.
class Resolver : public Handler {
 public:
  // kInvalidArgument when options.config fails ValidateDnsConfig.
  static absl::StatusOr<std::unique_ptr<Resolver>> Create(const catalog::DnsSource& source,
                                                          boost::asio::io_context& io,
                                                          ResolverOptions options);
  ~Resolver() override;
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Handler: answers at once from the catalog, or relays to the recursors (the answer
  // then comes later, on an io_context thread). Never blocks.
  void Handle(const Request& request, Responder responder) override;

  // The synchronous core of Handle, for tests and benchmarks: writes the reply to `query`
  // into `*out`, sized for `transport` and `max_response_size` (as in Request), or
  // returns kForward without touching `*out`. A query without a question gets FORMERR.
  ResolveOutcome Resolve(const Message& query, Transport transport, std::size_t max_response_size,
                         std::vector<std::uint8_t>* out) const;

  // Replaces the configuration (hot reload: dns_config, recursors, domains). Queries
  // already running finish with the old one. kInvalidArgument (and nothing changes)
  // when `config` fails ValidateDnsConfig.
  absl::Status Reconfigure(const DnsConfig& config);

  // True when recursors are configured (the RA bit; ServerOptions::recursion_available).
  bool recursion_available() const;

 private:
  struct Metrics;
  Resolver(const catalog::DnsSource& source, boost::asio::io_context& io, ResolverOptions options);
  std::shared_ptr<const internal::ResolverState> Snapshot() const;
  absl::StatusOr<std::shared_ptr<const internal::ResolverState>> Build(
      const DnsConfig& config) const;

  const catalog::DnsSource& source_;
  boost::asio::io_context& io_;
  const ResolverOptions options_;  // config here is the initial one; see state_
  std::unique_ptr<Metrics> metrics_;
  // Prepared service lookups, valid while the DnsSource's ServiceVersion is unchanged.
  std::unique_ptr<internal::ServiceCache> cache_;
  // std::mutex, not absl::Mutex: Debian's Abseil is not TSan-instrumented. Held only to
  // copy or swap the pointer.
  mutable std::mutex mu_;
  std::shared_ptr<const internal::ResolverState> state_;  // guarded by mu_
};

}  // namespace cairn::dns

#endif  // CAIRN_DNS_RESOLVER_H_
