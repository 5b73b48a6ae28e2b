// Simulation tests of the SWIM core: many Memberlists on one seeded SimNetwork. Each test
// names the property of SWIM/Lifeguard it checks. Sizes here are small enough for CI
// (label sim); sim_large_test.cc runs the same properties at 1,000 nodes (label slow).
#include <catch2/catch.hpp>

#include "sim_cluster.h"

namespace cairn::gossip::testing {
namespace {

// Forms a cluster: every node joins node 0 within the first second.
void FormCluster(SimCluster& c) {
  for (int i = 1; i < c.size(); ++i) {
    c.Run(absl::Milliseconds(1000.0 / c.size()));
    c.Join(i, 0);
  }
}

TEST_CASE("sim: a small pool forms by joining one seed and converges", "[sim]") {
  SimCluster c(5, /*seed=*/1, /*loss=*/0.0);
  int joined = 0;
  c.Join(1, 0, &joined);
  c.Run(absl::Seconds(1));
  CHECK(joined == 1);
  for (int i = 2; i < 5; ++i) c.Join(i, 0);
  const absl::Duration took =
      c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(30));
  INFO("convergence took " << absl::FormatDuration(took));
  CHECK(took < absl::Seconds(5));
  c.Run(absl::Seconds(60));
  CHECK(c.Converged(c.LiveNames()));
  CHECK(c.FalseFailures() == 0);
  CHECK_FALSE(c.AnyIncarnationWentBack());
}

TEST_CASE("sim: a crashed node is declared failed by every member", "[sim]") {
  SimCluster c(8, /*seed=*/2, /*loss=*/0.0);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(30)) <
          absl::Seconds(30));
  c.Crash(3);
  // Bound: the failure is noticed within one probe round of every node (the node is probed
  // by someone within ~n probe intervals at worst, but typically 1-2 s), then the suspicion
  // timeout max (SuspicionMaxTimeoutMult * SuspicionMult * log10 scale * interval = 24 s)
  // shrinks with confirmations; plus gossip time. Allow min + max + a margin.
  const absl::Duration took =
      c.RunUntil([&] { return c.CountSeeingGone("node-3") == c.LiveCount(); }, absl::Seconds(60));
  INFO("detection took " << absl::FormatDuration(took));
  CHECK(took < absl::Seconds(35));
  CHECK(c.FalseFailures() == 0);
}

TEST_CASE("sim: a graceful leave shows as left everywhere", "[sim]") {
  SimCluster c(5, /*seed=*/3, /*loss=*/0.0);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(30)) <
          absl::Seconds(30));
  bool done = false;
  absl::Status result;
  c[2].ml->Leave(absl::Seconds(5), [&](absl::Status s) {
    done = true;
    result = s;
  });
  c.RunUntil([&] { return done; }, absl::Seconds(10));
  REQUIRE(done);
  CHECK(result.ok());
  c.Run(absl::Seconds(2));
  for (int i = 0; i < c.size(); ++i) {
    if (i == 2) continue;
    std::optional<Node> n = c[i].ml->Find("node-2");
    REQUIRE(n.has_value());
    CHECK(n->state == NodeState::kLeft);
  }
  CHECK(c.FalseFailures() == 0);
}

TEST_CASE("sim: meta updates reach every member", "[sim]") {
  SimCluster c(6, /*seed=*/4, /*loss=*/0.0);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(30)) <
          absl::Seconds(30));
  // Without a delegate the meta is empty; UpdateNode still bumps the incarnation.
  const uint32_t before = c[1].ml->LocalNode().incarnation;
  bool done = false;
  c[1].ml->UpdateNode(absl::Seconds(5), [&](absl::Status s) { done = s.ok(); });
  c.RunUntil([&] { return done; }, absl::Seconds(10));
  CHECK(done);
  c.Run(absl::Seconds(2));
  for (int i = 0; i < c.size(); ++i) {
    CHECK(c[i].ml->Find("node-1")->incarnation > before);
  }
}

