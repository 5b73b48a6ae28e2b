// cairn/base/real_clock.h — the Clock of a running agent, on Boost.Asio timers.
//
// Example:
//
//   cairn::base::EventLoop loop(2);
//   auto strand = loop.MakeStrand();
//   cairn::base::RealClock clock(strand);
//   auto timer = clock.After(std::chrono::milliseconds(50), [] { /* runs on strand */ });
//
// Timer callbacks run on the executor given to the constructor, so a component that owns
// a strand gets callbacks serialized with the rest of its work.
#ifndef CAIRN_BASE_REAL_CLOCK_H_
#define CAIRN_BASE_REAL_CLOCK_H_

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include <cairn/base/clock.h>

namespace cairn::base {

// Monotonic time from std::chrono::steady_clock, wall time from absl::Now(), timers on
// boost::asio::steady_timer. Thread-safe: Now(), WallNow() and After() may be called from
// any thread. Cancel() guarantees the callback will not start only when called on the
// clock's executor (the usual case: the owner's strand).
class RealClock final : public Clock {
 public:
  // `executor` runs every timer callback; it must outlive the pending timers' callbacks.
  explicit RealClock(boost::asio::any_io_executor executor);

  TimePoint Now() const override;
  absl::Time WallNow() const override;
  [[nodiscard]] std::unique_ptr<Timer> After(Duration after,
                                             absl::AnyInvocable<void() &&> fn) override;

 private:
  boost::asio::any_io_executor executor_;
};

}  // namespace cairn::base

#endif  // CAIRN_BASE_REAL_CLOCK_H_
