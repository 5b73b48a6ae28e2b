// cairn/base/event_loop.h — the I/O event loop: a Boost.Asio io_context run by a small
// thread pool, strands for components, and signal handling.
//
// Example:
//
//   cairn::base::EventLoop loop(2);                  // two threads run the io_context
//   auto strand = loop.MakeStrand();                 // one per component
//   boost::asio::post(strand, [] { /* serialized with everything else on strand */ });
//   cairn::base::SignalHandler signals(loop.context(), {SIGINT, SIGTERM},
//                                      [&](int sig) { loop.Stop(); });
//   loop.Start();
//   loop.Wait();                                     // until Stop()
//
// Threading: the pool threads run every handler; code that touches a component's state runs
// on that component's strand (ARCHITECTURE.md, "Threading").
#ifndef CAIRN_BASE_EVENT_LOOP_H_
#define CAIRN_BASE_EVENT_LOOP_H_

#include <atomic>
#include <csignal>
#include <initializer_list>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <absl/functional/any_invocable.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

namespace cairn::base {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// Owns an io_context and the threads that run it. Start() and Stop() may be called from any
// thread except Stop()/Wait() from a pool thread, which would join itself; Stop() from a
// handler is allowed (it only signals) but then call Wait() from outside.
class EventLoop {
 public:
  // `threads` >= 1 pool threads; they start in Start().
  explicit EventLoop(int threads = 1);
  // Stops and joins the pool.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  boost::asio::io_context& context() { return context_; }
  boost::asio::any_io_executor executor() { return context_.get_executor(); }
  Strand MakeStrand() { return boost::asio::make_strand(context_); }

  // Starts the pool threads; the loop then runs until Stop(), even with no work pending.
  // Calling Start() twice does nothing the second time.
  void Start();
  // Asks the loop to stop: pending handlers are abandoned, running ones finish. Safe from
  // any thread, including pool threads, and more than once.
  void Stop();
  // Blocks until every pool thread has returned (after Stop()). Not from a pool thread.
  void Wait();
  // True from Start() until Stop().
  bool running() const;

 private:
  boost::asio::io_context context_;
  int thread_count_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::atomic<bool> running_{false};
};

// Calls `fn(signal_number)` on `executor` each time one of `signals` arrives, until
// destroyed. Typical: SIGINT/SIGTERM to shut down, SIGHUP to reload. At most one
// SignalHandler per signal number per process.
class SignalHandler {
 public:
  SignalHandler(boost::asio::any_io_executor executor, std::initializer_list<int> signals,
                absl::AnyInvocable<void(int)> fn);
  ~SignalHandler();
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cairn::base

#endif  // CAIRN_BASE_EVENT_LOOP_H_
