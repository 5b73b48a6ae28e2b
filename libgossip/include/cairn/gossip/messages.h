// cairn/gossip/messages.h — memberlist 0.2.2 messages: type bytes, bodies, encode/decode.
//
// Every memberlist message is one type byte followed by a msgpack body (a Go struct
// written as a map with its field names sorted; see msgpack.h). This header models each
// body as a plain struct whose members are the Go fields, and converts them to and from
// bytes exactly as memberlist does, so that decode followed by encode reproduces the
// packet a Go peer sent. Framing around messages (compound, compress, CRC, labels, TCP
// streams) is in packet.h; encryption in security.h; serf's messages inside `user` (8)
// in serf_messages.h.
//
// Field types follow the Go types: uint32 incarnations and sequence numbers, uint16 ports,
// IP addresses as raw bytes (4 for IPv4, 16 for IPv6), Meta as raw bytes (at most
// kMetaMaxSize), Vsn as 6 raw bytes. A Go []byte that may be nil on the wire is a
// std::optional<std::string>, so nil (0xc0) and empty (0xa0) survive a round trip.
//
// Example:
//
//   cairn::gossip::Ping ping{.seq_no = 1, .node = "n1", .source_addr = {127, 0, 0, 1} ...};
//   std::string wire = cairn::gossip::EncodeMessage(ping);   // 00 85 a4 "Node" ...
//   ...
//   CAIRN_ASSIGN_OR_RETURN(auto back, cairn::gossip::DecodeBody<cairn::gossip::Ping>(
//                                         std::string_view(wire).substr(1)));
#ifndef CAIRN_GOSSIP_MESSAGES_H_
#define CAIRN_GOSSIP_MESSAGES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/gossip/msgpack.h>

namespace cairn::gossip {

// memberlist's messageType (net.go). hasLabel exists from memberlist 0.3 on.
enum class MessageType : uint8_t {
  kPing = 0,
  kIndirectPing = 1,
  kAck = 2,
  kSuspect = 3,
  kAlive = 4,
  kDead = 5,
  kPushPull = 6,
  kCompound = 7,
  kUser = 8,
  kCompress = 9,
  kEncrypt = 10,
  kNack = 11,
  kHasCrc = 12,
  kErr = 13,
  kHasLabel = 244,
};

// Human-readable name ("ping", "alive", ...; "unknown(200)" otherwise), for logs.
std::string MessageTypeName(uint8_t type);

// memberlist's MetaMaxSize: a node's Meta may not exceed 512 bytes.
inline constexpr size_t kMetaMaxSize = 512;

// Protocol versions this library speaks and advertises: memberlist 1..5 speaking 2.
inline constexpr uint8_t kProtocolVersionMin = 1;
inline constexpr uint8_t kProtocolVersionMax = 5;
inline constexpr uint8_t kProtocolVersion = 2;

// The six Vsn bytes of alive and pushNodeState.
struct Vsn {
  uint8_t protocol_min = kProtocolVersionMin;
  uint8_t protocol_max = kProtocolVersionMax;
  uint8_t protocol_cur = kProtocolVersion;
  uint8_t delegate_min = 0;
  uint8_t delegate_max = 0;
  uint8_t delegate_cur = 0;

