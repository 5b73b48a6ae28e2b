#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>
#include <cairn/raft/core.h>

#include "core_impl.h"

namespace cairn::raft {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

bool Output::empty() const {
  return !snapshot && entries.empty() && !hard_state && messages.empty() && committed.empty() &&
         reads.empty();
}

Core::Impl::Impl(const CoreConfig& config, const LogView& storage, absl::BitGenRef rng)
    : cfg_(config), storage_(storage), rng_(rng), log_(storage, config.applied) {}

absl::Status Core::Impl::Init() {
  if (cfg_.id == kNoServer) return absl::InvalidArgumentError("raft: server id 0");
  if (cfg_.heartbeat_ticks < 1 || cfg_.election_ticks <= cfg_.heartbeat_ticks) {
    return absl::InvalidArgumentError("raft: need 1 <= heartbeat_ticks < election_ticks");
  }
  if (cfg_.lease_read && !cfg_.check_quorum) {
    return absl::InvalidArgumentError("raft: lease_read requires check_quorum");
  }
  if (cfg_.lease_read &&
      (cfg_.lease_margin_ticks < 2 || cfg_.lease_margin_ticks >= cfg_.election_ticks)) {
    return absl::InvalidArgumentError("raft: need 2 <= lease_margin_ticks < election_ticks");
  }
  if (cfg_.max_inflight < 1 || cfg_.snapshot_chunk_bytes == 0) {
    return absl::InvalidArgumentError("raft: max_inflight and snapshot_chunk_bytes must be > 0");
  }
  HardState hs = storage_.GetHardState();
  SnapshotMeta snap = storage_.GetSnapshotMeta();
  term_ = hs.term;
  vote_ = hs.vote;
  emitted_hard_state_ = hs;
  if (hs.commit > log_.LastIndex() && hs.commit > snap.index) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: stored commit ", hs.commit, " beyond last index ", log_.LastIndex()));
  }
  if (log_.applied() > log_.committed()) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: applied ", log_.applied(), " beyond commit ", log_.committed()));
  }
  configs_.Reset(snap.index, snap.configuration);
  // Rebuild the configuration history from the configuration entries after the snapshot.
  Index lo = std::max(storage_.FirstIndex(), snap.index + 1);
  Index hi = storage_.LastIndex() + 1;
  while (lo < hi) {
    CAIRN_ASSIGN_OR_RETURN(std::vector<Entry> batch, storage_.Entries(lo, hi, 64 << 20));
    if (batch.empty()) return absl::DataLossError("raft: storage returned no entries");
    for (const Entry& e : batch) {
      if (e.type != EntryType::kConfiguration) continue;
      absl::StatusOr<Configuration> c = DecodeConfiguration(e.data);
      if (!c.ok()) return base::Annotate(c.status(), absl::StrCat("raft: entry ", e.index));
      configs_.Append(e.index, *std::move(c));
    }
    lo = batch.back().index + 1;
  }
  boot_guard_ = cfg_.lease_read;
  ResetElectionTimer();
  return absl::OkStatus();
}

absl::Status Core::Impl::NotLeaderError(const char* what) const {
  std::string hint = "leader unknown";
  if (leader_ != kNoServer) {
    const Server* s = configs_.Latest().Find(leader_);
    hint = absl::StrCat("leader is ", leader_, s ? absl::StrCat(" at ", s->address) : "");
  }
  return absl::UnavailableError(absl::StrCat("raft: ", what, ": not the leader; ", hint));
}

void Core::Impl::Send(Message msg) {
  msg.from = cfg_.id;
  if (msg.term == 0) msg.term = term_;
  msgs_.push_back(std::move(msg));
}

void Core::Impl::NoteAppended(Index from, const std::vector<Entry>& entries) {
  configs_.TruncateFrom(from);
  for (const Entry& e : entries) {
    if (e.index < from || e.type != EntryType::kConfiguration) continue;
    // ValidateMessage decoded it already; a failure here is a bug.
    absl::StatusOr<Configuration> c = DecodeConfiguration(e.data);
    CAIRN_CHECK(c.ok());
    configs_.Append(e.index, *std::move(c));
  }
}

