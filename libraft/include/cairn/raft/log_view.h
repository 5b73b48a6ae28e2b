// cairn/raft/log_view.h — the read-only view of durable Raft state the core needs.
//
// The core never writes storage. It asks the runtime to persist entries, hard state and
// snapshots (Core::TakeOutput) and reads what has been persisted through this interface,
// as etcd's raft.Storage. A LogView holds exactly what the runtime has persisted and
// acknowledged with Core::Advance: nothing more, nothing less. MemoryLogStore
// (<cairn/raft/memory_log_store.h>) is the in-memory implementation; the LevelDB store
// implements the same interface.
//
// Index ranges: a LogView holds the snapshot `GetSnapshotMeta()` (index 0 = none) and the
// entries FirstIndex() .. LastIndex(). FirstIndex() == snapshot index + 1 after a
// compaction (a store may keep a trailing log before its snapshot, in which case
// FirstIndex() is lower). An empty log has LastIndex() == FirstIndex() - 1.
//
// Errors: the methods that read bytes return a Status so the core can skip a send and
// retry on the next heartbeat; a store that loses data it acknowledged must fail stop
// rather than answer.
//
// Thread-safety: called only from the core's strand, between the runtime's own writes.
#ifndef CAIRN_RAFT_LOG_VIEW_H_
#define CAIRN_RAFT_LOG_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/raft/types.h>

namespace cairn::raft {

class LogView {
 public:
  virtual ~LogView() = default;

  // The last persisted hard state ({0, 0, 0} for a new server). Read once by Core::Create.
  virtual HardState GetHardState() const = 0;
  // The newest persisted snapshot's metadata; index 0 when there is none.
  virtual SnapshotMeta GetSnapshotMeta() const = 0;

  // The first index whose entry is stored (>= 1).
  virtual Index FirstIndex() const = 0;
  // The last stored index; FirstIndex() - 1 when no entries are stored.
  virtual Index LastIndex() const = 0;

  // The term of the entry at `index`, for index in [FirstIndex() - 1, LastIndex()]
  // (FirstIndex() - 1 answers from the snapshot or the compacted entry). OutOfRange for any
  // other index.
  virtual absl::StatusOr<Term> TermAt(Index index) const = 0;

  // Entries in [lo, hi), lo >= FirstIndex(), hi <= LastIndex() + 1, lo < hi. Stops before
  // the entry that would make the total data size exceed `max_bytes`, but always returns
  // at least one entry.
  virtual absl::StatusOr<std::vector<Entry>> Entries(Index lo, Index hi,
                                                     uint64_t max_bytes) const = 0;

  // Total size in bytes of the current snapshot's data (0 when there is none).
  virtual uint64_t SnapshotSize() const = 0;
  // Up to `max_bytes` bytes of the current snapshot's data from `offset`. FailedPrecondition
  // when the current snapshot's index is not `snapshot_index` (it was replaced while a
  // transfer was running; the core then restarts the transfer).
  virtual absl::StatusOr<std::string> SnapshotChunk(Index snapshot_index, uint64_t offset,
                                                    uint64_t max_bytes) const = 0;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_LOG_VIEW_H_
