// grpc_codec.h (private) — cairn::raft::Message <-> the bytes of one wire RaftMessage
// (libraft/proto/raft.proto).
//
// The decoder is the transport's only parser of bytes from the network, so it is strict:
// everything out of range is refused with InvalidArgument naming the problem, and a
// message that decodes is also checked by ValidateMessage. It never throws or aborts
// (libraft/fuzz/raft_wire_fuzz.cc feeds it arbitrary bytes).
#ifndef CAIRN_RAFT_SRC_GRPC_CODEC_H_
#define CAIRN_RAFT_SRC_GRPC_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include <cairn/raft/message.h>

namespace cairn::raft::internal {

struct WireLimits {
  // Largest encoded message accepted (and sent).
  uint64_t max_message_bytes = 64 << 20;
  // Most entries in one kAppend.
  uint64_t max_entries = 1 << 20;
};

// The encoding of `msg`. Never fails; the caller checks the size against its limits.
std::string EncodeWireMessage(const Message& msg);

// Decodes and validates. InvalidArgument for anything malformed: not a RaftMessage, an
// unknown message or entry type, more bytes or entries than `limits` allow, an
// undecodable configuration, a snapshot outside kInstallSnapshot, or what
// ValidateMessage refuses.
absl::StatusOr<Message> DecodeWireMessage(std::string_view bytes, const WireLimits& limits);

}  // namespace cairn::raft::internal

#endif  // CAIRN_RAFT_SRC_GRPC_CODEC_H_
