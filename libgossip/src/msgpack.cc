#include <bit>
#include <cstring>

#include <absl/strings/str_format.h>

#include <cairn/base/status.h>
#include <cairn/gossip/msgpack.h>

namespace cairn::gossip::msgpack {
namespace {

absl::Status Truncated(const char* what) {
  return absl::OutOfRangeError(absl::StrFormat("msgpack: truncated %s", what));
}

absl::Status BadLead(uint8_t lead, const char* want) {
  return absl::InvalidArgumentError(
      absl::StrFormat("msgpack: expected %s, found lead byte 0x%02x", want, lead));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Encoder. The branches mirror go-msgpack 0.5.5 msgpack.go: encodeUint, encodeInt and
// writeContainerLen with WriteExt=false (so str8 is never used: has8Always is false for
// the str container, and 0xda follows the fixstr range directly).

void Encoder::BigEndian(uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) Byte(static_cast<uint8_t>(v >> (8 * i)));
}

void Encoder::Nil() { Byte(0xc0); }

void Encoder::Bool(bool v) { Byte(v ? 0xc3 : 0xc2); }

void Encoder::Uint(uint64_t v) {
  if (v <= 0x7f) {
    Byte(static_cast<uint8_t>(v));
  } else if (v <= 0xff) {
    Byte(0xcc);
    BigEndian(v, 1);
  } else if (v <= 0xffff) {
    Byte(0xcd);
    BigEndian(v, 2);
  } else if (v <= 0xffffffffu) {
    Byte(0xce);
    BigEndian(v, 4);
  } else {
    Byte(0xcf);
    BigEndian(v, 8);
  }
}

void Encoder::Int(int64_t v) {
  if (v >= 0) {
    Uint(static_cast<uint64_t>(v));
  } else if (v >= -32) {
    Byte(static_cast<uint8_t>(v));
  } else if (v >= INT8_MIN) {
    Byte(0xd0);
    BigEndian(static_cast<uint64_t>(v), 1);
  } else if (v >= INT16_MIN) {
    Byte(0xd1);
    BigEndian(static_cast<uint64_t>(v), 2);
  } else if (v >= INT32_MIN) {
    Byte(0xd2);
    BigEndian(static_cast<uint64_t>(v), 4);
  } else {
    Byte(0xd3);
    BigEndian(static_cast<uint64_t>(v), 8);
  }
}

void Encoder::Float64(double v) {
  Byte(0xcb);
  BigEndian(std::bit_cast<uint64_t>(v), 8);
}

void Encoder::Raw(std::string_view bytes) {
  const size_t n = bytes.size();
  CAIRN_CHECK_MSG(n <= 0xffffffffu, "msgpack raw of {} bytes cannot be encoded", n);
  if (n < 32) {
    Byte(static_cast<uint8_t>(0xa0 | n));
  } else if (n < 65536) {
    Byte(0xda);
    BigEndian(n, 2);
  } else {
    Byte(0xdb);
    BigEndian(n, 4);
  }
  out_->append(bytes.data(), bytes.size());
}

void Encoder::RawOrNil(const std::optional<std::string>& bytes) {
  if (bytes.has_value()) {
    Raw(*bytes);
  } else {
    Nil();
  }
}

void Encoder::ArrayHeader(uint32_t n) {
  if (n < 16) {
    Byte(static_cast<uint8_t>(0x90 | n));
  } else if (n < 65536) {
    Byte(0xdc);
    BigEndian(n, 2);
  } else {
    Byte(0xdd);
    BigEndian(n, 4);
  }
}

void Encoder::MapHeader(uint32_t n) {
  if (n < 16) {
    Byte(static_cast<uint8_t>(0x80 | n));
  } else if (n < 65536) {
    Byte(0xde);
    BigEndian(n, 2);
  } else {
    Byte(0xdf);
    BigEndian(n, 4);
  }
}

// ---------------------------------------------------------------------------------------
// Decoder.

absl::StatusOr<Type> Decoder::PeekType() const {
  if (pos_ >= in_.size()) return Truncated("value");
  const uint8_t b = static_cast<uint8_t>(in_[pos_]);
  if (b <= 0x7f || b >= 0xe0) return Type::kInt;
  if (b <= 0x8f) return Type::kMap;
  if (b <= 0x9f) return Type::kArray;
  if (b <= 0xbf) return Type::kRaw;
  switch (b) {
    case 0xc0:
      return Type::kNil;
    case 0xc2:
    case 0xc3:
      return Type::kBool;
    case 0xc4:
    case 0xc5:
    case 0xc6:
    case 0xd9:
    case 0xda:
    case 0xdb:
      return Type::kRaw;
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return Type::kExt;
    case 0xca:
    case 0xcb:
      return Type::kFloat;
    case 0xdc:
    case 0xdd:
      return Type::kArray;
    case 0xde:
    case 0xdf:
      return Type::kMap;
    default:
      if (b >= 0xcc && b <= 0xd3) return Type::kInt;
      return absl::InvalidArgumentError(absl::StrFormat("msgpack: invalid lead byte 0x%02x", b));
  }
}

absl::StatusOr<uint8_t> Decoder::Lead() {
  if (pos_ >= in_.size()) return Truncated("value");
  return static_cast<uint8_t>(in_[pos_++]);
}

absl::StatusOr<uint64_t> Decoder::BigEndian(int bytes) {
  if (remaining() < static_cast<size_t>(bytes)) return Truncated("integer or length");
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in_[pos_++]);
  return v;
}

absl::Status Decoder::ReadNil() {
  CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
  if (lead != 0xc0) return BadLead(lead, "nil");
  return absl::OkStatus();
}

absl::StatusOr<bool> Decoder::ReadBool() {
  CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
  switch (lead) {
    case 0xc2:
    case 0x00:
      return false;
    case 0xc3:
    case 0x01:
      return true;
    default:
      return BadLead(lead, "bool");
  }
}

absl::StatusOr<uint64_t> Decoder::IntegerAfterLead(uint8_t lead, bool* negative) {
  *negative = false;
  if (lead <= 0x7f) return lead;
  if (lead >= 0xe0) {
    *negative = true;
    return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(lead)));
  }
  uint64_t v = 0;
  switch (lead) {
    case 0xcc:
      return BigEndian(1);
    case 0xcd:
      return BigEndian(2);
    case 0xce:
      return BigEndian(4);
    case 0xcf:
      return BigEndian(8);
    case 0xd0: {
      CAIRN_ASSIGN_OR_RETURN(v, BigEndian(1));
      const int64_t s = static_cast<int8_t>(v);
      *negative = s < 0;
      return static_cast<uint64_t>(s);
    }
    case 0xd1: {
      CAIRN_ASSIGN_OR_RETURN(v, BigEndian(2));
      const int64_t s = static_cast<int16_t>(v);
      *negative = s < 0;
      return static_cast<uint64_t>(s);
    }
    case 0xd2: {
      CAIRN_ASSIGN_OR_RETURN(v, BigEndian(4));
      const int64_t s = static_cast<int32_t>(v);
      *negative = s < 0;
      return static_cast<uint64_t>(s);
    }
    case 0xd3: {
      CAIRN_ASSIGN_OR_RETURN(v, BigEndian(8));
      *negative = static_cast<int64_t>(v) < 0;
      return v;
    }
    default:
      return BadLead(lead, "integer");
  }
}

