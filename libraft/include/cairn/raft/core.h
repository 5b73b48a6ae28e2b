// cairn/raft/core.h — the deterministic Raft state machine.
//
// `Core` is the whole Raft protocol and nothing else: it takes messages (Step), logical
// clock ticks (Tick) and client requests (Propose, ProposeConfChange, ReadIndex,
// TransferLeadership), and hands back every effect as an `Output` batch: entries, hard
// state and snapshots to persist, messages to send, committed entries to apply, and
// ReadIndex results. It performs no I/O, starts no threads and reads no clock; randomness
// (election jitter) comes from the absl::BitGenRef given to Create, so a seed replays a
// run exactly. The runtime (cairn::raft::Node, or a simulation) owns the transport, the
// storage and the clock. This is etcd-io/raft's RawNode shape.
//
// Implemented: elections with randomized timeouts, PreVote and CheckQuorum; log
// replication with pipelining (up to `max_inflight` appends in flight per follower),
// batching (appends are built when output is taken, so every proposal since the last
// batch goes out together), probe/replicate/snapshot flow control per follower and fast
// backtracking with conflict term/index hints; commitment by counting only current-term
// entries; a no-op entry from each new leader; single-server membership changes with the
// configuration in the log; leadership transfer (TimeoutNow); ReadIndex reads confirmed by
// a heartbeat quorum, optionally served from a leader lease; snapshots sent in chunks.
//
// The runtime loop (one strand; see Node for the real one):
//
//   auto core = cairn::raft::Core::Create(config, store, bitgen).value();
//   for (;;) {
//     ... core->Tick() every tick, core->Step(msg) for every message received,
//         core->Propose(data) for client writes ...
//     if (!core->HasOutput()) continue;
//     cairn::raft::Output out = core->TakeOutput();
//     store.Persist(out.snapshot, out.entries, out.hard_state);  // durably, in this order
//     transport.Send(out.messages);                   // only after persisting
//     state_machine.Install(out.snapshot); state_machine.Apply(out.committed);
//     complete(out.reads);
//     core->Advance(out);
//   }
//
// Persistence contract: before sending `messages` of an Output, the runtime makes its
// `snapshot` durable (replacing the whole log), then `entries` (deleting any stored entries
// at index >= entries.front().index) together with `hard_state` in ONE atomic write (a
// crash must leave both or neither: a log holding entries of a term the stored hard state
// has not reached could let a restarted leader win its own term twice), and updates the
// LogView the core reads so that it shows them. Only then it sends, applies and calls
// Advance(output). Exactly one Output is outstanding: TakeOutput may not be called again
// before Advance.
//
// Snapshot chunking lives in the core: a leader reads chunks of its current snapshot
// through LogView::SnapshotChunk and sends them as kInstallSnapshot messages, one chunk in
// flight per follower, each acknowledged with the next offset wanted; a follower assembles
// the chunks in memory and emits the complete snapshot in Output::snapshot. Snapshot data
// is therefore bounded by memory, as the state machine it came from is.
//
// Thread-safety: none. One strand owns a Core; every call comes from it.
#ifndef CAIRN_RAFT_CORE_H_
#define CAIRN_RAFT_CORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/random/bit_gen_ref.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/raft/log_view.h>
#include <cairn/raft/message.h>
#include <cairn/raft/types.h>

namespace cairn::raft {

// Tuning of one server's core. All durations are in ticks; the runtime decides how long a
// tick is (Node: 100ms by default, so an election timeout of 10 ticks is 1s).
struct CoreConfig {
  // This server's id; nonzero.
  ServerId id = kNoServer;
  // A follower that hears nothing from a leader for a random number of ticks in
  // [election_ticks, 2 * election_ticks) campaigns. Must be > heartbeat_ticks.
  int election_ticks = 10;
  // A leader sends heartbeats every heartbeat_ticks.
  int heartbeat_ticks = 1;
  // Campaign in two phases so a server that cannot win (partitioned, stale log) never
  // raises the cluster's term (dissertation §9.6).
  bool pre_vote = true;
  // A leader that has not heard from a quorum of voters within election_ticks steps down;
  // followers that heard from a leader within election_ticks ignore vote requests.
  bool check_quorum = true;
  // Serve ReadIndex from a leader lease instead of a heartbeat round when the lease is
  // valid. The lease is (election_ticks - lease_margin_ticks) ticks from the sending of the
  // last heartbeat round a quorum acknowledged. Requires check_quorum, and clocks whose
  // rates differ by less than lease_margin_ticks per election timeout.
  bool lease_read = false;
  int lease_margin_ticks = 2;
  // At most this many data bytes per kAppend (at least one entry is always sent).
  uint64_t max_append_bytes = 1 << 20;
  // At most this many kAppend messages in flight per follower in replicate state.
  int max_inflight = 64;
  // Snapshot chunk size for kInstallSnapshot.
  uint64_t snapshot_chunk_bytes = 1 << 20;
  // At most this many bytes of committed entries per Output (at least one entry).
  uint64_t max_committed_bytes_per_output = 16 << 20;
  // The index the state machine has already applied (from its restored snapshot or own
  // durable state). 0 means the LogView's snapshot index.
  Index applied = 0;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

// A single-server membership change (dissertation §4.1).
struct ConfChange {
  enum class Op : uint8_t {
    // Add `id` as a voter, or promote it if it is a non-voter.
    kAddVoter,
    // Add `id` as a non-voter. FailedPrecondition if it is already a voter.
    kAddNonvoter,
    // Remove `id` (voter or not). Removing the leader itself is allowed: it keeps leading
    // without counting itself until the change commits, then steps down.
    kRemoveServer,
  };
  Op op = Op::kAddVoter;
  ServerId id = kNoServer;
  std::string address;  // kAddVoter/kAddNonvoter; kept if empty and the server exists.
};

// The result of a ReadIndex request. When `status` is OK, the read is linearizable once
// the state machine has applied `index`. Otherwise (leadership lost before the read was
// confirmed) the read must be retried, possibly at the new leader: Unavailable.
struct ReadState {
  uint64_t request_id = 0;
  Index index = 0;
  absl::Status status;
};

// One batch of effects. See the persistence contract at the top of this file.
struct Output {
  // Replace the whole log and the state machine with this snapshot.
  std::optional<Snapshot> snapshot;
  // Append (after deleting stored entries at index >= entries.front().index).
  std::vector<Entry> entries;
  // Persist when set.
  std::optional<HardState> hard_state;
  // Send after persisting. Delivery is best effort: loss, duplication and reordering are
  // all tolerated.
  std::vector<Message> messages;
  // Apply to the state machine in order (skipping kNoop; kConfiguration entries are
  // already in effect in the core and are given for the runtime's information).
  std::vector<Entry> committed;
  // Completed ReadIndex requests.
  std::vector<ReadState> reads;

