#include <absl/strings/str_format.h>

#include <cairn/base/status.h>
#include <cairn/gossip/crc32.h>
#include <cairn/gossip/lzw.h>
#include <cairn/gossip/messages.h>
#include <cairn/gossip/packet.h>

namespace cairn::gossip {
namespace {

void PutU16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>((v >> 8) & 0xff));
  out->push_back(static_cast<char>(v & 0xff));
}

uint32_t GetU32(std::string_view b) {
  return (uint32_t{static_cast<uint8_t>(b[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(b[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[2])} << 8) | uint32_t{static_cast<uint8_t>(b[3])};
}

}  // namespace

std::string EncodeCompound(const std::vector<std::string>& messages) {
  CAIRN_CHECK_MSG(!messages.empty() && messages.size() <= kMaxCompoundParts, "compound of {} parts",
                  messages.size());
  std::string out;
  size_t total = 2 + 2 * messages.size();
  for (const auto& m : messages) total += m.size();
  out.reserve(total);
  out.push_back(static_cast<char>(MessageType::kCompound));
  out.push_back(static_cast<char>(messages.size()));
  for (const auto& m : messages) {
    CAIRN_CHECK_MSG(m.size() <= 0xffff, "compound part of {} bytes", m.size());
    PutU16(&out, static_cast<uint32_t>(m.size()));
  }
  for (const auto& m : messages) out.append(m);
  return out;
}

absl::StatusOr<CompoundParts> DecodeCompound(std::string_view body) {
  if (body.empty()) return absl::InvalidArgumentError("compound: missing part count");
  const size_t n = static_cast<uint8_t>(body[0]);
  body.remove_prefix(1);
  if (body.size() < 2 * n) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "compound: %d parts need a %d-byte length table, %d bytes left", n, 2 * n, body.size()));
  }
  CompoundParts out;
  std::string_view lens = body.substr(0, 2 * n);
  body.remove_prefix(2 * n);
  for (size_t i = 0; i < n; ++i) {
    const size_t len =
        (size_t{static_cast<uint8_t>(lens[2 * i])} << 8) | static_cast<uint8_t>(lens[2 * i + 1]);
    if (body.size() < len) {
      out.truncated = n - i;
      break;
    }
    out.parts.push_back(body.substr(0, len));
    body.remove_prefix(len);
  }
  return out;
}

std::vector<std::string> PackMessages(const std::vector<std::string>& messages, size_t budget) {
  std::vector<std::string> packets;
  std::vector<std::string> batch;
  size_t batch_size = 2;  // compound type byte + count
  auto flush = [&]() {
    if (batch.empty()) return;
    packets.push_back(batch.size() == 1 ? std::move(batch[0]) : EncodeCompound(batch));
    batch.clear();
    batch_size = 2;
  };
  for (const std::string& m : messages) {
    const size_t cost = m.size() + kCompoundPartOverhead;
    if (!batch.empty() && (batch_size + cost > budget || batch.size() == kMaxCompoundParts)) {
      flush();
    }
    batch.push_back(m);
    batch_size += cost;
  }
  flush();
  return packets;
}

std::string CompressMessage(std::string_view message) {
  return EncodeMessage(Compress{.algo = 0, .buf = LzwCompress(message)});
}

std::string MaybeCompress(std::string_view message) {
  std::string compressed = CompressMessage(message);
  if (compressed.size() < message.size()) return compressed;
  return std::string(message);
}

absl::StatusOr<std::string> DecompressBody(std::string_view body, size_t max_output) {
  CAIRN_ASSIGN_OR_RETURN(Compress c, DecodeBody<Compress>(body));
  return Decompress(c, max_output);
}

absl::StatusOr<std::string> Decompress(const Compress& c, size_t max_output) {
  if (c.algo != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("compress: unknown compression algorithm %d", c.algo));
  }
  CAIRN_ASSIGN_OR_RETURN(std::string inner, LzwDecompress(c.buf, max_output));
  if (inner.empty()) return absl::InvalidArgumentError("compress: empty inner message");
  return inner;
}

