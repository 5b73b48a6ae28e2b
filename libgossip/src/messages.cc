#include <absl/strings/str_format.h>

#include <cairn/base/status.h>
#include <cairn/gossip/messages.h>

#include "codec_util.h"

namespace cairn::gossip {

using internal::Get;
using internal::ReadStruct;
using msgpack::Decoder;
using msgpack::Encoder;

std::string MessageTypeName(uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kPing:
      return "ping";
    case MessageType::kIndirectPing:
      return "indirect-ping";
    case MessageType::kAck:
      return "ack";
    case MessageType::kSuspect:
      return "suspect";
    case MessageType::kAlive:
      return "alive";
    case MessageType::kDead:
      return "dead";
    case MessageType::kPushPull:
      return "push-pull";
    case MessageType::kCompound:
      return "compound";
    case MessageType::kUser:
      return "user";
    case MessageType::kCompress:
      return "compress";
    case MessageType::kEncrypt:
      return "encrypt";
    case MessageType::kNack:
      return "nack";
    case MessageType::kHasCrc:
      return "has-crc";
    case MessageType::kErr:
      return "err";
    case MessageType::kHasLabel:
      return "has-label";
  }
  return absl::StrFormat("unknown(%d)", type);
}

std::string Vsn::ToBytes() const {
  return std::string{static_cast<char>(protocol_min), static_cast<char>(protocol_max),
                     static_cast<char>(protocol_cur), static_cast<char>(delegate_min),
                     static_cast<char>(delegate_max), static_cast<char>(delegate_cur)};
}

Vsn Vsn::FromBytes(std::string_view bytes) {
  uint8_t v[6] = {0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < 6 && i < bytes.size(); ++i) v[i] = static_cast<uint8_t>(bytes[i]);
  return Vsn{v[0], v[1], v[2], v[3], v[4], v[5]};
}

