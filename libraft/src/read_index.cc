// Linearizable reads (dissertation §6.4): ReadIndex confirmed by a heartbeat round, and
// the optional leader lease (§6.4.1).
//
// Every heartbeat broadcast starts a numbered round; followers echo the number. A read
// registered while round r-1 was the latest is confirmed once a quorum of voters has
// acknowledged round r or later: those acknowledgements were sent after the read arrived,
// so this server was still the leader then and its commit index (taken once it had
// committed an entry of its term) covers every write completed before the read began.
//
// Lease: when a quorum acknowledged round r, sent at tick s, none of those voters will
// grant a vote (InLease) until election_ticks of their own ticks after they received it.
// With tick phases unaligned by up to one tick on each side, the leader may rely on that
// until tick s + election_ticks - 2; lease_margin_ticks (>= 2) covers this plus clock rate
// differences. Leadership transfer breaks the premise (a TimeoutNow campaign is granted
// votes inside the lease, and the message may arrive late), so a leader that has sent
// TimeoutNow serves no lease read for the rest of its term (found by simulation seed 77).

#include <absl/strings/str_cat.h>

#include "core_impl.h"
#include "quorum.h"

namespace cairn::raft {

absl::Status Core::Impl::ReadIndex(uint64_t request_id) {
  if (role_ != Role::kLeader) return NotLeaderError("read index");
  if (log_.TermAt(log_.committed()) != term_) {
    // Raft §8: until its no-op commits, a new leader does not know the commit index.
    reads_waiting_commit_.push_back(request_id);
    return absl::OkStatus();
  }
  StartRead(request_id);
  return absl::OkStatus();
}

void Core::Impl::StartRead(uint64_t request_id) {
  Index index = log_.committed();
  std::vector<ServerId> voters = configs_.Latest().Voters();
  if ((voters.size() == 1 && voters[0] == cfg_.id) || LeaseValid()) {
    ready_reads_.push_back({request_id, index, absl::OkStatus()});
    return;
  }
  reads_pending_.push_back({request_id, index, round_ + 1});
  // One heartbeat round, sent when the output is taken, confirms every read since.
  heartbeat_needed_ = true;
}

void Core::Impl::ReleaseReadsWaitingForCommit() {
  if (reads_waiting_commit_.empty() || log_.TermAt(log_.committed()) != term_) return;
  std::vector<uint64_t> waiting = std::move(reads_waiting_commit_);
  reads_waiting_commit_.clear();
  for (uint64_t id : waiting) StartRead(id);
}

void Core::Impl::BroadcastHeartbeat() {
  ++round_;
  round_sent_tick_[round_] = ticks_;
  // A round older than an election timeout can no longer start a valid lease: forget it,
  // so a leader that hears from nobody (check_quorum off) does not grow this map forever.
  while (!round_sent_tick_.empty() &&
         round_sent_tick_.begin()->second + cfg_.election_ticks < ticks_) {
    round_sent_tick_.erase(round_sent_tick_.begin());
  }
  heartbeat_needed_ = false;
  for (auto& [id, pr] : progress_) {
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = id;
    m.commit = std::min(pr.match(), log_.committed());
    m.context = round_;
    Send(std::move(m));
  }
  AdvanceReads();  // A single-voter cluster confirms rounds by itself.
}

absl::Status Core::Impl::HandleHeartbeatResponse(const Message& msg, internal::Progress& pr) {
  if (msg.context > round_) {
    return absl::FailedPreconditionError(
        absl::StrCat("raft: heartbeat response for future round ", msg.context));
  }
  pr.acked_round = std::max(pr.acked_round, msg.context);
  pr.ResumeProbe();
  if (pr.state() == internal::Progress::State::kSnapshot) {
    // The last chunk or its answer may be lost: resend where the follower left off.
    pr.chunk_in_flight = false;
    SendSnapshotChunk(msg.from, pr);
  } else if (pr.match() < log_.LastIndex()) {
    if (pr.state() == internal::Progress::State::kReplicate &&
        pr.match() == pr.match_at_heartbeat) {
      // Nothing acknowledged for a heartbeat interval although entries are outstanding:
      // an append was lost. Fall back to probing from the match point, which resends.
      pr.BecomeProbe();
    }
    SendAppends(msg.from, pr, /*allow_empty=*/false);
  }
  pr.match_at_heartbeat = pr.match();
  AdvanceReads();
  return absl::OkStatus();
}

void Core::Impl::AdvanceReads() {
  std::vector<uint64_t> acked;
  for (ServerId v : configs_.Latest().Voters()) {
    if (v == cfg_.id) {
      acked.push_back(round_);
    } else {
      auto it = progress_.find(v);
      acked.push_back(it == progress_.end() ? 0 : it->second.acked_round);
    }
  }
  uint64_t confirmed = internal::QuorumValue(std::move(acked));
  if (confirmed == 0) return;
  auto it = round_sent_tick_.find(confirmed);
  if (it != round_sent_tick_.end()) {
    lease_start_tick_ = std::max(lease_start_tick_.value_or(0), it->second);
  }
  round_sent_tick_.erase(round_sent_tick_.begin(), round_sent_tick_.lower_bound(confirmed));
  while (!reads_pending_.empty() && reads_pending_.front().round <= confirmed) {
    const PendingRead& r = reads_pending_.front();
    ready_reads_.push_back({r.request_id, r.index, absl::OkStatus()});
    reads_pending_.pop_front();
  }
}

bool Core::Impl::LeaseValid() const {
  if (!cfg_.lease_read || !lease_start_tick_ || lease_revoked_) return false;
  return ticks_ < *lease_start_tick_ + cfg_.election_ticks - cfg_.lease_margin_ticks;
}

void Core::Impl::FailPendingReads() {
  auto fail = [&](uint64_t id) {
    ready_reads_.push_back(
        {id, 0, absl::UnavailableError("raft: leadership lost before the read was confirmed")});
  };
  for (uint64_t id : reads_waiting_commit_) fail(id);
  for (const PendingRead& r : reads_pending_) fail(r.request_id);
  reads_waiting_commit_.clear();
  reads_pending_.clear();
}

}  // namespace cairn::raft
