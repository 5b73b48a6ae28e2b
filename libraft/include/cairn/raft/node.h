// cairn/raft/node.h — a running Raft server: Core + storage + transport + state machine.
//
// Node drives a Core (core.h) on its own strand of the executor it is given: it ticks the
// core, steps received messages, persists each Output (LevelDB + snapshot files under
// `data_dir`, or memory), sends, applies committed entries to the application's
// StateMachine and completes the callbacks of Propose, Barrier, ReadIndex and membership
// calls. It takes state machine snapshots and compacts the log as the options say, and
// restores the state machine from the newest snapshot on restart.
//
// Example (a replicated counter; see examples/raft-counter for the whole program):
//
//   class Counter : public cairn::raft::StateMachine { ... };
//   Counter counter;
//   cairn::raft::NodeOptions options;
//   options.id = 1;
//   options.data_dir = "/var/lib/counter/1";
//   options.transport = transport.get();
//   options.state_machine = &counter;
//   auto node = cairn::raft::Node::Create(loop.executor(), options).value();
//   CAIRN_CHECK(node->Start().ok());
//   node->BootstrapCluster(configuration);  // once, on a fresh cluster; FailedPrecondition after
//   node->Propose("incr", [](absl::StatusOr<std::any> r) { ... });
//
// Errors given to callbacks: Unavailable when this server is not the leader (the message
// names the leader's id and address when known; leader() gives them structured), when
// leadership was lost before the request completed (the request may or may not have been
// committed, as in every Raft library), or when the node shuts down; DeadlineExceeded
// never (callers bound their own waits); FailedPrecondition for a request that makes no
// sense (see Core); InvalidArgument for bad arguments.
//
// Thread-safety: every public method may be called from any thread, including from inside
// callbacks. Callbacks and StateMachine methods run on the node's strand (never two at
// once) and must not block; StateMachineSnapshot::WriteTo runs on another thread. The
// exceptions: callbacks of requests still pending when Shutdown is called run on the
// thread calling Shutdown, and StateMachine methods must not call Start, Shutdown or
// BootstrapCluster (they run with the node's lock held; Propose and Stats are fine).
//
// Threads and the executor: the node owns two threads, one that writes to LevelDB (so the
// strand keeps accepting proposals during an fsync, and the next write carries all of
// them: group commit) and one that writes snapshots. Start, Shutdown and BootstrapCluster
// do not need the executor to be running; everything else completes on it. The
// executor's execution context must outlive the Node.
//
// Memory: the log since the last snapshot plus `trailing_logs` entries, and the newest
// snapshot, are kept in memory (the core reads them from there, as etcd's MemoryStorage);
// LevelDB is read only at startup.
#ifndef CAIRN_RAFT_NODE_H_
#define CAIRN_RAFT_NODE_H_

#include <any>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <boost/asio/any_io_executor.hpp>

#include <cairn/raft/core.h>
#include <cairn/raft/transport.h>
#include <cairn/raft/types.h>

namespace cairn::base {
class LogSystem;
}  // namespace cairn::base

namespace cairn::raft {

// A point-in-time copy of the state machine's state, written out off the strand while
// applying continues (hashicorp/raft's FSMSnapshot).
class StateMachineSnapshot {
 public:
  virtual ~StateMachineSnapshot() = default;
  // Writes the whole state. Runs on a background thread; must not touch live state.
  virtual absl::Status WriteTo(std::ostream& out) = 0;
};

// The application's replicated state. Apply must be deterministic: every server applies
// the same entries in the same order and must reach the same state.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Applies committed entry `entry` (type kNormal; index and term are set). The returned
  // value is handed to the Propose callback on the server that proposed the entry (and
  // dropped elsewhere). Errors of the command itself (a failed CAS) belong in the value;
  // the state machine cannot refuse an entry.
  virtual std::any Apply(const Entry& entry) = 0;
  // Informs the state machine of a committed configuration entry. Optional.
  virtual void ApplyConfiguration(Index index, const Configuration& configuration) {}
  // Captures the state as of the last applied entry, cheaply (a persistent/copy-on-write
  // view); the writing happens later in WriteTo.
  virtual absl::StatusOr<std::unique_ptr<StateMachineSnapshot>> Snapshot() = 0;
  // Replaces the whole state with a snapshot WriteTo produced (possibly on another
  // server). An error here is fatal for the node (it stops; see Stats().fatal_error).
  virtual absl::Status Restore(std::istream& in) = 0;
};

