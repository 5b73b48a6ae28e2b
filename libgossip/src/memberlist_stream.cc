// The TCP side of memberlist's net.go: push/pull (join and anti-entropy), the fallback
// ping, reliable user messages, and serving the same for peers. Each exchange is a small
// state machine of Stream reads and writes; the Stream is owned by a StreamExchange in
// exchanges_, so destroying the Memberlist cancels every pending callback.
#include <cairn/base/status.h>
#include <cairn/gossip/protocol_version.h>

#include "memberlist_impl.h"

namespace cairn::gossip {

namespace {

// memberlist's maxPushPullRequests: more concurrent incoming push/pulls are refused.
constexpr int kMaxPushPullRequests = 128;

// Checks that the message body is complete (plaintext uncompressed streams have no length
// prefix: the body ends where its msgpack ends).
absl::Status CheckBody(const StreamMessage& m) {
  absl::Status s;
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::kPushPull:
      s = DecodeBody<PushPull>(m.body).status();
      break;
    case MessageType::kPing:
      s = DecodeBody<Ping>(m.body).status();
      break;
    case MessageType::kAck:
      s = DecodeBody<Ack>(m.body).status();
      break;
    case MessageType::kErr:
      s = DecodeBody<ErrResp>(m.body).status();
      break;
    case MessageType::kUser:
      s = DecodeUserStreamBody(m.body).status();
      break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("received invalid msgType ({})", static_cast<int>(m.type)));
  }
  // A framed (encrypted or compressed) message is complete by construction; running out
  // of bytes inside it means it was cut short.
  if (absl::IsOutOfRange(s) && (m.encrypted || m.compressed)) {
    return absl::InvalidArgumentError("stream message truncated");
  }
  return s;
}

}  // namespace

uint64_t Memberlist::Impl::NewExchange(std::unique_ptr<Stream> stream) {
  const uint64_t id = ++next_exchange_;
  stream->SetDeadline(opts_.tcp_timeout);
  exchanges_.emplace(id, std::make_unique<StreamExchange>(std::move(stream)));
  return id;
}

void Memberlist::Impl::EndExchange(uint64_t id) {
  auto it = exchanges_.find(id);
  if (it == exchanges_.end()) return;
  // The exchange may be ending from inside its own stream's callback: keep the object
  // alive until that callback has returned.
  std::shared_ptr<StreamExchange> dying(std::move(it->second));
  exchanges_.erase(it);
  Post([dying] {});
}

StreamReadOptions Memberlist::Impl::ReadOptions() const {
  return StreamReadOptions{
      .keyring = opts_.keyring ? &*opts_.keyring : nullptr,
      .verify_incoming = opts_.gossip_verify_incoming,
      .label = opts_.skip_inbound_label_check ? std::string_view() : std::string_view(opts_.label)};
}

absl::StatusOr<std::string> Memberlist::Impl::FrameStream(std::string message) const {
  return EncodeStream(message, StreamWriteOptions{
                                   .compress = opts_.enable_compression,
                                   .keyring = opts_.keyring ? &*opts_.keyring : nullptr,
                                   .verify_outgoing = opts_.gossip_verify_outgoing,
                                   .label = opts_.label,
                               });
}

// Reads until one whole message is buffered, then calls `done` with it.
static void ReadMessage(Memberlist::Impl* impl, uint64_t id,
                        absl::AnyInvocable<void(absl::StatusOr<StreamMessage>) &&> done) {
  auto it = impl->exchanges_.find(id);
  if (it == impl->exchanges_.end()) return;
  StreamExchange& ex = *it->second;
  if (!ex.buf.empty()) {
    absl::StatusOr<StreamMessage> m = DecodeStream(ex.buf, impl->ReadOptions());
    if (m.ok()) {
      absl::Status body = CheckBody(*m);
      if (!absl::IsOutOfRange(body)) {
        if (!body.ok()) return std::move(done)(body);
        return std::move(done)(std::move(m));
      }
    } else if (!absl::IsOutOfRange(m.status())) {
      return std::move(done)(m.status());
    }
    if (ex.buf.size() > kMaxStreamSize + 64) {
      return std::move(done)(absl::InvalidArgumentError("stream message too large"));
    }
  }
  ex.stream->Read([impl, id, done = std::move(done)](absl::StatusOr<std::string> chunk) mutable {
    auto it = impl->exchanges_.find(id);
    if (it == impl->exchanges_.end()) return;
    if (!chunk.ok()) return std::move(done)(chunk.status());
    it->second->buf += *chunk;
    ReadMessage(impl, id, std::move(done));
  });
}

