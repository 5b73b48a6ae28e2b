// cairn/dns/name.h — a DNS domain name (RFC 1035 §3.1) held in uncompressed wire form.
//
// A Name is a sequence of labels, each 1..63 bytes, ending in the root; its wire form
// (length-prefixed labels plus the terminal zero byte) is at most 255 bytes. The bytes live
// inside the object (no heap), so building, copying and comparing names on the query path
// never allocates. Label bytes are kept exactly as received or parsed; every comparison is
// ASCII case-insensitive (RFC 4343), so `WeB.Service.CONSUL.` equals `web.service.consul.`.
//
// Example:
//
//   CAIRN_ASSIGN_OR_RETURN(Name zone, Name::Parse("consul."));
//   Name target;                                 // the root name "."
//   CAIRN_RETURN_IF_ERROR(target.AppendLabel("n1"));
//   CAIRN_RETURN_IF_ERROR(target.AppendLabel("node"));
//   CAIRN_RETURN_IF_ERROR(target.Append(zone));  // n1.node.consul.
//   bool inside = target.IsSubdomainOf(zone);    // true
//
// The presentation form (Parse / ToString) is the zone-file syntax: labels separated by
// dots, a trailing dot for the root, `\.` and `\\` for literal dots and backslashes inside
// a label, and `\DDD` (three decimal digits) for any other byte.
#ifndef CAIRN_DNS_NAME_H_
#define CAIRN_DNS_NAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace cairn::dns {

// An owned domain name. Value type: cheap to copy (one fixed array), not thread-safe to
// mutate concurrently, safe to read from several threads.
//
// Invariant: bytes_[0..size_) is a valid uncompressed wire name: labels of 1..63 bytes
// followed by exactly one zero byte, size_ <= kMaxWireLength.
class Name {
 public:
  static constexpr std::size_t kMaxWireLength = 255;  // RFC 1035 §2.3.4, incl. the root
  static constexpr std::size_t kMaxLabelLength = 63;  // RFC 1035 §2.3.4
  static constexpr int kMaxLabels = 127;              // 127 one-byte labels + root = 255

  // The root name ".".
  Name() : size_(1) { bytes_[0] = 0; }

  // Parses the presentation form. A missing trailing dot is accepted (names are always
  // absolute); "" and "." give the root. Errors (kInvalidArgument): an empty label (`a..b`,
  // a leading dot), a label over 63 bytes, a name over 255 wire bytes, a bad escape.
  static absl::StatusOr<Name> Parse(std::string_view text);

  // Builds a name from an uncompressed wire form, which must be complete (end with the zero
  // byte) and valid. Used by the decoder; errors are kInvalidArgument.
  static absl::StatusOr<Name> FromWire(std::span<const std::uint8_t> wire);

  // Adds `label` as the new right-most label (just before the root): "a." + "b" = "a.b.".
  // kInvalidArgument if the label is empty or longer than 63 bytes, or the name would
  // exceed 255 bytes; the name is unchanged on error. The label is taken verbatim (no
  // escapes), so it may contain dots.
  absl::Status AppendLabel(std::string_view label);

  // Appends all labels of `suffix`: "a." + "b.c." = "a.b.c.". Errors as AppendLabel.
  absl::Status Append(const Name& suffix);

  // Presentation form with the trailing dot; the root is ".".
  std::string ToString() const;

  // The uncompressed wire form, ending with the zero byte (so never empty).
  std::span<const std::uint8_t> wire() const { return {bytes_.data(), size_}; }
  std::size_t wire_length() const { return size_; }
  bool is_root() const { return size_ == 1; }

  // Number of labels, not counting the root ("a.b." has 2, "." has 0).
  int LabelCount() const;

  // Stores views of the labels, left to right, into out[0..n) and returns n. `out` must
  // have room for kMaxLabels entries. The views point into *this and are valid until it
  // is modified or destroyed.
  int Labels(std::string_view* out) const;

  // Lower-cases ASCII letters in place.
  void ToLower();

  // True if *this equals `zone` or lies below it (case-insensitive, label-aligned):
  // "a.consul." is in "consul." and in ".", "aconsul." is not in "consul.".
  bool IsSubdomainOf(const Name& zone) const;

  // Case-insensitive equality (RFC 4343).
  friend bool operator==(const Name& a, const Name& b);

 private:
  std::uint8_t size_;
  std::array<std::uint8_t, kMaxWireLength> bytes_;
};

// ASCII-only lower-casing of one byte (DNS names are compared this way, never by locale).
inline constexpr std::uint8_t AsciiLower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
}

// Case-insensitive comparison of two byte strings (labels, zone suffixes).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace cairn::dns

#endif  // CAIRN_DNS_NAME_H_
