// Lifeguard pieces: local health awareness, suspicion timeouts that shrink with
// independent confirmations, and the timing formulas memberlist uses (values checked
// against memberlist 0.2.2's definitions in util.go and suspicion.go).
#include <catch2/catch.hpp>

#include <cairn/gossip/awareness.h>
#include <cairn/gossip/suspicion.h>

namespace cairn::gossip {
namespace {

TEST_CASE("awareness score is clamped to [0, max-1] and scales timeouts", "[unit]") {
  Awareness a(8);
  CHECK(a.score() == 0);
  a.ApplyDelta(-1);
  CHECK(a.score() == 0);
  a.ApplyDelta(3);
  CHECK(a.score() == 3);
  CHECK(a.ScaleTimeout(absl::Milliseconds(500)) == absl::Seconds(2));
  a.ApplyDelta(100);
  CHECK(a.score() == 7);
  CHECK(a.ScaleTimeout(absl::Seconds(1)) == absl::Seconds(8));
  Awareness none(0);
  none.ApplyDelta(5);
  CHECK(none.ScaleTimeout(absl::Seconds(1)) == absl::Seconds(1));
}

TEST_CASE("suspicion timeout grows with log10 of the cluster size", "[unit]") {
  // suspicionTimeout(3, n, 1s) / 3 for n = 5, 10, 50, 100, 500, 1000.
  const std::pair<int, int64_t> cases[] = {{5, 1000},   {10, 1000},  {50, 1698},
                                           {100, 2000}, {500, 2698}, {1000, 3000}};
  for (const auto& [n, ms] : cases) {
    INFO("n = " << n);
    CHECK(SuspicionTimeout(3, n, absl::Seconds(1)) / 3 == absl::Milliseconds(ms));
  }
  // LAN default: SuspicionMult 4, ProbeInterval 1 s, 3 nodes -> 4 s.
  CHECK(SuspicionTimeout(4, 3, absl::Seconds(1)) == absl::Seconds(4));
}

TEST_CASE("remaining suspicion time shrinks with confirmations", "[unit]") {
  struct Case {
    int n, k;
    absl::Duration elapsed, want;
  };
  const absl::Duration min = absl::Seconds(2), max = absl::Seconds(30);
  const Case cases[] = {
      {0, 3, absl::ZeroDuration(), absl::Seconds(30)},
      {1, 3, absl::Seconds(2), absl::Seconds(14)},
      {2, 3, absl::Seconds(3), absl::Milliseconds(4810)},
      {3, 3, absl::Seconds(4), absl::Seconds(-2)},
      {4, 3, absl::Seconds(5), absl::Seconds(-3)},
      {5, 3, absl::Seconds(10), absl::Seconds(-8)},
  };
  for (const Case& c : cases) {
    INFO("n = " << c.n);
    CHECK(RemainingSuspicionTime(c.n, c.k, c.elapsed, min, max) == c.want);
  }
}

TEST_CASE("suspicion: deadline starts at max, confirmations pull it in, k caps them", "[unit]") {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  Suspicion s("a", 3, absl::Seconds(2), absl::Seconds(30), t0);
  CHECK(s.deadline() == t0 + absl::Seconds(30));
  CHECK(!s.Confirm("a", t0));  // the original suspector does not count
  CHECK(s.Confirm("b", t0 + absl::Seconds(2)));
  CHECK(s.deadline() == t0 + absl::Seconds(16));  // 14 s left after 2 s
  CHECK(!s.Confirm("b", t0 + absl::Seconds(3)));  // repeated
  CHECK(s.Confirm("c", t0 + absl::Seconds(3)));
  CHECK(s.deadline() == t0 + absl::Milliseconds(7810));
  CHECK(s.Confirm("d", t0 + absl::Seconds(4)));
  CHECK(s.deadline() == t0 + absl::Seconds(4));  // min reached in the past: fire now
  CHECK(s.confirmations() == 3);
  CHECK(!s.Confirm("e", t0 + absl::Seconds(4)));  // k reached
  // With k < 1 the minimum applies from the start.
  Suspicion small("a", 0, absl::Seconds(2), absl::Seconds(30), t0);
  CHECK(small.deadline() == t0 + absl::Seconds(2));
  CHECK(!small.Confirm("b", t0));
}

}  // namespace
}  // namespace cairn::gossip
