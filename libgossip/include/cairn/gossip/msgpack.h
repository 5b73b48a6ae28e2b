// cairn/gossip/msgpack.h — the msgpack dialect that memberlist and serf speak.
//
// memberlist and serf encode every message with hashicorp/go-msgpack 0.5.5 and a zero-value
// `MsgpackHandle{}`. That is the *old* msgpack spec, and our bytes must match Go's exactly
// (peers compare Meta bytes, and the capture tests re-encode every packet byte for byte):
//
//   * strings and byte slices are both "raw": 0xa0|n (n <= 31), 0xda u16, 0xdb u32.
//     Never str8 (0xd9) and never bin (0xc4..0xc6) on output.
//   * integers take the smallest form for their *value*, whatever the Go type: positive
//     fixint, 0xcc u8, 0xcd u16, 0xce u32, 0xcf u64; negatives e0..ff, d0/d1/d2/d3. A
//     signed Go int with a positive value uses the unsigned forms.
//   * structs are maps keyed by the Go field name, keys sorted by byte order (go-msgpack
//     sorts struct fields by encoded name; see helper.go `sfiSortedByEncName`). The
//     message encoders in this library write the keys in that order by hand.
//   * nil slice/map/pointer = 0xc0; an empty non-nil []byte = 0xa0. Byte fields where Go
//     distinguishes the two are `std::optional<std::string>` here (nullopt = Go nil).
//   * float64 = 0xcb + 8 bytes big-endian. Arrays 0x90|n / 0xdc / 0xdd, maps 0x80|n /
//     0xde / 0xdf.
//
// The Decoder accepts everything Go's decoder accepts for the same Go types (any integer
// form for any integer field, range-checked; str8 and bin for raw fields; bool from
// fixint 0/1; float from any int) and rejects the rest with an error. It bounds
// every length against the bytes left before allocating anything: a declared string of
// 4 GiB in a 27-byte packet is an error, not an allocation. Container headers are checked
// the same way (each element needs at least one byte), and Skip() refuses to nest deeper
// than the decoder's depth limit.
//
// Example:
//
//   std::string out;
//   cairn::gossip::msgpack::Encoder enc(&out);
//   enc.MapHeader(2);
//   enc.Raw("Node");  enc.Raw("n1");
//   enc.Raw("SeqNo"); enc.Uint(7);
//
//   cairn::gossip::msgpack::Decoder dec(out);
//   CAIRN_ASSIGN_OR_RETURN(uint32_t pairs, dec.ReadMapHeader());
//   for (uint32_t i = 0; i < pairs; ++i) {
//     CAIRN_ASSIGN_OR_RETURN(std::string key, dec.ReadString());
//     if (key == "SeqNo") { CAIRN_ASSIGN_OR_RETURN(seq, dec.ReadUint(UINT32_MAX)); }
//     else CAIRN_RETURN_IF_ERROR(dec.Skip());
//   }
#ifndef CAIRN_GOSSIP_MSGPACK_H_
#define CAIRN_GOSSIP_MSGPACK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace cairn::gossip::msgpack {

// Default nesting limit for Skip(). memberlist/serf messages nest at most 4 deep (serf
// push/pull: map > Events array > userEvents map > Events array > userEvent map).
inline constexpr int kDefaultMaxDepth = 32;

// Appends go-msgpack 0.5.5 encodings to a caller-owned string. Never fails: every input
// is encodable (lengths over 4 GiB are a caller bug and abort via the length check).
// Not thread-safe; cheap to construct.
class Encoder {
 public:
  // `out` is borrowed and must outlive the encoder; bytes are appended to it.
  explicit Encoder(std::string* out) : out_(out) {}

  void Nil();
  void Bool(bool v);
  // Smallest unsigned form for `v` (positive fixint, cc, cd, ce, cf).
  void Uint(uint64_t v);
  // Non-negative values as Uint(); negatives as e0..ff, d0, d1, d2, d3.
  void Int(int64_t v);
  void Float64(double v);
  // A Go string or a non-nil []byte: a0|n, da u16, db u32.
  void Raw(std::string_view bytes);
  // A Go []byte that may be nil: nullopt -> c0, else Raw().
  void RawOrNil(const std::optional<std::string>& bytes);
  void ArrayHeader(uint32_t n);
  void MapHeader(uint32_t n);

