// The server FSM's apply path: one Command per entry, one write transaction per store.
//
// Order inside an entry matters for the cross-store rules: a catalog change commits first
// and its WriteResult says which nodes and checks went away or turned critical; the
// sessions depending on them are then destroyed in a KV transaction at the same index.
// Both stores therefore show the entry's effects at the same index, and a watcher woken
// by the catalog commit may see the KV side a moment later (never an older one).
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <cairn/agent/fsm.h>
#include <cairn/base/log.h>

#include "fsm_command.h"
#include "fsm_internal.h"

namespace cairn::agent {

// Applies one decoded command at store index `index` (raft index + offset). Runs with the
// Fsm's apply mutex held; collects session events to report after it is released.
class Fsm::Applier {
 public:
  Applier(Fsm& fsm, uint64_t raft_index, uint64_t index, absl::Time now)
      : fsm_(fsm), raft_index_(raft_index), index_(index), now_(now) {}

  std::any Run(const proto::Command& c) {
    switch (c.op_case()) {
      case proto::Command::kKv:
        return KvWrite(c.kv());
      case proto::Command::kTxn:
        return Txn(c.txn());
      case proto::Command::kSessionCreate:
        return SessionCreate(c.session_create());
      case proto::Command::kSessionDestroy:
        return SessionDestroy(c.session_destroy());
      case proto::Command::kCatalogRegister:
        return Register(c.catalog_register());
      case proto::Command::kCatalogDeregister:
        return Deregister(c.catalog_deregister());
      case proto::Command::kReapTombstones:
        return Reap(c.reap_tombstones());
      case proto::Command::kRestore:
        return RestoreCommand(c.restore());
      case proto::Command::OP_NOT_SET:
        break;
    }
    return absl::Status(absl::InvalidArgumentError("command has no known operation"));
  }

  std::vector<kv::Session> created;
  std::vector<std::string> destroyed;

 private:
  absl::StatusOr<bool> KvWrite(const proto::KvWrite& w) {
    kv::WriteTxn txn = fsm_.kv_.BeginWrite(index_);
    absl::StatusOr<bool> r;
    switch (w.op()) {
      case proto::KvWrite::SET:
        r = txn.Set(w.key(), w.value(), w.flags());
        break;
      case proto::KvWrite::CAS:
        r = txn.Cas(w.key(), w.value(), w.flags(), w.index());
        break;
      case proto::KvWrite::ACQUIRE:
        r = txn.Acquire(w.key(), w.value(), w.flags(), w.session(), now_);
        break;
      case proto::KvWrite::RELEASE:
        r = txn.Release(w.key(), w.value(), w.flags(), w.session());
        break;
      case proto::KvWrite::DELETE:
        r = txn.Delete(w.key());
        break;
      case proto::KvWrite::DELETE_CAS:
        r = txn.DeleteCas(w.key(), w.index());
        break;
      case proto::KvWrite::DELETE_TREE:
        r = txn.DeleteTree(w.key());
        break;
      default:
        return absl::InvalidArgumentError("unknown KV write op in command");
    }
    if (r.ok() && *r) txn.Commit();
    return r;
  }

  absl::StatusOr<kv::TxnOutcome> Txn(const proto::Txn& t) {
    absl::StatusOr<std::vector<kv::TxnOp>> ops = internal::DecodeTxnOps(t);
    if (!ops.ok()) return ops.status();
    kv::WriteTxn txn = fsm_.kv_.BeginWrite(index_);
    absl::StatusOr<kv::TxnOutcome> out = txn.ApplyTxn(*ops, now_);
    if (out.ok() && out->errors.empty()) txn.Commit();
    return out;
  }

  absl::StatusOr<kv::Session> SessionCreate(const proto::SessionCreate& p) {
    absl::StatusOr<kv::Session> s = internal::DecodeSession(p);
    if (!s.ok()) return s.status();
    // Consul's state store (sessionCreateTxn): the node, then every check it names.
    catalog::ReadView cat = fsm_.catalog_.Read();
    if (s->node.empty() || cat.GetNode(s->node) == nullptr) {
      return absl::FailedPreconditionError("Missing node registration");
    }
    for (const std::string& id : s->AllCheckIds()) {
      std::shared_ptr<const catalog::Check> check = cat.GetCheck(s->node, id);
      if (check == nullptr) {
        return absl::FailedPreconditionError(fmt::format("Missing check '{}' registration", id));
      }
      if (catalog::IsCriticalStatus(check->status)) {
        return absl::FailedPreconditionError(fmt::format("Check '{}' is in critical state", id));
      }
    }
    kv::WriteTxn txn = fsm_.kv_.BeginWrite(index_);
    absl::StatusOr<kv::Session> stored = txn.CreateSession(*std::move(s));
    if (stored.ok()) {
      txn.Commit();
      if (stored->ttl.count() > 0) created.push_back(*stored);
    }
    return stored;
  }

  absl::StatusOr<bool> SessionDestroy(const proto::SessionDestroy& d) {
    kv::WriteTxn txn = fsm_.kv_.BeginWrite(index_);
    absl::StatusOr<bool> r = txn.DestroySession(d.id(), now_);
    if (r.ok()) {
      if (*r) {
        txn.Commit();
        destroyed.push_back(d.id());
      }
      return true;  // Consul answers true for unknown ids too
    }
    return r;
  }

