// Majority quorum arithmetic for a single (non-joint) configuration: the commit index a
// set of voters has acknowledged, and the outcome of a vote. Pure functions; no state.
#ifndef CAIRN_RAFT_SRC_QUORUM_H_
#define CAIRN_RAFT_SRC_QUORUM_H_

#include <cstdint>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include <cairn/raft/types.h>

namespace cairn::raft::internal {

// The largest value that a majority of `acked` (one value per voter) is at or above: the
// commit index when `acked` holds match indexes. 0 for an empty set.
uint64_t QuorumValue(std::vector<uint64_t> acked);

enum class VoteOutcome { kPending, kWon, kLost };

// Tallies `votes` (voter -> granted) over `voters`; votes from non-voters are ignored. Won
// once a majority granted, lost once a majority can no longer grant.
VoteOutcome TallyVotes(const std::vector<ServerId>& voters,
                       const absl::flat_hash_map<ServerId, bool>& votes);

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_QUORUM_H_
