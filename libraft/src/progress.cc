#include "progress.h"

#include <algorithm>

namespace cairn::raft::internal {

void Progress::BecomeProbe() {
  // Coming out of a snapshot, the follower has at least the snapshot (if it installed it);
  // probing from there avoids sending the snapshot twice.
  if (state_ == State::kSnapshot) {
    next_ = std::max(match_ + 1, snapshot_index + 1);
  } else {
    next_ = match_ + 1;
  }
  state_ = State::kProbe;
  probe_sent_ = false;
  inflight_.clear();
  chunk_in_flight = false;
}

void Progress::BecomeReplicate() {
  next_ = match_ + 1;
  state_ = State::kReplicate;
  probe_sent_ = false;
  inflight_.clear();
  chunk_in_flight = false;
}

void Progress::BecomeSnapshot(Index index) {
  state_ = State::kSnapshot;
  snapshot_index = index;
  snapshot_offset = 0;
  chunk_in_flight = false;
  inflight_.clear();
}

bool Progress::MaybeUpdate(Index last) {
  bool updated = false;
  if (match_ < last) {
    match_ = last;
    updated = true;
    probe_sent_ = false;
  }
  next_ = std::max(next_, last + 1);
  // Everything up to `last` is acknowledged: free those window slots.
  while (!inflight_.empty() && inflight_.front() <= last) inflight_.pop_front();
  return updated;
}

bool Progress::MaybeDecrTo(Index rejected, Index probe_hint) {
  if (state_ == State::kReplicate) {
    // A rejection at or below the match point was sent before an accept we already saw.
    if (rejected <= match_) return false;
    next_ = match_ + 1;
    return true;
  }
  // In probe state only the rejection of the append we sent last counts.
  if (next_ - 1 != rejected) return false;
  next_ = std::max(std::min(rejected, probe_hint + 1), match_ + 1);
  probe_sent_ = false;
  return true;
}

void Progress::SentAppend(Index last, bool had_entries) {
  if (state_ == State::kReplicate) {
    if (had_entries) {
      next_ = last + 1;
      inflight_.push_back(last);
    }
  } else if (state_ == State::kProbe) {
    probe_sent_ = true;
  }
}

bool Progress::IsPaused() const {
  switch (state_) {
    case State::kProbe:
      return probe_sent_;
    case State::kReplicate:
      return static_cast<int>(inflight_.size()) >= max_inflight_;
    case State::kSnapshot:
      return true;
  }
  return true;
}

const char* ProgressStateName(Progress::State state) {
  switch (state) {
    case Progress::State::kProbe:
      return "probe";
    case Progress::State::kReplicate:
      return "replicate";
    case Progress::State::kSnapshot:
      return "snapshot";
  }
  return "?";
}

}  // namespace cairn::raft::internal
