// cairn/raft/leveldb_log_store.h — the durable LogView: a LevelDB log and stable store
// plus a FileSnapshotStore.
//
// Layout under `dir`: `log/` is a LevelDB database holding the entries (key 'e' +
// big-endian index), the hard state (term, vote, commit) and the position of the last
// compacted entry; `snapshots/` is a FileSnapshotStore. Persist() writes an Output's
// entries and hard state in ONE LevelDB write batch with sync=true, as core.h's
// persistence contract requires, after saving its snapshot (if any) to the snapshot store.
//
// Recovery (Open): LevelDB replays its write-ahead log. A record torn by a crash during
// a write is at the tail of that log and belongs to a write that never returned, so it
// was never acknowledged: LevelDB drops it and Open succeeds without it. Corruption
// anywhere else (a bad checksum in the middle of the log or in a table, paranoid_checks)
// makes Open fail with DataLoss naming the directory, and so does a gap in the stored
// indexes, an undecodable entry or an undecodable hard state: the server refuses to start
// rather than run with a log that may have lost acknowledged entries. If the log does not
// hold the newest snapshot's last entry with the snapshot's term (a crash between saving an
// installed snapshot and clearing the old log), the log is discarded, as Raft §7 says.
//
// Example:
//
//   auto store = cairn::raft::LevelDbLogStore::Open("/var/lib/app/raft", {});
//   if (!store.ok()) return store.status();
//   auto core = cairn::raft::Core::Create(config, **store, bitgen);
//   ...
//   CAIRN_RETURN_IF_ERROR((*store)->Persist(output));  // before sending its messages
//
// Thread-safety: none; owned by the runtime's strand.
#ifndef CAIRN_RAFT_LEVELDB_LOG_STORE_H_
#define CAIRN_RAFT_LEVELDB_LOG_STORE_H_

#include <memory>
#include <string>

#include <cairn/raft/core.h>
#include <cairn/raft/log_view.h>

namespace cairn::raft {

struct LevelDbLogStoreOptions {
  // Snapshots kept on disk (>= 1).
  int retain_snapshots = 2;
  // Sync every write before it returns. Only tests and benchmarks of the unsafe case turn
  // this off.
  bool sync = true;
};

class LevelDbLogStore : public LogView {
 public:
  // Opens or creates the store under `dir`. DataLoss for corruption (see above), Internal
  // for other I/O errors.
  static absl::StatusOr<std::unique_ptr<LevelDbLogStore>> Open(
      const std::string& dir, const LevelDbLogStoreOptions& options);
  ~LevelDbLogStore() override;

  // LogView. Entries() and TermAt() read LevelDB; I/O or checksum errors come back as
  // DataLoss.
  HardState GetHardState() const override;
  SnapshotMeta GetSnapshotMeta() const override;
  Index FirstIndex() const override;
  Index LastIndex() const override;
  absl::StatusOr<Term> TermAt(Index index) const override;
  absl::StatusOr<std::vector<Entry>> Entries(Index lo, Index hi, uint64_t max_bytes) const override;
  uint64_t SnapshotSize() const override;
  absl::StatusOr<std::string> SnapshotChunk(Index snapshot_index, uint64_t offset,
                                            uint64_t max_bytes) const override;

  // Makes the persistence part of `out` durable: its snapshot (replacing the whole log),
  // then its entries and hard state in one synced batch. An error means nothing after the
  // snapshot was written; the caller must stop (fail-stop: the core assumes success).
  // InvalidArgument for entries that would leave a gap.
  absl::Status Persist(const Output& out);

  // Saves `snapshot` (taken by the state machine at snapshot.meta.index <= LastIndex())
  // and deletes entries before index + 1 - trailing. InvalidArgument when the snapshot is
  // older than the current one or beyond the log.
  absl::Status Compact(const Snapshot& snapshot, uint64_t trailing);

 private:
  struct Rep;
  explicit LevelDbLogStore(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_LEVELDB_LOG_STORE_H_
