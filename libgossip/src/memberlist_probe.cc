// The periodic work of memberlist's state.go — probe rounds (direct, indirect, TCP
// fallback), gossip rounds and push/pull rounds — as timer-driven steps on the executor
// instead of goroutines blocked in select.
#include <algorithm>
#include <cmath>

#include <cairn/base/status.h>

#include "memberlist_impl.h"

namespace cairn::gossip {

// ---- ack handlers

void Memberlist::Impl::SetAckHandler(uint32_t seq,
                                     absl::AnyInvocable<void(std::string_view, absl::Time)> on_ack,
                                     absl::AnyInvocable<void()> on_nack,
                                     absl::AnyInvocable<void()> on_timeout,
                                     absl::Duration timeout) {
  AckHandler& h = ack_handlers_[seq];
  h.on_ack = std::move(on_ack);
  h.on_nack = std::move(on_nack);
  h.on_timeout = std::move(on_timeout);
  h.expiry = After(timeout, [this, seq] {
    auto it = ack_handlers_.find(seq);
    if (it == ack_handlers_.end()) return;
    auto on_timeout = std::move(it->second.on_timeout);
    auto expiry = std::move(it->second.expiry);  // destroyed after we return
    ack_handlers_.erase(it);
    if (on_timeout) on_timeout();
  });
}

void Memberlist::Impl::InvokeAck(const Ack& ack, absl::Time at) {
  auto it = ack_handlers_.find(ack.seq_no);
  if (it == ack_handlers_.end()) return;
  auto on_ack = std::move(it->second.on_ack);
  ack_handlers_.erase(it);
  if (on_ack) on_ack(ack.payload.value_or(""), at);
}

void Memberlist::Impl::InvokeNack(const Nack& nack) {
  auto it = ack_handlers_.find(nack.seq_no);
  if (it == ack_handlers_.end()) return;
  if (it->second.on_nack) it->second.on_nack();
}

// ---- random choice

std::vector<NodeEntry*> Memberlist::Impl::RandomNodes(
    size_t k, absl::AnyInvocable<bool(const NodeEntry&)> exclude) {
  std::vector<NodeEntry*> out;
  const size_t n = nodes_.size();
  if (n == 0) return out;
  std::uniform_int_distribution<size_t> pick(0, n - 1);
  // Up to 3n tries, as memberlist's kRandomNodes: exhaustive enough for small n.
  for (size_t i = 0; i < 3 * n && out.size() < k; ++i) {
    NodeEntry* e = nodes_[pick(rng_)];
    if (exclude(*e)) continue;
    if (std::find(out.begin(), out.end(), e) != out.end()) continue;
    out.push_back(e);
  }
  return out;
}

// ---- probe round

void Memberlist::Impl::ScheduleProbe(absl::Duration after) {
  probe_timer_ = After(after, [this] { ProbeTick(); });
}

void Memberlist::Impl::ProbeTick() {
  if (shutdown_) return;
  size_t checked = 0;
  while (checked < nodes_.size()) {
    if (probe_index_ >= nodes_.size()) {
      ResetNodes();
      probe_index_ = 0;
      ++checked;
      continue;
    }
    NodeEntry* e = nodes_[probe_index_++];
    if (e->node.name == opts_.name || e->DeadOrLeft()) {
      ++checked;
      continue;
    }
    ProbeNode(*e);
    return;
  }
  ScheduleProbe(opts_.probe_interval);
}

void Memberlist::Impl::ResetNodes() {
  // Drop nodes dead for longer than GossipToTheDeadTime (left ones stay, as in 0.2.2),
  // then shuffle the probe order.
  const absl::Time now = Now();
  std::vector<NodeEntry*> keep;
  keep.reserve(nodes_.size());
  std::vector<std::string> gone;
  for (NodeEntry* e : nodes_) {
    if (e->node.state == NodeState::kDead &&
        now - e->state_change > opts_.gossip_to_the_dead_time) {
      gone.push_back(e->node.name);
    } else {
      keep.push_back(e);
    }
  }
  nodes_ = std::move(keep);
  for (const std::string& name : gone) node_map_.erase(name);
  std::shuffle(nodes_.begin(), nodes_.end(), rng_);
}

void Memberlist::Impl::ProbeNode(NodeEntry& node) {
  ++stats_.probes;
  auto p = std::make_unique<Probe>();
  p->target = node.node.name;
  p->seq = ++seq_no_;
  p->incarnation = node.node.incarnation;
  p->start = Now();
  p->deadline = p->start + awareness_.ScaleTimeout(opts_.probe_interval);
  const uint32_t seq = p->seq;
  probe_ = std::move(p);

  SetAckHandler(
      seq,
      [this, seq](std::string_view payload, absl::Time at) {
        if (!probe_ || probe_->seq != seq || probe_->done) return;
        if (!probe_->indirect && d_.ping != nullptr) {
          if (auto it = node_map_.find(probe_->target); it != node_map_.end()) {
            d_.ping->NotifyPingComplete(it->second->node, at - probe_->start, payload);
          }
        }
        ProbeFinish(true);
      },
      [this, seq] {
        if (probe_ && probe_->seq == seq) ++probe_->nacks;
      },
      nullptr, probe_->deadline - probe_->start);

  Ping ping{.seq_no = seq,
            .node = node.node.name,
            .source_addr = adv_addr_bytes_,
            .source_port = adv_port_,
            .source_node = opts_.name};
  const std::string addr = node.node.Address();
  absl::Status sent;
  if (node.node.state == NodeState::kAlive) {
    sent = SendMsg(addr, EncodeMessage(ping));
  } else {
    // A suspect hears the accusation with the ping, so that it can refute it.
    Suspect s{.incarnation = node.node.incarnation, .node = node.node.name, .from = opts_.name};
    sent = RawSendPacket(addr, &node.node, EncodeCompound({EncodeMessage(ping), EncodeMessage(s)}));
  }
  if (!sent.ok()) {
    log_.Error("Failed to send ping: {}", sent.message());
    probe_->done = true;
    ack_handlers_.erase(seq);
    ScheduleProbe(opts_.probe_interval);
    return;
  }
  probe_->timer = After(opts_.probe_timeout, [this] { ProbeIndirect(); });
}

void Memberlist::Impl::ProbeIndirect() {
  if (!probe_ || probe_->done) return;
  Probe& p = *probe_;
  p.indirect = true;
  auto it = node_map_.find(p.target);
  if (it == node_map_.end()) {  // reaped meanwhile
    ProbeFinish(true);
    return;
  }
  const Node target = it->second->node;
  log_.Debug("Failed ping: {} (timeout reached)", target.name);

  std::vector<NodeEntry*> peers =
      RandomNodes(static_cast<size_t>(std::max(0, opts_.indirect_checks)), [&](const NodeEntry& e) {
        return e.node.name == opts_.name || e.node.name == target.name ||
               e.node.state != NodeState::kAlive;
      });
  IndirectPing ind{.seq_no = p.seq,
                   .target = *IpToBytes(target.addr),
                   .port = target.port,
                   .node = target.name,
                   .source_addr = adv_addr_bytes_,
                   .source_port = adv_port_,
                   .source_node = opts_.name};
  for (NodeEntry* peer : peers) {
    ind.nack = peer->node.pmax >= 4;
    if (ind.nack) ++p.expected_nacks;
    if (absl::Status s = SendMsg(peer->node.Address(), EncodeMessage(ind)); !s.ok()) {
      log_.Error("Failed to send indirect ping: {}", s.message());
    }
  }

  const absl::Duration remaining = std::max(absl::ZeroDuration(), p.deadline - Now());
  if (!opts_.disable_tcp_pings && target.pmax >= 3) {
    p.fallback_pending = true;
    Ping ping{.seq_no = p.seq,
              .node = target.name,
              .source_addr = adv_addr_bytes_,
              .source_port = adv_port_,
              .source_node = opts_.name};
    const uint32_t seq = p.seq;
    StreamPing(target.Address(), ping, remaining, [this, seq](bool contacted) {
      if (!probe_ || probe_->seq != seq || probe_->done) return;
      probe_->fallback_pending = false;
      probe_->fallback_contacted = contacted;
      if (contacted) {
        log_.Warn(
            "Was able to connect to {} but other probes failed, network may be "
            "misconfigured",
            probe_->target);
        ProbeFinish(true);
      } else if (probe_->deadline_passed) {
        ProbeFinish(false);
      }
    });
  }
  p.timer = After(remaining, [this] {
    if (!probe_ || probe_->done) return;
    probe_->deadline_passed = true;
    // memberlist waits for the TCP attempt, which ends by the same deadline.
    if (!probe_->fallback_pending) ProbeFinish(false);
  });
}

void Memberlist::Impl::ProbeFinish(bool success) {
  Probe& p = *probe_;
  p.done = true;
  p.timer.reset();
  int delta = -1;
  if (!success) {
    ++stats_.probe_failures;
    delta = 0;
    if (p.expected_nacks > 0) {
      if (p.nacks < p.expected_nacks) delta += p.expected_nacks - p.nacks;
    } else {
      delta += 1;
    }
  }
  awareness_.ApplyDelta(delta);
  if (!success) {
    log_.Info("Suspect {} has failed, no acks received", p.target);
    SuspectNode(Suspect{.incarnation = p.incarnation, .node = p.target, .from = opts_.name});
  }
  // memberlist's probe ticker keeps its ProbeInterval grid; ticks missed while a probe
  // was running are skipped.
  const absl::Duration interval = opts_.probe_interval;
  const absl::Duration elapsed = Now() - p.start;
  absl::Duration rem;
  const int64_t ticks = absl::IDivDuration(elapsed, interval, &rem) + 1;
  ScheduleProbe(p.start + ticks * interval - Now());
}

// ---- gossip round

std::vector<std::string> Memberlist::Impl::GetBroadcasts(size_t overhead, size_t limit) {
  std::vector<std::string> msgs = broadcasts_.GetBroadcasts(overhead, limit, EstNumNodes());
  if (d_.delegate != nullptr) {
    size_t used = 0;
    for (const std::string& m : msgs) used += m.size() + overhead;
    if (used < limit && limit - used > overhead + 1) {
      for (std::string& u : d_.delegate->GetBroadcasts(overhead + 1, limit - used)) {
        std::string framed(1, static_cast<char>(MessageType::kUser));
        framed += u;
        msgs.push_back(std::move(framed));
      }
    }
  }
  return msgs;
}

void Memberlist::Impl::GossipTick() {
  if (shutdown_) return;
  gossip_timer_ = After(opts_.gossip_interval, [this] { GossipTick(); });
  const absl::Time now = Now();
  std::vector<NodeEntry*> targets =
      RandomNodes(static_cast<size_t>(std::max(0, opts_.gossip_nodes)), [&](const NodeEntry& e) {
        if (e.node.name == opts_.name) return true;
        switch (e.node.state) {
          case NodeState::kAlive:
          case NodeState::kSuspect:
            return false;
          case NodeState::kDead:
            return now - e.state_change > opts_.gossip_to_the_dead_time;
          default:
            return true;
        }
      });
  size_t avail = opts_.udp_buffer_size - 2;
  if (Encrypting()) avail -= EncryptOverhead();
  for (NodeEntry* e : targets) {
    std::vector<std::string> msgs = GetBroadcasts(kCompoundPartOverhead, avail);
    if (msgs.empty()) return;
    for (std::string& packet : PackMessages(msgs, opts_.udp_buffer_size)) {
      if (absl::Status s = RawSendPacket(e->node.Address(), &e->node, std::move(packet)); !s.ok()) {
        log_.Error("Failed to send gossip to {}: {}", e->node.Address(), s.message());
      }
    }
  }
}

// ---- push/pull round

namespace {
absl::Duration PushPullScale(absl::Duration interval, int n) {
  if (n <= 32) return interval;
  const double mult = std::ceil(std::log2(static_cast<double>(n)) - std::log2(32.0)) + 1.0;
  return static_cast<int64_t>(mult) * interval;
}
}  // namespace

void Memberlist::Impl::PushPullTick() {
  if (shutdown_) return;
  push_pull_timer_ =
      After(PushPullScale(opts_.push_pull_interval, EstNumNodes()), [this] { PushPullTick(); });
  PushPullRandom();
}

void Memberlist::Impl::PushPullRandom() {
  if (shutdown_) return;
  std::vector<NodeEntry*> peer = RandomNodes(1, [&](const NodeEntry& e) {
    return e.node.name == opts_.name || e.node.state != NodeState::kAlive;
  });
  if (peer.empty()) return;
  const std::string name = peer[0]->node.name;
  members_at_last_push_pull_ = NumMembers();
  last_growth_push_pull_ = Now();
  PushPullNode(peer[0]->node.Address(), false, [this, name](absl::Status s) {
    if (!s.ok()) log_.Error("Push/Pull with {} failed: {}", name, s.message());
  });
}

void Memberlist::Impl::OnMembershipGrew() {
  // Cairn extension (see Options::growth_push_pull_interval): when the pool grows by a
  // quarter or more since our last exchange, exchange state early instead of relying on
  // gossip alone, whose retransmit limit was computed for the smaller pool.
  if (opts_.growth_push_pull_interval <= absl::ZeroDuration() || growth_timer_ || shutdown_) return;
  const int members = NumMembers();
  if (members * 4 < members_at_last_push_pull_ * 5) return;
  const absl::Duration since = Now() - last_growth_push_pull_;
  absl::Duration wait = std::max(absl::ZeroDuration(), opts_.growth_push_pull_interval - since);
  // Jitter so that a pool that grows at once does not exchange all at the same instant.
  wait += absl::Nanoseconds(std::uniform_int_distribution<int64_t>(
      0, absl::ToInt64Nanoseconds(opts_.gossip_interval) * 5)(rng_));
  growth_timer_ = After(wait, [this] {
    auto self = std::move(growth_timer_);
    PushPullRandom();
  });
}

void Memberlist::Impl::ScheduleJoinFollowups() {
  for (absl::Duration d : opts_.join_followup_push_pulls) {
    followup_timers_.push_back(After(d, [this] { PushPullRandom(); }));
  }
}

// ---- packet handlers that answer probes

void Memberlist::Impl::HandlePing(std::string_view body, std::string_view from) {
  absl::StatusOr<Ping> p = DecodeBody<Ping>(body);
  if (!p.ok()) {
    DropPacket(from, p.status());
    return;
  }
  if (!p->node.empty() && p->node != opts_.name) {
    log_.Warn("Got ping for unexpected node '{}' from={}", p->node, from);
    return;
  }
  Ack ack{.seq_no = p->seq_no};
  if (d_.ping != nullptr) ack.payload = d_.ping->AckPayload();
  std::string to(from);
  if (!p->source_addr.empty() && p->source_port > 0) {
    if (auto ip = IpFromBytes(p->source_addr); ip.ok()) to = JoinHostPort(*ip, p->source_port);
  }
  if (absl::Status s = SendMsg(to, EncodeMessage(ack)); !s.ok()) {
    log_.Error("Failed to send ack: {} from={}", s.message(), from);
  }
}

void Memberlist::Impl::HandleIndirectPing(std::string_view body, std::string_view from) {
  absl::StatusOr<IndirectPing> ind = DecodeBody<IndirectPing>(body);
  if (!ind.ok()) {
    DropPacket(from, ind.status());
    return;
  }
  absl::StatusOr<std::string> target_ip = IpFromBytes(ind->target);
  if (!target_ip.ok()) {
    DropPacket(from, target_ip.status());
    return;
  }
  const uint16_t port = ind->port == 0 ? adv_port_ : ind->port;
  std::string requester(from);
  if (!ind->source_addr.empty() && ind->source_port > 0) {
    if (auto ip = IpFromBytes(ind->source_addr); ip.ok()) {
      requester = JoinHostPort(*ip, ind->source_port);
    }
  }
  const uint32_t local_seq = ++seq_no_;
  const uint32_t their_seq = ind->seq_no;
  absl::AnyInvocable<void()> on_timeout;
  if (ind->nack) {
    on_timeout = [this, requester, their_seq] {
      if (absl::Status s = SendMsg(requester, EncodeMessage(Nack{.seq_no = their_seq})); !s.ok()) {
        log_.Error("Failed to send nack: {}", s.message());
      }
    };
  }
  SetAckHandler(
      local_seq,
      [this, requester, their_seq](std::string_view, absl::Time) {
        if (absl::Status s = SendMsg(requester, EncodeMessage(Ack{.seq_no = their_seq})); !s.ok()) {
          log_.Error("Failed to forward ack: {}", s.message());
        }
      },
      nullptr, std::move(on_timeout), opts_.probe_timeout);
  Ping ping{.seq_no = local_seq,
            .node = ind->node,
            .source_addr = adv_addr_bytes_,
            .source_port = adv_port_,
            .source_node = opts_.name};
  if (absl::Status s = SendMsg(JoinHostPort(*target_ip, port), EncodeMessage(ping)); !s.ok()) {
    log_.Error("Failed to send indirect ping: {}", s.message());
  }
}

}  // namespace cairn::gossip
