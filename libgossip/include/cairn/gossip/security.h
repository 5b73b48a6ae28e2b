// cairn/gossip/security.h — the gossip keyring and memberlist's AES-GCM envelope.
//
// Keyring: an ordered list of AES keys (16, 24 or 32 bytes: AES-128/192/256); the first is
// the primary. Outgoing traffic is sealed with the primary; incoming traffic is tried
// against every key in order until one authenticates. Adding a key never changes the
// primary, UseKey moves a key to the front, the primary cannot be removed. Keys travel as
// standard base64 (`serf keygen` prints 32 random bytes that way).
//
// Envelope (memberlist security.go):
//
//   vsn:u8 | nonce: 12 random bytes | AES-GCM(plaintext) | tag: 16 bytes
//
//   vsn 1: no padding (overhead 29); used whenever our protocol version >= 2, i.e. always.
//   vsn 0: plaintext PKCS#7-padded to 16 bytes first (overhead <= 45); accepted on input.
//
// UDP: the whole datagram is the envelope; the additional data is the label (empty for
// memberlist 0.2.2, which has no labels). TCP: `0a | len:u32be | envelope`, and the
// additional data is those 5 header bytes followed by the label.
//
// Runtime semantics the callers implement (Consul names in brackets):
//   GossipVerifyOutgoing [encrypt_verify_outgoing], default true: with a keyring, seal
//     everything; false sends plaintext although a keyring is set (rolling encryption in).
//   GossipVerifyIncoming [encrypt_verify_incoming], default true: a UDP packet that fails
//     to decrypt is dropped; false processes it as plaintext instead, and plaintext TCP
//     streams are accepted. With true, a plaintext stream is answered with errResp
//     "Encryption is configured but remote state is not encrypted"; a node without a
//     keyring that receives 0a answers "Remote state is encrypted and encryption is not
//     configured" (see stream.h, which applies these rules).
//
// Example:
//
//   CAIRN_ASSIGN_OR_RETURN(auto ring, cairn::gossip::Keyring::FromBase64({key_b64}));
//   CAIRN_ASSIGN_OR_RETURN(std::string sealed, cairn::gossip::EncryptPacket(ring, packet, ""));
//   CAIRN_ASSIGN_OR_RETURN(std::string plain, cairn::gossip::DecryptPacket(ring, sealed, ""));
#ifndef CAIRN_GOSSIP_SECURITY_H_
#define CAIRN_GOSSIP_SECURITY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace cairn::gossip {

inline constexpr size_t kEncryptionNonceSize = 12;
inline constexpr size_t kEncryptionTagSize = 16;
// Envelope version we send (no padding) and the highest we accept.
inline constexpr uint8_t kEncryptionVersion = 1;
// memberlist's encryptOverhead: 29 for vsn 1, 45 for vsn 0 (worst-case padding).
size_t EncryptionOverhead(uint8_t version);

// Base64 (standard alphabet, padded) as Go's base64.StdEncoding.
std::string Base64Encode(std::string_view bytes);
// kInvalidArgument on characters outside the alphabet or bad padding.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

// Ordered set of keys; value type, not thread-safe (the runtime owns one and copies it
// into packet workers if needed).
class Keyring {
 public:
  // `keys[0]` becomes the primary; duplicates are dropped. Errors (kInvalidArgument): no
  // keys, or a key whose length is not 16, 24 or 32.
  static absl::StatusOr<Keyring> Create(const std::vector<std::string>& keys);
  // As Create, from base64 strings.
  static absl::StatusOr<Keyring> FromBase64(const std::vector<std::string>& keys);

  // Installs `key` (no-op if present); the primary stays. kInvalidArgument on bad length.
  absl::Status AddKey(std::string_view key);
  // Makes an installed key the primary; kNotFound if it is not installed.
  absl::Status UseKey(std::string_view key);
  // Removes a non-primary key; kFailedPrecondition for the primary, kNotFound if absent.
  absl::Status RemoveKey(std::string_view key);

  const std::string& primary() const { return keys_.front(); }
  // All keys, primary first.
  const std::vector<std::string>& keys() const { return keys_; }
  // All keys in base64, primary first.
  std::vector<std::string> KeysBase64() const;

 private:
  explicit Keyring(std::vector<std::string> keys) : keys_(std::move(keys)) {}
  std::vector<std::string> keys_;  // never empty; [0] is the primary
};

// kInvalidArgument unless `key` is 16, 24 or 32 bytes.
absl::Status ValidateKey(std::string_view key);

// Seals `plaintext` into an envelope with an explicit nonce (12 bytes). Deterministic;
// for tests and for callers that manage nonces. Versions 0 and 1 only.
absl::StatusOr<std::string> EncryptWithNonce(uint8_t version, std::string_view key,
                                             std::string_view nonce, std::string_view plaintext,
                                             std::string_view additional_data);
// Seals with a fresh random nonce from the OS CSPRNG (OpenSSL RAND_bytes).
absl::StatusOr<std::string> Encrypt(uint8_t version, std::string_view key,
                                    std::string_view plaintext, std::string_view additional_data);
// Opens an envelope with each key in turn. Errors: kInvalidArgument for an empty envelope,
// an unsupported version or one shorter than the minimum; kPermissionDenied when no key
// authenticates ("no installed keys could decrypt the message").
absl::StatusOr<std::string> Decrypt(const std::vector<std::string>& keys, std::string_view envelope,
                                    std::string_view additional_data);

// UDP: the whole datagram is the envelope and `label` is the additional data. With a label
// the caller then puts the cleartext label header in front (packet.h AddLabelHeader).
absl::StatusOr<std::string> EncryptPacket(const Keyring& ring, std::string_view packet,
                                          std::string_view label,
                                          uint8_t version = kEncryptionVersion);
// Expects any label header already removed; `label` is what it carried.
absl::StatusOr<std::string> DecryptPacket(const Keyring& ring, std::string_view datagram,
                                          std::string_view label);

}  // namespace cairn::gossip

#endif  // CAIRN_GOSSIP_SECURITY_H_
