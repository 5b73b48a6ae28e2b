// Node: the runtime around a Core.
//
// Threading. Everything that touches the Core, the in-memory log view the core reads
// (node_log.h), the pending requests and the StateMachine runs on one strand of the
// executor. Public calls post onto it; the transport's receiver and the tick timer do too.
// Two more threads, each a one-thread pool owned by the node:
//   - the persist thread writes each Output to LevelDB (one synced batch) and runs the
//     log compaction after a snapshot. It is the only user of the LevelDbLogStore after
//     Open, so the store needs no locking.
//   - the snapshot thread runs StateMachineSnapshot::WriteTo, which may take long.
// Group commit: the strand takes an Output, hands it to the persist thread and goes on
// stepping messages and accepting proposals; the core keeps those in memory. When the
// write is done the strand finishes the Output (mirror it into the view, send, apply,
// Advance) and at once takes the next one, which carries every proposal that arrived
// during the fsync in one batch. At most one Output is ever outstanding (core.h).
// Committed entries that are already durable here are applied as soon as their Output is
// taken, not after its own write: applying them needs no more durability, and it takes
// one fsync off the commit latency.
//
// mu_ is held by every strand handler and by Start/Shutdown/BootstrapCluster (which may
// run on any thread, even when the executor no longer runs handlers); it is uncontended in
// steady state. User callbacks run after mu_ is released (so they may call the node back);
// StateMachine methods run with it held. Stats are published under their own mutex.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <cairn/base/status.h>
#include <cairn/raft/node.h>

#include "node_impl.h"

namespace cairn::raft {

Node::Impl::Impl(boost::asio::any_io_executor executor, NodeOptions options, base::Logger log)
    : executor_(executor),
      strand_(boost::asio::make_strand(executor)),
      opt_(std::move(options)),
      log_(std::move(log)),
      timer_(strand_) {}

Node::Impl::~Impl() = default;

absl::Status Node::Impl::Open() {
  if (opt_.id == kNoServer) return absl::InvalidArgumentError("raft node: id must be nonzero");
  if (opt_.transport == nullptr || opt_.state_machine == nullptr) {
    return absl::InvalidArgumentError("raft node: transport and state_machine are required");
  }
  if (opt_.tick.count() <= 0 || opt_.retain_snapshots < 1) {
    return absl::InvalidArgumentError("raft node: tick must be positive, retain_snapshots >= 1");
  }
  if (!opt_.data_dir.empty()) {
    LevelDbLogStoreOptions o;
    o.retain_snapshots = opt_.retain_snapshots;
    o.sync = opt_.sync;
    CAIRN_ASSIGN_OR_RETURN(disk_, LevelDbLogStore::Open(opt_.data_dir, o));
    CAIRN_RETURN_IF_ERROR(view_.Load(*disk_));
  }
  disk_hard_state_ = view_.GetHardState();
  Later later;
  const Snapshot& snap = *view_.snapshot();
  if (snap.meta.index > 0) {
    CAIRN_RETURN_IF_ERROR(RestoreSnapshot(snap, later));
    log_.Info("restored snapshot {}.{} from {}", snap.meta.index, snap.meta.term, opt_.data_dir);
  }
  CoreConfig cfg = opt_.core;
  cfg.id = opt_.id;
  cfg.applied = applied_;
  CAIRN_ASSIGN_OR_RETURN(core_, Core::Create(cfg, view_, bitgen_));
  role_ = core_->role();
  term_ = core_->term();
  leader_.term = term_;
  PublishStats(core_->Status());
  return absl::OkStatus();
}

absl::Status Node::Impl::Start() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return absl::FailedPreconditionError("raft node: shut down");
    if (started_) return absl::FailedPreconditionError("raft node: already started");
    if (!fatal_.ok()) return fatal_;
  }
  std::weak_ptr<Impl> w = weak_from_this();
  CAIRN_RETURN_IF_ERROR(opt_.transport->Start(
      [w](Message msg) {
        if (auto self = w.lock()) {
          self->OnStrand([self = self.get(), msg = std::move(msg)](Later& later) mutable {
            self->OnMessage(std::move(msg), later);
          });
        }
      },
      [w](ServerId to) {
        if (auto self = w.lock()) {
          self->OnStrand([self = self.get(), to](Later&) { self->core_->ReportUnreachable(to); });
        }
      }));
  Later later;
  {
    std::lock_guard<std::mutex> l(mu_);
    started_ = true;
    tick_origin_ = Clock::now();
    ticks_done_ = 0;
    SyncPeers();
    ScheduleTick();
    AfterEvent(later);
  }
  for (auto& f : later) f();
  return absl::OkStatus();
}

