#include <string>

#include <catch2/catch.hpp>

#include <cairn/dns/name.h>

namespace cairn::dns {
namespace {

// Joins labels with dots (by appending: GCC 12 misreports chained operator+ on strings).
std::string Dotted(std::initializer_list<std::string> labels) {
  std::string out;
  for (const std::string& l : labels) {
    if (!out.empty()) out.append(".");
    out.append(l);
  }
  return out;
}

Name N(std::string_view text) {
  absl::StatusOr<Name> n = Name::Parse(text);
  REQUIRE(n.ok());
  return *n;
}

TEST_CASE("Name parses and prints the presentation form", "[unit]") {
  CHECK(N("web.service.consul").ToString() == "web.service.consul.");
  CHECK(N("web.service.consul.").ToString() == "web.service.consul.");
  CHECK(N(".").ToString() == ".");
  CHECK(N("").is_root());
  CHECK(N("a\\.b.c").LabelCount() == 2);
  CHECK(N("a\\.b.c").ToString() == "a\\.b.c.");
  CHECK(N("a\\032b.c").ToString() == "a\\032b.c.");
  CHECK(N("x\\\\y").ToString() == "x\\\\y.");
}

TEST_CASE("Name wire form is length-prefixed labels and a zero byte", "[unit]") {
  Name n = N("ab.c");
  std::vector<std::uint8_t> want = {2, 'a', 'b', 1, 'c', 0};
  CHECK(std::vector<std::uint8_t>(n.wire().begin(), n.wire().end()) == want);
  CHECK(n.wire_length() == 6);
}

TEST_CASE("Name rejects bad presentation forms", "[unit]") {
  CHECK(!Name::Parse("a..b").ok());
  CHECK(!Name::Parse(".a").ok());
  CHECK(!Name::Parse(Dotted({std::string(64, 'x'), "com"})).ok());
  CHECK(Name::Parse(Dotted({std::string(63, 'x'), "com"})).ok());
  CHECK(!Name::Parse("a\\").ok());
  CHECK(!Name::Parse("a\\25").ok());
  CHECK(!Name::Parse("a\\256").ok());
  // 4 labels of 63 bytes = 4 * 64 + 1 = 257 wire bytes.
  std::string l63(63, 'a');
  CHECK(!Name::Parse(Dotted({l63, l63, l63, l63})).ok());
  // 3 * 64 + 62 + 1 = 255 exactly.
  CHECK(Name::Parse(Dotted({l63, l63, l63, std::string(61, 'a')})).ok());
}

TEST_CASE("Name comparison is case-insensitive", "[unit]") {
  CHECK(N("WeB.Service.CONSUL") == N("web.service.consul."));
  CHECK(!(N("web.service.consul") == N("web.service.consul.x")));
  CHECK(N("a.B.consul").IsSubdomainOf(N("CONSUL")));
  CHECK(N("consul").IsSubdomainOf(N("consul.")));
  CHECK(N("anything").IsSubdomainOf(Name()));
  CHECK(!N("aconsul").IsSubdomainOf(N("consul")));
  CHECK(!N("consul").IsSubdomainOf(N("a.consul")));
  CHECK(EqualsIgnoreCase("Service", "sERVICE"));
  CHECK(!EqualsIgnoreCase("service", "services"));
}

TEST_CASE("Name building by labels", "[unit]") {
  Name n;
  REQUIRE(n.AppendLabel("n1").ok());
  REQUIRE(n.AppendLabel("node").ok());
  REQUIRE(n.Append(N("dc1.consul")).ok());
  CHECK(n.ToString() == "n1.node.dc1.consul.");
  std::string_view labels[Name::kMaxLabels];
  REQUIRE(n.Labels(labels) == 4);
  CHECK(labels[0] == "n1");
  CHECK(labels[3] == "consul");
  CHECK(!n.AppendLabel("").ok());
  CHECK(!n.AppendLabel(std::string(64, 'z')).ok());
  Name upper = N("WEB.Consul");
  upper.ToLower();
  CHECK(upper.ToString() == "web.consul.");
  Name big;
  for (int i = 0; i < 127; ++i) REQUIRE(big.AppendLabel("a").ok());
  CHECK(big.wire_length() == 255);
  CHECK(!big.AppendLabel("a").ok());
  CHECK(big.wire_length() == 255);
}

TEST_CASE("Name::FromWire validates", "[unit]") {
  const std::uint8_t ok[] = {1, 'a', 0};
  const std::uint8_t no_root[] = {1, 'a'};
  const std::uint8_t long_label[] = {64, 'a', 0};
  CHECK(Name::FromWire(ok).ok());
  CHECK(!Name::FromWire(no_root).ok());
  CHECK(!Name::FromWire(long_label).ok());
}

}  // namespace
}  // namespace cairn::dns
