// The SWIM rules of memberlist's state.go: alive/suspect/dead handling, refutation and
// push/pull merging. The reasons behind each ordering are memberlist's; comments note the
// places where a different choice would change what peers observe.
#include <algorithm>

#include <cairn/base/status.h>

#include "memberlist_impl.h"

namespace cairn::gossip {
namespace {

Node NodeFromAlive(const Alive& a, std::string addr_text) {
  Node n;
  n.name = a.node;
  n.addr = std::move(addr_text);
  n.port = a.port;
  n.meta = a.meta.value_or("");
  n.incarnation = a.incarnation;
  Vsn v = Vsn::FromBytes(a.vsn);
  n.pmin = v.protocol_min;
  n.pmax = v.protocol_max;
  n.pcur = v.protocol_cur;
  n.dmin = v.delegate_min;
  n.dmax = v.delegate_max;
  n.dcur = v.delegate_cur;
  return n;
}

}  // namespace

std::string Memberlist::Impl::VsnBytes() const {
  Vsn v{.protocol_min = kProtocolVersionMin,
        .protocol_max = kProtocolVersionMax,
        .protocol_cur = opts_.protocol_version,
        .delegate_min = opts_.delegate_protocol_min,
        .delegate_max = opts_.delegate_protocol_max,
        .delegate_cur = opts_.delegate_protocol_version};
  return v.ToBytes();
}

NodeEntry* Memberlist::Impl::Self() {
  auto it = node_map_.find(opts_.name);
  return it == node_map_.end() ? nullptr : it->second.get();
}

bool Memberlist::Impl::AnyAlive() const {
  for (const NodeEntry* e : nodes_) {
    if (!e->DeadOrLeft() && e->node.name != opts_.name) return true;
  }
  return false;
}

void Memberlist::Impl::QueueBroadcast(const std::string& name, std::string msg,
                                      absl::AnyInvocable<void()> notify) {
  broadcasts_.Queue(std::move(msg), name, std::move(notify));
}

void Memberlist::Impl::AliveNode(const Alive& a, bool bootstrap,
                                 absl::AnyInvocable<void()> notify) {
  if (left_ && a.node == opts_.name) return;
  if (!Vsn::Validate(a.vsn).ok()) {
    log_.Debug("Ignoring an alive message for '{}': invalid protocol versions", a.node);
    return;
  }
  absl::StatusOr<std::string> addr_text = IpFromBytes(a.addr);
  if (!addr_text.ok()) {
    log_.Debug("Ignoring an alive message for '{}': bad address", a.node);
    return;
  }
  if (d_.alive != nullptr) {
    if (a.vsn.size() < 6) {
      log_.Warn(
          "ignoring alive message for '{}' ({}:{}) because protocol version(s) "
          "are missing",
          a.node, *addr_text, a.port);
      return;
    }
    if (absl::Status s = d_.alive->NotifyAlive(NodeFromAlive(a, *addr_text)); !s.ok()) {
      log_.Warn("ignoring alive message for '{}': {}", a.node, s.message());
      return;
    }
  }

  auto it = node_map_.find(a.node);
  NodeEntry* e = nullptr;
  bool updates_node = false;
  if (it == node_map_.end()) {
    auto fresh = std::make_unique<NodeEntry>();
    fresh->node = NodeFromAlive(a, *addr_text);
    fresh->node.incarnation = 0;
    fresh->node.state = NodeState::kDead;  // so that the join is noticed below
    fresh->state_change = Now();
    if (a.vsn.size() <= 5) {  // memberlist keeps zero versions unless all six came
      fresh->node.pmin = fresh->node.pmax = fresh->node.pcur = 0;
      fresh->node.dmin = fresh->node.dmax = fresh->node.dcur = 0;
    }
    e = fresh.get();
    node_map_.emplace(a.node, std::move(fresh));
    // A new node goes to a random place in the probe order.
    const size_t n = nodes_.size();
    nodes_.push_back(e);
    if (n > 0) {
      const size_t offset = std::uniform_int_distribution<size_t>(0, n)(rng_);
      std::swap(nodes_[offset], nodes_[n]);
    }
  } else {
    e = it->second.get();
    if (e->node.addr != *addr_text || e->node.port != a.port) {
      const bool can_reclaim = opts_.dead_node_reclaim_time > absl::ZeroDuration() &&
                               Now() - e->state_change > opts_.dead_node_reclaim_time;
      if (e->node.state == NodeState::kLeft || (e->node.state == NodeState::kDead && can_reclaim)) {
        log_.Info("Updating address for left or failed node {} from {}:{} to {}:{}", e->node.name,
                  e->node.addr, e->node.port, *addr_text, a.port);
        updates_node = true;
      } else {
        log_.Error("Conflicting address for {}. Mine: {}:{} Theirs: {}:{} Old state: {}",
                   e->node.name, e->node.addr, e->node.port, *addr_text, a.port,
                   static_cast<int>(e->node.state));
        if (d_.conflict != nullptr) {
          d_.conflict->NotifyConflict(e->node, NodeFromAlive(a, *addr_text));
        }
        return;
      }
    }
  }

  const bool is_local = e->node.name == opts_.name;
  if (a.incarnation <= e->node.incarnation && !is_local && !updates_node) return;
  if (a.incarnation < e->node.incarnation && is_local) return;

  // Any alive that gets this far ends a suspicion.
  e->suspicion.reset();
  e->suspicion_timer.reset();

  const NodeState old_state = e->node.state;
  const std::string old_meta = e->node.meta;
  const bool was_new =
      old_state == NodeState::kDead && e->node.incarnation == 0 && e->node.name != opts_.name;

  if (!bootstrap && is_local) {
    // Someone gossips about us. Identical news is harmless; anything else is refuted.
    const std::string ours = Vsn{.protocol_min = e->node.pmin,
                                 .protocol_max = e->node.pmax,
                                 .protocol_cur = e->node.pcur,
                                 .delegate_min = e->node.dmin,
                                 .delegate_max = e->node.dmax,
                                 .delegate_cur = e->node.dcur}
                                 .ToBytes();
    if (a.incarnation == e->node.incarnation && a.meta.value_or("") == e->node.meta &&
        a.vsn == ours) {
      return;
    }
    Refute(*e, a.incarnation);
    log_.Warn("Refuting an alive message for '{}' ({}:{}) meta:([{}] VS [{}])", a.node, *addr_text,
              a.port, a.meta.value_or("").size(), e->node.meta.size());
  } else {
    QueueBroadcast(a.node, EncodeMessage(a), std::move(notify));
    if (a.vsn.size() >= 6) {
      Vsn v = Vsn::FromBytes(a.vsn);
      e->node.pmin = v.protocol_min;
      e->node.pmax = v.protocol_max;
      e->node.pcur = v.protocol_cur;
      e->node.dmin = v.delegate_min;
      e->node.dmax = v.delegate_max;
      e->node.dcur = v.delegate_cur;
    }
    e->node.incarnation = a.incarnation;
    e->node.meta = a.meta.value_or("");
    e->node.addr = *addr_text;
    e->node.port = a.port;
    if (e->node.state != NodeState::kAlive) {
      e->node.state = NodeState::kAlive;
      e->state_change = Now();
    }
  }

  if (old_state == NodeState::kDead || old_state == NodeState::kLeft) {
    if (d_.events != nullptr) d_.events->NotifyJoin(e->node);
    if (was_new || old_state != NodeState::kAlive) OnMembershipGrew();
  } else if (old_meta != e->node.meta) {
    if (d_.events != nullptr) d_.events->NotifyUpdate(e->node);
  }
}

void Memberlist::Impl::Refute(NodeEntry& me, uint32_t accused_inc) {
  uint32_t inc = NextIncarnation();
  if (accused_inc >= inc) {
    incarnation_ = accused_inc + 1;
    inc = incarnation_;
  }
  me.node.incarnation = inc;
  awareness_.ApplyDelta(1);
  Alive a{.incarnation = inc,
          .node = me.node.name,
          .addr = adv_addr_bytes_,
          .port = me.node.port,
          .meta = me.node.meta,
          .vsn = VsnBytes()};
  QueueBroadcast(me.node.name, EncodeMessage(a));
}

void Memberlist::Impl::SuspectNode(const Suspect& s) {
  auto it = node_map_.find(s.node);
  if (it == node_map_.end()) return;
  NodeEntry& e = *it->second;
  if (s.incarnation < e.node.incarnation) return;

  if (e.suspicion) {
    // Another member's independent confirmation shortens the timeout (Lifeguard).
    if (e.suspicion->Confirm(s.from, Now())) {
      QueueBroadcast(s.node, EncodeMessage(s));
      ScheduleSuspicionTimer(e);
    }
    return;
  }
  if (e.node.state != NodeState::kAlive) return;

  if (e.node.name == opts_.name) {
    Refute(e, s.incarnation);
    log_.Warn("Refuting a suspect message (from: {})", s.from);
    return;
  }
  QueueBroadcast(s.node, EncodeMessage(s));

  e.node.incarnation = s.incarnation;
  e.node.state = NodeState::kSuspect;
  e.state_change = Now();

  const int n = EstNumNodes();
  int k = opts_.suspicion_mult - 2;
  if (n - 2 < k) k = 0;
  const absl::Duration min = SuspicionTimeout(opts_.suspicion_mult, n, opts_.probe_interval);
  const absl::Duration max = opts_.suspicion_max_timeout_mult * min;
  e.suspicion = std::make_unique<Suspicion>(s.from, k, min, max, Now());
  ++e.suspicion_epoch;
  ScheduleSuspicionTimer(e);
}

void Memberlist::Impl::ScheduleSuspicionTimer(NodeEntry& e) {
  const absl::Duration wait = std::max(absl::ZeroDuration(), e.suspicion->deadline() - Now());
  e.suspicion_timer = After(wait, [this, name = e.node.name, epoch = e.suspicion_epoch] {
    SuspicionExpired(name, epoch);
  });
}

void Memberlist::Impl::SuspicionExpired(const std::string& name, uint64_t epoch) {
  auto it = node_map_.find(name);
  if (it == node_map_.end()) return;
  NodeEntry& e = *it->second;
  if (e.node.state != NodeState::kSuspect || e.suspicion_epoch != epoch || !e.suspicion) return;
  log_.Info("Marking {} as failed, suspect timeout reached ({} peer confirmations)", name,
            e.suspicion->confirmations());
  DeadNode(Dead{.incarnation = e.node.incarnation, .node = name, .from = opts_.name});
}

void Memberlist::Impl::DeadNode(const Dead& d) {
  auto it = node_map_.find(d.node);
  if (it == node_map_.end()) return;
  NodeEntry& e = *it->second;
  if (d.incarnation < e.node.incarnation) return;

  e.suspicion.reset();
  e.suspicion_timer.reset();
  if (e.DeadOrLeft()) return;

  if (e.node.name == opts_.name) {
    if (!left_) {
      Refute(e, d.incarnation);
      log_.Warn("Refuting a dead message (from: {})", d.from);
      return;
    }
    // Our own leave: Leave() waits for this broadcast to go out.
    QueueBroadcast(d.node, EncodeMessage(d), std::move(leave_notify_));
  } else {
    QueueBroadcast(d.node, EncodeMessage(d));
  }

  e.node.incarnation = d.incarnation;
  e.node.state = d.node == d.from ? NodeState::kLeft : NodeState::kDead;
  e.state_change = Now();
  if (d_.events != nullptr) d_.events->NotifyLeave(e.node);
}

void Memberlist::Impl::MergeState(const std::vector<PushNodeState>& remote) {
  for (const PushNodeState& r : remote) {
    switch (r.state) {
      case NodeState::kAlive:
        AliveNode(Alive{.incarnation = r.incarnation,
                        .node = r.name,
                        .addr = r.addr,
                        .port = r.port,
                        .meta = r.meta,
                        .vsn = r.vsn},
                  /*bootstrap=*/false);
        break;
      case NodeState::kLeft:
        DeadNode(Dead{.incarnation = r.incarnation, .node = r.name, .from = r.name});
        break;
      case NodeState::kDead:
      case NodeState::kSuspect:
        // memberlist never declares a node dead on a peer's word in a push/pull: it only
        // suspects it, so that the node gets its chance to refute.
        SuspectNode(Suspect{.incarnation = r.incarnation, .node = r.name, .from = opts_.name});
        break;
    }
  }
}

}  // namespace cairn::gossip
