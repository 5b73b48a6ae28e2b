// The core's view of its log: the durable part (the runtime's LogView) plus the entries
// and snapshot not yet persisted ("unstable", etcd's raftLog + unstable). Owns the commit
// and applied indexes.
//
// Invariants: snapshot_index <= applied <= committed <= LastIndex(); every unstable entry
// has index >= offset_ and the storage view is never read at or beyond offset_ (those
// stored entries may be stale, about to be overwritten).
#ifndef CAIRN_RAFT_SRC_RAFT_LOG_H_
#define CAIRN_RAFT_SRC_RAFT_LOG_H_

#include <optional>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/raft/log_view.h>
#include <cairn/raft/types.h>

namespace cairn::raft::internal {

class RaftLog {
 public:
  // `storage` outlives *this. `applied` 0 means the storage's snapshot index.
  RaftLog(const LogView& storage, Index applied);

  Index FirstIndex() const;
  Index LastIndex() const;
  Term LastTerm() const;
  // The term at `index`, or nullopt when compacted or beyond the log.
  std::optional<Term> TermAt(Index index) const;
  bool MatchTerm(Index index, Term term) const;
  // Raft §5.4.1: is a log ending at (index, term) at least as up-to-date as ours?
  bool IsUpToDate(Index index, Term term) const;
  // The latest snapshot known (pending or stored).
  SnapshotMeta SnapshotInfo() const;

  // Follower append (Raft Figure 2, AppendEntries receiver steps 2-5). Returns the last
  // index now known to match the leader, or nullopt when (prev_index, prev_term) does not
  // match. Truncates a conflicting suffix; never truncates committed entries (CHECK).
  // `*first_written` receives the first index written (0 when nothing was).
  std::optional<Index> MaybeAppend(Index prev_index, Term prev_term, Index leader_commit,
                                   const std::vector<Entry>& entries, Index* first_written);
  // True when one of `entries` has a different term than a committed entry at its index:
  // only a faulty leader sends that.
  bool ConflictsWithCommitted(const std::vector<Entry>& entries) const;
  // Leader append of its own new entries (already numbered).
  void Append(std::vector<Entry> entries);
  // The largest index <= index whose term is <= term (for conflict hints). Stops at the
  // first unknown term.
  std::pair<Index, Term> FindConflictByTerm(Index index, Term term) const;

  // Entries [lo, hi) up to max_bytes (at least one), from storage and unstable.
  absl::StatusOr<std::vector<Entry>> Slice(Index lo, Index hi, uint64_t max_bytes) const;

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  void CommitTo(Index index);  // never moves backwards

  // Installs a received snapshot as unstable; discards the whole log.
  void Restore(Snapshot snapshot);

  // Output plumbing.
  bool HasUnsentEntries() const;
  std::vector<Entry> TakeUnsentEntries();
  bool HasUnsentSnapshot() const { return snapshot_ && !snapshot_sent_; }
  Snapshot TakeSnapshot();
  bool HasCommittedToApply() const;
  std::vector<Entry> TakeCommittedToApply(uint64_t max_bytes);
  // The runtime persisted entries up to `index` of `term`, and/or the pending snapshot, and
  // applied up to `applied`.
  void StableTo(Index index, Term term);
  void SnapshotStable();
  void AppliedTo(Index index);
  Index stable_last() const { return offset_ - 1; }

 private:
  Term StorageTerm(Index index, bool* ok) const;
  void TruncateAndAppend(std::vector<Entry> entries);

  const LogView& storage_;
  std::optional<Snapshot> snapshot_;  // Received, not yet persisted.
  bool snapshot_sent_ = false;
  std::vector<Entry> unstable_;  // unstable_[i].index == offset_ + i.
  Index offset_;                 // First index not known durable.
  Index unsent_;                 // First unstable index not yet handed out.
  Index committed_;
  Index applied_;
  Index applying_;  // Last index handed out for application.
};

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_RAFT_LOG_H_
