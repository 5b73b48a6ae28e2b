// memberlist's push/pull protocol compatibility check.
#include <catch2/catch.hpp>

#include <cairn/gossip/protocol_version.h>

namespace cairn::gossip {
namespace {

PushNodeState Node(std::string name, Vsn v, NodeState state = NodeState::kAlive) {
  return PushNodeState{.name = std::move(name), .state = state, .vsn = v.ToBytes()};
}

TEST_CASE("serf agents and Consul-speaking nodes are compatible", "[unit]") {
  const Vsn serf_agent{1, 5, 2, 2, 5, 5};
  const Vsn consul{1, 5, 2, 2, 5, 4};
  CHECK(VerifyProtocol({Node("s1", serf_agent)}, {Node("c1", consul)}).ok());
  CHECK(VerifyProtocol({}, {}).ok());
}

TEST_CASE("a current version outside the common range is refused, naming the node", "[unit]") {
  const Vsn ours{1, 5, 2, 2, 5, 5};
  // A peer that only speaks memberlist 3..5 makes our current version 2 unacceptable.
  auto s = VerifyProtocol({Node("new", Vsn{3, 5, 3, 2, 5, 5})}, {Node("me", ours)});
  REQUIRE(!s.ok());
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(s.message()) == "Node 'me' protocol version (2) is incompatible: [3, 5]");
  // Delegate (serf) range: a peer with serf max 3 against our serf 5.
  auto d = VerifyProtocol({Node("old", Vsn{1, 5, 2, 2, 3, 3})}, {Node("me", ours)});
  REQUIRE(!d.ok());
  CHECK(std::string(d.message()) ==
        "Node 'me' delegate protocol version (5) is incompatible: [2, 3]");
}

TEST_CASE("only alive nodes narrow the ranges, but every node must fit", "[unit]") {
  const Vsn ours{1, 5, 2, 2, 5, 5};
  // A dead node with a narrow range does not constrain anyone ...
  CHECK(VerifyProtocol({Node("gone", Vsn{3, 5, 3, 2, 5, 5}, NodeState::kDead)}, {Node("me", ours)})
            .ok());
  // ... but its own current version must still fit the alive nodes' range.
  CHECK(!VerifyProtocol({Node("gone", Vsn{1, 5, 6, 2, 5, 5}, NodeState::kDead)}, {Node("me", ours)})
             .ok());
  // A remote node without Vsn counts as version 0 and fails.
  PushNodeState bare{.name = "bare"};
  CHECK(!VerifyProtocol({bare}, {Node("me", ours)}).ok());
}

}  // namespace
}  // namespace cairn::gossip
