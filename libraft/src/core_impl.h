// Core::Impl — the state behind cairn::raft::Core. The protocol is split by concept over
// several files that share this one class:
//   core.cc         creation, Step's validation and term rules, output plumbing
//   election.cc     ticks, PreVote/Vote campaigns, role transitions, CheckQuorum
//   replication.cc  the leader: proposals, membership changes, appends, snapshot sending,
//                   commitment, leadership transfer
//   follower.cc     the receiving side of appends, heartbeats and snapshot chunks
//   read_index.cc   ReadIndex rounds and the leader lease
// The pieces of state with their own rules live in their own classes: RaftLog (entries,
// commit, applied), Progress (one follower), ConfigHistory (membership), quorum.h.
//
// Invariants checked by the simulation after every step: term never decreases; vote is
// only set in the current term; a leader's log contains every committed entry.
#ifndef CAIRN_RAFT_SRC_CORE_IMPL_H_
#define CAIRN_RAFT_SRC_CORE_IMPL_H_

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/random/bit_gen_ref.h>

#include <cairn/raft/core.h>

#include "membership.h"
#include "progress.h"
#include "raft_log.h"

namespace cairn::raft {

class Core::Impl {
 public:
  Impl(const CoreConfig& config, const LogView& storage, absl::BitGenRef rng);
  absl::Status Init();

  // --- core.cc
  absl::Status Step(const Message& msg);
  bool HasOutput() const;
  Output TakeOutput();
  void Advance(const Output& done);
  absl::Status Bootstrap(const Configuration& configuration);
  absl::StatusOr<SnapshotMeta> SnapshotMetaAt(Index index) const;
  CoreStatus Status() const;
  void Send(Message msg);
  bool IsVoter() const { return configs_.Latest().IsVoter(cfg_.id); }
  absl::Status NotLeaderError(const char* what) const;
  // Records configuration entries among `entries` (appended from index `from` on).
  void NoteAppended(Index from, const std::vector<Entry>& entries);

  // --- election.cc
  void Tick();
  void TickElection();
  void TickHeartbeat();
  absl::Status Campaign(bool pre_vote, bool transfer);
  void BecomeFollower(Term term, ServerId leader);
  void BecomeLeader();
  absl::Status HandleVoteRequest(const Message& msg);
  absl::Status HandleVoteResponse(const Message& msg);
  bool InLease() const;
  void ResetElectionTimer();

  // --- replication.cc
  absl::StatusOr<Index> Propose(std::string data);
  absl::StatusOr<Index> ProposeConfChange(const ConfChange& change);
  absl::Status TransferLeadership(ServerId target);
  void ReportUnreachable(ServerId id);
  void SyncProgress();
  bool SendAppend(ServerId to, internal::Progress& pr, bool allow_empty);
  void SendAppends(ServerId to, internal::Progress& pr, bool allow_empty);
  void SendSnapshotChunk(ServerId to, internal::Progress& pr);
  void FlushAppends();
  bool MaybeCommit();
  void AfterCommit();
  absl::Status HandleAppendResponse(const Message& msg, internal::Progress& pr);
  absl::Status HandleSnapshotResponse(const Message& msg, internal::Progress& pr);
  void MaybeSendTimeoutNow(ServerId to, const internal::Progress& pr);

  // --- follower.cc
  absl::Status HandleAppend(const Message& msg);
  absl::Status HandleHeartbeat(const Message& msg);
  absl::Status HandleSnapshotChunk(const Message& msg);

  // --- read_index.cc
  absl::Status ReadIndex(uint64_t request_id);
  void StartRead(uint64_t request_id);
  void BroadcastHeartbeat();
  absl::Status HandleHeartbeatResponse(const Message& msg, internal::Progress& pr);
  void AdvanceReads();
  bool LeaseValid() const;
  void FailPendingReads();
  void ReleaseReadsWaitingForCommit();

  // --- state
  CoreConfig cfg_;
  const LogView& storage_;
  absl::BitGenRef rng_;
  internal::RaftLog log_;
  internal::ConfigHistory configs_;

  Role role_ = Role::kFollower;
  Term term_ = 0;
  ServerId vote_ = kNoServer;
  ServerId leader_ = kNoServer;
  HardState emitted_hard_state_;  // As last handed out (or read at startup).

  uint64_t ticks_ = 0;  // Logical time since creation.
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_ticks_ = 0;
  // Set at startup when lease reads are on: until election_ticks pass, behave as if a
  // leader had just been heard, because one may have been just before the restart and
  // hold a lease that counts on this server's silence.
  bool boot_guard_ = false;

  // Candidates.
  absl::flat_hash_map<ServerId, bool> votes_;

  // Leaders. std::map: iteration order (and so message order) must be deterministic.
  std::map<ServerId, internal::Progress> progress_;
  bool broadcast_pending_ = false;  // New entries to send.
  bool commit_pending_ = false;     // Commit index moved: tell followers.
  ServerId transfer_target_ = kNoServer;

  // Reads (leader).
  struct PendingRead {
    uint64_t request_id;
    Index index;
    uint64_t round;
  };
  std::vector<uint64_t> reads_waiting_commit_;
  std::deque<PendingRead> reads_pending_;
  uint64_t round_ = 0;
  std::map<uint64_t, uint64_t> round_sent_tick_;
  bool heartbeat_needed_ = false;
  std::optional<uint64_t> lease_start_tick_;
  // Set once this leader sent TimeoutNow in its term: the target's campaign overrides
  // voters' lease stickiness whenever the message arrives, so no lease is safe any more.
  bool lease_revoked_ = false;
  std::vector<ReadState> ready_reads_;

  // Followers: the snapshot being received.
  std::optional<SnapshotMeta> incoming_;
  ServerId incoming_from_ = kNoServer;
  Term incoming_term_ = 0;
  std::string incoming_data_;

  std::vector<Message> msgs_;
  bool outstanding_ = false;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_SRC_CORE_IMPL_H_