absl::Status Vsn::Validate(std::string_view bytes) {
  if (bytes.size() < 3) return absl::OkStatus();
  const Vsn v = FromBytes(bytes);
  if (v.protocol_min == 0 || v.protocol_max == 0 || v.protocol_min > v.protocol_max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid protocol version range [%d, %d]", v.protocol_min, v.protocol_max));
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckMeta(const std::optional<std::string>& meta) {
  if (meta.has_value() && meta->size() > kMetaMaxSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "node meta of %d bytes exceeds the %d-byte limit", meta->size(), kMetaMaxSize));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Encoders. Keys are written in sorted byte order, as go-msgpack does for structs;
// omitempty fields (ping/indirect ping Source*) leave the map when zero.

void EncodeBody(const Ping& m, Encoder& e) {
  const bool addr = !m.source_addr.empty(), node = !m.source_node.empty(),
             port = m.source_port != 0;
  e.MapHeader(2 + addr + node + port);
  e.Raw("Node");
  e.Raw(m.node);
  e.Raw("SeqNo");
  e.Uint(m.seq_no);
  if (addr) {
    e.Raw("SourceAddr");
    e.Raw(m.source_addr);
  }
  if (node) {
    e.Raw("SourceNode");
    e.Raw(m.source_node);
  }
  if (port) {
    e.Raw("SourcePort");
    e.Uint(m.source_port);
  }
}

void EncodeBody(const IndirectPing& m, Encoder& e) {
  const bool addr = !m.source_addr.empty(), node = !m.source_node.empty(),
             port = m.source_port != 0;
  e.MapHeader(5 + addr + node + port);
  e.Raw("Nack");
  e.Bool(m.nack);
  e.Raw("Node");
  e.Raw(m.node);
  e.Raw("Port");
  e.Uint(m.port);
  e.Raw("SeqNo");
  e.Uint(m.seq_no);
  if (addr) {
    e.Raw("SourceAddr");
    e.Raw(m.source_addr);
  }
  if (node) {
    e.Raw("SourceNode");
    e.Raw(m.source_node);
  }
  if (port) {
    e.Raw("SourcePort");
    e.Uint(m.source_port);
  }
  e.Raw("Target");
  e.Raw(m.target);
}

void EncodeBody(const Ack& m, Encoder& e) {
  e.MapHeader(2);
  e.Raw("Payload");
  e.RawOrNil(m.payload);
  e.Raw("SeqNo");
  e.Uint(m.seq_no);
}

void EncodeBody(const Nack& m, Encoder& e) {
  e.MapHeader(1);
  e.Raw("SeqNo");
  e.Uint(m.seq_no);
}

void EncodeBody(const Suspect& m, Encoder& e) {
  e.MapHeader(3);
  e.Raw("From");
  e.Raw(m.from);
  e.Raw("Incarnation");
  e.Uint(m.incarnation);
  e.Raw("Node");
  e.Raw(m.node);
}

void EncodeBody(const Alive& m, Encoder& e) {
  CAIRN_CHECK_MSG(CheckMeta(m.meta).ok(), "alive for {} carries oversized meta", m.node);
  e.MapHeader(6);
  e.Raw("Addr");
  e.Raw(m.addr);
  e.Raw("Incarnation");
  e.Uint(m.incarnation);
  e.Raw("Meta");
  e.RawOrNil(m.meta);
  e.Raw("Node");
  e.Raw(m.node);
  e.Raw("Port");
  e.Uint(m.port);
  e.Raw("Vsn");
  e.Raw(m.vsn);
}

void EncodeBody(const Dead& m, Encoder& e) {
  e.MapHeader(3);
  e.Raw("From");
  e.Raw(m.from);
  e.Raw("Incarnation");
  e.Uint(m.incarnation);
  e.Raw("Node");
  e.Raw(m.node);
}

void EncodeBody(const Compress& m, Encoder& e) {
  e.MapHeader(2);
  e.Raw("Algo");
  e.Uint(m.algo);
  e.Raw("Buf");
  e.Raw(m.buf);
}

void EncodeBody(const ErrResp& m, Encoder& e) {
  e.MapHeader(1);
  e.Raw("Error");
  e.Raw(m.error);
}

void EncodeBody(const PushPullHeader& m, Encoder& e) {
  e.MapHeader(3);
  e.Raw("Join");
  e.Bool(m.join);
  e.Raw("Nodes");
  e.Int(m.nodes);
  e.Raw("UserStateLen");
  e.Int(m.user_state_len);
}

void EncodeBody(const PushNodeState& m, Encoder& e) {
  CAIRN_CHECK_MSG(CheckMeta(m.meta).ok(), "state for {} carries oversized meta", m.name);
  e.MapHeader(7);
  e.Raw("Addr");
  e.Raw(m.addr);
  e.Raw("Incarnation");
  e.Uint(m.incarnation);
  e.Raw("Meta");
  e.RawOrNil(m.meta);
  e.Raw("Name");
  e.Raw(m.name);
  e.Raw("Port");
  e.Uint(m.port);
  e.Raw("State");
  e.Int(static_cast<int32_t>(m.state));
  e.Raw("Vsn");
  e.Raw(m.vsn);
}

void EncodeBody(const UserMsgHeader& m, Encoder& e) {
  e.MapHeader(1);
  e.Raw("UserMsgLen");
  e.Int(m.user_msg_len);
}

void EncodeBody(const PushPull& m, Encoder& e) {
  EncodeBody(PushPullHeader{.nodes = static_cast<int64_t>(m.nodes.size()),
                            .user_state_len = static_cast<int64_t>(m.user_state.size()),
                            .join = m.join},
             e);
  for (const PushNodeState& s : m.nodes) EncodeBody(s, e);
  e.out()->append(m.user_state);
}

// ---- Decoders.

absl::Status DecodeBody(Decoder& d, Ping* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("SeqNo", &m->seq_no);
    CAIRN_GOSSIP_FIELD("Node", &m->node);
    CAIRN_GOSSIP_FIELD("SourceAddr", &m->source_addr);
    CAIRN_GOSSIP_FIELD("SourcePort", &m->source_port);
    CAIRN_GOSSIP_FIELD("SourceNode", &m->source_node);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, IndirectPing* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("SeqNo", &m->seq_no);
    CAIRN_GOSSIP_FIELD("Target", &m->target);
    CAIRN_GOSSIP_FIELD("Port", &m->port);
    CAIRN_GOSSIP_FIELD("Node", &m->node);
    CAIRN_GOSSIP_FIELD("Nack", &m->nack);
    CAIRN_GOSSIP_FIELD("SourceAddr", &m->source_addr);
    CAIRN_GOSSIP_FIELD("SourcePort", &m->source_port);
    CAIRN_GOSSIP_FIELD("SourceNode", &m->source_node);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, Ack* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("SeqNo", &m->seq_no);
    CAIRN_GOSSIP_FIELD("Payload", &m->payload);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, Nack* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("SeqNo", &m->seq_no);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, Suspect* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Incarnation", &m->incarnation);
    CAIRN_GOSSIP_FIELD("Node", &m->node);
    CAIRN_GOSSIP_FIELD("From", &m->from);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, Alive* m) {
  CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Incarnation", &m->incarnation);
    CAIRN_GOSSIP_FIELD("Node", &m->node);
    CAIRN_GOSSIP_FIELD("Addr", &m->addr);
    CAIRN_GOSSIP_FIELD("Port", &m->port);
    CAIRN_GOSSIP_FIELD("Meta", &m->meta);
    CAIRN_GOSSIP_FIELD("Vsn", &m->vsn);
    return false;
  }));
  return CheckMeta(m->meta);
}

