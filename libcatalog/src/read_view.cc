// Catalog and health queries over one immutable State. Lookups by service name go through
// the service_names table (name \0 node \0 id), so they cost O(log n + instances); the
// state and address queries scan a table, as Consul's do without a dedicated index.
#include <algorithm>
#include <set>

#include "state.h"
#include "str_util.h"

namespace cairn::catalog {
namespace {

using internal::Key2;
using internal::Lower;
using internal::ScanPrefix;
using internal::State;

bool MetaMatches(const Node& node, const StringMap& want) {
  for (const auto& [k, v] : want) {
    auto it = node.meta.find(k);
    if (it == node.meta.end() || it->second != v) return false;
  }
  return true;
}

// Consul compares ?tag= case-insensitively (structs.serviceTagFilter).
bool HasTag(const Service& svc, std::string_view tag) {
  std::string want = Lower(tag);
  return std::any_of(svc.tags.begin(), svc.tags.end(),
                     [&](const std::string& t) { return Lower(t) == want; });
}

bool HasTags(const Service& svc, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(),
                     [&](const std::string& t) { return HasTag(svc, t); });
}

// Visits (node, service) for every instance of `name`.
template <typename F>
void ForEachInstance(const State& s, std::string_view name, F f) {
  ScanPrefix(s.service_names, Lower(name) + '\0', [&](const std::string& key, const auto&) {
    std::string_view rest = std::string_view(key).substr(name.size() + 1);  // node \0 id
    const auto* svc = s.services.Find(rest);
    if (svc == nullptr) return true;
    std::string_view nkey = rest.substr(0, rest.find('\0'));
    const auto* node = s.nodes.Find(nkey);
    if (node != nullptr) f(*node, *svc);
    return true;
  });
}

void AppendNodeChecks(const State& s, const std::string& nkey,
                      std::vector<std::shared_ptr<const Check>>& out) {
  ScanPrefix(s.checks, nkey + '\0', [&](const std::string&, const auto& c) {
    if (c->service_id.empty()) out.push_back(c);
    return true;
  });
}

void AppendServiceChecks(const State& s, const std::string& nkey, const std::string& sid,
                         std::vector<std::shared_ptr<const Check>>& out) {
  std::string prefix = internal::Key3(nkey, sid, "");
  ScanPrefix(s.service_checks, prefix, [&](const std::string& key, const auto&) {
    const auto* c = s.checks.Find(Key2(nkey, std::string_view(key).substr(prefix.size())));
    if (c != nullptr) out.push_back(*c);
    return true;
  });
}

ServiceInstance MakeInstance(const State& s, const std::shared_ptr<const Node>& node,
                             const std::shared_ptr<const Service>& svc) {
  ServiceInstance inst{node, svc, {}};
  std::string nkey = Lower(node->name);
  AppendNodeChecks(s, nkey, inst.checks);
  AppendServiceChecks(s, nkey, Lower(svc->id), inst.checks);
  return inst;
}

bool PassesHealth(const ServiceInstance& inst, HealthFilter filter) {
  for (const auto& c : inst.checks) {
    if (filter == HealthFilter::kPassingOnly && c->status != kStatusPassing) return false;
    if (filter == HealthFilter::kNotCritical && IsCriticalStatus(c->status)) return false;
  }
  return true;
}

}  // namespace

uint64_t ReadView::TableIndex(Table table) const {
  return state_->table_index[static_cast<int>(table)];
}

uint64_t ReadView::MaxIndex(std::initializer_list<Table> tables) const {
  uint64_t m = 0;
  for (Table t : tables) m = std::max(m, TableIndex(t));
  return m;
}

uint64_t ReadView::ServiceIndex(std::string_view name) const {
  if (const uint64_t* i = state_->service_index.Find(Lower(name))) return *i;
  return MaxIndex({Table::kNodes, Table::kServices});
}

uint64_t ReadView::NodeIndex(std::string_view name) const {
  if (const uint64_t* i = state_->node_index.Find(Lower(name))) return *i;
  return MaxIndex({Table::kNodes, Table::kServices, Table::kChecks});
}

uint64_t ReadView::LastIndex() const { return state_->last_index; }

std::vector<std::shared_ptr<const Node>> ReadView::Nodes(const StringMap& node_meta) const {
  std::vector<std::shared_ptr<const Node>> out;
  for (auto it = state_->nodes.begin(); it != state_->nodes.end(); ++it) {
    if (MetaMatches(*it.value(), node_meta)) out.push_back(it.value());
  }
  return out;
}

std::shared_ptr<const Node> ReadView::GetNode(std::string_view name) const {
  const auto* n = state_->nodes.Find(Lower(name));
  return n ? *n : nullptr;
}

std::map<std::string, std::vector<std::string>> ReadView::Services(
    const StringMap& node_meta) const {
  std::map<std::string, std::set<std::string>> tags;
  for (auto it = state_->services.begin(); it != state_->services.end(); ++it) {
    const Service& svc = *it.value();
    if (!node_meta.empty()) {
      auto node = GetNode(svc.node);
      if (!node || !MetaMatches(*node, node_meta)) continue;
    }
    tags[svc.service].insert(svc.tags.begin(), svc.tags.end());
  }
  std::map<std::string, std::vector<std::string>> out;
  for (auto& [name, set] : tags) out[name].assign(set.begin(), set.end());
  return out;
}

