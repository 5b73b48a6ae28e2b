// The Consul name grammar, following Go's agent/dns.go dispatch() and parseLocality()
// (Consul 1.x CE) as summarised in spec/dns.md §3; comments name the Go behaviour where
// it is surprising.
#include <string_view>

#include <cairn/dns/query_name.h>

#include <arpa/inet.h>

namespace cairn::dns {
namespace {

using Labels = std::string_view[Name::kMaxLabels];

std::string Join(const std::string_view* labels, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out.push_back('.');
    out.append(labels[i]);
  }
  return out;
}

bool StartsWithUnderscore(std::string_view s) { return !s.empty() && s[0] == '_'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // labels are lower-cased before this is called
}

// CE locality rules (spec §3.1): 0 labels = local; 1 label = datacenter; 2/4/6 labels =
// <value>.<dc|peer> pairs, the last pair of a type wins; anything else is invalid.
struct Locality {
  bool ok = false;
  std::string datacenter;
  bool peer = false;
};

Locality ParseLocality(const std::string_view* labels, int n) {
  Locality loc;
  if (n == 0) {
    loc.ok = true;
  } else if (n == 1) {
    loc.ok = true;
    loc.datacenter = std::string(labels[0]);
  } else if (n == 2 || n == 4 || n == 6) {
    std::string_view dc;
    for (int i = 0; i < n; i += 2) {
      if (labels[i + 1] == "dc") {
        dc = labels[i];
      } else if (labels[i + 1] == "peer") {
        loc.peer = true;
      } else {
        return loc;
      }
    }
    if (!dc.empty() && loc.peer) return loc;  // both dc and peer: invalid in Go too
    loc.datacenter = std::string(dc);
    loc.ok = true;
  }
  return loc;
}

ParsedQuery NxDomain(bool alt, const char* reason) {
  ParsedQuery q;
  q.kind = QueryKind::kNxDomain;
  q.alt_domain = alt;
  q.reason = reason;
  return q;
}

std::optional<IpAddress> ParseHexAddress(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  IpAddress ip;
  ip.is_v6 = hex.size() == 32;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexDigit(hex[i]);
    int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    ip.bytes[i / 2] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return ip;
}

// `labels[0..n)` precede "in-addr" or "ip6"; Go compares the question with
// dns.ReverseAddr(), so only the canonical spelling can ever match a node.
std::optional<IpAddress> ParseReverse(const std::string_view* labels, int n, bool v6) {
  IpAddress ip;
  ip.is_v6 = v6;
  if (!v6) {
    if (n != 4) return std::nullopt;
    for (int i = 0; i < 4; ++i) {
      std::string_view l = labels[3 - i];
      if (l.empty() || l.size() > 3 || (l.size() > 1 && l[0] == '0')) return std::nullopt;
      int v = 0;
      for (char c : l) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
      }
      if (v > 255) return std::nullopt;
      ip.bytes[i] = static_cast<std::uint8_t>(v);
    }
    return ip;
  }
  if (n != 32) return std::nullopt;
  for (int i = 0; i < 32; ++i) {
    std::string_view l = labels[31 - i];
    if (l.size() != 1 || HexDigit(l[0]) < 0) return std::nullopt;
    int nibble = HexDigit(l[0]);
    ip.bytes[i / 2] =
        static_cast<std::uint8_t>(ip.bytes[i / 2] | (i % 2 == 0 ? nibble << 4 : nibble));
  }
  return ip;
}

ParsedQuery ParseReverseName(const std::string_view* labels, int n) {
  ParsedQuery q;
  q.kind = QueryKind::kPtr;
  // labels end with "arpa"; the address family label precedes it.
  if (n >= 2 && labels[n - 2] == "in-addr") q.address = ParseReverse(labels, n - 2, false);
  if (n >= 2 && labels[n - 2] == "ip6") q.address = ParseReverse(labels, n - 2, true);
  return q;
}

