// cairn/gossip/stream.h — memberlist TCP stream framing (push/pull, fallback ping, user).
//
// One TCP connection carries one exchange; each side writes one message:
//
//   [f4 len label]               label header (memberlist >= 0.3 only)
//   [0a len:u32be envelope]      if encrypting; AD = these 5 bytes + label (security.h)
//     [09 compress{Algo,Buf}]    if compression is on (always, even when larger)
//       type | body              06 push/pull, 00 ping, 02 ack, 08 user, 0d err
//
// There is no outer length on plaintext streams: the reader parses msgpack until the
// message is complete. DecodeStream therefore works on "the bytes read so far" and returns
// kOutOfRange while more are needed; the runtime reads more and calls again. A message is
// complete when DecodeStream succeeds *and* the body decoder (e.g. DecodeBody<PushPull>)
// does not return kOutOfRange. Streams are capped at kMaxStreamSize (memberlist's
// maxPushStateBytes) before anything is allocated.
//
// Example:
//
//   StreamWriteOptions w{.compress = true, .keyring = &ring};
//   CAIRN_ASSIGN_OR_RETURN(std::string bytes, EncodeStream(EncodeMessage(push_pull), w));
//   ...
//   CAIRN_ASSIGN_OR_RETURN(StreamMessage m, DecodeStream(received, {.keyring = &ring}));
//   if (m.type == uint8_t(MessageType::kPushPull))
//     CAIRN_ASSIGN_OR_RETURN(PushPull state, DecodeBody<PushPull>(m.body));
#ifndef CAIRN_GOSSIP_STREAM_H_
#define CAIRN_GOSSIP_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cairn/gossip/security.h>

namespace cairn::gossip {

// memberlist's maxPushStateBytes: no stream message may exceed 20 MiB.
inline constexpr size_t kMaxStreamSize = 20 * 1024 * 1024;

struct StreamWriteOptions {
  bool compress = true;              // memberlist EnableCompression (default on)
  const Keyring* keyring = nullptr;  // borrowed; encrypt when set and verify_outgoing
  bool verify_outgoing = true;       // GossipVerifyOutgoing
  std::string_view label = {};       // "" towards memberlist 0.2.2
  uint8_t encryption_version = kEncryptionVersion;
};

// Frames one complete message (type byte + body) for a stream. Errors only from
// encryption (kInternal) or a label over 255 bytes (kInvalidArgument).
absl::StatusOr<std::string> EncodeStream(std::string_view message,
                                         const StreamWriteOptions& options);
// With a fixed nonce, for byte-exact tests against captured streams.
absl::StatusOr<std::string> EncodeStreamWithNonce(std::string_view message,
                                                  const StreamWriteOptions& options,
                                                  std::string_view nonce);

struct StreamReadOptions {
  const Keyring* keyring = nullptr;  // borrowed; may be null (no encryption configured)
  bool verify_incoming = true;       // GossipVerifyIncoming
  std::string_view label = {};       // the label we expect ("" = none)
};

struct StreamMessage {
  uint8_t type = 0;  // inner message type after decryption and decompression
  std::string body;  // bytes after that type byte (for plaintext: to the end of input)
  bool encrypted = false;
  bool compressed = false;
};

// Errors:
//   kOutOfRange          more bytes are needed;
//   kFailedPrecondition  "Remote state is encrypted and encryption is not configured" (0a
//                        without keyring) or "Encryption is configured but remote state is
//                        not encrypted" (plaintext with keyring and verify_incoming); the
//                        responder sends these back as errResp;
//   kInvalidArgument     size over kMaxStreamSize, label mismatch, malformed compress;
//   kPermissionDenied    no key decrypts the envelope.
absl::StatusOr<StreamMessage> DecodeStream(std::string_view data, const StreamReadOptions& options);

// A reliable user message: 08 | userMsgHeader{UserMsgLen} | payload.
std::string EncodeUserStreamMessage(std::string_view payload);
// Takes the body of a type-8 stream message and returns the payload (kOutOfRange while
// incomplete; kInvalidArgument for a negative or oversized length).
absl::StatusOr<std::string> DecodeUserStreamBody(std::string_view body);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_STREAM_H_
