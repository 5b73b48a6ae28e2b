// cairn/catalog/types.h — the catalog's data model: nodes, services, health checks, and
// the register / deregister requests that change them.
//
// Field names follow Consul's JSON (spec/http-api.md §5, §6); the HTTP layer in libagent
// maps between JSON and these structs. The catalog fills `node`, `create_index` and
// `modify_index` itself: whatever a request carries there is ignored.
//
// Example:
//
//   RegisterRequest req;
//   req.node.name = "web-1";
//   req.node.address = "10.0.0.5";
//   req.service = Service{.id = "web", .service = "web", .tags = {"v2"}, .port = 80};
//   req.checks.push_back(Check{.check_id = "web-alive", .name = "alive",
//                              .status = kStatusPassing, .service_id = "web"});
//   auto txn = catalog.BeginWrite(raft_index);
//   CAIRN_RETURN_IF_ERROR(txn.Register(req));
//   CAIRN_ASSIGN_OR_RETURN(WriteResult result, txn.Commit());
#ifndef CAIRN_CATALOG_TYPES_H_
#define CAIRN_CATALOG_TYPES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/time/time.h>

namespace cairn::catalog {

// Check statuses. `maintenance` counts as critical everywhere health is aggregated.
inline constexpr std::string_view kStatusPassing = "passing";
inline constexpr std::string_view kStatusWarning = "warning";
inline constexpr std::string_view kStatusCritical = "critical";
inline constexpr std::string_view kStatusMaintenance = "maintenance";

// True for the four statuses above.
bool IsValidStatus(std::string_view status);
// True for critical and maintenance.
bool IsCriticalStatus(std::string_view status);

using StringMap = std::map<std::string, std::string>;

// A node (`/v1/catalog/nodes`). Keyed by `name`; `id` (a UUID) is optional but unique.
struct Node {
  std::string id;
  std::string name;  // JSON "Node"
  std::string address;
  std::string datacenter;
  StringMap tagged_addresses;
  StringMap meta;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;

  // Equal ignoring the indexes: re-registering such a node changes nothing.
  bool SameContent(const Node& other) const;
};

struct ServiceAddress {
  std::string address;
  int port = 0;
  bool operator==(const ServiceAddress&) const = default;
};

struct Weights {
  int passing = 1;
  int warning = 1;
  bool operator==(const Weights&) const = default;
};

// A service instance on a node (Consul's NodeService). Keyed by (node, id).
struct Service {
  std::string node;  // set by the catalog
  std::string kind;  // "" for typical services, e.g. "connect-proxy"
  std::string id;
  std::string service;  // the service name
  std::vector<std::string> tags;
  std::string address;  // "" means: use the node's address
  std::map<std::string, ServiceAddress> tagged_addresses;
  StringMap meta;
  int port = 0;
  Weights weights;
  bool enable_tag_override = false;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;

  bool SameContent(const Service& other) const;
};

// Check definition as registered (only stored and echoed back: catalog checks never run).
struct CheckDefinition {
  std::string http;
  std::string tls_server_name;
  bool tls_skip_verify = false;
  std::map<std::string, std::vector<std::string>> header;
  std::string method;
  std::string body;
  std::string tcp;
  std::string h2ping;
  absl::Duration interval;
  absl::Duration timeout;
  absl::Duration deregister_critical_service_after;
  int output_max_size = 0;
  std::vector<std::string> script_args;
  std::string docker_container_id;
  std::string shell;
  std::string grpc;
  bool grpc_use_tls = false;
  std::string alias_node;
  std::string alias_service;
  absl::Duration ttl;

  bool operator==(const CheckDefinition&) const = default;
};

// A health check (Consul's HealthCheck). Keyed by (node, check_id). A node-level check has
// an empty service_id; a service-level check names a service on the same node, and the
// catalog fills service_name and service_tags from that service.
struct Check {
  std::string node;  // set by the catalog from the request's node
  std::string check_id;
  std::string name;
  std::string status;  // one of kStatus*; "" in a request means critical
  std::string notes;
  std::string output;
  std::string service_id;
  std::string service_name;
  std::vector<std::string> service_tags;
  std::string type;  // "ttl", "http", ... or "" for serf/catalog checks
  int exposed_port = 0;
  CheckDefinition definition;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;

  bool SameContent(const Check& other) const;
};

// PUT /v1/catalog/register: node + optional service + checks, applied atomically.
struct RegisterRequest {
  Node node;
  // When true, an existing node record is left as is (the node is still created when
  // missing, and then `address` is required as usual).
  bool skip_node_update = false;
  std::optional<Service> service;  // id defaults to the name
  std::vector<Check> checks;       // check_id defaults to the name; node defaults to ours
};

// PUT /v1/catalog/deregister: the whole node, or one service (with its checks), or one check.
struct DeregisterRequest {
  std::string node;
  std::string service_id;  // at most one of service_id / check_id
  std::string check_id;
};

// Identifies a check, e.g. in a WriteResult.
struct CheckKey {
  std::string node;
  std::string check_id;
  bool operator==(const CheckKey&) const = default;
  bool operator<(const CheckKey& o) const {
    return node != o.node ? node < o.node : check_id < o.check_id;
  }
};

// One instance of a service with its node and every check that applies to it (its own and
// its node's): an element of /v1/health/service/:name. Shares the stored objects.
struct ServiceInstance {
  std::shared_ptr<const Node> node;
  std::shared_ptr<const Service> service;
  std::vector<std::shared_ptr<const Check>> checks;

  // The worst status among `checks`, as Consul's AggregatedStatus: maintenance, then
  // critical, then warning, else passing (also when there are no checks).
  std::string_view AggregatedStatus() const;
};

// A node with one of its services: an element of /v1/catalog/service/:name, whose JSON
// flattens both (Node, Address, ..., ServiceID, ServiceName, ...).
struct CatalogService {
  std::shared_ptr<const Node> node;
  std::shared_ptr<const Service> service;
};

// Validation used by the write path; exposed so the HTTP layer can reject early with the
// same messages. Messages are Consul's where it has one ("Must provide node", ...).
absl::Status ValidateNode(const Node& node, bool address_required);
absl::Status ValidateService(const Service& service);
absl::Status ValidateCheck(const Check& check);

}  // namespace cairn::catalog

#endif  // CAIRN_CATALOG_TYPES_H_
