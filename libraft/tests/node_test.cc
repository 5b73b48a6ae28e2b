// Process tests of cairn::raft::Node: three servers in one process over a MemoryNetwork,
// with real executors, timers and threads (label `process`). See node_test_cluster.h.
#include <atomic>
#include <vector>

#include <catch2/catch.hpp>

#include "node_test_cluster.h"

namespace cairn::raft::testing {
namespace {

TEST_CASE("node: three servers elect one leader and apply proposals in order", "[process]") {
  std::atomic<int> ok{0}, done{0};  // Before the cluster: callbacks run until it is gone.
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  ServerId leader = c.WaitLeader();
  REQUIRE(leader != kNoServer);

  // Sequential results are the state machine's values.
  absl::StatusOr<std::any> r = c.Propose(leader, "x=1");
  REQUIRE(r.ok());
  CHECK(std::any_cast<std::string>(*r) == "");
  std::string prev = c.ProposeRetry("x=2");
  CHECK(prev == "1");

  // Many concurrent proposals: each gets its own entry's result.
  constexpr int kCount = 300;
  leader = c.WaitLeader();
  for (int i = 0; i < kCount; ++i) {
    c.node(leader).Propose("k" + std::to_string(i) + "=v", [&](absl::StatusOr<std::any> r) {
      if (r.ok() && std::any_cast<std::string>(*r).empty()) ++ok;
      ++done;
    });
  }
  REQUIRE(WaitFor([&] { return done.load() == kCount; }));
  // Leadership may change under a loaded machine; retry whatever was refused.
  for (int i = 0; i < kCount; ++i) {
    std::string key = "k" + std::to_string(i);
    if (c.sm(c.WaitLeader()).Get(key) != "v") c.ProposeRetry(key + "=v");
  }
  CHECK(ok.load() > 0);
  REQUIRE(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, kCount + 1));

