// RaftBackend: routing by leadership, the no-leader hold, writes and reads.
//
// All mutable state lives in Impl, shared with every callback through weak pointers, so a
// callback that outlives the backend (a Raft completion, a timer) finds it gone and does
// nothing. Leader duties (session TTL timers, tombstone GC, self registration) are in
// raft_backend_leader.cc.
#include <utility>

#include <fmt/format.h>

#include "raft_backend_impl.h"

namespace cairn::agent {

RaftBackend::Impl::Impl(raft::Node& node, Fsm& fsm, base::Clock& clock, RaftBackendOptions options)
    : node_(node), fsm_(fsm), clock_(clock), opt_(std::move(options)) {}

void RaftBackend::Impl::Install() {
  std::weak_ptr<Impl> weak = weak_from_this();
  fsm_.SetSessionObserver(SessionObserver{
      .created =
          [weak](const kv::Session& s) {
            if (auto self = weak.lock()) self->OnSessionCreated(s);
          },
      .destroyed =
          [weak](const std::string& id) {
            if (auto self = weak.lock()) self->OnSessionDestroyed(id);
          },
      .reset =
          [weak] {
            if (auto self = weak.lock()) self->OnSessionsReset();
          },
  });
  observer_handle_ = node_.AddLeaderObserver([weak](const raft::LeaderInfo& info) {
    if (auto self = weak.lock()) self->OnLeaderChange(info);
  });
  // The node may already lead (or know a leader) before the observer was installed.
  OnLeaderChange(node_.leader());
}

void RaftBackend::Impl::Stop() {
  node_.RemoveLeaderObserver(observer_handle_);
  fsm_.SetSessionObserver({});
  std::map<uint64_t, Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    held.swap(held_);
    session_timers_.clear();
    gc_timer_.reset();
  }
  for (auto& [id, h] : held) {
    h.timer.reset();
    std::move(h.op->fail)(absl::UnavailableError("agent is shutting down"));
  }
}

void RaftBackend::Impl::Route(std::shared_ptr<Op> op) {
  if (node_.IsLeader()) {
    std::move(op->run)();
    return;
  }
  raft::LeaderInfo leader = node_.leader();
  if (leader.id != raft::kNoServer) {
    // Request forwarding to the leader (server RPC) replaces this answer.
    std::move(op->fail)(absl::UnavailableError(
        fmt::format("not leader (leader is {} at {})", leader.id, leader.address)));
    return;
  }
  base::TimePoint now = clock_.Now();
  if (now >= op->deadline) {
    std::move(op->fail)(absl::UnavailableError("No cluster leader"));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_) {
      uint64_t id = ++next_held_;
      std::weak_ptr<Impl> weak = weak_from_this();
      Held h;
      h.op = op;
      h.timer = clock_.After(op->deadline - now, [weak, id] {
        if (auto self = weak.lock()) self->ExpireHeld(id);
      });
      held_.emplace(id, std::move(h));
      return;
    }
  }
  std::move(op->fail)(absl::UnavailableError("agent is shutting down"));
}

void RaftBackend::Impl::ExpireHeld(uint64_t id) {
  std::shared_ptr<Op> op;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = held_.find(id);
    if (it == held_.end()) return;
    op = std::move(it->second.op);
    held_.erase(it);  // destroys this timer's handle: safe, its callback is running
  }
  std::move(op->fail)(absl::UnavailableError("No cluster leader"));
}

void RaftBackend::Impl::RetryHeld() {
  std::map<uint64_t, Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held.swap(held_);
  }
  for (auto& [id, h] : held) {
    h.timer.reset();
    Route(std::move(h.op));
  }
}

void RaftBackend::Impl::OnLeaderChange(const raft::LeaderInfo& info) {
  bool leading = node_.IsLeader();
  bool was_leading;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    was_leading = leading_;
    leading_ = leading;
  }
  if (leading && !was_leading) StartLeaderDuties();
  if (!leading && was_leading) StopLeaderDuties();
  if (info.id != raft::kNoServer) RetryHeld();
}

std::shared_ptr<RaftBackend::Impl::Op> RaftBackend::Impl::MakeOp(
    absl::AnyInvocable<void()> run, absl::AnyInvocable<void(absl::Status)> fail) {
  auto op = std::make_shared<Op>();
  op->run = std::move(run);
  op->fail = std::move(fail);
  op->deadline = clock_.Now() + std::chrono::duration_cast<base::Duration>(opt_.hold_timeout);
  return op;
}

void RaftBackend::Impl::ProposeRaw(std::function<std::string()> encode,
                                   std::function<void(absl::StatusOr<std::any>)> done) {
  raft::Node* node = &node_;
  Route(MakeOp([node, encode, done] { node->Propose(encode(), done); },
               [done](absl::Status s) { done(s); }));
}

