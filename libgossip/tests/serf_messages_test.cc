// serf messages: the spec's captured vectors (gossip-wire.md §8, §11.3), tags in Meta,
// filters, coordinates and Lamport clocks.
#include <catch2/catch.hpp>

#include <cairn/gossip/packet.h>
#include <cairn/gossip/serf_messages.h>

#include "test_util.h"

namespace cairn::gossip {
namespace {

using testing::FromHex;
using testing::ToHex;

TEST_CASE("captured user event, query ack and leave (spec 11.3)", "[unit]") {
  const std::string event_packet = FromHex(
      "0c a639cc5a 08 03 84 a2 \"CC\" c3 a5 \"LTime\" 01 a4 \"Name\" a6 \"deploy\""
      " a7 \"Payload\" a6 \"v1.2.3\"");
  CHECK(event_packet.size() == 46);
  auto p = DecodePacket(event_packet);
  REQUIRE(p.ok());
  REQUIRE(p->messages.size() == 1);
  CHECK(p->messages[0].type == 8);
  auto ev = DecodeSerfMessage(p->messages[0].body);
  REQUIRE(ev.ok());
  const UserEvent want{.ltime = 1, .name = "deploy", .payload = "v1.2.3", .cc = true};
  CHECK(std::get<UserEvent>(*ev) == want);
  CHECK(AddCrc("\x08" + EncodeSerfMessage(want)) == event_packet);

  const std::string ack = FromHex(
      "08 05 85 a5 \"Flags\" 01 a4 \"From\" a2 \"n1\" a2 \"ID\" ce 6ec6d120 a5 \"LTime\" 01"
      " a7 \"Payload\" c0");
  const QueryResponse resp{.ltime = 1, .id = 0x6ec6d120, .from = "n1", .flags = kQueryFlagAck};
  CHECK(ToHex("\x08" + EncodeSerfMessage(resp)) == ToHex(ack));
  CHECK(std::get<QueryResponse>(DecodeSerfMessage(ack.substr(1)).value()) == resp);

  const std::string leave =
      FromHex("0c 3fd8fea4 08 00 83 a5 \"LTime\" 02 a4 \"Node\" a2 \"n2\" a5 \"Prune\" c2");
  CHECK(AddCrc("\x08" + EncodeSerfMessage(SerfLeave{.ltime = 2, .node = "n2"})) == leave);
}

TEST_CASE("query with filters and a Go duration timeout", "[unit]") {
  Query q{.ltime = 3,
          .id = 42,
          .addr = FromHex("7f000001"),
          .port = 17946,
          .source_node = "n1",
          .filters = {EncodeFilter(NodeFilter{{"n2"}}),
                      EncodeFilter(TagFilter{.tag = "role", .expr = ".*"})},
          .flags = kQueryFlagAck,
          .timeout_ns = 3'000'000'000,
          .name = "q2",
          .payload = "x"};
  CHECK(ToHex(q.filters[0]) == ToHex(FromHex("00 91 a2 \"n2\"")));
  CHECK(ToHex(q.filters[1]) ==
        ToHex(FromHex("01 82 a4 \"Expr\" a2 \".*\" a3 \"Tag\" a4 \"role\"")));
  const std::string wire = EncodeSerfMessage(q);
  CHECK(wire.find(FromHex("a7 \"Timeout\" ce b2d05e00")) != std::string::npos);
  auto back = DecodeSerfMessage(wire);
  REQUIRE(back.ok());
  CHECK(std::get<Query>(*back) == q);
  CHECK(std::get<NodeFilter>(DecodeFilter(q.filters[0]).value()).nodes ==
        std::vector<std::string>{"n2"});
  CHECK(std::get<TagFilter>(DecodeFilter(q.filters[1]).value()).expr == ".*");
  CHECK(!DecodeFilter(FromHex("02 90")).ok());
  CHECK(!DecodeFilter("").ok());
  // No filters is nil on the wire, as serf builds them by appending to a nil slice.
  Query none = q;
  none.filters.clear();
  CHECK(EncodeSerfMessage(none).find(FromHex("a7 \"Filters\" c0")) != std::string::npos);
}

TEST_CASE("tags in Meta: observed bytes, legacy role, 512-byte limit", "[unit]") {
  const TagList tags{{"role", "web"}, {"dc", "dc1"}};
  auto meta = EncodeTags(tags);
  REQUIRE(meta.ok());
  CHECK(ToHex(*meta) == ToHex(FromHex("ff 82 a4 \"role\" a3 \"web\" a2 \"dc\" a3 \"dc1\"")));
  CHECK(DecodeTags(*meta).value() == tags);
  CHECK(ToHex(EncodeTags({}).value()) == "ff 80");
  CHECK(DecodeTags("").value() == TagList{{"role", ""}});
  CHECK(DecodeTags("web").value() == TagList{{"role", "web"}});
  auto too_big = EncodeTags({{"k", std::string(600, 'v')}});
  REQUIRE(!too_big.ok());
  CHECK(std::string(too_big.status().message()).find("512") != std::string::npos);
  CHECK(EncodeTags({{"long", std::string(40, 'v')}})->find(FromHex("da 0028")) !=
        std::string::npos);
  CHECK(!DecodeTags(FromHex("ff 81 a1")).ok());
}

TEST_CASE("push/pull state, conflict, key and relay messages round-trip", "[unit]") {
  SerfPushPull pp{.ltime = 5,
                  .status_ltimes = {{"n1", 1}, {"n2", 4}},
                  .left_members = {"n3"},
                  .event_ltime = 2,
                  .events = {std::nullopt, UserEventSlot{.ltime = 1, .events = {{"deploy", "v1"}}},
                             std::nullopt},
                  .query_ltime = 9};
  CHECK(std::get<SerfPushPull>(DecodeSerfMessage(EncodeSerfMessage(pp)).value()) == pp);
  CHECK(EncodeSerfMessage(pp).substr(0, 2) == FromHex("02 86"));

  const SerfMember member{.name = "n1",
                          .addr = FromHex("7f000001"),
                          .port = 7946,
                          .tags = {{"role", "web"}},
                          .status = MemberStatus::kAlive,
                          .protocol_min = 1,
                          .protocol_max = 5,
                          .protocol_cur = 2,
                          .delegate_min = 2,
                          .delegate_max = 5,
                          .delegate_cur = 5};
  const ConflictResponse conflict{member};
  CHECK(std::get<ConflictResponse>(DecodeSerfMessage(EncodeSerfMessage(conflict)).value()) ==
        conflict);
  CHECK(ToHex(EncodeSerfMessage(ConflictResponse{})) == "06 c0");

  CHECK(ToHex(EncodeSerfMessage(KeyRequest{std::string()})) ==
        ToHex(FromHex("07 81 a3 \"Key\" a0")));
  const KeyResponse kr{.result = true,
                       .message = "",
                       .keys = std::vector<std::string>{"a", "b"},
                       .primary_key = "a"};
  CHECK(std::get<KeyResponse>(DecodeSerfMessage(EncodeSerfMessage(kr)).value()) == kr);
  CHECK(!std::get<KeyResponse>(DecodeSerfMessage(EncodeSerfMessage(KeyResponse{})).value())
             .keys.has_value());

  const Relay relay{.dest_ip = FromHex("7f000001"),
                    .dest_port = 17947,
                    .dest_zone = "",
                    .dest_name = "n2",
                    .inner = EncodeSerfMessage(QueryResponse{.ltime = 1, .id = 2, .from = "n1"})};
  const std::string wire = EncodeSerfMessage(relay);
  CHECK(wire.substr(0, 2) == FromHex("09 82"));
  CHECK(std::get<Relay>(DecodeSerfMessage(wire).value()) == relay);
  CHECK(!DecodeSerfMessage(EncodeSerfMessage(Relay{})).ok());  // no inner message

  CHECK(!DecodeSerfMessage("").ok());
  CHECK(!DecodeSerfMessage(FromHex("0a 80")).ok());
  CHECK(std::get<SerfJoin>(
            DecodeSerfMessage(FromHex("01 82 a5 \"LTime\" 07 a4 \"Node\" a1 \"x\"")).value())
            .ltime == 7);
}

TEST_CASE("Vivaldi coordinate payload of acks", "[unit]") {
  const Coordinate c{
      .vec = std::vector<double>(8, 0.0), .error = 1.5, .adjustment = 0, .height = 1e-5};
  const std::string payload = EncodeCoordinatePayload(c);
  CHECK(payload.size() == 130);  // the captured ack payload length (spec 11.1)
  CHECK(DecodeCoordinatePayload(payload).value() == c);
  CHECK(!DecodeCoordinatePayload(FromHex("02 80")).ok());
  CHECK(!DecodeCoordinatePayload("").ok());
}

TEST_CASE("Lamport clock witness and increment", "[unit]") {
  LamportClock clock;
  CHECK(clock.Time() == 0);
  CHECK(clock.Increment() == 1);
  clock.Witness(0);
  CHECK(clock.Time() == 1);
  clock.Witness(1);
  CHECK(clock.Time() == 2);
  clock.Witness(10);
  CHECK(clock.Time() == 11);
  clock.Witness(5);
  CHECK(clock.Time() == 11);
}

}  // namespace
}  // namespace cairn::gossip