absl::Status Core::Impl::Step(const Message& msg) {
  CAIRN_RETURN_IF_ERROR(ValidateMessage(msg));
  if (msg.to != cfg_.id) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: message for ", msg.to, " delivered to ", cfg_.id));
  }
  // Vote requests are NOT refused for coming from outside this server's configuration:
  // the candidate may have been added by an entry this server has not received yet, and
  // refusing it can leave a cluster unable to elect anyone (simulation seed 380). Removed
  // servers are kept from disrupting by the leader lease below and by PreVote
  // (dissertation §4.2.3).
  const bool vote_request = msg.type == MessageType::kVote || msg.type == MessageType::kPreVote;
  if (msg.term > term_) {
    if (vote_request && !msg.transfer && InLease()) {
      // A leader was heard recently: this candidate is partitioned or removed, and granting
      // it anything would break the leader's lease (dissertation §4.2.3, §6.4.1).
      return absl::FailedPreconditionError(absl::StrCat(
          "raft: ignored ", MessageTypeName(msg.type), " from ", msg.from, " within leader lease"));
    }
    const bool keeps_term = msg.type == MessageType::kPreVote ||
                            (msg.type == MessageType::kPreVoteResponse && !msg.reject);
    if (!keeps_term) {
      BecomeFollower(msg.term, IsFromLeader(msg.type) ? msg.from : kNoServer);
    }
  } else if (msg.term < term_) {
    if (msg.type == MessageType::kAppend || msg.type == MessageType::kHeartbeat ||
        msg.type == MessageType::kInstallSnapshot) {
      // A deposed leader: tell it the current term so it steps down. Without this, with
      // CheckQuorum/PreVote, it could stay stuck (etcd raft.go, "stale term" case).
      Message resp;
      resp.type = MessageType::kAppendResponse;
      resp.to = msg.from;
      resp.index = log_.LastIndex();
      Send(std::move(resp));
    } else if (msg.type == MessageType::kPreVote) {
      Message resp;
      resp.type = MessageType::kPreVoteResponse;
      resp.to = msg.from;
      resp.reject = true;
      Send(std::move(resp));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("raft: stale term ", msg.term, " < ", term_, " in ", DebugString(msg)));
  }

  switch (msg.type) {
    case MessageType::kVote:
    case MessageType::kPreVote:
      return HandleVoteRequest(msg);
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
      return HandleVoteResponse(msg);
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kInstallSnapshot:
    case MessageType::kTimeoutNow: {
      if (role_ == Role::kLeader) {
        return absl::FailedPreconditionError(
            absl::StrCat("raft: second leader ", msg.from, " in term ", term_));
      }
      if (role_ != Role::kFollower) BecomeFollower(term_, msg.from);
      if (leader_ != msg.from) {
        if (leader_ != kNoServer) {
          return absl::FailedPreconditionError(absl::StrCat(
              "raft: ", msg.from, " claims leadership of term ", term_, " held by ", leader_));
        }
        leader_ = msg.from;
      }
      election_elapsed_ = 0;
      boot_guard_ = false;
      if (msg.type == MessageType::kAppend) return HandleAppend(msg);
      if (msg.type == MessageType::kHeartbeat) return HandleHeartbeat(msg);
      if (msg.type == MessageType::kInstallSnapshot) return HandleSnapshotChunk(msg);
      return Campaign(/*pre_vote=*/false, /*transfer=*/true);
    }
    case MessageType::kAppendResponse:
    case MessageType::kHeartbeatResponse:
    case MessageType::kInstallSnapshotResponse: {
      if (role_ != Role::kLeader) {
        return absl::FailedPreconditionError("raft: response for a leader, not leading");
      }
      auto it = progress_.find(msg.from);
      if (it == progress_.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("raft: response from ", msg.from, ", not in the configuration"));
      }
      it->second.recent_active = true;
      if (msg.type == MessageType::kAppendResponse) return HandleAppendResponse(msg, it->second);
      if (msg.type == MessageType::kHeartbeatResponse) {
        return HandleHeartbeatResponse(msg, it->second);
      }
      return HandleSnapshotResponse(msg, it->second);
    }
  }
  return absl::InvalidArgumentError("raft: unknown message type");
}

bool Core::Impl::HasOutput() const {
  if (outstanding_) return false;
  HardState hs{term_, vote_, log_.committed()};
  return log_.HasUnsentSnapshot() || log_.HasUnsentEntries() || hs != emitted_hard_state_ ||
         !msgs_.empty() || log_.HasCommittedToApply() || !ready_reads_.empty() ||
         (role_ == Role::kLeader && (broadcast_pending_ || commit_pending_ || heartbeat_needed_));
}

Output Core::Impl::TakeOutput() {
  CAIRN_CHECK_MSG(!outstanding_, "raft: TakeOutput before Advance of the previous output");
  if (role_ == Role::kLeader) {
    FlushAppends();
    if (heartbeat_needed_) BroadcastHeartbeat();
  }
  Output out;
  if (log_.HasUnsentSnapshot()) out.snapshot = log_.TakeSnapshot();
  out.entries = log_.TakeUnsentEntries();
  HardState hs{term_, vote_, log_.committed()};
  if (hs != emitted_hard_state_) {
    out.hard_state = hs;
    emitted_hard_state_ = hs;
  }
  out.messages = std::move(msgs_);
  msgs_.clear();
  out.committed = log_.TakeCommittedToApply(cfg_.max_committed_bytes_per_output);
  out.reads = std::move(ready_reads_);
  ready_reads_.clear();
  outstanding_ = true;
  return out;
}

