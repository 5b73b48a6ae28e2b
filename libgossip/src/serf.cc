// The serf member table, intents, user events and the memberlist delegate hooks
// (serf.go, delegate.go, event_delegate.go). Queries live in serf_query.cc.
#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include <cairn/base/log.h>
#include <cairn/gossip/serf.h>

#include "serf_util.h"

namespace cairn::gossip {
namespace {

base::Logger& Log() {
  static base::Logger log = base::LogSystem::Default().Get("serf");
  return log;
}

// Hard cap for user events, whatever the configuration says (serf UserEventSizeLimit).
constexpr size_t kUserEventSaneLimit = 9 * 1024;

SerfMember ToMember(const SerfNodeInfo& n, TagList tags, MemberStatus status) {
  return SerfMember{.name = n.name,
                    .addr = n.addr,
                    .port = n.port,
                    .tags = std::move(tags),
                    .status = status,
                    .protocol_min = n.pmin,
                    .protocol_max = n.pmax,
                    .protocol_cur = n.pcur,
                    .delegate_min = n.dmin,
                    .delegate_max = n.dmax,
                    .delegate_cur = n.dcur};
}

void Erase(std::vector<std::string>& list, const std::string& name) {
  list.erase(std::remove(list.begin(), list.end(), name), list.end());
}

}  // namespace

std::string_view MemberEventName(MemberEventType t) {
  switch (t) {
    case MemberEventType::kJoin:
      return "member-join";
    case MemberEventType::kLeave:
      return "member-leave";
    case MemberEventType::kFailed:
      return "member-failed";
    case MemberEventType::kUpdate:
      return "member-update";
    case MemberEventType::kReap:
      return "member-reap";
  }
  return "unknown";
}

std::string_view MemberStatusName(MemberStatus s) {
  switch (s) {
    case MemberStatus::kNone:
      return "none";
    case MemberStatus::kAlive:
      return "alive";
    case MemberStatus::kLeaving:
      return "leaving";
    case MemberStatus::kLeft:
      return "left";
    case MemberStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

SerfCore::SerfCore(SerfConfig config, SerfHost& host, SerfEventSink sink, TimePoint now,
                   uint64_t seed)
    : config_(std::move(config)),
      host_(host),
      sink_(std::move(sink)),
      rng_(seed),
      event_buffer_(config_.event_buffer_size),
      query_buffer_(config_.query_buffer_size),
      broadcasts_(config_.retransmit_mult),
      event_broadcasts_(config_.retransmit_mult),
      query_broadcasts_(config_.retransmit_mult),
      next_reap_(now + config_.reap_interval),
      next_reconnect_(now + config_.reconnect_interval) {
  // serf starts every clock at 1 so that 0 can mean "never".
  clock_.Increment();
  event_clock_.Increment();
  query_clock_.Increment();
  absl::StatusOr<std::string> meta = EncodeTags(config_.tags);
  if (meta.ok()) {
    meta_ = *std::move(meta);
  } else {
    Log().Error("{}; announcing no tags", meta.status().ToString());
    config_.tags.clear();
    meta_ = *EncodeTags({});
  }
}

SerfCore::~SerfCore() = default;

int SerfCore::NumNodes() const { return std::max(1, host_.NumMembers()); }

void SerfCore::Emit(MemberEventType type, const SerfMember& m) {
  static constexpr std::string_view kNames[] = {"Join", "Leave", "Failed", "Update", "Reap"};
  Log().Info("EventMember{}: {} {}", kNames[static_cast<int>(type)], m.name,
             serf_internal::IpText(m.addr));
  if (sink_) sink_(MemberEvent{type, {m}});
}

void SerfCore::Broadcast(BroadcastQueue& q, std::string msg, absl::AnyInvocable<void()> done) {
  q.Queue(std::move(msg), {}, std::move(done));
}

TagList SerfCore::DecodeTagsOrEmpty(std::string_view meta) const {
  absl::StatusOr<TagList> tags = DecodeTags(meta);
  if (!tags.ok()) {
    Log().Warn("failed to decode tags: {}", tags.status().ToString());
    return {};
  }
  return *std::move(tags);
}

// ---- memberlist event delegate.

void SerfCore::NotifyJoin(const SerfNodeInfo& n, TimePoint now) {
  auto it = members_.find(n.name);
  MemberStatus old = MemberStatus::kNone;
  if (it == members_.end()) {
    MemberState st{ToMember(n, DecodeTagsOrEmpty(n.meta), MemberStatus::kAlive)};
    // An intent that arrived before the node did takes effect now.
    if (auto in = recent_intents_.find(n.name); in != recent_intents_.end()) {
      st.status_ltime = in->second.ltime;
      if (in->second.type == SerfMessageType::kLeave) st.member.status = MemberStatus::kLeaving;
    }
    it = members_.emplace(n.name, std::move(st)).first;
  } else {
    old = it->second.member.status;
    MemberState& st = it->second;
    st.member = ToMember(n, DecodeTagsOrEmpty(n.meta), MemberStatus::kAlive);
    st.leave_time = TimePoint{};
  }
  if (old == MemberStatus::kFailed || old == MemberStatus::kLeft) {
    Erase(failed_members_, n.name);
    Erase(left_members_, n.name);
  }
  Emit(MemberEventType::kJoin, it->second.member);
}

void SerfCore::NotifyLeave(const SerfNodeInfo& n, TimePoint now) {
  auto it = members_.find(n.name);
  if (it == members_.end()) return;
  MemberState& st = it->second;
  switch (st.member.status) {
    case MemberStatus::kAlive:
      if (!n.left) {
        st.member.status = MemberStatus::kFailed;
        st.leave_time = now;
        failed_members_.push_back(n.name);
        Emit(MemberEventType::kFailed, st.member);
        return;
      }
      [[fallthrough]];
    case MemberStatus::kLeaving:
      st.member.status = MemberStatus::kLeft;
      st.leave_time = now;
      left_members_.push_back(n.name);
      Emit(MemberEventType::kLeave, st.member);
      return;
    default:
      Log().Warn("Bad state when leave: {}", MemberStatusName(st.member.status));
  }
}

void SerfCore::NotifyUpdate(const SerfNodeInfo& n, TimePoint now) {
  auto it = members_.find(n.name);
  if (it == members_.end()) return;
  MemberState& st = it->second;
  st.member = ToMember(n, DecodeTagsOrEmpty(n.meta), st.member.status);
  Emit(MemberEventType::kUpdate, st.member);
}

absl::Status SerfCore::NotifyMerge(const std::vector<SerfNodeInfo>& nodes) {
  if (!config_.merge) return absl::OkStatus();
  std::vector<SerfMember> members;
  for (const SerfNodeInfo& n : nodes) {
    members.push_back(ToMember(n, DecodeTagsOrEmpty(n.meta), MemberStatus::kNone));
  }
  return config_.merge(members);
}

// ---- intents.

bool SerfCore::HandleLeaveIntent(const SerfLeave& m, TimePoint now) {
  clock_.Witness(m.ltime);
  auto it = members_.find(m.node);
  if (it == members_.end()) {
    auto in = recent_intents_.find(m.node);
    if (in != recent_intents_.end() && m.ltime <= in->second.ltime) return false;
    recent_intents_[m.node] = Intent{SerfMessageType::kLeave, m.ltime, now};
    return true;
  }
  MemberState& st = it->second;
  if (m.ltime <= st.status_ltime) return false;
  if (m.node == config_.node_name && state_ == State::kAlive) {
    // A stale leave about us: refute it with a fresh join intent.
    Log().Debug("Refuting an older leave intent");
    BroadcastJoinIntent();
    return false;
  }
  // Updating the time even when the status stays keeps two leaves for the same member
  // from being re-gossiped forever (consul#8179).
  st.status_ltime = m.ltime;
  switch (st.member.status) {
    case MemberStatus::kAlive:
      st.member.status = MemberStatus::kLeaving;
      if (m.prune) Prune(m.node);
      return true;
    case MemberStatus::kFailed:
      st.member.status = MemberStatus::kLeft;
      Erase(failed_members_, m.node);
      left_members_.push_back(m.node);
      Emit(MemberEventType::kLeave, st.member);
      if (m.prune) Prune(m.node);
      return true;
    case MemberStatus::kLeaving:
    case MemberStatus::kLeft:
      if (m.prune) Prune(m.node);
      return true;
    default:
      return false;
  }
}

bool SerfCore::HandleJoinIntent(const SerfJoin& m, TimePoint now) {
  clock_.Witness(m.ltime);
  auto it = members_.find(m.node);
  if (it == members_.end()) {
    auto in = recent_intents_.find(m.node);
    if (in != recent_intents_.end() && m.ltime <= in->second.ltime) return false;
    recent_intents_[m.node] = Intent{SerfMessageType::kJoin, m.ltime, now};
    return true;
  }
  MemberState& st = it->second;
  if (m.ltime <= st.status_ltime) return false;
  st.status_ltime = m.ltime;
  if (st.member.status == MemberStatus::kLeaving) st.member.status = MemberStatus::kAlive;
  return true;
}

void SerfCore::Prune(const std::string& name) {
  auto it = members_.find(name);
  if (it == members_.end()) return;
  Erase(left_members_, name);
  Erase(failed_members_, name);
  SerfMember m = std::move(it->second.member);
  members_.erase(it);
  Emit(MemberEventType::kReap, m);
}

void SerfCore::BroadcastJoinIntent() {
  SerfJoin join{.ltime = clock_.Time(), .node = config_.node_name};
  clock_.Witness(join.ltime);
  HandleJoinIntent(join, TimePoint{});
  Broadcast(broadcasts_, EncodeSerfMessage(join));
}

absl::Status SerfCore::Leave(absl::AnyInvocable<void()> on_sent) {
  if (state_ == State::kLeaving) return absl::FailedPreconditionError("Leave already in progress");
  if (state_ == State::kLeft) {
    if (on_sent) on_sent();
    return absl::OkStatus();
  }
  state_ = State::kLeaving;
  SerfLeave leave{.ltime = clock_.Time(), .node = config_.node_name};
  clock_.Increment();
  HandleLeaveIntent(leave, TimePoint{});
  bool others_alive = false;
  for (const auto& [name, st] : members_) {
    if (name != config_.node_name && st.member.status == MemberStatus::kAlive) others_alive = true;
  }
  if (!others_alive) {
    if (on_sent) on_sent();
    return absl::OkStatus();
  }
  std::string raw = EncodeSerfMessage(leave);
  // Gossip alone may spend the few transmissions on nodes that already have it; the
  // intent decides "left" versus "failed" everywhere, so also tell every member directly.
  for (const auto& [name, st] : members_) {
    if (name != config_.node_name && st.member.status == MemberStatus::kAlive) {
      host_.SendToAddress(st.member.addr, st.member.port, name, raw);
    }
  }
  Broadcast(broadcasts_, std::move(raw), std::move(on_sent));
  return absl::OkStatus();
}

// ---- user events.

absl::Status SerfCore::UserEvent(std::string_view name, std::optional<std::string> payload,
                                 bool coalesce, TimePoint now) {
  size_t size = name.size() + (payload ? payload->size() : 0);
  if (size > config_.user_event_size_limit) {
    return absl::InvalidArgumentError(
        fmt::format("user event exceeds configured limit of {} bytes before encoding",
                    config_.user_event_size_limit));
  }
  if (size > kUserEventSaneLimit) {
    return absl::InvalidArgumentError(fmt::format(
        "user event exceeds sane limit of {} bytes before encoding", kUserEventSaneLimit));
  }
  gossip::UserEvent ev{.ltime = event_clock_.Time(),
                       .name = std::string(name),
                       .payload = std::move(payload),
                       .cc = coalesce};
  std::string raw = EncodeSerfMessage(ev);
  if (raw.size() > config_.user_event_size_limit) {
    return absl::InvalidArgumentError(
        fmt::format("encoded user event exceeds configured limit of {} bytes after encoding",
                    config_.user_event_size_limit));
  }
  event_clock_.Increment();
  HandleUserEvent(ev);
  Broadcast(event_broadcasts_, std::move(raw));
  return absl::OkStatus();
}

bool SerfCore::HandleUserEvent(const gossip::UserEvent& m) {
  event_clock_.Witness(m.ltime);
  event_buffer_.set_min_time(event_min_time_);
  Admission a = event_buffer_.Record(m.ltime, event_clock_.Time(), m.name, m.payload);
  if (a == Admission::kTooOld) {
    Log().Warn("received old event {} from time {} (current: {})", m.name, m.ltime,
               event_clock_.Time());
  }
  if (a != Admission::kNew) return false;
  if (sink_) sink_(SerfUserEvent{m.ltime, m.name, m.payload, m.cc});
  return true;
}

// ---- memberlist delegate.

std::string SerfCore::NodeMeta(size_t limit) const {
  if (meta_.size() > limit) {
    Log().Error("node tags exceed the {}-byte meta limit", limit);
    return *EncodeTags({});
  }
  return meta_;
}

absl::Status SerfCore::SetTags(TagList tags) {
  absl::StatusOr<std::string> meta = EncodeTags(tags);
  if (!meta.ok()) return meta.status();
  config_.tags = std::move(tags);
  meta_ = *std::move(meta);
  return host_.UpdateMeta(meta_);
}

void SerfCore::NotifyMsg(std::string_view msg, TimePoint now) {
  if (msg.empty()) return;
  absl::StatusOr<SerfMessage> decoded = DecodeSerfMessage(msg);
  if (!decoded.ok()) {
    Log().Error("Error decoding message: {}", decoded.status().ToString());
    return;
  }
  bool rebroadcast = false;
  BroadcastQueue* queue = &broadcasts_;
  if (auto* leave = std::get_if<SerfLeave>(&*decoded)) {
    rebroadcast = HandleLeaveIntent(*leave, now);
  } else if (auto* join = std::get_if<SerfJoin>(&*decoded)) {
    rebroadcast = HandleJoinIntent(*join, now);
  } else if (auto* ev = std::get_if<gossip::UserEvent>(&*decoded)) {
    rebroadcast = HandleUserEvent(*ev);
    queue = &event_broadcasts_;
  } else if (auto* q = std::get_if<gossip::Query>(&*decoded)) {
    rebroadcast = HandleQuery(*q, now);
    queue = &query_broadcasts_;
  } else if (auto* r = std::get_if<QueryResponse>(&*decoded)) {
    HandleQueryResponse(*r);
  } else if (auto* relay = std::get_if<Relay>(&*decoded)) {
    host_.SendToAddress(relay->dest_ip, static_cast<uint16_t>(relay->dest_port), relay->dest_name,
                        relay->inner);
  } else {
    Log().Warn("Received message of unknown type: {}", static_cast<int>(msg[0]));
  }
  if (rebroadcast) Broadcast(*queue, std::string(msg));
}

std::vector<std::string> SerfCore::GetBroadcasts(size_t overhead, size_t limit) {
  int n = NumNodes();
  std::vector<std::string> out = broadcasts_.GetBroadcasts(overhead, limit, n);
  size_t used = 0;
  for (const std::string& m : out) used += m.size() + overhead;
  for (BroadcastQueue* q : {&query_broadcasts_, &event_broadcasts_}) {
    if (used >= limit) break;
    for (std::string& m : q->GetBroadcasts(overhead, limit - used, n)) {
      used += m.size() + overhead;
      out.push_back(std::move(m));
    }
  }
  return out;
}

std::string SerfCore::LocalState(bool join) const {
  SerfPushPull pp{.ltime = clock_.Time(),
                  .left_members = left_members_,
                  .event_ltime = event_clock_.Time(),
                  .events = event_buffer_.Ring(),
                  .query_ltime = query_clock_.Time()};
  for (const auto& [name, st] : members_) pp.status_ltimes.emplace_back(name, st.status_ltime);
  return EncodeSerfMessage(pp);
}

void SerfCore::MergeRemoteState(std::string_view state, bool join, TimePoint now) {
  if (state.empty()) {
    Log().Error("Remote state is zero bytes");
    return;
  }
  if (static_cast<uint8_t>(state[0]) != static_cast<uint8_t>(SerfMessageType::kPushPull)) {
    Log().Error("Remote state has bad type prefix: {}", static_cast<int>(state[0]));
    return;
  }
  absl::StatusOr<SerfMessage> decoded = DecodeSerfMessage(state);
  if (!decoded.ok()) {
    Log().Error("Failed to decode remote state: {}", decoded.status().ToString());
    return;
  }
  const SerfPushPull& pp = std::get<SerfPushPull>(*decoded);
  if (pp.ltime > 0) clock_.Witness(pp.ltime - 1);
  if (pp.event_ltime > 0) event_clock_.Witness(pp.event_ltime - 1);
  if (pp.query_ltime > 0) query_clock_.Witness(pp.query_ltime - 1);
  auto status_ltime = [&](const std::string& name) -> LamportTime {
    for (const auto& [n, t] : pp.status_ltimes) {
      if (n == name) return t;
    }
    return 0;
  };
  std::set<std::string> left(pp.left_members.begin(), pp.left_members.end());
  for (const std::string& name : pp.left_members) {
    HandleLeaveIntent(SerfLeave{.ltime = status_ltime(name) + 1, .node = name}, now);
  }
  for (const auto& [name, t] : pp.status_ltimes) {
    if (!left.count(name)) HandleJoinIntent(SerfJoin{.ltime = t, .node = name}, now);
  }
  if (join && event_join_ignore_ && pp.event_ltime > event_min_time_) {
    event_min_time_ = pp.event_ltime;
  }
  for (const std::optional<UserEventSlot>& slot : pp.events) {
    if (!slot) continue;
    for (const UserEventEntry& e : slot->events) {
      HandleUserEvent(
          gossip::UserEvent{.ltime = slot->ltime, .name = e.name, .payload = e.payload});
    }
  }
}

// ---- timers.

void SerfCore::Reap(std::vector<std::string>& list, TimePoint now, Duration timeout) {
  std::vector<std::string> keep;
  for (const std::string& name : list) {
    auto it = members_.find(name);
    if (it == members_.end()) continue;
    if (now - it->second.leave_time <= timeout) {
      keep.push_back(name);
      continue;
    }
    SerfMember m = std::move(it->second.member);
    members_.erase(it);
    Emit(MemberEventType::kReap, m);
  }
  list = std::move(keep);
}

void SerfCore::Reconnect() {
  if (failed_members_.empty()) return;
  double failed = static_cast<double>(failed_members_.size());
  double alive =
      static_cast<double>(members_.size() - failed_members_.size() - left_members_.size());
  if (alive <= 0) alive = 1;
  // Each node tries with probability failed/alive, so the cluster as a whole tries each
  // failed member about once per interval.
  if (std::uniform_real_distribution<double>(0, 1)(rng_) > failed / alive) return;
  const std::string& name =
      failed_members_[std::uniform_int_distribution<size_t>(0, failed_members_.size() - 1)(rng_)];
  const SerfMember& m = members_.at(name).member;
  std::string addr = m.name + "/" + serf_internal::HostPort(m.addr, m.port);
  Log().Info("attempting reconnect to {}", addr);
  host_.Join({addr});
}

void SerfCore::Tick(TimePoint now) {
  // Query deadlines.
  for (auto it = pending_queries_.begin(); it != pending_queries_.end();) {
    if (now < it->second.deadline) {
      ++it;
      continue;
    }
    absl::AnyInvocable<void()> done = std::move(it->second.callbacks.on_done);
    it = pending_queries_.erase(it);
    if (done) done();
  }
  for (auto it = answered_.begin(); it != answered_.end();) {
    it = now > it->second.deadline ? answered_.erase(it) : std::next(it);
  }
  if (now >= next_reap_) {
    next_reap_ = now + config_.reap_interval;
    Reap(failed_members_, now, config_.reconnect_timeout);
    Reap(left_members_, now, config_.tombstone_timeout);
    for (auto it = recent_intents_.begin(); it != recent_intents_.end();) {
      it = now - it->second.when > config_.recent_intent_timeout ? recent_intents_.erase(it)
                                                                 : std::next(it);
    }
  }
  if (now >= next_reconnect_) {
    next_reconnect_ = now + config_.reconnect_interval;
    Reconnect();
  }
}

TimePoint SerfCore::NextDeadline() const {
  TimePoint t = std::min(next_reap_, next_reconnect_);
  for (const auto& [ltime, q] : pending_queries_) t = std::min(t, q.deadline);
  return t;
}

void SerfCore::RestoreClocks(LamportTime clock, LamportTime event_clock, LamportTime query_clock) {
  clock_.Witness(clock);
  event_clock_.Witness(event_clock);
  query_clock_.Witness(query_clock);
  event_min_time_ = event_clock + 1;
  query_min_time_ = query_clock + 1;
}

std::vector<SerfMember> SerfCore::Members() const {
  std::vector<SerfMember> out;
  out.reserve(members_.size());
  for (const auto& [name, st] : members_) out.push_back(st.member);
  return out;
}

std::optional<SerfMember> SerfCore::Member(std::string_view name) const {
  auto it = members_.find(name);
  if (it == members_.end()) return std::nullopt;
  return it->second.member;
}

}  // namespace cairn::gossip