  NodeStats st = c.node(1).Stats();
  CHECK(st.configuration.servers.size() == 3);
  CHECK(st.fatal_error.ok());
  REQUIRE(WaitFor([&] {
    NodeStats a = c.node(1).Stats(), b = c.node(c.WaitLeader()).Stats();
    return a.applied_index == b.commit_index && a.applied_index >= kCount + 2;
  }));
  CHECK(c.node(c.WaitLeader()).Stats().last_contact == std::chrono::milliseconds(0));
}

TEST_CASE("node: a follower refuses proposals and names the leader", "[process]") {
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  // Retried only if leadership moves between the choice of follower and the proposal.
  bool checked = WaitFor([&] {
    ServerId leader = c.WaitLeader();
    if (leader == kNoServer) return false;
    ServerId follower = leader == 1 ? 2 : 1;
    LeaderInfo info = c.node(follower).leader();
    absl::StatusOr<std::any> r = c.Propose(follower, "x=1");
    if (r.ok() || info.id != leader || c.WaitLeader() != leader) return false;
    CHECK(r.status().code() == absl::StatusCode::kUnavailable);
    CHECK(info.address == Cluster::Address(leader));
    std::string msg(r.status().message());
    CHECK(msg.find("leader is " + std::to_string(leader) + " at " + Cluster::Address(leader)) !=
          std::string::npos);
    CHECK(!c.node(follower).IsLeader());
    CHECK(c.node(follower).Stats().last_contact.count() >= 0);
    return true;
  });
  CHECK(checked);
}

TEST_CASE("node: ReadIndex and Barrier see every acknowledged write", "[process]") {
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  for (int i = 0; i < 20; ++i) {
    std::string value = std::to_string(i);
    c.ProposeRetry("x=" + value);
    // The read must see the write, or fail over to the new leader.
    bool read = WaitFor([&] {
      ServerId leader = c.WaitLeader();
      absl::Status s = c.Call(leader, [](Node& n, Node::Done d) { n.ReadIndex(std::move(d)); });
      if (!s.ok()) return false;
      CHECK(c.sm(leader).Get("x") == value);
      return true;
    });
    CHECK(read);
    bool barrier = WaitFor([&] {
      ServerId leader = c.WaitLeader();
      absl::Status s = c.Call(leader, [](Node& n, Node::Done d) { n.Barrier(std::move(d)); });
      if (!s.ok()) return false;
      CHECK(c.sm(leader).Get("x") == value);
      return true;
    });
    CHECK(barrier);
  }
  ServerId leader = c.WaitLeader();
  ServerId follower = leader == 3 ? 2 : 3;
  absl::Status s = c.Call(follower, [](Node& n, Node::Done d) { n.ReadIndex(std::move(d)); });
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  s = c.Call(follower, [](Node& n, Node::Done d) { n.Barrier(std::move(d)); });
  CHECK(s.code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("node: an isolated leader is replaced and rejoins as a follower", "[process]") {
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  c.ProposeRetry("before=1");
  ServerId old = c.WaitLeader();
  REQUIRE(old != kNoServer);
  Term old_term = c.node(old).Stats().term;
  c.net().Isolate(old);
  std::vector<ServerId> rest;
  for (ServerId id : {1, 2, 3}) {
    if (id != old) rest.push_back(id);
  }
  ServerId next = kNoServer;
  REQUIRE(WaitFor([&] {
    next = c.Leader(rest);
    return next != kNoServer && c.node(next).Stats().term > old_term;
  }));
  CHECK(c.ProposeRetry("after=2") == "");
  // CheckQuorum: the isolated leader steps down on its own.
  CHECK(WaitFor([&] { return !c.node(old).IsLeader(); }));
  c.net().Heal();
  REQUIRE(WaitFor([&] { return c.sm(old).Get("after") == "2"; }));
  CHECK(c.WaitSameData(c.WaitLeader(), {1, 2, 3}, 2));
}

TEST_CASE("node: bootstrap is refused once a server has state", "[process]") {
  Cluster c;
  REQUIRE(c.Start(1).ok());
  CHECK(c.node(1).BootstrapCluster(Configuration{}).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(c.node(1).BootstrapCluster(Cluster::Voters({1})).ok());
  CHECK(c.node(1).BootstrapCluster(Cluster::Voters({1})).code() ==
        absl::StatusCode::kFailedPrecondition);
  REQUIRE(c.WaitLeader() == 1);
  CHECK(c.node(1).BootstrapCluster(Cluster::Voters({1})).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("node: shutdown fails every pending request", "[process]") {
  std::atomic<int> calls{0};
  std::vector<absl::StatusCode> codes(3, absl::StatusCode::kOk);
  std::mutex mu;
  Cluster c;
  REQUIRE(c.StartBootstrapped({1, 2, 3}).ok());
  c.ProposeRetry("x=1");
  ServerId leader = c.WaitLeader();
  c.net().Isolate(leader);
  auto record = [&](int i, absl::Status s) {
    std::lock_guard<std::mutex> l(mu);
    codes[i] = s.code();
    ++calls;
  };
  c.node(leader).Propose("y=2", [&](absl::StatusOr<std::any> r) { record(0, r.status()); });
  c.node(leader).ReadIndex([&](absl::Status s) { record(1, s); });
  c.node(leader).Barrier([&](absl::Status s) { record(2, s); });
  c.Stop(leader);
  REQUIRE(WaitFor([&] { return calls.load() == 3; }));
  std::lock_guard<std::mutex> l(mu);
  for (absl::StatusCode code : codes) CHECK(code == absl::StatusCode::kUnavailable);
}

TEST_CASE("node: a single server commits alone and reports its persistence", "[process]") {
  std::atomic<int> ok{0}, done{0};
  Cluster c(ClusterOptions{.durable = true});
  REQUIRE(c.StartBootstrapped({1}).ok());
  REQUIRE(c.WaitLeader() == 1);
  for (int i = 0; i < 200; ++i) {
    c.node(1).Propose("k" + std::to_string(i) + "=v", [&](absl::StatusOr<std::any> r) {
      if (r.ok()) ++ok;
      ++done;
    });
  }
  REQUIRE(WaitFor([&] { return done.load() == 200; }));
  CHECK(ok.load() == 200);
  NodeStats st = c.node(1).Stats();
  CHECK(st.entries_persisted >= 200);
  CHECK(st.fsyncs > 0);
  CHECK(st.applied_index >= 201);
  CHECK(c.sm(1).size() == 200);
}

}  // namespace
}  // namespace cairn::raft::testing
