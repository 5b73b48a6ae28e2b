#include <algorithm>

#include <absl/strings/str_format.h>

#include <cairn/gossip/protocol_version.h>

namespace cairn::gossip {
namespace {

struct Ranges {
  uint8_t max_pmin = 0, min_pmax = 255, max_dmin = 0, min_dmax = 255;
  void Narrow(const Vsn& v) {
    max_pmin = std::max(max_pmin, v.protocol_min);
    min_pmax = std::min(min_pmax, v.protocol_max);
    max_dmin = std::max(max_dmin, v.delegate_min);
    min_dmax = std::min(min_dmax, v.delegate_max);
  }
  absl::Status Check(const PushNodeState& n) const {
    const Vsn v = Vsn::FromBytes(n.vsn);
    if (v.protocol_cur < max_pmin || v.protocol_cur > min_pmax) {
      return absl::FailedPreconditionError(
          absl::StrFormat("Node '%s' protocol version (%d) is incompatible: [%d, %d]", n.name,
                          v.protocol_cur, max_pmin, min_pmax));
    }
    if (v.delegate_cur < max_dmin || v.delegate_cur > min_dmax) {
      return absl::FailedPreconditionError(
          absl::StrFormat("Node '%s' delegate protocol version (%d) is incompatible: [%d, %d]",
                          n.name, v.delegate_cur, max_dmin, min_dmax));
    }
    return absl::OkStatus();
  }
};

}  // namespace

absl::Status VerifyProtocol(const std::vector<PushNodeState>& remote,
                            const std::vector<PushNodeState>& local) {
  Ranges r;
  for (const auto* side : {&remote, &local}) {
    for (const PushNodeState& n : *side) {
      if (n.state != NodeState::kAlive || n.vsn.empty()) continue;
      r.Narrow(Vsn::FromBytes(n.vsn));
    }
  }
  for (const auto* side : {&remote, &local}) {
    for (const PushNodeState& n : *side) {
      absl::Status s = r.Check(n);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace cairn::gossip