absl::StatusOr<uint64_t> Decoder::ReadUint(uint64_t max) {
  CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
  bool negative = false;
  CAIRN_ASSIGN_OR_RETURN(uint64_t v, IntegerAfterLead(lead, &negative));
  if (negative) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "msgpack: negative value %d for an unsigned field", static_cast<int64_t>(v)));
  }
  if (v > max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("msgpack: value %u overflows a field limited to %u", v, max));
  }
  return v;
}

absl::StatusOr<int64_t> Decoder::ReadInt(int64_t min, int64_t max) {
  CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
  bool negative = false;
  CAIRN_ASSIGN_OR_RETURN(uint64_t v, IntegerAfterLead(lead, &negative));
  if (!negative && v > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("msgpack: value %u overflows a signed field", v));
  }
  const int64_t s = static_cast<int64_t>(v);
  if (s < min || s > max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("msgpack: value %d outside the field's range [%d, %d]", s, min, max));
  }
  return s;
}

absl::StatusOr<double> Decoder::ReadFloat() {
  if (pos_ < in_.size()) {
    const uint8_t b = static_cast<uint8_t>(in_[pos_]);
    if (b == 0xca || b == 0xcb) {
      ++pos_;
      CAIRN_ASSIGN_OR_RETURN(uint64_t bits, BigEndian(b == 0xca ? 4 : 8));
      if (b == 0xca) return static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(bits)));
      return std::bit_cast<double>(bits);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(int64_t i, ReadInt());
  return static_cast<double>(i);
}

absl::StatusOr<std::string> Decoder::RawAfterLead(uint8_t lead) {
  uint64_t n = 0;
  if (lead >= 0xa0 && lead <= 0xbf) {
    n = lead & 0x1f;
  } else if (lead == 0xd9 || lead == 0xc4) {
    CAIRN_ASSIGN_OR_RETURN(n, BigEndian(1));
  } else if (lead == 0xda || lead == 0xc5) {
    CAIRN_ASSIGN_OR_RETURN(n, BigEndian(2));
  } else if (lead == 0xdb || lead == 0xc6) {
    CAIRN_ASSIGN_OR_RETURN(n, BigEndian(4));
  } else {
    return BadLead(lead, "string or bytes");
  }
  // Bound before allocating: the declared length must be present in the input.
  if (n > remaining()) {
    return absl::OutOfRangeError(
        absl::StrFormat("msgpack: string declares %u bytes but only %u remain", n, remaining()));
  }
  std::string out(in_.substr(pos_, n));
  pos_ += n;
  return out;
}

