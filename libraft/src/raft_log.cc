#include "raft_log.h"

#include <algorithm>

#include <cairn/base/status.h>

namespace cairn::raft::internal {

RaftLog::RaftLog(const LogView& storage, Index applied)
    : storage_(storage), offset_(storage.LastIndex() + 1), unsent_(offset_) {
  Index snap = storage.GetSnapshotMeta().index;
  committed_ = std::max(storage.GetHardState().commit, snap);
  applied_ = applied == 0 ? snap : applied;
  applying_ = applied_;
}

Index RaftLog::FirstIndex() const {
  if (snapshot_) return snapshot_->meta.index + 1;
  return storage_.FirstIndex();
}

Index RaftLog::LastIndex() const {
  if (!unstable_.empty()) return unstable_.back().index;
  if (snapshot_) return snapshot_->meta.index;
  return offset_ - 1;
}

Term RaftLog::LastTerm() const { return TermAt(LastIndex()).value_or(0); }

Term RaftLog::StorageTerm(Index index, bool* ok) const {
  absl::StatusOr<Term> t = storage_.TermAt(index);
  *ok = t.ok();
  return t.ok() ? *t : 0;
}

std::optional<Term> RaftLog::TermAt(Index index) const {
  if (index == 0) return Term{0};
  if (index > LastIndex()) return std::nullopt;
  if (index >= offset_) return unstable_[index - offset_].term;
  if (snapshot_) {
    if (index == snapshot_->meta.index) return snapshot_->meta.term;
    return std::nullopt;
  }
  if (index + 1 < storage_.FirstIndex()) {
    SnapshotMeta meta = storage_.GetSnapshotMeta();
    if (index == meta.index) return meta.term;
    return std::nullopt;
  }
  bool ok = false;
  Term t = StorageTerm(index, &ok);
  if (!ok) return std::nullopt;
  return t;
}

bool RaftLog::MatchTerm(Index index, Term term) const {
  std::optional<Term> t = TermAt(index);
  return t && *t == term;
}

bool RaftLog::IsUpToDate(Index index, Term term) const {
  Term last = LastTerm();
  return term > last || (term == last && index >= LastIndex());
}

SnapshotMeta RaftLog::SnapshotInfo() const {
  if (snapshot_) return snapshot_->meta;
  return storage_.GetSnapshotMeta();
}

std::optional<Index> RaftLog::MaybeAppend(Index prev_index, Term prev_term, Index leader_commit,
                                          const std::vector<Entry>& entries, Index* first_written) {
  *first_written = 0;
  if (!MatchTerm(prev_index, prev_term)) return std::nullopt;
  Index last_new = prev_index + entries.size();
  // Find the first entry that is not already in our log with the same term.
  size_t i = 0;
  for (; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!MatchTerm(e.index, e.term)) break;
  }
  if (i < entries.size()) {
    CAIRN_CHECK_MSG(entries[i].index > committed_, "conflicting entry {} at or below commit {}",
                    entries[i].index, committed_);
    *first_written = entries[i].index;
    TruncateAndAppend(std::vector<Entry>(entries.begin() + i, entries.end()));
  }
  CommitTo(std::min(leader_commit, last_new));
  return last_new;
}

bool RaftLog::ConflictsWithCommitted(const std::vector<Entry>& entries) const {
  for (const Entry& e : entries) {
    if (e.index > committed_) break;
    std::optional<Term> t = TermAt(e.index);
    if (t && *t != e.term) return true;
  }
  return false;
}

void RaftLog::Append(std::vector<Entry> entries) {
  if (entries.empty()) return;
  CAIRN_CHECK(entries.front().index == LastIndex() + 1);
  TruncateAndAppend(std::move(entries));
}

