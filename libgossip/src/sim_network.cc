// The simulated network: every delivery is a timer on the one SimulatedClock, every
// random choice comes from one seeded generator, so a run replays exactly. Per-node
// stalls are implemented by routing everything a node would run (its timers, its packet
// and stream deliveries) through NodeImpl::Run, which defers work while the node sleeps.
#include <deque>
#include <unordered_map>

#include <cairn/base/status.h>
#include <cairn/gossip/sim_network.h>

namespace cairn::gossip {

namespace {
using Fn = absl::AnyInvocable<void() &&>;
absl::Duration Since(base::TimePoint a, base::TimePoint b) { return absl::FromChrono(b - a); }
}  // namespace

class SimStream;

class SimNetwork::NodeImpl final : public SimNetwork::Endpoint,
                                   public Transport,
                                   public base::Clock {
 public:
  NodeImpl(SimNetwork& net, std::string address) : net_(net), address_(std::move(address)) {}

  Transport& transport() override { return *this; }
  base::Clock& clock() override { return *this; }
  const std::string& address() const override { return address_; }

  // ---- Transport
  void Start(Handlers handlers) override {
    handlers_ = std::move(handlers);
    started_ = true;
  }
  std::string LocalAddress() const override { return address_; }
  absl::Status SendPacket(std::string_view to, std::string packet) override;
  void DialStream(
      std::string_view to, absl::Duration timeout,
      absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Stream>>) &&> done) override;
  void Shutdown() override {
    started_ = false;
    handlers_ = {};
    ++generation_;  // pending dial callbacks from before are dropped
  }

  // ---- Clock (stall-aware)
  base::TimePoint Now() const override { return net_.clock_.Now(); }
  absl::Time WallNow() const override { return net_.clock_.WallNow(); }
  std::unique_ptr<base::Timer> After(base::Duration after, Fn fn) override;

  // Runs `fn` now, or when the current stall ends.
  void Run(Fn fn) {
    if (Now() < stalled_until_) {
      deferred_.push_back(std::move(fn));
      return;
    }
    std::move(fn)();
  }
  void StallFor(absl::Duration d) {
    const base::TimePoint until = Now() + absl::ToChronoNanoseconds(d);
    if (until <= stalled_until_) return;
    stalled_until_ = until;
    stall_timer_ = net_.clock_.After(until - Now(), [this] { Resume(); });
  }
  void Resume() {
    if (Now() < stalled_until_) return;
    std::deque<Fn> work = std::move(deferred_);
    deferred_.clear();
    while (!work.empty()) {
      Fn fn = std::move(work.front());
      work.pop_front();
      Run(std::move(fn));
    }
  }

  SimNetwork& net_;
  std::string address_;
  int group_ = 0;
  bool crashed_ = false;
  bool started_ = false;
  uint64_t generation_ = 0;
  Handlers handlers_;
  base::TimePoint stalled_until_{};
  std::deque<Fn> deferred_;
  std::unique_ptr<base::Timer> stall_timer_;
};

namespace {

// A node timer: the underlying clock timer runs the callback through the node's Run.
struct TimerSlot {
  bool cancelled = false;
  std::unique_ptr<base::Timer> inner;
};
class NodeTimer final : public base::Timer {
 public:
  explicit NodeTimer(std::shared_ptr<TimerSlot> slot) : slot_(std::move(slot)) {}
  ~NodeTimer() override { Cancel(); }
  void Cancel() override {
    if (!slot_) return;
    slot_->cancelled = true;
    slot_->inner.reset();
    slot_.reset();
  }

 private:
  std::shared_ptr<TimerSlot> slot_;
};

// Both ends of one simulated connection.
struct Pipe {
  struct End {
    SimNetwork::NodeImpl* owner = nullptr;
    bool destroyed = false;  // the Stream object is gone: drop its callbacks
    bool closed = false;     // the Stream was destroyed: the peer sees end of stream
    std::string inbox;
    absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> pending_read;
    uint64_t read_gen = 0;
    base::TimePoint deadline = base::TimePoint::max();
    base::TimePoint last_arrival{};  // bytes and the close towards this end stay in order
  };
  End ends[2];
};

}  // namespace

