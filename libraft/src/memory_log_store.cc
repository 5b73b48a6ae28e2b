#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>
#include <cairn/raft/memory_log_store.h>

#include "entry_window.h"

namespace cairn::raft {

absl::StatusOr<Term> MemoryLogStore::TermAt(Index index) const {
  return internal::WindowTermAt(entries_, first_, before_first_term_, index, "memory log");
}

absl::StatusOr<std::vector<Entry>> MemoryLogStore::Entries(Index lo, Index hi,
                                                           uint64_t max_bytes) const {
  return internal::WindowEntries(entries_, first_, lo, hi, max_bytes, "memory log");
}

absl::StatusOr<std::string> MemoryLogStore::SnapshotChunk(Index snapshot_index, uint64_t offset,
                                                          uint64_t max_bytes) const {
  if (snapshot_index != snapshot_.meta.index) {
    return absl::FailedPreconditionError("memory log: snapshot replaced");
  }
  if (offset > snapshot_.data.size()) return absl::OutOfRangeError("memory log: bad offset");
  return snapshot_.data.substr(offset, max_bytes);
}

void MemoryLogStore::Persist(const Output& out) {
  if (out.snapshot) {
    snapshot_ = *out.snapshot;
    entries_.clear();
    first_ = snapshot_.meta.index + 1;
    before_first_term_ = snapshot_.meta.term;
  }
  if (!out.entries.empty()) {
    Index from = out.entries.front().index;
    CAIRN_CHECK_MSG(from >= first_ && from <= LastIndex() + 1,
                    "memory log: append at {} outside [{}, {}]", from, first_, LastIndex() + 1);
    entries_.resize(from - first_);
    for (const Entry& e : out.entries) entries_.push_back(e);
  }
  if (out.hard_state) hard_state_ = *out.hard_state;
}

absl::Status MemoryLogStore::Compact(Snapshot snapshot, uint64_t trailing) {
  Index index = snapshot.meta.index;
  if (index < snapshot_.meta.index || index > LastIndex()) {
    return absl::InvalidArgumentError(absl::StrCat("memory log: snapshot at ", index, " outside [",
                                                   snapshot_.meta.index, ", ", LastIndex(), "]"));
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

}  // namespace cairn::raft