absl::Status DecodeBody(Decoder& d, Dead* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Incarnation", &m->incarnation);
    CAIRN_GOSSIP_FIELD("Node", &m->node);
    CAIRN_GOSSIP_FIELD("From", &m->from);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, Compress* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Algo", &m->algo);
    CAIRN_GOSSIP_FIELD("Buf", &m->buf);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, ErrResp* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Error", &m->error);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, PushPullHeader* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Nodes", &m->nodes);
    CAIRN_GOSSIP_FIELD("UserStateLen", &m->user_state_len);
    CAIRN_GOSSIP_FIELD("Join", &m->join);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, PushNodeState* m) {
  int32_t state = 0;
  CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Name", &m->name);
    CAIRN_GOSSIP_FIELD("Addr", &m->addr);
    CAIRN_GOSSIP_FIELD("Port", &m->port);
    CAIRN_GOSSIP_FIELD("Meta", &m->meta);
    CAIRN_GOSSIP_FIELD("Incarnation", &m->incarnation);
    CAIRN_GOSSIP_FIELD("State", &state);
    CAIRN_GOSSIP_FIELD("Vsn", &m->vsn);
    return false;
  }));
  // memberlist ignores states it does not know during merge; keep the value so the
  // runtime can do the same, and so the body re-encodes unchanged.
  m->state = static_cast<NodeState>(state);
  return CheckMeta(m->meta);
}

absl::Status DecodeBody(Decoder& d, UserMsgHeader* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("UserMsgLen", &m->user_msg_len);
    return false;
  });
}

absl::Status DecodeBody(Decoder& d, PushPull* m) {
  PushPullHeader header;
  CAIRN_RETURN_IF_ERROR(DecodeBody(d, &header));
  if (header.nodes < 0 || header.user_state_len < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("push-pull header with negative counts (%d nodes, %d user bytes)",
                        header.nodes, header.user_state_len));
  }
  // Each node state is a map of at least one byte; more states than bytes cannot be real.
  if (static_cast<uint64_t>(header.nodes) > d.remaining()) {
    return absl::OutOfRangeError(
        absl::StrFormat("push-pull header announces %d nodes but only %d bytes follow",
                        header.nodes, d.remaining()));
  }
  m->join = header.join;
  m->nodes.clear();
  m->nodes.reserve(static_cast<size_t>(header.nodes));
  for (int64_t i = 0; i < header.nodes; ++i) {
    PushNodeState s;
    CAIRN_RETURN_IF_ERROR(DecodeBody(d, &s));
    m->nodes.push_back(std::move(s));
  }
  CAIRN_ASSIGN_OR_RETURN(std::string_view user,
                         d.ReadVerbatim(static_cast<size_t>(header.user_state_len)));
  m->user_state = std::string(user);
  return absl::OkStatus();
}

}  // namespace cairn::gossip