  bool empty() const;
};

// A point-in-time view of the core for stats and tests.
struct CoreStatus {
  ServerId id = kNoServer;
  Role role = Role::kFollower;
  Term term = 0;
  ServerId vote = kNoServer;
  ServerId leader = kNoServer;
  Index commit = 0;
  Index applied = 0;
  Index last_index = 0;
  Term last_term = 0;
  Index snapshot_index = 0;
  // The latest configuration in the log (in effect, possibly uncommitted) and its index.
  Configuration configuration;
  Index configuration_index = 0;
};

class Core {
 public:
  // Builds a core from the durable state in `log` (which must outlive the core and is read
  // on every call). `rng` supplies election jitter; it must outlive the core.
  // InvalidArgument for a bad config (id 0, election_ticks <= heartbeat_ticks, lease_read
  // without check_quorum, ...) or when `log` is inconsistent (a configuration entry that
  // does not decode, applied beyond the log).
  static absl::StatusOr<std::unique_ptr<Core>> Create(const CoreConfig& config, const LogView& log,
                                                      absl::BitGenRef rng);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Starts a new cluster: appends `configuration` as entry 1 of term 1 and commits it.
  // Every initial server must bootstrap with the same configuration (or none and be added
  // later). FailedPrecondition when this server already has state (a term, entries or a
  // snapshot); InvalidArgument when the configuration is invalid or lacks this server.
  absl::Status Bootstrap(const Configuration& configuration);

  // Handles one message from a peer. Returns InvalidArgument for a malformed message,
  // FailedPrecondition for one that is stale (older term), ignored (a vote request while a
  // leader lease holds), contradictory (a second leader in a term, an append conflicting
  // with committed entries, an acknowledgement beyond the log) or from a server that may
  // not send it (a response from a server this leader does not track, a vote from a
  // non-voter). A rejected message changes no state, except that a stale leader may be
  // told the current term.
  absl::Status Step(const Message& msg);

  // Advances the logical clock by one tick.
  void Tick();

  // Appends `data` to the log if this server is the leader; returns its index. The entry
  // is committed when it appears in Output::committed. Unavailable when not leader (the
  // message names the known leader, see leader()) or during a leadership transfer.
  absl::StatusOr<Index> Propose(std::string data);

  // Proposes a membership change; returns the configuration entry's index. Unavailable as
  // Propose; also Unavailable while a previous change is uncommitted or the leader has not
  // yet committed an entry of its term. FailedPrecondition for a change that makes no
  // sense (removing an unknown server, demoting a voter, leaving no voter).
  absl::StatusOr<Index> ProposeConfChange(const ConfChange& change);

  // Starts a linearizable read. The result arrives in Output::reads with `request_id`.
  // Unavailable when not leader. A read that cannot complete because this server loses
  // leadership completes with Unavailable.
  absl::Status ReadIndex(uint64_t request_id);

  // Hands leadership to voter `target` (dissertation §3.10): proposals are refused while
  // the target catches up, then it is told to campaign at once. The transfer is abandoned
  // after election_ticks. FailedPrecondition when not leader or `target` is not a voter.
  absl::Status TransferLeadership(ServerId target);

  // Campaigns now (skipping PreVote), as if the election timer fired. For tests and for a
  // runtime that wants a fast first election. FailedPrecondition when not a voter.
  absl::Status Campaign();

  // The transport could not reach `id`: stop pipelining to it until it answers again.
  void ReportUnreachable(ServerId id);

  bool HasOutput() const;
  // Takes every pending effect. CHECK-fails if the previous Output was not Advance()d.
  Output TakeOutput();
  // `done` (the last Output taken) has been persisted, sent and applied.
  void Advance(const Output& done);

  // Metadata for a snapshot of the state machine at `index` (term and configuration in
  // effect there), for index in [snapshot index, applied]. OutOfRange otherwise.
  absl::StatusOr<SnapshotMeta> SnapshotMetaAt(Index index) const;

  CoreStatus Status() const;
  ServerId id() const;
  Role role() const;
  Term term() const;
  ServerId leader() const;

 private:
  class Impl;
  explicit Core(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_CORE_H_
