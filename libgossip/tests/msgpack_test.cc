// Tests for the go-msgpack 0.5.5 dialect: exact output bytes per Go's encode rules, and a
// decoder that bounds lengths and nesting.
#include <string>

#include <catch2/catch.hpp>

#include <cairn/gossip/msgpack.h>

namespace cairn::gossip::msgpack {
namespace {

std::string Hex(std::string_view s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

template <typename F>
std::string Encode(F f) {
  std::string out;
  Encoder enc(&out);
  f(enc);
  return Hex(out);
}

TEST_CASE("unsigned integers take the smallest form (go-msgpack encodeUint)", "[unit]") {
  CHECK(Encode([](Encoder& e) { e.Uint(0); }) == "00");
  CHECK(Encode([](Encoder& e) { e.Uint(127); }) == "7f");
  CHECK(Encode([](Encoder& e) { e.Uint(128); }) == "cc80");
  CHECK(Encode([](Encoder& e) { e.Uint(255); }) == "ccff");
  CHECK(Encode([](Encoder& e) { e.Uint(256); }) == "cd0100");
  CHECK(Encode([](Encoder& e) { e.Uint(17947); }) == "cd461b");
  CHECK(Encode([](Encoder& e) { e.Uint(65536); }) == "ce00010000");
  CHECK(Encode([](Encoder& e) { e.Uint(0xffffffffu); }) == "ceffffffff");
  CHECK(Encode([](Encoder& e) { e.Uint(0x100000000ull); }) == "cf0000000100000000");
}

TEST_CASE("signed integers: positives use unsigned forms, negatives the signed ones", "[unit]") {
  // serf query Timeout 3s as a Go time.Duration (int64).
  CHECK(Encode([](Encoder& e) { e.Int(3000000000); }) == "ceb2d05e00");
  CHECK(Encode([](Encoder& e) { e.Int(5); }) == "05");
  CHECK(Encode([](Encoder& e) { e.Int(-1); }) == "ff");
  CHECK(Encode([](Encoder& e) { e.Int(-32); }) == "e0");
  CHECK(Encode([](Encoder& e) { e.Int(-33); }) == "d0df");
  CHECK(Encode([](Encoder& e) { e.Int(-128); }) == "d080");
  CHECK(Encode([](Encoder& e) { e.Int(-129); }) == "d1ff7f");
  CHECK(Encode([](Encoder& e) { e.Int(-32769); }) == "d2ffff7fff");
  CHECK(Encode([](Encoder& e) { e.Int(INT64_MIN); }) == "d38000000000000000");
}

TEST_CASE("raw strings never use str8 or bin", "[unit]") {
  CHECK(Encode([](Encoder& e) { e.Raw(""); }) == "a0");
  CHECK(Encode([](Encoder& e) { e.Raw("n1"); }) == "a26e31");
  CHECK(Encode([](Encoder& e) { e.Raw(std::string(31, 'x')); }).substr(0, 2) == "bf");
  CHECK(Encode([](Encoder& e) { e.Raw(std::string(32, 'x')); }).substr(0, 6) == "da0020");
  CHECK(Encode([](Encoder& e) { e.Raw(std::string(44, 'k')); }).substr(0, 6) == "da002c");
  CHECK(Encode([](Encoder& e) { e.Raw(std::string(65536, 'x')); }).substr(0, 10) == "db00010000");
  CHECK(Encode([](Encoder& e) { e.RawOrNil(std::nullopt); }) == "c0");
  CHECK(Encode([](Encoder& e) { e.RawOrNil(std::string()); }) == "a0");
}

TEST_CASE("containers, bool, nil and float64", "[unit]") {
  CHECK(Encode([](Encoder& e) { e.ArrayHeader(0); }) == "90");
  CHECK(Encode([](Encoder& e) { e.ArrayHeader(15); }) == "9f");
  CHECK(Encode([](Encoder& e) { e.ArrayHeader(512); }) == "dc0200");
  CHECK(Encode([](Encoder& e) { e.ArrayHeader(70000); }) == "dd00011170");
  CHECK(Encode([](Encoder& e) { e.MapHeader(5); }) == "85");
  CHECK(Encode([](Encoder& e) { e.MapHeader(16); }) == "de0010");
  CHECK(Encode([](Encoder& e) { e.MapHeader(70000); }) == "df00011170");
  CHECK(Encode([](Encoder& e) { e.Bool(true); }) == "c3");
  CHECK(Encode([](Encoder& e) { e.Bool(false); }) == "c2");
  CHECK(Encode([](Encoder& e) { e.Nil(); }) == "c0");
  CHECK(Encode([](Encoder& e) { e.Float64(1.5); }) == "cb3ff8000000000000");
}

TEST_CASE("decoder reads every integer form with range checks", "[unit]") {
  const std::string in("\x7f\xcc\x80\xcd\x46\x1b\xd0\xdf\xff\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
                       18);
  Decoder d(in);
  CHECK(d.ReadUint().value() == 127);
  CHECK(d.ReadUint(255).value() == 128);
  CHECK(d.ReadUint(65535).value() == 17947);
  CHECK(d.ReadInt().value() == -33);
  CHECK(d.ReadInt().value() == -1);
  // cf ffff... is 2^64-1: fine as uint64, out of range for a uint32 field.
  Decoder d2(std::string_view(in).substr(9));
  CHECK(d2.ReadUint(UINT32_MAX).status().code() == absl::StatusCode::kInvalidArgument);
  Decoder d3(std::string_view(in).substr(9));
  CHECK(!d3.ReadInt().ok());
  CHECK(!Decoder(std::string("\xff", 1)).ReadUint().ok());  // negative into unsigned
}

TEST_CASE("decoder accepts what Go accepts: str8, bin, bool from 0/1, nil", "[unit]") {
  const std::string in("\xd9\x02hi\xc4\x01x\x01\x00\xc0\xc0\xc0", 12);
  Decoder d(in);
  CHECK(d.ReadString().value() == "hi");
  CHECK(d.ReadBytes().value() == std::optional<std::string>("x"));
  CHECK(d.ReadBool().value() == true);
  CHECK(d.ReadBool().value() == false);
  CHECK(d.ReadBytes().value() == std::nullopt);
  CHECK(d.ReadString().value().empty());
  CHECK(d.ReadArrayHeader().value() == 0);
  CHECK(d.AtEnd());
}

TEST_CASE("decoder bounds every declared length before allocating", "[unit]") {
  // A 27-byte input declaring a 4 GiB raw string and 4-billion-element containers.
  std::string huge_raw("\xdb\xff\xff\xff\xff", 5);
  huge_raw.append(22, 'x');
  REQUIRE(huge_raw.size() == 27);
  Decoder d(huge_raw);
  auto s = d.ReadString();
  REQUIRE(!s.ok());
  CHECK(s.status().code() == absl::StatusCode::kOutOfRange);
  CHECK(std::string(s.status().message()).find("only 22 remain") != std::string::npos);

  std::string huge_array("\xdd\xff\xff\xff\xff", 5);
  huge_array.append(22, '\x00');
  CHECK(!Decoder(huge_array).ReadArrayHeader().ok());
  std::string huge_map("\xdf\x00\x00\x00\x0c", 5);
  huge_map.append(22, '\x00');  // 12 pairs need 24 bytes, only 22 remain
  CHECK(!Decoder(huge_map).ReadMapHeader().ok());
  CHECK(!Decoder(huge_map).Skip().ok());
  CHECK(!Decoder(std::string("\xda\x00", 2)).ReadString().ok());  // truncated length
}

TEST_CASE("Skip walks any value and enforces the depth limit", "[unit]") {
  std::string nested;
  Encoder e(&nested);
  e.MapHeader(3);
  e.Raw("a");
  e.ArrayHeader(2);
  e.Float64(2.0);
  e.Int(-200);
  e.Raw("b");
  e.Nil();
  e.Raw("c");
  e.MapHeader(1);
  e.Raw("d");
  e.Bool(true);
  nested.append("\xd4\x01\x02", 3);  // fixext1 after the map
  Decoder d(nested);
  REQUIRE(d.Skip().ok());
  REQUIRE(d.Skip().ok());
  CHECK(d.AtEnd());

  std::string deep(100, '\x91');  // 100 nested one-element arrays
  deep.push_back('\x00');
  Decoder deep_dec(deep, 32);
  auto status = deep_dec.Skip();
  CHECK(!status.ok());
  CHECK(std::string(status.message()).find("nesting") != std::string::npos);
  CHECK(Decoder(deep, 200).Skip().ok());
  CHECK(!Decoder(std::string("\xc1", 1)).Skip().ok());
  CHECK(!Decoder(std::string()).Skip().ok());
}

TEST_CASE("round trip of every encoder call through the decoder", "[unit]") {
  std::string out;
  Encoder e(&out);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{-40000}, int64_t{1} << 40, INT64_MIN}) {
    e.Int(v);
  }
  e.Float64(-0.25);
  e.Raw(std::string(300, 'z'));
  Decoder d(out);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{-40000}, int64_t{1} << 40, INT64_MIN}) {
    CHECK(d.ReadInt().value() == v);
  }
  CHECK(d.ReadFloat().value() == -0.25);
  CHECK(d.ReadString().value() == std::string(300, 'z'));
  CHECK(d.AtEnd());
}

}  // namespace
}  // namespace cairn::gossip::msgpack
