// cairn/gossip/packet.h — memberlist UDP packet framing: compound, compress, CRC, labels.
//
// A memberlist UDP datagram (after decryption, see security.h) is, from the outside in:
//
//   [f4 len label]   label header (memberlist >= 0.3 only; 0.2.2 drops such packets)
//   [0c crc32]       hasCrc: CRC-32/IEEE of everything after it (peers with PMax >= 5)
//   [09 {Algo,Buf}]  compress: LZW of the inner message, kept only when smaller
//   [07 n lens...]   compound: up to 255 messages, each with a u16 length
//   type | body      a message (messages.h), or another compress/compound
//
// This header builds each layer and takes it apart. DecodePacket() does the whole receive
// side the way memberlist's ingestPacket/handleCommand do and hands back the leaf messages
// in order. Every function bounds its work by the input: LZW output is capped, nesting is
// capped, lengths are checked before use.
//
// Example (receive):
//
//   CAIRN_ASSIGN_OR_RETURN(cairn::gossip::DecodedPacket p, cairn::gossip::DecodePacket(bytes));
//   for (const auto& m : p.messages) Dispatch(m.type, m.body);
//
// Example (send): `AddCrc(MaybeCompress(EncodeCompound({ping, alive})))`.
#ifndef CAIRN_GOSSIP_PACKET_H_
#define CAIRN_GOSSIP_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/gossip/messages.h>

namespace cairn::gossip {

// memberlist's UDPBufferSize: the largest packet it builds.
inline constexpr size_t kUdpPacketBudget = 1400;
// memberlist's receive buffer: the largest datagram it reads.
inline constexpr size_t kMaxUdpPacket = 65536;
// A compound holds at most 255 parts (the count is one byte).
inline constexpr size_t kMaxCompoundParts = 255;
// Per-part overhead in a compound: the u16 length.
inline constexpr size_t kCompoundPartOverhead = 2;
// Compress/compound may nest; memberlist recurses without limit, we stop here.
inline constexpr int kMaxPacketNesting = 8;

// ---- compound (type 7): 07 | n:u8 | n x len:u16be | parts.

// Joins complete messages (each with its type byte). Requires 1..255 parts of at most
// 65535 bytes each (a caller bug otherwise: CAIRN_CHECK).
std::string EncodeCompound(const std::vector<std::string>& messages);

struct CompoundParts {
  std::vector<std::string_view> parts;  // views into the decoded body
  size_t truncated = 0;  // parts announced but missing (memberlist counts and drops them)
};
// Splits a compound body (the bytes after the 07). Errors (kInvalidArgument): no count
// byte, or fewer bytes than the length table needs. Parts that run past the end are
// counted in `truncated`, the ones before them are returned, as memberlist does.
absl::StatusOr<CompoundParts> DecodeCompound(std::string_view body);

// Packs `messages` into as few packets as possible, each a single message or a compound
// of at most 255 parts, none larger than `budget` bytes unless a single message is.
std::vector<std::string> PackMessages(const std::vector<std::string>& messages,
                                      size_t budget = kUdpPacketBudget);

// ---- compress (type 9): 09 | msgpack compress{Algo: 0, Buf: LZW(message)}.

// Always compresses (memberlist's TCP rule).
std::string CompressMessage(std::string_view message);
// memberlist's UDP rule: the compressed form if it is smaller, else `message` itself.
std::string MaybeCompress(std::string_view message);
// Decodes a compress body (after the 09) and returns the inner message (with its type
// byte). Errors: malformed struct, Algo != 0 ("unknown compression algorithm"), bad LZW,
// or more than `max_output` bytes.
absl::StatusOr<std::string> DecompressBody(std::string_view body, size_t max_output);
// The same for an already decoded compress struct.
absl::StatusOr<std::string> Decompress(const Compress& c, size_t max_output);

// ---- hasCrc (type 12): 0c | crc32:u32be | inner.

std::string AddCrc(std::string_view inner);
// If `packet` starts with 12 and has at least 5 bytes, verifies the CRC and returns the
// inner bytes (kDataLoss on mismatch); otherwise returns `packet` unchanged.
absl::StatusOr<std::string_view> StripCrc(std::string_view packet);

// ---- label header (type 244, memberlist >= 0.3): f4 | len:u8 | label.

inline constexpr size_t kMaxLabelLength = 255;
// Prefixes `packet` with the label header; an empty label returns `packet` unchanged.
// Requires label.size() <= 255 (caller bug otherwise).
std::string AddLabelHeader(std::string_view packet, std::string_view label);
struct Labeled {
  std::string_view label;  // empty when the packet had no header
  std::string_view rest;
};
// Splits off a label header if present. Errors (kInvalidArgument): a header whose length
// byte is 0 or runs past the end.
absl::StatusOr<Labeled> RemoveLabelHeader(std::string_view packet);

// ---- the whole receive side.

struct PacketMessage {
  uint8_t type = 0;  // MessageType value; may be unknown (the caller logs and drops it)
  std::string body;  // the bytes after the type byte
};

struct DecodedPacket {
  std::vector<PacketMessage> messages;  // leaves in wire order
  bool had_crc = false;
  size_t truncated_parts = 0;  // compound parts lost to truncation
  // Nested parts that failed to decode (bad compress, bad nested compound); the other
  // parts are still returned, as memberlist handles each part on its own.
  std::vector<absl::Status> part_errors;
};

// Decodes a plaintext datagram (decrypt first; strip any label first): CRC check, then
// compound and compress recursively. Errors: empty packet, CRC mismatch (kDataLoss), or a
// malformed outermost compound/compress.
absl::StatusOr<DecodedPacket> DecodePacket(std::string_view packet);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_PACKET_H_
