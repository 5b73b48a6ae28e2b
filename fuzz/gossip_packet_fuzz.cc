// libFuzzer target for libgossip's decoders of outside bytes: UDP packets (plain and
// AES-GCM), TCP stream messages, every memberlist and serf body inside them, tags, filters
// and coordinates. The first input byte picks the path; the rest is the wire input.
//
// Beyond "no crash, no unbounded allocation", every body that decodes must survive
// encode -> decode -> encode with identical bytes (the codec is a bijection on what it
// accepts), so a decoder/encoder disagreement is a finding too.
//
// Seeds: fuzz/corpus/gossip_packet/, cut from the serf captures in
// libgossip/tests/testdata/ (the encrypted seeds use the same key as below).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <cairn/gossip/messages.h>
#include <cairn/gossip/packet.h>
#include <cairn/gossip/security.h>
#include <cairn/gossip/serf_messages.h>
#include <cairn/gossip/stream.h>

namespace {

using namespace cairn::gossip;

// The key of libgossip/tests/testdata/enc.key, so encrypted seeds decrypt.
const Keyring& FuzzKeyring() {
  static const Keyring* ring = [] {
    auto r = Keyring::FromBase64({"pDOkQwAFV2r2BV9Dmzc1Fp1xCFQ4oaGRwQAGc38hAp0="});
    if (!r.ok()) std::abort();
    return new Keyring(*std::move(r));
  }();
  return *ring;
}

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

// encode(decode(encode(x))) == encode(x) for a memberlist body type.
template <typename T>
void CheckBody(std::string_view body) {
  auto m = DecodeBody<T>(body);
  if (!m.ok()) return;
  const std::string once = EncodeMessage(*m);
  auto again = DecodeBody<T>(std::string_view(once).substr(1));
  Require(again.ok());
  Require(EncodeMessage(*again) == once);
}

void CheckSerf(std::string_view bytes, int depth) {
  auto m = DecodeSerfMessage(bytes);
  if (!m.ok()) return;
  const std::string once = EncodeSerfMessage(*m);
  auto again = DecodeSerfMessage(once);
  Require(again.ok());
  Require(EncodeSerfMessage(*again) == once);
  if (const auto* q = std::get_if<Query>(&*m)) {
    for (const std::string& f : q->filters) {
      auto filter = DecodeFilter(f);
      if (filter.ok()) Require(DecodeFilter(EncodeFilter(*filter)).ok());
    }
    if (q->payload.has_value() && depth < 2) CheckSerf(*q->payload, depth + 1);
  }
  if (const auto* r = std::get_if<Relay>(&*m); r != nullptr && depth < 2) {
    CheckSerf(r->inner, depth + 1);
  }
}

void CheckMessage(uint8_t type, std::string_view body) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kPing:
      CheckBody<Ping>(body);
      break;
    case MessageType::kIndirectPing:
      CheckBody<IndirectPing>(body);
      break;
    case MessageType::kAck: {
      CheckBody<Ack>(body);
      auto ack = DecodeBody<Ack>(body);
      if (ack.ok() && ack->payload.has_value()) {
        auto c = DecodeCoordinatePayload(*ack->payload);
        if (c.ok()) Require(DecodeCoordinatePayload(EncodeCoordinatePayload(*c)).ok());
      }
      break;
    }
    case MessageType::kNack:
      CheckBody<Nack>(body);
      break;
    case MessageType::kSuspect:
      CheckBody<Suspect>(body);
      break;
    case MessageType::kDead:
      CheckBody<Dead>(body);
      break;
    case MessageType::kErr:
      CheckBody<ErrResp>(body);
      break;
    case MessageType::kAlive: {
      CheckBody<Alive>(body);
      auto alive = DecodeBody<Alive>(body);
      if (alive.ok() && alive->meta.has_value()) {
        auto tags = DecodeTags(*alive->meta);
        if (tags.ok()) (void)EncodeTags(*tags);
        (void)Vsn::Validate(alive->vsn);
      }
      break;
    }
    case MessageType::kPushPull: {
      msgpack::Decoder dec(body);
      PushPull pp;
      if (!DecodeBody(dec, &pp).ok()) break;
      const std::string once = EncodeMessage(pp);
      auto again = DecodeBody<PushPull>(std::string_view(once).substr(1));
      Require(again.ok());
      Require(EncodeMessage(*again) == once);
      CheckSerf(pp.user_state, 0);
      break;
    }
    case MessageType::kUser:
      CheckSerf(body, 0);
      break;
    default:
      break;
  }
}

void FuzzPacket(std::string_view packet) {
  auto labeled = RemoveLabelHeader(packet);
  if (!labeled.ok()) return;
  auto decoded = DecodePacket(labeled->rest);
  if (!decoded.ok()) return;
  for (const PacketMessage& m : decoded->messages) CheckMessage(m.type, m.body);
}

void FuzzStream(std::string_view data, bool with_keyring) {
  StreamReadOptions options;
  if (with_keyring) options.keyring = &FuzzKeyring();
  options.verify_incoming = false;
  auto m = DecodeStream(data, options);
  if (!m.ok()) return;
  if (m->type == static_cast<uint8_t>(MessageType::kUser)) {
    auto payload = DecodeUserStreamBody(m->body);
    if (payload.ok()) CheckSerf(*payload, 0);
    return;
  }
  CheckMessage(m->type, m->body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:  // plaintext UDP datagram
      FuzzPacket(input);
      break;
    case 1: {  // encrypted UDP datagram
      auto plain = DecryptPacket(FuzzKeyring(), input, "");
      if (plain.ok()) FuzzPacket(*plain);
      break;
    }
    case 2:  // TCP stream, no keyring
      FuzzStream(input, false);
      break;
    case 3:  // TCP stream, keyring configured
      FuzzStream(input, true);
      break;
  }
  return 0;
}
