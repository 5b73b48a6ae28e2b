// memberlist message bodies: the spec's wire vectors (gossip-wire.md §5, §11) and Go's
// decoder tolerance (unknown keys, missing keys, any key order, any int width).
#include <catch2/catch.hpp>

#include <cairn/gossip/messages.h>

#include "test_util.h"

namespace cairn::gossip {
namespace {

using testing::FromHex;
using testing::ToHex;

const std::string kLoopback = FromHex("7f000001");

TEST_CASE("ping encodes as captured from serf (spec 11.1)", "[unit]") {
  const Ping ping{.seq_no = 1,
                  .node = "n1",
                  .source_addr = kLoopback,
                  .source_port = 17947,
                  .source_node = "n2"};
  const std::string want = FromHex(
      "00 85 a4 \"Node\" a2 \"n1\" a5 \"SeqNo\" 01 aa \"SourceAddr\" a4 7f000001"
      " aa \"SourceNode\" a2 \"n2\" aa \"SourcePort\" cd 461b");
  CHECK(ToHex(EncodeMessage(ping)) == ToHex(want));
  REQUIRE(want.size() == 61);
  CHECK(DecodeBody<Ping>(std::string_view(want).substr(1)).value() == ping);
}

TEST_CASE("omitempty source fields leave the ping and indirect ping maps", "[unit]") {
  CHECK(ToHex(EncodeMessage(Ping{.seq_no = 300, .node = ""})) ==
        ToHex(FromHex("00 82 a4 \"Node\" a0 a5 \"SeqNo\" cd 012c")));
  const IndirectPing ind{.seq_no = 9, .target = kLoopback, .port = 7946, .node = "x", .nack = true};
  const std::string wire = EncodeMessage(ind);
  CHECK(ToHex(wire) == ToHex(FromHex("01 85 a4 \"Nack\" c3 a4 \"Node\" a1 \"x\" a4 \"Port\" cd 1f0a"
                                     " a5 \"SeqNo\" 09 a6 \"Target\" a4 7f000001")));
  CHECK(DecodeBody<IndirectPing>(std::string_view(wire).substr(1)).value() == ind);
}

TEST_CASE("alive with serf tags matches the captured part (spec 11.2)", "[unit]") {
  const Alive alive{.incarnation = 1,
                    .node = "n2",
                    .addr = kLoopback,
                    .port = 17947,
                    .meta = FromHex("ff 80"),
                    .vsn = Vsn{1, 5, 2, 2, 5, 5}.ToBytes()};
  const std::string want = FromHex(
      "04 86 a4 \"Addr\" a4 7f000001 ab \"Incarnation\" 01 a4 \"Meta\" a2 ff 80"
      " a4 \"Node\" a2 \"n2\" a4 \"Port\" cd 461b a3 \"Vsn\" a6 01 05 02 02 05 05");
  CHECK(ToHex(EncodeMessage(alive)) == ToHex(want));
  CHECK(want.size() == 60);
}

TEST_CASE("decoding follows Go: any key order, unknown keys skipped, missing keys zero", "[unit]") {
  // SeqNo first as a u32, an unknown key holding a nested map, no Node.
  const std::string body = FromHex(
      "83 a5 \"SeqNo\" ce 00000005 a5 \"Extra\" 81 a1 \"k\" 92 01 02 aa \"SourcePort\" cc 10");
  auto ping = DecodeBody<Ping>(body);
  REQUIRE(ping.ok());
  CHECK(ping->seq_no == 5);
  CHECK(ping->node.empty());
  CHECK(ping->source_port == 16);
  // Out-of-range values are refused: SeqNo is a uint32, Port a uint16.
  CHECK(!DecodeBody<Ping>(FromHex("81 a5 \"SeqNo\" cf 0000000100000000")).ok());
  CHECK(!DecodeBody<Ping>(FromHex("81 aa \"SourcePort\" ce 00010000")).ok());
  CHECK(!DecodeBody<Ack>(FromHex("81 a5 \"SeqNo\" ff")).ok());  // negative
  CHECK(!DecodeBody<Ack>(FromHex("91 01")).ok());               // array, not a map
  CHECK(DecodeBody<Ack>(FromHex("82 a5 \"SeqNo\" 01")).status().code() ==
        absl::StatusCode::kOutOfRange);  // truncated
  // nil Payload survives as nil; empty as empty.
  CHECK(!DecodeBody<Ack>(FromHex("81 a7 \"Payload\" c0"))->payload.has_value());
  CHECK(DecodeBody<Ack>(FromHex("81 a7 \"Payload\" a0"))->payload == std::string());
}

TEST_CASE("node meta is limited to 512 bytes", "[unit]") {
  Alive alive{.node = "n", .meta = std::string(512, 'm'), .vsn = Vsn{}.ToBytes()};
  const std::string ok = EncodeMessage(alive);
  CHECK(DecodeBody<Alive>(std::string_view(ok).substr(1)).ok());
  // Hand-build a body with 513 bytes of meta: decoding refuses it.
  std::string body;
  msgpack::Encoder e(&body);
  e.MapHeader(1);
  e.Raw("Meta");
  e.Raw(std::string(513, 'm'));
  auto bad = DecodeBody<Alive>(body);
  REQUIRE(!bad.ok());
  CHECK(std::string(bad.status().message()).find("512") != std::string::npos);
  auto bad_state = DecodeBody<PushNodeState>(body);
  CHECK(!bad_state.ok());
}

TEST_CASE("Vsn bytes and the protocol range check", "[unit]") {
  const Vsn v{1, 5, 2, 2, 5, 4};
  CHECK(ToHex(v.ToBytes()) == "01 05 02 02 05 04");
  CHECK(Vsn::FromBytes(v.ToBytes()) == v);
  CHECK(Vsn::Validate(v.ToBytes()).ok());
  CHECK(Vsn::Validate("").ok());  // fewer than 3 bytes: not checked, as memberlist
  CHECK(!Vsn::Validate(FromHex("00 05 02")).ok());
  CHECK(!Vsn::Validate(FromHex("01 00 02")).ok());
  CHECK(!Vsn::Validate(FromHex("04 03 02")).ok());
  CHECK(Vsn::FromBytes(FromHex("01 02")).protocol_cur == 0);
}

TEST_CASE("push/pull body: header, states, user state, counts bounded by the input", "[unit]") {
  PushPull pp{.join = true,
              .nodes = {PushNodeState{.name = "a",
                                      .addr = kLoopback,
                                      .port = 1,
                                      .meta = FromHex("ff 80"),
                                      .incarnation = 3,
                                      .state = NodeState::kSuspect,
                                      .vsn = Vsn{}.ToBytes()},
                        PushNodeState{.name = "b", .state = NodeState::kLeft}},
              .user_state = FromHex("02 80")};
  const std::string wire = EncodeMessage(pp);
  CHECK(wire.substr(0, 2) == FromHex("06 83"));
  msgpack::Decoder dec(std::string_view(wire).substr(1));
  PushPull back;
  REQUIRE(DecodeBody(dec, &back).ok());
  CHECK(dec.AtEnd());
  CHECK(back == pp);
  // Every prefix is "need more bytes", never a crash or a wrong success.
  for (size_t n = 1; n < wire.size(); ++n) {
    auto partial = DecodeBody<PushPull>(std::string_view(wire).substr(1, n - 1));
    CHECK(partial.status().code() == absl::StatusCode::kOutOfRange);
  }
  // A header announcing 2^62 nodes in a short body is refused before any allocation.
  std::string evil;
  msgpack::Encoder e(&evil);
  EncodeBody(PushPullHeader{.nodes = int64_t{1} << 62, .user_state_len = 0, .join = false}, e);
  CHECK(DecodeBody<PushPull>(evil).status().code() == absl::StatusCode::kOutOfRange);
  evil.clear();
  EncodeBody(PushPullHeader{.nodes = 0, .user_state_len = int64_t{1} << 40, .join = false}, e);
  CHECK(DecodeBody<PushPull>(evil).status().code() == absl::StatusCode::kOutOfRange);
  evil.clear();
  EncodeBody(PushPullHeader{.nodes = -1, .user_state_len = 0, .join = false}, e);
  CHECK(DecodeBody<PushPull>(evil).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("every message type round-trips", "[unit]") {
  const Suspect s{.incarnation = 70000, .node = "n", .from = "m"};
  CHECK(DecodeBody<Suspect>(std::string_view(EncodeMessage(s)).substr(1)).value() == s);
  const Dead d{.incarnation = 1, .node = "n2", .from = "n2"};
  CHECK(ToHex(EncodeMessage(d)) ==
        ToHex(FromHex("05 83 a4 \"From\" a2 \"n2\" ab \"Incarnation\" 01 a4 \"Node\" a2 \"n2\"")));
  const Nack n{.seq_no = 4};
  CHECK(DecodeBody<Nack>(std::string_view(EncodeMessage(n)).substr(1)).value() == n);
  const ErrResp err{.error = "boom"};
  CHECK(DecodeBody<ErrResp>(std::string_view(EncodeMessage(err)).substr(1)).value() == err);
  const Compress c{.algo = 0, .buf = "xyz"};
  CHECK(DecodeBody<Compress>(std::string_view(EncodeMessage(c)).substr(1)).value() == c);
  CHECK(MessageTypeName(6) == "push-pull");
  CHECK(MessageTypeName(200) == "unknown(200)");
}

}  // namespace
}  // namespace cairn::gossip
