// A contiguous run of log entries held in memory from index `first` on: the lookups that
// MemoryLogStore and the Node's in-memory log (NodeLog) both answer through LogView.
#ifndef CAIRN_RAFT_SRC_ENTRY_WINDOW_H_
#define CAIRN_RAFT_SRC_ENTRY_WINDOW_H_

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <fmt/format.h>

#include <cairn/raft/types.h>

namespace cairn::raft::internal {

// LogView::TermAt over `entries` starting at `first`; `before_first_term` is the term of
// entry first - 1 (the snapshot's last entry). `who` names the log in errors.
inline absl::StatusOr<Term> WindowTermAt(const std::deque<Entry>& entries, Index first,
                                         Term before_first_term, Index index,
                                         std::string_view who) {
  if (index + 1 == first) return before_first_term;
  if (index < first || index >= first + entries.size()) {
    return absl::OutOfRangeError(fmt::format("{}: no entry {}", who, index));
  }
  return entries[index - first].term;
}

// LogView::Entries: [lo, hi) capped at max_bytes of data, but at least one entry.
inline absl::StatusOr<std::vector<Entry>> WindowEntries(const std::deque<Entry>& entries,
                                                        Index first, Index lo, Index hi,
                                                        uint64_t max_bytes, std::string_view who) {
  if (lo < first || hi > first + entries.size() || lo >= hi) {
    return absl::OutOfRangeError(fmt::format("{}: bad range [{}, {})", who, lo, hi));
  }
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = entries[i - first];
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_ENTRY_WINDOW_H_
