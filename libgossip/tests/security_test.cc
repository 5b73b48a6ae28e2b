// Keyring semantics, base64, the AES-GCM envelope (versions 0 and 1, additional data) and
// TCP stream framing with encryption and the verify-incoming rules.
#include <catch2/catch.hpp>

#include <cairn/gossip/messages.h>
#include <cairn/gossip/security.h>
#include <cairn/gossip/stream.h>

#include "test_util.h"

namespace cairn::gossip {
namespace {

using testing::FromHex;

const std::string kKey32(32, '\x01');
const std::string kKey16(16, '\x02');
const std::string kKey24(24, '\x03');

TEST_CASE("base64 as Go's StdEncoding", "[unit]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Decode("Zm9vYg==").value() == "foob");
  CHECK(Base64Decode("Zm9vYmE=").value() == "fooba");
  CHECK(!Base64Decode("Zm9").ok());
  CHECK(!Base64Decode("Zm=v").ok());
  CHECK(!Base64Decode("Zm9v!A==").ok());
  CHECK(!Base64Decode("Zg==Zg==").ok());
  const std::string key = Base64Decode("pDOkQwAFV2r2BV9Dmzc1Fp1xCFQ4oaGRwQAGc38hAp0=").value();
  CHECK(key.size() == 32);
  CHECK(Base64Encode(key) == "pDOkQwAFV2r2BV9Dmzc1Fp1xCFQ4oaGRwQAGc38hAp0=");
}

TEST_CASE("keyring: primary first, add/use/remove rules, key sizes", "[unit]") {
  CHECK(!Keyring::Create({}).ok());
  CHECK(!Keyring::Create({std::string(15, 'x')}).ok());
  CHECK(!Keyring::FromBase64({"not base64"}).ok());
  auto ring = Keyring::Create({kKey32, kKey16, kKey32});
  REQUIRE(ring.ok());
  CHECK(ring->keys().size() == 2);  // duplicate dropped
  CHECK(ring->primary() == kKey32);
  REQUIRE(ring->AddKey(kKey24).ok());
  CHECK(ring->primary() == kKey32);  // adding never changes the primary
  CHECK(!ring->AddKey("short").ok());
  REQUIRE(ring->UseKey(kKey24).ok());
  CHECK(ring->primary() == kKey24);
  CHECK(ring->keys().size() == 3);
  CHECK(ring->UseKey(std::string(16, '9')).code() == absl::StatusCode::kNotFound);
  CHECK(ring->RemoveKey(kKey24).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(ring->RemoveKey(kKey32).ok());
  CHECK(ring->RemoveKey(kKey32).code() == absl::StatusCode::kNotFound);
  CHECK(ring->KeysBase64().size() == 2);
  CHECK(Keyring::FromBase64(ring->KeysBase64())->keys() == ring->keys());
}

TEST_CASE("envelope versions 1 and 0, additional data, every key tried", "[unit]") {
  const std::string nonce(12, '\x07');
  const std::string msg = "hello gossip";
  auto v1 = EncryptWithNonce(1, kKey16, nonce, msg, "");
  REQUIRE(v1.ok());
  CHECK(v1->size() == msg.size() + EncryptionOverhead(1));
  CHECK((*v1)[0] == 1);
  auto v0 = EncryptWithNonce(0, kKey16, nonce, msg, "");
  REQUIRE(v0.ok());
  CHECK(v0->size() == 1 + 12 + 16 + 16);  // 12 bytes padded to 16
  CHECK(EncryptionOverhead(0) == 45);
  const std::vector<std::string> keys{kKey32, kKey24, kKey16};
  CHECK(Decrypt(keys, *v1, "").value() == msg);
  CHECK(Decrypt(keys, *v0, "").value() == msg);
  // A 16-byte message gets a whole block of padding in version 0.
  auto full = EncryptWithNonce(0, kKey32, nonce, std::string(16, 'a'), "");
  CHECK(full->size() == 1 + 12 + 32 + 16);
  CHECK(Decrypt(keys, *full, "").value() == std::string(16, 'a'));
  // Additional data must match.
  auto with_ad = EncryptWithNonce(1, kKey24, nonce, msg, "label");
  CHECK(Decrypt(keys, *with_ad, "label").value() == msg);
  CHECK(Decrypt(keys, *with_ad, "").status().code() == absl::StatusCode::kPermissionDenied);
  // Tampering, wrong version, short input.
  std::string tampered = *v1;
  tampered[20] ^= 0x40;
  CHECK(Decrypt(keys, tampered, "").status().code() == absl::StatusCode::kPermissionDenied);
  std::string v2 = *v1;
  v2[0] = 2;
  CHECK(Decrypt(keys, v2, "").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(!Decrypt(keys, "", "").ok());
  CHECK(!Decrypt(keys, std::string(28, '\x01'), "").ok());
  CHECK(!Decrypt(keys, std::string(44, '\x00'), "").ok());  // vsn 0 needs 45
  CHECK(!EncryptWithNonce(1, kKey16, "short", msg, "").ok());
  // Random nonces differ.
  CHECK(Encrypt(1, kKey16, msg, "").value() != Encrypt(1, kKey16, msg, "").value());
}

TEST_CASE("UDP packet helpers use the primary and accept any key", "[unit]") {
  auto old_ring = Keyring::Create({kKey16});
  auto new_ring = Keyring::Create({kKey32, kKey16});
  auto sealed = EncryptPacket(*old_ring, "ping", "");
  REQUIRE(sealed.ok());
  CHECK(DecryptPacket(*new_ring, *sealed, "").value() == "ping");
  auto sealed_new = EncryptPacket(*new_ring, "ping", "");
  CHECK(DecryptPacket(*old_ring, *sealed_new, "").status().code() ==
        absl::StatusCode::kPermissionDenied);
}

TEST_CASE("TCP streams: 0a header as additional data, compression, verify rules", "[unit]") {
  auto ring = Keyring::Create({kKey32});
  const std::string ping = EncodeMessage(Ping{.seq_no = 7, .node = "n1"});
  auto sealed = EncodeStream(ping, StreamWriteOptions{.keyring = &*ring});
  REQUIRE(sealed.ok());
  CHECK((*sealed)[0] == 10);
  const size_t len = (static_cast<uint8_t>((*sealed)[3]) << 8) | static_cast<uint8_t>((*sealed)[4]);
  CHECK(sealed->size() == 5 + len);
  auto m = DecodeStream(*sealed, StreamReadOptions{.keyring = &*ring});
  REQUIRE(m.ok());
  CHECK(m->encrypted);
  CHECK(m->compressed);
  CHECK(m->type == 0);
  CHECK(DecodeBody<Ping>(m->body)->seq_no == 7);
  // Changing the length header breaks authentication (it is additional data) or framing.
  std::string bad = *sealed;
  bad[4] = static_cast<char>(bad[4] - 1);
  CHECK(!DecodeStream(bad, StreamReadOptions{.keyring = &*ring}).ok());
  // Every strict prefix asks for more bytes.
  for (size_t n = 0; n < sealed->size(); ++n) {
    CHECK(
        DecodeStream(sealed->substr(0, n), StreamReadOptions{.keyring = &*ring}).status().code() ==
        absl::StatusCode::kOutOfRange);
  }
  // Oversized length refused before reading.
  CHECK(DecodeStream(FromHex("0a 7f ff ff ff 01"), StreamReadOptions{.keyring = &*ring})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  // verify_outgoing=false sends plaintext; verify_incoming decides whether it is accepted.
  auto plain = EncodeStream(
      ping, StreamWriteOptions{.compress = false, .keyring = &*ring, .verify_outgoing = false});
  CHECK(*plain == ping);
  CHECK(DecodeStream(*plain, StreamReadOptions{.keyring = &*ring}).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(DecodeStream(*plain, StreamReadOptions{.keyring = &*ring, .verify_incoming = false}).ok());
  CHECK(DecodeStream(*sealed, StreamReadOptions{}).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  // Labels: the label goes in front and into the additional data.
  auto labeled = EncodeStream(ping, StreamWriteOptions{.keyring = &*ring, .label = "dc1"});
  CHECK(labeled->substr(0, 5) == FromHex("f4 03 \"dc1\""));
  CHECK(DecodeStream(*labeled, StreamReadOptions{.keyring = &*ring, .label = "dc1"}).ok());
  CHECK(!DecodeStream(*labeled, StreamReadOptions{.keyring = &*ring, .label = "dc2"}).ok());
  CHECK(!DecodeStream(*labeled, StreamReadOptions{.keyring = &*ring}).ok());
}

TEST_CASE("reliable user messages over a stream", "[unit]") {
  const std::string wire = EncodeUserStreamMessage("serf-bytes");
  CHECK(wire.substr(0, 2) == FromHex("08 81"));
  auto m = DecodeStream(wire, StreamReadOptions{});
  REQUIRE(m.ok());
  CHECK(m->type == 8);
  CHECK(DecodeUserStreamBody(m->body).value() == "serf-bytes");
  CHECK(DecodeUserStreamBody(m->body.substr(0, m->body.size() - 1)).status().code() ==
        absl::StatusCode::kOutOfRange);
  std::string negative;
  msgpack::Encoder e(&negative);
  EncodeBody(UserMsgHeader{.user_msg_len = -5}, e);
  CHECK(DecodeUserStreamBody(negative).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::gossip
