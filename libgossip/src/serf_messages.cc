#include <absl/strings/str_format.h>

#include <cairn/base/status.h>
#include <cairn/gossip/messages.h>
#include <cairn/gossip/serf_messages.h>

#include "codec_util.h"

namespace cairn::gossip {

using internal::Get;
using internal::ReadStruct;
using msgpack::Decoder;
using msgpack::Encoder;

namespace {

// ---- encoders (keys in sorted order, as go-msgpack writes struct fields).

void Put(const SerfLeave& m, Encoder& e) {
  e.MapHeader(3);
  e.Raw("LTime");
  e.Uint(m.ltime);
  e.Raw("Node");
  e.Raw(m.node);
  e.Raw("Prune");
  e.Bool(m.prune);
}

void Put(const SerfJoin& m, Encoder& e) {
  e.MapHeader(2);
  e.Raw("LTime");
  e.Uint(m.ltime);
  e.Raw("Node");
  e.Raw(m.node);
}

void PutTags(const TagList& tags, Encoder& e) {
  e.MapHeader(static_cast<uint32_t>(tags.size()));
  for (const auto& [k, v] : tags) {
    e.Raw(k);
    e.Raw(v);
  }
}

void Put(const SerfPushPull& m, Encoder& e) {
  e.MapHeader(6);
  e.Raw("EventLTime");
  e.Uint(m.event_ltime);
  e.Raw("Events");
  e.ArrayHeader(static_cast<uint32_t>(m.events.size()));
  for (const auto& slot : m.events) {
    if (!slot.has_value()) {
      e.Nil();
      continue;
    }
    e.MapHeader(2);
    e.Raw("Events");
    e.ArrayHeader(static_cast<uint32_t>(slot->events.size()));
    for (const UserEventEntry& ev : slot->events) {
      e.MapHeader(2);
      e.Raw("Name");
      e.Raw(ev.name);
      e.Raw("Payload");
      e.RawOrNil(ev.payload);
    }
    e.Raw("LTime");
    e.Uint(slot->ltime);
  }
  e.Raw("LTime");
  e.Uint(m.ltime);
  e.Raw("LeftMembers");
  e.ArrayHeader(static_cast<uint32_t>(m.left_members.size()));
  for (const std::string& name : m.left_members) e.Raw(name);
  e.Raw("QueryLTime");
  e.Uint(m.query_ltime);
  e.Raw("StatusLTimes");
  e.MapHeader(static_cast<uint32_t>(m.status_ltimes.size()));
  for (const auto& [name, t] : m.status_ltimes) {
    e.Raw(name);
    e.Uint(t);
  }
}

void Put(const UserEvent& m, Encoder& e) {
  e.MapHeader(4);
  e.Raw("CC");
  e.Bool(m.cc);
  e.Raw("LTime");
  e.Uint(m.ltime);
  e.Raw("Name");
  e.Raw(m.name);
  e.Raw("Payload");
  e.RawOrNil(m.payload);
}

void Put(const Query& m, Encoder& e) {
  e.MapHeader(11);
  e.Raw("Addr");
  e.Raw(m.addr);
  e.Raw("Filters");
  if (m.filters.empty()) {
    e.Nil();  // serf appends to a nil [][]byte: no filters is nil, not []
  } else {
    e.ArrayHeader(static_cast<uint32_t>(m.filters.size()));
    for (const std::string& f : m.filters) e.Raw(f);
  }
  e.Raw("Flags");
  e.Uint(m.flags);
  e.Raw("ID");
  e.Uint(m.id);
  e.Raw("LTime");
  e.Uint(m.ltime);
  e.Raw("Name");
  e.Raw(m.name);
  e.Raw("Payload");
  e.RawOrNil(m.payload);
  e.Raw("Port");
  e.Uint(m.port);
  e.Raw("RelayFactor");
  e.Uint(m.relay_factor);
  e.Raw("SourceNode");
  e.Raw(m.source_node);
  e.Raw("Timeout");
  e.Int(m.timeout_ns);
}

void Put(const QueryResponse& m, Encoder& e) {
  e.MapHeader(5);
  e.Raw("Flags");
  e.Uint(m.flags);
  e.Raw("From");
  e.Raw(m.from);
  e.Raw("ID");
  e.Uint(m.id);
  e.Raw("LTime");
  e.Uint(m.ltime);
  e.Raw("Payload");
  e.RawOrNil(m.payload);
}

void Put(const ConflictResponse& m, Encoder& e) {
  if (!m.member.has_value()) {
    e.Nil();
    return;
  }
  const SerfMember& s = *m.member;
  e.MapHeader(11);
  e.Raw("Addr");
  e.Raw(s.addr);
  e.Raw("DelegateCur");
  e.Uint(s.delegate_cur);
  e.Raw("DelegateMax");
  e.Uint(s.delegate_max);
  e.Raw("DelegateMin");
  e.Uint(s.delegate_min);
  e.Raw("Name");
  e.Raw(s.name);
  e.Raw("Port");
  e.Uint(s.port);
  e.Raw("ProtocolCur");
  e.Uint(s.protocol_cur);
  e.Raw("ProtocolMax");
  e.Uint(s.protocol_max);
  e.Raw("ProtocolMin");
  e.Uint(s.protocol_min);
  e.Raw("Status");
  e.Int(static_cast<int32_t>(s.status));
  e.Raw("Tags");
  PutTags(s.tags, e);
}

void Put(const KeyRequest& m, Encoder& e) {
  e.MapHeader(1);
  e.Raw("Key");
  e.RawOrNil(m.key);
}

void Put(const KeyResponse& m, Encoder& e) {
  e.MapHeader(4);
  e.Raw("Keys");
  if (m.keys.has_value()) {
    e.ArrayHeader(static_cast<uint32_t>(m.keys->size()));
    for (const std::string& k : *m.keys) e.Raw(k);
  } else {
    e.Nil();
  }
  e.Raw("Message");
  e.Raw(m.message);
  e.Raw("PrimaryKey");
  e.Raw(m.primary_key);
  e.Raw("Result");
  e.Bool(m.result);
}

void Put(const Relay& m, Encoder& e) {
  e.MapHeader(2);
  e.Raw("DestAddr");
  e.MapHeader(3);
  e.Raw("IP");
  e.Raw(m.dest_ip);
  e.Raw("Port");
  e.Int(m.dest_port);
  e.Raw("Zone");
  e.Raw(m.dest_zone);
  e.Raw("DestName");
  e.Raw(m.dest_name);
  e.out()->append(m.inner);
}

// ---- decoders.

absl::Status ReadStringArray(Decoder& d, std::vector<std::string>* out) {
  CAIRN_ASSIGN_OR_RETURN(uint32_t n, d.ReadArrayHeader());
  out->clear();
  out->reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    CAIRN_ASSIGN_OR_RETURN(std::string s, d.ReadString());
    out->push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status ReadTags(Decoder& d, TagList* out) {
  CAIRN_ASSIGN_OR_RETURN(uint32_t n, d.ReadMapHeader());
  out->clear();
  out->reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    CAIRN_ASSIGN_OR_RETURN(std::string k, d.ReadString());
    CAIRN_ASSIGN_OR_RETURN(std::string v, d.ReadString());
    out->emplace_back(std::move(k), std::move(v));
  }
  return absl::OkStatus();
}

absl::Status Read(Decoder& d, SerfLeave* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("LTime", &m->ltime);
    CAIRN_GOSSIP_FIELD("Node", &m->node);
    CAIRN_GOSSIP_FIELD("Prune", &m->prune);
    return false;
  });
}