void Core::Impl::Advance(const Output& done) {
  outstanding_ = false;
  if (done.snapshot) log_.SnapshotStable();
  if (!done.entries.empty()) log_.StableTo(done.entries.back().index, done.entries.back().term);
  if (!done.committed.empty()) log_.AppliedTo(done.committed.back().index);
  // The leader's own log counts towards commitment only once durable.
  if (role_ == Role::kLeader && MaybeCommit()) AfterCommit();
}

absl::Status Core::Impl::Bootstrap(const Configuration& configuration) {
  if (term_ != 0 || log_.LastIndex() != 0 || log_.SnapshotInfo().index != 0) {
    return absl::FailedPreconditionError("raft: bootstrap refused: server already has state");
  }
  CAIRN_RETURN_IF_ERROR(ValidateConfiguration(configuration));
  if (!configuration.IsVoter(cfg_.id)) {
    return absl::InvalidArgumentError("raft: bootstrap configuration must list this server");
  }
  Entry e{1, 1, EntryType::kConfiguration, EncodeConfiguration(configuration)};
  log_.Append({e});
  configs_.Append(1, configuration);
  term_ = 1;
  // Every initial server writes this same entry, so it is committed everywhere at once.
  log_.CommitTo(1);
  return absl::OkStatus();
}

absl::StatusOr<SnapshotMeta> Core::Impl::SnapshotMetaAt(Index index) const {
  Index snap = log_.SnapshotInfo().index;
  if (index < snap || index > log_.applied()) {
    return absl::OutOfRangeError(absl::StrCat("raft: snapshot index ", index, " outside [", snap,
                                              ", ", log_.applied(), "]"));
  }
  std::optional<Term> t = log_.TermAt(index);
  const Configuration* c = configs_.At(index);
  if (!t || c == nullptr) {
    return absl::OutOfRangeError(absl::StrCat("raft: index ", index, " is compacted"));
  }
  return SnapshotMeta{index, *t, *c};
}

CoreStatus Core::Impl::Status() const {
  CoreStatus s;
  s.id = cfg_.id;
  s.role = role_;
  s.term = term_;
  s.vote = vote_;
  s.leader = leader_;
  s.commit = log_.committed();
  s.applied = log_.applied();
  s.last_index = log_.LastIndex();
  s.last_term = log_.LastTerm();
  s.snapshot_index = log_.SnapshotInfo().index;
  s.configuration = configs_.Latest();
  s.configuration_index = configs_.LatestIndex();
  return s;
}

// --- Core: forwards to Impl.

absl::StatusOr<std::unique_ptr<Core>> Core::Create(const CoreConfig& config, const LogView& log,
                                                   absl::BitGenRef rng) {
  auto impl = std::make_unique<Impl>(config, log, rng);
  CAIRN_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Core>(new Core(std::move(impl)));
}

Core::Core(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Core::~Core() = default;

absl::Status Core::Bootstrap(const Configuration& c) { return impl_->Bootstrap(c); }
absl::Status Core::Step(const Message& msg) { return impl_->Step(msg); }
void Core::Tick() { impl_->Tick(); }
absl::StatusOr<Index> Core::Propose(std::string data) { return impl_->Propose(std::move(data)); }
absl::StatusOr<Index> Core::ProposeConfChange(const ConfChange& change) {
  return impl_->ProposeConfChange(change);
}
absl::Status Core::ReadIndex(uint64_t request_id) { return impl_->ReadIndex(request_id); }
absl::Status Core::TransferLeadership(ServerId target) { return impl_->TransferLeadership(target); }
absl::Status Core::Campaign() {
  if (!impl_->IsVoter()) return absl::FailedPreconditionError("raft: not a voter");
  if (impl_->role_ == Role::kLeader) return absl::OkStatus();
  return impl_->Campaign(/*pre_vote=*/false, /*transfer=*/false);
}
void Core::ReportUnreachable(ServerId id) { impl_->ReportUnreachable(id); }
bool Core::HasOutput() const { return impl_->HasOutput(); }
Output Core::TakeOutput() { return impl_->TakeOutput(); }
void Core::Advance(const Output& done) { impl_->Advance(done); }
absl::StatusOr<SnapshotMeta> Core::SnapshotMetaAt(Index index) const {
  return impl_->SnapshotMetaAt(index);
}
CoreStatus Core::Status() const { return impl_->Status(); }
ServerId Core::id() const { return impl_->cfg_.id; }
Role Core::role() const { return impl_->role_; }
Term Core::term() const { return impl_->term_; }
ServerId Core::leader() const { return impl_->leader_; }

}  // namespace cairn::raft
