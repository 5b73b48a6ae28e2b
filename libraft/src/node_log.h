// The LogView a Node's core reads: an in-memory mirror of what is durable.
//
// Node persists on a dedicated thread (node.cc) while its strand keeps stepping the core,
// and LevelDbLogStore is not thread-safe, so the core never reads the LevelDB store at
// run time. It reads this mirror, which the strand updates with each Output after the
// store has made it durable, and just before Core::Advance — exactly the LogView contract
// (log_view.h). The mirror holds the entries since the last compaction plus the trailing
// log (as etcd's MemoryStorage does), so its size is bounded by snapshot_threshold +
// trailing_logs entries, and the newest snapshot, shared with whoever produced it.
#ifndef CAIRN_RAFT_SRC_NODE_LOG_H_
#define CAIRN_RAFT_SRC_NODE_LOG_H_

#include <deque>
#include <memory>

#include <cairn/raft/core.h>
#include <cairn/raft/log_view.h>

namespace cairn::raft::internal {

class NodeLog final : public LogView {
 public:
  NodeLog();

  // Copies everything `store` holds (at startup). DataLoss/Internal from its reads.
  absl::Status Load(const LogView& store);

  HardState GetHardState() const override { return hard_state_; }
  SnapshotMeta GetSnapshotMeta() const override { return snapshot_->meta; }
  Index FirstIndex() const override { return first_; }
  Index LastIndex() const override { return first_ + entries_.size() - 1; }
  absl::StatusOr<Term> TermAt(Index index) const override;
  absl::StatusOr<std::vector<Entry>> Entries(Index lo, Index hi, uint64_t max_bytes) const override;
  uint64_t SnapshotSize() const override { return snapshot_->data.size(); }
  absl::StatusOr<std::string> SnapshotChunk(Index snapshot_index, uint64_t offset,
                                            uint64_t max_bytes) const override;

  // Mirrors the persistence part of `out` (snapshot, entries, hard state).
  void Persist(const Output& out);
  // Replaces the snapshot with a newer one taken at an index <= LastIndex() and drops
  // entries before index + 1 - trailing. InvalidArgument when it is not newer or beyond
  // the log (an installed snapshot overtook it).
  absl::Status Compact(std::shared_ptr<const Snapshot> snapshot, uint64_t trailing);

  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }

 private:
  HardState hard_state_;
  std::shared_ptr<const Snapshot> snapshot_;
  Index first_ = 1;  // Index of entries_.front().
  std::deque<Entry> entries_;
  Term before_first_term_ = 0;  // Term of entry first_ - 1.
};

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_NODE_LOG_H_
