// Process tests of Node with LevelDB storage: snapshots, restarts, snapshot installation.
#include <catch2/catch.hpp>

#include "node_test_cluster.h"

namespace cairn::raft::testing {
namespace {

ClusterOptions SmallSnapshots() {
  ClusterOptions o;
  o.durable = true;
  o.snapshot_threshold = 20;
  o.trailing_logs = 5;
  return o;
}

void Write(Cluster& c, int from, int to) {
  for (int i = from; i < to; ++i) {
    REQUIRE(c.ProposeRetry("k" + std::to_string(i) + "=v" + std::to_string(i)) != "<timed out>");
  }
}

TEST_CASE("node: a restarted server restores its snapshot and catches up", "[process]") {
  Cluster c(SmallSnapshots());
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  Write(c, 0, 100);
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, 100));
  ServerId victim = c.WaitLeader() == 3 ? 2 : 3;
  REQUIRE(WaitFor([&] { return c.node(victim).Stats().snapshots_taken > 0; }));
  REQUIRE(WaitFor([&] { return c.node(victim).Stats().last_snapshot_index >= 20; }));

  c.Stop(victim);
  Write(c, 100, 150);
  REQUIRE(c.Create(victim).ok());
  CHECK(c.sm(victim).restores() == 1);  // In Create, before any entry is applied.
  CHECK(c.sm(victim).size() >= 20);
  REQUIRE(c.node(victim).Start().ok());
  CHECK(c.node(victim).BootstrapCluster(Cluster::Voters({1, 2, 3})).code() ==
        absl::StatusCode::kFailedPrecondition);
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, 150));
}

TEST_CASE("node: every acknowledged write survives a restart of the whole cluster", "[process]") {
  Cluster c(SmallSnapshots());
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  Write(c, 0, 70);
  for (ServerId id : {1, 2, 3}) c.Stop(id);
  for (ServerId id : {1, 2, 3}) REQUIRE(c.Start(id).ok());
  ServerId leader = c.WaitLeader();
  REQUIRE(leader != kNoServer);
  // A barrier on the new leader applies everything committed before it.
  REQUIRE(WaitFor([&] {
    leader = c.WaitLeader();
    return c.Call(leader, [](Node& n, Node::Done d) { n.Barrier(std::move(d)); }).ok();
  }));
  auto data = c.sm(leader).data();
  for (int i = 0; i < 70; ++i) {
    CHECK(data["k" + std::to_string(i)] == "v" + std::to_string(i));
  }
  Write(c, 70, 80);
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, 80));
}

TEST_CASE("node: a lagging follower receives the leader's snapshot", "[process]") {
  Cluster c(SmallSnapshots());
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  Write(c, 0, 5);
  ServerId leader = c.WaitLeader();
  ServerId lagging = leader == 3 ? 2 : 3;
  REQUIRE(c.WaitSameData(leader, {lagging}, 5));
  c.net().Isolate(lagging);
  Write(c, 5, 120);
  // Every server but the lagging one has compacted past what it holds.
  REQUIRE(WaitFor([&] {
    for (ServerId id : {1, 2, 3}) {
      if (id != lagging && c.node(id).Stats().last_snapshot_index < 60) return false;
    }
    return true;
  }));
  c.net().Heal();
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, 120));
  CHECK(c.sm(lagging).restores() >= 1);
  CHECK(c.node(lagging).Stats().last_snapshot_index >= 60);

  // Its installed snapshot is durable: it restarts from it.
  c.Stop(lagging);
  REQUIRE(c.Create(lagging).ok());
  CHECK(c.sm(lagging).restores() == 1);
  CHECK(c.sm(lagging).size() >= 60);
  REQUIRE(c.node(lagging).Start().ok());
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, 120));
}

TEST_CASE("node: a server whose state machine cannot restore stops and refuses requests",
          "[process]") {
  Cluster c(SmallSnapshots());
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  Write(c, 0, 3);
  ServerId leader = c.WaitLeader();
  ServerId broken = leader == 3 ? 2 : 3;
  REQUIRE(c.WaitSameData(leader, {broken}, 3));
  c.net().Isolate(broken);
  Write(c, 3, 80);
  REQUIRE(WaitFor([&] {
    for (ServerId id : {1, 2, 3}) {
      if (id != broken && c.node(id).Stats().last_snapshot_index < 40) return false;
    }
    return true;
  }));
  c.sm(broken).FailRestores();
  c.net().Heal();
  REQUIRE(WaitFor([&] { return !c.node(broken).Stats().fatal_error.ok(); }));
  absl::Status fatal = c.node(broken).Stats().fatal_error;
  CHECK(fatal.code() == absl::StatusCode::kInternal);
  absl::StatusOr<std::any> r = c.Propose(broken, "x=1");
  CHECK(r.status() == fatal);
  CHECK(c.Call(broken, [](Node& n, Node::Done d) { n.ReadIndex(std::move(d)); }) == fatal);
  // The other two carry on.
  c.Stop(broken);
  Write(c, 80, 90);
  std::vector<ServerId> rest;
  for (ServerId id : {1, 2, 3}) {
    if (id != broken) rest.push_back(id);
  }
  CHECK(c.WaitSameData(c.WaitLeader(), rest, 90));
}

TEST_CASE("node: the in-memory store also compacts its log", "[process]") {
  ClusterOptions o;
  o.snapshot_threshold = 10;
  o.trailing_logs = 3;
  Cluster c(o);
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  Write(c, 0, 60);
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, 60));
  REQUIRE(WaitFor([&] {
    for (ServerId id : {1, 2, 3}) {
      if (c.node(id).Stats().last_snapshot_index < 30) return false;
    }
    return true;
  }));
  CHECK(c.node(1).Stats().snapshots_taken >= 1);
}

}  // namespace
}  // namespace cairn::raft::testing
