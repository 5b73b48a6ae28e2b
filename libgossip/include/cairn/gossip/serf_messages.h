// cairn/gossip/serf_messages.h — serf 0.9.4 messages carried in memberlist `user` (8).
//
// A serf message is one serf type byte followed by a go-msgpack body (msgpack.h rules:
// struct keys sorted, raw strings, minimal integers). serf also puts data inside
// memberlist fields: member tags in the node Meta (`ff | map`), Vivaldi coordinates in
// ack payloads (`01 | Coordinate`), its push/pull state in the memberlist push/pull user
// state (`02 | messagePushPull`), and query filters (`type | msgpack`).
//
// Go maps (tags, StatusLTimes) are written in Go's random iteration order. They are
// modelled as vectors of pairs so that decode + encode reproduces the received bytes;
// callers treat them as sets of keys.
//
// Example:
//
//   UserEvent ev{.ltime = 1, .name = "deploy", .payload = "v1.2.3", .cc = true};
//   std::string user_msg = EncodeSerfMessage(ev);   // 03 84 a2 "CC" c3 ...
//   std::string packet = std::string(1, char(MessageType::kUser)) + user_msg;
//   CAIRN_ASSIGN_OR_RETURN(SerfMessage m, DecodeSerfMessage(user_msg));
//   if (auto* e = std::get_if<UserEvent>(&m)) Deliver(*e);
#ifndef CAIRN_GOSSIP_SERF_MESSAGES_H_
#define CAIRN_GOSSIP_SERF_MESSAGES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/gossip/msgpack.h>

namespace cairn::gossip {

// serf's messageType.
enum class SerfMessageType : uint8_t {
  kLeave = 0,
  kJoin = 1,
  kPushPull = 2,
  kUserEvent = 3,
  kQuery = 4,
  kQueryResponse = 5,
  kConflictResponse = 6,
  kKeyRequest = 7,
  kKeyResponse = 8,
  kRelay = 9,
};

// serf protocol range we speak (the delegate bytes of Vsn): 2..5, speaking 5 like the
// Debian agent (Consul speaks 4).
inline constexpr uint8_t kSerfProtocolMin = 2;
inline constexpr uint8_t kSerfProtocolMax = 5;
inline constexpr uint8_t kSerfProtocol = 5;

using LamportTime = uint64_t;

// serf's LamportClock: starts at 0; Increment returns the new value; Witness(t) moves the
// clock to t + 1 if t >= current. Not thread-safe (owned by the serf core's strand).
class LamportClock {
 public:
  LamportTime Time() const { return counter_; }
  LamportTime Increment() { return ++counter_; }
  void Witness(LamportTime t) {
    if (t >= counter_) counter_ = t + 1;
  }