std::string AddCrc(std::string_view inner) {
  std::string out;
  out.reserve(5 + inner.size());
  out.push_back(static_cast<char>(MessageType::kHasCrc));
  const uint32_t crc = Crc32Ieee(inner);
  PutU16(&out, crc >> 16);
  PutU16(&out, crc & 0xffff);
  out.append(inner);
  return out;
}

absl::StatusOr<std::string_view> StripCrc(std::string_view packet) {
  if (packet.size() < 5 || static_cast<uint8_t>(packet[0]) != 12) return packet;
  const uint32_t want = GetU32(packet.substr(1, 4));
  std::string_view inner = packet.substr(5);
  const uint32_t got = Crc32Ieee(inner);
  if (got != want) {
    return absl::DataLossError(
        absl::StrFormat("hasCrc: checksum 0x%08x does not match 0x%08x", got, want));
  }
  return inner;
}

std::string AddLabelHeader(std::string_view packet, std::string_view label) {
  if (label.empty()) return std::string(packet);
  CAIRN_CHECK_MSG(label.size() <= kMaxLabelLength, "label of {} bytes", label.size());
  std::string out;
  out.reserve(2 + label.size() + packet.size());
  out.push_back(static_cast<char>(MessageType::kHasLabel));
  out.push_back(static_cast<char>(label.size()));
  out.append(label);
  out.append(packet);
  return out;
}

absl::StatusOr<Labeled> RemoveLabelHeader(std::string_view packet) {
  if (packet.empty() || static_cast<uint8_t>(packet[0]) != 244) return Labeled{{}, packet};
  if (packet.size() < 2) return absl::InvalidArgumentError("label header: missing length");
  const size_t len = static_cast<uint8_t>(packet[1]);
  if (len == 0) return absl::InvalidArgumentError("label header: empty label");
  if (packet.size() < 2 + len) {
    return absl::InvalidArgumentError(
        absl::StrFormat("label header: %d-byte label but %d bytes left", len, packet.size() - 2));
  }
  return Labeled{packet.substr(2, len), packet.substr(2 + len)};
}

namespace {

// memberlist handleCommand: compound and compress recurse, everything else is a leaf.
absl::Status Walk(std::string_view msg, int depth, DecodedPacket* out) {
  if (msg.empty()) return absl::InvalidArgumentError("empty message");
  if (depth > kMaxPacketNesting) {
    return absl::InvalidArgumentError(
        absl::StrFormat("compound/compress nested deeper than %d", kMaxPacketNesting));
  }
  const uint8_t type = static_cast<uint8_t>(msg[0]);
  std::string_view body = msg.substr(1);
  if (type == static_cast<uint8_t>(MessageType::kCompound)) {
    CAIRN_ASSIGN_OR_RETURN(CompoundParts parts, DecodeCompound(body));
    out->truncated_parts += parts.truncated;
    for (std::string_view part : parts.parts) {
      absl::Status s = Walk(part, depth + 1, out);
      if (!s.ok()) out->part_errors.push_back(std::move(s));
    }
    return absl::OkStatus();
  }
  if (type == static_cast<uint8_t>(MessageType::kCompress)) {
    CAIRN_ASSIGN_OR_RETURN(std::string inner, DecompressBody(body, kMaxUdpPacket));
    return Walk(inner, depth + 1, out);
  }
  out->messages.push_back(PacketMessage{type, std::string(body)});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DecodedPacket> DecodePacket(std::string_view packet) {
  if (packet.empty()) return absl::InvalidArgumentError("empty packet");
  DecodedPacket out;
  CAIRN_ASSIGN_OR_RETURN(std::string_view inner, StripCrc(packet));
  out.had_crc = inner.size() != packet.size();
  CAIRN_RETURN_IF_ERROR(Walk(inner, 0, &out));
  return out;
}

}  // namespace cairn::gossip
