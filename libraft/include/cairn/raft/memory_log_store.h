// cairn/raft/memory_log_store.h — an in-memory LogView that applies Outputs.
//
// MemoryLogStore keeps the hard state, the newest snapshot and the log in memory. It is
// the reference implementation of the LogView contract and of the persistence half of
// the runtime loop, used by tests, simulations (where "durable" means "survives a
// simulated crash") and applications that need no durability.
//
// Example:
//
//   cairn::raft::MemoryLogStore store;
//   auto core = cairn::raft::Core::Create(config, store, bitgen).value();
//   ...
//   cairn::raft::Output out = core->TakeOutput();
//   store.Persist(out);            // snapshot, entries, hard state: in that order
//   ... send out.messages, apply out.committed ...
//   core->Advance(out);
//
// Thread-safety: none; owned by the core's strand.
#ifndef CAIRN_RAFT_MEMORY_LOG_STORE_H_
#define CAIRN_RAFT_MEMORY_LOG_STORE_H_

#include <deque>
#include <string>
#include <vector>

#include <cairn/raft/core.h>
#include <cairn/raft/log_view.h>
#include <cairn/raft/types.h>

namespace cairn::raft {

class MemoryLogStore : public LogView {
 public:
  MemoryLogStore() = default;

  // LogView.
  HardState GetHardState() const override { return hard_state_; }
  SnapshotMeta GetSnapshotMeta() const override { return snapshot_.meta; }
  Index FirstIndex() const override { return first_; }
  Index LastIndex() const override { return first_ + entries_.size() - 1; }
  absl::StatusOr<Term> TermAt(Index index) const override;
  absl::StatusOr<std::vector<Entry>> Entries(Index lo, Index hi, uint64_t max_bytes) const override;
  uint64_t SnapshotSize() const override { return snapshot_.data.size(); }
  absl::StatusOr<std::string> SnapshotChunk(Index snapshot_index, uint64_t offset,
                                            uint64_t max_bytes) const override;

  // Applies the persistence part of `out`: its snapshot (replacing the whole log), then
  // its entries (deleting stored entries at and after the first one's index) and hard
  // state as one step. CHECK-fails on entries that leave a gap: that is a runtime bug.
  void Persist(const Output& out);

  // Replaces the snapshot with a newer one the state machine took at `snapshot.meta.index`
  // (<= LastIndex()) and drops entries before index + 1 - trailing, keeping `trailing`
  // entries of history so slow followers can catch up without a snapshot.
  // InvalidArgument when the snapshot is older than the current one or beyond the log.
  absl::Status Compact(Snapshot snapshot, uint64_t trailing);

  const Snapshot& snapshot() const { return snapshot_; }
  Index snapshot_index() const { return snapshot_.meta.index; }

 private:
  HardState hard_state_;
  Snapshot snapshot_;
  Index first_ = 1;  // Index of entries_.front().
  std::deque<Entry> entries_;
  // Term of entry first_ - 1 (the compacted entry or the snapshot's).
  Term before_first_term_ = 0;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_MEMORY_LOG_STORE_H_
