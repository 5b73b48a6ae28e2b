#include "membership.h"

#include <absl/strings/str_cat.h>

#include <cairn/base/status.h>

namespace cairn::raft::internal {

void ConfigHistory::Reset(Index index, Configuration config) {
  history_.clear();
  history_.emplace_back(index, std::move(config));
}

void ConfigHistory::Append(Index index, Configuration config) {
  CAIRN_CHECK(index > history_.back().first);
  history_.emplace_back(index, std::move(config));
}

void ConfigHistory::TruncateFrom(Index from) {
  // The base entry (a snapshot's configuration) is committed and never truncated.
  while (history_.size() > 1 && history_.back().first >= from) history_.pop_back();
}

void ConfigHistory::CompactTo(Index index) {
  size_t keep = 0;
  for (size_t i = 0; i < history_.size(); ++i) {
    if (history_[i].first <= index) keep = i;
  }
  history_.erase(history_.begin(), history_.begin() + keep);
}

const Configuration* ConfigHistory::At(Index index) const {
  if (index < history_.front().first) return nullptr;
  const Configuration* out = nullptr;
  for (const auto& [i, c] : history_) {
    if (i <= index) out = &c;
  }
  return out;
}

absl::StatusOr<Configuration> ApplyConfChange(const Configuration& config,
                                              const ConfChange& change) {
  if (change.id == kNoServer) return absl::InvalidArgumentError("conf change: server id 0");
  Configuration out = config;
  Server* existing = nullptr;
  for (Server& s : out.servers) {
    if (s.id == change.id) existing = &s;
  }
  switch (change.op) {
    case ConfChange::Op::kAddVoter:
    case ConfChange::Op::kAddNonvoter: {
      Suffrage want =
          change.op == ConfChange::Op::kAddVoter ? Suffrage::kVoter : Suffrage::kNonvoter;
      if (existing == nullptr) {
        out.servers.push_back({change.id, change.address, want});
        break;
      }
      if (existing->suffrage == Suffrage::kVoter && want == Suffrage::kNonvoter) {
        return absl::FailedPreconditionError(
            absl::StrCat("conf change: server ", change.id, " is a voter; remove it first"));
      }
      existing->suffrage = want;
      if (!change.address.empty()) existing->address = change.address;
      break;
    }
    case ConfChange::Op::kRemoveServer: {
      if (existing == nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat("conf change: server ", change.id, " is not a member"));
      }
      std::erase_if(out.servers, [&](const Server& s) { return s.id == change.id; });
      break;
    }
    default:
      return absl::InvalidArgumentError("conf change: unknown operation");
  }
  if (out.Voters().empty()) {
    return absl::FailedPreconditionError("conf change: would leave no voter");
  }
  CAIRN_RETURN_IF_ERROR(ValidateConfiguration(out));
  return out;
}

}  // namespace cairn::raft::internal