  std::string ToBytes() const;
  // Parses the raw Vsn field. Fewer than 6 bytes: the missing values read as 0 (memberlist
  // only checks the first three when present).
  static Vsn FromBytes(std::string_view bytes);
  // memberlist's sanity check on an incoming alive: PMin 0, PMax 0 or PMin > PMax is
  // refused. Applies only when at least 3 bytes were sent.
  static absl::Status Validate(std::string_view bytes);
  bool operator==(const Vsn&) const = default;
};

struct Ping {  // type 0; keys Node, SeqNo, SourceAddr*, SourceNode*, SourcePort* (*omitempty)
  uint32_t seq_no = 0;
  std::string node = {};         // the target's name; "" = whoever listens there
  std::string source_addr = {};  // omitted when empty
  uint16_t source_port = 0;      // omitted when 0
  std::string source_node = {};  // omitted when empty
  bool operator==(const Ping&) const = default;
};

struct IndirectPing {  // type 1
  uint32_t seq_no = 0;
  std::string target = {};  // IP of the node to probe
  uint16_t port = 0;
  std::string node = {};         // target's name
  bool nack = false;             // the requester wants a nack if the probe fails
  std::string source_addr = {};  // omitempty
  uint16_t source_port = 0;      // omitempty
  std::string source_node = {};  // omitempty
  bool operator==(const IndirectPing&) const = default;
};

struct Ack {  // type 2
  uint32_t seq_no = 0;
  std::optional<std::string> payload = {};  // serf: 01 | Vivaldi coordinate
  bool operator==(const Ack&) const = default;
};

struct Nack {  // type 11
  uint32_t seq_no = 0;
  bool operator==(const Nack&) const = default;
};

struct Suspect {  // type 3
  uint32_t incarnation = 0;
  std::string node = {};
  std::string from = {};
  bool operator==(const Suspect&) const = default;
};

struct Alive {  // type 4
  uint32_t incarnation = 0;
  std::string node = {};
  std::string addr = {};
  uint16_t port = 0;
  std::optional<std::string> meta = {};  // <= kMetaMaxSize bytes (checked on encode/decode)
  std::string vsn = {};                  // 6 raw bytes; see Vsn
  bool operator==(const Alive&) const = default;
};

struct Dead {  // type 5; node == from announces a graceful leave
  uint32_t incarnation = 0;
  std::string node = {};
  std::string from = {};
  bool operator==(const Dead&) const = default;
};

struct Compress {    // type 9
  uint8_t algo = 0;  // 0 = LZW, the only algorithm
  std::string buf = {};
  bool operator==(const Compress&) const = default;
};

struct ErrResp {  // type 13, TCP only
  std::string error = {};
  bool operator==(const ErrResp&) const = default;
};

// memberlist's NodeStateType.
enum class NodeState : int32_t { kAlive = 0, kSuspect = 1, kDead = 2, kLeft = 3 };

struct PushPullHeader {
  int64_t nodes = 0;
  int64_t user_state_len = 0;
  bool join = false;
  bool operator==(const PushPullHeader&) const = default;
};

struct PushNodeState {
  std::string name = {};
  std::string addr = {};
  uint16_t port = 0;
  std::optional<std::string> meta = {};
  uint32_t incarnation = 0;
  NodeState state = NodeState::kAlive;
  std::string vsn = {};
  bool operator==(const PushNodeState&) const = default;
};

// The whole pushPull (type 6) body: header, node states, delegate (serf) state.
struct PushPull {
  bool join = false;
  std::vector<PushNodeState> nodes = {};
  std::string user_state = {};  // serf: 02 | messagePushPull
  bool operator==(const PushPull&) const = default;
};

struct UserMsgHeader {  // precedes a reliable user message on a TCP stream
  int64_t user_msg_len = 0;
  bool operator==(const UserMsgHeader&) const = default;
};

// ---- Encoding. EncodeBody appends the msgpack body only; EncodeMessage returns the
// type byte followed by the body. All of them are infallible for valid structs; a Meta
// over kMetaMaxSize is a caller bug (checked by CAIRN_CHECK) since the runtime validates
// meta when it is set.
void EncodeBody(const Ping& m, msgpack::Encoder& enc);
void EncodeBody(const IndirectPing& m, msgpack::Encoder& enc);
void EncodeBody(const Ack& m, msgpack::Encoder& enc);
void EncodeBody(const Nack& m, msgpack::Encoder& enc);
void EncodeBody(const Suspect& m, msgpack::Encoder& enc);
void EncodeBody(const Alive& m, msgpack::Encoder& enc);
void EncodeBody(const Dead& m, msgpack::Encoder& enc);
void EncodeBody(const Compress& m, msgpack::Encoder& enc);
void EncodeBody(const ErrResp& m, msgpack::Encoder& enc);
void EncodeBody(const PushPullHeader& m, msgpack::Encoder& enc);
void EncodeBody(const PushNodeState& m, msgpack::Encoder& enc);
void EncodeBody(const UserMsgHeader& m, msgpack::Encoder& enc);
// header + states + user state (no type byte).
void EncodeBody(const PushPull& m, msgpack::Encoder& enc);

// The type byte of each message struct.
constexpr MessageType TypeOf(const Ping&) { return MessageType::kPing; }
constexpr MessageType TypeOf(const IndirectPing&) { return MessageType::kIndirectPing; }
constexpr MessageType TypeOf(const Ack&) { return MessageType::kAck; }
constexpr MessageType TypeOf(const Nack&) { return MessageType::kNack; }
constexpr MessageType TypeOf(const Suspect&) { return MessageType::kSuspect; }
constexpr MessageType TypeOf(const Alive&) { return MessageType::kAlive; }
constexpr MessageType TypeOf(const Dead&) { return MessageType::kDead; }
constexpr MessageType TypeOf(const Compress&) { return MessageType::kCompress; }
constexpr MessageType TypeOf(const ErrResp&) { return MessageType::kErr; }
constexpr MessageType TypeOf(const PushPull&) { return MessageType::kPushPull; }

template <typename T>
std::string EncodeMessage(const T& m) {
  std::string out(1, static_cast<char>(TypeOf(m)));
  msgpack::Encoder enc(&out);
  EncodeBody(m, enc);
  return out;
}

// ---- Decoding. Each reads one body from `dec` (unknown keys are skipped, missing keys keep
// their defaults, as in Go). Errors: kInvalidArgument for malformed or out-of-range
// values (including Meta over kMetaMaxSize), kOutOfRange when the input ends early.
absl::Status DecodeBody(msgpack::Decoder& dec, Ping* out);
absl::Status DecodeBody(msgpack::Decoder& dec, IndirectPing* out);
absl::Status DecodeBody(msgpack::Decoder& dec, Ack* out);
absl::Status DecodeBody(msgpack::Decoder& dec, Nack* out);
absl::Status DecodeBody(msgpack::Decoder& dec, Suspect* out);
absl::Status DecodeBody(msgpack::Decoder& dec, Alive* out);
absl::Status DecodeBody(msgpack::Decoder& dec, Dead* out);
absl::Status DecodeBody(msgpack::Decoder& dec, Compress* out);
absl::Status DecodeBody(msgpack::Decoder& dec, ErrResp* out);
absl::Status DecodeBody(msgpack::Decoder& dec, PushPullHeader* out);
absl::Status DecodeBody(msgpack::Decoder& dec, PushNodeState* out);
absl::Status DecodeBody(msgpack::Decoder& dec, UserMsgHeader* out);
// Header, then header.nodes states, then user_state_len raw bytes. The counts in the
// header are checked against the bytes present before anything is reserved.
absl::Status DecodeBody(msgpack::Decoder& dec, PushPull* out);

// Decodes a whole body (the bytes after the type byte). Trailing bytes are ignored, as Go
// decodes one value from the buffer and stops.
template <typename T>
absl::StatusOr<T> DecodeBody(std::string_view body) {
  msgpack::Decoder dec(body);
  T out;
  absl::Status s = DecodeBody(dec, &out);
  if (!s.ok()) return s;
  return out;
}

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_MESSAGES_H_
