// The Consul name grammar, one TEST_CASE per section of spec/dns.md §2–§3 and the worked
// examples of §15.
#include <catch2/catch.hpp>

#include <cairn/dns/query_name.h>

namespace cairn::dns {
namespace {

Name N(std::string_view text) {
  absl::StatusOr<Name> n = Name::Parse(text);
  REQUIRE(n.ok());
  return *n;
}

DomainConfig Domains(bool with_alt = false) {
  DomainConfig c;
  c.domain = N("consul.");
  if (with_alt) c.alt_domain = N("test-domain.");
  return c;
}

ParsedQuery P(std::string_view name, RrType type = RrType::kA, bool with_alt = false) {
  return ParseQueryName(N(name), type, Domains(with_alt));
}

TEST_CASE("§3 node lookups", "[unit]") {
  ParsedQuery q = P("foo.node.consul");
  CHECK(q.kind == QueryKind::kNode);
  CHECK(q.node == "foo");
  CHECK(q.datacenter.empty());
  q = P("foo.node.dc2.consul");
  CHECK(q.node == "foo");
  CHECK(q.datacenter == "dc2");
  q = P("my.dotted.node.node.consul");  // right-most keyword wins; dots kept in the name
  CHECK(q.kind == QueryKind::kNode);
  CHECK(q.node == "my.dotted.node");
  q = P("FOO.Node.DC2.Consul.");
  CHECK(q.kind == QueryKind::kNode);
  CHECK(q.node == "foo");
  CHECK(q.datacenter == "dc2");
  CHECK(P("node.consul").kind == QueryKind::kNxDomain);
}

TEST_CASE("§3 service lookups with tags", "[unit]") {
  ParsedQuery q = P("web.service.consul");
  CHECK(q.kind == QueryKind::kService);
  CHECK(q.service == "web");
  CHECK(q.tag.empty());
  CHECK_FALSE(q.rfc2782);
  q = P("primary.postgresql.service.dc2.consul");
  CHECK(q.service == "postgresql");
  CHECK(q.tag == "primary");
  CHECK(q.datacenter == "dc2");
  q = P("v1.2.web.service.consul");  // legacy: tags with dots
  CHECK(q.service == "web");
  CHECK(q.tag == "v1.2");
  q = P("WeB.SERVICE.consul");
  CHECK(q.service == "web");
  CHECK(P("service.consul").kind == QueryKind::kNxDomain);
}

TEST_CASE("§3 RFC 2782 SRV lookups", "[unit]") {
  ParsedQuery q = P("_rabbitmq._amqp.service.consul", RrType::kSrv);
  CHECK(q.kind == QueryKind::kService);
  CHECK(q.rfc2782);
  CHECK(q.service == "rabbitmq");
  CHECK(q.tag == "amqp");
  q = P("_redis._tcp.service.consul", RrType::kSrv);
  CHECK(q.service == "redis");
  CHECK(q.tag.empty());
  q = P("_redis._udp.service.consul", RrType::kSrv);
  CHECK(q.tag == "udp");  // only tcp means "no filter"
  // The .service label is optional for SRV questions only.
  q = P("_web._tcp.consul", RrType::kSrv);
  CHECK(q.kind == QueryKind::kService);
  CHECK(q.service == "web");
  CHECK(q.datacenter.empty());
  q = P("_web._tcp.dc2.consul", RrType::kSrv);
  CHECK(q.kind == QueryKind::kService);
  CHECK(q.service == "web");
  CHECK(q.datacenter == "dc2");
  CHECK(P("_web._tcp.consul", RrType::kA).kind == QueryKind::kNxDomain);
  // With the .service label the RFC 2782 form works for any qtype (Go behaviour).
  q = P("_web._tcp.service.consul", RrType::kA);
  CHECK(q.kind == QueryKind::kService);
  CHECK(q.service == "web");
  CHECK(q.tag.empty());
  CHECK(q.rfc2782);
}

TEST_CASE("§3.1 locality suffixes", "[unit]") {
  CHECK(P("web.service.dc2.dc.consul").datacenter == "dc2");
  CHECK(P("web.service.dc2.dc.consul").kind == QueryKind::kService);
  CHECK(P("web.service.a.dc.b.dc.consul").datacenter == "b");
  CHECK(P("n.node.dc3.dc.consul").datacenter == "dc3");
  CHECK(P("web.service.a.b.c.consul").kind == QueryKind::kNxDomain);    // 3 labels
  CHECK(P("web.service.a.xx.consul").kind == QueryKind::kNxDomain);     // unknown pair
  CHECK(P("web.service.p1.peer.consul").kind == QueryKind::kNxDomain);  // peering
  CHECK(P("web.service.a.dc.p.peer.consul").kind == QueryKind::kNxDomain);
  CHECK(P("web.service.1.2.3.4.5.consul").kind == QueryKind::kNxDomain);  // 5 labels
  CHECK(P("web.service.a.dc.b.dc.c.dc.consul").datacenter == "c");        // 6 labels
}

TEST_CASE("§4.4 addr lookups", "[unit]") {
  ParsedQuery q = P("c000020a.addr.consul");
  CHECK(q.kind == QueryKind::kAddr);
  REQUIRE(q.address.has_value());
  CHECK_FALSE(q.address->is_v6);
  CHECK(q.address->ToString() == "192.0.2.10");
  q = P("20010db800010002cafe000000001337.addr.dc1.consul");  // suffix ignored
  CHECK(q.kind == QueryKind::kAddr);
  REQUIRE(q.address.has_value());
  CHECK(q.address->is_v6);
  CHECK(q.address->ToString() == "2001:db8:1:2:cafe::1337");
  CHECK(q.address->HexLabel() == "20010db800010002cafe000000001337");
  CHECK(P("C000020A.addr.consul").kind == QueryKind::kAddr);
  CHECK(P("c000020.addr.consul").kind == QueryKind::kNxDomain);
  CHECK(P("c000020a0.addr.consul").kind == QueryKind::kNxDomain);
  CHECK(P("g000020a.addr.consul").kind == QueryKind::kNxDomain);
  CHECK(P("a.c000020a.addr.consul").kind == QueryKind::kNxDomain);
  CHECK(P("addr.consul").kind == QueryKind::kNxDomain);
}

TEST_CASE("§4.5 prepared query lookups", "[unit]") {
  ParsedQuery q = P("geo-db.query.consul");
  CHECK(q.kind == QueryKind::kPreparedQuery);
  CHECK(q.prepared_query == "geo-db");
  q = P("geo-db.query.dc2.consul");
  CHECK(q.datacenter == "dc2");
  CHECK(P("geo-db.query.dc2.dc.consul").kind == QueryKind::kNxDomain);
  q = P("_geo-db._tcp.query.consul", RrType::kSrv);
  CHECK(q.kind == QueryKind::kPreparedQuery);
  CHECK(q.rfc2782);
  CHECK(q.prepared_query == "geo-db");
  q = P("_a.b._tcp.query.consul", RrType::kSrv);
  CHECK(q.prepared_query == "a.b");
  q = P("a.b.query.consul");
  CHECK(q.prepared_query == "a.b");
  CHECK(P("query.consul").kind == QueryKind::kNxDomain);
}

TEST_CASE("§4.6 reverse names", "[unit]") {
  ParsedQuery q = P("12.10.1.10.in-addr.arpa", RrType::kPtr);
  CHECK(q.kind == QueryKind::kPtr);
  REQUIRE(q.address.has_value());
  CHECK(q.address->ToString() == "10.1.10.12");
  q = P("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", RrType::kPtr);
  CHECK(q.kind == QueryKind::kPtr);
  REQUIRE(q.address.has_value());
  CHECK(q.address->ToString() == "2001:db8::1");
  CHECK_FALSE(P("10.1.10.in-addr.arpa", RrType::kPtr).address.has_value());
  CHECK_FALSE(P("012.10.1.10.in-addr.arpa", RrType::kPtr).address.has_value());
  CHECK_FALSE(P("256.10.1.10.in-addr.arpa", RrType::kPtr).address.has_value());
  CHECK(P("foo.arpa", RrType::kPtr).kind == QueryKind::kPtr);
  CHECK(P("12.10.1.10.IN-ADDR.ARPA", RrType::kA).kind == QueryKind::kPtr);
}

TEST_CASE("§4.7 SOA, NS and AXFR anywhere in the zone, bare domain", "[unit]") {
  CHECK(P("consul", RrType::kSoa).kind == QueryKind::kSoa);
  CHECK(P("whatever.consul", RrType::kSoa).kind == QueryKind::kSoa);
  CHECK(P("consul", RrType::kNs).kind == QueryKind::kNs);
  CHECK(P("web.service.consul", RrType::kNs).kind == QueryKind::kNs);
  CHECK(P("consul", RrType::kAxfr).kind == QueryKind::kNotImplemented);
  CHECK(P("consul", RrType::kA).kind == QueryKind::kNxDomain);
  CHECK(P("foo.consul", RrType::kA).kind == QueryKind::kNxDomain);
  CHECK(P("web.connect.consul").kind == QueryKind::kNxDomain);
  CHECK(P("web.ingress.consul").kind == QueryKind::kNxDomain);
  CHECK(P("web.virtual.consul").kind == QueryKind::kNxDomain);
}

TEST_CASE("§2 alt_domain and zone choice", "[unit]") {
  ParsedQuery q = P("db.service.test-domain", RrType::kSrv, true);
  CHECK(q.kind == QueryKind::kService);
  CHECK(q.service == "db");
  CHECK(q.alt_domain);
  q = P("db.service.consul", RrType::kSrv, true);
  CHECK_FALSE(q.alt_domain);
  CHECK(P("db.service.TEST-DOMAIN.", RrType::kA, true).alt_domain);
  CHECK(P("db.service.test-domain", RrType::kA, false).kind == QueryKind::kRecursor);
  CHECK(P("example.com").kind == QueryKind::kRecursor);
  CHECK(P("consul.example.com").kind == QueryKind::kRecursor);
  CHECK(P(".").kind == QueryKind::kRecursor);

  // Longest zone wins: an alt domain below the primary one.
  DomainConfig c = Domains();
  c.alt_domain = N("dc.consul.");
  q = ParseQueryName(N("web.service.dc.consul"), RrType::kA, c);
  CHECK(q.alt_domain);
  CHECK(q.kind == QueryKind::kService);
  CHECK(q.datacenter.empty());
}

TEST_CASE("IpAddress parsing and formatting", "[unit]") {
  auto v4 = IpAddress::Parse("10.1.11.83");
  REQUIRE(v4.has_value());
  CHECK(v4->HexLabel() == "0a010b53");
  auto v6 = IpAddress::Parse("2001:db8:1:2:cafe::1337");
  REQUIRE(v6.has_value());
  CHECK(v6->is_v6);
  CHECK(v6->HexLabel() == "20010db800010002cafe000000001337");
  CHECK_FALSE(IpAddress::Parse("web.example.com").has_value());
  CHECK_FALSE(IpAddress::Parse(std::string(100, '1')).has_value());
}

}  // namespace
}  // namespace cairn::dns