QueryMeta RaftBackend::Impl::MetaNow() const {
  raft::NodeStats stats = node_.Stats();
  QueryMeta m;
  m.known_leader = stats.leader.id != raft::kNoServer;
  m.last_contact = stats.last_contact;
  return m;
}

void RaftBackend::Impl::Linearize(absl::AnyInvocable<void(absl::Status)> then) {
  auto shared = std::make_shared<absl::AnyInvocable<void(absl::Status)>>(std::move(then));
  raft::Node* node = &node_;
  Route(MakeOp([node, shared] { node->ReadIndex([shared](absl::Status s) { (*shared)(s); }); },
               [shared](absl::Status s) { (*shared)(s); }));
}

// ---- RaftBackend ----

RaftBackend::RaftBackend(raft::Node& node, Fsm& fsm, base::Clock& clock, RaftBackendOptions options)
    : impl_(std::make_shared<Impl>(node, fsm, clock, std::move(options))) {
  impl_->Install();
}

RaftBackend::~RaftBackend() { impl_->Stop(); }

void RaftBackend::KvWrite(KvWriteRequest request, ResultCallback<bool> done) {
  base::Clock* clock = &impl_->clock();
  impl_->Propose<bool>([request, clock] { return EncodeKvWrite(request, clock->WallNow()); },
                       std::move(done));
}

void RaftBackend::Txn(std::vector<kv::TxnOp> ops, ResultCallback<kv::TxnOutcome> done) {
  if (ops.empty()) {
    std::move(done)(absl::InvalidArgumentError("Transaction contains no operations"));
    return;
  }
  std::size_t max = impl_->fsm().kv().options().max_txn_ops;
  if (ops.size() > max) {
    std::move(done)(absl::InvalidArgumentError(
        fmt::format("Transaction contains too many operations ({} > {})", ops.size(), max)));
    return;
  }
  base::Clock* clock = &impl_->clock();
  impl_->Propose<kv::TxnOutcome>(
      [ops = std::move(ops), clock] { return EncodeTxn(ops, clock->WallNow()); }, std::move(done));
}

void RaftBackend::CreateSession(SessionCreateRequest request, ResultCallback<kv::Session> done) {
  base::Clock* clock = &impl_->clock();
  // The leader chooses the ID when it encodes, so a retry after a lost leadership gets a
  // fresh one, as in Consul.
  kv::Session session = ResolveSessionRequest(request, impl_->options().node_name, std::string());
  bool generate = request.id.empty();
  impl_->Propose<kv::Session>(
      [session, generate, clock]() mutable {
        if (generate) session.id = GenerateUuid();
        return EncodeSessionCreate(session, clock->WallNow());
      },
      std::move(done));
}

void RaftBackend::DestroySession(std::string id, ResultCallback<bool> done) {
  base::Clock* clock = &impl_->clock();
  impl_->Propose<bool>(
      [id = std::move(id), clock] { return EncodeSessionDestroy(id, false, clock->WallNow()); },
      std::move(done));
}

void RaftBackend::RenewSession(std::string id, ResultCallback<kv::Session> done) {
  auto shared = std::make_shared<ResultCallback<kv::Session>>(std::move(done));
  std::weak_ptr<Impl> weak = impl_;
  impl_->RouteOp(
      [weak, id, shared] {
        auto self = weak.lock();
        if (!self) return std::move(*shared)(absl::UnavailableError("agent is shutting down"));
        std::move (*shared)(self->Renew(id));
      },
      [shared](absl::Status s) { std::move (*shared)(s); });
}

void RaftBackend::Register(catalog::RegisterRequest request,
                           ResultCallback<CatalogWriteResult> done) {
  base::Clock* clock = &impl_->clock();
  impl_->Propose<CatalogWriteResult>(
      [request = std::move(request), clock] { return EncodeRegister(request, clock->WallNow()); },
      std::move(done));
}

void RaftBackend::Deregister(catalog::DeregisterRequest request,
                             ResultCallback<CatalogWriteResult> done) {
  base::Clock* clock = &impl_->clock();
  impl_->Propose<CatalogWriteResult>(
      [request = std::move(request), clock] { return EncodeDeregister(request, clock->WallNow()); },
      std::move(done));
}

void RaftBackend::Read(Consistency consistency, ResultCallback<ReadContext> done) {
  Fsm* fsm = &impl_->fsm();
  if (consistency == Consistency::kStale) {
    FsmViews v = fsm->Capture();
    std::move(done)(ReadContext{std::move(v.kv), std::move(v.catalog), impl_->MetaNow()});
    return;
  }
  auto shared = std::make_shared<ResultCallback<ReadContext>>(std::move(done));
  std::weak_ptr<Impl> weak = impl_;
  impl_->Linearize([weak, fsm, shared](absl::Status s) {
    if (!s.ok()) return std::move(*shared)(s);
    auto self = weak.lock();
    if (!self) return std::move(*shared)(absl::UnavailableError("agent is shutting down"));
    FsmViews v = fsm->Capture();
    std::move (*shared)(ReadContext{std::move(v.kv), std::move(v.catalog), self->MetaNow()});
  });
}

