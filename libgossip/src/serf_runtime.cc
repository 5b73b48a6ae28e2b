// Serf runtime: SerfCore wired to a Memberlist's delegates, a clock and the files.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include <cairn/base/log.h>
#include <cairn/gossip/serf_coalesce.h>
#include <cairn/gossip/serf_runtime.h>
#include <cairn/gossip/serf_snapshot.h>

#include "serf_util.h"
#include <fcntl.h>
#include <unistd.h>

namespace cairn::gossip {
namespace {

constexpr Duration kTickInterval = std::chrono::milliseconds(100);
constexpr Duration kSnapshotFlushInterval = std::chrono::milliseconds(500);

base::Logger& Log() {
  static base::Logger log = base::LogSystem::Default().Get("serf");
  return log;
}

absl::Duration ToAbsl(Duration d) { return absl::Nanoseconds(d.count()); }

SerfNodeInfo ToInfo(const Node& n) {
  return SerfNodeInfo{.name = n.name,
                      .addr = serf_internal::IpBytes(n.addr),
                      .port = n.port,
                      .meta = n.meta,
                      .pmin = n.pmin,
                      .pmax = n.pmax,
                      .pcur = n.pcur,
                      .dmin = n.dmin,
                      .dmax = n.dmax,
                      .dcur = n.dcur,
                      .left = n.state == NodeState::kLeft};
}

// Writes the keyring file as serf does: a JSON array of base64 keys, primary first.
absl::Status WriteKeyringFile(const std::string& path, const Keyring& ring) {
  std::string text = "[";
  for (const std::string& k : ring.KeysBase64()) {
    text += fmt::format("{}\n  \"{}\"", text.size() > 1 ? "," : "", k);
  }
  text += "\n]\n";
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::InternalError(fmt::format("open {}: {}", tmp, std::strerror(errno)));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(fmt::format("write {}: {}", path, std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

class Serf::Impl final : public Delegate,
                         public EventDelegate,
                         public ConflictDelegate,
                         public MergeDelegate,
                         public SerfHost {
 public:
  Impl(Options opts, base::Clock& clock, SerfEventSink sink)
      : opts_(std::move(opts)), clock_(clock), sink_(std::move(sink)) {}

  // ---- memberlist Delegate.
  std::string NodeMeta(size_t limit) override { return core_->NodeMeta(limit); }
  void NotifyMsg(std::string_view msg) override { core_->NotifyMsg(msg, clock_.Now()); }
  std::vector<std::string> GetBroadcasts(size_t overhead, size_t limit) override {
    return core_->GetBroadcasts(overhead, limit);
  }
  std::string LocalState(bool join) override { return core_->LocalState(join); }
  void MergeRemoteState(std::string_view buf, bool join) override {
    core_->MergeRemoteState(buf, join, clock_.Now());
  }
  // ---- EventDelegate, ConflictDelegate, MergeDelegate.
  void NotifyJoin(const Node& n) override { core_->NotifyJoin(ToInfo(n), clock_.Now()); }
  void NotifyLeave(const Node& n) override { core_->NotifyLeave(ToInfo(n), clock_.Now()); }
  void NotifyUpdate(const Node& n) override { core_->NotifyUpdate(ToInfo(n), clock_.Now()); }
  void NotifyConflict(const Node& existing, const Node& other) override {
    core_->NotifyConflict(ToInfo(existing), ToInfo(other), clock_.Now());
  }
  absl::Status NotifyMerge(const std::vector<Node>& peers) override {
    std::vector<SerfNodeInfo> infos;
    for (const Node& n : peers) infos.push_back(ToInfo(n));
    return core_->NotifyMerge(infos);
  }

  // ---- SerfHost.
  void SendToAddress(const std::string& ip, uint16_t port, const std::string&,
                     std::string msg) override {
    if (!ml_) return;
    absl::Status s = ml_->SendToAddress(serf_internal::HostPort(ip, port), msg);
    if (!s.ok())
      Log().Error("failed to send to {}: {}", serf_internal::HostPort(ip, port), s.ToString());
  }
  int NumMembers() const override { return ml_ ? ml_->NumMembers() : 1; }
  void Join(std::vector<std::string> addresses) override {
    // Not re-entrant into memberlist from inside its callbacks: run it from a timer.
    Defer([this, addresses = std::move(addresses)]() mutable {
      ml_->Join(std::move(addresses), [](absl::StatusOr<int>) {});
    });
  }
  absl::Status UpdateMeta(std::string) override {
    Defer([this] { ml_->UpdateNode(ToAbsl(opts_.broadcast_timeout), nullptr); });
    return absl::OkStatus();
  }
  Keyring* keyring() override { return ml_ ? ml_->keyring() : nullptr; }
  absl::Status KeyringChanged() override {
    if (opts_.keyring_file.empty() || keyring() == nullptr) return absl::OkStatus();
    return WriteKeyringFile(opts_.keyring_file, *keyring());
  }
  void ConflictLost() override {
    Defer([this] { Stop(); });
  }

  // ---- runtime.
  void Defer(absl::AnyInvocable<void() &&> fn) {
    auto fired = std::make_shared<bool>(false);
    deferred_.emplace_back(fired,
                           clock_.After(Duration::zero(), [fired, fn = std::move(fn)]() mutable {
                             *fired = true;
                             std::move(fn)();
                           }));
  }

  void OnEvent(SerfEvent e) {
    if (snapshot_) snapshot_->Record(e);
    if (coalescer_) {
      for (SerfEvent& out : coalescer_->Add(std::move(e), clock_.Now())) Deliver(std::move(out));
    } else {
      Deliver(std::move(e));
    }
  }
  void Deliver(SerfEvent e) {
    if (sink_) sink_(std::move(e));
  }

  void ScheduleTick() {
    tick_timer_ = clock_.After(kTickInterval, [this]() { OnTick(); });
  }
  void OnTick() {
    if (stopped_) return;
    TimePoint now = clock_.Now();
    core_->Tick(now);
    if (coalescer_) {
      for (SerfEvent& e : coalescer_->Flush(now)) Deliver(std::move(e));
    }
    if (snapshot_ && now >= next_snapshot_flush_) {
      next_snapshot_flush_ = now + kSnapshotFlushInterval;
      snapshot_->UpdateClock(core_->clock());
      absl::Status s = snapshot_->Flush();
      if (!s.ok()) Log().Error("failed to write snapshot: {}", s.ToString());
    }
    // Timers that already fired are done; drop their handles.
    std::erase_if(deferred_, [](const auto& d) { return *d.first; });
    ScheduleTick();
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    tick_timer_.reset();
    if (snapshot_) (void)snapshot_->Flush();
    if (ml_) ml_->Shutdown();
  }

  Options opts_;
  base::Clock& clock_;
  SerfEventSink sink_;
  std::unique_ptr<SerfCore> core_;
  std::unique_ptr<Memberlist> ml_;
  std::unique_ptr<SerfSnapshot> snapshot_;
  std::unique_ptr<EventCoalescer> coalescer_;
  std::unique_ptr<base::Timer> tick_timer_;
  std::vector<std::pair<std::shared_ptr<bool>, std::unique_ptr<base::Timer>>> deferred_;
  std::vector<std::unique_ptr<base::Timer>> leave_timers_;
  TimePoint next_snapshot_flush_{};
  bool stopped_ = false;
};

absl::StatusOr<std::unique_ptr<Serf>> Serf::Create(Options options, Transport& transport,
                                                   base::Clock& clock, SerfEventSink sink) {
  auto impl = std::make_unique<Impl>(std::move(options), clock, std::move(sink));
  Impl* im = impl.get();
  Options& o = im->opts_;
  if (o.serf.node_name.empty()) o.serf.node_name = o.memberlist.name;
  if (o.memberlist.name.empty()) o.memberlist.name = o.serf.node_name;
  if (o.serf.node_name != o.memberlist.name) {
    return absl::InvalidArgumentError("serf and memberlist node names differ");
  }
  // Where queries ask to be answered: the advertised address, else the transport's.
  std::string host = o.memberlist.advertise_addr;
  uint16_t port = o.memberlist.advertise_port;
  if (host.empty() || port == 0) {
    std::string local = transport.LocalAddress();
    std::string lhost;
    uint16_t lport = 0;
    if (absl::Status s = SplitHostPort(local, &lhost, &lport); !s.ok()) return s;
    if (host.empty()) host = lhost;
    if (port == 0) port = lport;
  }
  o.serf.advertise_ip = serf_internal::IpBytes(host);
  o.serf.advertise_port = port;
  if (o.serf.advertise_ip.empty()) {
    return absl::InvalidArgumentError(fmt::format("cannot parse advertise address {}", host));
  }
  // serf messages are few and small: even with the local profile (2) they are sent at
  // least as often as on a LAN (4), so an event or query reaches small pools reliably.
  o.serf.retransmit_mult = std::max(o.memberlist.retransmit_mult, 4);
  o.serf.gossip_interval = Duration(absl::ToInt64Nanoseconds(o.memberlist.gossip_interval));
  o.memberlist.delegate_protocol_version = o.serf.protocol_version;
  o.memberlist.delegate_protocol_min = kSerfProtocolMin;
  o.memberlist.delegate_protocol_max = kSerfProtocolMax;

  if (!o.snapshot_path.empty()) {
    absl::StatusOr<std::unique_ptr<SerfSnapshot>> snap =
        SerfSnapshot::Open(o.snapshot_path, o.rejoin_after_leave);
    if (!snap.ok()) return snap.status();
    im->snapshot_ = *std::move(snap);
  }
  if (o.coalesce_period > Duration::zero()) {
    im->coalescer_ = std::make_unique<EventCoalescer>(o.coalesce_period, o.quiescent_period);
  }
  im->core_ = std::make_unique<SerfCore>(
      o.serf, *im, [im](SerfEvent e) { im->OnEvent(std::move(e)); }, clock.Now());
  if (im->snapshot_) {
    const SnapshotState& prev = im->snapshot_->previous();
    im->core_->RestoreClocks(prev.clock, prev.event_clock, prev.query_clock);
  }
  Delegates d{.delegate = im, .events = im, .conflict = im, .merge = im};
  absl::StatusOr<std::unique_ptr<Memberlist>> ml =
      Memberlist::Create(o.memberlist, transport, clock, d);
  if (!ml.ok()) return ml.status();
  im->ml_ = *std::move(ml);
  if (!im->core_->Member(o.serf.node_name)) {
    im->core_->NotifyJoin(ToInfo(im->ml_->LocalNode()), clock.Now());
  }
  im->ScheduleTick();
  std::unique_ptr<Serf> serf(new Serf(std::move(impl)));
  if (im->snapshot_) {
    std::vector<std::string> prev = im->snapshot_->RejoinAddresses(o.serf.node_name);
    if (!prev.empty()) {
      Log().Info("re-joining {} previously known members", prev.size());
      serf->Join(std::move(prev), false, [](absl::StatusOr<int> n) {
        if (!n.ok())
          Log().Warn("failed to re-join any previously known node: {}", n.status().ToString());
      });
    }
  }
  return serf;
}

Serf::Serf(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)), core_(impl_->core_.get()), ml_(impl_->ml_.get()) {}

Serf::~Serf() {
  impl_->Stop();
  // The memberlist goes first: it calls into the core until it is gone.
  impl_->ml_.reset();
}

void Serf::Join(std::vector<std::string> addresses, bool ignore_old,
                absl::AnyInvocable<void(absl::StatusOr<int>) &&> done) {
  Impl* im = impl_.get();
  core_->set_ignore_events_on_join(ignore_old);
  ml_->Join(std::move(addresses), [im, done = std::move(done)](absl::StatusOr<int> n) mutable {
    im->core_->set_ignore_events_on_join(false);
    if (n.ok() && *n > 0) im->core_->BroadcastJoinIntent();
    std::move(done)(std::move(n));
  });
}

void Serf::Leave(absl::AnyInvocable<void(absl::Status) &&> done) {
  Impl* im = impl_.get();
  if (im->snapshot_) {
    if (absl::Status s = im->snapshot_->Leave(); !s.ok()) {
      Log().Error("failed to record the leave in the snapshot: {}", s.ToString());
    }
  }
  auto shared_done = std::make_shared<absl::AnyInvocable<void(absl::Status) &&>>(std::move(done));
  auto started = std::make_shared<bool>(false);
  // After the serf intent went out (or BroadcastTimeout), memberlist's dead-self, then
  // LeavePropagateDelay so that we keep answering probes while the news spreads.
  auto memberlist_leave = [im, shared_done, started]() {
    if (*started) return;
    *started = true;
    im->ml_->Leave(ToAbsl(im->opts_.broadcast_timeout), [im, shared_done](absl::Status s) mutable {
      im->leave_timers_.push_back(im->clock_.After(im->opts_.leave_propagate_delay,
                                                   [im, shared_done, s = std::move(s)]() mutable {
                                                     im->core_->LeaveDone();
                                                     if (*shared_done)
                                                       std::move (*shared_done)(std::move(s));
                                                   }));
    });
  };
  absl::Status s = core_->Leave([im, memberlist_leave] { im->Defer(memberlist_leave); });
  if (!s.ok()) {
    std::move (*shared_done)(s);
    return;
  }
  im->leave_timers_.push_back(im->clock_.After(im->opts_.broadcast_timeout, memberlist_leave));
}

void Serf::Shutdown() { impl_->Stop(); }

absl::Status Serf::UserEvent(std::string_view name, std::optional<std::string> payload,
                             bool coalesce) {
  return core_->UserEvent(name, std::move(payload), coalesce, impl_->clock_.Now());
}

absl::StatusOr<uint32_t> Serf::Query(std::string_view name, std::optional<std::string> payload,
                                     QueryParams params, QueryCallbacks callbacks) {
  return core_->Query(name, std::move(payload), std::move(params), std::move(callbacks),
                      impl_->clock_.Now());
}

absl::Status Serf::Respond(const IncomingQuery& query, std::optional<std::string> payload) {
  return core_->Respond(query, std::move(payload), impl_->clock_.Now());
}

absl::Status Serf::SetTags(TagList tags) { return core_->SetTags(std::move(tags)); }

absl::Status Serf::KeyOperation(KeyOp op, std::string_view key_b64,
                                absl::AnyInvocable<void(KeyOpResult)> on_done) {
  return core_->KeyOperation(op, key_b64, 0, std::move(on_done), impl_->clock_.Now());
}

std::vector<SerfMember> Serf::Members() const { return core_->Members(); }

}  // namespace cairn::gossip
