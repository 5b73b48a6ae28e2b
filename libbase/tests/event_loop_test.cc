#include <atomic>
#include <future>

#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <cairn/base/event_loop.h>
#include <cairn/base/real_clock.h>

namespace cairn::base {
namespace {

TEST_CASE("Strand handlers run serialized on the pool", "[unit]") {
  EventLoop loop(2);
  loop.Start();
  auto strand = loop.MakeStrand();
  int counter = 0;  // touched only on the strand
  std::promise<void> done;
  constexpr int kN = 10000;
  for (int i = 0; i < kN; ++i) {
    boost::asio::post(strand, [&, i] {
      ++counter;
      if (i == kN - 1) done.set_value();
    });
  }
  done.get_future().wait();
  CHECK(counter == kN);
  loop.Stop();
  loop.Wait();
  CHECK_FALSE(loop.running());
}

TEST_CASE("RealClock timers fire on their executor and cancel", "[unit]") {
  EventLoop loop(1);
  loop.Start();
  auto strand = loop.MakeStrand();
  RealClock clock(strand);
  std::promise<TimePoint> fired;
  TimePoint start = clock.Now();
  auto t = clock.After(std::chrono::milliseconds(5), [&] { fired.set_value(clock.Now()); });
  std::atomic<bool> cancelled_ran{false};
  auto c = clock.After(std::chrono::milliseconds(1), [&] { cancelled_ran = true; });
  std::promise<void> cancelled;
  boost::asio::post(strand, [&] {
    c->Cancel();
    cancelled.set_value();
  });
  cancelled.get_future().wait();
  TimePoint at = fired.get_future().get();
  CHECK(at - start >= std::chrono::milliseconds(5));
  CHECK_FALSE(cancelled_ran);
  CHECK(clock.WallNow() > absl::FromUnixSeconds(1'600'000'000));
}

TEST_CASE("SignalHandler delivers signals on the loop", "[unit]") {
  EventLoop loop(1);
  std::promise<int> got;
  SignalHandler handler(loop.executor(), {SIGUSR1}, [&](int sig) { got.set_value(sig); });
  loop.Start();
  std::raise(SIGUSR1);
  CHECK(got.get_future().get() == SIGUSR1);
}

TEST_CASE("Stop from inside a handler, then Wait from outside", "[unit]") {
  EventLoop loop(2);
  loop.Start();
  boost::asio::post(loop.context(), [&] { loop.Stop(); });
  loop.Wait();
  CHECK_FALSE(loop.running());
  loop.Start();  // restartable
  std::promise<void> ran;
  boost::asio::post(loop.context(), [&] { ran.set_value(); });
  ran.get_future().wait();
}

}  // namespace
}  // namespace cairn::base