std::string Memberlist::Impl::EncodeLocalState(bool join) {
  PushPull pp;
  pp.join = join;
  pp.nodes.reserve(nodes_.size());
  for (const NodeEntry* e : nodes_) {
    const Node& n = e->node;
    pp.nodes.push_back(PushNodeState{
        .name = n.name,
        .addr = IpToBytes(n.addr).value_or(""),
        .port = n.port,
        .meta = n.meta,
        .incarnation = n.incarnation,
        .state = n.state,
        .vsn = Vsn{n.pmin, n.pmax, n.pcur, n.dmin, n.dmax, n.dcur}.ToBytes(),
    });
  }
  if (d_.delegate != nullptr) pp.user_state = d_.delegate->LocalState(join);
  return EncodeMessage(pp);
}

absl::Status Memberlist::Impl::MergeRemoteState(const PushPull& remote) {
  std::vector<PushNodeState> local;
  local.reserve(nodes_.size());
  for (const NodeEntry* e : nodes_) {
    const Node& n = e->node;
    local.push_back(
        PushNodeState{.name = n.name,
                      .state = n.state,
                      .vsn = Vsn{n.pmin, n.pmax, n.pcur, n.dmin, n.dmax, n.dcur}.ToBytes()});
  }
  if (absl::Status s = VerifyProtocol(remote.nodes, local); !s.ok()) {
    log_.Error("refusing a push/pull merge: {}", s.message());
    return s;
  }
  if (d_.merge != nullptr) {
    std::vector<Node> peers;
    peers.reserve(remote.nodes.size());
    for (const PushNodeState& r : remote.nodes) {
      Node n;
      n.name = r.name;
      n.addr = IpFromBytes(r.addr).value_or("");
      n.port = r.port;
      n.meta = r.meta.value_or("");
      n.state = r.state;
      n.incarnation = r.incarnation;
      Vsn v = Vsn::FromBytes(r.vsn);
      n.pmin = v.protocol_min, n.pmax = v.protocol_max, n.pcur = v.protocol_cur;
      n.dmin = v.delegate_min, n.dmax = v.delegate_max, n.dcur = v.delegate_cur;
      peers.push_back(std::move(n));
    }
    CAIRN_RETURN_IF_ERROR(d_.merge->NotifyMerge(peers));
  }
  MergeState(remote.nodes);
  if (!remote.user_state.empty() && d_.delegate != nullptr) {
    d_.delegate->MergeRemoteState(remote.user_state, remote.join);
  }
  return absl::OkStatus();
}

void Memberlist::Impl::PushPullNode(std::string address, bool join,
                                    absl::AnyInvocable<void(absl::Status) &&> done) {
  transport_.DialStream(
      address, opts_.tcp_timeout,
      [this, join, done = std::move(done)](absl::StatusOr<std::unique_ptr<Stream>> s) mutable {
        if (!s.ok()) return std::move(done)(s.status());
        const uint64_t id = NewExchange(std::move(*s));
        absl::StatusOr<std::string> framed = FrameStream(EncodeLocalState(join));
        if (!framed.ok()) {
          EndExchange(id);
          return std::move(done)(framed.status());
        }
        exchanges_[id]->stream->Write(std::move(*framed), [this, id, done = std::move(done)](
                                                              absl::Status w) mutable {
          if (!w.ok()) {
            EndExchange(id);
            return std::move(done)(w);
          }
          ReadMessage(this, id,
                      [this, id, done = std::move(done)](absl::StatusOr<StreamMessage> m) mutable {
                        EndExchange(id);
                        if (!m.ok()) {
                          ++stats_.streams_dropped;
                          return std::move(done)(m.status());
                        }
                        if (m->type == static_cast<uint8_t>(MessageType::kErr)) {
                          auto e = DecodeBody<ErrResp>(m->body);
                          return std::move(done)(absl::UnavailableError(
                              fmt::format("remote error: {}", e.ok() ? e->error : "?")));
                        }
                        if (m->type != static_cast<uint8_t>(MessageType::kPushPull)) {
                          return std::move(done)(absl::InvalidArgumentError(
                              fmt::format("received invalid msgType ({}), expected pushPullMsg (6)",
                                          static_cast<int>(m->type))));
                        }
                        absl::StatusOr<PushPull> pp = DecodeBody<PushPull>(m->body);
                        if (!pp.ok()) return std::move(done)(pp.status());
                        ++stats_.push_pulls;
                        std::move(done)(MergeRemoteState(*pp));
                      });
        });
      });
}

void Memberlist::Impl::StreamPing(std::string address, const Ping& ping, absl::Duration timeout,
                                  absl::AnyInvocable<void(bool contacted) &&> done) {
  transport_.DialStream(
      address, timeout,
      [this, ping, timeout,
       done = std::move(done)](absl::StatusOr<std::unique_ptr<Stream>> s) mutable {
        if (!s.ok()) return std::move(done)(false);
        const uint64_t id = NewExchange(std::move(*s));
        exchanges_[id]->stream->SetDeadline(timeout);
        absl::StatusOr<std::string> framed = FrameStream(EncodeMessage(ping));
        if (!framed.ok()) {
          EndExchange(id);
          return std::move(done)(false);
        }
        const uint32_t seq = ping.seq_no;
        exchanges_[id]->stream->Write(
            std::move(*framed), [this, id, seq, done = std::move(done)](absl::Status w) mutable {
              if (!w.ok()) {
                EndExchange(id);
                return std::move(done)(false);
              }
              ReadMessage(
                  this, id,
                  [this, id, seq, done = std::move(done)](absl::StatusOr<StreamMessage> m) mutable {
                    EndExchange(id);
                    if (!m.ok() || m->type != static_cast<uint8_t>(MessageType::kAck)) {
                      return std::move(done)(false);
                    }
                    absl::StatusOr<Ack> ack = DecodeBody<Ack>(m->body);
                    std::move(done)(ack.ok() && ack->seq_no == seq);
                  });
            });
      });
}