absl::Status Read(Decoder& d, SerfJoin* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("LTime", &m->ltime);
    CAIRN_GOSSIP_FIELD("Node", &m->node);
    return false;
  });
}

absl::Status ReadSlot(Decoder& d, UserEventSlot* slot) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("LTime", &slot->ltime);
    if (key == "Events") {
      CAIRN_ASSIGN_OR_RETURN(uint32_t n, d.ReadArrayHeader());
      slot->events.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        UserEventEntry ev;
        CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view k2) -> absl::StatusOr<bool> {
          std::string_view key = k2;
          CAIRN_GOSSIP_FIELD("Name", &ev.name);
          CAIRN_GOSSIP_FIELD("Payload", &ev.payload);
          return false;
        }));
        slot->events.push_back(std::move(ev));
      }
      return true;
    }
    return false;
  });
}

absl::Status Read(Decoder& d, SerfPushPull* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("LTime", &m->ltime);
    CAIRN_GOSSIP_FIELD("EventLTime", &m->event_ltime);
    CAIRN_GOSSIP_FIELD("QueryLTime", &m->query_ltime);
    if (key == "LeftMembers") {
      CAIRN_RETURN_IF_ERROR(ReadStringArray(d, &m->left_members));
      return true;
    }
    if (key == "StatusLTimes") {
      CAIRN_ASSIGN_OR_RETURN(uint32_t n, d.ReadMapHeader());
      m->status_ltimes.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        CAIRN_ASSIGN_OR_RETURN(std::string name, d.ReadString());
        CAIRN_ASSIGN_OR_RETURN(LamportTime t, d.ReadUint());
        m->status_ltimes.emplace_back(std::move(name), t);
      }
      return true;
    }
    if (key == "Events") {
      CAIRN_ASSIGN_OR_RETURN(uint32_t n, d.ReadArrayHeader());
      m->events.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        if (d.NextIsNil()) {
          CAIRN_RETURN_IF_ERROR(d.ReadNil());
          m->events.emplace_back(std::nullopt);
          continue;
        }
        UserEventSlot slot;
        CAIRN_RETURN_IF_ERROR(ReadSlot(d, &slot));
        m->events.emplace_back(std::move(slot));
      }
      return true;
    }
    return false;
  });
}