TEST_CASE("sim: 100 nodes with 1 percent loss see no false failures for 10 minutes", "[sim]") {
  SimCluster c(100, /*seed=*/5, /*loss=*/0.01);
  FormCluster(c);
  const absl::Duration took =
      c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(120));
  INFO("convergence took " << absl::FormatDuration(took));
  CHECK(took < absl::Seconds(20));
  c.Run(absl::Minutes(10));
  CHECK(c.FalseFailures() == 0);
  CHECK(c.Converged(c.LiveNames()));
  CHECK_FALSE(c.AnyIncarnationWentBack());
}

TEST_CASE("sim: 100 nodes detect a crash everywhere within the suspicion bound", "[sim]") {
  SimCluster c(100, /*seed=*/6, /*loss=*/0.01);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(120)) <
          absl::Seconds(120));
  c.Crash(42);
  // n = 100: min = 4 * log10(100) * 1 s = 8 s, max = 6 * min = 48 s. Detection happens at
  // the first failed probe (about n/probers s; with 99 probers ~1 s), then at most max
  // (confirmations shrink it), then gossip spreads the dead (a few gossip rounds).
  const absl::Duration took =
      c.RunUntil([&] { return c.CountSeeingGone("node-42") == c.LiveCount(); }, absl::Seconds(90));
  INFO("detection took " << absl::FormatDuration(took));
  CHECK(took < absl::Seconds(60));
  CHECK(c.FalseFailures() == 0);
}

TEST_CASE("sim: a partition heals into one view", "[sim]") {
  SimCluster c(30, /*seed=*/7, /*loss=*/0.0);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(60)) <
          absl::Seconds(60));
  std::vector<std::string> a, b;
  for (int i = 0; i < c.size(); ++i) (i < 15 ? a : b).push_back(c[i].address);
  c.net().Partition({a, b});
  // Each side declares the other failed...
  c.RunUntil(
      [&] { return c.CountSeeingGone("node-20") >= 14 && c.CountSeeingGone("node-3") >= 14; },
      absl::Minutes(3));
  CHECK(c.CountSeeingGone("node-20") >= 14);
  c.net().Heal();
  // ...and after healing, the periodic push/pull (30 s, or the dead-node gossip) merges
  // the views back: the nodes refute their own death with a higher incarnation.
  const absl::Duration took =
      c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Minutes(5), absl::Seconds(1));
  INFO("healing took " << absl::FormatDuration(took));
  CHECK(took < absl::Minutes(5));
}

TEST_CASE("sim: a stalled node does not get healthy nodes declared failed", "[sim]") {
  SimCluster c(50, /*seed=*/8, /*loss=*/0.0);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Seconds(60)) <
          absl::Seconds(60));
  // node-7's CPU pauses for 10 s several times: its own probes time out (it cannot read
  // acks) and it suspects others; Lifeguard must keep healthy nodes alive: the suspicions
  // are refuted, and its awareness score slows it down.
  for (int round = 0; round < 5; ++round) {
    c.net().Stall(c[7].address, absl::Seconds(10));
    c.Run(absl::Seconds(20));
  }
  c.Run(absl::Seconds(60));
  // The stalled node itself may have been suspected and even declared dead while it slept
  // (that is correct); nobody else may be.
  CHECK(c.FalseFailures({"node-7"}) == 0);
  CHECK(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Minutes(2)) <
        absl::Minutes(2));
}

TEST_CASE("sim: the same seed replays the same run", "[sim]") {
  auto run = [](uint64_t seed) {
    SimCluster c(20, seed, 0.05);
    FormCluster(c);
    c.Run(absl::Seconds(30));
    c.Crash(5);
    c.Run(absl::Seconds(30));
    return std::make_tuple(c.net().counters().packets_sent, c.net().counters().packets_lost,
                           c[1].ml->stats().probes, c[1].ml->GetHealthScore());
  };
  CHECK(run(9) == run(9));
}

}  // namespace
}  // namespace cairn::gossip::testing