void RaftLog::TruncateAndAppend(std::vector<Entry> entries) {
  Index from = entries.front().index;
  if (from < offset_) {
    // The conflict is in the durable part: everything from `from` is replaced. Storage
    // beyond `from` is never read again; the runtime overwrites it when it persists these.
    unstable_ = std::move(entries);
    offset_ = from;
    unsent_ = from;
    return;
  }
  unstable_.resize(from - offset_);
  for (Entry& e : entries) unstable_.push_back(std::move(e));
  unsent_ = std::min(unsent_, from);
}

std::pair<Index, Term> RaftLog::FindConflictByTerm(Index index, Term term) const {
  for (;; --index) {
    std::optional<Term> t = TermAt(index);
    if (!t) return {index, 0};
    if (*t <= term) return {index, *t};
  }
}

absl::StatusOr<std::vector<Entry>> RaftLog::Slice(Index lo, Index hi, uint64_t max_bytes) const {
  CAIRN_CHECK(lo >= FirstIndex() && lo < hi && hi <= LastIndex() + 1);
  std::vector<Entry> out;
  uint64_t bytes = 0;
  if (lo < offset_) {
    CAIRN_ASSIGN_OR_RETURN(out, storage_.Entries(lo, std::min(hi, offset_), max_bytes));
    for (const Entry& e : out) bytes += e.data.size();
    if (out.empty() || out.back().index + 1 < std::min(hi, offset_)) return out;  // size cap
  }
  for (Index i = std::max(lo, offset_); i < hi; ++i) {
    const Entry& e = unstable_[i - offset_];
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

void RaftLog::CommitTo(Index index) {
  if (index <= committed_) return;
  CAIRN_CHECK_MSG(index <= LastIndex(), "commit {} beyond last index {}", index, LastIndex());
  committed_ = index;
}

void RaftLog::Restore(Snapshot snapshot) {
  Index index = snapshot.meta.index;
  snapshot_ = std::move(snapshot);
  snapshot_sent_ = false;
  unstable_.clear();
  offset_ = index + 1;
  unsent_ = offset_;
  committed_ = std::max(committed_, index);
}

bool RaftLog::HasUnsentEntries() const { return unsent_ <= LastIndex() && !unstable_.empty(); }

std::vector<Entry> RaftLog::TakeUnsentEntries() {
  std::vector<Entry> out;
  if (!HasUnsentEntries()) return out;
  out.assign(unstable_.begin() + (unsent_ - offset_), unstable_.end());
  unsent_ = LastIndex() + 1;
  return out;
}

Snapshot RaftLog::TakeSnapshot() {
  snapshot_sent_ = true;
  return *snapshot_;
}

bool RaftLog::HasCommittedToApply() const {
  return committed_ > applying_ && !(snapshot_ && !snapshot_sent_);
}

std::vector<Entry> RaftLog::TakeCommittedToApply(uint64_t max_bytes) {
  std::vector<Entry> out;
  if (!HasCommittedToApply()) return out;
  Index lo = std::max(applying_ + 1, FirstIndex());
  if (lo > committed_) {
    applying_ = committed_;
    return out;
  }
  absl::StatusOr<std::vector<Entry>> s = Slice(lo, committed_ + 1, max_bytes);
  if (!s.ok() || s->empty()) return out;  // Storage trouble: retried on the next output.
  applying_ = s->back().index;
  return *std::move(s);
}

void RaftLog::StableTo(Index index, Term term) {
  if (index < offset_ || unstable_.empty() || index > unstable_.back().index) return;
  if (unstable_[index - offset_].term != term) return;  // Replaced since it was handed out.
  unstable_.erase(unstable_.begin(), unstable_.begin() + (index - offset_ + 1));
  offset_ = index + 1;
  unsent_ = std::max(unsent_, offset_);
}

void RaftLog::SnapshotStable() {
  if (snapshot_ && snapshot_sent_) {
    applied_ = std::max(applied_, snapshot_->meta.index);
    applying_ = std::max(applying_, applied_);
    snapshot_.reset();
  }
}

void RaftLog::AppliedTo(Index index) {
  applied_ = std::max(applied_, index);
  applying_ = std::max(applying_, applied_);
}

}  // namespace cairn::raft::internal
