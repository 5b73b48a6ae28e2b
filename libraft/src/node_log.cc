#include "node_log.h"

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>

#include "entry_window.h"

namespace cairn::raft::internal {

NodeLog::NodeLog() : snapshot_(std::make_shared<Snapshot>()) {}

absl::Status NodeLog::Load(const LogView& store) {
  hard_state_ = store.GetHardState();
  auto snap = std::make_shared<Snapshot>();
  snap->meta = store.GetSnapshotMeta();
  if (snap->meta.index > 0) {
    CAIRN_ASSIGN_OR_RETURN(snap->data,
                           store.SnapshotChunk(snap->meta.index, 0, store.SnapshotSize()));
  }
  snapshot_ = std::move(snap);
  first_ = store.FirstIndex();
  entries_.clear();
  CAIRN_ASSIGN_OR_RETURN(before_first_term_, store.TermAt(first_ - 1));
  for (Index next = first_; next <= store.LastIndex();) {
    CAIRN_ASSIGN_OR_RETURN(std::vector<Entry> batch,
                           store.Entries(next, store.LastIndex() + 1, 16 << 20));
    for (Entry& e : batch) entries_.push_back(std::move(e));
    next = first_ + entries_.size();
  }
  return absl::OkStatus();
}

absl::StatusOr<Term> NodeLog::TermAt(Index index) const {
  return internal::WindowTermAt(entries_, first_, before_first_term_, index, "raft log");
}

absl::StatusOr<std::vector<Entry>> NodeLog::Entries(Index lo, Index hi, uint64_t max_bytes) const {
  return internal::WindowEntries(entries_, first_, lo, hi, max_bytes, "raft log");
}

absl::StatusOr<std::string> NodeLog::SnapshotChunk(Index snapshot_index, uint64_t offset,
                                                   uint64_t max_bytes) const {
  if (snapshot_index != snapshot_->meta.index) {
    return absl::FailedPreconditionError("raft log: snapshot replaced");
  }
  if (offset > snapshot_->data.size()) return absl::OutOfRangeError("raft log: snapshot offset");
  return snapshot_->data.substr(offset, max_bytes);
}

void NodeLog::Persist(const Output& out) {
  if (out.snapshot) {
    snapshot_ = std::make_shared<Snapshot>(*out.snapshot);
    entries_.clear();
    first_ = snapshot_->meta.index + 1;
    before_first_term_ = snapshot_->meta.term;
  }
  if (!out.entries.empty()) {
    Index from = out.entries.front().index;
    CAIRN_CHECK_MSG(from >= first_ && from <= LastIndex() + 1,
                    "raft log: append at {} outside [{}, {}]", from, first_, LastIndex() + 1);
    entries_.resize(from - first_);
    for (const Entry& e : out.entries) entries_.push_back(e);
  }
  if (out.hard_state) hard_state_ = *out.hard_state;
}

absl::Status NodeLog::Compact(std::shared_ptr<const Snapshot> snapshot, uint64_t trailing) {
  Index index = snapshot->meta.index;
  if (index <= snapshot_->meta.index || index > LastIndex()) {
    return absl::InvalidArgumentError(absl::StrCat("raft log: snapshot at ", index, " outside (",
                                                   snapshot_->meta.index, ", ", LastIndex(), "]"));
  }
  snapshot_ = std::move(snapshot);
  Index keep_from = index + 1 > trailing ? index + 1 - trailing : 1;
  while (first_ < keep_from && !entries_.empty()) {
    before_first_term_ = entries_.front().term;
    entries_.pop_front();
    ++first_;
  }
  return absl::OkStatus();
}

}  // namespace cairn::raft::internal