absl::Status Read(Decoder& d, UserEvent* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("LTime", &m->ltime);
    CAIRN_GOSSIP_FIELD("Name", &m->name);
    CAIRN_GOSSIP_FIELD("Payload", &m->payload);
    CAIRN_GOSSIP_FIELD("CC", &m->cc);
    return false;
  });
}

absl::Status Read(Decoder& d, Query* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("LTime", &m->ltime);
    CAIRN_GOSSIP_FIELD("ID", &m->id);
    CAIRN_GOSSIP_FIELD("Addr", &m->addr);
    CAIRN_GOSSIP_FIELD("Port", &m->port);
    CAIRN_GOSSIP_FIELD("SourceNode", &m->source_node);
    CAIRN_GOSSIP_FIELD("Flags", &m->flags);
    CAIRN_GOSSIP_FIELD("RelayFactor", &m->relay_factor);
    CAIRN_GOSSIP_FIELD("Timeout", &m->timeout_ns);
    CAIRN_GOSSIP_FIELD("Name", &m->name);
    CAIRN_GOSSIP_FIELD("Payload", &m->payload);
    if (key == "Filters") {
      CAIRN_RETURN_IF_ERROR(ReadStringArray(d, &m->filters));
      return true;
    }
    return false;
  });
}

absl::Status Read(Decoder& d, QueryResponse* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("LTime", &m->ltime);
    CAIRN_GOSSIP_FIELD("ID", &m->id);
    CAIRN_GOSSIP_FIELD("From", &m->from);
    CAIRN_GOSSIP_FIELD("Flags", &m->flags);
    CAIRN_GOSSIP_FIELD("Payload", &m->payload);
    return false;
  });
}