class SimStream final : public Stream {
 public:
  SimStream(SimNetwork& net, std::shared_ptr<Pipe> pipe, int side, std::string remote)
      : net_(net), pipe_(std::move(pipe)), side_(side), remote_(std::move(remote)) {}
  ~SimStream() override {
    Pipe::End& me = pipe_->ends[side_];
    me.destroyed = true;
    me.closed = true;
    me.pending_read = nullptr;
    // The peer notices the close after one network delay.
    std::shared_ptr<Pipe> pipe = pipe_;
    const int other = 1 - side_;
    net_.Schedule(InOrder(other), [pipe, other] { TryDeliver(pipe, other); });
  }

  void Write(std::string data, absl::AnyInvocable<void(absl::Status) &&> done) override {
    Pipe::End& me = pipe_->ends[side_];
    std::shared_ptr<Pipe> pipe = pipe_;
    const int side = side_;
    if (me.owner->Now() > me.deadline) {
      Finish(pipe, side, [done = std::move(done)]() mutable {
        std::move(done)(absl::DeadlineExceededError("i/o timeout"));
      });
      return;
    }
    const int other = 1 - side_;
    Pipe::End& peer = pipe_->ends[other];
    const bool reachable = Reachable(*me.owner, *peer.owner);
    net_.Schedule(InOrder(other), [pipe, other, reachable, data = std::move(data)] {
      // A partition or crash black-holes the bytes, as for a TCP peer that vanished.
      if (!reachable || pipe->ends[other].closed) return;
      pipe->ends[other].inbox += data;
      TryDeliver(pipe, other);
    });
    Finish(pipe, side, [done = std::move(done)]() mutable { std::move(done)(absl::OkStatus()); });
  }

  void Read(absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done) override {
    Pipe::End& me = pipe_->ends[side_];
    me.pending_read = std::move(done);
    const uint64_t gen = ++me.read_gen;
    std::shared_ptr<Pipe> pipe = pipe_;
    const int side = side_;
    net_.Schedule(absl::ZeroDuration(), [pipe, side] { TryDeliver(pipe, side); });
    if (me.deadline != base::TimePoint::max()) {
      const absl::Duration wait =
          std::max(absl::ZeroDuration(), Since(me.owner->Now(), me.deadline));
      net_.Schedule(wait + absl::Nanoseconds(1), [pipe, side, gen] {
        Pipe::End& e = pipe->ends[side];
        if (e.destroyed || e.read_gen != gen || !e.pending_read) return;
        auto cb = std::move(e.pending_read);
        e.pending_read = nullptr;
        e.owner->Run([pipe, side, cb = std::move(cb)]() mutable {
          if (pipe->ends[side].destroyed) return;
          std::move(cb)(absl::DeadlineExceededError("i/o timeout"));
        });
      });
    }
  }

  void SetDeadline(absl::Duration from_now) override {
    Pipe::End& me = pipe_->ends[side_];
    me.deadline = me.owner->Now() + absl::ToChronoNanoseconds(from_now);
  }
  std::string RemoteAddress() const override { return remote_; }

  // Hands buffered bytes (or end of stream) to a pending read on `side`.
  static void TryDeliver(const std::shared_ptr<Pipe>& pipe, int side) {
    Pipe::End& e = pipe->ends[side];
    if (e.destroyed || !e.pending_read) return;
    absl::StatusOr<std::string> result;
    if (!e.inbox.empty()) {
      result = std::move(e.inbox);
      e.inbox.clear();
    } else if (pipe->ends[1 - side].closed) {
      result = absl::OutOfRangeError("end of stream");
    } else {
      return;
    }
    auto cb = std::move(e.pending_read);
    e.pending_read = nullptr;
    e.owner->Run([pipe, side, cb = std::move(cb), result = std::move(result)]() mutable {
      if (pipe->ends[side].destroyed) return;
      std::move(cb)(std::move(result));
    });
  }

