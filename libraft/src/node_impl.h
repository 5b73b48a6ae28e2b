// Node::Impl: the state behind cairn::raft::Node. See node.cc for the threading.
#ifndef CAIRN_RAFT_SRC_NODE_IMPL_H_
#define CAIRN_RAFT_SRC_NODE_IMPL_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <absl/random/random.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cairn/base/log.h>
#include <cairn/raft/leveldb_log_store.h>
#include <cairn/raft/node.h>

#include "node_log.h"

namespace cairn::raft {
namespace internal {

// Runs `fn(later)` with `mu` held, then the callbacks it collected in `later`.
template <typename F>
void RunLocked(std::mutex& mu, F&& fn) {
  std::vector<std::function<void()>> later;
  {
    std::lock_guard<std::mutex> l(mu);
    fn(later);
  }
  for (auto& f : later) f();
}

}  // namespace internal

class Node::Impl : public std::enable_shared_from_this<Node::Impl> {
 public:
  using Clock = std::chrono::steady_clock;
  // Callbacks collected under mu_ and run after it is released.
  using Later = std::vector<std::function<void()>>;

  Impl(boost::asio::any_io_executor executor, NodeOptions options, base::Logger log);
  ~Impl();

  // Node's methods.
  absl::Status Open();
  absl::Status Start();
  void Shutdown();
  absl::Status Bootstrap(const Configuration& configuration);
  void Propose(std::string data, ApplyDone done);
  void Barrier(Done done);
  void ReadIndex(Done done);
  void ChangeMembership(ConfChange change, Done done);
  void TransferLeadership(ServerId target, Done done);
  int AddLeaderObserver(LeaderObserver observer);
  void RemoveLeaderObserver(int handle);
  NodeStats Stats() const;

 private:
  struct Pending {
    Term term = 0;
    Done done;
  };
  struct PendingProposal {
    Term term = 0;
    ApplyDone done;
  };
  struct Transfer {
    ServerId target = kNoServer;
    Term term = 0;
    int ticks = 0;
    Done done;
  };

  // Runs `fn(later)` on the strand under mu_ unless stopped, then AfterEvent, then the
  // collected callbacks. `refused(status)` runs instead when the node stopped or failed.
  void OnStrand(std::function<void(Later&)> fn,
                std::function<void(absl::Status)> refused = nullptr);
  absl::Status RefusalLocked() const;

  // Strand handlers (mu_ held).
  void OnMessage(Message msg, Later& later);
  void OnTick(Later& later);
  void ScheduleTick();
  void AfterEvent(Later& later);
  void ScheduleFlush();

  // Output processing (node_output.cc; strand, mu_ held).
  void ProcessOutputs(Later& later);
  void OnPersisted(absl::Status status, Later& later);
  void FinishOutput(std::unique_ptr<Output> out, Later& later);
  void TakeReads(Output& out, Later& later);
  void ApplyEntries(const std::vector<Entry>& entries, Index up_to, Later& later);
  void ApplyOne(const Entry& entry, Later& later);
  absl::Status RestoreSnapshot(const Snapshot& snapshot, Later& later);
  void CompleteWaiters(Later& later);
  void SyncPeers();
  void MaybeSnapshot();
  void OnSnapshotDone(absl::Status status, std::shared_ptr<const Snapshot> snapshot);
  void Fail(absl::Status status, Later& later);

  // Leadership bookkeeping (mu_ held).
  void CheckLeadership(Later& later);
  void CheckTransfers(Later& later);
  void FailAll(const absl::Status& status, Later& later);
  absl::Status NotLeader(const char* what) const;
  LeaderInfo CurrentLeader() const;
  void PublishStats(const CoreStatus& st);

  const boost::asio::any_io_executor executor_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const NodeOptions opt_;
  const base::Logger log_;

  // Everything below is touched on the strand with mu_ held, or by Start/Shutdown/
  // Bootstrap (any thread) with mu_ held. mu_ is never held while a user callback other
  // than the StateMachine's runs.
  mutable std::mutex mu_;
  boost::asio::steady_timer timer_;
  bool started_ = false;
  bool stopped_ = false;
  absl::Status fatal_;
  absl::BitGen bitgen_;
  internal::NodeLog view_;
  std::unique_ptr<LevelDbLogStore> disk_;  // Only the persist thread touches it after Open.
  std::unique_ptr<Core> core_;

  std::unique_ptr<Output> persisting_;  // Taken and handed to the persist thread.
  HardState disk_hard_state_;           // As last handed to storage.
  bool flush_posted_ = false;
  Index applied_ = 0;  // The state machine's.

  std::map<Index, PendingProposal> proposals_;
  std::map<Index, Pending> changes_;
  std::multimap<Index, Pending> barriers_;
  uint64_t next_read_ = 1;
  std::map<uint64_t, Done> reads_unconfirmed_;
  std::multimap<Index, Done> reads_confirmed_;
  std::vector<Transfer> transfers_;

  bool snapshotting_ = false;
  Index last_snapshot_index_ = 0;

  Role role_ = Role::kFollower;
  Term term_ = 0;
  LeaderInfo leader_;
  Index config_index_seen_ = ~Index{0};
  std::map<ServerId, Index> match_;  // Followers' acknowledged indexes, when leader.
  Clock::time_point last_contact_{};
  Clock::time_point tick_origin_{};
  uint64_t ticks_done_ = 0;

  // Persist and snapshot-writing threads (one each); joined by Shutdown.
  std::atomic<bool> stopping_{false};
  boost::asio::thread_pool persist_pool_{1};
  boost::asio::thread_pool snapshot_pool_{1};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<uint64_t> entries_persisted_{0};
  uint64_t snapshots_taken_ = 0;

  // Published for Stats()/leader() from any thread.
  mutable std::mutex stats_mu_;
  NodeStats stats_;
  Clock::time_point stats_contact_{};

  std::mutex observers_mu_;
  int next_observer_ = 1;
  std::map<int, std::shared_ptr<LeaderObserver>> observers_;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_SRC_NODE_IMPL_H_
