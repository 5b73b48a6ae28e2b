// LZW (Go compress/lzw, LSB, 8-bit literals) and CRC-32/IEEE. Bit-exactness against Go is
// proven by capture_test.cc on the 14 compressed messages in the captures; these tests
// cover the code-width growth, table reset, KwKwK and the bounds.
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include <cairn/gossip/crc32.h>
#include <cairn/gossip/lzw.h>

namespace cairn::gossip {
namespace {

TEST_CASE("CRC-32/IEEE check value", "[unit]") {
  CHECK(Crc32Ieee("123456789") == 0xCBF43926u);
  CHECK(Crc32Ieee("") == 0u);
}

TEST_CASE("empty input is clear then end-of-data", "[unit]") {
  // 256 and 257 as two 9-bit codes, LSB first: 00 03 02.
  CHECK(LzwCompress("") == std::string("\x00\x03\x02", 3));
  CHECK(LzwDecompress(std::string("\x00\x03\x02", 3), 10).value().empty());
}

TEST_CASE("single literal: clear, literal, eof", "[unit]") {
  // codes 256, 'A'=65, 257 at 9 bits: bits = 256 | 65<<9 | 257<<18.
  const uint64_t bits = 256ull | (65ull << 9) | (257ull << 18);
  std::string want;
  for (int i = 0; i < 4; ++i) want.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  CHECK(LzwCompress("A") == want);
}

TEST_CASE("round trips across width growth and table resets", "[unit]") {
  std::mt19937 rng(7);
  for (size_t size : {1u, 2u, 3u, 100u, 600u, 5000u, 70000u}) {
    for (int alphabet : {2, 16, 256}) {
      std::string in(size, '\0');
      for (auto& c : in) c = static_cast<char>(rng() % alphabet);
      const std::string packed = LzwCompress(in);
      auto back = LzwDecompress(packed, in.size());
      REQUIRE(back.ok());
      CHECK(*back == in);
    }
  }
  // Long runs exercise KwKwK (code == next code) repeatedly.
  const std::string run(100000, 'a');
  CHECK(LzwDecompress(LzwCompress(run), run.size()).value() == run);
}

TEST_CASE("decoder rejects bad streams and output beyond the cap", "[unit]") {
  const std::string run(10000, 'a');
  const std::string packed = LzwCompress(run);
  auto capped = LzwDecompress(packed, 9999);
  REQUIRE(!capped.ok());
  CHECK(std::string(capped.status().message()).find("limit") != std::string::npos);
  // Truncated: drop the tail that holds end-of-data.
  CHECK(!LzwDecompress(packed.substr(0, packed.size() - 2), run.size()).ok());
  // First code 300 is undefined.
  const uint64_t bits = 300ull;
  CHECK(
      !LzwDecompress(std::string{static_cast<char>(bits & 0xff), static_cast<char>(bits >> 8)}, 100)
           .ok());
  CHECK(!LzwDecompress("", 100).ok());
}

}  // namespace
}  // namespace cairn::gossip
