// Private helpers for decoding Go structs written as msgpack maps.
#ifndef CAIRN_GOSSIP_SRC_CODEC_UTIL_H_
#define CAIRN_GOSSIP_SRC_CODEC_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include <absl/status/status.h>

#include <cairn/base/status.h>
#include <cairn/gossip/msgpack.h>

namespace cairn::gossip::internal {

// Typed field readers, one per Go field type, each range-checked as Go's decoder does.
inline absl::Status Get(msgpack::Decoder& d, uint8_t* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadUint(UINT8_MAX));
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, uint16_t* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadUint(UINT16_MAX));
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, uint32_t* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadUint(UINT32_MAX));
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, uint64_t* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadUint());
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, int64_t* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadInt());
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, int32_t* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadInt(INT32_MIN, INT32_MAX));
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, bool* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadBool());
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, double* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadFloat());
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, std::string* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadString());
  return absl::OkStatus();
}
inline absl::Status Get(msgpack::Decoder& d, std::optional<std::string>* v) {
  CAIRN_ASSIGN_OR_RETURN(*v, d.ReadBytes());
  return absl::OkStatus();
}

// Reads a struct written as a map. For each key calls
// `absl::StatusOr<bool> field(std::string_view key)`, which either consumes the value and
// returns true, or returns false to have the value skipped (unknown keys, as in Go).
template <typename F>
absl::Status ReadStruct(msgpack::Decoder& d, F&& field) {
  CAIRN_ASSIGN_OR_RETURN(uint32_t pairs, d.ReadMapHeader());
  for (uint32_t i = 0; i < pairs; ++i) {
    CAIRN_ASSIGN_OR_RETURN(std::string key, d.ReadString());
    CAIRN_ASSIGN_OR_RETURN(bool handled, field(std::string_view(key)));
    if (!handled) CAIRN_RETURN_IF_ERROR(d.Skip());
  }
  return absl::OkStatus();
}

// Used inside a ReadStruct callback: `CAIRN_GOSSIP_FIELD("SeqNo", &m.seq_no);`
#define CAIRN_GOSSIP_FIELD(name, ptr)                              \
  if (key == name) {                                               \
    CAIRN_RETURN_IF_ERROR(::cairn::gossip::internal::Get(d, ptr)); \
    return true;                                                   \
  }

}  // namespace cairn::gossip::internal

#endif  // CAIRN_GOSSIP_SRC_CODEC_UTIL_H_