void Node::Impl::Shutdown() {
  Later later;
  bool was_started;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    was_started = started_;
    timer_.cancel();
    FailAll(absl::UnavailableError("raft: node shut down"), later);
  }
  if (was_started) opt_.transport->Stop();
  // A snapshot being written posts its compaction to the persist thread: join it first.
  snapshot_pool_.join();
  persist_pool_.join();
  for (auto& f : later) f();
  log_.Debug("server {} shut down", opt_.id);
}

absl::Status Node::Impl::Bootstrap(const Configuration& configuration) {
  Later later;
  absl::Status s;
  {
    std::lock_guard<std::mutex> l(mu_);
    s = RefusalLocked();
    if (s.ok()) s = core_->Bootstrap(configuration);
    if (s.ok()) {
      log_.Info("server {} bootstrapped {}", opt_.id, DebugString(configuration));
      AfterEvent(later);
    }
  }
  for (auto& f : later) f();
  return s;
}

absl::Status Node::Impl::RefusalLocked() const {
  if (!fatal_.ok()) return fatal_;
  if (stopped_) return absl::UnavailableError("raft: node shut down");
  return absl::OkStatus();
}

void Node::Impl::OnStrand(std::function<void(Later&)> fn,
                          std::function<void(absl::Status)> refused) {
  boost::asio::post(strand_,
                    [w = weak_from_this(), fn = std::move(fn), refused = std::move(refused)]() {
                      std::shared_ptr<Impl> self = w.lock();
                      if (self == nullptr) {
                        if (refused) refused(absl::UnavailableError("raft: node shut down"));
                        return;
                      }
                      internal::RunLocked(self->mu_, [&](Later& later) {
                        absl::Status s = self->RefusalLocked();
                        if (!s.ok()) {
                          if (refused) later.push_back([refused, s] { refused(s); });
                          return;
                        }
                        fn(later);
                        self->AfterEvent(later);
                      });
                    });
}

// --- requests

void Node::Impl::Propose(std::string data, ApplyDone done) {
  OnStrand(
      [this, data = std::move(data), done](Later& later) mutable {
        absl::StatusOr<Index> index = core_->Propose(std::move(data));
        if (!index.ok()) {
          later.push_back([done, s = index.status()] { done(s); });
          return;
        }
        proposals_[*index] = PendingProposal{core_->term(), std::move(done)};
      },
      [done](absl::Status s) { done(std::move(s)); });
}

void Node::Impl::Barrier(Done done) {
  OnStrand(
      [this, done](Later& later) {
        if (core_->role() != Role::kLeader) {
          later.push_back([done, s = NotLeader("barrier")] { done(s); });
          return;
        }
        Index target = core_->Status().last_index;
        if (applied_ >= target) {
          later.push_back([done] { done(absl::OkStatus()); });
          return;
        }
        barriers_.emplace(target, Pending{core_->term(), done});
      },
      done);
}

void Node::Impl::ReadIndex(Done done) {
  OnStrand(
      [this, done](Later& later) {
        uint64_t id = next_read_++;
        absl::Status s = core_->ReadIndex(id);
        if (!s.ok()) {
          later.push_back([done, s] { done(s); });
          return;
        }
        reads_unconfirmed_.emplace(id, done);
      },
      done);
}

void Node::Impl::ChangeMembership(ConfChange change, Done done) {
  OnStrand(
      [this, change = std::move(change), done](Later& later) {
        absl::StatusOr<Index> index = core_->ProposeConfChange(change);
        if (!index.ok()) {
          later.push_back([done, s = index.status()] { done(s); });
          return;
        }
        changes_[*index] = Pending{core_->term(), done};
      },
      done);
}