  absl::StatusOr<CatalogWriteResult> Register(const proto::Register& r) {
    catalog::WriteTxn txn = fsm_.catalog_.BeginWrite(index_);
    absl::Status st = txn.Register(internal::DecodeRegister(r));
    if (!st.ok()) return st;
    return CommitCatalog(txn);
  }

  absl::StatusOr<CatalogWriteResult> Deregister(const proto::Deregister& d) {
    catalog::WriteTxn txn = fsm_.catalog_.BeginWrite(index_);
    absl::Status st = txn.Deregister(internal::DecodeDeregister(d));
    if (!st.ok()) return st;
    return CommitCatalog(txn);
  }

  absl::StatusOr<CatalogWriteResult> CommitCatalog(catalog::WriteTxn& txn) {
    absl::StatusOr<catalog::WriteResult> result = txn.Commit();
    if (!result.ok()) return result.status();
    // Sessions tied to what went away or turned critical are invalidated at this index.
    kv::ReadView view = fsm_.kv_.Snapshot();
    std::set<std::string> ids;
    for (const std::string& node : result->nodes_deregistered) {
      for (std::string& id : view.SessionsForNode(node)) ids.insert(std::move(id));
    }
    auto add_check = [&](const catalog::CheckKey& key) {
      for (std::string& id : view.SessionsForCheck(key.node, key.check_id)) {
        ids.insert(std::move(id));
      }
    };
    for (const catalog::CheckKey& key : result->checks_deregistered) add_check(key);
    for (const catalog::CheckKey& key : result->checks_critical) add_check(key);
    if (!ids.empty()) {
      kv::WriteTxn kv_txn = fsm_.kv_.BeginWrite(index_);
      for (const std::string& id : ids) {
        absl::StatusOr<bool> r = kv_txn.DestroySession(id, now_);
        if (!r.ok()) {
          // The catalog change is already published; an error here would be a libkv bug
          // (the session was just listed). Log it and keep the other invalidations.
          if (fsm_.log_) {
            fsm_.log_->Error("invalidating session {} at index {}: {}", id, index_,
                             r.status().ToString());
          }
        } else if (*r) {
          destroyed.push_back(id);
        }
      }
      kv_txn.Commit();
    }
    return CatalogWriteResult{index_};
  }

  absl::StatusOr<uint64_t> Reap(const proto::ReapTombstones& r) {
    kv::WriteTxn txn = fsm_.kv_.BeginWrite(index_);
    std::size_t n = txn.ReapTombstones(r.gc_index());
    if (n > 0) txn.Commit();
    return static_cast<uint64_t>(n);
  }

  absl::StatusOr<uint64_t> RestoreCommand(const proto::Restore& r) {
    absl::StatusOr<Parsed> parsed = fsm_.Parse(r.state());
    if (!parsed.ok()) return parsed.status();
    // Keep every later store index above the restored ones (see fsm.h, Indexes).
    uint64_t offset = fsm_.offset_.load();
    uint64_t restored = parsed->max_store_index;
    if (restored > raft_index_ && restored - raft_index_ > offset) offset = restored - raft_index_;
    absl::Status st = fsm_.RestoreParsed(*parsed, raft_index_, offset);
    if (!st.ok()) return st;
    restored_ = true;
    return raft_index_;
  }

 public:
  bool restored_ = false;

 private:
  Fsm& fsm_;
  uint64_t raft_index_;
  uint64_t index_;
  absl::Time now_;
};

Fsm::Fsm(kv::Options kv_options, std::optional<base::Logger> log)
    : kv_options_(kv_options), kv_(kv_options), log_(std::move(log)) {}
Fsm::~Fsm() = default;

std::any Fsm::Apply(const raft::Entry& entry) {
  if (entry.type != raft::EntryType::kNormal) return {};
  proto::Command command;
  if (!command.ParseFromString(entry.data)) {
    last_applied_.store(entry.index, std::memory_order_release);
    return absl::Status(absl::InvalidArgumentError("undecodable state machine command"));
  }
  std::any result;
  std::vector<kv::Session> created;
  std::vector<std::string> destroyed;
  bool restored = false;
  {
    std::lock_guard<std::mutex> lock(apply_mu_);
    uint64_t index = entry.index + offset_.load(std::memory_order_relaxed);
    // Never apply at or below an index a store already has: that would be a Raft bug (an
    // entry applied twice), and libkv treats it as one (CAIRN_CHECK). Refuse it instead.
    if (index <= kv_.Snapshot().applied_index() || index <= catalog_.Read().LastIndex()) {
      if (log_) {
        log_->Error("entry {} (store index {}) is not above the applied state", entry.index, index);
      }
      return absl::Status(absl::InternalError("entry already applied"));
    }
    Applier applier(*this, entry.index, index, internal::CommandTime(command));
    result = applier.Run(command);
    created = std::move(applier.created);
    destroyed = std::move(applier.destroyed);
    restored = applier.restored_;
    last_applied_.store(entry.index, std::memory_order_release);
  }
  if (restored && observer_.reset) observer_.reset();
  if (observer_.created) {
    for (const kv::Session& s : created) observer_.created(s);
  }
  if (observer_.destroyed) {
    for (const std::string& id : destroyed) observer_.destroyed(id);
  }
  return result;
}

}  // namespace cairn::agent