  std::string* out() const { return out_; }

 private:
  void Byte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  void BigEndian(uint64_t v, int bytes);

  std::string* out_;
};

// The kinds a leading byte can announce, as far as this dialect cares.
enum class Type { kNil, kBool, kInt, kFloat, kRaw, kArray, kMap, kExt };

// Reads msgpack values from a borrowed byte range, front to back. Every Read* either
// consumes exactly one value and returns it, or returns an error and leaves the position
// unspecified (callers drop the whole message on any error). Error codes:
//   kOutOfRange       the input ends before the value does (a declared length or element
//                     count exceeds the bytes left): a stream reader may read more bytes
//                     and retry from the start of the message;
//   kInvalidArgument  the bytes can never form the expected value (wrong type, integer out
//                     of the field's range, 0xc1, nesting too deep).
// Not thread-safe.
// Not thread-safe.
class Decoder {
 public:
  // `in` is borrowed and must outlive the decoder.
  explicit Decoder(std::string_view in, int max_depth = kDefaultMaxDepth)
      : in_(in), max_depth_(max_depth) {}

  // Type of the next value without consuming it; error at end of input or on a byte that
  // is no valid msgpack lead (0xc1).
  absl::StatusOr<Type> PeekType() const;
  // True if the next value is nil (0xc0). False at end of input.
  bool NextIsNil() const { return pos_ < in_.size() && static_cast<uint8_t>(in_[pos_]) == 0xc0; }

  absl::Status ReadNil();
  // c2/c3, or fixint 0/1 (Go accepts those for bool).
  absl::StatusOr<bool> ReadBool();
  // Any integer form whose value lies in [0, max].
  absl::StatusOr<uint64_t> ReadUint(uint64_t max = UINT64_MAX);
  // Any integer form whose value lies in [min, max] (cf above INT64_MAX is rejected).
  absl::StatusOr<int64_t> ReadInt(int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  // ca/cb, or any integer (Go converts).
  absl::StatusOr<double> ReadFloat();
  // A Go string: raw (a0..bf, d9, da, db) or bin (c4..c6); nil reads as "" as in Go.
  absl::StatusOr<std::string> ReadString();
  // A Go []byte: nil -> nullopt, else the bytes (raw or bin).
  absl::StatusOr<std::optional<std::string>> ReadBytes();
  // Array header; nil reads as 0 elements. The count is checked against the bytes left.
  absl::StatusOr<uint32_t> ReadArrayHeader();
  // Map header; nil reads as 0 pairs. The count is checked against the bytes left.
  absl::StatusOr<uint32_t> ReadMapHeader();
  // Consumes one complete value of any type, refusing nesting deeper than max_depth.
  absl::Status Skip();
  // Consumes `n` bytes that are not msgpack (memberlist streams put raw user state after
  // msgpack headers); kOutOfRange if fewer remain. The view points into the input.
  absl::StatusOr<std::string_view> ReadVerbatim(size_t n);

  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  // The bytes not consumed yet (a view into the input).
  std::string_view Rest() const { return in_.substr(pos_); }

 private:
  absl::StatusOr<uint8_t> Lead();
  absl::StatusOr<uint64_t> BigEndian(int bytes);
  // Reads an integer after its lead byte; sets *negative when the value is below zero
  // (then the value is the int64 bit pattern).
  absl::StatusOr<uint64_t> IntegerAfterLead(uint8_t lead, bool* negative);
  absl::StatusOr<std::string> RawAfterLead(uint8_t lead);
  absl::StatusOr<uint32_t> ContainerHeader(uint8_t fix_min, uint8_t b16, uint8_t b32,
                                           size_t min_bytes_per_item, const char* what);
  absl::Status SkipDepth(int depth);

  std::string_view in_;
  size_t pos_ = 0;
  int max_depth_;
};

}  // namespace cairn::gossip::msgpack

#endif  // CAIRN_GOSSIP_MSGPACK_H_
