#include <utility>

#include <cairn/catalog/catalog.h>

#include "state.h"
#include "str_util.h"

namespace cairn::catalog {
namespace {

// Watch keys in the hub. Exact-key waits only, so "s/web" never wakes "s/web2" waiters.
std::string TableKey(Table t) { return internal::Cat("t/", static_cast<int>(t)); }
std::string ServiceKey(std::string_view lower_name) { return internal::Cat("s/", lower_name); }
std::string NodeKey(std::string_view node_key) { return internal::Cat("n/", node_key); }

}  // namespace

Catalog::Catalog() : state_(std::make_shared<const internal::State>()) {}
Catalog::~Catalog() = default;

ReadView Catalog::Read() const {
  std::lock_guard lock(mu_);
  return ReadView(state_);
}

WriteTxn Catalog::BeginWrite(uint64_t raft_index) {
  std::shared_ptr<const internal::State> base;
  {
    std::lock_guard lock(mu_);
    base = state_;
  }
  return WriteTxn(this, std::move(base), raft_index);
}

absl::StatusOr<WriteResult> Catalog::Publish(const std::shared_ptr<const internal::State>& base,
                                             internal::Working& work, uint64_t index) {
  internal::ChangeSet& changes = work.changes;
  internal::State& s = work.state;
  // Per-name indexes: set for names that still exist, dropped for names that are gone
  // (their readers fall back to the table indexes, which are at least as large).
  for (const std::string& name : changes.services) {
    bool exists = false;
    internal::ScanPrefix(s.service_names, name + '\0', [&](const std::string&, auto&) {
      exists = true;
      return false;
    });
    if (exists) {
      s.service_index.Insert(name, index);
    } else {
      s.service_index.Erase(name);
    }
  }
  for (const std::string& node : changes.nodes) {
    if (s.nodes.Contains(node)) {
      s.node_index.Insert(node, index);
    } else {
      s.node_index.Erase(node);
    }
  }
  bool changed = false;
  for (int t = 0; t < 3; ++t) {
    if (changes.tables[t]) {
      s.table_index[t] = index;
      changed = true;
    }
  }
  s.last_index = index;
  auto next = std::make_shared<const internal::State>(std::move(s));
  {
    std::lock_guard lock(mu_);
    if (state_ != base) {
      return absl::AbortedError("another catalog write transaction committed first");
    }
    state_ = next;
  }
  // Published: now wake exactly the waiters whose data changed.
  for (int t = 0; t < 3; ++t) {
    if (changes.tables[t]) hub_.Notify(TableKey(static_cast<Table>(t)), index);
  }
  for (const std::string& name : changes.services) hub_.Notify(ServiceKey(name), index);
  for (const std::string& node : changes.nodes) hub_.Notify(NodeKey(node), index);
  WriteResult result = std::move(changes.result);
  result.index = index;
  result.changed = changed;
  return result;
}

base::WatchHub::Handle Catalog::WatchTable(Table table, uint64_t min_index,
                                           base::WatchHub::Callback cb) {
  return hub_.WaitKey(TableKey(table), min_index, std::move(cb));
}

base::WatchHub::Handle Catalog::WatchService(std::string_view name, uint64_t min_index,
                                             base::WatchHub::Callback cb) {
  return hub_.WaitKey(ServiceKey(internal::Lower(name)), min_index, std::move(cb));
}

base::WatchHub::Handle Catalog::WatchNode(std::string_view node, uint64_t min_index,
                                          base::WatchHub::Callback cb) {
  return hub_.WaitKey(NodeKey(internal::Lower(node)), min_index, std::move(cb));
}

std::vector<ServiceInstance> Catalog::ServiceInstances(std::string_view service,
                                                       std::string_view tag,
                                                       std::string_view datacenter,
                                                       HealthFilter filter) const {
  return Read().ServiceInstances(service, tag, datacenter, filter);
}

std::shared_ptr<const Node> Catalog::LookupNode(std::string_view name) const {
  return Read().LookupNode(name);
}

std::vector<std::shared_ptr<const Node>> Catalog::NodesByAddress(std::string_view addr) const {
  return Read().NodesByAddress(addr);
}

std::vector<CatalogService> Catalog::ServicesByAddress(std::string_view addr) const {
  return Read().ServicesByAddress(addr);
}

uint64_t Catalog::ServiceVersion(std::string_view service) const {
  return Read().ServiceVersion(service);
}

}  // namespace cairn::catalog
