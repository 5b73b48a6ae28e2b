// Elections (Raft §5.2, dissertation §9.6 PreVote, §6.2 CheckQuorum) and role changes.

#include <absl/random/distributions.h>
#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>

#include "core_impl.h"
#include "quorum.h"

namespace cairn::raft {

void Core::Impl::ResetElectionTimer() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  // Raft §5.2: randomized timeouts make split votes rare.
  randomized_election_ticks_ =
      absl::Uniform<int>(rng_, cfg_.election_ticks, 2 * cfg_.election_ticks);
}

void Core::Impl::Tick() {
  ++ticks_;
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Core::Impl::TickElection() {
  ++election_elapsed_;
  if (election_elapsed_ >= cfg_.election_ticks) boot_guard_ = false;
  if (election_elapsed_ < randomized_election_ticks_) return;
  election_elapsed_ = 0;
  // Only voters campaign; a removed server or a non-voter waits to be told.
  if (!IsVoter()) return;
  Campaign(cfg_.pre_vote, /*transfer=*/false).IgnoreError();
}

void Core::Impl::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= cfg_.election_ticks) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum) {
      // Dissertation §6.2: a leader that cannot reach a quorum for an election timeout
      // steps down, so clients go looking for the real leader.
      std::vector<uint64_t> active;
      for (ServerId v : configs_.Latest().Voters()) {
        if (v == cfg_.id) {
          active.push_back(1);
          continue;
        }
        auto it = progress_.find(v);
        active.push_back(it != progress_.end() && it->second.recent_active ? 1 : 0);
      }
      for (auto& [id, pr] : progress_) pr.recent_active = false;
      if (internal::QuorumValue(active) == 0) {
        BecomeFollower(term_, kNoServer);
        return;
      }
    }
    // A transfer that has not completed within an election timeout is abandoned.
    transfer_target_ = kNoServer;
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

bool Core::Impl::InLease() const {
  return cfg_.check_quorum && election_elapsed_ < cfg_.election_ticks &&
         (leader_ != kNoServer || boot_guard_);
}

absl::Status Core::Impl::Campaign(bool pre_vote, bool transfer) {
  if (!IsVoter()) {
    return absl::FailedPreconditionError(absl::StrCat("raft: ", cfg_.id, " is not a voter"));
  }
  if (log_.HasUnsentSnapshot()) {
    return absl::FailedPreconditionError("raft: snapshot pending; not campaigning");
  }
  FailPendingReads();
  progress_.clear();
  votes_.clear();
  leader_ = kNoServer;
  boot_guard_ = false;
  transfer_target_ = kNoServer;
  ResetElectionTimer();
  Term campaign_term;
  if (pre_vote) {
    // PreVote changes neither term nor vote: a server that cannot win leaves no trace.
    role_ = Role::kPreCandidate;
    campaign_term = term_ + 1;
  } else {
    role_ = Role::kCandidate;
    ++term_;
    vote_ = cfg_.id;
    campaign_term = term_;
  }
  votes_[cfg_.id] = true;
  if (internal::TallyVotes(configs_.Latest().Voters(), votes_) == internal::VoteOutcome::kWon) {
    if (pre_vote) return Campaign(/*pre_vote=*/false, transfer);
    BecomeLeader();
    return absl::OkStatus();
  }
  for (ServerId v : configs_.Latest().Voters()) {
    if (v == cfg_.id) continue;
    Message m;
    m.type = pre_vote ? MessageType::kPreVote : MessageType::kVote;
    m.to = v;
    m.term = campaign_term;
    m.log_index = log_.LastIndex();
    m.log_term = log_.LastTerm();
    m.transfer = transfer;
    Send(std::move(m));
  }
  return absl::OkStatus();
}

absl::Status Core::Impl::HandleVoteRequest(const Message& msg) {
  const bool pre = msg.type == MessageType::kPreVote;
  // Raft §5.2: one vote per term, first come first served; a repeated request from the
  // candidate we voted for is granted again (the response may have been lost). A PreVote
  // for a future term can be granted whatever we did in this one.
  bool can_vote = vote_ == msg.from || (vote_ == kNoServer && leader_ == kNoServer) ||
                  (pre && msg.term > term_);
  // Raft §5.4.1: only for a candidate whose log is at least as up-to-date as ours.
  bool grant = can_vote && log_.IsUpToDate(msg.log_index, msg.log_term);
  Message resp;
  resp.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  resp.to = msg.from;
  resp.reject = !grant;
  // A granted PreVote answers in the candidate's future term; a refusal carries ours.
  resp.term = grant ? msg.term : term_;
  if (grant && !pre) {
    vote_ = msg.from;
    election_elapsed_ = 0;
  }
  Send(std::move(resp));
  return absl::OkStatus();
}

absl::Status Core::Impl::HandleVoteResponse(const Message& msg) {
  const bool pre = msg.type == MessageType::kPreVoteResponse;
  const Role want = pre ? Role::kPreCandidate : Role::kCandidate;
  const Term want_term = pre && !msg.reject ? term_ + 1 : term_;
  // A late answer to an earlier campaign is normal on a lossy network: nothing to do.
  if (role_ != want || msg.term != want_term) return absl::OkStatus();
  if (!configs_.Latest().IsVoter(msg.from)) {
    return absl::FailedPreconditionError(
        absl::StrCat("raft: vote from ", msg.from, ", not a voter"));
  }
  votes_[msg.from] = !msg.reject;
  switch (internal::TallyVotes(configs_.Latest().Voters(), votes_)) {
    case internal::VoteOutcome::kWon:
      if (pre) return Campaign(/*pre_vote=*/false, /*transfer=*/false);
      BecomeLeader();
      break;
    case internal::VoteOutcome::kLost:
      BecomeFollower(term_, kNoServer);
      break;
    case internal::VoteOutcome::kPending:
      break;
  }
  return absl::OkStatus();
}

void Core::Impl::BecomeFollower(Term term, ServerId leader) {
  if (role_ == Role::kLeader) FailPendingReads();
  if (term > term_) {
    term_ = term;
    vote_ = kNoServer;
  }
  role_ = Role::kFollower;
  leader_ = leader;
  progress_.clear();
  votes_.clear();
  transfer_target_ = kNoServer;
  broadcast_pending_ = commit_pending_ = heartbeat_needed_ = false;
  lease_start_tick_.reset();
  ResetElectionTimer();
}

void Core::Impl::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = cfg_.id;
  votes_.clear();
  transfer_target_ = kNoServer;
  lease_start_tick_.reset();
  lease_revoked_ = false;
  round_sent_tick_.clear();
  ResetElectionTimer();
  progress_.clear();
  SyncProgress();
  // Raft §8: a no-op entry of the new term; committing it commits everything before it and
  // lets the leader serve reads.
  Entry noop{log_.LastIndex() + 1, term_, EntryType::kNoop, {}};
  log_.Append({noop});
  broadcast_pending_ = true;
  // Until a heartbeat round answers, probe every follower right away.
  BroadcastHeartbeat();
}

}  // namespace cairn::raft
