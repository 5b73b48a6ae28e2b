#include <cstdint>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_format.h>

#include <cairn/gossip/lzw.h>

namespace cairn::gossip {
namespace {

constexpr uint32_t kLitWidth = 8;
constexpr uint32_t kClear = 1u << kLitWidth;  // 256
constexpr uint32_t kEof = kClear + 1;         // 257
constexpr uint32_t kMaxWidth = 12;
constexpr uint32_t kMaxCode = (1u << kMaxWidth) - 1;  // 4095

// LSB-first bit packer.
class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  void Write(uint32_t code, uint32_t width) {
    bits_ |= static_cast<uint64_t>(code) << nbits_;
    nbits_ += width;
    while (nbits_ >= 8) {
      out_->push_back(static_cast<char>(bits_ & 0xff));
      bits_ >>= 8;
      nbits_ -= 8;
    }
  }
  void Flush() {
    if (nbits_ > 0) out_->push_back(static_cast<char>(bits_ & 0xff));
    bits_ = 0;
    nbits_ = 0;
  }

 private:
  std::string* out_;
  uint64_t bits_ = 0;
  uint32_t nbits_ = 0;
};

// The dictionary of (prefix code, next byte) -> code as an open-addressed hash table of
// 4 x 4096 slots. Go's writer uses the same sizing; any exact map gives the same output
// since the table only answers "is this pair defined, and as which code".
class Dictionary {
 public:
  Dictionary() : slots_(kSize, kEmpty) {}
  void Clear() { std::fill(slots_.begin(), slots_.end(), kEmpty); }
  // Returns the code for `key`, or -1.
  int Find(uint32_t key) const {
    for (uint32_t h = Hash(key);; h = (h + 1) & kMask) {
      if (slots_[h] == kEmpty) return -1;
      if ((slots_[h] >> 12) == key) return static_cast<int>(slots_[h] & kMaxCode);
    }
  }
  void Insert(uint32_t key, uint32_t code) {
    uint32_t h = Hash(key);
    while (slots_[h] != kEmpty) h = (h + 1) & kMask;
    slots_[h] = (key << 12) | code;
  }

 private:
  static constexpr uint32_t kSize = 4 << 12;
  static constexpr uint32_t kMask = kSize - 1;
  static constexpr uint32_t kEmpty = 0;  // key 0 with code 0 never occurs (codes >= 258)
  static uint32_t Hash(uint32_t key) { return ((key >> 12) ^ key) & kMask; }
  std::vector<uint32_t> slots_;
};

}  // namespace

std::string LzwCompress(std::string_view input) {
  std::string out;
  out.reserve(input.size() / 2 + 8);
  BitWriter bw(&out);
  uint32_t width = kLitWidth + 1;
  uint32_t hi = kEof;
  uint32_t overflow = 1u << width;
  Dictionary dict;

  // Advances the next-code counter after a code was written. Returns false when the table
  // was full and has been reset (a clear code went out), as Go's incHi/errOutOfCodes.
  auto inc_hi = [&]() -> bool {
    ++hi;
    if (hi == overflow) {
      ++width;
      overflow <<= 1;
    }
    if (hi == kMaxCode) {
      bw.Write(kClear, width);
      width = kLitWidth + 1;
      hi = kEof;
      overflow = 1u << width;
      dict.Clear();
      return false;
    }
    return true;
  };

  bw.Write(kClear, width);
  if (input.empty()) {
    bw.Write(kEof, width);
    bw.Flush();
    return out;
  }
  uint32_t code = static_cast<unsigned char>(input[0]);
  for (size_t i = 1; i < input.size(); ++i) {
    const uint32_t literal = static_cast<unsigned char>(input[i]);
    const uint32_t key = (code << 8) | literal;
    const int found = dict.Find(key);
    if (found >= 0) {
      code = static_cast<uint32_t>(found);
      continue;
    }
    bw.Write(code, width);
    code = literal;
    if (inc_hi()) dict.Insert(key, hi);
  }
  bw.Write(code, width);
  inc_hi();
  bw.Write(kEof, width);
  bw.Flush();
  return out;
}

absl::StatusOr<std::string> LzwDecompress(std::string_view input, size_t max_output) {
  std::vector<uint16_t> prefix(1u << kMaxWidth);
  std::vector<uint8_t> suffix(1u << kMaxWidth);
  std::vector<uint8_t> scratch;  // one code's expansion, built back to front
  scratch.reserve(1u << kMaxWidth);
  std::string out;

  uint32_t width = kLitWidth + 1;
  uint32_t hi = kEof;
  uint32_t overflow = 1u << width;
  constexpr uint32_t kInvalid = 0xffff;
  uint32_t last = kInvalid;

  uint64_t bits = 0;
  uint32_t nbits = 0;
  size_t pos = 0;
  while (true) {
    while (nbits < width) {
      if (pos >= input.size()) {
        return absl::InvalidArgumentError("lzw: stream ends before the end-of-data code");
      }
      bits |= static_cast<uint64_t>(static_cast<unsigned char>(input[pos++])) << nbits;
      nbits += 8;
    }
    const uint32_t code = static_cast<uint32_t>(bits & ((1u << width) - 1));
    bits >>= width;
    nbits -= width;

    if (code == kClear) {
      width = kLitWidth + 1;
      hi = kEof;
      overflow = 1u << width;
      last = kInvalid;
      continue;
    }
    if (code == kEof) return out;
    if (code > hi || (code == hi && last == kInvalid)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("lzw: invalid code %u (next code is %u)", code, hi));
    }
    // Expand `code` (or, for the KwKwK case code == hi, `last` followed by its own first
    // byte) into scratch, reversed.
    scratch.clear();
    uint32_t c = code;
    if (code == hi) c = last;
    while (c >= kClear) {
      scratch.push_back(suffix[c]);
      c = prefix[c];
    }
    scratch.push_back(static_cast<uint8_t>(c));  // c is now the first byte
    const uint8_t first = static_cast<uint8_t>(c);
    const size_t produced = scratch.size() + (code == hi ? 1 : 0);
    if (out.size() + produced > max_output) {
      return absl::InvalidArgumentError(
          absl::StrFormat("lzw: output exceeds the %u-byte limit", max_output));
    }
    for (auto it = scratch.rbegin(); it != scratch.rend(); ++it) {
      out.push_back(static_cast<char>(*it));
    }
    if (code == hi) out.push_back(static_cast<char>(first));
    if (last != kInvalid) {
      suffix[hi] = first;
      prefix[hi] = static_cast<uint16_t>(last);
    }
    last = code;
    ++hi;
    if (hi >= overflow) {
      if (width == kMaxWidth) {
        // Table full: the encoder must send clear next; keep hi in range meanwhile.
        last = kInvalid;
        --hi;
      } else {
        ++width;
        overflow <<= 1;
      }
    }
  }
}

}  // namespace cairn::gossip
