// Private: RaftBackend's shared state (see raft_backend.h).
#ifndef CAIRN_AGENT_SRC_RAFT_BACKEND_IMPL_H_
#define CAIRN_AGENT_SRC_RAFT_BACKEND_IMPL_H_

#include <any>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <absl/functional/any_invocable.h>

#include <cairn/agent/config_loader.h>
#include <cairn/agent/raft_backend.h>

namespace cairn::agent {

class RaftBackend::Impl : public std::enable_shared_from_this<Impl> {
 public:
  // A request waiting for a leader: `run` on the leader, else `fail`; exactly one runs.
  struct Op {
    absl::AnyInvocable<void()> run;
    absl::AnyInvocable<void(absl::Status)> fail;
    base::TimePoint deadline;
  };

  Impl(raft::Node& node, Fsm& fsm, base::Clock& clock, RaftBackendOptions options);
  void Install();
  void Stop();

  raft::Node& node() { return node_; }
  Fsm& fsm() { return fsm_; }
  base::Clock& clock() { return clock_; }
  const RaftBackendOptions& options() const { return opt_; }

  // Leader routing (the one place request forwarding will plug in).
  void Route(std::shared_ptr<Op> op);
  std::shared_ptr<Op> MakeOp(absl::AnyInvocable<void()> run,
                             absl::AnyInvocable<void(absl::Status)> fail);
  void RouteOp(absl::AnyInvocable<void()> run, absl::AnyInvocable<void(absl::Status)> fail) {
    Route(MakeOp(std::move(run), std::move(fail)));
  }
  // Proposes encode() (called on the leader, when the request is about to be proposed).
  void ProposeRaw(std::function<std::string()> encode,
                  std::function<void(absl::StatusOr<std::any>)> done);
  template <typename T>
  void Propose(std::function<std::string()> encode, ResultCallback<T> done) {
    auto shared = std::make_shared<ResultCallback<T>>(std::move(done));
    ProposeRaw(std::move(encode), [shared](absl::StatusOr<std::any> r) {
      if (!r.ok()) return std::move(*shared)(r.status());
      std::move (*shared)(TakeResult<T>(*r));
    });
  }
  // Runs `then` with OK once a ReadIndex on the leader completed (or the error).
  void Linearize(absl::AnyInvocable<void(absl::Status)> then);
  QueryMeta MetaNow() const;

  // Leader duties (raft_backend_leader.cc).
  absl::StatusOr<kv::Session> Renew(const std::string& id);
  std::size_t SessionTimerCount() const;

 private:
  struct Held {
    std::shared_ptr<Op> op;
    std::unique_ptr<base::Timer> timer;
  };

  void ExpireHeld(uint64_t id);
  void RetryHeld();
  void OnLeaderChange(const raft::LeaderInfo& info);
  void StartLeaderDuties();
  void StopLeaderDuties();
  void OnSessionCreated(const kv::Session& s);
  void OnSessionDestroyed(const std::string& id);
  void OnSessionsReset();
  void ArmSessionLocked(const std::string& id, base::Duration after);
  void ExpireSession(const std::string& id, uint64_t generation);
  void GcTickLocked();
  void OnGcTimer();
  void EnsureSelfRegistered();

  raft::Node& node_;
  Fsm& fsm_;
  base::Clock& clock_;
  const RaftBackendOptions opt_;
  int observer_handle_ = -1;

  mutable std::mutex mu_;
  bool stopped_ = false;
  bool leading_ = false;
  uint64_t next_held_ = 0;
  std::map<uint64_t, Held> held_;
  struct SessionTimer {
    uint64_t generation = 0;
    std::unique_ptr<base::Timer> timer;
  };
  uint64_t next_generation_ = 0;
  std::map<std::string, SessionTimer> session_timers_;
  std::unique_ptr<base::Timer> gc_timer_;
  std::deque<std::pair<base::TimePoint, uint64_t>> gc_marks_;  // (when, kv index)
  uint64_t gc_reaped_ = 0;
};

}  // namespace cairn::agent

#endif  // CAIRN_AGENT_SRC_RAFT_BACKEND_IMPL_H_
