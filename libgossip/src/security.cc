#include <algorithm>
#include <cstring>
#include <memory>

#include <absl/strings/str_format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cairn/base/status.h>
#include <cairn/gossip/security.h>

namespace cairn::gossip {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const EVP_CIPHER* CipherFor(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// One AES-GCM open; false if the tag does not authenticate.
bool Open(std::string_view key, std::string_view nonce, std::string_view sealed,
          std::string_view ad, std::string* plain) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  const size_t n = sealed.size() - kEncryptionTagSize;
  plain->resize(n);
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), CipherFor(key.size()), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kEncryptionNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) != 1) {
    return false;
  }
  if (!ad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(ad), static_cast<int>(ad.size())) != 1) {
    return false;
  }
  unsigned char* out = reinterpret_cast<unsigned char*>(plain->data());
  if (n > 0 && EVP_DecryptUpdate(ctx.get(), out, &len, U(sealed), static_cast<int>(n)) != 1) {
    return false;
  }
  std::string tag(sealed.substr(n));
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kEncryptionTagSize, tag.data()) != 1) {
    return false;
  }
  unsigned char final_block[16];
  return EVP_DecryptFinal_ex(ctx.get(), final_block, &len) == 1;
}

}  // namespace

size_t EncryptionOverhead(uint8_t version) {
  return version == 0 ? 1 + kEncryptionNonceSize + 16 + kEncryptionTagSize
                      : 1 + kEncryptionNonceSize + kEncryptionTagSize;
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(in[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(in[i + 1])} << 8) |
                       static_cast<uint8_t>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kBase64Alphabet[(v >> (6 * k)) & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(in[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(in[i + 1])} << 8;
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("base64: length %d is not a multiple of 4", text.size()));
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      int d = -1;
      if (c == '=') {
        // Padding only in the last group, only in its last two places, and only trailing.
        if (i + 4 != text.size() || k < 2 || (k == 2 && text[i + 3] != '=')) {
          return absl::InvalidArgumentError("base64: misplaced padding");
        }
        ++pad;
        d = 0;
      } else if (const char* p = std::strchr(kBase64Alphabet, c); p != nullptr && c != '\0') {
        if (pad > 0) return absl::InvalidArgumentError("base64: data after padding");
        d = static_cast<int>(p - kBase64Alphabet);
      } else {
        return absl::InvalidArgumentError(
            absl::StrFormat("base64: invalid character 0x%02x", static_cast<uint8_t>(c)));
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
  }
  return out;
}

absl::Status ValidateKey(std::string_view key) {
  if (CipherFor(key.size()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "gossip key must be 16, 24 or 32 bytes (AES-128/192/256), got %d", key.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Keyring> Keyring::Create(const std::vector<std::string>& keys) {
  if (keys.empty()) return absl::InvalidArgumentError("keyring needs at least one key");
  std::vector<std::string> unique;
  for (const std::string& k : keys) {
    CAIRN_RETURN_IF_ERROR(ValidateKey(k));
    if (std::find(unique.begin(), unique.end(), k) == unique.end()) unique.push_back(k);
  }
  return Keyring(std::move(unique));
}

absl::StatusOr<Keyring> Keyring::FromBase64(const std::vector<std::string>& keys) {
  std::vector<std::string> raw;
  for (const std::string& k : keys) {
    absl::StatusOr<std::string> key = Base64Decode(k);
    if (!key.ok()) return base::Annotate(key.status(), "gossip key");
    raw.push_back(*std::move(key));
  }
  return Create(raw);
}

absl::Status Keyring::AddKey(std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateKey(key));
  if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) keys_.emplace_back(key);
  return absl::OkStatus();
}

absl::Status Keyring::UseKey(std::string_view key) {
  auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it == keys_.end()) return absl::NotFoundError("requested key is not in the keyring");
  std::rotate(keys_.begin(), it, it + 1);
  return absl::OkStatus();
}

absl::Status Keyring::RemoveKey(std::string_view key) {
  if (key == keys_.front()) {
    return absl::FailedPreconditionError("removing the primary key is not allowed");
  }
  auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it == keys_.end()) return absl::NotFoundError("requested key is not in the keyring");
  keys_.erase(it);
  return absl::OkStatus();
}

