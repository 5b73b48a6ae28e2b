// Node: taking Outputs from the core, persisting, sending, applying; snapshots.
// The threading is described in node.cc.
#include <istream>
#include <sstream>
#include <streambuf>

#include <boost/asio/post.hpp>

#include <cairn/base/status.h>

#include "node_impl.h"

namespace cairn::raft {
namespace {

// Reads a string in place (a snapshot can be as large as the state machine).
class StringViewBuf : public std::streambuf {
 public:
  explicit StringViewBuf(const std::string& s) {
    char* p = const_cast<char*>(s.data());  // Read only: no putback area is written.
    setg(p, p, p + s.size());
  }
};

}  // namespace

void Node::Impl::ProcessOutputs(Later& later) {
  while (persisting_ == nullptr && fatal_.ok() && !stopped_ && core_->HasOutput()) {
    auto out = std::make_unique<Output>(core_->TakeOutput());
    if (!out->snapshot && !out->committed.empty()) {
      Index durable = view_.LastIndex();
      if (!out->entries.empty()) durable = std::min(durable, out->entries.front().index - 1);
      ApplyEntries(out->committed, durable, later);
    }
    // Confirmed reads wait only for the state machine, not for this output's write.
    TakeReads(*out, later);
    if (out->hard_state && !out->snapshot && out->entries.empty() &&
        out->hard_state->term == disk_hard_state_.term &&
        out->hard_state->vote == disk_hard_state_.vote) {
      // Only the commit index moved. The stored one may lag (types.h: a restart then
      // re-applies a little more), so it rides with the next write instead of costing an
      // fsync of its own, and this output's messages go out at once.
      out->hard_state.reset();
    }
    bool write = out->snapshot || !out->entries.empty() || out->hard_state;
    if (write && !out->hard_state) {
      HardState hs = disk_hard_state_;
      hs.commit = core_->Status().commit;
      if (hs.commit > disk_hard_state_.commit) out->hard_state = hs;
    }
    if (out->hard_state) disk_hard_state_ = *out->hard_state;
    if (disk_ == nullptr || !write) {
      entries_persisted_.fetch_add(out->entries.size(), std::memory_order_relaxed);
      FinishOutput(std::move(out), later);
      continue;
    }
    persisting_ = std::move(out);
    boost::asio::post(persist_pool_, [this, o = persisting_.get(), w = weak_from_this()] {
      absl::Status s = disk_->Persist(*o);
      if (s.ok()) {
        if (opt_.sync) fsyncs_.fetch_add(1, std::memory_order_relaxed);
        entries_persisted_.fetch_add(o->entries.size(), std::memory_order_relaxed);
      }
      boost::asio::post(strand_, [w, s] {
        std::shared_ptr<Impl> self = w.lock();
        if (self == nullptr) return;
        internal::RunLocked(self->mu_, [&](Later& later) {
          if (!self->RefusalLocked().ok()) return;
          self->OnPersisted(s, later);
          self->AfterEvent(later);
        });
      });
    });
  }
}

void Node::Impl::OnPersisted(absl::Status status, Later& later) {
  std::unique_ptr<Output> out = std::move(persisting_);
  if (!status.ok()) return Fail(status, later);
  FinishOutput(std::move(out), later);
  ProcessOutputs(later);
}

void Node::Impl::FinishOutput(std::unique_ptr<Output> out, Later& later) {
  view_.Persist(*out);
  if (out->snapshot) {
    absl::Status s = RestoreSnapshot(*out->snapshot, later);
    if (!s.ok()) return Fail(s, later);
    log_.Info("server {} installed snapshot {}.{} from the leader", opt_.id,
              out->snapshot->meta.index, out->snapshot->meta.term);
  }
  SyncPeers();
  if (!out->messages.empty()) opt_.transport->Send(std::move(out->messages));
  ApplyEntries(out->committed, ~Index{0}, later);
  if (!fatal_.ok()) return;
  core_->Advance(*out);
  CompleteWaiters(later);
  MaybeSnapshot();
}

void Node::Impl::TakeReads(Output& out, Later& later) {
  for (ReadState& r : out.reads) {
    auto it = reads_unconfirmed_.find(r.request_id);
    if (it == reads_unconfirmed_.end()) continue;
    Done done = std::move(it->second);
    reads_unconfirmed_.erase(it);
    if (r.status.ok()) {
      reads_confirmed_.emplace(r.index, std::move(done));
    } else {
      later.push_back([done, s = r.status] { done(s); });
    }
  }
  out.reads.clear();
  CompleteWaiters(later);
}

void Node::Impl::ApplyEntries(const std::vector<Entry>& entries, Index up_to, Later& later) {
  for (const Entry& e : entries) {
    if (e.index > up_to || !fatal_.ok()) break;
    if (e.index <= applied_) continue;  // Applied early, or covered by a restored snapshot.
    if (e.index != applied_ + 1) {
      return Fail(absl::InternalError(fmt::format("raft: committed entry {} follows applied {}",
                                                  e.index, applied_)),
                  later);
    }
    ApplyOne(e, later);
  }
  CompleteWaiters(later);
}

void Node::Impl::ApplyOne(const Entry& e, Later& later) {
  std::any result;
  if (e.type == EntryType::kNormal) {
    result = opt_.state_machine->Apply(e);
  } else if (e.type == EntryType::kConfiguration) {
    absl::StatusOr<Configuration> c = DecodeConfiguration(e.data);
    if (c.ok()) opt_.state_machine->ApplyConfiguration(e.index, *c);
  }
  applied_ = e.index;
  absl::Status replaced = absl::UnavailableError(fmt::format(
      "raft: the entry at index {} was replaced by another leader's; not applied", e.index));
  while (!proposals_.empty() && proposals_.begin()->first <= e.index) {
    auto node = proposals_.extract(proposals_.begin());
    PendingProposal& p = node.mapped();
    if (node.key() == e.index && p.term == e.term && e.type == EntryType::kNormal) {
      later.push_back([d = std::move(p.done), result] { d(result); });
    } else {
      later.push_back([d = std::move(p.done), replaced] { d(replaced); });
    }
  }
  while (!changes_.empty() && changes_.begin()->first <= e.index) {
    auto node = changes_.extract(changes_.begin());
    bool ok = node.key() == e.index && node.mapped().term == e.term &&
              e.type == EntryType::kConfiguration;
    later.push_back(
        [d = std::move(node.mapped().done), ok, replaced] { d(ok ? absl::OkStatus() : replaced); });
  }
}

void Node::Impl::CompleteWaiters(Later& later) {
  while (!barriers_.empty() && barriers_.begin()->first <= applied_) {
    later.push_back([d = std::move(barriers_.begin()->second.done)] { d(absl::OkStatus()); });
    barriers_.erase(barriers_.begin());
  }
  while (!reads_confirmed_.empty() && reads_confirmed_.begin()->first <= applied_) {
    later.push_back([d = std::move(reads_confirmed_.begin()->second)] { d(absl::OkStatus()); });
    reads_confirmed_.erase(reads_confirmed_.begin());
  }
}

absl::Status Node::Impl::RestoreSnapshot(const Snapshot& snapshot, Later& later) {
  StringViewBuf buf(snapshot.data);
  std::istream in(&buf);
  absl::Status s = opt_.state_machine->Restore(in);
  if (!s.ok()) {
    return base::Annotate(s, fmt::format("raft: restoring the state machine from snapshot {}.{}",
                                         snapshot.meta.index, snapshot.meta.term));
  }
  opt_.state_machine->ApplyConfiguration(snapshot.meta.index, snapshot.meta.configuration);
  applied_ = std::max(applied_, snapshot.meta.index);
  last_snapshot_index_ = std::max(last_snapshot_index_, snapshot.meta.index);
  // Whether these were applied, and with which result, is unknown now.
  absl::Status unknown = absl::UnavailableError(
      "raft: state replaced by a snapshot from the leader; the entry's result is unknown");
  while (!proposals_.empty() && proposals_.begin()->first <= applied_) {
    later.push_back([d = std::move(proposals_.begin()->second.done), unknown] { d(unknown); });
    proposals_.erase(proposals_.begin());
  }
  while (!changes_.empty() && changes_.begin()->first <= applied_) {
    later.push_back([d = std::move(changes_.begin()->second.done), unknown] { d(unknown); });
    changes_.erase(changes_.begin());
  }
  CompleteWaiters(later);
  return absl::OkStatus();
}

void Node::Impl::SyncPeers() {
  CoreStatus st = core_->Status();
  if (st.configuration_index == config_index_seen_) return;
  config_index_seen_ = st.configuration_index;
  std::map<ServerId, std::string> peers = opt_.peers;
  for (const Server& s : st.configuration.servers) peers[s.id] = s.address;
  peers.erase(opt_.id);
  opt_.transport->SetPeers(std::move(peers));
}

void Node::Impl::MaybeSnapshot() {
  if (snapshotting_ || opt_.snapshot_threshold == 0 ||
      applied_ < last_snapshot_index_ + opt_.snapshot_threshold) {
    return;
  }
  absl::StatusOr<SnapshotMeta> meta = core_->SnapshotMetaAt(applied_);
  if (!meta.ok()) {
    log_.Warn("server {} cannot snapshot at {}: {}", opt_.id, applied_, meta.status());
    return;
  }
  absl::StatusOr<std::unique_ptr<StateMachineSnapshot>> snap = opt_.state_machine->Snapshot();
  if (!snap.ok()) {
    log_.Warn("server {} state machine snapshot at {} failed: {}", opt_.id, applied_,
              snap.status());
    last_snapshot_index_ = applied_;  // Retried after another snapshot_threshold entries.
    return;
  }
  snapshotting_ = true;
  std::shared_ptr<StateMachineSnapshot> writer = std::move(*snap);
  boost::asio::post(snapshot_pool_, [this, writer, meta = *meta, w = weak_from_this()]() mutable {
    auto done = [this, w](absl::Status s, bool storage, std::shared_ptr<const Snapshot> snap) {
      boost::asio::post(strand_, [w, s, storage, snap] {
        std::shared_ptr<Impl> self = w.lock();
        if (self == nullptr) return;
        internal::RunLocked(self->mu_, [&](Later& later) {
          if (!self->RefusalLocked().ok()) return;
          if (storage && !s.ok()) return self->Fail(s, later);
          self->OnSnapshotDone(s, snap);
          self->AfterEvent(later);
        });
      });
    };
    std::ostringstream data;
    absl::Status s = writer->WriteTo(data);
    writer.reset();
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->meta = std::move(meta);
    if (!s.ok()) return done(s, false, nullptr);
    snapshot->data = std::move(data).str();
    if (disk_ == nullptr) return done(s, false, snapshot);
    if (stopping_) return;
    boost::asio::post(persist_pool_, [this, snapshot, done] {
      absl::Status s;
      if (snapshot->meta.index > disk_->GetSnapshotMeta().index) {
        s = disk_->Compact(*snapshot, opt_.trailing_logs);
      }
      done(s, true, snapshot);
    });
  });
}

void Node::Impl::OnSnapshotDone(absl::Status status, std::shared_ptr<const Snapshot> snapshot) {
  snapshotting_ = false;
  if (!status.ok()) {
    log_.Warn("server {} writing a snapshot failed: {}", opt_.id, status);
    last_snapshot_index_ = applied_;  // Retried after another snapshot_threshold entries.
    return;
  }
  Index index = snapshot->meta.index;
  // An installed snapshot may have overtaken this one: then there is nothing to compact.
  if (view_.Compact(snapshot, opt_.trailing_logs).ok()) {
    ++snapshots_taken_;
    last_snapshot_index_ = std::max(last_snapshot_index_, index);
    log_.Debug("server {} took snapshot {}.{}", opt_.id, index, snapshot->meta.term);
  }
  MaybeSnapshot();
}

}  // namespace cairn::raft
