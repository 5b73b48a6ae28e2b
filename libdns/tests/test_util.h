// Helpers shared by libdns tests.
#ifndef CAIRN_DNS_TESTS_TEST_UTIL_H_
#define CAIRN_DNS_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include <cairn/dns/message.h>

namespace cairn::dns::testing {

using Bytes = std::vector<std::uint8_t>;

inline Name N(std::string_view text) {
  absl::StatusOr<Name> n = Name::Parse(text);
  REQUIRE(n.ok());
  return *n;
}

// A recursion-desired query for `name`; with EDNS when `edns_size` is non-zero.
inline Bytes MakeQuery(std::uint16_t id, std::string_view name, RrType type = RrType::kA,
                       std::uint16_t edns_size = 0) {
  Message m;
  m.header.id = id;
  m.header.rd = true;
  m.questions.push_back({N(name), type, kClassIn});
  if (edns_size != 0) m.edns = Edns{edns_size, 0, false, 0, {}};
  Bytes out;
  REQUIRE(EncodeMessage(m, kMaxMessageSize, &out).ok());
  return out;
}

}  // namespace cairn::dns::testing

#endif  // CAIRN_DNS_TESTS_TEST_UTIL_H_
