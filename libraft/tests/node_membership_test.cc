// Process tests of Node membership changes, leadership transfer and leader observers.
#include <atomic>
#include <vector>

#include <catch2/catch.hpp>

#include "node_test_cluster.h"

namespace cairn::raft::testing {
namespace {

// Retries a membership call at the current leader until it succeeds (a change is refused
// while the previous one, or the new leader's first entry, is uncommitted).
absl::Status AtLeader(Cluster& c, const std::function<void(Node&, Node::Done)>& call) {
  absl::Status last;
  WaitFor([&] {
    ServerId leader = c.WaitLeader();
    if (leader == kNoServer) return false;
    last = c.Call(leader, call);
    return last.ok();
  });
  return last;
}

bool HasServer(const NodeStats& st, ServerId id, Suffrage suffrage) {
  const Server* s = st.configuration.Find(id);
  return s != nullptr && s->suffrage == suffrage;
}

TEST_CASE("node: servers are added, promoted and removed one at a time", "[process]") {
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  for (int i = 0; i < 30; ++i) c.ProposeRetry("k" + std::to_string(i) + "=v");

  // A new server starts empty (no bootstrap) and learns everything from the leader.
  REQUIRE(c.Start(4).ok());
  REQUIRE(AtLeader(c, [](Node& n, Node::Done d) {
            n.AddNonvoter(4, Cluster::Address(4), std::move(d));
          }).ok());
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3, 4}, 30));
  CHECK(HasServer(c.node(c.WaitLeader()).Stats(), 4, Suffrage::kNonvoter));

  REQUIRE(AtLeader(c, [](Node& n, Node::Done d) {
            n.AddVoter(4, Cluster::Address(4), std::move(d));
          }).ok());
  CHECK(WaitFor([&] { return HasServer(c.node(4).Stats(), 4, Suffrage::kVoter); }));
  CHECK(c.ProposeRetry("after-add=1") == "");

  REQUIRE(AtLeader(c, [](Node& n, Node::Done d) { n.RemoveServer(3, std::move(d)); }).ok());
  CHECK(WaitFor([&] {
    NodeStats st = c.node(c.WaitLeader()).Stats();
    return st.configuration.servers.size() == 3 && st.configuration.Find(3) == nullptr;
  }));
  c.Stop(3);
  CHECK(c.ProposeRetry("after-remove=1") == "");

  // Removing the leader itself: it commits its removal, then steps down.
  ServerId leader = c.WaitLeader();
  REQUIRE(leader != kNoServer);
  absl::Status s = c.Call(leader, [&](Node& n, Node::Done d) { n.RemoveServer(leader, d); });
  if (s.ok()) {
    std::vector<ServerId> rest;
    for (ServerId id : {1, 2, 4}) {
      if (id != leader) rest.push_back(id);
    }
    ServerId next = kNoServer;
    REQUIRE(WaitFor([&] { return (next = c.Leader(rest)) != kNoServer; }));
    CHECK(next != leader);
    CHECK(WaitFor([&] { return !c.node(leader).IsLeader(); }));
    c.Stop(leader);
    CHECK(c.ProposeRetry("after-leader-removal=1") == "");
    CHECK(c.node(next).Stats().configuration.servers.size() == 2);
  } else {
    // Leadership moved before the change was accepted: a refusal, never a half change.
    CHECK(s.code() == absl::StatusCode::kUnavailable);
  }
}

TEST_CASE("node: membership calls refuse what makes no sense", "[process]") {
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  c.ProposeRetry("x=1");
  absl::Status s;
  WaitFor([&] {
    s = c.Call(c.WaitLeader(), [](Node& n, Node::Done d) { n.RemoveServer(9, std::move(d)); });
    return s.code() != absl::StatusCode::kUnavailable;
  });
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  ServerId leader = c.WaitLeader();
  ServerId follower = leader == 1 ? 2 : 1;
  s = c.Call(follower, [](Node& n, Node::Done d) { n.AddVoter(5, "mem-5", std::move(d)); });
  CHECK(s.code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("node: leadership transfers to the chosen server and observers see it", "[process]") {
  std::mutex mu;
  std::vector<LeaderInfo> seen;
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  c.ProposeRetry("x=1");
  for (ServerId id : {1, 2, 3}) {
    c.node(id).AddLeaderObserver([&, id](const LeaderInfo& info) {
      std::lock_guard<std::mutex> l(mu);
      if (id == 1) seen.push_back(info);
    });
  }
  for (int round = 0; round < 3; ++round) {
    ServerId leader = c.WaitLeader();
    REQUIRE(leader != kNoServer);
    ServerId target = leader % 3 + 1;
    absl::Status s =
        c.Call(leader, [&](Node& n, Node::Done d) { n.TransferLeadership(target, std::move(d)); });
    if (!s.ok()) {
      // Abandoned or overtaken on a loaded machine: a clear Unavailable, and retried.
      CHECK(s.code() == absl::StatusCode::kUnavailable);
      continue;
    }
    CHECK(WaitFor([&] { return c.Leader() == target; }));
    CHECK(WaitFor([&] {
      std::lock_guard<std::mutex> l(mu);
      return !seen.empty() && seen.back().id == target &&
             seen.back().address == Cluster::Address(target);
    }));
    CHECK(c.ProposeRetry("round=" + std::to_string(round)) != "<timed out>");
  }
  // kNoServer: the most up-to-date other voter.
  ServerId leader = c.WaitLeader();
  absl::Status s =
      c.Call(leader, [](Node& n, Node::Done d) { n.TransferLeadership(kNoServer, std::move(d)); });
  CHECK((s.ok() || s.code() == absl::StatusCode::kUnavailable));
  if (s.ok()) CHECK(WaitFor([&] { return c.Leader() != leader && c.Leader() != kNoServer; }));
  ServerId follower = c.WaitLeader() == 1 ? 2 : 1;
  s = c.Call(follower, [](Node& n, Node::Done d) { n.TransferLeadership(3, std::move(d)); });
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  for (ServerId id : {1, 2, 3}) c.Stop(id);  // Before `seen` goes away.
}

}  // namespace
}  // namespace cairn::raft::testing
