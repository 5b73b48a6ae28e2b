// Memberlist lifecycle and public calls (memberlist.go): Create/setAlive, Join, Leave,
// UpdateNode, sends and member listings.
#include <algorithm>
#include <random>

#include <cairn/base/status.h>

#include "memberlist_impl.h"

namespace cairn::gossip {

std::string Node::Address() const { return JoinHostPort(addr, port); }

// ---- options

Memberlist::Options Memberlist::Options::LAN(std::string name) {
  Options o;
  o.name = std::move(name);
  return o;
}

Memberlist::Options Memberlist::Options::WAN(std::string name) {
  Options o = LAN(std::move(name));
  o.tcp_timeout = absl::Seconds(30);
  o.suspicion_mult = 6;
  o.push_pull_interval = absl::Seconds(60);
  o.probe_timeout = absl::Seconds(3);
  o.probe_interval = absl::Seconds(5);
  o.gossip_nodes = 4;
  o.gossip_interval = absl::Milliseconds(500);
  o.gossip_to_the_dead_time = absl::Seconds(60);
  return o;
}

Memberlist::Options Memberlist::Options::Local(std::string name) {
  Options o = LAN(std::move(name));
  o.tcp_timeout = absl::Seconds(1);
  o.indirect_checks = 1;
  o.retransmit_mult = 2;
  o.suspicion_mult = 3;
  o.push_pull_interval = absl::Seconds(15);
  o.probe_timeout = absl::Milliseconds(200);
  o.probe_interval = absl::Seconds(1);
  o.gossip_interval = absl::Milliseconds(100);
  o.gossip_to_the_dead_time = absl::Seconds(15);
  return o;
}

// ---- Impl basics

namespace {
uint64_t SeedFrom(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace

Memberlist::Impl::Impl(Options options, Transport& transport, base::Clock& clock,
                       Delegates delegates)
    : opts_(std::move(options)),
      transport_(transport),
      clock_(clock),
      d_(delegates),
      log_(opts_.logger ? *opts_.logger : base::LogSystem::Default().Get("memberlist")),
      rng_(SeedFrom(opts_.random_seed)),
      awareness_(opts_.awareness_max_multiplier),
      broadcasts_(opts_.retransmit_mult) {}

Memberlist::Impl::~Impl() {
  Shutdown();
  // Callbacks queued in the broadcast queue must not run into a half-destroyed object.
  leave_notify_ = nullptr;
}

absl::Time Memberlist::Impl::Now() const {
  return absl::UnixEpoch() + absl::FromChrono(clock_.Now().time_since_epoch());
}

std::unique_ptr<base::Timer> Memberlist::Impl::After(absl::Duration d,
                                                     absl::AnyInvocable<void() &&> fn) {
  return clock_.After(absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration())), std::move(fn));
}

void Memberlist::Impl::Post(absl::AnyInvocable<void() &&> fn) {
  const uint64_t id = ++next_posted_;
  posted_[id] = After(absl::ZeroDuration(), [this, id, fn = std::move(fn)]() mutable {
    auto it = posted_.find(id);
    std::unique_ptr<base::Timer> self = std::move(it->second);
    posted_.erase(it);
    std::move(fn)();
  });
}

absl::Status Memberlist::Impl::Start() {
  if (opts_.name.empty()) return absl::InvalidArgumentError("memberlist: a node name is required");
  if (opts_.protocol_version < kProtocolVersionMin ||
      opts_.protocol_version > kProtocolVersionMax) {
    return absl::InvalidArgumentError(fmt::format(
        "Protocol version '{}' too {}. Must be in range: [{}, {}]", opts_.protocol_version,
        opts_.protocol_version < kProtocolVersionMin ? "low" : "high", kProtocolVersionMin,
        kProtocolVersionMax));
  }
  if (opts_.label.size() > kMaxLabelLength) {
    return absl::InvalidArgumentError("memberlist: label is longer than 255 bytes");
  }
  if (opts_.probe_interval <= absl::ZeroDuration() ||
      opts_.gossip_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("memberlist: probe and gossip intervals must be positive");
  }
  if (opts_.udp_buffer_size < 64) {
    return absl::InvalidArgumentError("memberlist: udp_buffer_size below 64 bytes");
  }
  std::string host;
  uint16_t port = 0;
  CAIRN_RETURN_IF_ERROR(SplitHostPort(transport_.LocalAddress(), &host, &port));
  adv_addr_ = opts_.advertise_addr.empty() ? host : opts_.advertise_addr;
  adv_port_ = opts_.advertise_port == 0 ? port : opts_.advertise_port;
  absl::StatusOr<std::string> raw = IpToBytes(adv_addr_);
  if (!raw.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("memberlist: advertise address '{}' is not an IP address", adv_addr_));
  }
  if (*raw == std::string(4, '\0') || *raw == std::string(16, '\0')) {
    return absl::InvalidArgumentError(
        "memberlist: cannot advertise an unspecified address (0.0.0.0 or ::); set advertise_addr");
  }
  adv_addr_bytes_ = *raw;
  std::string meta;
  if (d_.delegate != nullptr) {
    meta = d_.delegate->NodeMeta(kMetaMaxSize);
    if (meta.size() > kMetaMaxSize) {
      return absl::InvalidArgumentError(fmt::format(
          "Node meta data provided is longer than the limit ({} > {})", meta.size(), kMetaMaxSize));
    }
  }

