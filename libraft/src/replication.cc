// The leader's side of log replication (Raft §5.3, §5.4), membership changes
// (dissertation §4.1) and leadership transfer (§3.10).

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>

#include "core_impl.h"
#include "quorum.h"

namespace cairn::raft {

using internal::Progress;

absl::StatusOr<Index> Core::Impl::Propose(std::string data) {
  if (role_ != Role::kLeader) return NotLeaderError("propose");
  if (transfer_target_ != kNoServer) {
    return absl::UnavailableError(
        absl::StrCat("raft: leadership transfer to ", transfer_target_, " in progress"));
  }
  Index index = log_.LastIndex() + 1;
  log_.Append({Entry{index, term_, EntryType::kNormal, std::move(data)}});
  // Sent when the output is taken, batched with every other proposal since.
  broadcast_pending_ = true;
  return index;
}

absl::StatusOr<Index> Core::Impl::ProposeConfChange(const ConfChange& change) {
  if (role_ != Role::kLeader) return NotLeaderError("membership change");
  if (transfer_target_ != kNoServer) {
    return absl::UnavailableError("raft: leadership transfer in progress");
  }
  // Until the leader commits an entry of its own term it cannot know whether an earlier
  // leader's configuration change is committed; changing now could create two disjoint
  // majorities (the single-server change bug reported by Ongaro, raft-dev 2015).
  if (log_.TermAt(log_.committed()) != term_) {
    return absl::UnavailableError("raft: leader has not committed an entry in its term yet");
  }
  if (configs_.LatestIndex() > log_.committed()) {
    return absl::UnavailableError(absl::StrCat("raft: configuration change at ",
                                               configs_.LatestIndex(), " not yet committed"));
  }
  CAIRN_ASSIGN_OR_RETURN(Configuration next, internal::ApplyConfChange(configs_.Latest(), change));
  Index index = log_.LastIndex() + 1;
  log_.Append({Entry{index, term_, EntryType::kConfiguration, EncodeConfiguration(next)}});
  configs_.Append(index, std::move(next));
  SyncProgress();
  broadcast_pending_ = true;
  // A removal can shrink the quorum so that entries already replicated become committed.
  if (MaybeCommit()) AfterCommit();
  return index;
}

void Core::Impl::SyncProgress() {
  const Configuration& c = configs_.Latest();
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = c.Find(it->first) == nullptr ? progress_.erase(it) : std::next(it);
  }
  for (const Server& s : c.servers) {
    if (s.id == cfg_.id || progress_.contains(s.id)) continue;
    Progress pr(log_.LastIndex() + 1, cfg_.max_inflight);
    pr.recent_active = true;  // Give a new member one CheckQuorum round to answer.
    progress_.emplace(s.id, pr);
  }
}

absl::Status Core::Impl::TransferLeadership(ServerId target) {
  if (role_ != Role::kLeader) return NotLeaderError("leadership transfer");
  if (target == cfg_.id) return absl::OkStatus();
  auto it = progress_.find(target);
  if (it == progress_.end() || !configs_.Latest().IsVoter(target)) {
    return absl::FailedPreconditionError(
        absl::StrCat("raft: transfer target ", target, " is not a voter"));
  }
  transfer_target_ = target;
  // Abandoned after an election timeout (TickHeartbeat).
  election_elapsed_ = 0;
  if (it->second.match() == log_.LastIndex()) {
    MaybeSendTimeoutNow(target, it->second);
  } else {
    // Resend from the match point: an append lost earlier would otherwise only be noticed
    // after a heartbeat interval, and the transfer has an election timeout to finish.
    if (it->second.state() == Progress::State::kReplicate) it->second.BecomeProbe();
    SendAppends(target, it->second, /*allow_empty=*/true);
  }
  return absl::OkStatus();
}

void Core::Impl::MaybeSendTimeoutNow(ServerId to, const Progress& pr) {
  if (to != transfer_target_ || pr.match() != log_.LastIndex()) return;
  lease_revoked_ = true;
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  Send(std::move(m));
}

void Core::Impl::ReportUnreachable(ServerId id) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(id);
  if (it != progress_.end() && it->second.state() == Progress::State::kReplicate) {
    it->second.BecomeProbe();
  }
}

bool Core::Impl::SendAppend(ServerId to, Progress& pr, bool allow_empty) {
  if (pr.IsPaused()) return false;
  Index prev = pr.next() - 1;
  std::optional<Term> prev_term = log_.TermAt(prev);
  if (!prev_term || pr.next() < log_.FirstIndex()) {
    // The follower needs entries we compacted (Raft §7).
    SendSnapshotChunk(to, pr);
    return false;
  }
  std::vector<Entry> entries;
  if (pr.next() <= log_.LastIndex()) {
    absl::StatusOr<std::vector<Entry>> s =
        log_.Slice(pr.next(), log_.LastIndex() + 1, cfg_.max_append_bytes);
    if (!s.ok()) return false;  // Storage trouble; the next heartbeat retries.
    entries = *std::move(s);
  }
  if (entries.empty() && !allow_empty) return false;
  Message m;
  m.type = MessageType::kAppend;
  m.to = to;
  m.log_index = prev;
  m.log_term = *prev_term;
  m.commit = log_.committed();
  Index last = entries.empty() ? prev : entries.back().index;
  m.entries = std::move(entries);
  pr.SentAppend(last, !m.entries.empty());
  Send(std::move(m));
  return true;
}