 private:
  LamportTime counter_ = 0;
};

// Go map[string]string / map[string]LamportTime in wire order.
using TagList = std::vector<std::pair<std::string, std::string>>;
using LTimeList = std::vector<std::pair<std::string, LamportTime>>;

struct SerfLeave {  // keys LTime, Node, Prune
  LamportTime ltime = 0;
  std::string node = {};
  bool prune = false;
  bool operator==(const SerfLeave&) const = default;
};

struct SerfJoin {  // keys LTime, Node
  LamportTime ltime = 0;
  std::string node = {};
  bool operator==(const SerfJoin&) const = default;
};

struct UserEventEntry {  // serf userEvent: Name, Payload
  std::string name = {};
  std::optional<std::string> payload = {};
  bool operator==(const UserEventEntry&) const = default;
};

struct UserEventSlot {  // serf userEvents: Events, LTime
  LamportTime ltime = 0;
  std::vector<UserEventEntry> events = {};
  bool operator==(const UserEventSlot&) const = default;
};

struct SerfPushPull {  // keys EventLTime, Events, LTime, LeftMembers, QueryLTime, StatusLTimes
  LamportTime ltime = 0;
  LTimeList status_ltimes = {};
  std::vector<std::string> left_members = {};
  LamportTime event_ltime = 0;
  std::vector<std::optional<UserEventSlot>> events = {};  // the event ring; nullopt = nil slot
  LamportTime query_ltime = 0;
  bool operator==(const SerfPushPull&) const = default;
};

struct UserEvent {  // keys CC, LTime, Name, Payload
  LamportTime ltime = 0;
  std::string name = {};
  std::optional<std::string> payload = {};
  bool cc = false;  // "can coalesce"
  bool operator==(const UserEvent&) const = default;
};

inline constexpr uint32_t kQueryFlagAck = 1;
inline constexpr uint32_t kQueryFlagNoBroadcast = 2;

struct Query {  // 11 keys, Addr .. Timeout
  LamportTime ltime = 0;
  uint32_t id = 0;
  std::string addr = {};  // where to answer (raw IP)
  uint16_t port = 0;
  std::string source_node = {};
  std::vector<std::string> filters = {};  // each `type | msgpack`; empty is sent as nil (as Go)
  uint32_t flags = 0;
  uint8_t relay_factor = 0;
  int64_t timeout_ns = 0;  // Go time.Duration
  std::string name = {};
  std::optional<std::string> payload = {};
  bool operator==(const Query&) const = default;
};

struct QueryResponse {  // keys Flags, From, ID, LTime, Payload
  LamportTime ltime = 0;
  uint32_t id = 0;
  std::string from = {};
  uint32_t flags = 0;  // kQueryFlagAck for an ack
  std::optional<std::string> payload = {};
  bool operator==(const QueryResponse&) const = default;
};

// serf MemberStatus.
enum class MemberStatus : int32_t { kNone = 0, kAlive = 1, kLeaving = 2, kLeft = 3, kFailed = 4 };

struct SerfMember {  // serf.Member as sent in a conflict response
  std::string name = {};
  std::string addr = {};
  uint16_t port = 0;
  TagList tags = {};
  MemberStatus status = MemberStatus::kNone;
  uint8_t protocol_min = 0, protocol_max = 0, protocol_cur = 0;
  uint8_t delegate_min = 0, delegate_max = 0, delegate_cur = 0;
  bool operator==(const SerfMember&) const = default;
};

struct ConflictResponse {  // a *Member: nil when the responder does not know the node
  std::optional<SerfMember> member = {};
  bool operator==(const ConflictResponse&) const = default;
};

struct KeyRequest {                     // key Key
  std::optional<std::string> key = {};  // raw key bytes; list-keys sends "" (a0)
  bool operator==(const KeyRequest&) const = default;
};

struct KeyResponse {  // nodeKeyResponse: keys Keys, Message, PrimaryKey, Result
  bool result = false;
  std::string message = {};
  std::optional<std::vector<std::string>> keys = {};  // base64 keys; nil unless listing
  std::string primary_key = {};
  bool operator==(const KeyResponse&) const = default;
};

// 09 | relayHeader{DestAddr: {IP, Port, Zone}, DestName} | inner serf message.
struct Relay {
  std::string dest_ip = {};
  int64_t dest_port = 0;
  std::string dest_zone = {};
  std::string dest_name = {};
  std::string inner = {};  // the complete inner serf message (type byte + body)
  bool operator==(const Relay&) const = default;
};

using SerfMessage = std::variant<SerfLeave, SerfJoin, SerfPushPull, UserEvent, Query, QueryResponse,
                                 ConflictResponse, KeyRequest, KeyResponse, Relay>;

// Encodes with the serf type byte in front (the memberlist `user` byte is the caller's).
std::string EncodeSerfMessage(const SerfMessage& m);
// Decodes a serf message (type byte + body). Errors: empty input, unknown type
// (kInvalidArgument "unknown serf message type N"), malformed body.
absl::StatusOr<SerfMessage> DecodeSerfMessage(std::string_view bytes);
SerfMessageType SerfTypeOf(const SerfMessage& m);

// ---- query filters.
enum class FilterType : uint8_t { kNode = 0, kTag = 1 };
struct NodeFilter {  // nodes that must process the query
  std::vector<std::string> nodes = {};
  bool operator==(const NodeFilter&) const = default;
};
struct TagFilter {  // keys Expr, Tag: RE2 regexp matched against the tag's value
  std::string tag = {};
  std::string expr = {};
  bool operator==(const TagFilter&) const = default;
};
using QueryFilter = std::variant<NodeFilter, TagFilter>;
std::string EncodeFilter(const QueryFilter& f);
// Errors: unknown filter type (serf then does not process the query), malformed body.
absl::StatusOr<QueryFilter> DecodeFilter(std::string_view bytes);

// ---- tags in memberlist Meta (serf protocol >= 3): ff | msgpack map[string]string.
inline constexpr uint8_t kTagMagicByte = 0xff;
// Encodes tags in the given order; kInvalidArgument if the result exceeds the 512-byte
// Meta limit ("encoded length of tags exceeds limit of 512 bytes").
absl::StatusOr<std::string> EncodeTags(const TagList& tags);
// Empty meta or a first byte other than 0xff is the legacy form {"role": meta}.
absl::StatusOr<TagList> DecodeTags(std::string_view meta);

// ---- Vivaldi coordinate in ack payloads: 01 | {Adjustment, Error, Height, Vec}.
inline constexpr uint8_t kPingVersion = 1;
struct Coordinate {
  std::vector<double> vec = {};
  double error = 0;
  double adjustment = 0;
  double height = 0;
  bool operator==(const Coordinate&) const = default;
};
std::string EncodeCoordinatePayload(const Coordinate& c);
// kInvalidArgument for a version byte other than 1 or a malformed body.
absl::StatusOr<Coordinate> DecodeCoordinatePayload(std::string_view payload);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SERF_MESSAGES_H_