void Node::Impl::TransferLeadership(ServerId target, Done done) {
  OnStrand(
      [this, target, done](Later& later) {
        auto fail = [&](absl::Status s) { later.push_back([done, s] { done(s); }); };
        if (core_->role() != Role::kLeader) return fail(NotLeader("leadership transfer"));
        ServerId to = target;
        if (to == kNoServer) {
          // The most up-to-date voter, by what the followers acknowledged.
          Configuration config = core_->Status().configuration;
          Index best = 0;
          for (ServerId id : config.Voters()) {
            auto it = match_.find(id);
            Index m = it == match_.end() ? 0 : it->second;
            if (id != opt_.id && (to == kNoServer || m > best)) to = id, best = m;
          }
          if (to == kNoServer) {
            return fail(absl::FailedPreconditionError("raft: no other voter to transfer to"));
          }
        }
        if (to == opt_.id) {
          later.push_back([done] { done(absl::OkStatus()); });
          return;
        }
        absl::Status s = core_->TransferLeadership(to);
        if (!s.ok()) return fail(s);
        log_.Info("server {} transferring leadership to {}", opt_.id, to);
        transfers_.push_back(Transfer{to, core_->term(), 0, done});
      },
      done);
}

// --- events

void Node::Impl::OnMessage(Message msg, Later& later) {
  if (msg.type == MessageType::kAppendResponse && !msg.reject && role_ == Role::kLeader &&
      msg.term == term_) {
    Index& m = match_[msg.from];
    m = std::max(m, msg.index);
  }
  bool from_leader = IsFromLeader(msg.type);
  ServerId from = msg.from;
  absl::Status s = core_->Step(msg);
  if (!s.ok()) {
    log_.Debug("server {} dropped {}: {}", opt_.id, DebugString(msg), s);
    return;
  }
  if (from_leader && from == core_->leader()) last_contact_ = Clock::now();
}

void Node::Impl::ScheduleTick() {
  timer_.expires_at(tick_origin_ + opt_.tick * (ticks_done_ + 1));
  timer_.async_wait(
      boost::asio::bind_executor(strand_, [w = weak_from_this()](boost::system::error_code ec) {
        std::shared_ptr<Impl> self = w.lock();
        if (ec || self == nullptr) return;
        internal::RunLocked(self->mu_, [&](Later& later) {
          if (!self->RefusalLocked().ok()) return;
          self->OnTick(later);
          self->AfterEvent(later);
          if (self->RefusalLocked().ok()) self->ScheduleTick();
        });
      }));
}

void Node::Impl::OnTick(Later& later) {
  // The core counts real time: a tick late by several periods (a loaded machine) is
  // caught up, so a leader never believes less time passed than did (leases rely on it).
  // More than an election timeout behind is not caught up beyond that.
  uint64_t due = static_cast<uint64_t>((Clock::now() - tick_origin_) / opt_.tick);
  uint64_t cap = static_cast<uint64_t>(std::max(1, opt_.core.election_ticks));
  if (due > ticks_done_ + cap) ticks_done_ = due - cap;
  uint64_t n = due > ticks_done_ ? due - ticks_done_ : 1;
  ticks_done_ += n;
  for (uint64_t i = 0; i < n; ++i) core_->Tick();
  for (Transfer& t : transfers_) t.ticks += static_cast<int>(n);
}

void Node::Impl::AfterEvent(Later& later) {
  CoreStatus st = core_->Status();
  CheckLeadership(later);
  CheckTransfers(later);
  ScheduleFlush();
  PublishStats(st);
}

void Node::Impl::ScheduleFlush() {
  if (!started_ || persisting_ || flush_posted_ || !core_->HasOutput()) return;
  // Posted rather than run now, so that work already queued on the strand (more
  // proposals, more responses) joins this batch.
  flush_posted_ = true;
  OnStrand([this](Later& later) {
    flush_posted_ = false;
    ProcessOutputs(later);
  });
}

// --- leadership

LeaderInfo Node::Impl::CurrentLeader() const {
  LeaderInfo info;
  info.id = core_->leader();
  info.term = core_->term();
  if (info.id != kNoServer) {
    Configuration config = core_->Status().configuration;
    if (const Server* s = config.Find(info.id)) info.address = s->address;
    if (info.id == opt_.id) info.address = opt_.transport->LocalAddress();
  }
  return info;
}

