// What a leader knows about one follower's log, and the flow control it applies to it
// (etcd's tracker.Progress). States:
//   kProbe      one append in flight at a time, backing off on rejection until the match
//               point is found (paused until the follower answers or a heartbeat passes);
//   kReplicate  appends are pipelined optimistically: `next` advances as they are sent,
//               up to `max_inflight` unacknowledged messages;
//   kSnapshot   the follower needs the snapshot; one chunk is in flight at a time.
// Owned by the leader's Core::Impl; reset on every election.
#ifndef CAIRN_RAFT_SRC_PROGRESS_H_
#define CAIRN_RAFT_SRC_PROGRESS_H_

#include <cstdint>
#include <deque>

#include <cairn/raft/types.h>

namespace cairn::raft::internal {

class Progress {
 public:
  enum class State { kProbe, kReplicate, kSnapshot };

  Progress(Index next, int max_inflight) : next_(next), max_inflight_(max_inflight) {}

  Index match() const { return match_; }
  Index next() const { return next_; }
  State state() const { return state_; }

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(Index snapshot_index);

  // An append up to `last` was accepted. Returns true if `match` advanced.
  bool MaybeUpdate(Index last);
  // An append after `rejected` was refused; `probe_hint` is where the follower's log may
  // match. Returns false for a stale rejection (already superseded).
  bool MaybeDecrTo(Index rejected, Index probe_hint);
  // An append carrying entries up to `last` was sent (last == next-1 for an empty probe).
  void SentAppend(Index last, bool had_entries);
  // True when no append may be sent now (probe in flight, window full, or snapshotting).
  bool IsPaused() const;
  // A heartbeat response arrived: a probe may be resent.
  void ResumeProbe() { probe_sent_ = false; }

  // Liveness seen since the last CheckQuorum round.
  bool recent_active = false;
  // Latest heartbeat round this follower acknowledged.
  uint64_t acked_round = 0;
  // `match` when the previous heartbeat response arrived: no progress over a whole
  // heartbeat interval in replicate state means appends were lost.
  Index match_at_heartbeat = 0;

  // Snapshot transfer (kSnapshot only): the snapshot being sent, the offset the follower
  // asked for next, and whether a chunk is outstanding.
  Index snapshot_index = 0;
  uint64_t snapshot_offset = 0;
  bool chunk_in_flight = false;

 private:
  Index match_ = 0;
  Index next_ = 1;
  State state_ = State::kProbe;
  bool probe_sent_ = false;
  int max_inflight_;
  // Last index of each unacknowledged append in replicate state, oldest first.
  std::deque<Index> inflight_;
};

const char* ProgressStateName(Progress::State state);

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_PROGRESS_H_
