// libFuzzer target: the gRPC transport's decoder of one wire RaftMessage
// (libraft/src/grpc_codec.h), the only parser of Raft bytes from the network. Whatever
// decodes must be a valid message (ValidateMessage) and must survive re-encoding
// unchanged in meaning.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <cairn/raft/message.h>

#include "../src/grpc_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::raft;
  internal::WireLimits limits;
  limits.max_message_bytes = 1 << 16;
  limits.max_entries = 256;
  absl::StatusOr<Message> msg = internal::DecodeWireMessage(
      std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!msg.ok()) return 0;
  if (!ValidateMessage(*msg).ok()) std::abort();
  std::string again = internal::EncodeWireMessage(*msg);
  internal::WireLimits unbounded;
  absl::StatusOr<Message> back = internal::DecodeWireMessage(again, unbounded);
  if (!back.ok() || internal::EncodeWireMessage(*back) != again) std::abort();
  return 0;
}