std::vector<CatalogService> ReadView::ServiceNodes(std::string_view name,
                                                   const ServiceQuery& q) const {
  std::vector<CatalogService> out;
  ForEachInstance(*state_, name, [&](const auto& node, const auto& svc) {
    if (HasTags(*svc, q.tags) && MetaMatches(*node, q.node_meta)) out.push_back({node, svc});
  });
  return out;
}

std::vector<std::shared_ptr<const Service>> ReadView::NodeServices(std::string_view node) const {
  std::vector<std::shared_ptr<const Service>> out;
  ScanPrefix(state_->services, Lower(node) + '\0', [&](const std::string&, const auto& s) {
    out.push_back(s);
    return true;
  });
  return out;
}

std::shared_ptr<const Service> ReadView::GetService(std::string_view node,
                                                    std::string_view id) const {
  const auto* s = state_->services.Find(Key2(Lower(node), Lower(id)));
  return s ? *s : nullptr;
}

std::vector<ServiceInstance> ReadView::HealthService(std::string_view name,
                                                     const ServiceQuery& q) const {
  std::vector<ServiceInstance> out;
  ForEachInstance(*state_, name, [&](const auto& node, const auto& svc) {
    if (!HasTags(*svc, q.tags) || !MetaMatches(*node, q.node_meta)) return;
    ServiceInstance inst = MakeInstance(*state_, node, svc);
    if (q.passing_only && !PassesHealth(inst, HealthFilter::kPassingOnly)) return;
    out.push_back(std::move(inst));
  });
  return out;
}

std::vector<std::shared_ptr<const Check>> ReadView::NodeChecks(std::string_view node) const {
  std::vector<std::shared_ptr<const Check>> out;
  ScanPrefix(state_->checks, Lower(node) + '\0', [&](const std::string&, const auto& c) {
    out.push_back(c);
    return true;
  });
  return out;
}

std::vector<std::shared_ptr<const Check>> ReadView::ServiceChecks(
    std::string_view name, const StringMap& node_meta) const {
  std::vector<std::shared_ptr<const Check>> out;
  ForEachInstance(*state_, name, [&](const auto& node, const auto& svc) {
    if (MetaMatches(*node, node_meta))
      AppendServiceChecks(*state_, Lower(node->name), Lower(svc->id), out);
  });
  return out;
}

absl::StatusOr<std::vector<std::shared_ptr<const Check>>> ReadView::ChecksInState(
    std::string_view state, const StringMap& node_meta) const {
  bool any = state == "any";
  if (!any && !IsValidStatus(state)) {
    return absl::InvalidArgumentError(internal::Cat("Invalid check state: \"", state, "\""));
  }
  std::vector<std::shared_ptr<const Check>> out;
  for (auto it = state_->checks.begin(); it != state_->checks.end(); ++it) {
    const auto& c = it.value();
    bool match =
        any || c->status == state || (state == kStatusCritical && c->status == kStatusMaintenance);
    if (!match) continue;
    if (!node_meta.empty()) {
      auto node = GetNode(c->node);
      if (!node || !MetaMatches(*node, node_meta)) continue;
    }
    out.push_back(c);
  }
  return out;
}

std::shared_ptr<const Check> ReadView::GetCheck(std::string_view node,
                                                std::string_view check_id) const {
  const auto* c = state_->checks.Find(Key2(Lower(node), Lower(check_id)));
  return c ? *c : nullptr;
}

std::vector<ServiceInstance> ReadView::ServiceInstances(std::string_view service,
                                                        std::string_view tag,
                                                        std::string_view datacenter,
                                                        HealthFilter filter) const {
  std::vector<ServiceInstance> out;
  ForEachInstance(*state_, service, [&](const auto& node, const auto& svc) {
    if (!tag.empty() && !HasTag(*svc, tag)) return;
    if (!datacenter.empty() && node->datacenter != datacenter) return;
    ServiceInstance inst = MakeInstance(*state_, node, svc);
    if (PassesHealth(inst, filter)) out.push_back(std::move(inst));
  });
  return out;
}

std::shared_ptr<const Node> ReadView::LookupNode(std::string_view name) const {
  return GetNode(name);
}

std::vector<std::shared_ptr<const Node>> ReadView::NodesByAddress(std::string_view addr) const {
  std::vector<std::shared_ptr<const Node>> out;
  for (auto it = state_->nodes.begin(); it != state_->nodes.end(); ++it) {
    const Node& n = *it.value();
    bool match = n.address == addr;
    for (const auto& [tag, a] : n.tagged_addresses) match = match || a == addr;
    if (match) out.push_back(it.value());
  }
  return out;
}

uint64_t ReadView::ServiceVersion(std::string_view service) const { return ServiceIndex(service); }

std::vector<CatalogService> ReadView::ServicesByAddress(std::string_view addr) const {
  std::vector<CatalogService> out;
  for (auto it = state_->services.begin(); it != state_->services.end(); ++it) {
    if (it.value()->address != addr) continue;
    if (auto node = GetNode(it.value()->node)) out.push_back({node, it.value()});
  }
  return out;
}

}  // namespace cairn::catalog