 private:
  absl::Duration Delay();
  // A delay that keeps deliveries towards `side` in FIFO order, as TCP does.
  absl::Duration InOrder(int side) {
    Pipe::End& e = pipe_->ends[side];
    const base::TimePoint now = e.owner->Now();
    base::TimePoint at = now + absl::ToChronoNanoseconds(Delay());
    if (at < e.last_arrival) at = e.last_arrival;
    e.last_arrival = at;
    return absl::FromChrono(at - now);
  }
  bool Reachable(const SimNetwork::NodeImpl& a, const SimNetwork::NodeImpl& b);
  static void Finish(std::shared_ptr<Pipe> pipe, int side, Fn fn) {
    SimNetwork::NodeImpl* owner = pipe->ends[side].owner;
    owner->net_.Schedule(absl::ZeroDuration(), [pipe, side, owner, fn = std::move(fn)]() mutable {
      owner->Run([pipe, side, fn = std::move(fn)]() mutable {
        if (pipe->ends[side].destroyed) return;
        std::move(fn)();
      });
    });
  }

  SimNetwork& net_;
  std::shared_ptr<Pipe> pipe_;
  int side_;
  std::string remote_;
};

// ---- the network

struct SimNetwork::Pending {
  std::unordered_map<uint64_t, std::unique_ptr<base::Timer>> timers;
  uint64_t next = 0;
};

void SimNetwork::Schedule(absl::Duration d, Fn fn) {
  const uint64_t id = ++pending_->next;
  Pending* p = pending_.get();
  p->timers[id] = clock_.After(absl::ToChronoNanoseconds(d), [p, id, fn = std::move(fn)]() mutable {
    auto it = p->timers.find(id);
    std::unique_ptr<base::Timer> self = std::move(it->second);
    p->timers.erase(it);
    std::move(fn)();
  });
}

absl::Duration SimStream::Delay() { return net_.RandomDelay(); }
bool SimStream::Reachable(const SimNetwork::NodeImpl& a, const SimNetwork::NodeImpl& b) {
  return net_.Reachable(a, b);
}

SimNetwork::SimNetwork(base::SimulatedClock& clock, Options options)
    : clock_(clock), options_(options), rng_(options.seed), pending_(std::make_unique<Pending>()) {}

SimNetwork::~SimNetwork() {
  // Cancel in-flight deliveries before the nodes they point at go away.
  pending_.reset();
  nodes_.clear();
}

SimNetwork::Endpoint& SimNetwork::AddNode(std::string address) {
  CAIRN_CHECK_MSG(!nodes_.contains(address), "duplicate simulated address {}", address);
  auto node = std::make_unique<NodeImpl>(*this, address);
  NodeImpl& ref = *node;
  nodes_.emplace(std::move(address), std::move(node));
  return ref;
}

void SimNetwork::SetLoss(double loss) { options_.loss = loss; }

void SimNetwork::Partition(const std::vector<std::vector<std::string>>& groups) {
  for (auto& [addr, n] : nodes_) n->group_ = 0;
  int g = 0;
  for (const auto& group : groups) {
    ++g;
    for (const std::string& addr : group) {
      if (auto it = nodes_.find(addr); it != nodes_.end()) it->second->group_ = g;
    }
  }
}

void SimNetwork::Heal() {
  for (auto& [addr, n] : nodes_) n->group_ = 0;
}

void SimNetwork::Crash(std::string_view address) {
  if (auto it = nodes_.find(address); it != nodes_.end()) it->second->crashed_ = true;
}
void SimNetwork::Restart(std::string_view address) {
  if (auto it = nodes_.find(address); it != nodes_.end()) it->second->crashed_ = false;
}
void SimNetwork::Stall(std::string_view address, absl::Duration d) {
  if (auto it = nodes_.find(address); it != nodes_.end()) it->second->StallFor(d);
}

bool SimNetwork::Reachable(const NodeImpl& from, const NodeImpl& to) const {
  return !from.crashed_ && !to.crashed_ && from.group_ == to.group_;
}

absl::Duration SimNetwork::RandomDelay() {
  const int64_t lo = absl::ToInt64Nanoseconds(options_.min_delay);
  const int64_t hi = std::max(lo, absl::ToInt64Nanoseconds(options_.max_delay));
  return absl::Nanoseconds(std::uniform_int_distribution<int64_t>(lo, hi)(rng_));
}