absl::Status Read(Decoder& d, ConflictResponse* m) {
  if (d.NextIsNil()) {
    m->member.reset();
    return d.ReadNil();
  }
  SerfMember s;
  int32_t status = 0;
  CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Name", &s.name);
    CAIRN_GOSSIP_FIELD("Addr", &s.addr);
    CAIRN_GOSSIP_FIELD("Port", &s.port);
    CAIRN_GOSSIP_FIELD("Status", &status);
    CAIRN_GOSSIP_FIELD("ProtocolMin", &s.protocol_min);
    CAIRN_GOSSIP_FIELD("ProtocolMax", &s.protocol_max);
    CAIRN_GOSSIP_FIELD("ProtocolCur", &s.protocol_cur);
    CAIRN_GOSSIP_FIELD("DelegateMin", &s.delegate_min);
    CAIRN_GOSSIP_FIELD("DelegateMax", &s.delegate_max);
    CAIRN_GOSSIP_FIELD("DelegateCur", &s.delegate_cur);
    if (key == "Tags") {
      CAIRN_RETURN_IF_ERROR(ReadTags(d, &s.tags));
      return true;
    }
    return false;
  }));
  s.status = static_cast<MemberStatus>(status);
  m->member = std::move(s);
  return absl::OkStatus();
}

absl::Status Read(Decoder& d, KeyRequest* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Key", &m->key);
    return false;
  });
}

absl::Status Read(Decoder& d, KeyResponse* m) {
  return ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Result", &m->result);
    CAIRN_GOSSIP_FIELD("Message", &m->message);
    CAIRN_GOSSIP_FIELD("PrimaryKey", &m->primary_key);
    if (key == "Keys") {
      if (d.NextIsNil()) {
        m->keys.reset();
        CAIRN_RETURN_IF_ERROR(d.ReadNil());
      } else {
        m->keys.emplace();
        CAIRN_RETURN_IF_ERROR(ReadStringArray(d, &*m->keys));
      }
      return true;
    }
    return false;
  });
}

absl::Status Read(Decoder& d, Relay* m) {
  CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("DestName", &m->dest_name);
    if (key == "DestAddr") {
      CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view k2) -> absl::StatusOr<bool> {
        std::string_view key = k2;
        CAIRN_GOSSIP_FIELD("IP", &m->dest_ip);
        CAIRN_GOSSIP_FIELD("Port", &m->dest_port);
        CAIRN_GOSSIP_FIELD("Zone", &m->dest_zone);
        return false;
      }));
      return true;
    }
    return false;
  }));
  if (d.AtEnd()) return absl::InvalidArgumentError("serf relay without an inner message");
  m->inner = std::string(d.Rest());
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<SerfMessage> ReadAs(std::string_view body) {
  Decoder d(body);
  T m;
  CAIRN_RETURN_IF_ERROR(Read(d, &m));
  return SerfMessage(std::move(m));
}

}  // namespace

SerfMessageType SerfTypeOf(const SerfMessage& m) {
  return static_cast<SerfMessageType>(m.index());  // variant order == serf type numbers
}

std::string EncodeSerfMessage(const SerfMessage& m) {
  std::string out(1, static_cast<char>(SerfTypeOf(m)));
  Encoder e(&out);
  std::visit([&](const auto& v) { Put(v, e); }, m);
  return out;
}

absl::StatusOr<SerfMessage> DecodeSerfMessage(std::string_view bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("empty serf message");
  const uint8_t type = static_cast<uint8_t>(bytes[0]);
  std::string_view body = bytes.substr(1);
  switch (static_cast<SerfMessageType>(type)) {
    case SerfMessageType::kLeave:
      return ReadAs<SerfLeave>(body);
    case SerfMessageType::kJoin:
      return ReadAs<SerfJoin>(body);
    case SerfMessageType::kPushPull:
      return ReadAs<SerfPushPull>(body);
    case SerfMessageType::kUserEvent:
      return ReadAs<UserEvent>(body);
    case SerfMessageType::kQuery:
      return ReadAs<Query>(body);
    case SerfMessageType::kQueryResponse:
      return ReadAs<QueryResponse>(body);
    case SerfMessageType::kConflictResponse:
      return ReadAs<ConflictResponse>(body);
    case SerfMessageType::kKeyRequest:
      return ReadAs<KeyRequest>(body);
    case SerfMessageType::kKeyResponse:
      return ReadAs<KeyResponse>(body);
    case SerfMessageType::kRelay:
      return ReadAs<Relay>(body);
  }
  return absl::InvalidArgumentError(absl::StrFormat("unknown serf message type %d", type));
}

