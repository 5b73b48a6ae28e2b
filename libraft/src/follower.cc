// The receiving side of replication: AppendEntries (Raft Figure 2), heartbeats, and
// snapshot chunks (Raft §7, assembled in memory; see core.h).

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>

#include "core_impl.h"

namespace cairn::raft {

absl::Status Core::Impl::HandleAppend(const Message& msg) {
  Message resp;
  resp.type = MessageType::kAppendResponse;
  resp.to = msg.from;
  if (log_.ConflictsWithCommitted(msg.entries)) {
    return absl::FailedPreconditionError(
        absl::StrCat("raft: append from ", msg.from, " conflicts with committed entries; ignored"));
  }
  if (msg.log_index < log_.committed()) {
    // Everything up to our commit index matches any leader's log: acknowledge that much
    // so the leader moves past it (a duplicate or very late append).
    resp.index = log_.committed();
    Send(std::move(resp));
    return absl::OkStatus();
  }
  Index first_written = 0;
  std::optional<Index> last =
      log_.MaybeAppend(msg.log_index, msg.log_term, msg.commit, msg.entries, &first_written);
  if (last) {
    if (first_written != 0) NoteAppended(first_written, msg.entries);
    resp.index = *last;
    Send(std::move(resp));
    return absl::OkStatus();
  }
  // Conflict hint (etcd raft.go handleAppendEntries): the follower's last index or the
  // requested one, whichever is lower, then back to the last index whose term is no
  // greater than the leader's term at log_index. The leader can skip a whole term of
  // mismatching entries per round trip.
  Index hint = std::min(msg.log_index, log_.LastIndex());
  auto [hint_index, hint_term] = log_.FindConflictByTerm(hint, msg.log_term);
  resp.reject = true;
  resp.index = msg.log_index;
  resp.hint_index = hint_index;
  resp.hint_term = hint_term;
  Send(std::move(resp));
  return absl::OkStatus();
}

absl::Status Core::Impl::HandleHeartbeat(const Message& msg) {
  // The leader sends min(its commit, our match), so every index up to it is in our log
  // exactly as in the leader's.
  log_.CommitTo(std::min(msg.commit, log_.LastIndex()));
  Message resp;
  resp.type = MessageType::kHeartbeatResponse;
  resp.to = msg.from;
  resp.context = msg.context;
  Send(std::move(resp));
  return absl::OkStatus();
}

absl::Status Core::Impl::HandleSnapshotChunk(const Message& msg) {
  const SnapshotMeta& meta = msg.snapshot;
  Message resp;
  resp.type = MessageType::kInstallSnapshotResponse;
  resp.to = msg.from;
  resp.index = meta.index;
  if (meta.index <= log_.committed() || log_.MatchTerm(meta.index, meta.term)) {
    // We already hold everything the snapshot covers (Raft §7: "if an existing log entry
    // has the same index and term as the snapshot's last included entry, retain log
    // entries following it"): no need to install it.
    log_.CommitTo(meta.index <= log_.LastIndex() ? meta.index : log_.committed());
    incoming_.reset();
    incoming_data_.clear();
    resp.done = true;
    Send(std::move(resp));
    return absl::OkStatus();
  }
  bool same = incoming_ && incoming_->index == meta.index && incoming_->term == meta.term &&
              incoming_from_ == msg.from && incoming_term_ == term_;
  if (!same) {
    incoming_.reset();
    incoming_data_.clear();
    if (msg.offset != 0) {
      // A chunk of a transfer we know nothing of (we restarted, or a new leader): ask the
      // leader to start over.
      resp.reject = true;
      Send(std::move(resp));
      return absl::OkStatus();
    }
    incoming_ = meta;
    incoming_from_ = msg.from;
    incoming_term_ = term_;
  }
  if (msg.offset == incoming_data_.size()) {
    incoming_data_ += msg.data;
  }
  // Otherwise a duplicate or a chunk after a lost one: answer with what we have so the
  // leader resumes from there.
  if (msg.done && msg.offset + msg.data.size() == incoming_data_.size()) {
    Snapshot snap{*std::move(incoming_), std::move(incoming_data_)};
    incoming_.reset();
    incoming_data_.clear();
    configs_.Reset(snap.meta.index, snap.meta.configuration);
    log_.Restore(std::move(snap));
    resp.done = true;  // Sent after the snapshot is persisted (Output contract).
    Send(std::move(resp));
    return absl::OkStatus();
  }
  resp.offset = incoming_data_.size();
  Send(std::move(resp));
  return absl::OkStatus();
}

}  // namespace cairn::raft
