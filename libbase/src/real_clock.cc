#include <atomic>

#include <absl/time/clock.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cairn/base/real_clock.h>

namespace cairn::base {
namespace {

// The asio timer and the callback live in shared state kept alive by the pending wait, so
// destroying the Timer handle never frees memory the completion handler still touches.
struct TimerState {
  explicit TimerState(boost::asio::any_io_executor ex) : timer(ex) {}
  boost::asio::steady_timer timer;
  std::atomic<bool> cancelled{false};
  absl::AnyInvocable<void() &&> fn;
};

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(std::shared_ptr<TimerState> s) : state_(std::move(s)) {}
  ~AsioTimer() override { Cancel(); }
  void Cancel() override {
    if (!state_) return;
    state_->cancelled.store(true, std::memory_order_release);
    // steady_timer::cancel is not thread-safe against the handler; post it to the
    // timer's executor. The flag above already stops the callback from running.
    boost::asio::post(state_->timer.get_executor(), [s = state_] { s->timer.cancel(); });
    state_.reset();
  }

 private:
  std::shared_ptr<TimerState> state_;
};

}  // namespace

RealClock::RealClock(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

TimePoint RealClock::Now() const { return std::chrono::steady_clock::now(); }

absl::Time RealClock::WallNow() const { return absl::Now(); }

std::unique_ptr<Timer> RealClock::After(Duration after, absl::AnyInvocable<void() &&> fn) {
  auto state = std::make_shared<TimerState>(executor_);
  state->fn = std::move(fn);
  state->timer.expires_after(after < Duration::zero() ? Duration::zero() : after);
  state->timer.async_wait([state](const boost::system::error_code& ec) {
    if (ec || state->cancelled.load(std::memory_order_acquire)) return;
    auto fn = std::move(state->fn);
    std::move(fn)();
  });
  return std::make_unique<AsioTimer>(std::move(state));
}

}  // namespace cairn::base