absl::Status Node::Impl::NotLeader(const char* what) const {
  LeaderInfo l = CurrentLeader();
  if (l.id == kNoServer) {
    return absl::UnavailableError(fmt::format("raft: {}: not the leader; leader unknown", what));
  }
  return absl::UnavailableError(
      fmt::format("raft: {}: not the leader; leader is {} at {}", what, l.id, l.address));
}

void Node::Impl::CheckLeadership(Later& later) {
  Role role = core_->role();
  Term term = core_->term();
  if (role_ == Role::kLeader && (role != Role::kLeader || term != term_)) {
    // Requests past the commit index may or may not commit under the next leader; those
    // at or below it are committed and complete when applied.
    Index commit = core_->Status().commit;
    absl::Status lost = absl::UnavailableError(
        "raft: leadership lost before the entry committed; it may or may not be applied");
    auto fail_from = [&](auto& m) {
      for (auto it = m.upper_bound(commit); it != m.end(); it = m.erase(it)) {
        later.push_back([d = std::move(it->second.done), lost] { d(lost); });
      }
    };
    fail_from(proposals_);
    fail_from(changes_);
    fail_from(barriers_);
    log_.Info("server {} lost leadership of term {}", opt_.id, term_);
  }
  if (role == Role::kLeader && (role_ != Role::kLeader || term != term_)) {
    match_.clear();
    log_.Info("server {} is leader of term {}", opt_.id, term);
  }
  role_ = role;
  term_ = term;
  // (An empty address: a new server learns the leader before the configuration naming it.)
  if (core_->leader() != leader_.id || term != leader_.term ||
      (leader_.id != kNoServer && leader_.address.empty())) {
    LeaderInfo now = CurrentLeader();
    if (now.id == leader_.id && now.term == leader_.term && now.address == leader_.address) {
      return;
    }
    leader_ = std::move(now);
    std::vector<std::shared_ptr<LeaderObserver>> observers;
    {
      std::lock_guard<std::mutex> l(observers_mu_);
      for (auto& [h, o] : observers_) observers.push_back(o);
    }
    for (auto& o : observers) later.push_back([o, info = leader_] { (*o)(info); });
  }
}

void Node::Impl::CheckTransfers(Later& later) {
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    absl::Status result;
    bool finished = true;
    ServerId leader = core_->leader();
    bool same_reign = core_->role() == Role::kLeader && core_->term() == it->term;
    if (leader == it->target && core_->term() > it->term) {
      result = absl::OkStatus();
    } else if (same_reign && it->ticks > opt_.core.election_ticks) {
      result = absl::UnavailableError(fmt::format(
          "raft: leadership transfer to {} abandoned: it did not catch up in time", it->target));
    } else if (!same_reign && leader != kNoServer && leader != it->target) {
      result = absl::UnavailableError(
          fmt::format("raft: leadership went to {} instead of {}", leader, it->target));
    } else if (it->ticks > 4 * opt_.core.election_ticks) {
      result = absl::UnavailableError("raft: leadership transfer outcome unknown");
    } else {
      finished = false;
    }
    if (!finished) {
      ++it;
      continue;
    }
    later.push_back([d = std::move(it->done), result] { d(result); });
    it = transfers_.erase(it);
  }
}

void Node::Impl::FailAll(const absl::Status& status, Later& later) {
  auto fail_all = [&](auto& m) {
    for (auto& [k, p] : m) later.push_back([d = std::move(p.done), status] { d(status); });
    m.clear();
  };
  fail_all(proposals_);
  fail_all(changes_);
  fail_all(barriers_);
  for (auto& [k, d] : reads_unconfirmed_)
    later.push_back([d = std::move(d), status] { d(status); });
  reads_unconfirmed_.clear();
  for (auto& [k, d] : reads_confirmed_) later.push_back([d = std::move(d), status] { d(status); });
  reads_confirmed_.clear();
  for (Transfer& t : transfers_) later.push_back([d = std::move(t.done), status] { d(status); });
  transfers_.clear();
}