  transport_.Start(Transport::Handlers{
      .packet = [this](std::string_view from,
                       std::string_view packet) { IngestPacket(from, packet); },
      .stream = [this](std::unique_ptr<Stream> s) { HandleStream(std::move(s)); },
  });

  // setAlive: our own alive, through the same path as everyone else's (bootstrap).
  AliveNode(Alive{.incarnation = NextIncarnation(),
                  .node = opts_.name,
                  .addr = adv_addr_bytes_,
                  .port = adv_port_,
                  .meta = meta,
                  .vsn = VsnBytes()},
            /*bootstrap=*/true);

  // schedule(): each periodic task starts after a random stagger within its interval.
  auto stagger = [this](absl::Duration interval) {
    return absl::Nanoseconds(std::uniform_int_distribution<int64_t>(
        0, std::max<int64_t>(0, absl::ToInt64Nanoseconds(interval) - 1))(rng_));
  };
  ScheduleProbe(stagger(opts_.probe_interval));
  gossip_timer_ = After(stagger(opts_.gossip_interval), [this] { GossipTick(); });
  if (opts_.push_pull_interval > absl::ZeroDuration()) {
    push_pull_timer_ = After(stagger(opts_.push_pull_interval), [this] { PushPullTick(); });
  }
  return absl::OkStatus();
}

void Memberlist::Impl::Shutdown() {
  if (shutdown_) return;
  shutdown_ = true;
  transport_.Shutdown();
  probe_timer_.reset();
  gossip_timer_.reset();
  push_pull_timer_.reset();
  growth_timer_.reset();
  followup_timers_.clear();
  probe_.reset();
  ack_handlers_.clear();
  exchanges_.clear();
  for (auto& [name, e] : node_map_) e->suspicion_timer.reset();
}

// ---- join

struct JoinState {
  std::vector<std::string> addresses;
  size_t next = 0;
  int joined = 0;
  absl::Status last_error;
  absl::AnyInvocable<void(absl::StatusOr<int>) &&> done;
};

void Memberlist::Impl::Join(std::vector<std::string> existing,
                            absl::AnyInvocable<void(absl::StatusOr<int>) &&> done) {
  auto js = std::make_shared<JoinState>();
  js->addresses = std::move(existing);
  js->done = std::move(done);
  Post([this, js] { JoinNext(js); });
}