std::string EncodeFilter(const QueryFilter& f) {
  std::string out;
  Encoder e(&out);
  if (const auto* node = std::get_if<NodeFilter>(&f)) {
    out.push_back(static_cast<char>(FilterType::kNode));
    e.ArrayHeader(static_cast<uint32_t>(node->nodes.size()));
    for (const std::string& n : node->nodes) e.Raw(n);
  } else {
    const auto& tag = std::get<TagFilter>(f);
    out.push_back(static_cast<char>(FilterType::kTag));
    e.MapHeader(2);
    e.Raw("Expr");
    e.Raw(tag.expr);
    e.Raw("Tag");
    e.Raw(tag.tag);
  }
  return out;
}

absl::StatusOr<QueryFilter> DecodeFilter(std::string_view bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("empty query filter");
  Decoder d(bytes.substr(1));
  switch (static_cast<uint8_t>(bytes[0])) {
    case static_cast<uint8_t>(FilterType::kNode): {
      NodeFilter f;
      CAIRN_RETURN_IF_ERROR(ReadStringArray(d, &f.nodes));
      return QueryFilter(std::move(f));
    }
    case static_cast<uint8_t>(FilterType::kTag): {
      TagFilter f;
      CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
        CAIRN_GOSSIP_FIELD("Tag", &f.tag);
        CAIRN_GOSSIP_FIELD("Expr", &f.expr);
        return false;
      }));
      return QueryFilter(std::move(f));
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown query filter type %d", static_cast<uint8_t>(bytes[0])));
  }
}

absl::StatusOr<std::string> EncodeTags(const TagList& tags) {
  std::string out(1, static_cast<char>(kTagMagicByte));
  Encoder e(&out);
  PutTags(tags, e);
  if (out.size() > kMetaMaxSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "encoded length of tags exceeds limit of %d bytes (%d)", kMetaMaxSize, out.size()));
  }
  return out;
}

absl::StatusOr<TagList> DecodeTags(std::string_view meta) {
  if (meta.empty() || static_cast<uint8_t>(meta[0]) != kTagMagicByte) {
    return TagList{{"role", std::string(meta)}};
  }
  Decoder d(meta.substr(1));
  TagList tags;
  CAIRN_RETURN_IF_ERROR(ReadTags(d, &tags));
  return tags;
}

std::string EncodeCoordinatePayload(const Coordinate& c) {
  std::string out(1, static_cast<char>(kPingVersion));
  Encoder e(&out);
  e.MapHeader(4);
  e.Raw("Adjustment");
  e.Float64(c.adjustment);
  e.Raw("Error");
  e.Float64(c.error);
  e.Raw("Height");
  e.Float64(c.height);
  e.Raw("Vec");
  e.ArrayHeader(static_cast<uint32_t>(c.vec.size()));
  for (double v : c.vec) e.Float64(v);
  return out;
}

absl::StatusOr<Coordinate> DecodeCoordinatePayload(std::string_view payload) {
  if (payload.empty()) return absl::InvalidArgumentError("empty coordinate payload");
  if (static_cast<uint8_t>(payload[0]) != kPingVersion) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unsupported ping payload version %d", static_cast<uint8_t>(payload[0])));
  }
  Decoder d(payload.substr(1));
  Coordinate c;
  CAIRN_RETURN_IF_ERROR(ReadStruct(d, [&](std::string_view key) -> absl::StatusOr<bool> {
    CAIRN_GOSSIP_FIELD("Adjustment", &c.adjustment);
    CAIRN_GOSSIP_FIELD("Error", &c.error);
    CAIRN_GOSSIP_FIELD("Height", &c.height);
    if (key == "Vec") {
      CAIRN_ASSIGN_OR_RETURN(uint32_t n, d.ReadArrayHeader());
      c.vec.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        CAIRN_ASSIGN_OR_RETURN(double v, d.ReadFloat());
        c.vec.push_back(v);
      }
      return true;
    }
    return false;
  }));
  return c;
}

}  // namespace cairn::gossip