void Node::Impl::Fail(absl::Status status, Later& later) {
  if (!fatal_.ok()) return;
  fatal_ = status;
  log_.Error("server {} stopped: {}", opt_.id, status);
  timer_.cancel();
  FailAll(status, later);
  std::lock_guard<std::mutex> l(stats_mu_);
  stats_.fatal_error = status;
}

// --- observers and stats

int Node::Impl::AddLeaderObserver(LeaderObserver observer) {
  std::lock_guard<std::mutex> l(observers_mu_);
  int h = next_observer_++;
  observers_[h] = std::make_shared<LeaderObserver>(std::move(observer));
  return h;
}

void Node::Impl::RemoveLeaderObserver(int handle) {
  std::lock_guard<std::mutex> l(observers_mu_);
  observers_.erase(handle);
}

void Node::Impl::PublishStats(const CoreStatus& st) {
  std::lock_guard<std::mutex> l(stats_mu_);
  stats_.role = st.role;
  stats_.term = st.term;
  stats_.leader = leader_;
  stats_.commit_index = st.commit;
  stats_.applied_index = applied_;
  stats_.last_log_index = st.last_index;
  stats_.last_log_term = st.last_term;
  stats_.last_snapshot_index = view_.GetSnapshotMeta().index;
  stats_.last_snapshot_term = view_.GetSnapshotMeta().term;
  if (stats_.configuration_index != st.configuration_index ||
      stats_.configuration.servers.size() != st.configuration.servers.size()) {
    stats_.configuration = st.configuration;
    stats_.configuration_index = st.configuration_index;
  }
  stats_.snapshots_taken = snapshots_taken_;
  stats_.fatal_error = fatal_;
  stats_contact_ = last_contact_;
}

NodeStats Node::Impl::Stats() const {
  std::lock_guard<std::mutex> l(stats_mu_);
  NodeStats s = stats_;
  s.fsyncs = fsyncs_.load();
  s.entries_persisted = entries_persisted_.load();
  if (s.role == Role::kLeader) {
    s.last_contact = std::chrono::milliseconds(0);
  } else if (stats_contact_ != Clock::time_point{}) {
    s.last_contact =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stats_contact_);
  }
  return s;
}

// --- Node

absl::StatusOr<std::unique_ptr<Node>> Node::Create(boost::asio::any_io_executor executor,
                                                   NodeOptions options) {
  base::LogSystem& logs =
      options.log_system != nullptr ? *options.log_system : base::LogSystem::Default();
  base::Logger log = logs.Get(options.log_module);
  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options), std::move(log));
  CAIRN_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::Node(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() { impl_->Shutdown(); }

absl::Status Node::Start() { return impl_->Start(); }
void Node::Shutdown() { impl_->Shutdown(); }
absl::Status Node::BootstrapCluster(const Configuration& configuration) {
  return impl_->Bootstrap(configuration);
}
void Node::Propose(std::string data, ApplyDone done) { impl_->Propose(std::move(data), done); }
void Node::Barrier(Done done) { impl_->Barrier(std::move(done)); }
void Node::ReadIndex(Done done) { impl_->ReadIndex(std::move(done)); }
void Node::AddVoter(ServerId id, std::string address, Done done) {
  impl_->ChangeMembership({ConfChange::Op::kAddVoter, id, std::move(address)}, std::move(done));
}
void Node::AddNonvoter(ServerId id, std::string address, Done done) {
  impl_->ChangeMembership({ConfChange::Op::kAddNonvoter, id, std::move(address)}, std::move(done));
}
void Node::RemoveServer(ServerId id, Done done) {
  impl_->ChangeMembership({ConfChange::Op::kRemoveServer, id, ""}, std::move(done));
}
void Node::TransferLeadership(ServerId target, Done done) {
  impl_->TransferLeadership(target, std::move(done));
}
int Node::AddLeaderObserver(LeaderObserver observer) {
  return impl_->AddLeaderObserver(std::move(observer));
}
void Node::RemoveLeaderObserver(int handle) { impl_->RemoveLeaderObserver(handle); }
LeaderInfo Node::leader() const { return impl_->Stats().leader; }
bool Node::IsLeader() const { return impl_->Stats().role == Role::kLeader; }
NodeStats Node::Stats() const { return impl_->Stats(); }

}  // namespace cairn::raft
