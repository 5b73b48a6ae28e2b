// The configurations in the log (dissertation §4.1): each server uses the latest
// configuration in its log, committed or not, so the history must be kept to fall back
// when a suffix of the log is truncated. Also the rules for single-server changes.
// Owned by Core::Impl.
#ifndef CAIRN_RAFT_SRC_MEMBERSHIP_H_
#define CAIRN_RAFT_SRC_MEMBERSHIP_H_

#include <utility>
#include <vector>

#include <absl/status/statusor.h>

#include <cairn/raft/core.h>
#include <cairn/raft/types.h>

namespace cairn::raft::internal {

class ConfigHistory {
 public:
  // Starts from the configuration of a snapshot (or an empty one at index 0).
  void Reset(Index index, Configuration config);
  // A configuration entry at `index` (greater than every index held).
  void Append(Index index, Configuration config);
  // Entries at index >= `from` were removed from the log.
  void TruncateFrom(Index from);
  // Forgets entries before the newest one at or below `index` (after compaction).
  void CompactTo(Index index);

  const Configuration& Latest() const { return history_.back().second; }
  Index LatestIndex() const { return history_.back().first; }
  // The configuration in effect at `index` (the newest one at or below it).
  const Configuration* At(Index index) const;

 private:
  // Ascending by index; never empty.
  std::vector<std::pair<Index, Configuration>> history_{{0, Configuration{}}};
};

// Applies one change to `config`. FailedPrecondition when the change is a no-op that is
// not allowed (removing an unknown server, adding a non-voter that is a voter), or would
// leave no voter; InvalidArgument for id 0.
absl::StatusOr<Configuration> ApplyConfChange(const Configuration& config,
                                              const ConfChange& change);

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_MEMBERSHIP_H_
