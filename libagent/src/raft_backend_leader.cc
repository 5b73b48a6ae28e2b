// RaftBackend's leader duties: session TTL timers, tombstone GC, self registration.
//
// Timers belong to the leader only. They are rebuilt from the store whenever this server
// becomes leader (a new leader gives every TTL session a full 2 x TTL, as Consul's
// initializeSessionTimers does), kept current by the Fsm's session observer, and dropped
// when leadership goes. An expiry proposes a destroy; if that fails while this server still
// leads (an election in the middle), it is retried a second later.
#include <utility>

#include <fmt/format.h>

#include "raft_backend_impl.h"

namespace cairn::agent {
namespace {
// Consul's SessionTTLMultiplier: a session lives 2 x TTL without renew.
constexpr int kSessionTtlMultiplier = 2;
constexpr base::Duration kExpiryRetry = std::chrono::seconds(1);
}  // namespace

void RaftBackend::Impl::StartLeaderDuties() {
  std::vector<kv::Session> sessions = fsm_.kv().Snapshot().ListSessions();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || !leading_) return;
    session_timers_.clear();
    for (const kv::Session& s : sessions) {
      if (s.ttl.count() > 0) ArmSessionLocked(s.id, kSessionTtlMultiplier * s.ttl);
    }
    gc_marks_.clear();
    GcTickLocked();
  }
  EnsureSelfRegistered();
}

void RaftBackend::Impl::StopLeaderDuties() {
  std::lock_guard<std::mutex> lock(mu_);
  session_timers_.clear();
  gc_timer_.reset();
  gc_marks_.clear();
}

void RaftBackend::Impl::OnSessionCreated(const kv::Session& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_ || !leading_) return;
  ArmSessionLocked(s.id, kSessionTtlMultiplier * s.ttl);
}

void RaftBackend::Impl::OnSessionDestroyed(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  session_timers_.erase(id);
}

void RaftBackend::Impl::OnSessionsReset() {
  bool leading;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leading = leading_ && !stopped_;
  }
  if (leading) StartLeaderDuties();
}

void RaftBackend::Impl::ArmSessionLocked(const std::string& id, base::Duration after) {
  uint64_t generation = ++next_generation_;
  std::weak_ptr<Impl> weak = weak_from_this();
  SessionTimer& t = session_timers_[id];
  t.generation = generation;
  t.timer = clock_.After(after, [weak, id, generation] {
    if (auto self = weak.lock()) self->ExpireSession(id, generation);
  });
}

void RaftBackend::Impl::ExpireSession(const std::string& id, uint64_t generation) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = session_timers_.find(id);
    if (stopped_ || !leading_ || it == session_timers_.end() ||
        it->second.generation != generation) {
      return;
    }
    session_timers_.erase(it);  // this timer's own handle; its callback is running
  }
  std::weak_ptr<Impl> weak = weak_from_this();
  node_.Propose(EncodeSessionDestroy(id, /*ttl_expired=*/true, clock_.WallNow()),
                [weak, id](absl::StatusOr<std::any> r) {
                  auto self = weak.lock();
                  if (!self) return;
                  absl::Status status = r.status();
                  if (r.ok()) status = TakeResult<bool>(*r).status();
                  if (status.ok()) return;
                  if (self->opt_.log) {
                    self->opt_.log->Warn("session {} expired but its destroy failed: {}", id,
                                         status.ToString());
                  }
                  if (!self->fsm_.kv().Snapshot().GetSession(id)) return;
                  std::lock_guard<std::mutex> lock(self->mu_);
                  if (self->stopped_ || !self->leading_) return;
                  self->ArmSessionLocked(id, kExpiryRetry);
                });
}

absl::StatusOr<kv::Session> RaftBackend::Impl::Renew(const std::string& id) {
  base::TimePoint now = clock_.Now();
  absl::StatusOr<kv::SessionRenewal> r = fsm_.kv().Snapshot().Renew(id, now);
  if (!r.ok()) return r.status();
  if (r->session.ttl.count() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_ && leading_) ArmSessionLocked(id, r->deadline - now);
  }
  return r->session;
}

std::size_t RaftBackend::Impl::SessionTimerCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_timers_.size();
}

// Tombstone GC. A mark (now, kv index) every granularity; the newest mark at least
// tombstone_ttl old gives the index at or below which every tombstone is old enough.
void RaftBackend::Impl::GcTickLocked() {
  base::TimePoint now = clock_.Now();
  kv::ReadView view = fsm_.kv().Snapshot();
  gc_marks_.emplace_back(now, view.kv_index());
  uint64_t gc_index = 0;
  while (!gc_marks_.empty() && gc_marks_.front().first + opt_.tombstone_ttl <= now) {
    gc_index = gc_marks_.front().second;
    gc_marks_.pop_front();
  }
  if (gc_index > gc_reaped_ && view.tombstone_count() > 0) {
    gc_reaped_ = gc_index;
    std::weak_ptr<Impl> weak = weak_from_this();
    node_.Propose(EncodeReapTombstones(gc_index, clock_.WallNow()),
                  [weak, gc_index](absl::StatusOr<std::any> r) {
                    auto self = weak.lock();
                    if (!self || r.ok()) return;
                    // Lost leadership: the next leader's GC covers these tombstones.
                    std::lock_guard<std::mutex> lock(self->mu_);
                    if (self->gc_reaped_ == gc_index) self->gc_reaped_ = 0;
                  });
  }
  std::weak_ptr<Impl> weak = weak_from_this();
  gc_timer_ = clock_.After(opt_.tombstone_granularity, [weak] {
    if (auto self = weak.lock()) self->OnGcTimer();
  });
}

void RaftBackend::Impl::OnGcTimer() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_ || !leading_) return;
  GcTickLocked();
}

void RaftBackend::Impl::EnsureSelfRegistered() {
  if (!opt_.self_registration) return;
  const catalog::RegisterRequest& want = *opt_.self_registration;
  catalog::ReadView view = fsm_.catalog().Read();
  std::shared_ptr<const catalog::Node> node = view.GetNode(want.node.name);
  bool needed = node == nullptr || node->address != want.node.address || node->id != want.node.id;
  for (const catalog::Check& c : want.checks) {
    std::shared_ptr<const catalog::Check> have = view.GetCheck(want.node.name, c.check_id);
    if (have == nullptr || have->status != c.status) needed = true;
  }
  if (!needed) return;
  std::weak_ptr<Impl> weak = weak_from_this();
  node_.Propose(EncodeRegister(want, clock_.WallNow()), [weak](absl::StatusOr<std::any> r) {
    auto self = weak.lock();
    if (!self || !self->opt_.log) return;
    absl::Status status = r.status();
    if (r.ok()) status = TakeResult<CatalogWriteResult>(*r).status();
    if (!status.ok()) {
      self->opt_.log->Warn("registering this server in the catalog failed: {}", status.ToString());
    }
  });
}

}  // namespace cairn::agent