absl::StatusOr<std::string> Decoder::ReadString() {
  CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
  if (lead == 0xc0) return std::string();
  return RawAfterLead(lead);
}

absl::StatusOr<std::optional<std::string>> Decoder::ReadBytes() {
  CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
  if (lead == 0xc0) return std::optional<std::string>();
  CAIRN_ASSIGN_OR_RETURN(std::string s, RawAfterLead(lead));
  return std::optional<std::string>(std::move(s));
}

absl::StatusOr<uint32_t> Decoder::ContainerHeader(uint8_t fix_min, uint8_t b16, uint8_t b32,
                                                  size_t min_bytes_per_item, const char* what) {
  CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
  uint64_t n = 0;
  if (lead == 0xc0) {
    return 0u;
  } else if (lead >= fix_min && lead <= fix_min + 15) {
    n = lead & 0x0f;
  } else if (lead == b16) {
    CAIRN_ASSIGN_OR_RETURN(n, BigEndian(2));
  } else if (lead == b32) {
    CAIRN_ASSIGN_OR_RETURN(n, BigEndian(4));
  } else {
    return BadLead(lead, what);
  }
  // Each element takes at least one byte (a map pair two), so a count larger than that
  // cannot be genuine; refusing here keeps callers from reserving memory for it.
  if (n > remaining() / min_bytes_per_item) {
    return absl::OutOfRangeError(absl::StrFormat(
        "msgpack: %s declares %u elements but only %u bytes remain", what, n, remaining()));
  }
  return static_cast<uint32_t>(n);
}

absl::StatusOr<uint32_t> Decoder::ReadArrayHeader() {
  return ContainerHeader(0x90, 0xdc, 0xdd, 1, "array");
}

absl::StatusOr<uint32_t> Decoder::ReadMapHeader() {
  return ContainerHeader(0x80, 0xde, 0xdf, 2, "map");
}

absl::Status Decoder::Skip() { return SkipDepth(0); }

absl::StatusOr<std::string_view> Decoder::ReadVerbatim(size_t n) {
  if (n > remaining()) {
    return absl::OutOfRangeError(
        absl::StrFormat("msgpack: %u verbatim bytes wanted, only %u remain", n, remaining()));
  }
  std::string_view out = in_.substr(pos_, n);
  pos_ += n;
  return out;
}

absl::Status Decoder::SkipDepth(int depth) {
  if (depth > max_depth_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("msgpack: nesting deeper than %d levels", max_depth_));
  }
  CAIRN_ASSIGN_OR_RETURN(Type type, PeekType());
  switch (type) {
    case Type::kNil:
      ++pos_;
      return absl::OkStatus();
    case Type::kBool:
      ++pos_;
      return absl::OkStatus();
    case Type::kInt: {
      CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
      bool negative = false;
      return IntegerAfterLead(lead, &negative).status();
    }
    case Type::kFloat:
      return ReadFloat().status();
    case Type::kRaw: {
      CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
      // Measure without copying: reuse RawAfterLead's bounds logic on a cheap path.
      uint64_t n = 0;
      if (lead >= 0xa0 && lead <= 0xbf) {
        n = lead & 0x1f;
      } else {
        const int width = (lead == 0xd9 || lead == 0xc4)   ? 1
                          : (lead == 0xda || lead == 0xc5) ? 2
                                                           : 4;
        CAIRN_ASSIGN_OR_RETURN(n, BigEndian(width));
      }
      if (n > remaining()) return Truncated("string");
      pos_ += n;
      return absl::OkStatus();
    }
    case Type::kExt: {
      CAIRN_ASSIGN_OR_RETURN(uint8_t lead, Lead());
      uint64_t n = 0;
      if (lead >= 0xd4 && lead <= 0xd8) {
        n = uint64_t{1} << (lead - 0xd4);  // fixext 1, 2, 4, 8, 16
      } else {
        const int width = lead == 0xc7 ? 1 : lead == 0xc8 ? 2 : 4;
        CAIRN_ASSIGN_OR_RETURN(n, BigEndian(width));
      }
      n += 1;  // the ext type tag
      if (n > remaining()) return Truncated("ext");
      pos_ += n;
      return absl::OkStatus();
    }
    case Type::kArray: {
      CAIRN_ASSIGN_OR_RETURN(uint32_t n, ReadArrayHeader());
      for (uint32_t i = 0; i < n; ++i) CAIRN_RETURN_IF_ERROR(SkipDepth(depth + 1));
      return absl::OkStatus();
    }
    case Type::kMap: {
      CAIRN_ASSIGN_OR_RETURN(uint32_t n, ReadMapHeader());
      for (uint32_t i = 0; i < 2 * n; ++i) CAIRN_RETURN_IF_ERROR(SkipDepth(depth + 1));
      return absl::OkStatus();
    }
  }
  return absl::InternalError("msgpack: unreachable type");
}

}  // namespace cairn::gossip::msgpack
