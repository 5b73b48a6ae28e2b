// Private: the catalog's tables and the per-transaction working copy.
#ifndef CAIRN_CATALOG_SRC_STATE_H_
#define CAIRN_CATALOG_SRC_STATE_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <cairn/base/persistent_map.h>
#include <cairn/catalog/catalog.h>
#include <cairn/catalog/types.h>

namespace cairn::catalog::internal {

template <typename V>
using TableMap = base::PersistentMap<std::string, V>;

struct Unit {};

// One immutable version of the catalog. Keys are lower-cased names joined by NUL bytes
// (which names may not contain), so "node\0" prefixes select one node's entries in order.
struct State {
  TableMap<std::shared_ptr<const Node>> nodes;        // node
  TableMap<std::string> node_ids;                     // lower(ID) -> node key
  TableMap<std::shared_ptr<const Service>> services;  // node \0 service ID
  TableMap<Unit> service_names;                       // name \0 node \0 service ID
  TableMap<std::shared_ptr<const Check>> checks;      // node \0 check ID
  TableMap<Unit> service_checks;                      // node \0 service ID \0 check ID
  TableMap<uint64_t> service_index;                   // name -> last change
  TableMap<uint64_t> node_index;                      // node -> last change
  uint64_t table_index[3] = {0, 0, 0};                // indexed by Table
  uint64_t last_index = 0;
};

// What a transaction changed, for indexes, watches and the WriteResult.
struct ChangeSet {
  bool tables[3] = {false, false, false};
  std::set<std::string> services;  // lower-cased service names
  std::set<std::string> nodes;     // node keys
  WriteResult result;
};

// A transaction's private copy of the state plus its changes. Copying it is cheap (the
// maps share structure), which is how each operation is made all-or-nothing.
struct Working {
  State state;
  ChangeSet changes;
};

std::string Lower(std::string_view s);
std::string Key2(std::string_view a, std::string_view b);
std::string Key3(std::string_view a, std::string_view b, std::string_view c);

// Visits entries of `map` whose key starts with `prefix`, in order, while `f` returns true.
template <typename V, typename F>
void ScanPrefix(const TableMap<V>& map, std::string_view prefix, F f) {
  for (auto it = map.LowerBound(prefix); it != map.end(); ++it) {
    if (std::string_view(it.key()).substr(0, prefix.size()) != prefix) return;
    if (!f(it.key(), it.value())) return;
  }
}

// Rebuilds the derived tables (node_ids, service_names, service_checks) from the primary
// ones; used by restore.
void RebuildIndexes(State& s);

}  // namespace cairn::catalog::internal

#endif  // CAIRN_CATALOG_SRC_STATE_H_