kv::Store& RaftBackend::kv() { return impl_->fsm().kv(); }
catalog::Catalog& RaftBackend::catalog() { return impl_->fsm().catalog(); }
QueryMeta RaftBackend::Meta() const { return impl_->MetaNow(); }

std::string RaftBackend::LeaderAddress() const { return impl_->node().leader().address; }

std::vector<std::string> RaftBackend::Peers() const {
  std::vector<std::string> out;
  for (const raft::Server& s : impl_->node().Stats().configuration.servers) {
    out.push_back(s.address);
  }
  return out;
}

RaftInfo RaftBackend::RaftConfiguration() const {
  raft::NodeStats stats = impl_->node().Stats();
  RaftInfo info;
  info.index = stats.configuration_index;
  for (const raft::Server& s : stats.configuration.servers) {
    info.servers.push_back(RaftServerInfo{.id = s.id,
                                          .address = s.address,
                                          .leader = s.id == stats.leader.id,
                                          .voter = s.suffrage == raft::Suffrage::kVoter});
  }
  return info;
}

void RaftBackend::RemovePeer(uint64_t id, ResultCallback<bool> done) {
  if (impl_->node().Stats().configuration.Find(id) == nullptr) {
    std::move(done)(
        absl::NotFoundError(fmt::format("id \"{}\" was not found in the Raft configuration", id)));
    return;
  }
  auto shared = std::make_shared<ResultCallback<bool>>(std::move(done));
  raft::Node* node = &impl_->node();
  impl_->RouteOp(
      [node, id, shared] {
        node->RemoveServer(id, [shared](absl::Status s) {
          if (s.ok()) return std::move(*shared)(true);
          std::move (*shared)(s);
        });
      },
      [shared](absl::Status s) { std::move (*shared)(s); });
}

void RaftBackend::RemovePeerByAddress(std::string address, ResultCallback<bool> done) {
  for (const raft::Server& s : impl_->node().Stats().configuration.servers) {
    if (s.address == address) return RemovePeer(s.id, std::move(done));
  }
  std::move(done)(absl::NotFoundError(
      fmt::format("address \"{}\" was not found in the Raft configuration", address)));
}

void RaftBackend::TransferLeader(uint64_t id, ResultCallback<bool> done) {
  auto shared = std::make_shared<ResultCallback<bool>>(std::move(done));
  raft::Node* node = &impl_->node();
  impl_->RouteOp(
      [node, id, shared] {
        node->TransferLeadership(id, [shared](absl::Status s) {
          if (s.ok()) return std::move(*shared)(true);
          std::move (*shared)(s);
        });
      },
      [shared](absl::Status s) { std::move (*shared)(s); });
}

void RaftBackend::SaveSnapshot(Consistency consistency, ResultCallback<SnapshotData> done) {
  Fsm* fsm = &impl_->fsm();
  raft::Node* node = &impl_->node();
  auto take = [fsm, node]() -> absl::StatusOr<SnapshotData> {
    FsmViews views = fsm->Capture();
    SnapshotData data;
    data.index = views.raft_index;
    data.term = node->Stats().term;
    absl::StatusOr<std::string> bytes = EncodeSnapshot(views);
    if (!bytes.ok()) return bytes.status();
    data.state = *std::move(bytes);
    return data;
  };
  if (consistency == Consistency::kStale) {
    std::move(done)(take());
    return;
  }
  auto shared = std::make_shared<ResultCallback<SnapshotData>>(std::move(done));
  impl_->Linearize([take, shared](absl::Status s) {
    if (!s.ok()) return std::move(*shared)(s);
    std::move (*shared)(take());
  });
}

void RaftBackend::RestoreSnapshot(std::string state, ResultCallback<uint64_t> done) {
  // Refuse a bad stream before it costs a log entry; apply validates again on every server.
  if (absl::Status s = impl_->fsm().ValidateSnapshot(state); !s.ok()) {
    std::move(done)(s);
    return;
  }
  base::Clock* clock = &impl_->clock();
  auto shared_state = std::make_shared<const std::string>(std::move(state));
  impl_->Propose<uint64_t>(
      [shared_state, clock] { return EncodeRestore(*shared_state, clock->WallNow()); },
      std::move(done));
}

std::size_t RaftBackend::session_timers() const { return impl_->SessionTimerCount(); }

}  // namespace cairn::agent