std::vector<std::string> Keyring::KeysBase64() const {
  std::vector<std::string> out;
  for (const std::string& k : keys_) out.push_back(Base64Encode(k));
  return out;
}

absl::StatusOr<std::string> EncryptWithNonce(uint8_t version, std::string_view key,
                                             std::string_view nonce, std::string_view plaintext,
                                             std::string_view ad) {
  CAIRN_RETURN_IF_ERROR(ValidateKey(key));
  if (version > kEncryptionVersion) {
    return absl::InvalidArgumentError(absl::StrFormat("encryption version %d", version));
  }
  if (nonce.size() != kEncryptionNonceSize) {
    return absl::InvalidArgumentError("nonce must be 12 bytes");
  }
  std::string padded;
  if (version == 0) {  // PKCS#7 to a 16-byte multiple, 1..16 pad bytes
    padded.assign(plaintext);
    const size_t more = 16 - plaintext.size() % 16;
    padded.append(more, static_cast<char>(more));
    plaintext = padded;
  }
  std::string out;
  out.reserve(1 + kEncryptionNonceSize + plaintext.size() + kEncryptionTagSize);
  out.push_back(static_cast<char>(version));
  out.append(nonce);
  const size_t ct_at = out.size();
  out.resize(ct_at + plaintext.size() + kEncryptionTagSize);
  unsigned char* ct = reinterpret_cast<unsigned char*>(out.data() + ct_at);

  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), CipherFor(key.size()), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kEncryptionNonceSize, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) == 1;
  if (ok && !ad.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(ad), static_cast<int>(ad.size())) == 1;
  }
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) ==
         1;
  }
  unsigned char final_block[16];
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), final_block, &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kEncryptionTagSize,
                           ct + plaintext.size()) == 1;
  if (!ok) return absl::InternalError("AES-GCM seal failed in OpenSSL");
  return out;
}

absl::StatusOr<std::string> Encrypt(uint8_t version, std::string_view key,
                                    std::string_view plaintext, std::string_view ad) {
  unsigned char nonce[kEncryptionNonceSize];
  if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed to produce a nonce");
  }
  return EncryptWithNonce(
      version, key, std::string_view(reinterpret_cast<char*>(nonce), sizeof(nonce)), plaintext, ad);
}

absl::StatusOr<std::string> Decrypt(const std::vector<std::string>& keys, std::string_view envelope,
                                    std::string_view ad) {
  if (envelope.empty()) return absl::InvalidArgumentError("cannot decrypt an empty payload");
  const uint8_t version = static_cast<uint8_t>(envelope[0]);
  if (version > kEncryptionVersion) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unsupported encryption version %d", version));
  }
  // memberlist's encryptedLength(vsn, 0): vsn 0 always carries at least one pad block.
  const size_t min = 1 + kEncryptionNonceSize + kEncryptionTagSize + (version == 0 ? 16 : 0);
  if (envelope.size() < min) {
    return absl::InvalidArgumentError(
        absl::StrFormat("payload of %d bytes is too small to decrypt", envelope.size()));
  }
  std::string_view nonce = envelope.substr(1, kEncryptionNonceSize);
  std::string_view sealed = envelope.substr(1 + kEncryptionNonceSize);
  std::string plain;
  for (const std::string& key : keys) {
    if (ValidateKey(key).ok() && Open(key, nonce, sealed, ad, &plain)) {
      if (version == 0) {
        const size_t pad = plain.empty() ? 0 : static_cast<uint8_t>(plain.back());
        if (pad == 0 || pad > 16 || pad > plain.size()) {
          return absl::InvalidArgumentError("bad PKCS#7 padding in a version 0 payload");
        }
        plain.resize(plain.size() - pad);
      }
      return plain;
    }
  }
  return absl::PermissionDeniedError("no installed keys could decrypt the message");
}

absl::StatusOr<std::string> EncryptPacket(const Keyring& ring, std::string_view packet,
                                          std::string_view label, uint8_t version) {
  return Encrypt(version, ring.primary(), packet, label);
}

absl::StatusOr<std::string> DecryptPacket(const Keyring& ring, std::string_view datagram,
                                          std::string_view label) {
  return Decrypt(ring.keys(), datagram, label);
}

}  // namespace cairn::gossip
