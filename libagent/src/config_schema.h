// Private: the set of configuration keys the agent accepts, their types, and the
// per-source pass that checks a parsed file against them.
//
// Every source (a file, a -hcl fragment, the flags, the dev defaults) goes through
// NormalizeSource before merging, so that errors name the source, and so that merging only
// ever sees canonical snake_case keys in their modern places.
#ifndef CAIRN_AGENT_SRC_CONFIG_SCHEMA_H_
#define CAIRN_AGENT_SRC_CONFIG_SCHEMA_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <boost/json/object.hpp>

namespace cairn::agent::internal {

// What a key's value must be.
enum class ValueKind {
  kBool,
  kInt,  // integral number (JSON floats with no fraction are accepted)
  kString,
  kDuration,         // Go duration string, checked with base::ParseGoDuration
  kStringList,       // list of strings
  kStringMap,        // object of strings
  kDurationMap,      // object of duration strings (dns_config.service_ttl)
  kHeaderMap,        // object of lists of strings (check.header)
  kObject,           // nested block with its own keys
  kServices,         // object or list of objects with service keys
  kChecks,           // object or list of objects with check keys
  kTaggedAddresses,  // object of {address, port} objects (service.tagged_addresses)
  kOpaque,           // a Consul key Cairn accepts but does not use: any value, warned about
};

// Key name → kind, for one level (service, check, gossip, TLS interface) or, for
// TopTable, every dotted path below the top level ("ports.http", "acl.tokens.agent").
using Table = std::map<std::string, ValueKind, std::less<>>;
const Table& TopTable();
const Table& GossipTable();        // gossip_lan, gossip_wan
const Table& TlsInterfaceTable();  // tls.defaults, tls.internal_rpc, tls.https, tls.grpc
const Table& ServiceTable();       // services[], service
const Table& CheckTable();         // checks[], check, services[].checks[]

// Checks `source` (parsed from `name`) against the schema: every key known (matched
// case-insensitively as Consul's decoder does; inside services and checks CamelCase
// aliases such as ServiceID or DeregisterCriticalServiceAfter too), every value of the
// right type. Returns the source with canonical keys, legacy keys moved to their modern
// places (ui, ui_dir, acl_*, top-level TLS keys, acl.tokens.master, ...), `service` and
// `check` folded into the `services` and `checks` lists, and, inside each service, `check`
// folded into `checks`. Appends deprecation and "ignored" warnings to `warnings`.
// Errors: kInvalidArgument `<name>: invalid config key <path>` or
// `<name>: <path>: expected <type>, got <what>`.
absl::StatusOr<boost::json::object> NormalizeSource(const boost::json::object& source,
                                                    std::string_view name,
                                                    std::vector<std::string>* warnings);

// Merges `over` into `base`: objects merge key by key (recursively), lists concatenate,
// anything else is replaced by `over`'s value.
void MergeInto(boost::json::object& base, const boost::json::object& over);

// A JSON value described for error messages: `string "8500"`, `bool`, `list`, ...
std::string DescribeValue(const boost::json::value& value);

}  // namespace cairn::agent::internal

#endif  // CAIRN_AGENT_SRC_CONFIG_SCHEMA_H_
