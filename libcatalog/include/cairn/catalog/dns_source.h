// cairn/catalog/dns_source.h — the read interface libdns may use, and nothing more.
//
// libdns resolves Consul DNS names (`web.service.consul`, `v2.web.service.dc1.consul`,
// `node1.node.consul`, PTR records) over this interface; Catalog implements it, and tests
// of libdns can implement it with a fake. Every call answers from one consistent snapshot
// of the catalog and never blocks on writers for more than a pointer copy.
//
// Example:
//
//   const cairn::catalog::DnsSource& source = catalog;  // borrowed; outlives the server
//   for (const ServiceInstance& inst :
//        source.ServiceInstances("web", "v2", "", HealthFilter::kNotCritical)) {
//     std::string_view addr = inst.service->address.empty() ? inst.node->address
//                                                            : inst.service->address;
//   }
//
// Thread-safety: all methods are const and safe to call from any thread concurrently.
#ifndef CAIRN_CATALOG_DNS_SOURCE_H_
#define CAIRN_CATALOG_DNS_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <cairn/catalog/types.h>

namespace cairn::catalog {

// Which instances a DNS answer may include, by the aggregated status of their checks
// (node checks included):
enum class HealthFilter {
  kAll,          // every instance
  kNotCritical,  // drop instances with any critical or maintenance check (Consul's default)
  kPassingOnly,  // also drop instances with a warning check (dns_config.only_passing)
};

class DnsSource {
 public:
  virtual ~DnsSource() = default;

  // Instances of `service` (case-insensitive), ordered by node name then service ID. A
  // non-empty `tag` must be among the instance's tags (case-insensitive); a non-empty
  // `datacenter` must equal the node's Datacenter.
  virtual std::vector<ServiceInstance> ServiceInstances(std::string_view service,
                                                        std::string_view tag,
                                                        std::string_view datacenter,
                                                        HealthFilter filter) const = 0;

  // The node called `name` (case-insensitive), or nullptr.
  virtual std::shared_ptr<const Node> LookupNode(std::string_view name) const = 0;

  // Nodes whose Address or any TaggedAddresses value equals `address` (for PTR), by name.
  // Costs a scan of the node table.
  virtual std::vector<std::shared_ptr<const Node>> NodesByAddress(
      std::string_view address) const = 0;

  // Service instances whose own Address equals `address` (for PTR). Scans the services.
  virtual std::vector<CatalogService> ServicesByAddress(std::string_view address) const = 0;

  // For callers that cache what ServiceInstances returned: a number that changes whenever
  // ServiceInstances for `service` (any tag, datacenter or filter) may answer differently
  // — a change to its instances, their checks or their nodes. Read it BEFORE the data it
  // guards (then a cached copy is never newer than its version says). 0 means unknown:
  // do not cache. The default returns 0.
  virtual std::uint64_t ServiceVersion(std::string_view service) const { return 0; }
};

}  // namespace cairn::catalog

#endif  // CAIRN_CATALOG_DNS_SOURCE_H_