void Memberlist::Impl::HandleStream(std::unique_ptr<Stream> stream) {
  if (shutdown_) return;
  const std::string from = stream->RemoteAddress();
  const uint64_t id = NewExchange(std::move(stream));
  auto reply_and_end = [this, id](std::string message) {
    auto it = exchanges_.find(id);
    if (it == exchanges_.end()) return;
    absl::StatusOr<std::string> framed = FrameStream(std::move(message));
    if (!framed.ok()) return EndExchange(id);
    it->second->stream->Write(std::move(*framed), [this, id](absl::Status) { EndExchange(id); });
  };
  ReadMessage(this, id, [this, id, from, reply_and_end](absl::StatusOr<StreamMessage> m) mutable {
    if (!m.ok()) {
      ++stats_.streams_dropped;
      if (opts_.metrics != nullptr) opts_.metrics->GetCounter("memberlist.tcp.dropped").Increment();
      if (absl::IsOutOfRange(m.status())) return EndExchange(id);  // closed early: nothing to say
      log_.Error("failed to receive: {} from={}", m.status().message(), from);
      return reply_and_end(EncodeMessage(ErrResp{.error = std::string(m.status().message())}));
    }
    switch (static_cast<MessageType>(m->type)) {
      case MessageType::kPushPull: {
        absl::StatusOr<PushPull> pp = DecodeBody<PushPull>(m->body);
        if (!pp.ok()) {
          ++stats_.streams_dropped;
          return reply_and_end(EncodeMessage(ErrResp{.error = std::string(pp.status().message())}));
        }
        if (active_push_pulls_ >= kMaxPushPullRequests) {
          return reply_and_end(
              EncodeMessage(ErrResp{.error = "too many pending push/pull requests"}));
        }
        ++active_push_pulls_;
        // Our state as it was before theirs is merged, as memberlist sends it.
        reply_and_end(EncodeLocalState(pp->join));
        --active_push_pulls_;
        if (absl::Status s = MergeRemoteState(*pp); !s.ok()) {
          log_.Error("Failed push/pull merge: {} from={}", s.message(), from);
        }
        return;
      }
      case MessageType::kPing: {
        absl::StatusOr<Ping> p = DecodeBody<Ping>(m->body);
        if (!p.ok()) return EndExchange(id);
        if (!p->node.empty() && p->node != opts_.name) {
          log_.Error("Got ping for unexpected node {} from={}", p->node, from);
          return EndExchange(id);
        }
        return reply_and_end(EncodeMessage(Ack{.seq_no = p->seq_no}));
      }
      case MessageType::kUser: {
        absl::StatusOr<std::string> payload = DecodeUserStreamBody(m->body);
        EndExchange(id);
        if (payload.ok() && d_.delegate != nullptr) d_.delegate->NotifyMsg(*payload);
        return;
      }
      default:
        ++stats_.streams_dropped;
        return reply_and_end(EncodeMessage(ErrResp{
            .error = fmt::format("received invalid msgType ({})", static_cast<int>(m->type))}));
    }
  });
}

void Memberlist::Impl::SendReliable(const Node& to, std::string msg,
                                    absl::AnyInvocable<void(absl::Status) &&> done) {
  if (shutdown_) {
    if (done)
      Post([done = std::move(done)]() mutable {
        std::move(done)(absl::FailedPreconditionError("memberlist is shut down"));
      });
    return;
  }
  transport_.DialStream(
      to.Address(), opts_.tcp_timeout,
      [this, msg = std::move(msg),
       done = std::move(done)](absl::StatusOr<std::unique_ptr<Stream>> s) mutable {
        auto finish = [&done](absl::Status st) {
          if (done) std::move(done)(std::move(st));
        };
        if (!s.ok()) return finish(s.status());
        const uint64_t id = NewExchange(std::move(*s));
        absl::StatusOr<std::string> framed = FrameStream(EncodeUserStreamMessage(msg));
        if (!framed.ok()) {
          EndExchange(id);
          return finish(framed.status());
        }
        exchanges_[id]->stream->Write(std::move(*framed),
                                      [this, id, done = std::move(done)](absl::Status w) mutable {
                                        EndExchange(id);
                                        if (done) std::move(done)(w);
                                      });
      });
}

}  // namespace cairn::gossip
