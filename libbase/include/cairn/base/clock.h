// cairn/base/clock.h — monotonic time and one-shot timers, real or simulated.
//
// Every component that needs time takes a `Clock&` from its creator instead of reading a
// global clock, so the same code runs under real time in the agent and under simulated
// time in tests. Pure protocol cores (Raft, SWIM) take no clock at all: their runtimes turn
// a Clock into ticks.
//
// Example (a test):
//
//   cairn::base::SimulatedClock clock;
//   bool fired = false;
//   auto timer = clock.After(std::chrono::seconds(2), [&] { fired = true; });
//   clock.Advance(std::chrono::seconds(1));   // fired == false
//   clock.Advance(std::chrono::seconds(1));   // fired == true, Now() moved by 2s in all
//
// The real clock lives in <cairn/base/real_clock.h> because it needs Boost.Asio.
#ifndef CAIRN_BASE_CLOCK_H_
#define CAIRN_BASE_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include <absl/functional/any_invocable.h>
#include <absl/time/time.h>

namespace cairn::base {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A pending one-shot timer. Destroying the Timer cancels it. Cancel() after the callback
// has run, or twice, does nothing.
class Timer {
 public:
  virtual ~Timer() = default;
  // After Cancel() returns the callback will not start, provided Cancel() is called on the
  // executor the callback runs on (for SimulatedClock: the thread driving it).
  virtual void Cancel() = 0;
};

// Source of monotonic time and timers. Implementations document which thread runs timer
// callbacks; callbacks must not block.
class Clock {
 public:
  virtual ~Clock() = default;

  // Monotonic time: never goes backwards; only differences are meaningful.
  virtual TimePoint Now() const = 0;

  // Wall-clock time, for timestamps shown to people and carried in messages. May jump.
  virtual absl::Time WallNow() const = 0;

  // Runs `fn` once, no earlier than `after` from Now(). A negative or zero `after` runs it
  // at the next opportunity, never inline. Keep the returned Timer alive: destroying it
  // cancels the callback.
  [[nodiscard]] virtual std::unique_ptr<Timer> After(Duration after,
                                                     absl::AnyInvocable<void() &&> fn) = 0;
};

// A clock whose time moves only when the test says so. Timers fire inside Advance(),
// AdvanceTo() and RunNext(), on the calling thread, in deadline order (ties: the order in
// which they were scheduled), with Now() equal to each timer's deadline while it runs.
// Timers scheduled by a callback fire in the same Advance() if they fall due within it.
//
// Not thread-safe: one thread drives the clock and everything scheduled on it, which is
// what makes a simulation deterministic. Timers may outlive the clock (they then do
// nothing).
class SimulatedClock final : public Clock {
 public:
  // Starts at `start` (monotonic) and `wall_start` (wall time).
  explicit SimulatedClock(TimePoint start = TimePoint(std::chrono::hours(24)),
                          absl::Time wall_start = absl::FromUnixSeconds(1'767'225'600));
  ~SimulatedClock() override;
  SimulatedClock(const SimulatedClock&) = delete;
  SimulatedClock& operator=(const SimulatedClock&) = delete;

  TimePoint Now() const override;
  absl::Time WallNow() const override;
  [[nodiscard]] std::unique_ptr<Timer> After(Duration after,
                                             absl::AnyInvocable<void() &&> fn) override;

  // Moves time forward by `d` (>= 0), firing every timer that falls due on the way.
  void Advance(Duration d);
  // Moves time forward to `t`; a `t` in the past only fires timers already due.
  void AdvanceTo(TimePoint t);
  // Jumps to the earliest pending timer and fires it (and any others due at that same
  // instant). Returns false, changing nothing, when no timer is pending.
  bool RunNext();
  // The deadline of the earliest pending timer, if any.
  std::optional<TimePoint> NextDeadline() const;
  // Number of timers scheduled and not yet fired or cancelled.
  std::size_t PendingTimers() const;

  struct State;  // Implementation detail, shared with the timers it hands out.

 private:
  std::shared_ptr<State> state_;
};

}  // namespace cairn::base

#endif  // CAIRN_BASE_CLOCK_H_
