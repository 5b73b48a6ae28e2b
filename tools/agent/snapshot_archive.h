// Consul's snapshot archive, as `GET /v1/snapshot` returns it and `snapshot save`
// verifies it: a gzip-compressed tar holding exactly
//
//   meta.json    the Raft snapshot metadata (hashicorp/raft SnapshotMeta as JSON:
//                Version, ID, Index, Term, Peers, Configuration, ConfigurationIndex, Size)
//   state.bin    the state machine's snapshot stream (opaque here)
//   SHA256SUMS   "<lower-case hex sha256>  <file name>" per line, for the two files above
//
// Example:
//
//   absl::StatusOr<cairn::cli::SnapshotArchive> a = cairn::cli::ReadSnapshotArchive(bytes);
//   if (a.ok()) printf("index %llu\n", a->meta.index);
//
// Functions only; no state. The whole archive is held in memory.
#ifndef CAIRN_TOOLS_AGENT_SNAPSHOT_ARCHIVE_H_
#define CAIRN_TOOLS_AGENT_SNAPSHOT_ARCHIVE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace cairn::cli {

// The meta.json fields `snapshot inspect` prints.
struct SnapshotMeta {
  std::string id;
  int64_t size = 0;
  uint64_t index = 0;
  uint64_t term = 0;
  int64_t version = 0;
};

struct SnapshotArchive {
  SnapshotMeta meta;
  std::string meta_json;  // meta.json as stored
  std::string state;      // state.bin
};

// Decompresses, untars and verifies an archive: both files present, every SHA256SUMS line
// well-formed and matching, no file without a hash, no unexpected file, meta.json valid.
// Errors (InvalidArgument) read as Consul's snapshot.Verify: `failed to decompress
// snapshot: ...`, `failed to read snapshot file: unexpected file "x" in snapshot`,
// `failed to read snapshot file: failed checking integrity of snapshot: hash check failed
// for "state.bin"`, ...
absl::StatusOr<SnapshotArchive> ReadSnapshotArchive(std::string_view gzipped);

// Builds an archive from meta.json's text and state.bin (ustar entries, mode 0600,
// SHA256SUMS computed). ReadSnapshotArchive() accepts what this writes.
std::string WriteSnapshotArchive(std::string_view meta_json, std::string_view state);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_AGENT_SNAPSHOT_ARCHIVE_H_