void Core::Impl::SendAppends(ServerId to, Progress& pr, bool allow_empty) {
  // Pipelining: in replicate state keep sending until the window is full or the follower
  // has everything. SendAppend returns false once there is nothing (more) to send.
  bool sent = false;
  while (SendAppend(to, pr, allow_empty && !sent)) sent = true;
}

void Core::Impl::FlushAppends() {
  for (auto& [id, pr] : progress_) SendAppends(id, pr, /*allow_empty=*/commit_pending_);
  broadcast_pending_ = commit_pending_ = false;
}

void Core::Impl::SendSnapshotChunk(ServerId to, Progress& pr) {
  SnapshotMeta meta = storage_.GetSnapshotMeta();
  if (meta.index == 0) return;  // Nothing compacted: cannot happen with a sane store.
  if (pr.state() != Progress::State::kSnapshot || pr.snapshot_index != meta.index) {
    pr.BecomeSnapshot(meta.index);
  }
  if (pr.chunk_in_flight) return;
  absl::StatusOr<std::string> chunk =
      storage_.SnapshotChunk(meta.index, pr.snapshot_offset, cfg_.snapshot_chunk_bytes);
  if (!chunk.ok()) return;  // Replaced or unreadable: the next heartbeat starts over.
  Message m;
  m.type = MessageType::kInstallSnapshot;
  m.to = to;
  m.offset = pr.snapshot_offset;
  m.done = pr.snapshot_offset + chunk->size() >= storage_.SnapshotSize();
  m.data = *std::move(chunk);
  m.snapshot = std::move(meta);
  pr.chunk_in_flight = true;
  Send(std::move(m));
}

bool Core::Impl::MaybeCommit() {
  std::vector<uint64_t> matches;
  for (ServerId v : configs_.Latest().Voters()) {
    if (v == cfg_.id) {
      matches.push_back(log_.stable_last());
    } else {
      auto it = progress_.find(v);
      matches.push_back(it == progress_.end() ? 0 : it->second.match());
    }
  }
  Index index = internal::QuorumValue(std::move(matches));
  // Raft §5.4.2 (Figure 8): only an entry of the current term is committed by counting.
  if (index <= log_.committed() || log_.TermAt(index) != term_) return false;
  log_.CommitTo(index);
  return true;
}

void Core::Impl::AfterCommit() {
  commit_pending_ = true;
  ReleaseReadsWaitingForCommit();
  const Configuration& c = configs_.Latest();
  if (configs_.LatestIndex() <= log_.committed() && !c.IsVoter(cfg_.id)) {
    // Dissertation §4.2.2: a leader removed from the configuration steps down once the
    // removal is committed. Followers learn the commit index from this last flush.
    FlushAppends();
    BecomeFollower(term_, kNoServer);
  }
}

absl::Status Core::Impl::HandleAppendResponse(const Message& msg, Progress& pr) {
  if (msg.reject) {
    // Fast backtracking: jump to the follower's hint, refined by our own log: the largest
    // index whose term is <= the follower's term at the hint (etcd's findConflictByTerm).
    Index probe = msg.hint_index;
    if (msg.hint_term > 0) probe = log_.FindConflictByTerm(msg.hint_index, msg.hint_term).first;
    if (pr.MaybeDecrTo(msg.index, probe)) {
      if (pr.state() == Progress::State::kReplicate) pr.BecomeProbe();
      SendAppends(msg.from, pr, /*allow_empty=*/true);
    }
    return absl::OkStatus();
  }
  if (msg.index > log_.LastIndex()) {
    return absl::FailedPreconditionError(absl::StrCat("raft: ", msg.from, " acknowledged index ",
                                                      msg.index, " beyond our last index"));
  }
  bool was_paused = pr.IsPaused();
  if (pr.MaybeUpdate(msg.index)) {
    if (pr.state() == Progress::State::kProbe) {
      pr.BecomeReplicate();
    } else if (pr.state() == Progress::State::kSnapshot && pr.match() + 1 >= log_.FirstIndex()) {
      pr.BecomeProbe();
    }
    if (MaybeCommit()) AfterCommit();
    if (role_ != Role::kLeader) return absl::OkStatus();
    MaybeSendTimeoutNow(msg.from, pr);
    SendAppends(msg.from, pr, /*allow_empty=*/false);
  } else if (was_paused && !pr.IsPaused()) {
    SendAppends(msg.from, pr, /*allow_empty=*/false);
  }
  return absl::OkStatus();
}

absl::Status Core::Impl::HandleSnapshotResponse(const Message& msg, Progress& pr) {
  if (pr.state() != Progress::State::kSnapshot || msg.index != pr.snapshot_index) {
    return absl::OkStatus();  // A late answer about an earlier transfer.
  }
  pr.chunk_in_flight = false;
  if (msg.done) {
    // Installed (or already had it): continue with entries from the snapshot on.
    pr.MaybeUpdate(msg.index);
    pr.BecomeProbe();
    SendAppends(msg.from, pr, /*allow_empty=*/true);
    return absl::OkStatus();
  }
  pr.snapshot_offset = msg.reject || msg.offset > storage_.SnapshotSize() ? 0 : msg.offset;
  SendSnapshotChunk(msg.from, pr);
  return absl::OkStatus();
}

}  // namespace cairn::raft