void Memberlist::Impl::JoinNext(std::shared_ptr<JoinState> js) {
  if (shutdown_) {
    js->last_error = absl::FailedPreconditionError("memberlist is shut down");
    js->next = js->addresses.size();
  }
  if (js->next >= js->addresses.size()) {
    if (js->joined > 0) ScheduleJoinFollowups();
    if (!js->done) return;
    if (js->joined == 0 && !js->last_error.ok()) {
      std::move(js->done)(js->last_error);
    } else {
      std::move(js->done)(js->joined);
    }
    return;
  }
  std::string spec = js->addresses[js->next++];
  // "name/addr": memberlist 0.2.2 uses the name only for logs; strip it.
  if (size_t slash = spec.find('/'); slash != std::string::npos) spec = spec.substr(slash + 1);
  std::string host;
  uint16_t port = 0;
  std::string address;
  if (SplitHostPort(spec, &host, &port).ok()) {
    address = JoinHostPort(host, port);
  } else if (IpToBytes(spec).ok()) {
    address = JoinHostPort(spec, adv_port_);
  } else if (spec.size() > 2 && spec.front() == '[' && spec.back() == ']' &&
             IpToBytes(spec.substr(1, spec.size() - 2)).ok()) {
    address = JoinHostPort(spec.substr(1, spec.size() - 2), adv_port_);
  } else {
    js->last_error = absl::InvalidArgumentError(
        fmt::format("Failed to resolve {}: not an IP address (resolve names before Join)", spec));
    log_.Warn("{}", js->last_error.message());
    Post([this, js] { JoinNext(js); });
    return;
  }
  PushPullNode(address, /*join=*/true, [this, js, address](absl::Status s) {
    if (s.ok()) {
      ++js->joined;
    } else {
      js->last_error =
          absl::Status(s.code(), fmt::format("Failed to join {}: {}", address, s.message()));
      log_.Warn("{}", js->last_error.message());
    }
    JoinNext(js);
  });
}

// ---- leave and update

namespace {
// Runs `done` once: from the broadcast's completion or from the timeout, whichever first.
struct OnceDone {
  absl::AnyInvocable<void(absl::Status) &&> done;
  std::unique_ptr<base::Timer> timer;
  void Fire(absl::Status s) {
    timer.reset();
    if (done) std::move(done)(std::move(s));
    done = nullptr;
  }
};
}  // namespace

void Memberlist::Impl::Leave(absl::Duration timeout,
                             absl::AnyInvocable<void(absl::Status) &&> done) {
  if (left_ || shutdown_) {
    if (done) Post([done = std::move(done)]() mutable { std::move(done)(absl::OkStatus()); });
    return;
  }
  left_ = true;
  NodeEntry* me = Self();
  auto once = std::make_shared<OnceDone>();
  once->done = std::move(done);
  const bool wait = AnyAlive();
  if (wait) {
    leave_notify_ = [this, once] { Post([once] { once->Fire(absl::OkStatus()); }); };
    once->timer = After(timeout, [once] {
      once->Fire(absl::DeadlineExceededError("timeout waiting for leave broadcast"));
    });
  }
  DeadNode(Dead{.incarnation = me->node.incarnation, .node = me->node.name, .from = me->node.name});
  leave_notify_ = nullptr;
  if (!wait) Post([once] { once->Fire(absl::OkStatus()); });
}

void Memberlist::Impl::UpdateNode(absl::Duration timeout,
                                  absl::AnyInvocable<void(absl::Status) &&> done) {
  auto once = std::make_shared<OnceDone>();
  once->done = std::move(done);
  if (shutdown_) {
    Post([once] { once->Fire(absl::FailedPreconditionError("memberlist is shut down")); });
    return;
  }
  std::string meta;
  if (d_.delegate != nullptr) {
    meta = d_.delegate->NodeMeta(kMetaMaxSize);
    if (meta.size() > kMetaMaxSize) {
      Post([once, n = meta.size()] {
        once->Fire(absl::InvalidArgumentError(fmt::format(
            "Node meta data provided is longer than the limit ({} > {})", n, kMetaMaxSize)));
      });
      return;
    }
  }
  const bool wait = AnyAlive();
  absl::AnyInvocable<void()> notify;
  if (wait) {
    notify = [this, once] { Post([once] { once->Fire(absl::OkStatus()); }); };
    once->timer = After(timeout, [once] {
      once->Fire(absl::DeadlineExceededError("timeout waiting for update broadcast"));
    });
  }
  AliveNode(Alive{.incarnation = NextIncarnation(),
                  .node = opts_.name,
                  .addr = adv_addr_bytes_,
                  .port = adv_port_,
                  .meta = meta,
                  .vsn = VsnBytes()},
            /*bootstrap=*/true, std::move(notify));
  if (!wait) Post([once] { once->Fire(absl::OkStatus()); });
}

