#include <cairn/base/event_loop.h>
#include <cairn/base/status.h>

namespace cairn::base {

EventLoop::EventLoop(int threads) : thread_count_(threads) {
  CAIRN_CHECK_MSG(threads >= 1, "EventLoop needs at least one thread, got {}", threads);
}

EventLoop::~EventLoop() {
  Stop();
  Wait();
}

void EventLoop::Start() {
  if (running_.exchange(true)) return;
  if (context_.stopped()) context_.restart();
  work_.emplace(context_.get_executor());
  threads_.reserve(static_cast<std::size_t>(thread_count_));
  for (int i = 0; i < thread_count_; ++i) {
    threads_.emplace_back([this] { context_.run(); });
  }
}

void EventLoop::Stop() {
  running_.store(false);
  // io_context::stop is thread-safe; the work guard is reset in Wait() on the owner's
  // thread, since executor_work_guard is not.
  context_.stop();
}

void EventLoop::Wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  work_.reset();
}

bool EventLoop::running() const { return running_.load(); }

struct SignalHandler::State {
  explicit State(boost::asio::any_io_executor ex) : set(ex) {}
  boost::asio::signal_set set;
  absl::AnyInvocable<void(int)> fn;
  std::atomic<bool> stopped{false};

  static void Arm(const std::shared_ptr<State>& self) {
    self->set.async_wait([self](const boost::system::error_code& ec, int sig) {
      if (ec || self->stopped.load()) return;
      self->fn(sig);
      Arm(self);
    });
  }
};

SignalHandler::SignalHandler(boost::asio::any_io_executor executor,
                             std::initializer_list<int> signals, absl::AnyInvocable<void(int)> fn)
    : state_(std::make_shared<State>(std::move(executor))) {
  state_->fn = std::move(fn);
  for (int s : signals) {
    boost::system::error_code ec;
    state_->set.add(s, ec);
    CAIRN_CHECK_MSG(!ec, "cannot handle signal {}: {}", s, ec.message());
  }
  State::Arm(state_);
}

SignalHandler::~SignalHandler() {
  state_->stopped.store(true);
  boost::asio::post(state_->set.get_executor(), [s = state_] {
    boost::system::error_code ec;
    s->set.cancel(ec);
    s->set.clear(ec);
  });
}

}  // namespace cairn::base
