// The write path: Consul's ensureNode / ensureService / ensureCheck and their deletes
// (agent/consul/state/catalog.go) over the persistent tables of state.h. Every helper works
// on a Working copy; WriteTxn::Apply copies the Working before an operation and keeps the
// copy only when the operation succeeds, which makes each operation all-or-nothing without
// any undo code.
#include <algorithm>
#include <utility>

#include "state.h"
#include "str_util.h"

namespace cairn::catalog {
namespace internal {
namespace {

constexpr int kNodes = static_cast<int>(Table::kNodes);
constexpr int kServices = static_cast<int>(Table::kServices);
constexpr int kChecks = static_cast<int>(Table::kChecks);

absl::Status MissingNode() { return absl::FailedPreconditionError("Missing node registration"); }

// Marks every service on node `nkey` as changed (node records and node checks are part of
// every instance's health).
void TouchNodeServices(Working& w, const std::string& nkey) {
  w.changes.nodes.insert(nkey);
  ScanPrefix(w.state.services, nkey + '\0', [&](const std::string&, const auto& svc) {
    w.changes.services.insert(Lower(svc->service));
    return true;
  });
}

void RemoveCheck(Working& w, const std::string& ckey, const Check& c) {
  w.state.checks.Erase(ckey);
  if (!c.service_id.empty()) {
    w.state.service_checks.Erase(Key3(Lower(c.node), Lower(c.service_id), Lower(c.check_id)));
    w.changes.services.insert(Lower(c.service_name));
  } else {
    TouchNodeServices(w, Lower(c.node));
  }
  w.changes.tables[kChecks] = true;
  w.changes.nodes.insert(Lower(c.node));
  w.changes.result.checks_deregistered.push_back(CheckKey{c.node, c.check_id});
}

void RemoveService(Working& w, const std::string& nkey, const Service& s) {
  std::string skey = Lower(s.id);
  // Its checks first: collect, then erase (never mutate a map while iterating it).
  std::vector<std::string> check_keys;
  ScanPrefix(w.state.service_checks, Key2(nkey, skey) + '\0',
             [&](const std::string& k, const Unit&) {
               check_keys.push_back(Key2(nkey, k.substr(nkey.size() + skey.size() + 2)));
               return true;
             });
  for (const std::string& ck : check_keys) {
    if (const auto* c = w.state.checks.Find(ck)) RemoveCheck(w, ck, **c);
  }
  w.state.services.Erase(Key2(nkey, skey));
  w.state.service_names.Erase(Key3(Lower(s.service), nkey, skey));
  w.changes.tables[kServices] = true;
  w.changes.services.insert(Lower(s.service));
  w.changes.nodes.insert(nkey);
}

void RemoveNode(Working& w, const std::string& nkey) {
  const auto* found = w.state.nodes.Find(nkey);
  if (found == nullptr) return;
  std::shared_ptr<const Node> node = *found;
  TouchNodeServices(w, nkey);
  std::vector<std::pair<std::string, std::shared_ptr<const Check>>> checks;
  ScanPrefix(w.state.checks, nkey + '\0', [&](const std::string& k, const auto& c) {
    checks.emplace_back(k, c);
    return true;
  });
  for (const auto& [k, c] : checks) RemoveCheck(w, k, *c);
  std::vector<std::shared_ptr<const Service>> services;
  ScanPrefix(w.state.services, nkey + '\0', [&](const std::string&, const auto& s) {
    services.push_back(s);
    return true;
  });
  for (const auto& s : services) RemoveService(w, nkey, *s);
  if (!node->id.empty()) w.state.node_ids.Erase(Lower(node->id));
  w.state.nodes.Erase(nkey);
  w.changes.tables[kNodes] = true;
  w.changes.nodes.insert(nkey);
  w.changes.result.nodes_deregistered.push_back(node->name);
}

bool SerfHealthCritical(const State& s, const std::string& nkey) {
  const auto* c = s.checks.Find(Key2(nkey, "serfhealth"));
  return c != nullptr && IsCriticalStatus((*c)->status);
}

// Consul's ensureNodeTxn, including its node-ID rules: an ID names one node; registering
// a known ID under a new name renames the node (the old record, its services and checks
// are removed); a name held by a live node with another ID is refused.
absl::Status EnsureNode(Working& w, Node node, uint64_t index) {
  std::string nkey = Lower(node.name);
  if (!node.id.empty()) {
    const std::string* owner = w.state.node_ids.Find(Lower(node.id));
    const auto* by_name = w.state.nodes.Find(nkey);
    bool name_reserved = by_name != nullptr && !(*by_name)->id.empty() &&
                         Lower((*by_name)->id) != Lower(node.id) &&
                         !SerfHealthCritical(w.state, nkey);
    if (name_reserved) {
      return absl::FailedPreconditionError(Cat("Error while renaming Node ID: \"", node.id,
                                               "\": Node name ", node.name, " is reserved by node ",
                                               (*by_name)->id, " with name ", (*by_name)->name));
    }
    if (owner != nullptr && *owner != nkey) RemoveNode(w, std::string(*owner));
  }
  const auto* existing = w.state.nodes.Find(nkey);
  if (existing != nullptr) {
    const Node& old = **existing;
    if (old.SameContent(node)) return absl::OkStatus();
    node.create_index = old.create_index;
    if (!old.id.empty()) w.state.node_ids.Erase(Lower(old.id));
  } else {
    node.create_index = index;
  }
  node.modify_index = index;
  if (!node.id.empty()) w.state.node_ids.Insert(Lower(node.id), nkey);
  w.state.nodes.Insert(nkey, std::make_shared<const Node>(std::move(node)));
  w.changes.tables[kNodes] = true;
  TouchNodeServices(w, nkey);
  return absl::OkStatus();
}

absl::Status EnsureService(Working& w, const std::string& node_name, Service svc, uint64_t index) {
  std::string nkey = Lower(node_name);
  const auto* node = w.state.nodes.Find(nkey);
  if (node == nullptr) return MissingNode();
  svc.node = (*node)->name;
  std::string key = Key2(nkey, Lower(svc.id));
  const auto* existing = w.state.services.Find(key);
  if (existing != nullptr) {
    const Service& old = **existing;
    if (old.SameContent(svc)) return absl::OkStatus();
    svc.create_index = old.create_index;
    if (Lower(old.service) != Lower(svc.service)) {
      w.state.service_names.Erase(Key3(Lower(old.service), nkey, Lower(old.id)));
      w.changes.services.insert(Lower(old.service));
    }
  } else {
    svc.create_index = index;
  }
  svc.modify_index = index;
  w.state.service_names.Insert(Key3(Lower(svc.service), nkey, Lower(svc.id)), Unit{});
  w.changes.services.insert(Lower(svc.service));
  w.changes.nodes.insert(nkey);
  w.changes.tables[kServices] = true;
  w.state.services.Insert(std::move(key), std::make_shared<const Service>(std::move(svc)));
  return absl::OkStatus();
}

absl::Status EnsureCheck(Working& w, Check check, uint64_t index) {
  CAIRN_RETURN_IF_ERROR(ValidateCheck(check));
  if (check.check_id.empty()) check.check_id = check.name;
  if (check.status.empty()) check.status = std::string(kStatusCritical);
  std::string nkey = Lower(check.node);
  const auto* node = w.state.nodes.Find(nkey);
  if (node == nullptr) return MissingNode();
  check.node = (*node)->name;
  check.service_name.clear();
  check.service_tags.clear();
  if (!check.service_id.empty()) {
    const auto* svc = w.state.services.Find(Key2(nkey, Lower(check.service_id)));
    if (svc == nullptr) return absl::FailedPreconditionError("Missing service registration");
    check.service_id = (*svc)->id;
    check.service_name = (*svc)->service;
    check.service_tags = (*svc)->tags;
  }
  std::string key = Key2(nkey, Lower(check.check_id));
  const auto* existing = w.state.checks.Find(key);
  bool was_critical = false;
  if (existing != nullptr) {
    const Check& old = **existing;
    if (old.SameContent(check)) return absl::OkStatus();
    check.create_index = old.create_index;
    was_critical = IsCriticalStatus(old.status);
    if (Lower(old.service_id) != Lower(check.service_id)) {
      if (!old.service_id.empty()) {
        w.state.service_checks.Erase(Key3(nkey, Lower(old.service_id), Lower(old.check_id)));
        w.changes.services.insert(Lower(old.service_name));
      } else {
        TouchNodeServices(w, nkey);
      }
    }
  } else {
    check.create_index = index;
  }
  check.modify_index = index;
  if (IsCriticalStatus(check.status) && !was_critical) {
    w.changes.result.checks_critical.push_back(CheckKey{check.node, check.check_id});
  }
  if (!check.service_id.empty()) {
    w.state.service_checks.Insert(Key3(nkey, Lower(check.service_id), Lower(check.check_id)),
                                  Unit{});
    w.changes.services.insert(Lower(check.service_name));
  } else {
    TouchNodeServices(w, nkey);
  }
  w.changes.nodes.insert(nkey);
  w.changes.tables[kChecks] = true;
  w.state.checks.Insert(std::move(key), std::make_shared<const Check>(std::move(check)));
  return absl::OkStatus();
}

// Consul's CAS rule: 0 means "only if absent"; otherwise the record must exist with that
// ModifyIndex.
bool CasHolds(std::optional<uint64_t> cas, uint64_t current, bool exists) {
  if (!cas) return true;
  if (*cas == 0) return !exists;
  return exists && current == *cas;
}

absl::Status Stale(std::string_view verb, std::string_view what) {
  return absl::AbortedError(Cat("failed to ", verb, " ", what, ", index is stale"));
}

}  // namespace

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Key2(std::string_view a, std::string_view b) { return Cat(a, '\0', b); }
std::string Key3(std::string_view a, std::string_view b, std::string_view c) {
  return Cat(a, '\0', b, '\0', c);
}

void RebuildIndexes(State& s) {
  s.node_ids = {};
  s.service_names = {};
  s.service_checks = {};
  for (auto it = s.nodes.begin(); it != s.nodes.end(); ++it) {
    if (!it.value()->id.empty()) s.node_ids.Insert(Lower(it.value()->id), it.key());
  }
  for (auto it = s.services.begin(); it != s.services.end(); ++it) {
    const Service& svc = *it.value();
    s.service_names.Insert(Key3(Lower(svc.service), Lower(svc.node), Lower(svc.id)), Unit{});
  }
  for (auto it = s.checks.begin(); it != s.checks.end(); ++it) {
    const Check& c = *it.value();
    if (!c.service_id.empty()) {
      s.service_checks.Insert(Key3(Lower(c.node), Lower(c.service_id), Lower(c.check_id)), Unit{});
    }
  }
}

}  // namespace internal

using internal::Cat;
using internal::Key2;
using internal::Lower;
using internal::Working;

WriteTxn::WriteTxn(Catalog* catalog, std::shared_ptr<const internal::State> base, uint64_t index)
    : catalog_(catalog), base_(std::move(base)), work_(std::make_unique<Working>()), index_(index) {
  work_->state = *base_;
  if (index_ <= base_->last_index) {
    usable_ = absl::FailedPreconditionError(
        Cat("raft index ", index_, " is not above the catalog's last index ", base_->last_index));
  }
}

WriteTxn::WriteTxn(WriteTxn&&) noexcept = default;
WriteTxn& WriteTxn::operator=(WriteTxn&&) noexcept = default;
WriteTxn::~WriteTxn() = default;

absl::Status WriteTxn::Apply(const std::function<absl::Status(Working&)>& op) {
  CAIRN_RETURN_IF_ERROR(usable_);
  Working copy = *work_;
  CAIRN_RETURN_IF_ERROR(op(copy));
  *work_ = std::move(copy);
  return absl::OkStatus();
}

absl::Status WriteTxn::Register(const RegisterRequest& req) {
  return Apply([&](Working& w) -> absl::Status {
    const auto* existing = w.state.nodes.Find(Lower(req.node.name));
    bool update_node = existing == nullptr || !req.skip_node_update;
    CAIRN_RETURN_IF_ERROR(ValidateNode(req.node, update_node));
    if (update_node) CAIRN_RETURN_IF_ERROR(internal::EnsureNode(w, req.node, index_));
    if (req.service) {
      Service svc = *req.service;
      if (svc.id.empty()) svc.id = svc.service;
      CAIRN_RETURN_IF_ERROR(ValidateService(svc));
      CAIRN_RETURN_IF_ERROR(internal::EnsureService(w, req.node.name, std::move(svc), index_));
    }
    for (const Check& c : req.checks) {
      Check check = c;
      if (check.node.empty()) check.node = req.node.name;
      if (Lower(check.node) != Lower(req.node.name)) {
        return absl::InvalidArgumentError(Cat("Check node \"", check.node,
                                              "\" does not match registration node \"",
                                              req.node.name, "\""));
      }
      CAIRN_RETURN_IF_ERROR(internal::EnsureCheck(w, std::move(check), index_));
    }
    return absl::OkStatus();
  });
}

absl::Status WriteTxn::Deregister(const DeregisterRequest& req) {
  return Apply([&](Working& w) -> absl::Status {
    if (req.node.empty()) return absl::InvalidArgumentError("Must provide node");
    std::string nkey = Lower(req.node);
    if (req.service_id.empty() && req.check_id.empty()) {
      internal::RemoveNode(w, nkey);
      return absl::OkStatus();
    }
    if (!req.service_id.empty()) {
      if (const auto* s = w.state.services.Find(Key2(nkey, Lower(req.service_id)))) {
        std::shared_ptr<const Service> svc = *s;
        internal::RemoveService(w, nkey, *svc);
      }
    }
    if (!req.check_id.empty()) {
      std::string ckey = Key2(nkey, Lower(req.check_id));
      if (const auto* c = w.state.checks.Find(ckey)) {
        std::shared_ptr<const Check> check = *c;
        internal::RemoveCheck(w, ckey, *check);
      }
    }
    return absl::OkStatus();
  });
}

absl::Status WriteTxn::SetNode(const Node& node, std::optional<uint64_t> cas) {
  return Apply([&](Working& w) -> absl::Status {
    CAIRN_RETURN_IF_ERROR(ValidateNode(node, /*address_required=*/true));
    const auto* existing = w.state.nodes.Find(Lower(node.name));
    if (!internal::CasHolds(cas, existing ? (*existing)->modify_index : 0, existing)) {
      return internal::Stale("set", Cat("node \"", node.name, "\""));
    }
    return internal::EnsureNode(w, node, index_);
  });
}

absl::Status WriteTxn::DeleteNode(std::string_view node, std::optional<uint64_t> cas) {
  return Apply([&](Working& w) -> absl::Status {
    if (node.empty()) return absl::InvalidArgumentError("Must provide node");
    const auto* existing = w.state.nodes.Find(Lower(node));
    if (cas && !(existing && (*existing)->modify_index == *cas)) {
      return internal::Stale("delete", Cat("node \"", node, "\""));
    }
    internal::RemoveNode(w, Lower(node));
    return absl::OkStatus();
  });
}

absl::Status WriteTxn::SetService(std::string_view node, const Service& service,
                                  std::optional<uint64_t> cas) {
  return Apply([&](Working& w) -> absl::Status {
    Service svc = service;
    if (svc.id.empty()) svc.id = svc.service;
    CAIRN_RETURN_IF_ERROR(ValidateService(svc));
    const auto* existing = w.state.services.Find(Key2(Lower(node), Lower(svc.id)));
    if (!internal::CasHolds(cas, existing ? (*existing)->modify_index : 0, existing)) {
      return internal::Stale("set", Cat("service \"", svc.id, "\" on node \"", node, "\""));
    }
    return internal::EnsureService(w, std::string(node), std::move(svc), index_);
  });
}

absl::Status WriteTxn::DeleteService(std::string_view node, std::string_view service_id,
                                     std::optional<uint64_t> cas) {
  return Apply([&](Working& w) -> absl::Status {
    std::string nkey = Lower(node);
    const auto* existing = w.state.services.Find(Key2(nkey, Lower(service_id)));
    if (cas && !(existing && (*existing)->modify_index == *cas)) {
      return internal::Stale("delete", Cat("service \"", service_id, "\" on node \"", node, "\""));
    }
    if (existing != nullptr) {
      std::shared_ptr<const Service> svc = *existing;
      internal::RemoveService(w, nkey, *svc);
    }
    return absl::OkStatus();
  });
}

absl::Status WriteTxn::SetCheck(const Check& check, std::optional<uint64_t> cas) {
  return Apply([&](Working& w) -> absl::Status {
    std::string id = check.check_id.empty() ? check.name : check.check_id;
    const auto* existing = w.state.checks.Find(Key2(Lower(check.node), Lower(id)));
    if (!internal::CasHolds(cas, existing ? (*existing)->modify_index : 0, existing)) {
      return internal::Stale("set", Cat("check \"", id, "\" on node \"", check.node, "\""));
    }
    return internal::EnsureCheck(w, check, index_);
  });
}

absl::Status WriteTxn::DeleteCheck(std::string_view node, std::string_view check_id,
                                   std::optional<uint64_t> cas) {
  return Apply([&](Working& w) -> absl::Status {
    std::string ckey = Key2(Lower(node), Lower(check_id));
    const auto* existing = w.state.checks.Find(ckey);
    if (cas && !(existing && (*existing)->modify_index == *cas)) {
      return internal::Stale("delete", Cat("check \"", check_id, "\" on node \"", node, "\""));
    }
    if (existing != nullptr) {
      std::shared_ptr<const Check> c = *existing;
      internal::RemoveCheck(w, ckey, *c);
    }
    return absl::OkStatus();
  });
}

ReadView WriteTxn::View() const {
  return ReadView(std::make_shared<const internal::State>(work_->state));
}

absl::StatusOr<WriteResult> WriteTxn::Commit() {
  CAIRN_RETURN_IF_ERROR(usable_);
  absl::StatusOr<WriteResult> result = catalog_->Publish(base_, *work_, index_);
  if (result.ok()) usable_ = absl::FailedPreconditionError("transaction already committed");
  return result;
}

}  // namespace cairn::catalog