ParsedQuery Dispatch(const std::string_view* labels, int n, RrType qtype, bool alt) {
  // Scan right to left for the first keyword; an SRV question may instead stop at a label
  // starting with '_' (the RFC 2782 form without ".service").
  int kind_at = -1;
  bool srv_shortcut = false;
  std::string_view kind;
  for (int i = n - 1; i >= 0; --i) {
    std::string_view l = labels[i];
    if (l == "service" || l == "connect" || l == "virtual" || l == "ingress" || l == "node" ||
        l == "query" || l == "addr") {
      kind_at = i;
      kind = l;
      break;
    }
    if (qtype == RrType::kSrv && StartsWithUnderscore(l)) {
      kind_at = i + 1;  // parts include this label
      srv_shortcut = true;
      kind = "service";
      break;
    }
  }
  if (kind_at < 0) return NxDomain(alt, "no query type label");
  const std::string_view* parts = labels;
  int nparts = kind_at;
  const std::string_view* suffix = labels + (srv_shortcut ? kind_at : kind_at + 1);
  int nsuffix = n - (srv_shortcut ? kind_at : kind_at + 1);

  ParsedQuery q;
  q.alt_domain = alt;
  if (kind == "connect" || kind == "virtual" || kind == "ingress") {
    return NxDomain(alt, "mesh lookups (connect, virtual, ingress) are not supported");
  }
  if (kind == "addr") {
    // The suffix is ignored entirely (spec §3.1).
    if (nparts != 1) return NxDomain(alt, "addr lookup needs exactly one label");
    q.address = ParseHexAddress(parts[0]);
    if (!q.address) return NxDomain(alt, "addr label is not 8 or 32 hex digits");
    q.kind = QueryKind::kAddr;
    return q;
  }
  if (kind == "query") {
    if (nparts < 1) return NxDomain(alt, "prepared query name missing");
    if (nsuffix > 1) return NxDomain(alt, "prepared query accepts only a datacenter suffix");
    if (nsuffix == 1) q.datacenter = std::string(suffix[0]);
    q.kind = QueryKind::kPreparedQuery;
    if (nparts >= 2 && StartsWithUnderscore(parts[0]) && StartsWithUnderscore(parts[nparts - 1])) {
      q.rfc2782 = true;
      q.prepared_query = Join(parts, nparts - 1).substr(1);  // the protocol label is ignored
    } else {
      q.prepared_query = Join(parts, nparts);
    }
    return q;
  }
  Locality loc = ParseLocality(suffix, nsuffix);
  if (!loc.ok) return NxDomain(alt, "invalid datacenter suffix");
  if (loc.peer) return NxDomain(alt, "cluster peering lookups are not supported");
  q.datacenter = std::move(loc.datacenter);
  if (nparts < 1) return NxDomain(alt, "name missing before the query type label");
  if (kind == "node") {
    q.kind = QueryKind::kNode;
    q.node = Join(parts, nparts);  // node names may contain dots
    return q;
  }
  q.kind = QueryKind::kService;
  if (nparts == 2 && StartsWithUnderscore(parts[0]) && StartsWithUnderscore(parts[1])) {
    q.rfc2782 = true;
    q.service = std::string(parts[0].substr(1));
    q.tag = std::string(parts[1].substr(1));
    if (q.tag == "tcp") q.tag.clear();  // _tcp means "no tag filter"; _udp is a tag
    return q;
  }
  q.service = std::string(parts[nparts - 1]);
  q.tag = Join(parts, nparts - 1);  // legacy: tags containing dots
  return q;
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(is_v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

std::string IpAddress::HexLabel() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  std::size_t n = is_v6 ? 16 : 4;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xF]);
  }
  return out;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof(buf)) return std::nullopt;
  text.copy(buf, text.size());
  buf[text.size()] = 0;
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) return ip;
  ip.is_v6 = true;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

ParsedQuery ParseQueryName(const Name& qname, RrType qtype, const DomainConfig& config) {
  static const Name kArpa = *Name::Parse("arpa.");
  // Consul's mux: the longest matching zone wins.
  const Name* zone = nullptr;
  bool alt = false;
  bool arpa = false;
  auto consider = [&](const Name& candidate, bool is_alt, bool is_arpa) {
    if (qname.IsSubdomainOf(candidate) &&
        (zone == nullptr || candidate.wire_length() > zone->wire_length())) {
      zone = &candidate;
      alt = is_alt;
      arpa = is_arpa;
    }
  };
  consider(config.domain, false, false);
  if (config.alt_domain) consider(*config.alt_domain, true, false);
  consider(kArpa, false, true);
  if (zone == nullptr) {
    ParsedQuery q;
    q.kind = QueryKind::kRecursor;
    return q;
  }
  Name lower = qname;
  lower.ToLower();
  Labels labels;
  int n = lower.Labels(labels);
  if (arpa) return ParseReverseName(labels, n);

  ParsedQuery q;
  q.alt_domain = alt;
  // Go's handleQuery answers SOA, NS and AXFR for any name in the zone before dispatch.
  if (qtype == RrType::kSoa) {
    q.kind = QueryKind::kSoa;
    return q;
  }
  if (qtype == RrType::kNs) {
    q.kind = QueryKind::kNs;
    return q;
  }
  if (qtype == RrType::kAxfr) {
    q.kind = QueryKind::kNotImplemented;
    return q;
  }
  return Dispatch(labels, n - zone->LabelCount(), qtype, alt);
}

}  // namespace cairn::dns
