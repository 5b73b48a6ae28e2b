#include <vector>

#include <catch2/catch.hpp>

#include <cairn/base/clock.h>

namespace cairn::base {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("SimulatedClock fires timers only when advanced, in deadline order", "[unit]") {
  SimulatedClock clock;
  TimePoint start = clock.Now();
  std::vector<int> order;
  std::vector<Duration> when;
  auto t3 = clock.After(seconds(3), [&] {
    order.push_back(3);
    when.push_back(clock.Now() - start);
  });
  auto t1 = clock.After(seconds(1), [&] {
    order.push_back(1);
    when.push_back(clock.Now() - start);
  });
  auto t2 = clock.After(seconds(2), [&] {
    order.push_back(2);
    when.push_back(clock.Now() - start);
  });
  REQUIRE(clock.PendingTimers() == 3);
  clock.Advance(milliseconds(999));
  REQUIRE(order.empty());
  clock.Advance(seconds(2));
  REQUIRE(order == std::vector<int>{1, 2});
  REQUIRE(when == std::vector<Duration>{seconds(1), seconds(2)});
  REQUIRE(clock.Now() - start == milliseconds(2999));
  clock.Advance(seconds(10));
  REQUIRE(order == std::vector<int>{1, 2, 3});
  REQUIRE(clock.PendingTimers() == 0);
}

TEST_CASE("SimulatedClock ties fire in scheduling order", "[unit]") {
  SimulatedClock clock;
  std::vector<int> order;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < 5; ++i)
    timers.push_back(clock.After(seconds(1), [&, i] { order.push_back(i); }));
  clock.Advance(seconds(1));
  REQUIRE(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("Cancelled and destroyed timers never fire", "[unit]") {
  SimulatedClock clock;
  int fired = 0;
  auto a = clock.After(seconds(1), [&] { ++fired; });
  {
    auto b = clock.After(seconds(1), [&] { fired += 10; });
  }
  a->Cancel();
  a->Cancel();
  clock.Advance(seconds(5));
  REQUIRE(fired == 0);
  REQUIRE_FALSE(clock.RunNext());
}

TEST_CASE("Timers scheduled by callbacks fire within the same Advance", "[unit]") {
  SimulatedClock clock;
  std::vector<std::unique_ptr<Timer>> timers;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    timers.push_back(clock.After(milliseconds(100), tick));
  };
  timers.push_back(clock.After(milliseconds(100), tick));
  clock.Advance(seconds(1));
  REQUIRE(ticks == 10);
  REQUIRE(clock.NextDeadline().has_value());
}

TEST_CASE("RunNext jumps to the next deadline and WallNow follows Now", "[unit]") {
  SimulatedClock clock;
  absl::Time wall0 = clock.WallNow();
  bool fired = false;
  auto t = clock.After(std::chrono::hours(2), [&] { fired = true; });
  REQUIRE(clock.RunNext());
  REQUIRE(fired);
  REQUIRE(clock.WallNow() - wall0 == absl::Hours(2));
  REQUIRE_FALSE(clock.RunNext());
}

TEST_CASE("Zero and negative delays fire at the next advance, not inline", "[unit]") {
  SimulatedClock clock;
  bool fired = false;
  auto t = clock.After(milliseconds(-5), [&] { fired = true; });
  REQUIRE_FALSE(fired);
  clock.Advance(Duration::zero());
  REQUIRE(fired);
}

TEST_CASE("Timers may outlive the clock", "[unit]") {
  std::unique_ptr<Timer> t;
  {
    SimulatedClock clock;
    t = clock.After(seconds(1), [] {});
  }
  t->Cancel();
  t.reset();
  SUCCEED("cancelling after the clock is gone is a no-op");
}

}  // namespace
}  // namespace cairn::base
