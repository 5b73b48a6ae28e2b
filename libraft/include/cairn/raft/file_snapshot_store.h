// cairn/raft/file_snapshot_store.h — durable snapshots as checksummed files.
//
// Each snapshot is one file `snap-<index>-<term>.bin` in the store's directory holding a
// magic number, the metadata (index, term, configuration), the state machine's bytes and
// a CRC-32C of all of it. A snapshot is written to `<name>.tmp`, fsynced, renamed into
// place and the directory fsynced, so a crash leaves either the complete file or a `.tmp`
// that the next Open deletes. Only the newest `retain` snapshots are kept.
//
// Corruption policy: Open verifies the newest snapshot. If its checksum or framing is
// wrong, Open fails with DataLoss naming the file: the log may have been compacted past
// any older snapshot, so silently falling back could lose committed entries. An operator
// can move the file aside to fall back deliberately.
//
// The newest snapshot's data is held in memory (the core assembles received snapshots in
// memory too; see core.h): snapshots are bounded by the state machine's size in memory.
//
// Example:
//
//   auto store = cairn::raft::FileSnapshotStore::Open("/var/lib/app/raft/snapshots", 2);
//   if (!store.ok()) return store.status();
//   CAIRN_RETURN_IF_ERROR((*store)->Save(meta, state_machine_bytes));
//   const cairn::raft::Snapshot& newest = (*store)->latest();
//
// Thread-safety: none; owned by the runtime's strand.
#ifndef CAIRN_RAFT_FILE_SNAPSHOT_STORE_H_
#define CAIRN_RAFT_FILE_SNAPSHOT_STORE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/raft/types.h>

namespace cairn::raft {

class FileSnapshotStore {
 public:
  // Opens (creating) `dir`. `retain` >= 1 snapshots are kept. DataLoss when the newest
  // snapshot is corrupt; Internal for I/O errors; InvalidArgument for retain < 1.
  static absl::StatusOr<std::unique_ptr<FileSnapshotStore>> Open(std::string dir, int retain);

  // Durably stores a snapshot and makes it the newest. FailedPrecondition when `meta` is
  // older than the newest snapshot; Internal for I/O errors (the previous newest stays).
  absl::Status Save(const SnapshotMeta& meta, std::string_view data);

  // The newest snapshot (index 0 and empty data when there is none).
  const Snapshot& latest() const { return latest_; }
  // Snapshot file names, newest first.
  std::vector<std::string> List() const;
  const std::string& dir() const { return dir_; }

 private:
  FileSnapshotStore(std::string dir, int retain) : dir_(std::move(dir)), retain_(retain) {}
  absl::Status Prune();

  std::string dir_;
  int retain_;
  Snapshot latest_;
};

}  // namespace cairn::raft

#endif  // CAIRN_RAFT_FILE_SNAPSHOT_STORE_H_
