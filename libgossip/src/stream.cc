#include <absl/strings/str_format.h>

#include <cairn/base/status.h>
#include <cairn/gossip/messages.h>
#include <cairn/gossip/msgpack.h>
#include <cairn/gossip/packet.h>
#include <cairn/gossip/stream.h>

namespace cairn::gossip {
namespace {

absl::StatusOr<std::string> Frame(std::string_view message, const StreamWriteOptions& o,
                                  const std::string_view* nonce) {
  if (o.label.size() > kMaxLabelLength) {
    return absl::InvalidArgumentError("stream label longer than 255 bytes");
  }
  std::string payload = o.compress ? CompressMessage(message) : std::string(message);
  if (o.keyring != nullptr && o.verify_outgoing) {
    const size_t sealed_len =
        o.encryption_version == 0
            ? 1 + kEncryptionNonceSize + (payload.size() / 16 + 1) * 16 + kEncryptionTagSize
            : 1 + kEncryptionNonceSize + payload.size() + kEncryptionTagSize;
    std::string header(1, static_cast<char>(MessageType::kEncrypt));
    for (int i = 3; i >= 0; --i)
      header.push_back(static_cast<char>((sealed_len >> (8 * i)) & 0xff));
    std::string ad = header;
    ad.append(o.label);
    absl::StatusOr<std::string> sealed =
        nonce != nullptr
            ? EncryptWithNonce(o.encryption_version, o.keyring->primary(), *nonce, payload, ad)
            : Encrypt(o.encryption_version, o.keyring->primary(), payload, ad);
    if (!sealed.ok()) return sealed.status();
    CAIRN_CHECK(sealed->size() == sealed_len);
    payload = header + *sealed;
  }
  return AddLabelHeader(payload, o.label);
}

}  // namespace

absl::StatusOr<std::string> EncodeStream(std::string_view message,
                                         const StreamWriteOptions& options) {
  return Frame(message, options, nullptr);
}

absl::StatusOr<std::string> EncodeStreamWithNonce(std::string_view message,
                                                  const StreamWriteOptions& options,
                                                  std::string_view nonce) {
  return Frame(message, options, &nonce);
}

absl::StatusOr<StreamMessage> DecodeStream(std::string_view data, const StreamReadOptions& o) {
  if (data.empty()) return absl::OutOfRangeError("stream: no bytes yet");
  // Label: a header must match ours; a missing header is fine only if we expect none.
  if (static_cast<uint8_t>(data[0]) == static_cast<uint8_t>(MessageType::kHasLabel)) {
    if (data.size() < 2 || data.size() < 2 + size_t{static_cast<uint8_t>(data[1])}) {
      return absl::OutOfRangeError("stream: label header incomplete");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(Labeled labeled, RemoveLabelHeader(data));
  if (labeled.label != o.label) {
    return absl::InvalidArgumentError(
        absl::StrFormat("stream label \"%s\" does not match the expected \"%s\"",
                        std::string(labeled.label), std::string(o.label)));
  }
  data = labeled.rest;
  if (data.empty()) return absl::OutOfRangeError("stream: no message byte yet");

  StreamMessage out;
  std::string plain_storage;
  std::string_view plain = data;
  if (static_cast<uint8_t>(data[0]) == static_cast<uint8_t>(MessageType::kEncrypt)) {
    if (o.keyring == nullptr) {
      return absl::FailedPreconditionError(
          "Remote state is encrypted and encryption is not configured");
    }
    if (data.size() < 5) return absl::OutOfRangeError("stream: encryption header incomplete");
    const size_t len = (size_t{static_cast<uint8_t>(data[1])} << 24) |
                       (size_t{static_cast<uint8_t>(data[2])} << 16) |
                       (size_t{static_cast<uint8_t>(data[3])} << 8) | static_cast<uint8_t>(data[4]);
    if (len > kMaxStreamSize) {
      return absl::InvalidArgumentError(
          absl::StrFormat("remote node state is larger than limit (%d > %d)", len, kMaxStreamSize));
    }
    if (data.size() < 5 + len) return absl::OutOfRangeError("stream: envelope incomplete");
    std::string ad(data.substr(0, 5));
    ad.append(o.label);
    CAIRN_ASSIGN_OR_RETURN(plain_storage, Decrypt(o.keyring->keys(), data.substr(5, len), ad));
    plain = plain_storage;
    out.encrypted = true;
    if (plain.empty()) return absl::InvalidArgumentError("stream: empty decrypted message");
  } else if (o.keyring != nullptr && o.verify_incoming) {
    return absl::FailedPreconditionError(
        "Encryption is configured but remote state is not encrypted");
  }
  if (plain.size() > kMaxStreamSize) {
    return absl::InvalidArgumentError("stream: message larger than 20 MiB");
  }

  out.type = static_cast<uint8_t>(plain[0]);
  if (out.type == static_cast<uint8_t>(MessageType::kCompress)) {
    msgpack::Decoder dec(plain.substr(1));
    Compress c;
    CAIRN_RETURN_IF_ERROR(DecodeBody(dec, &c));
    absl::StatusOr<std::string> inner = Decompress(c, kMaxStreamSize);
    if (!inner.ok()) return inner.status();
    out.compressed = true;
    out.type = static_cast<uint8_t>(inner->front());  // Decompress never returns ""
    out.body = inner->substr(1);
    return out;
  }
  out.body = std::string(plain.substr(1));
  return out;
}

std::string EncodeUserStreamMessage(std::string_view payload) {
  std::string out(1, static_cast<char>(MessageType::kUser));
  msgpack::Encoder enc(&out);
  EncodeBody(UserMsgHeader{.user_msg_len = static_cast<int64_t>(payload.size())}, enc);
  out.append(payload);
  return out;
}

absl::StatusOr<std::string> DecodeUserStreamBody(std::string_view body) {
  msgpack::Decoder dec(body);
  UserMsgHeader header;
  CAIRN_RETURN_IF_ERROR(DecodeBody(dec, &header));
  if (header.user_msg_len < 0 || static_cast<uint64_t>(header.user_msg_len) > kMaxStreamSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("user message length %d out of range", header.user_msg_len));
  }
  CAIRN_ASSIGN_OR_RETURN(std::string_view payload,
                         dec.ReadVerbatim(static_cast<size_t>(header.user_msg_len)));
  return std::string(payload);
}

}  // namespace cairn::gossip
