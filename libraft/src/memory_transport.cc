#include <atomic>
#include <condition_variable>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <cairn/raft/memory_transport.h>

namespace cairn::raft {

// Counters outlive the network: a delayed delivery may still run after it is gone.
struct MemoryNetwork::Counters {
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> dropped{0};
};

struct MemoryNetwork::Endpoint : std::enable_shared_from_this<Endpoint> {
  Endpoint(boost::asio::any_io_executor ex, ServerId id, std::string address,
           std::shared_ptr<Counters> counters)
      : id(id),
        address(std::move(address)),
        strand(boost::asio::make_strand(ex)),
        counters(std::move(counters)) {}

  // Runs `fn` (a receiver or unreachable call) unless stopped; Stop waits for it.
  template <typename F>
  bool Call(F&& fn) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (!started || stopped) return false;
      ++active;
    }
    fn();
    std::lock_guard<std::mutex> l(mu);
    if (--active == 0) cv.notify_all();
    return true;
  }

  void Deliver(Message msg) {
    if (Call([&] { receiver(std::move(msg)); })) {
      counters->delivered.fetch_add(1, std::memory_order_relaxed);
    } else {
      counters->dropped.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void ReportUnreachable(ServerId to) {
    boost::asio::post(strand, [self = shared_from_this(), to] {
      self->Call([&] {
        if (self->unreachable) self->unreachable(to);
      });
    });
  }

  const ServerId id;
  const std::string address;
  boost::asio::strand<boost::asio::any_io_executor> strand;
  std::shared_ptr<Counters> counters;

  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  bool stopped = false;
  int active = 0;
  Transport::Receiver receiver;
  Transport::UnreachableHandler unreachable;
  std::map<ServerId, std::string> peers;
};

class MemoryTransport final : public Transport {
 public:
  MemoryTransport(MemoryNetwork* net, std::shared_ptr<MemoryNetwork::Endpoint> ep)
      : net_(net), ep_(std::move(ep)) {}
  ~MemoryTransport() override {
    Stop();
    net_->Unregister(ep_.get());
  }

  absl::Status Start(Receiver receiver, UnreachableHandler unreachable) override {
    std::lock_guard<std::mutex> l(ep_->mu);
    if (ep_->started) return absl::FailedPreconditionError("memory transport: already started");
    ep_->receiver = std::move(receiver);
    ep_->unreachable = std::move(unreachable);
    ep_->started = true;
    return absl::OkStatus();
  }

  void Stop() override {
    std::unique_lock<std::mutex> l(ep_->mu);
    ep_->stopped = true;
    ep_->cv.wait(l, [&] { return ep_->active == 0; });
  }

  void SetPeers(std::map<ServerId, std::string> peers) override {
    std::lock_guard<std::mutex> l(ep_->mu);
    ep_->peers = std::move(peers);
  }

  void Send(std::vector<Message> messages) override {
    for (Message& m : messages) {
      std::string to_address;
      {
        std::lock_guard<std::mutex> l(ep_->mu);
        if (ep_->stopped) return;
        auto it = ep_->peers.find(m.to);
        if (it != ep_->peers.end()) to_address = it->second;
      }
      if (to_address.empty()) {
        ep_->counters->dropped.fetch_add(1, std::memory_order_relaxed);
        ep_->ReportUnreachable(m.to);
        continue;
      }
      net_->Route(ep_, std::move(m), to_address);
    }
  }

  std::string LocalAddress() const override { return ep_->address; }

 private:
  MemoryNetwork* net_;
  std::shared_ptr<MemoryNetwork::Endpoint> ep_;
};

MemoryNetwork::MemoryNetwork(boost::asio::any_io_executor executor, uint64_t seed)
    : executor_(std::move(executor)), rng_(seed), counters_(std::make_shared<Counters>()) {}

MemoryNetwork::~MemoryNetwork() = default;

std::unique_ptr<Transport> MemoryNetwork::CreateTransport(ServerId id, std::string address) {
  auto ep = std::make_shared<Endpoint>(executor_, id, address, counters_);
  std::lock_guard<std::mutex> l(mu_);
  endpoints_[address] = ep;
  return std::make_unique<MemoryTransport>(this, std::move(ep));
}

void MemoryNetwork::Unregister(const Endpoint* endpoint) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = endpoints_.find(endpoint->address);
  if (it == endpoints_.end()) return;
  std::shared_ptr<Endpoint> live = it->second.lock();
  if (live == nullptr || live.get() == endpoint) endpoints_.erase(it);
}

void MemoryNetwork::Route(const std::shared_ptr<Endpoint>& sender, Message msg,
                          const std::string& to_address) {
  std::shared_ptr<Endpoint> dest;
  std::chrono::milliseconds delay{0};
  bool drop = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = endpoints_.find(to_address);
    if (it != endpoints_.end()) dest = it->second.lock();
    if (dest == nullptr || dest->id != msg.to) {
      dest = nullptr;
    } else if (isolated_.contains(sender->id) || isolated_.contains(msg.to) ||
               blocked_.contains({sender->id, msg.to}) ||
               (loss_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < loss_) ||
               (filter_ && !filter_(msg))) {
      drop = true;
    } else if (delay_max_.count() > 0) {
      delay = std::chrono::milliseconds(
          std::uniform_int_distribution<int64_t>(delay_min_.count(), delay_max_.count())(rng_));
    }
  }
  if (dest == nullptr) {
    counters_->dropped.fetch_add(1, std::memory_order_relaxed);
    sender->ReportUnreachable(msg.to);
    return;
  }
  if (drop) {
    counters_->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto deliver = [dest, msg = std::move(msg)]() mutable { dest->Deliver(std::move(msg)); };
  if (delay.count() == 0) {
    boost::asio::post(dest->strand, std::move(deliver));
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(executor_, delay);
  timer->async_wait(boost::asio::bind_executor(
      dest->strand, [timer, deliver = std::move(deliver)](
                        const boost::system::error_code&) mutable { deliver(); }));
}

void MemoryNetwork::Isolate(ServerId id) {
  std::lock_guard<std::mutex> l(mu_);
  isolated_.insert(id);
}

void MemoryNetwork::Reconnect(ServerId id) {
  std::lock_guard<std::mutex> l(mu_);
  isolated_.erase(id);
}

void MemoryNetwork::Block(ServerId from, ServerId to) {
  std::lock_guard<std::mutex> l(mu_);
  blocked_.insert({from, to});
}

void MemoryNetwork::Unblock(ServerId from, ServerId to) {
  std::lock_guard<std::mutex> l(mu_);
  blocked_.erase({from, to});
}

void MemoryNetwork::Heal() {
  std::lock_guard<std::mutex> l(mu_);
  isolated_.clear();
  blocked_.clear();
  loss_ = 0;
  delay_min_ = delay_max_ = std::chrono::milliseconds(0);
  filter_ = nullptr;
}

void MemoryNetwork::SetLoss(double p) {
  std::lock_guard<std::mutex> l(mu_);
  loss_ = p;
}

void MemoryNetwork::SetDelay(std::chrono::milliseconds min, std::chrono::milliseconds max) {
  std::lock_guard<std::mutex> l(mu_);
  delay_min_ = min;
  delay_max_ = std::max(min, max);
}

void MemoryNetwork::SetFilter(Filter filter) {
  std::lock_guard<std::mutex> l(mu_);
  filter_ = std::move(filter);
}

uint64_t MemoryNetwork::delivered() const { return counters_->delivered.load(); }
uint64_t MemoryNetwork::dropped() const { return counters_->dropped.load(); }

}  // namespace cairn::raft
