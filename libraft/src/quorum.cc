#include "quorum.h"

#include <algorithm>
#include <functional>

namespace cairn::raft::internal {

uint64_t QuorumValue(std::vector<uint64_t> acked) {
  if (acked.empty()) return 0;
  // Sorted descending, the value at position n/2 is held by n/2 + 1 voters: a majority.
  size_t pos = acked.size() / 2;
  std::nth_element(acked.begin(), acked.begin() + pos, acked.end(), std::greater<>());
  return acked[pos];
}

VoteOutcome TallyVotes(const std::vector<ServerId>& voters,
                       const absl::flat_hash_map<ServerId, bool>& votes) {
  size_t granted = 0, rejected = 0;
  for (ServerId id : voters) {
    auto it = votes.find(id);
    if (it == votes.end()) continue;
    (it->second ? granted : rejected)++;
  }
  size_t majority = voters.size() / 2 + 1;
  if (granted >= majority) return VoteOutcome::kWon;
  if (voters.size() - rejected < majority) return VoteOutcome::kLost;
  return VoteOutcome::kPending;
}

}  // namespace cairn::raft::internal