struct NodeOptions {
  // This server's id, nonzero and unique in the cluster.
  ServerId id = kNoServer;
  // Where the log, hard state and snapshots live (created if missing). Empty: in memory,
  // nothing survives a restart (the dev agent, tests).
  std::string data_dir;
  // Not owned; must outlive the Node.
  Transport* transport = nullptr;
  StateMachine* state_machine = nullptr;
  // Addresses of servers this one may have to answer before its log names them: a server
  // being added starts with an empty log and must reply to the leader before the
  // configuration entry reaches it. Handed to Transport::SetPeers together with the
  // configuration's addresses (which win).
  std::map<ServerId, std::string> peers;
  // Protocol tuning; `core.id` is overwritten with `id`, `core.applied` with the restored
  // snapshot's index. Ticks are `tick` long: the defaults give a 1 s election timeout.
  CoreConfig core;
  std::chrono::milliseconds tick{100};
  // Take a state machine snapshot when this many entries were applied since the last
  // one, keeping `trailing_logs` entries of log behind it; at most `retain_snapshots`
  // snapshot files are kept.
  uint64_t snapshot_threshold = 16384;
  uint64_t trailing_logs = 10240;
  int retain_snapshots = 2;
  // fsync every persisted batch. Only benchmarks of the unsafe case turn it off.
  bool sync = true;
  // Logger module name (libbase log.h) and the system it logs to (not owned; must
  // outlive the Node; nullptr: base::LogSystem::Default()).
  std::string log_module = "raft";
  base::LogSystem* log_system = nullptr;
};

// Leadership as this server sees it.
struct LeaderInfo {
  ServerId id = kNoServer;  // kNoServer: no known leader
  std::string address;
  Term term = 0;
};

struct NodeStats {
  Role role = Role::kFollower;
  Term term = 0;
  LeaderInfo leader;
  Index commit_index = 0;
  Index applied_index = 0;
  Index last_log_index = 0;
  Term last_log_term = 0;
  Index last_snapshot_index = 0;
  Term last_snapshot_term = 0;
  // Time since the last message from the leader; zero on the leader itself; -1 when no
  // leader has been heard from yet.
  std::chrono::milliseconds last_contact{-1};
  Configuration configuration;
  Index configuration_index = 0;
  // Persistence figures since Start, for benchmarks and /v1/agent/metrics.
  uint64_t fsyncs = 0;
  uint64_t entries_persisted = 0;
  uint64_t snapshots_taken = 0;
  // Set when the node stopped itself on an unrecoverable error (storage failure,
  // Restore failure): it then refuses every request with this status.
  absl::Status fatal_error;
};

class Node {
 public:
  using Done = std::function<void(absl::Status)>;
  using ApplyDone = std::function<void(absl::StatusOr<std::any>)>;
  using LeaderObserver = std::function<void(const LeaderInfo&)>;

  // Opens storage (recovering the newest snapshot into the state machine and the log
  // after it), but neither ticks nor receives until Start. DataLoss/Internal from storage
  // (naming the file), InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<Node>> Create(boost::asio::any_io_executor executor,
                                                      NodeOptions options);
  // Shuts down (as Shutdown) if still running.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the transport, the tick timer and message processing.
  absl::Status Start();
  // Stops ticking, stops the transport, fails pending requests with Unavailable (their
  // callbacks run on the calling thread) and waits for a log write or a snapshot being
  // written. Idempotent. Must not be called from a node callback.
  void Shutdown();

  // Makes this server the first of a new cluster with `configuration` (which must contain
  // it). FailedPrecondition when this server has any Raft state (a term, a log entry or a
  // snapshot); servers of the same new cluster must bootstrap with the same configuration.
  absl::Status BootstrapCluster(const Configuration& configuration);

  // Replicates `data` and applies it; `done` gets StateMachine::Apply's value.
  void Propose(std::string data, ApplyDone done);
  // Completes once every entry committed before the call has been applied here (leader
  // only): after it, local reads see every write acknowledged before the call.
  void Barrier(Done done);
  // Linearizable read: completes when a quorum confirmed this server's leadership (or a
  // valid lease, with core.lease_read) and the state machine has applied everything
  // committed when the read started. Reading local state inside `done` is then
  // linearizable. Concurrent reads share one heartbeat round. Leader only.
  void ReadIndex(Done done);

  // Membership, one server at a time (Core::ProposeConfChange); `done` runs when the
  // change has committed.
  void AddVoter(ServerId id, std::string address, Done done);
  void AddNonvoter(ServerId id, std::string address, Done done);
  void RemoveServer(ServerId id, Done done);
  // Hands leadership to `target` (kNoServer: the most up-to-date voter); `done` runs when
  // `target` has become leader or the transfer was abandoned (Unavailable).
  void TransferLeadership(ServerId target, Done done);

  // Called (on the strand) whenever the known leader or term changes. Returns a handle
  // for RemoveLeaderObserver.
  int AddLeaderObserver(LeaderObserver observer);
  void RemoveLeaderObserver(int handle);

  LeaderInfo leader() const;
  bool IsLeader() const;
  NodeStats Stats() const;

 private:
  class Impl;
  explicit Node(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_NODE_H_
