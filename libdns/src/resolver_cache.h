// A cache of service lookups prepared for answering: the catalog's instances with their
// addresses already parsed and classified, de-duplication groups and node meta TXT
// strings, keyed by (service, tag, health filter) and valid while the DnsSource's
// ServiceVersion for the service is unchanged. Answering then costs a shuffle and the
// records of the instances actually sent, not a catalog scan per query.
#ifndef CAIRN_DNS_SRC_RESOLVER_CACHE_H_
#define CAIRN_DNS_SRC_RESOLVER_CACHE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <cairn/catalog/dns_source.h>
#include <cairn/dns/query_name.h>

namespace cairn::dns::internal {

// Which address an instance answers with, for one family class of question (spec §5.1:
// A questions prefer IPv4 forms, AAAA questions IPv6 forms); Go's makeNodeServiceRecords.
struct AddressChoice {
  enum Kind : std::uint8_t {
    kNone,        // no address at all
    kIp,          // `ip`; node_form: SRV target <node>.node..., else <hex>.addr...
    kHost,        // a hostname (`host`): CNAME / SRV target
    kHostOrNode,  // `host`, unless it names the question itself: then the node's `ip`
  };
  Kind kind = kNone;
  bool node_form = false;
  IpAddress ip;
  std::string host;
  int group = 0;  // equal groups give identical first records (A-path de-duplication)
};

// Family classes: the question types that choose addresses differently.
inline constexpr int kFamilyA = 0;
inline constexpr int kFamilyAaaa = 1;
inline constexpr int kFamilyOther = 2;

struct PreparedInstance {
  catalog::ServiceInstance instance;  // keeps the node and service alive
  std::array<AddressChoice, 3> choice;
  int srv_group = 0;  // Go's node:address:port de-duplication tuple
  // SRV targets sharing additional records: the target of choice[kFamilyOther], and the
  // node-form target (used when a kHostOrNode host turns out to be the question).
  int target_group = -1;
  int node_target_group = 0;
  std::uint16_t weight = 1;
  std::vector<std::string> meta_txt;  // the node's meta as TXT strings (spec §4.1)
};

struct PreparedService {
  std::uint64_t version = 0;
  std::vector<PreparedInstance> instances;
  std::array<int, 3> groups{};  // number of A-path groups per family class
  int srv_groups = 0;
  int target_groups = 0;
};

// Thread-safe. Entries are immutable once published and shared with the queries using
// them; a changed version replaces the entry.
class ServiceCache {
 public:
  std::shared_ptr<const PreparedService> Get(const catalog::DnsSource& source,
                                             std::string_view service, std::string_view tag,
                                             catalog::HealthFilter filter);

 private:
  static constexpr int kShards = 16;
  static constexpr std::size_t kMaxEntriesPerShard = 256;  // then the shard is emptied
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const PreparedService>> entries;
  };
  std::array<Shard, kShards> shards_;
};

// Prepares `instances` (the catalog's answer) for answering.
std::shared_ptr<PreparedService> Prepare(std::vector<catalog::ServiceInstance> instances,
                                         std::uint64_t version);

// RFC 1464 `key=value` (or the value alone for `rfc1035-` keys), spec §4.1.
std::string MetaTxt(const std::string& key, const std::string& value);

// Parses an IP address; IPv4-mapped IPv6 addresses count as IPv4 (Go's To4).
std::optional<IpAddress> ParseIp(std::string_view text);

// The family class of a question type.
inline int FamilyOf(RrType qtype) {
  return qtype == RrType::kA ? kFamilyA : qtype == RrType::kAaaa ? kFamilyAaaa : kFamilyOther;
}

// The node's address for a family class (its lan_ipv4/lan_ipv6 tagged address when the
// primary address is of the other family).
std::string_view NodeAddressFor(const catalog::Node& node, int family);

}  // namespace cairn::dns::internal

#endif  // CAIRN_DNS_SRC_RESOLVER_CACHE_H_