absl::Status Memberlist::Impl::SendUser(std::string_view address, const Node* node,
                                        std::string_view msg) {
  if (shutdown_) return absl::FailedPreconditionError("memberlist is shut down");
  std::string framed(1, static_cast<char>(MessageType::kUser));
  framed.append(msg);
  (void)node;
  return SendMsg(address, std::move(framed));
}

// ---- listings

std::vector<Node> Memberlist::Impl::Members() const {
  std::vector<Node> out;
  for (const NodeEntry* e : nodes_) {
    if (!e->DeadOrLeft()) out.push_back(e->node);
  }
  return out;
}

int Memberlist::Impl::NumMembers() const {
  int n = 0;
  for (const NodeEntry* e : nodes_) n += e->DeadOrLeft() ? 0 : 1;
  return n;
}

std::vector<Node> Memberlist::Impl::AllNodes() const {
  std::vector<Node> out;
  out.reserve(nodes_.size());
  for (const NodeEntry* e : nodes_) out.push_back(e->node);
  return out;
}

Node Memberlist::Impl::LocalNode() const { return node_map_.find(opts_.name)->second->node; }

std::optional<Node> Memberlist::Impl::Find(std::string_view name) const {
  auto it = node_map_.find(name);
  if (it == node_map_.end()) return std::nullopt;
  return it->second->node;
}

// ---- the public facade

Memberlist::Memberlist(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Memberlist::~Memberlist() = default;

absl::StatusOr<std::unique_ptr<Memberlist>> Memberlist::Create(Options options,
                                                               Transport& transport,
                                                               base::Clock& clock,
                                                               Delegates delegates) {
  auto impl = std::make_unique<Impl>(std::move(options), transport, clock, delegates);
  CAIRN_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Memberlist>(new Memberlist(std::move(impl)));
}

void Memberlist::Join(std::vector<std::string> existing,
                      absl::AnyInvocable<void(absl::StatusOr<int>) &&> done) {
  impl_->Join(std::move(existing), std::move(done));
}
void Memberlist::Leave(absl::Duration timeout, absl::AnyInvocable<void(absl::Status) &&> done) {
  impl_->Leave(timeout, std::move(done));
}
void Memberlist::Shutdown() { impl_->Shutdown(); }
void Memberlist::UpdateNode(absl::Duration timeout,
                            absl::AnyInvocable<void(absl::Status) &&> done) {
  impl_->UpdateNode(timeout, std::move(done));
}
absl::Status Memberlist::SendBestEffort(const Node& to, std::string_view msg) {
  return impl_->SendUser(to.Address(), &to, msg);
}
absl::Status Memberlist::SendToAddress(std::string_view address, std::string_view msg) {
  return impl_->SendUser(address, nullptr, msg);
}
void Memberlist::SendReliable(const Node& to, std::string msg,
                              absl::AnyInvocable<void(absl::Status) &&> done) {
  impl_->SendReliable(to, std::move(msg), std::move(done));
}
std::vector<Node> Memberlist::Members() const { return impl_->Members(); }
int Memberlist::NumMembers() const { return impl_->NumMembers(); }
std::vector<Node> Memberlist::AllNodes() const { return impl_->AllNodes(); }
Node Memberlist::LocalNode() const { return impl_->LocalNode(); }
std::optional<Node> Memberlist::Find(std::string_view name) const { return impl_->Find(name); }
int Memberlist::GetHealthScore() const { return impl_->awareness_.score(); }
uint8_t Memberlist::ProtocolVersion() const { return impl_->opts_.protocol_version; }
bool Memberlist::has_left() const { return impl_->left_; }
bool Memberlist::has_shutdown() const { return impl_->shutdown_; }
Memberlist::Stats Memberlist::stats() const { return impl_->stats_; }
Keyring* Memberlist::keyring() { return impl_->opts_.keyring ? &*impl_->opts_.keyring : nullptr; }
const Keyring* Memberlist::keyring() const {
  return impl_->opts_.keyring ? &*impl_->opts_.keyring : nullptr;
}

}  // namespace cairn::gossip
