// cairn/dns/query_name.h — the Consul DNS naming scheme: question name → structured query.
//
// ParseQueryName classifies a question the way Consul's DNS server routes it (spec/dns.md
// §1–§3): by zone (the Consul domain or alt_domain, `arpa.` for reverse lookups, anything
// else for the recursors), then, inside the domain, by the right-most keyword label
// (`node`, `service`, `addr`, `query`, or a leading-underscore label for RFC 2782 SRV
// questions) with the datacenter suffix to its right. It never fails: a name that fits
// no form inside the domain is QueryKind::kNxDomain. It does no I/O and no catalog access.
//
// Example:
//
//   DomainConfig domains;
//   domains.domain = *Name::Parse("consul.");
//   ParsedQuery q = ParseQueryName(*Name::Parse("primary.postgresql.service.dc2.consul"),
//                                  RrType::kA, domains);
//   // q.kind == QueryKind::kService, q.service == "postgresql", q.tag == "primary",
//   // q.datacenter == "dc2", q.alt_domain == false
//
// Everything is matched case-insensitively and the strings in ParsedQuery are
// lower-cased; the owner name of answers should still be the question's own spelling.
#ifndef CAIRN_DNS_QUERY_NAME_H_
#define CAIRN_DNS_QUERY_NAME_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <cairn/dns/message.h>
#include <cairn/dns/name.h>

namespace cairn::dns {

// The zones the Consul DNS server is authoritative for.
struct DomainConfig {
  Name domain;                     // `domain`, default "consul."
  std::optional<Name> alt_domain;  // `alt_domain`, unset by default
};

// An IPv4 or IPv6 address in network byte order (IPv4 uses bytes[0..4)).
struct IpAddress {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> bytes{};

  // "10.1.11.83" or the RFC 5952 IPv6 form ("2001:db8::1").
  std::string ToString() const;
  // The `.addr` label: 8 (IPv4) or 32 (IPv6) lower-case hex digits ("0a010b53").
  std::string HexLabel() const;
  // Parses dotted IPv4 or textual IPv6; nullopt for anything else (e.g. a hostname).
  static std::optional<IpAddress> Parse(std::string_view text);

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

enum class QueryKind {
  kNode,            // <node>.node[.<locality>].<domain>
  kService,         // [<tag>.]<service>.service[...], _<service>._<tag|tcp>[.service][...]
  kAddr,            // <hex>.addr[.<anything>].<domain>
  kPreparedQuery,   // <name-or-id>.query[.<dc>].<domain>, _<name>._tcp.query[...]
  kPtr,             // any name under arpa. (reverse lookup)
  kSoa,             // qtype SOA, any name in the domain
  kNs,              // qtype NS, any name in the domain
  kNotImplemented,  // qtype AXFR in the domain: NOTIMP
  kNxDomain,        // in the domain but no valid form: NXDOMAIN + SOA
  kRecursor,        // outside every zone: forward to recursors, or REFUSED without any
};

// The structured form of a question. Only the fields of its kind are set.
struct ParsedQuery {
  QueryKind kind = QueryKind::kNxDomain;
  // The question is under alt_domain: generated names (SRV targets, NS, SOA) use it.
  bool alt_domain = false;
  // kNode, kService, kPreparedQuery: the datacenter asked for; empty = the agent's own.
  std::string datacenter;
  std::string node;            // kNode: all labels before `node`, joined with dots
  std::string service;         // kService
  std::string tag;             // kService: empty = no tag filter
  bool rfc2782 = false;        // kService, kPreparedQuery: asked in the _name._proto form
  std::string prepared_query;  // kPreparedQuery: name or ID
  // kAddr: the decoded address (always set). kPtr: set when the name is a complete
  // reverse address (4 canonical decimal labels under in-addr.arpa., or 32 hex nibbles
  // under ip6.arpa.); unset for other names under arpa.
  std::optional<IpAddress> address;
  // kNxDomain: why, for logs and tests (a static string).
  const char* reason = "";
};

// Classifies `qname` asked with `qtype` against `config`. Zone choice follows Consul's
// mux: the longest of domain, alt_domain and `arpa.` that contains the name wins; a name
// in none of them is kRecursor.
ParsedQuery ParseQueryName(const Name& qname, RrType qtype, const DomainConfig& config);

}  // namespace cairn::dns

#endif  // CAIRN_DNS_QUERY_NAME_H_
