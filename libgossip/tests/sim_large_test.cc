// The simulation properties at 1,000 nodes (label slow: minutes of CPU; sim_memberlist_test.cc
// checks the same at CI sizes). Each test forms the pool by having every node join node 0
// within the first second, the worst case for gossip-only convergence.
#include <catch2/catch.hpp>

#include "sim_cluster.h"

namespace cairn::gossip::testing {
namespace {

constexpr int kNodes = 1000;

void FormCluster(SimCluster& c) {
  for (int i = 1; i < c.size(); ++i) {
    c.Run(absl::Milliseconds(1));
    c.Join(i, 0);
  }
}

TEST_CASE("sim large: 1000 nodes with 1 percent loss, no false failure in 10 minutes", "[slow]") {
  SimCluster c(kNodes, /*seed=*/11, /*loss=*/0.01);
  FormCluster(c);
  const absl::Duration took =
      c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Minutes(3), absl::Seconds(1));
  INFO("convergence took " << absl::FormatDuration(took));
  CHECK(took < absl::Seconds(60));
  c.Run(absl::Minutes(10));
  CHECK(c.FalseFailures() == 0);
  CHECK(c.Converged(c.LiveNames()));
  CHECK_FALSE(c.AnyIncarnationWentBack());
}

TEST_CASE("sim large: 1000 nodes mark a crashed node failed within the suspicion bound", "[slow]") {
  SimCluster c(kNodes, /*seed=*/12, /*loss=*/0.01);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Minutes(3),
                     absl::Seconds(1)) < absl::Minutes(3));
  c.Crash(500);
  // n = 1000: min = 4 * log10(1000) * 1 s = 12 s, max = 6 * 12 = 72 s; the first failed
  // probe comes within a few seconds; the timeout shrinks towards min with k = 2
  // confirmations; gossip to 999 nodes adds a few seconds. Bound: max + 15 s.
  const absl::Duration took =
      c.RunUntil([&] { return c.CountSeeingGone("node-500") == c.LiveCount(); }, absl::Minutes(3));
  INFO("detection took " << absl::FormatDuration(took));
  CHECK(took < absl::Seconds(87));
  CHECK(c.FalseFailures() == 0);
}

TEST_CASE("sim large: 1000 nodes with one stalled node keep healthy nodes alive", "[slow]") {
  SimCluster c(kNodes, /*seed=*/13, /*loss=*/0.0);
  FormCluster(c);
  REQUIRE(c.RunUntil([&] { return c.Converged(c.LiveNames()); }, absl::Minutes(3),
                     absl::Seconds(1)) < absl::Minutes(3));
  for (int round = 0; round < 3; ++round) {
    c.net().Stall(c[77].address, absl::Seconds(15));
    c.Run(absl::Seconds(30));
  }
  c.Run(absl::Minutes(2));
  CHECK(c.FalseFailures({"node-77"}) == 0);
}

}  // namespace
}  // namespace cairn::gossip::testing