bool SimNetwork::Lose() {
  if (options_.loss <= 0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.loss;
}

// ---- node transport and clock

absl::Status SimNetwork::NodeImpl::SendPacket(std::string_view to, std::string packet) {
  if (!started_) return absl::FailedPreconditionError("transport is shut down");
  auto it = net_.nodes_.find(to);
  ++net_.counters_.packets_sent;
  net_.counters_.bytes_sent += packet.size();
  if (it == net_.nodes_.end()) {
    ++net_.counters_.packets_lost;  // nobody there: UDP is silently lost
    return absl::OkStatus();
  }
  NodeImpl* dest = it->second.get();
  if (!net_.Reachable(*this, *dest) || net_.Lose()) {
    ++net_.counters_.packets_lost;
    return absl::OkStatus();
  }
  net_.Schedule(net_.RandomDelay(), [this, dest, packet = std::move(packet)]() mutable {
    // Reachability is checked again on arrival: a crash in flight loses the packet.
    if (!net_.Reachable(*this, *dest)) return;
    dest->Run([this, dest, packet = std::move(packet)] {
      if (!dest->started_ || !dest->handlers_.packet) return;
      ++net_.counters_.packets_delivered;
      dest->handlers_.packet(address_, packet);
    });
  });
  return absl::OkStatus();
}

void SimNetwork::NodeImpl::DialStream(
    std::string_view to, absl::Duration timeout,
    absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Stream>>) &&> done) {
  const uint64_t gen = generation_;
  auto fail = [this, gen](absl::Duration after, absl::Status s, auto done) {
    net_.Schedule(after, [this, gen, s, done = std::move(done)]() mutable {
      Run([this, gen, s, done = std::move(done)]() mutable {
        if (generation_ != gen || !started_) return;
        std::move(done)(s);
      });
    });
  };
  auto it = net_.nodes_.find(to);
  if (it == net_.nodes_.end() || !net_.Reachable(*this, *it->second)) {
    return fail(timeout, absl::DeadlineExceededError(fmt::format("dial tcp {}: i/o timeout", to)),
                std::move(done));
  }
  NodeImpl* dest = it->second.get();
  ++net_.counters_.streams_opened;
  const absl::Duration there = net_.RandomDelay();
  const absl::Duration back = net_.RandomDelay();
  net_.Schedule(there, [this, dest, gen, back, timeout, done = std::move(done)]() mutable {
    if (!net_.Reachable(*this, *dest) || !dest->started_ || !dest->handlers_.stream) {
      const bool refused = net_.Reachable(*this, *dest);
      net_.Schedule(refused ? back : timeout,
                    [this, gen, refused, done = std::move(done)]() mutable {
                      Run([this, gen, refused, done = std::move(done)]() mutable {
                        if (generation_ != gen || !started_) return;
                        std::move(done)(refused ? absl::UnavailableError("connection refused")
                                                : absl::DeadlineExceededError("i/o timeout"));
                      });
                    });
      return;
    }
    auto pipe = std::make_shared<Pipe>();
    pipe->ends[0].owner = this;
    pipe->ends[1].owner = dest;
    dest->Run([dest, pipe, from = address_, &net = net_] {
      if (!dest->started_ || !dest->handlers_.stream) {
        pipe->ends[1].closed = true;
        return;
      }
      dest->handlers_.stream(std::make_unique<SimStream>(net, pipe, 1, from));
    });
    net_.Schedule(back, [this, gen, pipe, to = dest->address_, done = std::move(done)]() mutable {
      Run([this, gen, pipe, to, done = std::move(done)]() mutable {
        if (generation_ != gen || !started_) return;
        std::move(done)(std::unique_ptr<Stream>(std::make_unique<SimStream>(net_, pipe, 0, to)));
      });
    });
  });
}

std::unique_ptr<base::Timer> SimNetwork::NodeImpl::After(base::Duration after, Fn fn) {
  auto slot = std::make_shared<TimerSlot>();
  std::weak_ptr<TimerSlot> weak = slot;
  slot->inner = net_.clock_.After(after, [this, weak, fn = std::move(fn)]() mutable {
    Run([weak, fn = std::move(fn)]() mutable {
      auto s = weak.lock();
      if (!s || s->cancelled) return;
      s->cancelled = true;  // one-shot
      std::move(fn)();
    });
  });
  return std::make_unique<NodeTimer>(std::move(slot));
}

}  // namespace cairn::gossip
