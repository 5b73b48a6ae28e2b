// UDP framing: compound, compress, hasCrc, labels and the full receive path, with the
// spec's captured gossip packet (gossip-wire.md §11.2) and hostile inputs.
#include <catch2/catch.hpp>

#include <cairn/gossip/messages.h>
#include <cairn/gossip/packet.h>

#include "test_util.h"

namespace cairn::gossip {
namespace {

using testing::FromHex;
using testing::ToHex;

// The 147-byte packet with two alives, n1 -> n2.
const std::string kTwoAlives = FromHex(
    "0c 53ce8f69 07 02 004c 003c"
    " 04 86 a4 41646472 a4 7f000001 ab 496e6361726e6174696f6e 01 a4 4d657461"
    " b2 ff 82 a4 726f6c65 a3 776562 a2 6463 a3 646331 a4 4e6f6465 a2 6e31"
    " a4 506f7274 cd 461a a3 56736e a6 01 05 02 02 05 05"
    " 04 86 a4 41646472 a4 7f000001 ab 496e6361726e6174696f6e 01 a4 4d657461"
    " a2 ff 80 a4 4e6f6465 a2 6e32 a4 506f7274 cd 461b a3 56736e a6 01 05 02 02 05 05");

TEST_CASE("the captured gossip packet decodes into two alives and rebuilds", "[unit]") {
  REQUIRE(kTwoAlives.size() == 147);
  auto p = DecodePacket(kTwoAlives);
  REQUIRE(p.ok());
  CHECK(p->had_crc);
  REQUIRE(p->messages.size() == 2);
  CHECK(p->messages[0].type == 4);
  auto a1 = DecodeBody<Alive>(p->messages[0].body);
  REQUIRE(a1.ok());
  CHECK(a1->node == "n1");
  CHECK(a1->port == 17946);
  auto a2 = DecodeBody<Alive>(p->messages[1].body);
  REQUIRE(a2.ok());
  CHECK(a2->node == "n2");
  CHECK(AddCrc(EncodeCompound({EncodeMessage(*a1), EncodeMessage(*a2)})) == kTwoAlives);
}

TEST_CASE("CRC mismatch is data loss, short or non-12 packets pass through", "[unit]") {
  std::string bad = kTwoAlives;
  bad[40] ^= 1;
  CHECK(DecodePacket(bad).status().code() == absl::StatusCode::kDataLoss);
  CHECK(StripCrc(FromHex("0c 01 02")).value().size() == 3);
  CHECK(StripCrc(FromHex("05 01 02 03 04 05")).value().size() == 6);
}

TEST_CASE("compound: truncation counted, bad tables refused", "[unit]") {
  const std::string c = EncodeCompound({"\x0b\x81", std::string("\x02\x80", 2), "abc"});
  CHECK(ToHex(c) == "07 03 00 02 00 02 00 03 0b 81 02 80 61 62 63");
  auto parts = DecodeCompound(std::string_view(c).substr(1, c.size() - 2));
  REQUIRE(parts.ok());
  CHECK(parts->parts.size() == 2);
  CHECK(parts->truncated == 1);
  CHECK(!DecodeCompound("").ok());
  CHECK(!DecodeCompound(FromHex("05 00 01")).ok());  // 5 parts, 2-byte table
  // A compound with an empty part: that part is an error, the others still arrive.
  auto p = DecodePacket(FromHex("07 02 0000 0002 0b 80"));
  REQUIRE(p.ok());
  CHECK(p->messages.size() == 1);
  CHECK(p->part_errors.size() == 1);
}

TEST_CASE("PackMessages respects the budget and the 255-part limit", "[unit]") {
  std::vector<std::string> msgs(600, std::string(10, 'x'));
  auto packets = PackMessages(msgs, 1400);
  size_t total = 0;
  for (const auto& p : packets) {
    CHECK(p.size() <= 1400);
    auto parts = DecodeCompound(std::string_view(p).substr(1));
    REQUIRE(parts.ok());
    CHECK(parts->parts.size() <= 255);
    total += parts->parts.size();
  }
  CHECK(total == 600);
  CHECK(PackMessages({"single"}, 1400) == std::vector<std::string>{"single"});
  CHECK(PackMessages({}, 1400).empty());
}

TEST_CASE("compress: kept only if smaller on UDP, unknown algorithm refused", "[unit]") {
  const std::string small = EncodeMessage(Nack{.seq_no = 1});
  CHECK(MaybeCompress(small) == small);
  const std::string big = EncodeMessage(Ack{.seq_no = 1, .payload = std::string(400, '\0')});
  const std::string packed = MaybeCompress(big);
  CHECK(packed.size() < big.size());
  CHECK(packed[0] == 9);
  auto p = DecodePacket(packed);
  REQUIRE(p.ok());
  REQUIRE(p->messages.size() == 1);
  CHECK(std::string(1, 2) + p->messages[0].body == big);
  const std::string lz4 = EncodeMessage(Compress{.algo = 1, .buf = "x"});
  auto bad = DecodePacket(lz4);
  REQUIRE(!bad.ok());
  CHECK(std::string(bad.status().message()).find("unknown compression") != std::string::npos);
}

TEST_CASE("nesting and decompression bombs are bounded", "[unit]") {
  std::string msg = EncodeMessage(Nack{.seq_no = 1});
  for (int i = 0; i < kMaxPacketNesting + 2; ++i) msg = CompressMessage(msg);
  CHECK(!DecodePacket(msg).ok());
  // 1 MiB of zeros compresses to a few KiB but exceeds the 64 KiB UDP limit when opened.
  const std::string bomb = CompressMessage(std::string(1 << 20, '\0'));
  CHECK(bomb.size() < 8192);
  CHECK(!DecodePacket(bomb).ok());
}

TEST_CASE("label header (memberlist >= 0.3)", "[unit]") {
  CHECK(AddLabelHeader("xy", "") == "xy");
  const std::string l = AddLabelHeader("xy", "dc1");
  CHECK(ToHex(l) == "f4 03 64 63 31 78 79");
  auto r = RemoveLabelHeader(l);
  REQUIRE(r.ok());
  CHECK(r->label == "dc1");
  CHECK(r->rest == "xy");
  CHECK(RemoveLabelHeader("xy")->label.empty());
  CHECK(!RemoveLabelHeader(FromHex("f4")).ok());
  CHECK(!RemoveLabelHeader(FromHex("f4 00 01")).ok());
  CHECK(!RemoveLabelHeader(FromHex("f4 05 01")).ok());
}

}  // namespace
}  // namespace cairn::gossip
